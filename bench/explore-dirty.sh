#!/bin/sh
# SPDX-License-Identifier: MIT
#
# What one `kvmsim explore` run dirties: the user page faults of each
# forked run (perf's exceptions:page_fault_user tracepoint), split into
# writes (distinct pages: what an in-place reset would have to copy back)
# and reads (file pages the child maps again).  bench/RESULTS.md (j).
#
#   bench/explore-dirty.sh [BUILD_DIR [RUNS]]     (default: build 100)
#
# Needs perf (Debian: linux-perf) with tracepoints readable (root, or
# kernel.perf_event_paranoid <= -1).  The first process seen is the fork
# server; processes with fewer than 50 faults are not runs.

set -eu
build=${1:-build}
runs=${2:-100}
data=$(mktemp)
trap 'rm -f "$data" "$data.txt"' EXIT
perf record -q -o "$data" -e exceptions:page_fault_user -- \
	"$build/kvmsim" explore --runs "$runs" --jobs 1 -- "$build/scenarios/racy-vmm" -f 2>/dev/null
perf script -i "$data" -F pid,trace > "$data.txt" 2>/dev/null
# lines: PID address=0x... ip=0x... error_code=0x...; bit 1 of the error code: a write
awk '
{
	pid = $1; addr = $2; sub("address=0x", "", addr); ec = $4; sub("error_code=0x", "", ec)
	if (!(pid in seen)) { seen[pid] = 1; order[n++] = pid }
	all[pid]++
	if (index("2367abef", substr(ec, length(ec), 1))) {
		page = pid ":" substr(addr, 1, length(addr) - 3)
		if (!(page in written)) { written[page] = 1; w[pid]++ }
	} else {
		r[pid]++
	}
}
END {
	for (i = 1; i < n; i++) {
		p = order[i]
		if (all[p] < 50)
			continue
		k++; tw += w[p]; tr += r[p]
	}
	printf "%d runs: %.1f pages written per run, %.1f read faults per run; server: %d faults in all\n",
		k, tw / k, tr / k, all[order[0]]
}' "$data.txt"
