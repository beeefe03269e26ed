// SPDX-License-Identifier: GPL-2.0
/*
 * An ioctl fuzzer for every command of the control device /dev/devmm, of the
 * device nodes /dev/devmmN (devmm's own ABI) and of their test_hmm ABI
 * (HMM_DMIRROR_*, also on /dev/hmm_dmirrorN): random and boundary struct
 * sizes, reserved fields, flags, command numbers, ranges, npages and user
 * pointers, on live devices, from a fork child with the parent's files, and
 * on files whose device was destroyed.  ABI 1.1 too: SETTINGS (policies,
 * eviction batches and units changed mid-run), range attributes (SET_ATTR
 * mostly gives the fuzzer's memory migrate-on-fault attributes preferring
 * the device, so that later device reads, writes and ACCESS batches fault
 * pages over: demand paging, under the evictions that follow), GET_ATTR
 * checked against the attributes set, ACCESS batches whose done index is
 * checked against their entries, SETTINGS' answers against the settings set.
 * ABI 1.2: DEVMM_ATTR_OPENER, with which a fork child reads its parent's
 * attributes through the parent's files (checked against the parent's
 * model), and which changes nothing for the opener.
 *
 * Each call's errno is judged twice:
 *  - against its command's table of errnos that include/uapi/linux/devmm.h,
 *    README.md and the sources document: anything else is a failure (and so
 *    is success where the ABI demands an error);
 *  - against what this one call should give by the ABI (a non-zero reserved
 *    field: EINVAL; an unknown id: ENODEV; ...): an errno that is in the
 *    table but not the one the ABI names is a "mismatch" between code and
 *    documentation, reported as a diagnostic, not a failure.
 *
 * Memory it never offers the kernel (canary pages, the watchdog thread's
 * TCB) is checked after every call.
 *
 * Calls only ever reach memory this program mapped for the purpose: every
 * region the kernel may read, write, migrate or pin is surrounded by
 * PROT_NONE guards (the kernel works through a range in order and stops at
 * the first page it cannot reach), and random addresses or pointers that
 * fall into any other mapping are drawn again.  Only devices created here
 * are destroyed.
 *
 * usage: t_fuzz [-v] [-s SEED] [-n CALLS] /path/to/devmm.ko  (-v: print every call)
 * lane environment: LANE_EXPECT_PRIVATE, LANE_COHERENT_A, LANE_COHERENT_B,
 * LANE_RAM_RANGE, DEVMM_FUZZ_CALLS (the default for -n), DEVMM_FUZZ_SEED
 * (the default for -s; else a new seed each run), DEVMM_FUZZ_VERBOSE=1 (as -v),
 * DEVMM_FUZZ_PARAMS (more module parameters, e.g. copy_threads=1).
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <linux/devmm_hmm.h>
#include "devmm_test.h"

/* x86-64 with 4-level page tables: the end of the user address space. */
#define USER_END	0x7ffffffff000ULL
#define MAX_PINNED	(1UL << 18)	/* pages per file, mirror.c */
#define MAX_DEVICES	32		/* devmm.h */

/*
 * test_hmm's ABI as the kernel's lib/test_hmm_uapi.h has it (6.1 to 7.x):
 * the tools written for test_hmm count on <linux/devmm_hmm.h> keeping it.
 */
_Static_assert(sizeof(struct hmm_dmirror_cmd) == 40 &&
	       offsetof(struct hmm_dmirror_cmd, addr) == 0 &&
	       offsetof(struct hmm_dmirror_cmd, ptr) == 8 &&
	       offsetof(struct hmm_dmirror_cmd, npages) == 16 &&
	       offsetof(struct hmm_dmirror_cmd, cpages) == 24 &&
	       offsetof(struct hmm_dmirror_cmd, faults) == 32, "struct hmm_dmirror_cmd");
_Static_assert(HMM_DMIRROR_READ == 0xc0284800 && HMM_DMIRROR_WRITE == 0xc0284801 &&
	       HMM_DMIRROR_MIGRATE_TO_DEV == 0xc0284802 &&
	       HMM_DMIRROR_MIGRATE_TO_SYS == 0xc0284803 && HMM_DMIRROR_SNAPSHOT == 0xc0284804 &&
	       HMM_DMIRROR_EXCLUSIVE == 0xc0284805 &&
	       HMM_DMIRROR_CHECK_EXCLUSIVE == 0xc0284806 && HMM_DMIRROR_RELEASE == 0xc0284807 &&
	       HMM_DMIRROR_FLAGS == 0xc0284808 && HMM_DMIRROR_FLAG_FAIL_ALLOC == 1,
	       "HMM_DMIRROR_* numbers");
_Static_assert(HMM_DMIRROR_PROT_ERROR == 0xff && HMM_DMIRROR_PROT_NONE == 0 &&
	       HMM_DMIRROR_PROT_READ == 1 && HMM_DMIRROR_PROT_WRITE == 2 &&
	       HMM_DMIRROR_PROT_PMD == 4 && HMM_DMIRROR_PROT_PUD == 8 &&
	       HMM_DMIRROR_PROT_ZERO == 0x10 && HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL == 0x20 &&
	       HMM_DMIRROR_PROT_DEV_PRIVATE_REMOTE == 0x30 &&
	       HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL == 0x40 &&
	       HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE == 0x50, "HMM_DMIRROR_PROT_* bytes");

/* ---- randomness: splitmix64, one stream from the seed ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	return splitmix64(&rng_state);
}

static uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(unsigned int pct)
{
	return rn(100) < pct;
}

/* ---- errnos as bits of a set ---- */

enum {
	B_OK, B_EINVAL, B_EFAULT, B_ENOTTY, B_ENODEV, B_EPERM, B_EBUSY, B_ENOMEM,
	B_EOPNOTSUPP, B_ENOSPC, B_ENOENT, B_EIO, B_OTHER, NBITS
};
#define M(e)	(1u << B_##e)

static const char *const bit_name[NBITS] = {
	"0", "EINVAL", "EFAULT", "ENOTTY", "ENODEV", "EPERM", "EBUSY", "ENOMEM",
	"EOPNOTSUPP", "ENOSPC", "ENOENT", "EIO", "other"
};

static int ebit(int neg)
{
	switch (-neg) {
	case 0: return B_OK;
	case EINVAL: return B_EINVAL;
	case EFAULT: return B_EFAULT;
	case ENOTTY: return B_ENOTTY;
	case ENODEV: return B_ENODEV;
	case EPERM: return B_EPERM;
	case EBUSY: return B_EBUSY;
	case ENOMEM: return B_ENOMEM;
	case EOPNOTSUPP: return B_EOPNOTSUPP;
	case ENOSPC: return B_ENOSPC;
	case ENOENT: return B_ENOENT;
	case EIO: return B_EIO;
	default: return B_OTHER;
	}
}

/* "EINVAL|ENODEV" for a set. */
static const char *set_name(unsigned int set, char *buf, size_t len)
{
	size_t n = 0;
	int b;

	buf[0] = 0;
	for (b = 0; b < NBITS; b++)
		if (set & (1u << b))
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "|" : "",
				      bit_name[b]);
	return buf;
}

/* ---- command families: one TAP line each ---- */

enum { CTL, NODE, HMM, SPECIAL };

enum fam_id {
	F_INFO, F_CREATE, F_DESTROY, F_EVICT, F_SETCAP, F_SETPOL, F_QUERY, F_SETTINGS,
	F_CTL_BAD,
	F_READ, F_WRITE, F_MTODEV, F_MTOSYS, F_SNAP, F_EXCL, F_PIN, F_UNPIN, F_DEVINFO,
	F_SET_ATTR, F_GET_ATTR, F_ACCESS,
	F_NODE_BAD,
	F_H_READ, F_H_WRITE, F_H_MTODEV, F_H_MTOSYS, F_H_SNAP, F_H_EXCL, F_H_CHECK,
	F_H_RELEASE, F_H_FLAGS, F_H_BAD,
	F_FORK, F_DEAD,
	NFAM
};

#define NODE_COMMON	(M(EINVAL) | M(EFAULT) | M(ENODEV))

/*
 * @allowed: the errnos the ABI documents for the command (header, README,
 * kernel-doc of the handlers), besides success.
 * @mm: the command reaches the opener's memory: a process other than the
 * opener gets EPERM.
 */
static const struct fam {
	const char *name;
	int where;
	unsigned int nr;
	unsigned int allowed;
	int mm;
	int weight;
} fams[NFAM] = {
	[F_INFO] = { "DEVMM_IOC_INFO", CTL, 0x00, M(EINVAL) | M(EFAULT), 0, 3 },
	[F_CREATE] = { "DEVMM_IOC_CREATE", CTL, 0x01, M(EINVAL) | M(EFAULT) | M(EOPNOTSUPP) |
		       M(ENOSPC) | M(EBUSY) | M(ENOMEM), 0, 3 },
	[F_DESTROY] = { "DEVMM_IOC_DESTROY", CTL, 0x02, M(EINVAL) | M(EFAULT) | M(ENODEV), 0, 2 },
	[F_EVICT] = { "DEVMM_IOC_EVICT", CTL, 0x03, M(EINVAL) | M(EFAULT) | M(ENODEV) |
		      M(EOPNOTSUPP) | M(EBUSY), 0, 3 },
	[F_SETCAP] = { "DEVMM_IOC_SET_CAPACITY", CTL, 0x04, M(EINVAL) | M(EFAULT) | M(ENODEV) |
		       M(EOPNOTSUPP) | M(EBUSY) | M(ENOMEM), 0, 3 },
	[F_SETPOL] = { "DEVMM_IOC_SET_POLICY", CTL, 0x05, M(EINVAL) | M(EFAULT) | M(ENODEV) |
		       M(EOPNOTSUPP), 0, 2 },
	[F_QUERY] = { "DEVMM_IOC_QUERY", CTL, 0x06, M(EINVAL) | M(EFAULT) | M(ENOENT), 0, 3 },
	[F_SETTINGS] = { "DEVMM_IOC_SETTINGS", CTL, 0x07, M(EINVAL) | M(EFAULT) | M(ENODEV) |
			 M(EOPNOTSUPP), 0, 4 },
	[F_CTL_BAD] = { "unknown commands on /dev/devmm", CTL, 0, M(ENOTTY), 0, 3 },
	[F_READ] = { "DEVMM_IOC_READ", NODE, 0x40, NODE_COMMON | M(EBUSY) | M(ENOMEM), 1, 6 },
	[F_WRITE] = { "DEVMM_IOC_WRITE", NODE, 0x41, NODE_COMMON | M(EPERM) | M(EBUSY) |
		      M(ENOMEM), 1, 6 },
	[F_MTODEV] = { "DEVMM_IOC_MIGRATE_TO_DEV", NODE, 0x42, NODE_COMMON | M(EOPNOTSUPP) |
		       M(ENOMEM) | M(EBUSY) | M(EIO), 1, 8 },
	[F_MTOSYS] = { "DEVMM_IOC_MIGRATE_TO_SYS", NODE, 0x43, NODE_COMMON | M(EOPNOTSUPP) |
		       M(ENOMEM) | M(EIO), 1, 6 },
	[F_SNAP] = { "DEVMM_IOC_SNAPSHOT", NODE, 0x44, NODE_COMMON | M(EBUSY) | M(ENOMEM), 1, 5 },
	[F_EXCL] = { "DEVMM_IOC_EXCLUSIVE", NODE, 0x45, NODE_COMMON | M(EOPNOTSUPP) | M(EBUSY) |
		     M(ENOMEM), 1, 4 },
	/* EBUSY: pin_user_pages(FOLL_LONGTERM) could not move a coherent page out. */
	[F_PIN] = { "DEVMM_IOC_PIN", NODE, 0x46, NODE_COMMON | M(ENOSPC) | M(ENOMEM) | M(EBUSY), 1,
		    4 },
	[F_UNPIN] = { "DEVMM_IOC_UNPIN", NODE, 0x47, NODE_COMMON | M(ENOENT), 0, 3 },
	[F_DEVINFO] = { "DEVMM_IOC_DEV_INFO", NODE, 0x50, NODE_COMMON, 0, 3 },
	/* ABI 1.1: the opener's alone (EPERM); EOPNOTSUPP: a mirror-only device. */
	[F_SET_ATTR] = { "DEVMM_IOC_SET_ATTR", NODE, 0x48, NODE_COMMON | M(EPERM) | M(EOPNOTSUPP) |
			 M(ENOMEM) | M(ENOSPC), 1, 6 },
	[F_GET_ATTR] = { "DEVMM_IOC_GET_ATTR", NODE, 0x49, NODE_COMMON | M(EPERM) | M(EOPNOTSUPP),
			 1, 3 },
	/* Any entry's errno: those of READ, WRITE, MIGRATE_TO_DEV and _TO_SYS. */
	[F_ACCESS] = { "DEVMM_IOC_ACCESS", NODE, 0x4a, NODE_COMMON | M(EPERM) | M(EOPNOTSUPP) |
		       M(EBUSY) | M(ENOMEM) | M(EIO), 1, 6 },
	[F_NODE_BAD] = { "unknown commands on device nodes", NODE, 0, M(ENOTTY) | M(ENODEV), 0, 3 },
	[F_H_READ] = { "HMM_DMIRROR_READ", HMM, 0x00, NODE_COMMON | M(EBUSY) | M(ENOMEM), 1, 4 },
	[F_H_WRITE] = { "HMM_DMIRROR_WRITE", HMM, 0x01, NODE_COMMON | M(EPERM) | M(EBUSY) |
			M(ENOMEM), 1, 4 },
	[F_H_MTODEV] = { "HMM_DMIRROR_MIGRATE_TO_DEV", HMM, 0x02, NODE_COMMON | M(EOPNOTSUPP) |
			 M(ENOMEM) | M(EBUSY) | M(EIO) | M(ENOENT), 1, 5 },
	[F_H_MTOSYS] = { "HMM_DMIRROR_MIGRATE_TO_SYS", HMM, 0x03, NODE_COMMON | M(EOPNOTSUPP) |
			 M(ENOMEM) | M(EIO), 1, 4 },
	[F_H_SNAP] = { "HMM_DMIRROR_SNAPSHOT", HMM, 0x04, NODE_COMMON | M(EBUSY) | M(ENOMEM), 1,
		       3 },
	[F_H_EXCL] = { "HMM_DMIRROR_EXCLUSIVE", HMM, 0x05, NODE_COMMON | M(EOPNOTSUPP) |
		       M(EBUSY) | M(ENOMEM) | M(ENOENT), 1, 3 },
	[F_H_CHECK] = { "HMM_DMIRROR_CHECK_EXCLUSIVE", HMM, 0x06, NODE_COMMON | M(EPERM), 0, 2 },
	[F_H_RELEASE] = { "HMM_DMIRROR_RELEASE", HMM, 0x07, NODE_COMMON | M(EBUSY), 0, 1 },
	[F_H_FLAGS] = { "HMM_DMIRROR_FLAGS", HMM, 0x08, NODE_COMMON, 0, 2 },
	[F_H_BAD] = { "unknown test_hmm commands", HMM, 0, M(ENOTTY) | M(ENODEV), 0, 2 },
	[F_FORK] = { "a fork child using its parent's files", SPECIAL, 0, 0, 0, 0 },
	[F_DEAD] = { "files of a destroyed device", SPECIAL, 0, M(ENODEV), 0, 0 },
};

/*
 * Counters live in shared memory: a fork child's calls count too.  A
 * mismatch kind is one (family, what was special, expected, got) tuple.
 */
#define MAX_KINDS 48
struct kind {
	int fam;
	char tag[64];
	unsigned int expect;
	int got;
	unsigned long n;
	char example[240];
};

struct stats {
	unsigned long calls, fails[NFAM], ncalls[NFAM], errs[NFAM][NBITS];
	unsigned long mismatches[NFAM];
	int other_errno[NFAM];
	unsigned int diags;
	int nkinds;
	struct kind kinds[MAX_KINDS];
};

static struct stats *st;

/* ---- the memory the fuzzer offers the kernel ---- */

/*
 * One PROT_NONE reservation holds every region, each with guard pages on
 * both sides; a hole in it is unmapped for good (nothing maps afterwards).
 */
#define GUARD_PAGES	16
#define ARENA_PAGES	64
#define THP_PAGES	1024
#define SMALL_PAGES	8
#define BUF_PAGES	1040
#define SBUF_PAGES	2
#define HOLE_PAGES	16
#define ABUF_PAGES	4	/* DEVMM_IOC_ACCESS's entries */
#define ABUF_ENTRIES	(ABUF_PAGES * PG / sizeof(struct devmm_access))

#define RESV_SIZE	(32 * MB)
#define RESV_PAGES	(RESV_SIZE / PG)

static char *resv, *resv_end;
/* The range attributes the fuzzer gave its memory (below), and whether they are known. */
#define MAX_DEVS 40
static uint8_t attr_model[MAX_DEVS][RESV_PAGES];
static int attr_model_ok = 1;
static char *arena, *thp, *ro, *shr, *filem, *buf, *sbuf, *hole, *guard, *abuf;

struct region {
	const char *name;
	char **where;
	unsigned long pages;
	unsigned long align;
	int prot, flags;
};

/* The mappings of everything else (heap, stack, binary, vdso). */
#define MAX_MAPS 128
static struct { uint64_t start, end; } foreign_maps[MAX_MAPS];
static int nforeign;

static void read_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	nforeign = 0;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long s, e;

		if (sscanf(line, "%llx-%llx", &s, &e) != 2)
			continue;
		if (s >= (uintptr_t)resv && e <= (uintptr_t)resv_end)
			continue;
		if (nforeign < MAX_MAPS) {
			foreign_maps[nforeign].start = s;
			foreign_maps[nforeign].end = e;
			nforeign++;
		}
	}
	if (f)
		fclose(f);
}

/* Whether @addr lies in a mapping the fuzzer must not let the kernel touch. */
static int foreign(uint64_t addr)
{
	int i;

	for (i = 0; i < nforeign; i++)
		if (addr >= foreign_maps[i].start && addr < foreign_maps[i].end)
			return 1;
	return 0;
}

static const struct region regions[] = {
	{ "arena", &arena, ARENA_PAGES, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE },
	{ "thp", &thp, THP_PAGES, 2 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE },
	{ "ro", &ro, SMALL_PAGES, PG, PROT_READ, MAP_PRIVATE },
	{ "shr", &shr, SMALL_PAGES, PG, PROT_READ | PROT_WRITE, MAP_SHARED },
	{ "filem", &filem, SMALL_PAGES, PG, PROT_READ | PROT_WRITE, MAP_SHARED },
	{ "buf", &buf, BUF_PAGES, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE },
	{ "sbuf", &sbuf, SBUF_PAGES, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE },
	{ "hole", &hole, HOLE_PAGES, PG, PROT_NONE, MAP_PRIVATE },
	{ "guard", &guard, SMALL_PAGES, PG, PROT_NONE, MAP_PRIVATE },
	{ "abuf", &abuf, ABUF_PAGES, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE },
};
#define NREGIONS	(sizeof(regions) / sizeof(regions[0]))
/* The regions with memory the kernel may move: the first six but the file. */
#define NDATA		6

static void fill_regions(void)
{
	madvise(thp, THP_PAGES * PG, MADV_HUGEPAGE);
	memset(arena, 0x5a, ARENA_PAGES * PG);
	memset(thp, 0x3c, THP_PAGES * PG);
	memset(shr, 0x11, SMALL_PAGES * PG);
	memset(filem, 0x22, SMALL_PAGES * PG);
	memset(buf, 0x77, BUF_PAGES * PG);
}

/* New anonymous memory in place of the old, whatever the old held. */
static void replace_anon_regions(void)
{
	size_t i;

	for (i = 0; i < NDATA; i++)
		if (regions[i].where != &filem &&
		    mmap(*regions[i].where, regions[i].pages * PG, regions[i].prot,
			 regions[i].flags | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			tap_diag_raw("mmap again: %s", strerror(errno));
	/* MAP_FIXED unmapped the old memory, and some of its attributes. */
	attr_model_ok = 0;
	fill_regions();
}

static int map_regions(void)
{
	size_t len = RESV_SIZE, i;
	uintptr_t cur;
	char path[] = "/tmp/t_fuzz.XXXXXX";
	int tfd;

	resv = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (resv == MAP_FAILED)
		return -1;
	resv_end = resv + len;
	tfd = mkstemp(path);
	if (tfd < 0 || unlink(path) || ftruncate(tfd, SMALL_PAGES * PG))
		return -1;
	cur = (uintptr_t)resv;
	for (i = 0; i < NREGIONS; i++) {
		void *p;

		cur += GUARD_PAGES * PG;
		cur = (cur + regions[i].align - 1) & ~(regions[i].align - 1);
		if (regions[i].where == &filem)
			p = mmap((void *)cur, regions[i].pages * PG, regions[i].prot, MAP_SHARED | MAP_FIXED,
				 tfd, 0);
		else
			p = mmap((void *)cur, regions[i].pages * PG, regions[i].prot,
				 regions[i].flags | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED)
			return -1;
		*regions[i].where = p;
		cur += regions[i].pages * PG;
	}
	close(tfd);
	fill_regions();
	/* Unmapped for good: nothing in this program maps memory from now on. */
	return munmap(hole, HOLE_PAGES * PG);
}

/* ---- devices and their files ---- */

#define MAX_NODES 24
#define MAX_PINS 64

struct dev {
	int id;
	unsigned int kind;
	int alive;
	int dynamic;	/* created by a random CREATE: the only kind ever destroyed */
	uint64_t base, size;
	/*
	 * Its settings as the last CREATE, SET_POLICY or SETTINGS left them:
	 * @known has the DEVMM_SET_* bits of the fields known.
	 */
	unsigned int known;
	struct devmm_settings set;
};

struct node {
	int fd;
	int dev;	/* index in devs[] */
	char name[24];
	int npins;
	uint64_t pinned;	/* pages pinned through it */
	struct { uint64_t addr, npages; } pins[MAX_PINS];
};

static struct dev devs[MAX_DEVS];
static int ndevs;
static struct node nodes[MAX_NODES];
static int nnodes;
static int ctl = -1;
static unsigned long long caps;
static uint64_t coh_a, coh_a_size, coh_b, coh_b_size, ram_base, ram_size;
static int in_child;

static int dev_index(int id)
{
	int i;

	for (i = 0; i < ndevs; i++)
		if (devs[i].alive && devs[i].id == id)
			return i;
	return -1;
}

static int ndevs_alive(void)
{
	int i, n = 0;

	for (i = 0; i < ndevs; i++)
		n += devs[i].alive;
	return n;
}

static int dev_has_node(int di);

static int add_dev(int id, unsigned int kind, uint64_t base, uint64_t size)
{
	int i;

	/* A slot of a destroyed device, unless a file still refers to it. */
	for (i = 0; i < ndevs; i++)
		if (!devs[i].alive && !dev_has_node(i))
			break;
	if (i == MAX_DEVS)
		return -1;
	if (i == ndevs)
		ndevs++;
	memset(&devs[i], 0, sizeof(devs[i]));
	memset(attr_model[i], 0, sizeof(attr_model[i]));
	devs[i].id = id;
	devs[i].kind = kind;
	devs[i].alive = 1;
	devs[i].base = base;
	devs[i].size = size;
	return i;
}

static int dev_has_node(int di)
{
	int i;

	for (i = 0; i < nnodes; i++)
		if (nodes[i].dev == di)
			return 1;
	return 0;
}

static int open_node(const char *name, int dev)
{
	char path[40];
	int fd;

	if (nnodes == MAX_NODES)
		return -1;
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	memset(&nodes[nnodes], 0, sizeof(nodes[0]));
	nodes[nnodes].fd = fd;
	nodes[nnodes].dev = dev;
	snprintf(nodes[nnodes].name, sizeof(nodes[0].name), "%s", name);
	return nnodes++;
}

static void attrs_closed(int i);

static void close_node(int i)
{
	close(nodes[i].fd);
	attrs_closed(i);
	nodes[i] = nodes[--nnodes];
}

/* Close and open again: a new mirror, without the old one's pins. */
static void reopen_node(int i)
{
	char path[40];

	close(nodes[i].fd);
	attrs_closed(i);
	snprintf(path, sizeof(path), "/dev/%s", nodes[i].name);
	nodes[i].fd = open(path, O_RDWR | O_CLOEXEC);
	nodes[i].npins = 0;
	nodes[i].pinned = 0;
	if (nodes[i].fd < 0) {
		tap_diag_raw("cannot open %s again: %s", path, strerror(errno));
		nodes[i] = nodes[--nnodes];
	}
}

/* ---- range attributes, as the fuzzer's calls left them ---- */

/*
 * Per device (devs[] index) and page of the reservation, the attributes of
 * this process's ranges (ABI 1.1), one byte a page: bits 0-1 preferred,
 * 2 migrate_on_fault, 3 accessed_by, 4-5 the granularity's index in
 * grans[]; 0 is the defaults.  Every SET_ATTR that succeeds lies in the
 * reservation (its range must be mapped, and it is clipped before any other
 * mapping); nothing unmaps there but replace_anon_regions(), after which
 * the model is given up.  The attributes go with the process's last file of
 * the device.
 */
static const uint64_t grans[] = { 4096, 65536, 2 * MB };

static uint8_t attr_code(const struct devmm_attr *a)
{
	unsigned int g;

	for (g = 0; g < NELEM(grans) && grans[g] != a->granularity; g++)
		;
	return (a->preferred & 3) | (a->migrate_on_fault & 1) << 2 | (a->accessed_by & 1) << 3 |
	       (g & 3) << 4;
}

static uint8_t attr_at(int di, uint64_t addr)
{
	if (addr < (uintptr_t)resv || addr >= (uintptr_t)resv_end)
		return 0;
	return attr_model[di][(addr - (uintptr_t)resv) / PG];
}

/* A SET_ATTR of @a (as passed) that succeeded on device @di. */
static void attr_model_set(int di, const struct devmm_attr *a)
{
	uint64_t addr;

	for (addr = a->addr; addr < a->addr + a->npages * PG; addr += PG) {
		uint8_t *m, v;

		if (addr < (uintptr_t)resv || addr >= (uintptr_t)resv_end)
			continue;
		m = &attr_model[di][(addr - (uintptr_t)resv) / PG];
		v = *m;
		if (a->mask & DEVMM_ATTR_PREFERRED)
			v = (v & ~3) | a->preferred;
		if (a->mask & DEVMM_ATTR_MIGRATE)
			v = (v & ~4) | a->migrate_on_fault << 2;
		if (a->mask & DEVMM_ATTR_ACCESSED_BY)
			v = (v & ~8) | a->accessed_by << 3;
		if (a->mask & DEVMM_ATTR_GRANULARITY)
			v = (v & ~0x30) | (attr_code(a) & 0x30);
		*m = v;
	}
}

/*
 * What GET_ATTR of [addr, addr + npages) must say: the attributes at @addr
 * and how many pages from it share them (ranges of equal attributes are
 * merged as they are set).
 */
static uint8_t attr_model_get(int di, uint64_t addr, uint64_t npages, uint64_t *run)
{
	uint64_t end = addr + npages * PG, pos = addr;
	uint8_t v = attr_at(di, addr);

	while (pos < end) {
		if (pos < (uintptr_t)resv) {
			if (v)
				break;
			pos = end < (uintptr_t)resv ? end : (uintptr_t)resv;
		} else if (pos >= (uintptr_t)resv_end) {
			if (v)
				break;
			pos = end;
		} else if (attr_at(di, pos) == v) {
			pos += PG;
		} else {
			break;
		}
	}
	*run = (pos - addr) / PG;
	return v;
}

/* The process's files of device @di, but for nodes[@except]. */
static int dev_files(int di, int except)
{
	int i, n = 0;

	for (i = 0; i < nnodes; i++)
		n += i != except && nodes[i].dev == di;
	return n;
}

/* nodes[@i] was closed: with the process's last file of its device, its attributes go. */
static void attrs_closed(int i)
{
	if (!dev_files(nodes[i].dev, i))
		memset(attr_model[nodes[i].dev], 0, sizeof(attr_model[0]));
}

/*
 * Before a device may be destroyed: no page may be pinned through any file
 * (a pinned coherent page keeps DESTROY waiting forever; the destroy_pinned
 * case below checks that on purpose).  Files of destroyed devices cannot
 * unpin: they are closed.
 */
static void drop_pins(void)
{
	int i;

	for (i = nnodes - 1; i >= 0; i--) {
		if (!nodes[i].npins)
			continue;
		if (devs[nodes[i].dev].alive)
			reopen_node(i);
		else
			close_node(i);
	}
}

/* ---- one call ---- */

struct call {
	int fam;
	int node;		/* nodes[] index, -1 for the control device */
	unsigned long cmd;
	void *arg;
	unsigned int pred;	/* the errnos the ABI allows for this very call */
	int soft;		/* success where pred has none is a mismatch only */
	const char *tag;	/* what is special about the call, for mismatches */
	char tagbuf[64];
	unsigned char copy[96];	/* the struct as passed, for diagnostics */
	unsigned int copylen;
};

#define SKIPPED 1			/* run()'s result for a call not made */
static struct call cur;			/* the call in progress (watchdog) */
static int verbose;			/* -v: every call and its result */
static volatile unsigned long progress;

static void describe(const struct call *c, char *out, size_t len)
{
	size_t n;
	unsigned int i;

	n = snprintf(out, len, "%s on %s: cmd 0x%08lx arg %p [%s]", fams[c->fam].name,
		     c->node < 0 ? "/dev/devmm" : nodes[c->node].name, c->cmd, c->arg,
		     c->tag ? c->tag : "");
	for (i = 0; i + 8 <= c->copylen && n < len; i += 8) {
		uint64_t w;

		memcpy(&w, c->copy + i, 8);
		n += snprintf(out + n, len - n, "%s%llx", i ? " " : " struct ",
			      (unsigned long long)w);
	}
}

static void note_kind(const struct call *c, int ret)
{
	char d[240];
	int i;

	for (i = 0; i < st->nkinds; i++) {
		struct kind *k = &st->kinds[i];

		if (k->fam == c->fam && k->got == ret && !strcmp(k->tag, c->tag ? c->tag : "")) {
			k->expect |= c->pred;
			k->n++;
			return;
		}
	}
	if (st->nkinds == MAX_KINDS)
		return;
	describe(c, d, sizeof(d));
	st->kinds[st->nkinds].fam = c->fam;
	snprintf(st->kinds[st->nkinds].tag, sizeof(st->kinds[0].tag), "%s",
		 c->tag ? c->tag : "");
	st->kinds[st->nkinds].expect = c->pred;
	st->kinds[st->nkinds].got = ret;
	st->kinds[st->nkinds].n = 1;
	snprintf(st->kinds[st->nkinds].example, sizeof(st->kinds[0].example), "%s", d);
	st->nkinds++;
}

/*
 * Judge one result.  @count: the family the call counts for (F_FORK and
 * F_DEAD collect the calls of their phases).
 */
static void check_outside(const struct call *c);

static void judge(struct call *c, int count, int ret)
{
	const struct fam *f = &fams[c->fam];
	unsigned int allowed = f->allowed | M(OK), b = 1u << ebit(ret);
	char d[400], s1[80];
	int fail = 0, mismatch = 0;

	if (count == F_FORK)
		allowed |= M(EPERM);
	if (count == F_DEAD)
		allowed = M(ENODEV);
	if (ret == SKIPPED)
		return;
	if (verbose) {
		describe(c, d, sizeof(d));
		tap_diag_raw("call %lu: %s: %s", st->calls, d, errname(ret));
	}
	check_outside(c);
	st->calls++;
	st->ncalls[count]++;
	st->errs[count][ebit(ret)]++;
	if (ebit(ret) == B_OTHER && !st->other_errno[count])
		st->other_errno[count] = -ret;
	if (!(c->pred & b)) {
		if (!(allowed & b) || (!ret && !c->soft))
			fail = 1;
		else
			mismatch = 1;
	}
	if (mismatch) {
		st->mismatches[count]++;
		note_kind(c, ret);
	}
	if (fail) {
		st->fails[count]++;
		if (st->diags++ < 40) {
			describe(c, d, sizeof(d));
			tap_diag_raw("FAIL: %s gave %s, expected %s: %s", f->name, errname(ret),
			     set_name(c->pred, s1, sizeof(s1)), d);
		}
	}
}

/*
 * Memory the fuzzer never offers the kernel must never change: canary
 * pages mapped apart from the reservation, and the watchdog thread's TCB
 * (glibc on x86-64: its first and third words hold its own address).  Both
 * are checked after every call, so that the first call after which they
 * differ is named.
 */
static pthread_t wd;
static unsigned char *canary;
static int outside_bad;
#define CANARY_PAGES	64

static unsigned char canary_byte(size_t i)
{
	return (unsigned char)(i * 7 + i / PG + 1);
}

static int canary_intact(void)
{
	size_t i;

	for (i = 0; canary && i < CANARY_PAGES * PG; i++)
		if (canary[i] != canary_byte(i))
			return 0;
	return 1;
}

static int tcb_intact(void)
{
#if defined(__GLIBC__) && defined(__x86_64__)
	const uintptr_t *tcb = (const uintptr_t *)wd;

	return !wd || (tcb[0] == (uintptr_t)wd && tcb[2] == (uintptr_t)wd);
#else
	return 1;
#endif
}

/* What /proc/self/pagemap says of the page at @p. */
static void pagemap_diag(const char *what, const void *p)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0;

	if (fd >= 0 && pread(fd, &e, sizeof(e), ((uintptr_t)p / PG) * 8) == sizeof(e))
		tap_diag_raw("  %s %p: pagemap 0x%016llx (present %d, swap/device %d, pfn 0x%llx)",
			     what, p, (unsigned long long)e, (int)(e >> 63), (int)((e >> 62) & 1),
			     (unsigned long long)(e & ((1ULL << 55) - 1)));
	if (fd >= 0)
		close(fd);
}

static void check_outside(const struct call *c)
{
	char d[400];
	size_t i;

	if (outside_bad || (canary_intact() && tcb_intact()))
		return;
	outside_bad = 1;
	describe(c, d, sizeof(d));
	tap_diag_raw("FAIL: memory the fuzzer never offered the kernel changed (canary %s, "
		     "watchdog TCB %s) by call %lu or before: %s", canary_intact() ? "intact" :
		     "changed", tcb_intact() ? "intact" : "changed", st->calls, d);
	pagemap_diag("watchdog TCB", (void *)wd);
	tap_diag_raw("  regions: arena %p thp %p ro %p shr %p filem %p buf %p sbuf %p abuf %p",
		     arena, thp, ro, shr, filem, buf, sbuf, abuf);
	if (c->cmd == DEVMM_IOC_ACCESS) {
		const struct devmm_access_batch *b = (const void *)c->arg;
		const struct devmm_access *e = (const void *)(uintptr_t)b->ptr;

		for (i = 0; i < b->count && i < 16 && (const char *)(e + i) >= abuf &&
			    (const char *)(e + i + 1) <= abuf + ABUF_PAGES * PG; i++)
			tap_diag_raw("  entry %zu: op %u addr 0x%llx npages %llu ptr 0x%llx "
				     "reserved %u", i, e[i].op, (unsigned long long)e[i].addr,
				     (unsigned long long)e[i].npages,
				     (unsigned long long)e[i].ptr, e[i].reserved);
	}
	for (i = 0; canary && i < CANARY_PAGES; i++) {
		size_t first = PG, last = 0, k;
		char what[64];

		for (k = 0; k < PG; k++) {
			if (canary[i * PG + k] == canary_byte(i * PG + k))
				continue;
			first = first < k ? first : k;
			last = k;
		}
		if (first == PG)
			continue;
		snprintf(what, sizeof(what), "canary page %zu, bytes %zu-%zu now 0x%02x...", i,
			 first, last, canary[i * PG + first]);
		pagemap_diag(what, canary + i * PG);
	}
}

/*
 * DEVMM_FUZZ_SKIP=NAME,...: calls of these families (and "fork": the fork
 * phases) are drawn but not made, so that the rest of a seed's calls stay
 * the same; for narrowing down what a failing seed needs.
 */
static uint64_t skip_mask;

static int run(struct call *c, int fd)
{
	progress++;
	if (skip_mask & (1ULL << c->fam))
		return SKIPPED;
	return ioctl(fd, c->cmd, c->arg) ? -errno : 0;
}

static void parse_skip(const char *list)
{
	char names[512], *tok, *save;
	int k;

	snprintf(names, sizeof(names), "%s", list);
	for (tok = strtok_r(names, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		for (k = 0; k < NFAM; k++)
			if (!strcmp(tok, fams[k].name) || (!strcmp(tok, "fork") && k == F_FORK))
				skip_mask |= 1ULL << k;
}

/* ---- generators ---- */

/*
 * Calls in "clean" mode get a well-formed struct in the struct buffer and a
 * range in the fuzzer's memory, so that enough of them reach the operation.
 */
static int clean;

/*
 * The tag of a call: what decides its expected result (a bad size or
 * pointer), else what is special about its fields.
 */
static void compose_tag(struct call *c, const char *ftag, const char *stag, const char *atag,
			int size_bad, int arg_bad, int tail)
{
	if (size_bad || tail)
		c->tag = stag;
	else if (arg_bad)
		c->tag = atag;
	else
		c->tag = ftag ? ftag : "";
}

/* A size for a devmm struct of @exact bytes; sets *tail for the bytes past it. */
static unsigned int pick_size(unsigned int exact, int *bad, int *tail, const char **tag)
{
	unsigned int r = clean ? 0 : rn(100);

	*bad = 0;
	*tail = 0;
	if (r < 70)
		return exact;
	if (r < 78) {
		*tag = "longer struct, zero tail";
		return exact + 8 * (1 + rn(16));
	}
	if (r < 84) {
		*tail = 1;
		*tag = "longer struct, non-zero tail";
		return exact + 8 * (1 + rn(16));
	}
	if (r < 87) {
		*tag = "struct of a page, zero tail";
		return PG;
	}
	*bad = 1;
	if (r < 92) {
		*tag = "short struct";
		return rn(exact);
	}
	if (r < 96) {
		*tag = "struct over a page";
		return PG + 1 + rn(16383 - PG);
	}
	*tag = "size 0";
	return 0;
}

/*
 * Where the struct goes: normally the struct buffer; else a pointer the
 * kernel cannot read (*bad: EFAULT) or a read-only page of zeros (*zeros:
 * the kernel sees zeros and cannot write back).
 */
static void *pick_arg(unsigned int size, int *bad, int *zeros, const char **tag)
{
	unsigned int r = clean ? 0 : rn(100);

	*bad = 0;
	*zeros = 0;
	if (r < 88)
		return sbuf;
	if (r < 90) {
		*zeros = 1;
		*tag = "struct in read-only memory";
		return ro;
	}
	*bad = 1;
	if (r < 92) {
		*tag = "NULL struct";
		return NULL;
	}
	if (r < 94) {
		*tag = "kernel address";
		return (void *)(chance(50) ? 0xffffffff81000000UL : 0xffff888000000000UL);
	}
	if (r < 96) {
		*tag = "unmapped struct";
		return hole + rn(HOLE_PAGES) * PG;
	}
	if (r < 98 && size > 1 && size <= SBUF_PAGES * PG) {
		*tag = "struct straddles a PROT_NONE page";
		return sbuf + SBUF_PAGES * PG - size / 2;
	}
	*tag = "non-canonical address";
	return (void *)0x8000000000000000UL;
}

/* A mangled command: wrong type, direction or number. */
static unsigned long bad_cmd(int where, unsigned int *size)
{
	static const unsigned char types[] = { 'A', 'G', 'Z', 'Q', 0xda, 0xdc, 0xff };
	unsigned int dirs[] = { _IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE };
	unsigned int type, nr, dir, sz = sizeof(struct devmm_range_cmd);
	unsigned int r = rn(3);

	if (where == HMM) {
		/* test_hmm's commands with another size or direction, or number. */
		type = 'H';
		nr = rn(12);
		dir = dirs[rn(4)];
		sz = rn(2) ? sizeof(struct hmm_dmirror_cmd) + 8 * (1 + rn(4)) : rn(64);
		if (nr <= 8 && dir == (_IOC_READ | _IOC_WRITE) &&
		    sz == sizeof(struct hmm_dmirror_cmd))
			nr = 9 + rn(100);
	} else if (r == 0) {
		type = types[rn(sizeof(types))];
		nr = rn(256);
		dir = dirs[rn(4)];
	} else if (r == 1) {
		/* A known number in the wrong direction. */
		type = DEVMM_IOC_MAGIC;
		nr = where == CTL ? rn(8) : 0x40 + rn(11);
		dir = dirs[rn(3)];
	} else {
		/* An unknown number. */
		type = DEVMM_IOC_MAGIC;
		do {
			nr = rn(256);
		} while (nr <= 0x07 || (nr >= 0x40 && nr <= 0x4a) || nr == 0x50);
		dir = _IOC_READ | _IOC_WRITE;
	}
	if (type != 'H' && chance(20))
		sz = rn(16384);
	*size = sz;
	return _IOC(dir, type, nr, sz);
}

/* Whether devmm_check_range() accepts the range. */
static int range_ok(uint64_t addr, uint64_t npages)
{
	uint64_t len;

	if ((addr & (PG - 1)) || !npages || npages > (~0ULL >> 12))
		return 0;
	len = npages << 12;
	if (addr + len < addr)
		return 0;
	return addr + len <= USER_END;
}

static uint64_t pick_addr(unsigned long *room)
{
	unsigned int r = rn(clean ? 52 : 100);
	uint64_t a;

	*room = 0;
	if (r < 32) {
		unsigned long off = rn(ARENA_PAGES);

		*room = ARENA_PAGES - off;
		return (uintptr_t)arena + off * PG;
	}
	if (r < 40) {
		unsigned long off = chance(50) ? 0 : rn(THP_PAGES);

		*room = THP_PAGES - off;
		return (uintptr_t)thp + off * PG;
	}
	if (r < 52) {
		char *small[] = { ro, shr, filem };
		unsigned long off = rn(SMALL_PAGES);

		*room = SMALL_PAGES - off;
		return (uintptr_t)small[rn(3)] + off * PG;
	}
	if (r < 56)
		return (uintptr_t)guard + rn(SMALL_PAGES) * PG;
	if (r < 60)
		return (uintptr_t)hole + rn(HOLE_PAGES) * PG;
	if (r < 68)
		return (uintptr_t)arena + rn(ARENA_PAGES) * PG + 1 + rn(PG - 1);
	if (r < 72)
		return 0;
	if (r < 80) {
		static const uint64_t near[] = { USER_END, USER_END - PG, USER_END - 2 * PG,
						 USER_END - 16 * PG, USER_END + PG,
						 0x800000000000ULL, 0x7fffffff0000ULL };

		return near[rn(sizeof(near) / sizeof(near[0]))];
	}
	if (r < 86) {
		static const uint64_t kern[] = { 0xffff888000000000ULL, 0xffffffff81000000ULL,
						 0xffffffffff600000ULL, 0x8000000000000000ULL };

		return kern[rn(4)];
	}
	if (r < 94) {
		/* Wrapping ranges. */
		a = ~0ULL & ~(PG - 1);
		return a - rn(4) * PG;
	}
	/* Random: in the reservation, or above the user address space. */
	if (chance(50))
		return (uintptr_t)resv + rn((resv_end - resv) / PG) * PG;
	return (rnd() | (1ULL << 47)) & ~(PG - 1);
}

static uint64_t pick_npages(unsigned long room)
{
	unsigned int r = rn(clean ? 72 : 100);

	if (r < 20)
		return 1;
	if (r < 50)
		return 1 + rn(16);
	if (r < 72)
		return room ? 1 + rn(room + 4) : 1 + rn(64);
	if (r < 77)
		return 0;
	if (r < 87) {
		static const uint64_t huge[] = {
			1ULL << 20, 1ULL << 35, (1ULL << 52) - 1, 1ULL << 52, ~0ULL, ~0ULL >> 12,
			USER_END >> 12, (USER_END >> 12) + 1, 1ULL << 63,
		};

		return huge[rn(sizeof(huge) / sizeof(huge[0]))];
	}
	return 1ULL << rn(64);
}

/* A user buffer pointer for @npages pages (or bytes, for snapshots). */
static uint64_t pick_ptr(void)
{
	unsigned int r = rn(clean ? 66 : 100);

	if (r < 62)
		return (uintptr_t)buf + rn(16) * PG;
	if (r < 66)
		return (uintptr_t)buf + rn(16 * PG);
	if (r < 70)
		return (uintptr_t)arena + rn(ARENA_PAGES) * PG;
	if (r < 75)
		return (uintptr_t)ro;
	if (r < 80)
		return 0;
	if (r < 83)
		return 8;
	if (r < 88)
		return chance(50) ? 0xffff888000000000ULL : 0xffffffff81000000ULL;
	if (r < 92)
		return (uintptr_t)hole;
	if (r < 95)
		return (uintptr_t)guard;
	if (r < 97)
		return 0x8000000000000000ULL;
	return USER_END - PG;
}

/*
 * Make a range and its pointer safe: their first page must not lie in
 * another mapping of this program (the kernel stops at the first page it
 * cannot reach, and every region of ours ends in a guard).
 */
static void make_safe(uint64_t *addr, uint64_t *ptr)
{
	int tries = 0;
	unsigned long room;

	while (foreign(*addr) && tries++ < 20)
		*addr = pick_addr(&room);
	if (foreign(*addr))
		*addr = (uintptr_t)arena;
	tries = 0;
	while (foreign(*ptr) && tries++ < 20)
		*ptr = pick_ptr();
	if (foreign(*ptr))
		*ptr = (uintptr_t)buf;
}

/* Fill the 8-byte-aligned field at @off of @size bytes with junk. */
static void junk(void *s, size_t off, size_t size)
{
	uint64_t v = rnd() | 1;

	memcpy((char *)s + off, &v, size > 8 ? 8 : size);
}

/* ---- per-family generation ---- */

static unsigned int node_kind(int node)
{
	return devs[nodes[node].dev].kind;
}

static int node_alive(int node)
{
	return devs[nodes[node].dev].alive;
}

static int pick_node(void)
{
	return rn(nnodes);
}

/*
 * Put the call's struct @u (@exact bytes; the call says @size) where its
 * argument points: into sbuf, with a non-zero byte past its end for a
 * @tail; for a straddling bad pointer, what fits before the guard page; and
 * keep a copy of what was passed for the report.
 */
static void place_struct(struct call *c, const void *u, size_t exact, size_t size, int tail,
			 int arg_bad, int arg_ro)
{
	if (!arg_bad && !arg_ro) {
		memset(sbuf, 0, size < PG ? PG : SBUF_PAGES * PG);
		memcpy(sbuf, u, size < exact ? size : exact);
		if (tail)
			sbuf[exact + rn(size - exact)] = 1 + rn(255);
	} else if (arg_bad && c->arg && (char *)c->arg >= sbuf &&
		   (char *)c->arg < sbuf + SBUF_PAGES * PG) {
		size_t fit = sbuf + SBUF_PAGES * PG - (char *)c->arg;

		memset(sbuf, 0, SBUF_PAGES * PG);
		memcpy(c->arg, u, fit < exact ? fit : exact);
	}
	c->copylen = size < exact ? size : exact;
	if (c->copylen > sizeof(c->copy))
		c->copylen = sizeof(c->copy);
	memcpy(c->copy, u, c->copylen);
}

/*
 * One call in the making: its struct (@u, @exact bytes; the call says
 * @size), what is wrong with it, and what the ABI then says (@pred).  The
 * generator of the call's family (generators[] below) fills it; the steps
 * they share are the functions just below.  A given seed must replay the
 * same calls, so every generator draws its random numbers in the order it
 * always has: rearranging draws changes every seed's calls.
 */
struct gen {
	struct call *c;
	int fam;
	int node;		/* node commands: nodes[] index */
	int r;			/* control commands: the draw that may spoil a field */
	int target;		/* DESTROY: the devs[] index it may remove, or -1 */
	/* @minsize: the struct's first published size, if smaller than @exact. */
	unsigned int exact, minsize, size, pred;
	int size_bad, tail, arg_bad, arg_ro, defect;
	/* What is special about the fields, the size and the pointer. */
	const char *tag, *stag, *atag;
	union {
		struct devmm_info info;
		struct devmm_create cr;
		struct devmm_dev_cmd d;
		struct devmm_dev_query q;
		struct devmm_range_cmd r;
		struct devmm_dev_info dev;
		struct hmm_dmirror_cmd h;
		struct devmm_settings set;
		struct devmm_attr attr;
		struct devmm_access_batch acc;
		unsigned char raw[PG];
	} u;
};

/*
 * The size the call's struct has: pick_size(), where a struct shorter than
 * @exact but not than its first published size (@minsize: DEV_INFO and
 * QUERY grew in ABI 1.1) is an older program's, and valid.
 */
static void pick_gen_size(struct gen *g)
{
	g->size = pick_size(g->exact, &g->size_bad, &g->tail, &g->stag);
	if (g->size_bad && g->minsize && g->size >= g->minsize && g->size < g->exact) {
		g->size_bad = 0;
		g->stag = "older, shorter struct";
	}
}

/* The call's expected errnos and tag, and its struct where it goes. */
static void finish_call(struct gen *g)
{
	g->c->pred = g->pred;
	compose_tag(g->c, g->tag, g->stag, g->atag, g->size_bad, g->arg_bad || g->arg_ro, g->tail);
	place_struct(g->c, &g->u, g->exact, g->size, g->tail, g->arg_bad, g->arg_ro);
}

/* F_CTL_BAD, F_NODE_BAD, F_H_BAD: a mangled command number, a struct of zeros. */
static void gen_unknown(struct gen *g)
{
	unsigned int size;

	g->c->cmd = bad_cmd(fams[g->fam].where, &size);
	g->c->arg = sbuf;
	memset(sbuf, 0, SBUF_PAGES * PG);
	g->c->pred = M(ENOTTY);
	g->c->tag = "unknown command";
}

/* ---- generators of device-node commands ---- */

/* What the ABI says of a test_hmm command on a range, its struct readable. */
static void hmm_pred(struct gen *g, uint64_t addr, uint64_t np)
{
	int fam = g->fam;

	if (!range_ok(addr, np)) {
		g->pred = M(EINVAL);
		g->tag = "bad range";
		return;
	}
	if (fam == F_H_FLAGS) {
		g->pred = np & ~HMM_DMIRROR_FLAG_FAIL_ALLOC ? M(EINVAL) : M(OK);
		g->tag = "flags";
		return;
	}
	g->pred = fams[fam].allowed | M(OK);
	if ((fam == F_H_MTODEV || fam == F_H_MTOSYS) && node_kind(g->node) == DEVMM_KIND_MIRROR) {
		g->pred = M(EOPNOTSUPP);
		g->tag = "migration on a mirror-only device";
	}
	if (fam == F_H_EXCL && !(caps & DEVMM_CAP_EXCLUSIVE)) {
		g->pred = M(EOPNOTSUPP);
		g->tag = "no exclusive access here";
	}
	if (fam == F_H_RELEASE)
		g->pred = M(OK) | M(EBUSY);
	if (fam == F_H_CHECK)
		g->pred = M(OK) | M(EPERM);
}

/* test_hmm's commands (F_H_READ..F_H_FLAGS): its struct, of its one size. */
static void gen_hmm(struct gen *g)
{
	uint64_t addr, np, ptr;
	unsigned long room;

	g->exact = sizeof(struct hmm_dmirror_cmd);
	g->size = g->exact;
	g->c->cmd = _IOWR('H', fams[g->fam].nr, struct hmm_dmirror_cmd);
	addr = pick_addr(&room);
	np = g->fam == F_H_FLAGS ? (chance(70) ? HMM_DMIRROR_FLAG_FAIL_ALLOC : rn(4)) :
				   pick_npages(room);
	ptr = pick_ptr();
	make_safe(&addr, &ptr);
	g->u.h.addr = addr;
	g->u.h.npages = np;
	g->u.h.ptr = ptr;
	if (chance(10)) {
		junk(&g->u.h, offsetof(struct hmm_dmirror_cmd, cpages), 8);
		junk(&g->u.h, offsetof(struct hmm_dmirror_cmd, faults), 8);
	}
	g->c->arg = pick_arg(g->size, &g->arg_bad, &g->arg_ro, &g->atag);
	if (g->arg_bad)
		g->pred = M(EFAULT);
	else if (g->arg_ro)
		/* The kernel reads zeros: an empty range. */
		g->pred = M(EINVAL);
	else
		hmm_pred(g, addr, np);
	finish_call(g);
}

/* devmm's own node commands start with their struct's size... */
static void own_start(struct gen *g, unsigned int exact)
{
	g->exact = exact;
	pick_gen_size(g);
	g->c->cmd = _IOC(_IOC_READ | _IOC_WRITE, DEVMM_IOC_MAGIC, fams[g->fam].nr, g->size);
}

/* ... and end with where it goes: a bad size or pointer decides first. */
static void own_finish(struct gen *g)
{
	g->c->arg = pick_arg(g->size, &g->arg_bad, &g->arg_ro, &g->atag);
	if (g->size_bad)
		g->pred = M(EINVAL);
	else if (g->arg_bad)
		g->pred = M(EFAULT);
	else if (g->arg_ro)
		/*
		 * The kernel reads zeros: an empty range, or DEV_INFO (and an
		 * empty ACCESS batch) that cannot copy out.
		 */
		g->pred = g->fam == F_DEVINFO || g->fam == F_ACCESS ? M(EFAULT) : M(EINVAL);
	else if (g->tail || g->defect)
		g->pred = M(EINVAL);
	finish_call(g);
}

/* DEVMM_IOC_DEV_INFO: flags and reserved fields, (out) fields set on input. */
static void gen_dev_info(struct gen *g)
{
	struct devmm_dev_info *i = &g->u.dev;
	int r;

	g->minsize = DEVMM_DEV_INFO_SIZE_VER0;
	own_start(g, sizeof(struct devmm_dev_info));
	r = clean ? 20 + rn(80) : rn(100);
	if (r < 5) {
		i->flags = 1u << rn(32);
		g->defect = 1;
		g->tag = "flags";
	} else if (r < 10) {
		i->reserved0 = rnd() | 1;
		g->defect = 1;
		g->tag = "reserved0";
	} else if (r < 15) {
		i->reserved1 = rnd() | 1;
		g->defect = 1;
		g->tag = "reserved1";
	} else if (r < 20) {
		i->reserved[rn(NELEM(i->reserved))] = rnd() | 1;
		g->defect = 1;
		g->tag = "reserved[]";
	} else if (r < 35) {
		/* Every (out) field: ignored on input. */
		i->id = rnd();
		i->used = rnd();
		i->policy = rnd();
		g->tag = "out fields set on input";
	}
	g->pred = M(OK);
	own_finish(g);
}

/* A range command's range and pointer, its flags, for UNPIN maybe a pinned range. */
static void range_fields(struct gen *g)
{
	struct devmm_range_cmd *rc = &g->u.r;
	struct node *n = &nodes[g->node];
	uint64_t addr, np, ptr;
	unsigned long room;

	addr = pick_addr(&room);
	np = pick_npages(room);
	ptr = pick_ptr();
	make_safe(&addr, &ptr);
	rc->addr = addr;
	rc->npages = np;
	rc->ptr = ptr;
	if (g->fam == F_PIN && chance(30))
		rc->flags = DEVMM_RANGE_LONGTERM;
	if (g->fam == F_UNPIN && n->npins && chance(50)) {
		/* Exactly a range pinned before. */
		int k = rn(n->npins);

		rc->addr = n->pins[k].addr;
		rc->npages = n->pins[k].npages;
	}
}

/* By the draw @r: an unknown flag, a reserved field, or (out) fields set. */
static void range_spoil(struct gen *g, int r)
{
	struct devmm_range_cmd *rc = &g->u.r;
	unsigned int valid = g->fam == F_PIN ? DEVMM_RANGE_LONGTERM : 0;

	if (r < 5) {
		rc->flags = (1u << rn(32)) & ~valid;
		if (!rc->flags)
			rc->flags = 2;
		g->defect = 1;
		g->tag = "unknown flags";
	} else if (r < 9) {
		rc->reserved0 = rnd() | 1;
		g->defect = 1;
		g->tag = "reserved0";
	} else if (r < 13) {
		rc->reserved[rn(NELEM(rc->reserved))] = rnd() | 1;
		g->defect = 1;
		g->tag = "reserved[]";
	} else if (r < 23) {
		rc->cpages = rnd();
		rc->faults = rnd();
		g->tag = "out fields set on input";
	}
}

/* What the ABI says of a well-formed range command on this node. */
static void range_pred(struct gen *g)
{
	const struct devmm_range_cmd *rc = &g->u.r;
	const struct node *n = &nodes[g->node];
	int fam = g->fam, k, found = 0;

	g->pred = fams[fam].allowed | M(OK);
	if ((fam == F_MTODEV || fam == F_MTOSYS) && node_kind(g->node) == DEVMM_KIND_MIRROR) {
		g->pred = M(EOPNOTSUPP);
		g->tag = "migration on a mirror-only device";
	} else if (fam == F_EXCL && !(caps & DEVMM_CAP_EXCLUSIVE)) {
		g->pred = M(EOPNOTSUPP);
		g->tag = "no exclusive access here";
	} else if (fam == F_PIN && n->pinned + rc->npages > MAX_PINNED) {
		g->pred = M(ENOSPC);
		g->tag = "over the pin limit";
	} else if (fam == F_UNPIN) {
		for (k = 0; k < n->npins; k++)
			found |= n->pins[k].addr == rc->addr && n->pins[k].npages == rc->npages;
		if (n->npins < MAX_PINS || found) {
			g->pred = found ? M(OK) : M(ENOENT);
			g->tag = found ? "a pinned range" : "a range not pinned";
		}
	}
}

/* devmm's range commands (F_READ..F_UNPIN). */
static void gen_range(struct gen *g)
{
	int r;

	own_start(g, sizeof(struct devmm_range_cmd));
	r = clean ? 13 + rn(87) : rn(100);
	range_fields(g);
	range_spoil(g, r);
	if (!g->defect && !range_ok(g->u.r.addr, g->u.r.npages)) {
		g->defect = 1;
		g->tag = "bad range";
	}
	if (!g->defect)
		range_pred(g);
	else
		g->pred = M(EINVAL);
	own_finish(g);
}

/* ---- generators of the ABI 1.1 node commands: range attributes, batches ---- */

/* Whether every page of [addr, addr + npages) lies in a mapping (SET_ATTR's -EFAULT). */
static int range_mapped(uint64_t addr, uint64_t npages)
{
	uint64_t pos = addr, end = addr + npages * PG, hole_end = (uintptr_t)hole + HOLE_PAGES * PG;
	int i;

	while (pos < end) {
		uint64_t next = 0;

		if (pos >= (uintptr_t)resv && pos < (uintptr_t)resv_end)
			next = pos < (uintptr_t)hole ? (uintptr_t)hole :
			       pos >= hole_end ? (uintptr_t)resv_end : 0;
		for (i = 0; !next && i < nforeign; i++)
			if (pos >= foreign_maps[i].start && pos < foreign_maps[i].end)
				next = foreign_maps[i].end;
		if (!next)
			return 0;
		pos = next;
	}
	return 1;
}

/*
 * A range whose first page is the fuzzer's (make_safe()) ends before any
 * other mapping: attributes on them would let demand paging move their pages.
 */
static uint64_t clip_foreign(uint64_t addr, uint64_t npages)
{
	uint64_t end = addr + npages * PG;
	int i;

	for (i = 0; i < nforeign; i++)
		if (foreign_maps[i].start > addr && foreign_maps[i].start < end)
			end = foreign_maps[i].start;
	return (end - addr) / PG;
}

/* A range for SET_ATTR and GET_ATTR: the range commands' picks, or a whole region. */
static void attr_range(struct gen *g)
{
	struct devmm_attr *a = &g->u.attr;
	uint64_t addr, ptr = (uintptr_t)buf;
	unsigned long room;

	addr = pick_addr(&room);
	a->npages = pick_npages(room);
	make_safe(&addr, &ptr);
	a->addr = addr;
	if (clean && chance(30)) {
		int k = rn(3);

		a->addr = (uintptr_t)(k == 0 ? arena : k == 1 ? thp : buf);
		a->npages = k == 0 ? ARENA_PAGES : k == 1 ? THP_PAGES : 64;
	}
}

/* Attributes to set: mostly demand paging (migrate on fault, this device preferred). */
static void attr_values(struct devmm_attr *a)
{
	a->mask = chance(60) ? DEVMM_ATTR_PREFERRED | DEVMM_ATTR_MIGRATE |
			       (chance(50) ? DEVMM_ATTR_GRANULARITY : 0) : 1 + rn(DEVMM_ATTR_ALL);
	a->preferred = chance(75) ? DEVMM_LOC_DEVICE : rn(DEVMM_LOC_SYSTEM + 1);
	a->migrate_on_fault = chance(85);
	a->accessed_by = chance(10);
	a->granularity = grans[rn(NELEM(grans))];
}

/* Field @k (0..3: preferred, migrate, accessed_by, granularity) made invalid; its mask bit. */
static unsigned int attr_bad_value(struct devmm_attr *a, int k, const char **tag)
{
	static const uint64_t bad_grans[] = { 0, 1, 2048, 4097, 8192, 32768, MB, 4 * MB,
					      1ULL << 30, ~0ULL };

	switch (k) {
	case 0:
		a->preferred = chance(80) ? DEVMM_LOC_SYSTEM + 1 + rn(1000) : ~0u;
		*tag = "unknown preferred location";
		return DEVMM_ATTR_PREFERRED;
	case 1:
		a->migrate_on_fault = 2 + rn(1000);
		*tag = "migrate_on_fault not 0 or 1";
		return DEVMM_ATTR_MIGRATE;
	case 2:
		a->accessed_by = chance(80) ? 2 + rn(1000) : ~0u;
		*tag = "accessed_by not 0 or 1";
		return DEVMM_ATTR_ACCESSED_BY;
	default:
		a->granularity = bad_grans[rn(NELEM(bad_grans))];
		*tag = "unknown granularity";
		return DEVMM_ATTR_GRANULARITY;
	}
}

/* By the draw @r: a reserved field, a mask of 0 or unknown bits, a bad value in or out of the mask. */
static void set_attr_spoil(struct gen *g, int r)
{
	struct devmm_attr *a = &g->u.attr;
	unsigned int bit;

	if (r < 4) {
		a->reserved[rn(NELEM(a->reserved))] = rnd() | 1;
		g->defect = 1;
		g->tag = "reserved[]";
	} else if (r < 7) {
		a->mask = 0;
		g->defect = 1;
		g->tag = "mask 0";
	} else if (r < 10) {
		/* Bits 4 to 30: bit 31 is DEVMM_ATTR_OPENER. */
		a->mask |= 1u << (4 + rn(27));
		g->defect = 1;
		g->tag = "unknown mask bits";
	} else if (r < 21) {
		a->mask |= attr_bad_value(a, rn(4), &g->tag);
		g->defect = 1;
	} else if (r < 27) {
		/* Values outside the mask are not read. */
		bit = attr_bad_value(a, rn(4), &g->tag);
		a->mask &= ~bit;
		if (!a->mask)
			a->mask = bit == DEVMM_ATTR_GRANULARITY ? DEVMM_ATTR_PREFERRED : bit << 1;
		g->tag = "bad value outside the mask";
	}
}

/* What the ABI says of a well-formed SET_ATTR or GET_ATTR on this node. */
static void attr_pred(struct gen *g)
{
	struct devmm_attr *a = &g->u.attr;

	if (node_kind(g->node) == DEVMM_KIND_MIRROR) {
		g->pred = M(EOPNOTSUPP);
		g->tag = "a device without memory";
	} else if (in_child && !(a->mask & DEVMM_ATTR_OPENER)) {
		g->pred = M(EPERM);
		g->tag = "child: attributes of the parent";
	} else if (g->fam == F_GET_ATTR) {
		g->pred = M(OK);
	} else if (range_mapped(a->addr, a->npages)) {
		g->pred = M(OK) | M(ENOMEM) | M(ENOSPC);
	} else {
		g->pred = M(EFAULT);
		g->tag = g->tag ? g->tag : "a range not all mapped";
	}
}

/* DEVMM_IOC_SET_ATTR: attributes of a range of the fuzzer's memory, mostly demand paging. */
static void gen_set_attr(struct gen *g)
{
	struct devmm_attr *a = &g->u.attr;
	int r;

	own_start(g, sizeof(*a));
	r = clean ? 21 + rn(79) : rn(100);
	attr_range(g);
	attr_values(a);
	set_attr_spoil(g, r);
	if (range_ok(a->addr, a->npages))
		a->npages = clip_foreign(a->addr, a->npages);
	else if (!g->defect) {
		g->defect = 1;
		g->tag = "bad range";
	}
	/*
	 * ABI 1.2's flag changes nothing for the opener.  A child does not set
	 * it: its change of the parent's attributes would leave the parent's
	 * model behind (the child reads them with it, in GET_ATTR).
	 */
	if (!in_child && a->mask && chance(10))
		a->mask |= DEVMM_ATTR_OPENER;
	if (!g->defect)
		attr_pred(g);
	own_finish(g);
}

/* DEVMM_IOC_GET_ATTR: its mask must be 0, the fields it fills are ignored on input. */
static void gen_get_attr(struct gen *g)
{
	struct devmm_attr *a = &g->u.attr;
	int r;

	own_start(g, sizeof(*a));
	r = clean ? 10 + rn(90) : rn(100);
	attr_range(g);
	if (r < 4) {
		a->reserved[rn(NELEM(a->reserved))] = rnd() | 1;
		g->defect = 1;
		g->tag = "reserved[]";
	} else if (r < 10) {
		a->mask = chance(50) ? 1u << rn(31) : 1 + rn(DEVMM_ATTR_ALL);
		g->defect = 1;
		g->tag = "mask not 0 or DEVMM_ATTR_OPENER";
	} else if (r < 35) {
		a->preferred = rnd();
		a->migrate_on_fault = rnd();
		a->accessed_by = rnd();
		a->granularity = rnd();
		g->tag = "out fields set on input";
	}
	if (!g->defect && !range_ok(a->addr, a->npages)) {
		g->defect = 1;
		g->tag = "bad range";
	}
	/* The opener's attributes from any process (ABI 1.2); the opener's own otherwise. */
	if (!g->defect && chance(in_child ? 60 : 10))
		a->mask |= DEVMM_ATTR_OPENER;
	if (!g->defect)
		attr_pred(g);
	own_finish(g);
}

/*
 * An ACCESS batch as generated: whether it was well-formed (the kernel then
 * writes @done), its count, the first entry that cannot succeed (@k, or
 * count), and what each entry up to it may give (an M() set, OK included if
 * it may succeed).  after_node_call() checks @done against it.
 */
#define ACCESS_FILL	32
static struct {
	int valid;
	uint32_t count, k;
	unsigned int emask[ACCESS_FILL + 1];
} plan;

/* A batch's count: mostly a few, sometimes 0, sometimes past the entries there are. */
static uint32_t access_count(void)
{
	static const uint32_t big[] = { DEVMM_ACCESS_MAX, DEVMM_ACCESS_MAX + 1, 1u << 20,
					0x80000000u, 0xffffffffu, ABUF_ENTRIES, ABUF_ENTRIES + 1 };
	unsigned int r = clean ? 0 : rn(100);

	if (r < 55)
		return 1 + rn(8);
	if (r < 65)
		return 0;
	if (r < 75)
		return 1 + rn(ACCESS_FILL);
	if (r < 85)
		return big[rn(NELEM(big))];
	return 1 + rn(4);
}

/* One entry: an op, the range commands' picks of range and pointer, maybe a reserved field. */
static void access_entry(struct devmm_access *e)
{
	unsigned long room;
	uint64_t addr, ptr;

	e->op = !clean && chance(6) ? (chance(50) ? DEVMM_ACCESS_TO_SYS + 1 + rn(100) :
				       1u << (2 + rn(30))) : rn(DEVMM_ACCESS_TO_SYS + 1);
	addr = pick_addr(&room);
	e->npages = pick_npages(room);
	ptr = pick_ptr();
	make_safe(&addr, &ptr);
	e->addr = addr;
	e->ptr = ptr;
	/* A device write must not change the batch it is part of. */
	if (e->op == DEVMM_ACCESS_WRITE && addr >= (uintptr_t)abuf &&
	    addr < (uintptr_t)abuf + ABUF_PAGES * PG)
		e->op = DEVMM_ACCESS_TO_SYS;
	if (!clean && chance(4))
		e->reserved = rnd() | 1;
}

/*
 * What entry @e may give: EINVAL for its own fields (a read or write gives
 * it for nothing else), else its operation's errnos.
 */
static unsigned int entry_mask(int node, const struct devmm_access *e)
{
	static const int fam_of[] = { F_READ, F_WRITE, F_MTODEV, F_MTOSYS };

	if (e->reserved || e->op > DEVMM_ACCESS_TO_SYS || !range_ok(e->addr, e->npages))
		return M(EINVAL);
	if (e->op >= DEVMM_ACCESS_TO_DEV && node_kind(node) == DEVMM_KIND_MIRROR)
		return M(EOPNOTSUPP);
	/* A migration of a range not all in readable mappings is EINVAL too, as MIGRATE_TO_*'s. */
	return (fams[fam_of[e->op]].allowed | M(OK)) &
	       ~(M(ENODEV) | M(EOPNOTSUPP) | (e->op <= DEVMM_ACCESS_WRITE ? M(EINVAL) : 0));
}

/*
 * Where the entries go: at the start of abuf (zeros after them: an entry
 * of zeros is EINVAL), at its end (a guard after them: EFAULT), or at an
 * address the kernel cannot read, or in a page of zeros.  Returns the
 * array's address; *readable: the entries the kernel can read there,
 * *zeros: they are zeros.
 */
static uint64_t place_entries(const struct devmm_access *e, uint32_t nfill, uint32_t *readable,
			      int *zeros, const char **tag)
{
	unsigned int r = clean ? 0 : rn(100);
	size_t len = nfill * sizeof(*e);

	*zeros = 0;
	*readable = 0;
	if (r < 88) {
		char *at = r < 80 ? abuf : abuf + ABUF_PAGES * PG - len;

		memset(abuf, 0, ABUF_PAGES * PG);
		memcpy(at, e, len);
		*readable = r < 80 ? ABUF_ENTRIES : nfill;
		if (r >= 80)
			*tag = "entries end at a guard page";
		return (uintptr_t)at;
	}
	if (r < 91) {
		*tag = "NULL entries";
		return 0;
	}
	if (r < 93) {
		*tag = "entries at a kernel address";
		return 0xffff888000000000ULL;
	}
	if (r < 95) {
		*tag = "unmapped entries";
		return (uintptr_t)hole;
	}
	if (r < 97) {
		*zeros = 1;
		*readable = SMALL_PAGES * PG / sizeof(*e);
		*tag = "entries in a page of zeros";
		return (uintptr_t)ro;
	}
	*tag = "entries at a non-canonical address";
	return 0x8000000000000000ULL;
}

/* What the ABI says of a well-formed batch: the errnos of its entries up to the first that must fail. */
static void access_pred(struct gen *g, const struct devmm_access *e, uint32_t nfill,
			uint32_t readable, int zeros)
{
	static const struct devmm_access zero;
	uint32_t count = g->u.acc.count, i;
	unsigned int pred = 0;

	plan.count = count;
	plan.k = count;
	for (i = 0; i < count; i++) {
		unsigned int m = i >= readable ? M(EFAULT) :
				 entry_mask(g->node, zeros || i >= nfill ? &zero : &e[i]);

		plan.emask[i] = m;
		pred |= m & ~M(OK);
		if (!(m & M(OK))) {
			plan.k = i;
			break;
		}
	}
	g->pred = pred | (plan.k == count ? M(OK) : 0);
	if (plan.k < count && !g->tag)
		g->tag = (plan.emask[plan.k] == M(EINVAL)) ? "a bad entry" :
			 plan.emask[plan.k] == M(EFAULT) ? "entries the kernel cannot read" :
			 "migration on a mirror-only device";
}

/* DEVMM_IOC_ACCESS: a batch of reads, writes and migrations over the range picks. */
static void gen_access(struct gen *g)
{
	struct devmm_access_batch *b = &g->u.acc;
	struct devmm_access e[ACCESS_FILL];
	uint32_t nfill, readable, i;
	const char *etag = NULL;
	int r, zeros;

	own_start(g, sizeof(*b));
	r = clean ? 20 + rn(80) : rn(100);
	b->count = access_count();
	nfill = b->count <= ACCESS_FILL ? b->count : 1 + rn(8);
	memset(e, 0, sizeof(e));
	for (i = 0; i < nfill; i++)
		access_entry(&e[i]);
	b->ptr = place_entries(e, nfill, &readable, &zeros, &etag);
	if (r < 4) {
		b->flags = 1u << rn(32);
		g->defect = 1;
		g->tag = "flags";
	} else if (r < 8) {
		b->reserved0 = rnd() | 1;
		g->defect = 1;
		g->tag = "reserved0";
	} else if (r < 12) {
		b->reserved[rn(NELEM(b->reserved))] = rnd() | 1;
		g->defect = 1;
		g->tag = "reserved[]";
	} else if (r < 20) {
		b->done = rnd() | 1;
		g->tag = "out field done set on input";
	}
	if (!g->defect && b->count > DEVMM_ACCESS_MAX) {
		g->defect = 1;
		g->tag = "count over DEVMM_ACCESS_MAX";
	}
	g->tag = g->tag ? g->tag : etag;
	if (!g->defect)
		access_pred(g, e, nfill, readable, zeros);
	own_finish(g);
	plan.valid = !g->size_bad && !g->arg_bad && !g->arg_ro && !g->tail && !g->defect;
	/*
	 * Another process than the opener: refused once the batch's own fields
	 * pass (a struct in a page of zeros has a zero tail and fields).
	 */
	if (in_child && !g->size_bad && !g->arg_bad && (g->arg_ro || (!g->tail && !g->defect))) {
		g->c->pred = M(EPERM);
		g->c->tag = "child: a batch on the parent's memory";
		plan.valid = 0;
	}
}

/* Report what a call's answer got wrong beyond its errno. */
static void post_fail(const struct call *c, const char *fmt, ...)
{
	char d[400], what[200];
	va_list ap;

	st->fails[c->fam]++;
	if (st->diags++ >= 40)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	describe(c, d, sizeof(d));
	tap_diag_raw("FAIL: %s: %s: %s", fams[c->fam].name, what, d);
}

/* After GET_ATTR: what it says against the attributes the fuzzer set. */
static void check_get_attr(const struct call *c)
{
	struct devmm_attr in, out;
	uint64_t run;
	uint8_t want;
	int di = nodes[c->node].dev;

	memcpy(&in, c->copy, sizeof(in));
	memcpy(&out, sbuf, sizeof(out));
	want = attr_model_get(di, in.addr, in.npages, &run);
	if (out.npages < 1 || out.npages > in.npages || out.preferred > DEVMM_LOC_SYSTEM ||
	    out.migrate_on_fault > 1 || out.accessed_by > 1 || attr_code(&out) >> 4 >= NELEM(grans) ||
	    out.mask != in.mask || out.addr != in.addr)
		post_fail(c, "GET_ATTR answered %llu pages, preferred %u migrate %u accessed_by %u granularity %llu",
			  (unsigned long long)out.npages, out.preferred, out.migrate_on_fault,
			  out.accessed_by, (unsigned long long)out.granularity);
	else if (attr_model_ok && (attr_code(&out) != want || out.npages != run))
		post_fail(c, "GET_ATTR answered attributes 0x%02x for %llu pages, the fuzzer set 0x%02x for %llu",
			  attr_code(&out), (unsigned long long)out.npages, want,
			  (unsigned long long)run);
}

/* After an ACCESS: its done index against the batch's entries. */
static void check_access(const struct call *c, int ret)
{
	struct devmm_access_batch out;

	memcpy(&out, sbuf, sizeof(out));
	if (!ret && out.done != plan.count)
		post_fail(c, "succeeded with done %u of %u entries", out.done, plan.count);
	else if (ret && (out.done > plan.k || out.done >= plan.count ||
			 !(plan.emask[out.done] & (1u << ebit(ret)))))
		post_fail(c, "%s with done %u: entry %u cannot give it (the first that must fail: %u)",
			  errname(ret), out.done, out.done, plan.k);
}

/* After a node call: track pins and data the kernel may have moved. */
static void after_node_call(const struct call *c, int ret)
{
	struct node *n = &nodes[c->node];
	struct devmm_range_cmd r;

	if (ret == SKIPPED || c->arg != sbuf)
		return;
	if (c->fam == F_SET_ATTR && !ret) {
		struct devmm_attr a;

		memcpy(&a, c->copy, sizeof(a));
		attr_model_set(n->dev, &a);
	}
	if (c->fam == F_GET_ATTR && !ret)
		check_get_attr(c);
	if (c->fam == F_ACCESS && plan.valid)
		check_access(c, ret);
	if (ret || (c->fam != F_PIN && c->fam != F_UNPIN))
		return;
	memcpy(&r, c->copy, sizeof(r));
	if (c->fam == F_PIN) {
		if (n->npins < MAX_PINS) {
			n->pins[n->npins].addr = r.addr;
			n->pins[n->npins].npages = r.npages;
			n->npins++;
		} else {
			/* Too many to follow: start over with a new file. */
			reopen_node(c->node);
			return;
		}
		n->pinned += r.npages;
	} else {
		int k;

		for (k = 0; k < n->npins; k++) {
			if (n->pins[k].addr == r.addr && n->pins[k].npages == r.npages) {
				n->pinned -= r.npages;
				n->pins[k] = n->pins[--n->npins];
				break;
			}
		}
	}
}

/* ---- generators of control-device commands ---- */

/* A device number nothing answers to. */
static unsigned int free_id(void)
{
	static const unsigned int far[] = { 31, 32, 100, 4095, 0x7fffffff, 0xffffffff };
	unsigned int id;

	do {
		id = chance(50) ? far[rn(6)] : (unsigned int)rn(40);
	} while (dev_index(id) >= 0);
	return id;
}

static int pick_dev(void)
{
	int i;

	do {
		i = rn(ndevs);
	} while (!devs[i].alive);
	return i;
}

/* Whether [base, base + size) overlaps a live coherent device. */
static int coherent_busy(uint64_t base, uint64_t size)
{
	int i;

	for (i = 0; i < ndevs; i++)
		if (devs[i].alive && devs[i].kind == DEVMM_KIND_COHERENT &&
		    base < devs[i].base + devs[i].size && devs[i].base < base + size)
			return 1;
	return 0;
}

static int ndynamic(void)
{
	int i, n = 0;

	for (i = 0; i < ndevs; i++)
		n += devs[i].alive && devs[i].dynamic;
	return n;
}

/*
 * The rest of a control-device call, once its generator has set its fields:
 * its size and where its struct goes, which decide before the fields do.
 */
static void ctl_finish(struct gen *g)
{
	struct call *c = g->c;

	if (g->defect)
		g->pred = M(EINVAL);
	pick_gen_size(g);
	c->cmd = _IOC(_IOC_READ | _IOC_WRITE, DEVMM_IOC_MAGIC, fams[g->fam].nr, g->size);
	/* A DESTROY of a device in use must not come from a page of zeros. */
	do {
		c->arg = pick_arg(g->size, &g->arg_bad, &g->arg_ro, &g->atag);
	} while (g->arg_ro && g->fam != F_INFO && g->fam != F_QUERY && g->fam != F_SETTINGS);
	if (g->size_bad)
		g->pred = M(EINVAL);
	else if (g->arg_bad)
		g->pred = M(EFAULT);
	else if (g->arg_ro && g->fam == F_SETTINGS)
		/* Settings of device 0, read only (mask 0), that cannot copy out. */
		g->pred = dev_index(0) < 0 ? M(ENODEV) :
			  devs[dev_index(0)].kind == DEVMM_KIND_MIRROR ? M(EOPNOTSUPP) : M(EFAULT);
	else if (g->arg_ro)
		/* INFO and QUERY of zeros succeed and cannot copy out. */
		g->pred = M(EFAULT);
	else if (g->tail)
		g->pred = M(EINVAL);
	finish_call(g);
}

/* DEVMM_IOC_INFO: flags, reserved fields, one (out) field set on input. */
static void gen_info(struct gen *g)
{
	struct devmm_info *i = &g->u.info;

	g->exact = sizeof(*i);
	if (g->r < 5) {
		i->flags = 1u << rn(32);
		g->defect = 1;
		g->tag = "flags";
	} else if (g->r < 10) {
		i->reserved[rn(NELEM(i->reserved))] = rnd() | 1;
		g->defect = 1;
		g->tag = "reserved[]";
	} else if (g->r < 40) {
		/* One (out) field: the ABI reads only (in) fields. */
		static const struct { size_t off, size; const char *name; } out[] = {
			{ offsetof(struct devmm_info, abi_major), 4, "out field abi_major" },
			{ offsetof(struct devmm_info, ndevices), 4, "out field ndevices" },
			{ offsetof(struct devmm_info, caps), 8, "out field caps" },
			{ offsetof(struct devmm_info, page_size), 4, "out field page_size" },
			{ offsetof(struct devmm_info, nmirror), 4, "out field nmirror" },
			{ offsetof(struct devmm_info, private_capacity), 8,
			  "out field private_capacity" },
			{ offsetof(struct devmm_info, version), 8, "out field version" },
		};
		int k = rn(sizeof(out) / sizeof(out[0]));

		junk(i, out[k].off, out[k].size);
		g->tag = out[k].name;
	}
	ctl_finish(g);
}

/*
 * A coherent device's range: only ranges the ABI refuses, or ranges inside
 * the reservation; never physical memory of anything else.
 */
static void create_coherent_range(struct devmm_create *cr)
{
	uint64_t sec = 128 * MB;

	switch (rn(10)) {
	case 0: cr->base = coh_b + sec; cr->size = sec; break;
	case 1: cr->base = coh_b; cr->size = coh_b_size; break;
	case 2: cr->base = coh_a; cr->size = sec; break;
	case 3: cr->base = ram_base; cr->size = ram_size; break;
	case 4: cr->base = coh_b + PG; cr->size = sec; break;
	case 5: cr->base = coh_b + sec; cr->size = sec + PG; break;
	case 6: cr->base = coh_b + sec; cr->size = 0; break;
	case 7: cr->base = ~0ULL & ~(sec - 1); cr->size = 2 * sec; break;
	case 8: cr->base = 1ULL << 46; cr->size = sec; break;
	default: cr->base = coh_b + sec; cr->size = sec; cr->capacity = PG;
		break;
	}
}

/* A new device's kind, policy, and capacity or range. */
static void create_fields(struct devmm_create *cr)
{
	static const unsigned int bad_kinds[] = { 0, 4, 99, 0xffffffff };
	unsigned int kinds[] = { DEVMM_KIND_PRIVATE, DEVMM_KIND_COHERENT, DEVMM_KIND_MIRROR };

	cr->kind = !clean && chance(8) ? bad_kinds[rn(4)] : kinds[rn(3)];
	cr->policy = !clean && chance(8) ? DEVMM_POLICY_MAX + 1 + rn(100) :
					    rn(DEVMM_POLICY_MAX + 1);
	if (cr->kind == DEVMM_KIND_PRIVATE) {
		static const uint64_t caps_[] = { 0, PG, 16 * MB, 1ULL << 40, (1ULL << 40) + PG,
						  4097, 100, ~0ULL & ~(PG - 1) };

		cr->capacity = chance(50) ? caps_[rn(8)] : (1 + rn(16384)) * PG;
		if (chance(5))
			cr->base = PG;
		if (chance(5))
			cr->size = PG;
	} else if (cr->kind == DEVMM_KIND_COHERENT) {
		create_coherent_range(cr);
	} else if (cr->kind == DEVMM_KIND_MIRROR && chance(15)) {
		cr->capacity = PG;
	}
}

/*
 * By the draw r: flags, a reserved field, the (out) field id set; an
 * unknown policy; and past a few devices of its own, the fuzzer only makes
 * bad requests (@full).
 */
static void create_spoil(struct gen *g, int full)
{
	struct devmm_create *cr = &g->u.cr;

	if (g->r < 4) {
		cr->flags = 1u << rn(32);
		g->defect = 1;
		g->tag = "flags";
	} else if (g->r < 8) {
		cr->reserved[rn(NELEM(cr->reserved))] = rnd() | 1;
		g->defect = 1;
		g->tag = "reserved[]";
	} else if (g->r < 16) {
		cr->id = rnd() | 1;
		g->tag = "out field id";
	}
	if (cr->policy > DEVMM_POLICY_MAX && !g->defect) {
		g->defect = 1;
		g->tag = "unknown policy";
	}
	if (full && !g->defect) {
		cr->policy = 7;
		g->defect = 1;
		g->tag = "unknown policy";
	}
}

/* What the ABI says of a well-formed CREATE, by the kind of device. */
static void create_pred(struct gen *g)
{
	const struct devmm_create *cr = &g->u.cr;
	uint64_t sec = 128 * MB, b = cr->base, s = cr->size, cap = cr->capacity;

	switch (cr->kind) {
	case DEVMM_KIND_PRIVATE:
		if (!(caps & DEVMM_CAP_PRIVATE)) {
			g->pred = M(EOPNOTSUPP);
			g->tag = g->tag ? g->tag : "private memory unsupported";
		} else if (b || s || (cap & (PG - 1)) || cap > (1ULL << 40)) {
			g->defect = 1;
			g->tag = g->tag ? g->tag : "bad private capacity, base or size";
		} else {
			g->pred = M(OK) | M(ENOMEM);
		}
		break;
	case DEVMM_KIND_COHERENT:
		if (cap || !s || b + s < b || b + s > (1ULL << 46) || (b % sec) || (s % sec) ||
		    (b < ram_base + ram_size && ram_base < b + s)) {
			g->defect = 1;
			g->tag = g->tag ? g->tag : "bad coherent range";
		} else if (coherent_busy(b, s)) {
			g->pred = M(EBUSY);
			g->tag = g->tag ? g->tag : "coherent range in use";
		} else {
			g->pred = M(OK) | M(ENOMEM);
		}
		break;
	case DEVMM_KIND_MIRROR:
		if (cap || b || s) {
			g->defect = 1;
			g->tag = g->tag ? g->tag : "mirror with memory";
		} else {
			g->pred = M(OK) | M(ENOMEM);
		}
		break;
	default:
		g->defect = 1;
		g->tag = g->tag ? g->tag : "unknown kind";
	}
}

/* DEVMM_IOC_CREATE. */
static void gen_create(struct gen *g)
{
	int full = ndynamic() >= 6 || ndevs_alive() >= MAX_DEVS - 2;

	g->exact = sizeof(g->u.cr);
	create_fields(&g->u.cr);
	create_spoil(g, full);
	if (!g->defect) {
		if (ndevs_alive() >= MAX_DEVICES)
			g->pred = M(ENOSPC);
		else
			create_pred(g);
	}
	ctl_finish(g);
}

/*
 * The device a DESTROY, EVICT, SET_CAPACITY or SET_POLICY names: devs[]
 * index, or -1 for a number nothing answers to.  DESTROY: only devices of
 * the fuzzer's own making, never those in use.
 */
static int dev_cmd_target(int fam)
{
	int k, cand[MAX_DEVS], nc = 0;

	if (fam != F_DESTROY)
		return chance(85) ? pick_dev() : -1;
	for (k = 0; k < ndevs; k++)
		if (devs[k].alive && devs[k].dynamic)
			cand[nc++] = k;
	return nc && chance(50) ? cand[rn(nc)] : -1;
}

/* Its value: bytes to evict, a capacity, a policy; DESTROY's must be 0. */
static uint64_t dev_cmd_value(int fam)
{
	if (fam == F_EVICT)
		return chance(30) ? 0 : (chance(50) ? rn(64 * MB) : rnd());
	if (fam == F_SETCAP)
		return chance(70) ? (1 + rn(16384)) * PG :
		       (chance(50) ? rnd() : (uint64_t[]){ 0, 4097, 1ULL << 40,
			(1ULL << 40) + PG, 256 * MB, 512 * MB }[rn(6)]);
	if (fam == F_SETPOL)
		return chance(85) ? rn(DEVMM_POLICY_MAX + 1) : DEVMM_POLICY_MAX + 1 + rn(1000);
	return chance(10) ? 1 + rn(100) : 0;
}

/* What the ABI says of a well-formed command on device @di (-1: none). */
static void dev_cmd_pred(struct gen *g, int di)
{
	const struct devmm_dev_cmd *d = &g->u.d;
	uint64_t v = d->value;

	if (g->fam == F_DESTROY) {
		if (v) {
			g->defect = 1;
			g->tag = g->tag ? g->tag : "value";
		} else if (di < 0) {
			g->pred = M(ENODEV);
			g->tag = g->tag ? g->tag : "unknown device";
		}
	} else if (di < 0) {
		g->pred = M(ENODEV);
		g->tag = g->tag ? g->tag : "unknown device";
	} else if (devs[di].kind == DEVMM_KIND_MIRROR) {
		g->pred = M(EOPNOTSUPP);
		g->tag = g->tag ? g->tag : "mirror-only device";
	} else if (g->fam == F_EVICT) {
		g->pred = M(OK) | M(EBUSY);
	} else if (g->fam == F_SETCAP) {
		if (!v || (v & (PG - 1)) || v > (1ULL << 40) ||
		    (devs[di].kind == DEVMM_KIND_COHERENT && v > devs[di].size)) {
			g->defect = 1;
			g->tag = g->tag ? g->tag : "bad capacity";
		} else {
			g->pred = M(OK) | M(EBUSY) | M(ENOMEM);
		}
	} else if (v > DEVMM_POLICY_MAX) {
		g->defect = 1;
		g->tag = g->tag ? g->tag : "unknown policy";
	}
}

/* DEVMM_IOC_DESTROY, _EVICT, _SET_CAPACITY, _SET_POLICY: one device, by number. */
static void gen_dev_cmd(struct gen *g)
{
	struct devmm_dev_cmd *d = &g->u.d;
	int di;

	g->exact = sizeof(*d);
	di = dev_cmd_target(g->fam);
	d->id = di >= 0 ? (unsigned int)devs[di].id : free_id();
	d->value = dev_cmd_value(g->fam);
	if (g->r < 4) {
		d->flags = 1u << rn(32);
		g->defect = 1;
		g->tag = "flags";
	} else if (g->r < 8) {
		d->reserved[rn(NELEM(d->reserved))] = rnd() | 1;
		g->defect = 1;
		g->tag = "reserved[]";
	} else if (g->r < 14) {
		d->result = rnd() | 1;
		g->tag = "out field result";
	}
	/* Whatever the ABI says, a DESTROY of a live device may hang: a helper runs it. */
	if (g->fam == F_DESTROY)
		g->target = di;
	if (!g->defect)
		dev_cmd_pred(g, di);
	ctl_finish(g);
}

/* DEVMM_IOC_QUERY: from a device number, maybe past every device. */
static void gen_query(struct gen *g)
{
	struct devmm_dev_query *q = &g->u.q;
	unsigned int id = chance(70) ? rn(40) : (unsigned int)rnd();
	int k, any = 0;

	g->exact = sizeof(*q);
	g->minsize = DEVMM_DEV_QUERY_SIZE_VER0;
	q->id = id;
	for (k = 0; k < ndevs; k++)
		any |= devs[k].alive && (unsigned int)devs[k].id >= id;
	if (g->r < 5) {
		q->flags = 1u << rn(32);
		g->defect = 1;
		g->tag = "flags";
	} else if (g->r < 20) {
		q->info.id = rnd();
		q->info.reserved[rn(NELEM(q->info.reserved))] = rnd() | 1;
		g->tag = "out struct set on input";
	}
	if (!g->defect) {
		g->pred = any ? M(OK) : M(ENOENT);
		if (!any)
			g->tag = g->tag ? g->tag : "no device at or above id";
	}
	ctl_finish(g);
}

/*
 * Field @k (0..4: policy, evict_batch, evict_unit, prefetch, thrashing) made
 * invalid; its mask bit.
 */
static unsigned int settings_bad_value(struct devmm_settings *s, int k, const char **tag)
{
	static const uint32_t bad_batches[] = { 0, DEVMM_EVICT_BATCH_MAX + 1, 1024, 0xffffffff };

	switch (k) {
	case 0:
		s->policy = chance(80) ? DEVMM_POLICY_MAX + 1 + rn(1000) : ~0u;
		*tag = "unknown policy";
		return DEVMM_SET_POLICY;
	case 1:
		s->evict_batch = bad_batches[rn(NELEM(bad_batches))];
		*tag = "evict_batch not 1 to 512";
		return DEVMM_SET_EVICT_BATCH;
	case 2:
		s->evict_unit = DEVMM_EVICT_UNIT_BLOCK + 1 + rn(1000);
		*tag = "unknown evict_unit";
		return DEVMM_SET_EVICT_UNIT;
	case 3:
		switch (rn(4)) {
		case 0:
			s->prefetch = DEVMM_PREFETCH_DENSITY + 1 + rn(1000);
			break;
		case 1:
			s->prefetch = DEVMM_PREFETCH_NONE;
			s->prefetch_arg = 1 + rn(100);
			break;
		case 2:
			s->prefetch = DEVMM_PREFETCH_SEQ;
			s->prefetch_arg = chance(50) ? 4 * rn(2) + (chance(50) ? 2049 : 1) : 4100;
			break;
		default:
			s->prefetch = DEVMM_PREFETCH_DENSITY;
			s->prefetch_arg = chance(50) ? 0 : 101 + rn(1000);
			break;
		}
		*tag = "bad prefetch or argument";
		return DEVMM_SET_PREFETCH;
	default:
		s->thrashing = 2 + rn(1000);
		*tag = "thrashing not 0 or 1";
		return DEVMM_SET_THRASHING;
	}
}

/*
 * DEVMM_IOC_SETTINGS: a device's policy, eviction batch and unit, seed, by
 * mask (0 only reads); by the draw r: flags, a reserved field, unknown mask
 * bits, a bad value in the mask, a bad value outside it (not read).
 */
static void gen_settings(struct gen *g)
{
	static const uint32_t batches[] = { 1, 2, 8, 64, 511, DEVMM_EVICT_BATCH_MAX };
	struct devmm_settings *s = &g->u.set;
	int di = chance(85) ? pick_dev() : -1;
	unsigned int bit;

	g->exact = sizeof(*s);
	s->id = di >= 0 ? (unsigned int)devs[di].id : free_id();
	s->mask = rn(DEVMM_SET_THRASHING << 1);
	s->policy = rn(DEVMM_POLICY_MAX + 1);
	s->evict_batch = chance(50) ? batches[rn(NELEM(batches))] : 1 + rn(DEVMM_EVICT_BATCH_MAX);
	s->evict_unit = rn(DEVMM_EVICT_UNIT_BLOCK + 1);
	s->seed = chance(20) ? 0 : rnd();
	s->prefetch = rn(DEVMM_PREFETCH_DENSITY + 1);
	s->prefetch_arg = s->prefetch == DEVMM_PREFETCH_SEQ ? 4 * (1 + rn(512)) :
			  s->prefetch == DEVMM_PREFETCH_DENSITY ? 1 + rn(100) : 0;
	s->thrashing = rn(2);
	if (g->r < 4) {
		s->flags = 1u << rn(32);
		g->defect = 1;
		g->tag = "flags";
	} else if (g->r < 8) {
		if (chance(25))
			s->reserved1 = rnd() | 1;
		else
			s->reserved[rn(NELEM(s->reserved))] = rnd() | 1;
		g->defect = 1;
		g->tag = "reserved[]";
	} else if (g->r < 12) {
		s->mask |= 1u << (6 + rn(26));
		g->defect = 1;
		g->tag = "unknown mask bits";
	} else if (g->r < 20) {
		s->mask |= settings_bad_value(s, rn(5), &g->tag);
		g->defect = 1;
	} else if (g->r < 28) {
		bit = settings_bad_value(s, rn(5), &g->tag);
		s->mask &= ~bit;
		g->tag = "bad value outside the mask";
	}
	if (!g->defect) {
		if (di < 0) {
			g->pred = M(ENODEV);
			g->tag = g->tag ? g->tag : "unknown device";
		} else if (devs[di].kind == DEVMM_KIND_MIRROR) {
			g->pred = M(EOPNOTSUPP);
			g->tag = g->tag ? g->tag : "mirror-only device";
		}
	}
	ctl_finish(g);
}

/* ---- the generator of each family ---- */

static void (*const generators[NFAM])(struct gen *g) = {
	[F_INFO] = gen_info,
	[F_CREATE] = gen_create,
	[F_DESTROY] = gen_dev_cmd,
	[F_EVICT] = gen_dev_cmd,
	[F_SETCAP] = gen_dev_cmd,
	[F_SETPOL] = gen_dev_cmd,
	[F_QUERY] = gen_query,
	[F_SETTINGS] = gen_settings,
	[F_CTL_BAD] = gen_unknown,
	[F_READ] = gen_range,
	[F_WRITE] = gen_range,
	[F_MTODEV] = gen_range,
	[F_MTOSYS] = gen_range,
	[F_SNAP] = gen_range,
	[F_EXCL] = gen_range,
	[F_PIN] = gen_range,
	[F_UNPIN] = gen_range,
	[F_DEVINFO] = gen_dev_info,
	[F_SET_ATTR] = gen_set_attr,
	[F_GET_ATTR] = gen_get_attr,
	[F_ACCESS] = gen_access,
	[F_NODE_BAD] = gen_unknown,
	[F_H_READ] = gen_hmm,
	[F_H_WRITE] = gen_hmm,
	[F_H_MTODEV] = gen_hmm,
	[F_H_MTOSYS] = gen_hmm,
	[F_H_SNAP] = gen_hmm,
	[F_H_EXCL] = gen_hmm,
	[F_H_CHECK] = gen_hmm,
	[F_H_RELEASE] = gen_hmm,
	[F_H_FLAGS] = gen_hmm,
	[F_H_BAD] = gen_unknown,
};

static void gen_start(struct gen *g, struct call *c, int fam, int node)
{
	memset(c, 0, sizeof(*c));
	memset(g, 0, sizeof(*g));
	g->c = c;
	g->fam = fam;
	g->node = node;
	g->target = -1;
	c->fam = fam;
	c->node = node;
}

/*
 * Fill *c for a random call of family @fam on node @node (node families)
 * and build its struct in sbuf.  Returns the file to call on.
 */
static int gen_node_call(struct call *c, int fam, int node)
{
	struct gen g;

	gen_start(&g, c, fam, node);
	g.pred = fams[fam].allowed | M(OK);
	generators[fam](&g);
	return nodes[node].fd;
}

/*
 * Fill *c for a control-device call of family @fam.  *target is set to the
 * devs[] index a DESTROY may remove (-1 if none).
 */
static void gen_ctl_call(struct call *c, int fam, int *target)
{
	struct gen g;
	/* Drawn first, for every family (the unknown commands too). */
	int r = clean ? 20 + rn(80) : rn(100);

	gen_start(&g, c, fam, -1);
	g.r = r;
	g.pred = M(OK);
	generators[fam](&g);
	*target = g.target;
}

/* ---- DESTROY through a helper process, with a time limit ---- */

/* The kernel log's last lines, for the diagnosis of a hang. */
/* Ask the kernel for a report (sysrq), into its log. */
static void sysrq(char c)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, &c, 1) != 1)
			tap_diag_raw("sysrq %c: %s", c, strerror(errno));
		close(fd);
	}
}

static void dump_kernel_log(int lines)
{
	static char log[1 << 18];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof(log) - 1), i, seen = 0;

	if (n <= 0)
		return;
	log[n] = 0;
	for (i = n - 1; i > 0 && seen <= lines; i--)
		seen += log[i - 1] == '\n';
	tap_diag_raw("the kernel log's last lines:");
	while (i < n) {
		int len = strcspn(log + i, "\n");

		tap_diag_raw("  %.*s", len, log + i);
		i += len + 1;
	}
}

/* Whether a DESTROY stayed stuck in the kernel: no more DESTROYs, no unload. */
static int wedged;

/* Read every page of the fuzzer's memory: device-private pages come home, exclusive ones back. */
static void touch_all(void)
{
	volatile char sum = 0;
	unsigned long i, k;

	for (k = 0; k < NDATA + 1; k++)
		for (i = 0; i < regions[k].pages; i++)
			sum += (*regions[k].where)[i * PG];
	(void)sum;
}

/*
 * Where the fuzzer's pages are, as a live file of another device than
 * @id sees them (snapshot bytes 0x2x..0x5x: on a device), and how much
 * device @id still holds.
 */
/*
 * The mappings outside the fuzzer's reservation, each with how many of its
 * pages are not present but not swapped out either (no swap in the guest:
 * device-private, migration or exclusive entries): memory the fuzzer
 * promises the kernel never to reach.
 */
static void foreign_report(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int pm = open("/proc/self/pagemap", O_RDONLY);
	char line[512];

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long s, e, a, swapped = 0, present = 0;
		uint64_t ent;

		if (sscanf(line, "%llx-%llx", &s, &e) != 2)
			continue;
		if (s >= (uintptr_t)resv && e <= (uintptr_t)resv_end)
			continue;
		for (a = s; pm >= 0 && a < e && e - s <= 64 * MB; a += PG) {
			if (pread(pm, &ent, sizeof(ent), (a / PG) * 8) != sizeof(ent))
				break;
			swapped += (ent >> 62) & 1;
			present += (ent >> 63) & 1;
		}
		line[strcspn(line, "\n")] = 0;
		tap_diag_raw("  %s: %llu present, %llu not present (device)", line, present,
			     swapped);
	}
	if (f)
		fclose(f);
	if (pm >= 0)
		close(pm);
}

static void hang_report(unsigned int id)
{
	struct devmm_dev_query q = { .id = id };
	int node = -1, i, shown = 0;
	unsigned long k, pg;

	if (!ioctl(ctl, DEVMM_IOC_QUERY, &q) && q.info.id == id)
		tap_diag_raw("device %u (kind %u): %llu pages in use, %llu evicted, %llu busy at eviction",
		     id, q.info.kind, (unsigned long long)q.info.used / PG,
		     (unsigned long long)q.info.evicted, (unsigned long long)q.info.evict_failures);
	for (i = 0; i < nnodes; i++)
		if (node_alive(i) && devs[nodes[i].dev].id != (int)id)
			node = i;
	if (node < 0)
		return;
	for (k = 0; k < NDATA + 1; k++) {
		for (pg = 0; pg < regions[k].pages; pg++) {
			struct devmm_range_cmd c = { .addr = (uintptr_t)*regions[k].where + pg * PG,
						     .npages = 1 };
			uint8_t b = 0;

			c.ptr = (uintptr_t)&b;
			if (ioctl(nodes[node].fd, DEVMM_IOC_SNAPSHOT, &c) || b < 0x20 || b >= 0x60)
				continue;
			if (shown++ < 16)
				tap_diag_raw("  page %p (%s page %lu): snapshot 0x%02x",
				     *regions[k].where + pg * PG, regions[k].name, pg, b);
		}
	}
	tap_diag_raw("%d of the fuzzer's pages are in device memory", shown);
}

static int wait_helper(struct pollfd *p, int seconds, int *ret)
{
	return poll(p, 1, seconds * 1000) == 1 && read(p->fd, ret, sizeof(*ret)) == sizeof(*ret);
}

/*
 * Run the DESTROY of *c in a child that holds no device file (a file's pins
 * keep pages busy), and wait up to @seconds.  Returns its result, or 1 if
 * it did not return in time.  Then this process lets go of what could keep
 * the device's pages busy, one thing after the other, and says what helped:
 * its files (their pins), then its pages (a CPU access revokes exclusive
 * access).  If nothing did, the DESTROY is left stuck in the kernel.
 */
static int destroy_via_helper(const struct call *c, int seconds)
{
	int pfd[2], ret = -EIO, i, n;
	struct pollfd p;
	pid_t pid;

	if (wedged || pipe(pfd))
		return -EIO;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		for (i = 0; i < nnodes; i++)
			close(nodes[i].fd);
		ret = ioctl(ctl, c->cmd, c->arg) ? -errno : 0;
		n = write(pfd[1], &ret, sizeof(ret));
		_exit(n == sizeof(ret) ? 0 : 1);
	}
	close(pfd[1]);
	p.fd = pfd[0];
	p.events = POLLIN;
	if (wait_helper(&p, seconds, &ret)) {
		close(pfd[0]);
		waitpid(pid, NULL, 0);
		return ret;
	}
	tap_diag_raw("DESTROY did not return within %d s; the blocked tasks (sysrq w):", seconds);
	sysrq('w');
	dump_kernel_log(120);
	hang_report(((const struct devmm_dev_cmd *)c->arg)->id);
	tap_diag_raw("this process's other mappings:");
	foreign_report();
	tap_diag_raw("closing this process's device files (their pins)");
	for (i = nnodes - 1; i >= 0; i--)
		close_node(i);
	if (wait_helper(&p, 30, &ret))
		goto released;
	tap_diag_raw("... still waiting; reading every page of this process (exclusive access, private pages)");
	touch_all();
	if (wait_helper(&p, 30, &ret))
		goto released;
	tap_diag_raw("... still waiting; replacing all of this process's memory (its mappings of device pages)");
	replace_anon_regions();
	if (wait_helper(&p, 30, &ret))
		goto released;
	tap_diag_raw("... still waiting: it stays stuck (no DESTROY or unload from now on)");
	dump_kernel_log(20);
	wedged = 1;
	kill(pid, SIGKILL);
	close(pfd[0]);
	return 1;
released:
	tap_diag_raw("... then it returned %s", errname(ret));
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	return 1;
}

/* ---- the random phase ---- */

static int total_weight(int where_mask)
{
	int i, w = 0;

	for (i = 0; i < NFAM; i++)
		if ((1 << fams[i].where) & where_mask)
			w += fams[i].weight;
	return w;
}

static int pick_fam(int where_mask)
{
	int w = rn(total_weight(where_mask)), i;

	for (i = 0; i < NFAM; i++) {
		if (!((1 << fams[i].where) & where_mask))
			continue;
		w -= fams[i].weight;
		if (w < 0)
			return i;
	}
	return F_INFO;
}

static void open_dev_node(int di)
{
	char name[24];

	snprintf(name, sizeof(name), DEVMM_NODE_PREFIX "%d", devs[di].id);
	if (open_node(name, di) < 0)
		tap_diag_raw("cannot open /dev/%s: %s", name, strerror(errno));
}

/* A file for each live device, and the test_hmm nodes. */
static void open_all_nodes(void)
{
	int k, di;

	for (k = 0; k < ndevs; k++)
		if (devs[k].alive)
			open_dev_node(k);
	for (k = 0; k < 4; k++) {
		char name[24];
		struct devmm_dev_info info = { 0 };
		int n;

		snprintf(name, sizeof(name), "hmm_dmirror%d", k);
		n = open_node(name, 0);
		if (n < 0)
			continue;
		di = ioctl(nodes[n].fd, DEVMM_IOC_DEV_INFO, &info) ? -1 : dev_index(info.id);
		if (di < 0)
			close_node(n);
		else
			nodes[n].dev = di;
	}
}

/* Keep a few files of destroyed devices for ENODEV, not more. */
static void trim_dead_nodes(void)
{
	int i, dead = 0;

	for (i = nnodes - 1; i >= 0; i--)
		if (!node_alive(i) && ++dead > 2)
			close_node(i);
}

#define SET_ALL	(DEVMM_SET_POLICY | DEVMM_SET_EVICT_BATCH | DEVMM_SET_EVICT_UNIT | \
		 DEVMM_SET_SEED | DEVMM_SET_PREFETCH | DEVMM_SET_THRASHING)

/*
 * After SETTINGS: the fields of its mask as asked, the others as the
 * fuzzer's last calls left them (where it knows them); then it knows all.
 */
static void check_settings(const struct call *c)
{
	struct devmm_settings in, out, want;
	int di;

	memcpy(&in, c->copy, sizeof(in));
	memcpy(&out, sbuf, sizeof(out));
	di = dev_index(in.id);
	if (di < 0)
		return;
	want = out;
	if (in.mask & DEVMM_SET_POLICY)
		want.policy = in.policy;
	else if (devs[di].known & DEVMM_SET_POLICY)
		want.policy = devs[di].set.policy;
	if (in.mask & DEVMM_SET_EVICT_BATCH)
		want.evict_batch = in.evict_batch;
	else if (devs[di].known & DEVMM_SET_EVICT_BATCH)
		want.evict_batch = devs[di].set.evict_batch;
	if (in.mask & DEVMM_SET_EVICT_UNIT)
		want.evict_unit = in.evict_unit;
	else if (devs[di].known & DEVMM_SET_EVICT_UNIT)
		want.evict_unit = devs[di].set.evict_unit;
	if (in.mask & DEVMM_SET_SEED)
		want.seed = in.seed;
	else if (devs[di].known & DEVMM_SET_SEED)
		want.seed = devs[di].set.seed;
	if (in.mask & DEVMM_SET_PREFETCH) {
		want.prefetch = in.prefetch;
		want.prefetch_arg = in.prefetch_arg;
	} else if (devs[di].known & DEVMM_SET_PREFETCH) {
		want.prefetch = devs[di].set.prefetch;
		want.prefetch_arg = devs[di].set.prefetch_arg;
	}
	if (in.mask & DEVMM_SET_THRASHING)
		want.thrashing = in.thrashing;
	else if (devs[di].known & DEVMM_SET_THRASHING)
		want.thrashing = devs[di].set.thrashing;
	if (out.policy != want.policy || out.evict_batch != want.evict_batch ||
	    out.evict_unit != want.evict_unit || out.seed != want.seed ||
	    out.prefetch != want.prefetch || out.prefetch_arg != want.prefetch_arg ||
	    out.thrashing != want.thrashing || out.reserved1 || out.flags ||
	    out.id != in.id || out.mask != in.mask || memcmp(out.reserved, in.reserved,
							       sizeof(in.reserved)))
		post_fail(c, "device %u: policy %u batch %u unit %u seed 0x%llx, expected policy %u batch %u unit %u seed 0x%llx",
			  in.id, out.policy, out.evict_batch, out.evict_unit,
			  (unsigned long long)out.seed, want.policy, want.evict_batch,
			  want.evict_unit, (unsigned long long)want.seed);
	devs[di].set = out;
	devs[di].known = SET_ALL;
}

/* The settings of every live device with memory, before the random calls. */
static void read_settings(void)
{
	int k;

	for (k = 0; k < ndevs; k++) {
		struct devmm_settings s = { .id = devs[k].id };

		if (devs[k].alive && !ioctl(ctl, DEVMM_IOC_SETTINGS, &s)) {
			devs[k].set = s;
			devs[k].known = SET_ALL;
		}
	}
}

static void one_ctl_call(void)
{
	struct call *c = &cur;
	int fam = pick_fam(1 << CTL), target, ret;

	clean = chance(35);
	gen_ctl_call(c, fam, &target);
	if (fam == F_DESTROY && target >= 0 && wedged)
		return;
	if (fam == F_DESTROY && target >= 0) {
		drop_pins();
		ret = destroy_via_helper(c, 10);
		if (ret == 1) {
			c->tag = "DESTROY hung";
			ret = -EIO;
		}
	} else {
		ret = run(c, ctl);
	}
	judge(c, fam, ret);
	if (ret)
		return;
	if (fam == F_CREATE && c->arg == sbuf) {
		struct devmm_create cr;
		int di;

		memcpy(&cr, sbuf, sizeof(cr));
		di = add_dev(cr.id, cr.kind, cr.base, cr.size);
		if (di < 0) {
			tap_diag_raw("too many devices to follow");
			return;
		}
		devs[di].dynamic = 1;
		/* A new device's settings: its policy, a batch of 512, pages. */
		devs[di].set.policy = cr.policy;
		devs[di].set.evict_batch = DEVMM_EVICT_BATCH_MAX;
		devs[di].set.evict_unit = DEVMM_EVICT_UNIT_PAGE;
		devs[di].known = DEVMM_SET_POLICY | DEVMM_SET_EVICT_BATCH | DEVMM_SET_EVICT_UNIT;
		open_dev_node(di);
	} else if (fam == F_DESTROY && target >= 0) {
		devs[target].alive = 0;
		trim_dead_nodes();
	} else if (fam == F_SETTINGS && c->arg == sbuf) {
		check_settings(c);
	} else if (fam == F_SETPOL && c->arg == sbuf) {
		struct devmm_dev_cmd d;
		int di;

		memcpy(&d, c->copy, sizeof(d));
		di = dev_index(d.id);
		if (di >= 0) {
			devs[di].set.policy = d.value;
			devs[di].known |= DEVMM_SET_POLICY;
		}
	}
}

static void one_node_call(int fam, int node, int count)
{
	struct call *c = &cur;
	int fd, ret;

	clean = chance(35);
	fd = gen_node_call(c, fam, node);

	if (!node_alive(node)) {
		c->pred = M(ENODEV);
		c->tag = "destroyed device";
	} else if (in_child) {
		/*
		 * Another process than the opener: what reaches the opener's
		 * memory must be EPERM once the input is valid; so must the
		 * rest, but for DEV_INFO (the device's statistics) and
		 * CHECK_EXCLUSIVE (which tells no contents), as the ABI says.
		 */
		if (fam == F_GET_ATTR && c->arg == sbuf &&
		    (((struct devmm_attr *)c->copy)->mask & DEVMM_ATTR_OPENER)) {
			/* The parent's attributes (ABI 1.2), as attr_pred() says. */
		} else if (fams[fam].mm && (c->pred & M(OK))) {
			c->pred = (c->pred & (M(EOPNOTSUPP) | M(ENOSPC) | M(ENOMEM))) | M(EPERM);
			c->tag = "child: memory command";
		} else if (!fams[fam].mm && fam != F_DEVINFO && fam != F_H_CHECK &&
			   (c->pred & (M(OK) | M(ENOENT) | M(EBUSY)))) {
			c->pred = M(EPERM);
			c->soft = 1;
			char t[sizeof(c->tagbuf)];

			snprintf(t, sizeof(t), "child: %s", c->tag);
			memcpy(c->tagbuf, t, sizeof(t));
			c->tag = c->tagbuf;
		}
	}
	ret = run(c, fd);
	judge(c, count < 0 ? fam : count, ret);
	if (!in_child && node_alive(node))
		after_node_call(c, ret);
	/* The child's copy of the model is its waiting parent's. */
	if (in_child && fam == F_GET_ATTR && !ret && c->arg == sbuf)
		check_get_attr(c);
}

/*
 * A fork child with all of its parent's files: @n random node calls.  The
 * counts go to F_FORK (shared memory); the child never changes its
 * parent's state except through what the kernel wrongly lets it do.
 */
static int fork_phase(int n)
{
	int status, i;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		in_child = 1;
		for (i = 0; i < n; i++) {
			one_node_call(pick_fam((1 << NODE) | (1 << HMM)), pick_node(), F_FORK);
		}
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* A pin of the parent's, removed through the parent's file by a fork child? */
static void fork_unpin_check(void)
{
	struct devmm_range_cmd r = { .addr = (uintptr_t)arena, .npages = 2 };
	int node = -1, i, ret, cret = 1, status, pfd[2];
	pid_t pid;

	for (i = 0; i < nnodes; i++)
		if (node_alive(i))
			node = i;
	if (node < 0 || pipe(pfd))
		return;
	ret = ioctl(nodes[node].fd, DEVMM_IOC_PIN, &r) ? -errno : 0;
	if (ret) {
		tap_diag_raw("fork: cannot pin for the UNPIN check: %s", errname(ret));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct devmm_range_cmd u = { .addr = (uintptr_t)arena, .npages = 2 };

		ret = ioctl(nodes[node].fd, DEVMM_IOC_UNPIN, &u) ? -errno : 0;
		_exit(write(pfd[1], &ret, sizeof(ret)) == sizeof(ret) ? 0 : 1);
	}
	close(pfd[1]);
	if (read(pfd[0], &cret, sizeof(cret)) != sizeof(cret))
		cret = 1;
	close(pfd[0]);
	waitpid(pid, &status, 0);
	memset(&r, 0, sizeof(r));
	r.addr = (uintptr_t)arena;
	r.npages = 2;
	ret = ioctl(nodes[node].fd, DEVMM_IOC_UNPIN, &r) ? -errno : 0;
	tap_diag_raw("fork: a child's UNPIN of its parent's pinned range through the inherited file: %s%s",
	     errname(cret), cret == 0 && ret == -ENOENT ?
	     " (the parent's pin is gone; the ABI says EPERM for any process but the opener)" :
	     "");
	if (cret == 0) {
		struct call c = { .fam = F_UNPIN, .node = node, .cmd = DEVMM_IOC_UNPIN,
				  .pred = M(EPERM), .soft = 1,
				  .tag = "child: UNPIN of the parent's pin" };

		st->mismatches[F_FORK]++;
		note_kind(&c, cret);
	}
}

/* ---- watchdog: say which call hangs ---- */

static void *watchdog(void *arg)
{
	unsigned long last = 0, still = 0;
	char d[400];

	(void)arg;
	for (;;) {
		sleep(10);
		if (progress != last) {
			last = progress;
			still = 0;
			continue;
		}
		still += 10;
		if (still == 120) {
			describe(&cur, d, sizeof(d));
			tap_diag_raw("watchdog: call %lu has not returned for 120 s: %s", progress, d);
		}
	}
	return NULL;
}

/* ---- setup, deterministic cases, teardown ---- */

static int create_dev(unsigned int kind, uint64_t capacity, uint64_t base, uint64_t size)
{
	struct devmm_create cr = { .kind = kind, .capacity = capacity, .base = base,
				   .size = size };
	int di;

	if (ioctl(ctl, DEVMM_IOC_CREATE, &cr))
		return -errno;
	di = add_dev(cr.id, kind, base, size);
	if (di >= 0)
		open_dev_node(di);
	return di;
}

static int simple_destroy(int di, int seconds)
{
	struct devmm_dev_cmd d = { .id = devs[di].id };
	struct call c = { .fam = F_DESTROY, .node = -1, .cmd = DEVMM_IOC_DESTROY, .arg = &d };
	int ret = destroy_via_helper(&c, seconds);

	if (ret == 0)
		devs[di].alive = 0;
	return ret;
}

static void fill_pattern(char *p, unsigned long pages, uint64_t seed)
{
	uint64_t *w = (uint64_t *)p;
	unsigned long i;

	for (i = 0; i < pages * PG / 8; i++)
		w[i] = seed ^ (i * 0x9e3779b97f4a7c15ULL);
}

static int check_pattern(const char *p, unsigned long pages, uint64_t seed)
{
	const uint64_t *w = (const uint64_t *)p;
	unsigned long i;

	for (i = 0; i < pages * PG / 8; i++)
		if (w[i] != (seed ^ (i * 0x9e3779b97f4a7c15ULL)))
			return 0;
	return 1;
}

/*
 * A device with data on it is destroyed under an open file: every call on
 * that file gives ENODEV, so do calls on its number, and the data is home.
 */
static void dead_phase(int ncalls, int *data_home, int *dead_ok)
{
	unsigned int kind = caps & DEVMM_CAP_PRIVATE ? DEVMM_KIND_PRIVATE : DEVMM_KIND_COHERENT;
	struct devmm_range_cmd r = { .addr = (uintptr_t)arena, .npages = 16 };
	int di, node, ret, i, id;
	unsigned long before = st->fails[F_DEAD];

	*data_home = 0;
	*dead_ok = 0;
	di = kind == DEVMM_KIND_PRIVATE ? create_dev(kind, 16 * MB, 0, 0) :
					  create_dev(kind, 0, coh_b + 128 * MB, 128 * MB);
	if (di < 0 || nodes[nnodes - 1].dev != di) {
		tap_diag_raw("dead: cannot create a device: %s", errname(di));
		return;
	}
	node = nnodes - 1;
	id = devs[di].id;
	fill_pattern(arena, 16, 0xdead);
	ret = ioctl(nodes[node].fd, DEVMM_IOC_MIGRATE_TO_DEV, &r) ? -errno : 0;
	if (ret || r.cpages != 16 || devmm_used(ctl, id) != 16 * PG)
		tap_diag_raw("dead: migration before DESTROY: %s, %llu pages, %llu bytes used",
		     errname(ret), (unsigned long long)r.cpages, (unsigned long long)devmm_used(ctl, id));
	ret = simple_destroy(di, 30);
	if (ret) {
		tap_diag_raw("dead: DESTROY of device %d: %s", id, ret == 1 ? "hung" : errname(ret));
		return;
	}
	/* nodes[] may have shrunk if DESTROY hung; it did not. */
	*data_home = check_pattern(arena, 16, 0xdead);
	for (i = 0; i < ncalls; i++) {
		int fam = pick_fam((1 << NODE) | (1 << HMM));

		one_node_call(fam, node, F_DEAD);
	}
	/* The number is gone too (unless a new device took it). */
	for (i = 0; i < 4; i++) {
		static const unsigned long cmds[] = { DEVMM_IOC_DESTROY, DEVMM_IOC_EVICT,
						      DEVMM_IOC_SET_CAPACITY,
						      DEVMM_IOC_SET_POLICY };
		struct devmm_dev_cmd d = { .id = id, .value = i == 2 ? 16 * MB : 0 };
		struct call c = { .fam = i ? F_EVICT + i - 1 : F_DESTROY, .node = -1,
				  .cmd = cmds[i], .arg = &d, .pred = M(ENODEV),
				  .tag = "destroyed device" };

		if (dev_index(id) >= 0)
			break;
		judge(&c, F_DEAD, run(&c, ctl));
	}
	{
		char path[40];

		snprintf(path, sizeof(path), "/dev/" DEVMM_NODE_PREFIX "%d", id);
		ret = open(path, O_RDWR | O_CLOEXEC);
		if (ret >= 0) {
			close(ret);
			if (dev_index(id) < 0) {
				tap_diag_raw("dead: %s can still be opened", path);
				st->fails[F_DEAD]++;
			}
		}
	}
	close_node(node);
	*dead_ok = st->fails[F_DEAD] == before;
}

/*
 * DESTROY of a coherent device one of whose pages is pinned (short-term
 * pins leave coherent pages in device memory): the ABI promises no page
 * stays behind, so the call can only wait for the pin or fail; it must
 * return, within 10 s.  The pin is held by a file of this process, the
 * DESTROY runs in a child without device files.
 * Return: 1 if it returned, 0 if it did not, -1 if the case could not be set up.
 */
static int destroy_pinned(char *why, size_t len)
{
	struct devmm_range_cmd r = { .addr = (uintptr_t)arena + 16 * PG, .npages = 4 };
	int di, node, ret;
	uint8_t snap = 0;

	snprintf(why, len, "setup failed");
	di = create_dev(DEVMM_KIND_COHERENT, 0, coh_b + 128 * MB, 128 * MB);
	if (di < 0 || nodes[nnodes - 1].dev != di)
		return -1;
	node = nnodes - 1;
	fill_pattern(arena + 16 * PG, 4, 0xfeed);
	ret = ioctl(nodes[node].fd, DEVMM_IOC_MIGRATE_TO_DEV, &r) ? -errno : 0;
	memset(&r, 0, sizeof(r));
	r.addr = (uintptr_t)arena + 16 * PG;
	r.npages = 1;
	ret = ret ? ret : ioctl(nodes[node].fd, DEVMM_IOC_PIN, &r) ? -errno : 0;
	r.ptr = (uintptr_t)&snap;
	ret = ret ? ret : ioctl(nodes[node].fd, DEVMM_IOC_SNAPSHOT, &r) ? -errno : 0;
	if (ret || (snap & 0xf0) != HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL) {
		snprintf(why, len, "pin on the device: %s, snapshot 0x%02x", errname(ret), snap);
		return -1;
	}
	nodes[node].npins = 1;
	ret = simple_destroy(di, 10);
	if (ret == 1) {
		/* The helper closed every file: the pin is gone, DESTROY finished. */
		devs[di].alive = 0;
		snprintf(why, len, "it did not return while the page stayed pinned (%s)",
			 check_pattern(arena + 16 * PG, 4, 0xfeed) ? "data intact" :
			 "data lost");
		return 0;
	}
	snprintf(why, len, "%s", errname(ret));
	if (ret == 0)
		close_node(node);
	else
		tap_diag_raw("destroy_pinned: DESTROY refused: %s", errname(ret));
	return check_pattern(arena + 16 * PG, 4, 0xfeed);
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-v] [-s SEED] [-n CALLS] devmm.ko\n", argv0);
	exit(2);
}

/* The options, and for what they leave unset the lane's environment; the module's path. */
static const char *parse_args(int argc, char **argv, unsigned long *ncalls, uint64_t *seed)
{
	int opt, have_seed = 0;

	while ((opt = getopt(argc, argv, "s:n:v")) != -1) {
		if (opt == 'v') {
			verbose = 1;
		} else if (opt == 's') {
			*seed = strtoull(optarg, NULL, 0);
			have_seed = 1;
		} else if (opt == 'n') {
			*ncalls = strtoul(optarg, NULL, 0);
		} else {
			usage(argv[0]);
		}
	}
	if (optind != argc - 1)
		usage(argv[0]);
	if (!*ncalls)
		*ncalls = lane_env_num("DEVMM_FUZZ_CALLS");
	if (!have_seed)
		*seed = lane_seed("DEVMM_FUZZ_SEED");
	if (getenv("DEVMM_FUZZ_SKIP"))
		parse_skip(getenv("DEVMM_FUZZ_SKIP"));
	if (getenv("DEVMM_FUZZ_VERBOSE") && strcmp(getenv("DEVMM_FUZZ_VERBOSE"), "0"))
		verbose = 1;
	lane_range(lane_env("LANE_COHERENT_A"), &coh_a, &coh_a_size);
	lane_range(lane_env("LANE_COHERENT_B"), &coh_b, &coh_b_size);
	lane_range(lane_env("LANE_RAM_RANGE"), &ram_base, &ram_size);
	return argv[optind];
}

/*
 * The devices made at load (the hmm_dmirror nodes stand for them), then the
 * fuzzer's own: private where possible, coherent in B, mirror-only; and the
 * memory it offers the kernel.  0, or non-zero if something failed.
 */
static int setup_devices(int expect_private)
{
	struct devmm_dev_query q = { 0 };
	int ret = 0;

	while (!ioctl(ctl, DEVMM_IOC_QUERY, &q)) {
		int di = add_dev(q.info.id, q.info.kind, q.info.base,
				 q.info.kind == DEVMM_KIND_COHERENT ? coh_a_size : 0);

		memset(&q, 0, sizeof(q));
		q.id = devs[di].id + 1;
	}
	open_all_nodes();
	if (expect_private)
		ret |= create_dev(DEVMM_KIND_PRIVATE, 16 * MB, 0, 0) < 0;
	ret |= create_dev(DEVMM_KIND_COHERENT, 0, coh_b, 128 * MB) < 0;
	ret |= create_dev(DEVMM_KIND_MIRROR, 0, 0, 0) < 0;
	ret |= map_regions();
	read_maps();
	read_settings();
	return ret;
}

/*
 * @ncalls random calls, with three fork phases among them; whether every
 * fork child exited cleanly.
 */
static int random_phase(unsigned long ncalls)
{
	unsigned long i, forks_at[3];
	int k, forks_ok = 1;

	for (k = 0; k < 3; k++)
		forks_at[k] = ncalls / 4 * (k + 1);
	for (i = 0; i < ncalls; i++) {
		if (chance(22))
			one_ctl_call();
		else
			one_node_call(pick_fam((1 << NODE) | (1 << HMM)), pick_node(), -1);
		if (!nnodes) {
			/* A DESTROY hung and its release closed every file. */
			open_all_nodes();
			if (!nnodes)
				break;
		}
		for (k = 0; k < 3; k++)
			if (i == forks_at[k] && !(skip_mask & (1ULL << F_FORK)))
				forks_ok &= fork_phase(ncalls / 40 + 50);
		if (i % 3000 == 2999) {
			/* A new file now and then: new mirrors, old pins gone. */
			int n = rn(nnodes);

			if (node_alive(n))
				reopen_node(n);
		}
		if (i % 10000 == 9999)
			tap_diag_raw("%lu calls", i + 1);
	}
	return forks_ok;
}

/*
 * Demand paging in the random calls: the device faults (per page) that
 * device reads, writes and ACCESS batches of migrate-on-fault ranges took
 * on the live devices, and the pages they migrated.  With a few thousand
 * calls there must have been some.
 */
static void demand_report(unsigned long ncalls)
{
	unsigned long long faults = 0, migrated = 0, remote = 0;
	struct devmm_dev_query q = { 0 };

	while (!ioctl(ctl, DEVMM_IOC_QUERY, &q)) {
		unsigned int next = q.info.id + 1;

		faults += q.info.fault_pages;
		migrated += q.info.fault_migrated;
		remote += q.info.remote_pages;
		memset(&q, 0, sizeof(q));
		q.id = next;
	}
	printf("# demand paging: %llu device faults, %llu pages migrated by them, %llu pages accessed remotely (live devices)\n",
	       faults, migrated, remote);
	ok(faults > 0 || ncalls < 5000,
	   "demand paging: device accesses of migrate-on-fault ranges faulted pages to the devices (%llu faults, %llu pages migrated)",
	   faults, migrated);
}

/* The devices of random CREATEs go; a DESTROY that fails counts against DESTROY. */
static void destroy_dynamic(void)
{
	int k, ret;

	drop_pins();
	for (k = 0; k < ndevs; k++) {
		if (!devs[k].alive || !devs[k].dynamic)
			continue;
		ret = simple_destroy(k, 30);
		if (ret) {
			tap_diag_raw("FAIL: DESTROY of device %d: %s", devs[k].id,
			     ret == 1 ? "hung" : errname(ret));
			st->fails[F_DESTROY]++;
		}
	}
	if (!nnodes)
		open_all_nodes();
	trim_dead_nodes();
}

/* One TAP line per command family, with its errnos counted below it. */
static void report_families(void)
{
	int k, b;

	for (k = 0; k < F_FORK; k++) {
		char counts[256];
		size_t n = 0;

		counts[0] = 0;
		for (b = 0; b < NBITS; b++)
			if (st->errs[k][b])
				n += snprintf(counts + n, n < sizeof(counts) ? sizeof(counts) - n : 0,
					      "%s%s %lu", n ? ", " : "", b == B_OTHER ?
					      strerror(st->other_errno[k]) : bit_name[b],
					      st->errs[k][b]);
		ok(st->fails[k] == 0, "%s: %lu calls, every errno one the ABI documents%s",
		   fams[k].name, st->ncalls[k], st->mismatches[k] ? " (mismatches below)" : "");
		printf("#   %s\n", counts[0] ? counts : "no calls");
	}
}

/* Each kind of mismatch between code and documentation, once, with an example. */
static void report_mismatches(void)
{
	int k;

	for (k = 0; k < st->nkinds; k++) {
		struct kind *kd = &st->kinds[k];
		char s1[80];

		printf("# mismatch: %s [%s]: %s, the ABI says %s (%lu calls; e.g. %s)\n",
		       fams[kd->fam].name, kd->tag, errname(kd->got),
		       set_name(kd->expect, s1, sizeof(s1)), kd->n, kd->example);
	}
}

/* Nothing may stay on any device once the files and memory are gone. */
static void check_nothing_left(void)
{
	int left = 0, k;

	while (nnodes)
		close_node(nnodes - 1);
	munmap(resv, resv_end - resv);
	for (k = 0; k < ndevs; k++) {
		uint64_t u;

		if (!devs[k].alive)
			continue;
		u = devmm_used(ctl, devs[k].id);
		if (u) {
			tap_diag_raw("device %d: %llu bytes still in use", devs[k].id,
			     (unsigned long long)u);
			left++;
		}
	}
	ok(!left, "no device memory left in use (%d devices)", ndevs_alive());
}

int main(int argc, char **argv)
{
	int expect_private = lane_env_num("LANE_EXPECT_PRIVATE");
	int ret, forks_ok, data_home, dead_ok;
	unsigned long ncalls = 0;
	char params[256], why[160];
	struct devmm_info info;
	uint64_t seed = 0;
	const char *ko;

	ko = parse_args(argc, argv, &ncalls, &seed);
	rng_state = seed;
	tap_plan(4 + F_FORK + 8);
	printf("# seed: %llu (reproduce: t_fuzz -s %llu -n %lu devmm.ko)\n",
	       (unsigned long long)seed, (unsigned long long)seed, ncalls);
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	/* The canary page, with unmapped pages on both sides. */
	canary = mmap(NULL, (CANARY_PAGES + 2) * PG, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (canary != MAP_FAILED) {
		munmap(canary, PG);
		munmap(canary + (CANARY_PAGES + 1) * PG, PG);
		canary += PG;
		for (ret = 0; ret < (int)(CANARY_PAGES * PG); ret++)
			canary[ret] = canary_byte(ret);
	}
	if (st == MAP_FAILED || canary == MAP_FAILED ||
	    pthread_create(&wd, NULL, watchdog, NULL)) {
		printf("Bail out! no memory for the statistics, the canary or the watchdog\n");
		return 1;
	}
	memset(st, 0, sizeof(*st));

	snprintf(params, sizeof(params), "dmirror_compat=1 capacity=64M coherent=%s%s%s",
		 lane_env("LANE_COHERENT_A"), getenv("DEVMM_FUZZ_PARAMS") ? " " : "",
		 getenv("DEVMM_FUZZ_PARAMS") ?: "");
	ret = devmm_load(ko, params);
	ctl = open(DEVMM_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (!ok(ret == 0 && ctl >= 0 && !test_module_info(&info), "load devmm %s (%s)", params,
		errname(ret)))
		return tap_done();
	caps = info.caps;
	ret = setup_devices(expect_private);
	if (!ok(!ret && nnodes >= 5, "%d devices (caps 0x%llx), %d files open, memory mapped", ndevs,
		caps, nnodes))
		return tap_done();
	/* What this kernel cannot do is fuzzed for its EOPNOTSUPP only. */
	if (caps & DEVMM_CAP_PRIVATE)
		ok(expect_private, "device-private devices in the mix");
	else
		tap_skip("no device-private memory in this kernel", "device-private devices in the mix");
	ok_exclusive_in_mix(caps);

	fork_unpin_check();
	forks_ok = random_phase(ncalls);
	printf("# fuzz: %lu calls\n", st->calls);
	demand_report(ncalls);

	/* The devices of random CREATEs go, then the deterministic cases. */
	destroy_dynamic();
	dead_phase(ncalls / 50 + 200, &data_home, &dead_ok);
	drop_pins();
	ret = destroy_pinned(why, sizeof(why));
	if (!nnodes)
		open_all_nodes();

	report_families();
	ok(forks_ok && st->fails[F_FORK] == 0,
	   "fork: a child using its parent's files gets EPERM for what reaches the parent's memory (%lu calls, %lu of them answered otherwise than the ABI says)",
	   st->ncalls[F_FORK], st->mismatches[F_FORK]);
	ok(dead_ok, "destroyed device: %lu calls on its file and number, every one ENODEV",
	   st->ncalls[F_DEAD]);
	ok(data_home, "destroyed device: the data on it came home first");
	/* Only the hang itself is the known failure; a case that cannot be set up fails. */
	if (ret < 0)
		ok(0, "DESTROY of a coherent device with a pinned page: %s", why);
	else
		ok_xfail(ret, "t_fuzz.destroy_pinned",
			 "DESTROY of a coherent device with a pinned page returns within 10 s (%s)",
			 why);
	report_mismatches();
	check_outside(&cur);
	ok(!outside_bad, "memory the fuzzer never offered the kernel (canary pages, the "
	   "watchdog thread's TCB) stayed intact");

	check_nothing_left();
	close(ctl);
	if (wedged) {
		ok(0, "unload: not tried, a DESTROY is stuck in the kernel");
		return tap_done();
	}
	ret = devmm_unload();
	ok(ret == 0, "unload (%s)", errname(ret));
	return tap_done();
}
