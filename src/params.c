// SPDX-License-Identifier: GPL-2.0
/*
 * Module parameters.  Each is validated as the kernel parses it, so that a
 * malformed value fails the load with -EINVAL and one line saying why.
 */
#include <linux/ctype.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "devmm.h"

static unsigned int nprivate;
static bool nprivate_given;
static u64 capacity = DEVMM_DEFAULT_CAPACITY;
static struct devmm_range coherent[DEVMM_MAX_COHERENT];
static unsigned int ncoherent;
static char coherent_str[256];
static bool dmirror_compat;
static bool gup_test;
static unsigned int copy_threads;
static unsigned int fault_around_kb = 64;

/* The smallest unit a pagemap may span without sharing a memory section. */
#define DEVMM_SECTION_SIZE	(1ULL << SECTION_SIZE_BITS)

static int set_private(const char *val, const struct kernel_param *kp)
{
	unsigned int n;

	if (kstrtouint(val, 0, &n)) {
		pr_err("private=%s: not a number\n", val);
		return -EINVAL;
	}
	if (n > DEVMM_MAX_PRIVATE) {
		pr_err("private=%u: at most %u private devices\n", n, DEVMM_MAX_PRIVATE);
		return -EINVAL;
	}
	nprivate = n;
	nprivate_given = true;
	return 0;
}

static int get_private(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n", devmm_param_nprivate());
}

static const struct kernel_param_ops private_ops = {
	.set = set_private,
	.get = get_private,
};
module_param_cb(private, &private_ops, NULL, 0444);
MODULE_PARM_DESC(private,
		 "Number of fake device-private devices to create (default 2 where CONFIG_DEVICE_PRIVATE is usable, else 0)");

/*
 * parse_size - memparse() a whole string: digits, an optional K/M/G/T/P/E
 * suffix and nothing else.
 */
static int parse_size(const char *s, const char **end, u64 *out)
{
	char *e;

	if (!isdigit(*s))
		return -EINVAL;
	*out = memparse(s, &e);
	*end = e;
	return 0;
}

static int set_capacity(const char *val, const struct kernel_param *kp)
{
	const char *end;
	u64 v;

	if (parse_size(val, &end, &v) || (*end && *end != '\n')) {
		pr_err("capacity=%s: not a size (e.g. 512M, 1G)\n", val);
		return -EINVAL;
	}
	if (!v || !PAGE_ALIGNED(v) || v > DEVMM_MAX_CAPACITY) {
		pr_err("capacity=%s: must be a non-zero multiple of %lu bytes, at most %lluG\n",
		       val, PAGE_SIZE, DEVMM_MAX_CAPACITY >> 30);
		return -EINVAL;
	}
	capacity = v;
	return 0;
}

static int get_capacity(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%llu\n", capacity);
}

static const struct kernel_param_ops capacity_ops = {
	.set = set_capacity,
	.get = get_capacity,
};
module_param_cb(capacity, &capacity_ops, NULL, 0444);
MODULE_PARM_DESC(capacity, "Device memory of each private device, memparse syntax (default 1G)");

/**
 * devmm_check_coherent_range - may [start, start + size) back a coherent device?
 * @start: physical start address.
 * @size: length in bytes.
 * @what: how the range was given, for the error message.
 *
 * The range must be whole memory sections (a pagemap may not share one with
 * another), must not be System RAM and must lie inside one "Reserved" entry
 * of /proc/iomem that nothing else has claimed a part of (what memmap=SIZE$ADDR
 * gives): firmware reservations and device MMIO have drivers' claims, or are
 * no Reserved entry at all.  Claims of devmm's own coherent devices are
 * allowed (two devices may share one reservation).
 * Return: 0 or -EINVAL, after one line in the kernel log saying why.
 */
struct iomem_check {
	u64 start, last;		/* the range asked for */
	u64 entry_start, entry_last;	/* the Reserved entry holding it */
	bool found;
	u64 claim;			/* the start of a foreign claim in it */
	bool claimed;
};

/* A top-level Reserved entry holding the whole range. */
static int reserved_entry(struct resource *res, void *arg)
{
	struct iomem_check *c = arg;

	if (res->parent == &iomem_resource && res->start <= c->start && res->end >= c->last) {
		c->entry_start = res->start;
		c->entry_last = res->end;
		c->found = true;
	}
	return 0;
}

/* Any resource inside the entry but the entry itself and devmm's devices. */
static int entry_claim(struct resource *res, void *arg)
{
	struct iomem_check *c = arg;

	if (res->parent == &iomem_resource || devmm_coherent_claimed(res->start, res->end))
		return 0;
	c->claim = res->start;
	c->claimed = true;
	return 1;
}

int devmm_check_coherent_range(phys_addr_t start, u64 size, const char *what)
{
	u64 end = start + size;
	struct iomem_check c = { .start = start, .last = end - 1 };

	if (!size || end < start || end > (1ULL << MAX_PHYSMEM_BITS)) {
		pr_err("%s: empty range or beyond the physical address space\n", what);
		return -EINVAL;
	}
	if (!IS_ALIGNED(start, DEVMM_SECTION_SIZE) || !IS_ALIGNED(size, DEVMM_SECTION_SIZE)) {
		pr_err("%s: start and size must be multiples of the memory section size (%lluM)\n",
		       what, DEVMM_SECTION_SIZE >> 20);
		return -EINVAL;
	}
	if (region_intersects(start, size, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) !=
	    REGION_DISJOINT) {
		pr_err("%s: range overlaps System RAM (reserve it at boot, e.g. memmap=%lluM$0x%llx)\n",
		       what, size >> 20, (u64)start);
		return -EINVAL;
	}
	walk_iomem_res_desc(IORES_DESC_RESERVED, IORESOURCE_MEM, 0, U64_MAX, &c, reserved_entry);
	if (!c.found) {
		pr_err("%s: range is not inside one Reserved entry of /proc/iomem (reserve it at boot, e.g. memmap=%lluM$0x%llx)\n",
		       what, size >> 20, (u64)start);
		return -EINVAL;
	}
	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_MEM, c.entry_start, c.entry_last, &c,
			    entry_claim);
	if (c.claimed) {
		pr_err("%s: the Reserved entry 0x%llx-0x%llx holding the range has a claim at 0x%llx (firmware or a driver's)\n",
		       what, c.entry_start, c.entry_last, c.claim);
		return -EINVAL;
	}
	return 0;
}

static bool ranges_overlap(const struct devmm_range *a, const struct devmm_range *b)
{
	return a->start < b->start + b->size && b->start < a->start + a->size;
}

/* coherent=SIZE@ADDR[,SIZE@ADDR...] */
static int set_coherent(const char *val, const struct kernel_param *kp)
{
	struct devmm_range r[DEVMM_MAX_COHERENT];
	unsigned int n = 0, i;
	const char *p = val, *end;
	char what[64];
	int ret;

	if (strlen(val) >= sizeof(coherent_str)) {
		pr_err("coherent=: value too long\n");
		return -EINVAL;
	}
	while (*p && *p != '\n') {
		u64 size, start;

		if (n == DEVMM_MAX_COHERENT) {
			pr_err("coherent=%s: at most %u ranges\n", val, DEVMM_MAX_COHERENT);
			return -EINVAL;
		}
		if (parse_size(p, &end, &size) || *end != '@' ||
		    parse_size(end + 1, &end, &start) ||
		    (*end && *end != ',' && *end != '\n')) {
			pr_err("coherent=%s: expected SIZE@ADDR[,SIZE@ADDR...], e.g. 1G@0x100000000\n",
			       val);
			return -EINVAL;
		}
		snprintf(what, sizeof(what), "coherent range %llu@0x%llx", size, start);
		ret = devmm_check_coherent_range(start, size, what);
		if (ret)
			return ret;
		r[n].start = start;
		r[n].size = size;
		for (i = 0; i < n; i++) {
			if (ranges_overlap(&r[i], &r[n])) {
				pr_err("coherent=%s: ranges %u and %u overlap\n", val, i, n);
				return -EINVAL;
			}
		}
		n++;
		p = *end == ',' ? end + 1 : end;
		if (*end == ',' && (!*p || *p == '\n')) {
			pr_err("coherent=%s: trailing comma\n", val);
			return -EINVAL;
		}
	}
	memcpy(coherent, r, sizeof(r));
	ncoherent = n;
	strscpy(coherent_str, val, sizeof(coherent_str));
	strim(coherent_str);
	return 0;
}

static int get_coherent(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", coherent_str);
}

static const struct kernel_param_ops coherent_ops = {
	.set = set_coherent,
	.get = get_coherent,
};
module_param_cb(coherent, &coherent_ops, NULL, 0444);
MODULE_PARM_DESC(coherent,
		 "Fake device-coherent devices, one per reserved physical range: SIZE@ADDR[,SIZE@ADDR...] (memparse syntax, section-aligned)");

module_param(dmirror_compat, bool, 0444);
MODULE_PARM_DESC(dmirror_compat,
		 "Also create /dev/hmm_dmirror0..3 with the ioctl ABI of the kernel's test_hmm (default 0)");

module_param(gup_test, bool, 0444);
MODULE_PARM_DESC(gup_test,
		 "Offer /sys/kernel/debug/gup_test (the ABI of CONFIG_GUP_TEST) where the kernel has none (default 0)");

/*
 * A run-time writable unsigned parameter (kp->arg) of 0 to @max; @what says
 * what its number means.
 */
/* Parse @val as a number from 0 to @max into *@n, or say what it must be. */
static int parse_uint_upto(const char *val, const struct kernel_param *kp, unsigned int max,
			   const char *what, unsigned int *n)
{
	if (kstrtouint(val, 0, n) || *n > max) {
		pr_err("%s=%s: %s from 0 to %u\n", kp->name, val, what, max);
		return -EINVAL;
	}
	return 0;
}

static int set_uint_upto(const char *val, const struct kernel_param *kp, unsigned int max,
			 const char *what)
{
	unsigned int n;

	if (parse_uint_upto(val, kp, max, what, &n))
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, n);
	return 0;
}

static int set_copy_threads(const char *val, const struct kernel_param *kp)
{
	return set_uint_upto(val, kp, DEVMM_MAX_COPY_THREADS, "a number (0: one per CPU)");
}

static const struct kernel_param_ops copy_threads_ops = {
	.set = set_copy_threads,
	.get = param_get_uint,
};
module_param_cb(copy_threads, &copy_threads_ops, &copy_threads, 0644);
MODULE_PARM_DESC(copy_threads,
		 "CPUs sharing a large copy of the fake backend, an explicit migration or eviction batch of several 2 MiB blocks, or a large device read or write, and (2 or more) allocate spare THPs for CPU faults: 0 (default) one per online CPU, 1 the caller alone (writable at run time)");

/*
 * Fault injection for tests: the next N system THP allocations of the way
 * back to system memory fail, as if memory were too fragmented for one.
 */
static atomic_t fail_thp_alloc = ATOMIC_INIT(0);

static int set_fail_thp_alloc(const char *val, const struct kernel_param *kp)
{
	unsigned int n;

	if (parse_uint_upto(val, kp, INT_MAX, "a count", &n))
		return -EINVAL;
	atomic_set(&fail_thp_alloc, n);
	return 0;
}

static int get_fail_thp_alloc(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&fail_thp_alloc));
}

static const struct kernel_param_ops fail_thp_alloc_ops = {
	.set = set_fail_thp_alloc,
	.get = get_fail_thp_alloc,
};
module_param_cb(fail_thp_alloc, &fail_thp_alloc_ops, NULL, 0600);
MODULE_PARM_DESC(fail_thp_alloc,
		 "fault injection for tests: the next N system THP allocations on the way back from a device fail (default 0; writable at run time)");

/* Whether this system THP allocation is to fail (consumes one). */
bool devmm_param_fail_thp_alloc(void)
{
	return atomic_add_unless(&fail_thp_alloc, -1, 0);
}

/* How many CPUs may share one large copy: at least 1. */
unsigned int devmm_param_copy_threads(void)
{
	unsigned int n = READ_ONCE(copy_threads);

	return n ? n : clamp(num_online_cpus(), 1U, (unsigned int)DEVMM_MAX_COPY_THREADS);
}

static int set_fault_around_kb(const char *val, const struct kernel_param *kp)
{
	return set_uint_upto(val, kp, PMD_SIZE / SZ_1K, "a number of KiB");
}

static const struct kernel_param_ops fault_around_kb_ops = {
	.set = set_fault_around_kb,
	.get = param_get_uint,
};
module_param_cb(fault_around_kb, &fault_around_kb_ops, &fault_around_kb, 0644);
MODULE_PARM_DESC(fault_around_kb,
		 "A CPU fault on a small device-private page also brings back the device's pages after it, up to this many KiB in all (default 64; 0 or 4: the page alone; writable at run time)");

/* How many pages a CPU fault on a small device page brings back: at least 1. */
unsigned long devmm_param_fault_around_pages(void)
{
	return max(1UL, (READ_ONCE(fault_around_kb) * SZ_1K) >> PAGE_SHIFT);
}

bool devmm_param_gup_test(void)
{
	return gup_test;
}

unsigned int devmm_param_nprivate(void)
{
	if (nprivate_given)
		return nprivate;
	return DEVMM_CAN_PRIVATE ? 2 : 0;
}

u64 devmm_param_capacity(void)
{
	return capacity;
}

unsigned int devmm_param_coherent(const struct devmm_range **ranges)
{
	*ranges = coherent;
	return ncoherent;
}

bool devmm_param_dmirror_compat(void)
{
	return dmirror_compat;
}
