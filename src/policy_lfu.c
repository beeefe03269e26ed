// SPDX-License-Identifier: GPL-2.0
/*
 * LFU: the folio the device accessed least often (counting its migration
 * as one access) goes first; among equals, the least recently migrated.
 * A pick takes the folios of the smallest count in list order, then those
 * of the next count: one pass over the list per count.
 */
#include "policy.h"

static void lfu_accessed(struct devmm_device *dev, struct devmm_pginfo *info)
{
	if (info->count < U32_MAX)
		info->count++;
}

/* The smallest count among the folios not taken yet. */
static bool lfu_min(struct devmm_pick *pk, u32 *min)
{
	struct devmm_pginfo *info;
	bool found = false;

	list_for_each_entry(info, &pk->dev->lru, lru) {
		if (devmm_pick_taken(pk, info) || (found && info->count >= *min))
			continue;
		*min = info->count;
		found = true;
	}
	return found;
}

static struct devmm_pginfo *lfu_next(struct devmm_pick *pk)
{
	struct list_head *head = &pk->dev->lru;

	while (pk->untaken) {
		if (!pk->lfu_valid) {
			if (!lfu_min(pk, &pk->lfu_count))
				return NULL;
			pk->lfu_cur = head->next;
			pk->lfu_valid = true;
		}
		while (pk->lfu_cur != head) {
			struct devmm_pginfo *info = list_entry(pk->lfu_cur, struct devmm_pginfo,
							       lru);

			pk->lfu_cur = pk->lfu_cur->next;
			if (!devmm_pick_taken(pk, info) && info->count == pk->lfu_count)
				return info;
		}
		/* Every folio of this count is taken: the next count. */
		pk->lfu_valid = false;
	}
	return NULL;
}

const struct devmm_policy_ops devmm_policy_lfu = {
	.name = "lfu",
	.accessed = lfu_accessed,
	.next = lfu_next,
};
