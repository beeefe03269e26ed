// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctl ABI of the kernel's test_hmm module (HMM_DMIRROR_*, 'H'), with
 * test_hmm's semantics, on every devmm device node, so that tools written
 * for test_hmm (the mm selftest hmm-tests) run unmodified against devmm.
 */
#include <linux/devmm_hmm.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/uaccess.h>
#include "devmm.h"

/**
 * devmm_check_range - validate a user range of pages
 * @addr: start; must be page-aligned.
 * @npages: number of pages; must be non-zero.
 * @end: set to the end of the range.
 *
 * Return: 0, or -EINVAL for an unaligned, empty, wrapping range or one that
 * ends beyond the user address space.
 */
int devmm_check_range(u64 addr, u64 npages, unsigned long *end)
{
	u64 len, e;

	if (addr & ~PAGE_MASK || !npages)
		return -EINVAL;
	if (check_shl_overflow(npages, PAGE_SHIFT, &len) || check_add_overflow(addr, len, &e) ||
	    e > TASK_SIZE)
		return -EINVAL;
	*end = e;
	return 0;
}

/*
 * MIGRATE_TO_DEV: migrate, then read the whole range back from the device
 * into @ptr: a page that is not on the device (shared, file-backed, held by
 * another device) makes it -ENOENT.  A fresh @ptr may be faulted in on
 * another CPU meanwhile (devmm_read_ahead_start()).
 */
static int dmirror_migrate_to_dev(struct devmm_mirror *m, struct hmm_dmirror_cmd *cmd,
				  unsigned long end)
{
	void __user *ptr = u64_to_user_ptr(cmd->ptr);
	struct devmm_read_ahead ra;
	u64 faults = 0, own = 0;
	unsigned int tries;
	int ret;

	devmm_read_ahead_start(&ra, m, cmd->addr, cmd->npages, ptr);
	ret = devmm_migrate_to_device(m, cmd->addr, end, false, NULL);
	for (tries = 0; !ret; tries++) {
		cmd->cpages = 0;
		ret = devmm_mirror_read(m, cmd->addr, cmd->npages, ptr, false, &cmd->cpages,
					&faults, &ra);
		if (ret != -ENOENT || tries == 3)
			break;
		/*
		 * Entries an unrelated invalidation (compaction, say) dropped
		 * meanwhile, or pages another file of this device migrated:
		 * enter what is on the device.  Pages that could not be
		 * isolated the first time get one more migration.
		 */
		ret = tries == 1 ? devmm_migrate_to_device(m, cmd->addr, end, false, NULL) : 0;
		if (!ret)
			ret = devmm_mirror_adopt_own(m, cmd->addr, end, &own);
	}
	devmm_read_ahead_end(&ra);
	return ret;
}

/**
 * devmm_dmirror_ioctl - an HMM_DMIRROR_* command on a device node
 * @m: the file's mirror.
 * @cmd: the ioctl command.
 * @uarg: user pointer to struct hmm_dmirror_cmd.
 *
 * Return: 0 (the struct is copied back) or a negative errno (it is not):
 * -EFAULT, -EINVAL for a bad range, -EOPNOTSUPP for migration on a device
 * without memory or exclusive access on kernels without it, -ENOTTY for an
 * unknown command, or what the command's work returned.
 */
long devmm_dmirror_ioctl(struct devmm_mirror *m, unsigned int cmd, void __user *uarg)
{
	struct hmm_dmirror_cmd c;
	unsigned long end;
	long ret;

	switch (cmd) {
	case HMM_DMIRROR_READ:
	case HMM_DMIRROR_WRITE:
	case HMM_DMIRROR_MIGRATE_TO_DEV:
	case HMM_DMIRROR_MIGRATE_TO_SYS:
	case HMM_DMIRROR_SNAPSHOT:
	case HMM_DMIRROR_EXCLUSIVE:
	case HMM_DMIRROR_CHECK_EXCLUSIVE:
	case HMM_DMIRROR_RELEASE:
	case HMM_DMIRROR_FLAGS:
		break;
	default:
		return -ENOTTY;
	}
	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (devmm_check_range(c.addr, c.npages, &end))
		return -EINVAL;
	c.cpages = 0;
	c.faults = 0;

	switch (cmd) {
	case HMM_DMIRROR_READ:
		ret = devmm_mirror_read(m, c.addr, c.npages, u64_to_user_ptr(c.ptr), true,
					&c.cpages, &c.faults, NULL);
		break;
	case HMM_DMIRROR_WRITE:
		ret = devmm_mirror_write(m, c.addr, c.npages, u64_to_user_ptr(c.ptr), &c.cpages,
					 &c.faults);
		break;
	case HMM_DMIRROR_MIGRATE_TO_DEV:
		ret = dmirror_migrate_to_dev(m, &c, end);
		break;
	case HMM_DMIRROR_MIGRATE_TO_SYS:
		ret = devmm_migrate_to_system(m, c.addr, end, &c.cpages);
		break;
	case HMM_DMIRROR_SNAPSHOT:
		ret = devmm_mirror_snapshot(m, c.addr, c.npages, u64_to_user_ptr(c.ptr));
		if (!ret)
			c.cpages = c.npages;
		break;
	case HMM_DMIRROR_EXCLUSIVE: {
		u64 faults = 0;

		ret = devmm_mirror_exclusive(m, c.addr, c.npages);
		if (!ret)
			ret = devmm_mirror_read(m, c.addr, c.npages, u64_to_user_ptr(c.ptr), false,
						&c.cpages, &faults, NULL);
		break;
	}
	case HMM_DMIRROR_CHECK_EXCLUSIVE:
		ret = devmm_mirror_check_exclusive(m, c.addr, c.npages);
		break;
	case HMM_DMIRROR_RELEASE:
		ret = devmm_mirror_is_opener(m) ? devmm_evict_all(m->dev, 3, current->mm) : -EPERM;
		break;
	default: /* HMM_DMIRROR_FLAGS */
		if (c.npages & ~HMM_DMIRROR_FLAG_FAIL_ALLOC) {
			ret = -EINVAL;
			break;
		}
		if (!devmm_mirror_is_opener(m)) {
			ret = -EPERM;
			break;
		}
		WRITE_ONCE(m->flags, c.npages);
		ret = 0;
		break;
	}
	if (ret)
		return ret;
	return copy_to_user(uarg, &c, sizeof(c)) ? -EFAULT : 0;
}

/**
 * devmm_dmirror_mmap - test_hmm's mmap of a device node
 * @m: the file's mirror.
 * @vma: the new mapping.
 *
 * Zeroed system pages inserted with vm_insert_page(), so the mapping is
 * ordinary memory to hmm_range_fault() (a mixed map, not a PFN map).
 * Return: 0 or a negative errno.
 */
int devmm_dmirror_mmap(struct devmm_mirror *m, struct vm_area_struct *vma)
{
	unsigned long addr;

	for (addr = vma->vm_start; addr < vma->vm_end; addr += PAGE_SIZE) {
		struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		int ret;

		if (!page)
			return -ENOMEM;
		ret = vm_insert_page(vma, addr, page);
		/* The mapping holds its own reference. */
		put_page(page);
		if (ret)
			return ret;
	}
	return 0;
}
