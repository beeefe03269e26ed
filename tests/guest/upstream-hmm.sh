#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run the kernel's own hmm selftest (hmm-tests, built from this lane's
# linux-source) against devmm's test_hmm-compatible nodes, and turn its TAP
# into ours: cases of a variant this kernel cannot run are left out (6.1's
# harness cannot select variants), cases in the lane's expected-failure list
# become XFAIL, and such a case that passes becomes a failure (XPASS), so
# the list cannot go stale.  A case listed with a trailing "?" may fail
# (a timed benchmark on a slow kernel): XFAIL if it does, a pass if not.
#
# devmm is loaded first with test_hmm's nodes (the lane's private default,
# two coherent ranges) and unloaded afterwards; both count as tests.
#
# usage: upstream-hmm.sh XFAIL-LIST [hmm-tests options]
xfail=$1
shift
cd /tmp || exit 1
# Older selftests expect hugetlb pages to be reserved already (7.x's
# reserves its own); without them their hugetlbfs cases skip.
echo 8 >/proc/sys/vm/nr_hugepages 2>/dev/null
# hmm-tests counts device fault rounds exactly (anon_write_prot and
# anon_write_child expect one): a page that kcompactd migrates, or a NUMA
# hinting scan, between a round and the copy makes a second one, against
# test_hmm as against devmm (both fail so while memory is compacted in a
# loop).  After the suites before it memory is fragmented: compact it once
# now, and keep proactive compaction and NUMA balancing off while it runs.
# The counters show whether anything still moved pages meanwhile.
vm_counters()
{
	awk '$1 ~ /^(compact_daemon_wake|compact_isolated|numa_pte_updates)$/ { printf "%s %s ", $1, $2 }' \
		/proc/vmstat
}
quiet_knobs="/proc/sys/vm/compaction_proactiveness /proc/sys/kernel/numa_balancing"
saved=
for f in $quiet_knobs; do
	saved="$saved $(cat "$f" 2>/dev/null || echo -)"
	echo 0 >"$f" 2>/dev/null
done
echo 1 >/proc/sys/vm/compact_memory 2>/dev/null
params="dmirror_compat=1 gup_test=1 coherent=$LANE_COHERENT_A,$LANE_COHERENT_B"
if ! insmod /devmm.ko $params; then
	echo "not ok 1 - load devmm $params"
	echo "1..1"
	exit 1
fi
{
	echo "#LOADED"
	before=$(vm_counters)
	/tests/hmm-tests "$@" 2>&1
	echo "vmstat before hmm-tests: $before"
	echo "vmstat after hmm-tests:  $(vm_counters)"
	# The harness does not wait for a test it killed on timeout (waitpid
	# WNOHANG): wait here, up to two minutes, until no hmm-tests is left.
	i=0
	while grep -qx hmm-tests /proc/[0-9]*/comm 2>/dev/null && [ $i -lt 1200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ $i = 0 ] || echo "# waited $((i / 10)).$((i % 10)) s for killed hmm-tests processes to exit"
	# Nothing may stay on any device once the selftest's processes are gone.
	for d in /sys/class/misc/devmm[0-9]*; do
		echo "#USED $(basename "$d") $(cat "$d/used") $(cat "$d/used_max")"
	done
	echo "#UNLOAD $(rmmod devmm 2>&1 && echo 0 || echo 1)"
	set -- $saved
	for f in $quiet_knobs; do
		[ "$1" = - ] || echo "$1" >"$f"
		shift
	done
} | awk -v xf="$xfail" -v private="$LANE_EXPECT_PRIVATE" -v params="$params" '
BEGIN {
	while ((getline l < xf) > 0) {
		sub(/#.*/, "", l)
		gsub(/[ \t]/, "", l)
		if (l ~ /\?$/) {
			sub(/\?$/, "", l)
			M[l] = 1
		} else if (l != "") {
			X[l] = 1
		}
	}
}
/^#LOADED/ { k++; print "ok " k " - load devmm " params; next }
/^#USED / {
	k++
	print ($3 == 0 ? "ok " : "not ok ") k " - " $2 ": no device memory left in use after the selftest (" $3 " bytes; at most " $4 ")"
	next
}
/^#UNLOAD / {
	k++
	print ($NF == 0 ? "ok " : "not ok ") k " - unload devmm after the selftest"
	next
}
/^#  *RUN / { name = $3; next }
/^(not )?ok [0-9]+/ {
	res = $1 == "ok"
	rest = $0
	sub(/^(not )?ok [0-9]+ ?/, "", rest)
	if (rest !~ /^#/ && rest != "") {
		n = split(rest, w, " ")
		name = w[1]
	}
	if (!private && name ~ /_device_private\./) {
		print "# not counted (no device-private memory here): " $0
		next
	}
	k++
	if (rest ~ /# SKIP/) {
		sub(/.*# SKIP */, "", rest)
		print "ok " k " - " name " # SKIP " rest
	} else if ((name in M) && !res) {
		print "ok " k " - " name " # XFAIL may fail on this kernel (listed with ?)"
	} else if (name in X) {
		if (res)
			print "not ok " k " - " name " # XPASS: passed but listed as an expected failure"
		else
			print "ok " k " - " name " # XFAIL expected failure on this kernel"
	} else {
		print (res ? "ok " : "not ok ") k " - " name
	}
	next
}
/^1\.\.[0-9]+$/ || /^TAP version/ { next }
{ print "# " $0 }
END { print "1.." k + 0 }
'
