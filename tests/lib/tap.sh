# SPDX-License-Identifier: GPL-2.0
# TAP for the shell tests, sourced by tests/lab/package.sh and run-lane.sh
# on the host (bash) and by tests/guest/devmmctl.sh in the guests (busybox
# ash; lab_initramfs puts this file at /tests/tap.sh): POSIX sh only.
#
# ok DESCRIPTION, not_ok DESCRIPTION, skip DESCRIPTION REASON: the next
# test's line, numbered; tap_n, tap_failed and tap_skipped count them.
# TAP_PREFIX, if set, starts every line ("[host] " in run-lane.sh).  A
# script that adds diagnostics to its failures redefines not_ok on top of
# tap_not_ok (as tests/guest/devmmctl.sh does).
tap_n=0 tap_failed=0 tap_skipped=0

tap_ok() { tap_n=$((tap_n + 1)); echo "${TAP_PREFIX-}ok $tap_n - $*"; }
tap_not_ok()
{
	tap_n=$((tap_n + 1)) tap_failed=$((tap_failed + 1))
	echo "${TAP_PREFIX-}not ok $tap_n - $*"
}
tap_skip()
{
	tap_n=$((tap_n + 1)) tap_skipped=$((tap_skipped + 1))
	echo "${TAP_PREFIX-}ok $tap_n - $1 # SKIP $2"
}
ok() { tap_ok "$@"; }
not_ok() { tap_not_ok "$@"; }
skip() { tap_skip "$@"; }
# diag: stdin as TAP diagnostics.
diag() { sed 's/^/# /'; }
# bail REASON: stop the whole run.
bail() { echo "Bail out! $*"; exit 1; }
# tap_plan: the plan, at the end ("1..N", N the tests so far).
tap_plan() { echo "1..$tap_n"; }
