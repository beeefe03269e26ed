# SPDX-License-Identifier: GPL-2.0
# Shared definitions of the devmm test lab; sourced by the lab scripts.
#
# A lane is a Debian kernel: the module is built against that kernel's headers
# (on the host for bookworm, inside a cached debootstrap chroot for the newer
# suites, whose kbuild tools need their own glibc and gcc) and booted in QEMU.

set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$LAB_DIR/../.." && pwd)
CACHE=${DEVMM_CACHE:-${HOME:-/root}/.cache/devmm}
MIRROR=${DEVMM_MIRROR:-}
ALL_LANES="6.1 6.12 7"
# Lanes that exist but are not run by default: debug and debug7 (Debian's
# linux-source 6.12 and 7.x built with DEVICE_PRIVATE, KASAN, lockdep,
# DEBUG_VM and kmemleak; each cold build takes 25-40 minutes:
# make check LANES=debug, LANES=debug7).
EXTRA_LANES="debug debug7"
APT_OPTS=(-o Acquire::Check-Valid-Until=false -o APT::Get::Assume-Yes=true
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

log() { printf '[lab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

# lab_what_failed LOG: the lines of a lane's log that say what failed, and the
# seeds that replay the programs that failed.
lab_what_failed() { awk -f "$LAB_DIR/what-failed.awk" "$1" "$1"; }

# The mirror the host already uses, so the lab reaches the same registry.
lab_mirror()
{
	if [ -n "$MIRROR" ]; then
		echo "$MIRROR"
		return
	fi
	host_mirror '!~' http://deb.debian.org/debian
}

# The security suites' mirror the host uses.
lab_security_mirror()
{
	host_mirror '~' http://deb.debian.org/debian-security
}

# host_mirror MATCH DEFAULT: the first mirror of the host's apt sources
# whose URI matches (MATCH "~") or does not match ("!~") "security", from
# deb822 .sources files, else sources.list, else DEFAULT.
host_mirror()
{
	local uri
	uri=$(awk "/^URIs:/ && \$2 $1 /security/ { print \$2; exit }" \
		/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	if [ -z "$uri" ]; then
		uri=$(awk "\$1 == \"deb\" && \$2 $1 /security/ { print \$2; exit }" \
			/etc/apt/sources.list 2>/dev/null || true)
	fi
	echo "${uri:-$2}"
}

# lane_suite LANE: the Debian suite whose kernel the lane boots.
lane_suite()
{
	case "$1" in
	6.1) echo bookworm ;;
	6.12) echo trixie ;;
	7) echo sid ;;
	debug|debug7) echo "$1" ;;
	*) die "unknown lane '$1' (lanes: $ALL_LANES $EXTRA_LANES)" ;;
	esac
}

# lab_setup_chroot SUITE PKGS: a minbase chroot of SUITE holding the lab's
# build tools (CHROOT_PKGS) and PKGS (the suite's kernel headers for a lane's
# chroot, nothing more for the build matrix's bookworm one).
CHROOT_PKGS="make gcc libc6-dev linux-libc-dev kmod sparse dkms"
lab_setup_chroot()
{
	local suite=$1 pkgs=$2 root="$CACHE/chroot/$1" mirror
	mirror=$(lab_mirror)
	if [ -f "$root/.devmm-ready" ]; then
		# Packages added to the lab since the chroot was made.
		if ! chroot_run "$root" dpkg -s $CHROOT_PKGS >/dev/null 2>&1; then
			log "installing $CHROOT_PKGS in the $suite chroot"
			chroot_run "$root" sh -ec "
				export DEBIAN_FRONTEND=noninteractive
				apt-get ${APT_OPTS[*]} update -qq
				apt-get ${APT_OPTS[*]} install -qq --no-install-recommends \
					$CHROOT_PKGS >/dev/null
				apt-get clean"
		fi
		return
	fi
	if [ -d "$root" ]; then
		local m
		for m in "$root"/devmm* "$root/proc"; do
			! mountpoint -q "$m" || umount "$m"
		done
		log "removing incomplete chroot $root"
		rm -rf --one-file-system "$root"
	fi
	log "debootstrap $suite (a few minutes)"
	mkdir -p "$CACHE/chroot"
	debootstrap --variant=minbase "$suite" "$root" "$mirror" \
		>"$CACHE/chroot/$suite.debootstrap.log" 2>&1 ||
		die "debootstrap $suite failed, see $CACHE/chroot/$suite.debootstrap.log"
	log "installing the $suite toolchain${pkgs:+ and $pkgs}"
	chroot_run "$root" sh -ec "
		export DEBIAN_FRONTEND=noninteractive
		apt-get ${APT_OPTS[*]} update -qq
		apt-get ${APT_OPTS[*]} install -qq --no-install-recommends \
			$pkgs $CHROOT_PKGS >/dev/null
		apt-get clean"
	touch "$root/.devmm-ready"
}

# lane_root LANE: the root of the build environment ("" is the host).
lane_root()
{
	case "$1" in
	6.1|debug|debug7) echo "" ;;
	*) echo "$CACHE/chroot/$(lane_suite "$1")" ;;
	esac
}

# lane_selftest_lane LANE: the lane whose linux-source gives LANE's upstream
# hmm selftest (the debug kernels are Debian's 6.12 and 7.x).
lane_selftest_lane()
{
	case "$1" in
	debug) echo 6.12 ;;
	debug7) echo 7 ;;
	*) echo "$1" ;;
	esac
}

lane_kdir_file() { echo "$CACHE/kernels/$1/kdir"; }
lane_vmlinuz() { echo "$CACHE/kernels/$1/vmlinuz"; }

# in_root ROOT CMD...: run CMD in the build environment ROOT ("" is the
# host), in TOP_DIR's bind-mounted copy for chroots.
in_root()
{
	local root=$1
	shift
	if [ -z "$root" ]; then
		"$@"
	else
		chroot_run "$root" "$@"
	fi
}

# in_lane LANE CMD...: run CMD in the lane's build environment.
in_lane()
{
	local lane=$1
	shift
	in_root "$(lane_root "$lane")" "$@"
}

# chroot_run ROOT CMD...: CMD inside a build chroot, with a clean environment.
chroot_run()
{
	local root=$1
	shift
	lab_mount "$root"
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 "$@"
}

# Where this source tree appears inside the chroots: one mount point per
# tree, so that two checkouts (git worktrees) can run the lab at once
# without building each other's sources.
LAB_MNT=/devmm-$(printf '%s' "$TOP_DIR" | cksum | cut -d' ' -f1)

# Mount what a build inside the chroot needs: /proc (objtool reads it on
# 7.x) and the source tree at $LAB_MNT.  Both are unmounted by lab_umount.
lab_mount()
{
	local root=$1
	mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
	mkdir -p "$root$LAB_MNT"
	mountpoint -q "$root$LAB_MNT" || mount --bind "$TOP_DIR" "$root$LAB_MNT"
}

# lab_umount [all]: undo lab_mount for this tree; /proc stays while another
# tree's run still has its sources mounted.  "all" unmounts everything (before
# a chroot is deleted).
lab_umount()
{
	local root m busy
	for root in "$CACHE"/chroot/*; do
		[ -d "$root" ] || continue
		busy=0
		for m in "$root"/devmm*; do
			[ -d "$m" ] && mountpoint -q "$m" || continue
			if [ "${1:-}" = all ] || [ "$m" = "$root$LAB_MNT" ]; then
				# Lazily if a process (a build's leftover) still
				# holds it: the mount goes once it is done.
				umount "$m" 2>/dev/null || umount -l "$m"
			else
				busy=1
			fi
		done
		[ $busy = 0 ] && mountpoint -q "$root/proc" &&
			{ umount "$root/proc" 2>/dev/null || umount -l "$root/proc"; }
	done
	return 0
}

# lab_module_source DIR: the module's sources in DIR, as DKMS gets them
# (make dkms-source: the Debian package's are the same).
lab_module_source() { make -s -C "$TOP_DIR" dkms-source DESTDIR="$1"; }

# root_path ROOT HOSTPATH: HOSTPATH (inside TOP_DIR) as seen inside the build
# environment ROOT.
root_path()
{
	if [ -z "$1" ]; then echo "$2"; else echo "$LAB_MNT${2#"$TOP_DIR"}"; fi
}

# lane_path LANE HOSTPATH: HOSTPATH as seen inside the lane's build env.
lane_path() { root_path "$(lane_root "$1")" "$2"; }

# lab_dkms_build ROOT KVER KDIR OUT: devmm built by DKMS (as users build it)
# against KDIR in the build environment ROOT ("" is the host), with warnings
# as errors (DEVMM_WERROR reaches Kbuild through make's environment).  DKMS
# works in trees of its own under OUT/dkms, never in /var/lib/dkms or
# /usr/src, and signs with a key made there.  The DKMS output, and make's log
# if the build failed, go to OUT/build.log; returns dkms's exit status.
lab_dkms_build()
{
	local root=$1 kver=$2 kdir=$3 out=$4 dk="$4/dkms" ver f st=0 log="$4/build.log"
	ver=$(cat "$TOP_DIR/VERSION")
	rm -rf "$dk"
	mkdir -p "$dk/tree"
	lab_module_source "$dk/src/devmm-$ver" >"$log" 2>&1 || return 1
	in_root "$root" env DEVMM_WERROR=1 \
		mok_signing_key="$(root_path "$root" "$dk/mok.key")" \
		mok_certificate="$(root_path "$root" "$dk/mok.pub")" \
		dkms build -m devmm -v "$ver" -k "$kver" --kernelsourcedir "$kdir" \
		--sourcetree "$(root_path "$root" "$dk/src")" \
		--dkmstree "$(root_path "$root" "$dk/tree")" >"$log" 2>&1 || st=$?
	if [ $st != 0 ]; then
		f="$dk/tree/devmm/$ver/build/make.log"
		[ -f "$f" ] && { echo "== $f"; cat "$f"; } >>"$log"
	fi
	return $st
}

# lab_build_module LANE: out/LANE/devmm.ko, built by lab_dkms_build against
# the lane's headers in the lane's build environment.
lab_build_module()
{
	local lane=$1 kdir kver ver ko
	kdir=$(cat "$(lane_kdir_file "$lane")")
	kver=$(cat "$CACHE/kernels/$lane/abi")
	ver=$(cat "$TOP_DIR/VERSION")
	rm -f "$TOP_DIR/out/$lane/devmm.ko"
	lab_dkms_build "$(lane_root "$lane")" "$kver" "$kdir" "$TOP_DIR/out/$lane" || return 1
	# DKMS compresses the module as the kernel's own (xz on 6.12 and 7.x);
	# the guests' busybox insmod wants it plain.
	for ko in "$TOP_DIR/out/$lane/dkms/tree/devmm/$ver/$kver"/*/module/devmm.ko*; do
		case $ko in
		*.xz) xz -dc "$ko" >"$TOP_DIR/out/$lane/devmm.ko" ;;
		*.zst) zstd -qdc "$ko" >"$TOP_DIR/out/$lane/devmm.ko" ;;
		*.gz) gzip -dc "$ko" >"$TOP_DIR/out/$lane/devmm.ko" ;;
		*) cp "$ko" "$TOP_DIR/out/$lane/devmm.ko" ;;
		esac
	done
	[ -s "$TOP_DIR/out/$lane/devmm.ko" ] ||
		{ echo "no devmm.ko in $TOP_DIR/out/$lane/dkms/tree" >>"$TOP_DIR/out/$lane/build.log"; return 1; }
}

# lab_sparse LANE: sparse (make C=2) over a plain build of the module in
# out/LANE/module (whose generated/probes.txt the golden file is checked
# against); prints what sparse says about our sources and fails if it says
# anything.
lab_sparse()
{
	local lane=$1 dst="$TOP_DIR/out/$1/module" kdir
	kdir=$(cat "$(lane_kdir_file "$lane")")
	rm -rf "$dst"
	lab_module_source "$dst" || return 1
	if ! in_lane "$lane" make -C "$(lane_path "$lane" "$dst")" KDIR="$kdir" \
		DEVMM_WERROR=1 C=2 modules >"$TOP_DIR/out/$lane/sparse.log" 2>&1; then
		tail -n 30 "$TOP_DIR/out/$lane/sparse.log"
		return 1
	fi
	# kbuild quietly skips sparse when it thinks it unusable.
	if ! grep -q '^ *CHECK .*src/main.c' "$TOP_DIR/out/$lane/sparse.log"; then
		echo "sparse did not run:"
		grep -i 'sparse\|checker' "$TOP_DIR/out/$lane/sparse.log"
		return 1
	fi
	! grep -E '(src|include)/.*(warning|error):' "$TOP_DIR/out/$lane/sparse.log"
}

# lab_build_progs: the test programs and devmmctl in out/progs, where
# lab_initramfs takes them from (make progs: the Makefile says how).
lab_build_progs() { make -s -C "$TOP_DIR" progs; }

# Host programs the guests get with their shared libraries: jq parses the
# JSON of devmmctl --json in tests/guest/devmmctl.sh.
GUEST_HOST_PROGS="/usr/bin/jq"

# lab_bundle_libs ROOT FILE...: copy the shared libraries of the dynamic
# executables among FILE (as ldd resolves them on the host) and the dynamic
# loader into ROOT, at the same paths, so that they run in the busybox
# initramfs (ld.so finds them in its default directories; no ld.so.cache).
lab_bundle_libs()
{
	local root=$1 f lib
	shift
	for f in "$@"; do
		readelf -lW "$f" 2>/dev/null | grep >/dev/null 'Requesting program interpreter' || continue
		ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
	done | sort -u | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# lab_initramfs LANE SCRIPT IMAGE [FILE...]: a busybox initramfs whose
# /init runs SCRIPT (a guest script from tests/guest) with the lane's
# module, test programs and expectations, and any further FILEs in its /.
lab_initramfs()
{
	local lane=$1 script=$2 img=$3 root
	shift 3
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,tests}
	mknod "$root/dev/console" c 5 1
	cp /bin/busybox "$root/bin/busybox"
	cp "$LAB_DIR/guest-init.sh" "$root/init"
	cp "$script" "$root/run.sh"
	# The module where modprobe and devmmctl load find it by name, as DKMS
	# installs it, and at /devmm.ko for the tests that load it by path.
	local kver
	kver=$(cat "$CACHE/kernels/$lane/abi")
	mkdir -p "$root/lib/modules/$kver/updates/dkms"
	cp "$TOP_DIR/out/$lane/devmm.ko" "$root/lib/modules/$kver/updates/dkms/devmm.ko"
	# (The guest kernel's list of built-in modules is not at hand: empty.)
	touch "$root/lib/modules/$kver/"modules.{builtin,builtin.modinfo,order}
	depmod -b "$root" "$kver"
	ln -s "lib/modules/$kver/updates/dkms/devmm.ko" "$root/devmm.ko"
	# Guest scripts source the shell TAP helper as /tests/tap.sh.
	cp "$TOP_DIR"/out/progs/* "$TOP_DIR"/tests/guest/*.sh "$TOP_DIR/tests/lib/tap.sh" \
		"$root/tests/"
	cp $GUEST_HOST_PROGS "$root/bin/"
	lab_bundle_libs "$root" "$root"/tests/* $GUEST_HOST_PROGS
	local up
	up="$CACHE/upstream/$(lane_selftest_lane "$lane")/hmm-tests"
	[ -f "$up" ] && cp "$up" "$root/tests/"
	cp "$TOP_DIR/tests/lanes/$lane.xfail" "$root/lane.xfail"
	# The host's DEVMM_{FUZZ,STRESS,RACE}_* override the lane's (replaying a seed);
	# DEVMM_ONLY runs only the guest programs it names.
	{
		cat "$TOP_DIR/tests/lanes/$lane.env"
		echo "LANE=$lane"
		for v in DEVMM_FUZZ_SEED DEVMM_FUZZ_CALLS DEVMM_FUZZ_SKIP DEVMM_FUZZ_VERBOSE \
			 DEVMM_FUZZ_PARAMS DEVMM_STRESS_SEED DEVMM_STRESS_SECONDS \
			 DEVMM_RACE_SECONDS DEVMM_DEMAND_SEED DEVMM_ONLY; do
			[ -z "${!v:-}" ] || echo "$v=\"${!v}\""
		done
	} >"$root/lane.env"
	[ $# = 0 ] || cp "$@" "$root/"
	# A tree of further files (make bench's perf), merged into the root.
	[ -z "${LAB_EXTRA_ROOT:-}" ] || cp -a "$LAB_EXTRA_ROOT/." "$root/"
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$img"
	rm -rf "$root"
}

# Guest memory and the reservation coherent devices are carved from.
QEMU_MEM=8G
QEMU_MEMMAP='1G$0x100000000'

# lab_boot LANE IMAGE OUTDIR TIMEOUT: boot the lane's Debian kernel on IMAGE
# under TCG; the console goes to OUTDIR/console.log, what the guest writes
# to its second serial port (test results, dmesg) to OUTDIR/results.log.
# LAB_QEMU_ARGS: further QEMU options (make bench's -mem-prealloc).
lab_boot()
{
	local lane=$1 img=$2 out=$3 tmo=$4 ret=0
	mkdir -p "$out"
	rm -f "$out/console.log" "$out/results.log"
	timeout "$tmo" qemu-system-x86_64 -accel tcg,thread=multi -smp 2 \
		-m "$QEMU_MEM" -nodefaults -display none -no-reboot -monitor none \
		-serial "file:$out/console.log" -serial "file:$out/results.log" \
		-kernel "$(lane_vmlinuz "$lane")" -initrd "$img" \
		-append "console=ttyS0 loglevel=4 panic=-1 panic_on_warn=1 oops=panic memmap=$QEMU_MEMMAP" \
		${LAB_QEMU_ARGS:-} </dev/null || ret=$?
	[ "$ret" = 124 ] && log "lane $lane: the VM timed out after ${tmo}s"
	return "$ret"
}
