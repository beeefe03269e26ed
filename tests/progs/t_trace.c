// SPDX-License-Identifier: GPL-2.0
/*
 * devmm's tracepoints: enable events/devmm/ in tracefs, make the module
 * migrate, fault (CPU and device) and evict, and find each event in the
 * trace with the device's number.
 *
 * usage: t_trace /path/to/devmm.ko
 * lane environment: LANE_EXPECT_PRIVATE, LANE_COHERENT_A.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include "devmm_test.h"

#define TRACEFS "/sys/kernel/tracing"

static const char *const events[] = {
	"devmm_migrate_to_device", "devmm_migrate_to_system", "devmm_cpu_fault",
	"devmm_device_fault", "devmm_evict_pass",
};

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		ret = -errno;
	close(fd);
	return ret;
}

/* The whole trace buffer, NUL-terminated (static: it is read once). */
static char *read_trace(void)
{
	static char buf[4 << 20];
	int fd = open(TRACEFS "/trace", O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return NULL;
	while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return buf;
}

/* Whether @trace has @event for device @id ("event: dev=ID "). */
static int has_event(const char *trace, const char *event, int id)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "%s: dev=%d ", event, id);
	return strstr(trace, needle) != NULL;
}

int main(int argc, char **argv)
{
	int private = lane_env_num("LANE_EXPECT_PRIVATE"), ret, ctl, fd, id;
	const char *coh = lane_env("LANE_COHERENT_A");
	struct devmm_create c = { .kind = DEVMM_KIND_PRIVATE, .capacity = 16 * MB };
	struct devmm_dev_cmd dc = { 0 };
	struct devmm_range_cmd rc;
	size_t len = 32 * MB, i;
	char path[32], *p, *buf, *trace;
	unsigned int k;

	if (argc != 2) {
		fprintf(stderr, "usage: %s devmm.ko\n", argv[0]);
		return 2;
	}
	tap_plan(8);
	ret = devmm_load(argv[1], "private=0");
	ctl = open(DEVMM_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (!ok(ret == 0 && ctl >= 0, "load devmm private=0 (%s)", errname(ret)))
		return tap_done();
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY)
		tap_diag("mount tracefs: %s", strerror(errno));
	ret = write_file(TRACEFS "/buffer_size_kb", "4096");
	if (!ret)
		ret = write_file(TRACEFS "/trace", "");
	if (!ret)
		ret = write_file(TRACEFS "/events/devmm/enable", "1");
	if (!ok(ret == 0, "tracefs has events/devmm and they enable (%s)", errname(ret))) {
		tap_skip("no tracefs", "the workload");
		for (k = 0; k < 5; k++)
			tap_skip("no tracefs", "%s", events[k]);
		devmm_unload();
		return tap_done();
	}

	/* A 16 MiB device: private where the kernel has it, else coherent. */
	if (!private) {
		c.kind = DEVMM_KIND_COHERENT;
		c.capacity = 0;
		c.base = strtoull(strchr(coh, '@') + 1, NULL, 0);
		c.size = 128 * MB;
	}
	id = ioctl(ctl, DEVMM_IOC_CREATE, &c) ? -errno : (int)c.id;
	dc.id = id;
	dc.value = 16 * MB;
	if (id >= 0 && !private)
		ioctl(ctl, DEVMM_IOC_SET_CAPACITY, &dc);
	snprintf(path, sizeof(path), "/dev/" DEVMM_NODE_PREFIX "%d", id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = malloc(MB);
	if (fd < 0 || p == MAP_FAILED || !buf) {
		ok(0, "a device to trace (%s)", errname(id < 0 ? id : -errno));
		return tap_done();
	}
	memset(p, 1, len);
	/* 32 MiB into 16: migrations and eviction passes. */
	memset(&rc, 0, sizeof(rc));
	rc.addr = (uintptr_t)p;
	rc.npages = len / 4096;
	ret = ioctl(fd, DEVMM_IOC_MIGRATE_TO_DEV, &rc) ? -errno : 0;
	/* A device read of memory it does not hold: a device fault round. */
	munmap(p, MB);
	p = mmap(p, MB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	memset(p, 2, MB);
	rc.npages = MB / 4096;
	rc.ptr = (uintptr_t)buf;
	ret = ret ? ret : ioctl(fd, DEVMM_IOC_READ, &rc) ? -errno : 0;
	/* CPU touches of the last (device-resident) megabytes: CPU faults. */
	for (i = len - 4 * MB; i < len; i += 4096)
		ret |= p[i] != 1;
	rc.addr = (uintptr_t)p;
	rc.npages = len / 4096;
	rc.ptr = 0;
	ret = ret ? ret : ioctl(fd, DEVMM_IOC_MIGRATE_TO_SYS, &rc) ? -errno : 0;
	write_file(TRACEFS "/events/devmm/enable", "0");
	ok(ret == 0, "migrate 32 MiB through a 16 MiB device, read, touch, migrate back (%d)", ret);

	trace = read_trace();
	for (k = 0; k < 5; k++) {
		if (!strcmp(events[k], "devmm_cpu_fault") && !private) {
			tap_skip("coherent pages take no CPU faults (no device-private memory here)",
				 "%s", events[k]);
			continue;
		}
		ok(trace && has_event(trace, events[k], id), "the trace has %s for device %d",
		   events[k], id);
	}
	write_file(TRACEFS "/trace", "");
	munmap(p, len);
	close(fd);
	dc.value = 0;
	ioctl(ctl, DEVMM_IOC_DESTROY, &dc);
	close(ctl);
	ret = devmm_unload();
	if (ret)
		tap_diag("unload: %s", errname(ret));
	return tap_done();
}
