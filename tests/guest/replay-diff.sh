#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The kernel against its model: the same replays through devmmctl replay on
# a device and through devmm-sim (tools/devmm-sim.c, docs/model.md), which
# must give the same counters, all of them but the timings (seconds,
# records_per_second).  A fixed set of settings covers every policy,
# granularity, eviction batch (1, a few, 512) and evict unit, each pair of
# them at least once, the prefetchers and the thrashing control, over the
# built-in patterns and traces of every kind of record this script writes;
# one TAP line per combination, with the keys that differ on failure.  Each
# replay is small (buffers of 512 KiB to 8 MiB, 256 KiB to 4 MiB of device
# memory, at most a few thousand records).
#
# usage: replay-diff.sh ID KIND   devmm loaded, device ID (empty) of KIND
#                                 (private or coherent); loads nothing itself
#        replay-diff.sh --load KO  (suite.sh) load KO with a private device
#                                 (where the lane has them: LANE_EXPECT_PRIVATE)
#                                 and a coherent one (LANE_COHERENT_A), compare
#                                 on each, unload; a kind the kernel cannot make
#                                 is a SKIP
#                                 (LANE_REPLAY_DIFF_LIGHT, in the debug lanes:
#                                 no 2 MiB granules)
#        replay-diff.sh --traces DIR
#                                 only write the traces into DIR (they are the
#                                 same on any POSIX awk), to replay them with
#                                 devmm-sim elsewhere
# Runs in the guests (busybox ash, /tests/tap.sh, jq); POSIX sh only.

# mktrace FILE PAGES RECORDS SEED WIDE: R W C S M E records over PAGES pages;
# WIDE: a quarter of them start just before the first 2 MiB boundary.  A
# Park-Miller generator (exact in any awk's doubles), not awk's rand().
mktrace() {
	awk -v pages="$2" -v n="$3" -v x="$4" -v wide="$5" '
	function rnd(m) { x = (x * 16807) % 2147483647; return x % m }
	BEGIN {
		size = pages * 4096
		printf "# replay-diff.sh: R W C S M E records\nsize %d\n", size
		for (i = 0; i < n; i++) {
			k = rnd(20)
			op = k < 8 ? "R" : k < 12 ? "W" : k < 14 ? "C" : k < 16 ? "S" : \
			     k < 18 ? "M" : "E"
			pg = rnd(pages)
			if (wide && rnd(4) == 0)
				pg = 511 - rnd(8)
			off = pg * 4096
			if (op == "R" || op == "W")
				off += rnd(4096)
			len = rnd(10) < 8 ? 1 + rnd(3 * 4096) : 1 + rnd(40 * 4096)
			if (len > size - off)
				len = size - off
			printf "%s %d %d\n", op, off, len
		}
	}' >"$1"
}

# The traces: mixed (1 MiB, 1500 records), short (512 KiB, 300 records),
# wide (2.5 MiB: records, windows and blocks across the 2 MiB boundary), big
# (8 MiB, 400 records: for 2 MiB granules on a device that holds two).
# 2 MiB granules get short replays: with 256 KiB of device memory, each of
# their faults leaves all but 64 pages of its granule to fail after 4
# eviction passes over the 64 in flight (tens of thousands of passes in all).
mktraces() {
	mktrace "$1/mixed.trace" 256 1500 12345 0
	mktrace "$1/short.trace" 128 300 777 0
	mktrace "$1/wide.trace" 640 300 4242 1
	mktrace "$1/big.trace" 2048 400 2026 0
}

if [ "${1-}" = --traces ] && [ $# = 2 ]; then
	mkdir -p "$2" && mktraces "$2"
	exit
fi

. /tests/tap.sh
[ $# = 2 ] || bail "usage: replay-diff.sh ID KIND (private or coherent), or --load KO"
command -v devmm-sim >/dev/null || bail "no devmm-sim on PATH"
command -v jq >/dev/null || bail "no jq on PATH"

dir=/tmp/replay-diff
kout=$dir/kernel.json kerr=$dir/kernel.err mout=$dir/model.json merr=$dir/model.err
mkdir -p $dir
mktraces $dir

# diffkeys: "KEY: kernel V, model V" for every counter (and setting both
# print) that differs, the timings aside; fails if either is not JSON.
diffkeys() {
	jq -rn --slurpfile k "$kout" --slurpfile m "$mout" '
		$k[0] as $k | $m[0] as $m |
		(["records", "device_faults", "pages_to_device", "pages_to_system", "evicted",
		  "prefetched", "prefetch_hits", "prefetch_waste", "thrashing_events",
		  "thrashing_held", "remote_accesses", "cpu_faults", "fault_migrated",
		  "evict_failures", "bad_pages", "cpu_read_mismatches"] +
		 [$k | keys[] | select(. as $x | $m | has($x))]) | unique[] |
		select(. != "seconds" and . != "records_per_second") |
		select($k[.] != $m[.]) |
		"\(.): kernel \($k[.] | tojson), model \($m[.] | tojson)"'
}

# compare ID KIND: every combination below on device ID of KIND.
# POLICY GRANULARITY BATCH UNIT CAPACITY SIZE RECORDS TRACE [OPTIONS]: TRACE a
# pattern (with --size SIZE --records RECORDS) or one of the traces above
# (SIZE, RECORDS -), on CAPACITY bytes of device memory; OPTIONS (prefetch,
# thrashing control) go to both.  random replays get a seed of their own.
compare() {
	id=$1 kind=$2
	fa=$(cat /sys/module/devmm/parameters/fault_around_kb 2>/dev/null) || bail "devmm is not loaded"
	t0=$(date +%s)
	while read -r pol gran batch unit cap size records trace opts <&3; do
		case $pol in '' | '#'*) continue ;; esac
		# The debug lanes (KASAN, lockdep) leave out what costs most there.
		if [ -n "${LANE_REPLAY_DIFF_LIGHT-}" ] && [ "$gran" = 2M ]; then
			skip "$kind: $pol, $gran granules, batch $batch, $unit unit, $cap, $trace" \
				"2 MiB granules take minutes each under KASAN (LANE_REPLAY_DIFF_LIGHT)"
			continue
		fi
		case $trace in
		mixed | short | wide | big)
			set -- "$dir/$trace.trace"
			what="$trace.trace"
			;;
		*)
			set -- --pattern "$trace" --size "$size" --records "$records"
			what="--pattern $trace ($size, $records records)"
			;;
		esac
		# $opts: words on purpose.
		# shellcheck disable=SC2086
		set -- "$@" --policy "$pol" --granularity "$gran" --evict-batch "$batch" \
			--evict-unit "$unit" --capacity "$cap" $opts
		[ "$pol" = random ] && set -- "$@" --seed "$((batch * 1000 + ${#trace}))"
		name="$kind: $pol, $gran granules, batch $batch, $unit unit, $cap, $what${opts:+ $opts}"
		# A replay that differs is run once more: the kernel may refuse to
		# migrate a page at that moment (migrate_vma_setup() skips one it
		# cannot lock or that someone else holds a reference to), which the
		# model cannot know; devmm's own replay is deterministic, so a real
		# difference shows again.  The first replay's difference is printed.
		first=
		for try in 1 2; do
			devmmctl evict "$id" all </dev/null >/dev/null 2>&1
			krc=0 mrc=0
			devmmctl replay "$id" "$@" --json </dev/null >"$kout" 2>"$kerr" || krc=$?
			devmm-sim "$@" --kind "$kind" --fault-around-kb "$fa" --json </dev/null \
				>"$mout" 2>"$merr" || mrc=$?
			# dk: diffkeys' status (not run after a failed replay).
			dk=0
			[ $krc != 0 ] || [ $mrc != 0 ] || diffkeys >$dir/diff 2>&1 || dk=$?
			if [ $try = 2 ] || [ $krc != 0 ] || [ $mrc != 0 ] || [ $dk != 0 ] ||
			   [ ! -s $dir/diff ]; then
				break
			fi
			first=$(tr '\n' ';' <$dir/diff)
		done
		if [ $krc != 0 ] || [ $mrc != 0 ]; then
			not_ok "$name: devmmctl exit $krc, devmm-sim exit $mrc"
			sed 's/^/# devmmctl: /' "$kerr"
			sed 's/^/# devmm-sim: /' "$merr"
		elif [ $dk != 0 ]; then
			not_ok "$name: output not JSON"
			sed 's/^/# /' $dir/diff
			sed 's/^/# devmmctl: /' "$kout"
			sed 's/^/# devmm-sim: /' "$mout"
		elif [ -s $dir/diff ]; then
			not_ok "$name: kernel != model ($(wc -l <$dir/diff) keys, twice)"
			sed 's/^/# /' $dir/diff
			echo "# devmm-sim $* --kind $kind --fault-around-kb $fa" | sed "s|$dir/||"
		else
			sum=$(jq -r '"\(.device_faults) faults, \(.evicted) evicted, " +
				"\(.evict_failures) failures"' "$kout")
			ok "$name: kernel = model ($sum${first:+; on the second replay})"
			[ -z "$first" ] || echo "# the first replay differed: $first"
		fi
	done 3<<'EOF'
# policy  gran  batch  unit   cap   size  records  trace       options
# Every policy, granularity, batch (1, a few, 512) and unit, each pair at
# least once, on 256 KiB of device memory; with 2 MiB granules, a granule
# larger than the device (all but 64 pages of a fault fail, after 4 eviction
# passes over the 64 in flight each).
lru       4K    1      page   256K  1M    2000     stream
lru       64K   8      block  256K  -     -        mixed
lru       2M    512    page   256K  -     -        short
lru       4K    3      page   256K  -     -        mixed
fifo      4K    8      block  256K  1M    3000     random:3
fifo      64K   512    page   256K  512K  20       pingpong
fifo      2M    1      block  256K  -     -        short
fifo      4K    1      page   256K  1M    3000     hotcold:80
clock     4K    512    block  256K  1M    3000     hotcold:80
clock     64K   1      page   256K  1M    2000     stride:7
clock     2M    8      page   256K  -     -        short
clock     64K   512    block  256K  -     -        wide
random    4K    1      block  256K  -     -        wide
random    64K   8      page   256K  1M    3000     hotcold:80
random    2M    512    block  256K  512K  200      random:3
random    64K   512    page   256K  -     -        mixed
lfu       4K    8      page   256K  -     -        mixed
lfu       64K   512    block  256K  1M    2000     stream
lfu       2M    1      page   256K  512K  500      hotcold:80
lfu       4K    1      block  256K  512K  20       pingpong
uvm       4K    512    page   256K  512K  20       pingpong
uvm       64K   1      block  256K  -     -        wide
uvm       2M    8      page   256K  512K  500      stride:7
# 2 MiB granules on a device of two of them (8 MiB of records of every kind).
lru       2M    512    page   4M    -     -        big
random    2M    8      page   4M    -     -        big
uvm       2M    512    block  4M    8M    400      hotcold:80
# The prefetcher and the thrashing control, alone and together.
lru       4K    1      page   256K  1M    2000     stream      --prefetch seq:64
fifo      64K   8      page   256K  -     -        mixed       --prefetch seq:16
clock     4K    3      page   256K  -     -        wide        --prefetch density:25
lfu       64K   512    block  1M    -     -        wide        --prefetch density
random    4K    8      block  2M    -     -        wide        --prefetch density:40
lru       4K    8      page   256K  512K  40       pingpong    --thrashing on
random    64K   1      page   256K  1M    3000     random:3    --thrashing on
fifo      4K    512    page   256K  -     -        mixed       --thrashing on
uvm       64K   8      block  256K  1M    3000     hotcold:80  --thrashing on --prefetch seq:128
clock     2M    8      page   4M    -     -        big         --prefetch seq:256 --thrashing on
lfu       2M    1      page   4M    -     -        big         --prefetch density:60
EOF
	echo "# $kind device: the combinations took $(($(date +%s) - t0)) s"
}

if [ "$1" = --load ]; then
	ko=$2
	[ ! -d /sys/module/devmm ] || bail "devmm is loaded before the test"
	private=${LANE_EXPECT_PRIVATE:-0}
	devmmctl load "$ko" private=$private capacity=64M coherent=$LANE_COHERENT_A ||
		bail "cannot load $ko private=$private coherent=$LANE_COHERENT_A"
	# The next steps of the suite load devmm themselves: never leave it loaded.
	trap 'devmmctl unload >/dev/null 2>&1' EXIT
	devmmctl list --json >$dir/list.json || bail "devmmctl list failed"
	for kind in private coherent; do
		id=$(jq -r "[.[] | select(.kind == \"$kind\") | .id][0] // empty" $dir/list.json)
		if [ -n "$id" ]; then
			compare "$id" "$kind"
		else
			skip "$kind device: kernel = model" \
				"this kernel has no $kind device memory (LANE_EXPECT_PRIVATE=$private)"
		fi
	done
	trap - EXIT
	devmmctl unload >/dev/null || not_ok "devmmctl unload after the comparisons"
else
	case $2 in private | coherent) ;; *) bail "KIND must be private or coherent, not $2" ;; esac
	compare "$1" "$2"
fi
tap_plan
[ "$tap_failed" = 0 ]
