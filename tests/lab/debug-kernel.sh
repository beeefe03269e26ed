# SPDX-License-Identifier: GPL-2.0
# The debug lanes' kernels: Debian's linux-source built on the host (gcc 12)
# with KASAN, lockdep, kmemleak, DEBUG_VM and the HMM test driver, i.e.
# defconfig + kvm_guest.config + tests/lab/debug.config.  Lane debug builds
# trixie's linux-source-6.12, lane debug7 sid's newest linux-source-7.x (large
# device folios, exclusive access and the helper offload under KASAN).
# Sourced after lib.sh: . "$LAB_DIR/debug-kernel.sh", then debug_kernel_for LANE.
#
# Everything lives under $CACHE/debug-kernel/KEY, KEY being a hash of
# debug.config, the linux-source version and DEBUG_KERNEL_RECIPE:
#   src/            the configured, built tree; the module build tree (KDIR),
#                   with the uapi headers installed in src/usr/include
#   vmlinuz         its bzImage
#   kdir, abi       the tree's path and its `make -s kernelrelease`
#   build.log       the log of the build
#   build-seconds   the build's wall time
#   .ready          written last: the rest is complete

# debug_kernel_for LANE: the series (and suite preferred for its version) of
# a debug lane's kernel; the lane whose upstream cache may hold its source.
debug_kernel_for()
{
	case "$1" in
	debug)
		DEBUG_KERNEL_SERIES=6.12 DEBUG_KERNEL_SUITE=trixie DEBUG_KERNEL_UPLANE=6.12 ;;
	debug7)
		DEBUG_KERNEL_SERIES=$(apt-cache search --names-only '^linux-source-7\.[0-9]+$' |
			awk '{ sub(/^linux-source-/, "", $1); print $1 }' | sort -V | tail -n1)
		[ -n "$DEBUG_KERNEL_SERIES" ] ||
			die "no linux-source-7.x in the host's apt sources (run tests/lab/setup.sh)"
		DEBUG_KERNEL_SUITE=sid DEBUG_KERNEL_UPLANE=7 ;;
	*) die "no debug kernel for lane $1" ;;
	esac
	DEBUG_KERNEL_PKG=linux-source-$DEBUG_KERNEL_SERIES
}
debug_kernel_for debug
# Bump when the build steps below change what they produce.
DEBUG_KERNEL_RECIPE="debug-kernel 1: defconfig kvm_guest.config debug.config olddefconfig; bzImage modules headers_install modules_prepare"
DEBUG_KERNEL_CONFIG="$LAB_DIR/debug.config"
DEBUG_KERNEL_DEPS="build-essential bc bison flex libelf-dev libssl-dev dwarves rsync
	cpio xz-utils kmod python3"
# Wait for another apt or dpkg (e.g. the lab's setup) instead of failing.
DEBUG_KERNEL_APT=(apt-get "${APT_OPTS[@]}" -o DPkg::Lock::Timeout=600)

# debug_kernel_cached_deb: the linux-source .deb already on disk (the
# upstream.sh copy first), or nothing.
debug_kernel_cached_deb()
{
	local f
	for f in "$CACHE/upstream/$DEBUG_KERNEL_UPLANE/${DEBUG_KERNEL_PKG}_"*_all.deb \
		"$CACHE/debug-kernel/${DEBUG_KERNEL_PKG}_"*_all.deb; do
		if [ -f "$f" ]; then
			echo "$f"
			return
		fi
	done
}

# debug_kernel_version: the linux-source version to build: the cached
# .deb's, else that of the lane's suite, else apt's first.
debug_kernel_version()
{
	local deb ver
	deb=$(debug_kernel_cached_deb)
	if [ -n "$deb" ]; then
		dpkg-deb -f "$deb" Version
		return
	fi
	ver=$(apt-cache madison "$DEBUG_KERNEL_PKG" | awk -F'|' -v suite="$DEBUG_KERNEL_SUITE" '
		{ gsub(/ /, "", $2) }
		$3 ~ ("[ /]" suite "/") { print $2; exit }
		!first { first = $2 }
		END { if (first != "") print first }' | head -n1)
	[ -n "$ver" ] || die "no $DEBUG_KERNEL_PKG in the host's apt sources (run tests/lab/setup.sh)"
	echo "$ver"
}

# debug_kernel_dir: the cache dir of the debug kernel for the current
# debug.config, linux-source version and recipe.
debug_kernel_dir()
{
	local key
	key=$({
		cat "$DEBUG_KERNEL_CONFIG"
		echo "$DEBUG_KERNEL_PKG $(debug_kernel_version)"
		echo "$DEBUG_KERNEL_RECIPE"
	} | sha256sum | cut -c1-12)
	echo "$CACHE/debug-kernel/$key"
}

# debug_kernel_deps: install the host packages a kernel build needs.
debug_kernel_deps()
{
	local missing="" p
	for p in $DEBUG_KERNEL_DEPS; do
		[ "$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)" = installed ] ||
			missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	log "debug kernel: installing build packages:$missing"
	# shellcheck disable=SC2086
	if ! DEBIAN_FRONTEND=noninteractive "${DEBUG_KERNEL_APT[@]}" install -qq \
		--no-install-recommends $missing >/dev/null; then
		"${DEBUG_KERNEL_APT[@]}" update -qq
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive "${DEBUG_KERNEL_APT[@]}" install -qq \
			--no-install-recommends $missing >/dev/null ||
			die "debug kernel: cannot install$missing"
	fi
}

# debug_kernel_deb VERSION: the linux-source .deb of VERSION, downloaded
# into $CACHE/debug-kernel unless already cached; prints its path.
debug_kernel_deb()
{
	local ver=$1 deb dl="$CACHE/debug-kernel" try
	deb=$(debug_kernel_cached_deb)
	if [ -n "$deb" ] && [ "$(dpkg-deb -f "$deb" Version)" = "$ver" ]; then
		echo "$deb"
		return
	fi
	mkdir -p "$dl"
	log "debug kernel: downloading $DEBUG_KERNEL_PKG $ver"
	for try in 1 2; do
		rm -f "$dl/${DEBUG_KERNEL_PKG}_"*.deb
		if (cd "$dl" && apt-get "${APT_OPTS[@]}" -o APT::Sandbox::User=root \
			download -qq "$DEBUG_KERNEL_PKG=$ver" >&2); then
			break
		fi
		[ "$try" = 1 ] || die "debug kernel: cannot download $DEBUG_KERNEL_PKG=$ver"
		"${DEBUG_KERNEL_APT[@]}" update -qq >&2 || true
	done
	deb=$(debug_kernel_cached_deb)
	[ -n "$deb" ] || die "debug kernel: $DEBUG_KERNEL_PKG .deb missing after download"
	echo "$deb"
}

# debug_kernel_config_check DIR: every CONFIG_X=y|m line of debug.config is
# in DIR/src/.config and every "is not set" one is unset; names the others.
debug_kernel_config_check()
{
	local cfg="$1/src/.config" line sym have bad=0
	[ -f "$cfg" ] || { echo "debug kernel: no $cfg" >&2; return 1; }
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=[ym])
			grep -qxF "$line" "$cfg" && continue
			sym=${line%%=*}
			;;
		"# CONFIG_"*" is not set")
			sym=${line#\# }
			sym=${sym%% *}
			grep -Eq "^$sym=[ym]$" "$cfg" || continue
			;;
		*) continue ;;
		esac
		have=$(grep -E "^($sym=|# $sym is not set)" "$cfg" || true)
		echo "debug kernel: config dropped: want '$line', have '${have:-nothing}'" >&2
		bad=1
	done <"$DEBUG_KERNEL_CONFIG"
	return "$bad"
}

# debug_kernel_steps DIR DEB: unpack, configure and build; its output is the
# build log.  Each step is checked explicitly: callers run it under ||, which
# turns set -e off.
debug_kernel_steps()
{
	local dir=$1 deb=$2 src="$1/src" tarball
	local -a mk=(make -C "$src" -j"$(nproc)")
	echo "== unpacking $(basename "$deb")"
	tarball="$dir/$DEBUG_KERNEL_PKG.tar"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xOf - --wildcards "./usr/src/$DEBUG_KERNEL_PKG.tar.*" >"$tarball" || return 1
	mkdir -p "$src"
	tar -xf "$tarball" -C "$src" --strip-components=1 || return 1
	rm -f "$tarball"
	echo "== configuring: defconfig kvm_guest.config $DEBUG_KERNEL_CONFIG"
	"${mk[@]}" defconfig || return 1
	"${mk[@]}" kvm_guest.config || return 1
	(cd "$src" && scripts/kconfig/merge_config.sh -m .config "$DEBUG_KERNEL_CONFIG") ||
		return 1
	"${mk[@]}" olddefconfig || return 1
	debug_kernel_config_check "$dir" 2>&1 || return 1
	echo "== building bzImage modules"
	nice -n 10 "${mk[@]}" bzImage modules || return 1
	echo "== headers_install modules_prepare"
	nice -n 10 "${mk[@]}" headers_install || return 1
	nice -n 10 "${mk[@]}" modules_prepare || return 1
	cp "$src/arch/x86/boot/bzImage" "$dir/vmlinuz" || return 1
	echo "$src" >"$dir/kdir"
	make -s -C "$src" kernelrelease >"$dir/abi" || return 1
	echo "== done: $(cat "$dir/abi")"
}

# debug_kernel_build: the debug kernel, built unless cached; prints its dir.
debug_kernel_build()
{
	local dir deb ver t0 ret=0 lock
	dir=$(debug_kernel_dir)
	if [ -f "$dir/.ready" ]; then
		echo "$dir"
		return
	fi
	mkdir -p "$CACHE/debug-kernel"
	# One build at a time; a second caller waits, then finds it ready.
	exec {lock}>"$CACHE/debug-kernel/.lock"
	flock "$lock"
	if [ -f "$dir/.ready" ]; then
		exec {lock}>&-
		echo "$dir"
		return
	fi
	debug_kernel_deps
	ver=$(debug_kernel_version)
	deb=$(debug_kernel_deb "$ver")
	rm -rf "$dir"
	mkdir -p "$dir"
	log "debug kernel: building $DEBUG_KERNEL_PKG $ver in $dir (25-40 minutes on 2 cores)"
	t0=$(date +%s)
	debug_kernel_steps "$dir" "$deb" >"$dir/build.log" 2>&1 || ret=$?
	if [ "$ret" != 0 ]; then
		tail -n 40 "$dir/build.log" >&2
		exec {lock}>&-
		die "debug kernel: build failed, see $dir/build.log"
	fi
	echo $(($(date +%s) - t0)) >"$dir/build-seconds"
	touch "$dir/.ready"
	exec {lock}>&-
	log "debug kernel: $(cat "$dir/abi") built in $(cat "$dir/build-seconds")s"
	echo "$dir"
}
