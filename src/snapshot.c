// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots (the test_hmm ABI's HMM_DMIRROR_SNAPSHOT): the state of each
 * page of a range as the device's page table walk sees it, without faulting.
 */
#include <linux/devmm_hmm.h>
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "devmm.h"
#include "mirror.h"

/* The HMM_DMIRROR_PROT_* byte for one hmm pfn. */
static u8 snapshot_byte(struct devmm_mirror *m, unsigned long pfn)
{
	struct page *page;
	u8 b;

	if (pfn & HMM_PFN_ERROR)
		return HMM_DMIRROR_PROT_ERROR;
	if (!(pfn & HMM_PFN_VALID))
		return HMM_DMIRROR_PROT_NONE;
	page = hmm_pfn_to_page(pfn);
	if (is_zero_pfn(page_to_pfn(page)))
		b = HMM_DMIRROR_PROT_ZERO;
	else if (is_device_private_page(page))
		b = devmm_page_is_own(m, page) ? HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL :
					   HMM_DMIRROR_PROT_DEV_PRIVATE_REMOTE;
	else if (is_device_coherent_page(page))
		b = devmm_page_is_own(m, page) ? HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL :
					   HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE;
	else
		b = HMM_DMIRROR_PROT_NONE;
	b |= (pfn & HMM_PFN_WRITE) ? HMM_DMIRROR_PROT_WRITE : HMM_DMIRROR_PROT_READ;
	if (hmm_pfn_to_map_order(pfn) == PMD_SHIFT - PAGE_SHIFT)
		b |= HMM_DMIRROR_PROT_PMD;
	else if (hmm_pfn_to_map_order(pfn) == PUD_SHIFT - PAGE_SHIFT)
		b |= HMM_DMIRROR_PROT_PUD;
	return b;
}

static int consume_snapshot(struct devmm_mirror *m, struct hmm_range *range, void *out)
{
	unsigned long i, n = (range->end - range->start) >> PAGE_SHIFT;
	u8 *bytes = out;

	for (i = 0; i < n; i++)
		bytes[i] = snapshot_byte(m, range->hmm_pfns[i]);
	return 0;
}

/*
 * hmm_range_fault() without faulting reports a page another device holds as
 * not valid when a PTE maps it, but as an error when a PMD does (7.x's
 * hmm_vma_handle_absent_pmd()), so a snapshot through one device would call
 * another's large folio an error while its small pages are "none".  In a
 * readable anonymous VMA nothing else gives an error (it has no special
 * pages, and its only non-present PMDs are migration and device-private
 * entries), so there the error means "on another device": PROT_NONE, as for
 * a PTE.  Errors elsewhere (no VMA, PROT_NONE, VM_IO/VM_PFNMAP) stay.
 */
static void snapshot_fix_remote(struct mm_struct *mm, unsigned long start, u8 *bytes,
				unsigned long n)
{
	struct vm_area_struct *vma = NULL;
	unsigned long i, addr;

	mmap_read_lock(mm);
	for (i = 0; i < n; i++) {
		if (bytes[i] != HMM_DMIRROR_PROT_ERROR)
			continue;
		addr = start + (i << PAGE_SHIFT);
		if (!vma || addr < vma->vm_start || addr >= vma->vm_end)
			vma = vma_lookup(mm, addr);
		if (vma && vma_is_anonymous(vma) && (vma->vm_flags & VM_READ) &&
		    !(vma->vm_flags & (VM_IO | VM_PFNMAP)))
			bytes[i] = HMM_DMIRROR_PROT_NONE;
	}
	mmap_read_unlock(mm);
}

/**
 * devmm_mirror_snapshot - the state of each page, without faulting
 * @m: the mirror.
 * @start: page-aligned start.
 * @npages: number of pages.
 * @ubuf: @npages bytes of HMM_DMIRROR_PROT_* codes.
 *
 * Return: 0 or a negative errno.
 */
int devmm_mirror_snapshot(struct devmm_mirror *m, unsigned long start, unsigned long npages,
			  void __user *ubuf)
{
	unsigned long pfns[DEVMM_FAULT_PAGES];
	u8 bytes[DEVMM_FAULT_PAGES];
	struct hmm_range range = {
		.notifier = &m->notifier,
		.hmm_pfns = pfns,
		.dev_private_owner = m->dev,
	};
	unsigned long end = start + (npages << PAGE_SHIFT), addr;
	struct mm_struct *mm;
	int ret = 0;

	mm = devmm_mirror_mm_get(m);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	for (addr = start; !ret && addr < end; addr = range.end) {
		range.start = addr;
		range.end = min(end, addr + (DEVMM_FAULT_PAGES << PAGE_SHIFT));
		ret = devmm_mirror_walk(m, mm, &range, consume_snapshot, bytes);
		if (!ret && memchr(bytes, HMM_DMIRROR_PROT_ERROR, (range.end - addr) >> PAGE_SHIFT))
			snapshot_fix_remote(mm, addr, bytes, (range.end - addr) >> PAGE_SHIFT);
		if (!ret && copy_to_user(ubuf + ((addr - start) >> PAGE_SHIFT), bytes,
					 (range.end - addr) >> PAGE_SHIFT))
			ret = -EFAULT;
	}
	mmput(mm);
	return ret;
}
