// SPDX-License-Identifier: GPL-2.0
/* zone_device_page_init(page, pgmap, order) (7.x). */
#include <linux/memremap.h>

void (*devmm_probe_fn)(struct page *, struct dev_pagemap *, unsigned int) =
	zone_device_page_init;
