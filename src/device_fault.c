// SPDX-License-Identifier: GPL-2.0
/*
 * Device faults: the device touched pages its page table (the mirror) does
 * not hold, or holds read-only for a write; fault them in with
 * hmm_range_fault(), as a CPU access would, and enter them in the table.
 */
#include <linux/hmm.h>
#include <linux/mm.h>
#include "devmm.h"
#include "mirror.h"

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
