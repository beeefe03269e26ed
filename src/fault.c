// SPDX-License-Identifier: GPL-2.0
/*
 * CPU faults on device-private pages: the CPU cannot reach device-private
 * memory, so a CPU access migrates the page back to system memory.
 */
#include <linux/migrate.h>
#include <linux/mm.h>
#include "devmm.h"

/**
 * devmm_migrate_to_ram - dev_pagemap_ops.migrate_to_ram
 * @vmf: the fault; vmf->page is the locked, referenced device page.
 *
 * The faulting process may be a fork child of the one that migrated the
 * page: the device is found through the page, never through the process.
 * Return: 0 (the fault is retried), VM_FAULT_OOM or VM_FAULT_SIGBUS.
 */
vm_fault_t devmm_migrate_to_ram(struct vm_fault *vmf)
{
	struct devmm_device *dev = devmm_page_device(vmf->page);
	struct page *spage, *dpage = NULL;
	unsigned long src = 0, dst = 0;
	struct migrate_vma args = {
		.vma = vmf->vma,
		.start = vmf->address & PAGE_MASK,
		.end = (vmf->address & PAGE_MASK) + PAGE_SIZE,
		.src = &src,
		.dst = &dst,
		.pgmap_owner = dev,
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		.fault_page = vmf->page,
	};
	vm_fault_t ret = 0;

	if (migrate_vma_setup(&args))
		return VM_FAULT_SIGBUS;
	spage = migrate_pfn_to_page(src);
	if ((src & MIGRATE_PFN_MIGRATE) && spage) {
		dpage = devmm_alloc_system_page(vmf->vma, args.start);
		if (!dpage) {
			ret = VM_FAULT_OOM;
		} else if (dev->ops->copy_from_dev(dev, &dpage, &spage, 1)) {
			unlock_page(dpage);
			put_page(dpage);
			dpage = NULL;
			ret = VM_FAULT_SIGBUS;
		} else {
			dst = migrate_pfn(page_to_pfn(dpage)) | (src & MIGRATE_PFN_WRITE);
		}
	}
	migrate_vma_pages(&args);
	if (dst && (src & MIGRATE_PFN_MIGRATE))
		atomic64_inc(&dev->stats.to_system);
	migrate_vma_finalize(&args);
	atomic64_inc(&dev->stats.cpu_faults);
	return ret;
}
