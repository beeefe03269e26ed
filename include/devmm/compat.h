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

#include <linux/version.h>
#include "devmm_probes.h"

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

#endif /* DEVMM_COMPAT_H */
