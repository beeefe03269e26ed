// SPDX-License-Identifier: GPL-2.0
/*
 * Eviction: finite device memory, oversubscription, LRU and FIFO policies,
 * eviction on demand, capacity changes, runtime create/destroy (also under
 * load), unload with pages on a device, and a concurrency run.  Prints the
 * eviction throughput as a "# bench:" line.
 *
 * usage: t_evict /path/to/devmm.ko
 * lane environment: LANE_EXPECT_PRIVATE, LANE_COHERENT_A, LANE_COHERENT_B.
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

#define CAPACITY (64 * MB)

static size_t psz;
static int ctl;

static int query(unsigned int id, struct devmm_dev_info *info)
{
	struct devmm_dev_query q = { .id = id };
	int ret = ioctl(ctl, DEVMM_IOC_QUERY, &q) ? -errno : 0;

	if (!ret)
		*info = q.info;
	return ret;
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Lines of /proc/iomem that name devmm. */
static int iomem_devmm_ranges(void)
{
	FILE *f = fopen("/proc/iomem", "r");
	char line[256];
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		n += strstr(line, "devmm") != NULL;
	if (f)
		fclose(f);
	return n;
}

/* How many of [p, p + len)'s snapshot bytes b have (b & @mask) == @want. */
static unsigned long snapshot_count(int fd, void *p, size_t len, uint8_t mask, uint8_t want)
{
	unsigned long n = len / psz, i, count = 0;
	uint8_t *b = malloc(n);

	if (!b || devmm_range(fd, DEVMM_IOC_SNAPSHOT, p, n, b, NULL)) {
		free(b);
		return ~0UL;
	}
	for (i = 0; i < n; i++)
		count += (b[i] & mask) == want;
	free(b);
	return count;
}

/* Pages of [p, p + len) the snapshot shows on device @fd's own memory. */
static unsigned long on_device(int fd, void *p, size_t len, unsigned int kind)
{
	return snapshot_count(fd, p, len, 0xf0, kind == DEVMM_KIND_PRIVATE ? 0x20 : 0x40);
}

/* Say where @buf first differs from the pattern, and that page's state. */
static void diag_mismatch(int fd, const void *p, const void *buf, size_t len, uint64_t seed)
{
	const uint64_t *w = buf;
	uint8_t b = 0xee;
	size_t i;

	for (i = 0; i < len / 8 && w[i] == pattern_word(seed, i); i++)
		;
	if (i == len / 8)
		return;
	devmm_range(fd, DEVMM_IOC_SNAPSHOT, (char *)p + i * 8 / psz * psz, 1, &b, NULL);
	tap_diag("first difference at page %zu word %zu: 0x%llx, expected 0x%llx; snapshot 0x%02x",
		 i * 8 / psz, i % (psz / 8), (unsigned long long)w[i],
		 (unsigned long long)pattern_word(seed, i), b);
}

/* Device read of the whole range, checked against the pattern. */
static int device_verify(int fd, void *p, size_t len, uint64_t seed)
{
	void *buf = map_anon(len);
	unsigned long long cpages = 0;
	int good, ret;

	ret = buf ? devmm_range(fd, DEVMM_IOC_READ, p, len / psz, buf, &cpages) : -ENOMEM;
	good = !ret && cpages == len / psz && pattern_ok(buf, len, seed);
	if (!good && !ret)
		diag_mismatch(fd, p, buf, len, seed);
	else if (ret)
		tap_diag("device read: %s after %llu pages", errname(ret),
			 (unsigned long long)cpages);
	if (buf)
		munmap(buf, len);
	return good;
}

static void test_oversubscribe(int id, int fd, const char *name)
{
	size_t len = 4 * CAPACITY, slice = CAPACITY / 4, off;
	char *p = map_anon(len);
	struct devmm_dev_info info = {};
	unsigned long long cpages;
	int full = 1, within = 1;

	pattern_fill(p, len, 11);
	for (off = 0; off < len; off += slice) {
		int ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p + off, slice / psz, NULL, &cpages);

		full &= !ret && cpages == slice / psz;
		within &= devmm_used(ctl, id) <= CAPACITY;
	}
	ok(full, "%s: 16 slices of capacity/4 each migrate in full into a full device", name);
	ok(within, "%s: resident device memory stays within capacity after every slice", name);
	query(id, &info);
	ok(info.used_max <= CAPACITY && info.evicted >= (len - CAPACITY) / psz &&
	   info.evict_passes > 0,
	   "%s: high-water mark %llu MiB <= 64 MiB; %llu pages evicted in %llu passes, %llu busy",
	   name, (unsigned long long)info.used_max / MB, (unsigned long long)info.evicted,
	   (unsigned long long)info.evict_passes, (unsigned long long)info.evict_failures);
	ok(device_verify(fd, p, len, 11), "%s: every word reads back intact through the device",
	   name);
	ok(pattern_ok(p, len, 11), "%s: every word reads back intact through the CPU", name);
	munmap(p, len);
	ok(devmm_used(ctl, id) == 0, "%s: nothing left on the device after munmap", name);
}

static void test_policy(int id, int fd, unsigned int kind, unsigned int policy, const char *name)
{
	const char *pol = policy == DEVMM_POLICY_LRU ? "LRU" : "FIFO";
	size_t half = CAPACITY / 2, quarter = CAPACITY / 4;
	char *a = map_anon(half), *b = map_anon(half), *c3 = map_anon(quarter);
	unsigned long long cpages, ca = 0, cb = 0, used0 = devmm_used(ctl, id);
	struct devmm_dev_info i0 = {}, i1 = {};
	unsigned long ona, onb;
	int good;

	devmm_dev_cmd(ctl, DEVMM_IOC_SET_POLICY, id, policy, NULL);
	query(id, &i0);
	pattern_fill(a, half, 21);
	pattern_fill(b, half, 22);
	pattern_fill(c3, quarter, 23);
	devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, a, half / psz, NULL, &ca);
	devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, b, half / psz, NULL, &cb);
	/* The device uses A again: under LRU that makes B the oldest. */
	device_verify(fd, a, half, 21);
	devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, c3, quarter / psz, NULL, &cpages);
	ona = on_device(fd, a, half, kind);
	onb = on_device(fd, b, half, kind);
	query(id, &i1);
	ok(cpages == quarter / psz && on_device(fd, c3, quarter, kind) == quarter / psz &&
	   i1.evicted - i0.evicted == quarter / psz,
	   "%s %s: a new buffer migrates in full into the full device, which evicts as much "
	   "(%llu pages)", name, pol, (unsigned long long)(i1.evicted - i0.evicted));
	if (policy == DEVMM_POLICY_LRU)
		good = ok(ona == half / psz && onb < half / psz,
			  "%s LRU: the recently used buffer stays (%lu/%lu), the other is evicted (%lu/%lu)",
			  name, ona, half / psz, onb, half / psz);
	else
		good = ok(ona < half / psz && onb == half / psz,
			  "%s FIFO: the oldest buffer is evicted (%lu/%lu) despite its use, the newer stays (%lu/%lu)",
			  name, ona, half / psz, onb, half / psz);
	if (!good)
		tap_diag("used before %llu pages; migrated A %llu, B %llu, C %llu; evicted %llu in %llu passes, %llu busy; used %llu; A at %p, B at %p, C at %p",
			 used0 / psz, ca, cb, cpages,
			 (unsigned long long)(i1.evicted - i0.evicted),
			 (unsigned long long)(i1.evict_passes - i0.evict_passes),
			 (unsigned long long)(i1.evict_failures - i0.evict_failures),
			 (unsigned long long)i1.used / psz, (void *)a, (void *)b, (void *)c3);
	munmap(a, half);
	munmap(b, half);
	munmap(c3, quarter);
	devmm_dev_cmd(ctl, DEVMM_IOC_SET_POLICY, id, DEVMM_POLICY_LRU, NULL);
}

/*
 * Eviction moves the victims its policy picks and nothing else: a victim
 * whose recorded address went stale (mremap) must not take along the page
 * mapped there now.  FIFO, batch 1: X is oldest, then Z, then Y, mapped
 * where X was before X moved; evicting one page takes Z (X cannot be found
 * where it was), never Y.
 */
static void test_stale_victim(int id, int fd, unsigned int kind, const char *name)
{
	struct devmm_settings s = { .id = id, .policy = DEVMM_POLICY_FIFO, .evict_batch = 1,
				    .evict_unit = DEVMM_EVICT_UNIT_PAGE,
				    .mask = DEVMM_SET_POLICY | DEVMM_SET_EVICT_BATCH |
					    DEVMM_SET_EVICT_UNIT };
	char *x = map_anon(psz), *z = map_anon(psz), *x2 = map_anon(psz), *y = MAP_FAILED;
	unsigned long ony = 0, onz = 1, onx = 0;
	int ret;

	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	ret = ioctl(ctl, DEVMM_IOC_SETTINGS, &s) ? -errno : 0;
	memset(x, 'x', psz);
	memset(z, 'z', psz);
	ret = ret ?: devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, x, 1, NULL, NULL);
	ret = ret ?: devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, z, 1, NULL, NULL);
	if (!ret && mremap(x, psz, psz, MREMAP_MAYMOVE | MREMAP_FIXED, x2) != x2)
		ret = -errno;
	if (!ret)
		y = mmap(x, psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0);
	if (!ret && y == MAP_FAILED)
		ret = -errno;
	if (!ret)
		memset(y, 'y', psz);
	ret = ret ?: devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, y, 1, NULL, NULL);
	ret = ret ?: devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, psz, NULL);
	if (!ret) {
		ony = on_device(fd, y, psz, kind);
		onz = on_device(fd, z, psz, kind);
		onx = on_device(fd, x2, psz, kind);
	}
	ok(!ret && ony == 1 && onz == 0 && onx == 1 && y[0] == 'y' && z[0] == 'z' &&
	   x2[0] == 'x',
	   "%s: eviction moves only its victim: the page now mapped at a moved victim's old "
	   "address stays (%s; on the device: that page %lu, the next victim %lu, the moved "
	   "one %lu)", name, errname(ret), ony, onz, onx);
	if (y != MAP_FAILED)
		munmap(y, psz);
	munmap(z, psz);
	munmap(x2, psz);
	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	s.policy = DEVMM_POLICY_LRU;
	s.evict_batch = 512;
	ioctl(ctl, DEVMM_IOC_SETTINGS, &s);
}

static void test_on_demand(int id, int fd, const char *name)
{
	size_t len = 8 * MB;
	char *p = map_anon(len);
	unsigned long long before, result;
	int ret;

	pattern_fill(p, len, 31);
	devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, len / psz, NULL, NULL);
	before = devmm_used(ctl, id);
	ret = devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 4 * MB, &result);
	ok(ret == 0 && result >= 4 * MB && devmm_used(ctl, id) <= before - 4 * MB,
	   "%s: evict 4 MiB on demand (%s, %llu MiB evicted)", name, errname(ret), result / MB);
	ret = devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, &result);
	ok(ret == 0 && devmm_used(ctl, id) == 0, "%s: evict everything (%s)", name, errname(ret));
	ok(pattern_ok(p, len, 31), "%s: the data survives eviction", name);

	/* Shrinking the capacity evicts down to it. */
	devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, len / psz, NULL, NULL);
	ret = devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, id, 2 * MB, NULL);
	ok(ret == 0 && devmm_used(ctl, id) <= 2 * MB && pattern_ok(p, len, 31),
	   "%s: shrinking the capacity to 2 MiB evicts down to it (%s)", name, errname(ret));
	ok(devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, id, 0, NULL) == -EINVAL &&
	   devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, id, 4097, NULL) == -EINVAL &&
	   devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, id, 1ULL << 50, NULL) == -EINVAL &&
	   devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, 999, 0, NULL) == -ENODEV,
	   "%s: bad capacities give EINVAL, unknown devices ENODEV", name);
	ret = devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, id, CAPACITY, NULL);
	ok(ret == 0, "%s: capacity back to 64 MiB (%s)", name, errname(ret));
	munmap(p, len);
}

/* ---- an owner whose mmap_lock another of its threads takes for writing ---- */

struct writer {
	char *page;
	volatile int stop;
	unsigned long n;
};

static void *writer_loop(void *arg)
{
	struct writer *w = arg;

	while (!w->stop) {
		mprotect(w->page, psz, PROT_READ);
		mprotect(w->page, psz, PROT_READ | PROT_WRITE);
		w->n++;
		usleep(200);
	}
	return NULL;
}

/*
 * EVICT through the control node, which holds no mmap_lock, while another
 * thread of the owner takes the owner's mmap_lock for writing now and then
 * (mprotect(), as khugepaged does): each EVICT takes its victims, and none
 * counts as busy.  Before the fix, an owner busy at the moment of the pass
 * failed the pass's victims (then waited, and picked again): under RANDOM
 * the victims came out different (t_demand's evict_order, in CI).
 */
static void test_busy_owner(int id, int fd, const char *name)
{
	size_t len = 32 * MB;
	char *p = map_anon(len), *page = map_anon(psz);
	struct devmm_dev_info i0 = {}, i1 = {};
	struct writer w = { .page = page };
	unsigned long long result = 0, total = 0;
	unsigned long k, bad = 0;
	int ret = 0, first = 0;
	pthread_t t;

	pattern_fill(p, len, 41);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, len / psz, NULL, NULL);
	query(id, &i0);
	if (ret || pthread_create(&t, NULL, writer_loop, &w)) {
		ok(0, "%s: EVICT while the owner takes its mmap_lock for writing (setup: %s)", name,
		   errname(ret));
		munmap(p, len);
		munmap(page, psz);
		return;
	}
	for (k = 0; k < 12; k++) {
		ret = devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 2 * MB, &result);
		if (ret || result < 2 * MB) {
			bad++;
			first = first ?: ret ?: -EAGAIN;
		}
		total += result;
	}
	w.stop = 1;
	pthread_join(t, NULL);
	query(id, &i1);
	ok(!bad && i1.evict_failures == i0.evict_failures && pattern_ok(p, len, 41),
	   "%s: 12 EVICTs of 2 MiB while another thread of the owner mprotect()s (%lu times): "
	   "%llu MiB evicted, %lu short (%s), %llu victims busy, data intact", name, w.n,
	   total / MB, bad, errname(first),
	   (unsigned long long)(i1.evict_failures - i0.evict_failures));
	munmap(p, len);
	munmap(page, psz);
}

/* Whether process @pid still has its address space (/proc/PID/status shows VmRSS). */
static int has_mm(pid_t pid)
{
	char path[40], line[128];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		found |= !strncmp(line, "VmRSS:", 6);
	if (f)
		fclose(f);
	return found;
}

/*
 * A process that fills the device and is killed: while its teardown frees
 * 512 MiB of other memory first (mapped below, so unmapped first), its
 * device pages are still there and eviction cannot take them (its address
 * space is going).  A migration then must wait for them to be freed, not
 * fail for want of room.
 */
static void test_exiting_owner(int id, int fd, const char *name)
{
	size_t big = 512 * MB;
	unsigned long long cpages = 0;
	int pfd[2], ret = -1, status, tries = 0;
	char *p = NULL, c;
	pid_t pid;

	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	if (pipe(pfd)) {
		ok(0, "%s: setup of the exiting-owner test", name);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int cfd = devmm_node_open(id);
		char *d = map_anon(CAPACITY), *q;
		unsigned long long n = 0;

		if (cfd < 0 || !d)
			_exit(1);
		memset(d, 1, CAPACITY);
		if (devmm_range(cfd, DEVMM_IOC_MIGRATE_TO_DEV, d, CAPACITY / psz, NULL, &n) ||
		    n != CAPACITY / psz)
			_exit(2);
		q = map_anon(big);
		if (!q || q > d)
			_exit(3);
		memset(q, 2, big);
		if (write(pfd[1], "r", 1) != 1)
			_exit(4);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	/* Mapped after the fork: the child must not share these pages. */
	if (read(pfd[0], &c, 1) == 1 && (p = map_anon(4 * psz))) {
		pattern_fill(p, 4 * psz, 67);
		kill(pid, SIGKILL);
		/* Until its mm is detached: its teardown has begun. */
		while (has_mm(pid) && tries++ < 100000)
			;
		{
			struct devmm_dev_info b = {}, e = {};
			double t0;

			query(id, &b);
			t0 = now();
			ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, 4, NULL, &cpages);
			query(id, &e);
			tap_diag("%s: the migration took %.3f s; device used %llu -> %llu pages, "
				 "eviction failures +%llu", name, now() - t0,
				 (unsigned long long)b.used / psz, (unsigned long long)e.used / psz,
				 (unsigned long long)(e.evict_failures - b.evict_failures));
		}
	}
	if (!p)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(pfd[0]);
	ok(p && ret == 0 && cpages == 4 && pattern_ok(p, 4 * psz, 67),
	   "%s: with the device full of a killed process's pages, a migration during its "
	   "teardown waits for them: %llu of 4 pages moved (%s; child %s %d)", name, cpages,
	   errname(ret), WIFSIGNALED(status) ? "killed by" : "exit",
	   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	if (p)
		munmap(p, 4 * psz);
}

/*
 * A process killed in the middle of its migrations to and from the device
 * (over its capacity, so that it evicts its own pages too): once it is
 * reaped, nothing of it may be left on the device.  Eight rounds, killed
 * after 30 to 240 ms.
 */
static void test_kill_midway(int id, const char *name)
{
	unsigned long long left = 0, later = 0;
	int round, status, bad = -1;

	devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
	for (round = 0; round < 8 && bad < 0; round++) {
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			size_t len = CAPACITY + CAPACITY / 2;
			int cfd = devmm_node_open(id);
			char *b = devmm_map_aligned(len, 1);

			if (cfd < 0 || !b)
				_exit(1);
			memset(b, 3, len);
			for (;;) {
				devmm_range(cfd, DEVMM_IOC_MIGRATE_TO_DEV, b, len / psz, NULL, NULL);
				devmm_range(cfd, DEVMM_IOC_MIGRATE_TO_SYS, b, len / psz, NULL, NULL);
			}
		}
		usleep(30000 + (round * 30000) % 210000);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		left = devmm_used(ctl, id);
		if (left) {
			usleep(1000000);
			later = devmm_used(ctl, id);
			bad = round;
		}
	}
	ok(bad < 0, "%s: a process killed amid its migrations leaves nothing on the device once "
	   "reaped (8 rounds; round %d: %llu KiB left, %llu KiB a second later)", name, bad,
	   left >> 10, later >> 10);
}

static void bench_evict(int id, int fd, const char *name)
{
	size_t len = 48 * MB;
	char *p = map_anon(len);
	unsigned long long result;
	double t;
	int ret;

	pattern_fill(p, len, 41);
	devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, len / psz, NULL, NULL);
	t = now();
	ret = devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, &result);
	t = now() - t;
	ok(ret == 0 && result == len && pattern_ok(p, len, 41),
	   "%s: evict 48 MiB (%s, %llu MiB)", name, errname(ret), result / MB);
	printf("# bench: eviction %s: %.0f MB/s (%llu MiB in %.3f s)\n", name,
	       result / 1e6 / t, result / MB, t);
	munmap(p, len);
}

/*
 * Pages whose recorded place went stale: eviction finds each page where its
 * owner had it when it was migrated, so pages moved by mremap, or mapped
 * only by a fork child, must still come home on evict-all.
 */
static void test_stale(int id, int fd, const char *name)
{
	size_t len = 4 * MB;
	char *p = map_anon(len), *q = mmap(NULL, len, PROT_NONE,
					     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long long result = 0;
	unsigned long long cpages;
	int ret, status, pipefd[2];
	char x = 0;
	pid_t pid;

	pattern_fill(p, len, 71);
	devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, len / psz, NULL, &cpages);
	q = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, q);
	ret = q == MAP_FAILED ? -errno : devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, &result);
	ok(ret == 0 && cpages == len / psz && result == len && devmm_used(ctl, id) == 0 &&
	   pattern_ok(q, len, 71),
	   "%s: pages moved by mremap come home on evict-all, intact (%s, %llu MiB)", name,
	   errname(ret), result / MB);
	munmap(q, len);

	p = map_anon(len);
	pattern_fill(p, len, 72);
	devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, len / psz, NULL, &cpages);
	ret = pipe(pipefd);
	pid = fork();
	if (pid == 0) {
		close(pipefd[1]);
		_exit(read(pipefd[0], &x, 1) == 1 && pattern_ok(p, len, 72) ? 0 : 1);
	}
	close(pipefd[0]);
	/* Now only the child maps the pages. */
	munmap(p, len);
	ret = ret ? -errno : devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, &result);
	status = devmm_used(ctl, id) == 0;
	if (write(pipefd[1], &x, 1) != 1)
		tap_diag("could not wake the child");
	close(pipefd[1]);
	waitpid(pid, &pid, 0);
	ok(ret == 0 && cpages == len / psz && status && WIFEXITED(pid) &&
	   WEXITSTATUS(pid) == 0,
	   "%s: pages only a fork child maps come home on evict-all, intact (%s)", name,
	   errname(ret));
}

/*
 * A short-term pin keeps a coherent page in device memory: DESTROY must not
 * wait for it forever, but refuse (EBUSY) and leave the device working.
 */
static void test_destroy_pinned(int id, int fd, unsigned int kind, const char *name)
{
	size_t len = 4 * MB;
	char *p;
	unsigned long long cpages;
	int ret;

	if (kind != DEVMM_KIND_COHERENT) {
		tap_skip("a pin brings a private page to system memory", "%s: destroy pinned", name);
		tap_skip("a pin brings a private page to system memory", "%s: unpin", name);
		return;
	}
	p = map_anon(len);
	pattern_fill(p, len, 81);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, len / psz, NULL, &cpages);
	ret = ret ? ret : devmm_range(fd, DEVMM_IOC_PIN, p, 1, NULL, &cpages);
	ret = ret ? ret : devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, id, 0, NULL);
	ok(ret == -EBUSY && devmm_used(ctl, id) >= psz && pattern_ok(p, len, 81),
	   "%s: DESTROY with a pinned page gives EBUSY and keeps the device (%s)", name,
	   errname(ret));
	ret = devmm_range(fd, DEVMM_IOC_UNPIN, p, 1, NULL, &cpages);
	ret = ret ? ret : devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, len / psz, NULL, &cpages);
	ok(ret == 0 && cpages == len / psz && device_verify(fd, p, len, 81),
	   "%s: after the unpin the device works as before (%s)", name, errname(ret));
	munmap(p, len);
}

/* Destroy a device while a child migrates to it and reads through it. */
static void test_destroy_under_load(int id, int fd, const char *name)
{
	int status, pipefd[2], ret;
	char line[512];
	pid_t pid;

	ret = pipe(pipefd);
	pid = fork();
	if (pid == 0) {
		size_t len = 4 * MB;
		char *p = map_anon(len), *buf = map_anon(len);
		int cfd = devmm_node_open(id), n = 0, r = 0;

		pattern_fill(p, len, 51);
		close(pipefd[0]);
		for (;;) {
			r = devmm_range(cfd, DEVMM_IOC_MIGRATE_TO_DEV, p, len / psz, NULL, NULL);
			if (r)
				break;
			r = devmm_range(cfd, DEVMM_IOC_READ, p, len / psz, buf, NULL);
			if (r)
				break;
			if (!pattern_ok(buf, len, 51)) {
				diag_mismatch(cfd, p, buf, len, 51);
				_exit(2);
			}
			if (n++ == 2 && write(pipefd[1], "x", 1) != 1)
				_exit(3);
		}
		/* The device is gone: the file says so, the data came home. */
		_exit(r == -ENODEV && pattern_ok(p, len, 51) ? 0 : 1);
	}
	close(pipefd[1]);
	if (ret || read(pipefd[0], line, 1) != 1)
		tap_diag("the child did not start");
	close(pipefd[0]);
	ret = devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, id, 0, NULL);
	waitpid(pid, &status, 0);
	ok(ret == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "%s: destroyed under load: the user gets ENODEV and keeps its data (%s, status %d)",
	   name, errname(ret), WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_SYS, &line, 1, NULL, NULL);
	ok(ret == -ENODEV && devmm_used(ctl, id) == ~0ULL, "%s: a stale file gets ENODEV (%s)", name,
	   errname(ret));
	ret = iomem_devmm_ranges();
	ok(ret == 0, "%s: no devmm range left in /proc/iomem (%d)", name, ret);
}

/*
 * A new private device gets the backing storage of its first 64 MiB (its
 * capacity here) ahead of use, in the background; a coherent device is its
 * own storage.
 */
static void test_storage_ahead(int id, unsigned int kind, const char *name)
{
	unsigned long long want = kind == DEVMM_KIND_PRIVATE ? CAPACITY : 0;
	struct devmm_dev_info info = {};
	int waited, ret = 0;

	for (waited = 0; waited < 100; waited++) {
		ret = query(id, &info);
		if (ret || info.storage_ahead >= want)
			break;
		usleep(100000);
	}
	ok(!ret && info.storage_ahead == want,
	   "%s: storage given ahead of use: %llu MiB of %llu (%.1f s after CREATE; %s)", name,
	   (unsigned long long)info.storage_ahead / MB, want / MB, waited * 0.1, errname(ret));
}

static void test_device(int id, unsigned int kind, const char *name)
{
	int fd = devmm_node_open(id);

	ok(fd >= 0, "%s: device %d created at run time", name, id);
	test_storage_ahead(id, kind, name);
	test_oversubscribe(id, fd, name);
	test_policy(id, fd, kind, DEVMM_POLICY_LRU, name);
	test_policy(id, fd, kind, DEVMM_POLICY_FIFO, name);
	test_stale_victim(id, fd, kind, name);
	test_on_demand(id, fd, name);
	test_busy_owner(id, fd, name);
	test_exiting_owner(id, fd, name);
	test_kill_midway(id, name);
	bench_evict(id, fd, name);
	test_stale(id, fd, name);
	test_destroy_pinned(id, fd, kind, name);
	test_destroy_under_load(id, fd, name);
	close(fd);
}
#define DEVICE_TESTS 30

/*
 * Fragmentation (7.x, large device folios): on a private device whose every
 * 2 MiB block was broken up by small pages, a THP gets small device pages
 * from the scattered free ones; the migration neither fails nor evicts.
 */
#define FRAG_TESTS 5
static void test_fragmented(int has_large)
{
	const size_t cap = 128 * MB, pmd = 2 * MB, holes = 8 * MB;
	const uint8_t small = HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL | HMM_DMIRROR_PROT_WRITE;
	struct devmm_dev_info before = {}, after = {};
	unsigned long long cpages;
	char *p, *raw, *t;
	int id, fd, ret, i;
	size_t off;

	if (!has_large) {
		for (i = 0; i < FRAG_TESTS; i++)
			tap_skip("no large device folios in this kernel", "fragmentation test");
		return;
	}
	/* 128 MiB: one chunk of device memory, all of it usable. */
	id = devmm_create_dev(ctl, DEVMM_KIND_PRIVATE, cap, 0, 0, DEVMM_POLICY_LRU);
	fd = id < 0 ? -1 : devmm_node_open(id);
	p = map_anon(cap);
	raw = map_anon(2 * pmd);
	if (!p || !raw || fd < 0) {
		for (i = 0; i < FRAG_TESTS; i++)
			ok(0, "fragmentation: device %d, node %d, memory", id, fd);
		return;
	}
	madvise(p, cap, MADV_NOHUGEPAGE);
	pattern_fill(p, cap, 71);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, cap / psz, NULL, &cpages);
	/* Every other page of the first 8 MiB home: 1024 free pages, no free block. */
	for (off = 0; !ret && off < holes; off += 2 * psz)
		ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_SYS, p + off, 1, NULL, &cpages);
	ok(ret == 0 && devmm_used(ctl, id) == cap - holes / 2,
	   "fragmentation: 128 MiB of small pages, then every other page of 8 MiB freed (%s, "
	   "%llu MiB used)", errname(ret), devmm_used(ctl, id) / MB);

	t = pmd_align_up(raw);
	madvise(t, pmd, MADV_HUGEPAGE);
	pattern_fill(t, pmd, 72);
	ok(snapshot_count(fd, t, pmd, 0xff, HMM_DMIRROR_PROT_PMD | HMM_DMIRROR_PROT_WRITE) ==
	   pmd / psz,
	   "fragmentation: the source is a THP");
	query(id, &before);
	ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, t, pmd / psz, NULL, &cpages);
	query(id, &after);
	ok(ret == 0 && cpages == pmd / psz && snapshot_count(fd, t, pmd, 0xff, small) == pmd / psz &&
	   after.evicted == before.evicted && after.used == cap - holes / 2 + pmd,
	   "fragmentation: the THP moves as 512 small device pages, nothing evicted (%s, %llu "
	   "pages, %llu evicted)", errname(ret), (unsigned long long)cpages,
	   (unsigned long long)(after.evicted - before.evicted));
	ok(device_verify(fd, t, pmd, 72) && pattern_ok(t, pmd, 72),
	   "fragmentation: its data intact through the device and the CPU");
	ok(pattern_ok(p, cap, 71), "fragmentation: the small pages' data intact");
	close(fd);
	munmap(raw, 2 * pmd);
	munmap(p, cap);
	devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, id, 0, NULL);
}

/* Workers migrate, fault, fork and munmap on a small device; one evicts. */
static void test_concurrency(int id)
{
	const int workers = 4, seconds = 4;
	int i, status, good = 0;
	pid_t pids[5];

	for (i = 0; i <= workers; i++) {
		pids[i] = fork();
		if (pids[i])
			continue;
		srand(i + 1);
		if (i == workers) {
			double end = now() + seconds;

			while (now() < end)
				if (devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, rand() % 2 ? 0 : MB,
						  NULL) &&
				    errno != EBUSY)
					_exit(1);
			_exit(0);
		}
		{
			int fd = devmm_node_open(id);
			double end = now() + seconds;
			uint64_t seed = i * 1000;
			size_t len = 2 * MB;

			while (now() < end) {
				char *p = map_anon(len);
				pid_t child;

				pattern_fill(p, len, ++seed);
				if (devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, len / psz, NULL, NULL) ||
				    !device_verify(fd, p, len, seed))
					_exit(2);
				if (rand() % 4 == 0) {
					child = fork();
					if (child == 0) {
						int ok1 = pattern_ok(p, len, seed);

						pattern_fill(p, len / 2, seed + 7);
						_exit(ok1 ? 0 : 1);
					}
					waitpid(child, &status, 0);
					if (!WIFEXITED(status) || WEXITSTATUS(status))
						_exit(3);
				}
				if (!pattern_ok(p, len, seed))
					_exit(4);
				if (rand() % 2)
					munmap(p + len / 2, len / 2);
				else
					munmap(p, len);
				if (rand() % 2)
					munmap(p, len);
			}
			_exit(0);
		}
	}
	for (i = 0; i <= workers; i++) {
		waitpid(pids[i], &status, 0);
		good += WIFEXITED(status) && WEXITSTATUS(status) == 0;
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			tap_diag("process %d: status 0x%x", i, status);
	}
	ok(good == workers + 1,
	   "concurrency: %d processes migrating, reading, forking and unmapping on a 16 MiB device while another evicts, %d s, data intact (%d/%d)",
	   workers, seconds, good, workers + 1);
	ok(devmm_used(ctl, id) == 0, "concurrency: nothing left on the device once they exit");
}

/*
 * A device read of pages that another process evicts a page at a time
 * (FIFO, batch 1: in the order they went, from the first), nonstop: each
 * eviction that lands between a fault round and the copy costs the read
 * one more round, but only once per page (an evicted page stays in system
 * memory), and the read copies up to it first.  So it must complete, and
 * intact, however many rounds it takes: a cap on rounds that copied
 * something made it fail with EBUSY (t_evict's concurrency test, once).
 */
static void test_read_under_eviction(int id)
{
	struct devmm_settings s = { .id = id, .policy = DEVMM_POLICY_FIFO, .evict_batch = 1,
				    .evict_unit = DEVMM_EVICT_UNIT_PAGE,
				    .mask = DEVMM_SET_POLICY | DEVMM_SET_EVICT_BATCH |
					    DEVMM_SET_EVICT_UNIT };
	const size_t len = 8 * MB;
	unsigned long long most = 0, total = 0;
	int fd = devmm_node_open(id), reads = 0, good = 0, status = 0, ret = 0, round, reaped;
	char *p = map_anon(len), *buf = map_anon(len);
	pid_t evictor;

	/* The evictor is a fork child: it must not share the pages (or fork drop the table). */
	if (fd < 0 || !p || !buf || madvise(p, len, MADV_DONTFORK) ||
	    madvise(buf, len, MADV_DONTFORK) || ioctl(ctl, DEVMM_IOC_SETTINGS, &s)) {
		ok(0, "read under eviction: device node, buffers, FIFO batch 1");
		goto out;
	}
	for (round = 0; round < 4; round++) {
		pattern_fill(p, len, 80 + round);
		ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, len / psz, NULL, NULL);
		if (ret)
			break;
		evictor = fork();
		if (!evictor) {
			double end = now() + 20;

			/*
			 * A page every half millisecond until none is left (or
			 * 20 s): slower than a read's round and copy, so that
			 * most rounds meet a few evictions, not one round many.
			 */
			while (devmm_used(ctl, id) && now() < end) {
				if (devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, psz, NULL) && errno != EBUSY)
					_exit(1);
				usleep(500);
			}
			_exit(0);
		}
		reaped = 0;
		do {
			struct devmm_range_cmd c = { .addr = (uintptr_t)p, .npages = len / psz,
						     .ptr = (uintptr_t)buf };

			memset(buf, 0, len);
			ret = ioctl(fd, DEVMM_IOC_READ, &c) ? -errno : 0;
			reads++;
			if (ret || c.cpages != len / psz || !pattern_ok(buf, len, 80 + round)) {
				tap_diag("read under eviction: read %d: %s, %llu pages, %llu rounds",
					 reads, errname(ret), (unsigned long long)c.cpages,
					 (unsigned long long)c.faults);
				break;
			}
			good++;
			total += c.faults;
			most = c.faults > most ? c.faults : most;
			reaped = waitpid(evictor, &status, WNOHANG) == evictor;
		} while (!reaped && devmm_used(ctl, id));
		if (!reaped)
			waitpid(evictor, &status, 0);
		if (ret || !WIFEXITED(status) || WEXITSTATUS(status)) {
			ret = ret ?: -ECHILD;
			break;
		}
	}
	/* Without a round no read met an eviction: the test did not take place. */
	ok(!ret && good == reads && total && pattern_ok(p, len, 80 + round - 1),
	   "read under eviction: 8 MiB read through the device while another process evicts it a page at a time: %d of %d reads intact (%s; %llu fault rounds, at most %llu in one read)",
	   good, reads, errname(ret), total, most);
out:
	if (p)
		munmap(p, len);
	if (buf)
		munmap(buf, len);
	if (fd >= 0)
		close(fd);
	s.policy = DEVMM_POLICY_LRU;
	s.evict_batch = 512;
	ioctl(ctl, DEVMM_IOC_SETTINGS, &s);
}

int main(int argc, char **argv)
{
	int expect_private = lane_env_num("LANE_EXPECT_PRIVATE");
	unsigned long long a = lane_range_base(lane_env("LANE_COHERENT_A"));
	unsigned long long b = lane_range_base(lane_env("LANE_COHERENT_B"));
	struct devmm_dev_info info = {};
	int ret, id, fd, i;
	char *p;

	if (argc != 2) {
		fprintf(stderr, "usage: %s devmm.ko\n", argv[0]);
		return 2;
	}
	psz = sysconf(_SC_PAGESIZE);
	tap_plan(2 * DEVICE_TESTS + FRAG_TESTS + 14);
	ret = devmm_load(argv[1], "private=0");
	ctl = open(DEVMM_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (!ok(ret == 0 && ctl >= 0, "load devmm private=0 (%s)", errname(ret)))
		return tap_done();

	/* Bad requests. */
	ok(devmm_create_dev(ctl, DEVMM_KIND_COHERENT, 0, 0x8000000, 128 * MB, 0) == -EINVAL &&
	   devmm_create_dev(ctl, DEVMM_KIND_COHERENT, 0, a + 4096, 128 * MB, 0) == -EINVAL &&
	   devmm_create_dev(ctl, 99, 0, 0, 0, 0) == -EINVAL &&
	   devmm_create_dev(ctl, DEVMM_KIND_PRIVATE, 4097, 0, 0, 0) ==
		(expect_private ? -EINVAL : -EOPNOTSUPP) &&
	   devmm_create_dev(ctl, DEVMM_KIND_MIRROR, 0, 0, 0, 7) == -EINVAL,
	   "create refuses RAM, unaligned ranges, unknown kinds and policies, bad capacities");

	if (expect_private) {
		id = devmm_create_dev(ctl, DEVMM_KIND_PRIVATE, CAPACITY, 0, 0, DEVMM_POLICY_LRU);
		test_device(id, DEVMM_KIND_PRIVATE, "private");
	} else {
		for (i = 0; i < DEVICE_TESTS; i++)
			tap_skip("no device-private memory in this kernel", "private eviction test");
	}
	{
		struct devmm_info mi = {};

		test_fragmented(!test_module_info(&mi) && (mi.caps & DEVMM_CAP_LARGE_FOLIOS));
	}
	/* A coherent device over 128 MiB of the reservation, held to 64 MiB. */
	id = devmm_create_dev(ctl, DEVMM_KIND_COHERENT, 0, a, 128 * MB, DEVMM_POLICY_LRU);
	ret = devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, id, CAPACITY, NULL);
	ok(id >= 0 && ret == 0, "coherent: a device over 128 MiB, capacity set to 64 MiB (%s)",
	   errname(id < 0 ? id : ret));
	ret = devmm_create_dev(ctl, DEVMM_KIND_COHERENT, 0, a, 128 * MB, 0);
	ok(ret == -EBUSY, "coherent: a second device over the same range gives EBUSY (%s)",
	   errname(ret));
	test_device(id, DEVMM_KIND_COHERENT, "coherent");

	/* Listing. */
	id = devmm_create_dev(ctl, DEVMM_KIND_COHERENT, 0, b, 128 * MB, DEVMM_POLICY_LRU);
	ret = devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, id, 16 * MB, NULL);
	{
		int n = 0, found = 0;
		unsigned int next = 0;
		struct devmm_dev_info it;

		while (!query(next, &it)) {
			n++;
			if ((int)it.id == id) {
				found = 1;
				info = it;
			}
			next = it.id + 1;
		}
		/* The devices tested before were destroyed: only this one is left. */
		ok(found && n == 1 && info.kind == DEVMM_KIND_COHERENT &&
		   info.capacity == 16 * MB,
		   "QUERY lists the devices (%d, device %d of 16 MiB)", n, id);
	}
	test_concurrency(id);
	test_read_under_eviction(id);

	/* Unload with pages on the device: they come home first. */
	fd = devmm_node_open(id);
	p = map_anon(16 * MB);
	pattern_fill(p, 16 * MB, 61);
	{
		unsigned long long cpages;

		ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, 16 * MB / psz, NULL, &cpages);
		ok(ret == 0 && cpages == 16 * MB / psz, "16 MiB on the device before unload");
	}
	close(fd);
	close(ctl);
	ret = devmm_unload();
	ok(ret == 0, "unload with pages on the device (%s)", errname(ret));
	ok(pattern_ok(p, 16 * MB, 61), "the data came home before the device went away");
	pattern_fill(p, 16 * MB, 62);
	ok(pattern_ok(p, 16 * MB, 62), "and the memory is ordinary memory again");
	munmap(p, 16 * MB);
	ret = iomem_devmm_ranges();
	ok(ret == 0, "no devmm range left in /proc/iomem after unload (%d)", ret);
	ok(!devmm_loaded(), "devmm unloaded");
	return tap_done();
}
