// SPDX-License-Identifier: GPL-2.0
/*
 * Targeted races, each one a bug a review found (and a test that failed
 * before its fix), run on each kind of device the kernel offers:
 *
 *  - a run of eviction victims split by mprotect() into two VMAs is evicted
 *    in full (it was never evicted: 0 bytes out of 2 MiB);
 *  - a device WRITE through a file while the same file migrates the range
 *    to the device and back is never lost (it landed in a page already
 *    copied, and went with it);
 *  - EXCLUSIVE against MADV_DONTNEED of the same page, each followed by a
 *    device READ: only ever the page's own content (the device table kept a
 *    freed page: a KASAN use-after-free in the debug lanes);
 *  - a device WRITE into fresh memory (its fault round shared with a helper)
 *    against MADV_DONTNEED, munmap and remap, and fork of the range;
 *  - a device READ into a fresh buffer (faulted in ahead by a helper)
 *    against MADV_DONTNEED, munmap and remap (anonymous or a shared memfd),
 *    and fork of the buffer; the same for test_hmm's MIGRATE_TO_DEV, whose
 *    helper starts before the migration;
 *  - a device READ of 1 GiB through fault rounds into a buffer of zero
 *    pages (the helper's copy-on-write breaks made the fault round's walks
 *    retry until they timed out: EBUSY);
 *  - a device WRITE of 64 MiB shared copy-on-write with a fork child (with
 *    two walkers entering pages, each invalidated the other's walks: EBUSY);
 *  - DESTROY against two threads evicting everything through the control
 *    node, with the pages at an address only the scan of every process finds
 *    (teardown freed the eviction state under them: KASAN, then an Oops);
 *  - a CPU fault on a 2 MiB device folio when no system THP can be had
 *    (fault injection: fail_thp_alloc) makes progress;
 *  - gup_test=1 refuses a plain get_user_pages with FOLL_LONGTERM (the
 *    kernel's warning about it panicked a panic_on_warn machine);
 *  - a coherent device only over an unclaimed Reserved range (it took MMIO
 *    and ranges with no memory behind them).
 *
 * Each race runs for DEVMM_RACE_SECONDS (default 4) seconds.  Without the
 * debug lanes' KASAN a use-after-free may pass unseen: there the tests check
 * what user space can see (contents, counts, errnos, a kernel that lives).
 *
 * usage: t_race /path/to/devmm.ko
 * lane environment: LANE_EXPECT_PRIVATE, LANE_COHERENT_A.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/devmm_hmm.h>
#include "devmm_test.h"

#define CAPACITY	(64 * MB)
/* Tests per device kind. */
#define KIND_TESTS	10
/* Idle processes with anonymous memory that the scan of every process walks. */
#define IDLE_PROCS	40

static int ctl;
static double race_seconds = 4;

static int create(unsigned int kind, unsigned long long base)
{
	return devmm_create_dev(ctl, kind, kind == DEVMM_KIND_PRIVATE ? CAPACITY : 0, base,
				kind == DEVMM_KIND_PRIVATE ? 0 : 128 * MB, DEVMM_POLICY_LRU);
}

static void fill(void *p, size_t len, uint64_t seed)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = seed ^ (i * 0x9e3779b97f4a7c15ULL);
}

static int verify(const void *p, size_t len, uint64_t seed)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != (seed ^ (i * 0x9e3779b97f4a7c15ULL)))
			return 0;
	return 1;
}

/* ---- a run of victims across a VMA boundary ---- */

static void test_evict_split(unsigned int id, int fd, const char *name)
{
	char *p = devmm_map_aligned(PMD, 0);
	unsigned long long moved = 0, got = 0, result = 0, left;
	int ret = -ENOMEM, split = -1;

	if (p) {
		fill(p, PMD, 41);
		ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, PMD / PG, NULL, &moved);
		split = mprotect(p + PMD / 2, PMD / 2, PROT_READ);
		if (!ret && !split)
			ret = devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, PMD, &result);
	}
	left = devmm_used(ctl, id);
	got = p && verify(p, PMD, 41);
	ok(!ret && !split && moved == PMD / PG && result == PMD && left == 0 && got,
	   "%s: 512 small pages on the device, the upper half mprotect()ed read-only: EVICT of "
	   "2 MiB evicts %llu KiB of 2048 (%s; %llu pages had moved, %llu KiB left), data intact",
	   name, result >> 10, errname(ret), moved, left >> 10);
	if (p)
		munmap(p, PMD);
}

/* ---- a device write while the same file migrates ---- */

struct migrator {
	int fd;
	char *p;
	unsigned long npages;
	volatile int stop;
	unsigned long rounds;
	int err;
};

static void *migrate_loop(void *arg)
{
	struct migrator *mg = arg;
	int ret;

	while (!mg->stop) {
		ret = devmm_range(mg->fd, DEVMM_IOC_MIGRATE_TO_DEV, mg->p, mg->npages, NULL, NULL);
		if (!ret)
			ret = devmm_range(mg->fd, DEVMM_IOC_MIGRATE_TO_SYS, mg->p, mg->npages, NULL,
					NULL);
		if (ret && ret != -EBUSY && !mg->err)
			mg->err = ret;
		mg->rounds++;
	}
	return NULL;
}

/* @npages: 64, one copy window; or several windows (@out faulted in beforehand). */
static void test_write_during_migrate(int fd, const char *name, unsigned long npages)
{
	size_t len = npages * PG;
	struct migrator mg = { .fd = fd, .npages = npages };
	uint64_t *in = malloc(len), *out = malloc(len);
	unsigned long rounds = 0, lost = 0, failed = 0, i;
	unsigned long long c;
	pthread_t t;
	double end;
	int ret, werr = 0;

	mg.p = devmm_map_aligned(len, 0);
	if (!mg.p || !in || !out || pthread_create(&t, NULL, migrate_loop, &mg)) {
		ok(0, "%s: device writes while the same file migrates (setup failed)", name);
		return;
	}
	memset(mg.p, 0, len);
	memset(out, 0, len);
	end = now() + race_seconds;
	for (uint64_t k = 1; now() < end; k++) {
		for (i = 0; i < len / 8; i++)
			in[i] = k;
		ret = devmm_range(fd, DEVMM_IOC_WRITE, mg.p, npages, in, &c);
		if (ret || c != npages) {
			failed++;
			if (ret != -EBUSY && !werr)
				werr = ret ? ret : -EIO;
			continue;
		}
		ret = devmm_range(fd, DEVMM_IOC_READ, mg.p, npages, out, &c);
		if (ret || c != npages) {
			failed++;
			if (ret != -EBUSY && !werr)
				werr = ret ? ret : -EIO;
			continue;
		}
		rounds++;
		for (i = 0; i < len / 8; i++) {
			if (out[i] != k) {
				if (!lost)
					tap_diag("%s: round %llu: word %lu reads %llu", name,
						 (unsigned long long)k, i,
						 (unsigned long long)out[i]);
				lost++;
				break;
			}
		}
	}
	mg.stop = 1;
	pthread_join(t, NULL);
	ok(!lost && rounds >= 5 && !werr && !mg.err,
	   "%s: device WRITE then READ of %lu pages while the same file migrates them to the "
	   "device and back: %lu of %lu rounds read an older stamp (%lu refused with EBUSY; "
	   "%lu migration rounds; errors: %s, %s)", name, npages, lost, rounds, failed,
	   mg.rounds, errname(werr), errname(mg.err));
	munmap(mg.p, len);
	free(in);
	free(out);
}

/* ---- EXCLUSIVE against MADV_DONTNEED ---- */

struct zapper {
	volatile int *a;
	volatile int stop;
	unsigned long zaps;
};

static void *zap_loop(void *arg)
{
	struct zapper *z = arg;

	while (!z->stop) {
		*z->a = 1;
		madvise((void *)z->a, PG, MADV_DONTNEED);
		z->zaps++;
	}
	return NULL;
}

static void test_exclusive_dontneed(int fd, int has_exclusive, const char *name)
{
	struct zapper z = { 0 };
	unsigned long grabs = 0, busy = 0, reads = 0, bad = 0, i;
	int *buf = malloc(PG), err = 0, ret;
	unsigned long long c;
	pthread_t t;
	double end;
	char *p;

	if (!has_exclusive) {
		tap_skip("no exclusive device access in this kernel (DEVMM_CAP_EXCLUSIVE)",
			 "%s: EXCLUSIVE and READ against MADV_DONTNEED", name);
		return;
	}
	p = devmm_map_aligned(PMD, 0);
	z.a = (volatile int *)p;
	if (!p || !buf || pthread_create(&t, NULL, zap_loop, &z)) {
		ok(0, "%s: EXCLUSIVE and READ against MADV_DONTNEED (setup failed)", name);
		return;
	}
	end = now() + race_seconds;
	while (now() < end) {
		ret = devmm_range(fd, DEVMM_IOC_EXCLUSIVE, p, 1, NULL, NULL);
		if (ret == -EBUSY) {
			busy++;
			continue;
		}
		if (ret) {
			err = err ? err : ret;
			continue;
		}
		grabs++;
		memset(buf, 0xa5, PG);
		ret = devmm_range(fd, DEVMM_IOC_READ, p, 1, buf, &c);
		if (ret) {
			if (ret != -EBUSY)
				err = err ? err : ret;
			continue;
		}
		reads++;
		/* The page holds 1 (written) or 0 (zapped), then zeros. */
		for (i = 1; i < PG / sizeof(int) && !buf[i]; i++)
			;
		if ((buf[0] != 0 && buf[0] != 1) || i < PG / sizeof(int))
			bad++;
	}
	z.stop = 1;
	pthread_join(t, NULL);
	ok(!bad && !err && reads > 0,
	   "%s: EXCLUSIVE then READ of a page another thread writes and MADV_DONTNEEDs: %lu of "
	   "%lu reads saw other data (%lu grabs, %lu EBUSY, %lu zaps; error %s)",
	   name, bad, reads, grabs, busy, z.zaps, errname(err));
	munmap(p, PMD);
	free(buf);
}

/* ---- a device WRITE into fresh memory against zaps, munmap and fork ---- */

struct unmapper {
	char *p;
	size_t len;
	int memfd;			/* >= 0: every other remap maps it, shared */
	volatile int stop;
	unsigned long zaps, remaps, forks;
	int err;
};

static void *unmap_loop(void *arg)
{
	struct unmapper *u = arg;
	unsigned long i;
	pid_t pid;

	for (i = 0; !u->stop; i++) {
		if (i % 8 == 3) {
			/* A hole for a moment, then fresh memory again. */
			int shared = u->memfd >= 0 && i % 16 == 3;

			munmap(u->p, u->len);
			if (mmap(u->p, u->len, PROT_READ | PROT_WRITE,
				 MAP_FIXED | (shared ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS),
				 shared ? u->memfd : -1, 0) == MAP_FAILED) {
				u->err = -errno;
				return NULL;
			}
			madvise(u->p, u->len, MADV_NOHUGEPAGE);
			u->remaps++;
		} else if (i % 8 == 6) {
			/* Copy-on-write for a moment: the device write breaks it. */
			pid = fork();
			if (!pid)
				_exit(0);
			if (pid > 0)
				waitpid(pid, NULL, 0);
			u->forks++;
		} else {
			madvise(u->p, u->len, MADV_DONTNEED);
			u->zaps++;
		}
		usleep(200);
	}
	return NULL;
}

/*
 * The fresh buffer of the races below: @len bytes of 4 KiB pages at u->p
 * (with a memfd of that size to map over it at times if @memfd), and
 * unmap_loop() on it in thread *@t.  Returns 0, or -1 if any of it failed.
 */
static int unmapper_start(struct unmapper *u, size_t len, int memfd, pthread_t *t)
{
	*u = (struct unmapper){ .len = len,
				.memfd = memfd ? memfd_create("t_race", MFD_CLOEXEC) : -1 };
	u->p = devmm_map_aligned(len, 0);
	if (!u->p || (memfd && (u->memfd < 0 || ftruncate(u->memfd, len))))
		return -1;
	madvise(u->p, len, MADV_NOHUGEPAGE);
	return pthread_create(t, NULL, unmap_loop, u) ? -1 : 0;
}

static void unmapper_stop(struct unmapper *u, pthread_t t)
{
	u->stop = 1;
	pthread_join(t, NULL);
}

/*
 * A device WRITE into fresh memory faults the range in (a fault round that
 * a helper shares, in private anonymous memory) while another thread zaps
 * the range, unmaps and remaps it, and forks: each WRITE succeeds or fails
 * with EFAULT (the hole) or EBUSY, and once the other thread is done a
 * WRITE lands whole.
 */
static void test_write_fresh_zap(int fd, const char *name)
{
	const unsigned long npages = 1024;
	size_t len = npages * PG;
	struct unmapper u;
	uint64_t *in = malloc(len), *out = malloc(len);
	unsigned long writes = 0, faults = 0, busy = 0;
	unsigned long long c = 0, c2 = 0;
	uint64_t k = 1;
	int err = 0, ret, ret2, good;
	pthread_t t;
	double end;

	if (!in || !out || unmapper_start(&u, len, 0, &t)) {
		ok(0, "%s: device WRITE into fresh memory against zaps (setup failed)", name);
		return;
	}
	for (end = now() + race_seconds; now() < end; k++) {
		fill(in, len, k);
		ret = devmm_range(fd, DEVMM_IOC_WRITE, u.p, npages, in, &c);
		if (!ret)
			writes++;
		else if (ret == -EFAULT)
			faults++;
		else if (ret == -EBUSY)
			busy++;
		else if (!err)
			err = ret;
	}
	unmapper_stop(&u, t);
	fill(in, len, k);
	ret = devmm_range(fd, DEVMM_IOC_WRITE, u.p, npages, in, &c);
	ret2 = ret ? ret : devmm_range(fd, DEVMM_IOC_READ, u.p, npages, out, &c2);
	good = !ret2 && c == npages && c2 == npages && verify(u.p, len, k) && verify(out, len, k);
	ok(!err && !u.err && good && writes > 0,
	   "%s: device WRITE of 1024 fresh pages while another thread zaps them, unmaps and "
	   "remaps them and forks: %lu written, %lu EFAULT, %lu EBUSY, other error %s (%lu zaps, "
	   "%lu remaps, %lu forks, %s); then a WRITE lands whole: %s (%s, %llu and %llu pages)",
	   name, writes, faults, busy, errname(err), u.zaps, u.remaps, u.forks, errname(u.err),
	   good ? "yes" : "NO", errname(ret2), c, c2);
	munmap(u.p, len);
	free(in);
	free(out);
}

/* ---- a device READ into a fresh buffer against zaps, munmap, remaps and fork ---- */

/*
 * A device READ of more than a copy window into a fresh buffer has a helper
 * fault the buffer in from its end while the caller pins and copies from
 * its start; the helper checks the mapping again under the mmap_lock it
 * faults with.  Another thread zaps the buffer, unmaps it and maps it again
 * (now fresh anonymous memory, now a shared memfd), and forks.  Each READ
 * succeeds or fails with EFAULT (the hole); once the other thread is done, a
 * READ into the buffer lands whole.
 */
static void test_read_fresh_zap(int fd, const char *name)
{
	const unsigned long npages = 2048;
	size_t len = npages * PG;
	struct unmapper u;
	unsigned long reads = 0, faults = 0;
	unsigned long long c = 0, moved = 0;
	int err = 0, ret, good;
	char *a = devmm_map_aligned(len, 0);
	pthread_t t;
	double end;

	if (a) {
		fill(a, len, 7);
		/* On the device where it can go (the READ works either way). */
		devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, a, npages, NULL, &moved);
	}
	if (!a || unmapper_start(&u, len, 1, &t)) {
		ok(0, "%s: device READ into a fresh buffer against zaps (setup failed)", name);
		return;
	}
	for (end = now() + race_seconds; now() < end;) {
		ret = devmm_range(fd, DEVMM_IOC_READ, a, npages, u.p, &c);
		if (!ret)
			reads++;
		else if (ret == -EFAULT)
			faults++;
		else if (!err)
			err = ret;
	}
	unmapper_stop(&u, t);
	madvise(u.p, len, MADV_DONTNEED);
	ret = devmm_range(fd, DEVMM_IOC_READ, a, npages, u.p, &c);
	good = !ret && c == npages && verify(u.p, len, 7) && verify(a, len, 7);
	ok(!err && !u.err && good && reads > 0,
	   "%s: device READ of 2048 pages (%llu on the device) into a fresh buffer while "
	   "another thread zaps it, unmaps it and maps it again (anonymous or a shared memfd) "
	   "and forks: %lu read, %lu EFAULT, other error %s (%lu zaps, %lu remaps, %lu forks, "
	   "%s); then a READ lands whole: %s (%s, %llu pages)",
	   name, moved, reads, faults, errname(err), u.zaps, u.remaps, u.forks, errname(u.err),
	   good ? "yes" : "NO", errname(ret), c);
	munmap(u.p, len);
	munmap(a, len);
	close(u.memfd);
}

/* ---- MIGRATE_TO_DEV (test_hmm's ABI) into a fresh buffer against zaps ---- */

/*
 * test_hmm's MIGRATE_TO_DEV migrates a range and reads it back into a
 * buffer.  For a range of one PMD block of small pages, a helper faults a
 * fresh buffer in on another CPU from before the migration, and the read
 * then drives it.  Another thread zaps the buffer, unmaps it and maps it
 * again (anonymous or a shared memfd), and forks (which write-protects the
 * range, so a read back may find an entry gone: ENOENT after the retries).
 * Each call succeeds or fails with EFAULT or ENOENT; the range keeps its
 * data; once the other thread is done, a call lands whole.
 */
static int dmirror_cmd(int fd, unsigned long cmd, void *addr, void *ptr, unsigned long npages,
		       unsigned long long *cpages)
{
	struct hmm_dmirror_cmd h = { .addr = (uintptr_t)addr, .ptr = (uintptr_t)ptr,
				     .npages = npages };
	int ret = ioctl(fd, cmd, &h) ? -errno : 0;

	*cpages = h.cpages;
	return ret;
}

static void test_migrate_fresh_zap(int fd, const char *name)
{
	const unsigned long npages = 512;
	size_t len = npages * PG;
	struct unmapper u;
	unsigned long calls = 0, faults = 0, gone = 0;
	unsigned long long c = 0;
	int err = 0, ret, good;
	char *a = devmm_map_aligned(len, 0);
	pthread_t t;
	double end;

	if (a) {
		madvise(a, len, MADV_NOHUGEPAGE);
		fill(a, len, 9);
	}
	if (!a || unmapper_start(&u, len, 1, &t)) {
		ok(0, "%s: MIGRATE_TO_DEV into a fresh buffer against zaps (setup failed)", name);
		return;
	}
	for (end = now() + race_seconds; now() < end;) {
		ret = dmirror_cmd(fd, HMM_DMIRROR_MIGRATE_TO_DEV, a, u.p, npages, &c);
		if (!ret)
			calls++;
		else if (ret == -EFAULT)
			faults++;
		else if (ret == -ENOENT)
			gone++;
		else if (!err)
			err = ret;
		/* Back, so that the next call migrates again. */
		ret = dmirror_cmd(fd, HMM_DMIRROR_MIGRATE_TO_SYS, a, NULL, npages, &c);
		if (ret && !err)
			err = ret;
	}
	unmapper_stop(&u, t);
	madvise(u.p, len, MADV_DONTNEED);
	ret = dmirror_cmd(fd, HMM_DMIRROR_MIGRATE_TO_DEV, a, u.p, npages, &c);
	good = !ret && c == npages && verify(u.p, len, 9) && verify(a, len, 9);
	ok(!err && !u.err && good && calls > 0,
	   "%s: MIGRATE_TO_DEV (test_hmm's ABI) of 512 pages read back into a fresh buffer "
	   "while another thread zaps it, unmaps it and maps it again (anonymous or a shared "
	   "memfd) and forks: %lu done, %lu EFAULT, %lu ENOENT, other error %s (%lu zaps, "
	   "%lu remaps, %lu forks, %s); then a call lands whole: %s (%s, %llu pages)",
	   name, calls, faults, gone, errname(err), u.zaps, u.remaps, u.forks, errname(u.err),
	   good ? "yes" : "NO", errname(ret), c);
	munmap(u.p, len);
	munmap(a, len);
	close(u.memfd);
}

/* ---- a device READ through fault rounds into a buffer of zero pages ---- */

/*
 * A device READ of 1 GiB of system memory (not in the device's table yet:
 * fault rounds) into a buffer read before, every page of it the zero page.
 * The helper that faults the buffer in ahead breaks copy-on-write on each
 * of them, and each break invalidates every walk of the mirror: with the
 * helper going on to the buffer's start, the caller's fault round retried
 * its walks until the walk timed out (EBUSY).  The helper now stops at the
 * first invalidation; the READ must land whole.
 */
static void test_read_zero_pages(int fd, const char *name)
{
	const unsigned long npages = (1UL << 30) / PG;
	size_t len = npages * PG, i;
	char *a = devmm_map_aligned(len, 0), *p = devmm_map_aligned(len, 0);
	unsigned long long c = 0;
	volatile char sum = 0;
	int ret = -ENOMEM, good = 0;
	double t = 0;

	if (a && p) {
		madvise(a, len, MADV_NOHUGEPAGE);
		madvise(p, len, MADV_NOHUGEPAGE);
		fill(a, len, 9);
		for (i = 0; i < len; i += PG)
			sum += p[i];
		t = now();
		ret = devmm_range(fd, DEVMM_IOC_READ, a, npages, p, &c);
		t = now() - t;
		good = !ret && c == npages && verify(p, len, 9);
	}
	ok(good, "%s: device READ of 1 GiB through fault rounds into a buffer of zero pages "
	   "lands whole: %s (%s, %llu pages, %.2f s)", name, good ? "yes" : "NO", errname(ret), c,
	   t);
	if (a)
		munmap(a, len);
	if (p)
		munmap(p, len);
}

/* ---- a device WRITE into a large range shared copy-on-write ---- */

/*
 * A device WRITE of 64 MiB shared copy-on-write with a fork child: every
 * page's write fault breaks copy-on-write, which invalidates every walk of
 * the mirror.  With the fault round shared by two walkers that each entered
 * pages in the table, each invalidated the other's walk page after page, and
 * the round ran into the walk's timeout (EBUSY; hmm-tests' anon_write_child
 * on the 6.12 lane).  The WRITE must land whole, and the child keep its
 * contents.
 */
static void test_write_cow(int fd, const char *name)
{
	const unsigned long npages = 16384;
	size_t len = npages * PG;
	char *p = devmm_map_aligned(len, 0);
	uint64_t *in = malloc(len);
	unsigned long long c = 0;
	int pipefd[2] = { -1, -1 }, status = -1, ret = -ENOMEM;
	double t0 = now(), secs = 0;
	pid_t pid = -1;
	char go = 1;

	if (p && in && !pipe(pipefd)) {
		madvise(p, len, MADV_NOHUGEPAGE);
		fill(p, len, 51);
		fill(in, len, 52);
		pid = fork();
		if (!pid) {
			/* Wait for the parent's WRITE, then check the child's copy. */
			if (read(pipefd[0], &go, 1) != 1)
				_exit(2);
			_exit(verify(p, len, 51) ? 0 : 1);
		}
	}
	if (pid > 0) {
		t0 = now();
		ret = devmm_range(fd, DEVMM_IOC_WRITE, p, npages, in, &c);
		secs = now() - t0;
		if (write(pipefd[1], &go, 1) != 1)
			kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ok(!ret && c == npages && verify(p, len, 52) && WIFEXITED(status) &&
	   !WEXITSTATUS(status),
	   "%s: device WRITE of 64 MiB shared copy-on-write with a fork child lands whole in "
	   "%.2f s (%s, %llu pages), and the child keeps its copy (status 0x%x)", name, secs,
	   errname(ret), c, status);
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	if (p)
		munmap(p, len);
	free(in);
}

/* ---- DESTROY against EVICT of everything ---- */

struct evictor {
	unsigned int id;
	volatile int stop;
	unsigned long calls;
	int err;
};

static void *evict_loop(void *arg)
{
	struct evictor *e = arg;
	int ret;

	while (!e->stop) {
		ret = devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, e->id, 0, NULL);
		if (ret && ret != -ENODEV && ret != -EBUSY && !e->err)
			e->err = ret;
		e->calls++;
	}
	return NULL;
}

static void test_destroy_evict(unsigned int kind, unsigned long long base, const char *name)
{
	const size_t len = 4 * MB;
	unsigned long rounds = 0, evicts = 0, intact = 0;
	int err = 0, ret = 0, destroyed = 0;
	double end = now() + race_seconds;

	while (!err && (now() < end || !rounds)) {
		struct evictor e = { 0 };
		pthread_t t[2];
		int id, fd, j, started = 0;
		unsigned long long moved = 0;
		char *p, *q = NULL;

		id = create(kind, base);
		fd = id < 0 ? -1 : devmm_node_open(id);
		p = devmm_map_aligned(len, 0);
		if (id < 0 || fd < 0 || !p) {
			tap_diag("round %lu: create %d, open %d, map %s", rounds, id, fd,
				 p ? "ok" : "failed");
			err = id < 0 ? id : -EIO;
		} else {
			fill(p, len, 51 + rounds);
			ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, len / PG, NULL, &moved);
			/*
			 * Migration is best effort: a page the kernel would not
			 * move at that moment (locked, or being migrated by
			 * compaction) moves on a second call, which counts every
			 * page of the range on the device.  Once on the debug7
			 * lane, 6 of 1024 pages stayed behind.
			 */
			for (j = 0; !ret && moved != len / PG && j < 3; j++) {
				tap_diag("round %lu: %llu of %zu pages moved; once more", rounds,
					 moved, len / PG);
				ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, len / PG, NULL,
						  &moved);
			}
			/* Away from the recorded address: only the scan of every process finds it. */
			q = mmap(NULL, len + PMD, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (!ret && q != MAP_FAILED)
				q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
					   pmd_align_up(q));
			if (ret || q == MAP_FAILED || moved != len / PG) {
				tap_diag("round %lu: migrate %s, %llu of %zu pages; mremap %s", rounds,
					 errname(ret), moved, len / PG,
					 q == MAP_FAILED ? "failed" : "ok");
				err = ret ? ret : -EIO;
			}
		}
		if (err) {
			/* Leave nothing behind for the programs after this one. */
			if (fd >= 0)
				close(fd);
			if (id >= 0)
				devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, id, 0, NULL);
			break;
		}
		e.id = id;
		for (j = 0; j < 2; j++)
			started += !pthread_create(&t[j], NULL, evict_loop, &e);
		usleep(1000 * (rounds % 5));
		/* DESTROY gives EBUSY while the evictors hold pages in flight. */
		for (j = 0; j < 100; j++) {
			ret = devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, id, 0, NULL);
			if (ret != -EBUSY)
				break;
		}
		e.stop = 1;
		for (j = 0; j < started; j++)
			pthread_join(t[j], NULL);
		if (ret || e.err || started != 2)
			err = ret ? ret : e.err ? e.err : -EAGAIN;
		destroyed += !ret;
		evicts += e.calls;
		intact += verify(q, len, 51 + rounds);
		close(fd);
		munmap(q, len);
		rounds++;
	}
	ok(!err && destroyed == (int)rounds && intact == rounds,
	   "%s: DESTROY while two threads EVICT everything, pages mremap()ed away from their "
	   "recorded address, %d idle processes: %d of %lu rounds destroyed, %lu intact, %lu "
	   "evictions (%s)", name, IDLE_PROCS, destroyed, rounds, intact, evicts, errname(err));
}

/* ---- a CPU fault on a large device folio with no system THP to be had ---- */

static int set_fail_thp(unsigned int n)
{
	FILE *f = fopen("/sys/module/devmm/parameters/fail_thp_alloc", "w");
	int ret;

	if (!f)
		return -errno;
	ret = fprintf(f, "%u\n", n) < 0 ? -EIO : 0;
	return fclose(f) ? -errno : ret;
}

/*
 * A review feared that a CPU fault on a PMD-mapped device folio cannot
 * make progress without a system THP, and would repeat forever (unkillable
 * from a kernel access).  With every THP allocation failing (fault
 * injection: fail_thp_alloc) and the folio shared with a fork child, a
 * read() into the buffer must complete with the file's data, and a user
 * write in another child must complete (an alarm kills it if it loops).
 * Should nothing move, the fault gives up after a few tries with
 * VM_FAULT_OOM: read() would then give EFAULT, which fails this test too.
 */
static void test_fault_no_thp(int fd, int has_large)
{
	const char *name = "private: CPU faults on a 2 MiB device folio with no system THP";
	int tmp = -1, read_err = 0, done = 0, ret = -1, status, injected = 0;
	unsigned long long moved = 0;
	unsigned char snap = 0;
	char *p = NULL, *raw;
	pid_t pid, sleeper = -1;
	double t0, t_read = 0;
	ssize_t got = -1;
	char v[32] = "";
	FILE *f;

	if (!has_large) {
		tap_skip("no large device folios in this kernel (DEVMM_CAP_LARGE_FOLIOS)", "%s",
			 name);
		return;
	}
	raw = mmap(NULL, 2 * PMD, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw != MAP_FAILED) {
		p = pmd_align_up(raw);
		madvise(p, PMD, MADV_HUGEPAGE);
		fill(p, PMD, 61);
		ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, PMD / PG, NULL, &moved);
		devmm_range(fd, DEVMM_IOC_SNAPSHOT, p, 1, &snap, NULL);
	}
	tmp = open("/tmp", O_TMPFILE | O_RDWR, 0600);
	/* 0x24: on this device, mapped by a PMD. */
	if (ret || moved != PMD / PG || (snap & 0xf4) != 0x24 || tmp < 0 ||
	    pwrite(tmp, "x", 1, PMD - 1) != 1 || set_fail_thp(1U << 30)) {
		ok(0, "%s (setup: %s, %llu pages moved, snapshot 0x%02x)", name, errname(ret),
		   moved, snap);
		goto out;
	}
	sleeper = fork();
	if (sleeper == 0) {
		for (;;)
			pause();
	}
	t0 = now();
	got = pread(tmp, p, PMD, 0);
	read_err = got < 0 ? errno : 0;
	t_read = now() - t0;
	pid = fork();
	if (pid == 0) {
		alarm(20);
		p[PMD / 2] = 1;
		_exit(0);
	}
	done = waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status);
	f = fopen("/sys/module/devmm/parameters/fail_thp_alloc", "r");
	if (f && fgets(v, sizeof(v), f))
		injected = (1U << 30) - atoi(v);
	if (f)
		fclose(f);
	ok(got == (ssize_t)PMD && p[0] == 0 && p[PMD - 1] == 'x' && done && injected > 0,
	   "%s (%d THP allocations failed), shared with a fork child: read() into it completes "
	   "in %.2f s (%zd bytes, %s), a child's write completes", name, injected, t_read, got,
	   got < 0 ? strerror(read_err) : "no error");
out:
	if (sleeper > 0) {
		kill(sleeper, SIGKILL);
		waitpid(sleeper, NULL, 0);
	}
	set_fail_thp(0);
	if (tmp >= 0)
		close(tmp);
	if (raw != MAP_FAILED)
		munmap(raw, 2 * PMD);
}

/* ---- gup_test=1: no long-term get ---- */

struct gup_cmd {
	uint64_t get_delta_usec, put_delta_usec, addr, size;
	uint32_t nr_pages_per_call, gup_flags, test_flags, which_pages[8];
};

/*
 * The kernel warns (panic_on_warn: panics) when a plain get_user_pages is
 * asked for FOLL_LONGTERM; devmm's gup_test must refuse it first.  The
 * flag's value differs between kernels (6.1: 0x10000; 6.5 and later: 0x100):
 * both are tried, and each must give EINVAL.
 */
static void test_gup_longterm(int kernel_has_gup_test)
{
	static const uint32_t longterm[] = { 0x10000, 0x100 };
	static const unsigned long cmds[] = { _IOWR('g', 4, struct gup_cmd),
					      _IOWR('g', 1, struct gup_cmd) };
	char *p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd, bad = 0, i, j;

	if (kernel_has_gup_test) {
		tap_skip("the kernel's own gup_test is there (devmm's is not loaded)",
			 "gup_test: GUP_BASIC_TEST and GUP_FAST_BENCHMARK refuse FOLL_LONGTERM");
		return;
	}
	fd = open("/sys/kernel/debug/gup_test", O_RDWR | O_CLOEXEC);
	for (i = 0; fd >= 0 && p != MAP_FAILED && i < 2; i++) {
		for (j = 0; j < 2; j++) {
			struct gup_cmd g = { .addr = (uintptr_t)p, .size = 4 * PG,
					     .gup_flags = longterm[i] | 1 };

			memset(p, 1, 4 * PG);
			if (!ioctl(fd, cmds[j], &g) || errno != EINVAL) {
				tap_diag("gup_test: command %d with flags 0x%x: %s", j,
					 g.gup_flags, errname(-errno));
				bad++;
			}
		}
	}
	ok(fd >= 0 && !bad, "gup_test: GUP_BASIC_TEST and GUP_FAST_BENCHMARK refuse "
	   "FOLL_LONGTERM with EINVAL (%d wrong, file %s)", bad, fd >= 0 ? "open" : "missing");
	if (fd >= 0)
		close(fd);
	munmap(p, 4 * PG);
}

/* ---- coherent ranges: only an unclaimed Reserved entry ---- */

static void test_coherent_ranges(void)
{
	/* 64 GiB: past the guest's memory; 3 GiB: the PCI hole (MMIO). */
	static const unsigned long long bases[] = { 64ULL << 30, 3ULL << 30 };
	int ret[2], i, id;

	for (i = 0; i < 2; i++) {
		id = create(DEVMM_KIND_COHERENT, bases[i]);
		ret[i] = id;
		if (id >= 0)
			devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, id, 0, NULL);
	}
	ok(ret[0] == -EINVAL && ret[1] == -EINVAL,
	   "coherent CREATE refuses ranges outside a Reserved entry of /proc/iomem: no memory "
	   "at all (%s), the PCI hole (%s)", errname(ret[0] < 0 ? ret[0] : 0),
	   errname(ret[1] < 0 ? ret[1] : 0));
}

/* Idle processes with anonymous memory: more for the scan of every process to walk. */
static pid_t idle[IDLE_PROCS];

static void idle_start(void)
{
	int i;

	for (i = 0; i < IDLE_PROCS; i++) {
		idle[i] = fork();
		if (!idle[i]) {
			char *m = mmap(NULL, 8 * MB, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (m != MAP_FAILED)
				memset(m, 1, 8 * MB);
			for (;;)
				pause();
		}
	}
}

static void idle_stop(void)
{
	int i;

	for (i = 0; i < IDLE_PROCS; i++) {
		if (idle[i] > 0) {
			kill(idle[i], SIGKILL);
			waitpid(idle[i], NULL, 0);
		}
	}
}

static void test_kind(unsigned int kind, unsigned long long base, int has_exclusive,
		      int has_large)
{
	const char *name = kind == DEVMM_KIND_PRIVATE ? "private" : "coherent";
	int id = create(kind, base), fd = id < 0 ? -1 : devmm_node_open(id), ret;

	if (!ok(id >= 0 && fd >= 0, "%s: a device and its node (%s)", name,
		errname(id < 0 ? id : fd < 0 ? -errno : 0))) {
		for (int i = 0; i < KIND_TESTS + (kind == DEVMM_KIND_PRIVATE); i++)
			ok(0, "%s: race (no device)", name);
		return;
	}
	test_evict_split(id, fd, name);
	test_write_during_migrate(fd, name, 64);
	test_write_during_migrate(fd, name, 1100);
	test_exclusive_dontneed(fd, has_exclusive, name);
	test_write_fresh_zap(fd, name);
	test_read_fresh_zap(fd, name);
	test_migrate_fresh_zap(fd, name);
	test_read_zero_pages(fd, name);
	test_write_cow(fd, name);
	if (kind == DEVMM_KIND_PRIVATE)
		test_fault_no_thp(fd, has_large);
	close(fd);
	ret = devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, id, 0, NULL);
	if (ret)
		tap_diag("%s: DESTROY after the races: %s", name, errname(ret));
	test_destroy_evict(kind, base, name);
}

int main(int argc, char **argv)
{
	int expect_private = lane_env_num("LANE_EXPECT_PRIVATE");
	uint64_t base, size;
	struct devmm_info info = {};
	int ret, kernel_gup;

	if (argc != 2) {
		fprintf(stderr, "usage: %s devmm.ko\n", argv[0]);
		return 2;
	}
	if (getenv("DEVMM_RACE_SECONDS"))
		race_seconds = atof(getenv("DEVMM_RACE_SECONDS"));
	lane_range(lane_env("LANE_COHERENT_A"), &base, &size);
	/* Per kind: the device, KIND_TESTS races; private: the fault without THP. */
	tap_plan(4 + 2 * (KIND_TESTS + 1) + 1);
	kernel_gup = !access("/sys/kernel/debug/gup_test", F_OK);
	ret = devmm_load(argv[1], "private=0 gup_test=1");
	ctl = open(DEVMM_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (!ok(ret == 0 && ctl >= 0 && !test_module_info(&info), "load devmm private=0 gup_test=1 (%s)",
		errname(ret)))
		return tap_done();
	test_coherent_ranges();
	tap_diag("each race runs %.1f s (DEVMM_RACE_SECONDS)", race_seconds);
	idle_start();
	if (expect_private) {
		test_kind(DEVMM_KIND_PRIVATE, 0, !!(info.caps & DEVMM_CAP_EXCLUSIVE),
			  !!(info.caps & DEVMM_CAP_LARGE_FOLIOS));
	} else {
		for (int i = 0; i < KIND_TESTS + 2; i++)
			tap_skip("no device-private memory in this kernel", "private: race");
	}
	test_kind(DEVMM_KIND_COHERENT, base, !!(info.caps & DEVMM_CAP_EXCLUSIVE), 0);
	idle_stop();
	/* Last: before its fix, it panicked the machine. */
	test_gup_longterm(kernel_gup);
	close(ctl);
	ret = devmm_unload();
	ok(ret == 0, "unload after the races (%s)", errname(ret));
	return tap_done();
}
