# SPDX-License-Identifier: GPL-2.0
# devmm: user entry points.  The module itself is described by Kbuild.
#
#   make [KDIR=<kernel build tree>]   build devmm.ko (runs the compat probes)
#   make probes-dump                  print what the probes found
#   make demo                         boot the newest lane in QEMU, load devmm, show INFO
#   make check [LANES="6.1 6.12 7"]   the whole test suite, in QEMU, per kernel lane
#   make bench                        devmm vs the kernel's test_hmm, in QEMU (7.x lane)
#   make tools                        build the user-space tools
#   make lint                         checkpatch (from Debian's linux-source) over the kernel code
#   make package-check                build the Debian packages, lintian, dkms install on the host
#   make clean

KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
LANES ?= 6.1 6.12 7
CC ?= cc
CFLAGS ?= -O2 -g
USER_CFLAGS = -Wall -Wextra -Werror -Iinclude/uapi -Iinclude -Itests/progs

.PHONY: all modules probes probes-dump clean check demo tools package-check lint bench

all: modules

probes:
	@sh src/compat/conftest.sh "$(KDIR)" "$(CURDIR)/generated"

modules: probes
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

probes-dump: probes
	@cat generated/probes.txt

tools: tools/devmmctl

tools/devmmctl: tools/devmmctl.c include/uapi/linux/devmm.h
	$(CC) $(CFLAGS) $(USER_CFLAGS) -o $@ $< $(LDFLAGS)

check:
	bash tests/lab/check.sh $(LANES)

demo:
	bash tests/lab/demo.sh

lint:
	bash tests/lab/lint.sh

bench:
	bash tests/lab/bench.sh

package-check:
	bash tests/lab/package.sh

clean:
	-[ -d "$(KDIR)" ] && $(MAKE) -C "$(KDIR)" M="$(CURDIR)" clean
	rm -rf generated out tools/devmmctl
