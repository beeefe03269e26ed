#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Turn one benchmark run (results.log of tests/guest/bench.sh's VM, and
# host-load.log) into
#   bench.txt   the raw records (SAMPLE: one per measurement; BENCH: per
#               round summaries; BENCHINFO: setup and counters)
#   table.txt   MB/s per workload and buffer kind over all rounds' samples,
#               devmm/test_hmm ratios, fractions of memcpy, the benchmark's
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
# A sample: key = module, kind, op, bytes (per process), processes.
/^SAMPLE / {
	b = val("bytes"); if (b == "") b = mib * 1048576
	pr = val("procs"); if (pr == "") pr = 1
	key = val("module") SUBSEP val("kind") SUBSEP val("op") SUBSEP b SUBSEP pr
	tot[key] = b * pr
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
		csmp[k, cc] = val("ns") / (b / (mib * 1048576))
	}
}
/^BENCH / && val("na") == 1 { na[val("module") SUBSEP val("kind") SUBSEP val("op")] = 1 }
function K(m, k, o, b, p) { return m SUBSEP k SUBSEP o SUBSEP b SUBSEP p }
function cell(key) {
	if (key in med) return sprintf("%.0f", med[key])
	split(key, kp, SUBSEP)
	return na[kp[1] SUBSEP kp[2] SUBSEP kp[3]] ? "N/A" : "missing"
}
# row TITLE KIND OP BYTES PROCS CEILING-KIND GRADED: one line of a table;
# GRADED: held to the targets (>= 1.5x, never below 1.0x).
function row(title, k, o, b, p, ck, graded,   t, d, ratio, bratio, ft, fd, target, ok, okb) {
	t = K("test_hmm", k, o, b, p); d = K("devmm", k, o, b, p)
	ratio = "-"; bratio = "-"; ft = "-"; fd = "-"; target = ""
	if ((t in med) && (d in med))
		ratio = sprintf("%.2fx", med[d] / med[t])
	if ((t in best) && (d in best))
		bratio = sprintf("%.2fx", best[d] / best[t])
	if (ck in ceil) {
		if (t in med) ft = sprintf("%.1f%%", 100 * med[t] / ceil[ck])
		if (d in med) fd = sprintf("%.1f%%", 100 * med[d] / ceil[ck])
	}
	if (graded) {
		nt++
		if ((t in med) && (d in med)) {
			# Noise rule: short only if the median and the best ratio both are.
			ok = med[d] >= 1.5 * med[t] || best[d] >= 1.5 * best[t]
			okb = med[d] >= med[t] || best[d] >= best[t]
			nmet += ok; nabove1 += okb
			target = ok ? ">=1.5x: met" : (okb ? ">=1.5x: MISSED" : "<1.0x: MISSED")
			if (ok && med[d] < 1.5 * med[t])
				target = target " (best samples only)"
			if (!ok)
				missed = missed sprintf("\n    - %s: %s (best samples: %s)", title, ratio, bratio)
		} else {
			target = "no figure"
			missed = missed sprintf("\n    - %s: no figure", title)
		}
	}
	printf "%-34s %8s %8s %6s %6s %8s %8s %8s %8s  %s\n", title, cell(t), cell(d), ratio,
		bratio, (t in nspp) ? sprintf("%.0f", nspp[t]) : "-",
		(d in nspp) ? sprintf("%.0f", nspp[d]) : "-", ft, fd, target
	printf "\"%s\" %s %s\n", title, (t in med) ? med[t] : "NA", (d in med) ? med[d] : "NA" > dat
}
# sorted SET OUT: the numeric indices of SET into OUT[1..n], ascending; n.
function sorted(set, out,   n, x, i, j, t) {
	n = 0
	for (x in set) out[++n] = x + 0
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && out[j - 1] > out[j]; j--) { t = out[j]; out[j] = out[j - 1]; out[j - 1] = t }
	return n
}
function header(what,   hdr) {
	printf "\n%s\n", what
	hdr = sprintf("%-34s %8s %8s %6s %6s %8s %8s %8s %8s  %s", "", "test_hmm", "devmm",
		"ratio", "best", "test_hmm", "devmm", "test_hmm", "devmm", "target")
	print hdr
	printf "%-34s %8s %8s %6s %6s %8s %8s %8s %8s\n", "", "MB/s", "MB/s", "dv/th", "dv/th",
		"ns/page", "ns/page", "%memcpy", "%memcpy"
	gsub(/./, "-", hdr); print hdr
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
		med[key] = tot[key] * 1e3 / medns[key]
		best[key] = tot[key] * 1e3 / v[1]
		nspp[key] = medns[key] / (tot[key] / 4096)
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
		if (kp[3] != "migrate_to_dev" || kp[2] ~ /\//) continue
		r = K(kp[1], kp[2], "dev_read_local", kp[4], kp[5])
		if (!(r in medns) || medns[key] <= medns[r]) continue
		net = K(kp[1], kp[2], "migrate_net", kp[4], kp[5])
		med[net] = tot[key] * 1e3 / (medns[key] - medns[r])
		nspp[net] = (medns[key] - medns[r]) / (tot[key] / 4096)
	}
	nops = split("migrate_to_dev cpu_fault migrate_to_sys dev_read dev_write dev_read_local migrate_net evict evict_pressure demand_read memcpy", ops, " ")
	name["migrate_to_dev"] = "migrate to device"
	name["cpu_fault"] = "CPU fault back"
	name["migrate_to_sys"] = "migrate to system"
	name["dev_read"] = "device read, fresh ptr"
	name["dev_write"] = "device write, fresh dst"
	name["dev_read_local"] = "device read, on device"
	name["migrate_net"] = "migrate to dev, net"
	name["evict"] = "eviction"
	name["evict_pressure"] = "migrate, 2x capacity"
	name["demand_read"] = "demand paging read"
	name["memcpy"] = "memcpy (ceiling)"
	split("4k thp", kinds, " ")
	kname["4k"] = "4 KiB"; kname["thp"] = "THP"
	nptr = split("fresh-4k faulted-4k fresh-thp faulted-thp", ptrs, " ")
	printf "devmm vs test_hmm, kernel %s under QEMU TCG (2 vCPUs), THP %s, one boot.\n", kernel, thp
	printf "MB/s = 10^6 bytes/s: the MEDIAN of all samples of %s rounds x %s repetitions, the rounds\n", rounds, reps
	printf "alternating test_hmm and devmm; ns/page = median time per 4 KiB page; best = the ratio of\n"
	printf "the best samples (noise rule: a cell misses a target only if its median ratio and its best\n"
	printf "ratio both do); %%memcpy = over the ceiling: the best memcpy of the same buffer kind in\n"
	printf "either module'"'"'s phases (4 KiB: %.0f MB/s, median %.0f, worst %.0f; THP: %.0f, median %.0f,\n", ceil["4k"], cmed["4k"], cworst["4k"], ceil["thp"], cmed["thp"]
	printf "worst %.0f).  migrate to device includes, as in test_hmm, reading the range back into the\n", cworst["thp"]
	printf "ptr buffer.  %s.\n", host
	print "# workload test_hmm devmm" > dat
	nt = 0; nmet = 0; nabove1 = 0; missed = ""

	header(sprintf("Workloads, %s MiB, one process (migrate to device: ptr faulted in, 4 KiB pages):", mib))
	for (j = 1; j <= 2; j++)
		for (i = 1; i <= nops; i++) {
			o = ops[i]; k = kinds[j]
			g = o != "memcpy" && o != "evict" && o != "dev_read_local" && o != "migrate_net" &&
				o != "demand_read" && o != "evict_pressure"
			row(name[o] ", " kname[k], k, o, bytes, 1, k, g)
		}

	header(sprintf("migrate to device by ptr buffer (read-back target), %s MiB, one process; cold = the first\nmigration after the module was loaded:", mib))
	for (j = 1; j <= 2; j++)
		for (i = 1; i <= nptr; i++) {
			k = kinds[j] "/" ptrs[i]
			row(kname[kinds[j]] " src, ptr " ptrs[i], k, "migrate_to_dev", bytes, 1, kinds[j], 1)
			row(kname[kinds[j]] " src, ptr " ptrs[i] ", cold", k, "migrate_to_dev_cold",
				bytes, 1, kinds[j], 1)
		}

	header("The fresh 4 KiB case (4 KiB source, fresh 4 KiB ptr) by size and by processes at once\n(each on its own device; test_hmm has two, so at 4 processes two share each):")
	for (key in med) {
		split(key, kp, SUBSEP)
		if (kp[1] != "devmm" || kp[2] != "4k/fresh-4k" || kp[3] != "migrate_to_dev") continue
		sz[kp[4] + 0] = 1; pc[kp[5] + 0] = 1
	}
	ns = sorted(sz, szs); np = sorted(pc, pcs)
	for (i = 1; i <= ns; i++)
		for (j = 1; j <= np; j++) {
			b = szs[i]; p = pcs[j]
			if (!(K("devmm", "4k/fresh-4k", "migrate_to_dev", b, p) in med) &&
			    !(K("test_hmm", "4k/fresh-4k", "migrate_to_dev", b, p) in med)) continue
			if (b == bytes && p == 1) continue
			row(sprintf("%g MiB x %d process%s", b / 1048576, p, p > 1 ? "es" : ""),
				"4k/fresh-4k", "migrate_to_dev", b, p, "4k", 1)
		}

	printf "\nThe benchmark'"'"'s targets:\n"
	printf "  every graded cell >= 1.5x test_hmm: %d of %d met%s\n", nmet, nt,
		nmet == nt ? "" : "; missed:" missed
	printf "  no cell below 1.0x: %d of %d\n", nabove1, nt
	f = K("devmm", "4k/faulted-4k", "migrate_to_dev", bytes, 1)
	if (f in med) {
		printf "  each ptr kind at >= 70%% of devmm'"'"'s own faulted 4 KiB figure (%.0f MB/s):\n", med[f]
		for (j = 1; j <= 2; j++)
			for (i = 1; i <= nptr; i++) {
				d = K("devmm", kinds[j] "/" ptrs[i], "migrate_to_dev", bytes, 1)
				if (d in med)
					printf "    %-5s src, ptr %-12s %5.0f%% %s\n", kname[kinds[j]], ptrs[i],
						100 * med[d] / med[f], (med[d] >= 0.7 * med[f]) ? "met" : "MISSED"
			}
	}
	printf "  device-fault-driven migration (demand paging read, 2 MiB granularity) >= 80%% of devmm'"'"'s\n  explicit migrate to device (the same work: migrate, then read back):\n"
	for (j = 1; j <= 2; j++) {
		d = K("devmm", kinds[j], "demand_read", bytes, 1)
		f = K("devmm", kinds[j], "migrate_to_dev", bytes, 1)
		if ((d in med) && (f in med))
			printf "    %-5s %6.0f vs %6.0f MB/s: %5.0f%% (best %.0f%%) %s\n", kname[kinds[j]],
				med[d], med[f], 100 * med[d] / med[f], 100 * best[d] / best[f],
				(med[d] >= 0.8 * med[f] || best[d] >= 0.8 * best[f]) ? "met" : "MISSED"
	}
	printf "  THP migrate to device >= 40%% of memcpy (THP source, any ptr kind):\n"
	for (i = 1; i <= nptr; i++) {
		d = K("devmm", "thp/" ptrs[i], "migrate_to_dev", bytes, 1)
		if ((d in med) && ("thp" in ceil))
			printf "    ptr %-12s %5.1f%% (best %.1f%%) %s\n", ptrs[i], 100 * med[d] / ceil["thp"],
				100 * best[d] / ceil["thp"],
				(med[d] >= 0.4 * ceil["thp"] || best[d] >= 0.4 * ceil["thp"]) ? "met" : "MISSED"
	}
	# What a fresh ptr costs without any device: the same source memcpy()d
	# into a fresh buffer of that ptr kind (the kernel faults it in).
	nfr = 0
	for (i = 1; i <= nptr; i++) {
		k = "thp/" ptrs[i]
		d = K("devmm", k, "migrate_to_dev", bytes, 1)
		if (!(k in ceil) || !("thp" in ceil) || !(d in med)) continue
		if (!nfr++)
			printf "  the same with no device: the THP source memcpy()d into a fresh ptr buffer\n  (both modules'"'"' phases, best; its page faults are the kernel'"'"'s), and devmm against it:\n"
		printf "    ptr %-12s memcpy %5.0f MB/s (median %.0f) = %5.1f%% of memcpy; devmm %5.1f%% of it (best %.1f%%)\n",
			ptrs[i], ceil[k], cmed[k], 100 * ceil[k] / ceil["thp"], 100 * med[d] / ceil[k],
			100 * best[d] / ceil[k]
	}
	printf "  eviction shared among the CPUs >= 1.5x devmm on one CPU (devmm-1cpu, copy_threads=1):\n"
	for (j = 1; j <= 2; j++)
		for (i = 1; i <= 2; i++) {
			o = i == 1 ? "evict" : "evict_pressure"
			a = K("devmm-1cpu", kinds[j], o, bytes, 1); d = K("devmm", kinds[j], o, bytes, 1)
			if ((a in med) && (d in med))
				printf "    %-22s %-5s %6.0f vs %6.0f MB/s: %4.2fx (best %4.2fx) %s\n",
					name[o], kname[kinds[j]], med[d], med[a], med[d] / med[a],
					best[d] / best[a],
					(med[d] >= 1.5 * med[a] || best[d] >= 1.5 * best[a]) ? "met" : "MISSED"
		}
	# devmm once more, with its copies and explicit migrations on one CPU.
	nsh = 0
	for (j = 1; j <= 2; j++)
		for (i = 1; i <= nops; i++) {
			k = kinds[j]; o = ops[i]
			a = K("devmm-1cpu", k, o, bytes, 1); d = K("devmm", k, o, bytes, 1)
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
			t = K("test_hmm", k, o, bytes, 1); d = K("devmm", k, o, bytes, 1)
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
