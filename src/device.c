// SPDX-License-Identifier: GPL-2.0
/*
 * Devices: creation, lookup and teardown.  A device is refcounted: the
 * device list holds one reference and every open file (mirror) another, so
 * removing a device never frees it under a user.  Device pages reach their
 * device through their pagemap, never through a file.
 */
#include <linux/idr.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include "devmm.h"

static DEFINE_MUTEX(devices_lock);
static LIST_HEAD(devices);
static DEFINE_IDA(device_ida);

static void devmm_device_release(struct kref *ref)
{
	struct devmm_device *dev = container_of(ref, struct devmm_device, ref);

	devmm_owners_free(dev);
	ida_free(&device_ida, dev->id);
	kfree(dev->compat);
	kfree(dev);
}

void devmm_device_get(struct devmm_device *dev)
{
	kref_get(&dev->ref);
}

void devmm_device_put(struct devmm_device *dev)
{
	kref_put(&dev->ref, devmm_device_release);
}

static const char *kind_name(enum devmm_kind kind)
{
	switch (kind) {
	case DEVMM_PRIVATE:
		return "private";
	case DEVMM_COHERENT:
		return "coherent";
	default:
		return "mirror-only";
	}
}

/*
 * Take a device down: no new files, every page back in system memory, then
 * the pagemaps unmapped.  Open files keep the (memory-less) device alive.
 */
static void devmm_device_teardown(struct devmm_device *dev)
{
	devmm_node_unregister(&dev->dnode);
	if (dev->compat)
		devmm_node_unregister(dev->compat);
	spin_lock_irq(&dev->free_lock);
	dev->dying = true;
	spin_unlock_irq(&dev->free_lock);
	/* Allocations waiting for room give up now (pagemap.c). */
	wake_up_all(&dev->free_wait);
	if (dev->kind != DEVMM_MIRROR) {
		/* memunmap_pages() would wait forever for a page in use. */
		if (dev->evict_batch)
			devmm_evict_all(dev, 0, NULL);
		devmm_pagemap_teardown(dev);
		devmm_fault_spares_release(dev);
	}
	pr_info("device %u: removed\n", dev->id);
}

/**
 * devmm_device_create - add a device and its /dev/devmmN node
 * @kind: private, coherent or mirror-only.
 * @base: physical start of a coherent device's range (else 0).
 * @size: capacity of a private device, or length of a coherent range.
 *
 * A coherent device maps its whole range at once, so that a range the
 * kernel will not take fails here rather than on first use.
 * Return: the new device (owned by the device list) or an ERR_PTR.
 */
struct devmm_device *devmm_device_create(enum devmm_kind kind, phys_addr_t base, u64 size)
{
	struct devmm_device *dev;
	char name[24];
	int ret, id;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	id = ida_alloc(&device_ida, GFP_KERNEL);
	if (id < 0) {
		kfree(dev);
		return ERR_PTR(id);
	}
	kref_init(&dev->ref);
	INIT_LIST_HEAD(&dev->node);
	dev->id = id;
	dev->kind = kind;
	dev->base = base;
	dev->size = kind == DEVMM_COHERENT ? size : 0;
	dev->capacity = kind == DEVMM_MIRROR ? 0 : size;
	mutex_init(&dev->chunks_lock);
	mutex_init(&dev->evict_lock);
	INIT_LIST_HEAD(&dev->lru);
	dev->evict_pages = DEVMM_WINDOW_PAGES;
	INIT_LIST_HEAD(&dev->owners);
	spin_lock_init(&dev->free_lock);
	init_waitqueue_head(&dev->free_wait);
	devmm_fault_spares_init(dev);
	dev->ops = kind == DEVMM_PRIVATE ? &devmm_fake_private_ops : &devmm_fake_coherent_ops;

	if (kind != DEVMM_MIRROR) {
		ret = devmm_pagemap_init(dev, kind == DEVMM_COHERENT);
		if (ret)
			goto err;
	}
	snprintf(name, sizeof(name), DEVMM_NODE_PREFIX "%u", id);
	ret = devmm_node_register(dev, &dev->dnode, name, false);
	if (ret)
		goto err;

	mutex_lock(&devices_lock);
	list_add_tail(&dev->node, &devices);
	mutex_unlock(&devices_lock);
	pr_info("device %u: %s, %llu MiB%s, /dev/%s\n", id, kind_name(kind), size >> 20,
		kind == DEVMM_COHERENT ? " of reserved memory" : "", name);
	return dev;
err:
	devmm_device_teardown(dev);
	devmm_device_put(dev);
	return ERR_PTR(ret);
}

/**
 * devmm_device_add_compat_node - give @dev the node /dev/hmm_dmirror@n
 * @dev: the device.
 * @n: test_hmm's device number.
 *
 * Return: 0 or a negative errno.
 */
int devmm_device_add_compat_node(struct devmm_device *dev, unsigned int n)
{
	char name[24];
	int ret;

	dev->compat = kzalloc(sizeof(*dev->compat), GFP_KERNEL);
	if (!dev->compat)
		return -ENOMEM;
	snprintf(name, sizeof(name), "hmm_dmirror%u", n);
	ret = devmm_node_register(dev, dev->compat, name, true);
	if (!ret)
		pr_info("device %u: also /dev/%s\n", dev->id, name);
	return ret;
}

/**
 * devmm_device_info - fill in what DEVMM_IOC_DEV_INFO and QUERY report
 * @dev: the device.
 * @info: zeroed by the caller.
 */
void devmm_device_info(struct devmm_device *dev, struct devmm_dev_info *info)
{
	unsigned long used, mapped;

	info->id = dev->id;
	info->kind = dev->kind;
	info->base = dev->base;
	info->capacity = dev->capacity;
	devmm_device_usage(dev, &used, &mapped);
	info->used = (u64)used << PAGE_SHIFT;
	info->mapped = (u64)mapped << PAGE_SHIFT;
	info->used_max = (u64)READ_ONCE(dev->used_max) << PAGE_SHIFT;
	info->policy = dev->policy;
	info->to_device = atomic64_read(&dev->stats.to_device);
	info->to_system = atomic64_read(&dev->stats.to_system);
	info->cpu_faults = atomic64_read(&dev->stats.cpu_faults);
	info->device_faults = atomic64_read(&dev->stats.device_faults);
	info->evicted = atomic64_read(&dev->stats.evicted);
	info->evict_passes = atomic64_read(&dev->stats.evict_passes);
	info->evict_failures = atomic64_read(&dev->stats.evict_failures);
	info->map_bytes = (u64)READ_ONCE(dev->buffer_pages) << PAGE_SHIFT;
	info->map_read_faults = atomic64_read(&dev->stats.map_read_faults);
	info->map_write_faults = atomic64_read(&dev->stats.map_write_faults);
	info->map_mkwrite = atomic64_read(&dev->stats.map_mkwrite);
	info->chunks_ahead = atomic64_read(&dev->stats.chunks_ahead);
	info->storage_ahead = atomic64_read(&dev->stats.storage_ahead);
	info->spare_bytes = (u64)READ_ONCE(dev->nspares) << (DEVMM_PMD_ORDER + PAGE_SHIFT);
	info->fault_pages = atomic64_read(&dev->stats.fault_pages);
	info->fault_migrated = atomic64_read(&dev->stats.fault_migrated);
	info->remote_pages = atomic64_read(&dev->stats.remote_pages);
	info->prefetched = atomic64_read(&dev->stats.prefetched);
	info->prefetch_hits = atomic64_read(&dev->stats.prefetch_hits);
	info->prefetch_waste = atomic64_read(&dev->stats.prefetch_waste);
	info->thrashing_events = atomic64_read(&dev->stats.thrashing_events);
	info->thrashing_held = atomic64_read(&dev->stats.thrashing_held);
}

/**
 * devmm_device_find - the device numbered @id, or the next one
 * @id: the device number.
 * @or_next: else the device with the lowest number above @id.
 *
 * Return: the device with a reference (devmm_device_put() it), or NULL.
 */
struct devmm_device *devmm_device_find(unsigned int id, bool or_next)
{
	struct devmm_device *dev, *found = NULL;

	mutex_lock(&devices_lock);
	list_for_each_entry(dev, &devices, node) {
		if (dev->id == id || (or_next && dev->id > id && (!found || dev->id < found->id)))
			found = dev;
		if (dev->id == id)
			break;
	}
	if (found)
		devmm_device_get(found);
	mutex_unlock(&devices_lock);
	return found;
}

/* Eviction passes DESTROY makes over busy (e.g. pinned) pages: ~1.5 s. */
#define DEVMM_DESTROY_TRIES	50

/**
 * devmm_device_destroy - remove the device numbered @id
 * @id: the device number.
 *
 * Every page comes home first; files still open on it get -ENODEV.  While
 * that is tried the device takes no new pages.  A device whose pages cannot
 * all move (a short-term pin holds a coherent page in place; an mmap buffer
 * is mapped) stays as it was.
 * Return: 0, -ENODEV if there is no such device (or it is being destroyed),
 * -EBUSY if it has live mmap buffers or pages that stayed busy.
 */
int devmm_device_destroy(unsigned int id)
{
	struct devmm_device *dev, *found = NULL;
	int ret = -ENODEV;

	mutex_lock(&devices_lock);
	list_for_each_entry(dev, &devices, node) {
		if (dev->id != id)
			continue;
		/* mmap buffers cannot move: their device stays while mapped. */
		spin_lock_irq(&dev->free_lock);
		if (dev->nbuffers) {
			ret = -EBUSY;
		} else if (!dev->dying) {
			dev->dying = true;
			devmm_device_get(dev);
			found = dev;
		}
		spin_unlock_irq(&dev->free_lock);
		break;
	}
	mutex_unlock(&devices_lock);
	if (!found)
		return ret;
	wake_up_all(&found->free_wait);
	/* Never wait unkillably for a pin: try, and give the device back. */
	ret = devmm_evict_all(found, DEVMM_DESTROY_TRIES, NULL);
	if (ret) {
		spin_lock_irq(&found->free_lock);
		found->dying = false;
		spin_unlock_irq(&found->free_lock);
		devmm_device_put(found);
		return -EBUSY;
	}
	mutex_lock(&devices_lock);
	list_del_init(&found->node);
	mutex_unlock(&devices_lock);
	devmm_device_teardown(found);
	/* The list's reference, then ours. */
	devmm_device_put(found);
	devmm_device_put(found);
	return 0;
}

/* Remove every device, evicting its pages; the last user frees each. */
void devmm_devices_destroy(void)
{
	struct devmm_device *dev, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&devices_lock);
	list_splice_init(&devices, &gone);
	mutex_unlock(&devices_lock);
	list_for_each_entry_safe(dev, tmp, &gone, node) {
		list_del_init(&dev->node);
		devmm_device_teardown(dev);
		devmm_device_put(dev);
	}
}

void devmm_devices_count(unsigned int *nprivate, unsigned int *ncoherent, unsigned int *nmirror)
{
	struct devmm_device *dev;

	*nprivate = 0;
	*ncoherent = 0;
	*nmirror = 0;
	mutex_lock(&devices_lock);
	list_for_each_entry(dev, &devices, node) {
		if (dev->kind == DEVMM_PRIVATE)
			(*nprivate)++;
		else if (dev->kind == DEVMM_COHERENT)
			(*ncoherent)++;
		else
			(*nmirror)++;
	}
	mutex_unlock(&devices_lock);
}

/* The @n-th device of @kind (creation order), or NULL; no reference taken. */
struct devmm_device *devmm_device_nth(enum devmm_kind kind, unsigned int n)
{
	struct devmm_device *dev, *found = NULL;

	mutex_lock(&devices_lock);
	list_for_each_entry(dev, &devices, node) {
		if (dev->kind == kind && n-- == 0) {
			found = dev;
			break;
		}
	}
	mutex_unlock(&devices_lock);
	return found;
}

/**
 * devmm_coherent_claimed - whether [start, last] lies in a coherent device's range
 * @start: first byte.
 * @last: last byte.
 *
 * Return: true if a devmm coherent device's range holds it (its claims in
 * /proc/iomem are devmm's own).
 */
bool devmm_coherent_claimed(u64 start, u64 last)
{
	struct devmm_device *dev;
	bool found = false;

	mutex_lock(&devices_lock);
	list_for_each_entry(dev, &devices, node) {
		if (dev->kind == DEVMM_COHERENT && start >= dev->base &&
		    last < dev->base + dev->size) {
			found = true;
			break;
		}
	}
	mutex_unlock(&devices_lock);
	return found;
}

/**
 * devmm_devices_for_each - call @fn on each device until it returns non-zero
 * @fn: the callback; it may sleep, and runs without devices_lock (a foreign
 *	migration must not stall control ioctls and other migrations), on a
 *	device that stays allocated meanwhile but may be going away.
 * @arg: passed to @fn.
 *
 * Return: the first non-zero value of @fn, 0, or -ENOMEM.
 */
int devmm_devices_for_each(int (*fn)(struct devmm_device *dev, void *arg), void *arg)
{
	struct devmm_device *dev, **all;
	unsigned int n = 0, i;
	int ret = 0;

	mutex_lock(&devices_lock);
	list_for_each_entry(dev, &devices, node)
		n++;
	all = kmalloc_array(max(n, 1U), sizeof(*all), GFP_KERNEL);
	if (!all) {
		mutex_unlock(&devices_lock);
		return -ENOMEM;
	}
	n = 0;
	list_for_each_entry(dev, &devices, node) {
		devmm_device_get(dev);
		all[n++] = dev;
	}
	mutex_unlock(&devices_lock);
	for (i = 0; i < n; i++) {
		if (!ret && !READ_ONCE(all[i]->dying))
			ret = fn(all[i], arg);
		devmm_device_put(all[i]);
	}
	kfree(all);
	return ret;
}
