#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepare (once) and cache everything the lab needs on a Debian bookworm host:
# host packages, qemu 10 from bookworm-backports, trixie and sid build
# chroots with their kernel headers, and each lane's Debian kernel image.
# Idempotent: every step is skipped when its result is already cached.
#
# usage: tests/lab/setup.sh [LANE...]
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "the lab needs root (apt-get, debootstrap, chroot)"
lanes=${*:-$ALL_LANES}
mkdir -p "$CACHE"
mirror=$(lab_mirror)

HOST_PKGS="make gcc libc6-dev dkms debootstrap busybox-static cpio gzip xz-utils zstd
	kmod libkmod-dev pkgconf jq linux-headers-amd64 sparse"

setup_host_apt()
{
	local src=/etc/apt/sources.list.d/devmm-lab.sources
	local pin=/etc/apt/preferences.d/devmm-lab
	if [ ! -f "$src" ]; then
		log "adding bookworm-backports, trixie and sid to apt sources"
		cat >"$src" <<-EOF
		Types: deb
		URIs: $mirror
		Suites: bookworm-backports trixie sid
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
		EOF
	fi
	# Nothing on the host comes from trixie or sid unless asked for by name.
	if [ ! -f "$pin" ]; then
		cat >"$pin" <<-EOF
		Package: *
		Pin: release n=trixie
		Pin-Priority: 50

		Package: *
		Pin: release n=sid
		Pin-Priority: 50
		EOF
	fi
	local stamp="$CACHE/apt-updated"
	if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
		log "apt-get update (host)"
		apt-get "${APT_OPTS[@]}" update -qq
		touch "$stamp"
	fi
}

setup_host_pkgs()
{
	local missing="" p
	for p in $HOST_PKGS; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		log "installing host packages:$missing"
		DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -qq \
			--no-install-recommends $missing >/dev/null
	fi
	# qemu 7.2 (bookworm) oopses Debian 7.x under multi-threaded TCG; 10.x
	# from bookworm-backports does not.
	local qv
	qv=$(dpkg-query -W -f '${Version}' qemu-system-x86 2>/dev/null || true)
	case "${qv#*:}" in
	1[0-9]*|[2-9][0-9]*) ;;
	*)
		log "installing qemu-system-x86 from bookworm-backports"
		DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -qq \
			--no-install-recommends -t bookworm-backports \
			qemu-system-x86 >/dev/null
		;;
	esac
}

# Debian's 7.x headers package lacks kbuild's scripts/checker-valid.sh,
# without which kbuild turns C=2 (sparse) off.  Supply one in the lab's own
# build chroot (it only asks whether the checker runs).
setup_checker_valid()
{
	local root=$1 common f
	for common in "$root"/usr/src/linux-headers-*-common; do
		[ -d "$common/scripts" ] || continue
		grep -q checker-valid.sh "$common/Makefile" 2>/dev/null || continue
		f="$common/scripts/checker-valid.sh"
		[ -e "$f" ] && continue
		printf '#!/bin/sh\n# Supplied by the devmm lab: missing from the headers package.\n"$@" -E -x c /dev/null >/dev/null 2>&1 && echo 1\n' >"$f"
		chmod +x "$f"
	done
}

# The ABI name (e.g. 6.12.107+deb13-amd64) of the newest amd64-flavour headers
# package installed in a lane's build environment.  Installed as dpkg says:
# the build matrix unpacks further trees beside it (tests/lab/matrix.sh).
lane_abi()
{
	local root
	root=$(lane_root "$1")
	dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${db:Status-Status} ${Package}\n' \
		'linux-headers-*-amd64' 2>/dev/null |
		sed -nE 's/^installed linux-headers-([0-9].*[0-9]-amd64)$/\1/p' |
		grep -Ev -- '-(cloud|rt)-amd64$' | sort -V | tail -n1
}

# setup_kernel LANE: the lane's vmlinuz, matching the headers it builds with.
setup_kernel()
{
	local lane=$1 abi dir="$CACHE/kernels/$1" root tmp pkg f
	abi=$(lane_abi "$lane")
	[ -n "$abi" ] || die "no kernel headers found for lane $lane"
	root=$(lane_root "$lane")
	if [ -f "$dir/abi" ] && [ "$(cat "$dir/abi")" = "$abi" ] && [ -f "$dir/vmlinuz" ]; then
		return
	fi
	log "fetching the Debian kernel image $abi for lane $lane"
	rm -rf "$dir"
	mkdir -p "$dir"
	tmp="$root/tmp/devmm-kernel"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	# The image is split into several packages in sid; take whichever
	# package of this ABI ships vmlinuz.
	for pkg in "linux-image-$abi-unsigned" "linux-image-$abi" "linux-binary-$abi"; do
		if [ -z "$root" ]; then
			(cd "$tmp" && apt-get "${APT_OPTS[@]}" download -qq "$pkg" \
				>/dev/null 2>&1) || continue
		else
			chroot_run "$root" sh -c "cd /tmp/devmm-kernel &&
				apt-get ${APT_OPTS[*]} download -qq $pkg" \
				>/dev/null 2>&1 || continue
		fi
		for f in "$tmp"/*.deb; do
			dpkg-deb -x "$f" "$tmp/x"
		done
		rm -f "$tmp"/*.deb
		f=$(find "$tmp/x" -name "vmlinuz*" -type f | head -n1)
		[ -n "$f" ] && break
	done
	[ -n "${f:-}" ] || die "no package with a vmlinuz for $abi"
	cp "$f" "$dir/vmlinuz"
	cp "$root/usr/src/linux-headers-$abi/.config" "$dir/config"
	echo "/usr/src/linux-headers-$abi" >"$dir/kdir"
	echo "$abi" >"$dir/abi"
	rm -rf "$tmp"
}

setup_host_apt
setup_host_pkgs
# --host: the host's part only (tests/lab/matrix.sh makes its own chroots).
[ "$lanes" = --host ] && exit 0
# setup_debug_kernel LANE: a debug lane's kernel, built once per config.
setup_debug_kernel()
{
	local dir out="$CACHE/kernels/$1"
	. "$LAB_DIR/debug-kernel.sh"
	debug_kernel_for "$1"
	dir=$(debug_kernel_build)
	mkdir -p "$out"
	cp "$dir/vmlinuz" "$out/vmlinuz"
	cp "$dir/kdir" "$out/kdir"
	cp "$dir/abi" "$out/abi"
}

for lane in $lanes; do
	case "$lane" in
	6.1) ;;
	debug|debug7)
		setup_debug_kernel "$lane"
		log "lane $lane: $(cat "$CACHE/kernels/$lane/abi")"
		continue
		;;
	*)
		lab_setup_chroot "$(lane_suite "$lane")" linux-headers-amd64
		setup_checker_valid "$(lane_root "$lane")"
		;;
	esac
	setup_kernel "$lane"
	log "lane $lane: $(cat "$CACHE/kernels/$lane/abi")"
done
lab_umount
