// SPDX-License-Identifier: GPL-2.0
/* get_user_pages(start, nr, flags, pages): no vmas argument (6.5+). */
#include <linux/mm.h>

long (*devmm_probe_fn)(unsigned long, unsigned long, unsigned int, struct page **) =
	get_user_pages;
