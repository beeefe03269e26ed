// SPDX-License-Identifier: GPL-2.0
/*
 * The control device /dev/devmm and its ioctls (include/uapi/linux/devmm.h).
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include <linux/devmm.h>
#include "devmm.h"

/**
 * devmm_caps - DEVMM_CAP_* bits this build of the module offers on this kernel
 *
 * Return: the capability mask reported by DEVMM_IOC_INFO.
 */
u64 devmm_caps(void)
{
	u64 caps = 0;

	if (DEVMM_CAN_PRIVATE)
		caps |= DEVMM_CAP_PRIVATE;
	if (DEVMM_CAN_COHERENT)
		caps |= DEVMM_CAP_COHERENT;
	if (DEVMM_CAN_LARGE_FOLIOS)
		caps |= DEVMM_CAP_LARGE_FOLIOS;
	if (DEVMM_CAN_MIGRATE_DEVICE_PFNS)
		caps |= DEVMM_CAP_MIGRATE_DEVICE_PFNS;
	if (DEVMM_CAN_EXCLUSIVE)
		caps |= DEVMM_CAP_EXCLUSIVE;
	return caps;
}

/*
 * Copy in an ioctl's struct of @usize bytes (the size user space was built
 * with, from the ioctl number) into @kbuf of @ksize bytes.  Sizes below the
 * first published one or above a page, and non-zero bytes beyond what the
 * kernel knows, are -EINVAL.
 */
int devmm_copy_in(void *kbuf, size_t ksize, size_t minsize,
			 const void __user *ubuf, size_t usize)
{
	int ret;

	if (usize < minsize || usize > PAGE_SIZE)
		return -EINVAL;
	ret = copy_struct_from_user(kbuf, ksize, ubuf, usize);
	return ret == -E2BIG ? -EINVAL : ret;
}

/* Copy out what user space has room for; its tail past @ksize is zero. */
int devmm_copy_out(void __user *ubuf, size_t usize, const void *kbuf, size_t ksize)
{
	return copy_to_user(ubuf, kbuf, min(usize, ksize)) ? -EFAULT : 0;
}

static bool devmm_all_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/**
 * devmm_ioc_info - DEVMM_IOC_INFO: ABI version, capabilities, device counts
 * @uarg: user pointer to struct devmm_info.
 * @usize: size of the struct as user space knows it.
 *
 * Return: 0, -EFAULT, or -EINVAL for a bad size, flags or reserved field.
 */
static long devmm_ioc_info(void __user *uarg, size_t usize)
{
	struct devmm_info info;
	int ret;

	BUILD_BUG_ON(sizeof(info) != DEVMM_INFO_SIZE_VER0);
	ret = devmm_copy_in(&info, sizeof(info), DEVMM_INFO_SIZE_VER0, uarg, usize);
	if (ret)
		return ret;
	/* (out) fields are ignored on input, as the ABI says. */
	if (info.flags || !devmm_all_zero(info.reserved, sizeof(info.reserved)))
		return -EINVAL;

	memset(&info, 0, sizeof(info));
	info.abi_major = DEVMM_ABI_MAJOR;
	info.abi_minor = DEVMM_ABI_MINOR;
	info.caps = devmm_caps();
	devmm_devices_count(&info.nprivate, &info.ncoherent, &info.nmirror);
	info.ndevices = info.nprivate + info.ncoherent + info.nmirror;
	info.page_size = PAGE_SIZE;
	info.private_capacity = devmm_param_capacity();
	strscpy(info.version, DEVMM_VERSION_STRING, sizeof(info.version));
	return devmm_copy_out(uarg, usize, &info, sizeof(info));
}

/**
 * devmm_ioc_create - DEVMM_IOC_CREATE: add a device at run time
 * @uarg: user pointer to struct devmm_create.
 * @usize: its size as user space knows it.
 *
 * Return: 0 (the new id is copied out), -EINVAL for bad fields or a coherent
 * range that is not whole reserved sections, -EOPNOTSUPP for a kind this
 * kernel cannot offer, -ENOSPC past the device limit, -EBUSY for a range
 * already in use.
 */
static long devmm_ioc_create(void __user *uarg, size_t usize)
{
	struct devmm_device *dev;
	struct devmm_create c;
	unsigned int np, nc, nm;
	u64 size;
	int ret;

	BUILD_BUG_ON(sizeof(c) != DEVMM_CREATE_SIZE_VER0);
	ret = devmm_copy_in(&c, sizeof(c), DEVMM_CREATE_SIZE_VER0, uarg, usize);
	if (ret)
		return ret;
	if (c.flags || !devmm_all_zero(c.reserved, sizeof(c.reserved)) ||
	    c.policy > DEVMM_POLICY_MAX)
		return -EINVAL;
	devmm_devices_count(&np, &nc, &nm);
	if (np + nc + nm >= DEVMM_MAX_DEVICES)
		return -ENOSPC;
	switch (c.kind) {
	case DEVMM_KIND_PRIVATE:
		if (!DEVMM_CAN_PRIVATE)
			return -EOPNOTSUPP;
		size = c.capacity ? c.capacity : devmm_param_capacity();
		if (c.base || c.size || !PAGE_ALIGNED(size) || size > DEVMM_MAX_CAPACITY)
			return -EINVAL;
		break;
	case DEVMM_KIND_COHERENT:
		if (!DEVMM_CAN_COHERENT)
			return -EOPNOTSUPP;
		if (c.capacity || devmm_check_coherent_range(c.base, c.size, "DEVMM_IOC_CREATE"))
			return -EINVAL;
		size = c.size;
		break;
	case DEVMM_KIND_MIRROR:
		if (c.capacity || c.base || c.size)
			return -EINVAL;
		size = 0;
		break;
	default:
		return -EINVAL;
	}
	dev = devmm_device_create(c.kind, c.base, size);
	if (IS_ERR(dev))
		return PTR_ERR(dev);
	devmm_policy_set(dev, DEVMM_SET_POLICY, c.policy, 0, 0);
	c.id = dev->id;
	return devmm_copy_out(uarg, usize, &c, sizeof(c));
}

/*
 * The device numbered @id with a reference, for a command on its memory;
 * *@err 0; else NULL with *@err -ENODEV (none, or going away) or -EOPNOTSUPP
 * (mirror-only).
 */
static struct devmm_device *memory_device_get(u32 id, int *err)
{
	struct devmm_device *dev = devmm_device_find(id, false);

	*err = -ENODEV;
	if (!dev)
		return NULL;
	/* Found just before a DESTROY took it down. */
	if (!READ_ONCE(dev->dying) && dev->kind != DEVMM_MIRROR) {
		*err = 0;
		return dev;
	}
	if (!READ_ONCE(dev->dying))
		*err = -EOPNOTSUPP;
	devmm_device_put(dev);
	return NULL;
}

/*
 * DEVMM_IOC_{DESTROY,EVICT,SET_CAPACITY,SET_POLICY}: an operation on one
 * device by number (see include/uapi/linux/devmm.h).
 */
static long devmm_ioc_dev_cmd(unsigned int nr, void __user *uarg, size_t usize)
{
	struct devmm_device *dev;
	struct devmm_dev_cmd c;
	int ret;

	BUILD_BUG_ON(sizeof(c) != DEVMM_DEV_CMD_SIZE_VER0);
	ret = devmm_copy_in(&c, sizeof(c), DEVMM_DEV_CMD_SIZE_VER0, uarg, usize);
	if (ret)
		return ret;
	if (c.flags || !devmm_all_zero(c.reserved, sizeof(c.reserved)))
		return -EINVAL;
	if (nr == _IOC_NR(DEVMM_IOC_DESTROY)) {
		if (c.value)
			return -EINVAL;
		return devmm_device_destroy(c.id);
	}
	dev = memory_device_get(c.id, &ret);
	if (!dev)
		return ret;
	c.result = 0;
	switch (nr) {
	case _IOC_NR(DEVMM_IOC_EVICT): {
		u64 before = atomic64_read(&dev->stats.evicted);

		/* Rounded up without DIV_ROUND_UP's wrap for values near 2^64. */
		if (c.value)
			devmm_evict(dev, (c.value >> PAGE_SHIFT) + !!offset_in_page(c.value),
				    NULL);
		else
			ret = devmm_evict_all(dev, 3, NULL);
		c.result = (atomic64_read(&dev->stats.evicted) - before) << PAGE_SHIFT;
		break;
	}
	case _IOC_NR(DEVMM_IOC_SET_CAPACITY):
		ret = devmm_set_capacity(dev, c.value);
		break;
	default: /* DEVMM_IOC_SET_POLICY */
		if (c.value > DEVMM_POLICY_MAX)
			ret = -EINVAL;
		else
			devmm_policy_set(dev, DEVMM_SET_POLICY, c.value, 0, 0);
		break;
	}
	if (!ret)
		ret = devmm_copy_out(uarg, usize, &c, sizeof(c));
	devmm_device_put(dev);
	return ret;
}

/* DEVMM_IOC_QUERY: the device with the lowest number >= id. */
static long devmm_ioc_query(void __user *uarg, size_t usize)
{
	struct devmm_dev_query q;
	struct devmm_device *dev;
	int ret;

	BUILD_BUG_ON(sizeof(q) != DEVMM_DEV_QUERY_SIZE_VER1);
	ret = devmm_copy_in(&q, sizeof(q), DEVMM_DEV_QUERY_SIZE_VER0, uarg, usize);
	if (ret)
		return ret;
	if (q.flags)
		return -EINVAL;
	dev = devmm_device_find(q.id, true);
	if (!dev)
		return -ENOENT;
	memset(&q.info, 0, sizeof(q.info));
	devmm_device_info(dev, &q.info);
	devmm_device_put(dev);
	return devmm_copy_out(uarg, usize, &q, sizeof(q));
}

static bool prefetch_valid(u32 prefetch, u32 arg)
{
	switch (prefetch) {
	case DEVMM_PREFETCH_NONE:
		return !arg;
	case DEVMM_PREFETCH_SEQ:
		return arg >= 4 && arg <= 2048 && !(arg % 4);
	case DEVMM_PREFETCH_DENSITY:
		return arg >= 1 && arg <= 100;
	default:
		return false;
	}
}

/**
 * devmm_ioc_settings - DEVMM_IOC_SETTINGS: read and change a device's settings
 * @uarg: user pointer to struct devmm_settings.
 * @usize: its size as user space knows it.
 *
 * Every field is checked before any changes.
 * Return: 0, -EINVAL for a bad size, flag, mask, value or reserved field,
 * -ENODEV for no such device, -EOPNOTSUPP for a mirror-only device.
 */
static long devmm_ioc_settings(void __user *uarg, size_t usize)
{
	struct devmm_device *dev;
	struct devmm_settings c;
	int ret;

	BUILD_BUG_ON(sizeof(c) != DEVMM_SETTINGS_SIZE_VER0);
	ret = devmm_copy_in(&c, sizeof(c), DEVMM_SETTINGS_SIZE_VER0, uarg, usize);
	if (ret)
		return ret;
	if (c.flags || !devmm_all_zero(c.reserved, sizeof(c.reserved)) ||
	    (c.mask & ~(DEVMM_SET_POLICY | DEVMM_SET_EVICT_BATCH | DEVMM_SET_EVICT_UNIT |
			DEVMM_SET_SEED | DEVMM_SET_PREFETCH | DEVMM_SET_THRASHING)) ||
	    c.reserved1 || ((c.mask & DEVMM_SET_THRASHING) && c.thrashing > 1))
		return -EINVAL;
	if ((c.mask & DEVMM_SET_PREFETCH) && !prefetch_valid(c.prefetch, c.prefetch_arg))
		return -EINVAL;
	if (((c.mask & DEVMM_SET_POLICY) && c.policy > DEVMM_POLICY_MAX) ||
	    ((c.mask & DEVMM_SET_EVICT_BATCH) &&
	     (!c.evict_batch || c.evict_batch > DEVMM_EVICT_BATCH_MAX)) ||
	    ((c.mask & DEVMM_SET_EVICT_UNIT) && c.evict_unit > DEVMM_EVICT_UNIT_BLOCK))
		return -EINVAL;
	dev = memory_device_get(c.id, &ret);
	if (!dev)
		return ret;
	BUILD_BUG_ON(DEVMM_EVICT_BATCH_MAX > DEVMM_WINDOW_PAGES);
	devmm_policy_set(dev, c.mask, c.policy, c.evict_unit, c.seed);
	if (c.mask & DEVMM_SET_EVICT_BATCH)
		WRITE_ONCE(dev->evict_pages, c.evict_batch);
	if (c.mask & DEVMM_SET_PREFETCH) {
		spin_lock_irq(&dev->free_lock);
		dev->prefetch = c.prefetch;
		dev->prefetch_arg = c.prefetch_arg;
		spin_unlock_irq(&dev->free_lock);
	}
	if (c.mask & DEVMM_SET_THRASHING)
		WRITE_ONCE(dev->thrashing, c.thrashing);
	c.policy = READ_ONCE(dev->policy);
	c.evict_batch = READ_ONCE(dev->evict_pages);
	c.evict_unit = READ_ONCE(dev->evict_unit);
	c.seed = READ_ONCE(dev->seed);
	c.prefetch = READ_ONCE(dev->prefetch);
	c.prefetch_arg = READ_ONCE(dev->prefetch_arg);
	c.thrashing = READ_ONCE(dev->thrashing);
	ret = devmm_copy_out(uarg, usize, &c, sizeof(c));
	devmm_device_put(dev);
	return ret;
}

static long devmm_control_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	size_t usize = _IOC_SIZE(cmd);

	/* Commands are matched by number and direction; the size may vary. */
	if (_IOC_TYPE(cmd) != DEVMM_IOC_MAGIC || _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(DEVMM_IOC_INFO):
		return devmm_ioc_info(uarg, usize);
	case _IOC_NR(DEVMM_IOC_CREATE):
		return devmm_ioc_create(uarg, usize);
	case _IOC_NR(DEVMM_IOC_DESTROY):
	case _IOC_NR(DEVMM_IOC_EVICT):
	case _IOC_NR(DEVMM_IOC_SET_CAPACITY):
	case _IOC_NR(DEVMM_IOC_SET_POLICY):
		return devmm_ioc_dev_cmd(_IOC_NR(cmd), uarg, usize);
	case _IOC_NR(DEVMM_IOC_QUERY):
		return devmm_ioc_query(uarg, usize);
	case _IOC_NR(DEVMM_IOC_SETTINGS):
		return devmm_ioc_settings(uarg, usize);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations devmm_control_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = devmm_control_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice devmm_control = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = DEVMM_CONTROL_NAME,
	.fops = &devmm_control_fops,
	.mode = 0600,
};

int devmm_control_init(void)
{
	return misc_register(&devmm_control);
}

void devmm_control_exit(void)
{
	misc_deregister(&devmm_control);
}
