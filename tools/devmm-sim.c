// SPDX-License-Identifier: GPL-2.0
/*
 * devmm-sim: the reference model of devmm's demand paging.  It replays the
 * traces and patterns of devmmctl replay (tools/trace.c) with the same
 * settings, on a model of the device instead of the device, and prints the
 * same counters: a differential test (tests/guest/replay-diff.sh) requires
 * the kernel's and the model's to be equal.  The semantics are those of
 * docs/model.md ("What is modelled"), step by step; nothing here calls devmm.
 *
 * State: per page of the buffer, whether it is on the device, in flight (on
 * the device, allocated by the migration being built), and its place in the
 * policy's list (a doubly linked list over page indices; every insertion is
 * at the tail with a fresh stamp, so list order is stamp order), its CLOCK
 * reference bit and its LFU count.  --policy opt (Belady's, offline, model
 * only) keeps the resident pages in a heap by next device access instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "libdevmm.h"
#include "trace.h"

/* The policies of ABI 1.1's second part (include/uapi/linux/devmm.h). */
#ifndef DEVMM_POLICY_CLOCK
#define DEVMM_POLICY_CLOCK	2
#endif
#ifndef DEVMM_POLICY_RANDOM
#define DEVMM_POLICY_RANDOM	3
#endif
#ifndef DEVMM_POLICY_LFU
#define DEVMM_POLICY_LFU	4
#endif
#ifndef DEVMM_POLICY_UVM
#define DEVMM_POLICY_UVM	5
#endif
/* Belady's optimal policy: the model's alone, no kernel value. */
#define SIM_POLICY_OPT		0x100

/* struct devmm_settings.evict_unit */
enum { UNIT_PAGE = 0, UNIT_BLOCK = 1 };

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

#define PSZ		((uint64_t)4096)
#define NIL		UINT32_MAX
#define BLOCK_PAGES	512	/* a 2 MiB block (PMD), device access window, eviction pass */
#define CLASS_PAGES	64	/* a device fault's classification window */
#define ALLOC_TRIES	8	/* evictions one page allocation may run */
#define IDLE_PASSES	4	/* eviction passes that free nothing before giving up */
#define MAX_VICTIMS	(2 * BLOCK_PAGES)	/* a pick: < 512, then a block */
/* Thrashing control's epochs (src/device_fault.c): 30 bits, 0 is never. */
#define EPOCH_MASK	((1U << 30) - 1)

/* How a migration to the device came about: what it counts, what it marks. */
enum { MIG_EXPLICIT, MIG_FAULT, MIG_PREFETCH };

static const struct {
	const char *name;
	uint32_t policy;
} policies[] = {
	{ "lru", DEVMM_POLICY_LRU },
	{ "fifo", DEVMM_POLICY_FIFO },
	{ "clock", DEVMM_POLICY_CLOCK },
	{ "random", DEVMM_POLICY_RANDOM },
	{ "lfu", DEVMM_POLICY_LFU },
	{ "uvm", DEVMM_POLICY_UVM },
	{ "opt", SIM_POLICY_OPT },
};
#define NPOLICIES (sizeof(policies) / sizeof(policies[0]))

struct page {
	uint64_t stamp;		/* list order: larger is nearer the tail */
	uint32_t prev, next;	/* the policy list (NIL at its ends) */
	uint32_t count;		/* LFU */
	uint32_t hpos;		/* LFU, opt: index in the heap, NIL if not in it */
	uint8_t resident;	/* on the device */
	uint8_t inflight;	/* allocated by the migration being built */
	uint8_t ref;		/* CLOCK */
	uint8_t taken;		/* picked by the pick under way */
	uint8_t pf;		/* prefetch mark: brought by the prefetcher, not accessed since */
};

/* Thrashing control's history of the granule starting at a page (0: never). */
struct thrash {
	uint32_t last, held, refaults;
};

struct counters {
	uint64_t device_faults, pages_to_device, pages_to_system, evicted, evict_failures,
		 fault_migrated, remote_accesses, cpu_faults, prefetched, prefetch_hits,
		 prefetch_waste, thrashing_events, thrashing_held;
};

struct sim {
	/* Settings. */
	uint32_t policy, batch, unit;
	uint64_t seed;
	uint64_t gran;			/* pages a device fault migrates */
	uint64_t fa;			/* pages a CPU fault brings back, at most */
	int private;			/* device kind private (CPU faults) or coherent */
	uint64_t cap;			/* capacity in pages */
	uint32_t prefetch, prefetch_arg;	/* DEVMM_PREFETCH_*, KiB or percent */
	int thrashing;			/* thrashing control on */
	/* State. */
	uint64_t npages, used, stamp, rng;
	struct page *pg;
	uint32_t head, tail;
	uint32_t v[MAX_VICTIMS];	/* the victims of a pick */
	size_t nv;
	uint32_t flight[BLOCK_PAGES];	/* pages the migration under way allocated */
	size_t nflight;
	struct thrash *th;		/* per granule start page, with --thrashing on */
	uint32_t epoch;			/* the device's faults while the control is on */
	/*
	 * Indexes, for speed only (the semantics are the list's): LFU and opt
	 * keep the resident pages in a heap, in the order they would be taken
	 * (@before); RANDOM counts the listed pages by stamp in a Fenwick tree
	 * over stamps 1..nbit-1 (the k-th page in list order in O(log)).
	 */
	uint32_t *heap;
	size_t nheap;
	int (*before)(const struct sim *s, uint32_t a, uint32_t b);
	uint32_t *bit, *at_stamp;
	uint64_t nbit;
	/* opt: every page's device accesses (record numbers) and a cursor in them. */
	uint64_t *occ, *occ_start, *cur;
	struct counters c;
};

/* ---- RANDOM's index: listed pages by stamp ---- */

static void bit_add(struct sim *s, uint64_t stamp, int d)
{
	for (; stamp < s->nbit; stamp += stamp & -stamp)
		s->bit[stamp] += d;
}

/* The page of the k-th (0-based) smallest stamp listed. */
static uint32_t bit_kth(const struct sim *s, uint64_t k)
{
	uint64_t pos = 0, step;

	for (step = s->nbit / 2; step; step /= 2)
		if (pos + step < s->nbit && s->bit[pos + step] <= k) {
			pos += step;
			k -= s->bit[pos];
		}
	return s->at_stamp[pos + 1];
}

/* Stamps from 1 again, in list order (the order is all that counts). */
static void renumber(struct sim *s)
{
	uint64_t st = 0;
	uint32_t p;

	if (s->bit)
		memset(s->bit, 0, s->nbit * sizeof(*s->bit));
	for (p = s->head; p != NIL; p = s->pg[p].next) {
		s->pg[p].stamp = ++st;
		if (s->bit) {
			s->at_stamp[st] = p;
			bit_add(s, st, 1);
		}
	}
	s->stamp = st;
}

/* ---- The policy list ---- */

static void list_del(struct sim *s, uint32_t p)
{
	struct page *g = &s->pg[p];

	if (g->prev != NIL)
		s->pg[g->prev].next = g->next;
	else
		s->head = g->next;
	if (g->next != NIL)
		s->pg[g->next].prev = g->prev;
	else
		s->tail = g->prev;
	g->prev = g->next = NIL;
	if (s->bit)
		bit_add(s, g->stamp, -1);
}

static void list_add_tail(struct sim *s, uint32_t p)
{
	struct page *g = &s->pg[p];

	if (s->bit && s->stamp + 1 >= s->nbit)
		renumber(s);
	g->stamp = ++s->stamp;
	g->next = NIL;
	g->prev = s->tail;
	if (s->tail != NIL)
		s->pg[s->tail].next = p;
	else
		s->head = p;
	s->tail = p;
	if (s->bit) {
		s->at_stamp[g->stamp] = p;
		bit_add(s, g->stamp, 1);
	}
}

static void list_move_tail(struct sim *s, uint32_t p)
{
	list_del(s, p);
	list_add_tail(s, p);
}

/* ---- LFU's and opt's index: a heap of resident pages, first victim on top ---- */

/* LFU takes the smallest count first, in list order. */
static int lfu_before(const struct sim *s, uint32_t a, uint32_t b)
{
	if (s->pg[a].count != s->pg[b].count)
		return s->pg[a].count < s->pg[b].count;
	return s->pg[a].stamp < s->pg[b].stamp;
}

static uint64_t next_use(const struct sim *s, uint32_t p)
{
	return s->cur[p] < s->occ_start[p + 1] ? s->occ[s->cur[p]] : UINT64_MAX;
}

/*
 * opt takes pages not in flight first (a page of the migration under way is
 * needed now), the farthest next device access first, then the lowest index.
 */
static int opt_before(const struct sim *s, uint32_t a, uint32_t b)
{
	uint64_t na, nb;

	if (s->pg[a].inflight != s->pg[b].inflight)
		return s->pg[b].inflight;
	na = next_use(s, a);
	nb = next_use(s, b);
	if (na != nb)
		return na > nb;
	return a < b;
}

static void heap_set(struct sim *s, size_t i, uint32_t p)
{
	s->heap[i] = p;
	s->pg[p].hpos = i;
}

static void heap_fix(struct sim *s, size_t i)
{
	uint32_t p = s->heap[i];

	while (i && s->before(s, p, s->heap[(i - 1) / 2])) {
		heap_set(s, i, s->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->nheap)
			break;
		if (c + 1 < s->nheap && s->before(s, s->heap[c + 1], s->heap[c]))
			c++;
		if (!s->before(s, s->heap[c], p))
			break;
		heap_set(s, i, s->heap[c]);
		i = c;
	}
	heap_set(s, i, p);
}

static void heap_insert(struct sim *s, uint32_t p)
{
	heap_set(s, s->nheap++, p);
	heap_fix(s, s->nheap - 1);
}

static void heap_remove(struct sim *s, uint32_t p)
{
	size_t i = s->pg[p].hpos;
	uint32_t last;

	if (i == NIL)
		return;
	s->pg[p].hpos = NIL;
	last = s->heap[--s->nheap];
	if (i < s->nheap) {
		heap_set(s, i, last);
		heap_fix(s, i);
	}
}

/* ---- Policy hooks ---- */

static void policy_added(struct sim *s, uint32_t p)
{
	s->pg[p].ref = 0;
	s->pg[p].count = 1;
	if (s->policy != SIM_POLICY_OPT)
		list_add_tail(s, p);
	if (s->heap)
		heap_insert(s, p);
}

static void policy_removed(struct sim *s, uint32_t p)
{
	if (s->policy != SIM_POLICY_OPT)
		list_del(s, p);
	if (s->heap)
		heap_remove(s, p);
}

static void policy_accessed(struct sim *s, uint32_t p)
{
	switch (s->policy) {
	case DEVMM_POLICY_LRU:
		list_move_tail(s, p);
		break;
	case DEVMM_POLICY_CLOCK:
		s->pg[p].ref = 1;
		break;
	case DEVMM_POLICY_LFU:
		s->pg[p].count++;
		heap_fix(s, s->pg[p].hpos);
		break;
	case SIM_POLICY_OPT:
		heap_fix(s, s->pg[p].hpos);
		break;
	}
}

/* xorshift64, the kernel's RANDOM policy's generator. */
static uint64_t rng(struct sim *s)
{
	uint64_t x = s->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return s->rng = x;
}

/* ---- pick ---- */

static int cmp_stamp(const void *a, const void *b, void *arg)
{
	const struct sim *s = arg;
	uint64_t x = s->pg[*(const uint32_t *)a].stamp, y = s->pg[*(const uint32_t *)b].stamp;

	return x < y ? -1 : x > y;
}

/* One victim: to V and to the tail of the list (out of LFU's heap meanwhile). */
static void take_one(struct sim *s, uint32_t f)
{
	s->pg[f].taken = 1;
	s->v[s->nv++] = f;
	if (s->heap)
		heap_remove(s, f);
	list_move_tail(s, f);
}

/*
 * Take @f; with the block unit (always under UVM), then the other untaken
 * resident pages of its 2 MiB block, in list order.
 */
static void take(struct sim *s, uint32_t f)
{
	uint32_t mates[BLOCK_PAGES];
	uint64_t b0, b1, q;
	size_t n = 0, i;

	take_one(s, f);
	if (s->unit != UNIT_BLOCK && s->policy != DEVMM_POLICY_UVM)
		return;
	b0 = f / BLOCK_PAGES * BLOCK_PAGES;
	b1 = b0 + BLOCK_PAGES < s->npages ? b0 + BLOCK_PAGES : s->npages;
	for (q = b0; q < b1; q++)
		if (s->pg[q].resident && !s->pg[q].taken)
			mates[n++] = q;
	qsort_r(mates, n, sizeof(*mates), cmp_stamp, s);
	for (i = 0; i < n; i++)
		take_one(s, mates[i]);
}

/* The common stop rule: V is not empty and one more would exceed @max. */
static int full(const struct sim *s, size_t max)
{
	return s->nv && s->nv + 1 > max;
}

/*
 * LRU, FIFO, UVM: from the head.  Untaken pages are the head of the list (a
 * taken page goes to the tail), but under CLOCK, which sends referenced
 * pages there too.
 */
static void pick_list(struct sim *s, size_t max)
{
	while (!full(s, max) && s->head != NIL && !s->pg[s->head].taken)
		take(s, s->head);
}

static void pick_clock(struct sim *s, size_t max)
{
	uint64_t steps = 2 * s->used;

	while (steps-- && !full(s, max)) {
		uint32_t f = s->head;

		if (f == NIL || s->pg[f].taken)
			break;
		if (s->pg[f].ref) {
			s->pg[f].ref = 0;
			list_move_tail(s, f);
		} else {
			take(s, f);
		}
	}
}

/*
 * LFU: the smallest count among the untaken pages, those of that count in
 * list order, then the next count: the heap's order by (count, stamp), the
 * taken pages (block mates among them) out of it.  Counts do not change
 * during a pick, and untaken pages keep their order.
 */
static void pick_lfu(struct sim *s, size_t max)
{
	while (!full(s, max) && s->nheap)
		take(s, s->heap[0]);
}

/* RANDOM: the k-th untaken page in list order (the untaken pages come first). */
static void pick_random(struct sim *s, size_t max)
{
	while (!full(s, max) && s->used > s->nv)
		take(s, bit_kth(s, rng(s) % (s->used - s->nv)));
}

/* opt takes page by page (whatever the evict unit), out of the heap. */
static void pick_opt(struct sim *s, size_t max)
{
	while (!full(s, max) && s->nheap) {
		uint32_t f = s->heap[0];

		heap_remove(s, f);
		s->v[s->nv++] = f;
	}
}

/*
 * pick(max): the victims in s->v, s->nv of them; back in the heap (LFU,
 * opt), where evict() takes out those that leave.
 */
static void pick(struct sim *s, size_t max)
{
	size_t i;

	s->nv = 0;
	switch (s->policy) {
	case DEVMM_POLICY_CLOCK:
		pick_clock(s, max);
		break;
	case DEVMM_POLICY_LFU:
		pick_lfu(s, max);
		break;
	case DEVMM_POLICY_RANDOM:
		pick_random(s, max);
		break;
	case SIM_POLICY_OPT:
		pick_opt(s, max);
		break;
	default:	/* LRU, FIFO, UVM */
		pick_list(s, max);
		break;
	}
	for (i = 0; i < s->nv; i++) {
		s->pg[s->v[i]].taken = 0;
		if (s->heap)
			heap_insert(s, s->v[i]);
	}
}

/* ---- Moving pages ---- */

/* Page @p leaves the device for system memory. */
static void to_system(struct sim *s, uint32_t p)
{
	s->pg[p].resident = 0;
	s->used--;
	s->c.pages_to_system++;
	/* A prefetched page that leaves before any access was prefetched for nothing. */
	if (s->pg[p].pf) {
		s->pg[p].pf = 0;
		s->c.prefetch_waste++;
	}
	policy_removed(s, p);
}

static uint64_t evict(struct sim *s, uint64_t target)
{
	uint64_t evicted = 0, moved;
	unsigned int idle = 0;
	size_t i;

	while (evicted < target && idle < IDLE_PASSES) {
		pick(s, target - evicted < BLOCK_PAGES ? target - evicted : BLOCK_PAGES);
		if (!s->nv)
			break;
		moved = 0;
		for (i = 0; i < s->nv; i++) {
			uint32_t v = s->v[i];

			if (s->pg[v].inflight) {
				s->c.evict_failures++;
			} else {
				to_system(s, v);
				s->c.evicted++;
				moved++;
			}
		}
		evicted += moved;
		idle = moved ? 0 : idle + 1;
	}
	return evicted;
}

/* A device page for @q (prefetch-marked if @mark): 1, or 0 if no room could be made. */
static int alloc_page(struct sim *s, uint32_t q, int mark)
{
	unsigned int tries = 0;

	for (;;) {
		if (s->used + 1 <= s->cap) {
			s->used++;
			s->pg[q].resident = 1;
			s->pg[q].inflight = 1;
			s->flight[s->nflight++] = q;
			policy_added(s, q);
			s->pg[q].pf = mark;
			return 1;
		}
		if (tries >= ALLOC_TRIES)
			return 0;
		tries++;
		if (!evict(s, s->batch ? s->batch : 1))
			return 0;
	}
}

/*
 * Migrate [gs, ge) (at most a block) to the device: a fault's granule, an M
 * window or a prefetch window (@how).  The pages to move are those not on
 * the device when the migration starts (the kernel's migrate_vma_setup()
 * collects them then): a page that was on the device and is evicted to
 * make room for an earlier one stays in system memory.
 */
static void migrate(struct sim *s, uint64_t gs, uint64_t ge, int how)
{
	uint32_t todo[BLOCK_PAGES];
	uint64_t q, moved = 0;
	size_t i, n = 0;

	s->nflight = 0;
	for (q = gs; q < ge; q++)
		if (!s->pg[q].resident)
			todo[n++] = q;
	for (i = 0; i < n; i++)
		moved += alloc_page(s, todo[i], how == MIG_PREFETCH);
	for (i = 0; i < s->nflight; i++) {
		s->pg[s->flight[i]].inflight = 0;
		if (s->policy == SIM_POLICY_OPT)	/* in flight is part of opt's order */
			heap_fix(s, s->pg[s->flight[i]].hpos);
	}
	s->nflight = 0;
	s->c.pages_to_device += moved;
	if (how == MIG_FAULT)
		s->c.fault_migrated += moved;
	else if (how == MIG_PREFETCH)
		s->c.prefetched += moved;
}

/* Migrate [p0, p1) in windows that do not cross a 2 MiB block (M, prefetch). */
static void migrate_range(struct sim *s, uint64_t p0, uint64_t p1, int how)
{
	uint64_t p, we;

	for (p = p0; p < p1; p = we) {
		we = (p / BLOCK_PAGES + 1) * BLOCK_PAGES;
		if (we > p1)
			we = p1;
		migrate(s, p, we, how);
	}
}

/*
 * The prefetcher after a fault at page @p migrated its granule, which ends
 * at @ge: seq:KB the next KB / 4 pages; density:PCT p's 2 MiB block, if
 * pages of it are missing and at least PCT percent are there.  Both cut to
 * the buffer (the range of attributes, the VMA).
 */
static void prefetch(struct sim *s, uint64_t p, uint64_t ge)
{
	uint64_t bs, be, q, there = 0, end;

	if (s->prefetch == DEVMM_PREFETCH_SEQ) {
		end = ge + s->prefetch_arg / 4;
		migrate_range(s, ge, end < s->npages ? end : s->npages, MIG_PREFETCH);
	} else if (s->prefetch == DEVMM_PREFETCH_DENSITY) {
		bs = p / BLOCK_PAGES * BLOCK_PAGES;
		be = bs + BLOCK_PAGES < s->npages ? bs + BLOCK_PAGES : s->npages;
		for (q = bs; q < be; q++)
			there += s->pg[q].resident;
		if (there < be - bs && there * 100 >= (uint64_t)s->prefetch_arg * (be - bs))
			migrate(s, bs, be, MIG_PREFETCH);
	}
}

/* Epochs from @from to @to, modulo the wrap. */
static uint32_t epoch_dist(uint32_t from, uint32_t to)
{
	return (to - from) & EPOCH_MASK;
}

/*
 * Thrashing control at a device fault on the granule starting at @gs:
 * whether it is held where it is (docs/architecture.md, "Demand paging,
 * exactly"; src/device_fault.c's thrash_hold()).  The device's epoch starts
 * at 0 here and wherever the kernel's device left it there: only
 * differences of epochs count, and a replay makes far fewer than 2^30
 * faults.
 */
static int thrash_hold(struct sim *s, uint64_t gs)
{
	struct thrash *h = &s->th[gs];
	uint32_t e;
	int hold = 0;

	s->epoch = ((s->epoch + 1) & EPOCH_MASK) ? (s->epoch + 1) & EPOCH_MASK : 1;
	e = s->epoch;
	if (h->held && epoch_dist(e, h->held) && epoch_dist(e, h->held) <= DEVMM_THRASH_HOLD) {
		hold = 1;
	} else {
		h->held = 0;
		h->refaults = h->last && epoch_dist(h->last, e) <= DEVMM_THRASH_WINDOW ?
			      h->refaults + 1 : 0;
		if (h->refaults >= DEVMM_THRASH_REFAULTS) {
			s->c.thrashing_events++;
			h->held = (e + DEVMM_THRASH_HOLD) & EPOCH_MASK ?
				  (e + DEVMM_THRASH_HOLD) & EPOCH_MASK : 1;
			h->refaults = 0;
			hold = 1;
		}
	}
	s->c.thrashing_held += hold;
	h->last = e;
	return hold;
}

/* A device read or write's window [ws, we): demand pass, then copy pass (record @i). */
static void device_window(struct sim *s, uint64_t ws, uint64_t we, uint64_t i)
{
	uint64_t a = ws, p;

	while (a < we) {
		uint64_t ce = a + CLASS_PAGES < we ? a + CLASS_PAGES : we, gs, ge;

		for (p = a; p < ce && s->pg[p].resident; p++)
			;
		if (p == ce) {
			a = ce;
			continue;
		}
		s->c.device_faults++;
		gs = p / s->gran * s->gran;
		ge = gs + s->gran < s->npages ? gs + s->gran : s->npages;
		a = ge;
		if (s->thrashing && thrash_hold(s, gs))
			continue;
		migrate(s, gs, ge, MIG_FAULT);
		prefetch(s, p, ge);
	}
	for (p = ws; p < we; p++) {
		if (s->policy == SIM_POLICY_OPT && s->cur[p] < s->occ_start[p + 1] &&
		    s->occ[s->cur[p]] == i)
			s->cur[p]++;
		if (s->pg[p].resident) {
			if (s->pg[p].pf) {
				s->pg[p].pf = 0;
				s->c.prefetch_hits++;
			}
			policy_accessed(s, p);
		} else {
			s->c.remote_accesses++;
		}
	}
}

/* A CPU read or write of page @p. */
static void cpu_access(struct sim *s, uint64_t p)
{
	uint64_t end = (p / BLOCK_PAGES + 1) * BLOCK_PAGES, q;

	if (!s->private || !s->pg[p].resident)
		return;
	s->c.cpu_faults++;
	if (p + s->fa < end)
		end = p + s->fa;
	if (s->npages < end)
		end = s->npages;
	for (q = p; q < end; q++)
		if (s->pg[q].resident)
			to_system(s, q);
}

static void replay_record(struct sim *s, const struct trace_rec *r, uint64_t i)
{
	uint64_t p0 = r->off / PSZ, p1 = (r->off + r->len + PSZ - 1) / PSZ, p;

	switch (r->op) {
	case 'R':
	case 'W':
		for (p = p0; p < p1; p += BLOCK_PAGES)
			device_window(s, p, p + BLOCK_PAGES < p1 ? p + BLOCK_PAGES : p1, i);
		break;
	case 'C':
	case 'S':
		for (p = p0; p < p1; p++)
			cpu_access(s, p);
		break;
	case 'M':
		migrate_range(s, p0, p1, MIG_EXPLICIT);
		break;
	case 'E':
		for (p = p0; p < p1; p++)
			if (s->pg[p].resident)
				to_system(s, p);
		break;
	}
}

/* opt: every page's device accesses (R, W records), in record order. */
static int opt_prepare(struct sim *s, const struct trace *t)
{
	uint64_t total = 0, p, *fill;
	size_t i;

	s->occ_start = calloc(s->npages + 1, sizeof(*s->occ_start));
	s->cur = calloc(s->npages, sizeof(*s->cur));
	if (!s->occ_start || !s->cur)
		return -ENOMEM;
	for (i = 0; i < t->n; i++) {
		const struct trace_rec *r = &t->rec[i];

		if (r->op != 'R' && r->op != 'W')
			continue;
		for (p = r->off / PSZ; p < (r->off + r->len + PSZ - 1) / PSZ; p++)
			s->occ_start[p + 1]++;
	}
	for (p = 0; p < s->npages; p++) {
		total += s->occ_start[p + 1];
		s->occ_start[p + 1] = total;
	}
	s->occ = malloc((total ? total : 1) * sizeof(*s->occ));
	if (!s->occ)
		return -ENOMEM;
	fill = s->cur;	/* cursors start at each page's first access */
	memcpy(fill, s->occ_start, s->npages * sizeof(*fill));
	for (i = 0; i < t->n; i++) {
		const struct trace_rec *r = &t->rec[i];

		if (r->op != 'R' && r->op != 'W')
			continue;
		for (p = r->off / PSZ; p < (r->off + r->len + PSZ - 1) / PSZ; p++)
			s->occ[fill[p]++] = i;
	}
	memcpy(s->cur, s->occ_start, s->npages * sizeof(*s->cur));
	return 0;
}

static int sim_run(struct sim *s, const struct trace *t, double *seconds)
{
	struct timespec t0, t1;
	uint64_t p;
	size_t i;

	s->npages = t->size / PSZ + !!(t->size % PSZ);
	if (s->npages >= NIL) {
		fprintf(stderr, "devmm-sim: a buffer of %" PRIu64 " pages is too large\n",
			s->npages);
		return EXIT_FAILED;
	}
	s->pg = calloc(s->npages, sizeof(*s->pg));
	if (s->thrashing)
		s->th = calloc(s->npages, sizeof(*s->th));
	if (s->policy == SIM_POLICY_OPT || s->policy == DEVMM_POLICY_LFU) {
		s->heap = malloc(s->npages * sizeof(*s->heap));
		s->before = s->policy == SIM_POLICY_OPT ? opt_before : lfu_before;
	}
	if (s->policy == DEVMM_POLICY_RANDOM) {
		/* Room for twice what can be listed: renumbered at most every other insertion. */
		uint64_t most = s->cap < s->npages ? s->cap : s->npages;

		for (s->nbit = 1024; s->nbit < 2 * (most + 1); s->nbit *= 2)
			;
		s->bit = calloc(s->nbit, sizeof(*s->bit));
		s->at_stamp = calloc(s->nbit, sizeof(*s->at_stamp));
	}
	if (!s->pg || (s->before && !s->heap) || (s->thrashing && !s->th) ||
	    (s->policy == DEVMM_POLICY_RANDOM && (!s->bit || !s->at_stamp)) ||
	    (s->policy == SIM_POLICY_OPT && opt_prepare(s, t))) {
		fprintf(stderr, "devmm-sim: out of memory for a buffer of %" PRIu64 " pages\n",
			s->npages);
		return EXIT_FAILED;
	}
	for (p = 0; p < s->npages; p++)
		s->pg[p].prev = s->pg[p].next = s->pg[p].hpos = NIL;
	s->head = s->tail = NIL;
	/* As the kernel starts RANDOM's sequence (policy.c): odd, one per seed. */
	s->rng = 2 * s->seed + 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < t->n; i++)
		replay_record(s, &t->rec[i], i);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	return EXIT_OK;
}

/* ---- Command line ---- */

static const char usage_text[] =
	"usage: devmm-sim TRACE|--pattern P [--size BYTES] [--records N] --capacity BYTES\n"
	"         [--kind private|coherent] [--policy lru|fifo|clock|random|lfu|uvm|opt]\n"
	"         [--evict-batch N] [--evict-unit page|block] [--seed N]\n"
	"         [--granularity 4K|64K|2M] [--fault-around-kb N]\n"
	"         [--prefetch none|seq[:KB]|density[:PCT]] [--thrashing on|off] [--json]\n"
	"Replays a trace (format v1; '-': stdin) or a built-in pattern (stream, stride:N,\n"
	"random:SEED, hotcold:PCT, pingpong) on the model of devmm's demand paging and\n"
	"prints devmmctl replay's counters (docs/model.md).  Exit codes: 0 success,\n"
	"1 failure, 2 usage error (a malformed trace among them).\n";

static int __attribute__((format(printf, 1, 2))) usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "devmm-sim: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
	return EXIT_USAGE;
}

/* "N" in decimal or 0x hex: 0 or -1. */
static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (!*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

struct opts {
	const char *trace, *pattern;
	uint64_t size, records, capacity, fault_around_kb;
	int json, have_capacity;
};

static const char *policy_name(uint32_t policy)
{
	size_t i;

	for (i = 0; i < NPOLICIES; i++)
		if (policies[i].policy == policy)
			return policies[i].name;
	return "unknown";
}

/* One option and its value: EXIT_OK or a usage error. */
static int option(const char *a, const char *val, struct sim *s, struct opts *o)
{
	uint64_t v;
	size_t i;

	if (!val)
		return usage("%s needs a value", a);
	if (!strcmp(a, "--pattern")) {
		o->pattern = val;
	} else if (!strcmp(a, "--size") || !strcmp(a, "--capacity") || !strcmp(a, "--records")) {
		int ret = devmm_parse_size(val, &v);

		if (ret == -ERANGE)
			return usage("size '%s' is too large", val);
		if (ret)
			return usage("bad size '%s': a number with an optional K, M, G or T suffix",
				     val);
		if (!strcmp(a, "--capacity")) {
			if (!v || v % PSZ)
				return usage("--capacity takes a non-zero multiple of 4096 bytes");
			o->capacity = v;
			o->have_capacity = 1;
		} else {
			*(!strcmp(a, "--size") ? &o->size : &o->records) = v;
		}
	} else if (!strcmp(a, "--kind")) {
		if (strcmp(val, "private") && strcmp(val, "coherent"))
			return usage("--kind takes private or coherent");
		s->private = !strcmp(val, "private");
	} else if (!strcmp(a, "--policy")) {
		for (i = 0; i < NPOLICIES && strcasecmp(val, policies[i].name); i++)
			;
		if (i == NPOLICIES)
			return usage("unknown policy '%s' (lru, fifo, clock, random, lfu, uvm or opt)",
				     val);
		s->policy = policies[i].policy;
	} else if (!strcmp(a, "--evict-batch")) {
		if (devmm_parse_size(val, &v) || !v || v > DEVMM_EVICT_BATCH_MAX)
			return usage("--evict-batch takes 1 to %d pages", DEVMM_EVICT_BATCH_MAX);
		s->batch = v;
	} else if (!strcmp(a, "--evict-unit")) {
		if (strcmp(val, "page") && strcmp(val, "block"))
			return usage("--evict-unit takes page or block");
		s->unit = !strcmp(val, "block") ? UNIT_BLOCK : UNIT_PAGE;
	} else if (!strcmp(a, "--seed")) {
		if (parse_u64(val, &s->seed))
			return usage("--seed takes a number");
	} else if (!strcmp(a, "--granularity")) {
		if (devmm_parse_size(val, &v) || (v != 4096 && v != 65536 && v != 2097152))
			return usage("--granularity takes 4K, 64K or 2M");
		s->gran = v / PSZ;
	} else if (!strcmp(a, "--fault-around-kb")) {
		if (parse_u64(val, &o->fault_around_kb) || o->fault_around_kb > 2048)
			return usage("--fault-around-kb takes 0 to 2048 (devmm's fault_around_kb)");
	} else if (!strcmp(a, "--prefetch")) {
		int err = trace_parse_prefetch(val, &s->prefetch, &s->prefetch_arg);

		if (err == -EINVAL)
			return usage("--prefetch takes none, seq[:KB] or density[:PCT]");
		if (err)
			return usage("--prefetch %s: seq:KB takes 4 to 2048 (a multiple of 4), "
				     "density:PCT 1 to 100", val);
	} else if (!strcmp(a, "--thrashing")) {
		if (strcmp(val, "on") && strcmp(val, "off"))
			return usage("--thrashing takes on or off");
		s->thrashing = !strcmp(val, "on");
	} else {
		return usage("unknown option '%s'", a);
	}
	return EXIT_OK;
}

static int load_trace(const struct opts *o, struct trace *t)
{
	char err[256] = "";
	FILE *f;
	int ret;

	if (o->pattern) {
		ret = trace_pattern(o->pattern, o->size ? o->size : 2 * o->capacity, o->records, t,
				    err, sizeof(err));
	} else {
		f = strcmp(o->trace, "-") ? fopen(o->trace, "r") : stdin;
		if (!f) {
			fprintf(stderr, "devmm-sim: cannot open %s: %s\n", o->trace,
				strerror(errno));
			return EXIT_FAILED;
		}
		ret = trace_parse(f, t, err, sizeof(err));
		if (f != stdin)
			fclose(f);
	}
	if (!ret)
		return EXIT_OK;
	fprintf(stderr, "devmm-sim: %s%s%s\n", o->trace ? o->trace : "", o->trace ? ": " : "",
		err);
	return ret == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
}

static void print(const struct sim *s, const struct opts *o, const struct trace *t,
		  double seconds)
{
	const struct counters *c = &s->c;
	double rate = seconds > 0 ? t->n / seconds : 0;
	const char *unit = s->unit == UNIT_BLOCK ? "block" : "page";
	const char *thr = s->thrashing ? "on" : "off";
	char pf[32];

	/* devmmctl's spelling of the prefetcher. */
	if (s->prefetch == DEVMM_PREFETCH_SEQ)
		snprintf(pf, sizeof(pf), "seq:%u", s->prefetch_arg);
	else if (s->prefetch == DEVMM_PREFETCH_DENSITY)
		snprintf(pf, sizeof(pf), "density:%u", s->prefetch_arg);
	else
		snprintf(pf, sizeof(pf), "none");

	if (o->json) {
		printf("{\"records\": %zu, \"device_faults\": %" PRIu64 ", \"pages_to_device\": %"
		       PRIu64 ", \"pages_to_system\": %" PRIu64 ", \"evicted\": %" PRIu64
		       ", \"prefetched\": %" PRIu64 ", \"prefetch_hits\": %" PRIu64
		       ", \"prefetch_waste\": %" PRIu64 ", \"thrashing_events\": %" PRIu64
		       ", \"thrashing_held\": %" PRIu64 ", \"remote_accesses\": %" PRIu64
		       ", \"cpu_faults\": %" PRIu64 ", \"fault_migrated\": %" PRIu64
		       ", \"evict_failures\": %" PRIu64 ", \"seconds\": %.6f, "
		       "\"records_per_second\": %.0f, \"bad_pages\": 0, "
		       "\"cpu_read_mismatches\": 0, \"policy\": \"%s\", \"evict_batch\": %u, "
		       "\"evict_unit\": \"%s\", \"seed\": %" PRIu64 ", \"granularity\": %" PRIu64
		       ", \"capacity\": %" PRIu64 ", \"prefetch\": \"%s\", \"thrashing\": \"%s\", "
		       "\"kind\": \"%s\"}\n",
		       t->n, c->device_faults, c->pages_to_device, c->pages_to_system, c->evicted,
		       c->prefetched, c->prefetch_hits, c->prefetch_waste, c->thrashing_events,
		       c->thrashing_held, c->remote_accesses, c->cpu_faults, c->fault_migrated,
		       c->evict_failures, seconds, rate, policy_name(s->policy), s->batch, unit,
		       s->seed, s->gran * PSZ, o->capacity, pf, thr,
		       s->private ? "private" : "coherent");
		return;
	}
	printf("records          %zu (%.0f/s, %.3f s)\n", t->n, rate, seconds);
	printf("device faults    %" PRIu64 " pages (%" PRIu64 " migrated on fault)\n",
	       c->device_faults, c->fault_migrated);
	printf("to device        %" PRIu64 " pages\n", c->pages_to_device);
	printf("to system        %" PRIu64 " pages\n", c->pages_to_system);
	printf("evicted          %" PRIu64 " pages (%" PRIu64 " could not move then)\n",
	       c->evicted, c->evict_failures);
	printf("prefetched       %" PRIu64 " pages (%s: %" PRIu64 " then accessed, %" PRIu64
	       " left untouched)\n", c->prefetched, pf, c->prefetch_hits, c->prefetch_waste);
	printf("thrashing        %" PRIu64 " events, %" PRIu64 " faults held in place "
	       "(control %s)\n", c->thrashing_events, c->thrashing_held, thr);
	printf("remote accesses  %" PRIu64 " pages\n", c->remote_accesses);
	printf("CPU faults       %" PRIu64 "\n", c->cpu_faults);
	printf("model            %s, evict batch %u, %s unit, %" PRIu64 "-byte granules, "
	       "%" PRIu64 " bytes of %s device memory\n", policy_name(s->policy), s->batch, unit,
	       s->gran * PSZ, o->capacity, s->private ? "private" : "coherent");
}

int main(int argc, char **argv)
{
	struct sim s = { .policy = DEVMM_POLICY_LRU, .batch = DEVMM_EVICT_BATCH_MAX,
			 .unit = UNIT_PAGE, .gran = 1, .private = 1 };
	struct opts o = { .fault_around_kb = 64 };
	struct trace t = {};
	double seconds = 0;
	int i, ret;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage_text, stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--json")) {
			o.json = 1;
		} else if (a[0] == '-' && a[1]) {
			ret = option(a, i + 1 < argc ? argv[i + 1] : NULL, &s, &o);
			if (ret)
				return ret;
			i++;
		} else if (!o.trace) {
			o.trace = a;
		} else {
			return usage("one trace only");
		}
	}
	if (!!o.trace == !!o.pattern)
		return usage("a trace file or --pattern, one of them");
	if (!o.have_capacity)
		return usage("--capacity is needed (the device's capacity in bytes)");
	s.cap = o.capacity / PSZ;
	s.fa = o.fault_around_kb * 1024 / PSZ ? o.fault_around_kb * 1024 / PSZ : 1;
	ret = load_trace(&o, &t);
	if (!ret)
		ret = sim_run(&s, &t, &seconds);
	if (!ret)
		print(&s, &o, &t, seconds);
	free(t.rec);
	free(s.pg);
	free(s.th);
	free(s.occ);
	free(s.occ_start);
	free(s.cur);
	free(s.heap);
	free(s.bit);
	free(s.at_stamp);
	return ret;
}
