// SPDX-License-Identifier: GPL-2.0
/* dev_pagemap_ops.page_free(page) (6.1, 6.12). */
#include <linux/memremap.h>

static void devmm_probe_free(struct page *page) { }
struct dev_pagemap_ops devmm_probe_ops = { .page_free = devmm_probe_free };
