// SPDX-License-Identifier: GPL-2.0
/*
 * Device faults: the device touched pages its page table (the mirror) does
 * not hold, or holds read-only for a write; fault them in with
 * hmm_range_fault(), as a CPU access would, and enter them in the table.
 */
#include <linux/hmm.h>
#include <linux/bitmap.h>
#include <linux/mm.h>
#include "devmm.h"
#include "mirror.h"
#include "devmm_trace.h"

/* Whether a write fault left a page of this device read-only (COW). */
static bool has_readonly_own(struct devmm_mirror *m, struct hmm_range *range)
{
	unsigned long i, n = (range->end - range->start) >> PAGE_SHIFT;

	for (i = 0; i < n; i++) {
		unsigned long pfn = range->hmm_pfns[i];

		if ((pfn & HMM_PFN_VALID) && !(pfn & HMM_PFN_WRITE) &&
		    is_device_private_page(hmm_pfn_to_page(pfn)))
			return true;
	}
	return false;
}

/* Fault one window [start, end) of at most DEVMM_FAULT_PAGES into the table. */
static int fault_window(struct devmm_mirror *m, struct mm_struct *mm, unsigned long start,
			unsigned long end, bool write, unsigned long *pfns)
{
	struct hmm_range range = {
		.notifier = &m->notifier,
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT | (write ? HMM_PFN_REQ_WRITE : 0),
		.dev_private_owner = m->dev,
		.start = start,
		.end = end,
	};
	int ret;

	ret = devmm_mirror_walk(m, mm, &range, devmm_consume_store, NULL);
	/*
	 * hmm_range_fault() reports this device's pages as they are, even
	 * read-only ones (after fork) on a write request.  A device write to
	 * such a page is a COW break: fault it back to system memory, where
	 * the kernel does the copy.
	 */
	if (!ret && write && has_readonly_own(m, &range)) {
		range.dev_private_owner = NULL;
		ret = devmm_mirror_walk(m, mm, &range, devmm_consume_store, NULL);
	}
	return ret;
}

/*
 * Fault [start, end) into the table, for reading or writing, a window at a
 * time, in order: the first window that fails ends the round.  (Sharing the
 * windows, or the pinning of user pages, with helpers that fault in the
 * caller's address space crashed t_fuzz on 7.2: a process's memory read back
 * as zeros, seed 1796549942311286412, 5 of 6 runs; helpers only copy.)
 */
int devmm_device_fault(struct devmm_mirror *m, struct mm_struct *mm, unsigned long start,
		       unsigned long end, bool write)
{
	unsigned long pfns[DEVMM_FAULT_PAGES], addr;
	int ret;

	/* The device's own mmap buffer needs no walk (and gets none). */
	ret = devmm_buffer_mirror(m, mm, start, end, write);
	if (ret)
		return ret < 0 ? ret : 0;
	for (addr = start; !ret && addr < end; addr += DEVMM_FAULT_PAGES << PAGE_SHIFT)
		ret = fault_window(m, mm, addr, min(end, addr + (DEVMM_FAULT_PAGES << PAGE_SHIFT)),
				   write, pfns);
	return ret;
}

/*
 * Demand paging: a device read or write of pages in a range whose
 * attributes say migrate-on-fault and prefer this device (attr.c) first
 * migrates the pages that are not on the device there, a granule (aligned,
 * within the range of equal attributes and the VMA) per faulting page; the
 * copy then finds them in the table.  Pages are taken in address order and
 * each is checked just before its turn (a window's walk, again after every
 * migration), so that what a fault does depends only on the state it finds:
 * the exact replays of the trace tools and their model depend on it.  What
 * cannot move (no room: pinned or busy pages) is accessed where it is.
 */

/* Mark the pages of @range that are on this device. */
static int consume_resident(struct devmm_mirror *m, struct hmm_range *range, void *bits)
{
	unsigned long i, n = (range->end - range->start) >> PAGE_SHIFT;

	bitmap_zero(bits, n);
	for (i = 0; i < n; i++) {
		unsigned long pfn = range->hmm_pfns[i];

		if ((pfn & HMM_PFN_VALID) &&
		    devmm_page_is_own(m, devmm_walk_page(pfn, range->start + (i << PAGE_SHIFT))))
			__set_bit(i, bits);
	}
	return 0;
}

/* The granule of @a around @addr, within its range of attributes and VMA. */
static bool demand_granule(struct devmm_mirror *m, struct mm_struct *mm, unsigned long addr,
			   const struct devmm_attrs *a, unsigned long *gs, unsigned long *ge)
{
	unsigned long size = PAGE_SIZE << a->gran_order, as, ae;
	struct vm_area_struct *vma;

	devmm_attr_span(m->owner, addr, &as, &ae);
	*gs = max(ALIGN_DOWN(addr, size), as);
	*ge = min(ALIGN_DOWN(addr, size) + size, ae);
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma) {
		*gs = max(*gs, vma->vm_start);
		*ge = min(*ge, vma->vm_end);
	}
	mmap_read_unlock(mm);
	return vma;
}

/* Demand paging over [start, end), all of one range with attributes @a. */
static int demand_span(struct devmm_mirror *m, struct mm_struct *mm, unsigned long start,
		       unsigned long end, const struct devmm_attrs *a)
{
	DECLARE_BITMAP(resident, DEVMM_FAULT_PAGES);
	unsigned long pfns[DEVMM_FAULT_PAGES];
	struct devmm_device *dev = m->dev;
	unsigned long addr = start;

	while (addr < end) {
		struct hmm_range range = {
			.notifier = &m->notifier,
			.hmm_pfns = pfns,
			.dev_private_owner = dev,
			.start = addr,
			.end = min(end, addr + (DEVMM_FAULT_PAGES << PAGE_SHIFT)),
		};
		unsigned long i, n = (range.end - addr) >> PAGE_SHIFT, gs, ge;
		u64 moved = 0;

		/* Unmapped or unreadable: the access itself reports it. */
		if (devmm_mirror_walk(m, mm, &range, consume_resident, resident))
			return 0;
		i = find_first_zero_bit(resident, n);
		if (i == n) {
			addr = range.end;
			continue;
		}
		addr += i << PAGE_SHIFT;
		atomic64_inc(&dev->stats.fault_pages);
		if (!demand_granule(m, mm, addr, a, &gs, &ge))
			return 0;
		devmm_migrate_to_device(m, gs, ge, true, &moved);
		atomic64_add(moved, &dev->stats.fault_migrated);
		trace_devmm_demand_fault(dev->id, addr, gs, ge, moved);
		addr = ge;
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

/**
 * devmm_device_fault_demand - demand paging before a device access
 * @m: the mirror.
 * @mm: its mm (a user reference held).
 * @start: page-aligned start of the pages the device is about to touch.
 * @end: their end.
 *
 * Return: 0 (pages that did not move are accessed where they are), or
 * -EINTR on a fatal signal.
 */
int devmm_device_fault_demand(struct devmm_mirror *m, struct mm_struct *mm,
			      unsigned long start, unsigned long end)
{
	unsigned long addr = start, span_end;
	int ret = 0;

	if (!m->owner || !READ_ONCE(m->owner->nattrs))
		return 0;
	for (; !ret && addr < end; addr = span_end) {
		struct devmm_attrs a;

		span_end = devmm_attr_get(m->owner, addr, end, &a);
		if (devmm_attrs_demand(&a))
			ret = demand_span(m, mm, addr, span_end, &a);
	}
	return ret;
}
