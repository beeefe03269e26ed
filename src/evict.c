// SPDX-License-Identifier: GPL-2.0
/*
 * Eviction: moving a device's pages back to system memory without knowing
 * (or locking) the processes that map them, with migrate_device_range()
 * over the device's own pfns.
 */
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include "devmm.h"

/* Evict the pages in use among @n pfns from @pfn; returns pages evicted. */
static unsigned long evict_pfns(struct devmm_device *dev, unsigned long pfn, unsigned long n,
				struct devmm_window *w)
{
	unsigned long i, nr, moved;

	migrate_device_range(w->src, pfn, n);
	devmm_window_reset(w, n);
	for (i = 0; i < n; i += nr) {
		struct page *spage = migrate_pfn_to_page(w->src[i]), *dpage;
		struct folio *folio;

		nr = devmm_src_nr(w->src[i], i, n);
		if (!(w->src[i] & MIGRATE_PFN_MIGRATE) || !spage)
			continue;
		if (nr > 1) {
			/*
			 * Without a VMA the core cannot split a large device
			 * folio: it needs a large destination, or it stays for
			 * a later pass.
			 */
			folio = folio_alloc(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, DEVMM_PMD_ORDER);
			if (!folio)
				continue;
			folio_lock(folio);
			devmm_window_set(w, i, &folio->page, DEVMM_PMD_ORDER, spage, nr, 0);
			continue;
		}
		/*
		 * A single page may not fail for lack of memory: the device
		 * is going away, or must make room.
		 */
		dpage = alloc_page(GFP_HIGHUSER_MOVABLE | __GFP_NOFAIL);
		lock_page(dpage);
		devmm_window_set(w, i, dpage, 0, spage, 1, 0);
	}
	if (dev->ops->copy_from_dev(dev, w->cdst, w->csrc, n))
		devmm_window_drop(w, n);
	migrate_device_pages(w->src, w->dst, n);
	moved = devmm_window_moved(w, n);
	migrate_device_finalize(w->src, w->dst, n);
	return moved;
}

static unsigned long evict_chunk(struct devmm_device *dev, struct devmm_chunk *chunk,
				 struct devmm_window *b)
{
	unsigned long off, moved = 0;

	for (off = 0; off < DEVMM_CHUNK_PAGES && READ_ONCE(chunk->used); off += DEVMM_WINDOW_PAGES)
		moved += evict_pfns(dev, chunk->pfn_first + off, DEVMM_WINDOW_PAGES, b);
	return moved;
}

static unsigned long used_pages(struct devmm_device *dev)
{
	unsigned long used;

	spin_lock_irq(&dev->free_lock);
	used = dev->nused;
	spin_unlock_irq(&dev->free_lock);
	return used;
}

/**
 * devmm_evict_all - migrate every page of a device back to system memory
 * @dev: a device with memory.
 * @tries: passes to make over pages that are busy (locked, pinned or being
 *	migrated); 0 means until none is left.
 *
 * Return: 0 once no page of the device is in use, -EBUSY if some still are
 * after @tries passes.
 */
int devmm_evict_all(struct devmm_device *dev, unsigned int tries)
{
	struct devmm_window *b = dev->evict_batch;
	unsigned long moved;
	unsigned int pass, i;
	int ret = 0;

	if (dev->kind == DEVMM_MIRROR)
		return 0;
	mutex_lock(&dev->evict_lock);
	for (pass = 1; used_pages(dev); pass++) {
		if (tries && pass > tries) {
			ret = -EBUSY;
			break;
		}
		if (pass > 1)
			msleep(min(pass, 100U));
		if (!(pass % 1000))
			pr_warn("device %u: %lu pages still busy after %u eviction passes\n",
				dev->id, used_pages(dev), pass);
		mutex_lock(&dev->chunks_lock);
		for (i = 0, moved = 0; i < dev->nchunks; i++)
			moved += evict_chunk(dev, dev->chunks[i], b);
		mutex_unlock(&dev->chunks_lock);
		atomic64_add(moved, &dev->stats.evicted);
		atomic64_add(moved, &dev->stats.to_system);
		cond_resched();
	}
	mutex_unlock(&dev->evict_lock);
	return ret;
}
