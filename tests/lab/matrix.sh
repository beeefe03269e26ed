#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The kernel build matrix: devmm built by DKMS, with -Werror, against every
# Debian kernel headers package the registry offers for amd64 (flavours amd64,
# cloud-amd64, rt-amd64): bookworm's 6.1 ABIs (main and security), bookworm's
# 6.12+deb12 (backports and security), trixie's 6.12 and sid's 7.x.
#
# Distribution kernels differ by backport, not by version number: one lane per
# suite cannot see that an API reached some 6.1 stable releases and not
# others.  So every ABI is built.  Each headers tree is fetched without
# installing it: its linux-headers-* and linux-kbuild-* packages are
# downloaded in the suite's build chroot (a bookworm one for the bookworm
# trees, the lanes' trixie and sid ones for theirs) and unpacked there with
# dpkg-deb, several ABIs side by side.  The trees stay cached in the chroots
# (~/.cache/devmm/chroot); a new ABI in the registry is picked up by itself.
#
# usage: tests/lab/matrix.sh [--subset] [--docs FILE]
#   --subset   what make check builds: per series the oldest ABI, the newest,
#              and the one the series' main-archive linux-headers-amd64 depends
#              on (flavour amd64), and the newest rt-amd64
#   --docs F   write the table of the results to F (make matrix: docs/kernels.md)
# TAP on stdout, one line per entry; exits non-zero if an entry failed.
. "$(dirname "$0")/lib.sh"

subset=0 docs=""
while [ $# -gt 0 ]; do
	case "$1" in
	--subset) subset=1 ;;
	--docs) docs=$2; shift ;;
	*) die "usage: matrix.sh [--subset] [--docs FILE]" ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || die "the matrix needs root (debootstrap, chroot)"

# The suites of each build chroot the matrix asks for headers; the chroot's own
# apt sources are left alone (its lane's headers come from them).
MATRIX_SUITES_bookworm="bookworm bookworm-updates bookworm-backports bookworm-security"
MATRIX_SUITES_trixie="trixie trixie-updates trixie-security"
MATRIX_SUITES_sid="sid"
MATRIX_CHROOTS="bookworm trixie sid"
FLAVOURS="amd64 cloud-amd64 rt-amd64"
# A concrete ABI: 6.1.0-50, 6.12.95+deb12, 7.2.13+deb14 (not the 6.12-amd64
# metapackage).
ABI_RE='[0-9]+\.[0-9]+\.[0-9]+(-[0-9]+|\+[a-z]+[0-9]*)'
OUT="$TOP_DIR/out/matrix"

# Apt in a chroot with the matrix's own source list and package lists.
M_ETC=/etc/devmm-matrix
M_LISTS=/var/lib/devmm-matrix/lists
M_APT=("${APT_OPTS[@]}" -o "Dir::Etc::SourceList=$M_ETC/sources.list"
	-o "Dir::Etc::SourceParts=$M_ETC/sources.list.d" -o "Dir::State::Lists=$M_LISTS"
	-o Dir::Cache=/var/cache/devmm-matrix)
M_APT_OPTS="${M_APT[*]}"
m_apt() { # m_apt ROOT apt-get|apt-cache ARGS...
	local root=$1 tool=$2
	shift 2
	# shellcheck disable=SC2086
	chroot_run "$root" "$tool" $M_APT_OPTS "$@"
}

# matrix_apt_setup SUITE: the matrix's sources in SUITE's chroot, and its
# package lists, refreshed once a day.
matrix_apt_setup()
{
	local suite=$1 root="$CACHE/chroot/$1" var s mirror sec stamp
	var="MATRIX_SUITES_$suite"
	mirror=$(lab_mirror)
	sec=$(lab_security_mirror)
	mkdir -p "$root$M_ETC/sources.list.d" "$root$M_LISTS/partial" \
		"$root/var/cache/devmm-matrix/archives/partial" "$root/var/lib/devmm-matrix/unpacked"
	for s in ${!var}; do
		case $s in
		*-security) echo "deb $sec $s main" ;;
		*) echo "deb $mirror $s main" ;;
		esac
	done >"$root$M_ETC/sources.list.new"
	stamp="$root/var/lib/devmm-matrix/updated"
	if ! cmp -s "$root$M_ETC/sources.list.new" "$root$M_ETC/sources.list" ||
		[ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
		mv "$root$M_ETC/sources.list.new" "$root$M_ETC/sources.list"
		log "matrix: apt-get update in the $suite chroot (${!var})"
		m_apt "$root" apt-get update -qq >&2 || die "apt-get update in the $suite chroot failed"
		touch "$stamp"
	fi
	rm -f "$root$M_ETC/sources.list.new"
}

# matrix_abis SUITE: "ABI FLAVOUR" for every headers package SUITE's sources offer.
matrix_abis()
{
	local root="$CACHE/chroot/$1"
	m_apt "$root" apt-cache search --names-only '^linux-headers-' | awk '{ print $1 }' |
		sed -nE "s/^linux-headers-($ABI_RE)-(amd64|cloud-amd64|rt-amd64)\$/\\1 \\3/p" |
		sort -V -u
}

# matrix_main_abis SUITE: the ABIs the non-security suites' linux-headers-amd64
# metapackages depend on (bookworm main: 6.1.0-50; bookworm-backports:
# 6.12.95+deb12), as "SUITE ABI" lines.
matrix_main_abis()
{
	local root="$CACHE/chroot/$1" ver where abi
	m_apt "$root" apt-cache madison linux-headers-amd64 |
		awk -F'|' '{ gsub(/ /, "", $2); split($3, a, " "); print $2, a[2] }' |
		while read -r ver where; do
			case $where in */*) where=${where%%/*} ;; esac
			case $where in *-security) continue ;; esac
			abi=$(m_apt "$root" apt-cache show "linux-headers-amd64=$ver" |
				sed -nE "s/^Depends:.*linux-headers-($ABI_RE)-amd64( |,|\$).*/\\1/p" | head -n1)
			[ -n "$abi" ] && echo "$where $abi"
		done
}

# matrix_series SUITE ABI: the series an ABI belongs to (suite and upstream
# major.minor: "bookworm 6.1", "bookworm 6.12", "trixie 6.12", "sid 7.2").
matrix_series() { echo "$1 $(echo "$2" | cut -d. -f1,2)"; }

# matrix_fetch SUITE PKG: PKG and the linux-headers-*/linux-kbuild-* packages
# it depends on, downloaded and unpacked into SUITE's chroot unless the
# candidate version is unpacked there already; the other packages they
# depend on (the compiler, libraries of the kbuild tools) installed with apt.
# The kernel's /lib/modules links are not unpacked: to DKMS and to the lanes
# these trees are no installed kernel.
matrix_fetch()
{
	local suite=$1 root="$CACHE/chroot/$1" todo=$2 done_="" pkg ver deps dep others=""
	local dl="/var/cache/devmm-matrix/debs" f
	while [ -n "$todo" ]; do
		set -- $todo
		pkg=$1
		shift
		todo="$*"
		case " $done_ " in *" $pkg "*) continue ;; esac
		done_="$done_ $pkg"
		ver=$(m_apt "$root" apt-cache show --no-all-versions "$pkg" | sed -n 's/^Version: //p')
		[ -n "$ver" ] || { echo "no package $pkg in the $suite sources"; return 1; }
		deps=$(m_apt "$root" apt-cache show --no-all-versions "$pkg" |
			sed -n 's/^Depends: //p' | tr ',' '\n' | sed -E 's/^ *//; s/[ (|].*//')
		for dep in $deps; do
			case $dep in
			linux-headers-*|linux-kbuild-*) todo="$todo $dep" ;;
			linux-base*|linux-image-*|linux-binary-*) ;;
			*) others="$others $dep" ;;
			esac
		done
		f="$root/var/lib/devmm-matrix/unpacked/$pkg"
		[ -f "$f" ] && [ "$(cat "$f")" = "$ver" ] && continue
		rm -rf "$root$dl"
		mkdir -p "$root$dl"
		chroot_run "$root" sh -c "cd $dl && apt-get $M_APT_OPTS download -qq '$pkg=$ver'" \
			>/dev/null 2>&1 || { echo "apt-get download $pkg=$ver failed"; return 1; }
		dpkg-deb --fsys-tarfile "$root$dl"/*.deb |
			tar -C "$root" --keep-directory-symlink --exclude=./lib/modules \
				--exclude=./usr/lib/modules -xf - ||
			{ echo "unpacking $pkg failed"; return 1; }
		rm -rf "$root$dl"
		echo "$ver" >"$f"
	done
	# The compiler and the kbuild tools' libraries, from the suite itself.
	local missing="" p
	for p in $(echo "$others" | tr ' ' '\n' | sort -u); do
		chroot_run "$root" dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null |
			grep -qx installed || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		log "matrix: installing$missing in the $suite chroot"
		chroot_run "$root" sh -ec "export DEBIAN_FRONTEND=noninteractive
			apt-get $M_APT_OPTS install -qq --no-install-recommends $missing >/dev/null" ||
			{ echo "apt-get install$missing failed"; return 1; }
	fi
}

# matrix_exclusive_missing ROOT KDIR: the options of dkms.conf's
# BUILD_EXCLUSIVE_CONFIG that the tree's .config lacks.
matrix_exclusive_missing()
{
	local cfg="$1$2/.config" opts o
	opts=$(sed -n 's/^BUILD_EXCLUSIVE_CONFIG="\(.*\)"/\1/p' "$TOP_DIR/dkms.conf")
	for o in $opts; do
		grep -Eq "^$o=(y|m)" "$cfg" || echo "$o"
	done
}

# matrix_build SUITE ABI FLAVOUR: the entry's result line, after "built",
# "failed" or "n/a".
matrix_build()
{
	local suite=$1 abi=$2 fl=$3 root="$CACHE/chroot/$1" kver="$2-$3" dir st missing first
	dir="$OUT/$kver"
	rm -rf "$dir"
	mkdir -p "$dir"
	if ! matrix_fetch "$suite" "linux-headers-$kver" >"$dir/fetch.log" 2>&1; then
		echo "failed: fetching the headers: $(tail -n1 "$dir/fetch.log")"
		return
	fi
	st=0
	lab_dkms_build "$root" "$kver" "/usr/src/linux-headers-$kver" "$dir" || st=$?
	missing=$(matrix_exclusive_missing "$root" "/usr/src/linux-headers-$kver" | xargs)
	if [ -n "$missing" ]; then
		# Not applicable only where dkms build itself refuses the kernel.
		if [ $st != 0 ] && grep -q 'BUILD_EXCLUSIVE' "$dir/build.log"; then
			echo "n/a: $missing not set (dkms build refuses it: BUILD_EXCLUSIVE_CONFIG)"
		else
			echo "failed: $missing not set, yet dkms build did not refuse the kernel (exit $st)"
		fi
		return
	fi
	if [ $st = 0 ]; then
		echo "built"
		return
	fi
	first=$(grep -E 'devmm conftest:|: (fatal )?error:|\*\*\* ' "$dir/build.log" | head -n1)
	echo "failed: ${first:-$(tail -n1 "$dir/build.log")}"
}

bash "$LAB_DIR/setup.sh" --host
# The build chroots: bookworm's for the bookworm trees (gcc-12, no headers of
# its own), the lanes' trixie and sid ones.
log "matrix: build chroots"
lab_setup_chroot bookworm ""
lab_setup_chroot trixie linux-headers-amd64
lab_setup_chroot sid linux-headers-amd64
trap lab_umount EXIT

# Every entry: "SUITE ABI FLAVOUR MARK", MARK naming the main-archive
# metapackage's suite where it resolves to that ABI (amd64 only), else "-".
entries=$(mktemp)
for suite in $MATRIX_CHROOTS; do
	matrix_apt_setup "$suite"
	mains=$(matrix_main_abis "$suite")
	matrix_abis "$suite" | while read -r abi fl; do
		mark=-
		if [ "$fl" = amd64 ]; then
			mark=$(echo "$mains" | awk -v a="$abi" '$2 == a { print $1 }' | paste -sd+)
			mark=${mark:--}
		fi
		echo "$suite $abi $fl $mark"
	done
done >"$entries"
[ -s "$entries" ] || die "the registry offers no kernel headers packages"

# The subset: per series the oldest and newest amd64 ABI, the main-archive
# one, and the newest rt-amd64.
if [ $subset = 1 ]; then
	sel=$(mktemp)
	while read -r suite abi fl mark; do
		echo "$(matrix_series "$suite" "$abi" | tr ' ' _) $suite $abi $fl $mark"
	done <"$entries" | sort -k1,1 -k3,3V >"$sel"
	{
		awk '$4 == "amd64" { if (!($1 in first)) first[$1] = $0; last[$1] = $0 }
			$4 == "amd64" && $5 != "-" { print }
			$4 == "rt-amd64" { rt[$1] = $0 }
			END { for (s in first) { print first[s]; print last[s] }
				for (s in rt) print rt[s] }' "$sel"
	} | sort -u -k1,1 -k3,3V -k4,4 | cut -d' ' -f2- >"$entries"
	rm -f "$sel"
fi

total=$(wc -l <"$entries")
echo "1..$total"
n=0 built=0 failed=0 na=0 t0=$SECONDS
results=$(mktemp)
while read -r suite abi fl mark; do
	n=$((n + 1))
	t1=$SECONDS
	series=$(matrix_series "$suite" "$abi")
	what="$series: linux-headers-$abi-$fl"
	[ "$mark" = - ] || what="$what ($mark's linux-headers-amd64)"
	res=$(matrix_build "$suite" "$abi" "$fl")
	ver=$(cat "$CACHE/chroot/$suite/var/lib/devmm-matrix/unpacked/linux-headers-$abi-$fl" \
		2>/dev/null || echo "?")
	case $res in
	built)
		built=$((built + 1))
		echo "ok $n - $what: built ($((SECONDS - t1))s)" ;;
	n/a*)
		na=$((na + 1))
		echo "ok $n - $what # SKIP not applicable: ${res#n/a: }" ;;
	*)
		failed=$((failed + 1))
		echo "not ok $n - $what: ${res}"
		echo "# log: out/matrix/$abi-$fl/build.log" ;;
	esac
	echo "$series|$abi|$fl|$ver|$mark|$res" >>"$results"
done <"$entries"
echo "# matrix: $total entries: $built built, $failed failed, $na not applicable ($((SECONDS - t0))s)"

if [ -n "$docs" ]; then
	{
		echo "# Kernels devmm builds against"
		echo
		echo "Written by \`make matrix\` (tests/lab/matrix.sh) on $(date -u +%Y-%m-%d):"
		echo "devmm built by DKMS with \`-Werror\` against every Debian amd64 kernel headers"
		echo "package the registry offered that day, each tree unpacked into its suite's"
		echo "build chroot (bookworm: gcc-12; trixie: gcc-14; sid: its gcc). \`make check\`"
		echo "builds a subset of them on every run (see [tests.md](tests.md#what-make-check-runs))."
		echo
		echo "$total entries: $built built, $failed failed, $na not applicable."
		echo "\"main\" marks the ABI that the suite's own \`linux-headers-amd64\` (not the"
		echo "security suite's) depends on: what \`apt-get install linux-headers-amd64\` gives"
		echo "a machine without the security or backports suites."
		echo
		echo "| series | ABI | flavour | package version | main | result |"
		echo "|---|---|---|---|---|---|"
		while IFS='|' read -r series abi fl ver mark res; do
			[ "$mark" = - ] && mark="" || mark="$mark"
			echo "| $series | $abi | $fl | $ver | $mark | ${res//|/\\|} |"
		done <"$results"
	} >"$docs"
	log "matrix: wrote $docs"
fi
rm -f "$entries" "$results"
[ $failed = 0 ]
