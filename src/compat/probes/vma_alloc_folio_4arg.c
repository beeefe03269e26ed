// SPDX-License-Identifier: GPL-2.0
/* vma_alloc_folio(gfp, order, vma, addr): no hugepage argument (6.15+ era). */
#include <linux/gfp.h>
#include <linux/mm.h>

struct folio *devmm_probe(struct vm_area_struct *vma);
struct folio *devmm_probe(struct vm_area_struct *vma)
{
	return vma_alloc_folio(GFP_HIGHUSER_MOVABLE, 9, vma, 0);
}
