// SPDX-License-Identifier: GPL-2.0
/*
 * LRU (least recently migrated or accessed first) and FIFO (least recently
 * migrated first): the list's order is the policy; victims come from its
 * head.
 */
#include "policy.h"

static void lru_accessed(struct devmm_device *dev, struct devmm_pginfo *info)
{
	list_move_tail(&info->lru, &dev->lru);
}

const struct devmm_policy_ops devmm_policy_lru = {
	.name = "lru",
	.accessed = lru_accessed,
	.next = devmm_pick_head,
};

const struct devmm_policy_ops devmm_policy_fifo = {
	.name = "fifo",
	.next = devmm_pick_head,
};
