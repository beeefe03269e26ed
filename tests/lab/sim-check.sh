#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make sim-check: devmm-sim, the model of demand paging (docs/model.md), on
# the host, against what can be computed without it: the textbook's LRU,
# FIFO and Belady misses of one-page records (awk), small cases worked out
# by hand from the model's rules, bounds that hold whatever the policy, the
# trace parser's errors, the exit codes, determinism, and its speed on a
# 1 GiB buffer.  TAP output; exit 1 if anything failed.
#
# usage: sim-check.sh [DEVMM_SIM]   (default: tools/devmm-sim of this tree)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
sim=${1:-$top/tools/devmm-sim}
. "$top/tests/lib/tap.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out err=$tmp/err

[ -x "$sim" ] || bail "no $sim (make tools)"
command -v jq >/dev/null || bail "jq is needed"

# not_ok: with the last run's output as diagnostics.
not_ok() {
	tap_not_ok "$@"
	sed 's/^/# stdout: /' "$out"
	sed 's/^/# stderr: /' "$err"
}
# run ARGS...: devmm-sim; exit code in $rc, output in $out and $err.
run() { rc=0; "$sim" "$@" >"$out" 2>"$err" || rc=$?; }
# check FILTER NAME: the last run exited 0 and jq -e FILTER holds on its JSON.
check() {
	if [ "$rc" = 0 ] && jq -e "$1" "$out" >/dev/null 2>>"$err"; then
		ok "$2"
	else
		not_ok "$2 (exit $rc; jq -e '$1')"
	fi
}
# expect_err RC PATTERN NAME: exit RC and a message matching PATTERN (grep -E).
expect_err() {
	if [ "$rc" = "$1" ] && grep -Eq "$2" "$err"; then
		ok "$3 (exit $rc: $(head -n1 "$err"))"
	else
		not_ok "$3 (exit $rc, expected $1 and a message matching '$2')"
	fi
}
jval() { jq -r "$1" "$out"; }
# counters: the last run's JSON without its timings.
counters() { jq -cS 'del(.seconds, .records_per_second)' "$out"; }

# pages_trace SEED PAGES N: N one-page device records (R or W, a part of one
# page at most) over PAGES pages, a hot quarter taking 60% of them; decimal.
pages_trace() {
	awk -v seed="$1" -v pages="$2" -v n="$3" 'BEGIN {
		srand(seed); printf "size %d\n", pages * 4096
		for (i = 0; i < n; i++) {
			pg = rand() < 0.6 ? int(rand() * pages / 4) : int(rand() * pages)
			sub_ = int(rand() * 4096)
			printf "%s %d %d\n", rand() < 0.25 ? "W" : "R", pg * 4096 + sub_,
				1 + int(rand() * (4096 - sub_))
		} }'
}
# textbook POLICY FRAMES < TRACE: "misses evictions" of lru, fifo or opt
# (Belady: evict the page used again farthest in the future) with FRAMES
# page frames, over the R and W records (one page each).
textbook() {
	awk -v pol="$1" -v frames="$2" '
	$1 == "R" || $1 == "W" { seq[++n] = int($2 / 4096) }
	END {
		for (t = n; t >= 1; t--) {
			nxt[t] = (seq[t] in last) ? last[seq[t]] : n + 1
			last[seq[t]] = t
		}
		for (t = 1; t <= n; t++) {
			pg = seq[t]
			if (pg in at) {
				if (pol == "lru") at[pg] = t
				if (pol == "opt") at[pg] = nxt[t]
				continue
			}
			miss++
			if (used == frames) {
				v = -1
				for (p in at)
					if (v < 0 || (pol == "opt" ? at[p] > at[v] : at[p] < at[v]))
						v = p
				delete at[v]
				used--
				ev++
			}
			at[pg] = pol == "opt" ? nxt[t] : t
			used++
		}
		print miss + 0, ev + 0
	}'
}

# 1. The textbook: LRU and FIFO exactly, opt = Belady and no worse than either.
for seed in 1 2 3; do
	for pages in 64 200; do
		pages_trace $seed $pages 1500 >"$tmp/t.trace"
		for frames in 8 32; do
			what="trace $seed ($pages pages), $frames frames, batch 1, 4K"
			for pol in lru fifo opt; do
				read -r m e < <(textbook $pol $frames <"$tmp/t.trace")
				run "$tmp/t.trace" --policy $pol --evict-batch 1 --granularity 4K \
					--capacity $((frames * 4096)) --json
				check ".records == 1500 and .device_faults == $m and .pages_to_device == $m and
					.fault_migrated == $m and .evicted == $e and .pages_to_system == $e and
					.remote_accesses == 0 and .evict_failures == 0 and .cpu_faults == 0" \
					"$what: $pol = the textbook's $m misses, $e evictions"
				eval "faults_$pol=\$(jval .device_faults)"
			done
			if [ "${faults_opt:-x}" -le "${faults_lru:-0}" ] 2>/dev/null &&
			   [ "$faults_opt" -le "${faults_fifo:-0}" ]; then
				ok "$what: opt ($faults_opt) <= lru ($faults_lru), fifo ($faults_fifo)"
			else
				not_ok "$what: opt ($faults_opt) <= lru ($faults_lru), fifo ($faults_fifo)"
			fi
		done
	done
done
for p in random:1 random:2 hotcold:70 stride:3; do
	for pol in lru fifo clock lfu random opt; do
		run --pattern $p --size 512K --records 3000 --capacity 128K --policy $pol \
			--evict-batch 1 --granularity 4K --seed 7 --json
		eval "f_$pol=\$(jval .device_faults)"
	done
	if [ "$f_opt" -le "$f_lru" ] && [ "$f_opt" -le "$f_fifo" ] && [ "$f_opt" -le "$f_clock" ] &&
	   [ "$f_opt" -le "$f_lfu" ] && [ "$f_opt" -le "$f_random" ]; then
		ok "--pattern $p: opt ($f_opt) <= lru $f_lru, fifo $f_fifo, clock $f_clock, lfu $f_lfu, random $f_random"
	else
		not_ok "--pattern $p: opt ($f_opt) <= lru $f_lru, fifo $f_fifo, clock $f_clock, lfu $f_lfu, random $f_random"
	fi
done

# 2. Small cases worked out from the model's rules (docs/model.md).
run --pattern stream --size 256K --capacity 128K --policy lru --json
check '.records == 256 and .device_faults == 256 and .evicted == 224 and .pages_to_system == 224' \
	"stream over twice the capacity, batch 512: every record faults, 224 evicted"
run --pattern pingpong --size 256K --records 20 --capacity 1M --kind private --json
check '.records == 40 and .device_faults == 1280 and .pages_to_device == 1280 and
	.cpu_faults == 80 and .pages_to_system == 1280 and .evicted == 0' \
	"pingpong, private, fault-around 64K: 64 faults a round, a CPU fault per 16 pages"
run --pattern pingpong --size 256K --records 20 --capacity 1M --kind private \
	--fault-around-kb 0 --json
check '.device_faults == 1280 and .cpu_faults == 1280 and .pages_to_system == 1280' \
	"pingpong, private, fault-around 0: a CPU fault per page"
run --pattern pingpong --size 256K --records 20 --capacity 1M --kind private \
	--fault-around-kb 2048 --json
check '.device_faults == 1280 and .cpu_faults == 20' \
	"pingpong, private, fault-around 2 MiB: one CPU fault a round"
run --pattern pingpong --size 256K --records 20 --capacity 1M --kind coherent --json
check '.device_faults == 64 and .cpu_faults == 0 and .pages_to_system == 0' \
	"pingpong, coherent: the CPU reaches device memory, the pages stay"
printf 'size 0x10000\nR 0\n' >"$tmp/t.trace"
run "$tmp/t.trace" --capacity 16K --granularity 64K --json
check '.device_faults == 1 and .pages_to_device == 4 and .fault_migrated == 4 and
	.evict_failures == 192 and .evicted == 0 and .remote_accesses == 0' \
	"a 16-page granule, 4 frames: 12 pages fail after 4 passes over the 4 in flight"
printf 'size 0x400000\nR 0x1000 1\n' >"$tmp/t.trace"
run "$tmp/t.trace" --capacity 4M --granularity 2M --json
check '.device_faults == 1 and .pages_to_device == 512 and .fault_migrated == 512' \
	"2M granularity: one fault migrates its aligned 512 pages"
printf 'size 0x100000\nR 0 0x80000\n' >"$tmp/t.trace"
run "$tmp/t.trace" --capacity 1M --granularity 4K --json
check '.device_faults == 128 and .pages_to_device == 128' "128 pages, 4K: 128 faults"
run "$tmp/t.trace" --capacity 1M --granularity 64K --json
check '.device_faults == 8 and .pages_to_device == 128' "128 pages, 64K: 8 faults"
printf 'size 0x100000\nM 0x1000 0x10000\nR 0x1000 0x10000\nE 0 0x100000\nR 0 1\n' >"$tmp/t.trace"
run "$tmp/t.trace" --capacity 1M --json
check '.device_faults == 1 and .pages_to_device == 17 and .fault_migrated == 1 and
	.pages_to_system == 16 and .evicted == 0 and .remote_accesses == 0' \
	"M migrates without faults, E brings every page home"
printf 'size 0x300000\nR 0 0x4000\nR 0x200000 0x4000\nR 0x4000\n' >"$tmp/t.trace"
run "$tmp/t.trace" --capacity 32K --evict-batch 1 --evict-unit block --json
check '.evicted == 4 and .device_faults == 9' \
	"evict unit block: one victim takes its block's 4 resident pages"
run "$tmp/t.trace" --capacity 32K --evict-batch 1 --evict-unit page --json
check '.evicted == 1 and .device_faults == 9' "evict unit page: one victim"
run "$tmp/t.trace" --capacity 32K --evict-batch 1 --policy uvm --evict-unit page --json
check '.evicted == 4' "uvm: the block unit whatever --evict-unit says"
printf 'size 0x10000\nR 0\nR 0x1000\nR 0\nR 0x2000\nR 0x1000\n' >"$tmp/t.trace"
for pf in lru:4 fifo:3 clock:3; do
	run "$tmp/t.trace" --capacity 8K --evict-batch 1 --policy ${pf%:*} --json
	check ".device_faults == ${pf#*:}" "0 1 0 2 1, 2 frames: ${pf%:*} faults ${pf#*:} times"
done
printf 'size 0x10000\nR 0\nR 0\nR 0x1000\nR 0x2000\nR 0\n' >"$tmp/t.trace"
for pf in lru:4 lfu:3; do
	run "$tmp/t.trace" --capacity 8K --evict-batch 1 --policy ${pf%:*} --json
	check ".device_faults == ${pf#*:}" "0 0 1 2 0, 2 frames: ${pf%:*} faults ${pf#*:} times"
done
for p in hotcold:80 random:4 stride:7; do
	run --pattern $p --size 4M --records 4000 --capacity 1M --policy uvm --granularity 64K \
		--evict-batch 16 --json
	a=$(counters | jq -c 'del(.policy, .evict_unit)')
	run --pattern $p --size 4M --records 4000 --capacity 1M --policy fifo --evict-unit block \
		--granularity 64K --evict-batch 16 --json
	if [ "$a" = "$(counters | jq -c 'del(.policy, .evict_unit)')" ]; then
		ok "--pattern $p: uvm = fifo with the block unit"
	else
		not_ok "--pattern $p: uvm = fifo with the block unit ($a)"
	fi
done
printf 'size 0x40000\nR 0 0x40000\n' >"$tmp/t.trace"
run "$tmp/t.trace" --capacity 1M --prefetch seq:16 --json
check '.device_faults == 13 and .fault_migrated == 13 and .prefetched == 51 and
	.prefetch_hits == 51 and .prefetch_waste == 0 and .pages_to_device == 64' \
	"seq:16 over 64 pages: a fault every 5 pages brings 4 more, each then accessed"
printf 'size 0x40000\nR 0 1\nE 0 0x40000\n' >"$tmp/t.trace"
run "$tmp/t.trace" --capacity 1M --prefetch seq:16 --json
check '.prefetched == 4 and .prefetch_hits == 0 and .prefetch_waste == 4 and
	.pages_to_system == 5' "seq:16: 4 pages prefetched, none accessed before E: all waste"
printf 'size 0x200000\nM 0 0x100000\nR 0x100000 1\n' >"$tmp/t.trace"
run "$tmp/t.trace" --capacity 2M --prefetch density:50 --json
check '.device_faults == 1 and .prefetched == 255 and .pages_to_device == 512' \
	"density:50: 257 of 512 pages there, the block's other 255 come"
run "$tmp/t.trace" --capacity 2M --prefetch density:51 --json
check '.device_faults == 1 and .prefetched == 0 and .pages_to_device == 257' \
	"density:51: 257 of 512 pages are not enough"
printf 'size 0x2000\n' >"$tmp/t.trace"
for i in 1 2 3 4 5; do printf 'R 0 1\nR 0x1000 1\n' >>"$tmp/t.trace"; done
run "$tmp/t.trace" --capacity 4K --evict-batch 1 --thrashing on --json
check '.device_faults == 8 and .thrashing_events == 1 and .thrashing_held == 2 and
	.remote_accesses == 2 and .pages_to_device == 6' \
	"thrashing: page 0's 4th fault in a row is held, and its 5th"
run "$tmp/t.trace" --capacity 4K --evict-batch 1 --thrashing off --json
check '.device_faults == 10 and .thrashing_events == 0 and .thrashing_held == 0 and
	.pages_to_device == 10' "thrashing control off: every fault migrates"

# 3. Bounds whatever the policy, on a trace of every kind of record.
awk 'BEGIN { srand(5); pages = 768; size = pages * 4096; printf "size %d\n", size
	for (i = 0; i < 2000; i++) {
		op = substr("RRRRWWCSME", int(rand() * 10) + 1, 1)
		off = int(rand() * pages) * 4096
		if (op == "R" || op == "W") off += int(rand() * 4096)
		len = rand() < 0.85 ? 1 + int(rand() * 8192) : 1 + int(rand() * 80 * 4096)
		if (len > size - off) len = size - off
		printf "%s %d %d\n", op, off, len
	} }' >"$tmp/mixed.trace"
for pol in lru fifo clock random lfu uvm opt; do
	bad=""
	for kind in private coherent; do
		for set in "4K 1 page 64K" "64K 8 block 256K" "2M 512 page 1024K" "4K 512 block 128K"; do
			set -- $set
			run "$tmp/mixed.trace" --policy $pol --kind $kind --granularity $1 \
				--evict-batch $2 --evict-unit $3 --capacity $4 --seed 3 --json
			jq -e --argjson cap $(($(echo $4 | tr -d K) * 1024 / 4096)) \
				--arg kind $kind '.records == 2000 and
				.pages_to_device - .pages_to_system >= 0 and
				.pages_to_device - .pages_to_system <= $cap and
				.fault_migrated <= .pages_to_device and .evicted <= .pages_to_system and
				.device_faults > 0 and ($kind == "private" or .cpu_faults == 0)' \
				"$out" >/dev/null 2>&1 || bad="$bad $kind/$*"
		done
	done
	if [ -z "$bad" ]; then
		ok "$pol, every record kind: resident pages within capacity, counters consistent"
	else
		not_ok "$pol, every record kind: bounds broken in$bad"
	fi
done

# 4. Determinism: the same counters on every run; the seed matters to random.
for pol in lru fifo clock random lfu uvm opt; do
	run "$tmp/mixed.trace" --policy $pol --granularity 64K --evict-batch 4 --evict-unit block \
		--capacity 256K --seed 11 --json
	a=$(counters)
	run "$tmp/mixed.trace" --policy $pol --granularity 64K --evict-batch 4 --evict-unit block \
		--capacity 256K --seed 11 --json
	if [ -n "$a" ] && [ "$a" = "$(counters)" ]; then
		ok "$pol: the same counters twice"
	else
		not_ok "$pol: the same counters twice"
	fi
done
run --pattern random:3 --size 1M --capacity 256K --policy random --evict-batch 1 --seed 1 --json
a=$(counters | jq -c 'del(.seed)')
run --pattern random:3 --size 1M --capacity 256K --policy random --evict-batch 1 --seed 2 --json
if [ "$a" != "$(counters | jq -c 'del(.seed)')" ]; then
	ok "random: another seed, other victims"
else
	not_ok "random: another seed, other victims"
fi

# 5. The trace parser's errors (tools/trace.c) and the command line: exit 2.
bad_trace() {
	printf "$1" >"$tmp/bad.trace"
	run "$tmp/bad.trace" --capacity 64K
	expect_err 2 "$2" "$3"
}
bad_trace 'size 8192\nR 0\nX 4096\n' 'bad.trace: line 3: malformed' \
	"a record of an unknown kind names its line"
bad_trace '# c\nsize 8192\nW 4096 8192\n' 'line 3: record .* outside' \
	"a record outside the buffer names its line"
bad_trace 'R 0\n' "line 1: expected 'size BYTES' first" "a trace without its size first"
bad_trace 'size 8192\n\nM 0\n' 'line 3: malformed' "M without a length names its line"
bad_trace 'size 8192\nR 0 0\n' 'line 2: malformed' "a zero length names its line"
bad_trace '# nothing\n' "no 'size BYTES' line" "an empty trace"
run "$tmp/nonexistent.trace" --capacity 64K
expect_err 1 'cannot open' "a trace that cannot be read: exit 1"
for args in "--pattern stream" "--pattern stream --capacity 6000" \
	    "--pattern stream --capacity 0" "--pattern stream --capacity 64K --policy mru" \
	    "--pattern stream --capacity 64K --evict-batch 0" \
	    "--pattern stream --capacity 64K --evict-batch 513" \
	    "--pattern stream --capacity 64K --granularity 8K" \
	    "--pattern stream --capacity 64K --evict-unit folio" \
	    "--pattern stream --capacity 64K --kind mirror" \
	    "--pattern stream --capacity 64K --fault-around-kb 4096" \
	    "--pattern stream --capacity 64K --prefetch seq:6" \
	    "--pattern stream --capacity 64K --prefetch density:0" \
	    "--pattern stream --capacity 64K --prefetch none:4" \
	    "--pattern stream --capacity 64K --thrashing maybe" \
	    "--pattern stream --capacity 64K --frobnicate 1" \
	    "--pattern stream --capacity 64K --seed" \
	    "--pattern nosuch --capacity 64K" \
	    "$tmp/mixed.trace --pattern stream --capacity 64K" \
	    "$tmp/mixed.trace $tmp/mixed.trace --capacity 64K" "--capacity 64K"; do
	run $args
	if [ "$rc" = 2 ] && [ -s "$err" ] && [ ! -s "$out" ]; then
		ok "usage error, exit 2: ${args//$tmp\//}"
	else
		not_ok "usage error, exit 2: ${args//$tmp\//} (exit $rc)"
	fi
done
run --pattern stream --capacity 64K --json
check '.records == 128 and .capacity == 65536 and .policy == "lru" and .evict_batch == 512 and
	.granularity == 4096 and .kind == "private" and .evict_unit == "page"' \
	"defaults: --size twice the capacity, 4 records a page, lru, batch 512, 4K, private"
run --pattern stream --capacity 64K
if [ "$rc" = 0 ] && grep -q '^device faults    128 pages (128 migrated on fault)$' "$out"; then
	ok "text output, as devmmctl replay's"
else
	not_ok "text output, as devmmctl replay's"
fi

# 6. Speed: a 1 GiB buffer (262144 pages), half of it device memory, a
# million records, one victim at a time.
for pol in lru fifo clock random lfu uvm opt; do
	t0=$(date +%s%N)
	rc=0
	timeout 60 "$sim" --pattern random:1 --size 1G --records 1000000 --capacity 512M \
		--policy $pol --evict-batch 1 --json >"$out" 2>"$err" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	check '.records == 1000000 and .device_faults > 0' \
		"$pol: 1 GiB, a million random records, batch 1, in $ms ms (at most 60 s)"
done

tap_plan
[ "$tap_failed" = 0 ]
