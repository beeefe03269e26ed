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
 *  - (in) fields are read, (out) fields are written (what they hold on
 *    input is ignored); reserved fields and unknown flag bits must be zero
 *    on input (-EINVAL otherwise) and are zero on output.
 *  - Unknown commands give -ENOTTY.
 */
#ifndef _UAPI_LINUX_DEVMM_H
#define _UAPI_LINUX_DEVMM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Bumped on incompatible changes (major) and on additions (minor). */
#define DEVMM_ABI_MAJOR		1
#define DEVMM_ABI_MINOR		3

#define DEVMM_CONTROL_NAME	"devmm"
#define DEVMM_IOC_MAGIC		0xDB

/* Capabilities of the running module (struct devmm_info.caps). */
/* MEMORY_DEVICE_PRIVATE pages (needs CONFIG_DEVICE_PRIVATE). */
#define DEVMM_CAP_PRIVATE		(1ULL << 0)
/* MEMORY_DEVICE_COHERENT pages over reserved physical ranges. */
#define DEVMM_CAP_COHERENT		(1ULL << 1)
/* Device folios larger than a page (THP migration to device memory). */
#define DEVMM_CAP_LARGE_FOLIOS		(1ULL << 2)
/*
 * The kernel exports migrate_device_pfns().  For information only: devmm
 * works the same with or without it (it evicts with migrate_vma_*() under a
 * process's mmap_lock; README.md, "Eviction and the mmap_lock").
 */
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
 * @nmirror: (out) of which mirror-only (no memory of their own).
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
	__u32 nmirror;
	__u64 private_capacity;
	char version[32];
	__u64 reserved[8];
};

/* Size of the first published struct devmm_info. */
#define DEVMM_INFO_SIZE_VER0	144

#define DEVMM_IOC_INFO		_IOWR(DEVMM_IOC_MAGIC, 0x00, struct devmm_info)

/**
 * struct devmm_create - a new device (DEVMM_IOC_CREATE on /dev/devmm)
 * @flags: (in) must be 0.
 * @kind: (in) DEVMM_KIND_PRIVATE, DEVMM_KIND_COHERENT or DEVMM_KIND_MIRROR.
 * @capacity: (in) private: bytes of device memory (0: the module's
 *	capacity= default).
 * @base: (in) coherent: physical start of a reserved, section-aligned range.
 * @size: (in) coherent: its length.
 * @policy: (in) DEVMM_POLICY_*.
 * @id: (out) the new device's number N (/dev/devmmN).
 * @reserved: must be zero.
 */
struct devmm_create {
	__u32 flags;
	__u32 kind;
	__u64 capacity;
	__u64 base;
	__u64 size;
	__u32 policy;
	__u32 id;
	__u64 reserved[4];
};

#define DEVMM_CREATE_SIZE_VER0	72

/**
 * struct devmm_dev_cmd - an operation on one device, by number
 * @flags: (in) must be 0.
 * @id: (in) the device's number.
 * @value: (in) DEVMM_IOC_EVICT: bytes to evict (0: everything);
 *	DEVMM_IOC_SET_CAPACITY: the new capacity in bytes;
 *	DEVMM_IOC_SET_POLICY: DEVMM_POLICY_*; else 0.
 * @result: (out) DEVMM_IOC_EVICT: bytes evicted; else 0.
 * @reserved: must be zero.
 */
struct devmm_dev_cmd {
	__u32 flags;
	__u32 id;
	__u64 value;
	__u64 result;
	__u64 reserved[4];
};

#define DEVMM_DEV_CMD_SIZE_VER0	56

/*
 * Runtime device management on /dev/devmm.  DESTROY migrates every page of
 * the device back to system memory first, removes its nodes, and leaves
 * files still open on it with -ENODEV.  EVICT returns -EBUSY if pages that
 * cannot move (pinned) remain after evicting everything that could.
 * SET_CAPACITY evicts down to a smaller capacity.  Unknown ids: -ENODEV.
 */
#define DEVMM_IOC_CREATE	_IOWR(DEVMM_IOC_MAGIC, 0x01, struct devmm_create)
#define DEVMM_IOC_DESTROY	_IOWR(DEVMM_IOC_MAGIC, 0x02, struct devmm_dev_cmd)
#define DEVMM_IOC_EVICT		_IOWR(DEVMM_IOC_MAGIC, 0x03, struct devmm_dev_cmd)
#define DEVMM_IOC_SET_CAPACITY	_IOWR(DEVMM_IOC_MAGIC, 0x04, struct devmm_dev_cmd)
#define DEVMM_IOC_SET_POLICY	_IOWR(DEVMM_IOC_MAGIC, 0x05, struct devmm_dev_cmd)

/*
 * Device nodes: /dev/devmmN, one per device.  Each open file mirrors the
 * opener's address space for the device (reads, writes, faults, snapshots)
 * and can migrate the opener's memory to and from the device.  Only the
 * process that opened the file may use it (others, a fork child with the
 * inherited file among them, get -EPERM), but for DEVMM_IOC_DEV_INFO (the
 * device's statistics) and HMM_DMIRROR_CHECK_EXCLUSIVE (which tells nothing
 * of the memory's contents).
 */
#define DEVMM_NODE_PREFIX	"devmm"

/* Kinds of device (struct devmm_dev_info.kind). */
#define DEVMM_KIND_PRIVATE	1	/* MEMORY_DEVICE_PRIVATE memory */
#define DEVMM_KIND_COHERENT	2	/* MEMORY_DEVICE_COHERENT memory */
#define DEVMM_KIND_MIRROR	3	/* no memory: reaches process memory only */

/**
 * struct devmm_range_cmd - a range of the caller's address space
 * @addr: (in) start, page-aligned.
 * @npages: (in) number of pages; addr + npages pages must not wrap.
 * @ptr: (in) user buffer of npages pages (READ, WRITE) or npages bytes
 *	(SNAPSHOT); ignored by the other commands.
 * @flags: (in) DEVMM_RANGE_* flags valid for the command, else 0.
 * @reserved0: must be zero.
 * @cpages: (out) pages the command handled: read, written, now on the
 *	device (MIGRATE_TO_DEV), moved to system memory (MIGRATE_TO_SYS),
 *	made exclusive, pinned or unpinned.
 * @faults: (out) device fault rounds needed (READ, WRITE).
 * @reserved: must be zero.
 */
struct devmm_range_cmd {
	__u64 addr;
	__u64 npages;
	__u64 ptr;
	__u32 flags;
	__u32 reserved0;
	__u64 cpages;
	__u64 faults;
	__u64 reserved[4];
};

#define DEVMM_RANGE_CMD_SIZE_VER0	80

/* PIN: pin for the long term (FOLL_LONGTERM), as RDMA or VFIO would. */
#define DEVMM_RANGE_LONGTERM	(1U << 0)

/* Device access through the mirror, faulting pages in as needed. */
#define DEVMM_IOC_READ		_IOWR(DEVMM_IOC_MAGIC, 0x40, struct devmm_range_cmd)
#define DEVMM_IOC_WRITE		_IOWR(DEVMM_IOC_MAGIC, 0x41, struct devmm_range_cmd)
/*
 * Migrate anonymous pages to the device: system pages and pages of other
 * devmm devices move, pages already on this device stay and count; pages
 * that cannot move (file-backed, shared, pinned) are left and not counted.
 */
#define DEVMM_IOC_MIGRATE_TO_DEV _IOWR(DEVMM_IOC_MAGIC, 0x42, struct devmm_range_cmd)
/* Migrate this device's pages in the range back to system memory. */
#define DEVMM_IOC_MIGRATE_TO_SYS _IOWR(DEVMM_IOC_MAGIC, 0x43, struct devmm_range_cmd)
/*
 * One byte per page, the HMM_DMIRROR_PROT_* encoding (<linux/devmm_hmm.h>),
 * without faulting.
 */
#define DEVMM_IOC_SNAPSHOT	_IOWR(DEVMM_IOC_MAGIC, 0x44, struct devmm_range_cmd)
/* Exclusive (atomic) device access to the range (DEVMM_CAP_EXCLUSIVE). */
#define DEVMM_IOC_EXCLUSIVE	_IOWR(DEVMM_IOC_MAGIC, 0x45, struct devmm_range_cmd)
/* Pin the range (pin_user_pages) until UNPIN of the same range or close. */
#define DEVMM_IOC_PIN		_IOWR(DEVMM_IOC_MAGIC, 0x46, struct devmm_range_cmd)
#define DEVMM_IOC_UNPIN		_IOWR(DEVMM_IOC_MAGIC, 0x47, struct devmm_range_cmd)

/**
 * struct devmm_dev_info - one device (DEVMM_IOC_DEV_INFO on its node)
 * @flags: (in) must be 0.
 * @id: (out) device number N of /dev/devmmN.
 * @kind: (out) DEVMM_KIND_*.
 * @reserved0: zero.
 * @base: (out) physical start of a coherent device's range.
 * @capacity: (out) bytes of device memory the device may hold.
 * @used: (out) bytes of device memory in use.
 * @mapped: (out) bytes of device memory the device has mapped (pagemaps).
 * @to_device: (out) pages migrated to the device.
 * @to_system: (out) pages migrated back to system memory.
 * @cpu_faults: (out) CPU faults on device pages served.
 * @device_faults: (out) device fault rounds through mirrors.
 * @evicted: (out) pages evicted to system memory.
 * @evict_passes: (out) eviction passes (batches) run.
 * @evict_failures: (out) pages chosen for eviction that could not move
 *	then (locked, pinned or being migrated); they are retried later.
 * @used_max: (out) the most device memory ever in use at once, in bytes.
 * @policy: (out) DEVMM_POLICY_* of the device.
 * @reserved1: zero.
 * @map_bytes: (out) bytes of device memory in mmap buffers (a coherent
 *	device's node can be mmap()ed; such memory is never evicted).
 * @map_read_faults: (out) CPU read faults on mmap buffers.
 * @map_write_faults: (out) CPU write faults on mmap buffers (each maps a
 *	page writable at once).
 * @map_mkwrite: (out) writes to buffer pages a read fault had mapped
 *	read-only (one more fault each).
 * @chunks_ahead: (out) chunks of device memory (pagemaps) mapped ahead of
 *	need, in the background: at creation, then whenever less than half a
 *	chunk is left free (never beyond @capacity).
 * @spare_bytes: (out, ABI 1.3) system memory held in THPs allocated ahead
 *	for the CPU faults on this device's 2 MiB folios (at most two; freed a
 *	second after the last such fault).
 * @storage_ahead: (out, ABI 1.3) bytes of backing storage the fake backend
 *	gave a private device's pages ahead of their first use, in the
 *	background, when a chunk was mapped ahead (its first 64 MiB at most).
 * @reserved: zero.
 * @fault_pages: (out, ABI 1.1) device faults, per page: pages a device read
 *	or write touched in a migrate-on-fault range preferring this device
 *	(DEVMM_IOC_SET_ATTR) while they were not on it.  (@device_faults counts
 *	fault rounds of any access.)
 * @fault_migrated: (out, ABI 1.1) pages migrated to the device by device
 *	faults (at the range's granularity: a fault may bring its neighbours).
 * @remote_pages: (out, ABI 1.1) pages a device read or write served from
 *	memory not on this device (system memory, another device): ranges
 *	without migrate-on-fault, accessed-by ranges, and faults for which no
 *	room could be made.
 * @prefetched: (out, ABI 1.1) pages device faults migrated beyond their
 *	granule (the device's prefetcher, DEVMM_IOC_SETTINGS).
 * @prefetch_hits: (out, ABI 1.1) prefetched pages the device then accessed.
 * @prefetch_waste: (out, ABI 1.1) prefetched pages that left the device
 *	(evicted, faulted back, migrated, unmapped) before the device
 *	accessed them.
 * @thrashing_events: (out, ABI 1.1) pages found thrashing (thrashing
 *	control on, DEVMM_IOC_SETTINGS), each then held in place for a while.
 * @thrashing_held: (out, ABI 1.1) device faults on held pages, served where
 *	the pages are instead of migrating them.
 */
struct devmm_dev_info {
	__u32 flags;
	__u32 id;
	__u32 kind;
	__u32 reserved0;
	__u64 base;
	__u64 capacity;
	__u64 used;
	__u64 mapped;
	__u64 to_device;
	__u64 to_system;
	__u64 cpu_faults;
	__u64 device_faults;
	__u64 evicted;
	__u64 evict_passes;
	__u64 evict_failures;
	__u64 used_max;
	__u32 policy;
	__u32 reserved1;
	__u64 map_bytes;
	__u64 map_read_faults;
	__u64 map_write_faults;
	__u64 map_mkwrite;
	__u64 chunks_ahead;
	__u64 spare_bytes;
	__u64 storage_ahead;
	__u64 reserved[1];
	__u64 fault_pages;
	__u64 fault_migrated;
	__u64 remote_pages;
	__u64 prefetched;
	__u64 prefetch_hits;
	__u64 prefetch_waste;
	__u64 thrashing_events;
	__u64 thrashing_held;
};

#define DEVMM_DEV_INFO_SIZE_VER0	184
#define DEVMM_DEV_INFO_SIZE_VER1	248

/* Which pages a full device evicts first. */
#define DEVMM_POLICY_LRU	0	/* least recently migrated or accessed */
#define DEVMM_POLICY_FIFO	1	/* least recently migrated */
/* ABI 1.1: */
#define DEVMM_POLICY_CLOCK	2	/* FIFO with a second chance for pages accessed since */
#define DEVMM_POLICY_RANDOM	3	/* uniformly at random, from a seed (settings) */
#define DEVMM_POLICY_LFU	4	/* least often accessed; ties: least recently migrated */
#define DEVMM_POLICY_UVM	5	/* oldest migrated 2 MiB block first, whole blocks */
#define DEVMM_POLICY_MAX	DEVMM_POLICY_UVM

#define DEVMM_IOC_DEV_INFO	_IOWR(DEVMM_IOC_MAGIC, 0x50, struct devmm_dev_info)

/**
 * struct devmm_dev_query - list devices (DEVMM_IOC_QUERY on /dev/devmm)
 * @flags: (in) must be 0.
 * @id: (in) the lowest device number wanted; the device found is the one
 *	with the lowest number >= @id (-ENOENT if none): start at 0 and
 *	continue from info.id + 1.
 * @info: (out) that device.
 */
struct devmm_dev_query {
	__u32 flags;
	__u32 id;
	struct devmm_dev_info info;
};

#define DEVMM_DEV_QUERY_SIZE_VER0	192
#define DEVMM_DEV_QUERY_SIZE_VER1	256

#define DEVMM_IOC_QUERY		_IOWR(DEVMM_IOC_MAGIC, 0x06, struct devmm_dev_query)

/**
 * struct devmm_settings - a device's run-time settings (DEVMM_IOC_SETTINGS
 *	on /dev/devmm, ABI 1.1)
 * @flags: (in) must be 0.
 * @id: (in) the device's number.
 * @mask: (in) DEVMM_SET_* bits: the fields below to change; 0 only reads.
 * @policy: (in/out) DEVMM_POLICY_*: which pages eviction takes first.
 * @evict_batch: (in/out) pages one eviction to make room takes, 1 to 512
 *	(default 512).  With 1, an eviction takes exactly the one victim the
 *	policy names; a victim that cannot move then (busy) is counted in
 *	evict_failures and sent to the back of the order.
 * @evict_unit: (in/out) DEVMM_EVICT_UNIT_*: a victim goes alone, or with
 *	every page of its process's 2 MiB block on the device (always so under
 *	DEVMM_POLICY_UVM).
 * @seed: (in/out) DEVMM_POLICY_RANDOM's seed; setting the policy or the
 *	seed starts its sequence again.
 * @prefetch: (in/out) DEVMM_PREFETCH_*: what a device fault brings along
 *	besides its granule (default none).
 * @prefetch_arg: (in/out) DEVMM_PREFETCH_SEQ: KiB after the granule (4 to
 *	2048, a multiple of 4); DEVMM_PREFETCH_DENSITY: the percentage (1 to
 *	100) of a 2 MiB block on the device from which the rest of the block
 *	follows; else 0.
 * @thrashing: (in/out) 1: thrashing control.  A page (a granule) that
 *	device-faults again within DEVMM_THRASH_WINDOW device faults of its
 *	last fault, DEVMM_THRASH_REFAULTS times in a row, is thrashing (it went
 *	back to system memory in between, by a CPU fault, eviction or
 *	migration): for the next DEVMM_THRASH_HOLD device faults the device
 *	accesses it where it is instead of migrating it.  Windows count
 *	faults, not time, so that replays are exact.
 * @reserved1: must be zero.
 * @reserved: must be zero.
 *
 * The out fields hold the settings after the change.
 */
struct devmm_settings {
	__u32 flags;
	__u32 id;
	__u32 mask;
	__u32 policy;
	__u32 evict_batch;
	__u32 evict_unit;
	__u64 seed;
	__u32 prefetch;
	__u32 prefetch_arg;
	__u32 thrashing;
	__u32 reserved1;
	__u64 reserved[3];
};

#define DEVMM_SETTINGS_SIZE_VER0	72

#define DEVMM_SET_POLICY		(1U << 0)
#define DEVMM_SET_EVICT_BATCH		(1U << 1)
#define DEVMM_SET_EVICT_UNIT		(1U << 2)
#define DEVMM_SET_SEED			(1U << 3)
#define DEVMM_SET_PREFETCH		(1U << 4)
#define DEVMM_SET_THRASHING		(1U << 5)

#define DEVMM_THRASH_REFAULTS		3
#define DEVMM_THRASH_WINDOW		1024
#define DEVMM_THRASH_HOLD		16384
#define DEVMM_EVICT_BATCH_MAX		512

#define DEVMM_EVICT_UNIT_PAGE		0
#define DEVMM_EVICT_UNIT_BLOCK		1

#define DEVMM_PREFETCH_NONE		0
#define DEVMM_PREFETCH_SEQ		1	/* the next prefetch_arg KiB */
#define DEVMM_PREFETCH_DENSITY		2	/* the 2 MiB block, once prefetch_arg% is there */

#define DEVMM_IOC_SETTINGS	_IOWR(DEVMM_IOC_MAGIC, 0x07, struct devmm_settings)

/*
 * Range attributes (ABI 1.1), per (device, process): shared by all of the
 * process's open files of the device, set and read through any of them.
 * They last while the process has the device open, are dropped by munmap,
 * not carried by mremap (the moved range has none) and not inherited on
 * fork.  A range without attributes behaves as before they existed: the
 * device accesses its pages where they are.
 *
 * Another process may set and read them for the opener (ABI 1.2) with
 * DEVMM_ATTR_OPENER, through a file of the opener's that it holds: one it
 * took with pidfd_getfd(2), which needs ptrace-attach rights over the opener
 * (devmmctl advise does this), or one the opener passed it.  Without the
 * flag, a process other than the opener gets -EPERM, as from every other
 * command that names memory.
 */
#define DEVMM_LOC_NONE		0	/* no preferred location */
#define DEVMM_LOC_DEVICE	1	/* this device */
#define DEVMM_LOC_SYSTEM	2	/* system memory */

/* struct devmm_attr.mask: the attributes DEVMM_IOC_SET_ATTR changes. */
#define DEVMM_ATTR_PREFERRED	(1U << 0)
#define DEVMM_ATTR_MIGRATE	(1U << 1)
#define DEVMM_ATTR_ACCESSED_BY	(1U << 2)
#define DEVMM_ATTR_GRANULARITY	(1U << 3)
#define DEVMM_ATTR_ALL		((1U << 4) - 1)
/*
 * Not an attribute (SET_ATTR and GET_ATTR, ABI 1.2): act on the address
 * space of the process that opened the file, called from any process.
 */
#define DEVMM_ATTR_OPENER	(1U << 31)

/**
 * struct devmm_attr - attributes of a range (DEVMM_IOC_SET_ATTR,
 *	DEVMM_IOC_GET_ATTR on a device node)
 * @addr: (in) page-aligned start.
 * @npages: (in) pages; SET_ATTR: the range must lie in mapped memory (else
 *	-EFAULT).  GET_ATTR: (out) the pages from @addr, at most the asked
 *	number, that share the attributes returned.
 * @mask: (in) SET_ATTR: DEVMM_ATTR_* bits, which of the fields below to
 *	set (the others keep their value); GET_ATTR: 0 (the fields below are
 *	then out only, their input ignored).  Both: DEVMM_ATTR_OPENER may be
 *	added, for a call on the opener's memory from another process.
 * @preferred: DEVMM_LOC_*.
 * @migrate_on_fault: 1: a device read or write of pages not on the device
 *	migrates them there first (when @preferred is DEVMM_LOC_DEVICE).
 * @accessed_by: 1: the device accesses the pages where they are and never
 *	migrates them on its faults, even with @migrate_on_fault.
 * @granularity: bytes a device fault migrates, aligned: 4096 (the
 *	default), 65536 or 2097152, within the range of equal attributes.
 * @reserved: must be zero.
 */
struct devmm_attr {
	__u64 addr;
	__u64 npages;
	__u32 mask;
	__u32 preferred;
	__u32 migrate_on_fault;
	__u32 accessed_by;
	__u64 granularity;
	__u64 reserved[4];
};

#define DEVMM_ATTR_SIZE_VER0		72

#define DEVMM_IOC_SET_ATTR	_IOWR(DEVMM_IOC_MAGIC, 0x48, struct devmm_attr)
#define DEVMM_IOC_GET_ATTR	_IOWR(DEVMM_IOC_MAGIC, 0x49, struct devmm_attr)

/* struct devmm_access.op */
#define DEVMM_ACCESS_READ	0	/* device read into @ptr */
#define DEVMM_ACCESS_WRITE	1	/* device write from @ptr */
#define DEVMM_ACCESS_TO_DEV	2	/* DEVMM_IOC_MIGRATE_TO_DEV */
#define DEVMM_ACCESS_TO_SYS	3	/* DEVMM_IOC_MIGRATE_TO_SYS */

/**
 * struct devmm_access - one device access of a batch
 * @addr: page-aligned start.
 * @npages: pages.
 * @ptr: READ: destination, WRITE: source, of @npages pages; else ignored.
 * @op: DEVMM_ACCESS_*.
 * @reserved: must be zero.
 */
struct devmm_access {
	__u64 addr;
	__u64 npages;
	__u64 ptr;
	__u32 op;
	__u32 reserved;
};

/**
 * struct devmm_access_batch - device accesses in one call, in order
 *	(DEVMM_IOC_ACCESS on a device node, ABI 1.1): what a trace replay
 *	issues, at a page's cost rather than a system call's per access
 * @ptr: (in) array of @count struct devmm_access.
 * @count: (in) entries, at most DEVMM_ACCESS_MAX.
 * @flags: (in) must be 0.
 * @done: (out) entries completed; when an entry fails, its index (the
 *	ioctl fails with that entry's errno, and @done is still written; a
 *	batch refused as a whole, e.g. -EINVAL for its own fields, writes
 *	nothing).
 * @reserved0: must be zero.
 * @reserved: must be zero.
 */
struct devmm_access_batch {
	__u64 ptr;
	__u32 count;
	__u32 flags;
	__u32 done;
	__u32 reserved0;
	__u64 reserved[4];
};

#define DEVMM_ACCESS_BATCH_SIZE_VER0	56
#define DEVMM_ACCESS_MAX		65536

#define DEVMM_IOC_ACCESS	_IOWR(DEVMM_IOC_MAGIC, 0x4a, struct devmm_access_batch)

/*
 * Every device node also accepts the ioctl ABI of the kernel's test_hmm
 * module (HMM_DMIRROR_*): <linux/devmm_hmm.h>.
 */

#endif /* _UAPI_LINUX_DEVMM_H */
