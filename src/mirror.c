// SPDX-License-Identifier: GPL-2.0
/*
 * The device mirror: each open file of a device node mirrors its opener's
 * address space into a device page table (an xarray of page pointers),
 * filled by hmm_range_fault() and emptied by an mmu_interval_notifier over
 * the whole address space.  Device reads and writes go through this table.
 *
 * Locking: the mm's mmap_lock is taken before mirror->lock, never after;
 * mirror->lock is also taken by invalidations (reached from reclaim), so
 * nothing under it allocates with reclaim or faults on user memory (see
 * device_rw.c for how copies keep to that).
 * A page in the table is valid while the lock is held: an invalidation,
 * which must take the lock, comes before the page is unmapped or freed.
 *
 * Device faults fill the table (device_fault.c); reads and writes copy
 * through it (device_rw.c); snapshot.c, exclusive.c and pin.c hold the
 * rest of a file's device view.
 */
#include <linux/hmm.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/userfaultfd_k.h>
#include "devmm.h"
#include "mirror.h"

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
	/* munmap, and mremap's source: range attributes do not outlive the mapping. */
	if (range->event == MMU_NOTIFY_UNMAP && m->owner)
		devmm_attr_drop(m->owner, range->start, range->end,
				mmu_notifier_range_blockable(range));

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
		WRITE_ONCE(m->foreign_gen, m->foreign_gen + 1);
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
	m->opener = get_pid(task_tgid(current));
	return m;
}


/* Tear a mirror down; its device keeps its memory (no eviction). */
void devmm_mirror_destroy(struct devmm_mirror *m)
{
	mmu_interval_notifier_remove(&m->notifier);
	devmm_mirror_unpin_all(m);
	xa_destroy(&m->pt);
	if (m->owner)
		devmm_owner_put(m->dev, m->owner);
	devmm_device_put(m->dev);
	put_pid(m->opener);
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
	if (!devmm_mirror_is_opener(m))
		return ERR_PTR(-EPERM);
	return devmm_mirror_opener_mm(m);
}

/**
 * devmm_mirror_opener_mm - the mirrored mm, from any process holding the file
 * @m: the mirror.
 *
 * Only for commands a process may issue on another's memory (range
 * attributes with DEVMM_ATTR_OPENER): holding the opener's file is the
 * right, as pidfd_getfd(2) checks ptrace-attach access to hand one out.
 * Return: the mm with a user reference (mmput() it), or ERR_PTR(-ESRCH) once
 * the mm is gone.
 */
struct mm_struct *devmm_mirror_opener_mm(struct devmm_mirror *m)
{
	struct mm_struct *mm = m->notifier.mm;

	return mmget_not_zero(mm) ? mm : ERR_PTR(-ESRCH);
}

/**
 * devmm_vma_span - how far VMAs that pass @ok cover a range without a gap
 * @mm: the address space, mmap_lock held.
 * @start: start of the range.
 * @end: its end.
 * @ok: the test each VMA must pass (NULL: any VMA).
 * @arg: for @ok.
 * @stop: (may be NULL) the VMA at the returned end that failed @ok, or
 *	NULL (a gap, or the whole range covered).
 *
 * Return: the end of the covered part of [@start, @end), from @start on.
 */
unsigned long devmm_vma_span(struct mm_struct *mm, unsigned long start, unsigned long end,
			     bool (*ok)(struct vm_area_struct *vma, void *arg), void *arg,
			     struct vm_area_struct **stop)
{
	struct vm_area_struct *vma = NULL;
	unsigned long addr = start;

	while (addr < end) {
		vma = vma_lookup(mm, addr);
		if (!vma || (ok && !ok(vma, arg)))
			break;
		addr = vma->vm_end;
		vma = NULL;
	}
	if (stop)
		*stop = vma;
	return min(addr, end);
}

/**
 * devmm_pmd_kind - what maps the PMD block of a user address
 * @mm: the mm, its mmap_lock held (for reading at least).
 * @addr: the address.
 *
 * A look at the page tables without taking their locks, so only under a
 * VMA that covers @addr (munmap frees tables under the read lock): the
 * answer may change at once, except that a block mapped by a page table
 * mostly stays so while the mmap_lock is held (a THP needs an empty PMD,
 * khugepaged the write lock; see block_is_table() in migrate.c).
 * Return: DEVMM_PMD_TABLE (a page table), DEVMM_PMD_LEAF (a huge mapping,
 * a THP), or DEVMM_PMD_NONE (nothing, or not present).
 */
enum devmm_pmd_kind devmm_pmd_kind(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t pmd;

	if (pgd_none(*pgd) || pgd_bad(*pgd))
		return DEVMM_PMD_NONE;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d) || p4d_bad(*p4d))
		return DEVMM_PMD_NONE;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || !pud_present(*pud) || pud_leaf(*pud))
		return DEVMM_PMD_NONE;
	pmd = READ_ONCE(*pmd_offset(pud, addr));
	if (!pmd_present(pmd))
		return DEVMM_PMD_NONE;
	return pmd_leaf(pmd) ? DEVMM_PMD_LEAF : DEVMM_PMD_TABLE;
}

/**
 * devmm_fault_in_shareable - whether a helper may fault user pages in too
 * @mm: the user's mm.
 * @start: page-aligned start.
 * @end: end.
 * @need: VM_READ and/or VM_WRITE, what the access needs of the VMA.
 *
 * A helper that faults part of a range in, ahead of the caller, may fault
 * in pages past the first one the caller would stop at.  That touches
 * nothing else only where a page can fail to fault in for lack of memory (or
 * a memory error) alone: one private anonymous VMA, without userfaultfd or
 * guard regions, that the access may use.  And only for a caller without
 * placement rules of its own (a helper's pages would not follow them).
 * Return: true if so.
 */
bool devmm_fault_in_shareable(struct mm_struct *mm, unsigned long start, unsigned long end,
			      unsigned long need)
{
	bool ok;

	if (devmm_param_copy_threads() < 2 || !devmm_task_placement_default())
		return false;
	mmap_read_lock(mm);
	ok = devmm_vma_fault_in_shareable(vma_lookup(mm, start), end, need);
	mmap_read_unlock(mm);
	return ok;
}

/**
 * devmm_vma_fault_in_shareable - the VMA part of devmm_fault_in_shareable()
 * @vma: the VMA of the range's start (may be NULL), mmap_lock held.
 * @end: the range's end.
 * @need: VM_READ and/or VM_WRITE.
 *
 * For a helper that checks again, under the mmap_lock it faults with.
 * Return: true if @vma is such a VMA and covers the range to @end.
 */
bool devmm_vma_fault_in_shareable(struct vm_area_struct *vma, unsigned long end,
				  unsigned long need)
{
	return vma && vma_is_anonymous(vma) &&
	       !(vma->vm_flags & (VM_SHARED | DEVMM_VM_MAYBE_GUARD)) && !userfaultfd_armed(vma) &&
	       end <= vma->vm_end && (vma->vm_flags & need) == need;
}

/*
 * hmm_range_fault() over @range with the read_begin/retry protocol, then
 * @consume with the mirror locked and the result still valid.
 */
int devmm_mirror_walk(struct devmm_mirror *m, struct mm_struct *mm, struct hmm_range *range,
		      devmm_consume_fn consume, void *arg)
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
struct page *devmm_walk_page(unsigned long hmm_pfn, unsigned long addr)
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

/*
 * Store the valid pages of @range in the table: all of them, or, given a
 * counter, only this device's (and count those).
 */
int devmm_consume_store(struct devmm_mirror *m, struct hmm_range *range, void *own_count)
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
		page = devmm_walk_page(pfn, range->start + (i << PAGE_SHIFT));
		if (count) {
			if (!devmm_page_is_own(m, page))
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
		ret = devmm_mirror_walk(m, mm, &range, devmm_consume_store, count);
	}
	mmput(mm);
	return ret;
}
