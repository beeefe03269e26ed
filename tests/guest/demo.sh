# SPDX-License-Identifier: GPL-2.0
# The README's demo, run inside the VM by tests/lab/guest-init.sh.
say() { echo "\$ $*" >&3; "$@" >&3 2>&1; }
say devmmctl load /devmm.ko coherent=$LANE_COHERENT_A
say devmmctl info
say devmmctl info --json
for id in $(ls /dev | sed -n 's/^devmm\([0-9][0-9]*\)$/\1/p'); do
	say devmmctl selftest "$id"
done
say devmmctl list
echo "\$ dmesg | grep devmm" >&3
dmesg | grep devmm >&3
say devmmctl unload
