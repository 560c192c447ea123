#!/bin/sh
# SPDX-License-Identifier: MIT
#
# arm64-scenario-test.sh KVMSIM MODE NAME [PROFILE]
#   kvmsim:      kvmsim run NAME --arch arm64 [--profile PROFILE] meets its
#                (arm64) manifest
#   determinism: two runs with one seed give byte-identical traces that
#                name arm64's fault path (kvm_handle_guest_abort,
#                user_mem_abort, kvm_pgtable_stage2_map) and leak no host
#                address
set -u
kvmsim=$1 mode=$2 name=$3 profile=${4:-}
case $mode in
kvmsim)
	if [ -n "$profile" ]; then
		exec "$kvmsim" run "$name" --arch arm64 --profile "$profile"
	fi
	exec "$kvmsim" run "$name" --arch arm64 ;;
determinism)
	dir=$(mktemp -d) || exit 1
	trap 'rm -rf "$dir"' EXIT
	for i in 1 2; do
		"$kvmsim" run "$name" --arch arm64 --seed 7 --trace "$dir/t$i.jsonl" \
			--hash >/dev/null 2>"$dir/err$i" || {
			cat "$dir/err$i" >&2
			echo "FAIL: run $i of $name does not meet its manifest" >&2; exit 1; }
	done
	cmp "$dir/t1.jsonl" "$dir/t2.jsonl" || { echo "FAIL: traces differ" >&2; exit 1; }
	h1=$(grep 'hash' "$dir/err1") h2=$(grep 'hash' "$dir/err2")
	[ -n "$h1" ] && [ "$h1" = "$h2" ] || { echo "FAIL: hashes '$h1' '$h2'" >&2; exit 1; }
	for fn in kvm_handle_guest_abort user_mem_abort hva_to_pfn_fast kvm_pgtable_stage2_map \
		kvm_arch_vcpu_ioctl_vcpu_init; do
		grep -q "\"event\":\"$fn\"" "$dir/t1.jsonl" || {
			echo "FAIL: trace has no $fn event" >&2; exit 1; }
	done
	if grep -q '0x7f[0-9a-f]\{10\}' "$dir/t1.jsonl"; then
		echo "FAIL: a host address leaked into the trace" >&2; exit 1
	fi
	echo "ok: $(wc -l < "$dir/t1.jsonl") identical events, $h1" ;;
*)
	echo "usage: $0 KVMSIM kvmsim|determinism NAME" >&2; exit 2 ;;
esac
