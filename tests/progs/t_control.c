// SPDX-License-Identifier: GPL-2.0
/*
 * The control device /dev/devmm: DEVMM_IOC_INFO reports what the lane's
 * kernel can do, sizes and reserved fields are checked, unknown commands are
 * refused.
 *
 * usage: t_control /path/to/devmm.ko
 * Loads devmm with the lane's default parameters and LANE_COHERENT_A as its
 * one coherent range, and unloads it at the end.
 * lane environment: LANE_EXPECT_CAPS, LANE_EXPECT_PRIVATE, LANE_COHERENT_A.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "devmm_test.h"

/* DEVMM_IOC_INFO as built with a struct of @size bytes. */
#define INFO_CMD(size) _IOC(_IOC_READ | _IOC_WRITE, DEVMM_IOC_MAGIC, 0, (size))

int main(int argc, char **argv)
{
	unsigned long long expect_caps = lane_env_num("LANE_EXPECT_CAPS");
	int expect_private = lane_env_num("LANE_EXPECT_PRIVATE");
	struct devmm_info info;
	unsigned char big[sizeof(info) + 64];
	struct stat st;
	void *unmapped;
	char params[128];
	int fd, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: %s devmm.ko\n", argv[0]);
		return 2;
	}
	tap_plan(22);
	snprintf(params, sizeof(params), "coherent=%s", lane_env("LANE_COHERENT_A"));
	ret = devmm_load(argv[1], params);
	if (!ok(ret == 0, "load devmm %s (%s)", params, errname(ret))) {
		printf("Bail out! cannot load devmm\n");
		return 1;
	}

	ret = stat(DEVMM_CONTROL_PATH, &st);
	ok(ret == 0 && S_ISCHR(st.st_mode), "%s is a character device", DEVMM_CONTROL_PATH);
	ok(ret == 0 && major(st.st_rdev) == 10, "it is a misc device (major %u)",
	   major(st.st_rdev));
	ok(ret == 0 && (st.st_mode & 0777) == 0600, "mode 0600 (%o)", st.st_mode & 0777);

	fd = open(DEVMM_CONTROL_PATH, O_RDWR | O_CLOEXEC);
	if (!ok(fd >= 0, "open %s", DEVMM_CONTROL_PATH)) {
		printf("Bail out! cannot open the control device\n");
		return 1;
	}

	memset(&info, 0, sizeof(info));
	ret = ioctl(fd, DEVMM_IOC_INFO, &info) ? -errno : 0;
	ok(ret == 0, "DEVMM_IOC_INFO (%s)", errname(ret));
	ok(info.abi_major == DEVMM_ABI_MAJOR,
	   "ABI %u.%u", info.abi_major, info.abi_minor);
	ok(info.caps == expect_caps, "caps 0x%llx (expected 0x%llx for this lane)",
	   (unsigned long long)info.caps, expect_caps);
	ok(!!(info.caps & DEVMM_CAP_PRIVATE) == !!expect_private,
	   "private memory %s, as expected on this kernel",
	   expect_private ? "supported" : "unsupported");
	ok(info.ndevices == info.nprivate + info.ncoherent &&
	   info.nprivate == (expect_private ? 2u : 0u) && info.ncoherent == 1,
	   "devices: %u = %u private + %u coherent", info.ndevices, info.nprivate,
	   info.ncoherent);
	ok(info.page_size == (uint32_t)sysconf(_SC_PAGESIZE) && info.version[0] &&
	   memchr(info.version, 0, sizeof(info.version)),
	   "page size %u, version '%s'", info.page_size, info.version);

	/* Sizes: shorter than the first published struct, or over a page. */
	ret = ioctl(fd, INFO_CMD(16), &info) ? -errno : 0;
	ok(ret == -EINVAL, "INFO with a 16-byte struct gives EINVAL (%s)", errname(ret));
	ret = ioctl(fd, INFO_CMD(DEVMM_INFO_SIZE_VER0 - 8), &info) ? -errno : 0;
	ok(ret == -EINVAL, "INFO with a truncated struct gives EINVAL (%s)", errname(ret));
	/* A longer struct from a newer user space: zero tail accepted, and zeroed. */
	memset(big, 0, sizeof(big));
	ret = ioctl(fd, INFO_CMD(sizeof(big)), big) ? -errno : 0;
	ok(ret == 0 && ((struct devmm_info *)big)->abi_major == DEVMM_ABI_MAJOR,
	   "INFO with a longer, zero-padded struct (%s)", errname(ret));
	big[sizeof(info) + 3] = 1;
	ret = ioctl(fd, INFO_CMD(sizeof(big)), big) ? -errno : 0;
	ok(ret == -EINVAL, "INFO with unknown non-zero trailing bytes gives EINVAL (%s)",
	   errname(ret));

	/* Input fields that must be zero. */
	memset(&info, 0, sizeof(info));
	info.flags = 1;
	ret = ioctl(fd, DEVMM_IOC_INFO, &info) ? -errno : 0;
	ok(ret == -EINVAL, "INFO with unknown flags gives EINVAL (%s)", errname(ret));
	memset(&info, 0, sizeof(info));
	info.reserved[7] = 1;
	ret = ioctl(fd, DEVMM_IOC_INFO, &info) ? -errno : 0;
	ok(ret == -EINVAL, "INFO with a non-zero reserved field gives EINVAL (%s)",
	   errname(ret));

	/* A pointer to nothing. */
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ret = ioctl(fd, DEVMM_IOC_INFO, unmapped) ? -errno : 0;
	ok(ret == -EFAULT, "INFO into an inaccessible buffer gives EFAULT (%s)", errname(ret));

	/* Unknown commands. */
	ret = ioctl(fd, _IOWR(DEVMM_IOC_MAGIC, 0x7f, struct devmm_info), &info) ? -errno : 0;
	ok(ret == -ENOTTY, "unknown command number gives ENOTTY (%s)", errname(ret));
	ret = ioctl(fd, _IOWR('H', 0x00, struct devmm_info), &info) ? -errno : 0;
	ok(ret == -ENOTTY, "foreign ioctl magic gives ENOTTY (%s)", errname(ret));
	memset(&info, 0, sizeof(info));
	ret = ioctl(fd, _IOR(DEVMM_IOC_MAGIC, 0, struct devmm_info), &info) ? -errno : 0;
	ok(ret == -ENOTTY, "INFO number with the wrong direction gives ENOTTY (%s)",
	   errname(ret));

	close(fd);
	ret = devmm_unload();
	ok(ret == 0, "unload (%s)", errname(ret));
	return tap_done();
}
