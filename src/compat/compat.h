/* SPDX-License-Identifier: GPL-2.0 */
/*
 * devmm compat layer: the only place that looks at kernel versions or at the
 * DEVMM_HAVE_* results of src/compat/conftest.sh.  The rest of the module
 * tests the DEVMM_CAN_* capabilities below (plain 0/1 constants, usable in
 * C conditions so both branches are always compiled) and calls devmm_*
 * wrappers.
 */
#ifndef DEVMM_COMPAT_H
#define DEVMM_COMPAT_H

#include <linux/err.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/cpuset.h>
#include <linux/nodemask.h>
#include <linux/sched.h>
#include <linux/rmap.h>
#include <linux/version.h>
#include <linux/workqueue.h>
#include "devmm_probes.h"
#ifdef DEVMM_HAVE_VMF_INSERT_MIXED_MKWRITE_PFN_T
#include <linux/pfn_t.h>
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "devmm needs Linux 6.1 or newer"
#endif

#if !IS_ENABLED(CONFIG_ZONE_DEVICE) || !IS_ENABLED(CONFIG_MIGRATION) || \
	!IS_ENABLED(CONFIG_MMU_NOTIFIER) || !IS_ENABLED(CONFIG_HMM_MIRROR)
#error "devmm needs CONFIG_ZONE_DEVICE, CONFIG_MIGRATION, CONFIG_MMU_NOTIFIER and CONFIG_HMM_MIRROR"
#endif

/* Every supported kernel has one of the two forms of each of these. */
#if !defined(DEVMM_HAVE_ZONE_DEVICE_PAGE_INIT_PAGE) && \
	!defined(DEVMM_HAVE_ZONE_DEVICE_PAGE_INIT_PGMAP_ORDER)
#error "compat: no known form of zone_device_page_init() (see generated/probes/build.log)"
#endif
#if !defined(DEVMM_HAVE_PGMAP_OPS_PAGE_FREE) && !defined(DEVMM_HAVE_PGMAP_OPS_FOLIO_FREE)
#error "compat: dev_pagemap_ops has neither page_free nor folio_free (see generated/probes/build.log)"
#endif
#if !defined(DEVMM_HAVE_PAGE_PGMAP) && !defined(DEVMM_HAVE_PAGE_MEMBER_PGMAP)
#error "compat: neither page_pgmap() nor page->pgmap (see generated/probes/build.log)"
#endif
#if !defined(DEVMM_HAVE_PIN_USER_PAGES_VMAS) && !defined(DEVMM_HAVE_PIN_USER_PAGES_PAGES)
#error "compat: no known form of pin_user_pages() (see generated/probes/build.log)"
#endif
#if !defined(DEVMM_HAVE_GET_USER_PAGES_VMAS) && !defined(DEVMM_HAVE_GET_USER_PAGES_PAGES)
#error "compat: no known form of get_user_pages() (see generated/probes/build.log)"
#endif

/* Device-coherent pagemaps over a reserved physical range. */
#if defined(DEVMM_HAVE_MEMORY_DEVICE_COHERENT) && \
	defined(DEVMM_HAVE_EXPORT_MEMREMAP_PAGES) && \
	defined(DEVMM_HAVE_EXPORT_REGION_INTERSECTS)
#define DEVMM_CAN_COHERENT 1
#else
#define DEVMM_CAN_COHERENT 0
#endif

/* Device-private pagemaps (CONFIG_DEVICE_PRIVATE, off in Debian 6.1/6.12). */
#if defined(DEVMM_HAVE_DEVICE_PRIVATE) && \
	defined(DEVMM_HAVE_EXPORT_MEMREMAP_PAGES) && \
	defined(DEVMM_HAVE_EXPORT_REQUEST_FREE_MEM_REGION)
#define DEVMM_CAN_PRIVATE 1
#else
#define DEVMM_CAN_PRIVATE 0
#endif

/* Large (PMD-order) device-private folios and THP migration to them. */
#if DEVMM_CAN_PRIVATE && defined(DEVMM_HAVE_MIGRATE_VMA_SELECT_COMPOUND) && \
	defined(DEVMM_HAVE_ZONE_DEVICE_FOLIO_INIT) && \
	defined(DEVMM_HAVE_PGMAP_OPS_FOLIO_SPLIT)
#define DEVMM_CAN_LARGE_FOLIOS 1
#else
#define DEVMM_CAN_LARGE_FOLIOS 0
#endif

/*
 * A write fault on an mmap buffer can install a writable, dirty PTE for a
 * special pfn in one step (6.1).  Elsewhere the insert takes the writable
 * protection and the CPU sets the dirty bit as it writes: one fault too on
 * x86, where the hardware manages dirty bits.
 */
#if defined(DEVMM_HAVE_VMF_INSERT_MIXED_MKWRITE_PFN_T) && \
	defined(DEVMM_HAVE_EXPORT_VMF_INSERT_MIXED_MKWRITE)
#define DEVMM_CAN_INSERT_MKWRITE 1
#else
#define DEVMM_CAN_INSERT_MKWRITE 0
#endif

/* Eviction of a list of pfns in one pass. */
#if defined(DEVMM_HAVE_MIGRATE_DEVICE_PFNS) && defined(DEVMM_HAVE_EXPORT_MIGRATE_DEVICE_PFNS)
#define DEVMM_CAN_MIGRATE_DEVICE_PFNS 1
#else
#define DEVMM_CAN_MIGRATE_DEVICE_PFNS 0
#endif

/*
 * Exclusive device access.  Debian 6.1/6.12 declare
 * make_device_exclusive_range() but do not build or export it.
 */
#if DEVMM_CAN_PRIVATE && \
	((defined(DEVMM_HAVE_MAKE_DEVICE_EXCLUSIVE) && \
	  defined(DEVMM_HAVE_EXPORT_MAKE_DEVICE_EXCLUSIVE)) || \
	 (defined(DEVMM_HAVE_MAKE_DEVICE_EXCLUSIVE_RANGE) && \
	  defined(DEVMM_HAVE_EXPORT_MAKE_DEVICE_EXCLUSIVE_RANGE)))
#define DEVMM_CAN_EXCLUSIVE 1
#else
#define DEVMM_CAN_EXCLUSIVE 0
#endif

/* The pagemap of a ZONE_DEVICE page. */
static inline struct dev_pagemap *devmm_page_pgmap(struct page *page)
{
#ifdef DEVMM_HAVE_PAGE_PGMAP
	return page_pgmap(page);
#else
	return page->pgmap;
#endif
}

/*
 * Take a free device page (refcount zero) into use as a folio of @order:
 * refcount one, locked, holding a reference on @pgmap.
 */
static inline void devmm_zone_device_page_init(struct page *page, struct dev_pagemap *pgmap,
					       unsigned int order)
{
#if defined(DEVMM_HAVE_ZONE_DEVICE_PAGE_INIT_PGMAP_ORDER)
	zone_device_page_init(page, pgmap, order);
#if defined(DEVMM_HAVE_ZONE_DEVICE_FOLIO_INIT)
	/* What zone_device_folio_init() adds for large folios. */
	if (order)
		folio_set_large_rmappable(page_folio(page));
#endif
#else
	WARN_ON_ONCE(order);
	zone_device_page_init(page);
#endif
}

/*
 * THP migration to and from device memory: the selectors and flags are 0
 * where the kernel has none, so that callers need no #if.
 */
#if DEVMM_CAN_LARGE_FOLIOS
#define DEVMM_MIGRATE_SELECT_COMPOUND	MIGRATE_VMA_SELECT_COMPOUND
#define DEVMM_MIGRATE_PFN_COMPOUND	MIGRATE_PFN_COMPOUND
#else
#define DEVMM_MIGRATE_SELECT_COMPOUND	0
#define DEVMM_MIGRATE_PFN_COMPOUND	0UL
#endif

/* The order of a PMD-sized folio. */
#define DEVMM_PMD_ORDER		(PMD_SHIFT - PAGE_SHIFT)

/*
 * A locked PMD-order system folio for @addr of @vma, or NULL; @may_compact:
 * with direct reclaim and compaction (a CPU fault, which has no fallback).
 */
static inline struct folio *devmm_vma_alloc_pmd_folio(struct vm_area_struct *vma,
						      unsigned long addr, bool may_compact)
{
	gfp_t gfp = (may_compact ? GFP_TRANSHUGE : GFP_TRANSHUGE_LIGHT) | __GFP_NOWARN;
	struct folio *folio;

#if defined(DEVMM_HAVE_VMA_ALLOC_FOLIO_4ARG)
	folio = vma_alloc_folio(gfp, DEVMM_PMD_ORDER, vma, addr);
#else
	folio = vma_alloc_folio(gfp, DEVMM_PMD_ORDER, vma, addr, true);
#endif
	if (folio)
		folio_lock(folio);
	return folio;
}

/**
 * devmm_vmf_insert_pfn_write - map @pfn writable at a shared write fault
 * @vmf: the fault, in a VM_PFNMAP mapping with write-notify (pfn_mkwrite).
 * @pfn: the pfn.
 *
 * Return: VM_FAULT_NOPAGE or an error code.
 */
static inline vm_fault_t devmm_vmf_insert_pfn_write(struct vm_fault *vmf, unsigned long pfn)
{
#if DEVMM_CAN_INSERT_MKWRITE
	return vmf_insert_mixed_mkwrite(vmf->vma, vmf->address, __pfn_to_pfn_t(pfn, PFN_SPECIAL));
#else
	/* vm_page_prot lacks write (write-notify); this is the VMA's full one. */
	return vmf_insert_pfn_prot(vmf->vma, vmf->address, pfn,
				   vm_get_page_prot(vmf->vma->vm_flags));
#endif
}

static inline void devmm_vm_flags_set(struct vm_area_struct *vma, unsigned long flags)
{
#ifdef DEVMM_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/* A workqueue whose work items run on the CPU they are queued on. */
#ifdef DEVMM_HAVE_WQ_PERCPU
#define DEVMM_WQ_PERCPU		WQ_PERCPU
#else
#define DEVMM_WQ_PERCPU		0
#endif

/* The device pagemap operations, defined in compat.c. */
extern const struct dev_pagemap_ops devmm_pgmap_ops;

/**
 * devmm_make_device_exclusive - make the page at @addr exclusive to a device
 * @mm: the address space; its mmap_lock is held for reading.
 * @addr: page-aligned address.
 * @owner: passed to the MMU_NOTIFY_EXCLUSIVE invalidation.
 *
 * Return: the page, locked and referenced (release with
 * devmm_release_exclusive_page()), or an ERR_PTR.
 */
static inline struct page *devmm_make_device_exclusive(struct mm_struct *mm, unsigned long addr,
						       void *owner)
{
#if DEVMM_CAN_EXCLUSIVE && defined(DEVMM_HAVE_EXPORT_MAKE_DEVICE_EXCLUSIVE)
	struct folio *folio;

	return make_device_exclusive(mm, addr, owner, &folio);
#elif DEVMM_CAN_EXCLUSIVE
	struct page *page = NULL;
	int n = make_device_exclusive_range(mm, addr, addr + PAGE_SIZE, &page, owner);

	if (n < 0)
		return ERR_PTR(n);
	if (n == 0 || !page)
		return ERR_PTR(-EBUSY);
	return page;
#else
	return ERR_PTR(-EOPNOTSUPP);
#endif
}

static inline void devmm_release_exclusive_page(struct page *page)
{
	struct folio *folio = page_folio(page);

	folio_unlock(folio);
	folio_put(folio);
}

static inline long devmm_pin_user_pages(unsigned long start, unsigned long nr,
					unsigned int gup_flags, struct page **pages)
{
#ifdef DEVMM_HAVE_PIN_USER_PAGES_VMAS
	return pin_user_pages(start, nr, gup_flags, pages, NULL);
#else
	return pin_user_pages(start, nr, gup_flags, pages);
#endif
}

static inline long devmm_get_user_pages(unsigned long start, unsigned long nr,
					unsigned int gup_flags, struct page **pages)
{
#ifdef DEVMM_HAVE_GET_USER_PAGES_VMAS
	return get_user_pages(start, nr, gup_flags, pages, NULL);
#else
	return get_user_pages(start, nr, gup_flags, pages);
#endif
}

/*
 * VMAs that may hold guard regions (MADV_GUARD_INSTALL): a fault fails at a
 * guard page of a VMA that is otherwise fine.  No flag (and none to test)
 * where the kernel does not mark them.
 */
#ifdef VM_MAYBE_GUARD
#define DEVMM_VM_MAYBE_GUARD	VM_MAYBE_GUARD
#else
#define DEVMM_VM_MAYBE_GUARD	0
#endif

/*
 * Whether pages allocated for the calling task may be allocated by another
 * thread (a helper on another CPU) instead: not if the task has a memory
 * policy or a cpuset that restricts its memory nodes, which a kworker does
 * not share.  (A VMA's own policy is honoured by anyone.)
 */
static inline bool devmm_task_placement_default(void)
{
#ifdef CONFIG_NUMA
	if (current->mempolicy)
		return false;
#endif
	return nodes_equal(cpuset_current_mems_allowed, node_states[N_MEMORY]);
}

#endif /* DEVMM_COMPAT_H */
