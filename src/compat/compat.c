// SPDX-License-Identifier: GPL-2.0
/*
 * Compat glue that cannot live in a header: the pagemap operations, whose
 * free callback takes a page (6.1, 6.12) or a whole folio (7.x).
 */
#include <linux/memremap.h>
#include <linux/mm.h>
#include "devmm.h"

#ifdef DEVMM_HAVE_PGMAP_OPS_FOLIO_FREE
static void devmm_pgmap_folio_free(struct folio *folio)
{
	devmm_page_free(&folio->page, folio_order(folio));
}
#else
static void devmm_pgmap_page_free(struct page *page)
{
	devmm_page_free(page, 0);
}
#endif

#ifdef DEVMM_HAVE_PGMAP_OPS_FOLIO_SPLIT
/*
 * A large device folio is being split (partial unmap, mremap, or a CPU
 * fault that could not get a large system folio): give each new folio what
 * the core gives it when there is no callback, and the backend's data.
 */
static void devmm_pgmap_folio_split(struct folio *head, struct folio *tail)
{
	if (!tail)
		return;
	tail->pgmap = head->pgmap;
	tail->page.mapping = head->page.mapping;
	devmm_page_split(&head->page, &tail->page);
}
#endif

const struct dev_pagemap_ops devmm_pgmap_ops = {
#ifdef DEVMM_HAVE_PGMAP_OPS_FOLIO_FREE
	.folio_free = devmm_pgmap_folio_free,
#else
	.page_free = devmm_pgmap_page_free,
#endif
	.migrate_to_ram = devmm_migrate_to_ram,
#ifdef DEVMM_HAVE_PGMAP_OPS_FOLIO_SPLIT
	.folio_split = devmm_pgmap_folio_split,
#endif
};
