#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The user-space tools.  First libdevmm itself (t_libdevmm: every wrapper,
# its errnos and error strings; its TAP folded into ours), then devmmctl end
# to end, as a user drives it: load (libkmod) with parameters, info, list,
# create, stats, evict, capacity, policy, settings, selftest, destroy,
# unload, each in text and --json (parsed with jq), and the exit codes and
# messages of bad input.  Private-device cases skip where the kernel has no
# device-private memory (the refusal itself is checked there).
#
# usage: devmmctl.sh /path/to/devmm.ko
# lane environment: LANE_EXPECT_PRIVATE, LANE_COHERENT_A, LANE_COHERENT_B.
# Leaves devmm unloaded, whatever happens.
ko=$1
out=/tmp/devmmctl.out err=/tmp/devmmctl.err
holds=""

# ok, not_ok, skip, bail (tests/lib/tap.sh).
. /tests/tap.sh
# not_ok: with the last devmmctl's output (dm) as diagnostics.
not_ok() {
	tap_not_ok "$@"
	sed 's/^/# stdout: /' "$out"
	sed 's/^/# stderr: /' "$err"
}
# dm ARGS...: run devmmctl; its exit code in $rc, output in $out and $err.
dm() { rc=0; devmmctl "$@" >"$out" 2>"$err" || rc=$?; }
# expect RC NAME: the last dm exited RC.
expect() {
	if [ "$rc" = "$1" ]; then ok "$2 (exit $rc)"; else not_ok "$2 (exit $rc, expected $1)"; fi
}
# expect_err RC PATTERN NAME: exit RC and a message matching PATTERN (grep -E).
expect_err() {
	if [ "$rc" = "$1" ] && grep -Eq "$2" "$err"; then
		ok "$3 (exit $rc: $(head -n1 "$err"))"
	else
		not_ok "$3 (exit $rc, expected $1 and a message matching '$2')"
	fi
}
# jcheck FILTER NAME: the JSON in $out parses and jq -e FILTER holds.
jcheck() {
	if jq -e "$1" "$out" >/dev/null 2>"$err.jq"; then
		ok "$2"
	else
		cat "$err.jq" >>"$err"
		not_ok "$2 (jq -e '$1')"
	fi
}
jval() { jq -r "$1" "$out"; }
# hold ID MIB MODE: a process holding device memory (tests/progs/hold.c).
hold() {
	rm -f /tmp/hold.out
	/tests/hold "$@" >/tmp/hold.out 2>&1 &
	hold_pid=$!
	holds="$holds $hold_pid"
	i=0
	while ! grep -q ready /tmp/hold.out && kill -0 $hold_pid 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	grep -q ready /tmp/hold.out
}
release() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; holds=$(echo "$holds" | sed "s/ $1//"); }
cleanup() {
	for p in $holds; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -d /sys/module/devmm ] && rmmod devmm
}
trap cleanup EXIT

MIB=1048576
private=$LANE_EXPECT_PRIVATE
size_b=${LANE_COHERENT_B%@*}
base_b=${LANE_COHERENT_B#*@}

[ ! -d /sys/module/devmm ] || bail "devmm is loaded before the test"

# libdevmm.
lrc=0
/tests/t_libdevmm "$ko" >/tmp/t_libdevmm.out 2>&1 || lrc=$?
planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' /tmp/t_libdevmm.out)
ran=0
while IFS= read -r line; do
	case "$line" in
	"not ok "*)
		ran=$((ran + 1))
		tap_not_ok "libdevmm: ${line#not ok * - }"
		;;
	"ok "*)	# SKIPs keep their "# SKIP reason"
		ran=$((ran + 1))
		tap_ok "libdevmm: ${line#ok * - }"
		;;
	"1.."* | "TAP version"*) ;;
	*) echo "# t_libdevmm: $line" ;;
	esac
done </tmp/t_libdevmm.out
if [ "$lrc" = 0 ] && [ "$ran" = "${planned:-x}" ]; then
	ok "libdevmm: t_libdevmm ran its $planned tests and exited 0"
else
	tap_not_ok "libdevmm: t_libdevmm ran $ran of ${planned:-?} tests, exit $lrc"
fi
[ -d /sys/module/devmm ] && rmmod devmm

# devmmctl without the module.
dm info
expect_err 3 'is the devmm module loaded\?' "info without devmm exits 3"
dm unload
expect_err 3 'devmm is not loaded' "unload without devmm exits 3"
# By name, libkmod looks in /lib/modules/$(uname -r) (where the lab put the
# DKMS-built module, as DKMS installs it); without the depmod indexes it
# cannot.
moddir=/lib/modules/$(uname -r)
mkdir -p /tmp/depmod.off
mv "$moddir"/modules.* /tmp/depmod.off/
dm load
expect_err 1 'no devmm module for this kernel' "load by name without modules.dep exits 1"
mv /tmp/depmod.off/* "$moddir"/
dm load /nonexistent/devmm.ko
expect_err 1 'devmm.ko' "load of a missing file exits 1"
dm load "$ko" bogus=1
expect_err 2 "no parameter 'bogus' \(it has: .*capacity" "load with an unknown parameter is a usage error"
dm load "$ko" capacity
expect_err 2 "bad module parameter 'capacity'" "load with a parameter without a value is a usage error"
dm load "$ko" capacity=12345
expect_err 1 'parameter was refused .*EINVAL' "load with capacity=12345 fails with EINVAL"
if grep -q 'kernel: devmm: .*capacity' "$err"; then
	ok "and shows the kernel's reason ($(grep 'kernel: devmm: .*capacity' "$err" | head -n1))"
else
	not_ok "and shows the kernel's reason"
fi
dm load "$ko" capacity=12345 --json
jcheck '.exit == 1 and .errno == "EINVAL" and (.details | any(test("kernel: devmm: .*capacity")))' \
	"a refused load under --json: error, errno and the kernel's reason in details"
dm load "$ko" bogus=1 --json
jcheck '.exit == 2 and .errno == null' "a usage error under --json: exit 2 as JSON"
[ ! -d /sys/module/devmm ] && ok "devmm is not loaded after the failures" ||
	not_ok "devmm is not loaded after the failures"

# Load, with parameters.
dm load "$ko" private=$private capacity=64M coherent=$LANE_COHERENT_A
expect 0 "load $ko private=$private capacity=64M coherent=$LANE_COHERENT_A"
[ -c /dev/devmm ] && ok "/dev/devmm exists" || not_ok "/dev/devmm exists"
dm load "$ko"
expect_err 1 'already loaded.*EEXIST' "a second load exits 1 with EEXIST"

dm info
if [ "$rc" = 0 ] && grep -q '^devmm .*(ABI 1\.' "$out"; then ok "info"; else not_ok "info"; fi
dm info --json
expect 0 "info --json"
jcheck ".abi[0] == 1 and .devices == $((private + 1)) and .private == $private and
	.coherent == 1 and .private_capacity == $((64 * MIB)) and
	(.caps.private == ($private == 1)) and .caps.coherent" \
	"info --json parses: ABI 1, $((private + 1)) devices, capacity=64M, caps"
dm list --json
jcheck "length == $((private + 1)) and all(.[]; has(\"id\") and has(\"used\") and
	has(\"evicted\") and (.node | startswith(\"/dev/devmm\")))" \
	"list --json parses: $((private + 1)) devices with their statistics"
coh_a=$(jq -r '.[] | select(.kind == "coherent") | .id' "$out")
dm list
if [ "$rc" = 0 ] && [ "$(wc -l <"$out")" = $((private + 2)) ]; then
	ok "list: a header and one line per device"
else
	not_ok "list: a header and one line per device"
fi

# Create.
dm create private 128M --policy fifo --json
if [ "$private" = 1 ]; then
	expect 0 "create private 128M --policy fifo"
	jcheck '.kind == "private" and .policy == "fifo" and .capacity == 134217728' \
		"create --json: the new private device, FIFO, 128 MiB"
	priv=$(jval .id)
else
	expect_err 1 'CONFIG_DEVICE_PRIVATE.*EOPNOTSUPP' \
		"create private on a kernel without device-private memory: EOPNOTSUPP"
	skip "create --json: the new private device" "no device-private memory on this kernel"
fi
dm create coherent "$base_b" "$size_b" --json
expect 0 "create coherent $base_b $size_b"
jcheck ".kind == \"coherent\" and .policy == \"lru\" and .base == $((base_b)) and
	.capacity == $(($(echo "$size_b" | sed 's/M$//') * MIB))" \
	"create --json: the new coherent device at $base_b"
coh=$(jval .id)
[ -c /dev/devmm$coh ] && ok "/dev/devmm$coh exists" || not_ok "/dev/devmm$coh exists"
dm create coherent "$base_b" "$size_b"
expect_err 1 'already in use.*EBUSY' "create coherent over a range in use: EBUSY"
dm create coherent $((base_b + 4096)) "$size_b"
expect_err 1 'whole memory sections.*EINVAL' "create coherent unaligned: EINVAL"
dm create coherent "$base_b" 12XB
expect_err 2 "bad size '12XB'" "create with a bad size is a usage error"
dm create private 0
expect_err 2 'must not be 0' "create private 0 is a usage error"
dm create coherent "$base_b"
expect_err 2 'usage: create coherent BASE SIZE' "create coherent without SIZE is a usage error"

# Unknown devices and bad ids.
for cmd in "stats 99" "destroy 99" "evict 99 all" "capacity 99 64M" "policy 99 lru" \
	"selftest 99" "settings 99" "settings 99 --thrashing on"; do
	dm $cmd
	expect_err 1 'no such device.*ENODEV' "$cmd: no such device, ENODEV"
done
dm destroy x1
expect_err 2 "bad device id 'x1'" "destroy x1 is a usage error"
dm evict "$coh" 0
expect_err 2 'evict everything: all' "evict 0 bytes is a usage error"
dm stats "$coh" --policy lru
expect_err 2 'option of create' "--policy outside create is a usage error"
dm frobnicate
expect_err 2 "unknown command 'frobnicate'" "an unknown command is a usage error"

# Stats and selftest.
dm stats "$coh"
if [ "$rc" = 0 ] && grep -q "^device $coh (/dev/devmm$coh): coherent, policy lru, base $base_b" "$out"
then ok "stats $coh"; else not_ok "stats $coh"; fi
dm selftest "$coh" --json
expect 0 "selftest $coh --json"
jcheck ".device == $coh and .kind == \"coherent\" and .bytes == $((64 * MIB)) and
	.verified == true" "selftest --json: a verified 64 MiB round trip on the coherent device"
dm stats "$coh" --json
jcheck ".id == $coh and .to_device >= 16384 and .to_system >= 16384 and .used == 0" \
	"stats --json: the round trip is counted, nothing left on the device"
if [ "$private" = 1 ]; then
	dm selftest "$priv" --json
	jcheck ".device == $priv and .kind == \"private\" and .verified == true" \
		"selftest --json on the private device"
	dm stats "$priv" --json
	jcheck ".to_device >= 16384 and .to_system >= 16384 and .used == 0" \
		"stats --json: the private device's round trip is counted"
else
	skip "selftest --json on the private device" "no device-private memory on this kernel"
	skip "stats --json on the private device" "no device-private memory on this kernel"
fi
rm -f /tmp/watch.out
timeout -s INT 3 devmmctl stats "$coh" --json --watch 0.5 >/tmp/watch.out 2>"$err"
cp /tmp/watch.out "$out"
if [ "$(jq -s "length >= 3 and all(.[]; .device.id == $coh and .time > 0)" /tmp/watch.out)" = true ]
then
	ok "stats --watch 0.5 --json: $(wc -l </tmp/watch.out) JSON lines in 3 s"
else
	not_ok "stats --watch 0.5 --json: JSON lines"
fi

# Evict, capacity, policy: with 128 MiB held on the coherent device.
if hold "$coh" 128 migrate; then
	ok "a process holds 128 MiB on device $coh"
	h=$hold_pid
else
	not_ok "a process holds 128 MiB on device $coh ($(cat /tmp/hold.out))"
	h=
fi
dm stats "$coh" --json
jcheck ".used == $((128 * MIB))" "stats: 128 MiB in use"
dm evict "$coh" 16M --json
expect 0 "evict $coh 16M"
jcheck ".requested == $((16 * MIB)) and .evicted >= $((16 * MIB)) and
	.used <= $((112 * MIB))" "evict --json: at least 16 MiB evicted"
dm capacity "$coh" 64M --json
expect 0 "capacity $coh 64M"
jcheck ".capacity == $((64 * MIB)) and .previous == $((256 * MIB)) and .used <= $((64 * MIB))" \
	"capacity --json: shrunk to 64 MiB, evicting down to it"
dm capacity "$coh" 12345
expect_err 1 'bad capacity.*EINVAL' "capacity 12345: EINVAL"
dm capacity "$coh" 1G
expect_err 1 'at most its range.*EINVAL' "capacity past the coherent range: EINVAL"
dm policy "$coh" fifo --json
jcheck '.policy == "fifo"' "policy fifo --json"
dm stats "$coh" --json
jcheck '.policy == "fifo" and .capacity == 67108864' "stats: policy fifo, capacity 64 MiB"
dm evict "$coh" all --progress
if [ "$rc" = 0 ] && grep -q '100%' "$out" && grep -q "evicted .* from device $coh, 0 B in use" "$out"
then
	ok "evict all --progress: a progress bar to 100%, nothing left ($(tail -n1 "$out"))"
else
	not_ok "evict all --progress"
fi
dm capacity "$coh" "$size_b"
expect 0 "capacity back to $size_b"
[ -n "$h" ] && release "$h"

# mmap buffers keep a device (and the module) busy.
if hold "$coh" 16 mmap; then
	ok "a process maps 16 MiB of device $coh"
	h=$hold_pid
	dm destroy "$coh"
	expect_err 1 'live mmap buffers.*EBUSY' "destroy with live mmap buffers: EBUSY"
	dm unload
	expect_err 1 'in use.*EAGAIN|in use.*EBUSY' "unload while in use exits 1"
	dm evict "$coh" all --json
	jcheck '.evicted == 0 and .used == 16777216' "evict all leaves mmap buffers alone"
	release "$h"
else
	not_ok "a process maps 16 MiB of device $coh ($(cat /tmp/hold.out))"
fi

# Settings (ABI 1.1): read, changed in one call, refused whole.
dm settings "$coh"
if [ "$rc" = 0 ] && grep -q "^device $coh (/dev/devmm$coh) settings:" "$out" &&
	grep -Eq '^  policy +fifo$' "$out" && grep -Eq '^  evict-batch +512$' "$out" &&
	grep -Eq '^  evict-unit +page$' "$out" && grep -Eq '^  seed +0$' "$out" &&
	grep -Eq '^  prefetch +none$' "$out" && grep -Eq '^  thrashing +off$' "$out"; then
	ok "settings $coh: policy fifo (set above), the other defaults"
	sed 's/^/# /' "$out"
else
	not_ok "settings $coh: policy fifo (set above), the other defaults"
fi
dm settings "$coh" --json
jcheck ".id == $coh and .policy == \"fifo\" and .evict_batch == 512 and
	.evict_unit == \"page\" and .seed == 0 and .prefetch == \"none\" and
	.thrashing == \"off\"" "settings --json: the same, as one object"
dm settings "$coh" --policy clock --evict-batch 64 --evict-unit block --seed 7 \
	--prefetch seq:128 --thrashing on --json
expect 0 "settings $coh: every setting changed"
jcheck '.policy == "clock" and .evict_batch == 64 and .evict_unit == "block" and .seed == 7 and
	.prefetch == "seq:128" and .thrashing == "on"' "settings --json prints the new settings"
sed 's/^/# /' "$out"
dm stats "$coh" --json
jcheck '.policy == "clock"' "stats --json: the new policy"
dm settings "$coh" --prefetch density
if [ "$rc" = 0 ] && grep -Eq '^  prefetch +density:51$' "$out" &&
	grep -Eq '^  policy +clock$' "$out" && grep -Eq '^  evict-batch +64$' "$out"; then
	ok "settings --prefetch density: density:51, the others kept"
else
	not_ok "settings --prefetch density: density:51, the others kept"
fi
dm settings "$coh" --policy lru --evict-batch 0
expect_err 2 "evict-batch takes 1 to 512" "settings --evict-batch 0 is a usage error"
dm settings "$coh" --policy lru --prefetch seq:5
expect_err 2 "seq:KB takes 4 to 2048" "settings --prefetch seq:5 is a usage error"
dm settings "$coh" --thrashing off --policy mru
expect_err 2 "unknown policy 'mru'" "settings --policy mru is a usage error"
dm settings "$coh" --json
jcheck '.policy == "clock" and .evict_batch == 64 and .prefetch == "density:51" and
	.thrashing == "on"' "after the refusals nothing changed (not the valid options either)"
dm settings "$coh" --policy fifo --evict-batch 512 --evict-unit page --seed 0 --prefetch none \
	--thrashing off --json
jcheck '.policy == "fifo" and .evict_batch == 512 and .evict_unit == "page" and .seed == 0 and
	.prefetch == "none" and .thrashing == "off"' "settings back to the defaults (policy fifo)"
dm create mirror --json
mir=$(jval .id)
dm settings "$mir"
expect_err 1 'mirror-only.*EOPNOTSUPP' "settings of a mirror-only device: EOPNOTSUPP"
dm destroy "$mir"
expect 0 "destroy the mirror-only device $mir"
# Not root: the control device is root's (mode 0600).  The initramfs's / is
# 0700: open it to others for the while.
mkdir -p /etc
grep -q '^nobody:' /etc/passwd 2>/dev/null ||
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
rootmode=$(stat -c %a /)
chmod 755 /
if [ "$(su -s /bin/sh nobody -c 'id -u' 2>/dev/null)" = 65534 ]; then
	rc=0
	su -s /bin/sh nobody -c "/tests/devmmctl settings $coh" >"$out" 2>"$err" || rc=$?
	expect_err 1 'root-only.*EACCES' "settings as another user than root: EACCES"
else
	skip "settings as another user than root" "su to nobody does not work here"
fi
chmod "$rootmode" /

# devmmctl replay: demand paging through traces, exact against the textbook.
awk 'BEGIN { srand(7); print "# one-page records, a hot third"; print "size 0x60000"
	for (i = 0; i < 800; i++) {
		pg = rand() < 0.7 ? int(rand() * 32) : int(rand() * 96)
		printf "%s %d\n", rand() < 0.25 ? "W" : "R", pg * 4096
	} }' >/tmp/rand.trace
# misses POLICY: the textbook's misses of /tmp/rand.trace with 32 frames.
misses() {
	awk -v lru="$1" '$1 == "R" || $1 == "W" {
		pg = $2 / 4096; t++
		if (pg in at) { if (lru) at[pg] = t; next }
		m++
		if (n == 32) { v = -1
			for (p in at) if (v < 0 || at[p] < at[v]) v = p
			delete at[v]; n-- }
		at[pg] = t; n++
	} END { print m }' /tmp/rand.trace
}
dm stats "$coh" --json
cap0=$(jval .capacity)
for pol in lru fifo; do
	want=$(misses $([ $pol = lru ] && echo 1 || echo 0))
	dm replay "$coh" /tmp/rand.trace --policy $pol --evict-batch 1 --capacity 128K --json
	jcheck ".records == 800 and .device_faults == $want and .pages_to_device == $want and
		.remote_accesses == 0 and .bad_pages == 0 and .policy == \"$pol\"" \
		"replay, $pol, batch 1, 32 frames: device faults = the textbook's misses ($want)"
done
dm stats "$coh" --json
jcheck ".policy == \"fifo\" and .capacity == $cap0" \
	"replay restores the device's policy and capacity ($cap0)"
dm replay "$coh" --pattern stream --size 256K --capacity 128K --policy lru --json
jcheck '.records == 256 and .device_faults == 256 and .evicted == 224 and .bad_pages == 0' \
	"replay --pattern stream over twice the capacity: LRU misses every record"
for p in stride:5 random:3 hotcold:80; do
	dm replay "$coh" --pattern $p --size 512K --capacity 256K --granularity 64K --json
	jcheck '.bad_pages == 0 and .device_faults > 0 and .device_faults <= .records' \
		"replay --pattern $p, 64 KiB granularity: data intact"
done
printf 'size 8192\nR 0\nX 4096\n' >/tmp/bad.trace
dm replay "$coh" /tmp/bad.trace
expect_err 2 'line 3: malformed' "replay: a malformed record names its line"
printf '# c\nsize 8192\nW 4096 8192\n' >/tmp/bad.trace
dm replay "$coh" /tmp/bad.trace
expect_err 2 'line 3: record .* outside' "replay: a record outside the buffer names its line"
dm replay "$coh" --pattern stream --prefetch seq:5
expect_err 2 'seq:KB takes' "replay --prefetch seq:5: a usage error"
dm replay "$coh" --pattern stream --size 256K --capacity 128K --prefetch seq:64 --json
jcheck '.records == 256 and .device_faults < 32 and .prefetched > 0 and .prefetch_hits > 0 and
	.prefetch == "seq:64" and .bad_pages == 0' \
	"replay --prefetch seq:64: a sequential stream faults once per 17 pages or so"
dm replay "$coh" --pattern stream --size 256K --capacity 512K --prefetch density:25 --json
jcheck '.device_faults < 64 and .prefetched > 0 and .bad_pages == 0' \
	"replay --prefetch density:25: a block follows once a quarter of it is there"
if hold "$coh" 4 mmap; then
	dm replay "$coh" --pattern stream --size 64K
	expect_err 1 'not empty.*EBUSY' "replay on a device in use: EBUSY"
	release "$hold_pid"
else
	not_ok "a process maps 4 MiB of device $coh ($(cat /tmp/hold.out))"
fi
if [ "$private" = 1 ]; then
	dm evict "$priv" all
	dm replay "$priv" --pattern pingpong --size 256K --records 20 --json
	jcheck '.bad_pages == 0 and .device_faults == 1280 and .pages_to_device == 1280 and
		.cpu_faults > 0 and .pages_to_system == 1280' \
		"replay --pattern pingpong on a private device: every round moves 64 pages each way"
	dm replay "$priv" --pattern pingpong --size 256K --json
	off=$(jval .pages_to_device)
	dm replay "$priv" --pattern pingpong --size 256K --thrashing on --json
	jcheck ".bad_pages == 0 and .cpu_read_mismatches == 0 and .thrashing_events == 64 and
		.pages_to_device * 10 <= $off" \
		"replay pingpong, 100 rounds, thrashing control on: $(jval .pages_to_device) pages to the device, >= 90% fewer than off ($off), data intact"
else
	skip "replay --pattern pingpong on a private device" "no device-private memory"
fi

# The thrashing trace with CPU writes on a coherent device, where the CPU
# would read in place: the device writes 64 pages, the CPU writes them, 100
# rounds; thrashing control on keeps them on the device.  Data must stay
# intact both ways; the counts are printed for the issue's report.
awk 'BEGIN { print "size 262144"; for (r = 0; r < 100; r++) {
	for (i = 0; i < 64; i++) print "W", i * 4096; for (i = 0; i < 64; i++) print "S", i * 4096 } }' \
	>/tmp/pingw.trace
dm evict "$coh" all
dm replay "$coh" /tmp/pingw.trace --json
jcheck '.bad_pages == 0 and .cpu_read_mismatches == 0' "coherent: device and CPU writes in turn, \
100 rounds, thrashing control off: data intact, $(jval .pages_to_device) pages to the device, \
$(jval .pages_to_system) back, $(jval .cpu_faults) CPU faults"
dm replay "$coh" /tmp/pingw.trace --thrashing on --json
jcheck '.bad_pages == 0 and .cpu_read_mismatches == 0' "coherent: the same with thrashing \
control on: data intact, $(jval .pages_to_device) pages to the device, $(jval .pages_to_system) \
back, $(jval .cpu_faults) CPU faults, $(jval .thrashing_events) thrashing events"

# advise: another process's range attributes, through its file (pidfd_getfd).
if hold "$coh" 1 advised; then
	h=$hold_pid
	addr=$(sed -n 's/^ready //p' /tmp/hold.out)
	mid=$(printf '0x%x' $((addr + 524288)))
	dm advise "$coh" "$h" "$addr" 1M
	if [ "$rc" = 0 ] && [ "$(wc -l <"$out")" = 1 ] &&
	   grep -q "^$addr-.* prefer=none migrate-on-fault=off accessed-by=off granularity=4K$" "$out"
	then
		ok "advise without options: process $h's 1 MiB at $addr has the defaults"
	else
		not_ok "advise without options: process $h's 1 MiB at $addr has the defaults (exit $rc)"
	fi
	dm advise "$coh" "$h" "$addr" 1M --prefer device --migrate-on-fault on --granularity 64K \
		--json
	jcheck ".id == $coh and .pid == $h and (.ranges | length) == 1 and
		.ranges[0].preferred == \"device\" and .ranges[0].migrate_on_fault and
		(.ranges[0].accessed_by | not) and .ranges[0].granularity == 65536 and
		.ranges[0].bytes == 1048576" \
		"advise --prefer device --migrate-on-fault on --granularity 64K --json: one range"
	dm advise "$coh" "$h" "$mid" 256K --accessed-by on
	if [ "$rc" = 0 ] && grep -q "^$mid-.* accessed-by=on" "$out"; then
		ok "advise --accessed-by on over the third quarter"
	else
		not_ok "advise --accessed-by on over the third quarter (exit $rc)"
	fi
	dm advise "$coh" "$h" "$addr" 1M
	[ "$rc" = 0 ] && [ "$(wc -l <"$out")" = 3 ] && ok "the 1 MiB now reads as three ranges" ||
		not_ok "the 1 MiB now reads as three ranges (exit $rc)"
	kill -USR1 "$h"
	i=0
	while ! grep -Eq '^(read [0-9]|bad|read failed)' /tmp/hold.out && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	got=$(sed -n 's/^read \([0-9]*\)$/\1/p' /tmp/hold.out)
	[ "$got" = 192 ] &&
		ok "process $h's device read migrates the advised pages on fault: 192 of 256, data intact" ||
		not_ok "process $h's device read migrates the advised pages on fault: 192 of 256 ($(tail -n1 /tmp/hold.out))"
	dm advise "$coh" "$h" 0x10000 4K --prefer device
	expect_err 1 'not wholly mapped.*EFAULT' "advise over memory the process has not mapped: EFAULT"
	dm advise "$coh" $$ "$addr" 4K
	expect_err 1 "device $coh: it has no file of the device open.*ENOENT" \
		"advise of a process without the device: a clear message"
	dm advise "$coh" 2147483647 "$addr" 4K --json
	jcheck '.exit == 1 and .errno == "ESRCH"' "advise of no process: ESRCH"
	# / is 0700: open it to nobody for the while (as for settings above).
	chmod 755 /
	if [ "$(su -s /bin/sh nobody -c 'id -u' 2>/dev/null)" = 65534 ]; then
		rc=0
		su -s /bin/sh nobody -c "/tests/devmmctl advise $coh $h $addr 4K --prefer system" \
			>"$out" 2>"$err" || rc=$?
		expect_err 1 'not permitted.*EPERM' "advise of root's process as nobody: EPERM"
	else
		skip "advise as another user than root" "su to nobody does not work here"
	fi
	chmod "$rootmode" /
	dm advise "$coh" "$h" "$addr" 1000
	expect_err 2 'bad length' "advise with a length not a multiple of 4096: a usage error"
	dm advise "$coh" "$h" "$addr" 4K --granularity 8K
	expect_err 2 'granularity needs' "advise --granularity 8K: a usage error"
	release "$h"
else
	not_ok "a process holds 1 MiB of advised memory ($(cat /tmp/hold.out))"
fi

# Destroy and unload.
dm destroy "$coh" --json
expect 0 "destroy $coh"
jcheck ".id == $coh and .destroyed == true" "destroy --json"
[ ! -e /dev/devmm$coh ] && ok "/dev/devmm$coh is gone" || not_ok "/dev/devmm$coh is gone"
if [ "$private" = 1 ]; then
	dm destroy "$priv"
	expect 0 "destroy the private device $priv"
else
	skip "destroy the private device" "no device-private memory on this kernel"
fi
dm destroy "$coh"
expect_err 1 'no such device.*ENODEV' "a second destroy: ENODEV"
dm destroy "$coh" --json
jcheck ".exit == 1 and .errno == \"ENODEV\" and (.error | test(\"no such device\"))" \
	"a failure under --json: one JSON object on stdout"
dm list --json
jcheck "length == $((private + 1)) and (map(.id) | any(. == $coh) | not)" \
	"list --json: the devices of the load are left"
dm selftest --json
jcheck '.verified == true' "selftest (first device with memory) --json"
dm unload --json
expect 0 "unload"
jcheck '.unloaded == true' "unload --json"
[ ! -d /sys/module/devmm ] && ok "devmm is unloaded" || not_ok "devmm is unloaded"
dm unload
expect_err 3 'not loaded' "a second unload exits 3"

# As a DKMS user loads it: by name, from /lib/modules/$(uname -r).
dm load coherent=$LANE_COHERENT_A --json
expect 0 "load by name coherent=$LANE_COHERENT_A"
jcheck '.loaded == true' "load by name --json"
[ -d /sys/module/devmm ] && ok "devmm is loaded by name" || not_ok "devmm is loaded by name"
dm info --json
jcheck '.coherent == 1 and .devices == .private + 1' "the module loaded by name has its devices"
dm unload
expect 0 "unload the module loaded by name"

tap_plan
[ "$tap_failed" = 0 ]
