// SPDX-License-Identifier: GPL-2.0
/*
 * The device mirror: each open file of a device node mirrors its opener's
 * address space into a device page table (an xarray of page pointers),
 * filled by hmm_range_fault() and emptied by an mmu_interval_notifier over
 * the whole address space.  Device reads and writes go through this table.
 *
 * Locking: the mm's mmap_lock is taken before mirror->lock, never after;
 * mirror->lock is also taken by invalidations (reached from reclaim), so
 * nothing under it allocates with reclaim or faults on user memory: the
 * caller's user pages are pinned (faulted in as needed) before the lock is
 * taken and copied page to page under it; memory that cannot be pinned
 * (VM_PFNMAP) is copied with page faults disabled where present, else
 * through a bounce buffer copied to or from user space outside the lock.
 * A user buffer that overlaps the range goes through a kernel buffer, as
 * memmove() would.
 * A page in the table is valid while the lock is held: an invalidation,
 * which must take the lock, comes before the page is unmapped or freed.
 * Helpers that share a large copy hold no lock of their own: the caller
 * holds the mirror lock for them until they are done (or cancelled before
 * they start, so the caller never waits for a worker to be created).
 */
#include <linux/devmm_hmm.h>
#include <linux/highmem.h>
#include <linux/hmm.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "devmm.h"
#include "devmm_trace.h"

/*
 * hmm_range_fault() window; the window of device reads/writes copied
 * straight to or from user pages (the copy shared among CPUs from SHARE_MIN
 * pages on, SHARE_CHUNK pages at a time); the bounce buffer for memory that
 * cannot be pinned.
 */
#define DEVMM_FAULT_PAGES	64UL
#define DEVMM_COPY_PAGES	512UL
#define DEVMM_BOUNCE_PAGES	64UL
#define SHARE_MIN		64UL
#define SHARE_CHUNK		32UL
/* Fault rounds one read or write may need before giving up (-EBUSY). */
#define DEVMM_MAX_FAULT_ROUNDS	64

/* Pins taken through the mirror: at most this many pages per file. */
#define DEVMM_MAX_PINNED	(1UL << 18)

struct devmm_pin {
	struct list_head node;
	unsigned long start;
	unsigned long npages;
	struct page **pages;
};

/*
 * Erase the table's entries in [start, end) in one walk of the xarray, not a
 * lookup and a locked erase per entry (a tenth of a 4 KiB migration's time
 * in make bench's profile); the lock is dropped every XA_CHECK_SCHED entries,
 * as a whole address space may go at once.
 */
static void pt_erase(struct devmm_mirror *m, unsigned long start, unsigned long end)
{
	XA_STATE(xas, &m->pt, start >> PAGE_SHIFT);
	unsigned int n = 0;
	void *entry;

	xas_lock(&xas);
	xas_for_each(&xas, entry, (end - 1) >> PAGE_SHIFT) {
		xas_store(&xas, NULL);
		if (++n % XA_CHECK_SCHED)
			continue;
		xas_pause(&xas);
		xas_unlock(&xas);
		xas_lock(&xas);
	}
	xas_unlock(&xas);
}

static bool devmm_mirror_invalidate(struct mmu_interval_notifier *mni,
				    const struct mmu_notifier_range *range,
				    unsigned long cur_seq)
{
	struct devmm_mirror *m = container_of(mni, struct devmm_mirror, notifier);

	/* This mirror's own exclusive grab: the initiator updates the table. */
	if (range->event == MMU_NOTIFY_EXCLUSIVE && range->owner == m)
		return true;

	if (mmu_notifier_range_blockable(range))
		mutex_lock(&m->lock);
	else if (!mutex_trylock(&m->lock))
		return false;
	/*
	 * This mirror's own migrations to the device invalidate too: the
	 * source pages leave the table, and a fault that snapshotted them
	 * starts again, or a device write through this file would land in a
	 * page already copied, and be lost with it.  Only the others count as
	 * foreign: the initiator enters the new device pages unless one came
	 * (devmm_mirror_migrated()).
	 */
	mmu_interval_set_seq(mni, cur_seq);
	if (range->event != MMU_NOTIFY_MIGRATE || range->owner != m)
		m->foreign_gen++;
	pt_erase(m, range->start, range->end);
	mutex_unlock(&m->lock);
	return true;
}

static const struct mmu_interval_notifier_ops devmm_mirror_notifier_ops = {
	.invalidate = devmm_mirror_invalidate,
};

/**
 * devmm_mirror_create - mirror the calling process for a device
 * @dev: the device (the mirror takes a reference).
 * @dmirror: opened through a test_hmm-compatible node.
 *
 * Return: the mirror or an ERR_PTR.
 */
struct devmm_mirror *devmm_mirror_create(struct devmm_device *dev, bool dmirror)
{
	struct devmm_mirror *m;
	int ret;

	if (!current->mm)
		return ERR_PTR(-EINVAL);
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	mutex_init(&m->lock);
	xa_init(&m->pt);
	INIT_LIST_HEAD(&m->pins);
	m->dmirror = dmirror;
	if (dev->kind != DEVMM_MIRROR) {
		m->owner = devmm_owner_get(dev, current->mm);
		if (!m->owner) {
			kfree(m);
			return ERR_PTR(-ENOMEM);
		}
	}
	ret = mmu_interval_notifier_insert(&m->notifier, current->mm, 0, ULONG_MAX & PAGE_MASK,
					   &devmm_mirror_notifier_ops);
	if (ret) {
		if (m->owner)
			devmm_owner_put(dev, m->owner);
		kfree(m);
		return ERR_PTR(ret);
	}
	devmm_device_get(dev);
	m->dev = dev;
	return m;
}

static void unpin_all(struct devmm_mirror *m)
{
	struct devmm_pin *pin, *tmp;

	list_for_each_entry_safe(pin, tmp, &m->pins, node) {
		list_del(&pin->node);
		unpin_user_pages_dirty_lock(pin->pages, pin->npages, true);
		kvfree(pin->pages);
		kfree(pin);
	}
}

/* Tear a mirror down; its device keeps its memory (no eviction). */
void devmm_mirror_destroy(struct devmm_mirror *m)
{
	mmu_interval_notifier_remove(&m->notifier);
	unpin_all(m);
	xa_destroy(&m->pt);
	if (m->owner)
		devmm_owner_put(m->dev, m->owner);
	devmm_device_put(m->dev);
	kfree(m);
}

/**
 * devmm_mirror_mm_get - the mirrored mm, for the process that opened it
 * @m: the mirror.
 *
 * A file inherited across fork (or passed to another process) does not give
 * access to its opener's memory.
 * Return: the mm with a user reference (mmput() it), or ERR_PTR(-EPERM) for
 * another process, ERR_PTR(-ESRCH) once the mm is gone.
 */
struct mm_struct *devmm_mirror_mm_get(struct devmm_mirror *m)
{
	struct mm_struct *mm = m->notifier.mm;

	if (current->mm != mm)
		return ERR_PTR(-EPERM);
	if (!mmget_not_zero(mm))
		return ERR_PTR(-ESRCH);
	return mm;
}

typedef int (*devmm_consume_fn)(struct devmm_mirror *m, struct hmm_range *range, void *arg);

/*
 * hmm_range_fault() over @range with the read_begin/retry protocol, then
 * @consume with the mirror locked and the result still valid.
 */
static int mirror_hmm_walk(struct devmm_mirror *m, struct mm_struct *mm,
			   struct hmm_range *range, devmm_consume_fn consume, void *arg)
{
	unsigned long timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	unsigned long n = (range->end - range->start) >> PAGE_SHIFT;
	int ret;

	for (;;) {
		if (time_after(jiffies, timeout))
			return -EBUSY;
		/* Input bits of hmm_pfns[] are sticky on newer kernels. */
		memset(range->hmm_pfns, 0, n * sizeof(*range->hmm_pfns));
		range->notifier_seq = mmu_interval_read_begin(range->notifier);
		mmap_read_lock(mm);
		ret = hmm_range_fault(range);
		mmap_read_unlock(mm);
		if (ret == -EBUSY)
			continue;
		if (ret)
			return ret;
		mutex_lock(&m->lock);
		if (mmu_interval_read_retry(range->notifier, range->notifier_seq)) {
			mutex_unlock(&m->lock);
			continue;
		}
		ret = consume(m, range, arg);
		mutex_unlock(&m->lock);
		return ret;
	}
}

/*
 * The page behind hmm_pfns[i] of a walk, for address @addr.  For a folio
 * mapped by a PMD the page is derived from the address: 7.2's
 * hmm_vma_handle_absent_pmd() numbers the pages of a device-private PMD
 * from the folio's first pfn even when the walk starts inside the PMD, so
 * its pfns are off there (fixed or not, the folio is right).
 */
static struct page *walk_page(unsigned long hmm_pfn, unsigned long addr)
{
	struct page *page = hmm_pfn_to_page(hmm_pfn);
	struct folio *folio;

	if (hmm_pfn_to_map_order(hmm_pfn) != PMD_SHIFT - PAGE_SHIFT)
		return page;
	folio = page_folio(page);
	if (folio_order(folio) != PMD_SHIFT - PAGE_SHIFT)
		return page;
	return folio_page(folio, (addr & ~PMD_MASK) >> PAGE_SHIFT);
}

static bool page_is_own(struct devmm_mirror *m, struct page *page)
{
	return devmm_page_is_ours(page) && devmm_page_device(page) == m->dev;
}

/*
 * Store the valid pages of @range in the table: all of them, or, given a
 * counter, only this device's (and count those).
 */
static int consume_store(struct devmm_mirror *m, struct hmm_range *range, void *own_count)
{
	unsigned long i, n = (range->end - range->start) >> PAGE_SHIFT;
	u64 *count = own_count;

	for (i = 0; i < n; i++) {
		unsigned long pfn = range->hmm_pfns[i];
		unsigned long idx = (range->start >> PAGE_SHIFT) + i;
		struct page *page;
		void *old;

		if (!(pfn & HMM_PFN_VALID))
			continue;
		page = walk_page(pfn, range->start + (i << PAGE_SHIFT));
		if (count) {
			if (!page_is_own(m, page))
				continue;
			(*count)++;
		}
		old = xa_store(&m->pt, idx,
			       xa_tag_pointer(page, (pfn & HMM_PFN_WRITE) ? DEVMM_PTE_WRITE : 0),
			       GFP_NOWAIT);
		if (xa_is_err(old))
			return xa_err(old);
	}
	return 0;
}

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

	ret = mirror_hmm_walk(m, mm, &range, consume_store, NULL);
	/*
	 * hmm_range_fault() reports this device's pages as they are, even
	 * read-only ones (after fork) on a write request.  A device write to
	 * such a page is a COW break: fault it back to system memory, where
	 * the kernel does the copy.
	 */
	if (!ret && write && has_readonly_own(m, &range)) {
		range.dev_private_owner = NULL;
		ret = mirror_hmm_walk(m, mm, &range, consume_store, NULL);
	}
	return ret;
}

/*
 * Fault [start, end) into the table, for reading or writing, a window at a
 * time, in order: the first window that fails ends the round.  (Sharing the
 * windows, or the pinning of user pages, with helpers that fault in the
 * caller's address space crashed t_fuzz on 7.2: a process's memory read back
 * as zeros, seed 1796549942311286412, 5 of 6 runs; helpers only copy.)
 */
static int mirror_fault(struct devmm_mirror *m, struct mm_struct *mm, unsigned long start,
			unsigned long end, bool write)
{
	unsigned long pfns[DEVMM_FAULT_PAGES], addr;
	int ret;

	/* The device's own mmap buffer needs no walk (and gets none). */
	ret = devmm_buffer_mirror(m, mm, start, end, write);
	if (ret)
		return ret < 0 ? ret : 0;
	for (addr = start; !ret && addr < end; addr += DEVMM_FAULT_PAGES << PAGE_SHIFT)
		ret = fault_window(m, mm, addr, min(end, addr + (DEVMM_FAULT_PAGES << PAGE_SHIFT)),
				   write, pfns);
	return ret;
}

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
	mutex_unlock(&m->lock);
	return i;
}

/*
 * A copy between table pages and the caller's user pages, shared out in
 * chunks among the caller and helpers on other CPUs, which work in the
 * caller's address space (kthread_use_mm()) while the caller holds the
 * mirror lock for them.  @missing: the lowest page whose user page was not
 * there (n if none); pages past it may have been copied too, harmlessly:
 * the bounce path copies them again.
 */
struct user_copy {
	struct mm_struct *mm;
	struct page **pages;
	void __user *ubuf;
	unsigned long n;
	bool to_page;
	atomic_long_t next;
	atomic_long_t missing;
};

static void user_copy_chunks(struct user_copy *uc)
{
	unsigned long i, end, old;

	for (;;) {
		i = atomic_long_fetch_add(SHARE_CHUNK, &uc->next);
		for (end = min(i + SHARE_CHUNK, uc->n); i < end; i++) {
			if (i >= atomic_long_read(&uc->missing))
				return;
			if (copy_pt_page(uc->pages[i], NULL, uc->ubuf + (i << PAGE_SHIFT),
					 uc->to_page))
				continue;
			old = atomic_long_read(&uc->missing);
			while (i < old && !atomic_long_try_cmpxchg(&uc->missing, &old, i))
				;
			return;
		}
		if (i >= uc->n)
			return;
	}
}

static void user_copy_helper(void *job)
{
	struct user_copy *uc = job;

	kthread_use_mm(uc->mm);
	user_copy_chunks(uc);
	kthread_unuse_mm(uc->mm);
}

/*
 * Copy the table's pages of [addr, addr + n pages) straight to or from the
 * user pages at @ubuf, up to the first table page that is missing (or, for
 * writes, not writable), or whose user page is not there (*@user_missing).
 * @pages: room for n page pointers.
 */
static unsigned long copy_window_direct(struct devmm_mirror *m, unsigned long addr,
					unsigned long n, void __user *ubuf, bool write,
					bool *user_missing, struct page **pages)
{
	struct user_copy uc = { .mm = current->mm, .pages = pages, .ubuf = ubuf,
				.to_page = write };
	struct devmm_helpers hs;
	unsigned long done;

	mutex_lock(&m->lock);
	for (uc.n = 0; uc.n < n; uc.n++) {
		pages[uc.n] = table_page(m, addr + (uc.n << PAGE_SHIFT), write);
		if (!pages[uc.n])
			break;
	}
	atomic_long_set(&uc.next, 0);
	atomic_long_set(&uc.missing, uc.n);
	devmm_helpers_start(&hs, uc.n < SHARE_MIN || !uc.mm ? 0 : DEVMM_MAX_COPY_THREADS,
			    user_copy_helper, &uc);
	user_copy_chunks(&uc);
	devmm_helpers_finish(&hs);
	mutex_unlock(&m->lock);
	done = atomic_long_read(&uc.missing);
	if (done < uc.n)
		*user_missing = true;
	return done;
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
			if (devmm_page_is_ours(pc->pages[i]))
				devmm_page_touch(pc->pages[i]);
		}
	}
}

static void pinned_copy_helper(void *job)
{
	pinned_copy_chunks(job);
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
			     struct page **upages, bool *user_short)
{
	struct pinned_copy pc = { .pages = pages, .upages = upages, .to_page = write,
				  .uoff = offset_in_page(u) };
	unsigned long npin = n + (pc.uoff ? 1 : 0), want = n;
	struct devmm_helpers hs;
	long pinned;

	*user_short = false;
	pinned = pin_user_pages_fast((unsigned long)u & PAGE_MASK, npin, write ? 0 : FOLL_WRITE,
				     upages);
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
	atomic_long_set(&pc.next, 0);
	devmm_helpers_start(&hs, pc.n < SHARE_MIN ? 0 : DEVMM_MAX_COPY_THREADS,
			    pinned_copy_helper, &pc);
	pinned_copy_chunks(&pc);
	devmm_helpers_finish(&hs);
	mutex_unlock(&m->lock);

	if (write)
		unpin_user_pages(upages, pinned);
	else
		unpin_user_pages_dirty_lock(upages, pinned, pc.n > 0);
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
			     struct page **upages)
{
	bool missing = false, user_short;
	unsigned long done, k, more;
	long ret;

	ret = copy_user_pinned(m, addr, n, u, write, pages, upages, &user_short);
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
 * Device access to [start, start + npages) from or into user memory at
 * @ubuf, or else the kernel buffer @kbuf: copy through the table, faulting
 * the rest of the range in (one round) at the first missing page.
 */
static int mirror_access(struct devmm_mirror *m, unsigned long start, unsigned long npages,
			 void __user *ubuf, void *kbuf, bool write, bool fault, u64 *cpages,
			 u64 *faults)
{
	unsigned long end = start + (npages << PAGE_SHIFT), addr = start, win;
	unsigned int rounds = 0;
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
	while (addr < end) {
		unsigned long n = min((end - addr) >> PAGE_SHIFT, DEVMM_COPY_PAGES);
		long done = kbuf ? copy_window(m, addr, n, kbuf + (addr - start), write) :
			    copy_user_window(m, addr, n, ubuf + (addr - start), &buf, write,
					     pages, pages + win);

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
		if (++rounds > DEVMM_MAX_FAULT_ROUNDS) {
			ret = -EBUSY;
			break;
		}
		ret = mirror_fault(m, mm, addr, end, write);
		trace_devmm_device_fault(m->dev->id, addr, end, write, ret);
		if (ret)
			break;
		(*faults)++;
		atomic64_inc(&m->dev->stats.device_faults);
	}
	kvfree(buf);
	kfree(pages);
	mmput(mm);
	return ret;
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
	unsigned long nchunks = DIV_ROUND_UP(npages, DEVMM_COPY_PAGES), c;
	void *kbuf;
	int ret = 0;

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
				    &done, faults);
		if (!write && done && copy_to_user(u, kbuf, done << PAGE_SHIFT))
			ret = -EFAULT;
		*cpages += done;
	}
	kvfree(kbuf);
	return ret;
}

static int mirror_xfer(struct devmm_mirror *m, unsigned long start, unsigned long npages,
		       void __user *ubuf, bool write, bool fault, u64 *cpages, u64 *faults)
{
	unsigned long u = (unsigned long)ubuf, len = npages << PAGE_SHIFT;
	struct mm_struct *mm = devmm_mirror_mm_get(m);

	/* Another process (a fork child with the file) is refused before any copy. */
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	mmput(mm);

	if (u < start + len && start < u + len)
		return mirror_xfer_overlap(m, start, npages, ubuf, write, fault, cpages,
					   faults);
	return mirror_access(m, start, npages, ubuf, NULL, write, fault, cpages, faults);
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
 *
 * Return: 0 or a negative errno (-EFAULT for unmapped or PROT_NONE memory).
 */
int devmm_mirror_read(struct devmm_mirror *m, unsigned long start, unsigned long npages,
		      void __user *ubuf, bool fault, u64 *cpages, u64 *faults)
{
	return mirror_xfer(m, start, npages, ubuf, false, fault, cpages, faults);
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
	return mirror_xfer(m, start, npages, (void __user *)ubuf, true, true, cpages, faults);
}

/**
 * devmm_mirror_migrate_begin - before a migration to the device started by @m
 * @m: the mirror.
 *
 * Waits for invalidations in progress to end (a zap of the range that began
 * before must be complete before the migration collects its pages).
 * Return: the count of foreign invalidations, for devmm_mirror_migrated().
 */
unsigned long devmm_mirror_migrate_begin(struct devmm_mirror *m)
{
	unsigned long gen;

	mutex_lock(&m->lock);
	gen = m->foreign_gen;
	mutex_unlock(&m->lock);
	mmu_interval_read_begin(&m->notifier);
	return gen;
}

/*
 * devmm_mirror_migrated - after migrate_vma_pages() of a migration to the
 * device started by @m: map the new device pages (or, if a foreign
 * invalidation raced with the migration, drop the window's entries).
 */
void devmm_mirror_migrated(struct devmm_mirror *m, unsigned long gen, unsigned long start,
			   struct page **dpages, const unsigned long *src,
			   const unsigned long *dst, unsigned long n)
{
	unsigned long i, idx = start >> PAGE_SHIFT;
	bool retry;

	mutex_lock(&m->lock);
	retry = m->foreign_gen != gen;
	for (i = 0; i < n; i++) {
		unsigned long j, nr;

		if (!dpages[i] || !(src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		nr = (dst[i] & DEVMM_MIGRATE_PFN_COMPOUND) ? 1UL << DEVMM_PMD_ORDER : 1;
		for (j = 0; j < nr && i + j < n; j++) {
			void *old = NULL;

			if (!retry)
				old = xa_store(&m->pt, idx + i + j,
					       xa_tag_pointer(dpages[i] + j,
							      (dst[i] & MIGRATE_PFN_WRITE) ?
							      DEVMM_PTE_WRITE : 0),
					       GFP_NOWAIT);
			/* The old entry was the page that moved: never keep it. */
			if (retry || xa_is_err(old))
				xa_erase(&m->pt, idx + i + j);
		}
	}
	mutex_unlock(&m->lock);
}

/**
 * devmm_mirror_adopt_own - enter the range's pages already on this device
 * @m: the mirror.
 * @start: page-aligned start.
 * @end: page-aligned end.
 * @count: incremented by the number of the range's pages on this device.
 *
 * Pages on the device stay there when migrated again, and count as present
 * even if this mirror never saw them migrate (another file did).
 * Return: 0 or a negative errno.
 */
int devmm_mirror_adopt_own(struct devmm_mirror *m, unsigned long start, unsigned long end,
			   u64 *count)
{
	unsigned long pfns[DEVMM_FAULT_PAGES];
	struct hmm_range range = {
		.notifier = &m->notifier,
		.hmm_pfns = pfns,
		.dev_private_owner = m->dev,
	};
	struct mm_struct *mm;
	unsigned long addr;
	int ret = 0;

	mm = devmm_mirror_mm_get(m);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	for (addr = start; !ret && addr < end; addr = range.end) {
		range.start = addr;
		range.end = min(end, addr + (DEVMM_FAULT_PAGES << PAGE_SHIFT));
		ret = mirror_hmm_walk(m, mm, &range, consume_store, count);
	}
	mmput(mm);
	return ret;
}

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
		b = page_is_own(m, page) ? HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL :
					   HMM_DMIRROR_PROT_DEV_PRIVATE_REMOTE;
	else if (is_device_coherent_page(page))
		b = page_is_own(m, page) ? HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL :
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
		ret = mirror_hmm_walk(m, mm, &range, consume_snapshot, bytes);
		if (!ret && memchr(bytes, HMM_DMIRROR_PROT_ERROR, (range.end - addr) >> PAGE_SHIFT))
			snapshot_fix_remote(mm, addr, bytes, (range.end - addr) >> PAGE_SHIFT);
		if (!ret && copy_to_user(ubuf + ((addr - start) >> PAGE_SHIFT), bytes,
					 (range.end - addr) >> PAGE_SHIFT))
			ret = -EFAULT;
	}
	mmput(mm);
	return ret;
}

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
