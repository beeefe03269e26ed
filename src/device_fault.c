// SPDX-License-Identifier: GPL-2.0
/*
 * Device faults: the device touched pages its page table (the mirror) does
 * not hold, or holds read-only for a write; fault them in with
 * hmm_range_fault(), as a CPU access would, and enter them in the table.
 */
#include <linux/hmm.h>
#include <linux/kthread.h>
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include "devmm.h"
#include "mirror.h"
#include "devmm_trace.h"

/* Whether a write fault left a page of this device read-only (COW). */
static bool has_readonly_own(struct devmm_mirror *m, struct hmm_range *range)
{
	unsigned long i, n = (range->end - range->start) >> PAGE_SHIFT;

	for (i = 0; i < n; i++) {
		unsigned long pfn = range->hmm_pfns[i];

		if ((pfn & HMM_PFN_VALID) && !(pfn & HMM_PFN_WRITE) &&
		    is_device_private_page(hmm_pfn_to_page(pfn)))
			return true;
	}
	return false;
}

/* Fault one window [start, end) of at most DEVMM_FAULT_PAGES into the table. */
static int fault_window(struct devmm_mirror *m, struct mm_struct *mm, unsigned long start,
			unsigned long end, bool write, unsigned long *pfns)
{
	struct hmm_range range = {
		.notifier = &m->notifier,
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT | (write ? HMM_PFN_REQ_WRITE : 0),
		.dev_private_owner = m->dev,
		.start = start,
		.end = end,
	};
	int ret;

	ret = devmm_mirror_walk(m, mm, &range, devmm_consume_store, NULL);
	/*
	 * hmm_range_fault() reports this device's pages as they are, even
	 * read-only ones (after fork) on a write request.  A device write to
	 * such a page is a COW break: fault it back to system memory, where
	 * the kernel does the copy.
	 */
	if (!ret && write && has_readonly_own(m, &range)) {
		range.dev_private_owner = NULL;
		ret = devmm_mirror_walk(m, mm, &range, devmm_consume_store, NULL);
	}
	return ret;
}

/*
 * A fault round over fresh memory faults its pages in one by one: most of
 * the cost of a device write into a fresh buffer (make bench).  In one
 * private anonymous mapping without userfaultfd or guard regions, where a
 * page can only fail to fault in for lack of memory (or a memory error), a
 * helper on another CPU that borrows the caller's mm (kthread_use_mm():
 * memory.high throttling goes by the current mm) faults the round's windows
 * in ahead, from the last one back, while the caller walks them in order
 * from the first, as it would alone: it enters the pages in the table, and
 * the round's result is its own.  The helper stops where it meets the
 * caller, and as soon as a window of the caller sees an invalidation: a
 * fault that breaks copy-on-write (after fork, or of the zero page) or
 * migrates a page back invalidates every walk of the mirror (one notifier
 * covers the whole address space), and the caller's walk would be retried
 * for as long as the helper faults (hmm-tests' anon_write_child, with both
 * walking: EBUSY on the 6.12 lane).  Fresh memory sees none.
 */
#define FAULT_SHARE_MIN		(2 * DEVMM_FAULT_PAGES)
#define FAULT_WINDOW		(DEVMM_FAULT_PAGES << PAGE_SHIFT)
/* Tries of a window the helper finds invalidated under it: it is only ahead of need. */
#define PREFAULT_TRIES		3

struct fault_share {
	struct devmm_mirror *m;
	struct mm_struct *mm;
	unsigned long start, end;
	bool write;
	atomic_long_t front;		/* the window the caller is at */
	atomic_long_t back;		/* the last window the helper took */
	bool stop;			/* the caller saw an invalidation */
};

/* Fault window @w of @fs in, as fault_window() would, without entering it. */
static void prefault_window(struct fault_share *fs, long w, unsigned long *pfns)
{
	unsigned long addr = fs->start + w * FAULT_WINDOW;
	struct hmm_range range = {
		.notifier = &fs->m->notifier,
		.hmm_pfns = pfns,
		.default_flags = HMM_PFN_REQ_FAULT | (fs->write ? HMM_PFN_REQ_WRITE : 0),
		.dev_private_owner = fs->m->dev,
		.start = addr,
		.end = min(fs->end, addr + FAULT_WINDOW),
	};
	unsigned int tries;
	int ret;

	for (tries = 0; tries < PREFAULT_TRIES; tries++) {
		memset(pfns, 0, sizeof(*pfns) * DEVMM_FAULT_PAGES);
		range.notifier_seq = mmu_interval_read_begin(range.notifier);
		mmap_read_lock(fs->mm);
		ret = hmm_range_fault(&range);
		mmap_read_unlock(fs->mm);
		if (ret != -EBUSY)
			return;
	}
}

static void fault_helper(void *job)
{
	struct fault_share *fs = job;
	unsigned long pfns[DEVMM_FAULT_PAGES];
	long w;

	kthread_use_mm(fs->mm);
	for (;;) {
		w = atomic_long_dec_return(&fs->back);
		if (w <= atomic_long_read(&fs->front) || READ_ONCE(fs->stop))
			break;
		prefault_window(fs, w, pfns);
	}
	kthread_unuse_mm(fs->mm);
}

/* Whether a fault round over [start, end) may be shared out (above). */
static bool fault_shareable(struct mm_struct *mm, unsigned long start, unsigned long end,
			    bool write)
{
	return end - start >= (FAULT_SHARE_MIN << PAGE_SHIFT) &&
	       devmm_fault_in_shareable(mm, start, end, VM_READ | (write ? VM_WRITE : 0));
}

/*
 * Fault [start, end) into the table, for reading or writing, a window at a
 * time, in order (or shared out, above): the first window that fails ends
 * the round.
 */
int devmm_device_fault(struct devmm_mirror *m, struct mm_struct *mm, unsigned long start,
		       unsigned long end, bool write)
{
	unsigned long pfns[DEVMM_FAULT_PAGES], addr;
	struct devmm_helpers hs;
	struct fault_share *fs;
	int ret;

	/* The device's own mmap buffer needs no walk (and gets none). */
	ret = devmm_buffer_mirror(m, mm, start, end, write);
	if (ret)
		return ret < 0 ? ret : 0;
	fs = fault_shareable(mm, start, end, write) ? kmalloc(sizeof(*fs), GFP_KERNEL) : NULL;
	if (fs) {
		*fs = (struct fault_share){ .m = m, .mm = mm, .start = start, .end = end,
					    .write = write };
		atomic_long_set(&fs->front, 0);
		atomic_long_set(&fs->back, DIV_ROUND_UP(end - start, FAULT_WINDOW));
		devmm_helpers_start_user(&hs, 1, fault_helper, fs);
	}
	for (addr = start; !ret && addr < end; addr += FAULT_WINDOW) {
		unsigned long gen = READ_ONCE(m->foreign_gen);

		if (fs)
			atomic_long_set(&fs->front, (addr - start) / FAULT_WINDOW);
		ret = fault_window(m, mm, addr, min(end, addr + FAULT_WINDOW), write, pfns);
		if (fs && READ_ONCE(m->foreign_gen) != gen)
			WRITE_ONCE(fs->stop, true);
	}
	if (fs) {
		/* The helper stops at its next window (a failure ends the round here). */
		WRITE_ONCE(fs->stop, true);
		devmm_helpers_finish(&hs);
		kfree(fs);
	}
	return ret;
}

/*
 * Demand paging: a device read or write of pages in a range whose
 * attributes say migrate-on-fault and prefer this device (attr.c) first
 * migrates the pages that are not on the device there, a granule (aligned,
 * within the range of equal attributes and the VMA) per faulting page; the
 * copy then finds them in the table.  Pages are taken in address order and
 * each is checked just before its turn (a window's walk, again after every
 * migration), so that what a fault does depends only on the state it finds:
 * the exact replays of the trace tools and their model depend on it.  What
 * cannot move (no room: pinned or busy pages) is accessed where it is.
 */

/* Mark the pages of @range that are on this device. */
static int consume_resident(struct devmm_mirror *m, struct hmm_range *range, void *bits)
{
	unsigned long i, n = (range->end - range->start) >> PAGE_SHIFT;

	bitmap_zero(bits, n);
	for (i = 0; i < n; i++) {
		unsigned long pfn = range->hmm_pfns[i];

		if ((pfn & HMM_PFN_VALID) &&
		    devmm_page_is_own(m, devmm_walk_page(pfn, range->start + (i << PAGE_SHIFT))))
			__set_bit(i, bits);
	}
	return 0;
}

/*
 * Whether a device access reaches pages of @vma: it may read them (and, for
 * a write, write them), and they are not a PFN or I/O map other than a
 * buffer of the mirror's own device.
 */
static bool vma_reachable(struct devmm_mirror *m, struct vm_area_struct *vma, bool write)
{
	if (!vma || !(vma->vm_flags & VM_READ) || (write && !(vma->vm_flags & VM_WRITE)))
		return false;
	return !(vma->vm_flags & (VM_IO | VM_PFNMAP)) || devmm_vma_is_own_buffer(m, vma);
}

struct reach_arg {
	struct devmm_mirror *m;
	bool write;
};

static bool vma_reachable_span(struct vm_area_struct *vma, void *arg)
{
	struct reach_arg *r = arg;

	return vma_reachable(r->m, vma, r->write);
}

/**
 * devmm_access_reach - where a device access stops
 * @m: the mirror.
 * @mm: its mm, mmap_lock held for reading.
 * @start: page-aligned start of the access.
 * @end: its end.
 * @write: the access writes.
 *
 * An access works through its range in order and stops at the first page it
 * cannot reach (vma_reachable()); nothing past that page may be touched.
 * Return: the end of the part of [start, end) before that page; *@stop (may
 * be NULL) the VMA of that page, or NULL.
 */
unsigned long devmm_access_reach(struct devmm_mirror *m, struct mm_struct *mm,
				 unsigned long start, unsigned long end, bool write,
				 struct vm_area_struct **stop)
{
	struct reach_arg r = { m, write };

	return devmm_vma_span(mm, start, end, vma_reachable_span, &r, stop);
}

/*
 * The granule of @a around @addr, within [*lo, *hi): its range of
 * attributes and its VMA (returned too, for the prefetcher).  False if the
 * access cannot reach @addr (vma_reachable()).
 */
static bool demand_granule(struct devmm_mirror *m, struct mm_struct *mm, unsigned long addr,
			   const struct devmm_attrs *a, bool write, unsigned long *gs,
			   unsigned long *ge, unsigned long *lo, unsigned long *hi)
{
	unsigned long size = PAGE_SIZE << a->gran_order;
	struct vm_area_struct *vma;
	bool reachable;

	devmm_attr_span(m->owner, addr, lo, hi);
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	/* The VMAs may have changed since devmm_access_reach(). */
	reachable = vma_reachable(m, vma, write);
	if (reachable) {
		*lo = max(*lo, vma->vm_start);
		*hi = min(*hi, vma->vm_end);
	}
	mmap_read_unlock(mm);
	*gs = max(ALIGN_DOWN(addr, size), *lo);
	*ge = min(ALIGN_DOWN(addr, size) + size, *hi);
	return reachable;
}

/*
 * Walk [start, end) for the pages on the device: returns how many there are.
 * With @absent, stops at the first page that is not, and stores its address
 * there (0 if all of them are, or the walk failed).
 */
static unsigned long scan_resident(struct devmm_mirror *m, struct mm_struct *mm,
				   unsigned long start, unsigned long end, unsigned long *absent)
{
	DECLARE_BITMAP(resident, DEVMM_FAULT_PAGES);
	unsigned long pfns[DEVMM_FAULT_PAGES], n = 0, i, nr;
	struct hmm_range range = {
		.notifier = &m->notifier,
		.hmm_pfns = pfns,
		.dev_private_owner = m->dev,
	};

	if (absent)
		*absent = 0;
	for (range.start = start; range.start < end; range.start = range.end) {
		range.end = min(end, range.start + (DEVMM_FAULT_PAGES << PAGE_SHIFT));
		if (devmm_mirror_walk(m, mm, &range, consume_resident, resident))
			break;
		nr = (range.end - range.start) >> PAGE_SHIFT;
		i = absent ? find_first_zero_bit(resident, nr) : nr;
		if (i < nr) {
			*absent = range.start + (i << PAGE_SHIFT);
			return n + i;
		}
		n += bitmap_weight(resident, nr);
	}
	return n;
}

/*
 * Migrate [start, end) ahead of need, its new device pages marked as
 * prefetched (a concurrent fault through the same file may be marked too:
 * the counters are approximate then, the data never).
 */
static void prefetch_range(struct devmm_mirror *m, unsigned long start, unsigned long end)
{
	u64 moved = 0;

	if (start >= end)
		return;
	WRITE_ONCE(m->prefetching, true);
	devmm_migrate_to_device(m, start, end, true, &moved);
	WRITE_ONCE(m->prefetching, false);
	atomic64_add(moved, &m->dev->stats.prefetched);
}

/*
 * The device's prefetcher after a fault at @addr migrated [gs, ge), within
 * [lo, hi): the next KiB after the granule (sequential), or the rest of the
 * 2 MiB block once the given share of it is on the device (density, as
 * NVIDIA UVM's prefetcher decides per block).
 */
static void demand_prefetch(struct devmm_mirror *m, struct mm_struct *mm, unsigned long addr,
			    unsigned long ge, unsigned long lo, unsigned long hi)
{
	struct devmm_device *dev = m->dev;
	unsigned long bs, be, total;
	unsigned int mode, arg;

	/* The pair as one SETTINGS call left it. */
	spin_lock_irq(&dev->free_lock);
	mode = dev->prefetch;
	arg = dev->prefetch_arg;
	spin_unlock_irq(&dev->free_lock);

	if (mode == DEVMM_PREFETCH_SEQ) {
		prefetch_range(m, ge, min(hi, ge + ((unsigned long)arg << 10)));
	} else if (mode == DEVMM_PREFETCH_DENSITY) {
		bs = max(ALIGN_DOWN(addr, PMD_SIZE), lo);
		be = min(ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE, hi);
		total = (be - bs) >> PAGE_SHIFT;
		if (total && arg) {
			unsigned long there = scan_resident(m, mm, bs, be, NULL);

			if (there < total && there * 100 >= (unsigned long)arg * total)
				prefetch_range(m, bs, be);
		}
	}
}

/*
 * Thrashing control: each granule's device-fault history, packed in an
 * xarray value: the epoch (the device's count of faults) of its last fault,
 * until when it is held, and its refaults in a row.  Epochs wrap at 30 bits;
 * 0 means never.
 */
#define EPOCH_BITS	30
#define EPOCH_MASK	((1UL << EPOCH_BITS) - 1)
#define HELD_SHIFT	EPOCH_BITS
#define REFAULT_SHIFT	(2 * EPOCH_BITS)

/* Epochs from @from to @to, modulo the wrap. */
static unsigned long epoch_dist(unsigned long from, unsigned long to)
{
	return (to - from) & EPOCH_MASK;
}

/*
 * A device fault on the granule at @gs, before it migrates: whether the
 * granule is held in place (thrashing), so that the device accesses it where
 * it is.  A granule that faults again within DEVMM_THRASH_WINDOW faults of
 * its last fault DEVMM_THRASH_REFAULTS times in a row went back and forth:
 * it is held for DEVMM_THRASH_HOLD faults.
 */
static bool thrash_hold(struct devmm_mirror *m, unsigned long gs)
{
	struct devmm_device *dev = m->dev;
	struct xarray *xa = &m->owner->thrash;
	unsigned long v = 0, last, held, refaults, e;
	bool hold = false;
	void *entry;

	if (!READ_ONCE(dev->thrashing))
		return false;
	spin_lock_irq(&dev->free_lock);
	dev->fault_epoch = (dev->fault_epoch + 1) & EPOCH_MASK ?: 1;
	e = dev->fault_epoch;
	spin_unlock_irq(&dev->free_lock);
	entry = xa_load(xa, gs >> PAGE_SHIFT);
	if (xa_is_value(entry))
		v = xa_to_value(entry);
	last = v & EPOCH_MASK;
	held = (v >> HELD_SHIFT) & EPOCH_MASK;
	refaults = v >> REFAULT_SHIFT;
	if (held && epoch_dist(e, held) && epoch_dist(e, held) <= DEVMM_THRASH_HOLD) {
		hold = true;
	} else {
		held = 0;
		refaults = last && epoch_dist(last, e) <= DEVMM_THRASH_WINDOW ? refaults + 1 : 0;
		if (refaults >= DEVMM_THRASH_REFAULTS) {
			atomic64_inc(&dev->stats.thrashing_events);
			held = (e + DEVMM_THRASH_HOLD) & EPOCH_MASK ?: 1;
			refaults = 0;
			hold = true;
		}
	}
	if (hold)
		atomic64_inc(&dev->stats.thrashing_held);
	v = e | held << HELD_SHIFT | refaults << REFAULT_SHIFT;
	/* Out of memory: the history is lost, nothing else. */
	xa_store(xa, gs >> PAGE_SHIFT, xa_mk_value(v), GFP_KERNEL);
	return hold;
}

/*
 * A run: the 2 MiB granules after [gs, ge) that the access would fault on
 * next, one after the other, as demand_span() would find them (each of them
 * with a page before @end that is not on the device), up to
 * DEVMM_GRANULE_RUN granules in all, within [lo, hi).  They migrate in one
 * pipeline (migrate.c) instead of one after the other.  Only without
 * prefetch and thrashing control, whose decisions take each granule's
 * migration into account, and only as far as the run fits on the device
 * without eviction; exact replays see the same faults, migrations and
 * policy order either way.  Their faulting pages go to @fault[]; returns
 * the run's end.
 */
static unsigned long demand_run(struct devmm_mirror *m, struct mm_struct *mm,
				const struct devmm_attrs *a, unsigned long gs, unsigned long ge,
				unsigned long end, unsigned long hi, unsigned long *fault,
				unsigned int *nr)
{
	struct devmm_device *dev = m->dev;
	unsigned long next;

	*nr = 1;
	if (a->gran_order != DEVMM_PMD_ORDER || READ_ONCE(dev->prefetch) != DEVMM_PREFETCH_NONE ||
	    READ_ONCE(dev->thrashing))
		return ge;
	while (*nr < DEVMM_GRANULE_RUN && ge < min(end, hi)) {
		/* Only what fits without eviction, which could pick a later granule's pages. */
		if (!devmm_page_room(dev, (min(ge + PMD_SIZE, hi) - gs) >> PAGE_SHIFT))
			break;
		scan_resident(m, mm, ge, min3(ge + PMD_SIZE, end, hi), &next);
		if (!next)
			break;
		fault[(*nr)++] = next;
		ge = min(ge + PMD_SIZE, hi);
	}
	return ge;
}

/* Demand paging over [start, end), all of one range with attributes @a. */
static int demand_span(struct devmm_mirror *m, struct mm_struct *mm, unsigned long start,
		       unsigned long end, const struct devmm_attrs *a, bool write)
{
	DECLARE_BITMAP(resident, DEVMM_FAULT_PAGES);
	unsigned long pfns[DEVMM_FAULT_PAGES], fault[DEVMM_GRANULE_RUN];
	struct devmm_device *dev = m->dev;
	unsigned long addr = start;

	while (addr < end) {
		struct hmm_range range = {
			.notifier = &m->notifier,
			.hmm_pfns = pfns,
			.dev_private_owner = dev,
			.start = addr,
			.end = min(end, addr + (DEVMM_FAULT_PAGES << PAGE_SHIFT)),
		};
		unsigned long i, n = (range.end - addr) >> PAGE_SHIFT, gs, ge, lo, hi, run_end;
		u64 moved[DEVMM_GRANULE_RUN] = { 0 };
		unsigned int k, nr;

		/* Unmapped or unreadable: the access itself reports it. */
		if (devmm_mirror_walk(m, mm, &range, consume_resident, resident))
			return 0;
		i = find_first_zero_bit(resident, n);
		if (i == n) {
			addr = range.end;
			continue;
		}
		addr += i << PAGE_SHIFT;
		if (!demand_granule(m, mm, addr, a, write, &gs, &ge, &lo, &hi))
			return 0;
		atomic64_inc(&dev->stats.fault_pages);
		if (thrash_hold(m, gs)) {
			addr = ge;
			if (fatal_signal_pending(current))
				return -EINTR;
			continue;
		}
		fault[0] = addr;
		run_end = demand_run(m, mm, a, gs, ge, end, hi, fault, &nr);
		atomic64_add(nr - 1, &dev->stats.fault_pages);
		devmm_migrate_granules(m, gs, run_end, moved);
		for (k = 0; k < nr; k++) {
			atomic64_add(moved[k], &dev->stats.fault_migrated);
			trace_devmm_demand_fault(dev->id, fault[k], gs, ge, moved[k]);
			gs = ge;
			ge = min(ge + PMD_SIZE, hi);
		}
		demand_prefetch(m, mm, fault[nr - 1], run_end, lo, hi);
		ge = run_end;
		addr = ge;
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

/**
 * devmm_demand_ahead - how far a device access demand-pages at once
 * @m: the mirror.
 * @start: the start of the access's next copy window, not demanded yet.
 * @wend: that window's end.
 * @end: the access's end.
 *
 * An access demand-pages a copy window at a time, before its copy (the
 * copy records the accesses).  Without prefetch and thrashing control, and
 * where the pages of up to DEVMM_GRANULE_RUN 2 MiB blocks fit on the device
 * without eviction, it may as well demand them at once (a run of granules,
 * in one pipeline): nothing is evicted meanwhile, so the faults, the
 * migrations and the policy's order come out as window by window.  The
 * caller cuts this to what its buffer can take (device_rw.c).
 * Return: the end of what to demand now: @wend, or up to that far ahead.
 */
unsigned long devmm_demand_ahead(struct devmm_mirror *m, unsigned long start, unsigned long wend,
				 unsigned long end)
{
	struct devmm_device *dev = m->dev;
	unsigned long ahead = min(end, ALIGN_DOWN(start, PMD_SIZE) +
				  DEVMM_GRANULE_RUN * PMD_SIZE);

	if (ahead <= wend || !m->owner || !READ_ONCE(m->owner->nattrs) ||
	    READ_ONCE(dev->prefetch) != DEVMM_PREFETCH_NONE || READ_ONCE(dev->thrashing) ||
	    !devmm_page_room(dev, (ahead - start) >> PAGE_SHIFT))
		return wend;
	return ahead;
}

/**
 * devmm_device_fault_demand - demand paging before a device access
 * @m: the mirror.
 * @mm: its mm (a user reference held).
 * @start: page-aligned start of the pages the device is about to touch.
 * @end: their end.
 * @write: the access writes (it stops at the first page it cannot write).
 *
 * Return: 0 (pages that did not move are accessed where they are), or
 * -EINTR on a fatal signal.
 */
int devmm_device_fault_demand(struct devmm_mirror *m, struct mm_struct *mm,
			      unsigned long start, unsigned long end, bool write)
{
	unsigned long addr = start, span_end;
	int ret = 0;

	if (!m->owner || !READ_ONCE(m->owner->nattrs))
		return 0;
	/*
	 * Only up to where the access stops: hmm_range_fault() without fault
	 * flags walks on past a VMA the access cannot reach, and demand paging
	 * would move pages past it that the access never touches.
	 */
	mmap_read_lock(mm);
	end = devmm_access_reach(m, mm, start, end, write, NULL);
	mmap_read_unlock(mm);
	for (; !ret && addr < end; addr = span_end) {
		struct devmm_attrs a;

		span_end = devmm_attr_get(m->owner, addr, end, &a);
		if (devmm_attrs_demand(&a))
			ret = demand_span(m, mm, addr, span_end, &a, write);
	}
	return ret;
}
