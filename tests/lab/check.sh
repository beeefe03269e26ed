#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The whole devmm test suite: set up (or reuse) the lab, then run every
# requested lane and print per-lane and total results.
#
# usage: tests/lab/check.sh [LANE...]     (default: all lanes)
. "$(dirname "$0")/lib.sh"

lanes=${*:-$ALL_LANES}
t0=$SECONDS
bash "$LAB_DIR/setup.sh" $lanes
log "setup done in $((SECONDS - t0))s"
trap lab_umount EXIT
. "$LAB_DIR/upstream.sh"
for lane in $lanes; do
	upstream_build_selftest "$(lane_selftest_lane "$lane")" >/dev/null
done
lab_build_progs || die "building the test programs failed"

tp=0 tf=0 ts=0 summary=""
# What failed, repeated after the summary: CI keeps only the end of the output.
failures=""
fail_line() { failures="$failures$1"$'\n'; }
# tap_section NAME [--quiet-ok] CMD...: CMD's output, prefixed with [NAME]
# (with --quiet-ok, without its passing tests' lines: lint's one per file);
# the TAP counts go to sp, sf and ss, what failed to fail_line (a section
# that says nothing has failed).  Every section is counted here.
tap_section()
{
	local name=$1 quiet=0 line
	shift
	[ "$1" != --quiet-ok ] || { quiet=1; shift; }
	sp=0 sf=0 ss=0
	while read -r line; do
		case "$line" in
		*"# SKIP"*) ss=$((ss + 1)) ;;
		ok*) sp=$((sp + 1)); [ $quiet = 0 ] || continue ;;
		"not ok"*|"Bail out!"*) sf=$((sf + 1)); fail_line "[$name] $line" ;;
		esac
		echo "[$name] $line"
	done < <("$@" 2>&1 || true)
	[ $((sp + sf + ss)) -gt 0 ] || sf=1
}
# The parser that judges the lanes is itself tested first.
tap_section harness bash "$LAB_DIR/selftest.sh"
tp=$((tp + sp)) tf=$((tf + sf)) ts=$((ts + ss))
summary=$(printf 'harness  %3d passed, %d failed' "$sp" "$sf")$'\n'
# Kernel style (checkpatch), on the host.
tap_section lint --quiet-ok bash "$LAB_DIR/lint.sh"
tp=$((tp + sp)) tf=$((tf + sf)) ts=$((ts + ss))
summary="$summary$(printf 'lint     %3d passed, %d failed' "$sp" "$sf")"$'\n'
# The reference model of demand paging (devmm-sim) against the textbook, on the host.
tap_section sim make -s -C "$TOP_DIR" sim-check
tp=$((tp + sp)) tf=$((tf + sf)) ts=$((ts + ss))
summary="$summary$(printf 'sim      %3d passed, %d failed' "$sp" "$sf")"$'\n'
# The Debian packages, built, linted, installed on the host (DKMS builds
# devmm.ko for its headers) and in the build chroots, and purged again
# (tests/lab/package.sh).  Skipped where devmm is installed already (a user's
# own installation is not touched), with DEVMM_PACKAGE_CHECK=0, and when only
# extra lanes (debug) are run.
pp=0 pf=0 ps=0 t1=$SECONDS
distro_lanes=0
for lane in $lanes; do
	case " $ALL_LANES " in *" $lane "*) distro_lanes=1 ;; esac
done
if [ "${DEVMM_PACKAGE_CHECK:-1}" = 0 ]; then
	ps=1
	echo "[package] ok 1 - Debian packages # SKIP DEVMM_PACKAGE_CHECK=0"
elif [ $distro_lanes = 0 ]; then
	ps=1
	echo "[package] ok 1 - Debian packages # SKIP only extra lanes ($lanes) asked for"
else
	log "packages: build, lintian, install, dkms (a few minutes)"
	tap_section package bash "$LAB_DIR/package.sh" --skip-if-installed
	pp=$sp pf=$sf ps=$ss
fi
tp=$((tp + pp)) tf=$((tf + pf)) ts=$((ts + ps))
summary="$summary$(printf 'package  %3d passed, %d failed, %d skipped  (%ds)' "$pp" "$pf" "$ps" \
	$((SECONDS - t1)))"$'\n'
# The kernel build matrix's subset (tests/lab/matrix.sh --subset): per Debian
# kernel series its oldest, newest and main-archive ABIs and the newest
# rt-amd64, built by DKMS with -Werror.  Skipped with DEVMM_MATRIX=0 and
# when only extra lanes are run; make matrix builds them all.
t1=$SECONDS
if [ "${DEVMM_MATRIX:-1}" = 0 ] || [ $distro_lanes = 0 ]; then
	sp=0 sf=0 ss=1
	echo "[matrix] ok 1 - kernel build matrix # SKIP DEVMM_MATRIX=0 or only extra lanes"
else
	log "matrix: devmm against each series' oldest, newest and main-archive kernels"
	tap_section matrix bash "$LAB_DIR/matrix.sh" --subset
fi
tp=$((tp + sp)) tf=$((tf + sf)) ts=$((ts + ss))
summary="$summary$(printf 'matrix   %3d passed, %d failed, %d skipped  (%ds)' "$sp" "$sf" "$ss" \
	$((SECONDS - t1)))"$'\n'
for lane in $lanes; do
	t1=$SECONDS
	log "lane $lane: build, boot, test"
	# A failing lane must not stop the others (pipefail and set -e).
	bash "$LAB_DIR/run-lane.sh" "$lane" | tee "$TOP_DIR/out/$lane.log" | grep -v '^RESULT ' ||
		true
	read -r _ p f s < <(grep '^RESULT ' "$TOP_DIR/out/$lane.log" || echo "RESULT 0 1 0")
	tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + s))
	line=$(printf 'lane %-5s %3d passed, %d failed, %d skipped  (%ds)' \
		"$lane" "$p" "$f" "$s" $((SECONDS - t1)))
	summary="$summary$line"$'\n'
	log "$line"
	# A failing lane's failed tests, its programs' FAIL diagnostics and the
	# seeds that replay the failed programs (the first 40 such lines).
	if [ "$f" != 0 ]; then
		fail_line "$(lab_what_failed "$TOP_DIR/out/$lane.log" | head -n 40 |
			sed "s/^/[$lane] /")"
	fi
done
echo
echo "== devmm test summary (total $((SECONDS - t0))s) =="
printf '%s' "$summary"
echo "$tp passed, $tf failed, $ts skipped"
if [ -n "$failures" ]; then
	echo
	echo "== what failed (the whole output: out/LANE.log, out/LANE/results.log) =="
	printf '%s' "$failures"
fi
[ "$tf" = 0 ]
