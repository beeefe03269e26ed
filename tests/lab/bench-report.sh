#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Turn one benchmark run (results.log of tests/guest/bench.sh's VM, and
# host-load.log) into
#   bench.txt   the raw records (SAMPLE: one per measurement; BENCH: per
#               round summaries; BENCHINFO: setup and counters)
#   table.txt   MB/s per workload and buffer kind over all rounds' samples,
#               devmm/test_hmm ratios, fractions of memcpy, the issue's
#               targets met or missed
#   bench.dat, bench.gp, bench.png   the chart (gnuplot)
# and print table.txt.  Fails if the run is incomplete, reported an error or
# the guest kernel complained.  Can be re-run on an old results folder.
#
# usage: tests/lab/bench-report.sh RESULTS-DIR
. "$(dirname "$0")/lib.sh"

res=${1:?usage: bench-report.sh RESULTS-DIR}
[ -f "$res/results.log" ] || die "no $res/results.log"
tr -d '\r' <"$res/results.log" | grep -E '^(SAMPLE|BENCH|# exit )' >"$res/bench.txt" || true

problems=()
grep -q '^BENCHDONE' "$res/bench.txt" || problems+=("the VM did not finish the benchmark (see console.log)")
while read -r line; do
	problems+=("${line#BENCHERR }")
done < <(grep '^BENCHERR' "$res/bench.txt" || true)
while read -r _ _ name rc; do
	[ "$rc" = 0 ] || problems+=("$name exited with status $rc")
done < <(grep '^# exit bench-' "$res/bench.txt" || true)
# The guest boots with panic_on_warn; look for what it said anyway.
splat=$(cat "$res/results.log" "$res/console.log" 2>/dev/null | tr -d '\r' |
	grep -E 'BUG:|WARNING:|Oops|general protection|Kernel panic|KASAN|UBSAN|lockdep|INFO: task .* blocked' |
	head -n 20 || true)
[ -z "$splat" ] || problems+=("kernel log: $splat")

info=$(grep -m1 '^BENCHINFO guest ' "$res/bench.txt" || true)
kv() { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<<"$info"; }

# The host meanwhile: "time loadavg other-VMs" every 5 s.
host="host load not recorded"
if [ -s "$res/host-load.log" ]; then
	host=$(awk '{ n++; if ($2 > l) l = $2; if ($3 > 0) busy++; if ($3 > o) o = $3
			if ($4 > 0) { rss = $4; thp = $5 } }
		END {
			printf "host (2 cores) during the VM run: load average up to %.1f; other QEMU VMs running\n", l
			printf "in %d of %d samples (up to %d at once)", busy, n, o
			if (rss) printf "; at the end the host backed %.0f%% of the VM'"'"'s %.1f GiB RSS with THPs", 100 * thp / rss, rss / 1048576
		}' "$res/host-load.log")
fi

awk -v kernel="$(kv kernel)" -v mib="$(kv mib)" -v reps="$(kv reps)" \
	-v rounds="$(kv rounds)" -v thp="$(kv thp_enabled)" -v host="$host" \
	-v dat="$res/bench.dat" '
function val(key,   i, kv) {
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == key) return kv[2]
	}
	return ""
}
/^SAMPLE / {
	key = val("module") SUBSEP val("kind") SUBSEP val("op")
	c = ++cnt[key]
	smp[key, c] = val("ns")
	p = val("thp_pct")
	if (!(key in thpmin) || p < thpmin[key]) thpmin[key] = p
	if (!(key in thpmax) || p > thpmax[key]) thpmax[key] = p
	p = val("contig_pct")
	if (p != "") {
		if (!(key in cmin) || p < cmin[key]) cmin[key] = p
		if (!(key in cmax) || p > cmax[key]) cmax[key] = p
	}
	p = val("thp_after")
	if (p != "") {
		if (!(key in amin) || p < amin[key]) amin[key] = p
		if (!(key in amax) || p > amax[key]) amax[key] = p
	}
	# The ceiling: memcpy samples of both modules, per buffer kind.
	if (val("op") == "memcpy") {
		k = val("kind")
		cc = ++ccnt[k]
		csmp[k, cc] = val("ns")
	}
}
/^BENCH / && val("na") == 1 { na[val("module") SUBSEP val("kind") SUBSEP val("op")] = 1 }
function has(m, k, o) { return (m SUBSEP k SUBSEP o) in med }
function cell(m, k, o,   key) {
	key = m SUBSEP k SUBSEP o
	if (key in med) return sprintf("%.0f", med[key])
	return na[key] ? "N/A" : "missing"
}
END {
	bytes = mib * 1048576
	# Median (the lower one for an even count) and best, in MB/s.
	for (key in cnt) {
		n = cnt[key]
		for (i = 1; i <= n; i++) v[i] = smp[key, i]
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		medns[key] = v[int((n + 1) / 2)]
		med[key] = bytes * 1e3 / medns[key]
		best[key] = bytes * 1e3 / v[1]
		nspp[key] = medns[key] / (bytes / 4096)
	}
	# One ceiling per buffer kind for both modules: the best memcpy (the
	# copy rate this boot demonstrably reached; the host is shared).
	for (k in ccnt) {
		n = ccnt[k]
		for (i = 1; i <= n; i++) v[i] = csmp[k, i]
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		ceil[k] = bytes * 1e3 / v[1]
		cmed[k] = bytes * 1e3 / v[int((n + 1) / 2)]
		cworst[k] = bytes * 1e3 / v[n]
	}
	# Derived: a migration to the device without the read-back that
	# HMM_DMIRROR_MIGRATE_TO_DEV adds (median minus median).
	for (key in medns) {
		split(key, kp, SUBSEP)
		if (kp[3] != "migrate_to_dev") continue
		r = kp[1] SUBSEP kp[2] SUBSEP "dev_read_local"
		if (!(r in medns) || medns[key] <= medns[r]) continue
		net = kp[1] SUBSEP kp[2] SUBSEP "migrate_net"
		med[net] = bytes * 1e3 / (medns[key] - medns[r])
		nspp[net] = (medns[key] - medns[r]) / (bytes / 4096)
	}
	nops = split("migrate_to_dev cpu_fault migrate_to_sys dev_read dev_read_local migrate_net evict memcpy", ops, " ")
	name["migrate_to_dev"] = "migrate to device"
	name["cpu_fault"] = "CPU fault back"
	name["migrate_to_sys"] = "migrate to system"
	name["dev_read"] = "device read (mirror)"
	name["dev_read_local"] = "device read, on device"
	name["migrate_net"] = "migrate to dev, net"
	name["evict"] = "eviction"
	name["memcpy"] = "memcpy (ceiling)"
	split("4k thp", kinds, " ")
	kname["4k"] = "4 KiB"; kname["thp"] = "THP"
	printf "devmm vs test_hmm, kernel %s under QEMU TCG (2 vCPUs), %s MiB buffers, THP %s.\n", kernel, mib, thp
	printf "MB/s = 10^6 bytes/s: the MEDIAN of all samples of %s rounds x %s repetitions (migrate to\n", rounds, reps
	printf "device: twice as many), the rounds alternating test_hmm and devmm in one boot; ns/page =\n"
	printf "median time per 4 KiB page; best = the ratio of the best samples (if it and the median\n"
	printf "ratio fall on different sides of a target, noise decided it); %%memcpy = over the ceiling:\n"
	printf "the best memcpy of the same buffer kind in either module'"'"'s phases (4 KiB: %.0f MB/s,\n", ceil["4k"]
	printf "median %.0f, worst %.0f; THP: %.0f, median %.0f, worst %.0f).\n", cmed["4k"], cworst["4k"], ceil["thp"], cmed["thp"], cworst["thp"]
	printf "migrate to device includes, as in test_hmm, reading the range back into user memory;\n"
	printf "\"migrate to dev, net\" subtracts the median on-device read from it (an estimate).\n"
	printf "%s.\n\n", host
	hdr = sprintf("%-22s %-6s %9s %9s %6s %6s %9s %9s %8s %8s  %s", "workload", "buffer",
		"test_hmm", "devmm", "ratio", "best", "test_hmm", "devmm", "test_hmm", "devmm",
		"target (issue 8)")
	print hdr
	printf "%-22s %-6s %9s %9s %6s %6s %9s %9s %8s %8s\n", "", "", "MB/s", "MB/s",
		"dv/th", "dv/th", "ns/page", "ns/page", "%memcpy", "%memcpy"
	gsub(/./, "-", hdr); print hdr
	print "# workload test_hmm devmm" > dat
	nt = 0; nmet = 0; missed = ""; thpfrac = -1; netfrac = -1
	for (j = 1; j <= 2; j++) {
		k = kinds[j]
		for (i = 1; i <= nops; i++) {
			o = ops[i]
			t = "test_hmm" SUBSEP k SUBSEP o; d = "devmm" SUBSEP k SUBSEP o
			ratio = "-"; bratio = "-"; ft = "-"; fd = "-"; target = ""
			if (has("test_hmm", k, o) && has("devmm", k, o))
				ratio = sprintf("%.2fx", med[d] / med[t])
			if ((t in best) && (d in best))
				bratio = sprintf("%.2fx", best[d] / best[t])
			if (o != "memcpy" && has("test_hmm", k, o) && (k in ceil))
				ft = sprintf("%.1f%%", 100 * med[t] / ceil[k])
			if (o != "memcpy" && has("devmm", k, o) && (k in ceil))
				fd = sprintf("%.1f%%", 100 * med[d] / ceil[k])
			if (o == "evict") {
				target = "(devmm only)"
			} else if (o == "dev_read_local") {
				target = "(diagnostic: the read-back in migrate to device)"
			} else if (o == "migrate_net") {
				target = "(derived: migrate to device minus that read-back)"
				if (k == "thp" && has("devmm", k, o) && (k in ceil))
					netfrac = med[d] / ceil[k]
			} else if (o != "memcpy") {
				nt++
				if (has("test_hmm", k, o) && has("devmm", k, o)) {
					ok = med[d] >= 1.5 * med[t]
					nmet += ok
					target = ok ? ">=1.5x: met" : ">=1.5x: MISSED"
					noisy = ok != (best[d] >= 1.5 * best[t])
					if (noisy) {
						target = target " (noise: best " bratio ")"
						nnoisy++
					}
					if (!ok)
						missed = missed sprintf("\n    - %s, %s: %s (best samples: %s)", name[o],
							kname[k], ratio, bratio)
				} else {
					target = ">=1.5x: no figure"
					missed = missed sprintf("\n    - %s, %s: no figure", name[o], kname[k])
				}
			}
			if (o == "migrate_to_dev" && k == "thp") {
				if (has("devmm", k, o) && (k in ceil)) {
					thpfrac = med[d] / ceil[k]
					thpbest = best[d] / ceil[k]
				}
				target = target sprintf("; >=40%% memcpy: %s", thpfrac >= 0.4 ? "met" : "MISSED")
			}
			nt_ = (t in nspp) ? sprintf("%.0f", nspp[t]) : "-"
			nd_ = (d in nspp) ? sprintf("%.0f", nspp[d]) : "-"
			printf "%-22s %-6s %9s %9s %6s %6s %9s %9s %8s %8s  %s\n", name[o], kname[k],
				cell("test_hmm", k, o), cell("devmm", k, o), ratio, bratio, nt_, nd_, ft,
				fd, target
			mt_ = (t in med) ? med[t] : "NA"
			md_ = (d in med) ? med[d] : "NA"
			printf "\"%s, %s\" %s %s\n", name[o], kname[k], mt_, md_ > dat
		}
	}
	printf "\nTargets of issue 8:\n"
	printf "  devmm >= 1.5x test_hmm on every workload (median samples): %d of %d met%s\n", nmet, nt,
		nmet == nt ? "" : "; missed:" missed
	if (nnoisy)
		printf "  (%d of these verdicts would flip on the best samples: noise decided them)\n", nnoisy
	if (thpfrac < 0)
		printf "  THP migrate to device >= 40%% of memcpy: no figure\n"
	else
		printf "  THP migrate to device >= 40%% of memcpy: %s (devmm median at %.1f%%, best sample at %.1f%%)\n",
			(thpfrac >= 0.4 ? "met" : "MISSED"), 100 * thpfrac, 100 * thpbest
	if (netfrac >= 0)
		printf "    (without the read-back the test_hmm ABI adds to it, derived: %.1f%% of memcpy)\n", 100 * netfrac
	# devmm once more, with its copies and explicit migrations on one CPU.
	nsh = 0
	for (j = 1; j <= 2; j++)
		for (i = 1; i <= nops; i++) {
			k = kinds[j]; o = ops[i]
			a = "devmm-1cpu" SUBSEP k SUBSEP o; d = "devmm" SUBSEP k SUBSEP o
			if (o == "memcpy" || !(a in med) || !(d in med)) continue
			if (!nsh++)
				printf "\nCopies of 64 pages or more, explicit migrations of several 2 MiB blocks and device reads\nshared among the CPUs (devmm, copy_threads=0: 2 vCPUs) vs on the calling CPU alone (devmm-1cpu,\ncopy_threads=1), median MB/s:\n"
			printf "  %-22s %-6s one CPU %6.0f  shared %6.0f  %5.2fx\n", name[o], kname[k],
				med[a], med[d], med[d] / med[a]
		}
	printf "\nBest sample (MB/s), samples, and the buffer at the start (min-max %%): its THP-backed\n"
	printf "share, and its pages that follow the previous one physically (contiguity); for the ways\n"
	printf "back from THP device memory (CPU fault, migrate to system, eviction): the THP-backed share\n"
	printf "of the buffer once back in system memory (back as THP):\n"
	for (j = 1; j <= 2; j++)
		for (i = 1; i <= nops; i++) {
			k = kinds[j]; o = ops[i]
			if (o == "migrate_net") continue
			t = "test_hmm" SUBSEP k SUBSEP o; d = "devmm" SUBSEP k SUBSEP o
			bt_ = (t in best) ? sprintf("%6.0f n=%-2d THP %3d-%3d contig %3d-%3d", best[t], cnt[t], thpmin[t], thpmax[t], cmin[t], cmax[t]) : "     -"
			bd_ = (d in best) ? sprintf("%6.0f n=%-2d THP %3d-%3d contig %3d-%3d", best[d], cnt[d], thpmin[d], thpmax[d], cmin[d], cmax[d]) : "     -"
			printf "  %-22s %-6s test_hmm %-41s devmm %s\n", name[o], kname[k], bt_, bd_
			if ((t in amin) || (d in amin))
				printf "  %-29s back as THP: test_hmm %s, devmm %s\n", "",
					(t in amin) ? amin[t] "-" amax[t] "%" : "-",
					(d in amin) ? amin[d] "-" amax[d] "%" : "-"
		}
}' "$res/bench.txt" >"$res/table.txt"
{
	echo
	echo "Setup and counters (BENCHINFO records):"
	grep '^BENCHINFO' "$res/bench.txt" | sed 's/^BENCHINFO /  /'
	if [ ${#problems[@]} != 0 ]; then
		echo
		echo "PROBLEMS:"
		printf '  %s\n' "${problems[@]}"
	fi
} >>"$res/table.txt"

cat >"$res/bench.gp" <<EOF
# Written by tests/lab/bench-report.sh; run with: gnuplot bench.gp
set terminal png size 1400,700 font ",10"
set output "bench.png"
set title "devmm vs test\\\\_hmm, $(kv kernel), QEMU TCG, $(kv mib) MiB buffers (median of $(kv rounds) rounds x $(kv reps) repetitions)"
set datafile missing "NA"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set ylabel "MB/s (log scale)"
set grid ytics
set key top left
set xtics rotate by -30 left font ",9"
set bmargin 9
set rmargin 8
plot "bench.dat" using 2:xtic(1) title "test\\\\_hmm" lc rgb "#7f7f7f", \\
     "" using 3 title "devmm" lc rgb "#1f77b4"
EOF
(cd "$res" && gnuplot bench.gp) || problems+=("gnuplot failed")
cat "$res/table.txt"
[ ${#problems[@]} = 0 ] || die "the benchmark run has problems (see above)"
