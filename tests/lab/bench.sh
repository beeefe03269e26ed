#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The benchmark (make bench): in one boot of the 7.x lane's Debian kernel,
# the same workloads (tests/bench/bench_hmm.c) through the test_hmm ioctl
# ABI, first against the kernel's own test_hmm (built out of tree from the
# lane's linux-source), then against devmm; then a table of MB/s, ratios and
# fractions of memcpy, and a chart.  Not part of make check.
#
# usage: tests/lab/bench.sh
# environment: BENCH_MIB (buffer size, default 256), BENCH_ROUNDS (rounds
# of test_hmm and devmm, alternating which goes first, default 6),
# BENCH_REPS (repetitions of each workload per round, default 1),
# BENCH_PERF (profiles to take first: "KIND:OP ...", e.g.
# "4k:cpu_fault thp:migrate_to_dev", with the lane's linux-perf inside the
# guest; BENCH_ROUNDS=0 then takes only the profiles), DEVMM_VM_TIMEOUT
# (seconds).
# Results: out/bench/<timestamp>/ (and out/bench/latest): table.txt,
# bench.png, bench.txt (the raw records), results.log and console.log
# (the VM's), the programs' build logs; perf/MODULE-KIND-OP.txt per profile.
. "$(dirname "$0")/lib.sh"

lane=7
mib=${BENCH_MIB:-64}
rounds=${BENCH_ROUNDS:-4}
reps=${BENCH_REPS:-3}
t0=$SECONDS
stamp=$(date +%Y%m%d-%H%M%S)
res="$TOP_DIR/out/bench/$stamp"

# The chart needs gnuplot (the host's, from bookworm).
bench_host_pkgs()
{
	dpkg -s gnuplot-nox >/dev/null 2>&1 && return
	log "installing gnuplot-nox"
	DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -qq \
		--no-install-recommends gnuplot-nox >/dev/null ||
		die "cannot install gnuplot-nox"
}

# host_load FILE: every 5 s, "time loadavg others rss_kb thp_kb": the
# host's load average, how many other QEMU VMs run beside ours (the host is
# shared and TCG is CPU-bound), and how much of our VM's memory the host
# backs with THPs (guest memory in 4 KiB host pages is slower under TCG).
host_load()
{
	local pid others mem
	while :; do
		others=0 mem="0 0"
		for pid in $(pgrep qemu-system-x86 || true); do
			if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -F >/dev/null "$res/"; then
				mem=$(awk '/^Rss:/ { r = $2 } /^AnonHugePages:/ { h = $2 }
					END { print r + 0, h + 0 }' "/proc/$pid/smaps_rollup" 2>/dev/null ||
					echo "0 0")
			else
				others=$((others + 1))
			fi
		done
		echo "$(date +%s) $(cut -d' ' -f1 /proc/loadavg) $others $mem" >>"$1"
		sleep 5
	done
}

bash "$LAB_DIR/setup.sh" "$lane"
bench_host_pkgs
trap lab_umount EXIT
. "$LAB_DIR/upstream.sh"
mkdir -p "$res"

log "building devmm.ko for $(cat "$CACHE/kernels/$lane/abi")"
lab_build_module "$lane" ||
	{ tail -n 30 "$TOP_DIR/out/$lane/build.log"; die "devmm does not build"; }
cp "$TOP_DIR/out/$lane/build.log" "$res/devmm-build.log"

log "building test_hmm.ko from $(sed -n 2p "$(upstream_source "$lane")/.devmm-stamp")"
upstream_build_test_hmm "$lane" "$TOP_DIR/out/$lane/test_hmm" ||
	{ tail -n 30 "$TOP_DIR/out/$lane/test_hmm/build.log"; die "test_hmm does not build"; }
cp "$TOP_DIR/out/$lane/test_hmm/build.log" "$res/test_hmm-build.log"

# Built like the test programs (lab_build_progs), with devmm's copy of
# test_hmm's HMM_DMIRROR_* ABI (<linux/devmm_hmm.h>; t_fuzz checks that it
# keeps test_hmm's numbers and layout).
bin="$TOP_DIR/out/bench-progs"
mkdir -p "$bin"
gcc -static -O2 -g -Wall -Wextra -Werror -I"$TOP_DIR/include/uapi" -I"$TOP_DIR/include" \
	-I"$TOP_DIR/tests/progs" -o "$bin/bench_hmm" \
	"$TOP_DIR/tests/bench/bench_hmm.c" -lpthread || die "bench_hmm does not build"
lab_build_progs || die "building the test programs failed"

printf 'BENCH_MIB=%s\nBENCH_ROUNDS=%s\nBENCH_REPS=%s\nBENCH_PERF="%s"\n' "$mib" "$rounds" \
	"$reps" "${BENCH_PERF:-}" >"$bin/bench.env"
for v in BENCH_SIZES BENCH_PROCS BENCH_FULL; do
	[ -z "${!v+set}" ] || printf '%s="%s"\n' "$v" "${!v}" >>"$bin/bench.env"
done

# perf for the guest kernel: the lane's own linux-perf, with the chroot's
# loader and libraries in /perf (the initramfs's /lib holds the host's).
perf_root=
if [ -n "${BENCH_PERF:-}" ]; then
	root=$(lane_root "$lane")
	if [ ! -x "$root/usr/bin/perf" ]; then
		log "installing linux-perf in the $(lane_suite "$lane") chroot"
		chroot_run "$root" apt-get "${APT_OPTS[@]}" install -qq --no-install-recommends \
			linux-perf >/dev/null || die "cannot install linux-perf"
	fi
	perf_root="$TOP_DIR/out/bench-perf"
	rm -rf "$perf_root"
	mkdir -p "$perf_root/perf/lib"
	cp "$root/usr/bin/perf" "$perf_root/perf/perf"
	cp -L "$root/lib64/ld-linux-x86-64.so.2" "$perf_root/perf/ld.so"
	chroot_run "$root" ldd /usr/bin/perf | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
		while read -r lib; do cp -L "$root$lib" "$perf_root/perf/lib/"; done
fi
LAB_EXTRA_ROOT=$perf_root lab_initramfs "$lane" "$TOP_DIR/tests/guest/bench.sh" "$res/initrd.gz" \
	"$bin/bench_hmm" "$bin/bench.env" "$TOP_DIR/out/$lane/test_hmm/test_hmm.ko"
log "booting $(cat "$CACHE/kernels/$lane/abi") under QEMU (TCG): ${mib} MiB buffers, $rounds rounds of $reps repetitions"
t1=$SECONDS
host_load "$res/host-load.log" &
sampler=$!
trap 'kill "$sampler" 2>/dev/null || true; lab_umount' EXIT
# All guest memory backed up front: the host's first touch of a guest page
# (a host page fault, under TCG) would otherwise land in whichever timed
# operation first uses that guest memory, module by module.
LAB_QEMU_ARGS=-mem-prealloc lab_boot "$lane" "$res/initrd.gz" "$res" \
	"${DEVMM_VM_TIMEOUT:-3600}" || true
kill "$sampler" 2>/dev/null || true
trap lab_umount EXIT
log "the VM ran for $((SECONDS - t1))s"
rm -f "$res/initrd.gz"
ln -sfn "$stamp" "$TOP_DIR/out/bench/latest"

if [ -n "${BENCH_PERF:-}" ]; then
	mkdir -p "$res/perf"
	tr -d '\r' <"$res/results.log" | awk -v dir="$res/perf" '
		/^PERF module=/ {
			split($2, m, "="); split($3, k, "="); split($4, o, "=")
			f = dir "/" m[2] "-" k[2] "-" o[2] ".txt"
			sub(/^PERF [^:]*: /, ""); print >>f
		}'
	log "profiles in out/bench/$stamp/perf: $(ls "$res/perf" | tr '\n' ' ')"
fi
st=0
if [ "$rounds" = 0 ]; then
	grep -E 'BUG:|WARNING:|Oops|Kernel panic' "$res/console.log" "$res/results.log" &&
		st=1
else
	bash "$LAB_DIR/bench-report.sh" "$res" || st=$?
fi
log "results in out/bench/$stamp (out/bench/latest); total $((SECONDS - t0))s"
exit $st
