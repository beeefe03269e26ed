// SPDX-License-Identifier: GPL-2.0
/*
 * CLOCK (second chance): FIFO order, but a folio the device accessed since
 * the hand last passed goes round once more, its reference bit cleared.
 */
#include "policy.h"

static void clock_accessed(struct devmm_device *dev, struct devmm_pginfo *info)
{
	info->ref = 1;
}

static struct devmm_pginfo *clock_next(struct devmm_pick *pk)
{
	struct devmm_device *dev = pk->dev;
	unsigned long steps;

	/* One turn clears every bit: a victim comes within two. */
	for (steps = 0; steps < 2 * dev->nfolios; steps++) {
		struct devmm_pginfo *info = devmm_pick_head(pk);

		if (!info)
			return NULL;
		if (!info->ref)
			return info;
		info->ref = 0;
		list_move_tail(&info->lru, &dev->lru);
	}
	return NULL;
}

const struct devmm_policy_ops devmm_policy_clock = {
	.name = "clock",
	.accessed = clock_accessed,
	.next = clock_next,
};
