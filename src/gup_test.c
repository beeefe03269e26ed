// SPDX-License-Identifier: GPL-2.0
/*
 * gup_test=1: a debugfs file /sys/kernel/debug/gup_test with the ioctl ABI
 * of the kernel's gup_test (CONFIG_GUP_TEST, off in Debian's kernels), so
 * that tests written for it - the mm selftest's hmm_gup_test, which checks
 * how get_user_pages and long-term pins treat device pages - run instead of
 * skipping.  Only the commands those tests use are offered; a kernel with
 * its own gup_test keeps it.  debugfs is root's alone.
 */
#include <linux/debugfs.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "devmm.h"

/* The ABI of the kernel's mm/gup_test.h. */
struct devmm_gup_test {
	__u64 get_delta_usec;
	__u64 put_delta_usec;
	__u64 addr;
	__u64 size;
	__u32 nr_pages_per_call;
	__u32 gup_flags;
	__u32 test_flags;
	__u32 which_pages[8];
};

#define DEVMM_GUP_FAST_BENCHMARK	_IOWR('g', 1, struct devmm_gup_test)
#define DEVMM_PIN_FAST_BENCHMARK	_IOWR('g', 2, struct devmm_gup_test)
#define DEVMM_PIN_LONGTERM_BENCHMARK	_IOWR('g', 3, struct devmm_gup_test)
#define DEVMM_GUP_BASIC_TEST		_IOWR('g', 4, struct devmm_gup_test)
#define DEVMM_PIN_BASIC_TEST		_IOWR('g', 5, struct devmm_gup_test)

/* Pages one call may take: enough for the tests, bounded for safety. */
#define DEVMM_GUP_TEST_MAX_PAGES	1024

static struct dentry *gup_test_file;

/* Take the pages of the range as @cmd says; returns how many, or -errno. */
static long gup_take(unsigned int cmd, unsigned long addr, unsigned long nr,
		     unsigned int flags, struct page **pages)
{
	struct mm_struct *mm = current->mm;
	long n;

	switch (cmd) {
	case DEVMM_GUP_FAST_BENCHMARK:
		return get_user_pages_fast(addr, nr, flags, pages);
	case DEVMM_PIN_FAST_BENCHMARK:
		return pin_user_pages_fast(addr, nr, flags, pages);
	case DEVMM_GUP_BASIC_TEST:
		mmap_read_lock(mm);
		n = devmm_get_user_pages(addr, nr, flags, pages);
		mmap_read_unlock(mm);
		return n;
	case DEVMM_PIN_LONGTERM_BENCHMARK:
		flags |= FOLL_LONGTERM;
		fallthrough;
	default: /* DEVMM_PIN_BASIC_TEST */
		mmap_read_lock(mm);
		n = devmm_pin_user_pages(addr, nr, flags, pages);
		mmap_read_unlock(mm);
		return n;
	}
}

/**
 * gup_test_ioctl - get or pin a range of the caller's pages, then release it
 * @file: the debugfs file.
 * @cmd: GUP_BASIC_TEST, GUP_FAST_BENCHMARK, PIN_BASIC_TEST,
 *	PIN_FAST_BENCHMARK or PIN_LONGTERM_BENCHMARK.
 * @arg: user pointer to struct gup_test; the times are filled in.
 *
 * gup_flags are the running kernel's FOLL_* values; only FOLL_WRITE and
 * FOLL_LONGTERM are accepted.
 * Return: 0, -ENOTTY for other commands, -EINVAL for bad fields or more than
 * 1024 pages, -EFAULT, or the error of get/pin_user_pages.
 */
static long gup_test_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct devmm_gup_test gup;
	unsigned long nr, i;
	struct page **pages;
	ktime_t t;
	long n;

	switch (cmd) {
	case DEVMM_GUP_FAST_BENCHMARK:
	case DEVMM_PIN_FAST_BENCHMARK:
	case DEVMM_PIN_LONGTERM_BENCHMARK:
	case DEVMM_GUP_BASIC_TEST:
	case DEVMM_PIN_BASIC_TEST:
		break;
	default:
		return -ENOTTY;
	}
	if (copy_from_user(&gup, uarg, sizeof(gup)))
		return -EFAULT;
	nr = gup.size >> PAGE_SHIFT;
	if ((gup.gup_flags & ~(FOLL_WRITE | FOLL_LONGTERM)) || !nr || !PAGE_ALIGNED(gup.addr) ||
	    !PAGE_ALIGNED(gup.size) || nr > DEVMM_GUP_TEST_MAX_PAGES || gup.addr >= TASK_SIZE ||
	    gup.size > TASK_SIZE - gup.addr)
		return -EINVAL;
	/* The kernel warns (a panic under panic_on_warn) on a long-term get. */
	if ((gup.gup_flags & FOLL_LONGTERM) &&
	    (cmd == DEVMM_GUP_FAST_BENCHMARK || cmd == DEVMM_GUP_BASIC_TEST))
		return -EINVAL;
	pages = kvcalloc(nr, sizeof(*pages), GFP_KERNEL);
	if (!pages)
		return -ENOMEM;
	t = ktime_get();
	n = gup_take(cmd, gup.addr, nr, gup.gup_flags, pages);
	gup.get_delta_usec = ktime_us_delta(ktime_get(), t);
	t = ktime_get();
	if (n > 0 && (cmd == DEVMM_GUP_FAST_BENCHMARK || cmd == DEVMM_GUP_BASIC_TEST)) {
		for (i = 0; i < n; i++)
			put_page(pages[i]);
	} else if (n > 0) {
		unpin_user_pages(pages, n);
	}
	gup.put_delta_usec = ktime_us_delta(ktime_get(), t);
	kvfree(pages);
	if (n < 0)
		return n;
	return copy_to_user(uarg, &gup, sizeof(gup)) ? -EFAULT : 0;
}

static const struct file_operations gup_test_fops = {
	.owner = THIS_MODULE,
	.open = nonseekable_open,
	.unlocked_ioctl = gup_test_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* Create /sys/kernel/debug/gup_test unless the kernel has its own. */
void devmm_gup_test_init(void)
{
	struct dentry *existing = debugfs_lookup("gup_test", NULL);

	if (existing) {
		dput(existing);
		pr_info("gup_test=1: the kernel has its own gup_test; using that\n");
		return;
	}
	gup_test_file = debugfs_create_file("gup_test", 0600, NULL, NULL, &gup_test_fops);
	if (IS_ERR_OR_NULL(gup_test_file)) {
		pr_warn("gup_test=1: cannot create /sys/kernel/debug/gup_test\n");
		gup_test_file = NULL;
	}
}

void devmm_gup_test_exit(void)
{
	debugfs_remove(gup_test_file);
	gup_test_file = NULL;
}
