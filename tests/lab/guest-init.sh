#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of the lab's initramfs: mount the basics, run /run.sh with its
# output on the second serial port (the results channel), append the whole
# kernel log, power off.
/bin/busybox --install -s /bin
export PATH=/bin:/tests
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
set -a
. /lane.env
set +a
exec 3>/dev/ttyS1

# run NAME CMD...: one test program; its TAP output and exit code.  With
# DEVMM_ONLY (names, space-separated) only the programs it names run.
run()
{
	local name=$1
	shift
	case " ${DEVMM_ONLY:-$name} " in *" $name "*) ;; *) return 0 ;; esac
	echo "# test $name" >&3
	"$@" >&3 2>&1
	echo "# exit $name $?" >&3
}

echo "# devmm-lane begin $LANE $(uname -r)" >&3
. /run.sh
echo "# dmesg begin" >&3
dmesg >&3
echo "# dmesg end" >&3
echo "# devmm-lane done" >&3
sync
poweroff -f
