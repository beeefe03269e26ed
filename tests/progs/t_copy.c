// SPDX-License-Identifier: GPL-2.0
/*
 * Device reads and writes through the mirror, by the kind of user buffer
 * (ptr) they copy to or from: the copy pins ptr's pages (faulting them in)
 * and copies page to page, and falls back to the uaccess path where pages
 * cannot be pinned.  On each kind of device the kernel offers, with the
 * range in system memory and on the device, ptr is:
 *
 *  - fresh (never touched), THP-backed, shmem, hugetlb, 100 bytes into a
 *    page (each table page then spans two user pages);
 *  - device memory itself (a range migrated to the same device; on a
 *    coherent device also its mmap() buffer, which cannot be pinned);
 *  - read-only: a READ into it is -EFAULT and writes nothing, a WRITE from
 *    it works; a WRITE into a read-only range is -EPERM and changes nothing;
 *  - from a fork child through its parent's file: EPERM, before the buffer
 *    is touched;
 *  - overlapping the range: the result is memmove()'s, as if the whole
 *    source was read before anything was written (it failed before the fix:
 *    the copy, page by page, read what it had just written); with a hole in
 *    the buffer or the range, the access stops where the access in order
 *    would and leaves the memory past the hole alone;
 *  - fresh, more than two windows, for a READ of a range with a hole: EFAULT
 *    at the hole, and nothing written past it (a helper faults the buffer in
 *    from its end meanwhile).
 *
 * usage: t_copy /path/to/devmm.ko
 * lane environment: LANE_EXPECT_PRIVATE, LANE_COHERENT_A.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "devmm_test.h"

/* More than two copy windows (512 pages each), not a whole number of them. */
#define NPAGES		1100UL
#define LEN		(NPAGES * PG)
#define CAPACITY	(64 * MB)
/* Tests per device kind and place of the range (system, device). */
#define PLACE_TESTS	16
/* Tests per device kind, besides those. */
#define KIND_TESTS	8

static int ctl;

/* A test that could not run for want of its setup. */
#define fail(...) ok(0, __VA_ARGS__)

/* The range: filled with @seed, then on the device if @on_dev. */
static char *range_make(int fd, uint64_t seed, int on_dev)
{
	char *a = devmm_map_aligned(LEN, 0);
	unsigned long long moved = 0;

	if (!a)
		return NULL;
	pattern_fill(a, LEN, seed);
	if (on_dev) {
		int ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, a, NPAGES, NULL, &moved);

		if (ret || moved != NPAGES) {
			tap_diag("migration of the range to the device: %s, %llu of %lu pages",
				 errname(ret), moved, NPAGES);
			munmap(a, LEN);
			return NULL;
		}
	}
	return a;
}

/*
 * READ the range into @ptr, or WRITE @ptr (filled with @seed) into it, then
 * check what the device wrote (@ptr, or the range) against @seed.
 */
static void check_xfer(int fd, char *a, char *ptr, uint64_t seed, int write, const char *what,
		       const char *name, const char *place)
{
	unsigned long long got = 0;
	long bad = -2;
	int ret;

	ret = devmm_range(fd, write ? DEVMM_IOC_WRITE : DEVMM_IOC_READ, a, NPAGES, ptr, &got);
	if (!ret)
		bad = pattern_bad_word(write ? a : ptr, LEN, seed);
	ok(!ret && got == NPAGES && bad == -1,
	   "%s, range in %s: %s of %lu pages %s %s (%s, %llu pages, first bad word %ld)",
	   name, place, write ? "WRITE" : "READ", NPAGES, write ? "from" : "into", what,
	   errname(ret), got, bad);
}

/* nr_hugepages as it was, or -1 if unreadable. */
static long hugepages_get(void)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static void hugepages_set(long n)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "w");

	if (f) {
		fprintf(f, "%ld\n", n);
		fclose(f);
	}
}

/* The ptr kinds that hold data: read into them, write from them. */
static void test_ptr_kinds(int fd, int id, int coherent, const char *name, int on_dev)
{
	const char *place = on_dev ? "device memory" : "system memory";
	size_t hlen = (LEN + PMD - 1) & ~(PMD - 1);
	char *a, *p;
	long huge;
	int mfd;

	/* Fresh: never touched, 4 KiB pages, then THPs. */
	a = range_make(fd, 1, on_dev);
	p = devmm_map_aligned(LEN, 0);
	if (a && p)
		check_xfer(fd, a, p, 1, 0, "a fresh buffer", name, place);
	else
		fail("%s, range in %s: setup", name, place);
	if (p)
		munmap(p, LEN);
	p = devmm_map_aligned(hlen, 1);
	if (a && p)
		check_xfer(fd, a, p, 1, 0, "a fresh THP buffer", name, place);
	else
		fail("%s, range in %s: setup (THP)", name, place);
	if (p) {
		/* Faulted in as THPs now: the other way. */
		pattern_fill(p, LEN, 2);
		check_xfer(fd, a, p, 2, 1, "a THP buffer", name, place);
		munmap(p, hlen);
	} else {
		fail("%s, range in %s: setup (THP write)", name, place);
	}

	/* 100 bytes into a page: each table page spans two user pages. */
	p = devmm_map_aligned(LEN + PG, 0);
	if (a && p) {
		check_xfer(fd, a, p + 100, 2, 0, "a buffer at page offset 100", name, place);
		pattern_fill(p + 100, LEN, 3);
		check_xfer(fd, a, p + 100, 3, 1, "a buffer at page offset 100", name, place);
	} else {
		fail("%s, range in %s: setup (offset)", name, place);
		fail("%s, range in %s: setup (offset write)", name, place);
	}
	if (p)
		munmap(p, LEN + PG);

	/*
	 * Faulted in (filled) beforehand: no helper faults it in, and each
	 * window's copy is shared; also at a page offset, where each table
	 * page spans two user pages.
	 */
	p = devmm_map_aligned(LEN + PG, 0);
	if (a && p) {
		pattern_fill(p, LEN + PG, 9);
		check_xfer(fd, a, p, 3, 0, "a buffer faulted in", name, place);
		pattern_fill(p, LEN + PG, 9);
		check_xfer(fd, a, p + 100, 3, 0, "a buffer faulted in, at page offset 100", name,
			   place);
	} else {
		fail("%s, range in %s: setup (faulted)", name, place);
		fail("%s, range in %s: setup (faulted, offset)", name, place);
	}
	if (p)
		munmap(p, LEN + PG);

	/*
	 * Shared copy-on-write with a fork child: the READ (its pinning shared
	 * among CPUs) breaks COW in this process only; the child, which waits
	 * on a pipe, still sees the old contents.
	 */
	p = devmm_map_aligned(LEN, 0);
	if (a && p) {
		int go[2], res[2], pipes = !pipe(go) && !pipe(res);
		char r = 'x';
		pid_t pid;

		pattern_fill(p, LEN, 5);
		pid = pipes ? fork() : -1;
		if (pid == 0) {
			r = read(go[0], &r, 1) == 1 && pattern_bad_word(p, LEN, 5) == -1 ? 'y' : 'n';
			_exit(write(res[1], &r, 1) == 1 ? 0 : 1);
		}
		check_xfer(fd, a, p, 3, 0, "a buffer shared copy-on-write with a fork child", name,
			   place);
		if (pid > 0 && write(go[1], "g", 1) == 1 && read(res[0], &r, 1) != 1)
			r = 'x';
		if (pid > 0)
			waitpid(pid, NULL, 0);
		ok(r == 'y', "%s, range in %s: ... and the child still reads its old contents (%c)",
		   name, place, r);
		if (pipes) {
			close(go[0]);
			close(go[1]);
			close(res[0]);
			close(res[1]);
		}
	} else {
		fail("%s, range in %s: setup (COW)", name, place);
		fail("%s, range in %s: setup (COW child)", name, place);
	}
	if (p)
		munmap(p, LEN);

	/* shmem. */
	mfd = memfd_create("t_copy", MFD_CLOEXEC);
	p = mfd >= 0 && !ftruncate(mfd, LEN) ?
	    mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0) : MAP_FAILED;
	if (a && p != MAP_FAILED) {
		check_xfer(fd, a, p, 3, 0, "shmem (memfd)", name, place);
		munmap(p, LEN);
	} else {
		fail("%s, range in %s: setup (shmem)", name, place);
	}
	if (mfd >= 0)
		close(mfd);

	/* hugetlb: 2 MiB pages reserved for the test, then given back. */
	huge = hugepages_get();
	if (huge >= 0)
		hugepages_set(huge + hlen / PMD);
	p = mmap(NULL, hlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
		 -1, 0);
	if (p == MAP_FAILED) {
		tap_skip("no 2 MiB hugetlb pages to be had", "%s, range in %s: READ into hugetlb",
			 name, place);
	} else {
		if (a)
			check_xfer(fd, a, p, 3, 0, "hugetlb memory", name, place);
		else
			fail("%s, range in %s: setup (hugetlb)", name, place);
		munmap(p, hlen);
	}
	if (huge >= 0)
		hugepages_set(huge);

	/* Device memory: a range migrated to this very device. */
	p = range_make(fd, 9, 1);
	if (a && p) {
		check_xfer(fd, a, p, 3, 0, "a buffer on the same device", name, place);
		munmap(p, LEN);
	} else {
		fail("%s, range in %s: setup (ptr on the device)", name, place);
	}

	/* A coherent device's mmap() buffer (VM_PFNMAP: not pinnable). */
	if (coherent) {
		int nfd = devmm_node_open(id);

		p = nfd >= 0 ? mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, nfd, 0) :
			       MAP_FAILED;
		if (a && p != MAP_FAILED) {
			check_xfer(fd, a, p, 3, 0, "the device's mmap() buffer", name, place);
			munmap(p, LEN);
		} else {
			fail("%s, range in %s: setup (mmap buffer)", name, place);
		}
		if (nfd >= 0)
			close(nfd);
	} else {
		tap_skip("only coherent devices can be mmap()ed",
			 "%s, range in %s: READ into the device's mmap() buffer", name, place);
	}

	/* Read-only ptr: nothing written into it; WRITE from it is fine. */
	p = devmm_map_aligned(LEN, 0);
	if (a && p) {
		unsigned long long got = 0;
		int ret;

		pattern_fill(p, LEN, 7);
		mprotect(p, LEN, PROT_READ);
		ret = devmm_range(fd, DEVMM_IOC_READ, a, NPAGES, p, &got);
		ok(ret == -EFAULT && pattern_bad_word(p, LEN, 7) == -1,
		   "%s, range in %s: READ into a read-only buffer is EFAULT (%s), writes nothing",
		   name, place, errname(ret));
		check_xfer(fd, a, p, 7, 1, "a read-only buffer", name, place);
	} else {
		fail("%s, range in %s: setup (read-only)", name, place);
		fail("%s, range in %s: setup (read-only write)", name, place);
	}
	if (p)
		munmap(p, LEN);

	/* A read-only range: WRITE is EPERM and changes nothing. */
	p = devmm_map_aligned(LEN, 0);
	if (a && p) {
		unsigned long long got = 0;
		int ret;

		pattern_fill(p, LEN, 8);
		mprotect(a, LEN, PROT_READ);
		ret = devmm_range(fd, DEVMM_IOC_WRITE, a, NPAGES, p, &got);
		ok(ret == -EPERM && pattern_bad_word(a, LEN, 7) == -1,
		   "%s, range in %s: WRITE into a read-only range is EPERM (%s), changes nothing",
		   name, place, errname(ret));
	} else {
		fail("%s, range in %s: setup (read-only range)", name, place);
	}
	if (p)
		munmap(p, LEN);
	if (a)
		munmap(a, LEN);
}

/*
 * The range and ptr overlap, ptr @shift pages above (or, negative, below)
 * the range: READ and WRITE leave what memmove() would.
 */
static void test_overlap(int fd, const char *name, long shift)
{
	size_t span = LEN + labs(shift) * PG;
	char *m = devmm_map_aligned(span, 0), *a, *p;
	unsigned long long got = 0;
	long bad = -2;
	int ret;

	if (!m) {
		fail("%s: setup (overlap)", name);
		fail("%s: setup (overlap)", name);
		return;
	}
	a = shift >= 0 ? m : m - shift * PG;
	p = a + shift * PG;

	/* READ [a, a + LEN) into p: p then holds a's old contents. */
	pattern_fill(a, LEN, 11);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, a, NPAGES, NULL, NULL);
	if (!ret)
		ret = devmm_range(fd, DEVMM_IOC_READ, a, NPAGES, p, &got);
	if (!ret)
		bad = pattern_bad_word(p, LEN, 11);
	ok(!ret && got == NPAGES && bad == -1,
	   "%s: READ of %lu pages on the device into the same memory %+ld pages off: as "
	   "memmove() (%s, first bad word %ld)", name, NPAGES, shift, errname(ret), bad);

	/* WRITE p into [a, a + LEN): a then holds p's old contents. */
	pattern_fill(p, LEN, 12);
	got = 0;
	bad = -2;
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, a, NPAGES, NULL, NULL);
	if (!ret)
		ret = devmm_range(fd, DEVMM_IOC_WRITE, a, NPAGES, p, &got);
	if (!ret)
		bad = pattern_bad_word(a, LEN, 12);
	ok(!ret && got == NPAGES && bad == -1,
	   "%s: WRITE of %lu pages on the device from the same memory %+ld pages off: as "
	   "memmove() (%s, first bad word %ld)", name, NPAGES, shift, errname(ret), bad);
	munmap(m, span);
}

/*
 * A fork child's WRITE through its parent's file is EPERM, whatever its
 * buffer: here one that overlaps the range and is not mapped (the overlap
 * path copied it in first, and said EFAULT: t_fuzz's errno check saw it).
 */
static void test_child_overlap(int fd, const char *name)
{
	char *p = devmm_map_aligned(LEN + PG, 0);
	int status = -1;
	pid_t pid;

	if (p)
		munmap(p, LEN + PG);
	pid = p ? fork() : -1;
	if (pid == 0)
		_exit(devmm_range(fd, DEVMM_IOC_WRITE, p, NPAGES, p + PG, NULL) == -EPERM ? 0 : 1);
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "%s: a fork child's WRITE through the parent's file, from an unmapped buffer that "
	   "overlaps the range, is EPERM (child status 0x%x)", name, status);
}

/*
 * An overlapping access that cannot be done whole must stop where the same
 * access in order would, at its first unreachable page, and touch nothing
 * past it.  Here ptr (inside the range) is a hole, and past it lies other
 * memory of this process (@other): the access is EFAULT and @other stays
 * as it was (the overlap path once copied its last chunk first, into memory
 * far past the hole: t_fuzz saw another thread's stack zeroed).
 */
/*
 * One overlapping access pair over a mapping of 1048 pages with an 8-page
 * hole at page @hole: the range at page @range, the buffer at page @buf
 * (1024 pages each).  Both must fail with EFAULT and leave the memory past
 * the hole as it was; returns the first changed word there (-1: none).
 */
static long overlap_stop(int fd, size_t hole, size_t range, size_t buf, int *rd, int *wr)
{
	size_t n = 1024, span = (n + 24) * PG, past = (hole + 8) * PG;
	char *m = devmm_map_aligned(span, 0);
	long bad;

	*rd = *wr = -1;
	if (!m)
		return -2;
	munmap(m + hole * PG, 8 * PG);
	pattern_fill(m, hole * PG, 21);
	pattern_fill(m + past, span - past, 22);
	*rd = devmm_range(fd, DEVMM_IOC_READ, m + range * PG, n, m + buf * PG, NULL);
	*wr = devmm_range(fd, DEVMM_IOC_WRITE, m + range * PG, n, m + buf * PG, NULL);
	bad = pattern_bad_word(m + past, span - past, 22);
	munmap(m, hole * PG);
	munmap(m + past, span - past);
	return bad;
}

static void test_overlap_stop(int fd, const char *name)
{
	int rd, wr;
	long bad = overlap_stop(fd, 8, 0, 8, &rd, &wr);

	ok(rd == -EFAULT && wr == -EFAULT && bad == -1,
	   "%s: READ and WRITE of 1024 pages into and from a buffer inside the range that "
	   "starts in a hole: EFAULT (%s, %s), and the memory past the hole is untouched "
	   "(first bad word %ld)", name, errname(rd), errname(wr), bad);
	/* The other way round: the buffer below the range, a hole 8 pages into the range. */
	bad = overlap_stop(fd, 16, 8, 0, &rd, &wr);
	ok(rd == -EFAULT && wr == -EFAULT && bad == -1,
	   "%s: READ and WRITE of 1024 pages into and from a buffer below the range, with a "
	   "hole 8 pages into the range: EFAULT (%s, %s), and the memory past the hole is "
	   "untouched (first bad word %ld)", name, errname(rd), errname(wr), bad);
}

/*
 * A READ of the range with a hole at page HOLE into a fresh buffer: a
 * helper faults the buffer in from its end while the caller copies from its
 * start.  The READ is -EFAULT; each page before the hole holds its data or,
 * if the access stopped before copying it, zeroes; nothing is written past
 * the hole: the rest of the buffer reads as zeroes, and a page of it filled
 * beforehand keeps its contents.
 */
#define HOLE	700UL
#define KEPT	900UL

/* The first word of @p (@npages pages) in a page neither zero nor @seed's pattern; or -1. */
static long bad_or_zero(const char *p, unsigned long npages, uint64_t seed)
{
	const uint64_t *w = (const uint64_t *)p, words = PG / 8;
	unsigned long i, j;

	for (i = 0; i < npages; i++) {
		for (j = 0; j < words && !w[i * words + j]; j++)
			;
		if (j == words)
			continue;
		for (j = 0; j < words; j++)
			if (w[i * words + j] != pattern_word(seed, i * words + j))
				return i * words + j;
	}
	return -1;
}

static void test_read_stop(int fd, const char *name, int on_dev)
{
	char *a = range_make(fd, 41, on_dev), *ptr = devmm_map_aligned(LEN, 0);
	long bad = -2, kept = -2, zero = -2;
	unsigned long i;
	int ret = -ENOMEM;

	if (a && ptr) {
		madvise(ptr, LEN, MADV_NOHUGEPAGE);
		pattern_fill(ptr + KEPT * PG, PG, 42);
		munmap(a + HOLE * PG, PG);
		ret = devmm_range(fd, DEVMM_IOC_READ, a, NPAGES, ptr, NULL);
		bad = bad_or_zero(ptr, HOLE, 41);
		kept = pattern_bad_word(ptr + KEPT * PG, PG, 42);
		zero = -1;
		for (i = HOLE * PG; i < LEN && zero == -1; i += 8)
			if ((i < KEPT * PG || i >= (KEPT + 1) * PG) && *(uint64_t *)(ptr + i))
				zero = i / 8;
	}
	ok(ret == -EFAULT && bad == -1 && kept == -1 && zero == -1,
	   "%s, range in %s: READ of %lu pages with a hole at page %lu into a fresh buffer: "
	   "EFAULT (%s), the pages before the hole hold their data or zeroes (first bad word "
	   "%ld), nothing written past the hole (first non-zero word %ld, a page filled before: "
	   "first bad word %ld)", name, on_dev ? "device memory" : "system memory", NPAGES,
	   HOLE, errname(ret), bad, zero, kept);
	if (a) {
		munmap(a, HOLE * PG);
		munmap(a + (HOLE + 1) * PG, LEN - (HOLE + 1) * PG);
	}
	if (ptr)
		munmap(ptr, LEN);
}

static void test_kind(unsigned int kind, uint64_t base)
{
	const char *name = kind == DEVMM_KIND_PRIVATE ? "private" : "coherent";
	int id, fd = -1, on_dev, i, ret;

	id = devmm_create_dev(ctl, kind, kind == DEVMM_KIND_PRIVATE ? CAPACITY : 0, base,
			      kind == DEVMM_KIND_PRIVATE ? 0 : 128 * MB, DEVMM_POLICY_LRU);
	if (id >= 0)
		fd = devmm_node_open(id);
	if (!ok(id >= 0 && fd >= 0, "%s: create a device and open it (%s)", name,
		errname(id < 0 ? id : 0))) {
		for (i = 0; i < 2 * PLACE_TESTS + KIND_TESTS; i++)
			fail("%s: no device", name);
		return;
	}
	for (on_dev = 0; on_dev < 2; on_dev++)
		test_ptr_kinds(fd, id, kind == DEVMM_KIND_COHERENT, name, on_dev);
	test_overlap(fd, name, 1);
	test_overlap_stop(fd, name);
	test_child_overlap(fd, name);
	for (on_dev = 0; on_dev < 2; on_dev++)
		test_read_stop(fd, name, on_dev);
	close(fd);
	/* Everything was unmapped: nothing may be left on the device. */
	ret = devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, id, 0, NULL);
	if (ret) {
		struct devmm_dev_query q = { .id = id };

		ioctl(ctl, DEVMM_IOC_QUERY, &q);
		tap_diag("%s: %llu KiB still in use on the device", name, q.info.used >> 10);
	}
	ok(ret == 0, "%s: destroy the device (%s)", name, errname(ret));
}

int main(int argc, char **argv)
{
	int expect_private = lane_env_num("LANE_EXPECT_PRIVATE");
	uint64_t base, size;
	int ret, i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s devmm.ko\n", argv[0]);
		return 2;
	}
	lane_range(lane_env("LANE_COHERENT_A"), &base, &size);
	tap_plan(2 + 2 * (2 * PLACE_TESTS + KIND_TESTS + 1));
	ret = devmm_load(argv[1], "private=0");
	ctl = open(DEVMM_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (!ok(ret == 0 && ctl >= 0, "load devmm private=0 (%s)", errname(ret)))
		return tap_done();
	if (expect_private) {
		test_kind(DEVMM_KIND_PRIVATE, 0);
	} else {
		for (i = 0; i < 2 * PLACE_TESTS + KIND_TESTS + 1; i++)
			tap_skip("no device-private memory in this kernel", "private: copy");
	}
	test_kind(DEVMM_KIND_COHERENT, base);
	close(ctl);
	ret = devmm_unload();
	ok(ret == 0, "unload (%s)", errname(ret));
	return tap_done();
}
