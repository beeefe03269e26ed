# SPDX-License-Identifier: GPL-2.0
# The benchmark (make bench), run inside the 7.x lane's VM by
# tests/lab/guest-init.sh: the same workloads (/bench_hmm) first against
# the kernel's own test_hmm (/test_hmm.ko, private devices only), then, with
# test_hmm unloaded, against devmm's test_hmm-compatible nodes.  The two
# modules are never loaded together.  This is done in BENCH_ROUNDS rounds
# of BENCH_REPS repetitions each, the order alternating (test_hmm first in
# odd rounds, devmm first in even ones), so that what else the shared host
# runs meanwhile weighs on both alike.  devmm also runs as "devmm-1cpu",
# with copy_threads=1 (its fake backend's copies and explicit migrations on
# one CPU), to measure what sharing them among the CPUs brings.  Sizes come from /bench.env.
# With BENCH_PERF, both modules are first profiled with perf (/perf/).
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

# load LABEL MODULE KO PARAMS...: insmod, or say why not (status 1).
load()
{
	local label=$1 mod=$2 ko=$3
	shift 3
	if ! insmod "$ko" "$@" >/tmp/insmod.log 2>&1; then
		err "$label" "insmod-failed:$(tr ' \n' '_' </tmp/insmod.log)"
		return 1
	fi
}

# unload LABEL MODULE
unload()
{
	rmmod "$2" || err "$1" "rmmod-failed"
	if [ -d "/sys/module/$2" ]; then
		err "$1" "still-loaded"
	fi
}

# devices MODULE: the nodes of its private devices, comma-separated (the
# kernel's test_hmm has two; devmm is loaded with four).
devices()
{
	if [ "$1" = test_hmm ]; then
		echo /dev/hmm_dmirror0,/dev/hmm_dmirror1
	else
		echo /dev/devmm0,/dev/devmm1,/dev/devmm2,/dev/devmm3
	fi
}

# bench_module ROUND LABEL MODULE KO PARAMS...: load, run the workloads,
# unload.  The main run (every workload, both source kinds), then, unless
# only the main run is asked for (BENCH_MAIN_ONLY, devmm-1cpu), the fresh
# 4 KiB case at the sizes of BENCH_SIZES and at BENCH_PROCS processes.
bench_module()
{
	local round=$1 label=$2 mod=$3 ko=$4 size procs
	shift 4
	load "$label" "$mod" "$ko" "$@" || return
	info module=$label round=$round loaded="$mod" params="$(echo "$@" | tr ' ' ',')"
	vmstat >/tmp/vmstat.0
	t=$(date +%s)
	run "bench-$label-$round" /bench_hmm -m "$label" -R "$round" -s "$BENCH_MIB" \
		-r "$BENCH_REPS"
	if [ -z "${BENCH_MAIN_ONLY:-}" ]; then
		for size in $BENCH_SIZES; do
			run "bench-$label-$round-size$size" /bench_hmm -m "$label" -R "$round" \
				-s "$size" -r "$(reps_for "$size")" -k 4k -P fresh-4k
		done
		for procs in $BENCH_PROCS; do
			run "bench-$label-$round-procs$procs" /bench_hmm -m "$label" -R "$round" \
				-s "$BENCH_MIB" -r "$BENCH_REPS" -j "$procs" -d "$(devices "$mod")"
		done
	fi
	info module=$label round=$round seconds=$(($(date +%s) - t))
	vmstat >/tmp/vmstat.1
	info module=$label round=$round vmstat $(awk 'NR == FNR { a[$1] = $2; next }
		{ printf "%s=%d ", $1, $2 - a[$1] }' /tmp/vmstat.0 /tmp/vmstat.1)
	unload "$label" "$mod"
}

# reps_for MIB: repetitions at that size (a 1 GiB buffer gets 2).
reps_for()
{
	if [ "$1" -ge 512 ]; then
		echo 2
	else
		echo "$BENCH_REPS"
	fi
}

# bench_cells ROUND LABEL MODULE KO PARAMS...: each cell of the ptr-buffer
# matrix (source kind x ptr kind; with BENCH_FULL, x size x processes) in a
# load of its own, so that its first migration is the cold one.
bench_cells()
{
	local round=$1 label=$2 mod=$3 ko=$4 src ptr size procs
	shift 4
	for size in $CELL_SIZES; do
		for src in 4k thp; do
			for ptr in fresh-4k faulted-4k fresh-thp faulted-thp; do
				load "$label" "$mod" "$ko" "$@" || return
				run "cell-$label-$round-$size-$src-$ptr" /bench_hmm -m "$label" \
					-R "$round" -s "$size" -r "$(reps_for "$size")" -k "$src" \
					-P "$ptr" -C
				unload "$label" "$mod"
			done
		done
	done
	[ -n "${BENCH_FULL:-}" ] || return 0
	load "$label" "$mod" "$ko" "$@" || return
	for size in $CELL_SIZES; do
		for procs in $BENCH_PROCS; do
			run "cell-$label-$round-$size-procs$procs" /bench_hmm -m "$label" \
				-R "$round" -s "$size" -r "$(reps_for "$size")" -j "$procs" \
				-d "$(devices "$mod")"
		done
	done
	unload "$label" "$mod"
}

# profile LABEL MODULE KO PARAMS...: with the module loaded, one perf
# record per BENCH_PERF entry (KIND:OP), system wide with call chains,
# enabled by bench_hmm only while OP is timed; its reports (by symbol:
# self time, time including callees, and the call chains into the symbols
# of 3% or more) as "PERF" lines.
profile()
{
	local label=$1 mod=$2 ko=$3 spec kind op ptr name
	shift 3
	if ! insmod "$ko" "$@" >/tmp/insmod.log 2>&1; then
		err "$label" "insmod-failed:$(tr ' \n' '_' </tmp/insmod.log)"
		return
	fi
	for spec in $BENCH_PERF; do
		kind=${spec%%:*} op=${spec#*:} ptr=
		name=$(echo "$kind" | tr / _)
		case $kind in */*) ptr="-P ${kind#*/}" kind=${kind%%/*} ;; esac
		# A cold migration is the first after the module was loaded (ptr
		# kind faulted-4k unless the spec names one).
		case $op in *_cold)
			ptr="${ptr:--P faulted-4k} -C"
			rmmod "$mod" && insmod "$ko" "$@" >/tmp/insmod.log 2>&1 ||
				{ err "$label" "reload-failed"; return; } ;;
		esac
		rm -f /tmp/perf.ctl /tmp/perf.ack /tmp/perf.data
		mkfifo /tmp/perf.ctl /tmp/perf.ack
		run "perf-$label-$kind-$op" $PERF record -q -a -g -F 2000 -D -1 \
			--control fifo:/tmp/perf.ctl,/tmp/perf.ack -o /tmp/perf.data -- \
			/bench_hmm -m "$label" -R perf -s "$BENCH_MIB" -r 1 -k "$kind" $ptr -p "$op" \
			-c /tmp/perf.ctl,/tmp/perf.ack
		for how in self children callers; do
			case $how in
			self) opts="--no-children -g none --percent-limit 0.5" ;;
			children) opts="--children -g none --percent-limit 0.5" ;;
			callers) opts="--no-children -g caller,0.5,callee,function,percent --percent-limit 3" ;;
			esac
			$PERF report -i /tmp/perf.data --stdio --no-inline --sort sym $opts 2>&1 |
				sed "s/^/PERF module=$label kind=$name op=$op how=$how: /" >&3
		done
	done
	rm -f /tmp/perf.data
	rmmod "$mod" || err "$label" "rmmod-failed"
}

if [ -n "${BENCH_PERF:-}" ]; then
	PERF="/perf/ld.so --library-path /perf/lib /perf/perf"
	export PAGER=cat
	echo 0 >/proc/sys/kernel/kptr_restrict
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	profile test_hmm test_hmm /test_hmm.ko
	profile devmm devmm /devmm.ko dmirror_compat=1 private=4
fi

# The sizes of the fresh 4 KiB case; with BENCH_FULL, every cell at every
# size (the processes too).
BENCH_SIZES=${BENCH_SIZES-2 1024}
BENCH_PROCS=${BENCH_PROCS-2 4}
CELL_SIZES=$BENCH_MIB
[ -z "${BENCH_FULL:-}" ] || CELL_SIZES="$BENCH_SIZES $BENCH_MIB"

DEVMM="/devmm.ko dmirror_compat=1 private=4"
round=1
while [ $round -le "$BENCH_ROUNDS" ]; do
	if [ $((round % 2)) = 1 ]; then
		bench_cells $round test_hmm test_hmm /test_hmm.ko
		bench_module $round test_hmm test_hmm /test_hmm.ko
		bench_cells $round devmm devmm $DEVMM
		bench_module $round devmm devmm $DEVMM
		BENCH_MAIN_ONLY=1 bench_module $round devmm-1cpu devmm $DEVMM copy_threads=1
	else
		BENCH_MAIN_ONLY=1 bench_module $round devmm-1cpu devmm $DEVMM copy_threads=1
		bench_module $round devmm devmm $DEVMM
		bench_cells $round devmm devmm $DEVMM
		bench_module $round test_hmm test_hmm /test_hmm.ko
		bench_cells $round test_hmm test_hmm /test_hmm.ko
	fi
	round=$((round + 1))
done
echo "BENCHDONE" >&3
