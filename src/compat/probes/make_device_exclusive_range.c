// SPDX-License-Identifier: GPL-2.0
/*
 * make_device_exclusive_range(mm, start, end, pages, owner) (until 6.14).
 * Declared on Debian 6.1 and 6.12 but not built there: the export probe
 * decides whether it can be used.
 */
#include <linux/rmap.h>

int (*devmm_probe_fn)(struct mm_struct *, unsigned long, unsigned long,
		      struct page **, void *) = make_device_exclusive_range;
