#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of the lab's result parser on recorded fixtures: a splat, a crash
# and a short TAP run must each count as failures; and of the filter that
# repeats what failed after make check's summary.  TAP output.
. "$(dirname "$0")/lib.sh"

fixtures=("$LAB_DIR"/fixtures/*.log)
echo "1..$((${#fixtures[@]} + 1))"
n=0 bad=0
for f in "${fixtures[@]}"; do
	n=$((n + 1))
	want=$(sed -n 's/^# expect: //p' "$f")
	got=$(awk -f "$LAB_DIR/parse-results.awk" "$f" | grep '^RESULT ')
	if [ "$got" = "$want" ]; then
		echo "ok $n - parser on $(basename "$f"): $got"
	else
		echo "not ok $n - parser on $(basename "$f"): got '$got', want '$want'"
		bad=1
	fi
done
n=$((n + 1))
if lab_what_failed "$LAB_DIR/fixtures/failed-lane.txt" |
	cmp -s - "$LAB_DIR/fixtures/failed-lane.want"; then
	echo "ok $n - what failed: failed tests, diagnostics, splats, seeds of failed programs only"
else
	echo "not ok $n - what failed: output differs from fixtures/failed-lane.want"
	bad=1
fi
exit $bad
