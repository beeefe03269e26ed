# SPDX-License-Identifier: GPL-2.0
# The policy study (make policy-report), run inside the 7.x lane's VM by
# tests/lab/guest-init.sh: devmm loaded, one empty device of the kind
# /study.env says (STUDY_KIND: private, or coherent over the lane's range),
# and every replay of /study.runs on it, in order.  /study.runs is written
# by tests/lab/policy-report.sh, one run a line: its number, then the
# arguments of devmmctl replay after the device's ID (a trace file's path is
# relative to /).  Prints to the results channel
#   STUDYINFO key=value...          the guest and the device
#   STUDY N RC WALL JSON            one per run: devmmctl's exit status, the
#                                   run's wall-clock seconds (the whole
#                                   command), its --json
#   STUDYERR N message              what failed (N = 0: not a run)
#   STUDYDONE runs=N failed=N seconds=N
# POSIX sh (busybox ash).
. /study.env

info() { echo "STUDYINFO $*" >&3; }

# study: load devmm, create the device, replay every run, destroy, unload.
study()
{
	if ! devmmctl load /devmm.ko private=0 >/tmp/load.out 2>&1; then
		echo "STUDYERR 0 load: $(tr '\n' ' ' </tmp/load.out)" >&3
		return 1
	fi
	if [ "$STUDY_KIND" = coherent ]; then
		devmmctl create coherent "${LANE_COHERENT_A#*@}" "${LANE_COHERENT_A%@*}" \
			--json >/tmp/create.out 2>&1
	else
		devmmctl create private 64M --json >/tmp/create.out 2>&1
	fi
	id=$(jq -r .id /tmp/create.out 2>/dev/null)
	case $id in
	''|*[!0-9]*)
		echo "STUDYERR 0 create $STUDY_KIND: $(tr '\n' ' ' </tmp/create.out)" >&3
		devmmctl unload >/dev/null 2>&1
		return 1
		;;
	esac
	info guest kernel="$(uname -r)" cpus="$(grep -c ^processor /proc/cpuinfo)" \
		kind="$STUDY_KIND" device="$id" \
		fault_around_kb="$(cat /sys/module/devmm/parameters/fault_around_kb)" \
		runs="$(wc -l </study.runs)"

	# A run's arguments are words: split, never globbed.
	set -f
	cd /
	while read -r n args; do
		[ -n "$n" ] || continue
		# (No fork but devmmctl's: each costs under TCG.)
		read -r t1 _ </proc/uptime
		# shellcheck disable=SC2086 # the run's arguments, split on purpose
		devmmctl replay "$id" $args --json </dev/null >/tmp/run.out 2>/tmp/run.err
		rc=$?
		if [ $rc != 0 ] && grep -q 'not empty' /tmp/run.err; then
			# Left over by the run before (it should not be): once more.
			echo "STUDYERR $n the device was not empty: evicted, replayed again" >&3
			devmmctl evict "$id" all >/dev/null 2>&1
			# shellcheck disable=SC2086
			devmmctl replay "$id" $args --json </dev/null >/tmp/run.out 2>/tmp/run.err
			rc=$?
		fi
		read -r t2 _ </proc/uptime
		# Uptimes in hundredths of a second (two decimals).
		t=$((${t2%.*}${t2#*.} - ${t1%.*}${t1#*.}))
		json=
		read -r json </tmp/run.out
		runs=$((runs + 1))
		printf 'STUDY %s %s %d.%02d %s\n' "$n" "$rc" $((t / 100)) $((t % 100)) "$json" >&3
		if [ $rc != 0 ]; then
			failed=$((failed + 1))
			echo "STUDYERR $n $(tr '\n' ' ' </tmp/run.err)" >&3
		fi
	done </study.runs
	set +f

	devmmctl destroy "$id" >/dev/null 2>&1 || echo "STUDYERR 0 destroy $id failed" >&3
	devmmctl unload >/dev/null 2>&1 || echo "STUDYERR 0 unload failed" >&3
}

t0=$(date +%s)
runs=0 failed=0
study || failed=$((failed + 1))
echo "STUDYDONE runs=$runs failed=$failed seconds=$(($(date +%s) - t0))" >&3
