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
	if (info.flags || info.nmirror || !devmm_all_zero(info.reserved, sizeof(info.reserved)))
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

static long devmm_control_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	/* Commands are matched by number and direction; the size may vary. */
	if (_IOC_TYPE(cmd) != DEVMM_IOC_MAGIC)
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(DEVMM_IOC_INFO):
		if (_IOC_DIR(cmd) != _IOC_DIR(DEVMM_IOC_INFO))
			return -ENOTTY;
		return devmm_ioc_info(uarg, _IOC_SIZE(cmd));
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
