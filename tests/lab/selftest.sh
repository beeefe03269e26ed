#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Self-test of the lab's result parser on recorded fixtures: a splat, a crash
# and a short TAP run must each count as failures.  TAP output.
. "$(dirname "$0")/lib.sh"

fixtures=("$LAB_DIR"/fixtures/*.log)
echo "1..${#fixtures[@]}"
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
exit $bad
