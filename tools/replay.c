// SPDX-License-Identifier: GPL-2.0
/*
 * devmmctl replay: a trace of device and CPU accesses (trace format v1, or
 * a built-in pattern: tools/trace.c) replayed on a device through demand
 * paging, with the device's counters over the replay.  See devmmctl(1).
 *
 * Device accesses (R, W) and explicit migrations (M, E) go to the kernel in
 * batches (DEVMM_IOC_ACCESS); CPU accesses (C, S) are the replay's own loads
 * and stores, one per page, between batches.  Every write stores a stamp
 * in the whole page; after the counters are read, every page is checked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <linux/mempolicy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "libdevmm.h"
#include "replay.h"

#define PSZ		4096UL
#define BATCH		4096
#define BLOCK		(2UL << 20)

/*
 * The replay buffer, 2 MiB aligned as the model of a replay has it
 * (docs/model.md): granules, 2 MiB blocks and fault-around windows then
 * start at the same page indices whatever address mmap() picks.
 */
static char *map_buffer(size_t len)
{
	char *raw = mmap(NULL, len + BLOCK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0), *buf;

	if (raw == MAP_FAILED)
		return raw;
	buf = (char *)(((uintptr_t)raw + BLOCK - 1) & ~(BLOCK - 1));
	if (buf > raw)
		munmap(raw, buf - raw);
	munmap(buf + len, raw + BLOCK - buf);
	return buf;
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
	buf = map_buffer(pages * PSZ);
	if (buf != MAP_FAILED) {
		madvise(buf, pages * PSZ, MADV_NOHUGEPAGE);
		/*
		 * Out of NUMA balancing's scans: a page migrated from a PTE it
		 * made PROT_NONE goes to the device read-only, and the next
		 * device write faults it back to system memory (docs/kernel-issues.md).
		 * A VMA policy without MPOL_F_MOF is not scanned; MPOL_LOCAL
		 * places pages as no policy would.  Without NUMA it fails: harmless.
		 */
		syscall(SYS_mbind, buf, pages * PSZ, MPOL_LOCAL, NULL, 0UL, 0U);
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
		snprintf(err, errlen, "%s on the replay buffer: %s",
			 devmm_op_name(DEVMM_OP_SET_ATTR), devmm_strerror(DEVMM_OP_SET_ATTR, ret));
		goto out;
	}
	ret = devmm_dev_info(fd, &res->before);
	if (ret) {
		snprintf(err, errlen, "%s: %s", devmm_op_name(DEVMM_OP_DEV_INFO),
			 devmm_strerror(DEVMM_OP_DEV_INFO, ret));
		goto out;
	}
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
			 t->rec[bad_rec].op, t->rec[bad_rec].off,
			 devmm_strerror(DEVMM_OP_ACCESS, ret));
		goto out;
	}
	ret = devmm_dev_info(fd, &res->after);
	if (ret)
		snprintf(err, errlen, "%s: %s", devmm_op_name(DEVMM_OP_DEV_INFO),
			 devmm_strerror(DEVMM_OP_DEV_INFO, ret));
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
