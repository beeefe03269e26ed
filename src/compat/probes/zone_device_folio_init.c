// SPDX-License-Identifier: GPL-2.0
/* zone_device_folio_init(folio, pgmap, order): large device folios (7.x). */
#include <linux/memremap.h>

void (*devmm_probe_fn)(struct folio *, struct dev_pagemap *, unsigned int) =
	zone_device_folio_init;
