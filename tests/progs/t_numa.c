// SPDX-License-Identifier: GPL-2.0
/*
 * Memory policy across CPUs: devmm shares large migrations, device fault
 * rounds and the pinning of user buffers with helpers on other CPUs, and
 * pages a helper allocates would follow the helper's placement, not the
 * caller's.  A process bound to NUMA node 1 (set_mempolicy(MPOL_BIND)),
 * running on node 1's CPU, so that helpers run on node 0's:
 *
 *  - migrates 64 MiB to a device and explicitly back (MIGRATE_TO_SYS);
 *  - has the device write 64 MiB into fresh memory (fault rounds);
 *  - has the device read 64 MiB into a fresh buffer (pinning);
 *
 * and every page must be on node 1 (move_pages() asks the kernel where).
 * Before the fix, the helpers of the explicit migration put their share on
 * node 0.  Needs a guest with two nodes (the 7 lane's LANE_NUMA=1).
 *
 * usage: t_numa /path/to/devmm.ko
 * lane environment: LANE_EXPECT_PRIVATE, LANE_COHERENT_A.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "devmm_test.h"

#define LEN		(64 * MB)
#define NPAGES		(LEN / PG)
#define MPOL_BIND	2
#define TESTS		3

static int ctl;

static void *map_fresh(void)
{
	void *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, LEN, MADV_NOHUGEPAGE);
	return p;
}

/* How many of the buffer's pages are not on @node (move_pages() says where). */
static long off_node(char *p, int node, int *other)
{
	static void *pages[NPAGES];
	static int status[NPAGES];
	unsigned long i;
	long off = 0;

	for (i = 0; i < NPAGES; i++)
		pages[i] = p + i * PG;
	if (syscall(SYS_move_pages, 0, NPAGES, pages, NULL, status, 0))
		return -1;
	for (i = 0; i < NPAGES; i++)
		if (status[i] != node) {
			*other = status[i];
			off++;
		}
	return off;
}

static void check(char *p, int ret, const char *what)
{
	int other = 0;
	long off = ret ? -1 : off_node(p, 1, &other);

	ok(!ret && off == 0, "%s: every page on node 1, the caller's policy (%s; %ld of %lu "
	   "pages elsewhere, e.g. on %d)", what, errname(ret), off, NPAGES, other);
}

int main(int argc, char **argv)
{
	int expect_private = lane_env_num("LANE_EXPECT_PRIVATE");
	unsigned long mask = 1UL << 1;
	unsigned long long got;
	uint64_t base, size;
	cpu_set_t cpus;
	int ret, id, fd, i;
	char *a, *p;

	if (argc != 2) {
		fprintf(stderr, "usage: %s devmm.ko\n", argv[0]);
		return 2;
	}
	lane_range(lane_env("LANE_COHERENT_A"), &base, &size);
	tap_plan(TESTS + 2);
	if (access("/sys/devices/system/node/node1", F_OK) ||
	    sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		for (i = 0; i < TESTS + 2; i++)
			tap_skip("one NUMA node (or one CPU) in this guest: nothing to tell apart",
				 "memory policy across CPUs");
		return tap_done();
	}
	ret = devmm_load(argv[1], "private=0");
	ctl = open(DEVMM_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (!ok(ret == 0 && ctl >= 0, "load devmm private=0 (%s)", errname(ret)))
		return tap_done();
	id = expect_private ?
	     devmm_create_dev(ctl, DEVMM_KIND_PRIVATE, 2 * LEN, 0, 0, DEVMM_POLICY_LRU) :
	     devmm_create_dev(ctl, DEVMM_KIND_COHERENT, 0, base, 128 * MB, DEVMM_POLICY_LRU);
	fd = id >= 0 ? devmm_node_open(id) : -1;

	/* On node 1's CPU, bound to node 1: helpers run on node 0's CPU. */
	CPU_ZERO(&cpus);
	CPU_SET(1, &cpus);
	if (fd < 0 || sched_setaffinity(0, sizeof(cpus), &cpus) ||
	    syscall(SYS_set_mempolicy, MPOL_BIND, &mask, 8 * sizeof(mask))) {
		for (i = 0; i < TESTS; i++)
			ok(0, "setup: a device (%s), CPU 1, MPOL_BIND to node 1 (%s)",
			   errname(id < 0 ? id : 0), strerror(errno));
		goto out;
	}

	a = map_fresh();
	if (a)
		memset(a, 0x5a, LEN);
	ret = a ? devmm_range(fd, DEVMM_IOC_MIGRATE_TO_DEV, a, NPAGES, NULL, &got) : -ENOMEM;
	if (!ret)
		ret = devmm_range(fd, DEVMM_IOC_MIGRATE_TO_SYS, a, NPAGES, NULL, &got);
	check(a, ret, "64 MiB migrated to the device and explicitly back");

	p = map_fresh();
	ret = p ? devmm_range(fd, DEVMM_IOC_WRITE, p, NPAGES, a, &got) : -ENOMEM;
	check(p, ret, "a device write of 64 MiB into fresh memory");
	if (p)
		munmap(p, LEN);

	p = map_fresh();
	ret = p ? devmm_range(fd, DEVMM_IOC_READ, a, NPAGES, p, &got) : -ENOMEM;
	check(p, ret, "a device read of 64 MiB into a fresh buffer");
	if (p)
		munmap(p, LEN);
	if (a)
		munmap(a, LEN);
out:
	if (fd >= 0)
		close(fd);
	if (id >= 0)
		devmm_dev_cmd(ctl, DEVMM_IOC_DESTROY, id, 0, NULL);
	close(ctl);
	ret = devmm_unload();
	ok(ret == 0, "unload (%s)", errname(ret));
	return tap_done();
}
