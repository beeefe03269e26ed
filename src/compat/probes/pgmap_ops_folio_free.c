// SPDX-License-Identifier: GPL-2.0
/* dev_pagemap_ops.folio_free(folio) (7.x). */
#include <linux/memremap.h>

static void devmm_probe_free(struct folio *folio) { }
struct dev_pagemap_ops devmm_probe_ops = { .folio_free = devmm_probe_free };
