/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libdevmm: a small C library over the ioctl ABI of devmm
 * (<linux/devmm.h>): the control device /dev/devmm and the device nodes
 * /dev/devmmN.
 *
 * Conventions:
 *  - Every function that can fail returns 0 (or a file descriptor, for the
 *    open functions) on success and a negative errno on failure, as the
 *    kernel does; errno itself is left as the failing call set it.
 *  - devmm_strerror(op, err) says what errno @err means for operation @op,
 *    with the meanings documented in <linux/devmm.h> (e.g. EBUSY from
 *    DESTROY: the device has live mmap buffers).
 *  - Structs are the ABI's own, zeroed by the library before each call, so
 *    reserved fields are always zero.
 *  - File descriptors are opened O_CLOEXEC and belong to the caller.  A
 *    device node's file mirrors its opener's address space: only the
 *    process that opened it may use it (a fork child gets -EPERM).
 *
 * Link with -ldevmm (pkg-config libdevmm).
 */
#ifndef LIBDEVMM_H
#define LIBDEVMM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/devmm.h>
/* The HMM_DMIRROR_PROT_* bytes of devmm_snapshot(). */
#include <linux/devmm_hmm.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Operations, for devmm_strerror() and devmm_op_name(). */
enum devmm_op {
	DEVMM_OP_OPEN_CONTROL,		/* devmm_open_control() */
	DEVMM_OP_OPEN_NODE,		/* devmm_open_node() */
	DEVMM_OP_INFO,			/* DEVMM_IOC_INFO */
	DEVMM_OP_CREATE_PRIVATE,	/* DEVMM_IOC_CREATE, DEVMM_KIND_PRIVATE */
	DEVMM_OP_CREATE_COHERENT,	/* DEVMM_IOC_CREATE, DEVMM_KIND_COHERENT */
	DEVMM_OP_CREATE_MIRROR,		/* DEVMM_IOC_CREATE, DEVMM_KIND_MIRROR */
	DEVMM_OP_DESTROY,		/* DEVMM_IOC_DESTROY */
	DEVMM_OP_EVICT,			/* DEVMM_IOC_EVICT */
	DEVMM_OP_SET_CAPACITY,		/* DEVMM_IOC_SET_CAPACITY */
	DEVMM_OP_SET_POLICY,		/* DEVMM_IOC_SET_POLICY */
	DEVMM_OP_QUERY,			/* DEVMM_IOC_QUERY (devmm_query) */
	DEVMM_OP_FIND,			/* DEVMM_IOC_QUERY for one id (devmm_find) */
	DEVMM_OP_DEV_INFO,		/* DEVMM_IOC_DEV_INFO */
	DEVMM_OP_READ,			/* DEVMM_IOC_READ */
	DEVMM_OP_WRITE,			/* DEVMM_IOC_WRITE */
	DEVMM_OP_MIGRATE_TO_DEV,	/* DEVMM_IOC_MIGRATE_TO_DEV */
	DEVMM_OP_MIGRATE_TO_SYS,	/* DEVMM_IOC_MIGRATE_TO_SYS */
	DEVMM_OP_SNAPSHOT,		/* DEVMM_IOC_SNAPSHOT */
	DEVMM_OP_EXCLUSIVE,		/* DEVMM_IOC_EXCLUSIVE */
	DEVMM_OP_PIN,			/* DEVMM_IOC_PIN */
	DEVMM_OP_UNPIN,			/* DEVMM_IOC_UNPIN */
	/* ABI 1.1; appended, so that the codes above keep their values. */
	DEVMM_OP_SETTINGS,		/* DEVMM_IOC_SETTINGS */
	DEVMM_OP_SET_ATTR,		/* DEVMM_IOC_SET_ATTR */
	DEVMM_OP_GET_ATTR,		/* DEVMM_IOC_GET_ATTR */
	DEVMM_OP_ACCESS,		/* DEVMM_IOC_ACCESS */
	DEVMM_OP_COUNT
};

/*
 * What errno @err (positive or negative; 0 is "success") means for
 * operation @op: a static string, never NULL.  Errnos the ABI does not
 * document for @op get strerror()'s text.
 */
const char *devmm_strerror(enum devmm_op op, int err);
/* A short name of @op ("destroy", "migrate to device", ...). */
const char *devmm_op_name(enum devmm_op op);
/* The symbolic name of @err ("EBUSY"), or NULL for an uncommon errno. */
const char *devmm_errno_name(int err);

/* The control device /dev/devmm: a file descriptor, or -errno. */
int devmm_open_control(void);

/*
 * DEVMM_IOC_INFO.  -EPROTO if the module speaks another major ABI version
 * than this library (@info is filled in all the same).
 */
int devmm_info(int ctl, struct devmm_info *info);

/*
 * DEVMM_IOC_CREATE: a device of @c->kind; the library zeroes nothing in @c
 * but its output, @c->id.  The helpers below fill @c in.
 */
int devmm_create(int ctl, struct devmm_create *c);
/* A private device of @capacity bytes (0: the module's default). */
int devmm_create_private(int ctl, uint64_t capacity, uint32_t policy, uint32_t *id);
/* A coherent device over the reserved physical range [@base, @base + @size). */
int devmm_create_coherent(int ctl, uint64_t base, uint64_t size, uint32_t policy,
			  uint32_t *id);
/* A mirror-only device (no memory of its own). */
int devmm_create_mirror(int ctl, uint32_t policy, uint32_t *id);

/* DEVMM_IOC_DESTROY: every page of device @id comes home first. */
int devmm_destroy(int ctl, uint32_t id);
/*
 * DEVMM_IOC_EVICT: evict @bytes (0: everything) from device @id;
 * @evicted (may be NULL) gets the bytes that moved.
 */
int devmm_evict(int ctl, uint32_t id, uint64_t bytes, uint64_t *evicted);
/* DEVMM_IOC_SET_CAPACITY: shrinking evicts down to @bytes. */
int devmm_set_capacity(int ctl, uint32_t id, uint64_t bytes);
/* DEVMM_IOC_SET_POLICY: a DEVMM_POLICY_* (an ABI 1.0 module: LRU or FIFO only). */
int devmm_set_policy(int ctl, uint32_t id, uint32_t policy);
/*
 * DEVMM_IOC_QUERY: the device with the lowest number >= @from, or -ENOENT
 * if there is none.  To list: from 0, then from info->id + 1.
 */
int devmm_query(int ctl, uint32_t from, struct devmm_dev_info *info);
/* The device numbered exactly @id, or -ENODEV. */
int devmm_find(int ctl, uint32_t id, struct devmm_dev_info *info);

/* The node /dev/devmm@id of a device: a file descriptor, or -errno. */
int devmm_open_node(uint32_t id);
/* DEVMM_IOC_DEV_INFO on a device node. */
int devmm_dev_info(int fd, struct devmm_dev_info *info);

/*
 * Range commands on a device node, over @npages pages of the caller's
 * address space from the page-aligned @addr.  @cpages (may be NULL) gets
 * the pages the command handled, @faults (may be NULL) the device fault
 * rounds a read or write needed.
 */
/* The device reads the range into @buf (npages pages). */
int devmm_read(int fd, const void *addr, uint64_t npages, void *buf, uint64_t *cpages,
	       uint64_t *faults);
/* The device writes @buf (npages pages) to the range. */
int devmm_write(int fd, void *addr, uint64_t npages, const void *buf, uint64_t *cpages,
		uint64_t *faults);
/* Anonymous pages move to the device (pages already there count). */
int devmm_migrate_to_dev(int fd, void *addr, uint64_t npages, uint64_t *cpages);
/* This device's pages in the range come back to system memory. */
int devmm_migrate_to_sys(int fd, void *addr, uint64_t npages, uint64_t *cpages);
/* One HMM_DMIRROR_PROT_* byte per page into @prot, without faulting. */
int devmm_snapshot(int fd, const void *addr, uint64_t npages, uint8_t *prot);
/* Exclusive (atomic) device access to the range (DEVMM_CAP_EXCLUSIVE). */
int devmm_exclusive(int fd, void *addr, uint64_t npages);
/* Pin the range; @flags: 0 or DEVMM_RANGE_LONGTERM. */
int devmm_pin(int fd, void *addr, uint64_t npages, uint32_t flags);
/* Unpin exactly a range pinned before. */
int devmm_unpin(int fd, void *addr, uint64_t npages);

/*
 * DEVMM_IOC_SETTINGS (ABI 1.1): @s->id names the device, @s->mask the
 * fields to change (0 only reads); @s gets the settings after the change.
 */
int devmm_settings(int ctl, struct devmm_settings *s);
/*
 * DEVMM_IOC_SET_ATTR (ABI 1.1) on a device node: the DEVMM_ATTR_* fields of
 * @mask from @a, over @npages pages from @addr.
 */
int devmm_set_attr(int fd, void *addr, uint64_t npages, uint32_t mask,
		   const struct devmm_attr *a);
/*
 * DEVMM_IOC_GET_ATTR (ABI 1.1): the attributes at @addr into @a, whose
 * npages says how many of the @npages pages from @addr share them.
 */
int devmm_get_attr(int fd, const void *addr, uint64_t npages, struct devmm_attr *a);
/*
 * ABI 1.2: another process's range attributes.  devmm_open_process_node()
 * returns (O_CLOEXEC) a file of device @id that process @pid opened and has
 * open (not one it inherited: the files' fdinfo says), taken with
 * pidfd_getfd(2), which needs ptrace-attach rights over @pid; or -ENOENT
 * (no such file), -EPERM, -ESRCH (no such process), -EINVAL (a thread's id,
 * not a process's), -ENOSYS (kernel before 5.6).  On it, devmm_set_attr() with DEVMM_ATTR_OPENER in @mask and
 * devmm_get_attr_opener() act on @pid's memory, at its addresses.
 */
int devmm_open_process_node(pid_t pid, uint32_t id);
int devmm_get_attr_opener(int fd, uint64_t addr, uint64_t npages, struct devmm_attr *a);
/*
 * DEVMM_IOC_ACCESS (ABI 1.1): @count device accesses in order; @done (may
 * be NULL) gets the entries completed (on an error, the failing one's
 * index).
 */
int devmm_access(int fd, const struct devmm_access *acc, uint32_t count, uint32_t *done);

/* "private", "coherent", "mirror-only", or "unknown". */
const char *devmm_kind_name(uint32_t kind);
/* "lru", "fifo", "clock", "random", "lfu", "uvm", or "unknown". */
const char *devmm_policy_name(uint32_t policy);
/* A policy's name (any case) into DEVMM_POLICY_*: 0 or -EINVAL. */
int devmm_parse_policy(const char *s, uint32_t *policy);
/*
 * A size: decimal or 0x-prefixed hexadecimal, optionally followed by one
 * binary suffix K, M, G or T (any case, as in memparse(); an optional "iB"
 * or "B" after it is accepted).  0, -EINVAL for malformed input, -ERANGE
 * past 2^64 - 1.
 */
int devmm_parse_size(const char *s, uint64_t *size);

#ifdef __cplusplus
}
#endif

#endif /* LIBDEVMM_H */
