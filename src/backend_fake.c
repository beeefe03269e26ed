// SPDX-License-Identifier: GPL-2.0
/*
 * The fake device backend.  Private device memory has no CPU address, so
 * each allocated device page is given a system page that holds its contents
 * (page->zone_device_data points at it).  Coherent device memory is real,
 * CPU-addressable memory (a boot-reserved range): its pages hold their own
 * contents.  Copies are CPU copies.
 *
 * A large device folio gets a block of system pages (one high-order
 * allocation, freed as one); only the folio's first page records it.  If
 * the folio is split, the block is split with it (split_page) so that the
 * parts can be freed separately.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include "devmm.h"

/* The system page holding the contents of device page @dpage. */
static struct page *backing_page(struct page *dpage)
{
	struct page *head = &page_folio(dpage)->page;
	struct page *block = head->zone_device_data;

	return pfn_to_page(page_to_pfn(block) + (dpage - head));
}

static int fake_private_alloc(struct devmm_device *dev, struct page *dpage, unsigned int order)
{
	gfp_t gfp = GFP_HIGHUSER | __GFP_NOWARN | (order ? __GFP_NORETRY : 0);
	struct page *backing = alloc_pages(gfp, order);

	if (!backing)
		return -ENOMEM;
	dpage->zone_device_data = backing;
	return 0;
}

/*
 * Whether the block of a large device folio was split: the tail pages of a
 * high-order allocation have no reference count of their own until
 * split_page() gives them one.
 */
static bool block_split(struct page *block)
{
	return page_count(block + 1) != 0;
}

static void fake_private_free(struct devmm_device *dev, struct page *dpage, unsigned int order)
{
	struct page *backing = dpage->zone_device_data;
	unsigned long i;

	dpage->zone_device_data = NULL;
	if (!backing)
		return;
	if (!order || !block_split(backing)) {
		__free_pages(backing, order);
		return;
	}
	for (i = 0; i < (1UL << order); i++)
		__free_page(backing + i);
}

static void fake_private_split(struct devmm_device *dev, struct page *head, struct page *tail)
{
	struct page *block = head->zone_device_data;

	/* The folio's first split: its block's pages become independent. */
	if (!block_split(block))
		split_page(block, DEVMM_PMD_ORDER);
	tail->zone_device_data = block + (page_to_pfn(tail) - page_to_pfn(head));
}

/* Where the contents of device page @dpage live. */
static struct page *storage(struct devmm_device *dev, struct page *dpage)
{
	return dev->kind == DEVMM_PRIVATE ? backing_page(dpage) : dpage;
}

static int fake_copy_to_dev(struct devmm_device *dev, struct page **dst, struct page **src,
			    unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (!dst[i])
			continue;
		if (src[i])
			copy_highpage(storage(dev, dst[i]), src[i]);
		else
			clear_highpage(storage(dev, dst[i]));
	}
	return 0;
}

static int fake_copy_from_dev(struct devmm_device *dev, struct page **dst, struct page **src,
			      unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (dst[i] && src[i])
			copy_highpage(dst[i], storage(dev, src[i]));
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
	.free = fake_private_free,
	.split = fake_private_split,
	.copy_to_dev = fake_copy_to_dev,
	.copy_from_dev = fake_copy_from_dev,
	.map_page = fake_private_map,
	.unmap_page = fake_unmap,
};

/* Coherent pages are their own storage: nothing to allocate or free. */
static int fake_coherent_alloc(struct devmm_device *dev, struct page *dpage, unsigned int order)
{
	return 0;
}

static void fake_coherent_free(struct devmm_device *dev, struct page *dpage, unsigned int order)
{
}

static void fake_coherent_split(struct devmm_device *dev, struct page *head, struct page *tail)
{
}

static void *fake_coherent_map(struct devmm_device *dev, struct page *dpage)
{
	return kmap_local_page(dpage);
}

const struct devmm_backend_ops devmm_fake_coherent_ops = {
	.name = "fake-coherent",
	.alloc = fake_coherent_alloc,
	.free = fake_coherent_free,
	.split = fake_coherent_split,
	.copy_to_dev = fake_copy_to_dev,
	.copy_from_dev = fake_copy_from_dev,
	.map_page = fake_coherent_map,
	.unmap_page = fake_unmap,
};
