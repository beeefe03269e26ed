/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Eviction policies: the order in which a full device gives up its folios.
 * Each policy is a table of operations (policy_*.c); policy.c keeps the
 * device's list of folios in use and picks victims with them.  Everything
 * here runs under the device's free_lock.
 */
#ifndef DEVMM_POLICY_H
#define DEVMM_POLICY_H

#include "devmm.h"

/* One pick of victims: folios are "taken" at most once per pick (@gen). */
struct devmm_pick {
	struct devmm_device *dev;
	u32 gen;
	unsigned long untaken;
	/* LFU: the count being taken, and where its scan stands. */
	u32 lfu_count;
	bool lfu_valid;
	struct list_head *lfu_cur;
};

/**
 * struct devmm_policy_ops - an eviction policy
 * @name: as libdevmm and devmmctl spell it (sysfs shows the number).
 * @accessed: the device accessed the folio (NULL: nothing to do, and the
 *	lock is not even taken).
 * @next: the next folio to take, or NULL when the policy has none left.
 * @block_unit: always evict whole 2 MiB blocks.
 */
struct devmm_policy_ops {
	const char *name;
	void (*accessed)(struct devmm_device *dev, struct devmm_pginfo *info);
	struct devmm_pginfo *(*next)(struct devmm_pick *pk);
	bool block_unit;
};

extern const struct devmm_policy_ops devmm_policy_lru, devmm_policy_fifo, devmm_policy_clock,
	devmm_policy_random, devmm_policy_lfu, devmm_policy_uvm;

/* Whether @info was taken in this pick. */
static inline bool devmm_pick_taken(const struct devmm_pick *pk, const struct devmm_pginfo *info)
{
	return info->picked == pk->gen;
}

/* The first folio of the list, or NULL if it was taken in this pick (or none). */
static inline struct devmm_pginfo *devmm_pick_head(struct devmm_pick *pk)
{
	struct devmm_pginfo *info;

	if (list_empty(&pk->dev->lru))
		return NULL;
	info = list_first_entry(&pk->dev->lru, struct devmm_pginfo, lru);
	return devmm_pick_taken(pk, info) ? NULL : info;
}

#endif
