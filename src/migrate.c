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

/* Five arrays of one word per page, after the struct. */
#define WINDOW_WORDS	5

static size_t window_size(unsigned long pages)
{
	return sizeof(struct devmm_window) + WINDOW_WORDS * pages * sizeof(unsigned long);
}

int devmm_migrate_init(void)
{
	window_cache = kmem_cache_create("devmm_window", window_size(DEVMM_WINDOW_PAGES), 0, 0,
					 NULL);
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
		w = kmalloc(window_size(pages), GFP_KERNEL);
	if (!w)
		return NULL;
	w->pages = pages;
	w->src = (unsigned long *)(w + 1);
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
 * Allocate device folios for the collected entries of a window.  A large
 * source that gets no large device folio is given single pages (the core
 * splits it); entries that get nothing stay where they are.
 */
static void alloc_to_device(struct devmm_mirror *m, struct migrate_vma *args,
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
}

/*
 * A migration of one window to the device, in two steps: collect() isolates
 * the system pages and allocates device folios for them, in the caller's
 * order (their order in the eviction policy's list); finish() copies the
 * data and completes the migration, possibly on another CPU (see the
 * pipeline below) but always under the mmap_lock collect() ran under.
 */
struct to_device {
	struct devmm_mirror *m;
	struct devmm_window *w;
	struct migrate_vma args;
	unsigned long gen;
};

static int to_device_collect(struct to_device *td, struct vm_area_struct *vma,
			     unsigned long start, unsigned long end)
{
	struct devmm_device *dev = td->m->dev;
	int ret;

	td->args = (struct migrate_vma){
		.vma = vma,
		.start = start,
		.end = end,
		.src = td->w->src,
		.dst = td->w->dst,
		.pgmap_owner = td->m,
		.flags = MIGRATE_VMA_SELECT_SYSTEM | compound_flag(dev, vma, start, end, true),
	};
	td->gen = devmm_mirror_migrate_begin(td->m);
	ret = migrate_vma_setup(&td->args);
	if (!ret && td->args.cpages)
		alloc_to_device(td->m, &td->args, td->w);
	return ret;
}

/* Returns the pages that moved. */
static unsigned long to_device_finish(struct to_device *td)
{
	struct migrate_vma *args = &td->args;
	struct devmm_device *dev = td->m->dev;
	unsigned long n = (args->end - args->start) >> PAGE_SHIFT, moved = 0;
	struct devmm_window *w = td->w;

	if (args->cpages) {
		if (dev->ops->copy_to_dev(dev, w->cdst, w->csrc, n))
			devmm_window_drop(w, n);
		migrate_vma_pages(args);
		devmm_mirror_migrated(td->m, td->gen, args->start, w->dfolio, args->src,
				      args->dst, n);
		moved = devmm_window_moved(w, n);
		atomic64_add(moved, &dev->stats.to_device);
		trace_devmm_migrate_to_device(dev->id, args->start, n, moved);
	}
	migrate_vma_finalize(args);
	return moved;
}

static int migrate_window_to_device(struct devmm_mirror *m, struct vm_area_struct *vma,
				    unsigned long start, unsigned long end,
				    struct devmm_window *w, u64 *cpages)
{
	struct to_device td = { .m = m, .w = w };
	int ret;

	ret = to_device_collect(&td, vma, start, end);
	if (ret)
		return ret;
	*cpages += to_device_finish(&td);
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
		 * A caller that is being killed stops, and its helpers with it
		 * (also while it sleeps in an offloaded walk, its task kept by
		 * the wait): its memory is about to go, and the device it fills
		 * should be free for the next process at once.
		 */
		if (fatal_signal_pending(wk->caller)) {
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
 * lazily, and x86 sends lazy CPUs no flush IPIs.  So a walk of such pages
 * over several blocks is handed to one helper per CPU, the caller's own
 * included, and the caller sleeps until they are done.  Large folios too:
 * their one flush per 2 MiB is sent while the PMD's lock is held
 * (set_pmd_migration_entry()), and the caller, completing its own block,
 * spun on that lock (make bench's profile of THPs to the device: 14% of
 * the samples in the IPI and the spinning; offloaded, 5% faster, and
 * eviction under pressure 12%).  Device-private entries need no flush.
 */
enum walk_share {
	WALK_SHARED,
	WALK_OFFLOAD,
};

/*
 * Call @fn on each migration window of [start, end) of @mm (mmap_lock held
 * for reading): at most one PMD, within one VMA, with the caller's scratch
 * arrays @w; ranges of several PMD blocks are shared with helpers (up to
 * copy_threads CPUs in all) as @share says.  The pages @fn moved are added
 * to *@moved (if not NULL).  A hole or an unreadable VMA in the range is
 * -EINVAL before anything moves (test_hmm moves the part before it first):
 * a range that runs past its buffer must not take a neighbour's pages along.
 */
static int walk_windows(struct mm_struct *mm, unsigned long start, unsigned long end,
			devmm_window_fn fn, void *arg, struct devmm_window *w, u64 *moved,
			enum walk_share share)
{
	struct walk wk = { .caller = current, .mm = mm, .start = start, .fn = fn, .arg = arg };
	struct devmm_helpers hs;
	unsigned long blocks;
	bool offload = false;

	wk.end = devmm_vma_span(mm, start, end, vma_readable, NULL, NULL);
	if (wk.end < end)
		return -EINVAL;
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
	} else {
		offload = share == WALK_OFFLOAD && blocks > 1;
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
	return atomic_read(&wk.err);
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

/*
 * Device faults' granules go to the device in a pipeline: the caller
 * collects each part (a PMD block mapped by a page table in parts of
 * PIPE_PAGES pages, any other block whole) and allocates its device pages,
 * in address order and so in the order a migration of one granule after the
 * other puts them on the eviction policy's list (exact replays depend on
 * it), while a helper on another CPU copies and completes the parts already
 * collected, in order; once all are collected, the caller completes those
 * the helper has not taken.  One helper per call: waking a CPU per part
 * costs more than the part.  A run of granules of 2 MiB (at most PIPE_BLOCKS,
 * device_fault.c) goes in one pipeline, its large folios as whole parts.
 * Only what fits on the device without eviction is cut (as a whole, its
 * pages are all in flight until it is complete, and eviction to make room
 * for its end must not pick its start); the rest goes a granule at a time.
 */
#define PIPE_PAGES	128
#define PIPE_BLOCKS	DEVMM_GRANULE_RUN
#define PIPE_PARTS	(PIPE_BLOCKS * (DEVMM_WINDOW_PAGES / PIPE_PAGES))

enum { PART_READY, PART_TAKEN };

struct pipe {
	struct mm_struct *mm;
	struct devmm_window *win[PIPE_BLOCKS];	/* win[0] is the caller's */
	struct to_device td[PIPE_PARTS];
	struct devmm_window part[PIPE_PARTS];	/* in their block's window */
	unsigned int block[PIPE_PARTS];		/* the block of each part */
	atomic_t state[PIPE_PARTS];
	unsigned long moved[PIPE_PARTS];	/* written by whoever takes the part */
	unsigned int collected;			/* parts ready for the taking */
	bool over;				/* no more to come */
	wait_queue_head_t wait;
};

/* Complete part @i unless the other side took it. */
static void pipe_take(struct pipe *p, unsigned int i)
{
	if (atomic_cmpxchg(&p->state[i], PART_READY, PART_TAKEN) == PART_READY)
		p->moved[i] = to_device_finish(&p->td[i]);
}

static void pipe_helper(void *job)
{
	struct pipe *p = job;
	unsigned int i;

	/*
	 * As walk_helper(): never wait for mmap_lock.  The caller holds it
	 * all along (the VMA stays); we take it too for the core's assertions.
	 */
	if (!mmap_read_trylock(p->mm))
		return;
	for (i = 0; i < PIPE_PARTS; i++) {
		/*
		 * Pairs with the caller's release: part i's arrays and args
		 * are complete.  Idle: a collect may wait long (reclaim), and
		 * this is no hung task.
		 */
		wait_event_idle(p->wait, i < smp_load_acquire(&p->collected) || READ_ONCE(p->over));
		/* Again: @over may have come with the last parts. */
		if (i >= smp_load_acquire(&p->collected))
			break;
		pipe_take(p, i);
	}
	mmap_read_unlock(p->mm);
}

/*
 * Whether a part may complete on the helper: it inserts no page where none
 * was mapped.  That (holes, and the zero page, which the core replaces
 * with a TLB flush) would allocate page tables on the helper's behalf and
 * flush the caller's CPU from there, page by page.
 */
static bool pipe_offloadable(struct to_device *td)
{
	unsigned long i, n = (td->args.end - td->args.start) >> PAGE_SHIFT;

	for (i = 0; i < n; i++)
		if ((td->args.src[i] & MIGRATE_PFN_MIGRATE) && !migrate_pfn_to_page(td->args.src[i]))
			return false;
	return true;
}

/* A part of @pages pages: the arrays of window @w from entry @off on. */
static void pipe_part(struct devmm_window *part, struct devmm_window *w, unsigned long off,
		      unsigned long pages)
{
	part->pages = pages;
	part->src = w->src + off;
	part->dst = w->dst + off;
	part->dfolio = w->dfolio + off;
	part->cdst = w->cdst + off;
	part->csrc = w->csrc + off;
}

/*
 * Whether the PMD block of @addr is mapped by a page table: then, with the
 * mmap_lock held for reading, it holds no THP and gets none (khugepaged
 * collapses under the write lock, a THP fault needs an empty PMD), except
 * where MADV_DONTNEED frees an emptied table under the read lock
 * (CONFIG_PT_RECLAIM, 6.14 on): a THP faulted in there meanwhile is split
 * by the collect of the first part that covers a piece of it, which is
 * slower but moves the same data.
 */
static bool block_is_table(struct mm_struct *mm, unsigned long addr)
{
	return devmm_pmd_kind(mm, addr) == DEVMM_PMD_TABLE;
}

/*
 * Whether the block [start, end) (within one PMD and VMA) is a part of its
 * own: a block that may hold or get a large folio.  Cut into parts, its
 * collect would split the folio.
 */
static bool block_whole(struct devmm_device *dev, struct mm_struct *mm,
			struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	return compound_flag(dev, vma, start, end, true) && !block_is_table(mm, start);
}

static unsigned long nr_blocks(unsigned long start, unsigned long end)
{
	return (ALIGN(end, PMD_SIZE) - ALIGN_DOWN(start, PMD_SIZE)) >> PMD_SHIFT;
}

/*
 * The VMA of granules [start, end) that may move in a pipeline (above), or
 * NULL; mmap_lock held.
 */
static struct vm_area_struct *pipe_vma(struct devmm_mirror *m, struct mm_struct *mm,
				       unsigned long start, unsigned long end)
{
	unsigned long n = (end - start) >> PAGE_SHIFT, blocks = nr_blocks(start, end);
	struct vm_area_struct *vma;

	if (blocks > PIPE_BLOCKS || (blocks == 1 && n <= PIPE_PAGES) ||
	    devmm_param_copy_threads() < 2 || !devmm_task_placement_default())
		return NULL;
	vma = vma_lookup(mm, start);
	if (!vma || !(vma->vm_flags & VM_READ) || end > vma->vm_end ||
	    !devmm_page_room(m->dev, n))
		return NULL;
	/* One large folio is one part: nothing to overlap. */
	if (blocks == 1 && block_whole(m->dev, mm, vma, start, end))
		return NULL;
	return vma;
}

/* A pipeline for @blocks blocks, @w the first one's window; NULL without memory. */
static struct pipe *pipe_alloc(struct mm_struct *mm, struct devmm_window *w,
			       unsigned long blocks)
{
	struct pipe *p = kzalloc(sizeof(*p), GFP_KERNEL);
	unsigned long b;

	if (!p)
		return NULL;
	p->mm = mm;
	p->win[0] = w;
	for (b = 1; b < blocks; b++) {
		p->win[b] = devmm_window_alloc(DEVMM_WINDOW_PAGES);
		if (!p->win[b]) {
			while (--b)
				devmm_window_free(p->win[b]);
			kfree(p);
			return NULL;
		}
	}
	init_waitqueue_head(&p->wait);
	return p;
}

static void pipe_free(struct pipe *p)
{
	unsigned int b;

	for (b = 1; b < PIPE_BLOCKS; b++)
		devmm_window_free(p->win[b]);
	kfree(p);
}

/*
 * Collect part @n, [start, end) of block @b (which starts at @bs, the first
 * entry of its window), and publish it.
 */
static int pipe_collect(struct pipe *p, struct devmm_mirror *m, struct vm_area_struct *vma,
			unsigned int n, unsigned int b, unsigned long bs, unsigned long start,
			unsigned long end)
{
	struct to_device *td = &p->td[n];
	int ret;

	pipe_part(&p->part[n], p->win[b], (start - bs) >> PAGE_SHIFT, (end - start) >> PAGE_SHIFT);
	*td = (struct to_device){ .m = m, .w = &p->part[n] };
	p->block[n] = b;
	ret = fatal_signal_pending(current) ? -EINTR : to_device_collect(td, vma, start, end);
	if (ret)
		return ret;
	atomic_set(&p->state[n], PART_READY);
	if (!pipe_offloadable(td))
		pipe_take(p, n);
	/* Publishes the part to pipe_helper()'s acquire. */
	smp_store_release(&p->collected, n + 1);
	wake_up(&p->wait);
	return 0;
}

/*
 * Migrate [start, end) (within @vma, see pipe_vma()) in a pipeline; the
 * pages that moved are added per block to @moved[], from the block of
 * @start on.
 */
static int pipe_migrate(struct pipe *p, struct devmm_mirror *m, struct vm_area_struct *vma,
			unsigned long start, unsigned long end, u64 *moved)
{
	unsigned long bs, be, addr, next;
	struct devmm_helpers hs;	/* on the stack: INIT_WORK_ONSTACK */
	unsigned int i, b, n = 0;
	bool whole;
	int ret = 0;

	devmm_helpers_start(&hs, 1, pipe_helper, p);
	for (bs = start, b = 0; !ret && bs < end; bs = be, b++) {
		be = window_end(vma, bs, end);
		whole = block_whole(m->dev, p->mm, vma, bs, be);
		for (addr = bs; !ret && addr < be; addr = next) {
			next = whole ? be : min(be, addr + (PIPE_PAGES << PAGE_SHIFT));
			ret = pipe_collect(p, m, vma, n, b, bs, addr, next);
			if (!ret)
				n++;
		}
	}
	WRITE_ONCE(p->over, true);
	wake_up(&p->wait);
	for (i = 0; i < n; i++)
		pipe_take(p, i);
	/* Its cancel or flush orders the helper's moved[] before our reads. */
	devmm_helpers_finish(&hs);
	for (i = 0; i < n; i++)
		moved[p->block[i]] += p->moved[i];
	return ret;
}

/*
 * Device faults' granules [start, end) (@moved[] per PMD block, from the
 * block of @start on): in one pipeline if they fit on the device, else a
 * granule after the other, each in a pipeline where it can be.
 */
static int granules_to_device(struct devmm_mirror *m, struct mm_struct *mm, unsigned long start,
			      unsigned long end, struct devmm_window *w, u64 *moved)
{
	struct vm_area_struct *vma = pipe_vma(m, mm, start, end);
	struct pipe *p = vma ? pipe_alloc(mm, w, nr_blocks(start, end)) : NULL;
	unsigned long bs, be;
	int ret = 0;

	if (p) {
		ret = pipe_migrate(p, m, vma, start, end, moved);
		pipe_free(p);
		return ret;
	}
	if (nr_blocks(start, end) == 1)
		return walk_windows(mm, start, end, window_to_device, m, w, moved,
				    WALK_OFFLOAD);
	for (bs = start; !ret && bs < end; bs = be, moved++) {
		be = min(end, ALIGN_DOWN(bs, PMD_SIZE) + PMD_SIZE);
		ret = granules_to_device(m, mm, bs, be, w, moved);
	}
	return ret;
}

/*
 * Migrate [start, end) to @m's device, with the pages other devmm devices
 * hold there first if @take_foreign: device faults' @granules as above,
 * anything else (*@moved in all) window by window, shared among CPUs.
 */
static int migrate_to_device(struct devmm_mirror *m, unsigned long start, unsigned long end,
			     bool take_foreign, bool granules, u64 *moved)
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
	if (!ret && granules)
		ret = granules_to_device(m, mm, start, end, w, moved);
	else if (!ret)
		ret = walk_windows(mm, start, end, window_to_device, m, w, moved,
				   WALK_OFFLOAD);
	mmap_read_unlock(mm);
	mmput(mm);
	devmm_window_free(w);
	return ret;
}

/**
 * devmm_migrate_alone - whether a migration to the device runs on the caller's CPU alone
 * @mm: the mm of the range.
 * @start: page-aligned start.
 * @end: page-aligned end.
 *
 * A range within one PMD block of small pages is one window, which
 * walk_windows() gives no helper (a large folio's copy is shared out).
 * Return: true if [start, end) is such a range now (it may change).
 */
bool devmm_migrate_alone(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct vm_area_struct *vma;
	bool alone;

	if (nr_blocks(start, end) != 1 || devmm_param_copy_threads() < 2 ||
	    mmap_read_lock_killable(mm))
		return false;
	/* Page tables stay only under a VMA (munmap frees them under the read lock). */
	vma = vma_lookup(mm, start);
	alone = vma && end <= vma->vm_end && block_is_table(mm, start);
	mmap_read_unlock(mm);
	return alone;
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
	return migrate_to_device(m, start, end, take_foreign, false, moved);
}

/**
 * devmm_migrate_granules - migrate device faults' granules to the device
 * @m: the mirror whose device faulted.
 * @start: the first granule's start.
 * @end: the last one's end; granules of 2 MiB (a run of them,
 *	DEVMM_GRANULE_RUN at most) or one smaller granule.
 * @moved: incremented per PMD block (from the block of @start on) by the
 *	pages that moved there.
 *
 * As devmm_migrate_to_device(m, @start, @end, true, ...), in a pipeline
 * (above) where it can be, else a granule after the other.
 * Return: as devmm_migrate_to_device(); -EINTR on a fatal signal.
 */
int devmm_migrate_granules(struct devmm_mirror *m, unsigned long start, unsigned long end,
			   u64 *moved)
{
	if (WARN_ON_ONCE(nr_blocks(start, end) > DEVMM_GRANULE_RUN))
		return -EINVAL;
	return migrate_to_device(m, start, end, true, true, moved);
}

/*
 * Whether the device page @page collected at @addr is one of the victims
 * @only[0..n) (sorted by address, as evict_victims() sorts them), where it
 * was when it was picked; *@k: the cursor, from 0, for addresses in order.
 * No victims: every page is wanted.
 */
static bool victim_wanted(const struct devmm_victim *only, unsigned long n, unsigned long *k,
			  unsigned long addr, struct page *page)
{
	const struct devmm_victim *v;

	if (!only)
		return true;
	while (*k < n && addr >= only[*k].addr + (only[*k].nr << PAGE_SHIFT))
		(*k)++;
	v = only + *k;
	return *k < n && addr >= v->addr &&
	       page_to_pfn(page) == v->pfn + ((addr - v->addr) >> PAGE_SHIFT);
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
				    struct devmm_mirror *m, const struct devmm_victim *only,
				    unsigned long nonly, struct devmm_window *w)
{
	unsigned long i, j, nr, n = (args->end - args->start) >> PAGE_SHIFT, k = 0;
	bool refill = false;
	int ret = 0;

	devmm_window_reset(w, n);
	for (i = 0; i < n; i += nr) {
		unsigned long src = args->src[i], addr = args->start + (i << PAGE_SHIFT);
		struct page *spage = migrate_pfn_to_page(src), *dpage = NULL;
		unsigned long flags = src & MIGRATE_PFN_WRITE;

		nr = devmm_src_nr(src, i, n);
		if (!(src & MIGRATE_PFN_MIGRATE) || !spage)
			continue;
		/* Not a victim (a victim's address went stale): it stays. */
		if (!victim_wanted(only, nonly, &k, addr, spage))
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
			struct folio *folio = NULL;

			if (args->fault_page)
				folio = devmm_fault_spare_take(dev, args->vma, &refill);
			if (!folio)
				folio = devmm_vma_alloc_pmd_folio(args->vma, addr,
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
	if (refill)
		devmm_fault_spares_refill(dev);
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
 * @only: for eviction, the victims in the window (sorted by address): only
 *	they move, where they were when picked; or NULL: every page.
 * @nonly: how many.
 * @w: scratch arrays.
 * @cpages: incremented by the pages migrated, if not NULL.
 *
 * Return: 0, -ENOMEM if system memory ran out (those pages stay on the
 * device), or an error of migrate_vma_setup().
 */
int devmm_migrate_window_to_system(struct devmm_device *dev, struct vm_area_struct *vma,
				   unsigned long start, unsigned long end, struct page *fault_page,
				   struct devmm_mirror *m, const struct devmm_victim *only,
				   unsigned long nonly, struct devmm_window *w, u64 *cpages)
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
	ret = alloc_and_copy_to_system(dev, &args, m, only, nonly, w);
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

	return devmm_migrate_window_to_system(ctx->dev, vma, start, end, NULL, ctx->m, NULL, 0, w,
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
			   dev->kind == DEVMM_PRIVATE ? WALK_SHARED : WALK_OFFLOAD);
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
