#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packaging, end to end, on this (bookworm) host: build the
# packages from a copy of the tree, lint them, install them, let DKMS build
# and install devmm.ko for every installed linux-headers-*-amd64, check the
# module's vermagic, then purge everything.  TAP on stdout.
#
# usage: tests/lab/package.sh     (as root; installs missing build tools)
#
# The module is never loaded.  The host is left as it was found: the devmm
# packages are purged (also on failure), and what only this run created (the
# depmod files of a kernel that had none, a DKMS signing key made by the
# first build) is removed.  The build tools it installs stay installed.
set -euo pipefail

TOOLS=(debhelper dh-dkms dkms dpkg-dev fakeroot lintian build-essential)
PKGS=(devmm-dkms devmm-tools devmm-dev)
MOK_KEY=/var/lib/dkms/mok.key
MOK_CERT=/var/lib/dkms/mok.pub

repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
version=$(cat "$repo/VERSION")
work=$(mktemp -d /tmp/devmm-package.XXXXXX)
installed=0 key_existed=1 cert_existed=1
declare -A depmod_before=()

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)) failed=$((failed + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
diag() { sed 's/^/# /'; }
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
bail() { echo "Bail out! $*"; exit 1; }
installed_pkgs() { dpkg-query -W -f '${db:Status-Status} ${Package}\n' "${PKGS[@]}" 2>/dev/null | awk '$1 != "not-installed" { print $2 }'; }

cleanup() {
	local k f
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
[ -z "$(installed_pkgs)" ] || bail "already installed: $(installed_pkgs | xargs) (dpkg -P them first)"
[ ! -e /var/lib/dkms/devmm ] || bail "/var/lib/dkms/devmm exists: remove it first (dkms remove devmm/$version --all)"
[ ! -e /usr/src/devmm-"$version" ] || bail "/usr/src/devmm-$version exists and belongs to no package"

kernels=()
for d in /usr/src/linux-headers-*-amd64; do
	[ -f "$d/Makefile" ] && kernels+=("${d#/usr/src/linux-headers-}")
done
[ "${#kernels[@]}" -gt 0 ] || bail "no /usr/src/linux-headers-*-amd64: apt-get install linux-headers-amd64"

echo "1..$((10 + 3 * ${#kernels[@]}))"
t0=$SECONDS

# 1. Build tools.
missing=()
for p in "${TOOLS[@]}"; do
	dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
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
deb_dev=$work/devmm-dev_${version}_all.deb

# 3. Lintian: errors fail, everything else is shown.
if lintian --fail-on error --display-info --tag-display-limit 0 "$changes" >"$work/lintian.log" 2>&1; then
	ok "lintian: no errors ($(grep -c '^W:' "$work/lintian.log" || true) warnings)"
else
	not_ok "lintian: no errors"
fi
grep -v '^running with root privileges' "$work/lintian.log" | diag || true

# 4-6. What each package holds.
contents() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { sub(/^\.\//, "", $6); print $6 }' | sort; }
expected_dkms() {
	(cd "$work/src" && {
		printf '%s\n' Kbuild Makefile VERSION dkms.conf
		find src include -type f \( -name '*.[ch]' -o -name '*.sh' \)
	} | sed "s|^|usr/src/devmm-$version/|")
	echo usr/share/doc/devmm-dkms/{README.Debian.gz,README.md.gz,changelog.gz,copyright}
}
check_dkms_contents() {
	mkdir -p "$work/x"
	diff <(contents "$deb_dkms") <(expected_dkms | tr ' ' '\n' | sort) &&
		dpkg-deb -x "$deb_dkms" "$work/x" &&
		cmp "$work/x/usr/src/devmm-$version/dkms.conf" "$repo/dkms.conf" &&
		[ -f "$work/x/usr/src/devmm-$version/src/compat/conftest.sh" ] &&
		ls "$work/x/usr/src/devmm-$version/src/compat/probes/"*.c >/dev/null &&
		dpkg-deb -f "$deb_dkms" Depends | grep -q '^dkms'
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
	# Dynamic, PIE, full RELRO.
	readelf -lW "$bin" | grep -q 'Requesting program interpreter' || { echo "not dynamic"; return 1; }
	readelf -hW "$bin" | grep -q 'Type:.*DYN' || { echo "not PIE"; return 1; }
	readelf -dW "$bin" | grep -q 'BIND_NOW\|FLAGS.*NOW' || { echo "no BIND_NOW"; return 1; }
	# The documented exit codes that need no module: 2 usage, 1 no /dev/devmm.
	"$bin" >/dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ] || { echo "devmmctl without arguments exited $rc, not 2"; return 1; }
	if [ ! -e /dev/devmm ]; then
		rc=0
		"$bin" info >/dev/null 2>&1 || rc=$?
		[ "$rc" = 1 ] || { echo "devmmctl info without the module exited $rc, not 1"; return 1; }
	fi
	man --warnings -l "$work/x/usr/share/man/man1/devmmctl.1.gz" 2>&1 >/dev/null | (! grep .)
}
check "devmm-tools: devmmctl (dynamic, PIE, BIND_NOW; exit codes 2 and 1), udev rule, man page" check_tools_contents
check_dev_contents() {
	diff <(contents "$deb_dev") - <<-EOF &&
	usr/include/linux/devmm.h
	usr/share/doc/devmm-dev/changelog.gz
	usr/share/doc/devmm-dev/copyright
	EOF
		dpkg-deb -x "$deb_dev" "$work/x" &&
		cmp "$work/x/usr/include/linux/devmm.h" "$repo/include/uapi/linux/devmm.h"
}
check "devmm-dev: /usr/include/linux/devmm.h" check_dev_contents

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
check "dpkg -i devmm-dkms devmm-tools devmm-dev" dpkg -i "$deb_dkms" "$deb_tools" "$deb_dev"
check "dkms status lists devmm/$version" sh -c "dkms status -m devmm -v $version | grep '^devmm/$version'"

# 8-. Per kernel: build and install, the vermagic, the signature.
for k in "${kernels[@]}"; do
	ko=/lib/modules/$k/updates/dkms/devmm.ko
	dkms_build_install() {
		if ! dkms status -m devmm -v "$version" -k "$k" | grep -q ': installed'; then
			local rc=0
			dkms build devmm/"$version" -k "$k" || rc=$?
			if [ "$rc" != 0 ]; then
				echo "dkms build exited $rc (77: skipped by BUILD_EXCLUSIVE_CONFIG)"
				tail -n 30 /var/lib/dkms/devmm/"$version"/build/make.log 2>/dev/null
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

echo "# $n tests, $failed failed, $((SECONDS - t0))s"
[ "$failed" = 0 ]
