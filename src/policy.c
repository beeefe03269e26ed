// SPDX-License-Identifier: GPL-2.0
/*
 * The device's folios in use, in the order of its eviction policy
 * (policy_*.c), and the choice of victims.  A pick takes folios as the
 * policy names them until the batch is full (the first whatever its size),
 * each sent to the back of the list, so that one that cannot move now does
 * not block the next pass.  With whole blocks, a victim brings along the
 * other folios of its process's 2 MiB block.
 */
#include "policy.h"

static const struct devmm_policy_ops *const policies[] = {
	[DEVMM_POLICY_LRU] = &devmm_policy_lru,
	[DEVMM_POLICY_FIFO] = &devmm_policy_fifo,
	[DEVMM_POLICY_CLOCK] = &devmm_policy_clock,
	[DEVMM_POLICY_RANDOM] = &devmm_policy_random,
	[DEVMM_POLICY_LFU] = &devmm_policy_lfu,
	[DEVMM_POLICY_UVM] = &devmm_policy_uvm,
};

static const struct devmm_policy_ops *policy_ops(struct devmm_device *dev)
{
	BUILD_BUG_ON(ARRAY_SIZE(policies) != DEVMM_POLICY_MAX + 1);
	return policies[min_t(unsigned int, READ_ONCE(dev->policy), DEVMM_POLICY_MAX)];
}

/**
 * devmm_policy_set - change a device's policy, seed or unit
 * @dev: the device.
 * @mask: DEVMM_SET_* of the fields below to change.
 * @policy: DEVMM_POLICY_*.
 * @unit: DEVMM_EVICT_UNIT_*.
 * @seed: the random policy's seed; setting it or the policy starts it again.
 */
void devmm_policy_set(struct devmm_device *dev, u32 mask, unsigned int policy,
		      unsigned int unit, u64 seed)
{
	spin_lock_irq(&dev->free_lock);
	if (mask & DEVMM_SET_POLICY)
		WRITE_ONCE(dev->policy, policy);
	if (mask & DEVMM_SET_EVICT_UNIT)
		WRITE_ONCE(dev->evict_unit, unit);
	if (mask & DEVMM_SET_SEED)
		dev->seed = seed;
	/* Odd, never 0, and a different sequence for every seed. */
	if (mask & (DEVMM_SET_POLICY | DEVMM_SET_SEED))
		dev->rng = 2 * dev->seed + 1;
	spin_unlock_irq(&dev->free_lock);
}

/* A folio came into use (free_lock held): the newest. */
void devmm_policy_added(struct devmm_device *dev, struct devmm_pginfo *info)
{
	info->count = 1;
	info->ref = 0;
	info->picked = 0;
	info->prefetched = 0;
	list_add_tail(&info->lru, &dev->lru);
	dev->nfolios++;
}

/* A folio left use (free_lock held). */
void devmm_policy_removed(struct devmm_device *dev, struct devmm_pginfo *info)
{
	if (list_empty(&info->lru))
		return;
	list_del_init(&info->lru);
	dev->nfolios--;
	if (info->prefetched)
		atomic64_inc(&dev->stats.prefetch_waste);
}

/* @tail split off the folio at @head (free_lock held): it inherits its place. */
void devmm_policy_split(struct devmm_device *dev, struct devmm_pginfo *head,
			struct devmm_pginfo *tail)
{
	tail->count = head->count;
	tail->ref = head->ref;
	tail->prefetched = 0;
	tail->picked = 0;
	/* A folio off the list (an mmap buffer's) splits into folios off it. */
	if (list_empty(&head->lru)) {
		INIT_LIST_HEAD(&tail->lru);
		return;
	}
	list_add(&tail->lru, &head->lru);
	dev->nfolios++;
}

/* Whether an access to the folio of @info means anything to the policy or the counters. */
bool devmm_policy_access_matters(struct devmm_device *dev, struct devmm_pginfo *info)
{
	return policy_ops(dev)->accessed || READ_ONCE(info->prefetched);
}

/* The device accessed the folio of @info (free_lock held). */
void devmm_policy_accessed_locked(struct devmm_device *dev, struct devmm_pginfo *info)
{
	const struct devmm_policy_ops *ops = policy_ops(dev);

	/* Not (or no longer) in use: a buffer page, or freed meanwhile. */
	if (list_empty(&info->lru))
		return;
	if (info->prefetched) {
		info->prefetched = 0;
		atomic64_inc(&dev->stats.prefetch_hits);
	}
	if (ops->accessed)
		ops->accessed(dev, info);
}

/* The device accessed the folio of @info. */
void devmm_policy_accessed(struct devmm_device *dev, struct devmm_pginfo *info)
{
	unsigned long flags;

	if (!devmm_policy_access_matters(dev, info))
		return;
	spin_lock_irqsave(&dev->free_lock, flags);
	devmm_policy_accessed_locked(dev, info);
	spin_unlock_irqrestore(&dev->free_lock, flags);
}

struct pick_out {
	struct devmm_victim *v;
	unsigned long n, max_n, pages;
};

static void take(struct devmm_pick *pk, struct devmm_pginfo *info, unsigned long pfn,
		 unsigned long nr, struct pick_out *out)
{
	info->picked = pk->gen;
	pk->untaken--;
	list_move_tail(&info->lru, &pk->dev->lru);
	if (!info->owner)
		return;
	info->owner->users++;
	out->v[out->n++] = (struct devmm_victim){ pfn, nr, info->addr, info->owner };
	out->pages += nr;
}

static unsigned long folio_pages_of(unsigned long pfn)
{
	return folio_nr_pages(page_folio(pfn_to_page(pfn)));
}

/* The other folios of @first's process in its 2 MiB block, in list order. */
static void take_block(struct devmm_pick *pk, struct devmm_pginfo *first, struct pick_out *out)
{
	unsigned long base = ALIGN_DOWN(first->addr, PMD_SIZE);
	struct devmm_pginfo *info, *tmp;

	/* Folios taken go to the tail and come round again, taken: skipped. */
	list_for_each_entry_safe(info, tmp, &pk->dev->lru, lru) {
		unsigned long pfn;

		if (out->n == out->max_n)
			break;
		if (devmm_pick_taken(pk, info) || info->owner != first->owner ||
		    ALIGN_DOWN(info->addr, PMD_SIZE) != base)
			continue;
		pfn = devmm_info_pfn(pk->dev, info);
		if (WARN_ON_ONCE(!pfn))
			break;
		take(pk, info, pfn, folio_pages_of(pfn), out);
	}
}

/* One window of a pick: up to DEVMM_WINDOW_PAGES folios, @max_pages pages. */
static void pick_window(struct devmm_pick *pk, const struct devmm_policy_ops *ops, bool block,
			unsigned long max_pages, struct pick_out *out)
{
	struct devmm_pginfo *info;

	/*
	 * Full before asking the policy for more: its next() may have side
	 * effects (CLOCK's hand, RANDOM's sequence) that must not happen for
	 * a victim not taken.
	 */
	while (out->n < out->max_n && !(out->n && out->pages >= max_pages) &&
	       (info = ops->next(pk))) {
		unsigned long pfn = devmm_info_pfn(pk->dev, info), nr;

		if (WARN_ON_ONCE(!pfn))
			break;
		nr = folio_pages_of(pfn);
		if (out->n && out->pages + nr > max_pages)
			break;
		take(pk, info, pfn, nr, out);
		if (block)
			take_block(pk, info, out);
	}
}

/**
 * devmm_pick_victims - the folios to evict next, as the device's policy says
 * @dev: the device.
 * @v: filled with the chosen folios and where their owners map them; each
 *	has a user reference on its owner entry (devmm_owners_put() them).
 * @max_pages: how many pages the chosen folios may span in all (the first
 *	folio of a window is chosen whatever its size; whole blocks may go
 *	beyond).
 * @windows: how many windows of victims to pick (1 to
 *	DEVMM_EVICT_PASS_WINDOWS), each as a pick of its own would, with what
 *	the ones before took out of the way: the victims of @windows passes
 *	that all evict what they pick, taken at once so that CPUs can share
 *	them.
 *
 * Return: the number of folios chosen (at most @windows DEVMM_WINDOW_PAGES).
 */
unsigned long devmm_pick_victims(struct devmm_device *dev, struct devmm_victim *v,
				 unsigned long max_pages, unsigned int windows)
{
	const struct devmm_policy_ops *ops;
	unsigned long n = 0;
	struct devmm_pick pk;
	unsigned int w;
	bool block;

	spin_lock_irq(&dev->free_lock);
	ops = policy_ops(dev);
	block = ops->block_unit || dev->evict_unit == DEVMM_EVICT_UNIT_BLOCK;
	if (!++dev->pick_gen)
		dev->pick_gen++;
	pk = (struct devmm_pick){ .dev = dev, .gen = dev->pick_gen, .untaken = dev->nfolios };
	for (w = 0; w < windows && max_pages; w++) {
		struct pick_out out = { .v = v + n, .max_n = DEVMM_WINDOW_PAGES };

		pick_window(&pk, ops, block, min_t(unsigned long, max_pages, DEVMM_WINDOW_PAGES),
			    &out);
		if (!out.n)
			break;
		n += out.n;
		max_pages -= min(out.pages, max_pages);
	}
	spin_unlock_irq(&dev->free_lock);
	return n;
}
