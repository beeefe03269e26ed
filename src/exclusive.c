// SPDX-License-Identifier: GPL-2.0
/*
 * Exclusive (atomic) device access: make_device_exclusive() takes a page
 * away from the CPU until it touches it again; the device page table keeps
 * the page, tagged, until that invalidation.
 */
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include "devmm.h"
#include "mirror.h"

/* Tries per page before EXCLUSIVE gives up against racing invalidations. */
#define DEVMM_EXCLUSIVE_TRIES	16

/**
 * devmm_mirror_exclusive - take exclusive (atomic) device access to a range
 * @m: the mirror.
 * @start: page-aligned start.
 * @npages: number of pages.
 *
 * The CPU loses access to each page until it touches it again, which
 * revokes the device's exclusivity (an invalidation clears the entry).
 * Return: 0, -EOPNOTSUPP where the kernel offers no exclusive access, -EBUSY
 * if invalidations (e.g. MADV_DONTNEED) kept racing with it, or another
 * negative errno.
 */
int devmm_mirror_exclusive(struct devmm_mirror *m, unsigned long start, unsigned long npages)
{
	unsigned long end = start + (npages << PAGE_SHIFT), addr;
	struct mm_struct *mm;
	int ret = 0;

	if (!DEVMM_CAN_EXCLUSIVE)
		return -EOPNOTSUPP;
	mm = devmm_mirror_mm_get(m);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	mmap_read_lock(mm);
	for (addr = start; !ret && addr < end; addr += PAGE_SIZE) {
		struct vm_area_struct *vma = vma_lookup(mm, addr);
		unsigned int tries;

		for (tries = 0;; tries++) {
			unsigned long seq = mmu_interval_read_begin(&m->notifier);
			struct page *page = devmm_make_device_exclusive(mm, addr, m);
			void *old;

			if (IS_ERR(page)) {
				ret = PTR_ERR(page);
				break;
			}
			mutex_lock(&m->lock);
			if (mmu_interval_read_retry(&m->notifier, seq)) {
				/*
				 * An invalidation raced: it may have zapped
				 * the page, whose only reference then is
				 * ours.  Never store it; give up after a few
				 * tries rather than livelock against, e.g.,
				 * MADV_DONTNEED in a loop.
				 */
				mutex_unlock(&m->lock);
				devmm_release_exclusive_page(page);
				if (tries >= DEVMM_EXCLUSIVE_TRIES) {
					ret = -EBUSY;
					break;
				}
				/*
				 * The page stays device-exclusive in the CPU
				 * page table; undoing that inside the next
				 * try would invalidate again, every time.
				 * Fault it back now, before the next
				 * sequence is taken.
				 */
				if (devmm_get_user_pages(addr, 1, FOLL_WRITE, &page) == 1)
					put_page(page);
				cond_resched();
				continue;
			}
			old = xa_store(&m->pt, addr >> PAGE_SHIFT,
				       xa_tag_pointer(page, DEVMM_PTE_ATOMIC |
						      (vma && (vma->vm_flags & VM_WRITE) ?
						       DEVMM_PTE_WRITE : 0)),
				       GFP_NOWAIT);
			if (xa_is_err(old))
				ret = xa_err(old);
			mutex_unlock(&m->lock);
			devmm_release_exclusive_page(page);
			break;
		}
	}
	mmap_read_unlock(mm);
	mmput(mm);
	return ret;
}

/* 0 if no page of the range is still held exclusively, else -EPERM. */
int devmm_mirror_check_exclusive(struct devmm_mirror *m, unsigned long start,
				 unsigned long npages)
{
	unsigned long idx, first = start >> PAGE_SHIFT;
	void *entry;
	int ret = 0;

	mutex_lock(&m->lock);
	xa_for_each_range(&m->pt, idx, entry, first, first + npages - 1) {
		if (xa_pointer_tag(entry) & DEVMM_PTE_ATOMIC) {
			ret = -EPERM;
			break;
		}
	}
	mutex_unlock(&m->lock);
	return ret;
}
