// SPDX-License-Identifier: GPL-2.0
/* page_pgmap(page) (7.x); older kernels have page->pgmap. */
#include <linux/mm.h>
#include <linux/memremap.h>

struct dev_pagemap *(*devmm_probe_fn)(const struct page *) = page_pgmap;
