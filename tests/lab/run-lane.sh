#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build devmm for one lane with DKMS, check its compat probes against the lane's golden
# file, boot the lane's Debian kernel in QEMU and run the guest suite there.
# Expects tests/lab/setup.sh and lab_build_progs to have run.
#
# usage: tests/lab/run-lane.sh LANE
# Prints TAP-style lines and ends with "RESULT passed failed skipped";
# exits non-zero if anything failed.
. "$(dirname "$0")/lib.sh"

# The host's own tests, as [host] lines beside the guest programs' ones.
TAP_PREFIX="[host] "
. "$TOP_DIR/tests/lib/tap.sh"

lane=$1
out="$TOP_DIR/out/$lane"
# The guest's counts (parse-results.awk), added to the host's.
gp=0 gf=0 gs=0
check() { # check COND-STATUS NAME
	if [ "$1" = 0 ]; then ok "$2"; else not_ok "$2"; fi
}
finish() {
	echo "RESULT $((tap_n - tap_failed - tap_skipped + gp)) $((tap_failed + gf))" \
		"$((tap_skipped + gs))"
	[ $((tap_failed + gf)) = 0 ]
	exit
}

mkdir -p "$out"
kver=$(cat "$CACHE/kernels/$lane/abi")
st=0
lab_build_module "$lane" || st=$?
check $st "lane $lane: dkms build of devmm.ko with -Werror against $kver"
if [ $st != 0 ]; then
	# What failed first (a probe, a file), then the end of the log.
	grep -E 'devmm conftest:|^devmm: |: (fatal )?error:|\*\*\* ' "$out/build.log" |
		head -n 20 | sed 's/^/# /'
	tail -n 20 "$out/build.log" | sed 's/^/# /'
	finish
fi
vm=$(modinfo -F vermagic "$out/devmm.ko" 2>&1) || true
vm=${vm% }
st=1
[ "${vm%% *}" = "$kver" ] && st=0
check $st "lane $lane: the DKMS-built module's vermagic names $kver (${vm:-none})"

st=0
lab_sparse "$lane" | sed 's/^/# /' || st=1
if [ $st != 0 ] && [ "$(lane_root "$lane")" = "" ] &&
	grep -q 'sparse is not available or not up to date' "$out/sparse.log"; then
	# The host's (bookworm's) sparse is too old for a debug lane's 7.x
	# tree; the 7 lane runs sid's sparse over the same sources.
	skip "lane $lane: sparse (make C=2)" \
		"the host's sparse is too old for this kernel (the 7 lane checks 7.x)"
else
	check $st "lane $lane: sparse (make C=2) reports nothing in devmm's sources"
fi

st=0
diff -u "$TOP_DIR/tests/golden/$lane.probes" "$out/module/generated/probes.txt" \
	>"$out/probes.diff" 2>&1 || st=$?
check $st "lane $lane: compat probes match tests/golden/$lane.probes"
[ $st = 0 ] || sed 's/^/# /' "$out/probes.diff"

lab_initramfs "$lane" "$TOP_DIR/tests/guest/suite.sh" "$out/initrd.gz"
tmo=$(sed -n 's/^LANE_VM_TIMEOUT=//p' "$TOP_DIR/tests/lanes/$lane.env")
# LANE_NUMA=1: the guest's memory and CPUs in two NUMA nodes (t_numa).
numa=
if grep -q '^LANE_NUMA=1' "$TOP_DIR/tests/lanes/$lane.env"; then
	half=$((${QEMU_MEM%G} / 2))G
	numa="-object memory-backend-ram,id=m0,size=$half -object memory-backend-ram,id=m1,size=$half"
	numa="$numa -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1"
	# One socket per node: CPUs of one socket share a cache, and the
	# scheduler warns about cache siblings on different nodes.
	numa="$numa -smp 2,sockets=2,cores=1,threads=1"
fi
LAB_QEMU_ARGS="${LAB_QEMU_ARGS:-} $numa" \
	lab_boot "$lane" "$out/initrd.gz" "$out" "${DEVMM_VM_TIMEOUT:-${tmo:-900}}" || true
# The console (ttyS0) shows panics that happen after the results channel
# stopped; fold it into the scan.
{
	cat "$out/results.log"
	echo "# dmesg begin"
	cat "$out/console.log"
	echo "# dmesg end"
} | awk -f "$LAB_DIR/parse-results.awk" >"$out/parsed.txt"
grep -v '^RESULT ' "$out/parsed.txt"
read -r _ gp gf gs < <(grep '^RESULT ' "$out/parsed.txt")
finish
