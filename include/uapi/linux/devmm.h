/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * devmm: device-memory manager with a fake device backend.
 * User-space ABI of the control device /dev/devmm.
 *
 * Conventions, for every command of this header:
 *  - The ioctl number encodes the size of the struct user space was built
 *    with.  The kernel accepts any size from the command's first published
 *    size up to one page: a shorter struct gets only the fields it has, a
 *    longer one must be zero past what the kernel knows.  Anything else is
 *    -EINVAL.
 *  - (in) fields are read, (out) fields are written; reserved fields and
 *    unknown flag bits must be zero on input (-EINVAL otherwise) and are
 *    zero on output.
 *  - Unknown commands give -ENOTTY.
 */
#ifndef _UAPI_LINUX_DEVMM_H
#define _UAPI_LINUX_DEVMM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped on incompatible changes (major) and on additions (minor). */
#define DEVMM_ABI_MAJOR		1
#define DEVMM_ABI_MINOR		0

#define DEVMM_CONTROL_NAME	"devmm"
#define DEVMM_IOC_MAGIC		0xDB

/* Capabilities of the running module (struct devmm_info.caps). */
/* MEMORY_DEVICE_PRIVATE pages (needs CONFIG_DEVICE_PRIVATE). */
#define DEVMM_CAP_PRIVATE		(1ULL << 0)
/* MEMORY_DEVICE_COHERENT pages over reserved physical ranges. */
#define DEVMM_CAP_COHERENT		(1ULL << 1)
/* Device folios larger than a page (THP migration to device memory). */
#define DEVMM_CAP_LARGE_FOLIOS		(1ULL << 2)
/* migrate_device_pfns(): eviction of non-contiguous pages in one pass. */
#define DEVMM_CAP_MIGRATE_DEVICE_PFNS	(1ULL << 3)
/* Exclusive (atomic) device access to process pages. */
#define DEVMM_CAP_EXCLUSIVE		(1ULL << 4)
#define DEVMM_CAP_ALL			((1ULL << 5) - 1)

/**
 * struct devmm_info - what the module is and can do (DEVMM_IOC_INFO)
 * @flags: (in) must be 0.
 * @abi_major: (out) DEVMM_ABI_MAJOR of the module.
 * @abi_minor: (out) DEVMM_ABI_MINOR of the module.
 * @caps: (out) DEVMM_CAP_* bits.
 * @ndevices: (out) number of devices, of any kind.
 * @nprivate: (out) of which device-private.
 * @ncoherent: (out) of which device-coherent.
 * @page_size: (out) the kernel's PAGE_SIZE.
 * @private_capacity: (out) default capacity of a private device, in bytes.
 * @version: (out) the module's version string, NUL-terminated.
 * @reserved: must be zero.
 */
struct devmm_info {
	__u32 flags;
	__u32 abi_major;
	__u32 abi_minor;
	__u32 ndevices;
	__u64 caps;
	__u32 nprivate;
	__u32 ncoherent;
	__u32 page_size;
	__u32 reserved0;
	__u64 private_capacity;
	char version[32];
	__u64 reserved[8];
};

/* Size of the first published struct devmm_info. */
#define DEVMM_INFO_SIZE_VER0	144

#define DEVMM_IOC_INFO		_IOWR(DEVMM_IOC_MAGIC, 0x00, struct devmm_info)

#endif /* _UAPI_LINUX_DEVMM_H */
