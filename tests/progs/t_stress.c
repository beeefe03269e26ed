// SPDX-License-Identifier: GPL-2.0
/*
 * A stress tool: N processes of M threads each do random operations on
 * random ranges of private and shared anonymous memory for a bounded time,
 * while one more process evicts, changes capacities and policies through
 * the control device and destroys and re-creates a device that the workers
 * use too.  Operations: migration to a device and back (of a thread's own
 * pages, or of anybody's), CPU reads and writes, device reads and writes
 * through the node's READ/WRITE ioctls, fork with COW writes on both sides,
 * mprotect, munmap and re-mmap, mremap, MADV_DONTNEED, exclusive access
 * (where the kernel offers it: of a thread's own pages, or of anybody's,
 * against their owner's MADV_DONTNEED and munmap), test_hmm's RELEASE, and
 * snapshots.  The control process's second thread evicts everything from
 * the churn device over and over, racing with its DESTROY.
 *
 * Demand paging (ABI 1.1): two processes in three start with migrate-on-fault
 * attributes over their whole private region, each on a device of its own
 * at a granularity of its own; every thread gives its own ranges attributes
 * (demand paging at 4 KiB, 64 KiB or 2 MiB, accessed-by, system memory, the
 * defaults) for any device, the churn one included, and now and then the
 * whole region again while other threads unmap and move their parts of it.
 * Device reads and writes then often go through the file of the device the
 * pages prefer, so their device faults migrate the pages there, racing with
 * munmap, MADV_DONTNEED, mremap, mprotect, fork (a child gives its copy
 * attributes of its own and reads it through a device, and changes its
 * parent's through the parent's file with DEVMM_ATTR_OPENER), explicit
 * migrations, evictions, capacity changes, DESTROY of the churn device and
 * SETTINGS (policy, eviction batch and unit, seed) from the control
 * process.  Batches of reads, writes and migrations go through
 * DEVMM_IOC_ACCESS (a read in a batch sees the writes before it), and device
 * reads of anybody's pages fault other threads' pages over.
 *
 * Every page's content is tracked: each page of the memory has one owning
 * thread, the only one that writes it, and holds that thread's stamp
 * (owner, page, generation) in every word.  Whatever read it (the CPU, or a
 * device through a node's READ), a page must hold the last stamp its owner
 * wrote, or zeros after MADV_DONTNEED of private memory and after munmap.
 * Other threads migrate, evict and fork over pages they do not own, which
 * must never change what the owner reads.
 *
 * Seeded: each thread's random choices come from the seed (-s) and its
 * process and thread numbers, so a seed replays the same operations (their
 * interleaving is the scheduler's).
 *
 * usage: t_stress [-s SEED] [-t SECONDS] [-p PROCS] [-j THREADS] /path/to/devmm.ko
 * lane environment: LANE_EXPECT_PRIVATE, LANE_COHERENT_A, LANE_COHERENT_B,
 * DEVMM_STRESS_SECONDS (the default for -t), DEVMM_STRESS_SEED (the default
 * for -s; else a new seed each run).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/devmm_hmm.h>
#include "devmm_test.h"

/* Pages each thread owns: one PMD of private memory, some shared memory. */
#define PRIV_PAGES	512
#define SHR_PAGES	32
#define MAX_PROCS	8
#define MAX_THREADS	8
#define MAX_DEVS	6
#define WORDS		(PG / 8)
#define K		0x9e3779b97f4a7c15ULL
/* attr_priv[], attr_shr[]: the churn device, beside the stable ones' indices. */
#define CHURN_DI	MAX_DEVS

/* Granularities of demand paging: a page, 64 KiB, a PMD. */
static const uint64_t grans[] = { 4096, 65536, 2 * MB };

/* ---- operations and shared state ---- */

enum op {
	OP_CPU_WRITE, OP_CPU_VERIFY, OP_MIGRATE_DEV, OP_MIGRATE_DEV_ANY, OP_MIGRATE_SYS,
	OP_DEV_READ, OP_DEV_WRITE, OP_FORK, OP_MPROTECT, OP_MUNMAP, OP_MREMAP, OP_DONTNEED,
	OP_EXCLUSIVE, OP_EXCLUSIVE_ANY, OP_SNAPSHOT, OP_SET_ATTR, OP_ACCESS, OP_DEV_READ_ANY,
	OP_MREMAP_REFUSED,
	/* the control process */
	OP_EVICT, OP_SET_CAPACITY, OP_SET_POLICY, OP_SETTINGS, OP_QUERY, OP_DESTROY, OP_CREATE,
	NOPS
};

static const char *const op_name[NOPS] = {
	"cpu_write", "cpu_verify", "migrate_to_dev", "migrate_to_dev_any_owner",
	"migrate_to_sys", "dev_read", "dev_write", "fork_cow", "mprotect", "munmap_remap",
	"mremap", "madv_dontneed", "exclusive", "exclusive_any_owner", "snapshot",
	"set_attr", "access_batch", "dev_read_any_owner", "mremap_of_several_mappings_refused",
	"evict", "set_capacity", "set_policy", "settings", "query", "destroy", "create",
};

/* Relative frequency of the workers' operations. */
static const int op_weight[OP_MREMAP_REFUSED] = {
	[OP_CPU_WRITE] = 14, [OP_CPU_VERIFY] = 12, [OP_MIGRATE_DEV] = 14,
	[OP_MIGRATE_DEV_ANY] = 6, [OP_MIGRATE_SYS] = 8, [OP_DEV_READ] = 10,
	[OP_DEV_WRITE] = 8, [OP_FORK] = 1, [OP_MPROTECT] = 3, [OP_MUNMAP] = 3,
	[OP_MREMAP] = 3, [OP_DONTNEED] = 3, [OP_EXCLUSIVE] = 4, [OP_EXCLUSIVE_ANY] = 3,
	[OP_SNAPSHOT] = 3, [OP_SET_ATTR] = 4, [OP_ACCESS] = 8, [OP_DEV_READ_ANY] = 4,
};

struct device {
	int id;
	unsigned int kind;
	uint64_t size;		/* coherent: its range */
};

/* Everything the processes share (MAP_SHARED, set up before they fork). */
struct shared {
	volatile int stop;
	volatile int churn_id;		/* the device being destroyed and re-created; -1: none */
	volatile unsigned int churn_gen;
	int ndevs;
	struct device devs[MAX_DEVS];	/* the stable devices */
	unsigned long ops[NOPS];
	unsigned long mismatches, bad_errnos, unclean_children, diags;
	/* demand paging on the churn devices, counted before each DESTROY */
	unsigned long long churn_faults, churn_migrated, churn_remote;
	/* what each thread is doing, for the watchdog */
	volatile unsigned long beat[MAX_PROCS + 1][MAX_THREADS];
	volatile int doing[MAX_PROCS + 1][MAX_THREADS];
};

static struct shared *sh;
static uint64_t seed;
static int nprocs = 3, nthreads = 3, seconds;
static unsigned long long caps;
static uint64_t coh_a, coh_a_size, coh_b, coh_b_size;
static char *shr_region;	/* shared by every worker process */

static void add(unsigned long *p, unsigned long v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

/* At most this many diagnostics in all, so a broken kernel does not flood the log. */
static int diag_ok(void)
{
	return __atomic_fetch_add(&sh->diags, 1, __ATOMIC_RELAXED) < 30;
}

/*
 * A test_hmm command (its struct orders addr, ptr, npages), as devmm_range()
 * does devmm's own: 0 or -errno, *@cpages if not NULL.
 */
static int hmm_cmd(int fd, unsigned long cmd, const void *addr, unsigned long npages, void *ptr,
		   unsigned long long *cpages)
{
	struct hmm_dmirror_cmd h = { .addr = (uintptr_t)addr, .ptr = (uintptr_t)ptr,
				     .npages = npages };
	int ret = ioctl(fd, cmd, &h) ? -errno : 0;

	if (cpages)
		*cpages = h.cpages;
	return ret;
}

/* ---- stamps ---- */

/*
 * Word i of a page holding generation @gen of page @page of owner @owner
 * (shared or private memory); generation 0 is a page of zeros.
 */
static uint64_t stamp(unsigned int owner, int shared, unsigned long page, uint32_t gen)
{
	if (!gen)
		return 0;
	return ((uint64_t)gen << 32) | ((uint64_t)owner << 20) | ((uint64_t)shared << 19) | page;
}

static void fill_page(void *p, uint64_t s)
{
	uint64_t *w = p;
	unsigned int i;

	for (i = 0; i < WORDS; i++)
		w[i] = s ^ (i * K);
}

/* The first word that differs, or -1. */
static int page_differs(const void *p, uint64_t s)
{
	const uint64_t *w = p;
	unsigned int i;

	if (!s) {
		for (i = 0; i < WORDS; i++)
			if (w[i])
				return i;
		return -1;
	}
	for (i = 0; i < WORDS; i++)
		if (w[i] != (s ^ (i * K)))
			return i;
	return -1;
}

/* ---- a worker thread ---- */

struct thr {
	int p, t;
	unsigned int owner;
	uint64_t rng;
	char *priv, *shr, *spare;	/* its private block, shared block, mremap slot */
	uint32_t gen_priv[PRIV_PAGES], gen_shr[SHR_PAGES];
	/* a page whose last write may or may not have happened: either gen */
	uint32_t alt_priv[PRIV_PAGES], alt_shr[SHR_PAGES];
	/*
	 * The device (sh->devs[] index, CHURN_DI) each page was last given
	 * demand-paging attributes for by this thread, or -1: which file a
	 * device access of it goes through, now and then (a hint only).
	 */
	signed char attr_priv[PRIV_PAGES], attr_shr[SHR_PAGES];
	int demand_di;			/* the process's region-wide demand device, or -1 */
	uint32_t next_gen;
	uint32_t batch_gen[PRIV_PAGES];	/* an ACCESS batch's writes, by scratch page */
	int fds[MAX_DEVS];
	/* The process's threads: their files are shared now and then. */
	struct thr *siblings;
	int churn_fd, churn_id, churn_dead;
	unsigned int churn_gen;
	char *scratch;			/* PRIV_PAGES pages for device reads and writes */
	char *region;			/* the process's private region */
	unsigned long region_pages;
	unsigned long ops[NOPS];
	unsigned long fails;		/* its mismatches and bad errnos */
	pthread_barrier_t *start;
};

static uint64_t rn(struct thr *t, uint64_t n)
{
	return n ? splitmix64(&t->rng) % n : 0;
}

static int chance(struct thr *t, unsigned int pct)
{
	return rn(t, 100) < pct;
}

static uint32_t *gens(struct thr *t, int shared)
{
	return shared ? t->gen_shr : t->gen_priv;
}

static uint32_t *alts(struct thr *t, int shared)
{
	return shared ? t->alt_shr : t->alt_priv;
}

static char *block(struct thr *t, int shared)
{
	return shared ? t->shr : t->priv;
}

static signed char *attr_hints(struct thr *t, int shared)
{
	return shared ? t->attr_shr : t->attr_priv;
}

/* A random range of the thread's own block: [*first, *first + *n). */
static void own_range(struct thr *t, int shared, unsigned long *first, unsigned long *n)
{
	unsigned long pages = shared ? SHR_PAGES : PRIV_PAGES;
	unsigned int r = rn(t, 100);

	if (r < 10 && !shared) {
		*first = 0;
		*n = pages;
		return;
	}
	*n = r < 40 ? 1 : r < 85 ? 1 + rn(t, 32) : 1 + rn(t, pages);
	if (*n > pages)
		*n = pages;
	*first = rn(t, pages - *n + 1);
}

static void bad_errno(struct thr *t, enum op op, const char *what, int ret)
{
	t->fails++;
	add(&sh->bad_errnos, 1);
	if (diag_ok())
		tap_diag_raw("FAIL: process %d thread %d: %s: %s gave %s (seed %llu)", t->p, t->t,
		     op_name[op], what, errname(ret), (unsigned long long)seed);
}

/* Whether a device's answer on the churn device may be "it was destroyed". */
static int is_churn(struct thr *t, int fd)
{
	return fd >= 0 && fd == t->churn_fd;
}

/*
 * A new churn device's file: half the time, demand paging of one of the
 * thread's private ranges on it, so that its device faults race with the
 * device's DESTROY.
 */
static void churn_attrs(struct thr *t, int fd)
{
	struct devmm_attr a = { .mask = DEVMM_ATTR_ALL, .preferred = DEVMM_LOC_DEVICE,
				.migrate_on_fault = 1 };
	unsigned long first, n, i;
	int ret;

	if (!chance(t, 50))
		return;
	own_range(t, 0, &first, &n);
	a.addr = (uintptr_t)t->priv + first * PG;
	a.npages = n;
	a.granularity = grans[rn(t, NELEM(grans))];
	ret = ioctl(fd, DEVMM_IOC_SET_ATTR, &a) ? -errno : 0;
	/* EFAULT: a hole for a moment (a munmap or mremap of the range not redone yet). */
	if (ret == -ENODEV)
		t->churn_dead = 1;
	else if (ret && ret != -ENOMEM && ret != -EFAULT)
		bad_errno(t, OP_SET_ATTR, "SET_ATTR on a new churn device", ret);
	for (i = first; !ret && i < first + n; i++)
		t->attr_priv[i] = CHURN_DI;
}

/* The churn device's file, opened again if the device was re-created. */
static int churn_fd(struct thr *t)
{
	unsigned int g = sh->churn_gen;
	int id = sh->churn_id;

	if (t->churn_fd >= 0 && (t->churn_gen != g || t->churn_id != id || t->churn_dead)) {
		close(t->churn_fd);
		t->churn_fd = -1;
		t->churn_dead = 0;
	}
	if (t->churn_fd < 0 && id >= 0) {
		t->churn_fd = devmm_node_open(id);
		t->churn_id = id;
		t->churn_gen = g;
		if (t->churn_fd >= 0)
			churn_attrs(t, t->churn_fd);
	}
	return t->churn_fd;
}

/* A file of a random device: @memory: one with memory of its own. */
static int pick_fd(struct thr *t, int memory)
{
	int i, n = 0, cand[MAX_DEVS];

	if (chance(t, 20)) {
		int fd = churn_fd(t);

		if (fd >= 0)
			return fd;
	}
	for (i = 0; i < sh->ndevs; i++)
		if (!memory || sh->devs[i].kind != DEVMM_KIND_MIRROR)
			cand[n++] = i;
	/*
	 * Another thread's file of the same process: one file's device
	 * writes then race with its own migrations (a review found writes
	 * lost that way).
	 */
	if (nthreads > 1 && chance(t, 25))
		return t->siblings[rn(t, nthreads)].fds[cand[rn(t, n)]];
	return t->fds[cand[rn(t, n)]];
}

/*
 * After a call on the churn device that said ENODEV: that file is done (it
 * is closed when the next one is opened, so that is_churn() still knows it).
 */
static void churn_gone(struct thr *t, int fd, int ret)
{
	if (ret == -ENODEV && is_churn(t, fd))
		t->churn_dead = 1;
}

/* Whether @fd is a file of a mirror-only device (no memory: no migration, no attributes). */
static int fd_is_mirror(struct thr *t, int fd)
{
	int i, k;

	for (i = 0; i < sh->ndevs; i++)
		for (k = 0; sh->devs[i].kind == DEVMM_KIND_MIRROR && k < nthreads; k++)
			if (t->siblings[k].fds[i] == fd)
				return 1;
	return 0;
}

/* A file of device @di (sh->devs[] index, or CHURN_DI): its own or a sibling's; -1 if none. */
static int dev_fd(struct thr *t, int di)
{
	if (di == CHURN_DI)
		return churn_fd(t);
	if (nthreads > 1 && chance(t, 25))
		return t->siblings[rn(t, nthreads)].fds[di];
	return t->fds[di];
}

/*
 * The file for a device access of a block's pages from @first: now and
 * then that of the device the pages' attributes prefer (the access then
 * faults them there: demand paging), else pick_fd()'s.
 */
static int demand_fd(struct thr *t, int shared, unsigned long first, int memory)
{
	int d = attr_hints(t, shared)[first], fd;

	if (d < 0 && !shared)
		d = t->demand_di;
	if (d >= 0 && chance(t, 60)) {
		fd = dev_fd(t, d);
		if (fd >= 0)
			return fd;
	}
	return pick_fd(t, memory);
}

/* The snapshot byte of one page through @fd, for diagnostics. */
static unsigned int snap_byte(struct thr *t, const void *addr)
{
	uint8_t b = 0xee;

	if (devmm_range(t->fds[0], DEVMM_IOC_SNAPSHOT, addr, 1, &b, NULL))
		return 0xee;
	return b;
}

/*
 * Check pages [first, first + n) of a block against their stamps, as read
 * at @data (the mapping itself, a moved mapping or a device read's buffer).
 * A page that may hold either of two generations settles on the one found.
 */
static void verify(struct thr *t, enum op op, int shared, unsigned long first, unsigned long n,
		   const char *data, const char *how)
{
	uint32_t *g = gens(t, shared), *a = alts(t, shared);
	unsigned long i;

	for (i = 0; i < n; i++) {
		unsigned long pg = first + i;
		const char *p = data + i * PG;
		uint64_t s = stamp(t->owner, shared, pg, g[pg]);
		int w = page_differs(p, s);

		if (w >= 0 && a[pg]) {
			uint64_t s2 = stamp(t->owner, shared, pg, a[pg]);

			if (page_differs(p, s2) < 0) {
				g[pg] = a[pg];
				w = -1;
			}
		}
		a[pg] = 0;
		if (w < 0)
			continue;
		t->fails++;
		add(&sh->mismatches, 1);
		if (diag_ok()) {
			uint64_t got = ((const uint64_t *)p)[w] ^ (s ? w * K : 0);

			tap_diag_raw("FAIL: process %d thread %d: %s: %s page %lu of its %s block (%p) word %d: found 0x%016llx (gen %llu owner 0x%llx page %llu), expected gen %u; snapshot 0x%02x (seed %llu)",
			     t->p, t->t, op_name[op], how, pg, shared ? "shared" : "private",
			     block(t, shared) + pg * PG, w,
			     (unsigned long long)((const uint64_t *)p)[w],
			     (unsigned long long)(got >> 32),
			     (unsigned long long)((got >> 20) & 0xfff),
			     (unsigned long long)(got & 0x7ffff), g[pg],
			     snap_byte(t, block(t, shared) + pg * PG), (unsigned long long)seed);
		}
		/* Start the page over, so that one fault is reported once. */
		g[pg] = ++t->next_gen;
		fill_page(block(t, shared) + pg * PG, stamp(t->owner, shared, pg, g[pg]));
	}
}

static void cpu_write(struct thr *t, int shared, unsigned long first, unsigned long n)
{
	uint32_t *g = gens(t, shared), *a = alts(t, shared);
	unsigned long i;

	for (i = first; i < first + n; i++) {
		g[i] = ++t->next_gen;
		a[i] = 0;
		fill_page(block(t, shared) + i * PG, stamp(t->owner, shared, i, g[i]));
	}
}

static void op_migrate(struct thr *t, enum op op, int shared)
{
	unsigned long cmd = op == OP_MIGRATE_SYS ? DEVMM_IOC_MIGRATE_TO_SYS :
			    DEVMM_IOC_MIGRATE_TO_DEV;
	unsigned int allowed = 0;
	unsigned long long cpages;
	unsigned long first, n;
	char *start;
	int fd = pick_fd(t, 1), ret;

	if (op == OP_MIGRATE_DEV_ANY) {
		/* Anybody's pages: of the process's private region or the shared one. */
		unsigned long total = shared ? (unsigned long)nprocs * nthreads * SHR_PAGES :
					       t->region_pages;

		n = 1 + rn(t, chance(t, 50) ? 64 : total);
		if (n > total)
			n = total;
		first = rn(t, total - n + 1);
		start = (shared ? shr_region : t->region) + first * PG;
	} else {
		own_range(t, shared, &first, &n);
		start = block(t, shared) + first * PG;
	}
	if (op == OP_MIGRATE_SYS && chance(t, 10)) {
		/*
		 * test_hmm's RELEASE: everything of this process on that
		 * device back to system memory, racing with DESTROY of the
		 * churn device and the control process's evictions.
		 */
		ret = hmm_cmd(fd, HMM_DMIRROR_RELEASE, start, n, NULL, &cpages);
		churn_gone(t, fd, ret);
		if (ret && ret != -EBUSY && ret != -EINTR && ret != -EPERM &&
		    !(ret == -ENODEV && is_churn(t, fd)))
			bad_errno(t, op, "release", ret);
		return;
	}
	ret = devmm_range(fd, cmd, start, n, NULL, &cpages);
	churn_gone(t, fd, ret);
	if (!ret && cpages > n)
		bad_errno(t, op, "more pages moved than asked for", -EIO);
	/* Holes: another thread's munmap or mremap in its own block, for a moment. */
	if (op == OP_MIGRATE_DEV_ANY)
		allowed |= 1 << EINVAL;
	if (is_churn(t, fd))
		allowed |= 1 << ENODEV;
	if (ret && ret != -EBUSY && ret != -ENOMEM && !(allowed & (1 << -ret)))
		bad_errno(t, op, "migration", ret);
	if (op != OP_MIGRATE_DEV_ANY && chance(t, 30))
		verify(t, op, shared, first, n, start, "CPU read after migration");
}

static void op_dev_read(struct thr *t, int shared)
{
	unsigned long long cpages;
	unsigned long first, n;
	int fd, ret;
	char *start;

	own_range(t, shared, &first, &n);
	fd = demand_fd(t, shared, first, 0);
	start = block(t, shared) + first * PG;
	if (chance(t, 80))
		ret = devmm_range(fd, DEVMM_IOC_READ, start, n, t->scratch, &cpages);
	else
		ret = hmm_cmd(fd, HMM_DMIRROR_READ, start, n, t->scratch, &cpages);
	churn_gone(t, fd, ret);
	if (!ret && cpages != n)
		bad_errno(t, OP_DEV_READ, "a device read short of the range", -EIO);
	else if (!ret)
		verify(t, OP_DEV_READ, shared, first, n, t->scratch, "device read");
	else if (ret != -EBUSY && ret != -ENOMEM && !(ret == -ENODEV && is_churn(t, fd)))
		bad_errno(t, OP_DEV_READ, "device read", ret);
}

static void op_dev_write(struct thr *t, int shared)
{
	uint32_t *g = gens(t, shared), *a = alts(t, shared);
	unsigned long long cpages;
	unsigned long first, n, i;
	int fd, ret;
	char *start;

	own_range(t, shared, &first, &n);
	fd = demand_fd(t, shared, first, 0);
	start = block(t, shared) + first * PG;
	for (i = 0; i < n; i++) {
		a[first + i] = ++t->next_gen;
		fill_page(t->scratch + i * PG, stamp(t->owner, shared, first + i, a[first + i]));
	}
	if (chance(t, 80))
		ret = devmm_range(fd, DEVMM_IOC_WRITE, start, n, t->scratch, &cpages);
	else
		ret = hmm_cmd(fd, HMM_DMIRROR_WRITE, start, n, t->scratch, &cpages);
	churn_gone(t, fd, ret);
	if (!ret && cpages != n)
		bad_errno(t, OP_DEV_WRITE, "a device write short of the range", -EIO);
	if (!ret) {
		for (i = first; i < first + n; i++) {
			g[i] = a[i];
			a[i] = 0;
		}
		if (chance(t, 50))
			verify(t, OP_DEV_WRITE, shared, first, n, start, "CPU read after device write");
	} else if (ret != -EBUSY && ret != -ENOMEM && !(ret == -ENODEV && is_churn(t, fd))) {
		/* Some pages may have been written: either generation will do. */
		bad_errno(t, OP_DEV_WRITE, "device write", ret);
	}
}

/*
 * In a fork child, which inherits no attributes: demand paging of its own
 * copy through its own file of device @di, then a device read of it (its
 * faults migrate the child's COW copies while the parent writes its own).
 */
static void child_demand(struct thr *t, int fd, int di, unsigned long first, unsigned long n)
{
	struct devmm_attr a = { .addr = (uintptr_t)t->priv + first * PG, .npages = n,
				.mask = DEVMM_ATTR_ALL, .preferred = DEVMM_LOC_DEVICE,
				.migrate_on_fault = 1 };
	int ret;

	a.granularity = grans[rn(t, NELEM(grans))];
	ret = ioctl(fd, DEVMM_IOC_SET_ATTR, &a) ? -errno : 0;
	if (ret && ret != -ENOMEM && !(ret == -EOPNOTSUPP && sh->devs[di].kind == DEVMM_KIND_MIRROR))
		bad_errno(t, OP_FORK, "child: SET_ATTR", ret);
	ret = devmm_range(fd, DEVMM_IOC_READ, t->priv + first * PG, n, t->scratch, NULL);
	if (!ret)
		verify(t, OP_FORK, 0, first, n, t->scratch, "child: device read with demand paging");
	else if (ret != -EBUSY && ret != -ENOMEM)
		bad_errno(t, OP_FORK, "child: device read with demand paging", ret);
}

/*
 * fork: the child checks the thread's pages, moves some of its private
 * pages to a device of its own file, reads them there, writes its own copy
 * (COW) and some shared pages; the parent writes its own copy meanwhile.
 * Afterwards the parent sees its private data and the child's shared writes.
 */
static void op_fork(struct thr *t)
{
	unsigned long pf, pn, sf, sn, wf, wn, i;
	uint32_t child_gen;
	int status, di = rn(t, sh->ndevs);
	pid_t pid;

	own_range(t, 0, &pf, &pn);
	own_range(t, 1, &sf, &sn);
	own_range(t, 0, &wf, &wn);
	child_gen = t->next_gen + 1;
	t->next_gen += PRIV_PAGES + SHR_PAGES;
	pid = fork();
	if (pid == 0) {
		int fd = devmm_node_open(sh->devs[di].id), ret;
		unsigned long f0 = t->fails;

		if (fd < 0) {
			tap_diag_raw("FAIL: fork child: open /dev/devmm%d: %s", sh->devs[di].id,
			     strerror(errno));
			_exit(2);
		}
		/* The parent's files are the parent's. */
		ret = devmm_range(t->fds[di], DEVMM_IOC_READ, t->priv, 1, t->scratch, NULL);
		if (ret != -EPERM)
			bad_errno(t, OP_FORK, "child: device read through the parent's file", ret);
		{
			struct devmm_attr a = { .addr = (uintptr_t)t->priv, .npages = 1,
						.mask = DEVMM_ATTR_PREFERRED };

			ret = ioctl(t->fds[di], DEVMM_IOC_SET_ATTR, &a) ? -errno : 0;
			if (ret != -EPERM && !(ret == -EOPNOTSUPP &&
					       sh->devs[di].kind == DEVMM_KIND_MIRROR))
				bad_errno(t, OP_FORK, "child: SET_ATTR through the parent's file", ret);
		}
		/*
		 * With DEVMM_ATTR_OPENER (ABI 1.2) it may change the parent's
		 * attributes, while the parent's other threads unmap, move and
		 * fault their memory: placement changes, contents never do.
		 */
		if (wn) {
			struct devmm_attr a = { .addr = (uintptr_t)(t->priv + wf * PG), .npages = wn,
						.mask = DEVMM_ATTR_OPENER | DEVMM_ATTR_ALL,
						.preferred = DEVMM_LOC_DEVICE,
						.migrate_on_fault = 1, .granularity = PG };

			ret = ioctl(t->fds[di], DEVMM_IOC_SET_ATTR, &a) ? -errno : 0;
			if (ret && ret != -EFAULT && ret != -ENOMEM && ret != -ENOSPC &&
			    ret != -ENODEV && !(ret == -EOPNOTSUPP &&
						sh->devs[di].kind == DEVMM_KIND_MIRROR))
				bad_errno(t, OP_FORK, "child: SET_ATTR of the parent's memory with "
					  "DEVMM_ATTR_OPENER", ret);
		}
		/* Diagnostics (snapshots) through the child's own file. */
		t->fds[0] = fd;
		verify(t, OP_FORK, 0, 0, PRIV_PAGES, t->priv, "child: CPU read");
		verify(t, OP_FORK, 1, 0, SHR_PAGES, t->shr, "child: CPU read");
		ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, t->priv + pf * PG, pn, NULL, NULL);
		if (ret && ret != -EBUSY && ret != -ENOMEM && ret != -EOPNOTSUPP)
			bad_errno(t, OP_FORK, "child: migration", ret);
		ret = devmm_range(fd, DEVMM_IOC_READ, t->priv + pf * PG, pn, t->scratch, NULL);
		if (!ret)
			verify(t, OP_FORK, 0, pf, pn, t->scratch, "child: device read");
		else if (ret != -EBUSY)
			bad_errno(t, OP_FORK, "child: device read", ret);
		for (i = pf; i < pf + pn; i++) {
			t->gen_priv[i] = child_gen + i;
			fill_page(t->priv + i * PG, stamp(t->owner, 0, i, t->gen_priv[i]));
		}
		for (i = sf; i < sf + sn; i++) {
			t->gen_shr[i] = child_gen + PRIV_PAGES + i;
			fill_page(t->shr + i * PG, stamp(t->owner, 1, i, t->gen_shr[i]));
		}
		child_demand(t, fd, di, pf, pn);
		verify(t, OP_FORK, 0, 0, PRIV_PAGES, t->priv, "child: CPU read after its writes");
		_exit(t->fails != f0 ? 1 : 0);
	}
	if (pid < 0) {
		bad_errno(t, OP_FORK, "fork", -errno);
		return;
	}
	/* COW on the parent's side, while the child runs. */
	cpu_write(t, 0, wf, wn);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		add(&sh->unclean_children, 1);
		if (diag_ok())
			tap_diag_raw("FAIL: process %d thread %d: fork child: status 0x%x (seed %llu)", t->p,
			     t->t, status, (unsigned long long)seed);
	}
	/* The child's shared writes are the parent's too, if it made them. */
	for (i = sf; i < sf + sn; i++) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			t->gen_shr[i] = child_gen + PRIV_PAGES + i;
		else
			t->alt_shr[i] = child_gen + PRIV_PAGES + i;
	}
	verify(t, OP_FORK, 0, 0, PRIV_PAGES, t->priv, "parent: CPU read after the child");
	verify(t, OP_FORK, 1, 0, SHR_PAGES, t->shr, "parent: CPU read of the child's writes");
}

static void op_mprotect(struct thr *t, int shared)
{
	unsigned long first, n;
	char *start;
	int fd, ret;

	own_range(t, shared, &first, &n);
	start = block(t, shared) + first * PG;
	if (mprotect(start, n * PG, PROT_READ)) {
		bad_errno(t, OP_MPROTECT, "mprotect(PROT_READ)", -errno);
		return;
	}
	verify(t, OP_MPROTECT, shared, first, n, start, "CPU read of read-only memory");
	fd = demand_fd(t, shared, first, 1);
	if (chance(t, 50)) {
		ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, start, n, NULL, NULL);
		churn_gone(t, fd, ret);
		if (ret && ret != -EBUSY && ret != -ENOMEM && !(ret == -ENODEV && is_churn(t, fd)))
			bad_errno(t, OP_MPROTECT, "migration of read-only memory", ret);
		fd = pick_fd(t, 1);
	}
	ret = devmm_range(fd, DEVMM_IOC_READ, start, n, t->scratch, NULL);
	churn_gone(t, fd, ret);
	if (!ret)
		verify(t, OP_MPROTECT, shared, first, n, t->scratch, "device read of read-only memory");
	else if (ret != -EBUSY && !(ret == -ENODEV && is_churn(t, fd)))
		bad_errno(t, OP_MPROTECT, "device read of read-only memory", ret);
	fd = pick_fd(t, 0);
	ret = devmm_range(fd, DEVMM_IOC_WRITE, start, n, t->scratch, NULL);
	churn_gone(t, fd, ret);
	/* EBUSY: the fault round gave up as other threads kept invalidating. */
	if (ret != -EPERM && ret != -EBUSY && !(ret == -ENODEV && is_churn(t, fd)))
		bad_errno(t, OP_MPROTECT, "device write to read-only memory", ret);
	if (mprotect(start, n * PG, PROT_READ | PROT_WRITE))
		bad_errno(t, OP_MPROTECT, "mprotect(PROT_READ | PROT_WRITE)", -errno);
	verify(t, OP_MPROTECT, shared, first, n, start, "CPU read after mprotect");
}

static void op_munmap(struct thr *t, int shared)
{
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS;
	uint32_t *g = gens(t, shared), *a = alts(t, shared);
	unsigned long first, n, i;
	char *start;
	void *p;

	own_range(t, shared, &first, &n);
	start = block(t, shared) + first * PG;
	if (chance(t, 50)) {
		if (munmap(start, n * PG)) {
			bad_errno(t, OP_MUNMAP, "munmap", -errno);
			return;
		}
		/* Nothing else maps memory in this process: the hole stays free. */
		p = mmap(start, n * PG, PROT_READ | PROT_WRITE, flags | MAP_FIXED_NOREPLACE, -1, 0);
	} else {
		/* Replaced in one step. */
		p = mmap(start, n * PG, PROT_READ | PROT_WRITE, flags | MAP_FIXED, -1, 0);
	}
	if (p != start) {
		bad_errno(t, OP_MUNMAP, "mmap again", p == MAP_FAILED ? -errno : -EEXIST);
		if (p == MAP_FAILED)
			_exit(3);
	}
	if (!shared)
		madvise(start, n * PG, MADV_HUGEPAGE);
	for (i = first; i < first + n; i++) {
		g[i] = 0;
		a[i] = 0;
		/* munmap drops the range's attributes. */
		attr_hints(t, shared)[i] = -1;
	}
	verify(t, OP_MUNMAP, shared, first, n, start, "CPU read of new memory");
}

static void op_mremap(struct thr *t, int shared)
{
	unsigned long first, n;
	char *start, *to;
	void *p;
	int fd, ret;

	own_range(t, shared, &first, &n);
	start = block(t, shared) + first * PG;
	/* The same offset in the spare slot, so that a whole PMD stays one. */
	to = t->spare + first * PG;
	/* mremap carries no attributes and drops the source's. */
	memset(attr_hints(t, shared) + first, -1, n);
	p = mremap(start, n * PG, n * PG, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	if (p == MAP_FAILED && errno == EFAULT) {
		/*
		 * The range spans several mappings (after munmap and mmap, or
		 * an mprotect of part of it): kernels before 6.17 move one
		 * mapping at a time only.  Nothing moved.
		 */
		t->ops[OP_MREMAP_REFUSED]++;
		return;
	}
	if (p != to) {
		bad_errno(t, OP_MREMAP, "mremap away", p == MAP_FAILED ? -errno : -EEXIST);
		_exit(3);
	}
	if (chance(t, 50)) {
		verify(t, OP_MREMAP, shared, first, n, to, "CPU read of moved memory");
	} else {
		fd = pick_fd(t, 0);
		ret = devmm_range(fd, DEVMM_IOC_READ, to, n, t->scratch, NULL);
		churn_gone(t, fd, ret);
		if (!ret)
			verify(t, OP_MREMAP, shared, first, n, t->scratch,
			       "device read of moved memory");
		else if (ret != -EBUSY && !(ret == -ENODEV && is_churn(t, fd)))
			bad_errno(t, OP_MREMAP, "device read of moved memory", ret);
	}
	p = mremap(to, n * PG, n * PG, MREMAP_MAYMOVE | MREMAP_FIXED, start);
	if (p != start) {
		bad_errno(t, OP_MREMAP, "mremap back", -errno);
		_exit(3);
	}
	/* The slot is reserved again. */
	if (mmap(to, n * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE,
		 -1, 0) != to)
		bad_errno(t, OP_MREMAP, "mmap of the spare slot", -errno);
	verify(t, OP_MREMAP, shared, first, n, start, "CPU read after moving back");
}

static void op_dontneed(struct thr *t, int shared)
{
	unsigned long first, n, i;
	char *start;

	own_range(t, shared, &first, &n);
	start = block(t, shared) + first * PG;
	if (madvise(start, n * PG, MADV_DONTNEED)) {
		bad_errno(t, OP_DONTNEED, "madvise", -errno);
		return;
	}
	/* Private memory is zero again; shared memory keeps its pages. */
	if (!shared)
		for (i = first; i < first + n; i++) {
			t->gen_priv[i] = 0;
			t->alt_priv[i] = 0;
		}
	verify(t, OP_DONTNEED, shared, first, n, start, "CPU read after MADV_DONTNEED");
}

static void op_exclusive(struct thr *t, int shared)
{
	unsigned long first, n;
	char *start;
	int fd = pick_fd(t, 0), ret;

	own_range(t, shared, &first, &n);
	if (n > 16)
		n = 16;
	start = block(t, shared) + first * PG;
	if (chance(t, 50)) {
		ret = devmm_range(fd, DEVMM_IOC_EXCLUSIVE, start, n, NULL, NULL);
	} else {
		/* test_hmm's: exclusive, then a device read without faulting. */
		ret = hmm_cmd(fd, HMM_DMIRROR_EXCLUSIVE, start, n, t->scratch, NULL);
		if (!ret)
			verify(t, OP_EXCLUSIVE, shared, first, n, t->scratch,
			       "device read of exclusive pages");
	}
	churn_gone(t, fd, ret);
	/*
	 * EBUSY: a page was being migrated by another thread; ENOENT: a page
	 * lost exclusivity before test_hmm's read; shared memory is not anonymous.
	 */
	if (ret && ret != -EBUSY && ret != -ENOENT && !(ret == -ENODEV && is_churn(t, fd)) &&
	    !(shared && ret == -EOPNOTSUPP))
		bad_errno(t, OP_EXCLUSIVE, "exclusive access", ret);
	/* The CPU takes the pages back. */
	verify(t, OP_EXCLUSIVE, shared, first, n, start, "CPU read after exclusive access");
	if (chance(t, 50))
		cpu_write(t, shared, first, n);
}

/*
 * Pages [first, first + n) of the process's region as a device read them
 * into the scratch buffer while their owners wrote them: each word must be
 * zero or a stamp of that very page by its owner, of any generation.
 */
static void check_anybody(struct thr *t, enum op op, unsigned long first, unsigned long n)
{
	unsigned long i, w;

	for (i = 0; i < n; i++) {
		unsigned long j = first + i;
		uint64_t want = stamp((t->p << 4) | (j / PRIV_PAGES), 0, j % PRIV_PAGES, 1);
		const uint64_t *p = (const uint64_t *)(t->scratch + i * PG);

		for (w = 0; w < WORDS; w++) {
			uint64_t v = p[w] ? p[w] ^ (w * K) : 0;

			if (!v || ((v & 0xffffffffULL) == (want & 0xffffffffULL) && v >> 32))
				continue;
			t->fails++;
			add(&sh->mismatches, 1);
			if (diag_ok())
				tap_diag_raw("FAIL: process %d thread %d: %s: page %lu of the region word %lu: found 0x%016llx, not a stamp of owner 0x%llx page %lu (seed %llu)",
					     t->p, t->t, op_name[op], j, w, (unsigned long long)p[w],
					     (unsigned long long)((want >> 20) & 0xfff),
					     j % PRIV_PAGES, (unsigned long long)seed);
			break;
		}
	}
}

/*
 * Exclusive access to anybody's private pages, then test_hmm's device read
 * of them, while their owners write, MADV_DONTNEED, munmap and mremap them
 * (the device table once kept a page such a zap had freed: a use-after-free
 * under KASAN).
 */
static void op_exclusive_any(struct thr *t)
{
	unsigned long total = t->region_pages, first, n;
	int fd = pick_fd(t, 0), ret;

	n = 1 + rn(t, 16);
	if (n > total)
		n = total;
	first = rn(t, total - n + 1);
	ret = hmm_cmd(fd, HMM_DMIRROR_EXCLUSIVE, t->region + first * PG, n, t->scratch, NULL);
	churn_gone(t, fd, ret);
	/*
	 * EBUSY: being migrated; ENOENT: exclusivity lost before the read;
	 * EFAULT, EINVAL: a hole for a moment (munmap, mremap); EPERM:
	 * mprotect()ed read-only for a moment.
	 */
	if (ret && ret != -EBUSY && ret != -ENOENT && ret != -EFAULT && ret != -EINVAL &&
	    ret != -EPERM && !(ret == -ENODEV && is_churn(t, fd)))
		bad_errno(t, OP_EXCLUSIVE_ANY, "exclusive access to anybody's pages", ret);
	if (!ret)
		check_anybody(t, OP_EXCLUSIVE_ANY, first, n);
}

static void op_snapshot(struct thr *t, int shared)
{
	unsigned long first, n, i;
	uint8_t *b = (uint8_t *)t->scratch;
	int fd = pick_fd(t, 0), ret;

	own_range(t, shared, &first, &n);
	ret = devmm_range(fd, DEVMM_IOC_SNAPSHOT, block(t, shared) + first * PG, n, b, NULL);
	churn_gone(t, fd, ret);
	if (ret && ret != -EBUSY && !(ret == -ENODEV && is_churn(t, fd)))
		bad_errno(t, OP_SNAPSHOT, "snapshot", ret);
	for (i = 0; !ret && i < n; i++)
		if (b[i] == HMM_DMIRROR_PROT_ERROR) {
			bad_errno(t, OP_SNAPSHOT, "snapshot says error for a mapped page", -EIO);
			break;
		}
}

/* ---- demand paging ---- */

/* The answer of GET_ATTR over what SET_ATTR just set must be one the ABI can give. */
static void check_attr_answer(struct thr *t, int fd, const char *start, unsigned long n)
{
	struct devmm_attr g = { .addr = (uintptr_t)start, .npages = n };
	int ret = ioctl(fd, DEVMM_IOC_GET_ATTR, &g) ? -errno : 0;

	churn_gone(t, fd, ret);
	if (ret && !(ret == -ENODEV && is_churn(t, fd)))
		bad_errno(t, OP_SET_ATTR, "GET_ATTR", ret);
	else if (!ret && (g.npages < 1 || g.npages > n || g.preferred > DEVMM_LOC_SYSTEM ||
			  g.migrate_on_fault > 1 || g.accessed_by > 1 ||
			  (g.granularity != grans[0] && g.granularity != grans[1] &&
			   g.granularity != grans[2])))
		bad_errno(t, OP_SET_ATTR, "GET_ATTR's answer", -EIO);
}

/*
 * Attributes of one of the thread's ranges for a device (mostly one with
 * memory; the churn device, the mirror-only one): mostly demand paging at a
 * random granularity, else accessed-by, system memory preferred, or the
 * defaults again.  Now and then the whole region of the process again, on
 * its demand device, while other threads unmap and move their parts of it.
 */
static void op_set_attr(struct thr *t, int shared)
{
	struct devmm_attr a = { 0 };
	unsigned long first, n, i;
	int di = rn(t, 100) < 15 ? CHURN_DI : (int)rn(t, sh->ndevs), fd, ret, whole = 0;
	unsigned int r = rn(t, 100);
	char *start;

	own_range(t, shared, &first, &n);
	if (!shared && t->demand_di >= 0 && chance(t, 8)) {
		whole = 1;
		di = t->demand_di;
		r = 0;
	}
	fd = dev_fd(t, di);
	if (fd < 0) {
		di = rn(t, sh->ndevs);
		fd = t->fds[di];
	}
	a.granularity = grans[rn(t, NELEM(grans))];
	if (r < 70) {
		a.mask = DEVMM_ATTR_ALL;
		a.preferred = DEVMM_LOC_DEVICE;
		a.migrate_on_fault = 1;
	} else if (r < 80) {
		a.mask = DEVMM_ATTR_ACCESSED_BY;
		a.accessed_by = 1;
	} else if (r < 90) {
		a.mask = DEVMM_ATTR_PREFERRED;
		a.preferred = DEVMM_LOC_SYSTEM;
	} else {
		a.mask = DEVMM_ATTR_ALL;
		a.granularity = PG;
	}
	start = whole ? t->region : block(t, shared) + first * PG;
	a.addr = (uintptr_t)start;
	a.npages = whole ? t->region_pages : n;
	ret = ioctl(fd, DEVMM_IOC_SET_ATTR, &a) ? -errno : 0;
	churn_gone(t, fd, ret);
	/* EFAULT: another thread's part of the region was unmapped for a moment. */
	if (ret && ret != -ENOMEM && !(ret == -EOPNOTSUPP && fd_is_mirror(t, fd)) &&
	    !(ret == -ENODEV && is_churn(t, fd)) && !(whole && ret == -EFAULT))
		bad_errno(t, OP_SET_ATTR, "SET_ATTR", ret);
	if (ret)
		return;
	if (whole) {
		first = 0;
		n = PRIV_PAGES;
	}
	for (i = first; i < first + n; i++)
		attr_hints(t, shared)[i] = r < 70 ? di : -1;
	check_attr_answer(t, fd, start, a.npages);
}

#define BATCH	8

/* One entry of an ACCESS batch over the thread's own block; room in the scratch buffer for its data. */
static int access_entry(struct thr *t, int shared, struct devmm_access *e, unsigned long *first,
			unsigned long *n, unsigned long *off, unsigned long *used)
{
	unsigned int r = rn(t, 100);
	unsigned long j;

	own_range(t, shared, first, n);
	e->op = r < 40 ? DEVMM_ACCESS_READ : r < 70 ? DEVMM_ACCESS_WRITE :
		r < 85 ? DEVMM_ACCESS_TO_DEV : DEVMM_ACCESS_TO_SYS;
	e->addr = (uintptr_t)block(t, shared) + *first * PG;
	if (e->op <= DEVMM_ACCESS_WRITE) {
		if (*used + *n > PRIV_PAGES)
			*n = PRIV_PAGES - *used;
		if (!*n)
			return 0;
		*off = *used;
		e->ptr = (uintptr_t)t->scratch + *used * PG;
		*used += *n;
	}
	e->npages = *n;
	for (j = 0; e->op == DEVMM_ACCESS_WRITE && j < *n; j++) {
		t->batch_gen[*off + j] = ++t->next_gen;
		fill_page(t->scratch + (*off + j) * PG,
			  stamp(t->owner, shared, *first + j, t->batch_gen[*off + j]));
	}
	return 1;
}

/*
 * A batch of device reads, writes and migrations of the thread's own pages
 * in one DEVMM_IOC_ACCESS, through the file of the device their attributes
 * prefer now and then (its reads and writes fault them there).  The entries
 * before @done all happened, in order: a read in the batch sees the writes
 * before it; the failing entry's writes may or may not have happened.
 */
static void op_access(struct thr *t, int shared)
{
	uint32_t *g = gens(t, shared), *a = alts(t, shared);
	unsigned long first[BATCH], n[BATCH], off[BATCH] = { 0 }, used = 0, j;
	struct devmm_access e[BATCH];
	struct devmm_access_batch b = { 0 };
	int cnt = 1 + rn(t, BATCH), k, fd, ret, ndone;

	memset(e, 0, sizeof(e));
	for (k = 0; k < cnt; k++)
		if (!access_entry(t, shared, &e[k], &first[k], &n[k], &off[k], &used))
			break;
	cnt = k;
	fd = demand_fd(t, shared, first[0], 0);
	b.ptr = (uintptr_t)e;
	b.count = cnt;
	ret = ioctl(fd, DEVMM_IOC_ACCESS, &b) ? -errno : 0;
	churn_gone(t, fd, ret);
	if ((!ret && b.done != (uint32_t)cnt) || (ret && b.done >= (uint32_t)cnt))
		bad_errno(t, OP_ACCESS, "ACCESS's done index", ret ? ret : -EIO);
	ndone = ret ? (int)b.done : cnt;
	if (ndone > cnt)
		ndone = cnt;
	for (k = 0; k < ndone; k++) {
		if (e[k].op == DEVMM_ACCESS_READ)
			verify(t, OP_ACCESS, shared, first[k], n[k], t->scratch + off[k] * PG,
			       "device read in an ACCESS batch");
		for (j = 0; e[k].op == DEVMM_ACCESS_WRITE && j < n[k]; j++) {
			g[first[k] + j] = t->batch_gen[off[k] + j];
			a[first[k] + j] = 0;
		}
	}
	for (j = 0; ret && ndone < cnt && e[ndone].op == DEVMM_ACCESS_WRITE && j < n[ndone]; j++)
		a[first[ndone] + j] = t->batch_gen[off[ndone] + j];
	if (ret && ret != -EBUSY && ret != -ENOMEM && !(ret == -ENODEV && is_churn(t, fd)) &&
	    !(ret == -EOPNOTSUPP && fd_is_mirror(t, fd) && ndone < cnt &&
	      e[ndone].op >= DEVMM_ACCESS_TO_DEV))
		bad_errno(t, OP_ACCESS, "ACCESS", ret);
	if (chance(t, 30))
		verify(t, OP_ACCESS, shared, first[0], n[0], block(t, shared) + first[0] * PG,
		       "CPU read after an ACCESS batch");
}

/*
 * A device read of anybody's private pages, mostly through the file of the
 * process's demand device: its faults migrate other threads' pages while
 * they write, unmap, move, protect and fork them.
 */
static void op_dev_read_any(struct thr *t)
{
	unsigned long total = t->region_pages, first, n;
	int fd = -1, ret;

	n = 1 + rn(t, 64);
	if (n > total)
		n = total;
	first = rn(t, total - n + 1);
	if (t->demand_di >= 0 && chance(t, 70))
		fd = dev_fd(t, t->demand_di);
	if (fd < 0)
		fd = pick_fd(t, 0);
	ret = devmm_range(fd, DEVMM_IOC_READ, t->region + first * PG, n, t->scratch, NULL);
	churn_gone(t, fd, ret);
	/* EFAULT: a hole for a moment (munmap, mremap). */
	if (ret && ret != -EBUSY && ret != -ENOMEM && ret != -EFAULT &&
	    !(ret == -ENODEV && is_churn(t, fd)))
		bad_errno(t, OP_DEV_READ_ANY, "device read of anybody's pages", ret);
	if (!ret)
		check_anybody(t, OP_DEV_READ_ANY, first, n);
}

static void *worker(void *arg)
{
	struct thr *t = arg;
	int total = 0, i, op;

	/* Every thread's stack exists before any thread unmaps and maps again. */
	pthread_barrier_wait(t->start);
	for (i = 0; i < OP_MREMAP_REFUSED; i++)
		total += op_weight[i];
	while (!sh->stop) {
		int w = rn(t, total), shared = chance(t, 25);

		for (op = 0; op < OP_MREMAP_REFUSED; op++) {
			w -= op_weight[op];
			if (w < 0)
				break;
		}
		if ((op == OP_EXCLUSIVE || op == OP_EXCLUSIVE_ANY) && !(caps & DEVMM_CAP_EXCLUSIVE))
			op = OP_SNAPSHOT;
		sh->doing[t->p][t->t] = op;
		switch (op) {
		case OP_CPU_WRITE: {
			unsigned long first, n;

			own_range(t, shared, &first, &n);
			cpu_write(t, shared, first, n);
			break;
		}
		case OP_CPU_VERIFY: {
			unsigned long first, n;

			own_range(t, shared, &first, &n);
			verify(t, op, shared, first, n, block(t, shared) + first * PG, "CPU read");
			break;
		}
		case OP_MIGRATE_DEV:
		case OP_MIGRATE_DEV_ANY:
		case OP_MIGRATE_SYS:
			op_migrate(t, op, shared);
			break;
		case OP_DEV_READ:
			op_dev_read(t, shared);
			break;
		case OP_DEV_WRITE:
			op_dev_write(t, shared);
			break;
		case OP_FORK:
			op_fork(t);
			break;
		case OP_MPROTECT:
			op_mprotect(t, shared);
			break;
		case OP_MUNMAP:
			op_munmap(t, shared);
			break;
		case OP_MREMAP:
			op_mremap(t, shared);
			break;
		case OP_DONTNEED:
			op_dontneed(t, shared);
			break;
		case OP_EXCLUSIVE:
			op_exclusive(t, shared);
			break;
		case OP_EXCLUSIVE_ANY:
			op_exclusive_any(t);
			break;
		case OP_SET_ATTR:
			op_set_attr(t, shared);
			break;
		case OP_ACCESS:
			op_access(t, shared);
			break;
		case OP_DEV_READ_ANY:
			op_dev_read_any(t);
			break;
		default:
			op_snapshot(t, shared);
			break;
		}
		t->ops[op]++;
		sh->beat[t->p][t->t]++;
	}
	/* A last look at every page. */
	verify(t, OP_CPU_VERIFY, 0, 0, PRIV_PAGES, t->priv, "final CPU read");
	verify(t, OP_CPU_VERIFY, 1, 0, SHR_PAGES, t->shr, "final CPU read");
	for (i = 0; i < NOPS; i++)
		add(&sh->ops[i], t->ops[i]);
	return NULL;
}

/*
 * Demand paging over the whole private region of two processes in three,
 * each on a device with memory and at a granularity of its own (from the
 * seed); the others start without attributes.  0, or -errno.
 */
static int region_attrs(struct thr *thr, int p, char *region, unsigned long pages)
{
	struct devmm_attr a = { .addr = (uintptr_t)region, .npages = pages,
				.mask = DEVMM_ATTR_ALL, .preferred = DEVMM_LOC_DEVICE,
				.migrate_on_fault = 1 };
	int i, n = 0, cand[MAX_DEVS], di;

	for (i = 0; i < nthreads; i++) {
		thr[i].demand_di = -1;
		memset(thr[i].attr_priv, -1, sizeof(thr[i].attr_priv));
		memset(thr[i].attr_shr, -1, sizeof(thr[i].attr_shr));
	}
	for (i = 0; i < sh->ndevs; i++)
		if (sh->devs[i].kind != DEVMM_KIND_MIRROR)
			cand[n++] = i;
	if (p % 3 == 2 || !n)
		return 0;
	di = cand[(p + seed) % n];
	a.granularity = grans[(p + seed / 3) % NELEM(grans)];
	if (ioctl(thr[0].fds[di], DEVMM_IOC_SET_ATTR, &a))
		return -errno;
	for (i = 0; i < nthreads; i++) {
		thr[i].demand_di = di;
		memset(thr[i].attr_priv, di, sizeof(thr[i].attr_priv));
	}
	return 0;
}

/* A worker process: its private region, one thread per block. */
static int worker_process(int p)
{
	unsigned long pages = (unsigned long)nthreads * PRIV_PAGES;
	struct thr *thr;
	pthread_t tid[MAX_THREADS];
	pthread_barrier_t start;
	char *raw, *region, *spare;
	int t, i;

	/* Private memory, PMD-aligned so that each block can be one THP. */
	raw = mmap(NULL, (2 * pages * PG) + PMD, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	thr = mmap(NULL, nthreads * sizeof(*thr), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED || thr == MAP_FAILED)
		return 4;
	region = (char *)(((uintptr_t)raw + PMD - 1) & ~(PMD - 1));
	spare = region + pages * PG;
	if (mmap(region, pages * PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != region)
		return 4;
	madvise(region, pages * PG, MADV_HUGEPAGE);
	for (t = 0; t < nthreads; t++) {
		struct thr *th = &thr[t];

		memset(th, 0, sizeof(*th));
		th->siblings = thr;
		th->p = p;
		th->t = t;
		th->owner = (p << 4) | t;
		th->rng = seed ^ ((uint64_t)(p * MAX_THREADS + t + 1) * K);
		th->region = region;
		th->region_pages = pages;
		th->priv = region + (unsigned long)t * PRIV_PAGES * PG;
		th->shr = shr_region + (unsigned long)(p * nthreads + t) * SHR_PAGES * PG;
		th->spare = spare + (unsigned long)t * PRIV_PAGES * PG;
		th->churn_fd = -1;
		th->churn_id = -1;
		th->scratch = mmap(NULL, PRIV_PAGES * PG, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (th->scratch == MAP_FAILED)
			return 4;
		for (i = 0; i < sh->ndevs; i++) {
			th->fds[i] = devmm_node_open(sh->devs[i].id);
			if (th->fds[i] < 0) {
				tap_diag_raw("FAIL: process %d: open /dev/devmm%d: %s", p, sh->devs[i].id,
				     strerror(errno));
				return 4;
			}
		}
	}
	i = region_attrs(thr, p, region, pages);
	if (i) {
		tap_diag_raw("FAIL: process %d: SET_ATTR of its region: %s", p, errname(i));
		return 4;
	}
	pthread_barrier_init(&start, NULL, nthreads);
	for (t = 0; t < nthreads; t++) {
		thr[t].start = &start;
		if (pthread_create(&tid[t], NULL, worker, &thr[t]))
			return 5;
	}
	for (t = 0; t < nthreads; t++)
		pthread_join(tid[t], NULL);
	return 0;
}

/* ---- the control process ---- */

static void ctl_fail(const char *what, int id, int ret)
{
	add(&sh->bad_errnos, 1);
	if (diag_ok())
		tap_diag_raw("FAIL: control process: %s of device %d: %s (seed %llu)", what, id,
		     errname(ret), (unsigned long long)seed);
}

/*
 * The control process's second thread: EVICT of everything on the churn
 * device, again and again, racing with its DESTROY (teardown once freed
 * the eviction state under such an eviction: KASAN, then an Oops).
 */
static void *evictor(void *arg)
{
	int ctl = *(int *)arg, id, ret;
	uint64_t rng = seed ^ 0xe1e1e1e1ULL;

	while (!sh->stop) {
		id = sh->churn_id;
		if (id >= 0) {
			ret = devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, id, 0, NULL);
			/* ENODEV, EINVAL: destroyed meanwhile (a new one may take its id). */
			if (ret && ret != -EBUSY && ret != -ENODEV && ret != -EINVAL &&
			    ret != -EINTR)
				ctl_fail("EVICT of everything", id, ret);
			add(&sh->ops[OP_EVICT], 1);
		}
		usleep(1000 + splitmix64(&rng) % 5000);
	}
	return NULL;
}

/*
 * SETTINGS of device @id: a random mask of policy (any of the six), eviction
 * batch (often tiny), unit and seed; what it answers must be what it was
 * asked for (nothing else changes settings meanwhile).  @churn: the device
 * may be gone.
 */
static void ctl_settings(int ctl, unsigned int id, int churn, uint64_t *rng)
{
	static const uint32_t batches[] = { 1, 2, 16, 64, DEVMM_EVICT_BATCH_MAX };
	struct devmm_settings s = { .id = id }, in;
	int ret;

	s.mask = 1 + splitmix64(rng) % 15;
	s.policy = splitmix64(rng) % (DEVMM_POLICY_MAX + 1);
	s.evict_batch = splitmix64(rng) % 2 ? batches[splitmix64(rng) % NELEM(batches)] :
					      1 + splitmix64(rng) % DEVMM_EVICT_BATCH_MAX;
	s.evict_unit = splitmix64(rng) % 2;
	s.seed = splitmix64(rng);
	in = s;
	ret = ioctl(ctl, DEVMM_IOC_SETTINGS, &s) ? -errno : 0;
	if (ret && !(churn && ret == -ENODEV))
		ctl_fail("SETTINGS", id, ret);
	else if (!ret && (((in.mask & DEVMM_SET_POLICY) && s.policy != in.policy) ||
			  ((in.mask & DEVMM_SET_EVICT_BATCH) && s.evict_batch != in.evict_batch) ||
			  ((in.mask & DEVMM_SET_EVICT_UNIT) && s.evict_unit != in.evict_unit) ||
			  ((in.mask & DEVMM_SET_SEED) && s.seed != in.seed)))
		ctl_fail("SETTINGS: an answer other than what was set", id, -EIO);
}

/* The churn device's demand-paging counters, before it goes. */
static void churn_count(int ctl, int id)
{
	struct devmm_dev_query q = { .id = id };

	if (ioctl(ctl, DEVMM_IOC_QUERY, &q) || (int)q.info.id != id)
		return;
	sh->churn_faults += q.info.fault_pages;
	sh->churn_migrated += q.info.fault_migrated;
	sh->churn_remote += q.info.remote_pages;
}

/* Create the churn device: private or coherent (over B) in turn. */
static int churn_create(int ctl, int n)
{
	struct devmm_create c = { .policy = n & 1 };
	int ret;

	if ((caps & DEVMM_CAP_PRIVATE) && (n & 1)) {
		c.kind = DEVMM_KIND_PRIVATE;
		c.capacity = 4 * MB;
	} else {
		c.kind = DEVMM_KIND_COHERENT;
		c.base = coh_b;
		c.size = 128 * MB;
	}
	ret = ioctl(ctl, DEVMM_IOC_CREATE, &c) ? -errno : 0;
	if (!ret && c.kind == DEVMM_KIND_COHERENT)
		ret = devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, c.id, 4 * MB, NULL);
	return ret ? ret : (int)c.id;
}

static int control_process(void)
{
	int ctl = open(DEVMM_CONTROL_PATH, O_RDWR | O_CLOEXEC), id, ret, n = 0;
	unsigned long ops[NOPS] = { 0 };
	uint64_t rng = seed ^ 0xc0c0c0c0ULL;
	double next_churn = now() + 1;

	pthread_t ev;

	if (ctl < 0 || pthread_create(&ev, NULL, evictor, &ctl))
		return 6;
	while (!sh->stop) {
		unsigned int r = splitmix64(&rng) % 100;
		int di = splitmix64(&rng) % sh->ndevs, churn = sh->churn_id;
		struct device *d = &sh->devs[di];

		sh->beat[MAX_PROCS][0]++;
		if (now() > next_churn) {
			/* Destroy the churn device under its users, make a new one. */
			next_churn = now() + 0.5 + (splitmix64(&rng) % 1500) / 1000.0;
			sh->doing[MAX_PROCS][0] = OP_DESTROY;
			if (churn >= 0) {
				churn_count(ctl, churn);
				sh->churn_id = -1;
				ret = devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, churn, 0, NULL);
				if (ret)
					ctl_fail("DESTROY", churn, ret);
				ops[OP_DESTROY]++;
			}
			sh->doing[MAX_PROCS][0] = OP_CREATE;
			id = churn_create(ctl, ++n);
			if (id < 0) {
				ctl_fail("CREATE", -1, id);
			} else {
				sh->churn_gen++;
				sh->churn_id = id;
			}
			ops[OP_CREATE]++;
			continue;
		}
		if (d->kind == DEVMM_KIND_MIRROR)
			continue;
		if (r < 35) {
			uint64_t v = splitmix64(&rng) % 3 ? (splitmix64(&rng) % 4096) * PG : 0;

			sh->doing[MAX_PROCS][0] = OP_EVICT;
			ret = devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, d->id, v, NULL);
			if (ret && ret != -EBUSY)
				ctl_fail("EVICT", d->id, ret);
			ops[OP_EVICT]++;
			if (churn >= 0 && splitmix64(&rng) % 2) {
				ret = devmm_dev_cmd(ctl, DEVMM_IOC_EVICT, churn, v, NULL);
				if (ret && ret != -EBUSY && ret != -ENODEV)
					ctl_fail("EVICT", churn, ret);
				ops[OP_EVICT]++;
			}
		} else if (r < 60) {
			uint64_t v = (256 + splitmix64(&rng) % 3840) * PG;

			sh->doing[MAX_PROCS][0] = OP_SET_CAPACITY;
			ret = devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, d->id, v, NULL);
			if (ret && ret != -EBUSY)
				ctl_fail("SET_CAPACITY", d->id, ret);
			ops[OP_SET_CAPACITY]++;
		} else if (r < 70) {
			sh->doing[MAX_PROCS][0] = OP_SET_POLICY;
			ret = devmm_dev_cmd(ctl, DEVMM_IOC_SET_POLICY, d->id,
					    splitmix64(&rng) % (DEVMM_POLICY_MAX + 1), NULL);
			if (ret)
				ctl_fail("SET_POLICY", d->id, ret);
			ops[OP_SET_POLICY]++;
		} else if (r < 85) {
			/* Policy, batch, unit, seed: of a stable device, or of the churn one. */
			sh->doing[MAX_PROCS][0] = OP_SETTINGS;
			if (churn >= 0 && splitmix64(&rng) % 3 == 0)
				ctl_settings(ctl, churn, 1, &rng);
			else
				ctl_settings(ctl, d->id, 0, &rng);
			ops[OP_SETTINGS]++;
		} else {
			struct devmm_dev_query q = { 0 };

			sh->doing[MAX_PROCS][0] = OP_QUERY;
			while (!ioctl(ctl, DEVMM_IOC_QUERY, &q)) {
				unsigned int next = q.info.id + 1;

				memset(&q, 0, sizeof(q));
				q.id = next;
			}
			if (errno != ENOENT)
				ctl_fail("QUERY", q.id, -errno);
			ops[OP_QUERY]++;
		}
		usleep(2000 + splitmix64(&rng) % 20000);
	}
	pthread_join(ev, NULL);
	for (n = 0; n < NOPS; n++)
		add(&sh->ops[n], ops[n]);
	close(ctl);
	return 0;
}

/* ---- the parent ---- */

static int create(int ctl, unsigned int kind, uint64_t capacity, uint64_t base, uint64_t size,
		  unsigned int policy)
{
	struct devmm_create c = { .kind = kind, .capacity = capacity, .base = base,
				  .size = size, .policy = policy };
	int ret;

	ret = ioctl(ctl, DEVMM_IOC_CREATE, &c) ? -errno : 0;
	if (ret || sh->ndevs == MAX_DEVS)
		return ret ? ret : -ENOSPC;
	if (kind == DEVMM_KIND_COHERENT) {
		ret = devmm_dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, c.id, 8 * MB, NULL);
		if (ret)
			return ret;
	}
	sh->devs[sh->ndevs].id = c.id;
	sh->devs[sh->ndevs].kind = kind;
	sh->devs[sh->ndevs].size = size;
	sh->ndevs++;
	return 0;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-s SEED] [-t SECONDS] [-p PROCS] [-j THREADS] devmm.ko\n",
		argv0);
	exit(2);
}

/* The options, and for what they leave unset the lane's environment. */
static void parse_args(int argc, char **argv)
{
	int opt, have_seed = 0;

	while ((opt = getopt(argc, argv, "s:t:p:j:")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); have_seed = 1; break;
		case 't': seconds = atoi(optarg); break;
		case 'p': nprocs = atoi(optarg); break;
		case 'j': nthreads = atoi(optarg); break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc - 1 || nprocs < 1 || nprocs > MAX_PROCS || nthreads < 1 ||
	    nthreads > MAX_THREADS)
		usage(argv[0]);
	if (!seconds)
		seconds = lane_env_num("DEVMM_STRESS_SECONDS");
	if (!have_seed)
		seed = lane_seed("DEVMM_STRESS_SEED");
	lane_range(lane_env("LANE_COHERENT_A"), &coh_a, &coh_a_size);
	lane_range(lane_env("LANE_COHERENT_B"), &coh_b, &coh_b_size);
}

/* The memory all the processes share, mapped before they fork; -1 if none. */
static int map_shared(void)
{
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	shr_region = mmap(NULL, (size_t)nprocs * nthreads * SHR_PAGES * PG,
			  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || shr_region == MAP_FAILED)
		return -1;
	memset(sh, 0, sizeof(*sh));
	sh->churn_id = -1;
	return 0;
}

/*
 * Small devices, so that the load oversubscribes them: private ones where
 * the kernel has device-private memory, coherent ones over the two halves
 * of range A, a memory-less one; the control process destroys and
 * re-creates one more over range B (or a private one).  0 or -errno;
 * *nprivate and *ncoherent: how many of each.
 */
static int create_devices(int ctl, int *nprivate, int *ncoherent)
{
	int ret = 0;

	if (caps & DEVMM_CAP_PRIVATE) {
		ret = create(ctl, DEVMM_KIND_PRIVATE, 8 * MB, 0, 0, DEVMM_POLICY_LRU);
		ret = ret ? ret : create(ctl, DEVMM_KIND_PRIVATE, 8 * MB, 0, 0, DEVMM_POLICY_FIFO);
		*nprivate = 2;
	}
	ret = ret ? ret : create(ctl, DEVMM_KIND_COHERENT, 0, coh_a, 128 * MB, DEVMM_POLICY_LRU);
	ret = ret ? ret : create(ctl, DEVMM_KIND_COHERENT, 0, coh_a + 128 * MB, 128 * MB,
				 DEVMM_POLICY_FIFO);
	*ncoherent = 2;
	ret = ret ? ret : create(ctl, DEVMM_KIND_MIRROR, 0, 0, 0, 0);
	ret = ret ? ret : churn_create(ctl, 0);
	if (ret >= 0) {
		sh->churn_id = ret;
		ret = 0;
	}
	return ret;
}

/* Let the processes run; say which thread sits in one operation for a minute. */
static void watch(double start)
{
	unsigned long last[MAX_PROCS + 1][MAX_THREADS] = { { 0 } };
	double changed[MAX_PROCS + 1][MAX_THREADS];
	int told[MAX_PROCS + 1][MAX_THREADS] = { { 0 } };
	int p, t;

	for (p = 0; p <= MAX_PROCS; p++)
		for (t = 0; t < MAX_THREADS; t++)
			changed[p][t] = start;
	while (now() < start + seconds) {
		sleep(1);
		for (p = 0; p <= nprocs; p++) {
			int pp = p == nprocs ? MAX_PROCS : p;

			for (t = 0; t < (p == nprocs ? 1 : nthreads); t++) {
				if (sh->beat[pp][t] != last[pp][t]) {
					last[pp][t] = sh->beat[pp][t];
					changed[pp][t] = now();
				} else if (now() - changed[pp][t] > 60 && !told[pp][t]) {
					told[pp][t] = 1;
					tap_diag_raw("watchdog: %s %d thread %d has been in %s for a minute",
					     p == nprocs ? "control process" : "process", p, t,
					     op_name[sh->doing[pp][t]]);
				}
			}
		}
	}
}

/*
 * Tell the processes to stop and wait for them: done[i] once process i
 * exited, with status[i].  Under KASAN a last operation can take long; a
 * minute more at most.
 */
static void stop_and_wait(const pid_t *pids, int *status, int *done)
{
	double deadline;
	int i;

	sh->stop = 1;
	deadline = now() + 60 + seconds;
	for (;;) {
		int left = 0;

		for (i = 0; i <= nprocs; i++) {
			if (done[i])
				continue;
			if (waitpid(pids[i], &status[i], WNOHANG) == pids[i])
				done[i] = 1;
			else
				left++;
		}
		if (!left || now() > deadline)
			break;
		usleep(100000);
	}
}

/* Whether every worker process exited, with status 0; says which did not. */
static int workers_ok(const int *status, const int *done)
{
	int i, good = 1;

	for (i = 0; i < nprocs; i++) {
		if (!done[i]) {
			tap_diag_raw("process %d did not stop (in %s)", i, op_name[sh->doing[i][0]]);
			good = 0;
		} else if (!WIFEXITED(status[i]) || WEXITSTATUS(status[i])) {
			tap_diag_raw("process %d: status 0x%x", i, status[i]);
			good = 0;
		}
	}
	return good;
}

/*
 * How often each operation ran, and what each stable device did; *faults,
 * *migrated: demand faults and the pages they migrated, on every device
 * (the churn devices' counted before each DESTROY).
 */
static void print_stats(int ctl, unsigned long long *faults, unsigned long long *migrated)
{
	int i;

	for (i = 0; i < NOPS; i++)
		printf("# stress: %s %lu\n", op_name[i], sh->ops[i]);
	for (i = 0; i < sh->ndevs; i++) {
		struct devmm_dev_query q = { .id = sh->devs[i].id };

		if (ioctl(ctl, DEVMM_IOC_QUERY, &q) || (int)q.info.id != sh->devs[i].id)
			continue;
		printf("# device %d (%s): %llu pages to the device, %llu back, %llu evicted in %llu passes (%llu busy), %llu CPU faults, %llu device fault rounds, %llu demand faults (%llu pages migrated by them, %llu accessed remotely), at most %llu KiB used\n",
		       q.info.id, q.info.kind == DEVMM_KIND_PRIVATE ? "private" :
		       q.info.kind == DEVMM_KIND_COHERENT ? "coherent" : "mirror-only",
		       (unsigned long long)q.info.to_device, (unsigned long long)q.info.to_system,
		       (unsigned long long)q.info.evicted, (unsigned long long)q.info.evict_passes,
		       (unsigned long long)q.info.evict_failures,
		       (unsigned long long)q.info.cpu_faults,
		       (unsigned long long)q.info.device_faults,
		       (unsigned long long)q.info.fault_pages,
		       (unsigned long long)q.info.fault_migrated,
		       (unsigned long long)q.info.remote_pages,
		       (unsigned long long)q.info.used_max >> 10);
		*faults += q.info.fault_pages;
		*migrated += q.info.fault_migrated;
	}
	*faults += sh->churn_faults;
	*migrated += sh->churn_migrated;
	printf("# stress: demand_faults %llu (pages migrated by them %llu; churn devices: %llu faults, %llu migrated, %llu remote)\n",
	       *faults, *migrated, sh->churn_faults, sh->churn_migrated, sh->churn_remote);
}

/*
 * Once the processes are gone nothing may stay on any device (if they all
 * ended well); then the devices go.
 */
static void check_empty_and_destroy(int ctl, int processes_ok)
{
	int left = 0, id, i;

	for (i = 0; i < sh->ndevs; i++) {
		uint64_t u = devmm_used(ctl, sh->devs[i].id);

		if (u) {
			tap_diag_raw("device %d: %llu bytes still in use", sh->devs[i].id,
			     (unsigned long long)u);
			left++;
		}
	}
	id = sh->churn_id;
	if (id >= 0 && devmm_used(ctl, id)) {
		tap_diag_raw("device %d: %llu bytes still in use", id,
		     (unsigned long long)devmm_used(ctl, id));
		left++;
	}
	ok(!left && processes_ok, "every device back to 0 bytes in use once the processes are gone");
	for (i = 0; i < sh->ndevs; i++)
		devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, sh->devs[i].id, 0, NULL);
	if (id >= 0)
		devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, id, 0, NULL);
}

int main(int argc, char **argv)
{
	int expect_private = lane_env_num("LANE_EXPECT_PRIVATE");
	int ret, ctl, i, nprivate = 0, ncoherent = 0, children_ok, control_ok;
	int status[MAX_PROCS + 1], done[MAX_PROCS + 1] = { 0 };
	pid_t pids[MAX_PROCS + 1];
	struct devmm_info info;
	unsigned long long faults = 0, migrated = 0;
	double start;

	parse_args(argc, argv);
	tap_plan(11);
	printf("# seed: %llu (reproduce: t_stress -s %llu -t %d -p %d -j %d devmm.ko)\n",
	       (unsigned long long)seed, (unsigned long long)seed, seconds, nprocs, nthreads);
	if (map_shared()) {
		printf("Bail out! no memory\n");
		return 1;
	}

	ret = devmm_load(argv[optind], "private=0");
	ctl = open(DEVMM_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (!ok(ret == 0 && ctl >= 0, "load devmm private=0 (%s)", errname(ret)))
		return tap_done();
	test_module_info(&info);
	caps = info.caps;
	ret = create_devices(ctl, &nprivate, &ncoherent);
	if (!ok(ret == 0, "devices: %d private, %d coherent, 1 mirror-only, 1 destroyed and re-created (%s)",
		nprivate, ncoherent, errname(ret)))
		return tap_done();
	if (expect_private)
		ok(nprivate == 2, "device-private memory in the mix");
	else
		tap_skip("no device-private memory in this kernel", "device-private memory in the mix");
	ok_exclusive_in_mix(caps);

	fflush(stdout);
	start = now();
	for (i = 0; i <= nprocs; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(i == nprocs ? control_process() : worker_process(i));
	}
	watch(start);
	stop_and_wait(pids, status, done);
	children_ok = workers_ok(status, done);
	control_ok = done[nprocs] && WIFEXITED(status[nprocs]) && !WEXITSTATUS(status[nprocs]);
	print_stats(ctl, &faults, &migrated);
	ok(!sh->mismatches, "every page read (CPU and device) held its last stamp (%lu mismatches)",
	   sh->mismatches);
	ok(!sh->bad_errnos, "no unexpected errno (%lu)", sh->bad_errnos);
	ok(faults > 0 && sh->ops[OP_ACCESS] > 0,
	   "demand paging in the mix: %llu device faults migrated %llu pages (%lu ACCESS batches, %lu SET_ATTR, %lu SETTINGS)",
	   faults, migrated, sh->ops[OP_ACCESS], sh->ops[OP_SET_ATTR], sh->ops[OP_SETTINGS]);
	ok(children_ok && !sh->unclean_children,
	   "%d worker processes of %d threads and their fork children exited cleanly (%lu unclean children)",
	   nprocs, nthreads, sh->unclean_children);
	ok(control_ok, "the control process (evict, capacity, policy, settings, destroy and create) exited cleanly (status 0x%x)",
	   done[nprocs] ? status[nprocs] : -1);
	check_empty_and_destroy(ctl, children_ok && control_ok);
	close(ctl);
	ret = devmm_unload();
	ok(ret == 0, "unload (%s)", errname(ret));
	return tap_done();
}
