// SPDX-License-Identifier: GPL-2.0
/*
 * CPU faults on device-private pages: the CPU cannot reach device-private
 * memory, so a CPU access migrates the page back to system memory.
 */
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include "devmm.h"
#include "devmm_trace.h"

/**
 * devmm_migrate_to_ram - dev_pagemap_ops.migrate_to_ram
 * @vmf: the fault; vmf->page is the locked, referenced device page.
 *
 * A large device folio mapped by a PMD comes back whole (as a large system
 * folio if one can be had, else as single pages); one mapped by PTEs (after
 * a partial unmap or mremap) comes back a page at a time.  The faulting
 * process may be a fork child of the one that migrated the page: the device
 * is found through the page, never through the process.
 * Return: 0 (the fault is retried), VM_FAULT_OOM or VM_FAULT_SIGBUS.
 */
vm_fault_t devmm_migrate_to_ram(struct vm_fault *vmf)
{
	struct devmm_device *dev = devmm_page_device(vmf->page);
	unsigned long size = PAGE_SIZE, start;
	struct devmm_window *w;
	int ret;

	if (!vmf->pte && folio_test_large(page_folio(vmf->page)))
		size = PMD_SIZE;
	start = ALIGN_DOWN(vmf->address, size);
	w = devmm_window_alloc();
	if (!w)
		return VM_FAULT_OOM;
	ret = devmm_migrate_window_to_system(dev, vmf->vma, start, start + size, vmf->page,
					     NULL, w, NULL);
	devmm_window_free(w);
	atomic64_inc(&dev->stats.cpu_faults);
	trace_devmm_cpu_fault(dev->id, vmf->address, size, ret);
	if (ret == -ENOMEM)
		return VM_FAULT_OOM;
	return ret ? VM_FAULT_SIGBUS : 0;
}
