// SPDX-License-Identifier: GPL-2.0
/*
 * Direct mapping of device memory: mmap() of a coherent device's node.
 * Fault counts (a first write costs exactly one fault, a read then a write
 * exactly two), zeroed pages, contents through the CPU and through the
 * device mirror across partial munmap, mremap and fork, refusals (private
 * or mirror-only devices, MAP_PRIVATE, offsets, oversize), capacity and
 * eviction, and destroy while mapped.
 *
 * usage: t_mmap /path/to/devmm.ko
 * lane environment: LANE_EXPECT_PRIVATE, LANE_COHERENT_A.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "devmm_test.h"

#define NPAGES 256UL

static size_t psz;
static int ctl;

static struct devmm_dev_info info(int fd)
{
	struct devmm_dev_info i = {};

	if (ioctl(fd, DEVMM_IOC_DEV_INFO, &i))
		tap_diag("DEV_INFO: %s", strerror(errno));
	return i;
}

/* mmap(@len) of @fd; MAP_FAILED's errno as -errno. */
static char *map(int fd, size_t len, int flags, off_t off, int *err)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);

	*err = p == MAP_FAILED ? -errno : 0;
	return p;
}

static uint64_t word(uint64_t seed, size_t page)
{
	return seed * 0x9e3779b97f4a7c15ULL + page;
}

/* One word per page, at a page-dependent offset. */
static void stamp(char *p, size_t npages, uint64_t seed)
{
	size_t i;

	for (i = 0; i < npages; i++)
		*(uint64_t *)(p + i * psz + (i % 64) * 8) = word(seed, i);
}

/* Whether the stamps of pages [first, first + n) of @p are there. */
static int stamped(const char *p, size_t first, size_t n, uint64_t seed)
{
	size_t i;

	for (i = first; i < first + n; i++)
		if (*(const uint64_t *)(p + (i - first) * psz + (i % 64) * 8) != word(seed, i))
			return 0;
	return 1;
}

/* Read @n pages at @p through the device; stamps checked as for stamped(). */
static int device_stamped(int fd, const char *p, size_t first, size_t n, uint64_t seed)
{
	char *buf = malloc(n * psz);
	int ret = buf && devmm_range(fd, DEVMM_IOC_READ, (void *)p, n, buf, NULL) == 0 &&
		  stamped(buf, first, n, seed);

	free(buf);
	return ret;
}

static void test_faults(int fd)
{
	size_t len = NPAGES * psz, i;
	struct devmm_dev_info a, b;
	volatile char *p;
	int err, zero = 1;

	a = info(fd);
	p = map(fd, len, MAP_SHARED, 0, &err);
	b = info(fd);
	ok(!err && b.map_bytes - a.map_bytes == len && b.used - a.used == len,
	   "mmap of %lu pages takes them from the device (%s)", NPAGES, errname(err));
	if (err)
		return;
	for (i = 0; i < NPAGES; i++)
		p[i * psz + 1] = 1;
	b = info(fd);
	ok(b.map_write_faults - a.map_write_faults == NPAGES &&
	   b.map_read_faults == a.map_read_faults && b.map_mkwrite == a.map_mkwrite,
	   "writing each page once costs exactly one fault per page (%llu write, %llu read, %llu mkwrite)",
	   b.map_write_faults - a.map_write_faults, b.map_read_faults - a.map_read_faults,
	   b.map_mkwrite - a.map_mkwrite);
	for (i = 0; i < NPAGES; i++)
		p[i * psz + 2] = 2;
	a = info(fd);
	ok(a.map_write_faults == b.map_write_faults && a.map_mkwrite == b.map_mkwrite,
	   "writing them again costs no fault");
	munmap((void *)p, len);
	b = info(fd);
	ok(b.map_bytes == a.map_bytes - len && b.used == a.used - len,
	   "munmap gives the pages back to the device");

	/* Read first, then write. */
	a = info(fd);
	p = map(fd, len, MAP_SHARED, 0, &err);
	if (err)
		return;
	for (i = 0; i < NPAGES * psz; i += 8)
		zero &= *(volatile uint64_t *)(p + i) == 0;
	b = info(fd);
	ok(zero, "a new buffer reads as zeros");
	ok(b.map_read_faults - a.map_read_faults == NPAGES && b.map_write_faults == a.map_write_faults,
	   "reading each page costs one read fault (%llu)", b.map_read_faults - a.map_read_faults);
	for (i = 0; i < NPAGES; i++)
		p[i * psz] = 3;
	a = info(fd);
	ok(a.map_mkwrite - b.map_mkwrite == NPAGES && a.map_write_faults == b.map_write_faults,
	   "then writing it costs exactly one more: the mkwrite upgrade (%llu)",
	   a.map_mkwrite - b.map_mkwrite);
	munmap((void *)p, len);
}

static void test_contents(int fd)
{
	size_t len = NPAGES * psz, q = len / 4;
	struct devmm_dev_info a, b;
	char *p, *r, *buf = malloc(len);
	int err, status;
	pid_t pid;

	a = info(fd);
	p = map(fd, len, MAP_SHARED, 0, &err);
	if (err || !buf) {
		ok(0, "mmap for the contents tests (%s)", errname(err));
		return;
	}
	stamp(p, NPAGES, 1);
	ok(device_stamped(fd, p, 0, NPAGES, 1),
	   "the device reads what the CPU wrote, through the mirror");
	stamp(buf, NPAGES, 2);
	ok(devmm_range(fd, DEVMM_IOC_WRITE, p, NPAGES, buf, NULL) == 0 && stamped(p, 0, NPAGES, 2),
	   "the CPU reads what the device wrote");

	/* Partial munmap: the rest stays, and stays the same. */
	munmap(p + q, q);
	b = info(fd);
	ok(stamped(p, 0, NPAGES / 4, 2) && stamped(p + 2 * q, NPAGES / 2, NPAGES / 2, 2) &&
	   device_stamped(fd, p + 2 * q, NPAGES / 2, NPAGES / 2, 2) &&
	   b.map_bytes == a.map_bytes + len,
	   "after a partial munmap the rest keeps its contents (CPU and device)");
	ok(devmm_range(fd, DEVMM_IOC_READ, p + q, 1, buf, NULL) == -EFAULT,
	   "the device gets EFAULT in the hole");

	/* mremap the last half elsewhere. */
	r = mremap(p + 2 * q, 2 * q, 2 * q, MREMAP_MAYMOVE | MREMAP_FIXED,
		   mmap(NULL, 2 * q, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	ok(r != MAP_FAILED && stamped(r, NPAGES / 2, NPAGES / 2, 2) &&
	   device_stamped(fd, r, NPAGES / 2, NPAGES / 2, 2),
	   "mremap moves the mapping with its contents (CPU and device)");
	ok(mremap(r, 2 * q, 4 * q, 0) == MAP_FAILED, "it cannot grow");

	/* A fork child shares the buffer. */
	pid = fork();
	if (pid == 0) {
		stamp(r, NPAGES / 2, 3);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && stamped(r, 0, NPAGES / 2, 3) &&
	   device_stamped(fd, r, 0, NPAGES / 2, 3),
	   "a fork child shares the buffer: the parent and the device see its writes");
	munmap(p, q);
	munmap(r, 2 * q);
	b = info(fd);
	ok(b.map_bytes == a.map_bytes && b.used == a.used,
	   "the last munmap frees the whole buffer (%llu bytes left)", b.map_bytes - a.map_bytes);
	free(buf);
}

/* Buffers stay on the device: eviction leaves them, allocation works around. */
static void test_eviction(int id, int fd)
{
	size_t len = 16 * MB;
	char *p, *anon;
	struct devmm_dev_info a;
	int err;

	p = map(fd, len, MAP_SHARED, 0, &err);
	if (err) {
		ok(0, "mmap 16 MiB (%s)", errname(err));
		return;
	}
	stamp(p, len / psz, 4);
	anon = mmap(NULL, 64 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(anon, 5, 64 * MB);
	/* The device holds 64 MiB: 16 of buffer, the rest migrated memory. */
	err = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, anon, 64 * MB / psz, NULL, NULL);
	a = info(fd);
	ok(!err && a.used <= a.capacity && a.map_bytes == len && stamped(p, 0, len / psz, 4),
	   "migrating 64 MiB into a 64 MiB device holding a 16 MiB buffer evicts around it (%s)",
	   errname(err));
	err = devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	a = info(fd);
	ok(!err && a.used == len && stamped(p, 0, len / psz, 4) &&
	   device_stamped(fd, p, 0, len / psz, 4),
	   "evict-all leaves the buffer in place, intact (%s, %llu MiB used)", errname(err),
	   a.used / MB);
	err = devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, id, 0, NULL);
	ok(err == -EBUSY, "a device with a live buffer cannot be destroyed (%s)", errname(err));
	munmap(anon, 64 * MB);
	munmap(p, len);
}

int main(int argc, char **argv)
{
	unsigned long long a = lane_range_base(lane_env("LANE_COHERENT_A"));
	int ret, id, mid, fd, mfd, err;
	char *p;

	if (argc != 2) {
		fprintf(stderr, "usage: %s devmm.ko\n", argv[0]);
		return 2;
	}
	psz = sysconf(_SC_PAGESIZE);
	tap_plan(27);
	ret = devmm_load(argv[1], "private=0");
	ctl = open(DEVMM_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (!ok(ret == 0 && ctl >= 0, "load devmm private=0 (%s)", errname(ret)))
		return tap_done();
	id = devmm_create_dev(ctl, DEVMM_KIND_COHERENT, 0, a, 128 * MB, 0);
	ret = id < 0 ? id : devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, id, 64 * MB, NULL);
	fd = id < 0 ? -1 : devmm_node_open(id);
	if (!ok(ret == 0 && fd >= 0, "a coherent device, capacity 64 MiB (%s)", errname(ret)))
		return tap_done();

	/* Refusals. */
	p = map(fd, psz, MAP_PRIVATE, 0, &err);
	ok(err == -EINVAL, "MAP_PRIVATE is refused with EINVAL (%s)", errname(err));
	p = map(fd, psz, MAP_SHARED, psz, &err);
	ok(err == -EINVAL, "a non-zero offset is refused with EINVAL (%s)", errname(err));
	p = map(fd, 128 * MB, MAP_SHARED, 0, &err);
	ok(err == -ENOMEM, "more than the capacity is refused with ENOMEM (%s)", errname(err));
	mid = devmm_create_dev(ctl, DEVMM_KIND_MIRROR, 0, 0, 0, 0);
	mfd = mid < 0 ? -1 : devmm_node_open(mid);
	p = map(mfd, psz, MAP_SHARED, 0, &err);
	ok(err == -ENODEV, "a mirror-only device refuses mmap with ENODEV (%s)", errname(err));
	close(mfd);
	devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, mid, 0, NULL);
	if (lane_env_num("LANE_EXPECT_PRIVATE")) {
		mid = devmm_create_dev(ctl, DEVMM_KIND_PRIVATE, 64 * MB, 0, 0, 0);
		mfd = mid < 0 ? -1 : devmm_node_open(mid);
		p = map(mfd, psz, MAP_SHARED, 0, &err);
		ok(err == -ENODEV, "a private device refuses mmap with ENODEV (%s)", errname(err));
		close(mfd);
		devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, mid, 0, NULL);
	} else {
		tap_skip("no device-private memory in this kernel", "private device refuses mmap");
	}
	(void)p;

	test_faults(fd);
	test_contents(fd);
	test_eviction(id, fd);

	close(fd);
	ret = devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, id, 0, NULL);
	ok(ret == 0, "destroy once unmapped (%s)", errname(ret));
	close(ctl);
	ret = devmm_unload();
	ok(ret == 0, "unload (%s)", errname(ret));
	return tap_done();
}
