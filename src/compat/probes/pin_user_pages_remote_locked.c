// SPDX-License-Identifier: GPL-2.0
/* pin_user_pages_remote(mm, start, nr, flags, pages, locked): no vmas (6.5+). */
#include <linux/mm.h>

long (*devmm_probe_fn)(struct mm_struct *, unsigned long, unsigned long, unsigned int,
		       struct page **, int *) = pin_user_pages_remote;
