// SPDX-License-Identifier: GPL-2.0
/* vm_flags_set(): vma->vm_flags became read-only to plain stores (6.3). */
#include <linux/mm.h>

void devmm_probe(struct vm_area_struct *vma);
void devmm_probe(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_DONTDUMP);
}
