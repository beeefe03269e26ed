// SPDX-License-Identifier: GPL-2.0
/*
 * UVM-like: as NVIDIA's UVM driver evicts by default, the 2 MiB block
 * migrated to the device longest ago goes first, whole: recency is set when
 * memory arrives, not when the device touches it.
 */
#include "policy.h"

const struct devmm_policy_ops devmm_policy_uvm = {
	.name = "uvm",
	.next = devmm_pick_head,
	.block_unit = true,
};
