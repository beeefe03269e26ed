// SPDX-License-Identifier: GPL-2.0
/* make_device_exclusive(mm, addr, owner, &folio), one page at a time (7.x). */
#include <linux/rmap.h>

struct page *(*devmm_probe_fn)(struct mm_struct *, unsigned long, void *,
			       struct folio **) = make_device_exclusive;
