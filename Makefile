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
#   make tools                        libdevmm (static and shared) and devmmctl
#   make install-tools [DESTDIR= PREFIX=/usr/local LIBDIR=$(PREFIX)/lib ...]
#                                     install them, the headers, libdevmm.pc, the man page
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
	matrix

all: modules

probes:
	@sh src/compat/conftest.sh "$(KDIR)" "$(CURDIR)/generated"

modules: probes
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

probes-dump: probes
	@cat generated/probes.txt

tools: lib/libdevmm.a lib/libdevmm.so tools/devmmctl

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

tools/devmmctl: tools/devmmctl.c lib/libdevmm.h include/uapi/linux/devmm.h VERSION \
		$(DEVMMCTL_LIBDEVMM_DEP)
	@$(PKG_CONFIG) --exists libkmod || { echo "devmmctl needs libkmod and pkg-config" \
		"(Debian: apt-get install libkmod-dev pkgconf)" >&2; exit 1; }
	$(CC) $(CFLAGS) $(USER_CFLAGS) $(KMOD_CFLAGS) -DDEVMM_VERSION='"$(VERSION)"' \
		-o $@ $< $(LDFLAGS) $(DEVMMCTL_LIBDEVMM_LINK) $(KMOD_LIBS)

install-tools: tools
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/linux $(DESTDIR)$(MANDIR)/man1
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
	install -m 0644 doc/devmmctl.1 $(DESTDIR)$(MANDIR)/man1/

check:
	bash tests/lab/check.sh $(LANES)

demo:
	bash tests/lab/demo.sh

matrix:
	bash tests/lab/matrix.sh --docs docs/kernels.md

lint:
	bash tests/lab/lint.sh

bench:
	bash tests/lab/bench.sh

package-check:
	bash tests/lab/package.sh

clean:
	-[ -d "$(KDIR)" ] && $(MAKE) -C "$(KDIR)" M="$(CURDIR)" clean
	rm -rf generated out tools/devmmctl lib/*.o lib/*.a lib/libdevmm.so*
