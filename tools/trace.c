// SPDX-License-Identifier: GPL-2.0
/*
 * Traces of device and CPU accesses: trace format v1 (a file) and the
 * built-in patterns, as devmmctl replay (tools/replay.c) and the reference
 * model devmm-sim (tools/devmm-sim.c) read them.  See devmmctl(1).  No
 * libdevmm here: the model runs without devmm.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libdevmm.h"
#include "trace.h"

#define PSZ		4096UL

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

int trace_parse_prefetch(const char *val, uint32_t *kind, uint32_t *arg)
{
	const char *colon = strchr(val, ':');
	size_t len = colon ? (size_t)(colon - val) : strlen(val);
	uint64_t v;

	if (len == 4 && !strncmp(val, "none", 4) && !colon) {
		*kind = DEVMM_PREFETCH_NONE;
		*arg = 0;
	} else if (len == 3 && !strncmp(val, "seq", 3)) {
		*kind = DEVMM_PREFETCH_SEQ;
		*arg = 64;
	} else if (len == 7 && !strncmp(val, "density", 7)) {
		*kind = DEVMM_PREFETCH_DENSITY;
		*arg = 51;
	} else {
		return -EINVAL;
	}
	if (!colon)
		return 0;
	if (devmm_parse_size(colon + 1, &v) || v > 2048 ||
	    (*kind == DEVMM_PREFETCH_SEQ && (v < 4 || v % 4)) ||
	    (*kind == DEVMM_PREFETCH_DENSITY && (v < 1 || v > 100)))
		return -ERANGE;
	*arg = v;
	return 0;
}
