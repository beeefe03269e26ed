// SPDX-License-Identifier: GPL-2.0
/*
 * Device reads and writes (READ/WRITE of a node, and the test_hmm ABI's):
 * copies between the pages of the device page table and a user (or kernel)
 * buffer, faulting missing pages in through device_fault.c.
 *
 * Nothing under the mirror lock allocates with reclaim or faults on user
 * memory (reclaim's invalidations take that lock): the caller's user pages
 * are pinned (faulted in as needed) before the lock is taken and copied
 * page to page under it; memory that cannot be pinned (VM_PFNMAP) is copied
 * with page faults disabled where present, else through a bounce buffer
 * copied to or from user space outside the lock.  A user buffer that
 * overlaps the range goes through a kernel buffer, as memmove() would.
 * An access stops at its first page it cannot reach and touches nothing
 * past it.  Helpers share the pinning of private anonymous memory, or fault
 * a device read's buffer in ahead (nothing past the first page that fails
 * is copied), under the mmap_lock alone; and copies between pinned pages,
 * under no lock of their own: the caller holds the mirror lock for the
 * copies until they are done (or cancelled before they start, so the caller
 * never waits for a worker to be created).
 */
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "devmm.h"
#include "mirror.h"
#include "devmm_trace.h"

/*
 * The window of device reads/writes copied straight to or from user pages
 * (a copy between pinned pages shared among CPUs from SHARE_MIN pages on,
 * SHARE_CHUNK pages at a time); the bounce buffer for memory that cannot be
 * pinned.
 */
#define DEVMM_COPY_PAGES	512UL
#define DEVMM_BOUNCE_PAGES	64UL
#define SHARE_MIN		64UL
#define SHARE_CHUNK		32UL
/*
 * Fault rounds in a row after which nothing was copied, before a read or
 * write gives up (-EBUSY).  A round after which the copy got further starts
 * the count again: a page evicted between a round and its copy (the next
 * round finds it in system memory) costs one round, however many pages are
 * evicted so.  In all, an access may take this many rounds more than it
 * has pages, and stops at a fatal signal.
 */
#define DEVMM_MAX_FAULT_ROUNDS	64


/*
 * Copy one table page to or from @buf, a kernel buffer, or else @ubuf, user
 * memory; the mirror lock is held.  User memory is copied with page faults
 * disabled (a fault could need reclaim, whose invalidations take the mirror
 * lock): false if a user page was not there.
 */
static bool copy_pt_page(struct page *page, void *buf, void __user *ubuf, bool to_page)
{
	struct devmm_device *dev = devmm_page_is_ours(page) ? devmm_page_device(page) : NULL;
	void *p = dev ? dev->ops->map_page(dev, page) : kmap_local_page(page);
	unsigned long left = 0;

	if (buf && to_page) {
		memcpy(p, buf, PAGE_SIZE);
	} else if (buf) {
		memcpy(buf, p, PAGE_SIZE);
	} else {
		pagefault_disable();
		if (to_page)
			left = copy_from_user(p, ubuf, PAGE_SIZE);
		else
			left = copy_to_user(ubuf, p, PAGE_SIZE);
		pagefault_enable();
	}
	if (dev) {
		dev->ops->unmap_page(dev, p);
		if (!left)
			devmm_page_touch(page);
	} else {
		kunmap_local(p);
	}
	return !left;
}

/*
 * The table's page at @addr, or NULL if it is missing (or, for a write, not
 * writable); the mirror lock is held.
 */
static struct page *table_page(struct devmm_mirror *m, unsigned long addr, bool write)
{
	void *entry = xa_load(&m->pt, addr >> PAGE_SHIFT);

	if (!entry || (write && !(xa_pointer_tag(entry) & DEVMM_PTE_WRITE)))
		return NULL;
	return xa_untag_pointer(entry);
}

/*
 * Count the pages of a copy not on the device (remote accesses): the n
 * table pages @pages, or else those at @addr; the mirror lock is held.
 */
static void count_remote(struct devmm_mirror *m, struct page **pages, unsigned long addr,
			 unsigned long n)
{
	unsigned long i, remote = 0;

	for (i = 0; i < n; i++) {
		struct page *page = pages ? pages[i] : table_page(m, addr + (i << PAGE_SHIFT),
								  false);

		remote += !devmm_page_is_own(m, page);
	}
	if (remote)
		atomic64_add(remote, &m->dev->stats.remote_pages);
}

/*
 * Copy the table's pages of [addr, addr + n pages) from or into @buf, up to
 * the first page that is missing (or, for writes, not writable).
 */
static unsigned long copy_window(struct devmm_mirror *m, unsigned long addr, unsigned long n,
				 void *buf, bool write)
{
	struct page *page;
	unsigned long i;

	mutex_lock(&m->lock);
	for (i = 0; i < n; i++) {
		page = table_page(m, addr + (i << PAGE_SHIFT), write);
		if (!page)
			break;
		copy_pt_page(page, buf + (i << PAGE_SHIFT), NULL, write);
	}
	count_remote(m, NULL, addr, i);
	mutex_unlock(&m->lock);
	return i;
}

/*
 * Copy the table's pages of [addr, addr + n pages) straight to or from the
 * user pages at @ubuf, in order, up to the first table page that is missing
 * (or, for writes, not writable), or whose user page is not there
 * (*@user_missing).  This is the path for user memory that cannot be pinned
 * (a PFN map, or the first unreachable page): it is never shared with
 * helpers, which would copy pages past the first one that fails, and those
 * may belong to another mapping of the process.
 * @pages: room for n page pointers.
 */
static unsigned long copy_window_direct(struct devmm_mirror *m, unsigned long addr,
					unsigned long n, void __user *ubuf, bool write,
					bool *user_missing, struct page **pages)
{
	unsigned long i, k;

	mutex_lock(&m->lock);
	for (k = 0; k < n; k++) {
		pages[k] = table_page(m, addr + (k << PAGE_SHIFT), write);
		if (!pages[k])
			break;
	}
	count_remote(m, pages, addr, k);
	for (i = 0; i < k; i++) {
		if (!copy_pt_page(pages[i], NULL, ubuf + (i << PAGE_SHIFT), write)) {
			*user_missing = true;
			break;
		}
	}
	mutex_unlock(&m->lock);
	return i;
}

/*
 * Map a page for a copy: one of our device's pages through its backend, any
 * other (system RAM, another driver's coherent memory) through the kernel's
 * mapping.  *@dev: the device to unmap it with, or NULL.
 */
static void *map_any(struct page *page, struct devmm_device **dev)
{
	*dev = devmm_page_is_ours(page) ? devmm_page_device(page) : NULL;
	return *dev ? (*dev)->ops->map_page(*dev, page) : kmap_local_page(page);
}

static void unmap_any(struct devmm_device *dev, void *p)
{
	if (dev)
		dev->ops->unmap_page(dev, p);
	else
		kunmap_local(p);
}

/* Copy @len bytes between a table page at @off and a pinned user page at @uoff. */
static void copy_pinned(struct page *page, unsigned int off, struct page *upage,
			unsigned int uoff, unsigned int len, bool to_page)
{
	struct devmm_device *dev, *udev;
	void *p = map_any(page, &dev);
	void *u = map_any(upage, &udev);

	if (to_page)
		memcpy(p + off, u + uoff, len);
	else
		memcpy(u + uoff, p + off, len);
	unmap_any(udev, u);
	unmap_any(dev, p);
}

/*
 * A copy between table pages and user pages pinned beforehand, shared out
 * in chunks among the caller and helpers on other CPUs while the caller
 * holds the mirror lock.  The user buffer starts @uoff bytes into its first
 * page: table page i then spans user pages i and i + 1.
 */
struct pinned_copy {
	struct page **pages;
	struct page **upages;
	unsigned long n;
	unsigned int uoff;
	bool to_page;
	atomic_long_t next;
};

static void pinned_copy_chunks(struct pinned_copy *pc)
{
	unsigned int head = PAGE_SIZE - pc->uoff;
	unsigned long i, end;

	for (;;) {
		i = atomic_long_fetch_add(SHARE_CHUNK, &pc->next);
		if (i >= pc->n)
			return;
		for (end = min(i + SHARE_CHUNK, pc->n); i < end; i++) {
			copy_pinned(pc->pages[i], 0, pc->upages[i], pc->uoff, head, pc->to_page);
			if (pc->uoff)
				copy_pinned(pc->pages[i], head, pc->upages[i + 1], 0, pc->uoff,
					    pc->to_page);
		}
	}
}

static void pinned_copy_helper(void *job)
{
	pinned_copy_chunks(job);
}

/*
 * Pinning a user buffer that is not faulted in yet faults its pages in, one
 * by one: for a fresh buffer that is half the cost of a device read (make
 * bench).  So the pinning of a window is shared out in chunks, from a
 * shared counter, with a helper on another CPU that borrows the caller's mm
 * (kthread_use_mm()).  Pages already there pin in microseconds, before a
 * helper wakes: then the caller pins them all.  Only a private anonymous
 * mapping is shared out (no file, no userfaultfd, no guard region): there
 * a page can only fail to fault in for lack of memory (or a memory error),
 * so faulting in some past the first page that fails touches nothing else.
 * A device read of more than a window has a helper of its own instead
 * (user_ahead_start(), below).
 */
#define PIN_CHUNK	32UL
#define PIN_CHUNKS	DIV_ROUND_UP(DEVMM_COPY_PAGES + 1, PIN_CHUNK)

struct pin_share {
	struct mm_struct *mm;
	unsigned long start;		/* user address of page 0 */
	unsigned long n;
	unsigned int flags;
	struct page **pages;
	atomic_long_t next;		/* the first chunk no one has taken */
	long pinned[PIN_CHUNKS];	/* per chunk: pages pinned, or -errno */
};

static void pin_chunks(struct pin_share *ps)
{
	unsigned long c, i;

	for (;;) {
		c = atomic_long_fetch_inc(&ps->next);
		i = c * PIN_CHUNK;
		if (i >= ps->n)
			return;
		ps->pinned[c] = pin_user_pages_fast(ps->start + (i << PAGE_SHIFT),
						    min(PIN_CHUNK, ps->n - i), ps->flags,
						    ps->pages + i);
	}
}

static void pin_helper(void *job)
{
	struct pin_share *ps = job;

	kthread_use_mm(ps->mm);
	pin_chunks(ps);
	kthread_unuse_mm(ps->mm);
}

/* Whether the pinning of @n user pages at @start may be shared out (above). */
static bool pin_shareable(unsigned long start, unsigned long n, bool dev_write)
{
	/* A device write reads the buffer, a device read writes it. */
	return n >= SHARE_MIN && devmm_fault_in_shareable(current->mm, start,
							  start + (n << PAGE_SHIFT),
							  dev_write ? VM_READ : VM_WRITE);
}

/*
 * pin_user_pages_fast(@start, @n, @flags, @pages), shared out where it may
 * be: the pages pinned from @start up to the first that could not be (the
 * others are unpinned), or -errno if not even the first.
 */
static long pin_user_window(unsigned long start, unsigned long n, unsigned int flags,
			    struct page **pages, bool dev_write)
{
	struct pin_share *ps;
	struct devmm_helpers hs;
	unsigned long c, i, nc = DIV_ROUND_UP(n, PIN_CHUNK);
	long pinned = 0;

	if (!pin_shareable(start, n, dev_write))
		return pin_user_pages_fast(start, n, flags, pages);
	ps = kmalloc(sizeof(*ps), GFP_KERNEL);
	if (!ps)
		return pin_user_pages_fast(start, n, flags, pages);
	*ps = (struct pin_share){ .mm = current->mm, .start = start, .n = n, .flags = flags,
				  .pages = pages };
	atomic_long_set(&ps->next, 0);
	devmm_helpers_start_user(&hs, 1, pin_helper, ps);
	pin_chunks(ps);
	devmm_helpers_finish(&hs);
	/* In address order: up to the first chunk that came short. */
	for (c = 0; c < nc; c++) {
		i = c * PIN_CHUNK;
		if (pinned < (long)i) {
			if (ps->pinned[c] > 0)
				unpin_user_pages(pages + i, ps->pinned[c]);
			continue;
		}
		if (ps->pinned[c] <= 0) {
			if (!c)
				pinned = ps->pinned[c] ?: -EFAULT;
			continue;
		}
		pinned += ps->pinned[c];
	}
	kfree(ps);
	return pinned;
}

/*
 * A device read into a fresh user buffer faults each page of it in as it
 * pins it.  Shared within a window, that had both CPUs fault pages of one
 * page table in and spin on its lock (a fifth of the fault-in in make
 * bench's profiles), and woke a helper twice per window.  So a read of more
 * than a window into a buffer a helper may fault in
 * (devmm_fault_in_shareable()) has one helper on another CPU fault the
 * buffer in for the whole access, a chunk at a time from its last one back,
 * while the caller faults in, pins and copies window after window from its
 * first: each in page tables of its own until they meet.  The helper stops
 * there, when the access ends, at a chunk whose last page is there already
 * (a buffer faulted in needs no helper, and the caller's copies get the
 * other CPU back), at a chunk it cannot fault in (the caller's pinning
 * faults what it needs, and fails as it would alone), and after the first
 * invalidation of the mm (foreign_gen): fresh memory faults in without
 * any, while a fault that breaks copy-on-write (of the zero page, say) or
 * brings a device page back invalidates every walk of the mirror, and the
 * caller's device fault rounds would retry theirs for as long as the
 * helper went on.  So past where a read stops, the helper faults in zeroed
 * pages, and moves no more than a chunk of pages that were there.  It
 * checks the VMA again under the mmap_lock it faults with and keeps that
 * lock for the chunk, so it faults no page of a mapping that has since
 * become something else (a file, userfaultfd).
 */
#define AHEAD_CHUNK	64UL
#define AHEAD_BYTES	(AHEAD_CHUNK << PAGE_SHIFT)

struct user_ahead {
	struct devmm_mirror *m;
	unsigned long gen;		/* the mirror's foreign_gen at the start */
	struct mm_struct *mm;
	unsigned long start, end;	/* the buffer's pages */
	atomic_long_t front;		/* the first chunk past the caller's window */
	atomic_long_t back;		/* the last chunk the helper took */
	bool stop;			/* the access is over */
	bool running;			/* the helper started, and has not stopped */
	bool remote;			/* not in the mm: devmm_read_ahead_start() */
};

/*
 * Whether the user page at @addr is there for writing, without faulting; if
 * so, *@before and *@rest (either may be NULL) are the sizes of its folio
 * before it, and from it on.
 */
static bool user_page_present(unsigned long addr, unsigned long *before, unsigned long *rest)
{
	struct folio *folio;
	struct page *page;
	unsigned long idx;

	if (get_user_pages_fast_only(addr, 1, FOLL_WRITE, &page) != 1)
		return false;
	folio = page_folio(page);
	idx = page_to_pfn(page) - folio_pfn(folio);
	if (before)
		*before = idx << PAGE_SHIFT;
	if (rest)
		*rest = (folio_nr_pages(folio) - idx) << PAGE_SHIFT;
	put_page(page);
	return true;
}

/*
 * Whether the fault at @a mapped a THP, seen from a CPU that is not in the
 * mm (no GUP there): if so, *@before and *@rest are as user_page_present()
 * gives them.  Smaller large folios fault page by page, each fault after
 * the first a quick one.
 */
static bool remote_thp(struct mm_struct *mm, unsigned long a, unsigned long *before,
		       unsigned long *rest)
{
	if (devmm_pmd_kind(mm, a) != DEVMM_PMD_LEAF)
		return false;
	*before = a & ~PMD_MASK;
	*rest = PMD_SIZE - *before;
	return true;
}

/*
 * Fault the user pages of [a, e) in for writing: false if one failed.  A
 * fault that maps a large folio (a THP) maps the rest of it too, so where a
 * folio may start (the first page, a PMD boundary) the fault's folio says
 * how far to skip; *@from (may be NULL) is where the folio of the first
 * page starts.  Skipping is only ever an optimisation: the caller pins the
 * pages, faulting any still missing.  @remote: the helper has not taken
 * the mm (user_ahead_start()).
 */
static bool ahead_chunk(struct mm_struct *mm, unsigned long a, unsigned long e,
			unsigned long *from, bool remote)
{
	unsigned long first = a, before = 0, skip, step;
	bool ok, seen;

	mmap_read_lock(mm);
	ok = devmm_vma_fault_in_shareable(vma_lookup(mm, a), e, VM_WRITE);
	/* No @unlocked: the fault may not drop the lock, so the VMA stays as checked. */
	while (ok && a < e) {
		ok = !fixup_user_fault(mm, a, FAULT_FLAG_WRITE, NULL);
		step = PAGE_SIZE;
		if (ok && (a == first || IS_ALIGNED(a, PMD_SIZE))) {
			seen = remote ? remote_thp(mm, a, &skip, &step) :
				user_page_present(a, &skip, &step);
			if (!seen)
				step = PAGE_SIZE;
			else if (a == first)
				before = skip;
		}
		a += step;
	}
	mmap_read_unlock(mm);
	if (from)
		*from = first - before;
	return ok;
}

static void ahead_helper(void *job)
{
	struct user_ahead *ua = job;
	unsigned long a, e, done = ULONG_MAX;	/* from here on, faulted in by this helper */
	long c;

	WRITE_ONCE(ua->running, true);
	if (!ua->remote)
		kthread_use_mm(ua->mm);
	for (;;) {
		c = atomic_long_dec_return(&ua->back);
		if (c < atomic_long_read(&ua->front) || READ_ONCE(ua->stop) ||
		    READ_ONCE(ua->m->foreign_gen) != ua->gen)
			break;
		a = ua->start + c * AHEAD_BYTES;
		e = min(ua->end, a + AHEAD_BYTES);
		/* Within a large folio this helper faulted in (a THP of a fresh buffer). */
		if (a >= done)
			continue;
		if ((!ua->remote && user_page_present(e - PAGE_SIZE, NULL, NULL)) ||
		    !ahead_chunk(ua->mm, a, e, &done, ua->remote))
			break;
		cond_resched();
	}
	if (!ua->remote)
		kthread_unuse_mm(ua->mm);
	WRITE_ONCE(ua->running, false);
}

/*
 * Start the helper of a device read of @npages into user memory at @u
 * (above), or return NULL where it does not apply.  The caller has checked
 * that the read is large enough for it.
 */
static struct user_ahead *user_ahead_start(struct devmm_mirror *m, struct devmm_helpers *hs,
					   void __user *u, unsigned long npages, bool remote)
{
	unsigned long start = (unsigned long)u & PAGE_MASK;
	unsigned long end = PAGE_ALIGN((unsigned long)u + (npages << PAGE_SHIFT));
	struct user_ahead *ua;

	if (user_page_present(end - PAGE_SIZE, NULL, NULL) ||
	    !devmm_fault_in_shareable(current->mm, start, end, VM_WRITE))
		return NULL;
	ua = kmalloc(sizeof(*ua), GFP_KERNEL);
	if (!ua)
		return NULL;
	*ua = (struct user_ahead){ .m = m, .gen = READ_ONCE(m->foreign_gen), .mm = current->mm,
				   .start = start, .end = end, .remote = remote };
	atomic_long_set(&ua->front, 0);
	atomic_long_set(&ua->back, DIV_ROUND_UP(end - start, AHEAD_BYTES));
	devmm_helpers_start_user(hs, 1, ahead_helper, ua);
	if (!hs->n) {
		kfree(ua);
		return NULL;
	}
	return ua;
}

static void user_ahead_end(struct user_ahead *ua, struct devmm_helpers *hs)
{
	if (!ua)
		return;
	/* The helper stops at its next chunk. */
	WRITE_ONCE(ua->stop, true);
	devmm_helpers_finish(hs);
	kfree(ua);
}

/* Whether the user buffer at @u overlaps the @npages pages at @start. */
static bool user_overlaps(unsigned long start, unsigned long npages, void __user *u)
{
	unsigned long ubuf = (unsigned long)u, len = npages << PAGE_SHIFT;

	return ubuf < start + len && start < ubuf + len;
}

/**
 * devmm_read_ahead_start - fault a device read's user buffer in from before the read
 * @ra: the helper's state, on the caller's stack until devmm_read_ahead_end().
 * @m: the mirror the read will go through (of the calling process).
 * @start: the range the read will copy, which the caller migrates to the
 *	device first; page-aligned.
 * @npages: its pages.
 * @u: the user buffer the read will write.
 *
 * MIGRATE_TO_DEV (test_hmm's ABI) migrates a range, then reads it back into
 * a user buffer, often a fresh one.  A migration within one PMD block of
 * small pages runs on the caller's CPU alone (walk_windows()), so the
 * buffer's fault-in, otherwise shared out within the read's one window,
 * can have another CPU from the start: user_ahead_start()'s helper, which
 * the read (devmm_mirror_read() with @ra) then drives as its own.  It
 * faults the pages in without taking the mm (no kthread_use_mm()): the
 * migration clears each present PTE with a TLB flush on every CPU where
 * the mm is live, so a helper in the mm took an IPI per page (make bench's
 * 2 MiB case: 7.8 ms a call with it, 5.6 without a helper ahead, 4.1
 * with it outside the mm).  Nothing starts for a buffer that is not fresh
 * or not private anonymous memory, that overlaps the range, that belongs to
 * another process, or for a migration that shares out its own work (a
 * helper ahead made no difference at 64 MiB).
 */
void devmm_read_ahead_start(struct devmm_read_ahead *ra, struct devmm_mirror *m,
			    unsigned long start, unsigned long npages, void __user *u)
{
	struct mm_struct *mm;

	ra->ua = NULL;
	if (npages < SHARE_MIN || user_overlaps(start, npages, u))
		return;
	mm = devmm_mirror_mm_get(m);
	if (IS_ERR(mm))
		return;
	if (mm == current->mm && devmm_migrate_alone(mm, start, start + (npages << PAGE_SHIFT)))
		ra->ua = user_ahead_start(m, &ra->hs, u, npages, true);
	mmput(mm);
}

/**
 * devmm_read_ahead_end - stop and wait for the helper of devmm_read_ahead_start()
 * @ra: its state.
 */
void devmm_read_ahead_end(struct devmm_read_ahead *ra)
{
	user_ahead_end(ra->ua, &ra->hs);
}

/*
 * Copy between [addr, addr + n pages) and user memory at @u through user
 * pages pinned (and faulted in, as a CPU access would) here, by the caller,
 * before the mirror lock is taken: no page of the copy can then be missing, and each
 * is copied with one memcpy() whatever backs it (a fresh buffer, THPs,
 * shmem, hugetlb).  Returns the pages copied (fewer at a missing table
 * page), or -errno if not even the first user page could be pinned (the
 * caller then copies through the uaccess path, which also reaches
 * VM_PFNMAP memory and gives the real error).  @upages: room for n + 1
 * page pointers.
 */
static long copy_user_pinned(struct devmm_mirror *m, unsigned long addr, unsigned long n,
			     void __user *u, bool write, struct page **pages,
			     struct page **upages, struct user_ahead *ua, bool *user_short)
{
	struct pinned_copy pc = { .pages = pages, .upages = upages, .to_page = write,
				  .uoff = offset_in_page(u) };
	unsigned long npin = n + (pc.uoff ? 1 : 0), want = n, written;
	unsigned long ustart = (unsigned long)u & PAGE_MASK, uend = ustart + (npin << PAGE_SHIFT);
	struct devmm_helpers hs;
	long pinned;

	*user_short = false;
	if (ua) {
		/* The helper faults the buffer in from its end: it stops short of this window. */
		atomic_long_set(&ua->front, DIV_ROUND_UP(uend - ua->start, AHEAD_BYTES));
		/*
		 * A window not there yet is faulted in first, as the helper does:
		 * pinning would also look each page up twice, under its page
		 * table's lock, around its fault.
		 */
		if (!user_page_present(uend - PAGE_SIZE, NULL, NULL))
			ahead_chunk(current->mm, ustart, uend, NULL, false);
		pinned = pin_user_pages_fast(ustart, npin, FOLL_WRITE, upages);
	} else {
		pinned = pin_user_window(ustart, npin, write ? 0 : FOLL_WRITE, upages, write);
	}
	if (pinned <= 0)
		return pinned ?: -EFAULT;
	n = pinned - (pc.uoff ? 1 : 0);
	if (!n) {
		unpin_user_pages(upages, pinned);
		return -EFAULT;
	}

	mutex_lock(&m->lock);
	for (pc.n = 0; pc.n < n; pc.n++) {
		pages[pc.n] = table_page(m, addr + (pc.n << PAGE_SHIFT), write);
		if (!pages[pc.n])
			break;
	}
	count_remote(m, pages, addr, pc.n);
	atomic_long_set(&pc.next, 0);
	/* Not while the helper faults ahead: it has the other CPU. */
	devmm_helpers_start(&hs, pc.n < SHARE_MIN || (ua && READ_ONCE(ua->running)) ? 0 :
			    DEVMM_MAX_COPY_THREADS, pinned_copy_helper, &pc);
	pinned_copy_chunks(&pc);
	devmm_helpers_finish(&hs);
	/* In address order, whoever copied what: LRU and LFU replays depend on it. */
	devmm_pages_touch(pages, pc.n);
	mutex_unlock(&m->lock);

	/* A read dirties the user pages it wrote, and only those. */
	written = write || !pc.n ? 0 : pc.n + (pc.uoff ? 1 : 0);
	unpin_user_pages_dirty_lock(upages, written, true);
	unpin_user_pages(upages + written, pinned - written);
	/* Every table page there, but not every user page: the caller goes on. */
	*user_short = pc.n == n && n < want;
	return pc.n;
}

/*
 * Copy through the table between user memory at @u and [addr, addr + n
 * pages): through pinned user pages; where they cannot be pinned, straight
 * to or from the user pages that are present, and through the bounce
 * buffer *@buf (allocated here on first need) from the first one that is
 * not, which the copy outside the lock faults in.  Returns the pages copied
 * (fewer at a missing table page) or -errno.
 */
static long copy_user_window(struct devmm_mirror *m, unsigned long addr, unsigned long n,
			     void __user *u, void **buf, bool write, struct page **pages,
			     struct page **upages, struct user_ahead *ua)
{
	bool missing = false, user_short;
	unsigned long done, k, more;
	long ret;

	ret = copy_user_pinned(m, addr, n, u, write, pages, upages, ua, &user_short);
	if ((ret >= 0 && !user_short) || (ret < 0 && fatal_signal_pending(current)))
		return ret;
	/* From the first user page that could not be pinned, through uaccess. */
	done = max(ret, 0L);
	done += copy_window_direct(m, addr + (done << PAGE_SHIFT), n - done,
				   u + (done << PAGE_SHIFT), write, &missing, pages);
	if (!missing)
		return done;
	if (!*buf) {
		*buf = kvmalloc(DEVMM_BOUNCE_PAGES << PAGE_SHIFT, GFP_KERNEL);
		if (!*buf)
			return -ENOMEM;
	}
	while (done < n) {
		unsigned long a = addr + (done << PAGE_SHIFT);
		void __user *ua = u + (done << PAGE_SHIFT);

		k = min(n - done, DEVMM_BOUNCE_PAGES);
		if (write && copy_from_user(*buf, ua, k << PAGE_SHIFT))
			return -EFAULT;
		more = copy_window(m, a, k, *buf, write);
		if (!write && more && copy_to_user(ua, *buf, more << PAGE_SHIFT))
			return -EFAULT;
		done += more;
		if (more < k)
			break;
	}
	return done;
}

/*
 * Whether the user buffer's @vma allows what the access needs: a device read
 * writes the buffer, a device write reads it (x86 reads what it may write).
 */
static bool vma_user_writable(struct vm_area_struct *vma, void *arg)
{
	return vma->vm_flags & VM_WRITE;
}

static bool vma_user_readable(struct vm_area_struct *vma, void *arg)
{
	return vma->vm_flags & (VM_READ | VM_WRITE);
}

/*
 * The end of what an access demand-pages before the copy window at @start
 * (ending at @wend): devmm_demand_ahead(), but only as far as the user
 * buffer @u (NULL: a kernel buffer) can take the copy, so that a copy that
 * fails leaves nothing past its window migrated.
 */
static unsigned long demand_end(struct devmm_mirror *m, struct mm_struct *mm,
				unsigned long start, unsigned long wend, unsigned long end,
				void __user *u, bool write)
{
	unsigned long ahead = devmm_demand_ahead(m, start, wend, end), ua = (unsigned long)u, span;

	if (ahead > wend && u) {
		mmap_read_lock(mm);
		span = devmm_vma_span(mm, ua, ua + (ahead - start),
				      write ? vma_user_readable : vma_user_writable, NULL, NULL);
		mmap_read_unlock(mm);
		/* Whole pages: a buffer at a page offset ends within a page of the range. */
		ahead = start + ALIGN_DOWN(span - ua, PAGE_SIZE);
	}
	return max(ahead, wend);
}

/*
 * Device access to [start, start + npages) from or into user memory at
 * @ubuf, or else the kernel buffer @kbuf: copy through the table, faulting
 * the rest of the range in (one round) at the first missing page.
 */
static int mirror_access(struct devmm_mirror *m, unsigned long start, unsigned long npages,
			 void __user *ubuf, void *kbuf, bool write, bool fault, u64 *cpages,
			 u64 *faults, struct devmm_read_ahead *ra)
{
	unsigned long end = start + (npages << PAGE_SHIFT), addr = start, demanded = start, win;
	unsigned long stuck = start;	/* where the last fault round began */
	/* The helper of devmm_read_ahead_start(), ended by its caller. */
	bool borrowed = ra && ra->ua;
	struct user_ahead *ua = NULL;
	unsigned long rounds = 0, all_rounds = 0;
	struct devmm_helpers hs;
	struct page **pages;
	struct mm_struct *mm;
	void *buf = NULL;
	int ret = 0;

	/* Sized to the work: a small access need not have 4 KiB zeroed. */
	win = min(npages, DEVMM_COPY_PAGES);
	pages = kmalloc_array(2 * win + 1, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	mm = devmm_mirror_mm_get(m);
	if (IS_ERR(mm)) {
		kfree(pages);
		return PTR_ERR(mm);
	}
	if (borrowed)
		ua = ra->ua;
	else if (ubuf && !write && npages > DEVMM_COPY_PAGES)
		ua = user_ahead_start(m, &hs, ubuf, npages, false);
	while (addr < end) {
		unsigned long n = min((end - addr) >> PAGE_SHIFT, DEVMM_COPY_PAGES);
		long done;

		/*
		 * Demand paging a window at a time, in fixed windows from
		 * @start (whatever the fault rounds), each before its copy.
		 */
		if (fault && addr >= demanded) {
			unsigned long dend = min(end, demanded + (DEVMM_COPY_PAGES << PAGE_SHIFT));

			dend = demand_end(m, mm, demanded, dend, end,
					  ubuf ? ubuf + (demanded - start) : NULL, write);
			ret = devmm_device_fault_demand(m, mm, demanded, dend, write);
			if (ret)
				break;
			demanded = dend;
		}
		if (fault)
			n = min(n, (demanded - addr) >> PAGE_SHIFT);
		done = kbuf ? copy_window(m, addr, n, kbuf + (addr - start), write) :
		       copy_user_window(m, addr, n, ubuf + (addr - start), &buf, write, pages,
					pages + win, ua);

		if (done < 0) {
			ret = done;
			break;
		}
		addr += done << PAGE_SHIFT;
		*cpages += done;
		if (done == n)
			continue;
		if (!fault) {
			ret = -ENOENT;
			break;
		}
		if (addr != stuck) {
			stuck = addr;
			rounds = 0;
		}
		if (++rounds > DEVMM_MAX_FAULT_ROUNDS ||
		    ++all_rounds > DEVMM_MAX_FAULT_ROUNDS + npages) {
			ret = -EBUSY;
			break;
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		cond_resched();
		ret = devmm_device_fault(m, mm, addr, end, write);
		trace_devmm_device_fault(m->dev->id, addr, end, write, ret);
		if (ret)
			break;
		(*faults)++;
		atomic64_inc(&m->dev->stats.device_faults);
	}
	if (!borrowed)
		user_ahead_end(ua, &hs);
	kvfree(buf);
	kfree(pages);
	mmput(mm);
	return ret;
}

/*
 * The pages of an overlapping access that the same access in order would
 * reach: its range as devmm_access_reach() says, and its buffer.  Past them
 * the access must touch nothing (its chunks may go last to first), so it is
 * cut there, and *@err is what it then fails with.
 */
static unsigned long overlap_reach(struct devmm_mirror *m, struct mm_struct *mm,
				   unsigned long start, unsigned long npages, unsigned long u,
				   bool write, int *err)
{
	unsigned long len = npages << PAGE_SHIFT, dev, user;
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	dev = (devmm_access_reach(m, mm, start, start + len, write, &vma) - start) >> PAGE_SHIFT;
	user = (devmm_vma_span(mm, u, u + len, write ? vma_user_readable : vma_user_writable,
			       NULL, NULL) - u) >> PAGE_SHIFT;
	*err = 0;
	if (dev < npages || user < npages) {
		*err = -EFAULT;
		/* As the access in order says: a device write to read-only memory is EPERM. */
		if (dev <= user && write && vma && (vma->vm_flags & VM_READ) &&
		    !(vma->vm_flags & VM_WRITE))
			*err = -EPERM;
	}
	mmap_read_unlock(mm);
	return min(dev, user);
}

/*
 * A device access whose user buffer overlaps the range it copies (both are
 * the caller's memory): copied as memmove() would, as if the whole source
 * were read before anything is written.  Chunk by chunk through a kernel
 * buffer, walking from the end when data moves to higher addresses, so no
 * chunk reads what an earlier one wrote.
 */
static int mirror_xfer_overlap(struct devmm_mirror *m, unsigned long start,
			       unsigned long npages, void __user *ubuf, bool write, bool fault,
			       u64 *cpages, u64 *faults)
{
	unsigned long from = write ? (unsigned long)ubuf : start;
	unsigned long to = write ? start : (unsigned long)ubuf;
	unsigned long nchunks, c;
	int ret = 0, stop;
	void *kbuf;

	npages = overlap_reach(m, current->mm, start, npages, (unsigned long)ubuf, write, &stop);
	if (!npages)
		return stop;
	nchunks = DIV_ROUND_UP(npages, DEVMM_COPY_PAGES);

	kbuf = kvmalloc(min(npages, DEVMM_COPY_PAGES) << PAGE_SHIFT, GFP_KERNEL);
	if (!kbuf)
		return -ENOMEM;
	for (c = 0; c < nchunks && !ret; c++) {
		unsigned long j = to > from ? nchunks - 1 - c : c;
		unsigned long off = j * DEVMM_COPY_PAGES;
		unsigned long n = min(npages - off, DEVMM_COPY_PAGES);
		void __user *u = ubuf + (off << PAGE_SHIFT);
		u64 done = 0;

		if (write && copy_from_user(kbuf, u, n << PAGE_SHIFT)) {
			ret = -EFAULT;
			break;
		}
		ret = mirror_access(m, start + (off << PAGE_SHIFT), n, NULL, kbuf, write, fault,
				    &done, faults, NULL);
		if (!write && done && copy_to_user(u, kbuf, done << PAGE_SHIFT))
			ret = -EFAULT;
		*cpages += done;
	}
	kvfree(kbuf);
	return ret ?: stop;
}

static int mirror_xfer(struct devmm_mirror *m, unsigned long start, unsigned long npages,
		       void __user *ubuf, bool write, bool fault, u64 *cpages, u64 *faults,
		       struct devmm_read_ahead *ra)
{
	struct mm_struct *mm = devmm_mirror_mm_get(m);

	/* Another process (a fork child with the file) is refused before any copy. */
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	mmput(mm);

	if (user_overlaps(start, npages, ubuf))
		return mirror_xfer_overlap(m, start, npages, ubuf, write, fault, cpages,
					   faults);
	return mirror_access(m, start, npages, ubuf, NULL, write, fault, cpages, faults, ra);
}

/**
 * devmm_mirror_read - device read of process memory into a user buffer
 * @m: the mirror.
 * @start: page-aligned address.
 * @npages: pages to read.
 * @ubuf: destination, @npages pages.
 * @fault: fault missing pages in; otherwise a missing page is -ENOENT.
 * @cpages: incremented by the pages read.
 * @faults: incremented by the fault rounds needed.
 * @ra: NULL, or the helper devmm_read_ahead_start() started for this read.
 *
 * Return: 0 or a negative errno (-EFAULT for unmapped or PROT_NONE memory).
 */
int devmm_mirror_read(struct devmm_mirror *m, unsigned long start, unsigned long npages,
		      void __user *ubuf, bool fault, u64 *cpages, u64 *faults,
		      struct devmm_read_ahead *ra)
{
	return mirror_xfer(m, start, npages, ubuf, false, fault, cpages, faults, ra);
}

/**
 * devmm_mirror_write - device write of a user buffer into process memory
 * @m: the mirror.
 * @start: page-aligned address.
 * @npages: pages to write.
 * @ubuf: source, @npages pages.
 * @cpages: incremented by the pages written.
 * @faults: incremented by the fault rounds needed.
 *
 * Return: 0 or a negative errno (-EPERM for read-only memory).
 */
int devmm_mirror_write(struct devmm_mirror *m, unsigned long start, unsigned long npages,
		       const void __user *ubuf, u64 *cpages, u64 *faults)
{
	return mirror_xfer(m, start, npages, (void __user *)ubuf, true, true, cpages, faults,
			   NULL);
}
