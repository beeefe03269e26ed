// SPDX-License-Identifier: GPL-2.0
/*
 * Device nodes: /dev/devmmN for each device, and /dev/hmm_dmirrorN aliases
 * with dmirror_compat=1.  Each open file is a mirror of the opener's address
 * space (mirror.c); the ioctls are devmm's own (DEVMM_IOC_*, below) and
 * test_hmm's (HMM_DMIRROR_*, dmirror.c).
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/uaccess.h>
#include "devmm.h"

static int devmm_node_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct devmm_node *node = container_of(misc, struct devmm_node, misc);
	struct devmm_mirror *m;

	m = devmm_mirror_create(node->dev, node->dmirror);
	if (IS_ERR(m))
		return PTR_ERR(m);
	file->private_data = m;
	return 0;
}

static int devmm_node_release(struct inode *inode, struct file *file)
{
	devmm_mirror_destroy(file->private_data);
	return 0;
}

static long devmm_ioc_dev_info(struct devmm_mirror *m, void __user *uarg, size_t usize)
{
	struct devmm_dev_info info;
	int ret;

	BUILD_BUG_ON(sizeof(info) != DEVMM_DEV_INFO_SIZE_VER0);
	ret = devmm_copy_in(&info, sizeof(info), DEVMM_DEV_INFO_SIZE_VER0, uarg, usize);
	if (ret)
		return ret;
	if (info.flags || info.reserved0 || info.reserved1 ||
	    memchr_inv(info.reserved, 0, sizeof(info.reserved)))
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	devmm_device_info(m->dev, &info);
	return devmm_copy_out(uarg, usize, &info, sizeof(info));
}

/**
 * devmm_ioc_range - DEVMM_IOC_{READ,WRITE,MIGRATE_TO_DEV,MIGRATE_TO_SYS,
 *	SNAPSHOT,EXCLUSIVE,PIN,UNPIN} on a device node
 * @m: the file's mirror.
 * @cmd: the command.
 * @uarg: user pointer to struct devmm_range_cmd.
 * @usize: its size as user space knows it.
 *
 * Return: 0 or a negative errno: -EINVAL for a bad size, flag, reserved
 * field or range, -EPERM from another process than the opener, and the
 * errors of the operation itself.
 */
static long devmm_ioc_range(struct devmm_mirror *m, unsigned int cmd, void __user *uarg,
			    size_t usize)
{
	unsigned int nr = _IOC_NR(cmd);
	struct devmm_range_cmd c;
	void __user *ptr;
	unsigned long end;
	u32 valid_flags;
	long ret;

	BUILD_BUG_ON(sizeof(c) != DEVMM_RANGE_CMD_SIZE_VER0);
	ret = devmm_copy_in(&c, sizeof(c), DEVMM_RANGE_CMD_SIZE_VER0, uarg, usize);
	if (ret)
		return ret;
	valid_flags = nr == _IOC_NR(DEVMM_IOC_PIN) ? DEVMM_RANGE_LONGTERM : 0;
	if ((c.flags & ~valid_flags) || c.reserved0 || memchr_inv(c.reserved, 0, sizeof(c.reserved)))
		return -EINVAL;
	if (devmm_check_range(c.addr, c.npages, &end))
		return -EINVAL;
	ptr = u64_to_user_ptr(c.ptr);
	c.cpages = 0;
	c.faults = 0;

	switch (nr) {
	case _IOC_NR(DEVMM_IOC_READ):
		ret = devmm_mirror_read(m, c.addr, c.npages, ptr, true, &c.cpages, &c.faults);
		break;
	case _IOC_NR(DEVMM_IOC_WRITE):
		ret = devmm_mirror_write(m, c.addr, c.npages, ptr, &c.cpages, &c.faults);
		break;
	case _IOC_NR(DEVMM_IOC_MIGRATE_TO_DEV):
		ret = devmm_migrate_to_device(m, c.addr, end, true);
		if (!ret)
			ret = devmm_mirror_adopt_own(m, c.addr, end, &c.cpages);
		break;
	case _IOC_NR(DEVMM_IOC_MIGRATE_TO_SYS):
		ret = devmm_migrate_to_system(m, c.addr, end, &c.cpages);
		break;
	case _IOC_NR(DEVMM_IOC_SNAPSHOT):
		ret = devmm_mirror_snapshot(m, c.addr, c.npages, ptr);
		c.cpages = ret ? 0 : c.npages;
		break;
	case _IOC_NR(DEVMM_IOC_EXCLUSIVE):
		ret = devmm_mirror_exclusive(m, c.addr, c.npages);
		c.cpages = ret ? 0 : c.npages;
		break;
	case _IOC_NR(DEVMM_IOC_PIN):
		ret = devmm_mirror_pin(m, c.addr, c.npages, c.flags & DEVMM_RANGE_LONGTERM);
		c.cpages = ret ? 0 : c.npages;
		break;
	default: /* DEVMM_IOC_UNPIN */
		ret = devmm_mirror_is_opener(m) ? devmm_mirror_unpin(m, c.addr, c.npages) : -EPERM;
		c.cpages = ret ? 0 : c.npages;
		break;
	}
	if (ret)
		return ret;
	return devmm_copy_out(uarg, usize, &c, sizeof(c));
}

static long devmm_node_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct devmm_mirror *m = file->private_data;
	void __user *uarg = (void __user *)arg;

	/* The device was destroyed under this file. */
	if (READ_ONCE(m->dev->dying))
		return -ENODEV;
	if (_IOC_TYPE(cmd) == 'H')
		return devmm_dmirror_ioctl(m, cmd, uarg);
	if (_IOC_TYPE(cmd) != DEVMM_IOC_MAGIC || _IOC_DIR(cmd) != (_IOC_READ | _IOC_WRITE))
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(DEVMM_IOC_READ):
	case _IOC_NR(DEVMM_IOC_WRITE):
	case _IOC_NR(DEVMM_IOC_MIGRATE_TO_DEV):
	case _IOC_NR(DEVMM_IOC_MIGRATE_TO_SYS):
	case _IOC_NR(DEVMM_IOC_SNAPSHOT):
	case _IOC_NR(DEVMM_IOC_EXCLUSIVE):
	case _IOC_NR(DEVMM_IOC_PIN):
	case _IOC_NR(DEVMM_IOC_UNPIN):
		return devmm_ioc_range(m, cmd, uarg, _IOC_SIZE(cmd));
	case _IOC_NR(DEVMM_IOC_DEV_INFO):
		return devmm_ioc_dev_info(m, uarg, _IOC_SIZE(cmd));
	default:
		return -ENOTTY;
	}
}

static int devmm_node_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct devmm_mirror *m = file->private_data;

	if (m->dmirror)
		return devmm_dmirror_mmap(m, vma);
	return devmm_buffer_mmap(m, vma);
}

/* Statistics under /sys/class/misc/<node>/, one value per file. */
struct devmm_attr {
	struct device_attribute attr;
	size_t offset;
	bool is_u32;
};

static ssize_t devmm_attr_show(struct device *d, struct device_attribute *attr, char *buf)
{
	struct devmm_attr *da = container_of(attr, struct devmm_attr, attr);
	struct miscdevice *misc = dev_get_drvdata(d);
	struct devmm_node *node = container_of(misc, struct devmm_node, misc);
	struct devmm_dev_info info = {};
	void *field = (char *)&info + da->offset;

	devmm_device_info(node->dev, &info);
	if (da->is_u32)
		return sysfs_emit(buf, "%u\n", *(u32 *)field);
	return sysfs_emit(buf, "%llu\n", *(u64 *)field);
}

#define DEVMM_ATTR(name, type)							\
	static struct devmm_attr devmm_attr_##name = {				\
		.attr = __ATTR(name, 0444, devmm_attr_show, NULL),		\
		.offset = offsetof(struct devmm_dev_info, name),		\
		.is_u32 = sizeof(type) == sizeof(u32),				\
	}

DEVMM_ATTR(id, u32);
DEVMM_ATTR(kind, u32);
DEVMM_ATTR(policy, u32);
DEVMM_ATTR(capacity, u64);
DEVMM_ATTR(used, u64);
DEVMM_ATTR(used_max, u64);
DEVMM_ATTR(mapped, u64);
DEVMM_ATTR(to_device, u64);
DEVMM_ATTR(to_system, u64);
DEVMM_ATTR(cpu_faults, u64);
DEVMM_ATTR(device_faults, u64);
DEVMM_ATTR(evicted, u64);
DEVMM_ATTR(evict_passes, u64);
DEVMM_ATTR(evict_failures, u64);
DEVMM_ATTR(map_bytes, u64);
DEVMM_ATTR(map_read_faults, u64);
DEVMM_ATTR(map_write_faults, u64);
DEVMM_ATTR(map_mkwrite, u64);
DEVMM_ATTR(chunks_ahead, u64);

static struct attribute *devmm_node_attrs[] = {
	&devmm_attr_id.attr.attr,
	&devmm_attr_kind.attr.attr,
	&devmm_attr_policy.attr.attr,
	&devmm_attr_capacity.attr.attr,
	&devmm_attr_used.attr.attr,
	&devmm_attr_used_max.attr.attr,
	&devmm_attr_mapped.attr.attr,
	&devmm_attr_to_device.attr.attr,
	&devmm_attr_to_system.attr.attr,
	&devmm_attr_cpu_faults.attr.attr,
	&devmm_attr_device_faults.attr.attr,
	&devmm_attr_evicted.attr.attr,
	&devmm_attr_evict_passes.attr.attr,
	&devmm_attr_evict_failures.attr.attr,
	&devmm_attr_map_bytes.attr.attr,
	&devmm_attr_map_read_faults.attr.attr,
	&devmm_attr_map_write_faults.attr.attr,
	&devmm_attr_map_mkwrite.attr.attr,
	&devmm_attr_chunks_ahead.attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(devmm_node);

static const struct file_operations devmm_node_fops = {
	.owner = THIS_MODULE,
	.open = devmm_node_open,
	.release = devmm_node_release,
	.unlocked_ioctl = devmm_node_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = devmm_node_mmap,
	.llseek = noop_llseek,
};

/**
 * devmm_node_register - create a device node for @dev
 * @dev: the device.
 * @node: the node to fill in.
 * @name: its name under /dev.
 * @dmirror: a test_hmm-compatible node (mmap as test_hmm does).
 *
 * Return: 0 or a negative errno.
 */
int devmm_node_register(struct devmm_device *dev, struct devmm_node *node, const char *name,
			bool dmirror)
{
	int ret;

	strscpy(node->name, name, sizeof(node->name));
	node->dev = dev;
	node->dmirror = dmirror;
	node->misc.minor = MISC_DYNAMIC_MINOR;
	node->misc.name = node->name;
	node->misc.fops = &devmm_node_fops;
	node->misc.mode = 0600;
	node->misc.groups = devmm_node_groups;
	ret = misc_register(&node->misc);
	node->registered = !ret;
	return ret;
}

void devmm_node_unregister(struct devmm_node *node)
{
	if (node->registered)
		misc_deregister(&node->misc);
	node->registered = false;
}
