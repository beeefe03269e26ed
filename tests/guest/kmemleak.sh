#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run last, with devmm unloaded: kmemleak must find nothing devmm allocated
# (objects whose allocation backtrace names devmm).  SKIP without kmemleak.
f=/sys/kernel/debug/kmemleak
echo "1..1"
if [ ! -w "$f" ]; then
	echo "ok 1 - kmemleak # SKIP no kmemleak in this kernel"
	exit 0
fi
# Objects younger than a few seconds are not reported: scan, wait, scan.
echo scan >"$f"
sleep 6
echo scan >"$f"
cat "$f" >/tmp/kmemleak.txt
all=$(grep -c "unreferenced object" /tmp/kmemleak.txt)
ours=$(awk '/unreferenced object/ { if (rec ~ /devmm/) n++; rec = "" } { rec = rec $0 }
	END { if (rec ~ /devmm/) n++; print n + 0 }' /tmp/kmemleak.txt)
if [ "$ours" = 0 ]; then
	echo "ok 1 - kmemleak: nothing devmm allocated is leaked ($all reports elsewhere)"
else
	sed 's/^/# /' /tmp/kmemleak.txt | head -80
	echo "not ok 1 - kmemleak: $ours objects allocated by devmm leaked"
	exit 1
fi
