#!/bin/sh
# SPDX-License-Identifier: MIT
#
# scenario-test.sh KVMSIM MODE NAME [PROFILE]
#   native:      kvmsim run NAME --native (skipped, 77, without a usable /dev/kvm;
#                up to three attempts of 35 s, tests/native-retry.sh)
#   kvmsim:      kvmsim run NAME [--profile PROFILE]: the program meets its
#                manifest (the lines for that profile) under kvmsim
#   determinism: two runs with the same seed (under PROFILE, if given) give
#                byte-identical traces, and the trace names the kernel's
#                fault-path functions
set -u
kvmsim=$1 mode=$2 name=$3 profile=${4:-}
case $mode in
native)
	if ! [ -c /dev/kvm ] || ! (exec 3<>/dev/kvm) 2>/dev/null; then
		echo "SKIP: /dev/kvm is absent or cannot be opened" >&2
		exit 77
	fi
	exec sh "$(dirname "$0")/native-retry.sh" 35 "$kvmsim" run "$name" --native ;;
kvmsim)
	if [ -n "$profile" ]; then
		exec "$kvmsim" run "$name" --profile "$profile"
	fi
	exec "$kvmsim" run "$name" ;;
determinism)
	dir=$(mktemp -d) || exit 1
	trap 'rm -rf "$dir"' EXIT
	# the manifest decides what the run must do; here both runs must agree
	for i in 1 2; do
		"$kvmsim" run "$name" ${profile:+--profile "$profile"} --seed 7 \
			--trace "$dir/t$i.jsonl" >/dev/null 2>&1 || {
			echo "FAIL: run $i of $name does not meet its manifest" >&2; exit 1; }
	done
	cmp "$dir/t1.jsonl" "$dir/t2.jsonl" || { echo "FAIL: traces differ" >&2; exit 1; }
	# a scenario that never runs a vCPU has no fault path to look for
	grep -q '"event":"kvm_vcpu_ioctl_run_return"' "$dir/t1.jsonl" ||
		{ echo "ok: $(wc -l < "$dir/t1.jsonl") identical events (no KVM_RUN)"; exit 0; }
	for fn in kvm_mmu_page_fault kvm_faultin_pfn hva_to_pfn_fast kvm_tdp_mmu_map \
		kvm_vcpu_ioctl_run_return; do
		grep -q "\"event\":\"\($fn\)\"" "$dir/t1.jsonl" || {
			echo "FAIL: trace has no $fn event" >&2; exit 1; }
	done
	if grep -q '0x7f[0-9a-f]\{10\}' "$dir/t1.jsonl"; then
		echo "FAIL: a host address leaked into the trace" >&2; exit 1
	fi
	echo "ok: $(wc -l < "$dir/t1.jsonl") identical events" ;;
*)
	echo "usage: $0 KVMSIM native|kvmsim|determinism NAME [PROFILE]" >&2; exit 2 ;;
esac
