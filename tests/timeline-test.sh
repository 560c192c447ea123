#!/bin/sh
# SPDX-License-Identifier: MIT
# --timeline: Chrome trace-event JSON on a virtual-nanosecond axis, slices
# named for what each actor did, wake-up flows (KVM_RUN to the vCPU, the
# fault to the userfaultfd reader and back) and counter tracks that agree
# with --stats.
#   timeline-test.sh KVMSIM
set -u
kvmsim=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: no python3 to read the JSON"; exit 77; }

"$kvmsim" run demand-paging --cost --stats --timeline "$W/t.json" >/dev/null 2>"$W/e" ||
	fail "run: $(cat "$W/e")"
faults=$(sed -n 's/^kvmsim: vm0: \([0-9]*\) stage-2 faults.*/\1/p' "$W/e")
[ -n "$faults" ] || fail "no stats: $(cat "$W/e")"
python3 - "$W/t.json" "$faults" <<'PY' || fail "timeline"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["displayTimeUnit"] == "ns"
ev = d["traceEvents"]
tid = {e["args"]["name"]: e["tid"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
assert "vmm" in tid and "vcpu0" in tid, tid
# the axis is virtual time: with --cost a slice's span covers its virtual span
for e in ev:
    if e["ph"] == "X":
        a = e["args"]
        assert e["ts"] * 1000 + 0.5 >= a["vtime_start"], e
        assert e["dur"] * 1000 + 0.5 >= a["vtime_end"] - a["vtime_start"], e
        assert "ended_at" in a, e
# slices are named for what the actor did
names = {e["name"] for e in ev if e["ph"] == "X" and e["tid"] == tid["vcpu0"]}
assert "handle_ept_violation" in names or "kvm_mmu_page_fault" in names, names
# every flow arrow starts and ends; KVM_RUN: vmm -> vcpu0; a vCPU wakes a reader
start = {e["id"]: e for e in ev if e["ph"] == "s"}
end = {e["id"]: e for e in ev if e["ph"] == "f"}
assert start and set(start) == set(end), (len(start), len(end))
pairs = {(start[i]["tid"], end[i]["tid"]) for i in start}
# (the VMM's threads call KVM_RUN and read the userfaultfd)
threads = [t for n, t in tid.items() if n.startswith("thread")]
assert any((t, tid["vcpu0"]) in pairs for t in threads), "no KVM_RUN / wake -> vCPU flow"
assert any((tid["vcpu0"], t) in pairs for t in threads), "no vCPU -> thread flow (exit, fault)"
# counters: the last stage-2 fault count is what --stats says
c = [e for e in ev if e["ph"] == "C" and e["name"] == "vm0 stage-2 faults"]
assert c and c[-1]["args"]["value"] == int(sys.argv[2]), (c[-1:], sys.argv[2])
assert any(e["ph"] == "C" and e["name"] == "vm0 userfaults" for e in ev)
PY
echo ok
