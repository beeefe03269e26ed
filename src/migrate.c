// SPDX-License-Identifier: GPL-2.0
/*
 * Migration of process memory between system RAM and device memory with
 * migrate_vma_setup/pages/finalize, in windows of up to one PMD.
 *
 * Invalidation: a migration to the device passes the initiating mirror as
 * the owner of its MMU_NOTIFY_MIGRATE event, so that mirror alone skips the
 * invalidation and updates its own page table here, while every other mirror
 * (of this or another device) drops its entries as usual.  Migrations back
 * to system memory select pages by the device's pgmap owner, and all
 * mirrors invalidate.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include "devmm.h"

/* Scratch arrays of one migration window. */
struct devmm_window {
	unsigned long src[DEVMM_WINDOW_PAGES];
	unsigned long dst[DEVMM_WINDOW_PAGES];
	struct page *spages[DEVMM_WINDOW_PAGES];
	struct page *dpages[DEVMM_WINDOW_PAGES];
};

static unsigned long window_end(struct vm_area_struct *vma, unsigned long addr,
				unsigned long end)
{
	unsigned long next = ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE;

	return min3(end, vma->vm_end, next);
}

/* Drop the device pages of a window that will not be used. */
static void put_dpages(struct devmm_window *w, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (!w->dpages[i])
			continue;
		w->dst[i] = 0;
		unlock_page(w->dpages[i]);
		put_page(w->dpages[i]);
		w->dpages[i] = NULL;
	}
}

/*
 * Allocate device pages for the collected entries of a window and copy the
 * system pages into them.  Entries that get no device page stay where they
 * are.
 */
static void alloc_and_copy_to_device(struct devmm_device *dev, struct migrate_vma *args,
				     struct devmm_window *w)
{
	unsigned long i, n = (args->end - args->start) >> PAGE_SHIFT;

	for (i = 0; i < n; i++) {
		struct page *dpage;

		w->spages[i] = NULL;
		w->dpages[i] = NULL;
		args->dst[i] = 0;
		if (!(args->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		dpage = devmm_page_alloc(dev);
		if (IS_ERR(dpage))
			continue;
		w->spages[i] = migrate_pfn_to_page(args->src[i]);
		w->dpages[i] = dpage;
		args->dst[i] = migrate_pfn(page_to_pfn(dpage));
		/* A hole in a writable VMA becomes a writable device page. */
		if ((args->src[i] & MIGRATE_PFN_WRITE) ||
		    (!w->spages[i] && (args->vma->vm_flags & VM_WRITE)))
			args->dst[i] |= MIGRATE_PFN_WRITE;
	}
	if (dev->ops->copy_to_dev(dev, w->dpages, w->spages, n))
		put_dpages(w, n);
}

static int migrate_window_to_device(struct devmm_mirror *m, struct vm_area_struct *vma,
				    unsigned long start, unsigned long end,
				    struct devmm_window *w)
{
	struct devmm_device *dev = m->dev;
	struct migrate_vma args = {
		.vma = vma,
		.start = start,
		.end = end,
		.src = w->src,
		.dst = w->dst,
		.pgmap_owner = m,
		.flags = MIGRATE_VMA_SELECT_SYSTEM,
	};
	unsigned long seq, i, n = (end - start) >> PAGE_SHIFT, moved = 0;
	int ret;

	seq = mmu_interval_read_begin(&m->notifier);
	ret = migrate_vma_setup(&args);
	if (ret)
		return ret;
	if (args.cpages) {
		alloc_and_copy_to_device(dev, &args, w);
		migrate_vma_pages(&args);
		devmm_mirror_migrated(m, seq, start, w->dpages, args.src, args.dst, n);
		for (i = 0; i < n; i++)
			if (w->dpages[i] && (args.src[i] & MIGRATE_PFN_MIGRATE))
				moved++;
		atomic64_add(moved, &dev->stats.to_device);
	}
	migrate_vma_finalize(&args);
	return 0;
}

struct foreign_ctx {
	struct devmm_device *self;
	struct mm_struct *mm;
	unsigned long start, end;
};

/* Bring the pages another devmm device holds in the range back first. */
static int take_from_device(struct devmm_device *other, void *arg)
{
	struct foreign_ctx *ctx = arg;

	if (other == ctx->self || other->kind == DEVMM_MIRROR)
		return 0;
	return __devmm_migrate_to_system(other, ctx->mm, ctx->start, ctx->end, NULL);
}

/**
 * devmm_migrate_to_device - migrate anonymous memory to a mirror's device
 * @m: the mirror (of the calling process).
 * @start: page-aligned start.
 * @end: page-aligned end.
 * @take_foreign: also move pages that other devmm devices hold.
 *
 * Pages that cannot move are left where they are; the caller finds out
 * which through the mirror.
 * Return: 0, -EINVAL for a range not fully covered by readable VMAs, or
 * another negative errno from the kernel.
 */
int devmm_migrate_to_device(struct devmm_mirror *m, unsigned long start, unsigned long end,
			    bool take_foreign)
{
	struct devmm_window *w;
	struct mm_struct *mm;
	unsigned long addr, next;
	int ret = 0;

	if (m->dev->kind == DEVMM_MIRROR)
		return -EOPNOTSUPP;
	mm = devmm_mirror_mm_get(m);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	w = kvmalloc(sizeof(*w), GFP_KERNEL);
	if (!w) {
		mmput(mm);
		return -ENOMEM;
	}
	mmap_read_lock(mm);
	if (take_foreign) {
		struct foreign_ctx ctx = { m->dev, mm, start, end };

		ret = devmm_devices_for_each(take_from_device, &ctx);
	}
	for (addr = start; !ret && addr < end; addr = next) {
		struct vm_area_struct *vma = vma_lookup(mm, addr);

		if (!vma || !(vma->vm_flags & VM_READ)) {
			ret = -EINVAL;
			break;
		}
		next = window_end(vma, addr, end);
		ret = migrate_window_to_device(m, vma, addr, next, w);
	}
	mmap_read_unlock(mm);
	mmput(mm);
	kvfree(w);
	return ret;
}

/**
 * devmm_alloc_system_page - a locked system page to migrate a device page to
 * @vma: the VMA the page will be mapped in.
 * @addr: its address there.
 *
 * Return: the page, or NULL.
 */
struct page *devmm_alloc_system_page(struct vm_area_struct *vma, unsigned long addr)
{
	struct page *page = alloc_page_vma(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, vma, addr);

	if (page)
		lock_page(page);
	return page;
}

static int migrate_window_to_system(struct devmm_device *dev, struct vm_area_struct *vma,
				    unsigned long start, unsigned long end,
				    struct devmm_window *w, u64 *cpages)
{
	struct migrate_vma args = {
		.vma = vma,
		.start = start,
		.end = end,
		.src = w->src,
		.dst = w->dst,
		.pgmap_owner = dev,
		.flags = dev->kind == DEVMM_PRIVATE ? MIGRATE_VMA_SELECT_DEVICE_PRIVATE :
						      MIGRATE_VMA_SELECT_DEVICE_COHERENT,
	};
	unsigned long i, n = (end - start) >> PAGE_SHIFT, moved = 0;
	int ret;

	ret = migrate_vma_setup(&args);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		w->spages[i] = NULL;
		w->dpages[i] = NULL;
		args.dst[i] = 0;
		if (ret || !(args.src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		w->spages[i] = migrate_pfn_to_page(args.src[i]);
		if (!w->spages[i])
			continue;
		w->dpages[i] = devmm_alloc_system_page(vma, start + (i << PAGE_SHIFT));
		if (!w->dpages[i]) {
			/* Leave the rest on the device. */
			ret = -ENOMEM;
			continue;
		}
		args.dst[i] = migrate_pfn(page_to_pfn(w->dpages[i])) |
			      (args.src[i] & MIGRATE_PFN_WRITE);
	}
	if (dev->ops->copy_from_dev(dev, w->dpages, w->spages, n)) {
		for (i = 0; i < n; i++) {
			if (!w->dpages[i])
				continue;
			args.dst[i] = 0;
			unlock_page(w->dpages[i]);
			put_page(w->dpages[i]);
		}
		ret = -EIO;
	}
	migrate_vma_pages(&args);
	for (i = 0; i < n; i++)
		if (args.dst[i] && (args.src[i] & MIGRATE_PFN_MIGRATE))
			moved++;
	migrate_vma_finalize(&args);
	atomic64_add(moved, &dev->stats.to_system);
	if (cpages)
		*cpages += moved;
	return ret;
}

/*
 * __devmm_migrate_to_system - migrate @dev's pages in [start, end) of @mm
 * back to system memory; mmap_lock is held for reading.  Ranges without a
 * readable VMA are -EINVAL.
 */
int __devmm_migrate_to_system(struct devmm_device *dev, struct mm_struct *mm,
			      unsigned long start, unsigned long end, u64 *cpages)
{
	struct devmm_window *w;
	unsigned long addr, next;
	int ret = 0;

	w = kvmalloc(sizeof(*w), GFP_KERNEL);
	if (!w)
		return -ENOMEM;
	for (addr = start; !ret && addr < end; addr = next) {
		struct vm_area_struct *vma = vma_lookup(mm, addr);

		if (!vma || !(vma->vm_flags & VM_READ)) {
			ret = -EINVAL;
			break;
		}
		next = window_end(vma, addr, end);
		ret = migrate_window_to_system(dev, vma, addr, next, w, cpages);
	}
	kvfree(w);
	return ret;
}

/**
 * devmm_migrate_to_system - migrate a device's pages in a range back to RAM
 * @m: the mirror of the calling process.
 * @start: page-aligned start.
 * @end: page-aligned end.
 * @cpages: incremented by the number of pages migrated.
 *
 * Return: 0 or a negative errno.
 */
int devmm_migrate_to_system(struct devmm_mirror *m, unsigned long start, unsigned long end,
			    u64 *cpages)
{
	struct mm_struct *mm;
	int ret;

	if (m->dev->kind == DEVMM_MIRROR)
		return -EOPNOTSUPP;
	mm = devmm_mirror_mm_get(m);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	mmap_read_lock(mm);
	ret = __devmm_migrate_to_system(m->dev, mm, start, end, cpages);
	mmap_read_unlock(mm);
	mmput(mm);
	return ret;
}
