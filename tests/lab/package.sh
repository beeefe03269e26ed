#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packaging, end to end, on this (bookworm) host: build the
# packages from a copy of the tree, lint them, install them, build a program
# against libdevmm, let DKMS build and install devmm.ko for every installed
# linux-headers-*-amd64, check the module's vermagic, check that a DKMS build
# failure names the file that failed, then do the DKMS part again inside the
# lab's trixie and sid build chroots for their kernels' headers, and purge
# everything.  TAP on stdout.
#
# usage: tests/lab/package.sh [--skip-if-installed]
#        (as root; installs missing build tools, and dkms in the build
#        chroots; --skip-if-installed: where devmm is installed on the host
#        already, one skipped test instead of an error)
#
# The module is never loaded.  The host and the chroots are left as they were
# found: the devmm packages are purged (also on failure), and what only this
# run created (the depmod files of a kernel that had none, a DKMS signing key
# made by the first build) is removed.  The build tools it installs (dkms in
# the chroots too) stay installed, so later runs install nothing.
set -euo pipefail

TOOLS=(debhelper dh-dkms dkms dpkg-dev fakeroot lintian build-essential libkmod-dev pkgconf)
PKGS=(devmm-dkms devmm-tools libdevmm0 devmm-dev)
MOK_KEY=/var/lib/dkms/mok.key
MOK_CERT=/var/lib/dkms/mok.pub
# The lab's build chroots (tests/lab/setup.sh), each with its suite's headers.
CHROOT_SUITES=(trixie sid)

. "$(dirname "$0")/lib.sh"
repo=$TOP_DIR
version=$(cat "$repo/VERSION")
broken=$version-broken
work=$(mktemp -d /tmp/devmm-package.XXXXXX)
installed=0 key_existed=1 cert_existed=1 broken_added=0
declare -A depmod_before=() chroot_dirty=() chroot_before=() chroot_newkey=()

# ok, not_ok, skip, diag, bail.
. "$TOP_DIR/tests/lib/tap.sh"
# check DESCRIPTION COMMAND...: one test, the command's output as diagnostics on failure.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc"
		printf '%s\n' "$out" | tail -n 40 | diag
	fi
}
# dkms_failure_report MAKE.LOG: what a failed DKMS build says about why: the
# lines that name the failing probe or file, then the end of the log.
dkms_failure_report() {
	echo "DKMS build failed; $1 says:"
	grep -E 'devmm conftest:|^devmm: |: (fatal )?error:|\*\*\* ' "$1" | head -n 20
	echo "... its last lines:"
	tail -n 15 "$1"
}
installed_pkgs() { dpkg-query -W -f '${db:Status-Status} ${Package}\n' "${PKGS[@]}" 2>/dev/null | awk '$1 != "not-installed" { print $2 }'; }

cleanup() {
	local k f suite
	for suite in "${!chroot_dirty[@]}"; do
		chroot_undo "$suite" || echo "# cleaning up the $suite chroot failed"
	done
	lab_umount
	if [ "$broken_added" = 1 ]; then
		dkms remove devmm/"$broken" --all >/dev/null 2>&1 || true
		rm -rf /usr/src/devmm-"$broken" /var/lib/dkms/devmm/"$broken"
	fi
	if [ "$installed" = 1 ]; then
		dpkg -P "${PKGS[@]}" >"$work/purge.log" 2>&1 || { echo "# purge failed:"; diag <"$work/purge.log"; }
	fi
	# depmod wrote modules.* for kernels whose /lib/modules had none.
	for k in "${!depmod_before[@]}"; do
		[ "${depmod_before[$k]}" = 0 ] || continue
		for f in /lib/modules/"$k"/modules.*; do
			[ -f "$f" ] && rm -f "$f"
		done
		rmdir /lib/modules/"$k"/updates/dkms /lib/modules/"$k"/updates 2>/dev/null || true
	done
	[ "$key_existed" = 1 ] || rm -f "$MOK_KEY"
	[ "$cert_existed" = 1 ] || rm -f "$MOK_CERT"
	rm -rf "$work"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || bail "run as root (it installs and purges packages)"
# One run at a time on this host (two source trees may run make check at once).
exec 9>/run/lock/devmm-package.lock
flock 9
# devmm installed on this host already: not touched.  An error, or with
# --skip-if-installed (make check) a skipped test.
if [ -n "$(installed_pkgs)" ]; then
	why="already installed: $(installed_pkgs | xargs) (dpkg -P them first)"
elif [ -e /var/lib/dkms/devmm ]; then
	why="/var/lib/dkms/devmm exists: remove it first (dkms remove devmm/$version --all)"
elif [ -e /usr/src/devmm-"$version" ]; then
	why="/usr/src/devmm-$version exists and belongs to no package"
fi
if [ -n "${why:-}" ]; then
	[ "${1:-}" = --skip-if-installed ] || bail "$why"
	echo "ok 1 - Debian packages # SKIP $why"
	echo "1..1"
	exit 0
fi

kernels=()
for d in /usr/src/linux-headers-*-amd64; do
	[ -f "$d/Makefile" ] && kernels+=("${d#/usr/src/linux-headers-}")
done
[ "${#kernels[@]}" -gt 0 ] || bail "no /usr/src/linux-headers-*-amd64: apt-get install linux-headers-amd64"

t0=$SECONDS

# 1. Build tools.
missing=()
for p in "${TOOLS[@]}"; do
	dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null | grep -x >/dev/null installed || missing+=("$p")
done
if [ "${#missing[@]}" = 0 ]; then
	ok "build tools installed"
elif DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >"$work/apt.log" 2>&1; then
	ok "build tools installed (installed: ${missing[*]})"
else
	not_ok "build tools installed (apt-get install ${missing[*]} failed)"
	tail -n 20 "$work/apt.log" | diag
	bail "no build tools"
fi

# 2. Build, from the tracked and untracked-but-not-ignored files only.
mkdir "$work/src"
# (A tracked file deleted in the work tree is left out, not an error.)
git -C "$repo" ls-files -co --exclude-standard -z |
	(cd "$repo" && tar --null --ignore-failed-read -cf - -T - 2>"$work/tar.log") |
	tar -C "$work/src" -xf -
if (cd "$work/src" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($((SECONDS - t0))s)"
else
	not_ok "dpkg-buildpackage -us -uc -b"
	tail -n 40 "$work/build.log" | diag
	bail "the build failed"
fi
changes=$work/devmm_${version}_$(dpkg --print-architecture).changes
deb_dkms=$work/devmm-dkms_${version}_all.deb
deb_tools=$work/devmm-tools_${version}_$(dpkg --print-architecture).deb
deb_dev=$work/devmm-dev_${version}_$(dpkg --print-architecture).deb
deb_lib=$work/libdevmm0_${version}_$(dpkg --print-architecture).deb
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

# 3. Lintian: errors fail, everything else is shown.
if lintian --fail-on error --display-info --tag-display-limit 0 "$changes" >"$work/lintian.log" 2>&1; then
	ok "lintian: no errors ($(grep -c '^W:' "$work/lintian.log" || true) warnings)"
else
	not_ok "lintian: no errors"
fi
grep -v '^running with root privileges' "$work/lintian.log" | diag || true

# 4-6. What each package holds.
contents() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' | sort; }
# The sources: what make dkms-source installs (debian/rules calls it too;
# this checks that they all reach the package, and nothing else does).
expected_dkms() {
	rm -rf "$work/dkms-source"
	make -s -C "$work/src" dkms-source DESTDIR="$work/dkms-source" >&2
	(cd "$work/dkms-source" && find . -type f) | sed "s|^\./|usr/src/devmm-$version/|"
	echo usr/share/doc/devmm-dkms/{README.Debian.gz,README.md.gz,changelog.gz,copyright}
}
check_dkms_contents() {
	mkdir -p "$work/x"
	diff <(contents "$deb_dkms") <(expected_dkms | tr ' ' '\n' | sort) &&
		dpkg-deb -x "$deb_dkms" "$work/x" &&
		cmp "$work/x/usr/src/devmm-$version/dkms.conf" "$repo/dkms.conf" &&
		[ -f "$work/x/usr/src/devmm-$version/src/compat/conftest.sh" ] &&
		ls "$work/x/usr/src/devmm-$version/src/compat/probes/"*.c >/dev/null &&
		dpkg-deb -f "$deb_dkms" Depends | grep >/dev/null '^dkms'
}
check "devmm-dkms: the module sources and the repo's dkms.conf under /usr/src/devmm-$version" check_dkms_contents
check_tools_contents() {
	local bin=$work/x/usr/bin/devmmctl rc=0
	diff <(contents "$deb_tools") - <<-EOF &&
	usr/bin/devmmctl
	usr/lib/udev/rules.d/60-devmm.rules
	usr/share/doc/devmm-tools/README.Debian.gz
	usr/share/doc/devmm-tools/changelog.gz
	usr/share/doc/devmm-tools/copyright
	usr/share/man/man1/devmmctl.1.gz
	EOF
		dpkg-deb -x "$deb_tools" "$work/x" || return 1
	# Dynamic, PIE, full RELRO, on libdevmm0 and libkmod2.
	readelf -lW "$bin" | grep >/dev/null 'Requesting program interpreter' || { echo "not dynamic"; return 1; }
	readelf -hW "$bin" | grep >/dev/null 'Type:.*DYN' || { echo "not PIE"; return 1; }
	readelf -dW "$bin" | grep >/dev/null 'BIND_NOW\|FLAGS.*NOW' || { echo "no BIND_NOW"; return 1; }
	readelf -dW "$bin" | grep >/dev/null 'NEEDED.*\[libdevmm\.so\.0\]' || { echo "not linked with libdevmm.so.0"; return 1; }
	readelf -dW "$bin" | grep >/dev/null 'NEEDED.*\[libkmod\.so\.2\]' || { echo "not linked with libkmod.so.2"; return 1; }
	dpkg-deb -f "$deb_tools" Depends | grep >/dev/null 'libdevmm0 (>= ' || { echo "no Depends on libdevmm0"; return 1; }
	man --warnings -l "$work/x/usr/share/man/man1/devmmctl.1.gz" 2>&1 >/dev/null | (! grep .)
}
check "devmm-tools: devmmctl (dynamic on libdevmm0 and libkmod2, PIE, BIND_NOW), udev rule, man page" check_tools_contents
check_lib_contents() {
	diff <(contents "$deb_lib") - <<-EOF &&
	usr/lib/$multiarch/libdevmm.so.0
	usr/lib/$multiarch/libdevmm.so.$version
	usr/share/doc/libdevmm0/changelog.gz
	usr/share/doc/libdevmm0/copyright
	EOF
		dpkg-deb -x "$deb_lib" "$work/x" &&
		readelf -dW "$work/x/usr/lib/$multiarch/libdevmm.so.$version" | grep >/dev/null 'SONAME.*\[libdevmm\.so\.0\]' &&
		dpkg-deb --ctrl-tarfile "$deb_lib" | tar -xOf - ./symbols | grep >/dev/null '^ devmm_strerror@LIBDEVMM_0 ' &&
		# Only libdevmm's own API is exported.
		[ -z "$(nm -D --defined-only "$work/x/usr/lib/$multiarch/libdevmm.so.$version" |
			awk '$3 !~ /^(devmm_|LIBDEVMM_)/')" ]
}
check "libdevmm0: libdevmm.so.0 (SONAME, symbols file, only devmm_* exported)" check_lib_contents
check_dev_contents() {
	diff <(contents "$deb_dev") - <<-EOF &&
	usr/include/libdevmm.h
	usr/include/linux/devmm.h
	usr/include/linux/devmm_hmm.h
	usr/lib/$multiarch/libdevmm.a
	usr/lib/$multiarch/libdevmm.so
	usr/lib/$multiarch/pkgconfig/libdevmm.pc
	usr/share/doc/devmm-dev/changelog.gz
	usr/share/doc/devmm-dev/copyright
	usr/share/man/man3/libdevmm.3.gz
	EOF
		dpkg-deb -x "$deb_dev" "$work/x" &&
		cmp "$work/x/usr/include/linux/devmm.h" "$repo/include/uapi/linux/devmm.h" &&
		cmp "$work/x/usr/include/linux/devmm_hmm.h" "$repo/include/uapi/linux/devmm_hmm.h" &&
		cmp "$work/x/usr/include/libdevmm.h" "$repo/lib/libdevmm.h" &&
		man --warnings -l "$work/x/usr/share/man/man3/libdevmm.3.gz" 2>&1 >/dev/null | (! grep .)
}
check "devmm-dev: <linux/devmm.h>, <linux/devmm_hmm.h>, <libdevmm.h>, libdevmm.a, libdevmm.so, libdevmm.pc, libdevmm(3)" check_dev_contents

# 7. Install.  DKMS's postinst builds for the running kernel and the newest
# one it finds, if their headers are there; the tests below do the rest.
[ -e "$MOK_KEY" ] || key_existed=0
[ -e "$MOK_CERT" ] || cert_existed=0
for k in "${kernels[@]}"; do
	if compgen -G "/lib/modules/$k/modules.*" >/dev/null; then
		depmod_before[$k]=1
	else
		depmod_before[$k]=0
	fi
done
installed=1
check "dpkg -i ${PKGS[*]}" dpkg -i "$deb_dkms" "$deb_tools" "$deb_lib" "$deb_dev"
check "dkms status lists devmm/$version" sh -c "dkms status -m devmm -v $version | grep '^devmm/$version'"

# The installed devmmctl, and a program built against the installed devmm-dev
# (shared and static, through pkg-config): the documented exit codes that
# need no module, 2 usage and 3 not loaded, and libdevmm's error strings.
check_installed_tools() {
	local rc=0
	devmmctl --version | grep >/dev/null "^devmmctl $version " || { echo "devmmctl --version"; return 1; }
	devmmctl >/dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ] || { echo "devmmctl without arguments exited $rc, not 2"; return 1; }
	if [ ! -e /dev/devmm ]; then
		rc=0
		devmmctl info >/dev/null 2>&1 || rc=$?
		[ "$rc" = 3 ] || { echo "devmmctl info without the module exited $rc, not 3"; return 1; }
	fi
}
check "devmmctl runs from the packages (exit codes 2 and 3)" check_installed_tools
check_libdevmm_program() {
	cat >"$work/prog.c" <<-'EOF'
	#include <errno.h>
	#include <stdio.h>
	#include <string.h>
	#include <libdevmm.h>

	int main(void)
	{
		const char *s = devmm_strerror(DEVMM_OP_DESTROY, -EBUSY);
		uint64_t v;

		puts(s);
		return !strstr(s, "mmap buffers") || devmm_parse_size("2M", &v) || v != 2 << 20;
	}
	EOF
	# shellcheck disable=SC2046
	cc -Wall -Wextra -Werror $(pkg-config --cflags libdevmm) -o "$work/prog" "$work/prog.c" \
		$(pkg-config --libs libdevmm) &&
		"$work/prog" && ldd "$work/prog" | grep >/dev/null 'libdevmm\.so\.0 => ' &&
		cc -static -o "$work/prog-static" "$work/prog.c" $(pkg-config --cflags --libs --static libdevmm) &&
		"$work/prog-static"
}
check "devmm-dev: a program builds with pkg-config libdevmm, shared and static, and runs" check_libdevmm_program

# 8-. Per kernel: build and install, the vermagic, the signature.
for k in "${kernels[@]}"; do
	ko=/lib/modules/$k/updates/dkms/devmm.ko
	dkms_build_install() {
		if ! dkms status -m devmm -v "$version" -k "$k" | grep >/dev/null ': installed'; then
			local rc=0
			dkms build devmm/"$version" -k "$k" || rc=$?
			if [ "$rc" != 0 ]; then
				echo "dkms build exited $rc (77: skipped by BUILD_EXCLUSIVE_CONFIG)"
				dkms_failure_report /var/lib/dkms/devmm/"$version"/build/make.log
				return 1
			fi
			dkms install devmm/"$version" -k "$k" || return 1
		fi
		dkms status -m devmm -v "$version" -k "$k" | grep ': installed' && [ -f "$ko" ]
	}
	check "dkms build + install for $k" dkms_build_install
	vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null || true)
	if [ "${vermagic%% *}" = "$k" ]; then
		ok "modinfo: vermagic $vermagic"
	else
		not_ok "modinfo: vermagic '$vermagic' is not for $k"
	fi
	signer=$(modinfo -F signer "$ko" 2>/dev/null || true)
	if [ -n "$signer" ]; then
		ok "signed by DKMS: $signer"
	elif [ ! -x /usr/lib/linux-kbuild-"${k%.*}"/scripts/sign-file ] &&
		[ ! -x /lib/modules/"$k"/build/scripts/sign-file ]; then
		skip "signed by DKMS" "no sign-file for $k"
	else
		not_ok "signed by DKMS: devmm.ko for $k has no signature"
	fi
done

# A DKMS build that fails says which file failed: a copy of the sources with
# an #error in one file, registered as another version.
check_failure_report() {
	local src=/usr/src/devmm-$broken log out
	cp -a /usr/src/devmm-"$version" "$src"
	sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$broken\"/" "$src/dkms.conf"
	echo '#error "injected by tests/lab/package.sh"' >>"$src/src/evict.c"
	broken_added=1
	dkms add devmm/"$broken" >/dev/null || return 1
	if dkms build devmm/"$broken" -k "${kernels[0]}" >"$work/broken.log" 2>&1; then
		echo "the broken sources built"
		return 1
	fi
	log=/var/lib/dkms/devmm/$broken/build/make.log
	out=$(dkms_failure_report "$log")
	printf '%s\n' "$out"
	printf '%s\n' "$out" | grep >/dev/null 'src/evict.c:.*error: #error "injected by tests/lab/package.sh"'
}
if report=$(check_failure_report 2>&1); then
	ok "a failing DKMS build names the failing file (an #error injected in src/evict.c)"
	printf '%s\n' "$report" | grep -m1 -B1 'src/evict.c:' | diag
else
	not_ok "a failing DKMS build names the failing file (an #error injected in src/evict.c)"
	printf '%s\n' "$report" | tail -n 40 | diag
fi
dkms remove devmm/"$broken" --all >/dev/null 2>&1 || true
rm -rf /usr/src/devmm-"$broken" /var/lib/dkms/devmm/"$broken"
broken_added=0

# 9. Purge, and nothing of devmm is left.
check "dpkg -P ${PKGS[*]}" dpkg -P "${PKGS[@]}"
installed=0
check_gone() {
	local left
	[ -z "$(installed_pkgs)" ] || { echo "still installed: $(installed_pkgs)"; return 1; }
	if dkms status 2>&1 | grep devmm; then return 1; fi
	left=$(ls -d /usr/src/devmm-* /var/lib/dkms/devmm /lib/modules/*/updates/dkms/devmm.ko 2>/dev/null || true)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}
check "purged: no devmm in dkms status, /usr/src, /var/lib/dkms or /lib/modules" check_gone

# chroot_undo SUITE: purge devmm-dkms from the suite's chroot and remove what
# only this run created there.
chroot_undo() {
	local suite=$1 root=$CACHE/chroot/$1 f d
	[ "${chroot_dirty[$suite]:-0}" = 1 ] || return 0
	chroot_run "$root" dpkg -P devmm-dkms >/dev/null 2>&1 || return 1
	[ "${chroot_newkey[$suite]}" = 0 ] || rm -f "$root$MOK_KEY" "$root$MOK_CERT"
	for f in $(cd "$root" && ls -d lib/modules/*/modules.* 2>/dev/null); do
		case "${chroot_before[$suite]} " in
		*" $f "*) ;;
		*) rm -f "${root:?}/$f" ;;
		esac
	done
	for d in "$root"/lib/modules/*/updates; do
		rmdir "$d/dkms" "$d" 2>/dev/null || true
	done
	rm -f "$root/tmp/$(basename "$deb_dkms")"
	chroot_dirty[$suite]=0
}

# 10. DKMS in the lab's build chroots, for their kernels: dkms from the
# suite (installed once, cached with the chroot), devmm-dkms from this build.
# One run at a time per chroot; the lab's module builds may go on beside it.
chroot_dkms() {
	local suite=$1 root=$CACHE/chroot/$1 k ks=() ko vermagic log st how
	if [ ! -f "$root/.devmm-ready" ]; then
		skip "DKMS in the $suite chroot" "no $suite build chroot (make check LANES=... sets it up)"
		return
	fi
	# The kernels whose headers are installed there (dpkg's word: the build
	# matrix unpacks further trees beside them, which no DKMS sees).
	for k in $(dpkg-query --admindir="$root/var/lib/dpkg" -W \
		-f '${db:Status-Status} ${Package}\n' 'linux-headers-*-amd64' 2>/dev/null |
		sed -nE 's/^installed linux-headers-([0-9].*[0-9]-amd64)$/\1/p'); do
		[ -f "$root/usr/src/linux-headers-$k/Makefile" ] && ks+=("$k")
	done
	exec 9>"$CACHE/chroot/$suite.package.lock"
	flock -w 1800 9 || { not_ok "$suite chroot: its lock"; return; }
	st=0
	chroot_run "$root" sh -ec "
		dpkg-query -W -f '\${db:Status-Status}' dkms 2>/dev/null | grep -x >/dev/null installed && exit 0
		export DEBIAN_FRONTEND=noninteractive
		apt-get ${APT_OPTS[*]} -o DPkg::Lock::Timeout=600 update -qq
		apt-get ${APT_OPTS[*]} -o DPkg::Lock::Timeout=600 install -qq --no-install-recommends dkms
		apt-get clean" >"$work/$suite-apt.log" 2>&1 || st=$?
	if [ "$st" = 0 ]; then
		ok "$suite chroot: dkms $(chroot_run "$root" dpkg-query -W -f '${Version}' dkms) installed"
	else
		not_ok "$suite chroot: dkms installed"
		tail -n 20 "$work/$suite-apt.log" | diag
		return
	fi
	if chroot_run "$root" dpkg-query -W devmm-dkms >/dev/null 2>&1 ||
		[ -e "$root/usr/src/devmm-$version" ] || [ -e "$root/var/lib/dkms/devmm" ]; then
		not_ok "$suite chroot: devmm-dkms is not installed already (remove it first)"
		return
	fi
	# What this run creates there, for chroot_undo: depmod's files that were
	# not there before, the key pair of dkms's first signing.
	chroot_newkey[$suite]=1
	[ ! -e "$root$MOK_KEY" ] || chroot_newkey[$suite]=0
	chroot_before[$suite]=" $(cd "$root" && ls -d lib/modules/*/modules.* 2>/dev/null | tr '\n' ' ')"
	chroot_dirty[$suite]=1
	cp "$deb_dkms" "$root/tmp/"
	check "$suite chroot: dpkg -i devmm-dkms" chroot_run "$root" dpkg -i "/tmp/$(basename "$deb_dkms")"
	for k in "${ks[@]}"; do
		# devmm-dkms's postinst builds for the newest kernel with headers;
		# then dkms unbuild, build and install prove the commands themselves.
		if chroot_run "$root" dkms status -m devmm -v "$version" -k "$k" | grep >/dev/null ': installed'; then
			ok "$suite chroot: devmm-dkms's postinst built and installed devmm for $k"
		else
			not_ok "$suite chroot: devmm-dkms's postinst built and installed devmm for $k"
			chroot_run "$root" dkms status 2>&1 | diag
		fi
		chroot_build_install() {
			local rc=0
			if chroot_run "$root" dkms status -m devmm -v "$version" -k "$k" | grep >/dev/null ': installed'; then
				chroot_run "$root" dkms unbuild devmm/"$version" -k "$k" || return 1
			fi
			chroot_run "$root" dkms build devmm/"$version" -k "$k" || rc=$?
			if [ "$rc" != 0 ]; then
				echo "dkms build exited $rc (77: skipped by BUILD_EXCLUSIVE_CONFIG)"
				log=$(find "$root/var/lib/dkms/devmm/$version" -name make.log | head -n1)
				[ -n "$log" ] && dkms_failure_report "$log"
				return 1
			fi
			chroot_run "$root" dkms install devmm/"$version" -k "$k" || return 1
			chroot_run "$root" dkms status -m devmm -v "$version" -k "$k" | grep ': installed'
		}
		check "$suite chroot: dkms unbuild, build, install for $k" chroot_build_install
		# dkms may compress the module as the kernel's own are.
		ko=$(cd "$root" && ls lib/modules/"$k"/updates/dkms/devmm.ko* 2>/dev/null | head -n1)
		vermagic=$( [ -n "$ko" ] && chroot_run "$root" modinfo -F vermagic "/$ko" 2>/dev/null || true)
		if [ -n "$ko" ] && [ "${vermagic%% *}" = "$k" ]; then
			ok "$suite chroot: modinfo /$ko: vermagic $vermagic"
		else
			not_ok "$suite chroot: modinfo: vermagic '$vermagic' of '/$ko' is not for $k"
		fi
	done
	check "$suite chroot: dpkg -P devmm-dkms" chroot_run "$root" dpkg -P devmm-dkms
	chroot_undo "$suite"
	check_chroot_gone() {
		local left
		left=$(cd "$root" && ls -d usr/src/devmm-* var/lib/dkms/devmm lib/modules/*/updates/dkms/devmm.ko* 2>/dev/null || true)
		[ -z "$left" ] || { echo "left behind: $left"; return 1; }
	}
	check "$suite chroot: purged, nothing of devmm left" check_chroot_gone
	exec 9>&-
}
for suite in "${CHROOT_SUITES[@]}"; do
	t1=$SECONDS
	chroot_dkms "$suite"
	echo "# $suite chroot: $((SECONDS - t1))s"
done
lab_umount

tap_plan
echo "# $tap_n tests, $tap_failed failed, $((SECONDS - t0))s"
[ "$tap_failed" = 0 ]
