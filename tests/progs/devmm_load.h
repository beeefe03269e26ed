/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading and unloading devmm with the raw system calls: shared by the
 * test programs (through devmm_test.h) and t_libdevmm, which tests libdevmm
 * and so names errnos the library's way rather than devmm_test.h's.
 */
#ifndef DEVMM_LOAD_H
#define DEVMM_LOAD_H

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Load the module at @ko with @params; 0 or -errno. */
static inline int devmm_load(const char *ko, const char *params)
{
	int fd = open(ko, O_RDONLY | O_CLOEXEC), ret, err;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	err = errno;
	close(fd);
	return ret ? -err : 0;
}

/* Unload devmm without waiting; 0 or -errno. */
static inline int devmm_unload(void)
{
	return syscall(SYS_delete_module, "devmm", O_NONBLOCK) ? -errno : 0;
}

#endif /* DEVMM_LOAD_H */
