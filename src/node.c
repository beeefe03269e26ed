// SPDX-License-Identifier: GPL-2.0
/*
 * Device nodes: /dev/devmmN for each device, and /dev/hmm_dmirrorN aliases
 * with dmirror_compat=1.  Each open file is a mirror of the opener's address
 * space (mirror.c); the ioctls are devmm's own (DEVMM_IOC_*, below) and
 * test_hmm's (HMM_DMIRROR_*, dmirror.c).
 */
#include <linux/fs.h>
#include <linux/log2.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
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

	BUILD_BUG_ON(sizeof(info) != DEVMM_DEV_INFO_SIZE_VER1);
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
		ret = devmm_mirror_read(m, c.addr, c.npages, ptr, true, &c.cpages, &c.faults,
						NULL);
		break;
	case _IOC_NR(DEVMM_IOC_WRITE):
		ret = devmm_mirror_write(m, c.addr, c.npages, ptr, &c.cpages, &c.faults);
		break;
	case _IOC_NR(DEVMM_IOC_MIGRATE_TO_DEV):
		ret = devmm_migrate_to_device(m, c.addr, end, true, NULL);
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

/* Granularities a range may have, as a page order. */
static int granularity_order(u64 bytes)
{
	switch (bytes) {
	case PAGE_SIZE:
		return 0;
	case SZ_64K:
		return ilog2(SZ_64K) - PAGE_SHIFT;
	case SZ_2M:
		return ilog2(SZ_2M) - PAGE_SHIFT;
	default:
		return -EINVAL;
	}
}

/**
 * devmm_ioc_attr - DEVMM_IOC_{SET,GET}_ATTR: range attributes of the opener
 * @m: the file's mirror.
 * @nr: the command's number.
 * @uarg: user pointer to struct devmm_attr.
 * @usize: its size as user space knows it.
 *
 * Return: 0 or a negative errno: -EINVAL for a bad size, mask, value,
 * reserved field or range, -EFAULT (SET) for a range not all mapped, -EPERM
 * from another process than the opener without DEVMM_ATTR_OPENER, -ESRCH once
 * the opener's memory is gone, -EOPNOTSUPP on a device without memory,
 * -ENOMEM, -ENOSPC for too many ranges, -EINTR (SET) on a fatal signal.
 */
static long devmm_ioc_attr(struct devmm_mirror *m, unsigned int nr, void __user *uarg,
			   size_t usize)
{
	struct devmm_attrs v = {};
	struct devmm_attr c;
	struct mm_struct *mm;
	unsigned long end;
	int order = 0;
	u32 mask;
	long ret;

	BUILD_BUG_ON(sizeof(c) != DEVMM_ATTR_SIZE_VER0);
	ret = devmm_copy_in(&c, sizeof(c), DEVMM_ATTR_SIZE_VER0, uarg, usize);
	if (ret)
		return ret;
	if (memchr_inv(c.reserved, 0, sizeof(c.reserved)) || devmm_check_range(c.addr, c.npages, &end))
		return -EINVAL;
	mask = c.mask & ~DEVMM_ATTR_OPENER;
	if (nr == _IOC_NR(DEVMM_IOC_SET_ATTR)) {
		if (mask & DEVMM_ATTR_GRANULARITY)
			order = granularity_order(c.granularity);
		if (!mask || (mask & ~DEVMM_ATTR_ALL) || order < 0 ||
		    ((mask & DEVMM_ATTR_PREFERRED) && c.preferred > DEVMM_LOC_SYSTEM) ||
		    ((mask & DEVMM_ATTR_MIGRATE) && c.migrate_on_fault > 1) ||
		    ((mask & DEVMM_ATTR_ACCESSED_BY) && c.accessed_by > 1))
			return -EINVAL;
	} else if (mask) {
		return -EINVAL;
	}
	if (!m->owner)
		return -EOPNOTSUPP;
	mm = c.mask & DEVMM_ATTR_OPENER ? devmm_mirror_opener_mm(m) : devmm_mirror_mm_get(m);
	if (IS_ERR(mm))
		return PTR_ERR(mm);
	if (nr == _IOC_NR(DEVMM_IOC_SET_ATTR)) {
		v = (struct devmm_attrs){ .preferred = c.preferred, .migrate = c.migrate_on_fault,
					  .accessed_by = c.accessed_by, .gran_order = order };
		/*
		 * munmap waits for us: no attribute outlives its mapping.  The
		 * mm may be another process's (DEVMM_ATTR_OPENER): killably.
		 */
		if (mmap_read_lock_killable(mm)) {
			mmput(mm);
			return -EINTR;
		}
		ret = devmm_vma_span(mm, c.addr, end, NULL, NULL, NULL) == end ?
		      devmm_attr_set(m->owner, c.addr, end, mask, &v) : -EFAULT;
		mmap_read_unlock(mm);
	} else {
		end = devmm_attr_get(m->owner, c.addr, end, &v);
		c.npages = (end - c.addr) >> PAGE_SHIFT;
		c.preferred = v.preferred;
		c.migrate_on_fault = v.migrate;
		c.accessed_by = v.accessed_by;
		c.granularity = PAGE_SIZE << v.gran_order;
	}
	mmput(mm);
	if (ret)
		return ret;
	return devmm_copy_out(uarg, usize, &c, sizeof(c));
}

/* One entry of DEVMM_IOC_ACCESS. */
static int access_one(struct devmm_mirror *m, const struct devmm_access *a)
{
	void __user *ptr = u64_to_user_ptr(a->ptr);
	u64 cpages = 0, faults = 0;
	unsigned long end;

	if (a->reserved || a->op > DEVMM_ACCESS_TO_SYS || devmm_check_range(a->addr, a->npages, &end))
		return -EINVAL;
	switch (a->op) {
	case DEVMM_ACCESS_READ:
		return devmm_mirror_read(m, a->addr, a->npages, ptr, true, &cpages, &faults,
					 NULL);
	case DEVMM_ACCESS_WRITE:
		return devmm_mirror_write(m, a->addr, a->npages, ptr, &cpages, &faults);
	case DEVMM_ACCESS_TO_DEV: {
		/* As DEVMM_IOC_MIGRATE_TO_DEV: pages already there enter the table too. */
		int ret = devmm_migrate_to_device(m, a->addr, end, true, NULL);

		return ret ?: devmm_mirror_adopt_own(m, a->addr, end, &cpages);
	}
	default:
		return devmm_migrate_to_system(m, a->addr, end, &cpages);
	}
}

/**
 * devmm_ioc_access - DEVMM_IOC_ACCESS: a batch of device accesses, in order
 * @m: the file's mirror.
 * @uarg: user pointer to struct devmm_access_batch.
 * @usize: its size as user space knows it.
 *
 * Return: 0, or the errno of the first entry that failed (its index is in
 * @done); -EINVAL for a bad size, count, flag or reserved field, -EINTR on a
 * fatal signal.
 */
static long devmm_ioc_access(struct devmm_mirror *m, void __user *uarg, size_t usize)
{
	struct devmm_access __user *ua;
	struct devmm_access_batch b;
	struct devmm_access a;
	long ret;

	BUILD_BUG_ON(sizeof(b) != DEVMM_ACCESS_BATCH_SIZE_VER0);
	ret = devmm_copy_in(&b, sizeof(b), DEVMM_ACCESS_BATCH_SIZE_VER0, uarg, usize);
	if (ret)
		return ret;
	if (b.flags || b.reserved0 || memchr_inv(b.reserved, 0, sizeof(b.reserved)) ||
	    b.count > DEVMM_ACCESS_MAX)
		return -EINVAL;
	if (!devmm_mirror_is_opener(m))
		return -EPERM;
	ua = u64_to_user_ptr(b.ptr);
	for (b.done = 0; !ret && b.done < b.count; b.done++) {
		if (copy_from_user(&a, &ua[b.done], sizeof(a)))
			ret = -EFAULT;
		else
			ret = access_one(m, &a);
		if (!ret && fatal_signal_pending(current))
			ret = -EINTR;
		if (ret)
			break;
		cond_resched();
	}
	if (devmm_copy_out(uarg, usize, &b, sizeof(b)))
		return -EFAULT;
	return ret;
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
	case _IOC_NR(DEVMM_IOC_SET_ATTR):
	case _IOC_NR(DEVMM_IOC_GET_ATTR):
		return devmm_ioc_attr(m, _IOC_NR(cmd), uarg, _IOC_SIZE(cmd));
	case _IOC_NR(DEVMM_IOC_ACCESS):
		return devmm_ioc_access(m, uarg, _IOC_SIZE(cmd));
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
struct devmm_stat_attr {
	struct device_attribute attr;
	size_t offset;
	bool is_u32;
};

static ssize_t devmm_stat_show(struct device *d, struct device_attribute *attr, char *buf)
{
	struct devmm_stat_attr *da = container_of(attr, struct devmm_stat_attr, attr);
	struct miscdevice *misc = dev_get_drvdata(d);
	struct devmm_node *node = container_of(misc, struct devmm_node, misc);
	struct devmm_dev_info info = {};
	void *field = (char *)&info + da->offset;

	devmm_device_info(node->dev, &info);
	if (da->is_u32)
		return sysfs_emit(buf, "%u\n", *(u32 *)field);
	return sysfs_emit(buf, "%llu\n", *(u64 *)field);
}

#define DEVMM_STAT(name, type)							\
	static struct devmm_stat_attr devmm_stat_##name = {			\
		.attr = __ATTR(name, 0444, devmm_stat_show, NULL),		\
		.offset = offsetof(struct devmm_dev_info, name),		\
		.is_u32 = sizeof(type) == sizeof(u32),				\
	}

DEVMM_STAT(id, u32);
DEVMM_STAT(kind, u32);
DEVMM_STAT(policy, u32);
DEVMM_STAT(capacity, u64);
DEVMM_STAT(used, u64);
DEVMM_STAT(used_max, u64);
DEVMM_STAT(mapped, u64);
DEVMM_STAT(to_device, u64);
DEVMM_STAT(to_system, u64);
DEVMM_STAT(cpu_faults, u64);
DEVMM_STAT(device_faults, u64);
DEVMM_STAT(evicted, u64);
DEVMM_STAT(evict_passes, u64);
DEVMM_STAT(evict_failures, u64);
DEVMM_STAT(map_bytes, u64);
DEVMM_STAT(map_read_faults, u64);
DEVMM_STAT(map_write_faults, u64);
DEVMM_STAT(map_mkwrite, u64);
DEVMM_STAT(chunks_ahead, u64);
DEVMM_STAT(spare_bytes, u64);
DEVMM_STAT(storage_ahead, u64);
DEVMM_STAT(fault_pages, u64);
DEVMM_STAT(fault_migrated, u64);
DEVMM_STAT(remote_pages, u64);
DEVMM_STAT(prefetched, u64);
DEVMM_STAT(prefetch_hits, u64);
DEVMM_STAT(prefetch_waste, u64);
DEVMM_STAT(thrashing_events, u64);
DEVMM_STAT(thrashing_held, u64);

static struct attribute *devmm_node_attrs[] = {
	&devmm_stat_id.attr.attr,
	&devmm_stat_kind.attr.attr,
	&devmm_stat_policy.attr.attr,
	&devmm_stat_capacity.attr.attr,
	&devmm_stat_used.attr.attr,
	&devmm_stat_used_max.attr.attr,
	&devmm_stat_mapped.attr.attr,
	&devmm_stat_to_device.attr.attr,
	&devmm_stat_to_system.attr.attr,
	&devmm_stat_cpu_faults.attr.attr,
	&devmm_stat_device_faults.attr.attr,
	&devmm_stat_evicted.attr.attr,
	&devmm_stat_evict_passes.attr.attr,
	&devmm_stat_evict_failures.attr.attr,
	&devmm_stat_map_bytes.attr.attr,
	&devmm_stat_map_read_faults.attr.attr,
	&devmm_stat_map_write_faults.attr.attr,
	&devmm_stat_map_mkwrite.attr.attr,
	&devmm_stat_chunks_ahead.attr.attr,
	&devmm_stat_spare_bytes.attr.attr,
	&devmm_stat_storage_ahead.attr.attr,
	&devmm_stat_fault_pages.attr.attr,
	&devmm_stat_fault_migrated.attr.attr,
	&devmm_stat_remote_pages.attr.attr,
	&devmm_stat_prefetched.attr.attr,
	&devmm_stat_prefetch_hits.attr.attr,
	&devmm_stat_prefetch_waste.attr.attr,
	&devmm_stat_thrashing_events.attr.attr,
	&devmm_stat_thrashing_held.attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(devmm_node);

/*
 * /proc/PID/fdinfo/N of a device file: the device, and the process whose
 * memory the file mirrors, in the pid namespace of that /proc (0 once the
 * process or its address space is gone, as after an exec).  A process may
 * hold files that others opened (inherited, received);
 * devmm_open_process_node() picks the target's own by this.
 */
static void devmm_node_show_fdinfo(struct seq_file *s, struct file *file)
{
	struct pid_namespace *ns = proc_pid_ns(file_inode(s->file)->i_sb);
	struct devmm_mirror *m = file->private_data;
	pid_t opener = 0;

	if (atomic_read(&m->notifier.mm->mm_users) && pid_has_task(m->opener, PIDTYPE_TGID))
		opener = pid_nr_ns(m->opener, ns);
	seq_printf(s, "devmm-device:\t%u\n", m->dev->id);
	seq_printf(s, "devmm-opener:\t%d\n", opener);
}

static const struct file_operations devmm_node_fops = {
	.owner = THIS_MODULE,
	.open = devmm_node_open,
	.release = devmm_node_release,
	.unlocked_ioctl = devmm_node_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = devmm_node_mmap,
	.llseek = noop_llseek,
	.show_fdinfo = devmm_node_show_fdinfo,
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
