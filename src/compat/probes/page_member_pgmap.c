// SPDX-License-Identifier: GPL-2.0
/* struct page has a pgmap member (6.1, 6.12). */
#include <linux/mm_types.h>

unsigned long devmm_probe_off = offsetof(struct page, pgmap);
