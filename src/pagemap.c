// SPDX-License-Identifier: GPL-2.0
/*
 * Device memory: ZONE_DEVICE pagemaps ("chunks") and the page allocator.
 *
 * Private devices take a free physical address range per chunk
 * (request_free_mem_region) and map MEMORY_DEVICE_PRIVATE pages over it;
 * coherent devices map MEMORY_DEVICE_COHERENT pages over successive pieces
 * of their reserved range.  Chunks are added on demand, up to the device's
 * capacity.  Free pages (refcount zero) sit on a free list linked through
 * page->zone_device_data; the pagemap free callback puts them back, possibly
 * in atomic context, so the list is under a spinlock and nothing here that
 * the callback reaches may sleep.
 */
#include <linux/ioport.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include "devmm.h"
#include "policy.h"

static struct devmm_chunk *pgmap_chunk(struct dev_pagemap *pgmap)
{
	return container_of(pgmap, struct devmm_chunk, pgmap);
}

/* Whether @page is a device page of a devmm device. */
bool devmm_page_is_ours(struct page *page)
{
	return is_zone_device_page(page) && devmm_page_pgmap(page)->ops == &devmm_pgmap_ops;
}

static struct devmm_pginfo *pginfo(struct devmm_chunk *chunk, unsigned long pfn);

/*
 * The backend's storage slot of device page @dpage (devmm_pginfo.storage):
 * it lives beside the page, not in it, so that it outlasts the page's trips
 * through the free lists (which link pages through zone_device_data).
 */
struct page **devmm_page_storage(struct page *dpage)
{
	return &pginfo(pgmap_chunk(devmm_page_pgmap(dpage)), page_to_pfn(dpage))->storage;
}

/*
 * The storage slot of page @i of the 2 MiB block of device memory that
 * holds @dpage, a page in use (so its chunk is known), or NULL if that page
 * is not in @dpage's chunk: the backend fills a block's slots at once.
 */
struct page **devmm_block_storage(struct page *dpage, unsigned long i)
{
	struct devmm_chunk *chunk = pgmap_chunk(devmm_page_pgmap(dpage));
	unsigned long pfn = ALIGN_DOWN(page_to_pfn(dpage), 1UL << DEVMM_PMD_ORDER) + i;

	/* Chunks are section-aligned: the block never leaves its chunk. */
	if (pfn < chunk->pfn_first || pfn >= chunk->pfn_first + DEVMM_CHUNK_PAGES)
		return NULL;
	return &pginfo(chunk, pfn)->storage;
}

/* The device of a devmm device page that is in use. */
struct devmm_device *devmm_page_device(struct page *page)
{
	return pgmap_chunk(devmm_page_pgmap(page))->dev;
}

static unsigned long capacity_pages(struct devmm_device *dev)
{
	return dev->capacity >> PAGE_SHIFT;
}

/*
 * Whether @n more pages fit on @dev without eviction, as it stands now (a
 * hint: others may allocate meanwhile).
 */
bool devmm_page_room(struct devmm_device *dev, unsigned long n)
{
	return READ_ONCE(dev->nused) + n <= capacity_pages(dev);
}

/* Whether @dev hands out PMD-sized folios (private memory on 7.x). */
bool devmm_device_has_large(struct devmm_device *dev)
{
	return DEVMM_CAN_LARGE_FOLIOS && dev->kind == DEVMM_PRIVATE;
}

static void push_page(struct page **list, struct page *page)
{
	page->zone_device_data = *list;
	*list = page;
}

static struct page *pop_page(struct page **list)
{
	struct page *page = *list;

	if (page)
		*list = page->zone_device_data;
	return page;
}

/*
 * A free page of @order (0 or the PMD order), under free_lock.  Single
 * pages come from their own list, else from breaking up a large block;
 * large blocks are never re-assembled, so fragmentation only ever makes
 * large allocations fall back to single pages.
 */
static struct page *take_free(struct devmm_device *dev, unsigned int order)
{
	struct page *page;
	unsigned long i;

	if (order)
		return pop_page(&dev->free_large);
	page = pop_page(&dev->free_list);
	if (page)
		return page;
	page = pop_page(&dev->free_large);
	if (!page)
		return NULL;
	for (i = (1UL << DEVMM_PMD_ORDER) - 1; i > 0; i--)
		push_page(&dev->free_list, page + i);
	return page;
}

/* Eviction rounds an allocation may run to make room before it fails. */
#define DEVMM_ALLOC_EVICTIONS	8

/* Less free than this (and room for more) maps the next chunk ahead of need. */
#define DEVMM_GROW_BELOW	(DEVMM_CHUNK_PAGES / 2)

/* Map one more chunk of device memory; called with chunks_lock held. */
/*
 * Queue the background growth on another CPU than the caller's: it maps a
 * chunk and zeroes storage ahead (storage_ahead()), work that would
 * otherwise take the CPU of the process about to use the device.
 */
static void grow_queue(struct devmm_device *dev)
{
	queue_work_on(devmm_next_cpu(raw_smp_processor_id()), devmm_helper_wq, &dev->grow_work);
}

static int devmm_chunk_add(struct devmm_device *dev)
{
	struct devmm_chunk *chunk;
	struct resource *res;
	unsigned long i;
	void *addr;
	int ret;

	/* Torn down (a DESTROY won the race with an allocation). */
	if (!dev->chunks)
		return -ENODEV;
	if (dev->nchunks >= dev->max_chunks)
		return -ENOSPC;
	chunk = kzalloc(sizeof(*chunk), GFP_KERNEL);
	if (!chunk)
		return -ENOMEM;
	chunk->info = kvcalloc(DEVMM_CHUNK_PAGES, sizeof(*chunk->info), GFP_KERNEL);
	if (!chunk->info) {
		kfree(chunk);
		return -ENOMEM;
	}
	if (dev->kind == DEVMM_PRIVATE) {
		res = request_free_mem_region(&iomem_resource, DEVMM_CHUNK_SIZE, "devmm");
		if (IS_ERR(res)) {
			ret = PTR_ERR(res);
			goto err_free;
		}
		chunk->pgmap.type = MEMORY_DEVICE_PRIVATE;
	} else {
		res = request_mem_region(dev->base + (u64)dev->nchunks * DEVMM_CHUNK_SIZE,
					 DEVMM_CHUNK_SIZE, "devmm");
		if (!res) {
			pr_err("device %u: its range at 0x%llx is claimed by someone else\n",
			       dev->id, (u64)dev->base);
			ret = -EBUSY;
			goto err_free;
		}
		chunk->pgmap.type = MEMORY_DEVICE_COHERENT;
	}
	chunk->pgmap.range.start = res->start;
	chunk->pgmap.range.end = res->end;
	chunk->pgmap.nr_range = 1;
	chunk->pgmap.ops = &devmm_pgmap_ops;
	chunk->pgmap.owner = dev;
	addr = memremap_pages(&chunk->pgmap, numa_node_id());
	if (IS_ERR(addr)) {
		ret = PTR_ERR(addr);
		pr_err("device %u: memremap_pages of [%pa-%pa] failed (%d)\n", dev->id,
		       &res->start, &res->end, ret);
		goto err_release;
	}
	chunk->dev = dev;
	chunk->res = res;
	chunk->pfn_first = PHYS_PFN(res->start);

	spin_lock_irq(&dev->free_lock);
	if (devmm_device_has_large(dev)) {
		for (i = DEVMM_CHUNK_PAGES; i > 0;) {
			i -= 1UL << DEVMM_PMD_ORDER;
			push_page(&dev->free_large, pfn_to_page(chunk->pfn_first + i));
		}
	} else {
		for (i = DEVMM_CHUNK_PAGES; i-- > 0;)
			push_page(&dev->free_list, pfn_to_page(chunk->pfn_first + i));
	}
	dev->nfree += DEVMM_CHUNK_PAGES;
	dev->chunks[dev->nchunks++] = chunk;
	spin_unlock_irq(&dev->free_lock);
	return 0;

err_release:
	release_mem_region(res->start, resource_size(res));
err_free:
	kvfree(chunk->info);
	kfree(chunk);
	return ret;
}

static struct devmm_chunk *pfn_chunk(struct devmm_device *dev, unsigned long pfn)
{
	unsigned int i;

	for (i = 0; i < dev->nchunks; i++) {
		struct devmm_chunk *c = dev->chunks[i];

		if (pfn >= c->pfn_first && pfn < c->pfn_first + DEVMM_CHUNK_PAGES)
			return c;
	}
	return NULL;
}

static struct devmm_pginfo *pginfo(struct devmm_chunk *chunk, unsigned long pfn)
{
	return &chunk->info[pfn - chunk->pfn_first];
}

/*
 * Processes that are exiting and still hold pages of @dev, each as long as
 * it frees memory (its device pages or its resident memory changed within a
 * second): how many.  One that freed nothing for a second is given up on for
 * good (a fork child still maps the pages it migrated).
 */
static unsigned int exiting_owners(struct devmm_device *dev)
{
	unsigned int n = 0;
	struct devmm_owner *o;
	unsigned long rss;

	spin_lock_irq(&dev->free_lock);
	list_for_each_entry(o, &dev->owners, node) {
		if (!o->pages || o->exit_stuck || atomic_read(&o->mm->mm_users))
			continue;
		rss = get_mm_rss(o->mm);
		if (!o->exit_seen || o->pages != o->exit_pages || rss != o->exit_rss) {
			o->exit_pages = o->pages;
			o->exit_rss = rss;
			o->exit_seen = jiffies ?: 1;
		} else if (time_after(jiffies, o->exit_seen + HZ)) {
			o->exit_stuck = true;
			continue;
		}
		n++;
	}
	spin_unlock_irq(&dev->free_lock);
	return n;
}

/*
 * Full, and eviction made no room.  Eviction cannot take the pages of a
 * process that is exiting (its address space is going), but its teardown
 * is about to free them: a new job on the device must not fail because the
 * last one was killed a moment ago.  Wait, killably, while such a process
 * frees memory (exiting_owners()).  True: try again.
 */
static bool wait_exiting_owners(struct devmm_device *dev, unsigned long n)
{
	bool waited = false;

	while (exiting_owners(dev)) {
		if (wait_event_killable_timeout(dev->free_wait, READ_ONCE(dev->dying) ||
						READ_ONCE(dev->nused) + n <= capacity_pages(dev),
						HZ / 4))
			return !fatal_signal_pending(current);
		waited = true;
	}
	return waited;
}

/**
 * devmm_page_alloc - allocate a device folio
 * @dev: a device with memory.
 * @order: 0, or the PMD order where devmm_device_has_large().
 * @owner: the process whose memory will move into the folio, or NULL for
 *	memory the device keeps for itself (an mmap buffer: never evicted).
 * @addr: where @owner has that memory.
 * @locked_mm: the mm whose mmap_lock the caller holds (eviction to make
 *	room must not try to take it again).
 * @may_wait: the device full of an exiting process's pages, wait for them to
 *	be freed (not for speculative work such as prefetch).
 *
 * Return: the folio's first page, locked, with one reference and backing
 * storage; or ERR_PTR(-ENOSPC) when the device is at capacity or (for a
 * large folio) has no free large block, -ENODEV when it is going away,
 * -ENOMEM when the backend has no storage.
 */
struct page *devmm_page_alloc(struct devmm_device *dev, unsigned int order,
			      struct devmm_owner *owner, unsigned long addr,
			      struct mm_struct *locked_mm, bool may_wait)
{
	unsigned long n = 1UL << order;
	struct devmm_chunk *chunk = NULL;
	unsigned int evictions = 0;
	struct page *page;
	int ret;

	for (;;) {
		spin_lock_irq(&dev->free_lock);
		if (dev->dying) {
			spin_unlock_irq(&dev->free_lock);
			return ERR_PTR(-ENODEV);
		}
		if (dev->nused + n > capacity_pages(dev)) {
			spin_unlock_irq(&dev->free_lock);
			/*
			 * Full: make room by evicting a batch of the pages the
			 * device needs least, then try again.
			 */
			if (evictions++ < DEVMM_ALLOC_EVICTIONS &&
			    devmm_evict_room(dev, n, locked_mm))
				continue;
			if (may_wait && wait_exiting_owners(dev, n))
				continue;
			return ERR_PTR(-ENOSPC);
		}
		page = take_free(dev, order);
		if (page) {
			struct devmm_pginfo *info;

			dev->nfree -= n;
			dev->nused += n;
			if (dev->nfree < DEVMM_GROW_BELOW && dev->nchunks < dev->max_chunks)
				grow_queue(dev);
			dev->used_max = max(dev->used_max, dev->nused);
			chunk = pfn_chunk(dev, page_to_pfn(page));
			chunk->used += n;
			info = pginfo(chunk, page_to_pfn(page));
			info->owner = owner;
			info->addr = addr;
			/*
			 * Newest: at the tail of the policy's list.
			 * Buffer pages are never evicted: they stay off it, so
			 * that picking victims never walks them with
			 * interrupts off.  They are counted with nused, so
			 * that used_pages() never wraps.
			 */
			if (owner) {
				owner->pages += n;
				devmm_policy_added(dev, info);
			} else {
				dev->buffer_pages += n;
				INIT_LIST_HEAD(&info->lru);
			}
			spin_unlock_irq(&dev->free_lock);
			break;
		}
		spin_unlock_irq(&dev->free_lock);

		mutex_lock(&dev->chunks_lock);
		ret = READ_ONCE(dev->free_large) || (!order && READ_ONCE(dev->free_list)) ? 0 :
		      devmm_chunk_add(dev);
		mutex_unlock(&dev->chunks_lock);
		if (ret)
			return ERR_PTR(ret);
	}

	page->zone_device_data = NULL;
	devmm_zone_device_page_init(page, &chunk->pgmap, order);
	ret = dev->ops->alloc(dev, page, order);
	if (ret) {
		/* The free callback returns the folio to the free lists. */
		unlock_page(page);
		put_page(page);
		return ERR_PTR(ret);
	}
	return page;
}

/**
 * devmm_page_free - a device folio's refcount dropped to zero
 * @page: its head page.
 * @order: its order.
 *
 * Called by the pagemap free callback, possibly in atomic context.
 */
void devmm_page_free(struct page *page, unsigned int order)
{
	struct devmm_chunk *chunk = pgmap_chunk(devmm_page_pgmap(page));
	struct devmm_pginfo *info = pginfo(chunk, page_to_pfn(page));
	struct devmm_device *dev = chunk->dev;
	unsigned long i, n = 1UL << order, flags;

	dev->ops->free(dev, page, order);
	spin_lock_irqsave(&dev->free_lock, flags);
	devmm_policy_removed(dev, info);
	/* The owner entry itself goes in process context (devmm_owners_put). */
	if (info->owner)
		info->owner->pages -= n;
	else
		dev->buffer_pages -= n;
	info->owner = NULL;
	if (order == DEVMM_PMD_ORDER && devmm_device_has_large(dev))
		push_page(&dev->free_large, page);
	else
		for (i = 0; i < n; i++)
			push_page(&dev->free_list, page + i);
	dev->nfree += n;
	dev->nused -= n;
	chunk->used -= n;
	spin_unlock_irqrestore(&dev->free_lock, flags);
	if (wq_has_sleeper(&dev->free_wait))
		wake_up(&dev->free_wait);
}

/* pgmap folio_split: @tail now starts a folio split off the one at @head. */
void devmm_page_split(struct page *head, struct page *tail)
{
	struct devmm_chunk *chunk = pgmap_chunk(devmm_page_pgmap(head));
	struct devmm_pginfo *hi = pginfo(chunk, page_to_pfn(head));
	struct devmm_pginfo *ti = pginfo(chunk, page_to_pfn(tail));
	struct devmm_device *dev = chunk->dev;
	unsigned long flags;

	dev->ops->split(dev, head, tail);
	/*
	 * The new folio takes the recency and owner of the one it was part
	 * of; the owner's page count does not change.
	 */
	spin_lock_irqsave(&dev->free_lock, flags);
	ti->owner = hi->owner;
	ti->addr = hi->addr + ((page_to_pfn(tail) - page_to_pfn(head)) << PAGE_SHIFT);
	devmm_policy_split(dev, hi, ti);
	spin_unlock_irqrestore(&dev->free_lock, flags);
}

/* @page, just allocated for a migration, was fetched ahead of need. */
void devmm_page_mark_prefetched(struct page *page)
{
	struct devmm_chunk *chunk = pgmap_chunk(devmm_page_pgmap(page));
	struct devmm_device *dev = chunk->dev;
	unsigned long flags;

	spin_lock_irqsave(&dev->free_lock, flags);
	pginfo(chunk, page_to_pfn(page))->prefetched = 1;
	spin_unlock_irqrestore(&dev->free_lock, flags);
}

/* The policy entry of the folio of @page, a devmm page. */
static struct devmm_pginfo *page_info(struct page *page)
{
	return pginfo(pgmap_chunk(devmm_page_pgmap(page)), folio_pfn(page_folio(page)));
}

/**
 * devmm_page_touch - the device used @page (the policy may reorder it)
 * @page: a page in use of a devmm device.
 */
void devmm_page_touch(struct page *page)
{
	devmm_policy_accessed(devmm_page_device(page), page_info(page));
}

/*
 * Folios whose access one hold of free_lock records (with interrupts off):
 * a copy's worth, without holding up the device's frees for long.
 */
#define TOUCH_BATCH	64

/*
 * Record the accesses of @pages[i..n) under one hold of @dev's free_lock, up
 * to TOUCH_BATCH of them or the first page of another device: returns where
 * it stopped.
 */
static unsigned long touch_batch(struct devmm_device *dev, struct page **pages,
				 unsigned long i, unsigned long n)
{
	unsigned long flags, batch = 0;
	struct devmm_pginfo *info;

	spin_lock_irqsave(&dev->free_lock, flags);
	for (; i < n && batch < TOUCH_BATCH; i++) {
		if (!devmm_page_is_ours(pages[i]))
			continue;
		if (devmm_page_device(pages[i]) != dev)
			break;
		info = page_info(pages[i]);
		if (devmm_policy_access_matters(dev, info)) {
			devmm_policy_accessed_locked(dev, info);
			batch++;
		}
	}
	spin_unlock_irqrestore(&dev->free_lock, flags);
	return i;
}

/**
 * devmm_pages_touch - the device used @pages[0..n), in this order
 * @pages: pages of a copy, devmm's or not (those are skipped).
 * @n: how many.
 *
 * As devmm_page_touch() on each, in order, with free_lock taken once per
 * batch rather than per page: the caller records the accesses of a copy it
 * shared with helpers, whose own order would vary from run to run.
 */
void devmm_pages_touch(struct page **pages, unsigned long n)
{
	unsigned long i = 0;

	while (i < n) {
		struct devmm_device *dev;

		if (!devmm_page_is_ours(pages[i])) {
			i++;
			continue;
		}
		dev = devmm_page_device(pages[i]);
		/* The lock only for what the policy or the counters want. */
		if (!devmm_policy_access_matters(dev, page_info(pages[i]))) {
			i++;
			continue;
		}
		i = touch_batch(dev, pages, i, n);
	}
}

/* The pfn of the page @info describes (0 if none: a bug); free_lock held. */
unsigned long devmm_info_pfn(struct devmm_device *dev, struct devmm_pginfo *info)
{
	unsigned int i;

	for (i = 0; i < dev->nchunks; i++) {
		struct devmm_chunk *c = dev->chunks[i];

		if (info >= c->info && info < c->info + DEVMM_CHUNK_PAGES)
			return c->pfn_first + (info - c->info);
	}
	return 0;
}

/**
 * devmm_set_capacity - change how much memory a device may hold
 * @dev: a private or coherent device.
 * @capacity: bytes, page-aligned; a coherent device cannot grow past its
 *	range.
 *
 * Shrinking evicts down to the new size.
 * Return: 0, -EINVAL for a bad size, or -EBUSY if pages that cannot move
 * keep the device above the new capacity (the capacity is set anyway).
 */
int devmm_set_capacity(struct devmm_device *dev, u64 capacity)
{
	unsigned long used, mapped, limit;
	unsigned int passes = 0;

	if (!capacity || !PAGE_ALIGNED(capacity) || capacity > DEVMM_MAX_CAPACITY ||
	    (dev->kind == DEVMM_COHERENT && capacity > dev->size))
		return -EINVAL;
	if (dev->kind == DEVMM_PRIVATE) {
		unsigned int want = DIV_ROUND_UP(capacity, DEVMM_CHUNK_SIZE);

		mutex_lock(&dev->chunks_lock);
		if (!dev->chunks) {	/* torn down meanwhile */
			mutex_unlock(&dev->chunks_lock);
			return -ENODEV;
		}
		if (want > dev->max_chunks) {
			struct devmm_chunk **c = kcalloc(want, sizeof(*c), GFP_KERNEL), **old;

			if (!c) {
				mutex_unlock(&dev->chunks_lock);
				return -ENOMEM;
			}
			/* The free callback and victim picking read it under free_lock. */
			spin_lock_irq(&dev->free_lock);
			memcpy(c, dev->chunks, dev->nchunks * sizeof(*c));
			old = dev->chunks;
			dev->chunks = c;
			dev->max_chunks = want;
			spin_unlock_irq(&dev->free_lock);
			kfree(old);
		}
		mutex_unlock(&dev->chunks_lock);
	}
	spin_lock_irq(&dev->free_lock);
	dev->capacity = capacity;
	spin_unlock_irq(&dev->free_lock);
	limit = capacity >> PAGE_SHIFT;
	for (;;) {
		devmm_device_usage(dev, &used, &mapped);
		if (used <= limit)
			return 0;
		if (passes++ >= 16)
			return -EBUSY;
		devmm_evict(dev, used - limit, NULL);
	}
}

void devmm_device_usage(struct devmm_device *dev, unsigned long *used, unsigned long *mapped)
{
	spin_lock_irq(&dev->free_lock);
	*used = dev->nused;
	*mapped = (unsigned long)dev->nchunks * DEVMM_CHUNK_PAGES;
	spin_unlock_irq(&dev->free_lock);
}

/*
 * Backing storage ahead of need.  The fake backend gives each private device
 * page a system page for its contents at the page's first use, which the
 * page allocator zeroes first (init_on_alloc, on in Debian's kernels): the
 * first migration into a new device paid for that, on the caller, before
 * its copy (make bench: the cold cells with THP sources, up to a third
 * slower than warm).  So the worker that maps a chunk ahead also gives its
 * first DEVMM_STORAGE_AHEAD bytes (at most the capacity) their storage, a
 * 2 MiB block at a time, the last block first: the pages of a new chunk go
 * out in address order, so a migration that starts meanwhile takes its
 * blocks from the other end.  Counted in storage_ahead; the storage stays
 * the device page's, as it would after its first use, until the device
 * goes away.
 */
#define DEVMM_STORAGE_AHEAD	(64UL << 20)

static void storage_ahead(struct devmm_device *dev, struct devmm_chunk *chunk, unsigned int index)
{
	u64 before = (u64)index * DEVMM_CHUNK_SIZE, cap = READ_ONCE(dev->capacity);
	unsigned long nb = min_t(u64, DEVMM_STORAGE_AHEAD, cap > before ? cap - before : 0) >>
			   PMD_SHIFT;
	int ret;

	while (nb-- > 0 && !READ_ONCE(dev->dying)) {
		ret = dev->ops->alloc_ahead(dev, pfn_to_page(chunk->pfn_first +
							    (nb << DEVMM_PMD_ORDER)));
		if (ret < 0)
			break;
		if (ret)
			atomic64_add(PMD_SIZE, &dev->stats.storage_ahead);
		cond_resched();
	}
}

/*
 * Map the next chunk before an allocation needs it: memremap_pages() of a
 * chunk costs as much as migrating a few MiB, and the first migration
 * after CREATE would otherwise wait for it.  Queued at creation and when
 * the free pages run low; a no-op once the device is full or going away.
 */
static void devmm_pagemap_grow(struct work_struct *work)
{
	struct devmm_device *dev = container_of(work, struct devmm_device, grow_work);
	struct devmm_chunk *chunk = NULL;
	unsigned int index = 0;

	mutex_lock(&dev->chunks_lock);
	if (!READ_ONCE(dev->dying) && READ_ONCE(dev->nfree) < DEVMM_GROW_BELOW &&
	    dev->chunks && dev->nchunks < dev->max_chunks && !devmm_chunk_add(dev)) {
		atomic64_inc(&dev->stats.chunks_ahead);
		index = dev->nchunks - 1;
		chunk = dev->chunks[index];
	}
	mutex_unlock(&dev->chunks_lock);
	/* Teardown cancels this work before it unmaps the chunk. */
	if (chunk && dev->ops->alloc_ahead)
		storage_ahead(dev, chunk, index);
}

/**
 * devmm_pagemap_init - prepare a new device with memory
 * @dev: the device.
 * @populate: map all of its memory now rather than on demand.
 *
 * Return: 0 or a negative errno.
 */
int devmm_pagemap_init(struct devmm_device *dev, bool populate)
{
	u64 span = dev->kind == DEVMM_PRIVATE ? dev->capacity : dev->size;
	int ret = 0;

	INIT_WORK(&dev->grow_work, devmm_pagemap_grow);
	dev->max_chunks = DIV_ROUND_UP(span, DEVMM_CHUNK_SIZE);
	dev->chunks = kcalloc(dev->max_chunks, sizeof(*dev->chunks), GFP_KERNEL);
	dev->evict_batch = devmm_window_alloc(DEVMM_WINDOW_PAGES);
	dev->victims = kvcalloc(DEVMM_EVICT_PASS_MAX, sizeof(*dev->victims), GFP_KERNEL);
	if (!dev->chunks || !dev->evict_batch || !dev->victims)
		return -ENOMEM;
	mutex_lock(&dev->chunks_lock);
	while (populate && !ret && dev->nchunks < dev->max_chunks)
		ret = devmm_chunk_add(dev);
	mutex_unlock(&dev->chunks_lock);
	if (!ret && !populate)
		grow_queue(dev);
	return ret;
}

/**
 * devmm_pagemap_teardown - unmap every chunk of a device
 * @dev: a device all of whose pages are free (devmm_evict_all() succeeded).
 *
 * memunmap_pages() waits for every page of a pagemap to be freed, so this
 * must only run once nothing is in use.
 */
void devmm_pagemap_teardown(struct devmm_device *dev)
{
	unsigned int i;

	/* Nothing queues it once the device is dying. */
	cancel_work_sync(&dev->grow_work);
	mutex_lock(&dev->chunks_lock);
	for (i = 0; dev->chunks && i < dev->nchunks; i++) {
		struct devmm_chunk *chunk = dev->chunks[i];
		unsigned long j;

		WARN_ON(chunk->used);
		memunmap_pages(&chunk->pgmap);
		for (j = 0; j < DEVMM_CHUNK_PAGES; j++)
			if (chunk->info[j].storage)
				dev->ops->release(dev, chunk->info[j].storage);
		release_mem_region(chunk->res->start, resource_size(chunk->res));
		kvfree(chunk->info);
		kfree(chunk);
	}
	dev->nchunks = 0;
	dev->free_list = NULL;
	dev->free_large = NULL;
	dev->nfree = 0;
	kfree(dev->chunks);
	dev->chunks = NULL;
	mutex_unlock(&dev->chunks_lock);
	/*
	 * An eviction that started before the device was marked dying (an
	 * EVICT of everything, a RELEASE) may still be using these: wait for
	 * it; the next one finds them gone (devmm_evict_begin()).
	 */
	mutex_lock(&dev->evict_lock);
	devmm_window_free(dev->evict_batch);
	dev->evict_batch = NULL;
	kvfree(dev->victims);
	dev->victims = NULL;
	mutex_unlock(&dev->evict_lock);
}
