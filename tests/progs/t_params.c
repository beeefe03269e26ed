// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading devmm, and its module parameters: every malformed
 * value must fail the load with the right errno and leave nothing loaded.
 *
 * usage: t_params /path/to/devmm.ko   (devmm must not be loaded)
 * lane environment: LANE_EXPECT_PRIVATE (0/1), LANE_COHERENT_A and
 * LANE_COHERENT_B (two reserved, section-aligned SIZE@ADDR ranges),
 * LANE_RAM_RANGE (a section-aligned range of System RAM).
 */
#include <stdio.h>
#include "devmm_test.h"

static const char *ko;

struct bad_param {
	const char *params;
	int err;
	const char *why;
};

/* Load with @params, expect @err; a load that succeeds is undone. */
static void expect_load(const char *params, int err, const char *why)
{
	int ret = devmm_load(ko, params);

	ok(ret == err, "load '%s' gives %s (%s)%s%s", params, errname(err), why,
	   ret == err ? "" : ", got ", ret == err ? "" : errname(ret));
	if (!ret)
		devmm_unload();
	else if (devmm_loaded())
		tap_diag("devmm is loaded after a failed load");
}

int main(int argc, char **argv)
{
	char ram[64], overlap[128], two[128], buf[256];
	const char *ca, *cb;
	struct devmm_info info;
	int expect_private, fd, ret, i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s devmm.ko\n", argv[0]);
		return 2;
	}
	ko = argv[1];
	expect_private = lane_env_num("LANE_EXPECT_PRIVATE");
	ca = lane_env("LANE_COHERENT_A");
	cb = lane_env("LANE_COHERENT_B");
	snprintf(ram, sizeof(ram), "coherent=%s", lane_env("LANE_RAM_RANGE"));
	snprintf(two, sizeof(two), "coherent=%s,%s", ca, cb);
	/* The second range starts inside the first. */
	snprintf(overlap, sizeof(overlap), "coherent=%s,%s", ca, ca);

	const struct bad_param bad[] = {
		{ "private=abc", -EINVAL, "not a number" },
		{ "private=-1", -EINVAL, "negative" },
		{ "private=9", -EINVAL, "too many devices" },
		{ "capacity=0", -EINVAL, "zero" },
		{ "capacity=12x", -EINVAL, "bad suffix" },
		{ "capacity=1000", -EINVAL, "not page-aligned" },
		{ "capacity=4T", -EINVAL, "too large" },
		{ "capacity=", -EINVAL, "empty" },
		{ "capacity", -EINVAL, "no value" },
		{ "coherent=garbage", -EINVAL, "not SIZE@ADDR" },
		{ "coherent=256M", -EINVAL, "no address" },
		{ "coherent=256M@", -EINVAL, "empty address" },
		{ "coherent=256M@0x100000001", -EINVAL, "address not section-aligned" },
		{ "coherent=100M@0x100000000", -EINVAL, "size not section-aligned" },
		{ "coherent=0@0x100000000", -EINVAL, "empty range" },
		{ "coherent=1T@0xfffffffffff00000", -EINVAL, "beyond physical memory" },
		{ "coherent=256M@0x100000000,", -EINVAL, "trailing comma" },
		{ "coherent=256M@0x100000000;", -EINVAL, "trailing garbage" },
		{ overlap, -EINVAL, "overlapping ranges" },
		{ ram, -EINVAL, "System RAM" },
		{ "dmirror_compat=2", -EINVAL, "not a boolean" },
		{ "gup_test=maybe", -EINVAL, "not a boolean" },
		{ "copy_threads=5", -EINVAL, "more CPUs than a copy is split for" },
		{ "copy_threads=two", -EINVAL, "not a number" },
		{ "fault_around_kb=4096", -EINVAL, "more than one 2 MiB block" },
		{ "fault_around_kb=-4", -EINVAL, "negative" },
	};
	const int nbad = sizeof(bad) / sizeof(bad[0]);

	tap_plan(nbad + 21);

	if (devmm_loaded()) {
		printf("Bail out! devmm is already loaded\n");
		return 1;
	}

	/* Defaults. */
	ret = devmm_load(ko, "");
	ok(ret == 0, "load with default parameters (%s)", errname(ret));
	ret = test_module_info(&info);
	ok(ret == 0 && info.nprivate == (expect_private ? 2 : 0) && info.ncoherent == 0,
	   "default devices: %u private (expected %d), %u coherent",
	   info.nprivate, expect_private ? 2 : 0, info.ncoherent);
	ok(info.private_capacity == 1ULL << 30, "default capacity is 1G (%llu)",
	   (unsigned long long)info.private_capacity);

	/* Unload while the control device is open must be refused. */
	fd = open(DEVMM_CONTROL_PATH, O_RDWR);
	ok(fd >= 0, "open %s", DEVMM_CONTROL_PATH);
	ret = devmm_unload();
	ok(ret == -EAGAIN, "unload while %s is open is refused (%s)", DEVMM_CONTROL_PATH,
	   errname(ret));
	ok(devmm_loaded(), "devmm still loaded");
	if (fd >= 0)
		close(fd);
	ret = devmm_unload();
	ok(ret == 0, "unload after close (%s)", errname(ret));
	ok(!devmm_loaded() && access(DEVMM_CONTROL_PATH, F_OK) != 0,
	   "module and %s gone", DEVMM_CONTROL_PATH);

	for (i = 0; i < nbad; i++)
		expect_load(bad[i].params, bad[i].err, bad[i].why);

	/* private=1: a device-private device, where the kernel has them. */
	if (expect_private) {
		ret = devmm_load(ko, "private=1");
		ok(ret == 0, "load private=1 (%s)", errname(ret));
		ret = test_module_info(&info);
		ok(ret == 0 && info.nprivate == 1, "one private device (%u)", info.nprivate);
		devmm_unload();
	} else {
		expect_load("private=1", -EOPNOTSUPP, "no DEVICE_PRIVATE in this kernel");
		tap_skip("no DEVICE_PRIVATE in this kernel", "one private device");
	}

	/* Two coherent ranges, a custom capacity, and the compat switch. */
	snprintf(buf, sizeof(buf), "%s capacity=64M private=0 dmirror_compat=1", two);
	ret = devmm_load(ko, buf);
	ok(ret == 0, "load '%s' (%s)", buf, errname(ret));
	ret = test_module_info(&info);
	/* dmirror_compat=1 without private devices: nodes 0 and 1 are mirror-only. */
	ok(ret == 0 && info.ncoherent == 2 && info.nprivate == 0 && info.nmirror == 2 &&
	   info.ndevices == 4,
	   "two coherent devices and two mirror-only ones for hmm_dmirror0/1 (%u coherent, %u private, %u mirror, %u total)",
	   info.ncoherent, info.nprivate, info.nmirror, info.ndevices);
	ok(info.private_capacity == 64ULL << 20, "capacity=64M reported (%llu)",
	   (unsigned long long)info.private_capacity);
	fd = open("/sys/module/devmm/parameters/coherent", O_RDONLY);
	memset(buf, 0, sizeof(buf));
	ret = fd >= 0 ? (int)read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	ok(ret > 0 && !strncmp(buf, two + strlen("coherent="), strlen(two) - strlen("coherent=")),
	   "coherent parameter reads back (%.*s)", ret > 0 ? ret - 1 : 0, buf);
	/* copy_threads changes at run time, within its range. */
	fd = open("/sys/module/devmm/parameters/copy_threads", O_RDWR);
	ret = fd >= 0 && write(fd, "1", 1) == 1 && lseek(fd, 0, SEEK_SET) == 0 &&
	      read(fd, buf, sizeof(buf) - 1) > 0 && buf[0] == '1';
	ok(ret, "copy_threads=1 set at run time and read back");
	ret = fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 && write(fd, "9", 1) < 0 && errno == EINVAL &&
	      lseek(fd, 0, SEEK_SET) == 0 && write(fd, "0", 1) == 1;
	ok(ret, "copy_threads=9 refused at run time with EINVAL, 0 accepted");
	if (fd >= 0)
		close(fd);
	/* So does fault_around_kb, up to one 2 MiB block. */
	fd = open("/sys/module/devmm/parameters/fault_around_kb", O_RDWR);
	ret = fd >= 0 && write(fd, "2048", 4) == 4 && lseek(fd, 0, SEEK_SET) == 0 &&
	      read(fd, buf, sizeof(buf) - 1) > 0 && !strncmp(buf, "2048\n", 5) &&
	      lseek(fd, 0, SEEK_SET) == 0 && write(fd, "2052", 4) < 0 && errno == EINVAL &&
	      lseek(fd, 0, SEEK_SET) == 0 && write(fd, "64", 2) == 2;
	ok(ret, "fault_around_kb=2048 set at run time, 2052 refused with EINVAL, 64 back");
	if (fd >= 0)
		close(fd);
	ret = devmm_unload();
	ok(ret == 0, "unload (%s)", errname(ret));

	/* Load/unload cycles leave nothing behind. */
	for (i = 0, ret = 0; i < 5 && !ret; i++) {
		ret = devmm_load(ko, two);
		if (!ret)
			ret = devmm_unload();
	}
	ok(ret == 0 && !devmm_loaded(), "5 load/unload cycles with coherent devices (%s)",
	   errname(ret));

	/* Unknown parameters are ignored by the kernel, with a log line. */
	ret = devmm_load(ko, "no_such_param=1");
	ok(ret == 0, "unknown parameter is ignored (%s)", errname(ret));
	devmm_unload();
	ok(!devmm_loaded(), "nothing left loaded");
	return tap_done();
}
