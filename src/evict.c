// SPDX-License-Identifier: GPL-2.0
/*
 * Eviction: moving a device's pages back to system memory to make room, on
 * request, and before the device goes away.
 *
 * Why not migrate_device_range()/migrate_device_pfns() on the device's own
 * pfns, without any mmap_lock?  Between unmapping a page and restoring its
 * mappings, the core walks the page's anon_vma, which it does not pin; a
 * process that unmaps the range or exits meanwhile frees that anon_vma
 * (a KASAN use-after-free in rmap_walk_anon in devmm's debug lane).  The
 * anon_vma is safe while some VMA that maps the page cannot go away, so
 * eviction migrates each victim with migrate_vma_*() at the address where
 * its owner maps it, under that process's mmap_lock taken for reading.
 * Each device page records its owner and address when it is migrated to
 * the device (pagemap.c); eviction groups victims by owner and try-locks
 * each owner's mmap_lock while holding the device's evict_lock (under
 * pressure it also runs inside another process's migration), so a busy
 * process is skipped there.  Only a caller that holds no mmap_lock (an
 * explicit eviction, a capacity change, teardown) ever waits for one, and
 * then with evict_lock dropped: the lock order is mmap_lock, evict_lock.
 *
 * A recorded address goes stale when the owner mremaps the range, or when
 * only a fork child still maps the page.  Such pages stay until
 * devmm_evict_all(), which also scans every process's anonymous memory for
 * the device's pages.
 */
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include "devmm.h"
#include "devmm_trace.h"

/**
 * devmm_owner_get - the device's owner entry for @mm, with a user reference
 * @dev: a device with memory.
 * @mm: an address space that may migrate memory to @dev (for an open file
 *	of the device: devmm_owner_put() it when the file closes).
 *
 * Return: the entry or NULL if out of memory.
 */
struct devmm_owner *devmm_owner_get(struct devmm_device *dev, struct mm_struct *mm)
{
	struct devmm_owner *o, *new = kzalloc(sizeof(*new), GFP_KERNEL);

	if (!new)
		return NULL;
	spin_lock_irq(&dev->free_lock);
	list_for_each_entry(o, &dev->owners, node) {
		if (o->mm == mm) {
			o->users++;
			o->files++;
			spin_unlock_irq(&dev->free_lock);
			kfree(new);
			return o;
		}
	}
	mmgrab(mm);
	new->mm = mm;
	new->users = 1;
	new->files = 1;
	spin_lock_init(&new->attr_lock);
	xa_init(&new->thrash);
	list_add(&new->node, &dev->owners);
	spin_unlock_irq(&dev->free_lock);
	return new;
}

/* Free the entries on @dead (unlinked, unused): process context. */
static void owners_drop(struct list_head *dead)
{
	struct devmm_owner *o, *tmp;

	list_for_each_entry_safe(o, tmp, dead, node) {
		mmdrop(o->mm);
		kvfree(o->attrs);
		xa_destroy(&o->thrash);
		kfree(o);
	}
}

/*
 * Unlink and free the entries left without users and without pages
 * (including ones whose last page was freed earlier, by the pagemap free
 * callback, which cannot free them).  Called with free_lock held, which it
 * releases.
 */
static void owners_prune_unlock(struct devmm_device *dev)
	__releases(&dev->free_lock)
{
	struct devmm_owner *o, *tmp;
	LIST_HEAD(dead);

	list_for_each_entry_safe(o, tmp, &dev->owners, node)
		if (!o->users && !o->pages)
			list_move(&o->node, &dead);
	spin_unlock_irq(&dev->free_lock);
	owners_drop(&dead);
}

/**
 * devmm_owner_put - drop a user reference on an owner entry
 * @dev: the device.
 * @owner: the entry.
 */
void devmm_owner_put(struct devmm_device *dev, struct devmm_owner *owner)
{
	struct devmm_attr_range *attrs = NULL;
	bool last;

	spin_lock_irq(&dev->free_lock);
	owner->users--;
	/* Range attributes last while the process has the device open. */
	last = !--owner->files;
	if (last) {
		attrs = devmm_attr_take(owner);
		/* Pages keep the entry alive: empty it while it is. */
		owner->users++;
	}
	owners_prune_unlock(dev);
	kvfree(attrs);
	if (last) {
		xa_destroy(&owner->thrash);
		devmm_owner_put_user(dev, owner);
	}
}

/* Drop a user reference taken without a file. */
void devmm_owner_put_user(struct devmm_device *dev, struct devmm_owner *owner)
{
	spin_lock_irq(&dev->free_lock);
	owner->users--;
	owners_prune_unlock(dev);
}

/* Drop the owner references devmm_pick_victims() took. */
static void victims_put(struct devmm_device *dev, struct devmm_victim *v, unsigned long n)
{
	unsigned long i;

	spin_lock_irq(&dev->free_lock);
	for (i = 0; i < n; i++)
		v[i].owner->users--;
	owners_prune_unlock(dev);
}

/**
 * devmm_owners_free - free a released device's owner entries
 * @dev: a device without users or pages.
 */
void devmm_owners_free(struct devmm_device *dev)
{
	struct devmm_owner *o;

	list_for_each_entry(o, &dev->owners, node)
		WARN_ON(o->users || o->pages);
	owners_drop(&dev->owners);
	INIT_LIST_HEAD(&dev->owners);
}

/*
 * Take evict_lock for an eviction: false (and not locked) once the device's
 * eviction state is gone (torn down by devmm_pagemap_teardown()).
 */
static bool devmm_evict_begin(struct devmm_device *dev)
{
	mutex_lock(&dev->evict_lock);
	if (dev->evict_batch)
		return true;
	mutex_unlock(&dev->evict_lock);
	return false;
}

/* Victims by owner, then by address: runs of neighbours migrate together. */
static int cmp_victim(const void *a, const void *b)
{
	const struct devmm_victim *x = a, *y = b;

	if (x->owner != y->owner)
		return x->owner < y->owner ? -1 : 1;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * Sort victims as cmp_victim() does.  Most come sorted already: a policy's
 * order is mostly the order in which ranges went to the device, page after
 * page.  Checking first saves the heapsort, a serial part of each pass that
 * leaves the helpers idle (make bench, 4 KiB eviction: 8% of the samples).
 */
static void sort_victims(struct devmm_victim *v, unsigned long n)
{
	unsigned long i;

	for (i = 1; i < n; i++)
		if (cmp_victim(&v[i - 1], &v[i]) > 0)
			break;
	if (i < n)
		sort(v, n, sizeof(*v), cmp_victim, NULL);
}

/*
 * Lock @mm for an eviction: 1 if locked, 0 if busy or exiting (its pages are
 * about to be freed anyway), -1 for @locked_mm, which the caller already
 * holds.  Under evict_lock it may only try: a migration that needs room holds
 * its mmap_lock and waits for evict_lock.  A caller that holds no mmap_lock
 * (@patient) tries for a few milliseconds: a writer queued on the lock for a
 * moment (mprotect(), khugepaged) fails every try, and the pass's victims
 * with it (t_evict, an owner's thread that mprotect()s; the victims of the
 * next pass may differ).  Should the writer wait for a reader that waits for
 * evict_lock, the tries run out and the caller waits as devmm_evict() says.
 */
#define OWNER_LOCK_TRIES	16

static int owner_lock(struct mm_struct *mm, struct mm_struct *locked_mm, bool patient)
{
	unsigned int tries = patient ? OWNER_LOCK_TRIES : 1;

	if (mm == locked_mm)
		return -1;
	if (!mmget_not_zero(mm))
		return 0;
	while (!mmap_read_trylock(mm)) {
		if (!--tries || fatal_signal_pending(current)) {
			mmput_async(mm);
			return 0;
		}
		usleep_range(250, 500);
	}
	return 1;
}

/*
 * The last mmput() of a process that exited meanwhile tears its address
 * space down, taking its mmap_lock: not under evict_lock, hence async.
 */
static void owner_unlock(struct mm_struct *mm, int locked)
{
	if (locked != 1)
		return;
	mmap_read_unlock(mm);
	mmput_async(mm);
}

/*
 * Migrate the victims @v[0..n) (a run: consecutive addresses in [start,
 * end) of @mm, mmap_lock held) to system memory with the scratch arrays @w;
 * the range lies within one PMD, and may span VMAs (an mprotect() or
 * madvise() split a range that went to the device in one piece): each VMA's
 * part migrates on its own.  Only the victims move: where a victim's
 * recorded address went stale (mremap), another page of the device may be
 * mapped there now, and it stays.  Without victims (@v NULL, a scan), every
 * page of @dev in the range moves.  Returns pages moved.
 */
static unsigned long evict_range(struct devmm_device *dev, struct mm_struct *mm,
				 unsigned long start, unsigned long end,
				 const struct devmm_victim *v, unsigned long n, struct devmm_window *w)
{
	struct vm_area_struct *vma;
	u64 moved = 0;

	/* A part without a VMA was unmapped since: its addresses are stale. */
	for (vma = find_vma(mm, start); vma && vma->vm_start < end;
	     vma = find_vma(mm, vma->vm_end)) {
		unsigned long s = max(start, vma->vm_start), e = min(end, vma->vm_end);

		devmm_migrate_window_to_system(dev, vma, s, e, NULL, NULL, v, n, w, &moved);
	}
	return moved;
}

/*
 * The victims of one owner, shared out among the caller and helpers on
 * other CPUs a run at a time: a run is victims at consecutive addresses
 * within one PMD, which go in one migration.  Which pages go is decided
 * before (the victims are the same, whoever evicts them).
 */
struct evict_share {
	struct devmm_device *dev;
	struct mm_struct *mm;
	struct devmm_victim *v;
	unsigned long n;
	spinlock_t lock;
	unsigned long next;		/* the first victim no one has taken */
	unsigned long run_max;		/* bytes: a PMD, or less to share one PMD's runs */
	atomic_long_t moved;
};

/* Take the next run [*first, return value) of victims, or none (n). */
static unsigned long take_run(struct evict_share *es, unsigned long *first)
{
	struct devmm_victim *v = es->v;
	unsigned long i, j, end, pmd_end;

	spin_lock(&es->lock);
	i = es->next;
	j = i;
	if (i < es->n) {
		pmd_end = ALIGN_DOWN(v[i].addr, PMD_SIZE) + PMD_SIZE;
		end = v[i].addr + (v[i].nr << PAGE_SHIFT);
		for (j = i + 1; j < es->n && v[j].addr == end &&
		     end + (v[j].nr << PAGE_SHIFT) <= pmd_end &&
		     end + (v[j].nr << PAGE_SHIFT) - v[i].addr <= es->run_max; j++)
			end += v[j].nr << PAGE_SHIFT;
		es->next = j;
	}
	spin_unlock(&es->lock);
	*first = i;
	return j;
}

static void evict_runs(struct evict_share *es, struct devmm_window *w)
{
	struct devmm_victim *v = es->v;
	unsigned long i, j, end;

	while ((j = take_run(es, &i)) > i) {
		end = v[j - 1].addr + (v[j - 1].nr << PAGE_SHIFT);
		/* A folio recorded across a PMD is stale. */
		if (end > ALIGN_DOWN(v[i].addr, PMD_SIZE) + PMD_SIZE)
			continue;
		atomic_long_add(evict_range(es->dev, es->mm, v[i].addr, end, v + i, j - i, w),
				&es->moved);
	}
}

/*
 * A helper never waits for the owner's mmap_lock: the caller holds it for
 * reading and waits for the helper, so waiting behind a writer queued
 * meanwhile would deadlock.  What a helper does not take, the caller does.
 */
static void evict_helper(void *job)
{
	struct evict_share *es = job;
	struct devmm_window *w;

	if (!mmap_read_trylock(es->mm))
		return;
	w = devmm_window_alloc(DEVMM_WINDOW_PAGES);
	if (w)
		evict_runs(es, w);
	devmm_window_free(w);
	mmap_read_unlock(es->mm);
}

/*
 * Evict the victims v[0..n) of one owner, its mm locked, sharing runs of
 * several PMDs with helpers (but not for a caller with placement rules of
 * its own: the pages a helper allocates would not follow them).  Also when
 * the caller is a helper itself, a walk of a migration that needs room and
 * evicts one batch, usually a single PMD's worth: it shares the batch's
 * small pages in runs of EVICT_SUBRUN with a helper, which the workqueue
 * runs on another CPU when the helper there (the migration's other walk,
 * which needs room too) waits for evict_lock.  Which pages go is the same
 * either way.
 */
#define EVICT_SUBRUN	(128UL << PAGE_SHIFT)

static unsigned long evict_owner(struct devmm_device *dev, struct mm_struct *mm,
				 struct devmm_victim *v, unsigned long n)
{
	struct evict_share es = { .dev = dev, .mm = mm, .v = v, .n = n, .run_max = PMD_SIZE };
	unsigned long pmds = n ? ((v[n - 1].addr - v[0].addr) >> PMD_SHIFT) + 1 : 0;
	unsigned long span = n ? v[n - 1].addr + (v[n - 1].nr << PAGE_SHIFT) - v[0].addr : 0;
	struct devmm_helpers hs;
	unsigned long helpers = 0;

	if (devmm_task_placement_default()) {
		if (current->flags & PF_WQ_WORKER) {
			es.run_max = EVICT_SUBRUN;
			helpers = n > 1 && span > EVICT_SUBRUN;
		} else if (pmds > 1) {
			helpers = min(pmds - 1, (unsigned long)DEVMM_MAX_COPY_THREADS);
		}
	}
	spin_lock_init(&es.lock);
	atomic_long_set(&es.moved, 0);
	devmm_helpers_start_nested(&hs, helpers, evict_helper, &es);
	evict_runs(&es, dev->evict_batch);
	devmm_helpers_finish(&hs);
	return atomic_long_read(&es.moved);
}

/*
 * One eviction pass over @n victims (sorted); returns pages evicted.  The
 * mm of the first owner that was busy goes to *@busy (with a user
 * reference) if @busy is not NULL, which also says that the caller holds
 * no mmap_lock (owner_lock() may then try a while).
 */
static unsigned long evict_victims(struct devmm_device *dev, struct devmm_victim *v,
				   unsigned long n, struct mm_struct *locked_mm,
				   struct mm_struct **busy)
{
	unsigned long i, j, moved = 0;

	for (i = 0; i < n; i = j) {
		struct mm_struct *mm = v[i].owner->mm;
		int locked;

		for (j = i + 1; j < n && v[j].owner == v[i].owner; j++)
			;
		locked = owner_lock(mm, locked_mm, busy != NULL);
		if (!locked) {
			if (busy && !*busy && mmget_not_zero(mm))
				*busy = mm;
			continue;
		}
		moved += evict_owner(dev, mm, v + i, j - i);
		owner_unlock(mm, locked);
	}
	return moved;
}

/*
 * Windows of victims per pass: a few for each CPU that may take runs of them
 * (evict_owner()), so that a large eviction keeps them all busy, also while
 * a helper is still waking up (one window each left the helper nothing to
 * take: make bench, 4 KiB eviction 1.00x of devmm-1cpu).  The pick takes
 * them at once, as that many passes would one after another.
 */
static unsigned int evict_pass_windows(void)
{
	if (!devmm_task_placement_default())
		return 1;
	return min(4 * devmm_param_copy_threads(), (unsigned int)DEVMM_EVICT_PASS_WINDOWS);
}

/* devmm_evict(), and with @need, devmm_evict_room(). */
static unsigned long evict(struct devmm_device *dev, unsigned long target, unsigned long need,
			   struct mm_struct *locked_mm)
{
	struct mm_struct *held = NULL, *busy = NULL;
	unsigned int windows = evict_pass_windows();
	bool may_wait = !locked_mm;
	struct devmm_victim *v;
	unsigned long evicted = 0, n, i, pages, moved;
	unsigned int idle = 0, waits = 0;

	if (dev->kind == DEVMM_MIRROR || !devmm_evict_begin(dev))
		return 0;
	if (need && devmm_page_room(dev, need)) {
		mutex_unlock(&dev->evict_lock);
		return need;
	}
	v = dev->victims;
	while (evicted < target && idle < 4) {
		n = devmm_pick_victims(dev, v, target - evicted, windows);
		if (!n)
			break;
		sort_victims(v, n);
		moved = evict_victims(dev, v, n, locked_mm, may_wait ? &busy : NULL);
		for (i = 0, pages = 0; i < n; i++)
			pages += v[i].nr;
		victims_put(dev, v, n);
		trace_devmm_evict_pass(dev->id, n, pages, moved);
		atomic64_inc(&dev->stats.evict_passes);
		atomic64_add(pages > moved ? pages - moved : 0, &dev->stats.evict_failures);
		atomic64_add(moved, &dev->stats.evicted);
		evicted += moved;
		idle = moved ? 0 : idle + 1;
		if (busy && !moved && waits++ < 8) {
			/* Never wait for one mm while holding another. */
			mutex_unlock(&dev->evict_lock);
			if (held) {
				mmap_read_unlock(held);
				mmput(held);
			}
			held = NULL;
			if (!mmap_read_lock_killable(busy))
				held = busy;
			else
				mmput(busy);
			locked_mm = held;
			idle = 0;
			if (!devmm_evict_begin(dev))
				goto out_unlocked;
			if (!held)
				break;
		} else if (busy) {
			mmput_async(busy);
		}
		busy = NULL;
	}
	mutex_unlock(&dev->evict_lock);
out_unlocked:
	if (held) {
		mmap_read_unlock(held);
		mmput(held);
	}
	return evicted;
}

/**
 * devmm_evict - evict pages a device needs least
 * @dev: a device with memory.
 * @target: pages wanted out.
 * @locked_mm: an mm whose mmap_lock the caller holds (the process whose
 *	migration to the device needs room), or NULL if it holds none.
 *
 * Pages go in passes of up to a window per CPU, in the order of the
 * device's eviction policy (policy.c).  Pages that cannot move now
 * (locked, pinned, being migrated, their owner busy) are skipped and
 * counted as failures.  Gives up after a few passes that free nothing.
 * An owner's mmap_lock is only tried, except by a caller that holds none
 * (@locked_mm NULL): it tries for a few milliseconds, and after a pass that
 * freed nothing because an owner was still busy, it drops evict_lock,
 * waits for that owner's lock and goes on holding it (mmap_lock before
 * evict_lock, as in a migration that needs room).
 * Return: pages evicted.
 */
unsigned long devmm_evict(struct devmm_device *dev, unsigned long target,
			  struct mm_struct *locked_mm)
{
	return evict(dev, target, 0, locked_mm);
}

/**
 * devmm_evict_room - make room for an allocation of @need pages
 * @dev: a device with memory, found full.
 * @need: the pages the allocation needs.
 * @locked_mm: as for devmm_evict().
 *
 * devmm_evict() of max(@need, the device's eviction batch) pages, unless
 * the room came free while the caller waited for evict_lock: concurrent
 * allocations that found the device full (the helpers of one migration)
 * each evicted a batch, one more than they needed.
 * Return: pages evicted, or @need if the room was there already.
 */
unsigned long devmm_evict_room(struct devmm_device *dev, unsigned long need,
			       struct mm_struct *locked_mm)
{
	return evict(dev, max_t(unsigned long, need, READ_ONCE(dev->evict_pages)), need,
		     locked_mm);
}

/*
 * Migrate every page of @dev that @mm maps back to system memory, scanning
 * its VMAs that have anonymous pages; for pages whose recorded owner or
 * address went stale.
 */
static unsigned long evict_scan_mm(struct devmm_device *dev, struct mm_struct *mm)
{
	struct vm_area_struct *vma;
	unsigned long addr = 0, next, moved = 0;

	/* mmap_lock before evict_lock; nothing of ours is held here. */
	if (mmap_read_lock_killable(mm))
		return 0;
	if (!devmm_evict_begin(dev)) {
		mmap_read_unlock(mm);
		return 0;
	}
	while ((vma = find_vma(mm, addr))) {
		/* No anon_vma, no anonymous (or device) page. */
		if (!vma->anon_vma) {
			addr = vma->vm_end;
			continue;
		}
		for (addr = vma->vm_start; addr < vma->vm_end; addr = next) {
			next = min(ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE, vma->vm_end);
			moved += evict_range(dev, mm, addr, next, NULL, 0, dev->evict_batch);
			/* A huge sparse VMA must not hold evict_lock unkillably. */
			if (fatal_signal_pending(current))
				goto out;
			cond_resched();
		}
	}
out:
	mutex_unlock(&dev->evict_lock);
	mmap_read_unlock(mm);
	return moved;
}

/* Address spaces taken per scan step (under RCU), then scanned unlocked. */
#define DEVMM_SCAN_MMS	16

/*
 * Scan every process's memory for @dev's pages.  The task list may change
 * between steps; devmm_evict_all() repeats until no page is left.
 */
static unsigned long evict_scan_all(struct devmm_device *dev)
{
	struct mm_struct *mms[DEVMM_SCAN_MMS];
	unsigned long skip = 0, moved = 0;
	unsigned int n, i;

	do {
		struct task_struct *p;
		unsigned long seen = 0;

		n = 0;
		rcu_read_lock();
		for_each_process(p) {
			struct mm_struct *mm;

			if (seen++ < skip || (p->flags & PF_KTHREAD))
				continue;
			mm = get_task_mm(p);
			if (mm)
				mms[n++] = mm;
			if (n == DEVMM_SCAN_MMS)
				break;
		}
		rcu_read_unlock();
		skip = seen;
		for (i = 0; i < n; i++) {
			moved += evict_scan_mm(dev, mms[i]);
			mmput(mms[i]);
		}
	} while (n == DEVMM_SCAN_MMS && !fatal_signal_pending(current));
	return moved;
}

/* Pages in use that eviction could move (mmap buffers cannot). */
static unsigned long used_pages(struct devmm_device *dev)
{
	unsigned long used;

	spin_lock_irq(&dev->free_lock);
	used = dev->nused - dev->buffer_pages;
	spin_unlock_irq(&dev->free_lock);
	return used;
}

/**
 * devmm_evict_all - migrate every page of a device back to system memory
 * @dev: a device with memory.
 * @tries: passes to make over pages that are busy (locked, pinned or being
 *	migrated, their process busy); 0 means until none is left.
 * @only_mm: NULL to scan every process for pages whose recorded owner or
 *	address went stale (root's paths: DESTROY, the control node's EVICT,
 *	unload), else the one address space a device user may have scanned
 *	(HMM_DMIRROR_RELEASE: its opener's).
 *
 * Each pass evicts by recorded owner first, then scans for what is left.
 * Pages of mmap buffers stay (see mmap.c).
 * Return: 0 once no migratable page of the device is in use, -EBUSY if some
 * still are after @tries passes, -EINTR if a fatal signal ended the passes
 * (only with @tries: unload must not stop).
 */
int devmm_evict_all(struct devmm_device *dev, unsigned int tries, struct mm_struct *only_mm)
{
	unsigned int pass;

	if (dev->kind == DEVMM_MIRROR)
		return 0;
	for (pass = 1; used_pages(dev); pass++) {
		if (tries && pass > tries)
			return -EBUSY;
		if (tries && fatal_signal_pending(current))
			return -EINTR;
		if (pass > 1)
			msleep(min(pass, 100U));
		if (!(pass % 1000))
			pr_warn("device %u: %lu pages still busy after %u eviction passes\n",
				dev->id, used_pages(dev), pass);
		devmm_evict(dev, ULONG_MAX, NULL);
		if (used_pages(dev)) {
			unsigned long moved = only_mm ? evict_scan_mm(dev, only_mm) :
					      evict_scan_all(dev);

			atomic64_add(moved, &dev->stats.evicted);
		}
		cond_resched();
	}
	return 0;
}
