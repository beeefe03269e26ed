/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The device page table's internals, shared by the files that fill it
 * (mirror.c, device_fault.c), read it (device_rw.c, snapshot.c) or hold
 * pages through it (exclusive.c, pin.c).  See mirror.c for its locking.
 */
#ifndef DEVMM_MIRROR_H
#define DEVMM_MIRROR_H

#include <linux/hmm.h>
#include "devmm.h"

/* One hmm_range_fault() window, in pages. */
#define DEVMM_FAULT_PAGES	64UL

typedef int (*devmm_consume_fn)(struct devmm_mirror *m, struct hmm_range *range, void *arg);

int devmm_mirror_walk(struct devmm_mirror *m, struct mm_struct *mm, struct hmm_range *range,
		      devmm_consume_fn consume, void *arg);
struct page *devmm_walk_page(unsigned long hmm_pfn, unsigned long addr);
int devmm_consume_store(struct devmm_mirror *m, struct hmm_range *range, void *own_count);

/* Whether @page is device memory of @m's device. */
static inline bool devmm_page_is_own(struct devmm_mirror *m, struct page *page)
{
	return devmm_page_is_ours(page) && devmm_page_device(page) == m->dev;
}

/* device_fault.c */
int devmm_device_fault(struct devmm_mirror *m, struct mm_struct *mm, unsigned long start,
		       unsigned long end, bool write);
unsigned long devmm_access_reach(struct devmm_mirror *m, struct mm_struct *mm,
				 unsigned long start, unsigned long end, bool write,
				 struct vm_area_struct **stop);
unsigned long devmm_demand_ahead(struct devmm_mirror *m, unsigned long start, unsigned long wend,
				 unsigned long end);
int devmm_device_fault_demand(struct devmm_mirror *m, struct mm_struct *mm,
			      unsigned long start, unsigned long end, bool write);

/* pin.c */
void devmm_mirror_unpin_all(struct devmm_mirror *m);

#endif
