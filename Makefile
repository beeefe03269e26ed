# SPDX-License-Identifier: GPL-2.0
# devmm: user entry points.  The module itself is described by Kbuild.
#
#   make [KDIR=<kernel build tree>]   build devmm.ko (runs the compat probes)
#   make probes-dump                  print what the probes found
#   make demo                         boot the newest lane in QEMU, load devmm, show INFO
#   make check [LANES="6.1 6.12 7"]   the whole test suite, in QEMU, per kernel lane (and a
#                                     subset of the build matrix)
#   make matrix                       build devmm against every Debian amd64 kernel headers
#                                     package of bookworm, trixie and sid; writes docs/kernels.md
#   make bench                        devmm vs the kernel's test_hmm, in QEMU (7.x lane)
#   make policy-report                the eviction policies and prefetchers over a set of
#                                     access patterns at 110-200% oversubscription, in QEMU
#                                     (7.x lane), with devmm-sim's Belady bound: a table and
#                                     charts in out/policy-report/latest
#   make tools                        libdevmm (static and shared), devmmctl and devmm-sim
#   make progs                        the guests' test programs, devmmctl and devmm-sim,
#                                     in out/progs
#   make sim-check                    devmm-sim against the textbook's LRU/FIFO, on the host
#   make bench-progs [TEST_HMM_UAPI_DIR=<dir of test_hmm_uapi.h>]
#                                     make bench's program, in out/bench-progs
#   make dkms-source DESTDIR=<dir>    the module's sources, as DKMS builds them, into <dir>
#                                     (the Debian package, the lab)
#   make install-tools [DESTDIR= PREFIX=/usr/local LIBDIR=$(PREFIX)/lib ...]
#                                     install them, the headers, libdevmm.pc, the man pages
#                                     (docs/devmmctl.1, docs/libdevmm.3)
#   make lint                         checkpatch (from Debian's linux-source) over the kernel code
#   make package-check                build the Debian packages, lintian, dkms install on
#                                     the host and in the trixie and sid build chroots
#   make clean

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
LANES ?= 6.1 6.12 7
CC ?= cc
AR ?= ar
CFLAGS ?= -O2 -g
PKG_CONFIG ?= pkg-config
USER_CFLAGS = -Wall -Wextra -Werror -Iinclude/uapi -Iinclude -Ilib -Itests/progs

VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man

# libdevmm: lib/libdevmm.a and lib/libdevmm.so.$(VERSION) (soname
# libdevmm.so.0; only the symbols of lib/libdevmm.map are exported).
LIBDEVMM_SONAME = libdevmm.so.0
LIBDEVMM_SO = lib/libdevmm.so.$(VERSION)
# devmmctl links libdevmm statically by default, so that ./tools/devmmctl
# runs from the tree; the Debian package links it with the shared library
# (DEVMMCTL_LIBDEVMM=shared).  libkmod is always shared (Debian has no
# static libkmod).
DEVMMCTL_LIBDEVMM ?= static
ifeq ($(DEVMMCTL_LIBDEVMM),shared)
DEVMMCTL_LIBDEVMM_DEP = lib/libdevmm.so
DEVMMCTL_LIBDEVMM_LINK = -Llib -ldevmm
else
DEVMMCTL_LIBDEVMM_DEP = lib/libdevmm.a
DEVMMCTL_LIBDEVMM_LINK = lib/libdevmm.a
endif
KMOD_CFLAGS = $(shell $(PKG_CONFIG) --cflags libkmod 2>/dev/null)
KMOD_LIBS = $(shell $(PKG_CONFIG) --libs libkmod 2>/dev/null || echo -lkmod)

.PHONY: all modules probes probes-dump clean check demo tools install-tools package-check lint bench \
	matrix progs bench-progs dkms-source sim-check policy-report

all: modules

probes:
	@sh src/compat/conftest.sh "$(KDIR)" "$(CURDIR)/generated"

modules: probes
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

probes-dump: probes
	@cat generated/probes.txt

tools: lib/libdevmm.a lib/libdevmm.so tools/devmmctl tools/devmm-sim

lib/libdevmm.o: lib/libdevmm.c lib/libdevmm.h include/uapi/linux/devmm.h
	$(CC) $(CFLAGS) $(USER_CFLAGS) -fPIC -c -o $@ $<

lib/libdevmm.a: lib/libdevmm.o
	rm -f $@
	$(AR) rcs $@ $^

$(LIBDEVMM_SO): lib/libdevmm.o lib/libdevmm.map
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(LIBDEVMM_SONAME) \
		-Wl,--version-script=lib/libdevmm.map -Wl,-z,defs $(LDFLAGS) -o $@ lib/libdevmm.o

lib/libdevmm.so: $(LIBDEVMM_SO)
	ln -sf $(notdir $(LIBDEVMM_SO)) lib/$(LIBDEVMM_SONAME)
	ln -sf $(LIBDEVMM_SONAME) $@

# One recipe for tools/devmmctl and the lab's out/progs/devmmctl; the
# latter always links libdevmm.a (the guests have no libdevmm.so).
tools/devmmctl: $(DEVMMCTL_LIBDEVMM_DEP)
out/progs/devmmctl: DEVMMCTL_LIBDEVMM_LINK = lib/libdevmm.a
out/progs/devmmctl: lib/libdevmm.a
DEVMMCTL_SRCS = tools/devmmctl.c tools/replay.c tools/trace.c
tools/devmmctl out/progs/devmmctl: $(DEVMMCTL_SRCS) tools/replay.h tools/trace.h \
		lib/libdevmm.h include/uapi/linux/devmm.h VERSION
	@$(PKG_CONFIG) --exists libkmod || { echo "devmmctl needs libkmod and pkg-config" \
		"(Debian: apt-get install libkmod-dev pkgconf)" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(USER_CFLAGS) $(KMOD_CFLAGS) -DDEVMM_VERSION='"$(VERSION)"' \
		-o $@ $(DEVMMCTL_SRCS) $(LDFLAGS) $(DEVMMCTL_LIBDEVMM_LINK) \
		$(KMOD_LIBS)

# devmm-sim, the model of demand paging (docs/model.md): traces as devmmctl
# replay reads them, libdevmm for its size parser only (no ioctls); static
# in out/progs, for the guests' differential test (tests/guest/replay-diff.sh).
SIM_SRCS = tools/devmm-sim.c tools/trace.c
out/progs/devmm-sim: SIM_LDFLAGS = -static
tools/devmm-sim out/progs/devmm-sim: $(SIM_SRCS) tools/trace.h lib/libdevmm.a lib/libdevmm.h \
		include/uapi/linux/devmm.h
	@mkdir -p $(@D)
	$(CC) $(SIM_LDFLAGS) $(CFLAGS) $(USER_CFLAGS) -o $@ $(SIM_SRCS) $(LDFLAGS) lib/libdevmm.a

# The lab's guest programs (tests/lab/lib.sh copies out/progs into every
# initramfs), built once on the host: the guest kernels all run the same
# x86-64 binaries.  The test programs are static (the initramfs is busybox
# alone); devmmctl cannot be (Debian ships no static libkmod), and the lab
# bundles the shared libraries it needs.  hold is a helper of
# tests/guest/devmmctl.sh; t_libdevmm tests libdevmm, so links it.
PROGS = $(patsubst tests/progs/%.c,out/progs/%,$(wildcard tests/progs/t_*.c)) out/progs/hold
PROGS_HEADERS = $(wildcard tests/progs/*.h) include/uapi/linux/devmm.h
progs: $(PROGS) out/progs/devmmctl out/progs/devmm-sim

out/progs/t_libdevmm: PROGS_LIBS = lib/libdevmm.a
out/progs/t_libdevmm: lib/libdevmm.a lib/libdevmm.h
out/progs/%: tests/progs/%.c $(PROGS_HEADERS)
	@mkdir -p $(@D)
	$(CC) -static $(CFLAGS) $(USER_CFLAGS) -o $@ $< $(LDFLAGS) $(PROGS_LIBS) -lpthread

# make bench's program speaks test_hmm's ABI, with test_hmm's own header
# (lib/test_hmm_uapi.h of a linux-source; tests/lab/bench.sh passes the 7
# lane's).
TEST_HMM_UAPI_DIR ?= $(or $(DEVMM_CACHE),$(HOME)/.cache/devmm)/upstream/7/linux/lib
bench-progs: out/bench-progs/bench_hmm

out/bench-progs/bench_hmm: tests/bench/bench_hmm.c $(wildcard $(TEST_HMM_UAPI_DIR)/test_hmm_uapi.h)
	@[ -f "$(TEST_HMM_UAPI_DIR)/test_hmm_uapi.h" ] || { echo "no test_hmm_uapi.h in" \
		"$(TEST_HMM_UAPI_DIR): set TEST_HMM_UAPI_DIR (make bench unpacks it)" >&2; exit 1; }
	@mkdir -p $(@D)
	$(CC) -static $(CFLAGS) $(USER_CFLAGS) -I"$(TEST_HMM_UAPI_DIR)" -o $@ $< $(LDFLAGS) -lpthread

install-tools: tools
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3
	install -m 0755 tools/devmmctl $(DESTDIR)$(BINDIR)/
	install -m 0644 $(LIBDEVMM_SO) lib/libdevmm.a $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(LIBDEVMM_SO)) $(DESTDIR)$(LIBDIR)/$(LIBDEVMM_SONAME)
	ln -sf $(LIBDEVMM_SONAME) $(DESTDIR)$(LIBDIR)/libdevmm.so
	sed -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' lib/libdevmm.pc.in \
		>$(DESTDIR)$(LIBDIR)/pkgconfig/libdevmm.pc
	install -m 0644 lib/libdevmm.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 0644 include/uapi/linux/devmm.h $(DESTDIR)$(INCLUDEDIR)/linux/
	install -m 0644 include/uapi/linux/devmm_hmm.h $(DESTDIR)$(INCLUDEDIR)/linux/
	install -m 0644 docs/devmmctl.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 docs/libdevmm.3 $(DESTDIR)$(MANDIR)/man3/

# The module's sources, everything 'make modules' (dkms build) needs: the top
# files and the whole src and include trees, so that files moved or added
# there need no list changed.  Only sources are taken from the trees, not the
# objects and .cmd files of an in-tree build.  DESTDIR is the source
# directory itself (/usr/src/devmm-$(VERSION) for DKMS).
DKMS_TOP_FILES = Kbuild Makefile VERSION dkms.conf
DKMS_DIRS = src include
dkms-source:
	@[ -n "$(DESTDIR)" ] || { echo "make dkms-source needs DESTDIR=<directory>" >&2; exit 1; }
	install -d "$(DESTDIR)"
	install -p -m 0644 $(DKMS_TOP_FILES) "$(DESTDIR)/"
	find $(DKMS_DIRS) -type f \( -name '*.[ch]' -o -name '*.sh' \) | LC_ALL=C sort | \
		while read -r f; do install -p -D -m 0644 "$$f" "$(DESTDIR)/$$f" || exit 1; done

check:
	bash tests/lab/check.sh $(LANES)

sim-check: tools/devmm-sim
	bash tests/lab/sim-check.sh tools/devmm-sim

demo:
	bash tests/lab/demo.sh

matrix:
	bash tests/lab/matrix.sh --docs docs/kernels.md

lint:
	bash tests/lab/lint.sh

bench:
	bash tests/lab/bench.sh

policy-report:
	bash tests/lab/policy-report.sh

package-check:
	bash tests/lab/package.sh

clean:
	-[ -d "$(KDIR)" ] && $(MAKE) -C "$(KDIR)" M="$(CURDIR)" clean
	rm -rf generated out tools/devmmctl tools/devmm-sim lib/*.o lib/*.a lib/libdevmm.so*
