#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The README's first command: build devmm for the newest lane, boot that
# Debian kernel in QEMU, load devmm and show what it reports.
#
# usage: tests/lab/demo.sh [LANE]     (default: 7)
. "$(dirname "$0")/lib.sh"

lane=${1:-7}
out="$TOP_DIR/out/demo"
bash "$LAB_DIR/setup.sh" "$lane"
trap lab_umount EXIT
lab_build_progs || die "building the tools failed"
log "building devmm.ko for $(cat "$CACHE/kernels/$lane/abi")"
lab_build_module "$lane" || { tail -n 30 "$TOP_DIR/out/$lane/build.log"; die "build failed"; }
mkdir -p "$out"
lab_initramfs "$lane" "$TOP_DIR/tests/guest/demo.sh" "$out/initrd.gz"
log "booting $(cat "$CACHE/kernels/$lane/abi") under QEMU (TCG)"
lab_boot "$lane" "$out/initrd.gz" "$out" 300 || true
tr -d '\r' <"$out/results.log" | sed -n '/^# devmm-lane begin/,/^# dmesg begin/p' |
	sed -e '/^# dmesg begin/d' -e 's/^# devmm-lane begin \([^ ]*\) \(.*\)/== devmm in a VM: lane \1, kernel \2 ==/'
grep -q '^# devmm-lane done' "$out/results.log" || die "the VM did not finish (see $out/console.log)"
