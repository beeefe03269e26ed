// SPDX-License-Identifier: GPL-2.0
/*
 * Migration of process memory between system RAM and device memory with
 * migrate_vma_setup/pages/finalize, in windows of up to one PMD.
 *
 * Invalidation: a migration to the device passes the initiating mirror as
 * the owner of its MMU_NOTIFY_MIGRATE event.  Every mirror invalidates (the
 * initiator too: a device write through it must not land in a page already
 * copied), but the initiator counts only the others' invalidations, so that
 * it can enter the new device pages here afterwards unless one of those
 * came meanwhile.  Migrations back to system memory select pages by the
 * device's pgmap owner.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "devmm.h"
#include "devmm_trace.h"

/*
 * Full windows (20 KiB) come from a cache of their own: a plain kmalloc of
 * that size goes to the page allocator (order 3).  A CPU fault's smaller
 * window is a small kmalloc: with init_on_alloc (Debian's default) every
 * allocation is zeroed whole, which for a full window was a tenth of the
 * cost of a 4 KiB fault.
 */
static struct kmem_cache *window_cache;

/* Five arrays of one word per page. */
#define WINDOW_WORDS	5

int devmm_migrate_init(void)
{
	window_cache = kmem_cache_create("devmm_window",
					 sizeof(struct devmm_window) +
					 WINDOW_WORDS * DEVMM_WINDOW_PAGES * sizeof(unsigned long),
					 0, 0, NULL);
	return window_cache ? 0 : -ENOMEM;
}

void devmm_migrate_exit(void)
{
	kmem_cache_destroy(window_cache);
}

/* Scratch arrays for windows of up to @pages pages (at most a PMD's). */
struct devmm_window *devmm_window_alloc(unsigned long pages)
{
	struct devmm_window *w;

	if (WARN_ON_ONCE(!pages || pages > DEVMM_WINDOW_PAGES))
		return NULL;
	if (pages == DEVMM_WINDOW_PAGES)
		w = kmem_cache_alloc(window_cache, GFP_KERNEL);
	else
		w = kmalloc(struct_size(w, buf, WINDOW_WORDS * pages), GFP_KERNEL);
	if (!w)
		return NULL;
	w->pages = pages;
	w->src = w->buf;
	w->dst = w->src + pages;
	w->dfolio = (struct page **)(w->dst + pages);
	w->cdst = w->dfolio + pages;
	w->csrc = w->cdst + pages;
	return w;
}

void devmm_window_free(struct devmm_window *w)
{
	if (!w)
		return;
	if (w->pages == DEVMM_WINDOW_PAGES)
		kmem_cache_free(window_cache, w);
	else
		kfree(w);
}

static unsigned long window_end(struct vm_area_struct *vma, unsigned long addr,
				unsigned long end)
{
	unsigned long next = ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE;

	return min3(end, vma->vm_end, next);
}

/*
 * Whole folios for a window?  Only a full, aligned PMD window can hold one.
 * On the way to the device the core leaves the THP policy (MADV_NOHUGEPAGE)
 * to us; on the way back, device folios are always collected whole (the
 * core's other way, splitting one at collection, fails under a CPU fault's
 * reference and the fault would repeat forever) and split, if need be, when
 * given small pages.
 */
static unsigned long compound_flag(struct devmm_device *dev, struct vm_area_struct *vma,
				   unsigned long start, unsigned long end, bool to_device)
{
	if (!devmm_device_has_large(dev) || (to_device && (vma->vm_flags & VM_NOHUGEPAGE)) ||
	    end - start != PMD_SIZE)
		return 0;
	return DEVMM_MIGRATE_SELECT_COMPOUND;
}

static void devmm_window_reset(struct devmm_window *w, unsigned long n)
{
	memset(w->dst, 0, n * sizeof(w->dst[0]));
	memset(w->dfolio, 0, n * sizeof(w->dfolio[0]));
	memset(w->cdst, 0, n * sizeof(w->cdst[0]));
	memset(w->csrc, 0, n * sizeof(w->csrc[0]));
}

/*
 * Destination entry @i of a window: the folio starting at @dpage (of
 * 1 << @order pages) takes the place of @nr source pages starting with
 * @spage (NULL for a hole: the copy zero-fills).
 */
static void devmm_window_set(struct devmm_window *w, unsigned long i, struct page *dpage,
			     unsigned int order, struct page *spage, unsigned long nr,
			     unsigned long flags)
{
	unsigned long j;

	w->dfolio[i] = dpage;
	w->dst[i] = migrate_pfn(page_to_pfn(dpage)) | flags |
		    (order ? DEVMM_MIGRATE_PFN_COMPOUND : 0);
	for (j = 0; j < nr; j++) {
		w->cdst[i + j] = dpage + j;
		w->csrc[i + j] = spage ? spage + j : NULL;
	}
}

/* Give back the destination folios of entries [from, to) of a window. */
static void window_drop_range(struct devmm_window *w, unsigned long from, unsigned long to)
{
	unsigned long i;

	for (i = from; i < to; i++) {
		if (!w->dfolio[i])
			continue;
		w->dst[i] = 0;
		w->cdst[i] = NULL;
		w->csrc[i] = NULL;
		unlock_page(w->dfolio[i]);
		put_page(w->dfolio[i]);
		w->dfolio[i] = NULL;
	}
}

/* Give back the destination folios of a window that will not be used. */
static void devmm_window_drop(struct devmm_window *w, unsigned long n)
{
	window_drop_range(w, 0, n);
}

/* Pages that moved: each migrated entry counts its folio's pages. */
static unsigned long devmm_window_moved(struct devmm_window *w, unsigned long n)
{
	unsigned long i, moved = 0;

	for (i = 0; i < n; i++) {
		if (!w->dst[i] || !(w->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		moved += (w->dst[i] & DEVMM_MIGRATE_PFN_COMPOUND) ? 1UL << DEVMM_PMD_ORDER : 1;
	}
	return moved;
}

/* How many source pages entry @i stands for (a compound entry: a folio). */
static unsigned long devmm_src_nr(unsigned long src, unsigned long i, unsigned long n)
{
	struct page *spage = migrate_pfn_to_page(src);
	unsigned long nr;

	if (!(src & DEVMM_MIGRATE_PFN_COMPOUND))
		return 1;
	nr = spage ? folio_nr_pages(page_folio(spage)) : 1UL << DEVMM_PMD_ORDER;
	return min(nr, n - i);
}

static unsigned long addr_of(struct migrate_vma *args, unsigned long i)
{
	return args->start + (i << PAGE_SHIFT);
}

/*
 * Allocate device folios for the collected entries of a window and copy the
 * system pages into them.  A large source that gets no large device folio
 * is given single pages (the core splits it); entries that get nothing stay
 * where they are.
 */
static void alloc_and_copy_to_device(struct devmm_mirror *m, struct migrate_vma *args,
				     struct devmm_window *w)
{
	struct devmm_device *dev = m->dev;
	unsigned long i, j, nr, n = (args->end - args->start) >> PAGE_SHIFT;
	/* Prefetch is speculative: it takes what is free, and waits for nothing. */
	bool prefetching = READ_ONCE(m->prefetching);

	devmm_window_reset(w, n);
	for (i = 0; i < n; i += nr) {
		unsigned long src = args->src[i], flags = 0;
		struct page *spage = migrate_pfn_to_page(src), *dpage;

		nr = devmm_src_nr(src, i, n);
		if (!(src & MIGRATE_PFN_MIGRATE))
			continue;
		/* A hole in a writable VMA becomes a writable device page. */
		if ((src & MIGRATE_PFN_WRITE) || (!spage && (args->vma->vm_flags & VM_WRITE)))
			flags = MIGRATE_PFN_WRITE;
		if (nr > 1 && devmm_mirror_fail_alloc(m))
			dpage = ERR_PTR(-ENOMEM);
		else
			dpage = devmm_page_alloc(dev, nr > 1 ? DEVMM_PMD_ORDER : 0, m->owner,
						 addr_of(args, i), args->vma->vm_mm, !prefetching);
		if (!IS_ERR(dpage)) {
			if (prefetching)
				devmm_page_mark_prefetched(dpage);
			devmm_window_set(w, i, dpage, nr > 1 ? DEVMM_PMD_ORDER : 0, spage, nr, flags);
			continue;
		}
		for (j = 0; nr > 1 && j < nr; j++) {
			dpage = devmm_page_alloc(dev, 0, m->owner, addr_of(args, i + j),
						 args->vma->vm_mm, !prefetching);
			if (IS_ERR(dpage))
				break;
			if (prefetching)
				devmm_page_mark_prefetched(dpage);
			devmm_window_set(w, i + j, dpage, 0, spage ? spage + j : NULL, 1, flags);
		}
		/*
		 * All or nothing: the core fills a large hole it splits from
		 * every destination entry without checking them (7.2), so a
		 * partly given set would be a NULL dereference there.
		 */
		if (nr > 1 && j < nr)
			window_drop_range(w, i, i + j);
	}
	if (dev->ops->copy_to_dev(dev, w->cdst, w->csrc, n))
		devmm_window_drop(w, n);
}

static int migrate_window_to_device(struct devmm_mirror *m, struct vm_area_struct *vma,
				    unsigned long start, unsigned long end,
				    struct devmm_window *w, u64 *cpages)
{
	struct devmm_device *dev = m->dev;
	struct migrate_vma args = {
		.vma = vma,
		.start = start,
		.end = end,
		.src = w->src,
		.dst = w->dst,
		.pgmap_owner = m,
		.flags = MIGRATE_VMA_SELECT_SYSTEM | compound_flag(dev, vma, start, end, true),
	};
	unsigned long gen, n = (end - start) >> PAGE_SHIFT;
	int ret;

	gen = devmm_mirror_migrate_begin(m);
	ret = migrate_vma_setup(&args);
	if (ret)
		return ret;
	if (args.cpages) {
		unsigned long moved;

		alloc_and_copy_to_device(m, &args, w);
		migrate_vma_pages(&args);
		devmm_mirror_migrated(m, gen, start, w->dfolio, args.src, args.dst, n);
		moved = devmm_window_moved(w, n);
		atomic64_add(moved, &dev->stats.to_device);
		*cpages += moved;
		trace_devmm_migrate_to_device(dev->id, start, n, moved);
	}
	migrate_vma_finalize(&args);
	return 0;
}

typedef int (*devmm_window_fn)(struct vm_area_struct *vma, unsigned long start,
			       unsigned long end, struct devmm_window *w, u64 *moved, void *arg);

/*
 * A walk over the migration windows of a range, shared among CPUs: each
 * participant (the caller, and helpers on other CPUs) takes the next PMD
 * block no one has taken and migrates its windows with scratch arrays of its
 * own.  Per-page work (allocation, the kernel's zeroing of new pages, the
 * copy, the core's migration steps) then runs on all of them, not only the
 * copy.
 */
struct walk {
	struct task_struct *caller;
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;		/* covered by readable VMAs */
	devmm_window_fn fn;
	void *arg;
	atomic_long_t next;		/* the next PMD block no one has taken */
	atomic_t err;			/* the first error; the others stop */
	atomic64_t moved;
};

/* Take and migrate blocks, at most @max of them, until none is left. */
static void walk_blocks(struct walk *wk, struct devmm_window *w, unsigned long max)
{
	unsigned long base = ALIGN_DOWN(wk->start, PMD_SIZE), addr, end, next;
	u64 moved = 0;
	int ret = 0;

	while (max-- && !ret && !atomic_read(&wk->err)) {
		/*
		 * A caller that is being killed stops, and its helpers with it:
		 * its memory is about to go, and the device it fills should be
		 * free for the next process at once.
		 */
		if (current == wk->caller && fatal_signal_pending(current)) {
			atomic_cmpxchg(&wk->err, 0, -EINTR);
			break;
		}
		addr = base + atomic_long_fetch_inc(&wk->next) * PMD_SIZE;
		if (addr >= wk->end)
			break;
		end = min(addr + PMD_SIZE, wk->end);
		for (addr = max(addr, wk->start); !ret && addr < end; addr = next) {
			struct vm_area_struct *vma = vma_lookup(wk->mm, addr);

			if (!vma) {
				ret = -EINVAL;
				break;
			}
			next = window_end(vma, addr, end);
			ret = wk->fn(vma, addr, next, w, &moved, wk->arg);
		}
		if (ret)
			atomic_cmpxchg(&wk->err, 0, ret);
	}
	atomic64_add(moved, &wk->moved);
}

static void walk_helper(void *job)
{
	struct walk *wk = job;
	struct devmm_window *w;

	/*
	 * Never wait for mmap_lock: the caller holds it for reading and waits
	 * for us, so waiting behind a writer queued meanwhile would deadlock.
	 * Whatever a helper does not take, the caller does.
	 */
	if (!mmap_read_trylock(wk->mm))
		return;
	w = devmm_window_alloc(DEVMM_WINDOW_PAGES);
	if (w)
		walk_blocks(wk, w, ULONG_MAX);
	devmm_window_free(w);
	mmap_read_unlock(wk->mm);
}

static bool vma_readable(struct vm_area_struct *vma, void *arg)
{
	return vma->vm_flags & VM_READ;
}

/*
 * How a walk is shared among CPUs.  A helper on another CPU that unmaps
 * pages mapped by present PTEs (system pages on the way to the device,
 * coherent pages on the way back) makes each unmap flush the TLB of the
 * caller's CPU too, where the process's mm is live: an IPI per small page,
 * which costs more than the sharing brings (make bench: 0.85x for 4 KiB
 * pages to the device).  A CPU whose user task sleeps keeps the mm only
 * lazily, and x86 sends lazy CPUs no flush IPIs.  So once the first block
 * of such a walk moved small pages, the caller hands the rest to one helper
 * per CPU, its own included, and sleeps until they are done; after a large
 * folio (one flush per 2 MiB) it works with them.  Device-private entries
 * need no flush.
 */
enum walk_share {
	WALK_SHARED,
	WALK_OFFLOAD_IF_SMALL,
};

/*
 * Call @fn on each migration window of [start, end) of @mm (mmap_lock held
 * for reading): at most one PMD, within one VMA, with the caller's scratch
 * arrays @w; ranges of several PMD blocks are shared with helpers (up to
 * copy_threads CPUs in all) as @share says.  The pages @fn moved are added
 * to *@moved (if not NULL).  A hole or an unreadable VMA in the range is
 * -EINVAL, as with test_hmm, once the part before it is done.
 */
static int walk_windows(struct mm_struct *mm, unsigned long start, unsigned long end,
			devmm_window_fn fn, void *arg, struct devmm_window *w, u64 *moved,
			enum walk_share share)
{
	struct walk wk = { .caller = current, .mm = mm, .start = start, .fn = fn, .arg = arg };
	struct devmm_helpers hs;
	unsigned long blocks;
	bool offload = false;
	int ret;

	wk.end = devmm_vma_span(mm, start, end, vma_readable, NULL, NULL);
	atomic_long_set(&wk.next, 0);
	atomic_set(&wk.err, 0);
	atomic64_set(&wk.moved, 0);
	blocks = wk.end > start ?
		 (ALIGN(wk.end, PMD_SIZE) - ALIGN_DOWN(start, PMD_SIZE)) >> PMD_SHIFT : 0;
	/*
	 * System pages a helper allocates follow the helper's placement, not
	 * the caller's: a caller with a memory policy or a cpuset of its own
	 * walks alone.
	 */
	if (!devmm_task_placement_default()) {
		walk_blocks(&wk, w, ULONG_MAX);
		blocks = 0;
	} else if (share == WALK_OFFLOAD_IF_SMALL && blocks > 1) {
		/* migrate_vma_setup() cleared dst[], so this is the first block's. */
		walk_blocks(&wk, w, 1);
		blocks--;
		offload = !(w->dst[0] & DEVMM_MIGRATE_PFN_COMPOUND);
	}
	if (offload) {
		devmm_helpers_offload(&hs, blocks, walk_helper, &wk);
		devmm_helpers_finish(&hs);
		/* What no helper took (all of it if none could run). */
		walk_blocks(&wk, w, ULONG_MAX);
	} else {
		devmm_helpers_start(&hs, blocks > 1 ? blocks - 1 : 0, walk_helper, &wk);
		walk_blocks(&wk, w, ULONG_MAX);
		devmm_helpers_finish(&hs);
	}
	if (moved)
		*moved += atomic64_read(&wk.moved);
	ret = atomic_read(&wk.err);
	if (!ret && wk.end < end)
		ret = -EINVAL;
	return ret;
}

static int window_to_device(struct vm_area_struct *vma, unsigned long start,
			    unsigned long end, struct devmm_window *w, u64 *moved, void *arg)
{
	return migrate_window_to_device(arg, vma, start, end, w, moved);
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
	return __devmm_migrate_to_system(other, ctx->mm, ctx->start, ctx->end, NULL, NULL);
}

/**
 * devmm_migrate_to_device - migrate anonymous memory to a mirror's device
 * @m: the mirror (of the calling process).
 * @start: page-aligned start.
 * @end: page-aligned end.
 * @take_foreign: also move pages that other devmm devices hold.
 * @moved: if not NULL, incremented by the pages that moved to the device.
 *
 * Pages that cannot move are left where they are; the caller finds out
 * which through the mirror.
 * Return: 0, -EINVAL for a range not fully covered by readable VMAs, or
 * another negative errno from the kernel.
 */
int devmm_migrate_to_device(struct devmm_mirror *m, unsigned long start, unsigned long end,
			    bool take_foreign, u64 *moved)
{
	struct devmm_window *w;
	struct mm_struct *mm;
	int ret = 0;

	if (m->dev->kind == DEVMM_MIRROR)
		return -EOPNOTSUPP;
	mm = devmm_mirror_mm_get(m);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	w = devmm_window_alloc(DEVMM_WINDOW_PAGES);
	if (!w) {
		mmput(mm);
		return -ENOMEM;
	}
	mmap_read_lock(mm);
	if (take_foreign) {
		struct foreign_ctx fctx = { m->dev, mm, start, end };

		ret = devmm_devices_for_each(take_from_device, &fctx);
	}
	if (!ret)
		ret = walk_windows(mm, start, end, window_to_device, m, w, moved,
				   WALK_OFFLOAD_IF_SMALL);
	mmap_read_unlock(mm);
	mmput(mm);
	devmm_window_free(w);
	return ret;
}

/*
 * System folios for the collected device pages of a window, with their
 * contents copied from the device.  A large device folio gets a large system
 * folio if one is available and the VMA allows THPs (always, for a CPU
 * fault), else single pages for all of it (the core then splits the device
 * folio).  Returns -ENOMEM if some entry got nothing (it stays on the
 * device).
 */
static int alloc_and_copy_to_system(struct devmm_device *dev, struct migrate_vma *args,
				    struct devmm_mirror *m, struct devmm_window *w)
{
	unsigned long i, j, nr, n = (args->end - args->start) >> PAGE_SHIFT;
	int ret = 0;

	devmm_window_reset(w, n);
	for (i = 0; i < n; i += nr) {
		unsigned long src = args->src[i], addr = args->start + (i << PAGE_SHIFT);
		struct page *spage = migrate_pfn_to_page(src), *dpage = NULL;
		unsigned long flags = src & MIGRATE_PFN_WRITE;

		nr = devmm_src_nr(src, i, n);
		if (!(src & MIGRATE_PFN_MIGRATE) || !spage)
			continue;
		/*
		 * A CPU fault brings the folio back whole if it can, whatever
		 * MADV_NOHUGEPAGE says, and its allocation may reclaim and
		 * compact; without a THP it takes single pages, for which the
		 * core splits the device folio (7.2.13, t_race with
		 * fail_thp_alloc), and devmm_migrate_to_ram() gives up after a
		 * few tries should nothing move.  Elsewhere, as on the way
		 * out, MADV_NOHUGEPAGE means small pages.
		 */
		if (nr > 1 && !devmm_mirror_fail_alloc(m) &&
		    (args->fault_page || !(args->vma->vm_flags & VM_NOHUGEPAGE)) &&
		    !devmm_param_fail_thp_alloc()) {
			struct folio *folio = devmm_vma_alloc_pmd_folio(args->vma, addr,
									!!args->fault_page);

			dpage = folio ? &folio->page : NULL;
		}
		if (dpage) {
			devmm_window_set(w, i, dpage, DEVMM_PMD_ORDER, spage, nr, flags);
			continue;
		}
		for (j = 0; j < nr; j++) {
			dpage = alloc_page_vma(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, args->vma,
					       addr + (j << PAGE_SHIFT));
			if (!dpage) {
				ret = -ENOMEM;
				break;
			}
			lock_page(dpage);
			devmm_window_set(w, i + j, dpage, 0, spage + j, 1, flags);
		}
	}
	if (dev->ops->copy_from_dev(dev, w->cdst, w->csrc, n)) {
		devmm_window_drop(w, n);
		ret = -EIO;
	}
	return ret;
}

/**
 * devmm_migrate_window_to_system - migrate a device's pages in one window
 * @dev: the device.
 * @vma: the VMA; mmap_lock is held.
 * @start: page-aligned start.
 * @end: end, within the same PMD and VMA.
 * @fault_page: the locked device page of a CPU fault, or NULL.
 * @m: the mirror asking (for its FAIL_ALLOC flag), or NULL.
 * @w: scratch arrays.
 * @cpages: incremented by the pages migrated, if not NULL.
 *
 * Return: 0, -ENOMEM if system memory ran out (those pages stay on the
 * device), or an error of migrate_vma_setup().
 */
int devmm_migrate_window_to_system(struct devmm_device *dev, struct vm_area_struct *vma,
				   unsigned long start, unsigned long end, struct page *fault_page,
				   struct devmm_mirror *m, struct devmm_window *w, u64 *cpages)
{
	struct migrate_vma args = {
		.vma = vma,
		.start = start,
		.end = end,
		.src = w->src,
		.dst = w->dst,
		.pgmap_owner = dev,
		.flags = (dev->kind == DEVMM_PRIVATE ? MIGRATE_VMA_SELECT_DEVICE_PRIVATE :
						       MIGRATE_VMA_SELECT_DEVICE_COHERENT) |
			 compound_flag(dev, vma, start, end, false),
		.fault_page = fault_page,
	};
	unsigned long moved, n = (end - start) >> PAGE_SHIFT;
	int ret;

	ret = migrate_vma_setup(&args);
	if (ret)
		return ret;
	ret = alloc_and_copy_to_system(dev, &args, m, w);
	migrate_vma_pages(&args);
	moved = devmm_window_moved(w, n);
	migrate_vma_finalize(&args);
	atomic64_add(moved, &dev->stats.to_system);
	trace_devmm_migrate_to_system(dev->id, start, n, moved);
	if (cpages)
		*cpages += moved;
	return ret;
}

/*
 * __devmm_migrate_to_system - migrate @dev's pages in [start, end) of @mm
 * back to system memory; mmap_lock is held for reading.  Ranges without a
 * readable VMA are -EINVAL.
 */
struct to_system_ctx {
	struct devmm_device *dev;
	struct devmm_mirror *m;
};

static int window_to_system(struct vm_area_struct *vma, unsigned long start,
			    unsigned long end, struct devmm_window *w, u64 *moved, void *arg)
{
	struct to_system_ctx *ctx = arg;

	return devmm_migrate_window_to_system(ctx->dev, vma, start, end, NULL, ctx->m, w,
					      moved);
}

int __devmm_migrate_to_system(struct devmm_device *dev, struct mm_struct *mm,
			      unsigned long start, unsigned long end, struct devmm_mirror *m,
			      u64 *cpages)
{
	struct to_system_ctx ctx = { .dev = dev, .m = m };
	struct devmm_window *w;
	int ret;

	w = devmm_window_alloc(DEVMM_WINDOW_PAGES);
	if (!w)
		return -ENOMEM;
	ret = walk_windows(mm, start, end, window_to_system, &ctx, w, cpages,
			   dev->kind == DEVMM_PRIVATE ? WALK_SHARED : WALK_OFFLOAD_IF_SMALL);
	devmm_window_free(w);
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
	ret = __devmm_migrate_to_system(m->dev, mm, start, end, m, cpages);
	mmap_read_unlock(mm);
	mmput(mm);
	return ret;
}
