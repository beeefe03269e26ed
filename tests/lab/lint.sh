#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Kernel style check of devmm's kernel code with the kernel's own
# scripts/checkpatch.pl, taken from a Debian linux-source package (the lab's
# cached one if there is one, else downloaded) and cached; never committed.
#
# usage: tests/lab/lint.sh        (make lint)
# Prints one TAP line per file and "# lint: ..." totals; exits non-zero on
# any error or warning.
. "$(dirname "$0")/lib.sh"

# Rules that do not apply to an out-of-tree module built for several
# kernels: the *_obj allocation helpers only exist in the newest kernels,
# and the one LINUX_VERSION_CODE test is the minimum-kernel #error.
IGNORE=ALLOC_WITH_SIZEOF,LINUX_VERSION_CODE,CONSTANT_COMPARISON

# checkpatch_dir: a folder with checkpatch.pl and the data files it reads.
checkpatch_dir()
{
	local deb dir pkg tmp
	deb=$(ls -t "$CACHE"/upstream/*/linux-source-*.deb "$CACHE"/lint/linux-source-*.deb \
		2>/dev/null | head -n1 || true)
	if [ -z "$deb" ]; then
		mkdir -p "$CACHE/lint"
		log "lint: downloading linux-source-6.1 for checkpatch.pl"
		(cd "$CACHE/lint" && apt-get "${APT_OPTS[@]}" -o APT::Sandbox::User=root \
			download -qq linux-source-6.1 >&2) || die "cannot download linux-source-6.1"
		deb=$(ls -t "$CACHE"/lint/linux-source-*.deb | head -n1)
	fi
	pkg=$(basename "$deb" .deb)
	dir="$CACHE/checkpatch/$pkg"
	if [ ! -f "$dir/checkpatch.pl" ]; then
		log "lint: extracting checkpatch.pl from $pkg"
		tmp="$dir.tmp"
		rm -rf "$tmp"
		mkdir -p "$tmp"
		dpkg-deb --fsys-tarfile "$deb" |
			tar -xOf - --wildcards './usr/src/linux-source-*.tar.*' |
			tar -xJf - -C "$tmp" --strip-components=2 --wildcards \
				'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
				'*/scripts/const_structs.checkpatch'
		rm -rf "$dir"
		mv "$tmp" "$dir"
	fi
	echo "$dir"
}

cp_dir=$(checkpatch_dir)
cd "$TOP_DIR"
n=0 bad=0 warnings=0 errors=0
for f in src/*.c src/*.h src/compat/*.[ch] include/uapi/linux/devmm.h include/uapi/linux/devmm_hmm.h src/compat/probes/*.c; do
	n=$((n + 1))
	st=0
	out=$(perl "$cp_dir/checkpatch.pl" --no-tree --file --terse --show-types \
		--max-line-length=100 --ignore "$IGNORE" "$f" 2>&1) || st=$?
	e=$(grep -c ': ERROR:' <<<"$out" || true)
	w=$(grep -cE ': (WARNING|CHECK):' <<<"$out" || true)
	errors=$((errors + e)) warnings=$((warnings + w))
	if [ "$st" = 0 ] && [ "$e" = 0 ] && [ "$w" = 0 ]; then
		echo "ok $n - checkpatch: $f"
	else
		bad=$((bad + 1))
		echo "not ok $n - checkpatch: $f"
		sed 's/^/# /' <<<"$out"
	fi
done
echo "# lint: $n files, $errors errors, $warnings warnings ($(basename "$cp_dir"), ignoring $IGNORE)"
[ "$bad" = 0 ]
