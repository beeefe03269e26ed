# SPDX-License-Identifier: GPL-2.0
# Read a lane's results.log (TAP of each guest test program, exit codes, the
# kernel log) and print the TAP lines, the problems found, and one closing
# line "RESULT passed failed skipped": a test program that did not finish,
# ran fewer tests than planned or exited non-zero counts as failed, and so
# does a kernel splat or a VM that did not reach the end.
BEGIN {
	bad = "BUG:|WARNING:|Oops|KASAN|UBSAN|INFO: lockdep|general protection|Kernel panic|" \
	      "kmemleak: [0-9]+ new suspected|soft lockup|blocked for more than|Call Trace:|RIP: "
}
{ sub(/\r$/, "") }
/^# devmm-lane begin/ { print "# guest kernel " $5; begun = 1; next }
/^# devmm-lane done/ { done = 1; next }
/^# dmesg begin/ { indmesg = 1; next }
/^# dmesg end/ { indmesg = 0; next }
indmesg {
	if ($0 ~ bad) { splats++; print "# SPLAT: " $0 }
	next
}
/^# test / { cur = $3; order[++nt] = cur; plan[cur] = -1; next }
/^# exit / { code[$3] = $4; exited[$3] = 1; cur = ""; next }
cur == "" { next }
/^1\.\.[0-9]+/ { plan[cur] = substr($0, 4) + 0; next }
/^ok / { n[cur]++; if ($0 ~ /# (SKIP|XFAIL)/) skipped++; else passed++; print "[" cur "] " $0; next }
/^not ok / { n[cur]++; failed++; print "[" cur "] " $0; next }
{ print "[" cur "] " $0 }
END {
	for (i = 1; i <= nt; i++) {
		t = order[i]
		if (!exited[t]) {
			print "# FAIL: " t " did not finish"; failed++
		} else if (plan[t] < 0) {
			print "# FAIL: " t " printed no TAP plan"; failed++
		} else if (n[t] != plan[t]) {
			print "# FAIL: " t " ran " n[t] + 0 " of " plan[t] " tests"
			failed += plan[t] > n[t] ? plan[t] - n[t] : 1
		} else if (code[t] != 0) {
			print "# FAIL: " t " exited with " code[t]; failed++
		}
	}
	if (!begun) { print "# FAIL: the guest never started the tests"; failed++ }
	else if (!done) { print "# FAIL: the guest did not reach the end (crash, panic or timeout)"; failed++ }
	if (splats) { print "# FAIL: " splats " kernel splat line(s) in dmesg"; failed++ }
	print "RESULT " passed + 0 " " failed + 0 " " skipped + 0
}
