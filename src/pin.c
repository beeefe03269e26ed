// SPDX-License-Identifier: GPL-2.0
/*
 * Device pins (PIN/UNPIN of a node): ranges of the opener's memory pinned
 * through its file, as a device doing DMA would, until unpinned or closed.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include "devmm.h"
#include "mirror.h"

/* Pins taken through the mirror: at most this many pages per file. */
#define DEVMM_MAX_PINNED	(1UL << 18)

struct devmm_pin {
	struct list_head node;
	unsigned long start;
	unsigned long npages;
	struct page **pages;
};

void devmm_mirror_unpin_all(struct devmm_mirror *m)
{
	struct devmm_pin *pin, *tmp;

	list_for_each_entry_safe(pin, tmp, &m->pins, node) {
		list_del(&pin->node);
		unpin_user_pages_dirty_lock(pin->pages, pin->npages, true);
		kvfree(pin->pages);
		kfree(pin);
	}
}

/**
 * devmm_mirror_pin - pin a range of the caller's memory
 * @m: the mirror; the pin lasts until devmm_mirror_unpin() or close.
 * @start: page-aligned start.
 * @npages: number of pages.
 * @longterm: FOLL_LONGTERM: the kernel first migrates coherent device pages
 *	out of device memory, which must never be pinned for long.
 *
 * Return: 0 or a negative errno.
 */
int devmm_mirror_pin(struct devmm_mirror *m, unsigned long start, unsigned long npages,
		     bool longterm)
{
	unsigned int gup_flags = FOLL_WRITE | (longterm ? FOLL_LONGTERM : 0);
	struct devmm_pin *pin;
	struct mm_struct *mm;
	long pinned;
	int ret = 0;

	/* Reserved before pinning: concurrent PINs cannot pass the limit together. */
	mutex_lock(&m->lock);
	if (npages > DEVMM_MAX_PINNED - m->npinned) {
		mutex_unlock(&m->lock);
		return -ENOSPC;
	}
	m->npinned += npages;
	mutex_unlock(&m->lock);
	pin = kzalloc(sizeof(*pin), GFP_KERNEL);
	if (!pin) {
		ret = -ENOMEM;
		goto err_unreserve;
	}
	pin->pages = kvmalloc_array(npages, sizeof(*pin->pages), GFP_KERNEL);
	if (!pin->pages) {
		ret = -ENOMEM;
		goto err;
	}
	mm = devmm_mirror_mm_get(m);
	if (IS_ERR(mm)) {
		ret = PTR_ERR(mm);
		goto err;
	}
	mmap_read_lock(mm);
	pinned = devmm_pin_user_pages(start, npages, gup_flags, pin->pages);
	mmap_read_unlock(mm);
	mmput(mm);
	if (pinned < 0) {
		ret = pinned;
		goto err;
	}
	if (pinned != npages) {
		unpin_user_pages(pin->pages, pinned);
		ret = -EFAULT;
		goto err;
	}
	pin->start = start;
	pin->npages = npages;
	mutex_lock(&m->lock);
	list_add(&pin->node, &m->pins);
	mutex_unlock(&m->lock);
	return 0;
err:
	kvfree(pin->pages);
	kfree(pin);
err_unreserve:
	mutex_lock(&m->lock);
	m->npinned -= npages;
	mutex_unlock(&m->lock);
	return ret;
}

/* Undo the devmm_mirror_pin() of exactly this range; -ENOENT if none. */
int devmm_mirror_unpin(struct devmm_mirror *m, unsigned long start, unsigned long npages)
{
	struct devmm_pin *pin, *found = NULL;

	mutex_lock(&m->lock);
	list_for_each_entry(pin, &m->pins, node) {
		if (pin->start == start && pin->npages == npages) {
			list_del(&pin->node);
			m->npinned -= npages;
			found = pin;
			break;
		}
	}
	mutex_unlock(&m->lock);
	if (!found)
		return -ENOENT;
	unpin_user_pages_dirty_lock(found->pages, found->npages, true);
	kvfree(found->pages);
	kfree(found);
	return 0;
}
