// SPDX-License-Identifier: GPL-2.0
/*
 * The fake device backend.  Private device memory has no CPU address, so
 * each device page is given a system page that holds its contents, in its
 * devmm_page_storage() slot.  Like the memory of a real device, that page
 * stays the device page's from its first use until the device goes away:
 * allocating a device page again costs no allocation and no zeroing
 * (INIT_ON_ALLOC), and a copy fully overwrites it anyway.  Coherent device
 * memory is real, CPU-addressable memory (a boot-reserved range): its pages
 * hold their own contents.  Copies are CPU copies, large ones shared among
 * CPUs.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/workqueue.h>
#include "devmm.h"

/* The system page holding the contents of device page @dpage. */
static struct page *backing_page(struct page *dpage)
{
	return *devmm_page_storage(dpage);
}

/* Give a device page's slot @spage unless it has storage already (then free @spage). */
static void storage_set(struct page **slot, struct page *spage)
{
	if (cmpxchg(slot, NULL, spage))
		__free_page(spage);
}

/*
 * Storage for the pages of a device folio that have none yet.  It comes a
 * whole 2 MiB block of device memory at a time where one high-order
 * allocation can be had (split at once: each page is freed on its own),
 * as the pages of a fresh device are handed out in address order; else
 * page by page.  Slots of free pages are filled too, so each is set with
 * cmpxchg(): the allocation of a neighbouring page may race with it.
 */
/* Storage for the whole 2 MiB block of @dpage from one high-order allocation, if one can be had. */
static int alloc_block(struct page *dpage)
{
	unsigned long i, nblock = 1UL << DEVMM_PMD_ORDER;
	struct page *block;

	block = alloc_pages(GFP_HIGHUSER | __GFP_NOWARN | __GFP_NORETRY, DEVMM_PMD_ORDER);
	if (!block)
		return -ENOMEM;
	split_page(block, DEVMM_PMD_ORDER);
	for (i = 0; i < nblock; i++) {
		struct page **slot = devmm_block_storage(dpage, i);

		if (slot)
			storage_set(slot, block + i);
		else
			__free_page(block + i);
	}
	return 1;
}

static int fake_private_alloc(struct devmm_device *dev, struct page *dpage, unsigned int order)
{
	unsigned long i, n = 1UL << order;
	struct page *spage;

	if (!READ_ONCE(*devmm_page_storage(dpage)))
		alloc_block(dpage);
	for (i = 0; i < n; i++) {
		struct page **slot = devmm_page_storage(dpage + i);

		if (READ_ONCE(*slot))
			continue;
		spage = alloc_page(GFP_HIGHUSER | __GFP_NOWARN);
		if (!spage)
			return -ENOMEM;
		storage_set(slot, spage);
	}
	return 0;
}

/* Ahead of use: only whole blocks, and only blocks none of whose pages has storage yet. */
static int fake_private_alloc_ahead(struct devmm_device *dev, struct page *dpage)
{
	if (READ_ONCE(*devmm_page_storage(dpage)))
		return 0;
	return alloc_block(dpage);
}

/*
 * Nothing to do when a device page is freed (private storage stays with the
 * page for its next use; coherent pages are their own storage) or when a
 * folio is split (storage is kept per page), on either kind of device.
 */
static void fake_free(struct devmm_device *dev, struct page *dpage, unsigned int order)
{
}

static void fake_split(struct devmm_device *dev, struct page *head, struct page *tail)
{
}

static void fake_private_release(struct devmm_device *dev, struct page *storage)
{
	__free_page(storage);
}

/* Where the contents of device page @dpage live. */
static struct page *storage(struct devmm_device *dev, struct page *dpage)
{
	return dev->kind == DEVMM_PRIVATE ? backing_page(dpage) : dpage;
}

/*
 * A copy of many pages is shared out among CPUs: the fake device has no copy
 * engine, and the CPU copy is the whole cost of moving data.  The pages are
 * taken in chunks from a shared counter, by the caller and by work items on
 * the next CPUs, so a helper that starts late (its CPU busy) costs the caller
 * nothing: what it did not take, the caller copies; a helper that never
 * started is cancelled.  Below COPY_PARALLEL_MIN pages, waking helpers costs
 * more than it saves.
 */
#define COPY_PARALLEL_MIN	64
#define COPY_CHUNK		32

struct copy_job {
	struct devmm_device *dev;
	struct page **dst, **src;
	unsigned long n;
	bool to_dev;
	atomic_long_t next;	/* the first page no one has taken yet */
};

static void copy_one(struct copy_job *job, unsigned long i)
{
	if (!job->dst[i])
		return;
	if (job->to_dev && job->src[i])
		copy_highpage(storage(job->dev, job->dst[i]), job->src[i]);
	else if (job->to_dev)
		clear_highpage(storage(job->dev, job->dst[i]));
	else if (job->src[i])
		copy_highpage(job->dst[i], storage(job->dev, job->src[i]));
}

static void copy_chunks(struct copy_job *job)
{
	unsigned long i, end;

	for (;;) {
		i = atomic_long_fetch_add(COPY_CHUNK, &job->next);
		if (i >= job->n)
			return;
		for (end = min(i + COPY_CHUNK, job->n); i < end; i++)
			copy_one(job, i);
	}
}

static void copy_helper(void *job)
{
	copy_chunks(job);
}

static void fake_copy(struct devmm_device *dev, struct page **dst, struct page **src,
		      unsigned long n, bool to_dev)
{
	struct copy_job job = { .dev = dev, .dst = dst, .src = src, .n = n, .to_dev = to_dev };
	struct devmm_helpers hs;

	atomic_long_set(&job.next, 0);
	devmm_helpers_start(&hs, n < COPY_PARALLEL_MIN ? 0 : DEVMM_MAX_COPY_THREADS, copy_helper,
			    &job);
	copy_chunks(&job);
	devmm_helpers_finish(&hs);
}

static int fake_copy_to_dev(struct devmm_device *dev, struct page **dst, struct page **src,
			    unsigned long n)
{
	fake_copy(dev, dst, src, n, true);
	return 0;
}

static int fake_copy_from_dev(struct devmm_device *dev, struct page **dst, struct page **src,
			      unsigned long n)
{
	fake_copy(dev, dst, src, n, false);
	return 0;
}

static void *fake_private_map(struct devmm_device *dev, struct page *dpage)
{
	return kmap_local_page(backing_page(dpage));
}

static void fake_unmap(struct devmm_device *dev, void *addr)
{
	kunmap_local(addr);
}

const struct devmm_backend_ops devmm_fake_private_ops = {
	.name = "fake-private",
	.alloc = fake_private_alloc,
	.free = fake_free,
	.split = fake_split,
	.copy_to_dev = fake_copy_to_dev,
	.copy_from_dev = fake_copy_from_dev,
	.map_page = fake_private_map,
	.unmap_page = fake_unmap,
	.release = fake_private_release,
	.alloc_ahead = fake_private_alloc_ahead,
};

/* Coherent pages are their own storage: nothing to allocate or release. */
static int fake_coherent_alloc(struct devmm_device *dev, struct page *dpage, unsigned int order)
{
	return 0;
}

static void fake_coherent_release(struct devmm_device *dev, struct page *storage)
{
}

static void *fake_coherent_map(struct devmm_device *dev, struct page *dpage)
{
	return kmap_local_page(dpage);
}

const struct devmm_backend_ops devmm_fake_coherent_ops = {
	.name = "fake-coherent",
	.alloc = fake_coherent_alloc,
	.free = fake_free,
	.split = fake_split,
	.copy_to_dev = fake_copy_to_dev,
	.copy_from_dev = fake_copy_from_dev,
	.map_page = fake_coherent_map,
	.unmap_page = fake_unmap,
	.release = fake_coherent_release,
};
