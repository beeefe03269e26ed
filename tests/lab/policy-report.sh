#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The policy study (make policy-report): a set of access patterns, each at
# 110, 125, 150 and 200% oversubscription (the buffer that many percent of
# the device's capacity), replayed through devmm's demand paging with every
# eviction policy and every prefetcher (and once with thrashing control), in
# one boot of the 7.x lane's Debian kernel (tests/guest/policy-study.sh);
# then the same patterns through the reference model tools/devmm-sim on the
# host, with Belady's optimal policy (opt) as the lower bound on device
# faults and the kernel's policies to check the kernel against.  Writes a
# table and two charts, and prints the table.  Not part of make check.
#
# usage: tests/lab/policy-report.sh            (make policy-report)
#        tests/lab/policy-report.sh --report DIR   the report of an earlier run again
# environment (docs/benchmarks.md#the-policy-study-make-policy-report):
#   STUDY_PATTERNS   default "stream stride:16 random:1 hotcold:80 pingpong scanhot"
#   STUDY_OVERSUB    default "110 125 150 200" (percent)
#   STUDY_POLICIES   default "lru fifo clock random lfu uvm"
#   STUDY_VARIANTS   PREFETCH/THRASHING pairs, default
#                    "none/off seq:64/off density:50/off none/on"
#   STUDY_MIB        the patterns' buffer in MiB, default 4 (pingpong: 256 KiB)
#   STUDY_BATCH      --evict-batch, default 1;  STUDY_GRANULARITY, default 4K
#   STUDY_KIND       private (default) or coherent;  DEVMM_VM_TIMEOUT, default 3600
# Results: out/policy-report/<timestamp>/ (and out/policy-report/latest):
# table.txt, policy.png and prefetch.png (policy.gp, policy.dat,
# prefetch.dat), records.jsonl (one JSON object per run, the kernel's and the
# model's), runs.tsv (the run list), results.log and console.log (the VM's),
# traces/ (the trace files replayed), study.conf (the settings, for --report).
. "$(dirname "$0")/lib.sh"

lane=7
PATTERNS=${STUDY_PATTERNS:-"stream stride:16 random:1 hotcold:80 pingpong scanhot"}
OVERSUB=${STUDY_OVERSUB:-"110 125 150 200"}
POLICIES=${STUDY_POLICIES:-"lru fifo clock random lfu uvm"}
VARIANTS=${STUDY_VARIANTS:-"none/off seq:64/off density:50/off none/on"}
MIB=${STUDY_MIB:-4}
BATCH=${STUDY_BATCH:-1}
GRAN=${STUDY_GRANULARITY:-4K}
KIND=${STUDY_KIND:-private}
SIM="$TOP_DIR/out/progs/devmm-sim"

# pattern_spec NAME: "SOURCE SIZE RECORDS" of a pattern of the study:
# SOURCE is --pattern (devmmctl's built-in pattern NAME) or a trace file
# (traces/NAME.trace, written by write_trace); RECORDS is a pattern's
# --records (pingpong's: rounds).
pattern_spec()
{
	local size=$((MIB * 1048576)) pages=$((MIB * 256))
	case $1 in
	stream|stride:*|random:*) echo "--pattern $size $((4 * pages))" ;;
	# The cold accesses must reach more pages than the device holds.
	hotcold:*) echo "--pattern $size $((16 * pages))" ;;
	# Its 64 pages are the buffer: rounds of a device write and a CPU read.
	pingpong) echo "--pattern 262144 50" ;;
	scanhot) echo "traces/scanhot.trace $size $((4 * pages))" ;;
	*) die "unknown pattern '$1' (patterns: stream stride:N random:SEED hotcold:PCT pingpong scanhot)" ;;
	esac
}

# write_trace NAME SIZE RECORDS FILE: the study's trace files.  scanhot: a
# sequential scan of the whole buffer, one record in four, among
# accesses to a hot fifth of it (a quarter of them writes), drawn by a
# Park-Miller generator (the same on any awk).
write_trace()
{
	case $1 in
	scanhot)
		awk -v size="$2" -v n="$3" 'BEGIN {
			P = size / 4096; hot = int(P / 5); x = 1
			print "# scanhot: a scan of every page, one record in four, among"
			print "# accesses to the first fifth of the buffer (a quarter writes)"
			printf "size %d\n", size
			for (i = 0; i < n; i++) {
				if (i % 4 == 0) { printf "R %d\n", (s++ % P) * 4096; continue }
				x = (x * 16807) % 2147483647
				printf "%s %d\n", x % 4 == 0 ? "W" : "R", (x % hot) * 4096
			}
		}' >"$4"
		;;
	esac
}

# capacity SIZE OVERSUB: the device's capacity that makes a buffer of SIZE
# bytes OVERSUB percent of it, in whole pages.
capacity() { echo $(($1 * 100 / $2 / 4096 * 4096)); }

# replay_args SOURCE PATTERN SIZE RECORDS CAPACITY POLICY PREFETCH THRASHING:
# the arguments of devmmctl replay (after the ID) and of devmm-sim.
replay_args()
{
	local src=$1
	[ "$src" != --pattern ] || src="--pattern $2 --size $3 --records $4"
	echo "$src --capacity $5 --policy $6 --evict-batch $BATCH --granularity $GRAN" \
		"--prefetch $7 --thrashing $8"
}

# write_runs DIR: DIR/runs.tsv, the run list (n, pattern, size, records,
# oversubscription, capacity, policy, prefetch, thrashing, then the
# arguments of devmmctl replay after the device's ID), the guest's files in
# DIR/guest (study.runs: n and the arguments; study.env; traces/) and the
# trace files in DIR/traces.
write_runs()
{
	local dir=$1 n=0 p src size recs ov cap v pf th pol
	mkdir -p "$dir/traces" "$dir/guest"
	: >"$dir/runs.tsv"
	for p in $PATTERNS; do
		read -r src size recs <<<"$(pattern_spec "$p")"
		[ "$src" = --pattern ] || write_trace "$p" "$size" "$recs" "$dir/$src"
		for ov in $OVERSUB; do
			cap=$(capacity "$size" "$ov")
			for v in $VARIANTS; do
				pf=${v%/*} th=${v#*/}
				for pol in $POLICIES; do
					n=$((n + 1))
					printf '%d\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n' "$n" "$p" \
						"$size" "$recs" "$ov" "$cap" "$pol" "$pf" "$th" \
						"$(replay_args "$src" "$p" "$size" "$recs" "$cap" "$pol" \
							"$pf" "$th")" >>"$dir/runs.tsv"
				done
			done
		done
	done
	cut -f1,10 "$dir/runs.tsv" | tr '\t' ' ' >"$dir/guest/study.runs"
	printf 'STUDY_KIND=%s\n' "$KIND" >"$dir/guest/study.env"
	cp -r "$dir/traces" "$dir/guest/"
}

# model_runs DIR FA: the model's side, as lines "[META, JSON]": every
# pattern and oversubscription through opt and each policy, with prefetch
# none and thrashing off (the model has neither), and the guest's
# fault_around_kb FA.
model_runs()
{
	local dir=$1 fa=$2 p src size recs ov cap pol out m=0
	for p in $PATTERNS; do
		read -r src size recs <<<"$(pattern_spec "$p")"
		for ov in $OVERSUB; do
			cap=$(capacity "$size" "$ov")
			for pol in opt $POLICIES; do
				# shellcheck disable=SC2046 # the run's arguments
				out=$(cd "$dir" && "$SIM" $(replay_args "$src" "$p" "$size" "$recs" \
					"$cap" "$pol" none off) --kind "$KIND" --fault-around-kb "$fa" \
					--json) || die "devmm-sim failed on $p at $ov%, $pol"
				printf '[{"source": "model", "pattern": "%s", "size": %d, "oversub": %d}, %s]\n' \
					"$p" "$size" "$ov" "$out"
				m=$((m + 1))
			done
		done
	done
	log "the model: $m replays on the host"
}

# kernel_runs DIR: the VM's side, as lines "[META, JSON]" (JSON {} for a
# run that failed), from DIR/results.log and DIR/runs.tsv.
kernel_runs()
{
	tr -d '\r' <"$1/results.log" | awk -F'\t' '
		NR == FNR { pat[$1] = $2; size[$1] = $3; ov[$1] = $5; pol[$1] = $7; pf[$1] = $8
			th[$1] = $9; next }
		$0 ~ /^STUDY [0-9]/ {
			split($0, f, " "); n = f[2]
			json = $0; sub(/^STUDY [0-9]+ [0-9]+ [0-9.]+ ?/, "", json)
			if (json !~ /^\{/) json = "{}"
			printf "[{\"source\": \"devmm\", \"n\": %d, \"rc\": %d, \"wall\": %s, ", n, f[3], f[4]
			printf "\"pattern\": \"%s\", \"size\": %d, \"oversub\": %d, ", pat[n], size[n], ov[n]
			printf "\"run_policy\": \"%s\", \"run_prefetch\": \"%s\", ", pol[n], pf[n]
			printf "\"run_thrashing\": \"%s\"}, %s]\n", th[n], json
		}' "$1/runs.tsv" -
}

# report DIR: records.jsonl, table.txt and the charts from an earlier run's
# DIR/results.log; prints the table; fails if a run failed or the VM did not
# finish.
report()
{
	local dir=$1 fa problems=() line splat f
	for f in results.log runs.tsv study.conf; do
		[ -f "$dir/$f" ] || die "no $f in $dir"
	done
	grep -q '^STUDYDONE' "$dir/results.log" ||
		problems+=("the VM did not finish the study (see console.log)")
	while read -r line; do
		problems+=("${line#STUDYERR }")
	done < <(tr -d '\r' <"$dir/results.log" | grep '^STUDYERR' || true)
	splat=$(cat "$dir/results.log" "$dir/console.log" 2>/dev/null | tr -d '\r' |
		grep -E 'BUG:|WARNING:|Oops|general protection|Kernel panic|KASAN|UBSAN|lockdep|INFO: task .* blocked' |
		head -n 20 || true)
	[ -z "$splat" ] || problems+=("kernel log: $splat")
	fa=$(tr -d '\r' <"$dir/results.log" | sed -n 's/^STUDYINFO .* fault_around_kb=\([0-9]*\).*/\1/p')

	{ kernel_runs "$dir"; model_runs "$dir" "${fa:-64}"; } | jq -c '.[0] + .[1]' \
		>"$dir/records.jsonl" || die "cannot parse the records"
	while read -r line; do
		problems+=("$line")
	done < <(jq -r 'select(.source == "devmm" and (.rc != 0 or .bad_pages != 0 or
		.cpu_read_mismatches != 0)) | "run \(.n) (\(.pattern), \(.oversub)%): exit status " +
		"\(.rc), \(.bad_pages // "-") pages lost their data"' "$dir/records.jsonl")

	jq -r 'select(.rc == 0 or .source == "model") | [.source, .pattern, .oversub,
		.run_policy // .policy, .run_prefetch // .prefetch, .run_thrashing // .thrashing,
		.device_faults, .pages_to_device, .pages_to_system, .evicted,
		.prefetched, .prefetch_hits, .thrashing_events, .thrashing_held, .seconds,
		.evict_failures, .size, .records, .capacity, .remote_accesses] | @tsv' \
		"$dir/records.jsonl" |
	awk -F'\t' -v patterns="$PATTERNS" -v oversub="$OVERSUB" -v policies="$POLICIES" \
		-v variants="$VARIANTS" -v batch="$BATCH" -v gran="$GRAN" -v kind="$KIND" \
		-v info="$(tr -d '\r' <"$dir/results.log" | sed -n 's/^STUDYINFO guest //p')" \
		-v done="$(tr -d '\r' <"$dir/results.log" | sed -n 's/^STUDYDONE //p')" \
		-v dat="$dir/policy.dat" -v pdat="$dir/prefetch.dat" '
	function mib(pages) { return sprintf("%.1f", pages * 4096 / 1048576) }
	{
		k = $2 SUBSEP $3 SUBSEP $4 SUBSEP $5 SUBSEP $6
		if ($1 == "model") {
			mf[$2, $3, $4] = $7
			msd[$2, $3, $4] = $8; mss[$2, $3, $4] = $9
		} else {
			have[k] = 1
			for (i = 7; i <= 16; i++) v[k, i] = $i
			v[k, 20] = $20
		}
		size[$2] = $17; recs[$2] = $18; cap[$2, $3] = $19
	}
	END {
		np = split(patterns, P, " "); no = split(oversub, O, " ")
		nq = split(policies, Q, " "); nv = split(variants, V, " ")
		printf "devmm policy study: %s device, --evict-batch %s, --granularity %s\n", kind, batch, gran
		printf "guest: %s\nthe VM: %s\n", info, done
		printf "faults = device faults (pages); model = devmm-sim'"'"'s faults for the same settings\n"
		printf "(prefetch none, thrashing off only); opt = Belady (the model'"'"'s, offline);\n"
		printf "to-dev, to-sys = MiB migrated to the device and to system memory; evicted,\n"
		printf "fails (evictions that could not move a page then), remote (pages the device\n"
		printf "accessed in system memory), prefetched (hits) in pages; thrash = thrashing\n"
		printf "events (faults held); seconds = the kernel'"'"'s time over the records\n\n"

		# The summary: device faults without prefetch or thrashing control.
		printf "Device faults, prefetch none, thrashing off (* = equal to opt)\n"
		printf "%-12s %5s", "pattern", "over"
		for (q = 1; q <= nq; q++) printf " %8s", Q[q]
		printf " %8s\n", "opt"
		for (p = 1; p <= np; p++) for (o = 1; o <= no; o++) {
			printf "%-12s %4s%%", P[p], O[o]
			for (q = 1; q <= nq; q++) {
				k = P[p] SUBSEP O[o] SUBSEP Q[q] SUBSEP "none" SUBSEP "off"
				f = (k in have) ? v[k, 7] : "-"
				printf " %7s%s", f, f != "-" && f == mf[P[p], O[o], "opt"] ? "*" : " "
			}
			printf " %8s\n", ((P[p], O[o], "opt") in mf) ? mf[P[p], O[o], "opt"] : "-"
		}

		for (p = 1; p <= np; p++) for (o = 1; o <= no; o++) {
			c = cap[P[p], O[o]]
			printf "\n== %s: %s MiB buffer (%d pages), %d records, %s%% of a %s MiB device (%d pages)\n",
				P[p], mib(size[P[p]] / 4096), size[P[p]] / 4096, recs[P[p]], O[o],
				mib(c / 4096), c / 4096
			printf "%-7s %-11s %-6s %7s %7s %8s %8s %7s %8s %6s %13s %9s %8s\n", "policy",
				"prefetch", "thrash", "faults", "model", "to-dev", "to-sys", "evicted",
				"fails", "remote", "prefetched", "thrash", "seconds"
			for (w = 1; w <= nv; w++) for (q = 1; q <= nq; q++) {
				pf = V[w]; sub(/\/.*/, "", pf); th = V[w]; sub(/.*\//, "", th)
				k = P[p] SUBSEP O[o] SUBSEP Q[q] SUBSEP pf SUBSEP th
				if (!(k in have)) {
					printf "%-7s %-11s %-6s   (no result)\n", Q[q], pf, th
					continue
				}
				m = (pf == "none" && th == "off" && ((P[p], O[o], Q[q]) in mf)) ? mf[P[p], O[o], Q[q]] : "-"
				printf "%-7s %-11s %-6s %7d %7s %8s %8s %7d %8d %6d %6d (%4d) %4d (%3d) %8.3f\n",
					Q[q], pf, th, v[k, 7], m, mib(v[k, 8]), mib(v[k, 9]), v[k, 10],
					v[k, 16], v[k, 20], v[k, 11], v[k, 12], v[k, 13], v[k, 14], v[k, 15]
			}
			if ((P[p], O[o], "opt") in mf)
				printf "%-7s %-11s %-6s %7d %7s %8s %8s %7s %8s %6s %13s %9s %8s\n", "opt", "none",
					"off", mf[P[p], O[o], "opt"], "-", mib(msd[P[p], O[o], "opt"]),
					mib(mss[P[p], O[o], "opt"]), "-", "-", "-", "-", "-", "-"
		}

		# The checks.
		printf "\nChecks (prefetch none, thrashing off):\n"
		nb = 0; nbad = 0; ne = 0; nm = 0; bad = ""; diff = ""; mono = ""
		for (p = 1; p <= np; p++) for (q = 1; q <= nq; q++) {
			prev = -1
			for (o = no; o >= 1; o--) {
				k = P[p] SUBSEP O[o] SUBSEP Q[q] SUBSEP "none" SUBSEP "off"
				if (!(k in have)) continue
				f = v[k, 7]
				if ((P[p], O[o], "opt") in mf) {
					nb++
					if (f + 0 < mf[P[p], O[o], "opt"] + 0 && ++nbad)
						bad = bad sprintf("    %s %s%% %s: %d faults, opt %d\n", P[p], O[o], Q[q], f, mf[P[p], O[o], "opt"])
				}
				if ((P[p], O[o], Q[q]) in mf) {
					nm++
					if (f == mf[P[p], O[o], Q[q]]) ne++
					else diff = diff sprintf("    %s %s%% %s: kernel %d, model %d\n", P[p], O[o], Q[q], f, mf[P[p], O[o], Q[q]])
				}
				# From the most oversubscribed down: no more faults.
				if (prev >= 0 && f + 0 > prev + 0)
					mono = mono sprintf("    %s %s: %d faults at %s%%, %d at %s%%\n", P[p], Q[q], f, O[o], prev, O[o + 1])
				prev = f
			}
		}
		printf "  opt a lower bound: %d of %d kernel runs have at least opt'"'"'s faults%s\n",
			nb - nbad, nb,
			batch == 1 && gran == "4K" ? "" : " (opt is not a proven bound at this batch or granularity)"
		printf "%s", bad
		printf "  kernel = model: %d of %d runs fault exactly as the model\n%s", ne, nm, diff
		printf "  fewer faults at less oversubscription: %s\n%s", mono ? "not everywhere" : "everywhere", mono

		# The charts: per pattern (gnuplot index), faults per oversubscription.
		for (p = 1; p <= np; p++) {
			printf "# %s: oversubscription", P[p] >dat
			for (q = 1; q <= nq; q++) printf " %s", Q[q] >dat
			printf " opt\n" >dat
			printf "# %s, lru: oversubscription", P[p] >pdat
			for (w = 1; w <= nv; w++) printf " %s", V[w] >pdat
			printf "\n" >pdat
			for (o = 1; o <= no; o++) {
				printf "%s", O[o] >dat
				for (q = 1; q <= nq; q++) {
					k = P[p] SUBSEP O[o] SUBSEP Q[q] SUBSEP "none" SUBSEP "off"
					printf " %s", (k in have) ? v[k, 7] : "NA" >dat
				}
				printf " %s\n", ((P[p], O[o], "opt") in mf) ? mf[P[p], O[o], "opt"] : "NA" >dat
				printf "%s", O[o] >pdat
				for (w = 1; w <= nv; w++) {
					pf = V[w]; sub(/\/.*/, "", pf); th = V[w]; sub(/.*\//, "", th)
					k = P[p] SUBSEP O[o] SUBSEP Q[1] SUBSEP pf SUBSEP th
					printf " %s", (k in have) ? mib(v[k, 8] + v[k, 9]) : "NA" >pdat
				}
				printf "\n" >pdat
			}
			printf "\n\n" >dat
			printf "\n\n" >pdat
		}
	}' >"$dir/table.txt"

	plot_charts "$dir" || problems+=("gnuplot failed")
	if [ ${#problems[@]} != 0 ]; then
		{
			echo
			echo "PROBLEMS:"
			printf '  %s\n' "${problems[@]}"
		} >>"$dir/table.txt"
	fi
	cat "$dir/table.txt"
	[ ${#problems[@]} = 0 ]
}

# plot_charts DIR: policy.png (device faults per policy, without prefetch
# or thrashing control, and opt's, one panel per pattern) and prefetch.png
# (what the first policy migrated with each prefetcher and thrashing
# setting), with gnuplot, from DIR/policy.dat and DIR/prefetch.dat.
plot_charts()
{
	local dir=$1 np cols rows
	np=$(wc -w <<<"$PATTERNS")
	cols=$((np < 3 ? np : 3))
	rows=$(((np + cols - 1) / cols))
	cat >"$dir/policy.gp" <<-EOF
	# Written by tests/lab/policy-report.sh; run with: gnuplot policy.gp
	pats = "$PATTERNS"
	pols = "$POLICIES"
	vars = "$VARIANTS"
	set datafile missing "NA"
	set xtics (${OVERSUB// /, })
	set xrange [$(($(tr ' ' '\n' <<<"$OVERSUB" | sort -n | head -n1) - 5)):$(($(tr ' ' '\n' <<<"$OVERSUB" | sort -n | tail -n1) + 5))]
	set yrange [0:*]
	set offsets 0, 0, graph 0.3, 0
	set grid
	set key top left font ",8"
	set xlabel "buffer, % of the device's capacity"
	set terminal png size $((cols * 500)),$((rows * 400 + 40)) font ",10"

	set output "policy.png"
	set multiplot layout $rows,$cols title "devmm: device faults per eviction policy ($KIND device, 4 KiB pages, --evict-batch $BATCH, --granularity $GRAN, no prefetch); opt = Belady (model)"
	set ylabel "device faults (pages)"
	do for [i = 1:words(pats)] {
		set title word(pats, i)
		plot for [c = 1:words(pols)] "policy.dat" index (i - 1) using 1:(column(c + 1)) \\
			with linespoints pt c title word(pols, c), \\
			"" index (i - 1) using 1:(column(words(pols) + 2)) with lines dt 2 lw 2 \\
			lc rgb "black" title "opt"
	}
	unset multiplot

	set output "prefetch.png"
	set multiplot layout $rows,$cols title "devmm: MiB migrated (to the device and back), policy ${POLICIES%% *}, per prefetcher/thrashing control"
	set ylabel "MiB migrated"
	do for [i = 1:words(pats)] {
		set title word(pats, i)
		plot for [c = 1:words(vars)] "prefetch.dat" index (i - 1) using 1:(column(c + 1)) \\
			with linespoints pt c title word(vars, c)
	}
	unset multiplot
	EOF
	(cd "$dir" && gnuplot policy.gp)
}

if [ "${1:-}" = --report ]; then
	dir=${2:?usage: policy-report.sh --report DIR}
	# shellcheck source=/dev/null
	. "$dir/study.conf"
	report "$dir"
	exit
fi

t0=$SECONDS
stamp=$(date +%Y%m%d-%H%M%S)
res="$TOP_DIR/out/policy-report/$stamp"
for p in $PATTERNS; do pattern_spec "$p" >/dev/null; done

bash "$LAB_DIR/setup.sh" "$lane"
# The chart needs gnuplot (the host's, from bookworm).
if ! dpkg -s gnuplot-nox >/dev/null 2>&1; then
	log "installing gnuplot-nox"
	DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -qq \
		--no-install-recommends gnuplot-nox >/dev/null || die "cannot install gnuplot-nox"
fi
trap lab_umount EXIT
mkdir -p "$res"
declare -p PATTERNS OVERSUB POLICIES VARIANTS MIB BATCH GRAN KIND >"$res/study.conf"

log "building devmm.ko for $(cat "$CACHE/kernels/$lane/abi")"
lab_build_module "$lane" ||
	{ tail -n 30 "$TOP_DIR/out/$lane/build.log"; die "devmm does not build"; }
lab_build_progs || die "building the test programs failed"

write_runs "$res"
nruns=$(wc -l <"$res/runs.tsv")
LAB_EXTRA_ROOT="$res/guest" lab_initramfs "$lane" "$TOP_DIR/tests/guest/policy-study.sh" \
	"$res/initrd.gz"
log "booting $(cat "$CACHE/kernels/$lane/abi") under QEMU (TCG): $nruns replays" \
	"($(wc -w <<<"$PATTERNS") patterns x $(wc -w <<<"$OVERSUB") oversubscriptions x" \
	"$(wc -w <<<"$VARIANTS") prefetch/thrashing settings x $(wc -w <<<"$POLICIES") policies);" \
	"$(($(pgrep -c qemu-system-x86 || true))) other QEMU VMs running"
t1=$SECONDS
lab_boot "$lane" "$res/initrd.gz" "$res" "${DEVMM_VM_TIMEOUT:-3600}" || true
log "the VM ran for $((SECONDS - t1))s"
rm -rf "$res/initrd.gz" "$res/guest"
ln -sfn "$stamp" "$TOP_DIR/out/policy-report/latest"
st=0
report "$res" || st=$?
log "results in out/policy-report/$stamp (out/policy-report/latest); total $((SECONDS - t0))s"
exit $st
