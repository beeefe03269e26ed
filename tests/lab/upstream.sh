# SPDX-License-Identifier: GPL-2.0
# Upstream reference material for the lab: the Debian linux-source of each
# lane's kernel series, of which only the HMM selftest and what it compiles
# against is unpacked, and that selftest built as a static binary.
# Sourced after lib.sh: . "$LAB_DIR/upstream.sh"
#
# Everything lives under $CACHE/upstream/LANE, never in the repository:
#   linux-source-X_V_all.deb   the downloaded package
#   linux/                     the selected members, with .devmm-stamp
#   hmm-tests, build.log       the static selftest and its compile log
#
# The kselftest harness of hmm-tests.c, per version (kselftest_harness.h):
#   6.1   test_harness_run() ignores argv: no -l, no filters.  Any
#         invocation (even "-l") runs every fixture x variant x test.  A
#         skip prints "ok N # SKIP reason", without the test's name.
#   6.12  getopt "hlF:f:V:v:t:T:r:": -h help; -l prints a FIXTURE / VARIANT /
#         TEST table to stderr (columns zipped, not the product) and exits
#         4 (KSFT_SKIP) without running anything; -f/-F, -v/-V, -t/-T include
#         / exclude a fixture, variant or test by exact name; -r
#         FIXTURE.VARIANT.TEST runs one case.  Filters repeat, the first
#         match decides, and with only exclusions everything else runs.
#   7.2   as 6.12, plus -d (debug prints).  Its hugepage_settings.h
#         constructor reserves a hugetlb page (sysfs nr_hugepages) before
#         main(), even for -l, and restores it at exit.
# Cases run fixture by fixture (hmm, hmm2), variant by variant (private,
# coherent), tests in source order, except on 6.12: its TEST_F constructors
# have a priority and run before the one detecting the constructor order,
# so each fixture's tests run (and -l lists them) in reverse source order.
# -l also shows the harness's empty "global" fixture.
# The coherent variants alone (6.12 and later):
#   hmm-tests -v hmm_device_coherent -v hmm2_device_coherent
# Output (all versions): TAP 13 on stdout: "TAP version 13" (unless
# KSFT_TAP_LEVEL is set), "1..N", "# RUN FIXTURE.VARIANT.TEST ...",
# "ok N FIXTURE.VARIANT.TEST", "not ok N ...", "ok N ... # SKIP reason",
# then "# PASSED|FAILED: P / N tests passed." (skips count as passed) and
# "# Totals: pass:P fail:F xfail:X xpass:Y skip:S error:E"; exit status 0 if
# nothing failed, else 1.

UPSTREAM_DIR="$CACHE/upstream"

# upstream_series LANE: the major.minor of the lane's kernel (6.1, 6.12, 7.2).
upstream_series()
{
	local abi
	[ -f "$CACHE/kernels/$1/abi" ] || die "lane $1 has no kernel; run tests/lab/setup.sh $1"
	abi=$(cat "$CACHE/kernels/$1/abi")
	abi=${abi%%-*}
	abi=${abi%%+*}
	case "$abi" in
	*.*.*) echo "${abi%.*}" ;;
	*) echo "$abi" ;;
	esac
}

# upstream_key LANE: the lane's kernel ABI and headers package version.
upstream_key()
{
	local abi root
	abi=$(cat "$CACHE/kernels/$1/abi")
	root=$(lane_root "$1")
	echo "$abi $(dpkg-query --admindir="$root/var/lib/dpkg" -W -f '${Version}' \
		"linux-headers-$abi")"
}

# upstream_pick_version LANE PKG WANT: WANT if the lane's suite has it, else
# the newest version below it, else the oldest one above it.
upstream_pick_version()
{
	local lane=$1 pkg=$2 want=$3 v best=""
	for v in $(in_lane "$lane" apt-cache madison "$pkg" | awk -F'|' '{ gsub(/ /, "", $2); print $2 }'); do
		if dpkg --compare-versions "$v" le "$want"; then
			echo "$v"
			return
		fi
		best=$v
	done
	[ -n "$best" ] || die "no $pkg in the apt sources of lane $lane"
	echo "$best"
}

# upstream_download LANE PKG VERSION DIR: PKG=VERSION's .deb into DIR, with
# the lane's apt (the host's for 6.1, the suite's chroot otherwise).
upstream_download()
{
	local lane=$1 pkg=$2 ver=$3 dir=$4 root tmp try
	root=$(lane_root "$lane")
	tmp="$root/tmp/devmm-upstream-$lane-dl"
	for try in 1 2; do
		rm -rf "$tmp"
		mkdir -p "$tmp"
		# shellcheck disable=SC2016
		if in_lane "$lane" sh -c 'cd "$1" && shift && exec apt-get "$@"' sh \
			"/tmp/devmm-upstream-$lane-dl" "${APT_OPTS[@]}" \
			-o APT::Sandbox::User=root download -qq "$pkg=$ver" >&2; then
			mv "$tmp"/*.deb "$dir/"
			rm -rf "$tmp"
			return
		fi
		[ "$try" = 1 ] || break
		log "lane $lane: $pkg=$ver not fetched; apt-get update and retry"
		in_lane "$lane" apt-get "${APT_OPTS[@]}" update -qq >&2 || true
	done
	rm -rf "$tmp"
	die "lane $lane: cannot download $pkg=$ver"
}

# upstream_source LANE: unpack the selftest's sources from the lane's
# linux-source package into $CACHE/upstream/LANE/linux; prints that path.
upstream_source()
{
	local lane=$1 dir="$UPSTREAM_DIR/$1" key series pkg want ver deb tarball tmp
	local top
	key=$(upstream_key "$lane")
	if [ -f "$dir/linux/.devmm-stamp" ] &&
		[ "$(head -n1 "$dir/linux/.devmm-stamp")" = "$key" ]; then
		echo "$dir/linux"
		return
	fi
	series=$(upstream_series "$lane")
	pkg="linux-source-$series"
	want=${key#* }
	ver=$(upstream_pick_version "$lane" "$pkg" "$want")
	[ "$ver" = "$want" ] || log "lane $lane: no $pkg=$want, using $ver"
	mkdir -p "$dir"
	deb="$dir/${pkg}_${ver//:/%3a}_all.deb"
	if [ ! -f "$deb" ]; then
		log "lane $lane: downloading $pkg $ver"
		rm -f "$dir/${pkg}_"*.deb
		upstream_download "$lane" "$pkg" "$ver" "$dir"
		[ -f "$deb" ] || die "lane $lane: $deb missing after download"
	fi
	log "lane $lane: extracting the HMM selftest sources of $pkg $ver"
	tarball="$dir/$pkg.tar"
	tmp="$dir/linux.tmp"
	rm -rf "$tmp" "$dir/linux" "$dir/hmm-tests" "$tarball"
	mkdir -p "$tmp"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xOf - --wildcards "./usr/src/$pkg.tar.*" >"$tarball"
	# The selftests were tools/testing/selftests/vm until 6.2 and are
	# .../mm since 6.3; [mv]m matches whichever the version has.  These
	# members are all hmm-tests.c, vm_util.c and hugepage_settings.c include.
	top=$pkg
	tar -xf "$tarball" -C "$tmp" --strip-components=1 --wildcards \
		"$top/lib/test_hmm.c" "$top/lib/test_hmm_uapi.h" \
		"$top/mm/gup_test.h" "$top/tools/include" \
		"$top/tools/testing/selftests/kselftest*.h" \
		"$top/tools/testing/selftests/[mv]m"
	rm -f "$tarball"
	compgen -G "$tmp/tools/testing/selftests/*/hmm-tests.c" >/dev/null ||
		die "lane $lane: no hmm-tests.c in $pkg $ver"
	printf '%s\n%s %s\n' "$key" "$pkg" "$ver" >"$tmp/.devmm-stamp"
	mv "$tmp" "$dir/linux"
	echo "$dir/linux"
}

# upstream_selftest_dir SRC: the selftest folder holding hmm-tests.c,
# relative to the source tree SRC.
upstream_selftest_dir()
{
	local f
	f=$(compgen -G "$1/tools/testing/selftests/*/hmm-tests.c" | head -n1)
	[ -n "$f" ] || die "no hmm-tests.c under $1"
	f=${f%/hmm-tests.c}
	echo "${f#"$1"/}"
}

# upstream_helpers DIR: the .c files the selftest Makefile in DIR links into
# every test program (none on 6.1, vm_util.c thp_settings.c on 6.12,
# vm_util.c hugepage_settings.c on 7.2).
upstream_helpers()
{
	awk '/^\$\((TEST_GEN_FILES|OUTPUT)\)(\/hmm-tests)?:/ {
		for (i = 2; i <= NF; i++) if ($i ~ /\.c$/) print $i
	}' "$1/Makefile" | sort -u | paste -sd ' '
}

# upstream_build_selftest LANE: the lane's hmm-tests.c as a static binary
# built with the lane's gcc and glibc; prints its path.
upstream_build_selftest()
{
	local lane=$1 dir="$UPSTREAM_DIR/$1" src sdir helpers root build bin
	src=$(upstream_source "$lane")
	bin="$dir/hmm-tests"
	if [ -x "$bin" ]; then
		echo "$bin"
		return
	fi
	sdir=$(upstream_selftest_dir "$src")
	helpers=$(upstream_helpers "$src/$sdir")
	root=$(lane_root "$lane")
	build="/tmp/devmm-upstream-$lane"
	rm -rf "$root$build"
	cp -a "$src" "$root$build"
	# 6.1's kselftest harness cannot select variants (it ignores its
	# options) and loops in a failing fixture's teardown until the
	# timeout.  Build 6.1's unmodified test cases with the harness header
	# of 6.12, which can (-v) and does not.
	if ! grep -q 'FIXTURE_VARIANT.*filter\|"hlF:f:V:v:\|case .v.:' \
		"$src/tools/testing/selftests/kselftest_harness.h"; then
		local newer
		newer=$(upstream_source 6.12)
		log "lane $lane: building hmm-tests with the kselftest harness of 6.12"
		cp "$newer/tools/testing/selftests/kselftest_harness.h" \
			"$newer/tools/testing/selftests/kselftest.h" \
			"$root$build/tools/testing/selftests/"
	fi
	log "lane $lane: building the static hmm-tests ($sdir: hmm-tests.c $helpers)"
	# shellcheck disable=SC2016,SC2086
	if ! in_lane "$lane" sh -c 'cd "$1" && shift && exec gcc "$@"' sh \
		"$build/$sdir" -static -O2 -Wall -I../ -I../../../../ \
		-isystem ../../../../tools/include -o hmm-tests \
		hmm-tests.c $helpers -lrt -lpthread -lm >"$dir/build.log" 2>&1; then
		tail -n 20 "$dir/build.log" >&2
		die "lane $lane: hmm-tests does not build, see $dir/build.log"
	fi
	cp "$root$build/$sdir/hmm-tests" "$bin.tmp"
	rm -rf "$root$build"
	file "$bin.tmp" | grep -Eq 'statically linked|static-pie linked' ||
		die "lane $lane: hmm-tests is not static: $(file -b "$bin.tmp")"
	mv "$bin.tmp" "$bin"
	echo "$bin"
}

# upstream_list_tests LANE [VARIANT...]: without running anything, how the
# lane's hmm-tests lists and selects tests (as "#" lines), then the names of
# the cases it runs, in its order (FIXTURE.VARIANT.TEST), only of VARIANTs if
# any are given (e.g. hmm_device_coherent hmm2_device_coherent).
upstream_list_tests()
{
	local lane=$1 src sdir harness opts rev=0
	shift
	src=$(upstream_source "$lane")
	sdir=$(upstream_selftest_dir "$src")
	harness="$src/tools/testing/selftests/kselftest_harness.h"
	opts=$(sed -n 's/.*getopt(argc, argv, "\([^"]*\)").*/\1/p' "$harness" | head -n1)
	if grep -q 'constructor(KSELFTEST_PRIO_TEST_F)' "$harness" &&
		grep -q '__attribute__((constructor)) __constructor_order_first' "$harness"; then
		rev=1
	fi
	echo "# $(sed -n 2p "$src/.devmm-stamp"): $sdir/hmm-tests.c"
	if [ -z "$opts" ]; then
		echo "# harness options: none (argv ignored, every case runs; no -l)"
	else
		echo "# harness options: getopt \"$opts\"; list: hmm-tests -l (stderr)"
		echo "# coherent only: hmm-tests -v hmm_device_coherent -v hmm2_device_coherent"
	fi
	awk -v want="$*" -v rev="$rev" '
	BEGIN { nw = split(want, w, " "); for (i = 1; i <= nw; i++) keep[w[i]] = 1 }
	match($0, /^FIXTURE\([A-Za-z0-9_]+\)/) {
		f = substr($0, 9, RLENGTH - 9); fx[++nf] = f
	}
	match($0, /^FIXTURE_VARIANT_ADD\([A-Za-z0-9_]+, *[A-Za-z0-9_]+\)/) {
		s = substr($0, 21, RLENGTH - 21); split(s, a, /, */)
		var[a[1], ++nv[a[1]]] = a[2]
	}
	match($0, /^TEST_F(_TIMEOUT)?\([A-Za-z0-9_]+, *[A-Za-z0-9_]+/) {
		s = substr($0, 1, RLENGTH); sub(/^[A-Z_]+\(/, "", s); split(s, a, /, */)
		tst[a[1], ++nt[a[1]]] = a[2]
	}
	END {
		for (i = 1; i <= nf; i++) {
			f = fx[i]
			for (j = 1; j <= (nv[f] ? nv[f] : 1); j++) {
				v = nv[f] ? var[f, j] : ""
				if (nw && !(v in keep))
					continue
				for (k = 1; k <= nt[f]; k++)
					print f (v != "" ? "." v : "") "." \
						tst[f, rev ? nt[f] + 1 - k : k]
			}
		}
	}' "$src/$sdir/hmm-tests.c"
}

# upstream_build_test_hmm LANE DST: the kernel's reference module
# lib/test_hmm.c from the lane's linux-source, built out of tree into
# DST/test_hmm.ko against the lane's headers, in the lane's build
# environment, as lab_build_module builds devmm (DST must lie in TOP_DIR,
# which the chroots see).  The build log is DST/build.log.
upstream_build_test_hmm()
{
	local lane=$1 dst=$2 src kdir
	src=$(upstream_source "$lane")
	kdir=$(cat "$(lane_kdir_file "$lane")")
	rm -rf "$dst"
	mkdir -p "$dst"
	cp "$src/lib/test_hmm.c" "$src/lib/test_hmm_uapi.h" "$dst/"
	# In the tree it is lib/test_hmm.o under CONFIG_TEST_HMM; its header
	# sits beside it.
	# shellcheck disable=SC2016
	printf '%s\n' '# Written by the devmm lab: lib/test_hmm.c out of tree.' \
		'obj-m := test_hmm.o' 'ccflags-y := -I$(src)' >"$dst/Kbuild"
	in_lane "$lane" make -C "$kdir" M="$(lane_path "$lane" "$dst")" modules \
		>"$dst/build.log" 2>&1
}
