// SPDX-License-Identifier: GPL-2.0
/*
 * vmf_insert_mixed_mkwrite(vma, addr, pfn_t) and PFN_SPECIAL: a special PTE
 * made writable, dirty and young in one step (6.1; declared but no longer
 * exported later, hence also an export check).
 */
#include <linux/mm.h>
#include <linux/pfn_t.h>

vm_fault_t (*devmm_probe_fn)(struct vm_area_struct *, unsigned long, pfn_t) =
	vmf_insert_mixed_mkwrite;
const u64 devmm_probe_flag = PFN_SPECIAL;
