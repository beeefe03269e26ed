// SPDX-License-Identifier: GPL-2.0
/*
 * The fake device backend.  Private device memory has no CPU address, so
 * each allocated device page is given a system page that holds its contents
 * (page->zone_device_data points at it).  Coherent device memory is real,
 * CPU-addressable memory (a boot-reserved range): its pages hold their own
 * contents.  Copies are CPU copies.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include "devmm.h"

static struct page *backing_page(struct page *dpage)
{
	return dpage->zone_device_data;
}

static int fake_private_alloc(struct devmm_device *dev, struct page *dpage, unsigned int order)
{
	struct page *backing = alloc_pages(GFP_HIGHUSER | __GFP_NOWARN, order);

	if (!backing)
		return -ENOMEM;
	dpage->zone_device_data = backing;
	return 0;
}

static void fake_private_free(struct devmm_device *dev, struct page *dpage, unsigned int order)
{
	struct page *backing = backing_page(dpage);

	dpage->zone_device_data = NULL;
	if (backing)
		__free_pages(backing, order);
}

static int fake_private_copy_to_dev(struct devmm_device *dev, struct page **dst,
				    struct page **src, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (!dst[i])
			continue;
		if (src[i])
			copy_highpage(backing_page(dst[i]), src[i]);
		else
			clear_highpage(backing_page(dst[i]));
	}
	return 0;
}

static int fake_private_copy_from_dev(struct devmm_device *dev, struct page **dst,
				      struct page **src, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (dst[i] && src[i])
			copy_highpage(dst[i], backing_page(src[i]));
	return 0;
}

static void *fake_private_kmap(struct devmm_device *dev, struct page *dpage)
{
	return kmap_local_page(backing_page(dpage));
}

static void fake_kunmap(struct devmm_device *dev, void *addr)
{
	kunmap_local(addr);
}

const struct devmm_backend_ops devmm_fake_private_ops = {
	.name = "fake-private",
	.alloc = fake_private_alloc,
	.free = fake_private_free,
	.copy_to_dev = fake_private_copy_to_dev,
	.copy_from_dev = fake_private_copy_from_dev,
	.kmap = fake_private_kmap,
	.kunmap = fake_kunmap,
};

/* Coherent pages are their own storage: nothing to allocate or free. */
static int fake_coherent_alloc(struct devmm_device *dev, struct page *dpage, unsigned int order)
{
	return 0;
}

static void fake_coherent_free(struct devmm_device *dev, struct page *dpage, unsigned int order)
{
}

static int fake_coherent_copy_to_dev(struct devmm_device *dev, struct page **dst,
				     struct page **src, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (!dst[i])
			continue;
		if (src[i])
			copy_highpage(dst[i], src[i]);
		else
			clear_highpage(dst[i]);
	}
	return 0;
}

static int fake_coherent_copy_from_dev(struct devmm_device *dev, struct page **dst,
				       struct page **src, unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		if (dst[i] && src[i])
			copy_highpage(dst[i], src[i]);
	return 0;
}

static void *fake_coherent_kmap(struct devmm_device *dev, struct page *dpage)
{
	return kmap_local_page(dpage);
}

const struct devmm_backend_ops devmm_fake_coherent_ops = {
	.name = "fake-coherent",
	.alloc = fake_coherent_alloc,
	.free = fake_coherent_free,
	.copy_to_dev = fake_coherent_copy_to_dev,
	.copy_from_dev = fake_coherent_copy_from_dev,
	.kmap = fake_coherent_kmap,
	.kunmap = fake_kunmap,
};
