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
#include <linux/sort.h>
#include "devmm.h"

/*
 * Finish an eviction batch whose sources migrate_device_range() or
 * migrate_device_pfns() collected in w->src: system destinations, copies,
 * migration.  Returns the pages evicted.
 */
static unsigned long evict_collected(struct devmm_device *dev, unsigned long n,
				     struct devmm_window *w)
{
	unsigned long i, nr, moved;

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

/* Evict the pages in use among @n pfns from @pfn; returns pages evicted. */
static unsigned long evict_pfns(struct devmm_device *dev, unsigned long pfn, unsigned long n,
				struct devmm_window *w)
{
	migrate_device_range(w->src, pfn, n);
	return evict_collected(dev, n, w);
}

static int cmp_pfn(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/*
 * Collect @n victim pfns (whole folios) into w->src: in one call where the
 * kernel has migrate_device_pfns(), else by contiguous runs.
 */
static void collect_victims(struct devmm_device *dev, unsigned long *victims, unsigned long n,
			    struct devmm_window *w)
{
	unsigned long i, run;

	if (DEVMM_CAN_MIGRATE_DEVICE_PFNS) {
		memcpy(w->src, victims, n * sizeof(*victims));
		devmm_migrate_device_pfns(w->src, n);
		return;
	}
	sort(victims, n, sizeof(*victims), cmp_pfn, NULL);
	for (i = 0; i < n; i += run) {
		for (run = 1; i + run < n && victims[i + run] == victims[i] + run; run++)
			;
		migrate_device_range(&w->src[i], victims[i], run);
	}
}

/**
 * devmm_evict - evict pages a device needs least
 * @dev: a device with memory.
 * @target: pages wanted out.
 *
 * Pages go in batches, least recently used first (or oldest first under
 * the FIFO policy), without taking any process's mmap_lock; pages that
 * cannot move now (locked, pinned, being migrated) are skipped and counted
 * as failures.  Gives up after a few passes that free nothing.
 * Return: pages evicted.
 */
unsigned long devmm_evict(struct devmm_device *dev, unsigned long target)
{
	struct devmm_window *w = dev->evict_batch;
	unsigned long evicted = 0, n, moved;
	unsigned int idle = 0;

	if (dev->kind == DEVMM_MIRROR)
		return 0;
	mutex_lock(&dev->evict_lock);
	while (evicted < target && idle < 4) {
		n = devmm_pick_victims(dev, dev->victims, DEVMM_WINDOW_PAGES);
		if (!n)
			break;
		collect_victims(dev, dev->victims, n, w);
		moved = evict_collected(dev, n, w);
		atomic64_inc(&dev->stats.evict_passes);
		atomic64_add(n - moved, &dev->stats.evict_failures);
		atomic64_add(moved, &dev->stats.evicted);
		atomic64_add(moved, &dev->stats.to_system);
		evicted += moved;
		idle = moved ? 0 : idle + 1;
	}
	mutex_unlock(&dev->evict_lock);
	return evicted;
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
