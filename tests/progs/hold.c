// SPDX-License-Identifier: GPL-2.0
/*
 * A helper of the guest tests (not a test itself): hold device memory so
 * that a test script can watch, evict or resize it with devmmctl.
 *
 * usage: hold ID MIB migrate   migrate MIB MiB of anonymous memory to device ID
 *        hold ID MIB mmap      map MIB MiB of device ID's memory (coherent) and
 *                              write to it
 *        hold ID MIB advised   map MIB MiB of anonymous memory, open device ID
 *                              and print "ready ADDR" (for devmmctl advise); on
 *                              SIGUSR1, read it all through the device, check
 *                              it and print "read N" (N: pages the reads
 *                              migrated on device faults), or "bad data"
 * Prints "ready" once done, then waits for SIGTERM or SIGINT and exits 0.
 * Exits 1, with a message, if the device refuses.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "devmm_test.h"

static volatile sig_atomic_t usr1;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		usr1 = 1;
}

/* advised: a device read of [p, p + len); "read N" (pages migrated on fault). */
static int read_through(int fd, char *p, size_t len, size_t psz)
{
	struct devmm_dev_info before = {}, after = {};
	struct devmm_range_cmd c = {};
	char *buf = malloc(len);
	size_t i;

	if (!buf || ioctl(fd, DEVMM_IOC_DEV_INFO, &before))
		return 1;
	c.addr = (uintptr_t)p;
	c.npages = len / psz;
	c.ptr = (uintptr_t)buf;
	if (ioctl(fd, DEVMM_IOC_READ, &c) || ioctl(fd, DEVMM_IOC_DEV_INFO, &after)) {
		printf("read failed: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < len; i++)
		if (buf[i] != (char)(i / psz + 1)) {
			printf("bad data at byte %zu\n", i);
			return 1;
		}
	printf("read %llu\n", (unsigned long long)(after.fault_migrated - before.fault_migrated));
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct devmm_range_cmd c;
	size_t len, psz = sysconf(_SC_PAGESIZE), i;
	char path[32];
	sigset_t mask, old;
	char *p;
	int fd;

	if (argc != 4 || (strcmp(argv[3], "migrate") && strcmp(argv[3], "mmap") &&
			  strcmp(argv[3], "advised"))) {
		fprintf(stderr, "usage: %s ID MIB migrate|mmap|advised\n", argv[0]);
		return 2;
	}
	/* Block the signals until sigsuspend(), so none is lost before it. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	len = strtoul(argv[2], NULL, 0) << 20;
	snprintf(path, sizeof(path), "/dev/" DEVMM_NODE_PREFIX "%s", argv[1]);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	if (!strcmp(argv[3], "mmap")) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		for (i = 0; i < len; i += psz)
			p[i] = 1;
	} else if (!strcmp(argv[3], "advised")) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		for (i = 0; i < len; i++)
			p[i] = (char)(i / psz + 1);
		printf("ready %p\n", (void *)p);
		fflush(stdout);
		for (;;) {
			sigsuspend(&old);
			if (!usr1)
				return 0;
			usr1 = 0;
			if (read_through(fd, p, len, psz))
				return 1;
			fflush(stdout);
		}
	} else {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		for (i = 0; i < len; i += psz)
			p[i] = 1;
		memset(&c, 0, sizeof(c));
		c.addr = (uintptr_t)p;
		c.npages = len / psz;
		if (ioctl(fd, DEVMM_IOC_MIGRATE_TO_DEV, &c) || c.cpages != c.npages) {
			fprintf(stderr, "migrate to device: %s, %llu of %llu pages\n",
				strerror(errno), (unsigned long long)c.cpages,
				(unsigned long long)c.npages);
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	sigsuspend(&old);
	return 0;
}
