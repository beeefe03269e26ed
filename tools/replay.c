// SPDX-License-Identifier: GPL-2.0
/*
 * devmmctl replay: a trace of device and CPU accesses (trace format v1, or
 * a built-in pattern) replayed on a device through demand paging, with the
 * device's counters over the replay.  See devmmctl(1).
 *
 * Device accesses (R, W) and explicit migrations (M, E) go to the kernel in
 * batches (DEVMM_IOC_ACCESS); CPU accesses (C, S) are the replay's own loads
 * and stores, one per page, between batches.  Every write stores a stamp
 * in the whole page; after the counters are read, every page is checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "libdevmm.h"
#include "replay.h"

#define PSZ		4096UL
#define BATCH		4096
#define PMD		(2UL << 20)

/* Parse "N" (decimal or 0x hex); 0 or -1. */
static int parse_num(const char *s, uint64_t *v)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

static int add_record(struct trace *t, char op, uint64_t off, uint64_t len)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 4096;
		struct trace_rec *r = realloc(t->rec, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		t->rec = r;
		t->cap = cap;
	}
	t->rec[t->n++] = (struct trace_rec){ off, len, op };
	return 0;
}

int trace_parse(FILE *f, struct trace *t, char *err, size_t errlen)
{
	char line[512];
	unsigned long lineno = 0;

	memset(t, 0, sizeof(*t));
	while (fgets(line, sizeof(line), f)) {
		char *tok[4] = {}, *save = NULL, *c = strchr(line, '#');
		uint64_t off, len = PSZ;
		int k = 0;

		lineno++;
		if (c)
			*c = '\0';
		for (c = strtok_r(line, " \t\r\n", &save); c && k < 4;
		     c = strtok_r(NULL, " \t\r\n", &save))
			tok[k++] = c;
		if (!k)
			continue;
		if (!t->size) {
			if (k != 2 || strcmp(tok[0], "size") || parse_num(tok[1], &t->size) ||
			    !t->size) {
				snprintf(err, errlen, "line %lu: expected 'size BYTES' first", lineno);
				return -EINVAL;
			}
			continue;
		}
		if (k > 3 || strlen(tok[0]) != 1 || !strchr("RWCSME", tok[0][0]) ||
		    parse_num(tok[1], &off) || (k == 3 && parse_num(tok[2], &len)) ||
		    ((tok[0][0] == 'M' || tok[0][0] == 'E') && k != 3) || !len) {
			snprintf(err, errlen, "line %lu: malformed record (OP OFFSET [LENGTH], "
				 "OP one of R W C S M E; M and E need a LENGTH)", lineno);
			return -EINVAL;
		}
		if (off >= t->size || len > t->size - off) {
			snprintf(err, errlen, "line %lu: record [%#" PRIx64 ", +%#" PRIx64
				 ") outside the buffer of %" PRIu64 " bytes", lineno, off, len,
				 t->size);
			return -EINVAL;
		}
		if (add_record(t, tok[0][0], off, len))
			return -ENOMEM;
	}
	if (!t->size) {
		snprintf(err, errlen, "no 'size BYTES' line");
		return -EINVAL;
	}
	return 0;
}

static uint64_t xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int trace_pattern(const char *spec, uint64_t size, uint64_t records, struct trace *t,
		  char *err, size_t errlen)
{
	uint64_t pages = size / PSZ, i, arg = 0, seed, hot;
	const char *colon = strchr(spec, ':');
	size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);

	memset(t, 0, sizeof(*t));
	t->size = pages * PSZ;
	if (!pages) {
		snprintf(err, errlen, "a pattern needs --size of at least 4096 bytes");
		return -EINVAL;
	}
	if (colon && parse_num(colon + 1, &arg)) {
		snprintf(err, errlen, "bad pattern argument in '%s'", spec);
		return -EINVAL;
	}
	if (!records)
		records = nlen == 8 && !strncmp(spec, "pingpong", 8) ? 100 : 4 * pages;
	seed = 2 * arg + 1;
	if (nlen == 6 && !strncmp(spec, "stream", 6)) {
		for (i = 0; i < records; i++)
			add_record(t, 'R', (i % pages) * PSZ, PSZ);
	} else if (nlen == 6 && !strncmp(spec, "stride", 6)) {
		/* Every N-th page from 0, then from 1, ...: each page once a pass. */
		uint64_t per, k;

		if (!arg)
			arg = 16;
		if (arg > pages)
			arg = pages;
		per = (pages + arg - 1) / arg;
		for (i = 0, k = 0; i < records; k++) {
			uint64_t pg = (k % (per * arg)) % per * arg + (k % (per * arg)) / per;

			if (pg < pages) {
				add_record(t, 'R', pg * PSZ, PSZ);
				i++;
			}
		}
	} else if (nlen == 6 && !strncmp(spec, "random", 6)) {
		for (i = 0; i < records; i++)
			add_record(t, xs(&seed) % 4 ? 'R' : 'W', xs(&seed) % pages * PSZ, PSZ);
	} else if (nlen == 7 && !strncmp(spec, "hotcold", 7)) {
		/* PCT% of the accesses go to the first tenth of the buffer. */
		if (!colon)
			arg = 90;
		if (arg > 100) {
			snprintf(err, errlen, "hotcold:PCT needs PCT from 0 to 100");
			return -EINVAL;
		}
		hot = pages / 10 ? pages / 10 : 1;
		seed = 0x9e3779b97f4a7c15ULL;
		for (i = 0; i < records; i++) {
			uint64_t pg = xs(&seed) % 100 < arg ? xs(&seed) % hot : xs(&seed) % pages;

			add_record(t, 'R', pg * PSZ, PSZ);
		}
	} else if (nlen == 8 && !strncmp(spec, "pingpong", 8)) {
		/* The device writes, then the CPU reads, the same 64 pages in turn. */
		uint64_t n = pages < 64 ? pages : 64;

		for (i = 0; i < records; i++) {
			add_record(t, 'W', 0, n * PSZ);
			add_record(t, 'C', 0, n * PSZ);
		}
	} else {
		snprintf(err, errlen, "unknown pattern '%s' (stream, stride:N, random:SEED, "
			 "hotcold:PCT, pingpong)", spec);
		return -EINVAL;
	}
	if (t->n < (nlen == 8 && !strncmp(spec, "pingpong", 8) ? 2 * records : records)) {
		snprintf(err, errlen, "out of memory for %" PRIu64 " records", records);
		return -ENOMEM;
	}
	return 0;
}

/* Flush the batch: -errno and *@bad_rec on failure. */
static int flush(int fd, struct devmm_access *acc, uint32_t *n, uint64_t first,
		 uint64_t *bad_rec)
{
	uint32_t done = 0;
	int ret = *n ? devmm_access(fd, acc, *n, &done) : 0;

	if (ret)
		*bad_rec = first + done;
	*n = 0;
	return ret;
}

int trace_replay(int fd, const struct trace *t, struct replay_result *res, char *err,
		 size_t errlen)
{
	uint64_t pages = t->size / PSZ + !!(t->size % PSZ), i, pg, bad_rec = 0, batch_first = 0;
	struct devmm_access *acc = calloc(BATCH, sizeof(*acc));
	unsigned char *stamp = malloc(pages);
	char *buf, *scratch = NULL;
	size_t scratch_pages = 1;
	struct devmm_attr a = { .preferred = DEVMM_LOC_DEVICE, .migrate_on_fault = 1,
				.granularity = res->granularity };
	struct timespec t0, t1;
	uint32_t n = 0;
	int ret = 0;

	for (i = 0; i < t->n; i++) {
		size_t k = (t->rec[i].off % PSZ + t->rec[i].len + PSZ - 1) / PSZ;

		if (k > scratch_pages)
			scratch_pages = k;
	}
	/* 2 MiB aligned: granules and blocks count from the buffer's start. */
	buf = mmap(NULL, pages * PSZ + PMD, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (buf != MAP_FAILED) {
		char *aligned = (char *)(((uintptr_t)buf + PMD - 1) & ~(PMD - 1));

		if (aligned > buf)
			munmap(buf, aligned - buf);
		munmap(aligned + pages * PSZ, buf + PMD - aligned);
		buf = aligned;
		madvise(buf, pages * PSZ, MADV_NOHUGEPAGE);
		scratch = malloc(scratch_pages * PSZ);
	}
	if (!acc || !stamp || buf == MAP_FAILED || !scratch) {
		snprintf(err, errlen, "out of memory for a buffer of %" PRIu64 " pages", pages);
		ret = -ENOMEM;
		goto out;
	}
	/* Filled from the CPU: every page starts in system memory. */
	for (pg = 0; pg < pages; pg++) {
		stamp[pg] = (unsigned char)(pg * 7 + 1);
		memset(buf + pg * PSZ, stamp[pg], PSZ);
	}
	ret = devmm_set_attr(fd, buf, pages, DEVMM_ATTR_ALL, &a);
	if (ret) {
		snprintf(err, errlen, "SET_ATTR on the replay buffer: %s", strerror(-ret));
		goto out;
	}
	ret = devmm_dev_info(fd, &res->before);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; !ret && i < t->n; i++) {
		const struct trace_rec *r = &t->rec[i];
		uint64_t p0 = r->off / PSZ, p1 = (r->off + r->len + PSZ - 1) / PSZ;
		char op = r->op;

		if (op == 'C' || op == 'S') {
			ret = flush(fd, acc, &n, batch_first, &bad_rec);
			batch_first = i + 1;
			for (pg = p0; !ret && pg < p1; pg++) {
				volatile char *c = buf + pg * PSZ;

				if (op == 'C') {
					res->cpu_bad += (unsigned char)*c != stamp[pg];
				} else {
					stamp[pg] = (unsigned char)(0x40 | (i & 0x3f));
					memset(buf + pg * PSZ, stamp[pg], PSZ);
				}
			}
			continue;
		}
		if (!n)
			batch_first = i;
		acc[n] = (struct devmm_access){ .addr = (uintptr_t)(buf + p0 * PSZ),
						.npages = p1 - p0,
						.op = op == 'R' ? DEVMM_ACCESS_READ :
						      op == 'W' ? DEVMM_ACCESS_WRITE :
						      op == 'M' ? DEVMM_ACCESS_TO_DEV :
								  DEVMM_ACCESS_TO_SYS };
		if (op == 'R') {
			acc[n].ptr = (uintptr_t)scratch;
		} else if (op == 'W') {
			/* The whole batch writes from one buffer: flush on a new stamp. */
			unsigned char s = (unsigned char)(0x80 | (i & 0x7f));

			ret = flush(fd, acc, &n, batch_first, &bad_rec);
			batch_first = i;
			memset(scratch, s, (p1 - p0) * PSZ);
			for (pg = p0; pg < p1; pg++)
				stamp[pg] = s;
			acc[0] = (struct devmm_access){ .addr = (uintptr_t)(buf + p0 * PSZ),
							.npages = p1 - p0, .ptr = (uintptr_t)scratch,
							.op = DEVMM_ACCESS_WRITE };
			n = 1;
			ret = ret ?: flush(fd, acc, &n, batch_first, &bad_rec);
			batch_first = i + 1;
			continue;
		}
		if (++n == BATCH)
			ret = flush(fd, acc, &n, batch_first, &bad_rec);
	}
	if (!ret)
		ret = flush(fd, acc, &n, batch_first, &bad_rec);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (ret) {
		snprintf(err, errlen, "record %" PRIu64 " (%c at %#" PRIx64 "): %s", bad_rec + 1,
			 t->rec[bad_rec].op, t->rec[bad_rec].off, strerror(-ret));
		goto out;
	}
	ret = devmm_dev_info(fd, &res->after);
	/* After the counters: checking reads every page back from the CPU. */
	for (pg = 0; !ret && pg < pages; pg++) {
		const unsigned char *c = (unsigned char *)buf + pg * PSZ;

		res->bad_pages += c[0] != stamp[pg] || c[PSZ - 1] != stamp[pg];
	}
out:
	if (buf != MAP_FAILED)
		munmap(buf, pages * PSZ);
	free(scratch);
	free(stamp);
	free(acc);
	return ret;
}
