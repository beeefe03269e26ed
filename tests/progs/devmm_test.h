/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by devmm's test programs. */
#ifndef DEVMM_TEST_H
#define DEVMM_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/devmm.h>
#include "devmm_load.h"
#include "tap.h"

#define DEVMM_CONTROL_PATH "/dev/" DEVMM_CONTROL_NAME

/* The page size the tests assume (x86-64), a MiB, and a PMD's 2 MiB. */
#define PG		4096UL
#define MB		(1024UL * 1024)
#define PMD		(2 * MB)

/* The number of elements of the array @a. */
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* The first 2 MiB (PMD) boundary at or after @p. */
static inline char *pmd_align_up(const void *p)
{
	const uintptr_t pmd = 2UL << 20;

	return (char *)(((uintptr_t)p + pmd - 1) & ~(pmd - 1));
}

/*
 * @len bytes of anonymous memory at a 2 MiB boundary, THPs asked for
 * (@thp) or refused; NULL if it cannot be mapped.
 */
static inline char *devmm_map_aligned(size_t len, int thp)
{
	const size_t pmd = 2UL << 20;
	char *p = mmap(NULL, len + pmd, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0), *q;

	if (p == MAP_FAILED)
		return NULL;
	q = pmd_align_up(p);
	if (q > p)
		munmap(p, q - p);
	munmap(q + len, p + pmd - q);
	madvise(q, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	return q;
}

/* Base and size of a lane range "SIZE@ADDR" (SIZE may end in K, M or G). */
static inline void lane_range(const char *r, uint64_t *base, uint64_t *size)
{
	char *end;

	*size = strtoull(r, &end, 0);
	switch (*end) {
	case 'G': *size <<= 30; end++; break;
	case 'M': *size <<= 20; end++; break;
	case 'K': *size <<= 10; end++; break;
	}
	*base = strtoull(end + 1, NULL, 0);
}

/*
 * A test's random seed when -s gave none: the environment variable @env
 * (replaying a run), else one from the clock and the pid.
 */
static inline uint64_t lane_seed(const char *env)
{
	struct timespec ts;

	if (getenv(env))
		return strtoull(getenv(env), NULL, 0);
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_sec * 1000000007ULL) ^ ts.tv_nsec ^ getpid();
}

/* The address of a lane range "SIZE@ADDR". */
static inline uint64_t lane_range_base(const char *r)
{
	uint64_t base, size;

	lane_range(r, &base, &size);
	return base;
}

/* Seconds on the monotonic clock. */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The next number of the splitmix64 stream whose state is *@s. */
static inline uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Word @i of the test pattern @seed: unique per word and seed. */
static inline uint64_t pattern_word(uint64_t seed, size_t i)
{
	return (seed << 40) ^ (i * 0x9e3779b97f4a7c15ULL);
}

/* Fill @len bytes at @p with the pattern @seed. */
static inline void pattern_fill(void *p, size_t len, uint64_t seed)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = pattern_word(seed, i);
}

/* The index of the first word of @p that is not the pattern @seed's, or -1. */
static inline long pattern_bad_word(const void *p, size_t len, uint64_t seed)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != pattern_word(seed, i))
			return i;
	return -1;
}

/* Whether @len bytes at @p hold the pattern @seed. */
static inline int pattern_ok(const void *p, size_t len, uint64_t seed)
{
	return pattern_bad_word(p, len, seed) < 0;
}

static inline int devmm_loaded(void)
{
	return access("/sys/module/devmm", F_OK) == 0;
}

/*
 * What the module is and can do: DEVMM_IOC_INFO on a fresh fd of the
 * control device; 0 or -errno.  (Not devmm_info(): that is libdevmm's.)
 */
static inline int test_module_info(struct devmm_info *info)
{
	int fd = open(DEVMM_CONTROL_PATH, O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	if (ioctl(fd, DEVMM_IOC_INFO, info))
		ret = -errno;
	close(fd);
	return ret;
}

/* "EINVAL"-style name of a negative errno, for test names and diagnostics. */
static inline const char *errname(int neg)
{
	switch (-neg) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case EFAULT: return "EFAULT";
	case ENOENT: return "ENOENT";
	case EEXIST: return "EEXIST";
	case EBUSY: return "EBUSY";
	case EAGAIN: return "EAGAIN";
	case EPERM: return "EPERM";
	case ENOMEM: return "ENOMEM";
	case ENODEV: return "ENODEV";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case E2BIG: return "E2BIG";
	default: return strerror(-neg);
	}
}

/*
 * DEVMM_IOC_CREATE on the control node @ctl: a private device of @capacity
 * bytes, or a coherent one over [@base, @base + @size), evicting by
 * @policy; the new id or -errno.
 */
static inline int devmm_create_dev(int ctl, unsigned int kind, uint64_t capacity,
				   uint64_t base, uint64_t size, unsigned int policy)
{
	struct devmm_create c = { .kind = kind, .capacity = capacity, .base = base,
				  .size = size, .policy = policy };

	return ioctl(ctl, DEVMM_IOC_CREATE, &c) ? -errno : (int)c.id;
}

/* A device command (DEVMM_IOC_EVICT, DESTROY, ...) on @ctl; 0 or -errno. */
static inline int devmm_dev_cmd(int ctl, unsigned long cmd, unsigned int id, uint64_t value,
				unsigned long long *result)
{
	struct devmm_dev_cmd c = { .id = id, .value = value };
	int ret = ioctl(ctl, cmd, &c) ? -errno : 0;

	if (result)
		*result = c.result;
	return ret;
}

/* A device's statistics: DEVMM_IOC_DEV_INFO on a file of its node; 0 or -errno. */
static inline int test_dev_info(int fd, struct devmm_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	return ioctl(fd, DEVMM_IOC_DEV_INFO, info) ? -errno : 0;
}

/*
 * Bytes of device memory in use on device @id (DEVMM_IOC_QUERY on the
 * control node @ctl); ~0 if there is no such device.
 */
static inline unsigned long long devmm_used(int ctl, unsigned int id)
{
	struct devmm_dev_query q = { .id = id };

	return ioctl(ctl, DEVMM_IOC_QUERY, &q) || q.info.id != id ? ~0ULL : q.info.used;
}

/*
 * "exclusive access in the mix": whether the module offers exclusive
 * device access (@caps) where the lane's kernel has it (LANE_EXPECT_CAPS);
 * skipped on the lanes whose kernel has not.
 */
static inline void ok_exclusive_in_mix(unsigned long long caps)
{
	if (lane_env_num("LANE_EXPECT_CAPS") & DEVMM_CAP_EXCLUSIVE)
		ok(caps & DEVMM_CAP_EXCLUSIVE, "exclusive access in the mix (caps 0x%llx)", caps);
	else
		tap_skip("no exclusive device access in this kernel (DEVMM_CAP_EXCLUSIVE)",
			 "exclusive access in the mix");
}

/* A new file of device @id's node, or -1 (errno set). */
static inline int devmm_node_open(unsigned int id)
{
	char path[32];

	snprintf(path, sizeof(path), "/dev/" DEVMM_NODE_PREFIX "%u", id);
	return open(path, O_RDWR | O_CLOEXEC);
}

/*
 * A range command with DEVMM_RANGE_* @flags on a device file; 0 or -errno,
 * *@cpages (the pages it handled) if not NULL.
 */
static inline int devmm_range_flags(int fd, unsigned long cmd, const void *addr,
				    unsigned long npages, void *ptr, unsigned int flags,
				    unsigned long long *cpages)
{
	struct devmm_range_cmd c = { .addr = (uintptr_t)addr, .npages = npages,
				     .ptr = (uintptr_t)ptr, .flags = flags };
	int ret = ioctl(fd, cmd, &c) ? -errno : 0;

	if (cpages)
		*cpages = c.cpages;
	return ret;
}

/* A range command on a device file; 0 or -errno, *@cpages if not NULL. */
static inline int devmm_range(int fd, unsigned long cmd, const void *addr,
			      unsigned long npages, void *ptr, unsigned long long *cpages)
{
	return devmm_range_flags(fd, cmd, addr, npages, ptr, 0, cpages);
}

#endif /* DEVMM_TEST_H */
