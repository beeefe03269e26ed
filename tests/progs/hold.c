// SPDX-License-Identifier: GPL-2.0
/*
 * A helper of the guest tests (not a test itself): hold device memory so
 * that a test script can watch, evict or resize it with devmmctl.
 *
 * usage: hold ID MIB migrate   migrate MIB MiB of anonymous memory to device ID
 *        hold ID MIB mmap      map MIB MiB of device ID's memory (coherent) and
 *                              write to it
 * Prints "ready" once done, then waits for SIGTERM or SIGINT and exits 0.
 * Exits 1, with a message, if the device refuses.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "devmm_test.h"

static void on_signal(int sig)
{
	(void)sig;
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

	if (argc != 4 || (strcmp(argv[3], "migrate") && strcmp(argv[3], "mmap"))) {
		fprintf(stderr, "usage: %s ID MIB migrate|mmap\n", argv[0]);
		return 2;
	}
	/* Block the signals until sigsuspend(), so none is lost before it. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

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
