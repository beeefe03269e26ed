// SPDX-License-Identifier: GPL-2.0
/*
 * RANDOM: a victim uniformly at random among the folios in use, from a
 * seeded xorshift64 sequence (DEVMM_IOC_SETTINGS), so that a replay picks
 * the same victims every time.  Costs a walk of the list per victim.
 */
#include "policy.h"

static u64 xorshift64(u64 *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static struct devmm_pginfo *random_next(struct devmm_pick *pk)
{
	struct devmm_pginfo *info;
	unsigned long k;

	if (!pk->untaken)
		return NULL;
	k = xorshift64(&pk->dev->rng) % pk->untaken;
	list_for_each_entry(info, &pk->dev->lru, lru) {
		if (devmm_pick_taken(pk, info))
			continue;
		if (!k--)
			return info;
	}
	return NULL;
}

const struct devmm_policy_ops devmm_policy_random = {
	.name = "random",
	.next = random_next,
};
