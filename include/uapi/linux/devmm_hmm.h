/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * devmm: the ioctl ABI of the kernel's test_hmm module (lib/test_hmm_uapi.h),
 * which every devmm device node /dev/devmmN also accepts, with test_hmm's
 * semantics, so that tools written for test_hmm (the mm selftest hmm-tests)
 * run against devmm.  With dmirror_compat=1, /dev/hmm_dmirror0 and 1 are the
 * first two private devices (or memory-less mirror devices on kernels
 * without device-private memory) and /dev/hmm_dmirror2 and 3 the first two
 * coherent devices.  devmm's own ABI is <linux/devmm.h>; its
 * DEVMM_IOC_SNAPSHOT writes the HMM_DMIRROR_PROT_* bytes below.
 *
 * The same ioctl numbers and struct layout as test_hmm's header: a program
 * may include that one instead, or first (this one then adds nothing).
 */
#ifndef _UAPI_LINUX_DEVMM_HMM_H
#define _UAPI_LINUX_DEVMM_HMM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#ifndef HMM_DMIRROR_READ
struct hmm_dmirror_cmd {
	__u64 addr;
	__u64 ptr;
	__u64 npages;
	__u64 cpages;
	__u64 faults;
};

#define HMM_DMIRROR_READ		_IOWR('H', 0x00, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_WRITE		_IOWR('H', 0x01, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_MIGRATE_TO_DEV	_IOWR('H', 0x02, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_MIGRATE_TO_SYS	_IOWR('H', 0x03, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_SNAPSHOT		_IOWR('H', 0x04, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_EXCLUSIVE		_IOWR('H', 0x05, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_CHECK_EXCLUSIVE	_IOWR('H', 0x06, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_RELEASE		_IOWR('H', 0x07, struct hmm_dmirror_cmd)
#define HMM_DMIRROR_FLAGS		_IOWR('H', 0x08, struct hmm_dmirror_cmd)

/*
 * HMM_DMIRROR_FLAGS: fail the next allocation of a large (PMD-sized) device
 * or system folio for this file, once, to exercise the fallback to single
 * pages.  (test_hmm fails the next allocation of any size; the selftest
 * only uses the flag on THP-sized ranges, and devmm's coherent devices and
 * kernels before 7.x have no large device folios to fail.)
 */
#define HMM_DMIRROR_FLAG_FAIL_ALLOC	(1ULL << 0)

/* Snapshot bytes: a base value, plus READ or WRITE, plus PMD or PUD. */
enum {
	HMM_DMIRROR_PROT_ERROR			= 0xFF,
	HMM_DMIRROR_PROT_NONE			= 0x00,
	HMM_DMIRROR_PROT_READ			= 0x01,
	HMM_DMIRROR_PROT_WRITE			= 0x02,
	HMM_DMIRROR_PROT_PMD			= 0x04,
	HMM_DMIRROR_PROT_PUD			= 0x08,
	HMM_DMIRROR_PROT_ZERO			= 0x10,
	HMM_DMIRROR_PROT_DEV_PRIVATE_LOCAL	= 0x20,
	HMM_DMIRROR_PROT_DEV_PRIVATE_REMOTE	= 0x30,
	HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL	= 0x40,
	HMM_DMIRROR_PROT_DEV_COHERENT_REMOTE	= 0x50,
};
#endif /* HMM_DMIRROR_READ */

#endif /* _UAPI_LINUX_DEVMM_HMM_H */
