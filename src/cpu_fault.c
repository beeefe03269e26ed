// SPDX-License-Identifier: GPL-2.0
/*
 * CPU faults on device-private pages: the CPU cannot reach device-private
 * memory, so a CPU access migrates the page back to system memory.
 */
#include <linux/gfp.h>
#include <linux/mempolicy.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "devmm.h"
#include "devmm_trace.h"

/*
 * The window a CPU fault on @page at @addr brings back.  A large device
 * folio mapped by a PMD comes back whole.  A small page comes back with the
 * device's pages after it (fault_around_kb; a sequential CPU pass over
 * device memory then faults once per window instead of once per page),
 * within its VMA and PMD: the faulting page is the window's first, so the
 * core collects it before anything it may skip further on.  A page of a
 * large folio mapped by PTEs (after a partial unmap or mremap) comes back
 * alone.
 */
static void fault_window(struct vm_fault *vmf, unsigned long *start, unsigned long *end)
{
	unsigned long addr = vmf->address & PAGE_MASK;

	if (!folio_test_large(page_folio(vmf->page))) {
		*start = addr;
		*end = min3(addr + (devmm_param_fault_around_pages() << PAGE_SHIFT),
			    vmf->vma->vm_end, ALIGN_DOWN(addr, PMD_SIZE) + PMD_SIZE);
	} else if (!vmf->pte) {
		*start = ALIGN_DOWN(addr, PMD_SIZE);
		*end = *start + PMD_SIZE;
	} else {
		*start = addr;
		*end = addr + PAGE_SIZE;
	}
}

/*
 * Spare system THPs.  A 2 MiB device folio comes back into a system THP,
 * which the page allocator zeroes (init_on_alloc, on in Debian's kernels)
 * only for the copy to overwrite it: more than a quarter of such a fault on
 * one CPU (make bench).  So, with copy_threads at 2 or more, each such
 * fault has a worker on another CPU allocate up to DEVMM_FAULT_SPARES for
 * the next ones, once its copy is done: the copy's helper runs on that CPU,
 * and a fill queued before it would hold it back (a CPU's workqueue items
 * wait for the one running there unless it sleeps).  A second after the
 * last such fault, the spares left are freed.  A fault takes a spare only
 * where its own allocation would have come from first: the faulting CPU's
 * node, with no memory policy of the VMA or the task in the way.  Spares can neither be reclaimed nor moved:
 * two per device at most, and only while CPU faults keep coming.
 */
static void spare_fill(struct work_struct *work)
{
	struct devmm_device *dev = container_of(work, struct devmm_device, spare_fill);
	struct folio *folio;
	bool full;
	int nid;

	for (;;) {
		spin_lock(&dev->spare_lock);
		full = dev->nspares >= DEVMM_FAULT_SPARES || READ_ONCE(dev->dying);
		nid = dev->spare_nid;
		spin_unlock(&dev->spare_lock);
		if (full)
			return;
		/*
		 * On that node only, as the fault's own allocation tries first,
		 * and without reclaim or compaction: the fault would do without.
		 */
		folio = __folio_alloc_node(GFP_TRANSHUGE_LIGHT | __GFP_THISNODE | __GFP_NOWARN,
					   DEVMM_PMD_ORDER, nid);
		if (!folio)
			return;
		spin_lock(&dev->spare_lock);
		if (dev->nspares < DEVMM_FAULT_SPARES && !READ_ONCE(dev->dying)) {
			dev->spares[dev->nspares] = folio;
			WRITE_ONCE(dev->nspares, dev->nspares + 1);
			/* A fill that ran late must not outlive the drain. */
			mod_delayed_work(devmm_helper_wq, &dev->spare_drain, HZ);
			folio = NULL;
		}
		spin_unlock(&dev->spare_lock);
		if (folio) {
			folio_put(folio);
			return;
		}
	}
}

static void spare_drain(struct work_struct *work)
{
	struct devmm_device *dev = container_of(to_delayed_work(work), struct devmm_device,
						spare_drain);
	struct folio *spares[DEVMM_FAULT_SPARES];
	unsigned int i, n;

	spin_lock(&dev->spare_lock);
	n = dev->nspares;
	memcpy(spares, dev->spares, n * sizeof(*spares));
	WRITE_ONCE(dev->nspares, 0);
	spin_unlock(&dev->spare_lock);
	for (i = 0; i < n; i++)
		folio_put(spares[i]);
}

/** devmm_fault_spares_init - prepare @dev's spare system THPs (none yet) */
void devmm_fault_spares_init(struct devmm_device *dev)
{
	spin_lock_init(&dev->spare_lock);
	INIT_WORK(&dev->spare_fill, spare_fill);
	INIT_DELAYED_WORK(&dev->spare_drain, spare_drain);
}

/**
 * devmm_fault_spares_release - free @dev's spare system THPs
 * @dev: a dying device none of whose pages can fault any more (its
 *	pagemaps are gone), so that nothing queues the workers again.
 */
void devmm_fault_spares_release(struct devmm_device *dev)
{
	cancel_work_sync(&dev->spare_fill);
	cancel_delayed_work_sync(&dev->spare_drain);
	spare_drain(&dev->spare_drain.work);
}

/**
 * devmm_fault_spare_take - a spare system THP for a CPU fault
 * @dev: the device of the faulting folio.
 * @vma: the VMA of the fault.
 * @refill: set if the fault is to call devmm_fault_spares_refill() after
 *	its copy (spares are kept for such faults).
 *
 * Spares of another node (the faults moved) are freed.
 * Return: a locked PMD-order folio, or NULL (the caller allocates one).
 */
struct folio *devmm_fault_spare_take(struct devmm_device *dev, struct vm_area_struct *vma,
				     bool *refill)
{
	struct folio *folio = NULL, *stale[DEVMM_FAULT_SPARES];
	unsigned int i, n = 0, nstale = 0;
	int nid = numa_mem_id();

	if (devmm_param_copy_threads() < 2 || vma_policy(vma) ||
	    (vma->vm_ops && vma->vm_ops->get_policy) || !devmm_task_placement_default())
		return NULL;
	*refill = true;
	spin_lock(&dev->spare_lock);
	for (i = 0; i < dev->nspares; i++) {
		if (folio_nid(dev->spares[i]) != nid)
			stale[nstale++] = dev->spares[i];
		else if (!folio)
			folio = dev->spares[i];
		else
			dev->spares[n++] = dev->spares[i];
	}
	WRITE_ONCE(dev->nspares, n);
	dev->spare_nid = nid;
	spin_unlock(&dev->spare_lock);
	for (i = 0; i < nstale; i++)
		folio_put(stale[i]);
	if (folio)
		folio_lock(folio);
	return folio;
}

/**
 * devmm_fault_spares_refill - allocate spares for the CPU faults to come
 * @dev: the device of a fault that devmm_fault_spare_take() said refills,
 *	its copy done.
 */
void devmm_fault_spares_refill(struct devmm_device *dev)
{
	spin_lock(&dev->spare_lock);
	if (!READ_ONCE(dev->dying)) {
		queue_work_on(devmm_next_cpu(raw_smp_processor_id()), devmm_helper_wq,
			      &dev->spare_fill);
		mod_delayed_work(devmm_helper_wq, &dev->spare_drain, HZ);
	}
	spin_unlock(&dev->spare_lock);
}

/* Tries a fault makes for a system THP before it gives up with VM_FAULT_OOM. */
#define DEVMM_FAULT_THP_TRIES	8

/*
 * Whether the fault's large device folio stayed because it got small system
 * pages, not a THP: 7.2's collect takes a reference of its own on a folio
 * mapped by a PMD before it tries to split it, so the split fails and
 * nothing moves; the same fault again would loop forever.
 */
static bool stuck_without_thp(struct vm_fault *vmf, struct devmm_window *w)
{
	return folio_test_large(page_folio(vmf->page)) && !(w->src[0] & MIGRATE_PFN_MIGRATE) &&
	       w->dst[0] && !(w->dst[0] & DEVMM_MIGRATE_PFN_COMPOUND);
}

/**
 * devmm_migrate_to_ram - dev_pagemap_ops.migrate_to_ram
 * @vmf: the fault; vmf->page is the locked, referenced device page.
 *
 * Brings back the window fault_window() picks, a large folio as a large
 * system folio if one can be had, else as single pages.  The faulting
 * process may be a fork child of the one that migrated the page: the device
 * is found through the page, never through the process.  A large folio
 * mapped by a PMD cannot come back as single pages from a fault (see
 * stuck_without_thp()): the fault tries a few times for a system THP, then
 * gives up with VM_FAULT_OOM (a kernel access such as read() into the
 * buffer fails with EFAULT; a user access faults again, killable), and at
 * once on a fatal signal.
 * Return: 0 (the fault is retried), VM_FAULT_OOM or VM_FAULT_SIGBUS.
 */
vm_fault_t devmm_migrate_to_ram(struct vm_fault *vmf)
{
	struct devmm_device *dev = devmm_page_device(vmf->page);
	unsigned long start, end;
	struct devmm_window *w;
	unsigned int tries;
	int ret;

	fault_window(vmf, &start, &end);
	w = devmm_window_alloc((end - start) >> PAGE_SHIFT);
	if (!w)
		return VM_FAULT_OOM;
	for (tries = 1;; tries++) {
		ret = devmm_migrate_window_to_system(dev, vmf->vma, start, end, vmf->page, NULL,
						     NULL, 0, w, NULL);
		/*
		 * Pages after the faulting one that got no system memory stay
		 * on the device; the fault itself is served if its page
		 * (entry 0) moved.
		 */
		if (ret == -ENOMEM && w->dst[0] && (w->src[0] & MIGRATE_PFN_MIGRATE))
			ret = 0;
		if (ret || !stuck_without_thp(vmf, w))
			break;
		if (tries >= DEVMM_FAULT_THP_TRIES || fatal_signal_pending(current)) {
			ret = -ENOMEM;
			break;
		}
		cond_resched();
	}
	devmm_window_free(w);
	atomic64_inc(&dev->stats.cpu_faults);
	trace_devmm_cpu_fault(dev->id, vmf->address, end - start, ret);
	if (ret == -ENOMEM)
		return VM_FAULT_OOM;
	return ret ? VM_FAULT_SIGBUS : 0;
}
