// SPDX-License-Identifier: GPL-2.0
/* dev_pagemap_ops.folio_split(head, tail): large device folios split (7.x). */
#include <linux/memremap.h>

static void devmm_probe_split(struct folio *head, struct folio *tail) { }
struct dev_pagemap_ops devmm_probe_ops = { .folio_split = devmm_probe_split };
