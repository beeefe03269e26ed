/* SPDX-License-Identifier: GPL-2.0 */
/* devmm internal interfaces. */
#ifndef DEVMM_H
#define DEVMM_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/memremap.h>
#include <linux/miscdevice.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/xarray.h>
#include <linux/devmm.h>
#include "compat/compat.h"

/* DEVMM_VERSION comes from the VERSION file, through Kbuild. */
#define DEVMM_VERSION_STRING	DEVMM_VERSION

/* Upper bounds of what module parameters and ioctls may ask for. */
#define DEVMM_MAX_PRIVATE	8
#define DEVMM_MAX_COHERENT	8
#define DEVMM_MAX_DEVICES	32
#define DEVMM_MAX_CAPACITY	(1ULL << 40)
#define DEVMM_DEFAULT_CAPACITY	(1ULL << 30)

/* CPUs that share one large copy of the fake backend, at most. */
#define DEVMM_MAX_COPY_THREADS	4

/* Device memory is mapped in chunks of one memory section. */
#define DEVMM_CHUNK_SIZE	(1UL << SECTION_SIZE_BITS)
#define DEVMM_CHUNK_PAGES	(DEVMM_CHUNK_SIZE >> PAGE_SHIFT)

/* Migrations work in windows of up to one PMD (512 pages on x86-64). */
#define DEVMM_WINDOW_PAGES	(PMD_SIZE >> PAGE_SHIFT)
/* Windows of victims one eviction pass may take, and their pages. */
#define DEVMM_EVICT_PASS_WINDOWS	8
/* Spare system THPs a private device keeps for CPU faults (cpu_fault.c). */
#define DEVMM_FAULT_SPARES	2
#define DEVMM_EVICT_PASS_MAX	(DEVMM_WINDOW_PAGES * DEVMM_EVICT_PASS_WINDOWS)

enum devmm_kind {
	DEVMM_PRIVATE = DEVMM_KIND_PRIVATE,
	DEVMM_COHERENT = DEVMM_KIND_COHERENT,
	DEVMM_MIRROR = DEVMM_KIND_MIRROR,
};

struct devmm_device;

/**
 * struct devmm_backend_ops - what the core needs from the device itself
 * @name: for log messages.
 * @alloc: give the device page @dpage (of @order) storage on the device.
 * @free: the page was freed (possibly in atomic context); its storage may
 *	be kept for its next use.
 * @copy_to_dev: copy system pages @src[i] into device pages @dst[i], for
 *	@n entries; a NULL @src[i] means zero-fill, a NULL @dst[i] skip.
 * @copy_from_dev: copy device pages @src[i] into system pages @dst[i];
 *	NULL entries are skipped.
 * @split: a large device folio starting at @head was split; @tail now
 *	starts a folio of its own.
 * @map_page: a kernel mapping of a device page's contents (for device
 *	access through the mirror), undone by @unmap_page.
 * @unmap_page: undo @map_page.
 * @release: the device goes away: release @storage, what @alloc left in a
 *	page's devmm_page_storage() slot.
 * @alloc_ahead: (optional) what @alloc would do for the 2 MiB block of
 *	device memory at @dpage, free or not, ahead of its first use, if it
 *	can be had at once: 1 if done, 0 if nothing was missing, -ENOMEM.
 *
 * The fake backend (backend_fake.c) keeps private device memory in system
 * pages and uses coherent device memory directly; a real driver would
 * provide DMA-engine copies instead.
 */
struct devmm_backend_ops {
	const char *name;
	int (*alloc)(struct devmm_device *dev, struct page *dpage, unsigned int order);
	void (*free)(struct devmm_device *dev, struct page *dpage, unsigned int order);
	int (*copy_to_dev)(struct devmm_device *dev, struct page **dst, struct page **src,
			   unsigned long n);
	int (*copy_from_dev)(struct devmm_device *dev, struct page **dst, struct page **src,
			     unsigned long n);
	void (*split)(struct devmm_device *dev, struct page *head, struct page *tail);
	void *(*map_page)(struct devmm_device *dev, struct page *dpage);
	void (*unmap_page)(struct devmm_device *dev, void *addr);
	void (*release)(struct devmm_device *dev, struct page *storage);
	int (*alloc_ahead)(struct devmm_device *dev, struct page *dpage);
};

/**
 * struct devmm_owner - a process whose memory a device holds
 * @node: entry in the device's @owners list.
 * @mm: its address space (mmgrab'd: the struct stays, the mappings may go).
 * @pages: device pages recorded as migrated from @mm.
 * @users: mirrors of @mm and eviction passes holding this entry.
 * @files: mirrors (open files) of @mm, under the device's free_lock.
 * @attr_lock: protects the range attributes (attr.c).
 * @thrash: per page index of @mm, its device-fault history for thrashing
 *	control (device_fault.c); emptied with the attributes.
 * @attrs: ranges with attributes, sorted, @nattrs of room for @attrs_cap.
 * @nattrs: their number.
 * @attrs_cap: room in @attrs.
 * @exit_pages: while @mm is exiting, @pages when last seen (pagemap.c).
 * @exit_rss: ...and its resident memory then.
 * @exit_seen: ...and when one of them last changed (jiffies).
 * @exit_stuck: @mm is exiting, but freed nothing for a second (a fork child
 *	still maps its pages): allocations no longer wait for it.  The exit_
 *	fields are under the device's free_lock.
 *
 * (devmm_owner_get/devmm_owner_put and the pruning live in evict.c.)
 *
 * Eviction must hold the mmap_lock of a process that maps a page while it
 * migrates it (see evict.c), so each device page records which process it
 * came from and at which address.  Entries are counted under the device's
 * free_lock and freed in process context once both counts are zero.
 */
struct devmm_owner {
	struct list_head node;
	struct mm_struct *mm;
	unsigned long pages;
	unsigned int users;
	unsigned int files;
	spinlock_t attr_lock;
	struct xarray thrash;
	struct devmm_attr_range *attrs;
	unsigned int nattrs;
	unsigned int attrs_cap;
	unsigned long exit_pages;
	unsigned long exit_rss;
	unsigned long exit_seen;
	bool exit_stuck;
};

/* The attributes of a range (struct devmm_attr), as attr.c keeps them. */
struct devmm_attrs {
	u8 preferred;
	u8 migrate;
	u8 accessed_by;
	u8 gran_order;		/* log2 of the granularity in pages */
};

/* Whether a device fault on such a range migrates to the device. */
static inline bool devmm_attrs_demand(const struct devmm_attrs *a)
{
	return a->migrate && a->preferred == DEVMM_LOC_DEVICE && !a->accessed_by;
}

/* A range [start, end) with attributes other than the defaults. */
struct devmm_attr_range {
	unsigned long start;
	unsigned long end;
	struct devmm_attrs a;
};

/**
 * struct devmm_pginfo - what the device knows about one of its pages
 * @lru: on the device's list of folios in use, in its eviction policy's
 *	order (policy.c), while the page starts a folio in use (ZONE_DEVICE
 *	pages have no list field to spare).
 * @owner: the process the folio was migrated from, or NULL.
 * @addr: the folio's (first page's) address in @owner's address space
 *	when it was migrated; mremap or fork may make it stale.
 * @storage: the backend's storage for the page, kept from one use of the
 *	page to the next (the fake private backend: the system page that
 *	holds its contents); released when the device goes away.
 * @count: accesses (LFU), the migration counting as one.
 * @picked: the last pick of victims that took it (policy.c).
 * @ref: accessed since the clock hand passed (CLOCK).
 * @prefetched: migrated by the prefetcher, not accessed by the device since.
 */
struct devmm_pginfo {
	struct list_head lru;
	struct devmm_owner *owner;
	unsigned long addr;
	struct page *storage;
	u32 count;
	u32 picked;
	u8 ref;
	u8 prefetched;
};

/* A folio chosen for eviction, and where its owner had it mapped. */
struct devmm_victim {
	unsigned long pfn;
	unsigned long nr;
	unsigned long addr;
	struct devmm_owner *owner;
};

/**
 * struct devmm_chunk - one pagemap of device memory
 * @pgmap: the ZONE_DEVICE pagemap (owner: the device).
 * @dev: the device.
 * @res: the physical range (request_free_mem_region for private memory,
 *	the claimed part of the reserved range for coherent memory).
 * @pfn_first: first pfn.
 * @used: pages of this chunk in use (under the device's free_lock).
 * @info: one entry per page (under the device's free_lock).
 */
struct devmm_chunk {
	struct dev_pagemap pgmap;
	struct devmm_device *dev;
	struct resource *res;
	unsigned long pfn_first;
	unsigned long used;
	struct devmm_pginfo *info;
};

/* A device node: /dev/devmmN, or a test_hmm-compatible /dev/hmm_dmirrorN. */
struct devmm_node {
	struct miscdevice misc;
	struct devmm_device *dev;
	bool dmirror;
	bool registered;
	char name[24];
};

/*
 * Scratch arrays of one migration window of up to @pages pages: the
 * migrate_vma src/dst arrays, the destination folio started at each index
 * (dfolio; for a large folio only at its first index), and the page pairs
 * to copy (cdst/csrc, one per page), all in memory that follows the
 * struct (devmm_window_alloc()), or a part of another window's.  Each device also has a
 * full-size one for eviction, allocated with it: eviction must not fail for
 * lack of memory.
 */
struct devmm_window {
	unsigned long pages;
	unsigned long *src;
	unsigned long *dst;
	struct page **dfolio;
	struct page **cdst;
	struct page **csrc;
};

struct devmm_stats {
	atomic64_t to_device;
	atomic64_t to_system;
	atomic64_t cpu_faults;
	atomic64_t device_faults;
	atomic64_t evicted;
	atomic64_t evict_passes;
	atomic64_t evict_failures;
	atomic64_t map_read_faults;
	atomic64_t map_write_faults;
	atomic64_t map_mkwrite;
	atomic64_t chunks_ahead;
	atomic64_t storage_ahead;
	atomic64_t fault_pages;
	atomic64_t fault_migrated;
	atomic64_t remote_pages;
	atomic64_t prefetched;
	atomic64_t prefetch_hits;
	atomic64_t prefetch_waste;
	atomic64_t thrashing_events;
	atomic64_t thrashing_held;
};

/**
 * struct devmm_device - one (fake) device
 * @ref: held by the device list, by each open file and by each chunk user.
 * @node: entry in the list of devices.
 * @id: N of /dev/devmmN.
 * @kind: private, coherent, or mirror-only.
 * @base: physical start of a coherent device's range.
 * @size: length of a coherent device's range.
 * @capacity: bytes of device memory the device may hold.
 * @ops: the backend.
 * @chunks_lock: serialises adding and removing chunks.
 * @grow_work: maps the next chunk ahead of need (devmm_pagemap_grow()).
 * @chunks: the chunks, @nchunks of at most @max_chunks.
 * @nchunks: number of chunks.
 * @max_chunks: length of @chunks.
 * @free_lock: protects the free list and the use counts (taken from the
 *	pagemap free callback, which may run in atomic context).
 * @free_list: free device pages, linked through page->zone_device_data.
 * @free_large: free PMD-sized blocks (their first pages), linked the same way.
 * @nfree: free pages, on both lists.
 * @nused: pages in use.
 * @free_wait: allocations waiting for an exiting process to free pages.
 * @used_max: the most pages ever in use at once.
 * @lru: folios in use, in the order of @policy (policy.c); under @free_lock.
 * @owners: struct devmm_owner entries, under @free_lock.
 * @policy: DEVMM_POLICY_*.
 * @evict_pages: pages one eviction to make room takes (1 to a window).
 * @evict_unit: DEVMM_EVICT_UNIT_*.
 * @nfolios: folios on @lru.
 * @pick_gen: the current pick of victims (policy.c).
 * @seed: the random policy's seed, and @rng its state (under @free_lock).
 * @prefetch: DEVMM_PREFETCH_*, with @prefetch_arg (device_fault.c).
 * @thrashing: thrashing control on; @fault_epoch counts device faults for
 *	it (device_fault.c, under @free_lock).
 * @nbuffers: live mmap buffers (under @free_lock).
 * @buffer_pages: pages in mmap buffers (under @free_lock).
 * @dying: set once teardown started: nothing is allocated any more.
 * @evict_lock: one eviction at a time, using @evict_batch.
 * @evict_batch: scratch arrays for eviction.
 * @victims: folios chosen for one eviction pass.
 * @stats: counters.
 * @spare_lock: protects @spares, @nspares and @spare_nid.
 * @spares: system THPs allocated ahead for CPU faults (cpu_fault.c).
 * @nspares: how many.
 * @spare_nid: the node they are allocated on: the last faulting CPU's.
 * @spare_fill: allocates them, after a fault took one.
 * @spare_drain: frees them, a while after the last such fault.
 * @dnode: the /dev/devmmN node.
 * @compat: the /dev/hmm_dmirrorN node, if any.
 */
struct devmm_device {
	struct kref ref;
	struct list_head node;
	unsigned int id;
	enum devmm_kind kind;
	phys_addr_t base;
	u64 size;
	u64 capacity;
	const struct devmm_backend_ops *ops;

	struct mutex chunks_lock;
	struct work_struct grow_work;
	struct devmm_chunk **chunks;
	unsigned int nchunks;
	unsigned int max_chunks;

	spinlock_t free_lock;
	struct page *free_list;
	struct page *free_large;
	unsigned long nfree;
	unsigned long nused;
	wait_queue_head_t free_wait;
	unsigned long used_max;
	struct list_head lru;
	struct list_head owners;
	unsigned int policy;
	unsigned int evict_pages;
	unsigned int evict_unit;
	unsigned long nfolios;
	u32 pick_gen;
	u64 seed;
	u64 rng;
	unsigned int prefetch;
	unsigned int prefetch_arg;
	bool thrashing;
	u32 fault_epoch;
	unsigned int nbuffers;
	unsigned long buffer_pages;
	bool dying;

	struct mutex evict_lock;
	struct devmm_window *evict_batch;
	struct devmm_victim *victims;
	struct devmm_stats stats;
	spinlock_t spare_lock;
	struct folio *spares[DEVMM_FAULT_SPARES];
	unsigned int nspares;
	int spare_nid;
	struct work_struct spare_fill;
	struct delayed_work spare_drain;
	struct devmm_node dnode;
	struct devmm_node *compat;
};

/**
 * struct devmm_mirror - a device's view of one process's address space,
 * one per open file of a device node
 * @dev: the device (a reference is held).
 * @notifier: interval notifier over the whole address space; its mm is the
 *	opener's (grabbed by the notifier).
 * @lock: protects @pt against invalidations.
 * @pt: the device page table: page index -> tagged struct page pointer.
 * @pins: pinned ranges (struct devmm_pin), under @lock.
 * @npinned: pages of @pins and of pins being taken, under @lock.
 * @owner: the device's owner entry for the mirrored mm (NULL for a device
 *	without memory).
 * @dmirror: opened through a test_hmm-compatible node.
 * @flags: HMM_DMIRROR_FLAG_* of this file.
 * @foreign_gen: invalidations other than this mirror's own migrations to
 *	the device, under @lock (see devmm_mirror_migrated()); read without it
 *	by a device fault round to tell whether it saw one.
 * @opener: the opening process (its thread group), named in the file's
 *	fdinfo, so that a tool can tell a process's own files from those it
 *	inherited (devmmctl advise).
 */
struct devmm_mirror {
	struct devmm_device *dev;
	struct mmu_interval_notifier notifier;
	struct pid *opener;
	struct mutex lock;
	struct xarray pt;
	struct list_head pins;
	struct devmm_owner *owner;
	bool dmirror;
	bool prefetching;
	unsigned long flags;
	unsigned long foreign_gen;
	unsigned long npinned;
};

/*
 * Whether the caller opened @m's file: only the opener may act on what the
 * file holds (a fork child inherits the file, not the rights).
 */
static inline bool devmm_mirror_is_opener(struct devmm_mirror *m)
{
	return m->notifier.mm == current->mm;
}

/* Consume the mirror's one-shot HMM_DMIRROR_FLAG_FAIL_ALLOC (bit 0). */
static inline bool devmm_mirror_fail_alloc(struct devmm_mirror *m)
{
	return m && test_and_clear_bit(0, &m->flags);
}

/* A physical range given by the coherent= parameter. */
struct devmm_range {
	phys_addr_t start;
	u64 size;
};

/* Tags of device page table entries. */
#define DEVMM_PTE_WRITE		1UL
#define DEVMM_PTE_ATOMIC	2UL

/* params.c */
unsigned int devmm_param_nprivate(void);
u64 devmm_param_capacity(void);
unsigned int devmm_param_coherent(const struct devmm_range **ranges);
bool devmm_param_dmirror_compat(void);
bool devmm_param_gup_test(void);
unsigned int devmm_param_copy_threads(void);
bool devmm_param_fail_thp_alloc(void);
unsigned long devmm_param_fault_around_pages(void);
int devmm_check_coherent_range(phys_addr_t start, u64 size, const char *what);

/* device.c */
struct devmm_device *devmm_device_create(enum devmm_kind kind, phys_addr_t base, u64 size);
int devmm_device_add_compat_node(struct devmm_device *dev, unsigned int n);
void devmm_device_info(struct devmm_device *dev, struct devmm_dev_info *info);
struct devmm_device *devmm_device_find(unsigned int id, bool or_next);
int devmm_device_destroy(unsigned int id);
void devmm_devices_destroy(void);
void devmm_devices_count(unsigned int *nprivate, unsigned int *ncoherent, unsigned int *nmirror);
struct devmm_device *devmm_device_nth(enum devmm_kind kind, unsigned int n);
void devmm_device_get(struct devmm_device *dev);
void devmm_device_put(struct devmm_device *dev);
bool devmm_coherent_claimed(u64 start, u64 last);
int devmm_devices_for_each(int (*fn)(struct devmm_device *dev, void *arg), void *arg);

/* backend_fake.c */
extern const struct devmm_backend_ops devmm_fake_private_ops;
extern const struct devmm_backend_ops devmm_fake_coherent_ops;

/* pagemap.c */
struct page *devmm_page_alloc(struct devmm_device *dev, unsigned int order,
			      struct devmm_owner *owner, unsigned long addr,
			      struct mm_struct *locked_mm, bool may_wait);
void devmm_page_free(struct page *page, unsigned int order);
bool devmm_page_room(struct devmm_device *dev, unsigned long n);
void devmm_page_split(struct page *head, struct page *tail);
void devmm_page_touch(struct page *page);
void devmm_pages_touch(struct page **pages, unsigned long n);
unsigned long devmm_info_pfn(struct devmm_device *dev, struct devmm_pginfo *info);

/* policy.c */
unsigned long devmm_pick_victims(struct devmm_device *dev, struct devmm_victim *v,
				 unsigned long max_pages, unsigned int windows);
void devmm_policy_set(struct devmm_device *dev, u32 mask, unsigned int policy,
		      unsigned int unit, u64 seed);
void devmm_policy_added(struct devmm_device *dev, struct devmm_pginfo *info);
void devmm_policy_removed(struct devmm_device *dev, struct devmm_pginfo *info);
void devmm_policy_split(struct devmm_device *dev, struct devmm_pginfo *head,
			struct devmm_pginfo *tail);
void devmm_policy_accessed(struct devmm_device *dev, struct devmm_pginfo *info);
bool devmm_policy_access_matters(struct devmm_device *dev, struct devmm_pginfo *info);
void devmm_policy_accessed_locked(struct devmm_device *dev, struct devmm_pginfo *info);
void devmm_page_mark_prefetched(struct page *page);
int devmm_set_capacity(struct devmm_device *dev, u64 capacity);
bool devmm_device_has_large(struct devmm_device *dev);
struct devmm_device *devmm_page_device(struct page *page);
bool devmm_page_is_ours(struct page *page);
struct page **devmm_page_storage(struct page *dpage);
struct page **devmm_block_storage(struct page *dpage, unsigned long i);
int devmm_pagemap_init(struct devmm_device *dev, bool populate);
void devmm_pagemap_teardown(struct devmm_device *dev);
void devmm_device_usage(struct devmm_device *dev, unsigned long *used, unsigned long *mapped);

/* helpers.c */
int devmm_helpers_init(void);
void devmm_helpers_exit(void);
extern struct workqueue_struct *devmm_helper_wq;
extern struct workqueue_struct *devmm_user_wq;
/*
 * Helpers on other CPUs sharing the caller's work (the caller works too):
 * each calls @fn with @job; devmm_helpers_finish() cancels those not started
 * and waits for the others.  Or, started with devmm_helpers_offload(), one
 * helper per CPU, the caller's included, that the caller sleeps on:
 * devmm_helpers_finish() then waits for all of them.  On the caller's stack.
 */
struct devmm_helper {
	struct work_struct work;
	void (*fn)(void *job);
	void *job;
};

struct devmm_helpers {
	struct devmm_helper h[DEVMM_MAX_COPY_THREADS];
	unsigned int n;
	bool offload;
};

/* The caller sleeps until they are done (devmm_helpers_offload()). */
#define DEVMM_HELPERS_OFFLOAD	0x1
/* Started from a helper too (devmm_helpers_start_nested()). */
#define DEVMM_HELPERS_NESTED	0x2
void __devmm_helpers_start(struct devmm_helpers *hs, struct workqueue_struct *wq,
			   unsigned long n, unsigned int flags, void (*fn)(void *job), void *job,
			   struct lock_class_key *key, const char *name);
/*
 * Each call site's helpers get a lockdep class of their own, as INIT_WORK()
 * gives each of its callers: with one class for all, lockdep would join jobs
 * that take different locks into a false cycle (a migration walk's helper
 * allocates, so enters reclaim; a mirror copy's helper is waited for under
 * the mirror lock, which reclaim's invalidations take).
 */
#define __devmm_helpers(hs, wq, n, flags, fn, job)					\
	do {										\
		static struct lock_class_key __devmm_helpers_key;			\
											\
		__devmm_helpers_start(hs, wq, n, flags, fn, job, &__devmm_helpers_key,	\
				      "(devmm helper)" #fn);				\
	} while (0)
#define devmm_helpers_start(hs, n, fn, job) \
	__devmm_helpers(hs, devmm_helper_wq, n, 0, fn, job)
#define devmm_helpers_offload(hs, n, fn, job) \
	__devmm_helpers(hs, devmm_helper_wq, n, DEVMM_HELPERS_OFFLOAD, fn, job)
#define devmm_helpers_start_nested(hs, n, fn, job) \
	__devmm_helpers(hs, devmm_helper_wq, n, DEVMM_HELPERS_NESTED, fn, job)
/* Helpers that take a user mm's mmap_lock (see devmm_user_wq). */
#define devmm_helpers_start_user(hs, n, fn, job) \
	__devmm_helpers(hs, devmm_user_wq, n, 0, fn, job)
void devmm_helpers_finish(struct devmm_helpers *hs);
unsigned int devmm_next_cpu(unsigned int cpu);

/* migrate.c */
int devmm_migrate_init(void);
void devmm_migrate_exit(void);
struct devmm_window *devmm_window_alloc(unsigned long pages);
void devmm_window_free(struct devmm_window *w);
int devmm_migrate_to_device(struct devmm_mirror *m, unsigned long start, unsigned long end,
			    bool take_foreign, u64 *moved);
int devmm_migrate_to_system(struct devmm_mirror *m, unsigned long start, unsigned long end,
			    u64 *cpages);
bool devmm_migrate_alone(struct mm_struct *mm, unsigned long start, unsigned long end);
/* The most 2 MiB granules one device fault migrates together (a run). */
#define DEVMM_GRANULE_RUN	8
int devmm_migrate_granules(struct devmm_mirror *m, unsigned long start, unsigned long end,
			   u64 *moved);
int __devmm_migrate_to_system(struct devmm_device *dev, struct mm_struct *mm,
			      unsigned long start, unsigned long end, struct devmm_mirror *m,
			      u64 *cpages);
int devmm_migrate_window_to_system(struct devmm_device *dev, struct vm_area_struct *vma,
				   unsigned long start, unsigned long end, struct page *fault_page,
				   struct devmm_mirror *m, const struct devmm_victim *only,
				   unsigned long nonly, struct devmm_window *w, u64 *cpages);

/* cpu_fault.c */
vm_fault_t devmm_migrate_to_ram(struct vm_fault *vmf);
void devmm_fault_spares_init(struct devmm_device *dev);
void devmm_fault_spares_release(struct devmm_device *dev);
struct folio *devmm_fault_spare_take(struct devmm_device *dev, struct vm_area_struct *vma,
				     bool *refill);
void devmm_fault_spares_refill(struct devmm_device *dev);

/* attr.c */
int devmm_attr_set(struct devmm_owner *o, unsigned long start, unsigned long end, u32 mask,
		   const struct devmm_attrs *v);
unsigned long devmm_attr_get(struct devmm_owner *o, unsigned long addr, unsigned long limit,
			     struct devmm_attrs *a);
void devmm_attr_span(struct devmm_owner *o, unsigned long addr, unsigned long *start,
		     unsigned long *end);
void devmm_attr_drop(struct devmm_owner *o, unsigned long start, unsigned long end,
		     bool blockable);
struct devmm_attr_range *devmm_attr_take(struct devmm_owner *o);

/* evict.c */
int devmm_evict_all(struct devmm_device *dev, unsigned int tries, struct mm_struct *only_mm);
unsigned long devmm_evict(struct devmm_device *dev, unsigned long target,
			  struct mm_struct *locked_mm);
unsigned long devmm_evict_room(struct devmm_device *dev, unsigned long need,
			       struct mm_struct *locked_mm);
struct devmm_owner *devmm_owner_get(struct devmm_device *dev, struct mm_struct *mm);
void devmm_owner_put(struct devmm_device *dev, struct devmm_owner *owner);
void devmm_owner_put_user(struct devmm_device *dev, struct devmm_owner *owner);
void devmm_owners_free(struct devmm_device *dev);

/* mirror.c (the device page table), device_rw.c, snapshot.c, exclusive.c, pin.c */
struct devmm_mirror *devmm_mirror_create(struct devmm_device *dev, bool dmirror);
void devmm_mirror_destroy(struct devmm_mirror *m);
struct mm_struct *devmm_mirror_mm_get(struct devmm_mirror *m);
struct mm_struct *devmm_mirror_opener_mm(struct devmm_mirror *m);
unsigned long devmm_vma_span(struct mm_struct *mm, unsigned long start, unsigned long end,
			     bool (*ok)(struct vm_area_struct *vma, void *arg), void *arg,
			     struct vm_area_struct **stop);
enum devmm_pmd_kind { DEVMM_PMD_NONE, DEVMM_PMD_TABLE, DEVMM_PMD_LEAF };
enum devmm_pmd_kind devmm_pmd_kind(struct mm_struct *mm, unsigned long addr);
bool devmm_fault_in_shareable(struct mm_struct *mm, unsigned long start, unsigned long end,
			      unsigned long need);
bool devmm_vma_fault_in_shareable(struct vm_area_struct *vma, unsigned long end,
				  unsigned long need);
/* A device read's user buffer faulted in from before the read (device_rw.c). */
struct user_ahead;
struct devmm_read_ahead {
	struct devmm_helpers hs;	/* on the stack: INIT_WORK_ONSTACK */
	struct user_ahead *ua;
};
void devmm_read_ahead_start(struct devmm_read_ahead *ra, struct devmm_mirror *m,
			    unsigned long start, unsigned long npages, void __user *u);
void devmm_read_ahead_end(struct devmm_read_ahead *ra);
int devmm_mirror_read(struct devmm_mirror *m, unsigned long start, unsigned long npages,
		      void __user *ubuf, bool fault, u64 *cpages, u64 *faults,
		      struct devmm_read_ahead *ra);
int devmm_mirror_write(struct devmm_mirror *m, unsigned long start, unsigned long npages,
		       const void __user *ubuf, u64 *cpages, u64 *faults);
int devmm_mirror_snapshot(struct devmm_mirror *m, unsigned long start, unsigned long npages,
			  void __user *ubuf);
int devmm_mirror_exclusive(struct devmm_mirror *m, unsigned long start, unsigned long npages);
int devmm_mirror_check_exclusive(struct devmm_mirror *m, unsigned long start,
				 unsigned long npages);
unsigned long devmm_mirror_migrate_begin(struct devmm_mirror *m);
void devmm_mirror_migrated(struct devmm_mirror *m, unsigned long gen, unsigned long start,
			   struct page **dpages, const unsigned long *src,
			   const unsigned long *dst, unsigned long n);
int devmm_mirror_adopt_own(struct devmm_mirror *m, unsigned long start, unsigned long end,
			   u64 *count);
int devmm_mirror_pin(struct devmm_mirror *m, unsigned long start, unsigned long npages,
		     bool longterm);
int devmm_mirror_unpin(struct devmm_mirror *m, unsigned long start, unsigned long npages);

/* mmap.c */
int devmm_buffer_mmap(struct devmm_mirror *m, struct vm_area_struct *vma);
bool devmm_vma_is_own_buffer(struct devmm_mirror *m, struct vm_area_struct *vma);
int devmm_buffer_mirror(struct devmm_mirror *m, struct mm_struct *mm, unsigned long start,
			unsigned long end, bool write);

/* node.c */
int devmm_node_register(struct devmm_device *dev, struct devmm_node *node, const char *name,
			bool dmirror);
void devmm_node_unregister(struct devmm_node *node);

/* dmirror.c */
int devmm_check_range(u64 addr, u64 npages, unsigned long *end);
long devmm_dmirror_ioctl(struct devmm_mirror *m, unsigned int cmd, void __user *uarg);
int devmm_dmirror_mmap(struct devmm_mirror *m, struct vm_area_struct *vma);

/* gup_test.c */
void devmm_gup_test_init(void);
void devmm_gup_test_exit(void);

/* control.c */
int devmm_control_init(void);
void devmm_control_exit(void);
u64 devmm_caps(void);
int devmm_copy_in(void *kbuf, size_t ksize, size_t minsize, const void __user *ubuf,
		  size_t usize);
int devmm_copy_out(void __user *ubuf, size_t usize, const void *kbuf, size_t ksize);

#endif /* DEVMM_H */
