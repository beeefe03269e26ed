// SPDX-License-Identifier: GPL-2.0
/*
 * libdevmm (lib/libdevmm.c): every wrapper against the module, with the
 * errnos the ABI documents, devmm_strerror()'s meanings, and the parsers.
 *
 * usage: t_libdevmm /path/to/devmm.ko
 * Loads devmm with LANE_COHERENT_A as its one coherent range, creates a
 * coherent device over LANE_COHERENT_B, and unloads it at the end.
 * lane environment: LANE_EXPECT_PRIVATE, LANE_COHERENT_A, LANE_COHERENT_B.
 * Run by tests/guest/devmmctl.sh (the user-space tools' test).
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "devmm_load.h"
#include "libdevmm.h"
#include "tap.h"

#define NP 256

static const char *errname(int err)
{
	return err ? devmm_errno_name(err) ?: strerror(-err) : "0";
}

static int has(const char *s, const char *part)
{
	return s && strstr(s, part);
}

static void test_parsers(void)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t v;
	} sizes[] = {
		{ "4096", 0, 4096 }, { "64K", 0, 64 << 10 }, { "2m", 0, 2 << 20 },
		{ "1G", 0, 1ULL << 30 }, { "1T", 0, 1ULL << 40 }, { "0x1000", 0, 4096 },
		{ "0x10M", 0, 16 << 20 }, { "3MiB", 0, 3 << 20 }, { "3MB", 0, 3 << 20 },
		{ "18446744073709551615", 0, UINT64_MAX }, { "", -EINVAL, 0 },
		{ "M", -EINVAL, 0 }, { "1Q", -EINVAL, 0 }, { "-1", -EINVAL, 0 },
		{ "0x", -EINVAL, 0 }, { "1 M", -EINVAL, 0 }, { "1Mi", -EINVAL, 0 },
		{ "18446744073709551616", -ERANGE, 0 }, { "17179869184G", -ERANGE, 0 },
	};
	unsigned int i, bad = 0;
	uint32_t policy = 9;
	uint64_t v;
	int ret;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		v = 0;
		ret = devmm_parse_size(sizes[i].s, &v);
		if (ret != sizes[i].ret || (!ret && v != sizes[i].v)) {
			tap_diag("devmm_parse_size(\"%s\"): %d, %llu", sizes[i].s, ret,
				 (unsigned long long)v);
			bad++;
		}
	}
	ok(!bad, "devmm_parse_size: %u cases (suffixes, hex, overflow, junk)", i);
	ok(!devmm_parse_policy("FIFO", &policy) && policy == DEVMM_POLICY_FIFO &&
	   !devmm_parse_policy("lru", &policy) && policy == DEVMM_POLICY_LRU &&
	   devmm_parse_policy("mru", &policy) == -EINVAL,
	   "devmm_parse_policy: lru, FIFO; mru is EINVAL");
	ok(!strcmp(devmm_kind_name(DEVMM_KIND_COHERENT), "coherent") &&
	   !strcmp(devmm_kind_name(DEVMM_KIND_MIRROR), "mirror-only") &&
	   !strcmp(devmm_kind_name(42), "unknown") &&
	   !strcmp(devmm_policy_name(DEVMM_POLICY_FIFO), "fifo"),
	   "devmm_kind_name, devmm_policy_name");
}

static void test_strerror(void)
{
	ok(has(devmm_strerror(DEVMM_OP_DESTROY, -EBUSY), "live mmap buffers"),
	   "strerror(DESTROY, EBUSY): %s", devmm_strerror(DEVMM_OP_DESTROY, EBUSY));
	ok(has(devmm_strerror(DEVMM_OP_CREATE_PRIVATE, EOPNOTSUPP), "CONFIG_DEVICE_PRIVATE"),
	   "strerror(CREATE_PRIVATE, EOPNOTSUPP): %s",
	   devmm_strerror(DEVMM_OP_CREATE_PRIVATE, EOPNOTSUPP));
	ok(has(devmm_strerror(DEVMM_OP_EVICT, -ENODEV), "no such device") &&
	   has(devmm_strerror(DEVMM_OP_READ, -ENODEV), "destroyed"),
	   "strerror of ENODEV: no such device (control), destroyed (node)");
	ok(has(devmm_strerror(DEVMM_OP_OPEN_CONTROL, -ENOENT), "module loaded"),
	   "strerror(OPEN_CONTROL, ENOENT): %s", devmm_strerror(DEVMM_OP_OPEN_CONTROL, ENOENT));
	ok(has(devmm_strerror(DEVMM_OP_UNPIN, -ENOENT), "no pin") &&
	   has(devmm_strerror(DEVMM_OP_SET_POLICY, -EINVAL), "clock, random, lfu or uvm") &&
	   has(devmm_strerror(DEVMM_OP_INFO, -ENOTTY), "does not know this command"),
	   "strerror of UNPIN ENOENT, SET_POLICY EINVAL, any ENOTTY");
	/* ABI 1.1's operations: appended, the codes before them unchanged. */
	ok(DEVMM_OP_UNPIN == 20 && DEVMM_OP_SETTINGS == 21 && DEVMM_OP_ACCESS == 24 &&
	   DEVMM_OP_COUNT == 25 && !strcmp(devmm_op_name(DEVMM_OP_SETTINGS), "settings") &&
	   !strcmp(devmm_op_name(DEVMM_OP_SET_ATTR), "set range attributes") &&
	   !strcmp(devmm_op_name(DEVMM_OP_GET_ATTR), "get range attributes") &&
	   !strcmp(devmm_op_name(DEVMM_OP_ACCESS), "batched device access"),
	   "DEVMM_OP_SETTINGS .. DEVMM_OP_ACCESS appended (21 to 24), with their names");
	ok(has(devmm_strerror(DEVMM_OP_SETTINGS, -EINVAL), "eviction batch of 0 or above 512") &&
	   has(devmm_strerror(DEVMM_OP_SETTINGS, EOPNOTSUPP), "mirror-only") &&
	   has(devmm_strerror(DEVMM_OP_SETTINGS, ENODEV), "no such device"),
	   "strerror of SETTINGS: EINVAL (%s), EOPNOTSUPP, ENODEV",
	   devmm_strerror(DEVMM_OP_SETTINGS, EINVAL));
	ok(has(devmm_strerror(DEVMM_OP_SET_ATTR, EFAULT), "not wholly mapped") &&
	   has(devmm_strerror(DEVMM_OP_SET_ATTR, EINVAL), "granularity") &&
	   has(devmm_strerror(DEVMM_OP_SET_ATTR, ENOSPC), "65536") &&
	   has(devmm_strerror(DEVMM_OP_SET_ATTR, EOPNOTSUPP), "mirror-only") &&
	   has(devmm_strerror(DEVMM_OP_GET_ATTR, EINVAL), "DEVMM_ATTR_OPENER") &&
	   has(devmm_strerror(DEVMM_OP_GET_ATTR, EPERM), "another process") &&
	   has(devmm_strerror(DEVMM_OP_SET_ATTR, EPERM), "DEVMM_ATTR_OPENER") &&
	   has(devmm_strerror(DEVMM_OP_GET_ATTR, ESRCH), "address space") &&
	   has(devmm_strerror(DEVMM_OP_SET_ATTR, ENODEV), "destroyed"),
	   "strerror of SET_ATTR: EFAULT (%s), EINVAL, ENOSPC, EOPNOTSUPP, ENODEV; GET_ATTR",
	   devmm_strerror(DEVMM_OP_SET_ATTR, EFAULT));
	ok(has(devmm_strerror(DEVMM_OP_ACCESS, EINTR), "fatal signal") &&
	   has(devmm_strerror(DEVMM_OP_READ, EINTR), "fatal signal") &&
	   has(devmm_strerror(DEVMM_OP_ACCESS, EINVAL), "65536 entries") &&
	   has(devmm_strerror(DEVMM_OP_ACCESS, EPERM), "another process") &&
	   has(devmm_strerror(DEVMM_OP_ACCESS, ESRCH), "address space") &&
	   !strcmp(devmm_errno_name(EINTR), "EINTR"),
	   "strerror of ACCESS: EINTR (%s), EINVAL, EPERM, ESRCH; READ's EINTR; EINTR's name",
	   devmm_strerror(DEVMM_OP_ACCESS, EINTR));
	ok(!strcmp(devmm_strerror(DEVMM_OP_INFO, EXDEV), strerror(EXDEV)) &&
	   !strcmp(devmm_strerror(DEVMM_OP_INFO, 0), "success"),
	   "strerror of an undocumented errno is strerror()'s");
	ok(!strcmp(devmm_errno_name(-EBUSY), "EBUSY") &&
	   !strcmp(devmm_errno_name(ENODEV), "ENODEV") && !devmm_errno_name(12345) &&
	   !strcmp(devmm_op_name(DEVMM_OP_PIN), "pin") &&
	   !strcmp(devmm_op_name(DEVMM_OP_COUNT), "unknown operation"),
	   "devmm_errno_name, devmm_op_name");
}

/* devmm_settings (ABI 1.1) on coherent device @cid and mirror-only @mid. */
static void test_settings(int ctl, uint32_t cid, uint32_t mid)
{
	struct devmm_settings s = { .id = cid }, t;
	int ret;

	ret = devmm_settings(ctl, &s);
	ok(!ret && s.policy == DEVMM_POLICY_LRU && s.evict_batch == DEVMM_EVICT_BATCH_MAX &&
	   s.evict_unit == DEVMM_EVICT_UNIT_PAGE && s.prefetch == DEVMM_PREFETCH_NONE &&
	   !s.thrashing, "devmm_settings reads the defaults: LRU, batch %u, page, no prefetch (%s)",
	   s.evict_batch, errname(ret));
	t = (struct devmm_settings){ .id = cid, .mask = DEVMM_SET_EVICT_BATCH | DEVMM_SET_SEED,
				     .evict_batch = 0, .seed = 42 };
	ret = devmm_settings(ctl, &t);
	s.mask = 0;
	if (ret == -EINVAL)
		ret = devmm_settings(ctl, &s) ?: -EINVAL;
	ok(ret == -EINVAL && s.evict_batch == DEVMM_EVICT_BATCH_MAX && s.seed == 0,
	   "devmm_settings with a batch of 0: EINVAL, and the seed asked for too is not set, %s",
	   devmm_strerror(DEVMM_OP_SETTINGS, ret));
	t = (struct devmm_settings){ .id = mid };
	ret = devmm_settings(ctl, &t);
	ok(ret == -EOPNOTSUPP, "devmm_settings on a mirror-only device: EOPNOTSUPP, %s",
	   devmm_strerror(DEVMM_OP_SETTINGS, ret));
	t = (struct devmm_settings){ .id = 999 };
	ret = devmm_settings(ctl, &t);
	ok(ret == -ENODEV, "devmm_settings(999): ENODEV, %s",
	   devmm_strerror(DEVMM_OP_SETTINGS, ret));
}

static void fill(uint64_t *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = seed ^ (i * 0x9e3779b97f4a7c15ULL);
}

/* The range commands on the node of coherent device @id. */
/*
 * ABI 1.2: devmm_open_process_node() and DEVMM_ATTR_OPENER on device @id,
 * from the outside of a child that opened it (as devmmctl advise works).
 */
static void test_process_node(uint32_t id)
{
	struct devmm_attr attr = { .preferred = DEVMM_LOC_DEVICE };
	int req[2], done[2], fd, ret, status = 0;
	struct devmm_dev_info d;
	uintptr_t addr = 0;
	pid_t child, other;

	if (pipe(req) || pipe(done)) {
		printf("Bail out! pipe\n");
		exit(1);
	}
	fd = devmm_open_node(id);
	{
		char path[64], text[512] = "", want[96];
		FILE *f;
		size_t n = 0;

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		f = fopen(path, "r");
		if (f) {
			n = fread(text, 1, sizeof(text) - 1, f);
			fclose(f);
		}
		text[n] = '\0';
		snprintf(want, sizeof(want), "devmm-device:\t%u\ndevmm-opener:\t%d\n", id,
			 (int)getpid());
		ok(fd >= 0 && strstr(text, want), "fdinfo of a device file names the device and the "
		   "opener: %s", want);
		close(fd);
	}
	fflush(stdout);
	child = fork();
	if (child == 0) {
		int cfd = devmm_open_node(id);
		void *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		char c;

		close(done[1]);
		if (cfd < 0 || q == MAP_FAILED)
			_exit(1);
		addr = (uintptr_t)q;
		if (write(req[1], &addr, sizeof(addr)) != sizeof(addr))
			_exit(1);
		(void)!read(done[0], &c, 1);	/* until the parent closes it */
		_exit(0);
	}
	close(done[0]);
	if (read(req[0], &addr, sizeof(addr)) != sizeof(addr))
		addr = 0;
	fd = devmm_open_process_node(child, id);
	ok(fd >= 0 && !devmm_dev_info(fd, &d) && d.id == id,
	   "devmm_open_process_node(child, %u): the child's own file of the device, not the one "
	   "it inherited (%s)", id, errname(fd < 0 ? fd : 0));
	ret = fd < 0 ? fd : devmm_set_attr(fd, (void *)addr, 1, DEVMM_ATTR_PREFERRED, &attr);
	ok(ret == -EPERM, "devmm_set_attr on it without DEVMM_ATTR_OPENER: EPERM, %s",
	   devmm_strerror(DEVMM_OP_SET_ATTR, ret));
	ret = fd < 0 ? fd : devmm_set_attr(fd, (void *)addr, 1, DEVMM_ATTR_PREFERRED |
					   DEVMM_ATTR_OPENER, &attr);
	if (!ret)
		ret = devmm_get_attr_opener(fd, addr, 1, &attr);
	ok(!ret && attr.preferred == DEVMM_LOC_DEVICE && attr.npages == 1,
	   "devmm_set_attr with DEVMM_ATTR_OPENER, devmm_get_attr_opener: the child's page "
	   "prefers the device (%s)", errname(ret));
	if (fd >= 0)
		close(fd);
	ret = devmm_open_process_node(child, id + 1000);
	ok(ret == -ENOENT, "devmm_open_process_node for a device it has not open: ENOENT (%s)",
	   errname(ret));
	ret = devmm_open_process_node(0x3ffffff0, id);
	ok(ret == -ESRCH, "devmm_open_process_node of no process: ESRCH (%s)", errname(ret));
	/* A process that holds only files others opened (inherited) has none of its own. */
	fflush(stdout);
	other = fork();
	if (other == 0) {
		char c;

		close(done[1]);
		(void)!read(done[0], &c, 1);
		_exit(0);
	}
	ret = devmm_open_process_node(other, id);
	ok(ret == -ENOENT, "devmm_open_process_node of a process that only inherited the device's "
	   "files: ENOENT (%s)", errname(ret));
	kill(other, SIGKILL);
	waitpid(other, &status, 0);
	fflush(stdout);
	other = fork();
	if (other == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(devmm_open_process_node(child, id) == -EPERM ? 0 : 1);
	}
	waitpid(other, &status, 0);
	ok(WIFEXITED(status) && !WEXITSTATUS(status),
	   "devmm_open_process_node as another user (nobody): EPERM (exit %d)",
	   WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	close(done[1]);
	close(req[0]);
	close(req[1]);
	waitpid(child, &status, 0);
}

static void test_node(int ctl, uint32_t id, int exclusive)
{
	size_t psz = sysconf(_SC_PAGESIZE), len = NP * psz;
	uint64_t *p, *src, *dst, cpages = 0, faults = 0;
	struct devmm_attr attr = { .preferred = DEVMM_LOC_DEVICE };
	struct devmm_dev_info d;
	char *q;
	uint8_t prot[NP];
	unsigned int i, n;
	int fd, ret;

	fd = devmm_open_node(id);
	ok(fd >= 0, "devmm_open_node(%u) (%s)", id, errname(fd < 0 ? fd : 0));
	ret = devmm_open_node(999);
	ok(ret == -ENOENT, "devmm_open_node(999): ENOENT (%s)", errname(ret));
	if (fd < 0)
		return;
	ret = devmm_dev_info(fd, &d);
	ok(!ret && d.id == id && d.kind == DEVMM_KIND_COHERENT && d.policy == DEVMM_POLICY_FIFO,
	   "devmm_dev_info: device %u, coherent, FIFO (%s)", d.id, errname(ret));

	p = mmap(NULL, 3 * len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		printf("Bail out! mmap\n");
		exit(1);
	}
	src = p + len / 8;
	dst = src + len / 8;
	fill(p, len / 8, 1);
	fill(src, len / 8, 2);
	ret = devmm_write(fd, p, NP, src, &cpages, &faults);
	ok(!ret && cpages == NP && !memcmp(p, src, len),
	   "devmm_write: the device wrote %llu pages, the CPU sees them (%s, %llu faults)",
	   (unsigned long long)cpages, errname(ret), (unsigned long long)faults);
	ret = devmm_migrate_to_dev(fd, p, NP, &cpages);
	ok(!ret && cpages == NP, "devmm_migrate_to_dev: %llu pages (%s)",
	   (unsigned long long)cpages, errname(ret));
	ret = devmm_snapshot(fd, p, NP, prot);
	for (i = n = 0; i < NP; i++)
		n += prot[i] == (HMM_DMIRROR_PROT_DEV_COHERENT_LOCAL | HMM_DMIRROR_PROT_WRITE);
	ok(!ret && n == NP, "devmm_snapshot: %u of %u pages on this device (%s)", n, NP,
	   errname(ret));
	ret = devmm_read(fd, p, NP, dst, &cpages, NULL);
	ok(!ret && cpages == NP && !memcmp(dst, src, len),
	   "devmm_read: the data, from the device (%s)", errname(ret));
	ret = devmm_migrate_to_sys(fd, p, NP, &cpages);
	ok(!ret && cpages == NP && !memcmp(p, src, len),
	   "devmm_migrate_to_sys: %llu pages back, data intact (%s)", (unsigned long long)cpages,
	   errname(ret));
	ret = devmm_read(fd, (char *)p + 1, 1, dst, &cpages, NULL);
	ok(ret == -EINVAL && cpages == 0, "devmm_read of an unaligned range: EINVAL (%s)",
	   errname(ret));

	ret = devmm_exclusive(fd, p, 1);
	if (exclusive)
		ok(ret == 0, "devmm_exclusive (%s)", errname(ret));
	else
		ok(ret == -EOPNOTSUPP && has(devmm_strerror(DEVMM_OP_EXCLUSIVE, ret), "exclusive"),
		   "devmm_exclusive where the kernel cannot: EOPNOTSUPP (%s)", errname(ret));
	ret = devmm_pin(fd, p, NP, 0);
	ok(ret == 0, "devmm_pin (%s)", errname(ret));
	ret = devmm_pin(fd, p, NP, 0x80);
	ok(ret == -EINVAL, "devmm_pin with an unknown flag: EINVAL (%s)", errname(ret));
	ret = devmm_unpin(fd, p, NP);
	ok(ret == 0, "devmm_unpin (%s)", errname(ret));
	ret = devmm_unpin(fd, p, NP);
	ok(ret == -ENOENT, "devmm_unpin again: ENOENT, %s", devmm_strerror(DEVMM_OP_UNPIN, ret));

	/* Range attributes (ABI 1.1): a page mapped, the next one not. */
	q = mmap(NULL, 2 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q == MAP_FAILED) {
		printf("Bail out! mmap\n");
		exit(1);
	}
	munmap(q + psz, psz);
	ret = devmm_set_attr(fd, q, 2, DEVMM_ATTR_PREFERRED, &attr);
	ok(ret == -EFAULT, "devmm_set_attr over an unmapped page: EFAULT, %s",
	   devmm_strerror(DEVMM_OP_SET_ATTR, ret));
	ret = devmm_set_attr(fd, q, 1, DEVMM_ATTR_PREFERRED, &attr);
	if (!ret)
		ret = devmm_get_attr(fd, q, 2, &attr);
	ok(!ret && attr.preferred == DEVMM_LOC_DEVICE && attr.npages == 1,
	   "devmm_set_attr, devmm_get_attr: 1 page preferring the device (%s)", errname(ret));
	munmap(q, psz);
	test_process_node(id);

	ret = devmm_destroy(ctl, id);
	ok(ret == 0, "devmm_destroy(%u) (%s)", id, errname(ret));
	ret = devmm_dev_info(fd, &d);
	ok(ret == -ENODEV, "devmm_dev_info on a destroyed device: ENODEV, %s",
	   devmm_strerror(DEVMM_OP_DEV_INFO, ret));
	ret = devmm_migrate_to_dev(fd, p, NP, &cpages);
	ok(ret == -ENODEV && cpages == 0, "devmm_migrate_to_dev on a destroyed device: ENODEV (%s)",
	   errname(ret));
	close(fd);
	munmap(p, 3 * len);
}

int main(int argc, char **argv)
{
	int expect_private = lane_env_num("LANE_EXPECT_PRIVATE");
	const char *b = lane_env("LANE_COHERENT_B");
	uint64_t base, size, evicted = 1;
	struct devmm_dev_info d;
	struct devmm_info info;
	uint32_t pid = 0, cid = 0, mid = 0, id;
	char params[128], sz[32];
	int ctl, ret, n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s devmm.ko\n", argv[0]);
		return 2;
	}
	tap_plan(66);
	test_parsers();
	test_strerror();

	ret = devmm_open_control();
	ok(ret == -ENOENT, "devmm_open_control without devmm: ENOENT (%s)", errname(ret));
	snprintf(params, sizeof(params), "coherent=%s", lane_env("LANE_COHERENT_A"));
	ret = devmm_load(argv[1], params);
	if (!ok(ret == 0, "load devmm %s (%s)", params, errname(ret))) {
		printf("Bail out! cannot load devmm\n");
		return 1;
	}
	ctl = devmm_open_control();
	if (!ok(ctl >= 0, "devmm_open_control (%s)", errname(ctl < 0 ? ctl : 0))) {
		printf("Bail out! no control device\n");
		return 1;
	}
	ret = devmm_info(ctl, &info);
	ok(!ret && info.abi_major == DEVMM_ABI_MAJOR && info.ncoherent == 1,
	   "devmm_info: ABI %u.%u, %u coherent (%s)", info.abi_major, info.abi_minor,
	   info.ncoherent, errname(ret));

	ret = devmm_create_private(ctl, 64 << 20, DEVMM_POLICY_LRU, &pid);
	if (expect_private)
		ok(ret == 0, "devmm_create_private: device %u (%s)", pid, errname(ret));
	else
		ok(ret == -EOPNOTSUPP,
		   "devmm_create_private without DEVICE_PRIVATE: EOPNOTSUPP (%s)", errname(ret));
	snprintf(sz, sizeof(sz), "%.*s", (int)(strchr(b, '@') - b), b);
	if (devmm_parse_size(sz, &size) || devmm_parse_size(strchr(b, '@') + 1, &base)) {
		printf("Bail out! LANE_COHERENT_B=%s\n", b);
		return 1;
	}
	ret = devmm_create_coherent(ctl, base, size, DEVMM_POLICY_LRU, &cid);
	ok(ret == 0, "devmm_create_coherent(0x%llx, %llu): device %u (%s)",
	   (unsigned long long)base, (unsigned long long)size, cid, errname(ret));
	ret = devmm_create_coherent(ctl, base, size, DEVMM_POLICY_LRU, &id);
	ok(ret == -EBUSY, "the same range again: EBUSY, %s",
	   devmm_strerror(DEVMM_OP_CREATE_COHERENT, ret));
	ret = devmm_create_mirror(ctl, DEVMM_POLICY_LRU, &mid);
	ok(ret == 0, "devmm_create_mirror: device %u (%s)", mid, errname(ret));

	ret = devmm_find(ctl, cid, &d);
	ok(!ret && d.id == cid && d.kind == DEVMM_KIND_COHERENT && d.base == base &&
	   d.capacity == size, "devmm_find(%u): coherent at 0x%llx (%s)", cid,
	   (unsigned long long)d.base, errname(ret));
	ret = devmm_find(ctl, 999, &d);
	ok(ret == -ENODEV, "devmm_find(999): ENODEV (%s)", errname(ret));
	for (n = 0, id = 0; !(ret = devmm_query(ctl, id, &d)); id = d.id + 1)
		n++;
	ok(ret == -ENOENT && n == (int)info.ndevices + 2 + !!expect_private,
	   "devmm_query lists %d devices, then ENOENT", n);

	ret = devmm_evict(ctl, mid, 0, &evicted);
	ok(ret == -EOPNOTSUPP, "devmm_evict on a mirror-only device: EOPNOTSUPP, %s",
	   devmm_strerror(DEVMM_OP_EVICT, ret));
	ret = devmm_set_capacity(ctl, mid, 1 << 20);
	ok(ret == -EOPNOTSUPP, "devmm_set_capacity on a mirror-only device: EOPNOTSUPP (%s)",
	   errname(ret));
	ret = devmm_evict(ctl, cid, 0, &evicted);
	ok(ret == 0 && evicted == 0, "devmm_evict on an empty device: 0 bytes (%s)", errname(ret));
	ret = devmm_set_capacity(ctl, cid, 4095);
	ok(ret == -EINVAL, "devmm_set_capacity(4095): EINVAL (%s)", errname(ret));
	ret = devmm_set_capacity(ctl, cid, size / 2);
	if (!ret)
		ret = devmm_find(ctl, cid, &d);
	ok(!ret && d.capacity == size / 2,
	   "devmm_set_capacity: %llu MiB (%s)", (unsigned long long)d.capacity >> 20, errname(ret));
	ret = devmm_set_policy(ctl, cid, 7);
	ok(ret == -EINVAL, "devmm_set_policy(7): EINVAL (%s)", errname(ret));
	test_settings(ctl, cid, mid);
	ret = devmm_set_policy(ctl, cid, DEVMM_POLICY_FIFO);
	ok(ret == 0, "devmm_set_policy(FIFO) (%s)", errname(ret));

	test_node(ctl, cid, !!(info.caps & DEVMM_CAP_EXCLUSIVE));

	ret = devmm_destroy(ctl, cid);
	ok(ret == -ENODEV, "devmm_destroy of a destroyed device: ENODEV (%s)", errname(ret));
	ret = devmm_destroy(ctl, mid);
	if (expect_private && !ret)
		ret = devmm_destroy(ctl, pid);
	ok(ret == 0, "destroy the mirror-only and private devices (%s)", errname(ret));
	close(ctl);
	ret = devmm_unload();
	ok(ret == 0, "unload (%s)", errname(ret));
	return tap_done();
}
