# SPDX-License-Identifier: GPL-2.0
# The benchmark (make bench), run inside the 7.x lane's VM by
# tests/lab/guest-init.sh: the same workloads (/bench_hmm) first against
# the kernel's own test_hmm (/test_hmm.ko, private devices only), then, with
# test_hmm unloaded, against devmm's test_hmm-compatible nodes.  The two
# modules are never loaded together.  This is done in BENCH_ROUNDS rounds
# of BENCH_REPS repetitions each, the order alternating (test_hmm first in
# odd rounds, devmm first in even ones), so that what else the shared host
# runs meanwhile weighs on both alike.  devmm also runs as "devmm-1cpu",
# with copy_threads=1 (its fake backend's copies on one CPU), to measure
# what sharing large copies among the CPUs brings.  Sizes come from /bench.env.
. /bench.env
thp=/sys/kernel/mm/transparent_hugepage

info() { echo "BENCHINFO $*" >&3; }
err() { echo "BENCHERR module=$1 kind=- op=- what=$2" >&3; }

# Only buffers that ask for THPs get them (the 4 KiB buffers refuse them).
echo madvise >$thp/enabled
info guest kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo) \
	mem_kb=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo) \
	thp_enabled=$(sed 's/.*\[\(.*\)\].*/\1/' $thp/enabled) \
	thp_defrag=$(sed 's/.*\[\(.*\)\].*/\1/' $thp/defrag) \
	mib=$BENCH_MIB reps=$BENCH_REPS rounds=$BENCH_ROUNDS

# The kernel's migration and THP counters, as "name value" lines.
vmstat() { grep -E '^(pgmigrate|thp_migration|thp_split|thp_fault|thp_deferred|compact_stall|pgfault)' /proc/vmstat; }

# bench_module ROUND LABEL MODULE KO PARAMS...: load, run the workloads,
# unload.
bench_module()
{
	local round=$1 label=$2 mod=$3 ko=$4
	shift 4
	if ! insmod "$ko" "$@" >/tmp/insmod.log 2>&1; then
		err "$label" "insmod-failed:$(tr ' \n' '_' </tmp/insmod.log)"
		return
	fi
	info module=$label round=$round loaded="$mod" params="$(echo "$@" | tr ' ' ',')"
	vmstat >/tmp/vmstat.0
	t=$(date +%s)
	run "bench-$label-$round" /bench_hmm -m "$label" -R "$round" -s "$BENCH_MIB" \
		-r "$BENCH_REPS"
	info module=$label round=$round seconds=$(($(date +%s) - t))
	vmstat >/tmp/vmstat.1
	info module=$label round=$round vmstat $(awk 'NR == FNR { a[$1] = $2; next }
		{ printf "%s=%d ", $1, $2 - a[$1] }' /tmp/vmstat.0 /tmp/vmstat.1)
	rmmod "$mod" || err "$label" "rmmod-failed"
	if [ -d "/sys/module/$mod" ]; then
		err "$label" "still-loaded"
	fi
}

round=1
while [ $round -le "$BENCH_ROUNDS" ]; do
	if [ $((round % 2)) = 1 ]; then
		bench_module $round test_hmm test_hmm /test_hmm.ko
		bench_module $round devmm devmm /devmm.ko dmirror_compat=1 private=2
		bench_module $round devmm-1cpu devmm /devmm.ko dmirror_compat=1 private=2 \
			copy_threads=1
	else
		bench_module $round devmm-1cpu devmm /devmm.ko dmirror_compat=1 private=2 \
			copy_threads=1
		bench_module $round devmm devmm /devmm.ko dmirror_compat=1 private=2
		bench_module $round test_hmm test_hmm /test_hmm.ko
	fi
	round=$((round + 1))
done
echo "BENCHDONE" >&3
