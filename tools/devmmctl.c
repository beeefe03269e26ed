// SPDX-License-Identifier: GPL-2.0
/*
 * devmmctl: command-line control of devmm through /dev/devmm.
 *
 *   devmmctl info [--json]            what the module is and can do
 *   devmmctl list [--json]            the devices and their statistics
 *   devmmctl selftest [ID] [--json]   migrate a buffer to a device and back,
 *                                     verify it, print the throughput
 *
 * Exit codes: 0 success, 1 the request failed, 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/devmm.h>

static const struct {
	unsigned long long bit;
	const char *name;
} cap_names[] = {
	{ DEVMM_CAP_PRIVATE, "private" },
	{ DEVMM_CAP_COHERENT, "coherent" },
	{ DEVMM_CAP_LARGE_FOLIOS, "large_folios" },
	{ DEVMM_CAP_MIGRATE_DEVICE_PFNS, "migrate_device_pfns" },
	{ DEVMM_CAP_EXCLUSIVE, "exclusive" },
};
#define NCAPS (sizeof(cap_names) / sizeof(cap_names[0]))

static const char *const kind_names[] = { "?", "private", "coherent", "mirror-only" };

static int usage(void)
{
	fprintf(stderr, "usage: devmmctl info [--json]\n"
			"       devmmctl list [--json]\n"
			"       devmmctl selftest [ID] [--json]\n");
	return 2;
}

static int open_control(void)
{
	int fd = open("/dev/" DEVMM_CONTROL_NAME, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fprintf(stderr, "devmmctl: cannot open /dev/%s: %s%s\n", DEVMM_CONTROL_NAME,
			strerror(errno), errno == ENOENT ? " (is the devmm module loaded?)" : "");
	return fd;
}

static int cmd_list(int json)
{
	struct devmm_dev_query q;
	int fd = open_control(), n = 0;

	if (fd < 0)
		return 1;
	if (json)
		printf("[");
	else
		printf("%-4s %-12s %10s %10s %10s %12s %12s %10s\n", "id", "kind", "capacity",
		       "used", "used_max", "to_device", "to_system", "evicted");
	memset(&q, 0, sizeof(q));
	while (!ioctl(fd, DEVMM_IOC_QUERY, &q)) {
		struct devmm_dev_info *d = &q.info;
		const char *kind = d->kind < 4 ? kind_names[d->kind] : "?";

		if (json)
			printf("%s{\"id\": %u, \"kind\": \"%s\", \"capacity\": %llu, \"used\": %llu, "
			       "\"used_max\": %llu, \"to_device\": %llu, \"to_system\": %llu, "
			       "\"cpu_faults\": %llu, \"device_faults\": %llu, \"evicted\": %llu, "
			       "\"evict_passes\": %llu, \"evict_failures\": %llu, "
			       "\"map_bytes\": %llu, \"map_read_faults\": %llu, "
			       "\"map_write_faults\": %llu, \"map_mkwrite\": %llu}",
			       n ? ", " : "", d->id, kind, (unsigned long long)d->capacity,
			       (unsigned long long)d->used, (unsigned long long)d->used_max,
			       (unsigned long long)d->to_device, (unsigned long long)d->to_system,
			       (unsigned long long)d->cpu_faults,
			       (unsigned long long)d->device_faults,
			       (unsigned long long)d->evicted,
			       (unsigned long long)d->evict_passes,
			       (unsigned long long)d->evict_failures,
			       (unsigned long long)d->map_bytes,
			       (unsigned long long)d->map_read_faults,
			       (unsigned long long)d->map_write_faults,
			       (unsigned long long)d->map_mkwrite);
		else
			printf("%-4u %-12s %9lluM %9lluM %9lluM %12llu %12llu %10llu\n", d->id, kind,
			       (unsigned long long)d->capacity >> 20,
			       (unsigned long long)d->used >> 20,
			       (unsigned long long)d->used_max >> 20,
			       (unsigned long long)d->to_device, (unsigned long long)d->to_system,
			       (unsigned long long)d->evicted);
		n++;
		q.id = d->id + 1;
	}
	if (json)
		printf("]\n");
	close(fd);
	return 0;
}

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int range(int fd, unsigned long cmd, void *addr, size_t npages, void *ptr,
		 struct devmm_range_cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->addr = (uintptr_t)addr;
	c->npages = npages;
	c->ptr = (uintptr_t)ptr;
	return ioctl(fd, cmd, c);
}

/*
 * Migrate a patterned 64 MiB buffer to device @id (or the first device with
 * memory) and back, checking the data through the device and the CPU.
 */
static int cmd_selftest(long id, int json)
{
	const size_t len = 64UL << 20, psz = sysconf(_SC_PAGESIZE), np = len / psz;
	double t_to, t_read, t_back;
	struct devmm_range_cmd c;
	struct devmm_dev_query q;
	uint64_t *p, *buf, i;
	char path[32];
	int ctl, fd, bad = 0;

	ctl = open_control();
	if (ctl < 0)
		return 1;
	memset(&q, 0, sizeof(q));
	q.id = id < 0 ? 0 : id;
	while (!ioctl(ctl, DEVMM_IOC_QUERY, &q) &&
	       (q.info.kind == DEVMM_KIND_MIRROR || (id >= 0 && q.info.id != id)))
		q.id = q.info.id + 1;
	close(ctl);
	if (q.info.kind != DEVMM_KIND_PRIVATE && q.info.kind != DEVMM_KIND_COHERENT) {
		fprintf(stderr, "devmmctl: no device with memory%s\n", id >= 0 ? " by that id" : "");
		return 1;
	}
	snprintf(path, sizeof(path), "/dev/" DEVMM_NODE_PREFIX "%u", q.info.id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || p == MAP_FAILED || buf == MAP_FAILED) {
		fprintf(stderr, "devmmctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (i = 0; i < len / 8; i++)
		p[i] = i * 0x9e3779b97f4a7c15ULL;
	t_to = seconds();
	if (range(fd, DEVMM_IOC_MIGRATE_TO_DEV, p, np, NULL, &c)) {
		fprintf(stderr, "devmmctl: migrate to device: %s\n", strerror(errno));
		return 1;
	}
	t_to = seconds() - t_to;
	bad |= c.cpages != np;
	t_read = seconds();
	if (range(fd, DEVMM_IOC_READ, p, np, buf, &c)) {
		fprintf(stderr, "devmmctl: device read: %s\n", strerror(errno));
		return 1;
	}
	t_read = seconds() - t_read;
	/* Against the pattern, not p: a CPU access would fault p back home. */
	for (i = 0; i < len / 8; i++)
		bad |= buf[i] != i * 0x9e3779b97f4a7c15ULL;
	t_back = seconds();
	if (range(fd, DEVMM_IOC_MIGRATE_TO_SYS, p, np, NULL, &c)) {
		fprintf(stderr, "devmmctl: migrate to system: %s\n", strerror(errno));
		return 1;
	}
	t_back = seconds() - t_back;
	if (c.cpages != np) {
		fprintf(stderr, "devmmctl: %llu of %zu pages came back to system memory\n",
			(unsigned long long)c.cpages, np);
		bad = 1;
	}
	for (i = 0; i < len / 8; i++)
		bad |= p[i] != i * 0x9e3779b97f4a7c15ULL;
	close(fd);
	if (json)
		printf("{\"device\": %u, \"kind\": \"%s\", \"bytes\": %zu, \"verified\": %s, "
		       "\"to_device_mbps\": %.0f, \"device_read_mbps\": %.0f, \"to_system_mbps\": %.0f}\n",
		       q.info.id, kind_names[q.info.kind], len, bad ? "false" : "true",
		       len / 1e6 / t_to, len / 1e6 / t_read, len / 1e6 / t_back);
	else
		printf("device %u (%s): %zu MiB to the device %.0f MB/s, read by the device %.0f MB/s, "
		       "back to system memory %.0f MB/s: %s\n", q.info.id, kind_names[q.info.kind],
		       len >> 20, len / 1e6 / t_to, len / 1e6 / t_read, len / 1e6 / t_back,
		       bad ? "DATA MISMATCH" : "data verified");
	return bad;
}

static int cmd_info(int json)
{
	struct devmm_info info;
	unsigned int i;
	int fd;

	fd = open("/dev/" DEVMM_CONTROL_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "devmmctl: cannot open /dev/%s: %s%s\n", DEVMM_CONTROL_NAME,
			strerror(errno), errno == ENOENT ? " (is the devmm module loaded?)" : "");
		return 1;
	}
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, DEVMM_IOC_INFO, &info)) {
		fprintf(stderr, "devmmctl: DEVMM_IOC_INFO: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	if (info.abi_major != DEVMM_ABI_MAJOR) {
		fprintf(stderr, "devmmctl: module ABI %u.%u, this tool speaks %u.%u\n",
			info.abi_major, info.abi_minor, DEVMM_ABI_MAJOR, DEVMM_ABI_MINOR);
		return 1;
	}
	if (json) {
		printf("{\"version\": \"%s\", \"abi\": [%u, %u], \"caps\": {", info.version,
		       info.abi_major, info.abi_minor);
		for (i = 0; i < NCAPS; i++)
			printf("%s\"%s\": %s", i ? ", " : "", cap_names[i].name,
			       info.caps & cap_names[i].bit ? "true" : "false");
		printf("}, \"devices\": %u, \"private\": %u, \"coherent\": %u, "
		       "\"page_size\": %u, \"private_capacity\": %llu}\n",
		       info.ndevices, info.nprivate, info.ncoherent, info.page_size,
		       (unsigned long long)info.private_capacity);
		return 0;
	}
	printf("devmm %s (ABI %u.%u)\n", info.version, info.abi_major, info.abi_minor);
	printf("capabilities:\n");
	for (i = 0; i < NCAPS; i++)
		printf("  %-20s %s\n", cap_names[i].name,
		       info.caps & cap_names[i].bit ? "yes" : "no");
	printf("devices:      %u (%u private, %u coherent)\n", info.ndevices, info.nprivate,
	       info.ncoherent);
	printf("private capacity: %llu MiB each\n",
	       (unsigned long long)info.private_capacity >> 20);
	printf("page size:    %u\n", info.page_size);
	return 0;
}

int main(int argc, char **argv)
{
	int json = argc > 2 && !strcmp(argv[argc - 1], "--json");
	int nargs = argc - json;
	char *end;
	long id;

	if (nargs < 2)
		return usage();
	if (!strcmp(argv[1], "info") && nargs == 2)
		return cmd_info(json);
	if (!strcmp(argv[1], "list") && nargs == 2)
		return cmd_list(json);
	if (!strcmp(argv[1], "selftest") && nargs <= 3) {
		id = nargs == 3 ? strtol(argv[2], &end, 10) : -1;
		if (nargs == 3 && (*end || id < 0))
			return usage();
		return cmd_selftest(id, json);
	}
	return usage();
}
