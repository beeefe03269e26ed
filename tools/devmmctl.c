// SPDX-License-Identifier: GPL-2.0
/*
 * devmmctl: command-line control of devmm, on libdevmm and libkmod.
 * See docs/devmmctl.1 for the commands, their output and the exit codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <libkmod.h>
#include "libdevmm.h"
#include "replay.h"

#ifndef DEVMM_VERSION
#define DEVMM_VERSION "unknown"
#endif

/* Exit codes (docs/devmmctl.1). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,	/* the operation failed */
	EXIT_USAGE = 2,		/* bad command line */
	EXIT_NOT_LOADED = 3,	/* devmm is not loaded */
};

#define MIB (1ULL << 20)
/* Evictions at least this large show a progress bar on a terminal. */
#define PROGRESS_MIN (64 * MIB)
#define PROGRESS_STEPS 50

static struct {
	int json;
	int progress;		/* -1: on a terminal, 0: never, 1: always */
	int have_policy;
	uint32_t policy;
	int watch;
	double interval;
} opt = { .progress = -1, .interval = 1.0 };

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

static void usage_text(FILE *f)
{
	fprintf(f,
		"usage: devmmctl [OPTIONS] COMMAND [ARGS]\n"
		"commands:\n"
		"  load [FILE.ko] [PARAM=VALUE...]  load devmm (by name, or from FILE.ko)\n"
		"  unload                           unload devmm\n"
		"  info                             the module's version, ABI, capabilities\n"
		"  list                             the devices and their statistics\n"
		"  create private CAPACITY          a device-private device\n"
		"  create coherent BASE SIZE        a device-coherent device over reserved memory\n"
		"  create mirror                    a mirror-only device\n"
		"  destroy ID                       remove a device (its pages come home)\n"
		"  stats ID                         one device's statistics\n"
		"  evict ID [BYTES|all]             evict device memory (default: all)\n"
		"  capacity ID BYTES                change a device's capacity\n"
		"  policy ID POLICY                 change a device's eviction policy (lru, fifo,\n"
		"                                   clock, random, lfu or uvm)\n"
		"  selftest [ID]                    a verified 64 MiB migration round trip\n"
		"  settings ID [SETTINGS OPTIONS]   a device's eviction and demand-paging settings:\n"
		"                                   print them, or change those given (devmmctl(1))\n"
		"  advise ID PID ADDR LENGTH [ADVISE OPTIONS]\n"
		"                                   the range attributes process PID gives device\n"
		"                                   ID's memory: print them, or change those given\n"
		"                                   (devmmctl(1))\n"
		"  replay ID TRACE|--pattern P [REPLAY OPTIONS]\n"
		"                                   replay accesses with demand paging (devmmctl(1))\n"
		"options:\n"
		"  --json              print JSON (stats --watch: one object per line)\n"
		"  --policy POLICY     eviction policy of a new device (create)\n"
		"  --watch [SECONDS]   print the statistics again every SECONDS (stats)\n"
		"  --progress, --no-progress\n"
		"                      progress bar of a large eviction (default: on a terminal)\n"
		"  --help, --version\n"
		"Sizes take a K, M, G or T suffix.  Exit codes: 0 success, 1 the operation\n"
		"failed, 2 usage error, 3 devmm is not loaded.\n");
}

/*
 * Error messages go to stderr, one "devmmctl: ..." line each.  Under --json
 * they are kept too, and a failing command ends with one JSON object on
 * stdout: {"error": FIRST, "errno": "EBUSY" or null, "exit": CODE,
 * "details": [LATER...]} (later messages: the kernel's, libkmod's).
 */
#define MAX_ERRS 8
static struct {
	char msg[MAX_ERRS][256];
	char errno_name[24];
	int n;
} errs;

static void verrmsg(const char *errno_name, const char *fmt, va_list ap)
{
	char msg[256];
	size_t len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = '\0';
	fprintf(stderr, "devmmctl: %s\n", msg);
	if (errs.n < MAX_ERRS)
		memcpy(errs.msg[errs.n++], msg, len + 1);
	if (errno_name && !errs.errno_name[0])
		snprintf(errs.errno_name, sizeof(errs.errno_name), "%s", errno_name);
}

static void __attribute__((format(printf, 1, 2))) errmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verrmsg(NULL, fmt, ap);
	va_end(ap);
}

static void json_str(const char *s);

static void json_errors(int code)
{
	int i;

	printf("{\"error\": ");
	json_str(errs.n ? errs.msg[0] : code == EXIT_USAGE ? "usage error" : "failed");
	printf(", \"errno\": ");
	if (errs.errno_name[0])
		json_str(errs.errno_name);
	else
		printf("null");
	printf(", \"exit\": %d, \"details\": [", code);
	for (i = 1; i < errs.n; i++) {
		printf(i > 1 ? ", " : "");
		json_str(errs.msg[i]);
	}
	printf("]}\n");
}

static int __attribute__((format(printf, 1, 2))) usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		verrmsg(NULL, fmt, ap);
		va_end(ap);
		fprintf(stderr, "devmmctl: try 'devmmctl --help'\n");
	} else {
		usage_text(stderr);
	}
	return EXIT_USAGE;
}

/* "EBUSY", or "errno N" for an errno libdevmm has no name for. */
static const char *ename(int err)
{
	static char buf[24];
	const char *name = devmm_errno_name(err);

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", err < 0 ? -err : err);
	return buf;
}

/* errmsg() for a failure with errno -@e (named in the JSON error). */
static void __attribute__((format(printf, 2, 3))) errno_err(int e, const char *fmt, ...)
{
	char name[24];
	va_list ap;

	snprintf(name, sizeof(name), "%s", ename(e));
	va_start(ap, fmt);
	verrmsg(name, fmt, ap);
	va_end(ap);
}

/* "devmmctl: WHAT: meaning (ENAME)" for libdevmm's -errno @err of @op. */
static int __attribute__((format(printf, 3, 4))) fail(enum devmm_op op, int e,
						      const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	errno_err(e, "%s: %s (%s)", what, devmm_strerror(op, e), ename(e));
	return EXIT_FAILED;
}

static int open_control(int *fd)
{
	*fd = devmm_open_control();
	if (*fd >= 0)
		return EXIT_OK;
	fail(DEVMM_OP_OPEN_CONTROL, *fd, "cannot open /dev/%s", DEVMM_CONTROL_NAME);
	return *fd == -ENOENT ? EXIT_NOT_LOADED : EXIT_FAILED;
}

static int parse_id(const char *s, uint32_t *id)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return usage("bad device id '%s'", s);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v > UINT32_MAX)
		return usage("bad device id '%s'", s);
	*id = v;
	return EXIT_OK;
}

static int parse_size(const char *s, uint64_t *v)
{
	int ret = devmm_parse_size(s, v);

	if (ret == -ERANGE)
		return usage("size '%s' is too large", s);
	if (ret)
		return usage("bad size '%s': a number with an optional K, M, G or T suffix", s);
	return EXIT_OK;
}

/* A byte count for people: "256 MiB", "1.5 GiB", "4096 B". */
static const char *human(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double d = v;
	unsigned int u = 0;

	while (d >= 1024 && u < sizeof(units) / sizeof(units[0]) - 1) {
		d /= 1024;
		u++;
	}
	if (!u || d == (uint64_t)d)
		snprintf(buf, len, "%llu %s", (unsigned long long)d, units[u]);
	else
		snprintf(buf, len, "%.1f %s", d, units[u]);
	return buf;
}

/* A JSON string (the module's version string is the only one not ours). */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* One device as a JSON object (list, stats, create). */
static void json_device(const struct devmm_dev_info *d)
{
	printf("{\"id\": %u, \"node\": \"/dev/" DEVMM_NODE_PREFIX "%u\", \"kind\": \"%s\", "
	       "\"policy\": \"%s\", \"base\": %llu, \"capacity\": %llu, \"used\": %llu, "
	       "\"used_max\": %llu, \"mapped\": %llu, \"to_device\": %llu, \"to_system\": %llu, "
	       "\"cpu_faults\": %llu, \"device_faults\": %llu, \"evicted\": %llu, "
	       "\"evict_passes\": %llu, \"evict_failures\": %llu, \"map_bytes\": %llu, "
	       "\"map_read_faults\": %llu, \"map_write_faults\": %llu, \"map_mkwrite\": %llu, "
	       "\"chunks_ahead\": %llu, \"spare_bytes\": %llu, \"storage_ahead\": %llu, \"fault_pages\": %llu, \"fault_migrated\": %llu, "
	       "\"remote_pages\": %llu, \"prefetched\": %llu, \"prefetch_hits\": %llu, "
	       "\"prefetch_waste\": %llu, \"thrashing_events\": %llu, \"thrashing_held\": %llu}",
	       d->id, d->id, devmm_kind_name(d->kind), devmm_policy_name(d->policy),
	       (unsigned long long)d->base, (unsigned long long)d->capacity,
	       (unsigned long long)d->used, (unsigned long long)d->used_max,
	       (unsigned long long)d->mapped, (unsigned long long)d->to_device,
	       (unsigned long long)d->to_system, (unsigned long long)d->cpu_faults,
	       (unsigned long long)d->device_faults, (unsigned long long)d->evicted,
	       (unsigned long long)d->evict_passes, (unsigned long long)d->evict_failures,
	       (unsigned long long)d->map_bytes, (unsigned long long)d->map_read_faults,
	       (unsigned long long)d->map_write_faults, (unsigned long long)d->map_mkwrite,
	       (unsigned long long)d->chunks_ahead, (unsigned long long)d->spare_bytes,
	       (unsigned long long)d->storage_ahead,
	       (unsigned long long)d->fault_pages,
	       (unsigned long long)d->fault_migrated, (unsigned long long)d->remote_pages,
	       (unsigned long long)d->prefetched, (unsigned long long)d->prefetch_hits,
	       (unsigned long long)d->prefetch_waste, (unsigned long long)d->thrashing_events,
	       (unsigned long long)d->thrashing_held);
}

/* load, unload: through libkmod. */

static void kmod_log(void *data, int priority, const char *file, int line, const char *fn,
		     const char *format, va_list args)
{
	char msg[200];

	(void)data, (void)priority, (void)file, (void)line, (void)fn;
	vsnprintf(msg, sizeof(msg), format, args);
	errmsg("libkmod: %s", msg);
}

static struct kmod_ctx *kmod_open(void)
{
	struct kmod_ctx *ctx = kmod_new(NULL, NULL);

	if (!ctx) {
		errmsg("libkmod: cannot create a context");
		return NULL;
	}
	kmod_set_log_fn(ctx, kmod_log, NULL);
	return ctx;
}

/*
 * Is @name a parameter of @mod?  Its .modinfo names each one in "parm=name:
 * description" and (module_param() only) "parmtype=name:type".  -1: unknown.
 * @all gets the names, for the message.
 */
static int has_param(struct kmod_module *mod, const char *name, size_t len, char *all,
		     size_t alllen)
{
	struct kmod_list *info = NULL, *l;
	char seen[1024] = ",", word[67];
	int found = 0;

	if (kmod_module_get_info(mod, &info) < 0)
		return -1;
	all[0] = '\0';
	kmod_list_foreach(l, info) {
		const char *key = kmod_module_info_get_key(l);
		const char *v = kmod_module_info_get_value(l);
		const char *colon = v ? strchr(v, ':') : NULL;
		int n;

		if ((strcmp(key, "parm") && strcmp(key, "parmtype")) || !colon ||
		    colon - v > 63)
			continue;
		n = colon - v;
		if ((size_t)n == len && !strncmp(v, name, len))
			found = 1;
		/* Each name once, though both keys give it. */
		snprintf(word, sizeof(word), ",%.*s,", n, v);
		if (strstr(seen, word))
			continue;
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s", word + 1);
		snprintf(all + strlen(all), alllen - strlen(all), "%s%.*s", all[0] ? ", " : "",
			 n, v);
	}
	kmod_module_info_free_list(info);
	return found;
}

/* After a failed load: the kernel's own lines about devmm since @kmsg was opened. */
static void print_kmsg(int kmsg)
{
	char rec[1024];
	ssize_t n;

	if (kmsg < 0)
		return;
	while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		char *msg, *nl;

		if (n < 0)
			continue;	/* records were overwritten: go on */
		rec[n] = '\0';
		msg = strchr(rec, ';');
		if (!msg || strncmp(msg + 1, "devmm", 5) || strstr(msg, "taint"))
			continue;
		nl = strchr(++msg, '\n');
		if (nl)
			*nl = '\0';
		errmsg("kernel: %s", msg);
	}
}

static const char *load_strerror(int err)
{
	switch (err) {
	case EEXIST: return "devmm is already loaded";
	case ENOENT: return "no such file";
	case EINVAL: return "a module parameter was refused (the kernel log says which)";
	case EOPNOTSUPP: return "the parameters ask for what this kernel cannot do (private=N "
				"needs CONFIG_DEVICE_PRIVATE)";
	case ENOEXEC: return "not a module for this kernel (vermagic or architecture)";
	case EKEYREJECTED: return "the module's signature was rejected (Secure Boot: enroll "
				  "the DKMS key, see README.Debian)";
	case EPERM: return "not permitted (root only, or module loading is disabled)";
	case EBUSY: return "the range or the resources asked for are in use";
	default: return strerror(err);
	}
}

static int cmd_load(int argc, char **argv)
{
	const char *path = NULL, *name;
	struct kmod_module *mod = NULL;
	struct kmod_list *list = NULL;
	struct kmod_ctx *ctx;
	char params[4096] = "", known[512];
	int i, ret, kmsg, rc = EXIT_FAILED;
	size_t len;

	if (argc > 0 && (strchr(argv[0], '/') || strstr(argv[0], ".ko"))) {
		path = argv[0];
		argc--, argv++;
	}
	for (i = 0; i < argc; i++) {
		if (!strchr(argv[i], '=') || argv[i][0] == '=')
			return usage("bad module parameter '%s': PARAM=VALUE", argv[i]);
		len = strlen(params);
		if (snprintf(params + len, sizeof(params) - len, "%s%s", len ? " " : "",
			     argv[i]) >= (int)(sizeof(params) - len))
			return usage("module parameters too long");
	}
	ctx = kmod_open();
	if (!ctx)
		return EXIT_FAILED;
	if (path) {
		ret = kmod_module_new_from_path(ctx, path, &mod);
		if (ret < 0) {
			errno_err(ret, "load %s: %s (%s)", path, strerror(-ret), ename(ret));
			goto out;
		}
	} else {
		ret = kmod_module_new_from_lookup(ctx, "devmm", &list);
		if (ret < 0 || !list) {
			errmsg("load: no devmm module for this kernel (install "
				"devmm-dkms, or give the path of devmm.ko)");
			goto out;
		}
		mod = kmod_module_get_module(list);
		kmod_module_unref_list(list);
	}
	name = kmod_module_get_name(mod);
	if (strcmp(name, "devmm")) {
		errmsg("load: %s is module '%s', not devmm",
			path ? path : "the module found", name);
		goto out;
	}
	/* The kernel would ignore unknown parameters with a warning: refuse them. */
	for (i = 0; i < argc; i++) {
		len = strchr(argv[i], '=') - argv[i];
		if (has_param(mod, argv[i], len, known, sizeof(known)) == 0) {
			rc = usage("devmm has no parameter '%.*s' (it has: %s)", (int)len, argv[i],
				   known);
			goto out;
		}
	}
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	if (path)
		ret = kmod_module_insert_module(mod, 0, params);
	else	/* like modprobe: with the options of /etc/modprobe.d too */
		ret = kmod_module_probe_insert_module(mod, KMOD_PROBE_FAIL_ON_LOADED, params,
						      NULL, NULL, NULL);
	if (ret < 0) {
		errno_err(ret, "load %s%s%s: %s (%s)",
			path ? path : kmod_module_get_path(mod) ?: "devmm", params[0] ? " " : "",
			params, load_strerror(-ret), ename(ret));
		print_kmsg(kmsg);
	} else {
		rc = EXIT_OK;
		if (opt.json) {
			printf("{\"loaded\": true, \"path\": ");
			json_str(path ? path : kmod_module_get_path(mod) ?: "");
			printf(", \"params\": ");
			json_str(params);
			printf("}\n");
		} else {
			printf("loaded devmm%s%s\n", params[0] ? " " : "", params);
		}
	}
	if (kmsg >= 0)
		close(kmsg);
out:
	if (mod)
		kmod_module_unref(mod);
	kmod_unref(ctx);
	return rc;
}

static int cmd_unload(void)
{
	struct kmod_module *mod;
	struct kmod_ctx *ctx;
	int ret, rc = EXIT_FAILED, refs;

	ctx = kmod_open();
	if (!ctx)
		return EXIT_FAILED;
	ret = kmod_module_new_from_name(ctx, "devmm", &mod);
	if (ret < 0) {
		errno_err(ret, "unload: %s (%s)", strerror(-ret), ename(ret));
		goto out_ctx;
	}
	ret = kmod_module_get_initstate(mod);
	if (ret == -ENOENT) {
		errmsg("unload: devmm is not loaded");
		rc = EXIT_NOT_LOADED;
		goto out;
	}
	ret = kmod_module_remove_module(mod, KMOD_REMOVE_NOLOG);
	if (ret == -EAGAIN || ret == -EBUSY) {
		refs = kmod_module_get_refcnt(mod);
		errno_err(ret, "unload: devmm is in use (%d references: open device "
			"files or mapped buffers) (%s)", refs, ename(ret));
	} else if (ret == -ENOENT) {
		errmsg("unload: devmm is not loaded");
		rc = EXIT_NOT_LOADED;
	} else if (ret < 0) {
		errno_err(ret, "unload: %s (%s)", strerror(-ret), ename(ret));
	} else {
		rc = EXIT_OK;
		if (opt.json)
			printf("{\"unloaded\": true}\n");
		else
			printf("unloaded devmm\n");
	}
out:
	kmod_module_unref(mod);
out_ctx:
	kmod_unref(ctx);
	return rc;
}

/* info, list, stats */

static int cmd_info(void)
{
	struct devmm_info info;
	unsigned int i;
	int fd, ret;

	ret = open_control(&fd);
	if (ret)
		return ret;
	ret = devmm_info(fd, &info);
	close(fd);
	if (ret == -EPROTO) {
		errmsg("module ABI %u.%u, this tool speaks %u.%u",
			info.abi_major, info.abi_minor, DEVMM_ABI_MAJOR, DEVMM_ABI_MINOR);
		return EXIT_FAILED;
	}
	if (ret)
		return fail(DEVMM_OP_INFO, ret, "info");
	if (opt.json) {
		printf("{\"version\": ");
		json_str(info.version);
		printf(", \"abi\": [%u, %u], \"caps\": {", info.abi_major, info.abi_minor);
		for (i = 0; i < NCAPS; i++)
			printf("%s\"%s\": %s", i ? ", " : "", cap_names[i].name,
			       info.caps & cap_names[i].bit ? "true" : "false");
		printf("}, \"devices\": %u, \"private\": %u, \"coherent\": %u, \"mirror\": %u, "
		       "\"page_size\": %u, \"private_capacity\": %llu}\n",
		       info.ndevices, info.nprivate, info.ncoherent, info.nmirror, info.page_size,
		       (unsigned long long)info.private_capacity);
		return EXIT_OK;
	}
	printf("devmm %s (ABI %u.%u)\n", info.version, info.abi_major, info.abi_minor);
	printf("capabilities:\n");
	for (i = 0; i < NCAPS; i++)
		printf("  %-20s %s\n", cap_names[i].name,
		       info.caps & cap_names[i].bit ? "yes" : "no");
	printf("devices:      %u (%u private, %u coherent, %u mirror-only)\n", info.ndevices,
	       info.nprivate, info.ncoherent, info.nmirror);
	printf("private capacity: %llu MiB each\n",
	       (unsigned long long)info.private_capacity >> 20);
	printf("page size:    %u\n", info.page_size);
	return EXIT_OK;
}

static int cmd_list(void)
{
	struct devmm_dev_info d;
	uint32_t from = 0;
	int fd, ret, n = 0;

	ret = open_control(&fd);
	if (ret)
		return ret;
	if (opt.json)
		printf("[");
	else
		printf("%-4s %-12s %-6s %10s %10s %10s %12s %12s %10s\n", "id", "kind", "policy",
		       "capacity", "used", "used_max", "to_device", "to_system", "evicted");
	while (!(ret = devmm_query(fd, from, &d))) {
		if (opt.json) {
			printf("%s", n ? ", " : "");
			json_device(&d);
		} else {
			printf("%-4u %-12s %-6s %9lluM %9lluM %9lluM %12llu %12llu %10llu\n", d.id,
			       devmm_kind_name(d.kind), devmm_policy_name(d.policy),
			       (unsigned long long)d.capacity >> 20,
			       (unsigned long long)d.used >> 20,
			       (unsigned long long)d.used_max >> 20,
			       (unsigned long long)d.to_device, (unsigned long long)d.to_system,
			       (unsigned long long)d.evicted);
		}
		n++;
		if (d.id == UINT32_MAX)
			break;
		from = d.id + 1;
	}
	if (opt.json)
		printf("]\n");
	close(fd);
	if (ret && ret != -ENOENT)
		return fail(DEVMM_OP_QUERY, ret, "list");
	return EXIT_OK;
}

static void print_stats(const struct devmm_dev_info *d)
{
	char a[32], b[32];

	printf("device %u (/dev/" DEVMM_NODE_PREFIX "%u): %s, policy %s", d->id, d->id,
	       devmm_kind_name(d->kind), devmm_policy_name(d->policy));
	if (d->kind == DEVMM_KIND_COHERENT)
		printf(", base 0x%llx", (unsigned long long)d->base);
	printf("\n");
	printf("  capacity          %s\n", human(d->capacity, a, sizeof(a)));
	printf("  used              %s (most ever %s)\n", human(d->used, a, sizeof(a)),
	       human(d->used_max, b, sizeof(b)));
	printf("  mapped            %s (%llu chunks ahead of need)\n", human(d->mapped, a, sizeof(a)),
	       (unsigned long long)d->chunks_ahead);
	printf("  storage ahead     %s (backing given ahead of first use)\n",
	       human(d->storage_ahead, a, sizeof(a)));
	printf("  mmap buffers      %s\n", human(d->map_bytes, a, sizeof(a)));
	printf("  spare THPs        %s (for CPU faults)\n", human(d->spare_bytes, a, sizeof(a)));
	printf("  to_device         %llu pages\n", (unsigned long long)d->to_device);
	printf("  to_system         %llu pages\n", (unsigned long long)d->to_system);
	printf("  cpu_faults        %llu\n", (unsigned long long)d->cpu_faults);
	printf("  device_faults     %llu\n", (unsigned long long)d->device_faults);
	printf("  evicted           %llu pages in %llu passes (%llu could not move)\n",
	       (unsigned long long)d->evicted, (unsigned long long)d->evict_passes,
	       (unsigned long long)d->evict_failures);
	printf("  map faults        %llu read, %llu write, %llu mkwrite\n",
	       (unsigned long long)d->map_read_faults, (unsigned long long)d->map_write_faults,
	       (unsigned long long)d->map_mkwrite);
	printf("  demand paging     %llu device faults (pages), %llu pages migrated on fault, "
	       "%llu remote\n", (unsigned long long)d->fault_pages,
	       (unsigned long long)d->fault_migrated, (unsigned long long)d->remote_pages);
	printf("  prefetch          %llu pages, %llu hits, %llu untouched\n",
	       (unsigned long long)d->prefetched, (unsigned long long)d->prefetch_hits,
	       (unsigned long long)d->prefetch_waste);
	printf("  thrashing         %llu events, %llu faults held\n",
	       (unsigned long long)d->thrashing_events, (unsigned long long)d->thrashing_held);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_stats(uint32_t id)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int fd, ret, tty = isatty(STDOUT_FILENO);
	struct devmm_dev_info d;
	struct timespec ts;

	ret = open_control(&fd);
	if (ret)
		return ret;
	if (opt.watch) {
		/* No SA_RESTART: the signal ends the sleep at once. */
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	for (;;) {
		ret = devmm_find(fd, id, &d);
		if (ret) {
			close(fd);
			return fail(DEVMM_OP_FIND, ret, "stats %u", id);
		}
		if (opt.json) {
			if (opt.watch) {
				clock_gettime(CLOCK_REALTIME, &ts);
				printf("{\"time\": %lld.%03ld, \"device\": ", (long long)ts.tv_sec,
				       ts.tv_nsec / 1000000);
				json_device(&d);
				printf("}\n");
			} else {
				json_device(&d);
				printf("\n");
			}
		} else {
			if (opt.watch && tty)
				printf("\033[H\033[2J");
			else if (opt.watch)
				printf("\n");
			print_stats(&d);
		}
		fflush(stdout);
		if (!opt.watch || stop)
			break;
		ts.tv_sec = (time_t)opt.interval;
		ts.tv_nsec = (long)((opt.interval - ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		if (stop)
			break;
	}
	close(fd);
	return EXIT_OK;
}

/* create, destroy, evict, capacity, policy */

static int cmd_create(int argc, char **argv)
{
	uint32_t id, policy = opt.have_policy ? opt.policy : DEVMM_POLICY_LRU;
	struct devmm_dev_info d;
	uint64_t a = 0, b = 0;
	enum devmm_op op;
	char h[32];
	int fd, ret;

	if (argc < 1)
		return usage("create: which kind? private, coherent or mirror");
	if (!strcmp(argv[0], "private")) {
		if (argc != 2)
			return usage("usage: create private CAPACITY");
		ret = parse_size(argv[1], &a);
		if (ret)
			return ret;
		if (!a)
			return usage("create private: the capacity must not be 0");
		op = DEVMM_OP_CREATE_PRIVATE;
	} else if (!strcmp(argv[0], "coherent")) {
		if (argc != 3)
			return usage("usage: create coherent BASE SIZE");
		ret = parse_size(argv[1], &a);
		if (!ret)
			ret = parse_size(argv[2], &b);
		if (ret)
			return ret;
		op = DEVMM_OP_CREATE_COHERENT;
	} else if (!strcmp(argv[0], "mirror")) {
		if (argc != 1)
			return usage("usage: create mirror");
		op = DEVMM_OP_CREATE_MIRROR;
	} else {
		return usage("create: unknown kind '%s' (private, coherent or mirror)", argv[0]);
	}
	ret = open_control(&fd);
	if (ret)
		return ret;
	if (op == DEVMM_OP_CREATE_PRIVATE)
		ret = devmm_create_private(fd, a, policy, &id);
	else if (op == DEVMM_OP_CREATE_COHERENT)
		ret = devmm_create_coherent(fd, a, b, policy, &id);
	else
		ret = devmm_create_mirror(fd, policy, &id);
	if (ret) {
		close(fd);
		if (op == DEVMM_OP_CREATE_COHERENT)
			return fail(op, ret, "create coherent 0x%llx %s", (unsigned long long)a,
				    argv[2]);
		return fail(op, ret, "create %s%s%s", argv[0], argc > 1 ? " " : "",
			    argc > 1 ? argv[1] : "");
	}
	ret = devmm_find(fd, id, &d);
	close(fd);
	if (ret)	/* destroyed at once by someone else */
		return fail(DEVMM_OP_FIND, ret, "device %u", id);
	if (opt.json) {
		json_device(&d);
		printf("\n");
	} else {
		printf("created device %u (/dev/" DEVMM_NODE_PREFIX "%u): %s", id, id,
		       devmm_kind_name(d.kind));
		if (d.kind != DEVMM_KIND_MIRROR)
			printf(", %s", human(d.capacity, h, sizeof(h)));
		if (d.kind == DEVMM_KIND_COHERENT)
			printf(" at 0x%llx", (unsigned long long)d.base);
		printf(", policy %s\n", devmm_policy_name(d.policy));
	}
	return EXIT_OK;
}

static int cmd_destroy(uint32_t id)
{
	int fd, ret;

	ret = open_control(&fd);
	if (ret)
		return ret;
	ret = devmm_destroy(fd, id);
	close(fd);
	if (ret)
		return fail(DEVMM_OP_DESTROY, ret, "destroy %u", id);
	if (opt.json)
		printf("{\"id\": %u, \"destroyed\": true}\n", id);
	else
		printf("destroyed device %u\n", id);
	return EXIT_OK;
}

static void progress_bar(uint32_t id, uint64_t done, uint64_t total)
{
	unsigned int pct = total ? (done >= total ? 100 : done * 100 / total) : 100;
	unsigned int fill = pct * 40 / 100;
	char bar[41];

	memset(bar, '#', fill);
	memset(bar + fill, '.', 40 - fill);
	bar[40] = '\0';
	printf("\revicting from device %u [%s] %3u%% %llu/%llu MiB", id, bar, pct,
	       (unsigned long long)(done / MIB), (unsigned long long)(total / MIB));
	fflush(stdout);
}

/*
 * Evict @bytes (0: all) from device @id.  On a terminal, a large eviction
 * (or any, with --progress) goes in steps with a progress bar; evict-all
 * then ends with one EVICT of everything, which also finds pages whose
 * recorded owner is stale.  The kernel skips pages whose process is busy
 * at that moment (EBUSY once it gave up), so evict-all tries again for a
 * while before it reports pages that cannot move.
 */
static int cmd_evict(uint32_t id, uint64_t bytes)
{
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	uint64_t total = 0, got, target, step, evicted;
	struct devmm_dev_info before, d;
	int fd, ret, bar, tries = 0;
	char h[32];

	ret = open_control(&fd);
	if (ret)
		return ret;
	ret = devmm_find(fd, id, &before);
	if (ret) {
		close(fd);
		return fail(DEVMM_OP_FIND, ret, "evict %u", id);
	}
	/* mmap buffers never move. */
	target = bytes ? bytes : before.used - (before.map_bytes < before.used ?
						before.map_bytes : before.used);
	bar = !opt.json && (opt.progress == 1 || (opt.progress == -1 &&
						  isatty(STDOUT_FILENO) && target >= PROGRESS_MIN));
	if (bar) {
		step = target / PROGRESS_STEPS;
		step = step < 2 * MIB ? 2 * MIB : step & ~(MIB - 1);
		progress_bar(id, 0, target);
		while (total < target) {
			ret = devmm_evict(fd, id, target - total < step ? target - total : step,
					  &got);
			if (ret || !got)
				break;
			total += got;
			progress_bar(id, total, target);
		}
	}
	if (!ret && (!bytes || total < bytes)) {
		while ((ret = devmm_evict(fd, id, bytes ? bytes - total : 0, &got)) == -EBUSY &&
		       !bytes && ++tries < 30)
			nanosleep(&pause, NULL);
		if (!ret)
			total += got;
	}
	if (!ret)
		ret = devmm_find(fd, id, &d);
	close(fd);
	if (bar) {
		if (!ret)
			progress_bar(id, total > target ? total : target, target);
		printf("\n");
	}
	if (ret == -ENODEV)
		return fail(DEVMM_OP_FIND, ret, "evict %u", id);
	if (ret)
		return fail(DEVMM_OP_EVICT, ret, "evict %u", id);
	/* As the device counts it: what the retries moved too. */
	evicted = (d.evicted - before.evicted) * sysconf(_SC_PAGESIZE);
	if (opt.json) {
		printf("{\"id\": %u, \"requested\": ", id);
		if (bytes)
			printf("%llu", (unsigned long long)bytes);
		else
			printf("\"all\"");
		printf(", \"evicted\": %llu, \"used\": %llu}\n", (unsigned long long)evicted,
		       (unsigned long long)d.used);
	} else {
		printf("evicted %s from device %u", human(evicted, h, sizeof(h)), id);
		printf(", %s in use\n", human(d.used, h, sizeof(h)));
	}
	return EXIT_OK;
}

static int cmd_capacity(uint32_t id, uint64_t bytes)
{
	struct devmm_dev_info before, after;
	char a[32], b[32], c[32];
	int fd, ret;

	ret = open_control(&fd);
	if (ret)
		return ret;
	ret = devmm_find(fd, id, &before);
	if (!ret)
		ret = devmm_set_capacity(fd, id, bytes);
	if (ret) {
		close(fd);
		return fail(ret == -ENODEV ? DEVMM_OP_FIND : DEVMM_OP_SET_CAPACITY, ret,
			    "capacity %u %llu", id, (unsigned long long)bytes);
	}
	ret = devmm_find(fd, id, &after);
	close(fd);
	if (ret)
		return fail(DEVMM_OP_FIND, ret, "capacity %u", id);
	if (opt.json)
		printf("{\"id\": %u, \"capacity\": %llu, \"previous\": %llu, \"used\": %llu}\n", id,
		       (unsigned long long)after.capacity, (unsigned long long)before.capacity,
		       (unsigned long long)after.used);
	else
		printf("device %u: capacity %s (was %s), %s in use\n", id,
		       human(after.capacity, a, sizeof(a)), human(before.capacity, b, sizeof(b)),
		       human(after.used, c, sizeof(c)));
	return EXIT_OK;
}

static int cmd_policy(uint32_t id, uint32_t policy)
{
	int fd, ret;

	ret = open_control(&fd);
	if (ret)
		return ret;
	ret = devmm_set_policy(fd, id, policy);
	close(fd);
	if (ret)
		return fail(DEVMM_OP_SET_POLICY, ret, "policy %u %s", id,
			    devmm_policy_name(policy));
	if (opt.json)
		printf("{\"id\": %u, \"policy\": \"%s\"}\n", id, devmm_policy_name(policy));
	else
		printf("device %u: policy %s\n", id, devmm_policy_name(policy));
	return EXIT_OK;
}

/* selftest */

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define PATTERN(i) ((i) * 0x9e3779b97f4a7c15ULL)

/*
 * Migrate a patterned 64 MiB buffer to device @id (or the first device with
 * memory) and back, checking the data through the device and the CPU.
 */
static int cmd_selftest(long id)
{
	const size_t len = 64UL << 20, psz = sysconf(_SC_PAGESIZE), np = len / psz;
	double t_to, t_read, t_back;
	struct devmm_dev_info d;
	uint64_t *p, *buf, i, cpages;
	int ctl, fd, ret, bad = 0;

	ret = open_control(&ctl);
	if (ret)
		return ret;
	if (id >= 0) {
		ret = devmm_find(ctl, id, &d);
		if (ret) {
			close(ctl);
			return fail(DEVMM_OP_FIND, ret, "selftest %ld", id);
		}
	} else {
		uint32_t from = 0;

		while (!(ret = devmm_query(ctl, from, &d)) && d.kind == DEVMM_KIND_MIRROR)
			from = d.id + 1;
	}
	close(ctl);
	if (ret || d.kind == DEVMM_KIND_MIRROR) {
		if (id >= 0)
			errmsg("selftest %ld: a mirror-only device has no "
				"memory", id);
		else
			errmsg("selftest: no device with memory");
		return EXIT_FAILED;
	}
	fd = devmm_open_node(d.id);
	if (fd < 0)
		return fail(DEVMM_OP_OPEN_NODE, fd, "selftest: /dev/" DEVMM_NODE_PREFIX "%u", d.id);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || buf == MAP_FAILED) {
		errno_err(-errno, "selftest: mmap: %s", strerror(errno));
		return EXIT_FAILED;
	}
	for (i = 0; i < len / 8; i++)
		p[i] = PATTERN(i);
	t_to = seconds();
	ret = devmm_migrate_to_dev(fd, p, np, &cpages);
	if (ret)
		return fail(DEVMM_OP_MIGRATE_TO_DEV, ret, "selftest: device %u", d.id);
	t_to = seconds() - t_to;
	if (cpages != np) {
		errmsg("selftest: %llu of %zu pages moved to the device",
			(unsigned long long)cpages, np);
		bad = 1;
	}
	t_read = seconds();
	ret = devmm_read(fd, p, np, buf, NULL, NULL);
	if (ret)
		return fail(DEVMM_OP_READ, ret, "selftest: device %u", d.id);
	t_read = seconds() - t_read;
	/* Against the pattern, not p: a CPU access would fault p back home. */
	for (i = 0; i < len / 8; i++)
		bad |= buf[i] != PATTERN(i);
	t_back = seconds();
	ret = devmm_migrate_to_sys(fd, p, np, &cpages);
	if (ret)
		return fail(DEVMM_OP_MIGRATE_TO_SYS, ret, "selftest: device %u", d.id);
	t_back = seconds() - t_back;
	if (cpages != np) {
		errmsg("selftest: %llu of %zu pages came back to system memory",
			(unsigned long long)cpages, np);
		bad = 1;
	}
	for (i = 0; i < len / 8; i++)
		bad |= p[i] != PATTERN(i);
	close(fd);
	munmap(p, len);
	munmap(buf, len);
	if (opt.json)
		printf("{\"device\": %u, \"kind\": \"%s\", \"bytes\": %zu, \"verified\": %s, "
		       "\"to_device_mbps\": %.0f, \"device_read_mbps\": %.0f, \"to_system_mbps\": %.0f}\n",
		       d.id, devmm_kind_name(d.kind), len, bad ? "false" : "true",
		       len / 1e6 / t_to, len / 1e6 / t_read, len / 1e6 / t_back);
	else
		printf("device %u (%s): %zu MiB to the device %.0f MB/s, read by the device %.0f MB/s, "
		       "back to system memory %.0f MB/s: %s\n", d.id, devmm_kind_name(d.kind),
		       len >> 20, len / 1e6 / t_to, len / 1e6 / t_read, len / 1e6 / t_back,
		       bad ? "DATA MISMATCH" : "data verified");
	return bad ? EXIT_FAILED : EXIT_OK;
}

/* "none", "seq:64", "density:51". */
static const char *prefetch_str(const struct devmm_settings *set, char *buf, size_t len)
{
	if (set->prefetch == DEVMM_PREFETCH_SEQ)
		snprintf(buf, len, "seq:%u", set->prefetch_arg);
	else if (set->prefetch == DEVMM_PREFETCH_DENSITY)
		snprintf(buf, len, "density:%u", set->prefetch_arg);
	else
		snprintf(buf, len, "none");
	return buf;
}

/* A counter's change over a replay. */
#define DELTA(r, f) ((unsigned long long)((r)->after.f - (r)->before.f))

static void print_replay(const struct trace *t, const struct replay_result *r,
			 const struct devmm_settings *set, uint64_t capacity)
{
	double rate = r->seconds > 0 ? t->n / r->seconds : 0;
	char pf[32];

	if (opt.json) {
		printf("{\"records\": %zu, \"device_faults\": %llu, \"pages_to_device\": %llu, "
		       "\"pages_to_system\": %llu, \"evicted\": %llu, \"prefetched\": %llu, "
		       "\"prefetch_hits\": %llu, \"prefetch_waste\": %llu, "
		       "\"thrashing_events\": %llu, \"thrashing_held\": %llu, "
		       "\"remote_accesses\": %llu, "
		       "\"cpu_faults\": %llu, \"fault_migrated\": %llu, \"evict_failures\": %llu, "
		       "\"seconds\": %.6f, \"records_per_second\": %.0f, \"bad_pages\": %llu, "
		       "\"cpu_read_mismatches\": %llu, "
		       "\"policy\": \"%s\", \"evict_batch\": %u, \"evict_unit\": \"%s\", "
		       "\"seed\": %llu, \"granularity\": %llu, "
		       "\"capacity\": %llu, \"prefetch\": \"%s\", \"thrashing\": \"%s\"}\n",
		       t->n, DELTA(r, fault_pages), DELTA(r, to_device), DELTA(r, to_system),
		       DELTA(r, evicted), DELTA(r, prefetched), DELTA(r, prefetch_hits),
		       DELTA(r, prefetch_waste), DELTA(r, thrashing_events),
		       DELTA(r, thrashing_held), DELTA(r, remote_pages), DELTA(r, cpu_faults),
		       DELTA(r, fault_migrated), DELTA(r, evict_failures), r->seconds, rate,
		       (unsigned long long)r->bad_pages, (unsigned long long)r->cpu_bad,
		       devmm_policy_name(set->policy), set->evict_batch,
		       set->evict_unit == DEVMM_EVICT_UNIT_BLOCK ? "block" : "page",
		       (unsigned long long)set->seed, (unsigned long long)r->granularity,
		       (unsigned long long)capacity, prefetch_str(set, pf, sizeof(pf)),
		       set->thrashing ? "on" : "off");
		return;
	}
	printf("records          %zu (%.0f/s, %.3f s)\n", t->n, rate, r->seconds);
	printf("device faults    %llu pages (%llu migrated on fault)\n", DELTA(r, fault_pages),
	       DELTA(r, fault_migrated));
	printf("to device        %llu pages\n", DELTA(r, to_device));
	printf("to system        %llu pages\n", DELTA(r, to_system));
	printf("evicted          %llu pages (%llu could not move then)\n", DELTA(r, evicted),
	       DELTA(r, evict_failures));
	printf("prefetched       %llu pages (%s: %llu then accessed, %llu left untouched)\n",
	       DELTA(r, prefetched), prefetch_str(set, pf, sizeof(pf)), DELTA(r, prefetch_hits),
	       DELTA(r, prefetch_waste));
	printf("thrashing        %llu events, %llu faults held in place (control %s)\n",
	       DELTA(r, thrashing_events), DELTA(r, thrashing_held), set->thrashing ? "on" : "off");
	printf("remote accesses  %llu pages\n", DELTA(r, remote_pages));
	printf("CPU faults       %llu\n", DELTA(r, cpu_faults));
	printf("data             %s\n", r->bad_pages || r->cpu_bad ? "LOST" : "intact");
}

static const char replay_usage[] =
	"usage: replay ID TRACE|--pattern P [--size BYTES] [--records N] "
	"[--policy lru|fifo|clock|random|lfu|uvm] [--evict-batch N] [--evict-unit page|block] "
	"[--seed N] [--granularity 4K|64K|2M] [--capacity BYTES] "
	"[--prefetch none|seq[:KB]|density[:PCT]] "
	"[--thrashing on|off] [--json]";

/*
 * Write @val to devmm's module parameter @name; the old value (malloc()ed),
 * or NULL if it could not be read or written.
 */
static char *param_swap(const char *name, const char *val)
{
	char path[128], old[32] = "";
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/module/devmm/parameters/%s", name);
	f = fopen(path, "r+");
	if (!f)
		return NULL;
	ok = fgets(old, sizeof(old), f) && !fseek(f, 0, SEEK_SET) && fputs(val, f) >= 0;
	if (fclose(f) || !ok)
		return NULL;
	old[strcspn(old, "\n")] = '\0';
	return strdup(old);
}

static const char settings_usage[] =
	"usage: settings ID [--policy lru|fifo|clock|random|lfu|uvm] [--evict-batch N] "
	"[--evict-unit page|block] [--seed N] [--prefetch none|seq[:KB]|density[:PCT]] "
	"[--thrashing on|off] [--json]";

/* "on" or "off": 1 or 0; -1 for anything else. */
static int parse_onoff(const char *s)
{
	return !s ? -1 : !strcmp(s, "on") ? 1 : !strcmp(s, "off") ? 0 : -1;
}

/* A fault granularity (4K, 64K or 2M) into @v: 0, or -1. */
static int parse_granularity(const char *s, uint64_t *v)
{
	return s && !devmm_parse_size(s, v) && (*v == 4096 || *v == 65536 || *v == 2 * MIB) ?
	       0 : -1;
}

/*
 * One option of a device's settings and its value (@cmd's: settings and
 * replay share them) into @set, with its DEVMM_SET_* bit in @set->mask:
 * EXIT_OK, a usage error naming the option and what it takes, or -1 if @a
 * is not a settings option.
 */
static int settings_option(const char *cmd, const char *a, const char *val,
			   struct devmm_settings *set)
{
	uint64_t v;

	if (strcmp(a, "--policy") && strcmp(a, "--evict-batch") && strcmp(a, "--evict-unit") &&
	    strcmp(a, "--seed") && strcmp(a, "--prefetch") && strcmp(a, "--thrashing"))
		return -1;
	if (!val)
		return usage("%s: %s needs a value", cmd, a);
	if (!strcmp(a, "--policy")) {
		if (devmm_parse_policy(val, &set->policy))
			return usage("--policy: unknown policy '%s' (lru, fifo, clock, random, lfu "
				     "or uvm)", val);
		set->mask |= DEVMM_SET_POLICY;
	} else if (!strcmp(a, "--evict-batch")) {
		if (devmm_parse_size(val, &v) || !v || v > DEVMM_EVICT_BATCH_MAX)
			return usage("--evict-batch takes 1 to %d pages, not '%s'",
				     DEVMM_EVICT_BATCH_MAX, val);
		set->evict_batch = v;
		set->mask |= DEVMM_SET_EVICT_BATCH;
	} else if (!strcmp(a, "--evict-unit")) {
		if (strcmp(val, "page") && strcmp(val, "block"))
			return usage("--evict-unit takes page or block, not '%s'", val);
		set->evict_unit = !strcmp(val, "block") ? DEVMM_EVICT_UNIT_BLOCK :
							  DEVMM_EVICT_UNIT_PAGE;
		set->mask |= DEVMM_SET_EVICT_UNIT;
	} else if (!strcmp(a, "--seed")) {
		if (devmm_parse_size(val, &v))
			return usage("--seed takes a number, 0 to 2^64-1, not '%s'", val);
		set->seed = v;
		set->mask |= DEVMM_SET_SEED;
	} else if (!strcmp(a, "--prefetch")) {
		int err = trace_parse_prefetch(val, &set->prefetch, &set->prefetch_arg);

		if (err == -EINVAL)
			return usage("--prefetch takes none, seq[:KB] or density[:PCT], not '%s'",
				     val);
		if (err)
			return usage("--prefetch %s: seq:KB takes 4 to 2048 (a multiple of 4), "
				     "density:PCT 1 to 100", val);
		set->mask |= DEVMM_SET_PREFETCH;
	} else {
		int on = parse_onoff(val);

		if (on < 0)
			return usage("--thrashing takes on or off, not '%s'", val);
		set->thrashing = on;
		set->mask |= DEVMM_SET_THRASHING;
	}
	return EXIT_OK;
}

/* One replay option and its value; EXIT_OK or a usage error. */
static int replay_option(const char *a, const char *val, struct devmm_settings *set,
			 struct replay_result *res, const char **pattern, uint64_t *size,
			 uint64_t *records, uint64_t *capacity)
{
	uint64_t v;
	int ret = settings_option("replay", a, val, set);

	if (ret >= 0)
		return ret;
	if (strcmp(a, "--pattern") && strcmp(a, "--size") && strcmp(a, "--capacity") &&
	    strcmp(a, "--records") && strcmp(a, "--granularity"))
		return usage("replay: unknown option '%s'", a);
	if (!val)
		return usage("replay: %s needs a value", a);
	if (!strcmp(a, "--pattern")) {
		*pattern = val;
	} else if (!strcmp(a, "--granularity")) {
		if (parse_granularity(val, &v))
			return usage("--granularity takes 4K, 64K or 2M, not '%s'", val);
		res->granularity = v;
	} else {
		if (parse_size(val, &v))
			return EXIT_USAGE;
		*(!strcmp(a, "--size") ? size : !strcmp(a, "--records") ? records : capacity) = v;
	}
	return EXIT_OK;
}

static void print_settings(uint32_t id, const struct devmm_settings *set)
{
	char pf[32];

	prefetch_str(set, pf, sizeof(pf));
	if (opt.json) {
		printf("{\"id\": %u, \"policy\": \"%s\", \"evict_batch\": %u, \"evict_unit\": "
		       "\"%s\", \"seed\": %llu, \"prefetch\": \"%s\", \"thrashing\": \"%s\"}\n",
		       id, devmm_policy_name(set->policy), set->evict_batch,
		       set->evict_unit == DEVMM_EVICT_UNIT_BLOCK ? "block" : "page",
		       (unsigned long long)set->seed, pf, set->thrashing ? "on" : "off");
		return;
	}
	printf("device %u (/dev/" DEVMM_NODE_PREFIX "%u) settings:\n", id, id);
	printf("  policy            %s\n", devmm_policy_name(set->policy));
	printf("  evict-batch       %u\n", set->evict_batch);
	printf("  evict-unit        %s\n",
	       set->evict_unit == DEVMM_EVICT_UNIT_BLOCK ? "block" : "page");
	printf("  seed              %llu\n", (unsigned long long)set->seed);
	printf("  prefetch          %s\n", pf);
	printf("  thrashing         %s\n", set->thrashing ? "on" : "off");
}

/*
 * devmmctl settings: read a device's settings, or change those the options
 * name, in one DEVMM_IOC_SETTINGS (the kernel checks every field before it
 * changes any), and print them.
 */
static int cmd_settings(int argc, char **argv)
{
	struct devmm_settings set = {};
	int ctl, ret, i, have_id = 0;
	uint32_t id = 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json")) {
			opt.json = 1;
		} else if (a[0] == '-' && a[1]) {
			ret = settings_option("settings", a, i + 1 < argc ? argv[i + 1] : NULL,
					      &set);
			if (ret < 0)
				return usage("settings: unknown option '%s'", a);
			if (ret)
				return ret;
			i++;
		} else if (!have_id) {
			ret = parse_id(a, &id);
			if (ret)
				return ret;
			have_id = 1;
		} else {
			return usage("%s", settings_usage);
		}
	}
	if (!have_id)
		return usage("%s", settings_usage);
	ret = open_control(&ctl);
	if (ret)
		return ret;
	set.id = id;
	ret = devmm_settings(ctl, &set);
	close(ctl);
	if (ret)
		return fail(DEVMM_OP_SETTINGS, ret, "settings %u", id);
	print_settings(id, &set);
	return EXIT_OK;
}

/* devmmctl advise: another process's range attributes (ABI 1.2). */

static const char advise_usage[] =
	"usage: advise ID PID ADDR LENGTH [--prefer device|system|none] "
	"[--migrate-on-fault on|off] [--accessed-by on|off] [--granularity 4K|64K|2M] [--json]";

static const char *const loc_names[] = { "none", "device", "system" };

/* An on/off option into @v; 0, or EXIT_USAGE. */
static int advise_onoff(const char *opt_name, const char *s, uint32_t *v)
{
	int on = parse_onoff(s);

	if (on < 0)
		return usage("%s needs on or off", opt_name);
	*v = on;
	return EXIT_OK;
}

/* One advise option (with its value @val) into @a/@mask: 1 if taken, 0 if unknown. */
static int advise_option(const char *o, const char *val, struct devmm_attr *a, uint32_t *mask,
			 int *ret)
{
	uint32_t i;

	*ret = EXIT_OK;
	if (!strcmp(o, "--prefer")) {
		for (i = 0; i < 3; i++)
			if (val && !strcmp(val, loc_names[i]))
				break;
		if (i == 3)
			*ret = usage("--prefer needs device, system or none");
		a->preferred = i;
		*mask |= DEVMM_ATTR_PREFERRED;
	} else if (!strcmp(o, "--migrate-on-fault")) {
		*ret = advise_onoff(o, val, &a->migrate_on_fault);
		*mask |= DEVMM_ATTR_MIGRATE;
	} else if (!strcmp(o, "--accessed-by")) {
		*ret = advise_onoff(o, val, &a->accessed_by);
		*mask |= DEVMM_ATTR_ACCESSED_BY;
	} else if (!strcmp(o, "--granularity")) {
		uint64_t g = 0;

		if (parse_granularity(val, &g))
			*ret = usage("--granularity needs 4K, 64K or 2M");
		a->granularity = g;
		*mask |= DEVMM_ATTR_GRANULARITY;
	} else {
		return 0;
	}
	return 1;
}

static int advise_open(uint32_t id, long pid)
{
	int fd = devmm_open_process_node(pid, id);
	const char *why;

	if (fd >= 0)
		return fd;
	switch (-fd) {
	case ENOENT:
		why = "it has no file of the device open that it opened itself (range attributes "
		      "last while it has one)";
		break;
	case ESRCH:
		why = "no such process";
		break;
	case EINVAL:
		why = "not a process id (a thread's?)";
		break;
	case EPERM:
		why = "not permitted (pidfd_getfd needs ptrace access: the same user, or "
		      "CAP_SYS_PTRACE, and what Yama's ptrace_scope allows)";
		break;
	case ENOSYS:
		why = "this kernel has no pidfd_getfd (Linux 5.6 or later)";
		break;
	default:
		why = strerror(-fd);
	}
	errno_err(fd, "advise: process %ld, device %u: %s (%s)", pid, id, why, ename(fd));
	return -1;
}

/* Print the attributes over [addr, addr + len), one line (or object) per span. */
static int advise_print(int fd, uint32_t id, long pid, uint64_t addr, uint64_t len)
{
	uint64_t pos = addr, end = addr + len;
	int n = 0, ret;

	if (opt.json)
		printf("{\"id\": %u, \"pid\": %ld, \"ranges\": [", id, pid);
	while (pos < end) {
		struct devmm_attr a;
		uint64_t bytes;

		ret = devmm_get_attr_opener(fd, pos, (end - pos) / 4096, &a);
		if (ret) {
			if (opt.json)
				printf("]}\n");
			return fail(DEVMM_OP_GET_ATTR, ret, "advise %u: process %ld at 0x%llx", id,
				    pid, (unsigned long long)pos);
		}
		bytes = a.npages * 4096;
		if (opt.json)
			printf("%s{\"addr\": %llu, \"bytes\": %llu, \"preferred\": \"%s\", "
			       "\"migrate_on_fault\": %s, \"accessed_by\": %s, \"granularity\": %llu}",
			       n ? ", " : "", (unsigned long long)pos, (unsigned long long)bytes,
			       loc_names[a.preferred % 3], a.migrate_on_fault ? "true" : "false",
			       a.accessed_by ? "true" : "false",
			       (unsigned long long)a.granularity);
		else
			printf("0x%llx-0x%llx prefer=%s migrate-on-fault=%s accessed-by=%s "
			       "granularity=%lluK\n", (unsigned long long)pos,
			       (unsigned long long)(pos + bytes), loc_names[a.preferred % 3],
			       a.migrate_on_fault ? "on" : "off", a.accessed_by ? "on" : "off",
			       (unsigned long long)a.granularity / 1024);
		pos += bytes;
		n++;
	}
	if (opt.json)
		printf("]}\n");
	return EXIT_OK;
}

/*
 * devmmctl advise: the attributes that process PID gave device ID's memory
 * over a range of its address space; change those given, then print.
 */
static int cmd_advise(int argc, char **argv)
{
	const char *pos[4];
	struct devmm_attr a = {};
	uint32_t id, mask = 0;
	uint64_t addr, len;
	int i, n = 0, fd, ret;
	long pid;
	char *end;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			opt.json = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			if (!advise_option(argv[i], i + 1 < argc ? argv[i + 1] : NULL, &a, &mask,
					   &ret))
				return usage("advise: unknown option '%s'", argv[i]);
			if (ret)
				return ret;
			i++;
		} else if (n < 4) {
			pos[n++] = argv[i];
		} else {
			return usage("%s", advise_usage);
		}
	}
	if (n != 4)
		return usage("%s", advise_usage);
	ret = parse_id(pos[0], &id);
	if (ret)
		return ret;
	errno = 0;
	pid = strtol(pos[1], &end, 10);
	if (*pos[1] < '1' || *pos[1] > '9' || *end || errno || pid > INT_MAX)
		return usage("bad process id '%s'", pos[1]);
	errno = 0;
	addr = strtoull(pos[2], &end, 0);
	if (*pos[2] < '0' || *pos[2] > '9' || *end || errno || addr % 4096)
		return usage("bad address '%s': a page-aligned number (0x for hex)", pos[2]);
	ret = parse_size(pos[3], &len);
	if (ret)
		return ret;
	if (!len || len % 4096 || addr + len < addr)
		return usage("bad length '%s': a non-zero multiple of 4096 that does not wrap",
			     pos[3]);
	fd = advise_open(id, pid);
	if (fd < 0)
		return EXIT_FAILED;
	if (mask) {
		ret = devmm_set_attr(fd, (void *)(uintptr_t)addr, len / 4096,
				     mask | DEVMM_ATTR_OPENER, &a);
		if (ret) {
			close(fd);
			return fail(DEVMM_OP_SET_ATTR, ret, "advise %u: process %ld, 0x%llx+%llu", id,
				    pid, (unsigned long long)addr, (unsigned long long)len);
		}
	}
	ret = advise_print(fd, id, pid, addr, len);
	close(fd);
	return ret;
}

/* The trace to replay: from a file ("-": stdin) or a built-in pattern. */
static int replay_trace(const char *file, const char *pattern, uint64_t size, uint64_t records,
			struct trace *t)
{
	char err[256] = "";
	FILE *f = NULL;
	int ret;

	if (pattern) {
		ret = trace_pattern(pattern, size, records, t, err, sizeof(err));
	} else {
		f = strcmp(file, "-") ? fopen(file, "r") : stdin;
		if (!f) {
			errno_err(-errno, "replay: cannot open %s: %s", file, strerror(errno));
			return EXIT_FAILED;
		}
		ret = trace_parse(f, t, err, sizeof(err));
		if (f != stdin)
			fclose(f);
	}
	if (!ret)
		return EXIT_OK;
	errno_err(ret, "replay: %s%s%s", file ? file : "", file ? ": " : "", err);
	return ret == -EINVAL ? EXIT_USAGE : EXIT_FAILED;
}

/*
 * devmmctl replay: the device must be empty; its settings (and capacity)
 * are changed for the replay and restored afterwards.
 */
static int cmd_replay(int argc, char **argv)
{
	const char *trace_file = NULL, *pattern = NULL;
	struct devmm_settings set = {}, saved = {};
	struct replay_result res = { .granularity = 4096 };
	uint64_t size = 0, records = 0, capacity = 0;
	int ctl, fd, ret, i, have_id = 0;
	enum devmm_op op = DEVMM_OP_SETTINGS;
	struct devmm_dev_info info;
	struct trace t = {};
	char *threads;
	char err[256] = "";
	uint32_t id = 0;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--json")) {
			opt.json = 1;
		} else if (a[0] == '-' && a[1]) {
			ret = replay_option(a, i + 1 < argc ? argv[i + 1] : NULL, &set, &res,
					    &pattern, &size, &records, &capacity);
			if (ret)
				return ret;
			i++;
		} else if (!have_id) {
			ret = parse_id(a, &id);
			if (ret)
				return ret;
			have_id = 1;
		} else if (!trace_file) {
			trace_file = a;
		} else {
			return usage("replay: one trace only");
		}
	}
	if (!have_id || !!trace_file == !!pattern)
		return usage("%s", replay_usage);
	ret = open_control(&ctl);
	if (ret)
		return ret;
	ret = devmm_find(ctl, id, &info);
	if (ret) {
		close(ctl);
		return fail(DEVMM_OP_FIND, ret, "replay %u", id);
	}
	if (info.kind == DEVMM_KIND_MIRROR) {
		close(ctl);
		errno_err(-EOPNOTSUPP, "replay %u: a mirror-only device has no memory (EOPNOTSUPP)",
			  id);
		return EXIT_FAILED;
	}
	if (info.used) {
		close(ctl);
		errno_err(-EBUSY, "replay %u: the device is not empty (%llu bytes in use): evict "
			  "it first (devmmctl evict %u) (EBUSY)", id, (unsigned long long)info.used,
			  id);
		return EXIT_FAILED;
	}
	ret = replay_trace(trace_file, pattern, size ? size : 2 * (capacity ?: info.capacity),
			   records, &t);
	if (ret) {
		close(ctl);
		return ret;
	}
	saved.id = id;
	set.id = id;
	/* One CPU: explicit migrations then allocate in address order (the model's). */
	threads = param_swap("copy_threads", "1");
	ret = devmm_settings(ctl, &saved);
	if (!ret)
		ret = devmm_settings(ctl, &set);
	if (!ret && capacity) {
		op = DEVMM_OP_SET_CAPACITY;
		ret = devmm_set_capacity(ctl, id, capacity);
	}
	if (!ret) {
		op = DEVMM_OP_OPEN_NODE;
		ret = devmm_open_node(id);
	}
	fd = ret;
	if (fd >= 0) {
		ret = trace_replay(fd, &t, &res, err, sizeof(err));
		close(fd);
		if (ret)
			errno_err(ret, "replay %u: %s (%s)", id, err, ename(ret));
	} else {
		fail(op, ret, "replay %u: cannot set the device up: %s", id, devmm_op_name(op));
	}
	/* Restore what the replay changed. */
	if (threads)
		free(param_swap("copy_threads", threads));
	saved.mask = DEVMM_SET_POLICY | DEVMM_SET_EVICT_BATCH | DEVMM_SET_EVICT_UNIT |
		     DEVMM_SET_SEED | DEVMM_SET_PREFETCH | DEVMM_SET_THRASHING;
	devmm_settings(ctl, &saved);
	if (capacity)
		devmm_set_capacity(ctl, id, info.capacity);
	close(ctl);
	if (!ret)
		print_replay(&t, &res, &set, capacity ? capacity : info.capacity);
	free(t.rec);
	if (ret)
		return EXIT_FAILED;
	if (res.bad_pages || res.cpu_bad) {
		errmsg("replay %u: %llu pages lost their data (%llu CPU reads saw other data)", id,
		       (unsigned long long)res.bad_pages, (unsigned long long)res.cpu_bad);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int is_number(const char *s)
{
	char *end;

	if (!s || !*s || *s == '-')
		return 0;
	strtod(s, &end);
	return !*end;
}

static int run(int argc, char **argv)
{
	char **pos = calloc(argc + 1, sizeof(*pos));
	int i, n = 0, only_pos = 0, ret;
	uint64_t size;
	uint32_t id, policy;
	const char *cmd;

	if (!pos)
		return EXIT_FAILED;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		/*
		 * replay, settings and advise parse their own options (some share
		 * names with others').
		 */
		if (n == 1 && (!strcmp(pos[0], "replay") || !strcmp(pos[0], "settings") ||
			       !strcmp(pos[0], "advise"))) {
			if (opt.have_policy || opt.watch)
				return usage("%s's options follow the word %s", pos[0], pos[0]);
			if (!strcmp(pos[0], "settings"))
				return cmd_settings(argc - i, argv + i);
			if (!strcmp(pos[0], "advise"))
				return cmd_advise(argc - i, argv + i);
			return cmd_replay(argc - i, argv + i);
		}
		if (only_pos || a[0] != '-' || !a[1]) {
			pos[n++] = argv[i];
		} else if (!strcmp(a, "--")) {
			only_pos = 1;
		} else if (!strcmp(a, "--json")) {
			opt.json = 1;
		} else if (!strcmp(a, "--progress")) {
			opt.progress = 1;
		} else if (!strcmp(a, "--no-progress")) {
			opt.progress = 0;
		} else if (!strcmp(a, "--policy") || !strncmp(a, "--policy=", 9)) {
			const char *v = a[8] == '=' ? a + 9 : argv[++i];

			if (!v)
				return usage("--policy needs a policy (lru, fifo, clock, random, lfu "
					     "or uvm)");
			if (devmm_parse_policy(v, &opt.policy))
				return usage("unknown policy '%s' (lru, fifo, clock, random, lfu or uvm)", v);
			opt.have_policy = 1;
		} else if (!strcmp(a, "--watch") || !strncmp(a, "--watch=", 8)) {
			const char *v = NULL;

			if (a[7] == '=')
				v = a + 8;
			else if (is_number(argv[i + 1]))
				v = argv[++i];
			opt.watch = 1;
			if (v && (!is_number(v) || (opt.interval = strtod(v, NULL)) < 0.01 ||
				  opt.interval > 86400))
				return usage("bad --watch interval '%s' (seconds, 0.01 to 86400)", v);
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage_text(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			printf("devmmctl %s (ABI %u.%u)\n", DEVMM_VERSION, DEVMM_ABI_MAJOR,
			       DEVMM_ABI_MINOR);
			return EXIT_OK;
		} else {
			return usage("unknown option '%s'", a);
		}
	}
	if (!n)
		return usage(NULL);
	cmd = pos[0];
	if (opt.have_policy && strcmp(cmd, "create"))
		return usage("--policy is an option of create (to change a device's: policy ID "
			     "lru|fifo|clock|random|lfu|uvm)");
	if (opt.watch && strcmp(cmd, "stats"))
		return usage("--watch is an option of stats");

	if (!strcmp(cmd, "replay"))
		return cmd_replay(n - 1, pos + 1);
	if (!strcmp(cmd, "settings"))
		return cmd_settings(n - 1, pos + 1);
	if (!strcmp(cmd, "advise"))
		return cmd_advise(n - 1, pos + 1);
	if (!strcmp(cmd, "help"))  {
		usage_text(stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "load"))
		return cmd_load(n - 1, pos + 1);
	if (!strcmp(cmd, "unload"))
		return n == 1 ? cmd_unload() : usage("usage: unload");
	if (!strcmp(cmd, "info"))
		return n == 1 ? cmd_info() : usage("usage: info");
	if (!strcmp(cmd, "list"))
		return n == 1 ? cmd_list() : usage("usage: list");
	if (!strcmp(cmd, "create"))
		return cmd_create(n - 1, pos + 1);
	if (!strcmp(cmd, "selftest")) {
		if (n > 2)
			return usage("usage: selftest [ID]");
		if (n == 2) {
			ret = parse_id(pos[1], &id);
			return ret ? ret : cmd_selftest(id);
		}
		return cmd_selftest(-1);
	}
	if (!strcmp(cmd, "destroy") || !strcmp(cmd, "stats") || !strcmp(cmd, "evict") ||
	    !strcmp(cmd, "capacity") || !strcmp(cmd, "policy")) {
		int want = !strcmp(cmd, "capacity") || !strcmp(cmd, "policy") ? 3 : 2;

		if (n < 2 || n > 3 || (n == 3 && want == 2 && strcmp(cmd, "evict")) ||
		    (want == 3 && n != 3))
			return usage("usage: %s ID%s", cmd,
				     !strcmp(cmd, "evict") ? " [BYTES|all]" :
				     !strcmp(cmd, "capacity") ? " BYTES" :
				     !strcmp(cmd, "policy") ? " lru|fifo|clock|random|lfu|uvm" : "");
		ret = parse_id(pos[1], &id);
		if (ret)
			return ret;
		if (!strcmp(cmd, "destroy"))
			return cmd_destroy(id);
		if (!strcmp(cmd, "stats"))
			return cmd_stats(id);
		if (!strcmp(cmd, "policy")) {
			if (devmm_parse_policy(pos[2], &policy))
				return usage("unknown policy '%s' (lru, fifo, clock, random, lfu or uvm)", pos[2]);
			return cmd_policy(id, policy);
		}
		if (!strcmp(cmd, "evict")) {
			size = 0;
			if (n == 3 && strcmp(pos[2], "all")) {
				ret = parse_size(pos[2], &size);
				if (ret)
					return ret;
				if (!size)
					return usage("evict: 0 bytes (to evict everything: all)");
			}
			return cmd_evict(id, size);
		}
		ret = parse_size(pos[2], &size);
		return ret ? ret : cmd_capacity(id, size);
	}
	return usage("unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
	int i, ret;

	/* Known before any error is reported, wherever it stands. */
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			opt.json = 1;
	ret = run(argc, argv);
	if (ret != EXIT_OK && opt.json) {
		fflush(stdout);
		json_errors(ret);
	}
	return ret;
}
