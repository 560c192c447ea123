#!/bin/sh
# SPDX-License-Identifier: MIT
#
# arm64-explore-test.sh KVMSIM: explore finds racy-vmm's lost wakeup on
# arm64, the schedule records the arch, and replaying it (without
# --arch) twice gives the same verdict and trace hash.
set -u
kvmsim=$1
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT

"$kvmsim" explore --arch arm64 --runs 50 --out "$dir" racy-vmm >"$dir/out" 2>&1
grep -q "FAILED run .*: oracle lost-wakeup" "$dir/out" || { cat "$dir/out"; echo "FAIL: no lost wakeup"; exit 1; }
f=$(ls "$dir"/racy-vmm.*.schedule | head -1)
grep -qx "arch arm64" "$f" || { echo "FAIL: schedule has no 'arch arm64' line"; exit 1; }
for i in 1 2; do
	"$kvmsim" replay --hash "$f" >"$dir/r$i" 2>&1
	grep -q "FAILED oracle lost-wakeup" "$dir/r$i" || { cat "$dir/r$i"; echo "FAIL: replay $i"; exit 1; }
done
h1=$(grep "trace hash" "$dir/r1") h2=$(grep "trace hash" "$dir/r2")
[ -n "$h1" ] && [ "$h1" = "$h2" ] || { echo "FAIL: hashes '$h1' '$h2'"; exit 1; }
echo "ok: lost wakeup found and replayed twice, $h1"
