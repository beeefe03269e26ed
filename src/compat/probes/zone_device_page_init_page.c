// SPDX-License-Identifier: GPL-2.0
/* zone_device_page_init(page): the pgmap comes from page->pgmap (6.1, 6.12). */
#include <linux/memremap.h>

void (*devmm_probe_fn)(struct page *) = zone_device_page_init;
