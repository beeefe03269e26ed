// SPDX-License-Identifier: GPL-2.0
/*
 * The list of devmm devices.  A device is refcounted: the list holds one
 * reference, and so does everything that uses the device after looking it
 * up, so that removing a device never frees it under a user.
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

	ida_free(&device_ida, dev->id);
	kfree(dev);
}

/**
 * devmm_device_create - add a device
 * @kind: private or coherent.
 * @base: physical start of a coherent device's range (0 for private).
 * @size: capacity of a private device, or length of a coherent range.
 *
 * Return: 0 or a negative errno.
 */
int devmm_device_create(enum devmm_kind kind, phys_addr_t base, u64 size)
{
	struct devmm_device *dev;
	int id;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	id = ida_alloc(&device_ida, GFP_KERNEL);
	if (id < 0) {
		kfree(dev);
		return id;
	}
	kref_init(&dev->ref);
	dev->id = id;
	dev->kind = kind;
	dev->base = base;
	dev->capacity = size;

	mutex_lock(&devices_lock);
	list_add_tail(&dev->node, &devices);
	mutex_unlock(&devices_lock);
	pr_info("device %u: %s, %llu MiB%s\n", id,
		kind == DEVMM_KIND_PRIVATE ? "private" : "coherent", size >> 20,
		kind == DEVMM_KIND_COHERENT ? " of reserved memory" : "");
	return 0;
}

/* Remove every device; the last user frees each. */
void devmm_devices_destroy(void)
{
	struct devmm_device *dev, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&devices_lock);
	list_splice_init(&devices, &gone);
	mutex_unlock(&devices_lock);
	list_for_each_entry_safe(dev, tmp, &gone, node) {
		list_del(&dev->node);
		kref_put(&dev->ref, devmm_device_release);
	}
}

void devmm_devices_count(unsigned int *nprivate, unsigned int *ncoherent)
{
	struct devmm_device *dev;

	*nprivate = 0;
	*ncoherent = 0;
	mutex_lock(&devices_lock);
	list_for_each_entry(dev, &devices, node) {
		if (dev->kind == DEVMM_KIND_PRIVATE)
			(*nprivate)++;
		else
			(*ncoherent)++;
	}
	mutex_unlock(&devices_lock);
}
