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
#include <unistd.h>

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

/*
 * A diagnostic written at once with one write(2), not through stdio's
 * buffer: safe from any thread, a fork child or a signal-driven watchdog,
 * and never interleaved with another process's line.
 */
static inline void tap_diag_raw(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + 2, sizeof(buf) - 3, fmt, ap);
	va_end(ap);
	buf[0] = '#';
	buf[1] = ' ';
	n = n + 2 > (int)sizeof(buf) - 2 ? (int)sizeof(buf) - 2 : n + 2;
	buf[n++] = '\n';
	fflush(stdout);
	if (write(1, buf, n) < 0)
		_exit(99);
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

/*
 * Whether the lane lists @name as an expected failure: the guest's
 * /lane.xfail (tests/lanes/<lane>.xfail), one name a line, '#' comments,
 * shared with the upstream selftest's cases.
 */
static inline int lane_xfail(const char *name)
{
	FILE *f = fopen("/lane.xfail", "r");
	char line[256];
	int found = 0;

	while (f && !found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "# \t\n")] = 0;
		found = !strcmp(line, name);
	}
	if (f)
		fclose(f);
	return found;
}

/*
 * ok_xfail(cond, name, fmt, ...): ok() for a check the lane may list as an
 * expected failure under @name: listed and failing gives "ok ... # XFAIL",
 * listed and passing "not ok ... # XPASS", so that the list cannot go stale.
 */
static inline int ok_xfail(int cond, const char *name, const char *fmt, ...)
{
	int listed = lane_xfail(name);
	va_list ap;

	printf("%sok %d - ", cond == listed ? "not " : "", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (listed)
		printf(cond ? " # XPASS: passed but listed as an expected failure (%s)\n" :
			      " # XFAIL expected failure on this kernel (%s)\n", name);
	else
		printf("\n");
	fflush(stdout);
	if (cond == listed)
		tap_failed++;
	else if (listed)
		tap_skipped++;
	return cond;
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
