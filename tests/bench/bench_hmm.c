// SPDX-License-Identifier: GPL-2.0
/*
 * Throughput of HMM migrations and device access through the ioctl ABI of
 * the kernel's test_hmm module (HMM_DMIRROR_*, <linux/devmm_hmm.h>, the same
 * numbers and layout as the kernel's lib/test_hmm_uapi.h), so that
 * the same program measures the kernel's test_hmm and devmm (loaded with
 * dmirror_compat=1), one at a time; plus devmm's own eviction
 * (DEVMM_IOC_EVICT on /dev/devmm) and a user-space memcpy of the same size
 * as the ceiling.
 *
 * For a buffer of 4 KiB pages (MADV_NOHUGEPAGE) and one of THPs (2 MiB
 * aligned, MADV_HUGEPAGE), each repetition takes a fresh, filled buffer and
 * times:
 *   migrate_to_dev  HMM_DMIRROR_MIGRATE_TO_DEV (which, as in test_hmm, also
 *                   reads the whole range back from the device into ptr,
 *                   here a buffer of 4 KiB pages faulted in once)
 *   cpu_fault       a CPU read of every page after migrating to the device
 *   migrate_to_sys  HMM_DMIRROR_MIGRATE_TO_SYS after migrating to the device
 *   dev_read        HMM_DMIRROR_READ of system memory, on a new mirror
 *                   (opened for the read: hmm_range_fault + copy), into a
 *                   fresh (never touched) buffer
 *   dev_write       HMM_DMIRROR_WRITE of a filled buffer into fresh memory,
 *                   on a new mirror
 *   dev_read_local  HMM_DMIRROR_READ of the buffer while it is on the
 *                   device, by the mirror that migrated it: no faults, the
 *                   read-back part of migrate_to_dev (a diagnostic)
 *   evict           DEVMM_IOC_EVICT of everything after migrating to the
 *                   device (devmm only; "na" otherwise)
 *   memcpy          memcpy() between two buffers of the same kind
 *   demand_read     HMM_DMIRROR_READ of a filled buffer whose range says
 *                   migrate-on-fault, prefer this device, 2 MiB granularity
 *                   (DEVMM_IOC_SET_ATTR), into the faulted-in ptr buffer:
 *                   device faults migrate the range, then it is read there,
 *                   the work of migrate_to_dev driven by faults (devmm only)
 *   evict_pressure  DEVMM_IOC_MIGRATE_TO_DEV of a filled buffer twice the
 *                   device's capacity: eviction under pressure, as the
 *                   migration makes room for its second half (devmm only)
 * With -P PTR, only migrate_to_dev, its read-back into a ptr buffer of kind
 * PTR (fresh-4k, faulted-4k, fresh-thp, faulted-thp: "fresh" is a new,
 * never touched buffer per repetition; kind SOURCE/PTR), and with -C the
 * first migration of the process, without warm-up, as migrate_to_dev_cold;
 * for a fresh PTR also memcpy (kind SOURCE/PTR): the source copied into a
 * fresh buffer of that kind, the same page faults without a device.
 * With -j N, N processes at once each migrate_to_dev a 4 KiB buffer into a
 * fresh ptr (kind 4k/fresh-4k), process i on the i-th device of -d (modulo
 * their number); a sample is the time until the last one is done.
 * Every result is checked (pages counted, data verified, untimed); a failed
 * check prints a BENCHERR line and makes the exit status 1.
 *
 * usage: bench_hmm [-m LABEL] [-R ROUND] [-s MIB] [-r REPS] [-d DEVICE[,DEVICE...]]
 *                  [-k 4k|thp] [-p OP -c CTL,ACK] [-P PTR [-C]] [-j PROCS]
 * -k runs one kind of source buffer only; -p OP -c CTL,ACK enables a perf
 * record started with --delay=-1 --control=fifo:CTL,ACK only while OP is
 * timed.
 * Output, one record per line, space-separated key=value:
 *   SAMPLE module= round= kind= op= bytes= procs= ns= thp_pct= contig_pct=
 *          [thp_after=]              (bytes: per process)
 *                                      (each measurement; thp_after: the THP
 *                                      share once the pages came back)
 *   BENCH module= round= kind= op= bytes= reps= best_ns= median_ns= mbps_best=
 *         mbps_median= thp_pct=        (or na=1 reason=... for no figure)
 *   BENCHINFO key=value...             (setup, devmm counters)
 *   BENCHERR module= kind= op= what=   (a failed check)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <linux/devmm.h>
#include <linux/devmm_hmm.h>
#include "devmm_test.h"

#define MAX_SAMPLES	64
/* Pages a demand paging read may leave in system memory (see demand_read()). */
#define DEMAND_LEFT_MAX	32
#define KPF_THP		22

enum op { OP_MIGRATE_TO_DEV, OP_CPU_FAULT, OP_MIGRATE_TO_SYS, OP_DEV_READ, OP_DEV_WRITE,
	  OP_DEV_READ_LOCAL, OP_EVICT, OP_MEMCPY, OP_DEMAND_READ, OP_EVICT_PRESSURE,
	  OP_MIGRATE_TO_DEV_COLD, NR_OPS };

static const char *const op_name[NR_OPS] = {
	"migrate_to_dev", "cpu_fault", "migrate_to_sys", "dev_read", "dev_write", "dev_read_local",
	"evict", "memcpy", "demand_read", "evict_pressure", "migrate_to_dev_cold",
};

/* The kinds of ptr buffer (the read-back target of migrate_to_dev). */
enum ptr_kind { PTR_FRESH_4K, PTR_FAULTED_4K, PTR_FRESH_THP, PTR_FAULTED_THP, NR_PTR_KINDS };

static const char *const ptr_name[NR_PTR_KINDS] = {
	"fresh-4k", "faulted-4k", "fresh-thp", "faulted-thp",
};

struct samples {
	unsigned int n;
	uint64_t ns[MAX_SAMPLES];
	int thp_pct;		/* THP-backed share of the buffer, last seen */
	int contig_pct;		/* its physically contiguous share, last seen */
	int thp_after;		/* THP share after pages came back, or -1 */
};

static const char *label = "unknown";
static const char *round_id = "1";
static const char *device = "/dev/hmm_dmirror0";
static const char *kind;
static char kind_buf[64];
static size_t psz;
/* What each SAMPLE covers: bytes per process, processes at once. */
static size_t sample_bytes;
static unsigned int sample_procs = 1;
static int errors;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Profiling (-p OP -c CTL,ACK): perf record, started disabled with
 * --control=fifo:CTL,ACK, samples only while the timed part of OP runs.
 */
static enum op prof_op = NR_OPS;
static int prof_ctl = -1, prof_ack = -1;

static void prof_cmd(const char *cmd)
{
	char ack[16];

	if (write(prof_ctl, cmd, strlen(cmd)) < 0 || read(prof_ack, ack, sizeof(ack)) <= 0) {
		perror("bench_hmm: perf control");
		exit(2);
	}
}

/* Start timing @op (NR_OPS: an untimed step); the start time. */
static uint64_t timer_start(enum op op)
{
	if (op == prof_op && prof_ctl >= 0)
		prof_cmd("enable\n");
	return now_ns();
}

/* Stop timing @op; the time since @t. */
static uint64_t timer_stop(enum op op, uint64_t t)
{
	t = now_ns() - t;
	if (op == prof_op && prof_ctl >= 0)
		prof_cmd("disable\n");
	return t;
}

static void bench_err(enum op op, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bench_err(enum op op, const char *fmt, ...)
{
	va_list ap;

	printf("BENCHERR module=%s kind=%s op=%s what=", label, kind, op_name[op]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	errors++;
}

/* Anonymous memory at a 2 MiB boundary, with THP asked for or refused. */
static char *buf_alloc(size_t len, int thp)
{
	char *raw, *p;

	raw = mmap(NULL, len + PMD, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (raw == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	p = (char *)(((uintptr_t)raw + PMD - 1) & ~(PMD - 1));
	if (p > raw)
		munmap(raw, p - raw);
	munmap(p + len, raw + len + PMD - (p + len));
	if (madvise(p, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE)) {
		perror("madvise");
		exit(2);
	}
	return p;
}

/* Read one word of every page: a CPU fault on each device page. */
static uint64_t touch(const char *p, size_t len)
{
	uint64_t sum = 0;
	size_t off;

	for (off = 0; off < len; off += psz)
		sum += *(volatile const uint64_t *)(p + off);
	return sum;
}

/*
 * Percentage of the buffer's 2 MiB blocks whose first page is part of a
 * THP, from /proc/self/pagemap and /proc/kpageflags (root only; -1 when
 * unreadable).
 */
static int thp_percent(const char *p, size_t len)
{
	int pm = open("/proc/self/pagemap", O_RDONLY), kf = open("/proc/kpageflags", O_RDONLY);
	unsigned long blocks = 0, huge = 0;
	size_t off;
	int ret = -1;

	if (pm < 0 || kf < 0)
		goto out;
	for (off = 0; off < len; off += PMD) {
		uint64_t ent, flags, vpn = ((uintptr_t)p + off) / psz;

		if (pread(pm, &ent, 8, vpn * 8) != 8)
			goto out;
		blocks++;
		if (!(ent & (1ULL << 63)))
			continue;
		if (pread(kf, &flags, 8, (ent & ((1ULL << 55) - 1)) * 8) != 8)
			goto out;
		huge += !!(flags & (1ULL << KPF_THP));
	}
	ret = blocks ? huge * 100 / blocks : 0;
out:
	if (pm >= 0)
		close(pm);
	if (kf >= 0)
		close(kf);
	return ret;
}

/*
 * Percentage of the buffer's pages that follow the previous page in
 * physical memory (pfn + 1), from /proc/self/pagemap; -1 when unreadable.
 * Recorded to tell effects of the buffer's physical layout from others.
 */
static int contig_percent(const char *p, size_t len)
{
	size_t i, n = len / psz, contig = 0;
	uint64_t *ent = malloc(n * sizeof(*ent));
	int fd = open("/proc/self/pagemap", O_RDONLY), ret = -1;

	if (!ent || fd < 0 || n < 2)
		goto out;
	if (pread(fd, ent, n * 8, (uintptr_t)p / psz * 8) != (ssize_t)(n * 8))
		goto out;
	for (i = 1; i < n; i++) {
		uint64_t a = ent[i - 1] & ((1ULL << 55) - 1), b = ent[i] & ((1ULL << 55) - 1);

		contig += (ent[i] >> 63) && (ent[i - 1] >> 63) && a && b == a + 1;
	}
	ret = contig * 100 / (n - 1);
out:
	if (fd >= 0)
		close(fd);
	free(ent);
	return ret;
}

/* What a sample records about its buffer before the timed operation. */
static void layout(struct samples *s, const char *p, size_t len)
{
	s->thp_pct = thp_percent(p, len);
	s->contig_pct = contig_percent(p, len);
	s->thp_after = -1;
}

static int dmirror(int fd, unsigned long cmd, char *addr, size_t len, char *ptr,
		   struct hmm_dmirror_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->addr = (uintptr_t)addr;
	c->ptr = (uintptr_t)ptr;
	c->npages = len / psz;
	return ioctl(fd, cmd, c) ? -errno : 0;
}

static void add(enum op op, struct samples *s, uint64_t ns)
{
	printf("SAMPLE module=%s round=%s kind=%s op=%s bytes=%zu procs=%u ns=%llu thp_pct=%d contig_pct=%d",
	       label, round_id, kind, op_name[op], sample_bytes, sample_procs,
	       (unsigned long long)ns, s->thp_pct, s->contig_pct);
	if (s->thp_after >= 0)
		printf(" thp_after=%d", s->thp_after);
	printf("\n");
	fflush(stdout);
	if (s->n < MAX_SAMPLES)
		s->ns[s->n++] = ns;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(enum op op, struct samples *s, size_t len)
{
	uint64_t best, median;

	if (!s->n) {
		printf("BENCH module=%s round=%s kind=%s op=%s bytes=%zu na=1 reason=no-sample\n",
		       label, round_id, kind, op_name[op], len);
		return;
	}
	qsort(s->ns, s->n, sizeof(s->ns[0]), cmp_u64);
	best = s->ns[0];
	/* The lower median for an even count. */
	median = s->ns[(s->n - 1) / 2];
	printf("BENCH module=%s round=%s kind=%s op=%s bytes=%zu reps=%u best_ns=%llu median_ns=%llu mbps_best=%.1f mbps_median=%.1f thp_pct=%d\n",
	       label, round_id, kind, op_name[op], len, s->n, (unsigned long long)best,
	       (unsigned long long)median, len * 1e3 / best, len * 1e3 / median,
	       s->thp_pct);
	fflush(stdout);
}

static void print_counters(const char *when, const struct devmm_dev_info *a,
			   const struct devmm_dev_info *b)
{
	printf("BENCHINFO module=%s round=%s kind=%s counters=%s to_device=%llu to_system=%llu cpu_faults=%llu device_faults=%llu evicted=%llu evict_passes=%llu evict_failures=%llu used_max=%llu\n",
	       label, round_id, kind, when,
	       (unsigned long long)(b->to_device - a->to_device),
	       (unsigned long long)(b->to_system - a->to_system),
	       (unsigned long long)(b->cpu_faults - a->cpu_faults),
	       (unsigned long long)(b->device_faults - a->device_faults),
	       (unsigned long long)(b->evicted - a->evicted),
	       (unsigned long long)(b->evict_passes - a->evict_passes),
	       (unsigned long long)(b->evict_failures - a->evict_failures),
	       (unsigned long long)b->used_max);
}

/*
 * Migrate a filled buffer to the device, timed, with its checks; recorded
 * as a sample of @op (NR_OPS: not recorded) in @s.
 */
static int migrate_in(int fd, char *p, char *out, size_t len, uint64_t seed,
		      struct samples *s, enum op op)
{
	struct hmm_dmirror_cmd c;
	uint64_t t;
	long bad;
	int ret;

	layout(s, p, len);
	t = timer_start(op);
	ret = dmirror(fd, HMM_DMIRROR_MIGRATE_TO_DEV, p, len, out, &c);
	t = timer_stop(op, t);
	if (ret || c.cpages != len / psz) {
		bench_err(OP_MIGRATE_TO_DEV, "ret=%d cpages=%llu/%zu", ret,
			  (unsigned long long)c.cpages, len / psz);
		return -1;
	}
	bad = pattern_bad_word(out, len, seed);
	if (bad >= 0) {
		bench_err(OP_MIGRATE_TO_DEV, "read-back-mismatch-at-word-%ld", bad);
		return -1;
	}
	if (op != NR_OPS)
		add(op, s, t);
	return 0;
}

/* Demand paging's counterpart of migrate_to_dev (see the top comment). */
static void demand_read(int fd, int thp, char *out, size_t len, uint64_t seed, struct samples *s)
{
	struct devmm_attr a = { .npages = len / psz, .mask = DEVMM_ATTR_ALL,
				.preferred = DEVMM_LOC_DEVICE, .migrate_on_fault = 1,
				.granularity = 2UL << 20 };
	char *p = buf_alloc(len, thp);
	struct devmm_dev_info i0, i1;
	struct hmm_dmirror_cmd c;
	int ret;
	uint64_t t = 0, moved;
	long bad;

	pattern_fill(p, len, seed);
	layout(s, p, len);
	a.addr = (uintptr_t)p;
	memset(out, 0, len);
	ret = ioctl(fd, DEVMM_IOC_SET_ATTR, &a) ? -errno : test_dev_info(fd, &i0);
	if (!ret) {
		t = timer_start(OP_DEMAND_READ);
		ret = dmirror(fd, HMM_DMIRROR_READ, p, len, out, &c);
		t = timer_stop(OP_DEMAND_READ, t);
	}
	moved = !ret && !test_dev_info(fd, &i1) ? i1.fault_migrated - i0.fault_migrated : 0;
	bad = pattern_bad_word(out, len, seed);
	/*
	 * Every page migrated, but for a few the kernel may refuse at that
	 * moment (migrate_vma_setup() skips a page it cannot lock, or that
	 * someone else holds a reference to): they are read where they are,
	 * correctly, and said in a note.
	 */
	if (ret || c.cpages != len / psz || bad >= 0 || moved > len / psz ||
	    moved + DEMAND_LEFT_MAX < len / psz) {
		bench_err(OP_DEMAND_READ, "ret=%d cpages=%llu/%zu migrated=%llu mismatch=%ld", ret,
			  ret ? 0ULL : (unsigned long long)c.cpages, len / psz,
			  (unsigned long long)moved, bad);
	} else {
		if (moved < len / psz)
			printf("BENCHINFO module=%s round=%s kind=%s note=demand-read-pages-not-migrated pages=%llu npages=%zu\n",
			       label, round_id, kind, (unsigned long long)(len / psz - moved),
			       len / psz);
		add(OP_DEMAND_READ, s, t);
	}
	dmirror(fd, HMM_DMIRROR_MIGRATE_TO_SYS, p, len, NULL, &c);
	munmap(p, len);
}

/*
 * Eviction under pressure (devmm's alone): an explicit migration to the
 * device (DEVMM_IOC_MIGRATE_TO_DEV, no read-back) of a filled buffer twice
 * the device's capacity, which evicts its first half as it goes; timed,
 * checked (pages evicted, data intact), the capacity restored.
 */
static void evict_pressure(int ctl, int fd, const struct devmm_dev_info *info, int thp,
			   size_t len, uint64_t seed, struct samples *s)
{
	struct devmm_dev_cmd cap = { .id = info->id, .value = len / 2 };
	struct devmm_range_cmd m = { .npages = len / psz };
	struct devmm_dev_info i0, i1;
	char *p = buf_alloc(len, thp);
	unsigned long long evicted = 0;
	int ret;
	uint64_t t = 0;
	long bad;

	pattern_fill(p, len, seed);
	layout(s, p, len);
	s->thp_after = -1;
	m.addr = (uintptr_t)p;
	ret = ioctl(ctl, DEVMM_IOC_SET_CAPACITY, &cap) ? -errno : test_dev_info(fd, &i0);
	if (!ret) {
		t = timer_start(OP_EVICT_PRESSURE);
		ret = ioctl(fd, DEVMM_IOC_MIGRATE_TO_DEV, &m) ? -errno : 0;
		t = timer_stop(OP_EVICT_PRESSURE, t);
	}
	if (!ret && !test_dev_info(fd, &i1))
		evicted = i1.evicted - i0.evicted;
	bad = pattern_bad_word(p, len, seed);
	/*
	 * cpages: the pages on the device at the end, at most a capacity's
	 * worth; with the pages evicted meanwhile, every page moved.
	 */
	if (ret || m.cpages > len / 2 / psz || evicted < len / 2 / psz ||
	    m.cpages + evicted < len / psz || bad >= 0)
		bench_err(OP_EVICT_PRESSURE, "ret=%d cpages=%llu/%zu evicted=%llu mismatch=%ld", ret,
			  (unsigned long long)m.cpages, len / psz, evicted, bad);
	else
		add(OP_EVICT_PRESSURE, s, t);
	munmap(p, len);
	cap.value = info->capacity;
	if (ioctl(ctl, DEVMM_IOC_SET_CAPACITY, &cap))
		bench_err(OP_EVICT_PRESSURE, "capacity not restored: %s", strerror(errno));
}

/*
 * A device READ (@op OP_DEV_READ) of a filled buffer of @thp pages into a
 * fresh 4 KiB buffer, or a WRITE (OP_DEV_WRITE) of a filled 4 KiB buffer
 * into fresh memory of @thp pages, through a new mirror; timed, checked.
 */
static void fresh_access(enum op op, struct samples *sp, int thp, size_t len, uint64_t seed)
{
	int write = op == OP_DEV_WRITE;
	char *p = buf_alloc(len, thp), *u = buf_alloc(len, 0);
	struct hmm_dmirror_cmd c;
	int rd, ret;
	uint64_t t;
	long bad;

	pattern_fill(write ? u : p, len, seed);
	layout(sp, p, len);
	rd = open(device, O_RDWR | O_CLOEXEC);
	t = timer_start(op);
	ret = rd < 0 ? -errno : dmirror(rd, write ? HMM_DMIRROR_WRITE : HMM_DMIRROR_READ, p, len,
					u, &c);
	t = timer_stop(op, t);
	if (rd >= 0)
		close(rd);
	bad = pattern_bad_word(write ? p : u, len, seed);
	if (ret || c.cpages != len / psz || bad >= 0)
		bench_err(op, "ret=%d cpages=%llu/%zu mismatch=%ld", ret,
			  (unsigned long long)c.cpages, len / psz, bad);
	else
		add(op, sp, t);
	munmap(u, len);
	munmap(p, len);
}

static void bench_kind(int thp, size_t len, unsigned int reps, int ctl)
{
	struct samples s[NR_OPS] = {};
	struct devmm_dev_info i0, i1;
	int fd, have_info;
	struct hmm_dmirror_cmd c;
	char *p, *out, *src, *dst;
	unsigned int r, folio_note = 0;
	uint64_t t, seed;
	long bad;
	int ret;

	kind = thp ? "thp" : "4k";
	sample_bytes = len;
	sample_procs = 1;
	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		bench_err(OP_MIGRATE_TO_DEV, "open-%s-%s", device, strerror(errno));
		return;
	}
	have_info = test_dev_info(fd, &i0) == 0;
	/* The device's ptr buffer: system memory, faulted in once. */
	out = buf_alloc(len, 0);
	memset(out, 0, len);

	/* Warm-up, untimed: device memory is allocated on first use. */
	p = buf_alloc(len, thp);
	pattern_fill(p, len, 1);
	if (!dmirror(fd, HMM_DMIRROR_MIGRATE_TO_DEV, p, len, out, &c))
		dmirror(fd, HMM_DMIRROR_MIGRATE_TO_SYS, p, len, NULL, &c);
	munmap(p, len);

	for (r = 0; r < reps; r++) {
		seed = 100 + r * 8;

		/* Migrate to the device, then fault every page back. */
		p = buf_alloc(len, thp);
		pattern_fill(p, len, seed);
		if (!migrate_in(fd, p, out, len, seed, &s[OP_MIGRATE_TO_DEV],
				OP_MIGRATE_TO_DEV)) {
			s[OP_CPU_FAULT].thp_pct = s[OP_MIGRATE_TO_DEV].thp_pct;
			s[OP_CPU_FAULT].contig_pct = s[OP_MIGRATE_TO_DEV].contig_pct;
			s[OP_CPU_FAULT].thp_after = -1;
			t = timer_start(OP_CPU_FAULT);
			touch(p, len);
			t = timer_stop(OP_CPU_FAULT, t);
			if (thp)
				s[OP_CPU_FAULT].thp_after = thp_percent(p, len);
			bad = pattern_bad_word(p, len, seed);
			if (bad >= 0)
				bench_err(OP_CPU_FAULT, "mismatch-at-word-%ld", bad);
			else
				add(OP_CPU_FAULT, &s[OP_CPU_FAULT], t);
		}
		munmap(p, len);

		/*
		 * Migrate to the device, read it there (the read-back part
		 * of a migration), then migrate it explicitly back.
		 */
		p = buf_alloc(len, thp);
		pattern_fill(p, len, seed + 1);
		if (!migrate_in(fd, p, out, len, seed + 1, &s[OP_MIGRATE_TO_DEV],
				OP_MIGRATE_TO_DEV)) {
			s[OP_DEV_READ_LOCAL].thp_pct = s[OP_MIGRATE_TO_DEV].thp_pct;
			s[OP_DEV_READ_LOCAL].contig_pct = s[OP_MIGRATE_TO_DEV].contig_pct;
			s[OP_DEV_READ_LOCAL].thp_after = -1;
			memset(out, 0, len);
			t = timer_start(OP_DEV_READ_LOCAL);
			ret = dmirror(fd, HMM_DMIRROR_READ, p, len, out, &c);
			t = timer_stop(OP_DEV_READ_LOCAL, t);
			bad = pattern_bad_word(out, len, seed + 1);
			if (ret || c.cpages != len / psz || bad >= 0)
				bench_err(OP_DEV_READ_LOCAL, "ret=%d cpages=%llu/%zu mismatch=%ld",
					  ret, (unsigned long long)c.cpages, len / psz, bad);
			else
				add(OP_DEV_READ_LOCAL, &s[OP_DEV_READ_LOCAL], t);
			if (c.faults)
				printf("BENCHINFO module=%s round=%s kind=%s note=dev_read_local-faulted faults=%llu\n",
				       label, round_id, kind, (unsigned long long)c.faults);
			s[OP_MIGRATE_TO_SYS].thp_pct = s[OP_MIGRATE_TO_DEV].thp_pct;
			s[OP_MIGRATE_TO_SYS].contig_pct = s[OP_MIGRATE_TO_DEV].contig_pct;
			s[OP_MIGRATE_TO_SYS].thp_after = -1;
			t = timer_start(OP_MIGRATE_TO_SYS);
			ret = dmirror(fd, HMM_DMIRROR_MIGRATE_TO_SYS, p, len, NULL, &c);
			t = timer_stop(OP_MIGRATE_TO_SYS, t);
			if (thp)
				s[OP_MIGRATE_TO_SYS].thp_after = thp_percent(p, len);
			bad = pattern_bad_word(p, len, seed + 1);
			/* test_hmm counts a THP that moved as one page. */
			if (thp && !ret && c.cpages == len / PMD && !folio_note++)
				printf("BENCHINFO module=%s round=%s kind=%s note=migrate_to_sys-cpages-counts-each-thp-once cpages=%llu npages=%zu\n",
				       label, round_id, kind, (unsigned long long)c.cpages, len / psz);
			if (ret || (c.cpages != len / psz && !(thp && c.cpages == len / PMD)) ||
			    bad >= 0)
				bench_err(OP_MIGRATE_TO_SYS, "ret=%d cpages=%llu/%zu mismatch=%ld",
					  ret, (unsigned long long)c.cpages, len / psz, bad);
			else
				add(OP_MIGRATE_TO_SYS, &s[OP_MIGRATE_TO_SYS], t);
		}
		munmap(p, len);

		/*
		 * The device reads system memory through a new mirror into
		 * a fresh buffer (as a program's new malloc()), and writes a
		 * filled buffer into fresh system memory.
		 */
		fresh_access(OP_DEV_READ, &s[OP_DEV_READ], thp, len, seed + 2);
		fresh_access(OP_DEV_WRITE, &s[OP_DEV_WRITE], thp, len, seed + 4);

		/* devmm: evict everything from the device. */
		if (ctl >= 0 && have_info) {
			struct devmm_dev_cmd e = { .id = i0.id };
			struct samples scratch = {};

			p = buf_alloc(len, thp);
			pattern_fill(p, len, seed + 3);
			if (!migrate_in(fd, p, out, len, seed + 3, &scratch, NR_OPS)) {
				s[OP_EVICT].thp_pct = scratch.thp_pct;
				s[OP_EVICT].contig_pct = scratch.contig_pct;
				s[OP_EVICT].thp_after = -1;
				t = timer_start(OP_EVICT);
				ret = ioctl(ctl, DEVMM_IOC_EVICT, &e) ? -errno : 0;
				t = timer_stop(OP_EVICT, t);
				if (thp)
					s[OP_EVICT].thp_after = thp_percent(p, len);
				bad = pattern_bad_word(p, len, seed + 3);
				if (ret || e.result < len || bad >= 0)
					bench_err(OP_EVICT, "ret=%d evicted=%llu/%zu mismatch=%ld",
						  ret, (unsigned long long)e.result, len, bad);
				else
					add(OP_EVICT, &s[OP_EVICT], t);
			}
			munmap(p, len);
		}
	}
	for (r = 0; have_info && r < reps; r++)
		demand_read(fd, thp, out, len, 200 + r, &s[OP_DEMAND_READ]);
	for (r = 0; have_info && ctl >= 0 && r < reps; r++)
		evict_pressure(ctl, fd, &i0, thp, len, 300 + r, &s[OP_EVICT_PRESSURE]);
	if (have_info && !test_dev_info(fd, &i1))
		print_counters("bench", &i0, &i1);
	close(fd);
	munmap(out, len);

	/* The ceiling: a user-space copy between two buffers of this kind. */
	src = buf_alloc(len, thp);
	dst = buf_alloc(len, thp);
	pattern_fill(src, len, 7);
	memset(dst, 0, len);
	layout(&s[OP_MEMCPY], src, len);
	/* The less contiguous of the two buffers. */
	ret = contig_percent(dst, len);
	if (ret < s[OP_MEMCPY].contig_pct)
		s[OP_MEMCPY].contig_pct = ret;
	for (r = 0; r < reps; r++) {
		t = timer_start(OP_MEMCPY);
		memcpy(dst, src, len);
		t = timer_stop(OP_MEMCPY, t);
		add(OP_MEMCPY, &s[OP_MEMCPY], t);
	}
	if (pattern_bad_word(dst, len, 7) >= 0)
		bench_err(OP_MEMCPY, "mismatch");
	munmap(src, len);
	munmap(dst, len);

	for (r = 0; r < OP_MIGRATE_TO_DEV_COLD; r++) {
		if (r == OP_EVICT && !(ctl >= 0 && have_info)) {
			printf("BENCH module=%s round=%s kind=%s op=evict bytes=%zu na=1 reason=no-eviction-ioctl\n",
			       label, round_id, kind, len);
			continue;
		}
		if (r == OP_EVICT_PRESSURE && !(ctl >= 0 && have_info)) {
			printf("BENCH module=%s round=%s kind=%s op=evict_pressure bytes=%zu na=1 reason=no-eviction-ioctl\n",
			       label, round_id, kind, len);
			continue;
		}
		if (r == OP_DEMAND_READ && !have_info) {
			printf("BENCH module=%s round=%s kind=%s op=demand_read bytes=%zu na=1 reason=no-range-attributes\n",
			       label, round_id, kind, len);
			continue;
		}
		report(r, &s[r], len);
	}
}

/*
 * What a program would do without a device: memcpy() @src (filled with
 * @seed, in system memory) into a fresh buffer of @pthp pages, so that the
 * kernel's page faults on it (allocate, zero, map) are in the time, as they
 * are in a migration's read-back into a fresh ptr.  Timed, checked,
 * recorded in @s.
 */
static void memcpy_fresh(const char *src, size_t len, int pthp, uint64_t seed,
			 struct samples *s)
{
	char *dst = buf_alloc(len, pthp);
	uint64_t t;

	layout(s, src, len);
	t = timer_start(OP_MEMCPY);
	memcpy(dst, src, len);
	t = timer_stop(OP_MEMCPY, t);
	if (pattern_bad_word(dst, len, seed) >= 0)
		bench_err(OP_MEMCPY, "fresh-mismatch");
	else
		add(OP_MEMCPY, s, t);
	munmap(dst, len);
}

/*
 * One cell of the ptr-buffer matrix (-P): migrate_to_dev of a filled
 * buffer of @thp source pages, read back into a ptr buffer of kind @pk: a
 * fresh one (never touched, as a new malloc()) for every repetition, or
 * one faulted in once.  @cold: no warm-up, the first migration of this
 * process (right after the module was loaded) is its own sample.
 */
static void ptr_cell(int thp, enum ptr_kind pk, size_t len, unsigned int reps, int cold)
{
	int fresh = pk == PTR_FRESH_4K || pk == PTR_FRESH_THP;
	int pthp = pk == PTR_FRESH_THP || pk == PTR_FAULTED_THP;
	struct samples s[NR_OPS] = {};
	struct hmm_dmirror_cmd c;
	char *p, *out, *kept = NULL, *csrc = NULL;
	unsigned int r;
	int fd;

	snprintf(kind_buf, sizeof(kind_buf), "%s/%s", thp ? "thp" : "4k", ptr_name[pk]);
	kind = kind_buf;
	sample_bytes = len;
	sample_procs = 1;
	fd = open(device, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		bench_err(OP_MIGRATE_TO_DEV, "open-%s-%s", device, strerror(errno));
		return;
	}
	if (!fresh) {
		kept = buf_alloc(len, pthp);
		memset(kept, 0, len);
	}
	if (!cold) {
		p = buf_alloc(len, thp);
		out = kept ? kept : buf_alloc(len, pthp);
		pattern_fill(p, len, 1);
		if (!dmirror(fd, HMM_DMIRROR_MIGRATE_TO_DEV, p, len, out, &c))
			dmirror(fd, HMM_DMIRROR_MIGRATE_TO_SYS, p, len, NULL, &c);
		munmap(p, len);
		if (!kept)
			munmap(out, len);
	}
	for (r = 0; r < reps + !!cold; r++) {
		enum op op = cold && !r ? OP_MIGRATE_TO_DEV_COLD : OP_MIGRATE_TO_DEV;

		p = buf_alloc(len, thp);
		out = kept ? kept : buf_alloc(len, pthp);
		pattern_fill(p, len, 200 + r);
		migrate_in(fd, p, out, len, 200 + r, &s[op], op);
		munmap(p, len);
		/*
		 * p is on the device now: the copy's source is a buffer of the
		 * same kind in system memory, made after the cold migration.
		 */
		if (fresh) {
			if (!csrc) {
				csrc = buf_alloc(len, thp);
				pattern_fill(csrc, len, 7);
			}
			memcpy_fresh(csrc, len, pthp, 7, &s[OP_MEMCPY]);
		}
		if (!kept)
			munmap(out, len);
	}
	close(fd);
	if (kept)
		munmap(kept, len);
	if (csrc)
		munmap(csrc, len);
	report(OP_MIGRATE_TO_DEV, &s[OP_MIGRATE_TO_DEV], len);
	if (cold)
		report(OP_MIGRATE_TO_DEV_COLD, &s[OP_MIGRATE_TO_DEV_COLD], len);
	if (fresh)
		report(OP_MEMCPY, &s[OP_MEMCPY], len);
}

/*
 * -j N: @nprocs processes at once, each migrate_to_dev of its own buffer
 * (4 KiB pages) into a fresh ptr buffer, process i on device i modulo the
 * -d list.  The repetitions start together (a process-shared barrier);
 * a sample is the time until the last process finished, for all bytes.
 */
static void procs_cell(size_t len, unsigned int reps, unsigned int nprocs, char **devs,
		       unsigned int ndevs)
{
	struct shared {
		pthread_barrier_t bar;
		uint64_t ns[MAX_SAMPLES][8];
		int failed;
	} *sh;
	struct samples s = {};
	pthread_barrierattr_t ba;
	unsigned int i, r;
	int status;

	snprintf(kind_buf, sizeof(kind_buf), "4k/fresh-4k");
	kind = kind_buf;
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	pthread_barrierattr_init(&ba);
	pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(&sh->bar, &ba, nprocs);
	fflush(stdout);
	for (i = 0; i < nprocs; i++) {
		if (fork())
			continue;
		/* Process i: every barrier is waited at, whatever fails. */
		device = devs[i % ndevs];
		int fd = open(device, O_RDWR | O_CLOEXEC);
		struct hmm_dmirror_cmd c;

		if (fd < 0)
			bench_err(OP_MIGRATE_TO_DEV, "open-%s-%s", device, strerror(errno));
		for (r = 0; r <= reps; r++) {
			char *p = buf_alloc(len, 0), *out = buf_alloc(len, 0);
			uint64_t t;
			int ret;

			pattern_fill(p, len, 300 + r + i);
			pthread_barrier_wait(&sh->bar);
			t = now_ns();
			ret = fd < 0 ? -EBADF :
			      dmirror(fd, HMM_DMIRROR_MIGRATE_TO_DEV, p, len, out, &c);
			sh->ns[r][i] = now_ns() - t;
			/*
			 * test_hmm's read-back fails with ENOENT when a page
			 * did not move (its migration does not retry): the
			 * sample is dropped, noted, not an error of the run.
			 */
			if (ret == -ENOENT && !strcmp(label, "test_hmm")) {
				printf("BENCHINFO module=%s round=%s kind=%s note=proc-%u-rep-%u-enoent-dropped\n",
				       label, round_id, kind, i, r);
				fflush(stdout);
				sh->ns[r][i] = UINT64_MAX;
			} else if (ret || c.cpages != len / psz ||
				   pattern_bad_word(out, len, 300 + r + i) >= 0) {
				bench_err(OP_MIGRATE_TO_DEV, "proc=%u ret=%d cpages=%llu", i, ret,
					  (unsigned long long)c.cpages);
				__atomic_store_n(&sh->failed, 1, __ATOMIC_SEQ_CST);
			}
			pthread_barrier_wait(&sh->bar);
			munmap(p, len);
			munmap(out, len);
		}
		exit(errors ? 1 : 0);
	}
	for (i = 0; i < nprocs; i++) {
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			errors++;
	}
	sample_bytes = len;
	sample_procs = nprocs;
	/* Repetition 0 warms up each device. */
	for (r = 1; r <= reps && !sh->failed; r++) {
		uint64_t worst = 0;

		for (i = 0; i < nprocs; i++)
			if (sh->ns[r][i] > worst)
				worst = sh->ns[r][i];
		if (worst != UINT64_MAX)
			add(OP_MIGRATE_TO_DEV, &s, worst);
	}
	report(OP_MIGRATE_TO_DEV, &s, len * nprocs);
	munmap(sh, sizeof(*sh));
}

int main(int argc, char **argv)
{
	unsigned int reps = 5;
	size_t mib = 256;
	const char *only = NULL;
	char *ack, *devs[8];
	unsigned int ndevs = 0, nprocs = 0, i;
	int opt, ctl, pk = -1, cold = 0;

	psz = sysconf(_SC_PAGESIZE);
	while ((opt = getopt(argc, argv, "m:R:s:r:d:k:p:c:P:Cj:")) != -1) {
		switch (opt) {
		case 'm':
			label = optarg;
			break;
		case 'R':
			round_id = optarg;
			break;
		case 's':
			mib = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			reps = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			device = optarg;
			for (ack = strtok(optarg, ","); ack && ndevs < 8; ack = strtok(NULL, ","))
				devs[ndevs++] = ack;
			break;
		case 'P':
			for (pk = 0; pk < NR_PTR_KINDS; pk++)
				if (!strcmp(optarg, ptr_name[pk]))
					break;
			if (pk == NR_PTR_KINDS) {
				fprintf(stderr, "bench_hmm: no ptr kind %s\n", optarg);
				return 2;
			}
			break;
		case 'C':
			cold = 1;
			break;
		case 'j':
			nprocs = strtoul(optarg, NULL, 0);
			break;
		case 'k':
			only = optarg;
			break;
		case 'p':
			for (prof_op = 0; prof_op < NR_OPS; prof_op++)
				if (!strcmp(optarg, op_name[prof_op]))
					break;
			if (prof_op == NR_OPS) {
				fprintf(stderr, "bench_hmm: no workload %s\n", optarg);
				return 2;
			}
			break;
		case 'c':
			ack = strchr(optarg, ',');
			if (!ack) {
				fprintf(stderr, "bench_hmm: -c CTL,ACK\n");
				return 2;
			}
			*ack++ = 0;
			prof_ctl = open(optarg, O_WRONLY | O_CLOEXEC);
			prof_ack = open(ack, O_RDONLY | O_CLOEXEC);
			if (prof_ctl < 0 || prof_ack < 0) {
				perror("bench_hmm: perf control fifos");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: %s [-m LABEL] [-R ROUND] [-s MIB] [-r REPS] [-d DEVICE[,DEVICE...]] [-k 4k|thp] [-p OP -c CTL,ACK] [-P PTR-KIND [-C]] [-j PROCS]\n",
				argv[0]);
			return 2;
		}
	}
	if (only && strcmp(only, "4k") && strcmp(only, "thp")) {
		fprintf(stderr, "bench_hmm: -k 4k or -k thp\n");
		return 2;
	}
	if (nprocs > 8 || (nprocs && (!ndevs || reps >= MAX_SAMPLES))) {
		fprintf(stderr, "bench_hmm: -j 1..8 with -d DEVICE[,DEVICE...]\n");
		return 2;
	}
	if (!ndevs)
		devs[ndevs++] = (char *)device;
	if (!mib || mib % 2 || !reps || reps > MAX_SAMPLES / 2) {
		fprintf(stderr, "bench_hmm: -s must be an even number of MiB, -r 1..%d\n",
			MAX_SAMPLES / 2);
		return 2;
	}
	/* devmm's control device, for eviction; absent with test_hmm. */
	ctl = open("/dev/" DEVMM_CONTROL_NAME, O_RDWR | O_CLOEXEC);
	printf("BENCHINFO module=%s round=%s device=%s bytes=%zu reps=%u page_size=%zu evict=%s\n",
	       label, round_id, device, mib * MB, reps, psz, ctl >= 0 ? "yes" : "no");
	fflush(stdout);
	if (nprocs) {
		procs_cell(mib * MB, reps, nprocs, devs, ndevs);
	} else if (pk >= 0) {
		for (i = 0; i < 2; i++)
			if (!only || !strcmp(only, i ? "thp" : "4k"))
				ptr_cell(i, pk, mib * MB, reps, cold);
	} else {
		if (!only || !strcmp(only, "4k"))
			bench_kind(0, mib * MB, reps, ctl);
		if (!only || !strcmp(only, "thp"))
			bench_kind(1, mib * MB, reps, ctl);
	}
	if (ctl >= 0)
		close(ctl);
	printf("BENCHINFO module=%s round=%s errors=%d\n", label, round_id, errors);
	return errors ? 1 : 0;
}
