# SPDX-License-Identifier: GPL-2.0
# What failed in a lane's log (run twice over the same file: awk -f this LOG LOG):
# failed tests, the programs' FAIL diagnostics, splats, and the seeds that
# replay the programs that failed (not those of programs that passed).
function prog(line) {
	return line ~ /^\[[^]]+\] / ? substr(line, 2, index(line, "]") - 2) : ""
}
NR == FNR {
	if ($0 ~ /^\[[^]]+\] (not ok|FAIL: )/)
		failed[prog($0)] = 1
	else if (match($0, /# FAIL: [^ ]+ exited/))
		failed[substr($0, RSTART + 8, RLENGTH - 15)] = 1
	next
}
/(^|\] )not ok|# FAIL|FAIL: |SPLAT|watchdog:/ { print; next }
/reproduce:/ && prog($0) in failed { print }
