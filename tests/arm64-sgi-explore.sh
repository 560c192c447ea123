#!/bin/sh
# SPDX-License-Identifier: MIT
#
# arm64-sgi-explore.sh KVMSIM: explore finds sgi-wakeup's planted lost
# wakeup (an SGI taken between vCPU 1's flag test and its wfi), replay
# gives the same verdict and trace hash twice, and the replayed trace
# shows the window: vCPU 1 takes SGI 1, then blocks in wfi for good.
set -u
kvmsim=$1
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$kvmsim" explore --arch arm64 --runs 50 --out "$dir" sgi-wakeup >"$dir/out" 2>&1
grep -q "FAILED run .*: oracle deadlock: .*vcpu1 on kvm_vcpu_block" "$dir/out" ||
	{ cat "$dir/out" >&2; fail "explore found no lost wakeup"; }
f=$(ls "$dir"/sgi-wakeup.*.schedule | head -1)
grep -qx "arch arm64" "$f" || fail "schedule has no 'arch arm64' line"
for i in 1 2; do
	"$kvmsim" replay --hash --trace "$dir/t$i.jsonl" "$f" >"$dir/r$i" 2>&1
	grep -q "FAILED oracle deadlock" "$dir/r$i" || { cat "$dir/r$i" >&2; fail "replay $i"; }
done
h1=$(grep "trace hash" "$dir/r1") h2=$(grep "trace hash" "$dir/r2")
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "hashes '$h1' '$h2'"
cmp -s "$dir/t1.jsonl" "$dir/t2.jsonl" || fail "replayed traces differ"
# the window: SGI 1 taken by vCPU 1, then its wfi sleeps and nothing wakes it
grep -e '"event":"vgic_v3_populate_lr","vcpu":"vcpu1"' -e '"event":"kvm_vcpu_block","vcpu":"vcpu1"' \
	-e '"event":"kvm_vcpu_wakeup","vcpu":"vcpu1"' "$dir/t1.jsonl" | tail -2 |
	sed 's/.*"event":"\([a-z_0-9]*\)".*/\1/' | tr '\n' ' ' > "$dir/last"
[ "$(cat "$dir/last")" = "vgic_v3_populate_lr kvm_vcpu_block " ] ||
	fail "trace ends with '$(cat "$dir/last")', not the SGI then a wfi that never wakes"
echo "ok: lost wakeup found and replayed twice, $h1"
