/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Traces (format v1) and built-in patterns (tools/trace.c): what devmmctl
 * replay replays on a device and devmm-sim through its model.
 */
#ifndef DEVMM_TRACE_H
#define DEVMM_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One record: R W (device), C S (CPU), M E (explicit migrations). */
struct trace_rec {
	uint64_t off;
	uint64_t len;
	char op;
};

struct trace {
	uint64_t size;
	struct trace_rec *rec;
	size_t n, cap;
};

/* A trace file; -EINVAL with @err naming the line, or -ENOMEM. */
int trace_parse(FILE *f, struct trace *t, char *err, size_t errlen);
/* stream, stride:N, random:SEED, hotcold:PCT, pingpong over @size bytes. */
int trace_pattern(const char *spec, uint64_t size, uint64_t records, struct trace *t,
		  char *err, size_t errlen);
/*
 * A prefetcher as devmmctl and devmm-sim take it: none, seq[:KB] (64 if not
 * given) or density[:PCT] (51), into @kind (DEVMM_PREFETCH_*) and @arg.
 * -EINVAL for an unknown name, -ERANGE for a KB or PCT out of range.
 */
int trace_parse_prefetch(const char *val, uint32_t *kind, uint32_t *arg);

#endif
