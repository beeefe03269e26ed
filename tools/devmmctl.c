// SPDX-License-Identifier: GPL-2.0
/*
 * devmmctl: command-line control of devmm through /dev/devmm.
 *
 *   devmmctl info [--json]     what the module is and can do
 *
 * Exit codes: 0 success, 1 the request failed, 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
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

static int usage(void)
{
	fprintf(stderr, "usage: devmmctl info [--json]\n");
	return 2;
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
	if (argc >= 2 && !strcmp(argv[1], "info")) {
		if (argc == 2)
			return cmd_info(0);
		if (argc == 3 && !strcmp(argv[2], "--json"))
			return cmd_info(1);
	}
	return usage();
}
