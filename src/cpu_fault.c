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

/*
 * The window a CPU fault on @page at @addr brings back.  A large device
 * folio mapped by a PMD comes back whole.  A small page comes back with the
 * device's pages after it (fault_around_kb; a sequential CPU pass over
 * device memory then faults once per window instead of once per page),
 * within its VMA and PMD: the faulting page is the window's first, so the
 * core collects it before anything it may skip further on.  A page of a
 * large folio mapped by PTEs (after a partial unmap or mremap) comes back
 * alone.
 */
static void fault_window(struct vm_fault *vmf, unsigned long *start, unsigned long *end)
{
	unsigned long addr = vmf->address & PAGE_MASK;

	if (!folio_test_large(page_folio(vmf->page))) {
		*start = addr;
		*end = min3(addr + (devmm_param_fault_around_pages() << PAGE_SHIFT),
			    vmf->vma->vm_end, ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE);
	} else if (!vmf->pte) {
		*start = ALIGN_DOWN(addr, PMD_SIZE);
		*end = *start + PMD_SIZE;
	} else {
		*start = addr;
		*end = addr + PAGE_SIZE;
	}
}

/* Tries a fault makes for a system THP before it gives up with VM_FAULT_OOM. */
#define DEVMM_FAULT_THP_TRIES	8

/*
 * Whether the fault's large device folio stayed because it got small system
 * pages, not a THP: 7.2's collect takes a reference of its own on a folio
 * mapped by a PMD before it tries to split it, so the split fails and
 * nothing moves; the same fault again would loop forever.
 */
static bool stuck_without_thp(struct vm_fault *vmf, struct devmm_window *w)
{
	return folio_test_large(page_folio(vmf->page)) && !(w->src[0] & MIGRATE_PFN_MIGRATE) &&
	       w->dst[0] && !(w->dst[0] & DEVMM_MIGRATE_PFN_COMPOUND);
}

/**
 * devmm_migrate_to_ram - dev_pagemap_ops.migrate_to_ram
 * @vmf: the fault; vmf->page is the locked, referenced device page.
 *
 * Brings back the window fault_window() picks, a large folio as a large
 * system folio if one can be had, else as single pages.  The faulting
 * process may be a fork child of the one that migrated the page: the device
 * is found through the page, never through the process.  A large folio
 * mapped by a PMD cannot come back as single pages from a fault (see
 * stuck_without_thp()): the fault tries a few times for a system THP, then
 * gives up with VM_FAULT_OOM (a kernel access such as read() into the
 * buffer fails with EFAULT; a user access faults again, killable), and at
 * once on a fatal signal.
 * Return: 0 (the fault is retried), VM_FAULT_OOM or VM_FAULT_SIGBUS.
 */
vm_fault_t devmm_migrate_to_ram(struct vm_fault *vmf)
{
	struct devmm_device *dev = devmm_page_device(vmf->page);
	unsigned long start, end;
	struct devmm_window *w;
	unsigned int tries;
	int ret;

	fault_window(vmf, &start, &end);
	w = devmm_window_alloc((end - start) >> PAGE_SHIFT);
	if (!w)
		return VM_FAULT_OOM;
	for (tries = 1;; tries++) {
		ret = devmm_migrate_window_to_system(dev, vmf->vma, start, end, vmf->page, NULL,
						     NULL, 0, w, NULL);
		/*
		 * Pages after the faulting one that got no system memory stay
		 * on the device; the fault itself is served if its page
		 * (entry 0) moved.
		 */
		if (ret == -ENOMEM && w->dst[0] && (w->src[0] & MIGRATE_PFN_MIGRATE))
			ret = 0;
		if (ret || !stuck_without_thp(vmf, w))
			break;
		if (tries >= DEVMM_FAULT_THP_TRIES || fatal_signal_pending(current)) {
			ret = -ENOMEM;
			break;
		}
		cond_resched();
	}
	devmm_window_free(w);
	atomic64_inc(&dev->stats.cpu_faults);
	trace_devmm_cpu_fault(dev->id, vmf->address, end - start, ret);
	if (ret == -ENOMEM)
		return VM_FAULT_OOM;
	return ret ? VM_FAULT_SIGBUS : 0;
}
