// SPDX-License-Identifier: GPL-2.0
/*
 * Demand paging: range attributes (DEVMM_IOC_SET_ATTR/GET_ATTR), device
 * faults that migrate to the device, the device settings (eviction policy
 * and batch, DEVMM_IOC_SETTINGS), batched accesses (DEVMM_IOC_ACCESS), and
 * the per-page counters.  For each kind of device the lane has:
 *
 *  - attributes split and merge with ranges, are per process (shared by
 *    its files, gone when the last closes, not inherited by a fork child),
 *    dropped by munmap, not carried by mremap; bad input is -EINVAL/-EFAULT;
 *  - a device read of a migrate-on-fault range preferring the device moves
 *    every page there (one device fault per page), at the granularity; an
 *    accessed-by range and a range without attributes are read remotely;
 *  - exactness: one-page device reads and writes at random over a buffer
 *    larger than the device, with an eviction batch of 1, fault exactly
 *    where the textbook LRU (recency on every access) and FIFO (insertion
 *    order) with capacity/4096 frames miss, and every page keeps its data.
 *
 * usage: t_demand /path/to/devmm.ko
 * lane environment: LANE_EXPECT_PRIVATE, LANE_COHERENT_A; DEVMM_DEMAND_SEED.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/devmm_hmm.h>
#include <linux/mempolicy.h>
#include "devmm_test.h"

#define PSZ		4096UL
#define MIB		(1024UL * 1024)
#define KIND_TESTS	59

static int ctl;
static uint64_t seed;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static int dev_info(int fd, struct devmm_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(fd, DEVMM_IOC_DEV_INFO, info) ? -errno : 0;
}

static int settings(unsigned int id, unsigned int mask, unsigned int policy,
		    unsigned int batch, struct devmm_settings *out)
{
	struct devmm_settings s = { .id = id, .mask = mask, .policy = policy,
				    .evict_batch = batch };
	int ret = ioctl(ctl, DEVMM_IOC_SETTINGS, &s) ? -errno : 0;

	if (out)
		*out = s;
	return ret;
}

static int set_attr(int fd, void *addr, unsigned long npages, unsigned int mask,
		    unsigned int pref, unsigned int mig, unsigned int acc, unsigned long gran)
{
	struct devmm_attr a = { .addr = (uintptr_t)addr, .npages = npages, .mask = mask,
				.preferred = pref, .migrate_on_fault = mig, .accessed_by = acc,
				.granularity = gran };

	return ioctl(fd, DEVMM_IOC_SET_ATTR, &a) ? -errno : 0;
}

static int get_attr(int fd, void *addr, unsigned long npages, struct devmm_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->addr = (uintptr_t)addr;
	a->npages = npages;
	return ioctl(fd, DEVMM_IOC_GET_ATTR, a) ? -errno : 0;
}

/* Whether GET_ATTR at @addr says @npages pages of the default attributes. */
static int is_default(int fd, void *addr, unsigned long npages)
{
	struct devmm_attr a;

	return !get_attr(fd, addr, npages, &a) && a.npages == npages && !a.preferred &&
	       !a.migrate_on_fault && !a.accessed_by && a.granularity == PSZ;
}

static void *map_pages(unsigned long npages)
{
	void *p = devmm_map_aligned(npages * PSZ, 0);
	unsigned long i;

	if (!p)
		return NULL;
	for (i = 0; i < npages; i++)
		memset((char *)p + i * PSZ, (int)(i & 0xff), PSZ);
	return p;
}

static int check_fill(const char *buf, unsigned long first, unsigned long n);

/*
 * DEVMM_ATTR_OPENER: another process sets and reads the opener's attributes
 * through a file of the opener's it holds (inherited here; taken with
 * pidfd_getfd(2) in the second test, as devmmctl advise does).  @fd: this
 * process's file, with migrate-on-fault over pages 16-19 of @p.
 */
static void opener_tests(unsigned int id, const char *kind, int fd, char *p)
{
	int status = 0, req[2], rsp[2];
	struct devmm_attr a;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int r = 0;

		a = (struct devmm_attr){ .addr = (uintptr_t)(p + 16 * PSZ), .npages = 4,
					 .mask = DEVMM_ATTR_OPENER };
		if (ioctl(fd, DEVMM_IOC_GET_ATTR, &a) || a.npages != 4 || !a.migrate_on_fault)
			r |= 1;
		if (set_attr(fd, p + 18 * PSZ, 2, DEVMM_ATTR_OPENER | DEVMM_ATTR_ACCESSED_BY, 0, 0,
			     1, 0))
			r |= 2;
		_exit(r);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && !get_attr(fd, p + 16 * PSZ, 4, &a) &&
	   a.npages == 2 && !a.accessed_by && !get_attr(fd, p + 18 * PSZ, 2, &a) &&
	   a.npages == 2 && a.accessed_by && a.migrate_on_fault,
	   "%s: with DEVMM_ATTR_OPENER a fork child reads and sets its parent's attributes "
	   "through the parent's file (%d)", kind, WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	/* The opener is the child: it opens, maps, waits; we advise; it reads. */
	if (pipe(req) || pipe(rsp)) {
		ok(0, "%s: pipes", kind);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct devmm_dev_info b, e;
		int cfd = devmm_node_open(id);
		char *q = map_pages(16), go, *buf = malloc(16 * PSZ);
		uintptr_t msg[2] = { (uintptr_t)q, (uintptr_t)cfd };
		struct devmm_range_cmd c = { .addr = (uintptr_t)q, .npages = 16,
					     .ptr = (uintptr_t)buf };

		if (cfd < 0 || !q || !buf || write(req[1], msg, sizeof(msg)) != sizeof(msg) ||
		    read(rsp[0], &go, 1) != 1 || go != 'y')
			_exit(1);
		if (dev_info(cfd, &b) || ioctl(cfd, DEVMM_IOC_READ, &c) || dev_info(cfd, &e))
			_exit(2);
		if (!check_fill(buf, 0, 16))
			_exit(3);
		_exit(e.fault_migrated - b.fault_migrated == 16 ? 0 : 4);
	}
	{
		const char *what = "the child's message";
		int pidfd = -1, tfd = -1, ret = -EIO;
		uintptr_t msg[2];
		char go = 'n';

		if (read(req[0], msg, sizeof(msg)) == sizeof(msg)) {
			what = "pidfd_open";
			pidfd = syscall(SYS_pidfd_open, pid, 0);
			ret = pidfd < 0 ? -errno : 0;
		}
		if (pidfd >= 0) {
			what = "pidfd_getfd";
			tfd = syscall(SYS_pidfd_getfd, pidfd, (int)msg[1], 0);
			ret = tfd < 0 ? -errno : 0;
		}
		if (tfd >= 0) {
			what = "SET_ATTR";
			ret = set_attr(tfd, (void *)msg[0], 16, DEVMM_ATTR_OPENER |
				       DEVMM_ATTR_PREFERRED | DEVMM_ATTR_MIGRATE, DEVMM_LOC_DEVICE,
				       1, 0, 0);
		}
		if (!ret)
			go = 'y';
		if (write(rsp[1], &go, 1) != 1)
			go = 'n';
		waitpid(pid, &status, 0);
		ok(!ret && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "%s: attributes set through the opener's file taken with pidfd_getfd drive "
		   "its device faults: 16 of 16 pages migrated, data intact (%s: %s, exit %d)",
		   kind, what, errname(ret),
		   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		if (pidfd >= 0)
			close(pidfd);
		if (tfd >= 0)
			close(tfd);
	}
	close(req[0]);
	close(req[1]);
	close(rsp[0]);
	close(rsp[1]);
}

static void attr_tests(unsigned int id, const char *kind)
{
	unsigned long n = 64;
	char *p = map_pages(n), *q;
	int fd = devmm_node_open(id), fd2 = devmm_node_open(id), status = 0;
	struct devmm_attr a;
	pid_t pid;

	ok(is_default(fd, p, n), "%s: a range without attributes reads the defaults", kind);
	ok(!set_attr(fd, p + 16 * PSZ, 32, DEVMM_ATTR_PREFERRED | DEVMM_ATTR_MIGRATE,
		     DEVMM_LOC_DEVICE, 1, 0, 0) &&
	   is_default(fd, p, 16) && !get_attr(fd, p + 16 * PSZ, 48, &a) && a.npages == 32 &&
	   a.preferred == DEVMM_LOC_DEVICE && a.migrate_on_fault == 1 && a.granularity == PSZ &&
	   is_default(fd, p + 48 * PSZ, 16),
	   "%s: SET_ATTR on the middle of a buffer: three ranges", kind);
	ok(!set_attr(fd, p + 32 * PSZ, 32, DEVMM_ATTR_GRANULARITY, 0, 0, 0, 65536) &&
	   !get_attr(fd, p + 16 * PSZ, 48, &a) && a.npages == 16 &&
	   !get_attr(fd, p + 32 * PSZ, 32, &a) && a.npages == 16 && a.granularity == 65536 &&
	   a.migrate_on_fault == 1 && !get_attr(fd, p + 48 * PSZ, 16, &a) &&
	   a.migrate_on_fault == 0 && a.granularity == 65536,
	   "%s: a second SET_ATTR splits a range and changes only its mask's fields", kind);
	ok(!set_attr(fd, p + 32 * PSZ, 32, DEVMM_ATTR_GRANULARITY, 0, 0, 0, PSZ) &&
	   !get_attr(fd, p + 16 * PSZ, 48, &a) && a.npages == 32 && is_default(fd, p + 48 * PSZ, 16),
	   "%s: equal neighbours merge; a range back at the defaults has none", kind);
	ok(!get_attr(fd2, p + 16 * PSZ, 48, &a) && a.npages == 32 && a.migrate_on_fault,
	   "%s: another file of the same process sees the attributes", kind);
	ok(set_attr(fd, p, n, 0, 0, 0, 0, 0) == -EINVAL &&
	   set_attr(fd, p, n, DEVMM_ATTR_GRANULARITY, 0, 0, 0, 8192) == -EINVAL &&
	   set_attr(fd, p, n, DEVMM_ATTR_PREFERRED, 3, 0, 0, 0) == -EINVAL &&
	   set_attr(fd, p, n, DEVMM_ATTR_MIGRATE, 0, 2, 0, 0) == -EINVAL &&
	   set_attr(fd, p, n, 1U << 7, 0, 0, 0, 0) == -EINVAL &&
	   set_attr(fd, p + 1, n, DEVMM_ATTR_MIGRATE, 0, 1, 0, 0) == -EINVAL &&
	   set_attr(fd, p, 0, DEVMM_ATTR_MIGRATE, 0, 1, 0, 0) == -EINVAL,
	   "%s: bad masks, values and ranges are -EINVAL", kind);
	a = (struct devmm_attr){ .addr = (uintptr_t)p, .npages = 1, .mask = 1 };
	ok(ioctl(fd, DEVMM_IOC_GET_ATTR, &a) && errno == EINVAL &&
	   set_attr(fd, p + n * PSZ, 1024, DEVMM_ATTR_MIGRATE, 0, 1, 0, 0) == -EFAULT,
	   "%s: GET_ATTR with a mask is -EINVAL; SET_ATTR beyond the mapping is -EFAULT", kind);

	/* munmap drops; mremap does not carry. */
	munmap(p + 20 * PSZ, 8 * PSZ);
	q = mmap(p + 20 * PSZ, 8 * PSZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ok(q == p + 20 * PSZ && is_default(fd, q, 8) &&
	   !get_attr(fd, p + 16 * PSZ, 16, &a) && a.npages == 4 && a.migrate_on_fault &&
	   !get_attr(fd, p + 28 * PSZ, 16, &a) && a.npages == 16 && a.migrate_on_fault,
	   "%s: munmap drops the attributes of what it unmaps, and only those", kind);
	q = mremap(p + 28 * PSZ, 4 * PSZ, 4 * PSZ, MREMAP_MAYMOVE | MREMAP_FIXED,
		   p + 56 * PSZ);
	ok(q == p + 56 * PSZ && is_default(fd, q, 4) && !get_attr(fd, p + 16 * PSZ, 16, &a) &&
	   a.npages == 4,
	   "%s: mremap does not carry attributes, and drops the source's", kind);

	/* Per process: a fork child has none, and cannot use its parent's file. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int cfd = devmm_node_open(id), r = 0;

		if (get_attr(fd, p + 16 * PSZ, 4, &a) != -EPERM)
			r |= 1;
		if (cfd < 0 || !is_default(cfd, p + 16 * PSZ, 4))
			r |= 2;
		_exit(r);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "%s: a fork child inherits no attributes, and its parent's file is -EPERM (%d)",
	   kind, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	opener_tests(id, kind, fd, p);
	close(fd);
	ok(!get_attr(fd2, p + 16 * PSZ, 4, &a) && a.migrate_on_fault, "%s: attributes stay "
	   "while a file of the process is open", kind);
	close(fd2);
	fd = devmm_node_open(id);
	ok(is_default(fd, p + 16 * PSZ, 4), "%s: ...and go with its last file", kind);
	close(fd);
	munmap(p, n * PSZ);
}

/* Per-page counters of @fd's device, as deltas from *@base (updated). */
struct counters {
	unsigned long long faults, migrated, remote, evicted, failures, cpu, todev, tosys;
};

static struct counters delta(int fd, struct counters *base)
{
	struct devmm_dev_info info;
	struct counters now = {}, d;

	if (!dev_info(fd, &info))
		now = (struct counters){ info.fault_pages, info.fault_migrated,
					 info.remote_pages, info.evicted, info.evict_failures,
					 info.cpu_faults, info.to_device, info.to_system };
	d = (struct counters){ now.faults - base->faults, now.migrated - base->migrated,
			       now.remote - base->remote, now.evicted - base->evicted,
			       now.failures - base->failures, now.cpu - base->cpu,
			       now.todev - base->todev, now.tosys - base->tosys };
	*base = now;
	return d;
}

/*
 * Pages of [p, p + n pages) on the device, by SNAPSHOT: all of them, or only
 * the read-only ones if @readonly (a device write faults those back); each
 * page's answer in @local if not NULL.  -1 if the snapshot fails.
 */
static unsigned long local_pages(int fd, char *p, unsigned long n, int readonly,
				 unsigned char *local)
{
	unsigned char *s = calloc(n, 1);
	unsigned long i, k = 0;

	if (!s || devmm_range(fd, DEVMM_IOC_SNAPSHOT, p, n, s, NULL)) {
		free(s);
		return (unsigned long)-1;
	}
	for (i = 0; i < n; i++) {
		unsigned char t = s[i] & ~(HMM_DMIRROR_PROT_WRITE | HMM_DMIRROR_PROT_READ |
					   HMM_DMIRROR_PROT_PMD);
		int here = (t == HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL ||
			    t == HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL) &&
			   !(readonly && (s[i] & HMM_DMIRROR_PROT_WRITE));

		if (local)
			local[i] = here;
		k += here;
	}
	free(s);
	return k;
}

static unsigned long on_device(int fd, char *p, unsigned long n)
{
	return local_pages(fd, p, n, 0, NULL);
}

static int check_fill(const char *buf, unsigned long first, unsigned long n)
{
	unsigned long i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < PSZ; j += 512)
			if ((unsigned char)buf[i * PSZ + j] != ((first + i) & 0xff))
				return 0;
	return 1;
}

static void fault_tests(unsigned int id, const char *kind)
{
	unsigned long n = 64;
	char *p = map_pages(n), *buf = malloc(n * PSZ);
	int fd = devmm_node_open(id);
	struct counters base = {}, d;
	unsigned long long cp;
	int ret;

	delta(fd, &base);
	set_attr(fd, p, n, DEVMM_ATTR_PREFERRED | DEVMM_ATTR_MIGRATE, DEVMM_LOC_DEVICE, 1, 0, 0);
	ok(!devmm_range(fd, DEVMM_IOC_READ, p, n, buf, &cp) && cp == n && check_fill(buf, 0, n),
	   "%s: a device read of a migrate-on-fault range reads the right data", kind);
	d = delta(fd, &base);
	ok(d.faults == n && d.migrated == n && d.remote == 0 && on_device(fd, p, n) == n,
	   "%s: ...every page faulted once and moved to the device (faults %llu, migrated %llu, "
	   "remote %llu, on the device %lu)", kind, d.faults, d.migrated, d.remote,
	   on_device(fd, p, n));
	ret = devmm_range(fd, DEVMM_IOC_READ, p, n, buf, &cp);
	d = delta(fd, &base);
	ok(!ret && check_fill(buf, 0, n) && d.faults == 0 && d.migrated == 0 && d.remote == 0,
	   "%s: a second read faults nothing (faults %llu, remote %llu)", kind, d.faults,
	   d.remote);
	devmm_range(fd, DEVMM_IOC_MIGRATE_TO_SYS, p, n, NULL, NULL);
	ok(check_fill(p, 0, n), "%s: the data came back to system memory intact", kind);

	/* 64 KiB granularity: one fault brings its 16 pages. */
	set_attr(fd, p, n, DEVMM_ATTR_GRANULARITY, 0, 0, 0, 65536);
	delta(fd, &base);
	ret = devmm_range(fd, DEVMM_IOC_READ, p + 19 * PSZ, 1, buf, NULL);
	d = delta(fd, &base);
	ok(!ret && check_fill(buf, 19, 1) && d.faults == 1 && d.migrated == 16 &&
	   on_device(fd, p, n) == 16 &&
	   on_device(fd, p + 16 * PSZ, 16) == 16,
	   "%s: 64 KiB granularity: one device fault migrates its aligned 16 pages "
	   "(faults %llu, migrated %llu)", kind, d.faults, d.migrated);
	devmm_range(fd, DEVMM_IOC_MIGRATE_TO_SYS, p, n, NULL, NULL);

	/* Accessed-by, and no attributes at all: read where the pages are. */
	set_attr(fd, p, 32, DEVMM_ATTR_ACCESSED_BY, 0, 0, 1, 0);
	set_attr(fd, p + 32 * PSZ, 32, DEVMM_ATTR_PREFERRED | DEVMM_ATTR_MIGRATE |
		 DEVMM_ATTR_GRANULARITY, DEVMM_LOC_NONE, 0, 0, PSZ);
	delta(fd, &base);
	ret = devmm_range(fd, DEVMM_IOC_READ, p, n, buf, NULL);
	d = delta(fd, &base);
	ok(!ret && check_fill(buf, 0, n) && d.faults == 0 && d.migrated == 0 && d.remote == n &&
	   on_device(fd, p, n) == 0,
	   "%s: accessed-by and attribute-less ranges are read remotely (faults %llu, "
	   "remote %llu)", kind, d.faults, d.remote);
	ok(is_default(fd, p + 32 * PSZ, 32), "%s: (that range has the defaults again)", kind);

	/* A device write to a migrate-on-fault range lands on the device. */
	set_attr(fd, p, n, DEVMM_ATTR_ALL, DEVMM_LOC_DEVICE, 1, 0, PSZ);
	memset(buf, 0xa5, n * PSZ);
	delta(fd, &base);
	ret = devmm_range(fd, DEVMM_IOC_WRITE, p, n, buf, NULL);
	d = delta(fd, &base);
	ok(!ret && d.faults == n && on_device(fd, p, n) == n,
	   "%s: a device write faults the pages to the device (faults %llu)", kind, d.faults);
	devmm_range(fd, DEVMM_IOC_MIGRATE_TO_SYS, p, n, NULL, NULL);
	ok((unsigned char)p[0] == 0xa5 && (unsigned char)p[n * PSZ - 1] == 0xa5,
	   "%s: ...and its data reads back from the CPU", kind);
	close(fd);
	munmap(p, n * PSZ);
	free(buf);
}

/*
 * 2 MiB granules of small pages (which move in parts, in a pipeline, where
 * the device has room for them): one device fault per granule, every page
 * moved, the data intact, and the pages in the policy's list in address
 * order, as if they had moved one at a time: FIFO evicts the first ones.
 * The range starts and ends inside 2 MiB blocks: three granules, clipped
 * to it.
 */
#define GR_MAP		1536UL
#define GR_FIRST	100UL
#define GR_PAGES	1024UL
#define GR_EVICT	300UL

static void granule_test(unsigned int id, const char *kind)
{
	struct devmm_settings s = { .id = id, .policy = DEVMM_POLICY_FIFO, .evict_batch = 1,
				    .evict_unit = DEVMM_EVICT_UNIT_PAGE,
				    .mask = DEVMM_SET_POLICY | DEVMM_SET_EVICT_BATCH |
					    DEVMM_SET_EVICT_UNIT };
	char *p = map_pages(GR_MAP), *q = p + GR_FIRST * PSZ, *buf = malloc(GR_PAGES * PSZ);
	unsigned char *left = malloc(GR_PAGES);
	int fd = devmm_node_open(id), ret;
	unsigned long i, misplaced = 0;
	struct counters base = {}, d;
	unsigned long long cp = 0;

	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	ret = ioctl(ctl, DEVMM_IOC_SETTINGS, &s) ? -errno : 0;
	ret = ret ?: set_attr(fd, q, GR_PAGES, DEVMM_ATTR_ALL, DEVMM_LOC_DEVICE, 1, 0, 2 * MIB);
	delta(fd, &base);
	ret = ret ?: devmm_range(fd, DEVMM_IOC_READ, q, GR_PAGES, buf, &cp);
	d = delta(fd, &base);
	ok(!ret && cp == GR_PAGES && check_fill(buf, GR_FIRST, GR_PAGES) && d.faults == 3 &&
	   d.migrated == GR_PAGES && d.evicted == 0 && on_device(fd, q, GR_PAGES) == GR_PAGES,
	   "%s: 2 MiB granules of small pages: a fault each, every page moved, the data read "
	   "right (%s, faults %llu, migrated %llu, on the device %lu)", kind, errname(ret),
	   d.faults, d.migrated, on_device(fd, q, GR_PAGES));
	ret = devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, GR_EVICT * PSZ, NULL);
	if (!ret && local_pages(fd, q, GR_PAGES, 0, left) == (unsigned long)-1)
		ret = -EIO;
	for (i = 0; !ret && i < GR_PAGES; i++)
		misplaced += left[i] != (i >= GR_EVICT);
	ok(!ret && !misplaced && check_fill(q, GR_FIRST, GR_PAGES),
	   "%s: ...in the policy's list by address: FIFO evicts the first %lu pages (%s, "
	   "%lu misplaced), the data intact", kind, GR_EVICT, errname(ret), misplaced);
	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	s.policy = DEVMM_POLICY_LRU;
	ioctl(ctl, DEVMM_IOC_SETTINGS, &s);
	close(fd);
	munmap(p, GR_MAP * PSZ);
	free(buf);
	free(left);
}

/*
 * A device read of many pages is copied by several CPUs at once, but its
 * accesses count in address order: after reading a whole buffer, LRU
 * evicts its first pages, whichever CPU copied what.
 */
static void read_order_test(unsigned int id, const char *kind)
{
	struct devmm_settings s = { .id = id, .policy = DEVMM_POLICY_LRU, .evict_batch = 1,
				    .evict_unit = DEVMM_EVICT_UNIT_PAGE,
				    .mask = DEVMM_SET_POLICY | DEVMM_SET_EVICT_BATCH |
					    DEVMM_SET_EVICT_UNIT };
	char *p = map_pages(GR_PAGES), *buf = malloc(GR_PAGES * PSZ);
	unsigned char *left = malloc(GR_PAGES);
	int fd = devmm_node_open(id), ret;
	unsigned long i, misplaced = 0;
	unsigned long long cp = 0;

	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	ret = ioctl(ctl, DEVMM_IOC_SETTINGS, &s) ? -errno : 0;
	ret = ret ?: devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, GR_PAGES, NULL, &cp);
	/* Backwards first: the read below must undo this order entirely. */
	for (i = GR_PAGES; !ret && i > 0; i -= 64)
		ret = devmm_range(fd, DEVMM_IOC_READ, p + (i - 64) * PSZ, 64,
				  buf + (i - 64) * PSZ, NULL);
	ret = ret ?: devmm_range(fd, DEVMM_IOC_READ, p, GR_PAGES, buf, &cp);
	ret = ret ?: devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, GR_EVICT * PSZ, NULL);
	if (!ret && local_pages(fd, p, GR_PAGES, 0, left) == (unsigned long)-1)
		ret = -EIO;
	for (i = 0; !ret && i < GR_PAGES; i++)
		misplaced += left[i] != (i >= GR_EVICT);
	ok(!ret && cp == GR_PAGES && check_fill(buf, 0, GR_PAGES) && !misplaced,
	   "%s: a device read of %lu pages (copied by several CPUs) counts its accesses in "
	   "address order: LRU then evicts the first %lu (%s, %lu misplaced)", kind, GR_PAGES,
	   GR_EVICT, errname(ret), misplaced);
	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	close(fd);
	munmap(p, GR_PAGES * PSZ);
	free(buf);
	free(left);
}

/*
 * One device read over several 2 MiB granules (@thp: of THPs) migrates them
 * together (a run, in a pipeline) where they fit; it must count a device
 * fault per granule, move every page, and put the pages on FIFO's list in
 * address order, as granules migrated one after the other would: batch-1
 * eviction then takes a prefix of the buffer by address.
 */
#define RUN_GRANULES	5
#define RUN_PAGES	(RUN_GRANULES * 512UL)
#define RUN_EVICT	700UL

static void run_test(unsigned int id, const char *kind, int thp)
{
	char *p = devmm_map_aligned(RUN_PAGES * PSZ, thp), *buf = malloc(RUN_PAGES * PSZ);
	unsigned long i, left = 0, order_breaks = 0;
	unsigned char *where = malloc(RUN_PAGES);
	struct devmm_dev_info i0, i1;
	int fd = devmm_node_open(id), ret;
	unsigned long long cp = 0;

	for (i = 0; p && i < RUN_PAGES; i++)
		memset(p + i * PSZ, (int)(i & 0xff), PSZ);
	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	ret = p && buf && where ? settings(id, DEVMM_SET_POLICY | DEVMM_SET_EVICT_BATCH,
					   DEVMM_POLICY_FIFO, 1, NULL) : -ENOMEM;
	ret = ret ?: set_attr(fd, p, RUN_PAGES, DEVMM_ATTR_ALL, DEVMM_LOC_DEVICE, 1, 0, 2 * MIB);
	ret = ret ?: dev_info(fd, &i0);
	/* From the middle of the first granule: that one faults at its page 100. */
	ret = ret ?: devmm_range(fd, DEVMM_IOC_READ, p + 100 * PSZ, RUN_PAGES - 100,
				 buf + 100 * PSZ, &cp);
	ret = ret ?: dev_info(fd, &i1);
	ret = ret ?: devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, RUN_EVICT * PSZ, NULL);
	if (!ret && local_pages(fd, p, RUN_PAGES, 0, where) == (unsigned long)-1)
		ret = -EIO;
	for (i = 0; !ret && i < RUN_PAGES; i++) {
		left += !where[i];
		order_breaks += i && where[i] < where[i - 1];
	}
	ok(!ret && cp == RUN_PAGES - 100 && check_fill(buf + 100 * PSZ, 100, RUN_PAGES - 100) &&
	   i1.fault_pages - i0.fault_pages == RUN_GRANULES &&
	   i1.fault_migrated - i0.fault_migrated == RUN_PAGES && !order_breaks &&
	   left >= RUN_EVICT && left < RUN_PAGES,
	   "%s, %s: one device read over %d granules of 2 MiB: a fault each (%llu), every "
	   "page moved (%llu of %lu), FIFO order by address (batch-1 eviction of %lu took "
	   "%lu pages, %lu out of order) (%s)", kind, thp ? "THP" : "4 KiB pages",
	   RUN_GRANULES, ret ? 0ULL : (unsigned long long)(i1.fault_pages - i0.fault_pages),
	   ret ? 0ULL : (unsigned long long)(i1.fault_migrated - i0.fault_migrated), RUN_PAGES,
	   RUN_EVICT, left, order_breaks, errname(ret));
	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	settings(id, DEVMM_SET_POLICY, DEVMM_POLICY_LRU, 0, NULL);
	close(fd);
	if (p)
		munmap(p, RUN_PAGES * PSZ);
	free(buf);
	free(where);
}

/*
 * A buffer of @len bytes, far from the ranges mapped before it: a device
 * access whose buffer (as long as the access) would overlap its range goes
 * through a kernel buffer, chunk by chunk, and the tests below need the
 * straight path.
 */
static char *map_far(size_t len, int thp)
{
	size_t gap = 64 * MIB;
	void *spacer = mmap(NULL, gap, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			    -1, 0);
	char *b = devmm_map_aligned(len, thp);

	if (spacer != MAP_FAILED)
		munmap(spacer, gap);
	return b;
}

/*
 * A device read demand-pages ahead of its copy (several granules at once,
 * where they fit), but only as far as its user buffer can take the copy:
 * with the second half of the buffer read-only the read fails with EFAULT
 * there, and the last granule, past the window where the copy failed, is
 * not migrated.
 */
static void ahead_stop_test(unsigned int id, const char *kind)
{
	unsigned long n = 4 * 512, half = n / 2;
	char *p = map_pages(n), *buf = map_far(n * PSZ, 0);
	int fd = devmm_node_open(id), ret;
	unsigned long long cp = 0;
	unsigned long first, last;

	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	ret = p && buf ? set_attr(fd, p, n, DEVMM_ATTR_ALL, DEVMM_LOC_DEVICE, 1, 0, 2 * MIB) :
			 -ENOMEM;
	if (!ret && mprotect(buf + half * PSZ, half * PSZ, PROT_READ))
		ret = -errno;
	ret = ret ?: devmm_range(fd, DEVMM_IOC_READ, p, n, buf, &cp);
	first = on_device(fd, p, half);
	last = on_device(fd, p + 3 * 512 * PSZ, 512);
	ok(ret == -EFAULT && first == half && last == 0 && check_fill(buf, 0, half),
	   "%s: a device read into a buffer read-only from its middle fails there (%s, %llu "
	   "pages read), its first half on the device (%lu of %lu), nothing of its last granule "
	   "(%lu)", kind, errname(ret), cp, first, half, last);
	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	close(fd);
	if (p)
		munmap(p, n * PSZ);
	if (buf)
		munmap(buf, n * PSZ);
}

/*
 * Demand paging ahead of the copy stops where the user buffer ends.  With
 * the buffer at a page offset, that end lies within a page of the range: it
 * must be rounded down to whole pages, or the copy loop finds a window of
 * no page and spins (review of f90881d: a livelock until a fatal signal).
 * The read runs in a child with an alarm: killed by it is a failure.
 */
static void ahead_unaligned_test(unsigned int id, const char *kind)
{
	int status = 0;
	pid_t pid;

	/*
	 * All in a child with a file and buffers of its own: a fork child may
	 * not use its parent's file, and demand paging of pages it shared
	 * copy-on-write would move its parent's mappings to the device too.
	 */
	pid = fork();
	if (pid == 0) {
		unsigned long n = 1024, have = 768;
		char *p = map_pages(n), *buf = map_far((have + 1) * PSZ, 0);
		int fd = devmm_node_open(id), ret;

		alarm(30);
		/* A hole after the buffer, so that the read runs out of it. */
		ret = p && buf ? munmap(buf + have * PSZ, PSZ) : -ENOMEM;
		ret = ret ?: set_attr(fd, p, n, DEVMM_ATTR_ALL, DEVMM_LOC_DEVICE, 1, 0, 2 * MIB);
		ret = ret ?: devmm_range(fd, DEVMM_IOC_READ, p, n, buf + 100, NULL);
		_exit(ret == -EFAULT && check_fill(buf + 100, 0, have - 1) ? 0 : ret ? 1 : 2);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "%s: a device read into a buffer at page offset 100 that ends before the range does "
	   "fails with EFAULT after its whole pages (child %s %d)", kind,
	   WIFSIGNALED(status) ? "killed by signal" : "exit", WIFSIGNALED(status) ?
	   WTERMSIG(status) : WEXITSTATUS(status));
	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
}

/*
 * A device access stops at the first page it cannot reach; demand paging
 * must stop there too, not move the pages past it (past a PROT_NONE page,
 * or for a write past a read-only one) that the access never touches.
 */
static void stop_tests(unsigned int id, const char *kind)
{
	unsigned long n = 64, before, after, ro;
	char *p = map_pages(n), *buf = malloc(n * PSZ);
	int fd = devmm_node_open(id), ret;

	set_attr(fd, p, n, DEVMM_ATTR_ALL, DEVMM_LOC_DEVICE, 1, 0, PSZ);
	mprotect(p + 20 * PSZ, 4 * PSZ, PROT_NONE);
	mprotect(p + 40 * PSZ, 24 * PSZ, PROT_READ);
	ret = devmm_range(fd, DEVMM_IOC_READ, p, n, buf, NULL);
	before = on_device(fd, p, 20);
	after = on_device(fd, p + 24 * PSZ, 40);
	ok(ret == -EFAULT && before == 20 && after == 0,
	   "%s: a device read stops at a PROT_NONE page, and so does demand paging (%s; on the "
	   "device: %lu of the 20 pages before it, %lu of the 40 after it)", kind, errname(ret),
	   before, after);
	ret = devmm_range(fd, DEVMM_IOC_WRITE, p + 24 * PSZ, 40, buf, NULL);
	before = on_device(fd, p + 24 * PSZ, 16);
	ro = on_device(fd, p + 40 * PSZ, 24);
	ok(ret < 0 && before == 16 && ro == 0,
	   "%s: a device write stops at a read-only page, and so does demand paging (%s; on the "
	   "device: %lu of the 16 pages before it, %lu of the 24 read-only ones)", kind,
	   errname(ret), before, ro);
	mprotect(p, n * PSZ, PROT_READ | PROT_WRITE);
	devmm_range(fd, DEVMM_IOC_MIGRATE_TO_SYS, p, n, NULL, NULL);
	close(fd);
	munmap(p, n * PSZ);
	free(buf);
}

/*
 * Textbook misses of @trace (page numbers) with @frames frames: LRU (recency
 * on every access), FIFO (insertion order), CLOCK (second chance; a page
 * loaded or hit has its bit set) or LFU (fewest accesses; ties: loaded
 * first).
 */
static unsigned long textbook_misses(const unsigned int *trace, unsigned long len,
				     unsigned long frames, unsigned int policy)
{
	unsigned int *f = calloc(frames, sizeof(*f)), *bit = calloc(frames, sizeof(*bit));
	unsigned long i, j, v, n = 0, misses = 0;

	for (i = 0; i < len; i++) {
		for (j = 0; j < n && f[j] != trace[i]; j++)
			;
		if (j < n) {
			if (policy == DEVMM_POLICY_LRU) {	/* to the most recent end */
				memmove(&f[j], &f[j + 1], (n - j - 1) * sizeof(*f));
				f[n - 1] = trace[i];
			}
			bit[j] = policy == DEVMM_POLICY_LFU ? bit[j] + 1 : 1;
			continue;
		}
		misses++;
		if (n == frames) {
			v = 0;
			if (policy == DEVMM_POLICY_CLOCK) {
				while (bit[0]) {	/* second chance: to the back */
					unsigned int p = f[0];

					memmove(&f[0], &f[1], (n - 1) * sizeof(*f));
					memmove(&bit[0], &bit[1], (n - 1) * sizeof(*bit));
					f[n - 1] = p;
					bit[n - 1] = 0;
				}
			} else if (policy == DEVMM_POLICY_LFU) {
				for (j = 1; j < n; j++)
					if (bit[j] < bit[v])
						v = j;
			}
			memmove(&f[v], &f[v + 1], (n - v - 1) * sizeof(*f));
			memmove(&bit[v], &bit[v + 1], (n - v - 1) * sizeof(*bit));
			n--;
		}
		f[n] = trace[i];
		bit[n++] = 1;
	}
	free(f);
	free(bit);
	return misses;
}

static const char *const policy_names[] = { "LRU", "FIFO", "CLOCK", "RANDOM", "LFU", "UVM" };

#define EX_PAGES	96
#define EX_FRAMES	32
#define EX_RECORDS	1500
#define EX_BATCH	250

/*
 * One-page device reads and writes at random through DEVMM_IOC_ACCESS;
 * every read must see the last write (or the initial fill).
 */
static void exact_test(unsigned int id, const char *kind, unsigned int policy)
{
	unsigned int *trace = malloc(EX_RECORDS * sizeof(*trace));
	unsigned char *ops = malloc(EX_RECORDS), stamp[EX_PAGES];
	struct devmm_access *acc = calloc(EX_BATCH, sizeof(*acc));
	char *p = map_pages(EX_PAGES), *io = malloc(EX_BATCH * PSZ);
	int fd = devmm_node_open(id), bad = 0, ret = 0;
	struct counters base = {}, d;
	unsigned long i, k, misses;

	/*
	 * Out of NUMA balancing's scans, as devmmctl replay's buffer: a page
	 * migrated from a PTE the scan made PROT_NONE goes to the device
	 * read-only, and a device write then faults it back, a fault the
	 * textbook does not have (docs/kernel-issues.md).  Without NUMA: harmless.
	 */
	syscall(SYS_mbind, p, EX_PAGES * PSZ, MPOL_LOCAL, NULL, 0UL, 0U);
	settings(id, DEVMM_SET_POLICY | DEVMM_SET_EVICT_BATCH, policy, 1, NULL);
	devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, id, EX_FRAMES * PSZ, NULL);
	for (i = 0; i < EX_PAGES; i++)
		stamp[i] = i & 0xff;
	for (i = 0; i < EX_RECORDS; i++) {
		/* A hot third and a cold rest, so that both hits and misses abound. */
		trace[i] = rnd() % 3 ? rnd() % (EX_PAGES / 3) : rnd() % EX_PAGES;
		ops[i] = rnd() % 4 == 0;
	}
	misses = textbook_misses(trace, EX_RECORDS, EX_FRAMES, policy);
	set_attr(fd, p, EX_PAGES, DEVMM_ATTR_PREFERRED | DEVMM_ATTR_MIGRATE, DEVMM_LOC_DEVICE,
		 1, 0, 0);
	delta(fd, &base);
	for (i = 0; i < EX_RECORDS && !ret; i += EX_BATCH) {
		struct devmm_access_batch b = { .ptr = (uintptr_t)acc, .count = EX_BATCH };

		for (k = 0; k < EX_BATCH; k++) {
			unsigned int pg = trace[i + k];

			acc[k] = (struct devmm_access){ .addr = (uintptr_t)(p + pg * PSZ),
							.npages = 1, .ptr = (uintptr_t)(io + k * PSZ),
							.op = ops[i + k] ? DEVMM_ACCESS_WRITE :
									   DEVMM_ACCESS_READ };
			if (ops[i + k]) {
				stamp[pg] = (unsigned char)(0x80 | ((i + k) & 0x7f));
				memset(io + k * PSZ, stamp[pg], PSZ);
			} else {
				/* A later write in this batch must not change what this reads. */
				io[k * PSZ] = (char)stamp[pg];
			}
		}
		ret = ioctl(fd, DEVMM_IOC_ACCESS, &b) ? -errno : 0;
		for (k = 0; k < EX_BATCH && !ret; k++)
			if (!ops[i + k] && (unsigned char)io[k * PSZ + PSZ - 1] !=
					   (unsigned char)io[k * PSZ])
				bad++;
	}
	d = delta(fd, &base);
	if (d.cpu || d.remote)
		tap_diag("%s: %s: %lu of the device's pages are mapped read-only", kind,
			 policy_names[policy], local_pages(fd, p, EX_PAGES, 1, NULL));
	ok(!ret && d.faults == misses && d.migrated == misses && d.remote == 0 &&
	   d.evicted == misses - EX_FRAMES && d.failures == 0,
	   "%s: %s, batch 1: %d one-page accesses fault exactly where the textbook misses "
	   "(%lu; kernel: faults %llu, migrated %llu, evicted %llu, remote %llu, failures %llu, "
	   "CPU faults %llu, to device %llu, to system %llu)%s",
	   kind, policy_names[policy], EX_RECORDS, misses, d.faults, d.migrated, d.evicted,
	   d.remote, d.failures, d.cpu, d.todev, d.tosys, ret ? " ACCESS failed" : "");
	ok(!bad, "%s: %s: every device read saw the last write (%d did not)", kind,
	   policy_names[policy], bad);
	close(fd);
	munmap(p, EX_PAGES * PSZ);
	free(trace);
	free(ops);
	free(acc);
	free(io);
}

/*
 * Automatic NUMA balancing scans a process's memory every scan period and
 * makes its PTEs PROT_NONE to catch the next access ("hinting"); a page
 * migrated to the device from such a PTE is mapped read-only there, and a
 * later device write faults it back.  Make the scans as frequent as the
 * knobs allow (@on), or restore them; false where there is no balancing.
 */
#define NB_DIR "/sys/kernel/debug/sched/numa_balancing/"
static const char *const nb_knobs[] = { "scan_delay_ms", "scan_period_min_ms",
					"scan_period_max_ms" };
static char nb_saved[3][32];

static int numa_hinting(int on)
{
	char path[128], buf[32] = "";
	unsigned int i;
	FILE *f = fopen("/proc/sys/kernel/numa_balancing", "r");
	int enabled = f && fgets(buf, sizeof(buf), f) && atoi(buf) > 0;

	if (f)
		fclose(f);
	if (!enabled)
		return 0;
	for (i = 0; i < NELEM(nb_knobs); i++) {
		snprintf(path, sizeof(path), NB_DIR "%s", nb_knobs[i]);
		f = fopen(path, on ? "r+" : "w");
		if (!f)
			return 0;
		if (on && !fgets(nb_saved[i], sizeof(nb_saved[i]), f))
			nb_saved[i][0] = '\0';
		rewind(f);
		fputs(on ? (i ? "10" : "0") : nb_saved[i], f);
		fclose(f);
	}
	return 1;
}

/*
 * The exactness run of LRU while NUMA balancing scans every 10 ms: hinting
 * must not change what faults (the buffer's MPOL_LOCAL keeps it out).
 */
static void exact_numa_test(unsigned int id, const char *kind)
{
	if (!numa_hinting(1)) {
		tap_skip("no automatic NUMA balancing here (one node, or turned off)",
			 "%s: LRU exactness while NUMA balancing scans", kind);
		tap_skip("no automatic NUMA balancing here (one node, or turned off)",
			 "%s: LRU data while NUMA balancing scans", kind);
		return;
	}
	tap_diag("%s: NUMA balancing scans every 10 ms", kind);
	exact_test(id, kind, DEVMM_POLICY_LRU);
	numa_hinting(0);
}

/* Device faults of a random replay under @policy, with @seed and @unit. */
static long replay_faults(unsigned int id, unsigned int policy, uint64_t rseed, unsigned int unit)
{
	struct devmm_settings s = { .id = id, .policy = policy, .evict_batch = 4, .seed = rseed,
				    .evict_unit = unit,
				    .mask = DEVMM_SET_POLICY | DEVMM_SET_EVICT_BATCH |
					    DEVMM_SET_SEED | DEVMM_SET_EVICT_UNIT };
	struct devmm_access *acc = calloc(EX_RECORDS, sizeof(*acc));
	struct devmm_access_batch b = { .ptr = (uintptr_t)acc, .count = EX_RECORDS };
	char *p = map_pages(EX_PAGES), *io = malloc(PSZ);
	int fd = devmm_node_open(id), ret;
	struct counters base = {}, d;
	uint64_t x = 12345;
	unsigned long i;

	if (!acc || !p || !io || fd < 0 || ioctl(ctl, DEVMM_IOC_SETTINGS, &s)) {
		ret = -errno ?: -ENOMEM;
		goto out;
	}
	devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, id, EX_FRAMES * PSZ, NULL);
	set_attr(fd, p, EX_PAGES, DEVMM_ATTR_PREFERRED | DEVMM_ATTR_MIGRATE, DEVMM_LOC_DEVICE,
		 1, 0, 0);
	for (i = 0; i < EX_RECORDS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc[i] = (struct devmm_access){ .addr = (uintptr_t)(p + x % EX_PAGES * PSZ),
						.npages = 1, .ptr = (uintptr_t)io,
						.op = DEVMM_ACCESS_READ };
	}
	delta(fd, &base);
	ret = ioctl(fd, DEVMM_IOC_ACCESS, &b) ? -errno : 0;
	d = delta(fd, &base);
out:
	if (fd >= 0)
		close(fd);
	if (p)
		munmap(p, EX_PAGES * PSZ);
	free(acc);
	free(io);
	return ret ? ret : (long)d.faults;
}

#define EO_PAGES	2048
#define EO_HITS		3000
#define EO_EVICT	1300	/* two windows and a half: several windows a pass */

/*
 * Fault EO_PAGES pages in with @trace (one-page device reads), then evict
 * EO_EVICT of them by DEVMM_IOC_EVICT calls of @per_call pages; which pages
 * stayed on the device go to @left, the counters' change to *@d.
 */
static int evict_order_run(unsigned int id, unsigned int policy, const unsigned int *trace,
			   unsigned long len, unsigned long per_call, unsigned char *left,
			   struct counters *d)
{
	struct devmm_settings s = { .id = id, .policy = policy, .evict_batch = 1, .seed = 7,
				    .evict_unit = DEVMM_EVICT_UNIT_PAGE,
				    .mask = DEVMM_SET_POLICY | DEVMM_SET_EVICT_BATCH |
					    DEVMM_SET_SEED | DEVMM_SET_EVICT_UNIT };
	struct devmm_access *acc = calloc(len, sizeof(*acc));
	struct devmm_access_batch b = { .ptr = (uintptr_t)acc, .count = len };
	char *p = map_pages(EO_PAGES), *io = malloc(PSZ);
	int fd = devmm_node_open(id), ret = -ENOMEM;
	unsigned long long result, used;
	unsigned long i, done;
	struct counters base = {};

	if (!acc || !p || !io || fd < 0)
		goto out;
	/* Empty first: an eviction would step RANDOM's sequence. */
	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	used = devmm_used(ctl, id);
	if (ioctl(ctl, DEVMM_IOC_SETTINGS, &s)) {
		ret = -errno;
		goto out;
	}
	devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, id, EO_PAGES * PSZ, NULL);
	set_attr(fd, p, EO_PAGES, DEVMM_ATTR_PREFERRED | DEVMM_ATTR_MIGRATE, DEVMM_LOC_DEVICE,
		 1, 0, 0);
	for (i = 0; i < len; i++)
		acc[i] = (struct devmm_access){ .addr = (uintptr_t)(p + trace[i] * PSZ),
						.npages = 1, .ptr = (uintptr_t)io,
						.op = DEVMM_ACCESS_READ };
	delta(fd, &base);
	ret = ioctl(fd, DEVMM_IOC_ACCESS, &b) ? -errno : 0;
	*d = delta(fd, &base);
	/* The setup must start empty and evict nothing (RANDOM's sequence is its seed's). */
	if (used || d->evicted || d->failures || d->faults != EO_PAGES)
		tap_diag("%s: setup: %llu bytes in use before, %llu faults, %llu evicted, "
			 "%llu failures", policy_names[policy], used, d->faults, d->evicted,
			 d->failures);
	for (done = 0; done < EO_EVICT && !ret; done += per_call)
		ret = devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id,
				    (EO_EVICT - done < per_call ? EO_EVICT - done : per_call) * PSZ,
				    &result);
	*d = delta(fd, &base);
	if (!ret && local_pages(fd, p, EO_PAGES, 0, left) == (unsigned long)-1)
		ret = -EIO;
	if (!ret && !check_fill(p, 0, EO_PAGES))
		ret = -EIO;
out:
	if (fd >= 0) {
		devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
		close(fd);
	}
	if (p)
		munmap(p, EO_PAGES * PSZ);
	free(acc);
	free(io);
	return ret;
}

/*
 * The pages a textbook policy keeps after evicting EO_EVICT of @trace's
 * pages (all loaded, none evicted before): LRU's victims are the least
 * recently used, FIFO's and CLOCK's (every bit set: one turn clears them
 * all) the first loaded, LFU's the least used, loaded first among equals.
 */
static void textbook_left(const unsigned int *trace, unsigned long len, unsigned int policy,
			  unsigned char *left)
{
	unsigned long key[EO_PAGES], uses[EO_PAGES] = {}, first[EO_PAGES], i, j, k;

	for (i = 0; i < EO_PAGES; i++)
		first[i] = ~0UL;
	for (i = 0; i < len; i++) {
		if (first[trace[i]] == ~0UL)
			first[trace[i]] = i;
		uses[trace[i]]++;
		if (policy == DEVMM_POLICY_LRU)
			key[trace[i]] = i;
	}
	for (i = 0; i < EO_PAGES; i++) {
		if (policy == DEVMM_POLICY_LFU)
			key[i] = uses[i] * len + first[i];
		else if (policy != DEVMM_POLICY_LRU)
			key[i] = first[i];
		left[i] = 1;
	}
	/* EO_EVICT times the smallest key left: small sizes, no sort needed. */
	for (k = 0; k < EO_EVICT; k++) {
		for (i = 0, j = EO_PAGES; i < EO_PAGES; i++)
			if (left[i] && (j == EO_PAGES || key[i] < key[j]))
				j = i;
		left[j] = 0;
	}
}

/*
 * A large eviction takes several windows of victims a pass, shared among
 * the CPUs: the victims must be the ones the policy names, the same as
 * evictions of one window each (for every policy, RANDOM by its seed), and
 * the textbook's where there is one.
 */
static void evict_order_test(unsigned int id, const char *kind, unsigned int policy)
{
	unsigned long len = EO_PAGES + EO_HITS, i, diff = 0, tdiff = 0, kept = 0;
	unsigned int *trace = malloc(len * sizeof(*trace));
	unsigned char one[EO_PAGES], windows[EO_PAGES], book[EO_PAGES];
	struct counters d1, dw;
	int r1, rw;

	for (i = 0; i < EO_PAGES; i++)
		trace[i] = i;
	for (i = EO_PAGES - 1; i > 0; i--) {	/* fault them in a random order */
		unsigned long j = rnd() % (i + 1);
		unsigned int t = trace[i];

		trace[i] = trace[j];
		trace[j] = t;
	}
	for (i = EO_PAGES; i < len; i++)
		trace[i] = rnd() % 4 ? rnd() % (EO_PAGES / 4) : rnd() % EO_PAGES;
	r1 = evict_order_run(id, policy, trace, len, EO_EVICT, one, &d1);
	rw = evict_order_run(id, policy, trace, len, DEVMM_EVICT_BATCH_MAX, windows, &dw);
	textbook_left(trace, len, policy, book);
	for (i = 0; i < EO_PAGES; i++) {
		diff += one[i] != windows[i];
		tdiff += one[i] != book[i];
		kept += one[i];
	}
	/* UVM takes whole blocks: the last one goes whole. */
	ok(!r1 && !rw && d1.evicted == dw.evicted && !d1.failures && !dw.failures &&
	   (policy == DEVMM_POLICY_UVM ? d1.evicted >= EO_EVICT : d1.evicted == EO_EVICT) &&
	   kept == EO_PAGES - d1.evicted && !diff,
	   "%s: %s: one eviction of %d pages takes the victims of evictions of a window each "
	   "(%s, %s; evicted %llu, %llu; failures %llu, %llu; %lu pages differ)", kind,
	   policy_names[policy], EO_EVICT, errname(r1), errname(rw), d1.evicted, dw.evicted,
	   d1.failures, dw.failures, diff);
	if (policy == DEVMM_POLICY_RANDOM || policy == DEVMM_POLICY_UVM)
		return;
	ok(!r1 && !tdiff, "%s: %s: ...and the textbook's victims (%lu pages differ)", kind,
	   policy_names[policy], tdiff);
}

static void random_test(unsigned int id, const char *kind)
{
	long a = replay_faults(id, DEVMM_POLICY_RANDOM, 7, DEVMM_EVICT_UNIT_PAGE);
	long b = replay_faults(id, DEVMM_POLICY_RANDOM, 7, DEVMM_EVICT_UNIT_PAGE);
	long c = replay_faults(id, DEVMM_POLICY_UVM, 0, DEVMM_EVICT_UNIT_PAGE);
	long e = replay_faults(id, DEVMM_POLICY_LRU, 0, DEVMM_EVICT_UNIT_BLOCK);

	ok(a > 0 && a == b, "%s: RANDOM with the same seed faults the same (%ld, %ld)", kind, a,
	   b);
	/* 96 pages in one 2 MiB block: a whole-block eviction empties the device. */
	ok(c > 0 && e > 0 && c == e, "%s: UVM and whole-block LRU evict the whole block each "
	   "time: the same faults (%ld, %ld)", kind, c, e);
}

static void access_tests(unsigned int id, const char *kind)
{
	int fd = devmm_node_open(id);
	char *p = map_pages(4);
	struct devmm_access acc[3] = {
		{ .addr = (uintptr_t)p, .npages = 1, .op = DEVMM_ACCESS_TO_DEV },
		{ .addr = (uintptr_t)p, .npages = 4, .op = DEVMM_ACCESS_TO_SYS },
		{ .addr = (uintptr_t)p, .npages = 1, .op = 9 },
	};
	struct devmm_access_batch b = { .ptr = (uintptr_t)acc, .count = 3 };
	int ret = ioctl(fd, DEVMM_IOC_ACCESS, &b) ? -errno : 0;

	ok(ret == -EINVAL && b.done == 2, "%s: ACCESS stops at a bad entry with -EINVAL and "
	   "says which (%s, done %u)", kind, errname(ret), b.done);
	b = (struct devmm_access_batch){ .ptr = (uintptr_t)acc, .count = DEVMM_ACCESS_MAX + 1 };
	ok(ioctl(fd, DEVMM_IOC_ACCESS, &b) && errno == EINVAL, "%s: too many entries: -EINVAL",
	   kind);
	close(fd);
	munmap(p, 4 * PSZ);
}

static void settings_tests(unsigned int id, const char *kind)
{
	struct devmm_settings s;

	ok(!settings(id, 0, 0, 0, &s) && s.policy == DEVMM_POLICY_LRU && s.evict_batch == 512,
	   "%s: SETTINGS reads policy LRU and an eviction batch of 512 by default", kind);
	ok(!settings(id, DEVMM_SET_EVICT_BATCH, 0, 7, &s) && s.evict_batch == 7 &&
	   s.policy == DEVMM_POLICY_LRU, "%s: SETTINGS changes only what its mask says", kind);
	ok(settings(id, DEVMM_SET_EVICT_BATCH, 0, 0, NULL) == -EINVAL &&
	   settings(id, DEVMM_SET_EVICT_BATCH, 0, 513, NULL) == -EINVAL &&
	   settings(id, DEVMM_SET_POLICY | DEVMM_SET_EVICT_BATCH, 9, 1, NULL) == -EINVAL &&
	   settings(id, 1U << 9, 0, 0, NULL) == -EINVAL &&
	   !settings(id, 0, 0, 0, &s) && s.evict_batch == 7 &&
	   settings(4000, 0, 0, 0, NULL) == -ENODEV,
	   "%s: bad values change nothing (-EINVAL); no such device is -ENODEV", kind);
}

static void kind_tests(unsigned int id, const char *kind)
{
	unsigned int policy;

	settings_tests(id, kind);
	attr_tests(id, kind);
	fault_tests(id, kind);
	granule_test(id, kind);
	read_order_test(id, kind);
	run_test(id, kind, 0);
	run_test(id, kind, 1);
	ahead_stop_test(id, kind);
	ahead_unaligned_test(id, kind);
	stop_tests(id, kind);
	access_tests(id, kind);
	exact_test(id, kind, DEVMM_POLICY_LRU);
	exact_test(id, kind, DEVMM_POLICY_FIFO);
	exact_test(id, kind, DEVMM_POLICY_CLOCK);
	exact_test(id, kind, DEVMM_POLICY_LFU);
	exact_numa_test(id, kind);
	random_test(id, kind);
	for (policy = DEVMM_POLICY_LRU; policy <= DEVMM_POLICY_UVM; policy++)
		evict_order_test(id, kind, policy);
}

int main(int argc, char **argv)
{
	int expect_private, ret, id;
	uint64_t base, size;

	if (argc != 2) {
		fprintf(stderr, "usage: %s devmm.ko\n", argv[0]);
		return 2;
	}
	expect_private = lane_env_num("LANE_EXPECT_PRIVATE");
	lane_range(lane_env("LANE_COHERENT_A"), &base, &size);
	seed = lane_seed("DEVMM_DEMAND_SEED") | 1;
	tap_plan(2 * KIND_TESTS + 3);
	tap_diag("seed %llu (DEVMM_DEMAND_SEED replays it)", (unsigned long long)seed);
	ret = devmm_load(argv[1], "private=0");
	ctl = open(DEVMM_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (!ok(ret == 0 && ctl >= 0, "load devmm private=0 (%s)", errname(ret)))
		return tap_done();

	id = expect_private ? devmm_create_dev(ctl, DEVMM_KIND_PRIVATE, 64 * MIB, 0, 0,
					       DEVMM_POLICY_LRU) : -EOPNOTSUPP;
	if (id >= 0)
		kind_tests(id, "private");
	else
		for (ret = 0; ret < KIND_TESTS; ret++)
			tap_skip("no device-private memory in this kernel (CONFIG_DEVICE_PRIVATE off)",
				 "private: test %d", ret + 1);
	id = devmm_create_dev(ctl, DEVMM_KIND_COHERENT, 0, base, size, DEVMM_POLICY_LRU);
	if (ok(id >= 0, "create a coherent device over the lane's range (%s)",
	       errname(id < 0 ? id : 0)))
		kind_tests(id, "coherent");
	close(ctl);
	ret = devmm_unload();
	ok(ret == 0, "unload (%s)", errname(ret));
	return tap_done();
}
