/* SPDX-License-Identifier: GPL-2.0 */
/* devmmctl replay: a trace (tools/trace.h) replayed on a device. */
#ifndef DEVMM_REPLAY_H
#define DEVMM_REPLAY_H

#include <stdint.h>
#include <linux/devmm.h>
#include "trace.h"

struct replay_result {
	uint64_t granularity;		/* in: bytes a device fault migrates */
	struct devmm_dev_info before, after;
	double seconds;
	uint64_t bad_pages;		/* pages whose data was not the last written */
	uint64_t cpu_bad;		/* CPU reads (C) that saw other data */
};

/* Replay @t through the device file @fd (its device empty). */
int trace_replay(int fd, const struct trace *t, struct replay_result *res, char *err,
		 size_t errlen);

#endif
