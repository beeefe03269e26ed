/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP producer for devmm's test programs (kselftest style: plan first,
 * "ok N - name", "not ok N - name", "ok N - name # SKIP reason").
 */
#ifndef DEVMM_TAP_H
#define DEVMM_TAP_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed, tap_skipped, tap_planned;

static inline void tap_plan(int n)
{
	tap_planned = n;
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* ok(cond, fmt, ...): one test result; returns cond. */
static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

static inline void tap_skip(const char *reason, const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", reason);
	fflush(stdout);
	tap_skipped++;
}

/* Exit status: 0 if every planned test ran and passed, 1 otherwise. */
static inline int tap_done(void)
{
	if (tap_n != tap_planned)
		tap_diag("planned %d tests but ran %d", tap_planned, tap_n);
	return (tap_failed || tap_n != tap_planned) ? 1 : 0;
}

/* The expectation named NAME from the environment the lab gives the guest. */
static inline const char *lane_env(const char *name)
{
	const char *v = getenv(name);

	if (!v) {
		printf("Bail out! %s is not set in the lane environment\n", name);
		exit(1);
	}
	return v;
}

static inline unsigned long long lane_env_num(const char *name)
{
	return strtoull(lane_env(name), NULL, 0);
}

#endif /* DEVMM_TAP_H */
