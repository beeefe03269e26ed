// SPDX-License-Identifier: GPL-2.0
/*
 * libdevmm: the ioctls of /dev/devmm and /dev/devmmN, and what their errnos
 * mean.  See libdevmm.h; the ABI is include/uapi/linux/devmm.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "libdevmm.h"

/* Both since Linux 5.6; older C libraries may lack their numbers. */
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

int devmm_open_control(void)
{
	int fd = open("/dev/" DEVMM_CONTROL_NAME, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int devmm_open_node(uint32_t id)
{
	char path[32];
	int fd;

	snprintf(path, sizeof(path), "/dev/" DEVMM_NODE_PREFIX "%u", id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int devmm_info(int ctl, struct devmm_info *info)
{
	int ret;

	memset(info, 0, sizeof(*info));
	ret = xioctl(ctl, DEVMM_IOC_INFO, info);
	if (!ret && info->abi_major != DEVMM_ABI_MAJOR)
		ret = -EPROTO;
	return ret;
}

int devmm_create(int ctl, struct devmm_create *c)
{
	c->id = 0;
	return xioctl(ctl, DEVMM_IOC_CREATE, c);
}

static int create(int ctl, uint32_t kind, uint64_t capacity, uint64_t base, uint64_t size,
		  uint32_t policy, uint32_t *id)
{
	struct devmm_create c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	c.capacity = capacity;
	c.base = base;
	c.size = size;
	c.policy = policy;
	ret = devmm_create(ctl, &c);
	if (!ret && id)
		*id = c.id;
	return ret;
}

int devmm_create_private(int ctl, uint64_t capacity, uint32_t policy, uint32_t *id)
{
	return create(ctl, DEVMM_KIND_PRIVATE, capacity, 0, 0, policy, id);
}

int devmm_create_coherent(int ctl, uint64_t base, uint64_t size, uint32_t policy, uint32_t *id)
{
	return create(ctl, DEVMM_KIND_COHERENT, 0, base, size, policy, id);
}

int devmm_create_mirror(int ctl, uint32_t policy, uint32_t *id)
{
	return create(ctl, DEVMM_KIND_MIRROR, 0, 0, 0, policy, id);
}

static int dev_cmd(int ctl, unsigned long cmd, uint32_t id, uint64_t value, uint64_t *result)
{
	struct devmm_dev_cmd c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.id = id;
	c.value = value;
	ret = xioctl(ctl, cmd, &c);
	if (!ret && result)
		*result = c.result;
	return ret;
}

int devmm_destroy(int ctl, uint32_t id)
{
	return dev_cmd(ctl, DEVMM_IOC_DESTROY, id, 0, NULL);
}

int devmm_evict(int ctl, uint32_t id, uint64_t bytes, uint64_t *evicted)
{
	return dev_cmd(ctl, DEVMM_IOC_EVICT, id, bytes, evicted);
}

int devmm_set_capacity(int ctl, uint32_t id, uint64_t bytes)
{
	return dev_cmd(ctl, DEVMM_IOC_SET_CAPACITY, id, bytes, NULL);
}

int devmm_set_policy(int ctl, uint32_t id, uint32_t policy)
{
	return dev_cmd(ctl, DEVMM_IOC_SET_POLICY, id, policy, NULL);
}

int devmm_query(int ctl, uint32_t from, struct devmm_dev_info *info)
{
	struct devmm_dev_query q;
	int ret;

	memset(&q, 0, sizeof(q));
	q.id = from;
	ret = xioctl(ctl, DEVMM_IOC_QUERY, &q);
	if (!ret)
		memcpy(info, &q.info, sizeof(*info));
	return ret;
}

int devmm_find(int ctl, uint32_t id, struct devmm_dev_info *info)
{
	int ret = devmm_query(ctl, id, info);

	if (ret == -ENOENT || (!ret && info->id != id))
		return -ENODEV;
	return ret;
}

int devmm_dev_info(int fd, struct devmm_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	return xioctl(fd, DEVMM_IOC_DEV_INFO, info);
}

int devmm_settings(int ctl, struct devmm_settings *s)
{
	return xioctl(ctl, DEVMM_IOC_SETTINGS, s);
}

int devmm_set_attr(int fd, void *addr, uint64_t npages, uint32_t mask,
		   const struct devmm_attr *a)
{
	struct devmm_attr c = *a;

	c.addr = (uintptr_t)addr;
	c.npages = npages;
	c.mask = mask;
	return xioctl(fd, DEVMM_IOC_SET_ATTR, &c);
}

int devmm_get_attr(int fd, const void *addr, uint64_t npages, struct devmm_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->addr = (uintptr_t)addr;
	a->npages = npages;
	return xioctl(fd, DEVMM_IOC_GET_ATTR, a);
}

int devmm_get_attr_opener(int fd, uint64_t addr, uint64_t npages, struct devmm_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->addr = addr;
	a->npages = npages;
	a->mask = DEVMM_ATTR_OPENER;
	return xioctl(fd, DEVMM_IOC_GET_ATTR, a);
}

/*
 * From /proc/@pid/fdinfo/@fd (@pid 0: ours): the devmm device of the file
 * and the process whose memory it mirrors.  0, or -errno (-ENOENT for a file
 * that is not a device file of devmm).
 */
static int fdinfo(pid_t pid, int fd, uint32_t *id, long *opener)
{
	char path[64], line[128];
	int have = 0, ret = 0;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	else
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "devmm-device: %" SCNu32, id) == 1)
			have |= 1;
		else if (sscanf(line, "devmm-opener: %ld", opener) == 1)
			have |= 2;
	}
	if (ferror(f))
		ret = -EIO;
	fclose(f);
	return ret ? ret : have == 3 ? 0 : -ENOENT;
}

int devmm_open_process_node(pid_t pid, uint32_t id)
{
	int pidfd, ret = -ENOENT;
	struct dirent *e;
	char dir[32];
	DIR *d;

	if (pid <= 0)
		return -ESRCH;
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	if (!d) {
		ret = errno == ENOENT ? -ESRCH : errno == EACCES ? -EPERM : -errno;
		close(pidfd);
		return ret;
	}
	while ((e = readdir(d))) {
		uint32_t fid;
		long opener;
		char *end;
		long tfd;
		int fd, r;

		tfd = strtol(e->d_name, &end, 10);
		if (*end || end == e->d_name || tfd < 0 || tfd > INT_MAX)
			continue;
		/* Its own file of the device, not one it inherited or was passed. */
		r = fdinfo(pid, tfd, &fid, &opener);
		if (r == -EACCES || r == -EPERM) {
			ret = -EPERM;
			break;
		}
		if (r || fid != id || opener != pid)
			continue;
		/* The kernel checks ptrace-attach rights over @pid here. */
		fd = syscall(SYS_pidfd_getfd, pidfd, (int)tfd, 0);
		if (fd < 0) {
			if (errno == EBADF)
				continue;	/* closed meanwhile */
			ret = -errno;
			break;
		}
		/* The descriptor may have been reused since: ask the file we got. */
		if (!fdinfo(0, fd, &fid, &opener) && fid == id && opener == pid) {
			ret = fd;
			break;
		}
		close(fd);
	}
	closedir(d);
	close(pidfd);
	return ret;
}

int devmm_access(int fd, const struct devmm_access *acc, uint32_t count, uint32_t *done)
{
	struct devmm_access_batch b;
	int ret;

	memset(&b, 0, sizeof(b));
	b.ptr = (uintptr_t)acc;
	b.count = count;
	ret = xioctl(fd, DEVMM_IOC_ACCESS, &b);
	if (done)
		*done = b.done;
	return ret;
}

static int range(int fd, unsigned long cmd, const void *addr, uint64_t npages, const void *ptr,
		 uint32_t flags, uint64_t *cpages, uint64_t *faults)
{
	struct devmm_range_cmd c;
	int ret;

	memset(&c, 0, sizeof(c));
	c.addr = (uintptr_t)addr;
	c.npages = npages;
	c.ptr = (uintptr_t)ptr;
	c.flags = flags;
	ret = xioctl(fd, cmd, &c);
	/* The kernel copies the counts out only on success. */
	if (cpages)
		*cpages = ret ? 0 : c.cpages;
	if (faults)
		*faults = ret ? 0 : c.faults;
	return ret;
}

int devmm_read(int fd, const void *addr, uint64_t npages, void *buf, uint64_t *cpages,
	       uint64_t *faults)
{
	return range(fd, DEVMM_IOC_READ, addr, npages, buf, 0, cpages, faults);
}

int devmm_write(int fd, void *addr, uint64_t npages, const void *buf, uint64_t *cpages,
		uint64_t *faults)
{
	return range(fd, DEVMM_IOC_WRITE, addr, npages, buf, 0, cpages, faults);
}

int devmm_migrate_to_dev(int fd, void *addr, uint64_t npages, uint64_t *cpages)
{
	return range(fd, DEVMM_IOC_MIGRATE_TO_DEV, addr, npages, NULL, 0, cpages, NULL);
}

int devmm_migrate_to_sys(int fd, void *addr, uint64_t npages, uint64_t *cpages)
{
	return range(fd, DEVMM_IOC_MIGRATE_TO_SYS, addr, npages, NULL, 0, cpages, NULL);
}

int devmm_snapshot(int fd, const void *addr, uint64_t npages, uint8_t *prot)
{
	return range(fd, DEVMM_IOC_SNAPSHOT, addr, npages, prot, 0, NULL, NULL);
}

int devmm_exclusive(int fd, void *addr, uint64_t npages)
{
	return range(fd, DEVMM_IOC_EXCLUSIVE, addr, npages, NULL, 0, NULL, NULL);
}

int devmm_pin(int fd, void *addr, uint64_t npages, uint32_t flags)
{
	return range(fd, DEVMM_IOC_PIN, addr, npages, NULL, flags, NULL, NULL);
}

int devmm_unpin(int fd, void *addr, uint64_t npages)
{
	return range(fd, DEVMM_IOC_UNPIN, addr, npages, NULL, 0, NULL, NULL);
}

/* Names and parsing. */

const char *devmm_kind_name(uint32_t kind)
{
	switch (kind) {
	case DEVMM_KIND_PRIVATE: return "private";
	case DEVMM_KIND_COHERENT: return "coherent";
	case DEVMM_KIND_MIRROR: return "mirror-only";
	default: return "unknown";
	}
}

static const char *const policy_names[] = {
	[DEVMM_POLICY_LRU] = "lru",
	[DEVMM_POLICY_FIFO] = "fifo",
	[DEVMM_POLICY_CLOCK] = "clock",
	[DEVMM_POLICY_RANDOM] = "random",
	[DEVMM_POLICY_LFU] = "lfu",
	[DEVMM_POLICY_UVM] = "uvm",
};

const char *devmm_policy_name(uint32_t policy)
{
	return policy <= DEVMM_POLICY_MAX ? policy_names[policy] : "unknown";
}

int devmm_parse_policy(const char *s, uint32_t *policy)
{
	uint32_t i;

	for (i = 0; i <= DEVMM_POLICY_MAX; i++) {
		if (!strcasecmp(s, policy_names[i])) {
			*policy = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int digit(char c, unsigned int base)
{
	int d;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	else
		return -1;
	return d < (int)base ? d : -1;
}

int devmm_parse_size(const char *s, uint64_t *size)
{
	unsigned int base = 10, shift = 0;
	uint64_t v = 0;
	int d, n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; (d = digit(*s, base)) >= 0; s++, n++) {
		if (v > (UINT64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	if (!n)
		return -EINVAL;
	switch (*s) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (shift) {
		s++;
		if (!strcmp(s, "iB"))
			s += 2;
		else if (!strcmp(s, "B"))
			s++;
		if (v > UINT64_MAX >> shift)
			return -ERANGE;
		v <<= shift;
	}
	if (*s)
		return -EINVAL;
	*size = v;
	return 0;
}

/* Errors. */

static const char *const op_names[DEVMM_OP_COUNT] = {
	[DEVMM_OP_OPEN_CONTROL] = "open /dev/" DEVMM_CONTROL_NAME,
	[DEVMM_OP_OPEN_NODE] = "open device node",
	[DEVMM_OP_INFO] = "info",
	[DEVMM_OP_CREATE_PRIVATE] = "create private device",
	[DEVMM_OP_CREATE_COHERENT] = "create coherent device",
	[DEVMM_OP_CREATE_MIRROR] = "create mirror-only device",
	[DEVMM_OP_DESTROY] = "destroy",
	[DEVMM_OP_EVICT] = "evict",
	[DEVMM_OP_SET_CAPACITY] = "set capacity",
	[DEVMM_OP_SET_POLICY] = "set policy",
	[DEVMM_OP_QUERY] = "query",
	[DEVMM_OP_FIND] = "find device",
	[DEVMM_OP_DEV_INFO] = "device info",
	[DEVMM_OP_READ] = "device read",
	[DEVMM_OP_WRITE] = "device write",
	[DEVMM_OP_MIGRATE_TO_DEV] = "migrate to device",
	[DEVMM_OP_MIGRATE_TO_SYS] = "migrate to system memory",
	[DEVMM_OP_SNAPSHOT] = "snapshot",
	[DEVMM_OP_EXCLUSIVE] = "exclusive access",
	[DEVMM_OP_PIN] = "pin",
	[DEVMM_OP_UNPIN] = "unpin",
	[DEVMM_OP_SETTINGS] = "settings",
	[DEVMM_OP_SET_ATTR] = "set range attributes",
	[DEVMM_OP_GET_ATTR] = "get range attributes",
	[DEVMM_OP_ACCESS] = "batched device access",
};

const char *devmm_op_name(enum devmm_op op)
{
	return (unsigned int)op < DEVMM_OP_COUNT ? op_names[op] : "unknown operation";
}

static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" }, { EINTR, "EINTR" },
	{ EIO, "EIO" },
	{ ENXIO, "ENXIO" }, { E2BIG, "E2BIG" }, { EBADF, "EBADF" }, { EAGAIN, "EAGAIN" },
	{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },
	{ EEXIST, "EEXIST" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" }, { ENOTTY, "ENOTTY" },
	{ ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" }, { EPROTO, "EPROTO" },
	{ EOPNOTSUPP, "EOPNOTSUPP" }, { ENOEXEC, "ENOEXEC" }, { EKEYREJECTED, "EKEYREJECTED" },
};

const char *devmm_errno_name(int err)
{
	unsigned int i;

	if (err < 0)
		err = -err;
	for (i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i].err == err)
			return errno_names[i].name;
	return NULL;
}

/* Meanings shared by the range commands of a device node. */
static const char *range_strerror(enum devmm_op op, int err)
{
	switch (err) {
	case ENODEV:
		return "the device was destroyed under this file";
	case EPERM:
		if (op == DEVMM_OP_WRITE)
			return "read-only memory in the range, or the file belongs to another "
			       "process (device files are not shared across fork)";
		return "the file belongs to another process (device files are not shared "
		       "across fork)";
	case ESRCH:
		return "the address space of the process that opened the file is gone";
	case EINVAL:
		if (op == DEVMM_OP_MIGRATE_TO_DEV || op == DEVMM_OP_MIGRATE_TO_SYS)
			return "bad range: unaligned, empty, wrapping, beyond the user address "
			       "space, or not wholly covered by readable mappings";
		return "bad range (unaligned, empty, wrapping or beyond the user address "
		       "space), flags or reserved fields";
	case ENOMEM:
		if (op == DEVMM_OP_MIGRATE_TO_SYS)
			return "out of system memory: some pages stay on the device";
		if (op == DEVMM_OP_MIGRATE_TO_DEV)
			return "out of device or system memory";
		return "out of memory";
	case EOPNOTSUPP:
		if (op == DEVMM_OP_EXCLUSIVE)
			return "the kernel offers no exclusive device access (no "
			       "DEVMM_CAP_EXCLUSIVE)";
		if (op == DEVMM_OP_MIGRATE_TO_DEV || op == DEVMM_OP_MIGRATE_TO_SYS)
			return "a mirror-only device has no memory to migrate to or from";
		break;
	case EFAULT:
		if (op == DEVMM_OP_READ || op == DEVMM_OP_WRITE)
			return "unmapped or PROT_NONE memory in the range, or a bad buffer";
		if (op == DEVMM_OP_PIN)
			return "the range is not wholly mapped writable memory";
		return "bad buffer address";
	case EBUSY:
		if (op == DEVMM_OP_READ || op == DEVMM_OP_WRITE)
			return "the range kept changing: too many device fault rounds";
		break;
	case ENOENT:
		if (op == DEVMM_OP_UNPIN)
			return "no pin of exactly this range through this file";
		if (op == DEVMM_OP_READ || op == DEVMM_OP_WRITE)
			return "a page of the range is not present";
		break;
	case ENOSPC:
		if (op == DEVMM_OP_PIN)
			return "too many pages pinned through this file";
		break;
	case EIO:
		if (op == DEVMM_OP_MIGRATE_TO_DEV || op == DEVMM_OP_MIGRATE_TO_SYS)
			return "the device failed to copy the data";
		break;
	case EINTR:
		if (op == DEVMM_OP_READ || op == DEVMM_OP_WRITE)
			return "a fatal signal during demand paging or a device fault round";
		if (op == DEVMM_OP_MIGRATE_TO_DEV || op == DEVMM_OP_MIGRATE_TO_SYS)
			return "a fatal signal: the migration stopped partway";
		break;
	}
	return NULL;
}

/*
 * The ABI 1.1 commands of a device node: range attributes and batched
 * accesses (whose entries can also fail as their own range commands do).
 */
static const char *demand_strerror(enum devmm_op op, int err)
{
	switch (err) {
	case EINVAL:
		if (op == DEVMM_OP_SET_ATTR)
			return "bad attributes: a mask of 0 or with unknown bits, a preferred "
			       "location above DEVMM_LOC_SYSTEM, migrate_on_fault or accessed_by "
			       "above 1, or a granularity other than 4096, 65536 or 2097152 (or a "
			       "bad range: unaligned, empty, wrapping or beyond the user address "
			       "space)";
		if (op == DEVMM_OP_GET_ATTR)
			return "a mask other than 0 or DEVMM_ATTR_OPENER, or a bad range "
			       "(unaligned, empty, wrapping or beyond the user address space)";
		return "more than 65536 entries, or an entry with an unknown op, a non-zero "
		       "reserved field or a bad range (unaligned, empty, wrapping or beyond the "
		       "user address space; for a migration, also not wholly covered by "
		       "readable mappings)";
	case EFAULT:
		if (op == DEVMM_OP_SET_ATTR)
			return "the range is not wholly mapped";
		if (op == DEVMM_OP_ACCESS)
			return "an entry could not be read, or a read or write entry's range has "
			       "unmapped or PROT_NONE memory, or a bad buffer";
		break;
	case EOPNOTSUPP:
		if (op == DEVMM_OP_ACCESS)
			return "a mirror-only device has no memory to migrate to or from (a "
			       "migration entry)";
		return "a mirror-only device has no memory: there is nothing to prefer";
	case ENOSPC:
		if (op == DEVMM_OP_SET_ATTR)
			return "too many ranges of attributes: at most 65536 per device and process";
		break;
	case EPERM:
		if (op == DEVMM_OP_ACCESS)
			return "the file belongs to another process (device files are not shared "
			       "across fork; no entry ran), or a write entry met read-only memory";
		return "the file belongs to another process (DEVMM_ATTR_OPENER acts on its "
		       "opener's memory)";
	case EINTR:
		if (op == DEVMM_OP_ACCESS)
			return "a fatal signal during demand paging or a device fault round";
		if (op == DEVMM_OP_SET_ATTR)
			return "a fatal signal while waiting for the process's memory map";
		break;
	case EBUSY:
		if (op == DEVMM_OP_ACCESS)
			return "a read or write entry's range kept changing: too many device fault "
			       "rounds";
		break;
	case ENOENT:
		if (op == DEVMM_OP_ACCESS)
			return "a page of a read or write entry's range is not present";
		break;
	case ENOMEM:
		if (op == DEVMM_OP_ACCESS)
			return "out of device or system memory";
		break;
	case EIO:
		if (op == DEVMM_OP_ACCESS)
			return "the device failed to copy the data of a migration entry";
		break;
	}
	/* ENODEV, EPERM, ESRCH, ENOMEM: as for the range commands. */
	return range_strerror(op, err);
}

/* Meanings shared by the operations on a device by number. */
static const char *dev_cmd_strerror(enum devmm_op op, int err)
{
	switch (err) {
	case ENODEV:
		return "no such device (or it is being destroyed)";
	case EOPNOTSUPP:
		if (op == DEVMM_OP_EVICT)
			return "a mirror-only device has no memory to evict";
		if (op == DEVMM_OP_SET_CAPACITY)
			return "a mirror-only device has no capacity";
		if (op == DEVMM_OP_SET_POLICY)
			return "a mirror-only device has no memory, so no eviction policy";
		if (op == DEVMM_OP_SETTINGS)
			return "a mirror-only device has no memory, so no eviction or demand-paging "
			       "settings";
		break;
	case EBUSY:
		if (op == DEVMM_OP_DESTROY)
			return "the device has live mmap buffers: unmap them first";
		if (op == DEVMM_OP_EVICT)
			return "pages that could not move (pinned, or their process busy) remain "
			       "on the device";
		if (op == DEVMM_OP_SET_CAPACITY)
			return "pages that could not move (pinned, or their process busy) keep the "
			       "device above the new capacity (which is set all the same)";
		break;
	case EINVAL:
		if (op == DEVMM_OP_SET_CAPACITY)
			return "bad capacity: a non-zero multiple of the page size, at most 1 TiB, "
			       "and for a coherent device at most its range";
		if (op == DEVMM_OP_SET_POLICY)
			return "unknown policy (lru, fifo, clock, random, lfu or uvm; a module of "
			       "ABI 1.0 knows lru and fifo only)";
		if (op == DEVMM_OP_SETTINGS)
			return "bad settings: an unknown mask bit, or for a field the mask names a "
			       "policy above uvm, an eviction batch of 0 or above 512, an eviction "
			       "unit other than page or block, an unknown prefetch or its argument "
			       "out of range (seq: 4 to 2048 KiB, a multiple of 4; density: 1 to "
			       "100 percent; none: 0), or thrashing above 1";
		break;
	case ENOMEM:
		return "out of memory";
	}
	return NULL;
}

static const char *create_strerror(enum devmm_op op, int err)
{
	switch (err) {
	case EOPNOTSUPP:
		if (op == DEVMM_OP_CREATE_PRIVATE)
			return "device-private memory is not supported: the kernel lacks "
			       "CONFIG_DEVICE_PRIVATE";
		if (op == DEVMM_OP_CREATE_COHERENT)
			return "device-coherent memory is not supported by this kernel";
		break;
	case EINVAL:
		if (op == DEVMM_OP_CREATE_PRIVATE)
			return "bad capacity: a multiple of the page size, at most 1 TiB";
		if (op == DEVMM_OP_CREATE_COHERENT)
			return "bad range: it must be whole memory sections (128 MiB on x86-64), "
			       "reserved at boot with memmap= and not System RAM (the kernel log "
			       "says why)";
		break;
	case EBUSY:
		if (op == DEVMM_OP_CREATE_COHERENT)
			return "the range is already in use (another device, or another driver)";
		break;
	case ENOSPC:
		return "too many devices: the module's device limit is reached";
	case ENOMEM:
		return "out of memory";
	}
	return NULL;
}

const char *devmm_strerror(enum devmm_op op, int err)
{
	const char *s = NULL;

	if (err < 0)
		err = -err;
	if (!err)
		return "success";
	switch (op) {
	case DEVMM_OP_OPEN_CONTROL:
		if (err == ENOENT)
			return "/dev/" DEVMM_CONTROL_NAME " does not exist: is the devmm module "
			       "loaded?";
		if (err == EACCES || err == EPERM)
			return "permission denied: /dev/" DEVMM_CONTROL_NAME " is root-only "
			       "unless a udev rule says otherwise";
		if (err == ENODEV || err == ENXIO)
			return "the devmm module is going away";
		break;
	case DEVMM_OP_OPEN_NODE:
		if (err == ENOENT)
			return "no such device node: no device by that number";
		if (err == EACCES || err == EPERM)
			return "permission denied: device nodes are root-only unless a udev rule "
			       "says otherwise";
		if (err == ENODEV || err == ENXIO)
			return "the device is going away";
		if (err == ENOMEM)
			return "out of memory";
		break;
	case DEVMM_OP_INFO:
		if (err == EPROTO)
			return "the module speaks another major ABI version than this library";
		break;
	case DEVMM_OP_CREATE_PRIVATE:
	case DEVMM_OP_CREATE_COHERENT:
	case DEVMM_OP_CREATE_MIRROR:
		s = create_strerror(op, err);
		break;
	case DEVMM_OP_DESTROY:
	case DEVMM_OP_EVICT:
	case DEVMM_OP_SET_CAPACITY:
	case DEVMM_OP_SET_POLICY:
	case DEVMM_OP_SETTINGS:
		s = dev_cmd_strerror(op, err);
		break;
	case DEVMM_OP_QUERY:
		if (err == ENOENT)
			return "no device with that number or a higher one";
		break;
	case DEVMM_OP_FIND:
		if (err == ENODEV || err == ENOENT)
			return "no such device";
		break;
	case DEVMM_OP_DEV_INFO:
		if (err == ENODEV)
			return "the device was destroyed under this file";
		break;
	case DEVMM_OP_READ:
	case DEVMM_OP_WRITE:
	case DEVMM_OP_MIGRATE_TO_DEV:
	case DEVMM_OP_MIGRATE_TO_SYS:
	case DEVMM_OP_SNAPSHOT:
	case DEVMM_OP_EXCLUSIVE:
	case DEVMM_OP_PIN:
	case DEVMM_OP_UNPIN:
		s = range_strerror(op, err);
		break;
	case DEVMM_OP_SET_ATTR:
	case DEVMM_OP_GET_ATTR:
	case DEVMM_OP_ACCESS:
		s = demand_strerror(op, err);
		break;
	default:
		break;
	}
	if (s)
		return s;
	/* What every command of the ABI can give. */
	switch (err) {
	case ENOTTY:
		return "the module does not know this command (an older devmm, or not a devmm "
		       "file)";
	case EINVAL:
		return "invalid argument (bad struct size, flags or reserved fields)";
	case EFAULT:
		return "bad buffer address";
	case EBADF:
		return "not an open file descriptor";
	}
	return strerror(err);
}
