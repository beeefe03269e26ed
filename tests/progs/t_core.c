// SPDX-License-Identifier: GPL-2.0
/*
 * The core through devmm's own device-node ABI (DEVMM_IOC_* on /dev/devmmN):
 * migration both ways, device reads and writes, snapshots, pins, bad input,
 * unusual mappings, fork and COW, munmap and exit with pages on the device,
 * and that closing a file does not evict.  Runs once per kind of device the
 * lane has (private on 7.x, coherent everywhere), then on a mirror-only
 * device.
 *
 * usage: t_core /path/to/devmm.ko
 * lane environment: LANE_EXPECT_PRIVATE, LANE_COHERENT_A.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <linux/devmm_hmm.h>
#include "devmm_test.h"

#define NPAGES 256UL
#define LARGE_TESTS 9
#define FAULT_AROUND_TESTS 6

static size_t psz;
static unsigned long long caps;

/* The id of the first device of @kind, or -1. */
static int find_kind(unsigned int kind)
{
	struct devmm_dev_info info;
	unsigned int id;

	for (id = 0; id < 32; id++) {
		int fd = devmm_node_open(id), ret;

		if (fd < 0)
			continue;
		ret = test_dev_info(fd, &info);
		close(fd);
		if (!ret && info.kind == kind)
			return id;
	}
	return -1;
}

static unsigned long used_pages(int fd)
{
	struct devmm_dev_info info;

	return test_dev_info(fd, &info) ? ~0UL : info.used / psz;
}

/* The device's spare THPs for CPU faults, in bytes (ABI 1.3), or ~0 on error. */
static unsigned long long spare_bytes(int fd)
{
	struct devmm_dev_info info;

	return test_dev_info(fd, &info) ? ~0ULL : info.spare_bytes;
}

static void *map_anon(unsigned long npages, int prot, int flags)
{
	void *p = mmap(NULL, npages * psz, prot, flags | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void fill(void *buf, unsigned long npages, uint64_t seed)
{
	uint64_t *w = buf;
	unsigned long i;

	for (i = 0; i < npages * psz / 8; i++)
		w[i] = seed ^ (i * 0x9e3779b97f4a7c15ULL);
}

static int check(const void *buf, unsigned long npages, uint64_t seed)
{
	const uint64_t *w = buf;
	unsigned long i;

	for (i = 0; i < npages * psz / 8; i++)
		if (w[i] != (seed ^ (i * 0x9e3779b97f4a7c15ULL)))
			return 0;
	return 1;
}

/* Count the pages whose snapshot byte is @code. */
static unsigned long count_snapshot(int fd, void *addr, unsigned long npages, uint8_t code)
{
	uint8_t bytes[NPAGES * 4];
	unsigned long i, n = 0;

	if (npages > sizeof(bytes) || devmm_range(fd, DEVMM_IOC_SNAPSHOT, addr, npages, bytes, NULL))
		return ~0UL;
	for (i = 0; i < npages; i++)
		n += bytes[i] == code;
	return n;
}

static void test_bad_input(int fd, void *buf)
{
	struct devmm_range_cmd c;
	struct {
		struct devmm_range_cmd c;
		uint64_t extra;
	} big;
	int ret;

	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, (char *)buf + 1, 1, NULL, NULL);
	ok(ret == -EINVAL, "unaligned address gives EINVAL (%s)", errname(ret));
	ret = devmm_range(fd, DEVMM_IOC_READ, buf, 0, buf, NULL);
	ok(ret == -EINVAL, "npages 0 gives EINVAL (%s)", errname(ret));
	ret = devmm_range(fd, DEVMM_IOC_READ, buf, ~0UL, buf, NULL);
	ok(ret == -EINVAL, "npages 2^64-1 gives EINVAL (%s)", errname(ret));
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, (void *)(~0UL & ~(psz - 1)), 2, NULL, NULL);
	ok(ret == -EINVAL, "a range that wraps gives EINVAL (%s)", errname(ret));
	ret = devmm_range(fd, DEVMM_IOC_SNAPSHOT, (void *)0x7ffffffff000UL, 16, buf, NULL);
	ok(ret == -EINVAL, "a range past the user address space gives EINVAL (%s)", errname(ret));
	ret = devmm_range_flags(fd, DEVMM_IOC_MIGRATE_TO_DEV, buf, 1, NULL, 1, NULL);
	ok(ret == -EINVAL, "unknown flags give EINVAL (%s)", errname(ret));
	memset(&c, 0, sizeof(c));
	c.addr = (uintptr_t)buf;
	c.npages = 1;
	c.reserved[3] = 1;
	ret = ioctl(fd, DEVMM_IOC_MIGRATE_TO_DEV, &c) ? -errno : 0;
	ok(ret == -EINVAL, "a non-zero reserved field gives EINVAL (%s)", errname(ret));
	ret = ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, DEVMM_IOC_MAGIC, 0x42, 40), &c) ? -errno : 0;
	ok(ret == -EINVAL, "a truncated command struct gives EINVAL (%s)", errname(ret));
	memset(&big, 0, sizeof(big));
	big.c.addr = (uintptr_t)buf;
	big.c.npages = 1;
	big.c.ptr = (uintptr_t)buf;
	ret = ioctl(fd, _IOC(_IOC_READ | _IOC_WRITE, DEVMM_IOC_MAGIC, 0x40, sizeof(big)), &big) ?
	      -errno : 0;
	ok(ret == 0 && big.c.cpages == 1, "a longer, zero-padded struct is accepted (%s)",
	   errname(ret));
	ret = ioctl(fd, _IOWR(DEVMM_IOC_MAGIC, 0x4f, struct devmm_range_cmd), &c) ? -errno : 0;
	ok(ret == -ENOTTY, "unknown command gives ENOTTY (%s)", errname(ret));
	ret = devmm_range(fd, DEVMM_IOC_READ, buf, 1, (void *)8, NULL);
	ok(ret == -EFAULT, "reading into a bad user pointer gives EFAULT (%s)", errname(ret));
}

static void test_mappings(int fd)
{
	unsigned long long cpages;
	unsigned long used;
	char *p, path[] = "/tmp/t_core.XXXXXX";
	int ret, tfd;

	/* Nothing mapped: the range is invalid for migration, unreadable. */
	p = map_anon(4, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	munmap(p, 4 * psz);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, 4, NULL, &cpages);
	ok(ret == -EINVAL, "migrating an unmapped range gives EINVAL (%s)", errname(ret));
	ret = devmm_range(fd, DEVMM_IOC_READ, p, 4, path, &cpages);
	ok(ret == -EFAULT, "a device read of an unmapped range gives EFAULT (%s)", errname(ret));

	/* PROT_NONE. */
	p = map_anon(4, PROT_NONE, MAP_PRIVATE);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, 4, NULL, &cpages);
	ok(ret == -EINVAL, "migrating PROT_NONE memory gives EINVAL (%s)", errname(ret));
	munmap(p, 4 * psz);

	/* Read-only: the device may read, not write. */
	p = map_anon(4, PROT_READ, MAP_PRIVATE);
	{
		char *buf = map_anon(4, PROT_READ | PROT_WRITE, MAP_PRIVATE);

		ret = devmm_range(fd, DEVMM_IOC_READ, p, 4, buf, &cpages);
		ok(ret == 0 && cpages == 4 && buf[0] == 0,
		   "a device read of read-only memory works (%s)", errname(ret));
		ret = devmm_range(fd, DEVMM_IOC_WRITE, p, 4, buf, &cpages);
		ok(ret == -EPERM, "a device write to read-only memory gives EPERM (%s)",
		   errname(ret));
		munmap(buf, 4 * psz);
	}
	munmap(p, 4 * psz);

	/*
	 * A range running far past the end of its VMA, across the mappings
	 * above it to a gap: refused before anything moves, so that neither
	 * its own pages nor a neighbour's are left on the device (or taken
	 * off it).
	 */
	used = used_pages(fd);
	p = map_anon(4, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, 1UL << 20, NULL, &cpages);
	ok(ret == -EINVAL, "npages far beyond the VMA gives EINVAL (%s)", errname(ret));
	ok(used_pages(fd) == used, "and nothing moved to the device (%lu pages used, %lu before)",
	   used_pages(fd), used);
	memset(p, 0x3a, 4 * psz);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, 4, NULL, &cpages);
	ret = ret ?: devmm_range(fd, DEVMM_IOC_MIGRATE_TO_SYS, p, 1UL << 20, NULL, &cpages);
	ok(ret == -EINVAL && used_pages(fd) == used + 4 && p[3 * psz] == 0x3a,
	   "a migration back far beyond the VMA gives EINVAL and moves nothing (%s, %lu used)",
	   errname(ret), used_pages(fd));
	munmap(p, 4 * psz);

	/* Shared anonymous memory (shmem) does not move; it is not an error. */
	p = map_anon(8, PROT_READ | PROT_WRITE, MAP_SHARED);
	memset(p, 0x5a, 8 * psz);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, 8, NULL, &cpages);
	ok(ret == 0 && cpages == 0, "shared anonymous memory stays put (%s, %llu on device)",
	   errname(ret), (unsigned long long)cpages);
	munmap(p, 8 * psz);

	/* A shared file mapping: stays put, but the device reads and writes it. */
	tfd = mkstemp(path);
	unlink(path);
	ret = ftruncate(tfd, 8 * psz);
	p = mmap(NULL, 8 * psz, PROT_READ | PROT_WRITE, MAP_SHARED, tfd, 0);
	if (p != MAP_FAILED && !ret) {
		char *buf = map_anon(8, PROT_READ | PROT_WRITE, MAP_PRIVATE), back[16];

		memset(p, 0x11, 8 * psz);
		ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, 8, NULL, &cpages);
		ok(ret == 0 && cpages == 0, "a shared file mapping stays put (%s)",
		   errname(ret));
		memset(buf, 0x77, 8 * psz);
		ret = devmm_range(fd, DEVMM_IOC_WRITE, p, 8, buf, &cpages);
		ok(ret == 0 && cpages == 8 && pread(tfd, back, 16, 3 * psz) == 16 &&
		   back[0] == 0x77 && back[15] == 0x77,
		   "a device write to a shared file is in the file (%s)", errname(ret));
		munmap(buf, 8 * psz);
		munmap(p, 8 * psz);
	} else {
		ok(0, "map a tmpfs file");
		ok(0, "map a tmpfs file");
	}
	close(tfd);
}

/* Migrate a patterned buffer; check it on the device and back. */
static void test_roundtrip(int fd, unsigned int kind, const char *name)
{
	uint8_t local = kind == DEVMM_KIND_PRIVATE ? 0x22 : 0x42;
	char *p = map_anon(NPAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *buf = map_anon(NPAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	unsigned long long cpages;
	unsigned long used0 = used_pages(fd);
	int ret;

	fill(p, NPAGES, 1);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, NPAGES, NULL, &cpages);
	ok(ret == 0 && cpages == NPAGES, "%s: migrate %lu pages to the device (%s, %llu)", name,
	   NPAGES, errname(ret), (unsigned long long)cpages);
	ok(used_pages(fd) == used0 + NPAGES, "%s: the device holds them (%lu pages used)", name,
	   used_pages(fd));
	ok(count_snapshot(fd, p, NPAGES, local) == NPAGES,
	   "%s: the snapshot shows them on this device (0x%02x)", name, local);

	/* Again: pages already here stay, and count. */
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, NPAGES, NULL, &cpages);
	ok(ret == 0 && cpages == NPAGES && used_pages(fd) == used0 + NPAGES,
	   "%s: migrating again moves nothing and reports all present", name);

	ret = devmm_range(fd, DEVMM_IOC_READ, p, NPAGES, buf, &cpages);
	ok(ret == 0 && cpages == NPAGES && check(buf, NPAGES, 1),
	   "%s: the device reads the data from device memory (%s)", name, errname(ret));
	ok(count_snapshot(fd, p, NPAGES, local) == NPAGES,
	   "%s: a device read does not move pages", name);
	{
		/* Into a buffer with pages not there yet: the copy is shared
		 * among CPUs and falls back to a bounce buffer at each hole. */
		char *holes = map_anon(NPAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE);
		unsigned long i;

		for (i = 0; i < NPAGES; i++)
			if (i % 37 != 5 && i / 64 != 2)
				holes[i * psz] = 1;
		ret = devmm_range(fd, DEVMM_IOC_READ, p, NPAGES, holes, &cpages);
		ok(ret == 0 && cpages == NPAGES && check(holes, NPAGES, 1),
		   "%s: a device read into a buffer with holes gets every page (%s)", name,
		   errname(ret));
		munmap(holes, NPAGES * psz);

		/* From one: the holes read as zeros, and are written so. */
		holes = map_anon(NPAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE);
		for (i = 0; i < NPAGES; i++)
			if (i % 37 != 5 && i / 64 != 2)
				memset(holes + i * psz, 0x3c, psz);
		ret = devmm_range(fd, DEVMM_IOC_WRITE, p, NPAGES, holes, &cpages);
		ok(ret == 0 && cpages == NPAGES && !memcmp(p, holes, NPAGES * psz),
		   "%s: a device write from a buffer with holes writes every page (%s)", name,
		   errname(ret));
		munmap(holes, NPAGES * psz);
		fill(p, NPAGES, 1);
		devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, NPAGES, NULL, &cpages);
	}

	fill(buf, NPAGES, 1);
	fill(buf, NPAGES / 2, 2);
	ret = devmm_range(fd, DEVMM_IOC_WRITE, p, NPAGES / 2, buf, &cpages);
	ok(ret == 0 && cpages == NPAGES / 2, "%s: the device writes half of it (%s)", name,
	   errname(ret));
	ok(!memcmp(p, buf, NPAGES * psz), "%s: the CPU sees the device's writes, and the rest",
	   name);

	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_SYS, p, NPAGES, NULL, &cpages);
	ok(ret == 0 && used_pages(fd) == used0,
	   "%s: migrate back to system memory (%s, %llu moved, %lu used)", name, errname(ret),
	   (unsigned long long)cpages, used_pages(fd));
	ok(count_snapshot(fd, p, NPAGES, 0x02) == NPAGES, "%s: all pages are system pages again",
	   name);
	munmap(p, NPAGES * psz);
	munmap(buf, NPAGES * psz);
}

static void test_lifetimes(int fd, unsigned int id, unsigned int kind, const char *name)
{
	uint8_t local = kind == DEVMM_KIND_PRIVATE ? 0x22 : 0x42;
	unsigned long used0 = used_pages(fd);
	unsigned long long cpages;
	char *p;
	int fd2, status, ret;
	pid_t pid;

	/* Closing a file does not evict the device's pages. */
	p = map_anon(64, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	fill(p, 64, 3);
	fd2 = devmm_node_open(id);
	ret = devmm_range(fd2, DEVMM_IOC_MIGRATE_TO_DEV, p, 64, NULL, &cpages);
	close(fd2);
	ok(ret == 0 && cpages == 64 && used_pages(fd) == used0 + 64 &&
	   count_snapshot(fd, p, 64, local) == 64,
	   "%s: pages stay on the device after the file that moved them is closed", name);

	/* fork with pages on the device: COW writes on both sides. */
	pid = fork();
	if (pid == 0) {
		int good = check(p, 64, 3);

		fill(p, 64, 4);
		_exit(good && check(p, 64, 4) ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "%s: a fork child reads the device pages and writes its own copy", name);
	ok(check(p, 64, 3), "%s: the parent's data is untouched by the child's writes", name);
	fill(p, 32, 5);
	ok(check(p, 32, 5), "%s: the parent writes its own copy after fork", name);

	/* The inherited file does not reach the parent's memory. */
	pid = fork();
	if (pid == 0) {
		char b[64];

		_exit(devmm_range(fd, DEVMM_IOC_READ, p, 1, b, &cpages) == -EPERM ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "%s: a child using the parent's file gets EPERM", name);

	/* munmap with pages on the device frees them. */
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, 64, NULL, &cpages);
	munmap(p, 64 * psz);
	ok(ret == 0 && used_pages(fd) == used0, "%s: munmap frees the device pages (%lu used)",
	   name, used_pages(fd));

	/* A process exiting with pages on the device leaks nothing. */
	pid = fork();
	if (pid == 0) {
		char *q = map_anon(128, PROT_READ | PROT_WRITE, MAP_PRIVATE);
		int cfd = devmm_node_open(id);

		fill(q, 128, 6);
		_exit(devmm_range(cfd, DEVMM_IOC_MIGRATE_TO_DEV, q, 128, NULL, &cpages) == 0 &&
		      cpages == 128 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && used_pages(fd) == used0,
	   "%s: exiting with 128 pages on the device leaks none (%lu used)", name,
	   used_pages(fd));
}

static void test_pins(int fd, unsigned int kind, const char *name)
{
	uint8_t local = kind == DEVMM_KIND_PRIVATE ? 0x22 : 0x42;
	char *p = map_anon(16, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	int ret;

	fill(p, 16, 7);
	devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, 16, NULL, NULL);
	ret = devmm_range(fd, DEVMM_IOC_PIN, p, 8, NULL, NULL);
	/* A private page cannot be pinned where it is: GUP faults it back. */
	ok(ret == 0 && count_snapshot(fd, p, 8, kind == DEVMM_KIND_PRIVATE ? 0x02 : local) == 8,
	   "%s: a short-term pin %s (%s)", name,
	   kind == DEVMM_KIND_PRIVATE ? "brings private pages back to RAM" :
					"leaves coherent pages in place", errname(ret));
	ret = devmm_range(fd, DEVMM_IOC_UNPIN, p, 8, NULL, NULL);
	ok(ret == 0, "%s: unpin (%s)", name, errname(ret));
	ret = devmm_range(fd, DEVMM_IOC_UNPIN, p, 8, NULL, NULL);
	ok(ret == -ENOENT, "%s: unpin of a range not pinned gives ENOENT (%s)", name,
	   errname(ret));
	ret = devmm_range_flags(fd, DEVMM_IOC_PIN, p + 8 * psz, 8, NULL, DEVMM_RANGE_LONGTERM, NULL);
	ok(ret == 0 && count_snapshot(fd, p + 8 * psz, 8, 0x02) == 8 && check(p, 16, 7),
	   "%s: a long-term pin moves device pages out first, data intact (%s)", name,
	   errname(ret));
	/* Left pinned on purpose: closing the file unpins. */
	munmap(p, 16 * psz);
}

/* Read or set devmm's fault_around_kb parameter; -1 on error. */
static int fault_around_kb(int set)
{
	const char *path = "/sys/module/devmm/parameters/fault_around_kb";
	char val[16] = "";
	int fd = open(path, set >= 0 ? O_WRONLY : O_RDONLY), ret = -1;

	if (fd < 0)
		return -1;
	if (set >= 0) {
		snprintf(val, sizeof(val), "%d\n", set);
		if (write(fd, val, strlen(val)) == (ssize_t)strlen(val))
			ret = set;
	} else if (read(fd, val, sizeof(val) - 1) > 0) {
		ret = atoi(val);
	}
	close(fd);
	return ret;
}

/*
 * A CPU fault on a small device-private page brings back the pages after
 * it, up to fault_around_kb, within its VMA and its 2 MiB block; the pages
 * before it stay.  Coherent memory never faults (the CPU reads it in place).
 */
static void test_fault_around(int fd, unsigned int kind, const char *name)
{
	const size_t pmd = 2UL << 20;
	uint8_t local = kind == DEVMM_KIND_PRIVATE ? 0x22 : 0x42;
	struct devmm_dev_info i0, i1;
	unsigned long long cpages;
	long before, window, after;
	int ret, kb;
	char *p, *raw, *q;

	if (kind != DEVMM_KIND_PRIVATE) {
		int i;

		for (i = 0; i < FAULT_AROUND_TESTS; i++)
			tap_skip("the CPU reads coherent memory in place: no faults",
				 "%s: fault-around test", name);
		return;
	}
	kb = fault_around_kb(-1);
	ok(kb == 64, "%s: fault_around_kb is 64 by default (%d)", name, kb);

	/*
	 * 40 pages on the device, in a VMA of their own at the start of a
	 * 2 MiB block (a window never crosses one: wherever mmap() put them,
	 * a boundary among them would shorten it); a read of page 4 brings
	 * back 4..19.
	 */
	raw = mmap(NULL, 2 * pmd, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p = raw == MAP_FAILED ? MAP_FAILED :
		mmap(pmd_align_up(raw), 40 * psz,
		     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED) {
		int i, err = errno;

		if (raw != MAP_FAILED)
			munmap(raw, 2 * pmd);
		for (i = 1; i < FAULT_AROUND_TESTS; i++)
			ok(0, "%s: fault-around test: mmap: %s", name, strerror(err));
		return;
	}
	madvise(p, 40 * psz, MADV_NOHUGEPAGE);
	fill(p, 40, 21);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, 40, NULL, &cpages);
	ret = ret ?: test_dev_info(fd, &i0);
	(void)*(volatile char *)(p + 4 * psz);
	ret = ret ?: test_dev_info(fd, &i1);
	before = count_snapshot(fd, p, 4, local);
	window = count_snapshot(fd, p + 4 * psz, 16, 0x02);
	after = count_snapshot(fd, p + 20 * psz, 20, local);
	ok(ret == 0 && cpages == 40 && i1.cpu_faults - i0.cpu_faults == 1 &&
	   i1.to_system - i0.to_system == 16 && before == 4 && window == 16 && after == 20,
	   "%s: one CPU fault brings back its page and the 15 after it, not those before (%s, %llu of 40 to the device, %llu faults, %llu pages back; %ld/4 before, %ld/16 in, %ld/20 after on the device or back as they should)",
	   name, errname(ret), (unsigned long long)cpages,
	   (unsigned long long)(i1.cpu_faults - i0.cpu_faults),
	   (unsigned long long)(i1.to_system - i0.to_system), before, window, after);
	/* Near the end of the VMA: only up to its end. */
	ok(*(volatile char *)(p + 36 * psz) == p[36 * psz] &&
	   count_snapshot(fd, p + 36 * psz, 4, 0x02) == 4 &&
	   count_snapshot(fd, p + 20 * psz, 16, local) == 16,
	   "%s: a fault near the end of the VMA brings back up to its end", name);
	/* fault_around_kb=0: the faulting page alone. */
	ret = fault_around_kb(0);
	ok(ret == 0 && *(volatile char *)(p + 20 * psz) == p[20 * psz] &&
	   count_snapshot(fd, p + 20 * psz, 1, 0x02) == 1 &&
	   count_snapshot(fd, p + 21 * psz, 15, local) == 15,
	   "%s: with fault_around_kb=0 a fault brings back its page alone", name);
	fault_around_kb(64);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_SYS, p, 40, NULL, &cpages);
	ok(ret == 0 && check(p, 40, 21), "%s: the data survives, fault by fault (%s)", name,
	   errname(ret));
	munmap(raw, 2 * pmd);

	/* Not past the 2 MiB block: 4 pages before a PMD boundary, 4 come back. */
	raw = map_anon(pmd / psz + 32, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	q = raw ? pmd_align_up(raw) - 4 * psz : NULL;
	if (q && q < raw)
		q += pmd;
	if (q) {
		madvise(q, 32 * psz, MADV_NOHUGEPAGE);
		fill(q, 32, 22);
		ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, q, 32, NULL, &cpages);
	}
	ok(q && ret == 0 && cpages == 32 && *(volatile char *)q == *q &&
	   count_snapshot(fd, q, 4, 0x02) == 4 && count_snapshot(fd, q + 4 * psz, 28, local) == 28 &&
	   devmm_range(fd, DEVMM_IOC_MIGRATE_TO_SYS, q, 32, NULL, &cpages) == 0 && check(q, 32, 22),
	   "%s: a fault-around window ends at the 2 MiB boundary", name);
	if (raw)
		munmap(raw, (pmd / psz + 32) * psz);
}

/*
 * CPU faults on 2 MiB device folios take system THPs allocated ahead by a
 * worker (cpu_fault.c): at most two at a time, and none held a while after
 * the last fault.
 */
static void test_spares(int fd, const char *name)
{
	const size_t pmd = 2UL << 20, len = 8 * pmd;
	unsigned long np = len / psz, i, bad = 0;
	unsigned long long cpages = 0, most = 0, now_b, left = ~0ULL;
	char *raw = map_anon(np + pmd / psz, PROT_READ | PROT_WRITE, MAP_PRIVATE), *p;
	int ret = -ENOMEM, waited;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		tap_skip("one CPU: no worker allocates spare THPs (copy_threads)",
			 "%s: CPU faults on 2 MiB device folios take spare THPs", name);
		if (raw)
			munmap(raw, len + pmd);
		return;
	}
	p = raw ? pmd_align_up(raw) : NULL;
	if (p) {
		madvise(p, len, MADV_HUGEPAGE);
		fill(p, np, 31);
		ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, np, NULL, &cpages);
	}
	for (i = 0; !ret && i < len / pmd; i++) {
		bad += *(volatile uint64_t *)(p + i * pmd) != *(uint64_t *)(p + i * pmd);
		usleep(20000);
		now_b = spare_bytes(fd);
		most = now_b > most ? now_b : most;
	}
	for (waited = 0; !ret && waited < 100; waited++) {
		left = spare_bytes(fd);
		if (!left)
			break;
		usleep(50000);
	}
	ok(!ret && cpages == np && !bad && check(p, np, 31) && most && most <= 2 * pmd && !left,
	   "%s: CPU faults on 8 device folios of 2 MiB, intact, take spare THPs: at most %llu "
	   "KiB held at once (4096 allowed), %llu KiB %.1f s after the last fault (%s)", name,
	   most >> 10, left == ~0ULL ? 0 : left >> 10, waited * 0.05, errname(ret));
	if (raw)
		munmap(raw, len + pmd);
}

/*
 * THP-backed memory on a device with large folios: migrates as whole PMD
 * folios, a CPU fault brings a whole folio back, a partial munmap splits
 * one, and explicit migration back counts every page.
 */
static void test_large(int fd, unsigned int kind, const char *name)
{
	const size_t pmd = 2UL << 20, len = 2 * pmd;
	unsigned long np = len / psz, half = pmd / psz;
	unsigned long long cpages;
	char *raw, *p, *buf;
	unsigned long long cp;
	int ret;

	if (kind != DEVMM_KIND_PRIVATE || !(caps & DEVMM_CAP_LARGE_FOLIOS)) {
		int i;

		for (i = 0; i < LARGE_TESTS; i++)
			tap_skip("no large device folios here", "%s: THP test", name);
		return;
	}
	raw = map_anon(len / psz + half, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	p = pmd_align_up(raw);
	madvise(p, len, MADV_HUGEPAGE);
	fill(p, np, 8);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, np, NULL, &cpages);
	ok(ret == 0 && cpages == np && count_snapshot(fd, p, np, 0x26) == np,
	   "%s: 4 MiB of THPs migrate as PMD-sized device folios (%s)", name, errname(ret));
	{
		/*
		 * Through another device, a device folio mapped by a PMD is
		 * "none" as its small pages are, not an error (the kernel's
		 * walk reports it as one).
		 */
		int oid = find_kind(DEVMM_KIND_COHERENT), ofd = oid >= 0 ? devmm_node_open(oid) : -1;

		ok(ofd >= 0 && count_snapshot(ofd, p, np, HMM_DMIRROR_PROT_NONE) == np,
		   "%s: a snapshot through another device shows its folios as not mapped there, "
		   "not as errors", name);
		if (ofd >= 0)
			close(ofd);
	}
	ok(*(volatile char *)p == *(char *)p && count_snapshot(fd, p, half, 0x26) == 0 &&
	   count_snapshot(fd, p + pmd, half, 0x26) == half,
	   "%s: a CPU fault brings the whole folio back, and only it", name);
	munmap(p + pmd + pmd / 4, pmd / 2);
	ok(check(p, half, 8) && count_snapshot(fd, p + pmd, half / 4, 0x22) == half / 4,
	   "%s: a partial munmap splits the other device folio; the rest stays on the device",
	   name);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, half, NULL, &cpages);
	ret = ret ? ret : devmm_range(fd, DEVMM_IOC_MIGRATE_TO_SYS, p, half, NULL, &cpages);
	ok(ret == 0 && cpages == half && check(p, half, 8),
	   "%s: migrating a device folio back counts all its pages (%s, %llu)", name,
	   errname(ret), (unsigned long long)cpages);
	/*
	 * MADV_NOHUGEPAGE on the way back: a CPU fault still brings the
	 * folio home whole (the kernel cannot split a device folio a fault
	 * holds), an explicit migration splits it into small pages.
	 */
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, half, NULL, &cpages);
	cp = ret ? 0 : count_snapshot(fd, p, half, 0x26);
	madvise(p, pmd, MADV_NOHUGEPAGE);
	ok(ret == 0 && cp == half && *(volatile char *)(p + 5 * psz) == *(char *)(p + 5 * psz) &&
	   count_snapshot(fd, p, half, 0x22) == 0 && check(p, half, 8),
	   "%s: under MADV_NOHUGEPAGE a CPU fault still brings the whole device folio back, "
	   "intact (%s)", name, errname(ret));
	madvise(p, pmd, MADV_HUGEPAGE);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, half, NULL, &cpages);
	cp = ret ? 0 : count_snapshot(fd, p, half, 0x26);
	madvise(p, pmd, MADV_NOHUGEPAGE);
	ret = ret ? ret : devmm_range(fd, DEVMM_IOC_MIGRATE_TO_SYS, p, half, NULL, &cpages);
	ok(ret == 0 && cp == half && cpages == half && count_snapshot(fd, p, half, 0x02) == half &&
	   check(p, half, 8),
	   "%s: under MADV_NOHUGEPAGE migrating a device folio back splits it: %llu small pages, "
	   "intact (%s)", name, (unsigned long long)cpages, errname(ret));
	munmap(raw, len + pmd);

	/* A THP and 512 small pages in one range: one large folio, 512 small. */
	raw = map_anon(len / psz + half, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	p = pmd_align_up(raw);
	madvise(p, pmd, MADV_HUGEPAGE);
	madvise(p + pmd, pmd, MADV_NOHUGEPAGE);
	fill(p, np, 9);
	buf = malloc(len);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, np, NULL, &cpages);
	cp = cpages;
	ret = ret || !buf ? ret : devmm_range(fd, DEVMM_IOC_READ, p, np, buf, &cpages);
	ok(ret == 0 && cp == np && count_snapshot(fd, p, 1, 0x26) == 1 &&
	   count_snapshot(fd, p + pmd, 1, 0x22) == 1 && check(buf, np, 9) && check(p, np, 9),
	   "%s: a range of a THP and small pages migrates as one folio and 512 pages, intact "
	   "through the device and the CPU (%s)", name, errname(ret));
	free(buf);
	munmap(raw, len + pmd);
	test_spares(fd, name);
}

static void test_device(unsigned int kind, const char *name)
{
	int id = find_kind(kind), fd;
	void *buf;

	if (id < 0) {
		ok(0, "%s: find the device", name);
		return;
	}
	fd = devmm_node_open(id);
	ok(fd >= 0, "%s: open /dev/devmm%d", name, id);
	buf = map_anon(4, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	test_bad_input(fd, buf);
	test_mappings(fd);
	test_roundtrip(fd, kind, name);
	test_lifetimes(fd, id, kind, name);
	test_pins(fd, kind, name);
	test_fault_around(fd, kind, name);
	test_large(fd, kind, name);
	munmap(buf, 4 * psz);
	close(fd);
	ok(used_pages(fd = devmm_node_open(id)) == 0, "%s: nothing left on the device", name);
	close(fd);
}

/* Tests per kind of device with memory. */
#define DEVICE_TESTS (47 + FAULT_AROUND_TESTS + LARGE_TESTS)

int main(int argc, char **argv)
{
	int expect_private = lane_env_num("LANE_EXPECT_PRIVATE");
	char params[128], *p;
	int ret, fd, id;

	if (argc != 2) {
		fprintf(stderr, "usage: %s devmm.ko\n", argv[0]);
		return 2;
	}
	psz = sysconf(_SC_PAGESIZE);
	tap_plan(2 * DEVICE_TESTS + 7);

	snprintf(params, sizeof(params), "private=%d coherent=%s", expect_private ? 1 : 0,
		 lane_env("LANE_COHERENT_A"));
	ret = devmm_load(argv[1], params);
	if (!ok(ret == 0, "load devmm %s (%s)", params, errname(ret)))
		return tap_done();
	{
		struct devmm_info info;

		test_module_info(&info);
		caps = info.caps;
	}
	if (expect_private) {
		test_device(DEVMM_KIND_PRIVATE, "private");
	} else {
		int i;

		for (i = 0; i < DEVICE_TESTS; i++)
			tap_skip("no device-private memory in this kernel", "private device test");
	}
	test_device(DEVMM_KIND_COHERENT, "coherent");
	ret = devmm_unload();
	ok(ret == 0, "unload (%s)", errname(ret));

	/* A device without memory reaches process memory, and cannot migrate. */
	ret = devmm_load(argv[1], "private=0 dmirror_compat=1");
	id = find_kind(DEVMM_KIND_MIRROR);
	fd = id >= 0 ? devmm_node_open(id) : -1;
	ok(ret == 0 && fd >= 0, "mirror-only device %d for hmm_dmirror0 (%s)", id, errname(ret));
	p = map_anon(8, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	fill(p, 8, 9);
	{
		char *buf = map_anon(8, PROT_READ | PROT_WRITE, MAP_PRIVATE);

		ret = devmm_range(fd, DEVMM_IOC_READ, p, 8, buf, NULL);
		ok(ret == 0 && check(buf, 8, 9), "mirror-only: device read (%s)", errname(ret));
		munmap(buf, 8 * psz);
	}
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, 8, NULL, NULL);
	ok(ret == -EOPNOTSUPP, "mirror-only: migration gives EOPNOTSUPP (%s)", errname(ret));
	ret = devmm_range(fd, DEVMM_IOC_EXCLUSIVE, p, 8, NULL, NULL);
	ok(expect_private ? ret == 0 : ret == -EOPNOTSUPP,
	   "mirror-only: exclusive access %s (%s)", expect_private ? "works" : "is unsupported",
	   errname(ret));
	close(fd);
	munmap(p, 8 * psz);
	ret = devmm_unload();
	ok(ret == 0, "unload (%s)", errname(ret));
	return tap_done();
}
