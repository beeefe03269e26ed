/* SPDX-License-Identifier: GPL-2.0 */
/* devmmctl replay: traces (format v1), built-in patterns, the replay. */
#ifndef DEVMM_REPLAY_H
#define DEVMM_REPLAY_H

#include <stdint.h>
#include <stdio.h>
#include <linux/devmm.h>

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

struct replay_result {
	uint64_t granularity;		/* in: bytes a device fault migrates */
	struct devmm_dev_info before, after;
	double seconds;
	uint64_t bad_pages;		/* pages whose data was not the last written */
	uint64_t cpu_bad;		/* CPU reads (C) that saw other data */
};

/* A trace file; -EINVAL with @err naming the line, or -ENOMEM. */
int trace_parse(FILE *f, struct trace *t, char *err, size_t errlen);
/* stream, stride:N, random:SEED, hotcold:PCT, pingpong over @size bytes. */
int trace_pattern(const char *spec, uint64_t size, uint64_t records, struct trace *t,
		  char *err, size_t errlen);
/* Replay @t through the device file @fd (its device empty). */
int trace_replay(int fd, const struct trace *t, struct replay_result *res, char *err,
		 size_t errlen);

#endif
