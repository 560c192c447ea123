#!/bin/sh
# SPDX-License-Identifier: MIT
#
# x86-ipi-explore.sh KVMSIM: explore finds ipi-wakeup's planted lost
# wakeup (an IPI delivered while vCPU 1 is out in userspace between its
# flag test and its hlt) with random and with pct; replay gives the same
# verdict and trace hash twice; the replayed trace shows the window (vCPU
# 1's exit, vCPU 0's IPI, the interrupt injected on re-entry, then a hlt
# that never wakes) and --explain narrates it with the kernel's names.
set -u
kvmsim=$1
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# the default schedule is not a failing one
"$kvmsim" run ipi-wakeup >"$dir/run" 2>&1 || { cat "$dir/run" >&2; fail "default schedule"; }

for s in random pct; do
	mkdir "$dir/$s"
	"$kvmsim" explore --strategy $s --runs 100 --out "$dir/$s" ipi-wakeup >"$dir/$s.out" 2>&1
	grep -q "FAILED run .*: oracle deadlock: .*vcpu1 on kvm_vcpu_block" "$dir/$s.out" ||
		{ cat "$dir/$s.out" >&2; fail "explore --strategy $s found no lost wakeup in 100 runs"; }
	echo "$s: $(grep '^FAILED run' "$dir/$s.out" | cut -d: -f1)"
done

f=$(ls "$dir"/pct/ipi-wakeup.*.schedule | head -1)
grep -qx "scenario ipi-wakeup" "$f" || fail "schedule names no scenario"
for i in 1 2; do
	"$kvmsim" replay --hash --trace "$dir/t$i.jsonl" "$f" >"$dir/r$i" 2>&1
	grep -q "FAILED oracle deadlock: .*vcpu1 on kvm_vcpu_block" "$dir/r$i" ||
		{ cat "$dir/r$i" >&2; fail "replay $i"; }
done
h1=$(grep "trace hash" "$dir/r1") h2=$(grep "trace hash" "$dir/r2")
[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "hashes '$h1' '$h2'"
cmp -s "$dir/t1.jsonl" "$dir/t2.jsonl" || fail "replayed traces differ"

# the window, in trace order: vCPU 1 exits to report idle, vCPU 0's IPI
# reaches its APIC (IRR), vCPU 1 takes it on re-entry (vector 0xf1 = 241), then halts and
# blocks with no wakeup after
grep -e '"actor":"vcpu1","event":"kvm_exit","exit_reason":2' \
	-e '"actor":"vcpu0","event":"kvm_apic_set_irq","vcpu":"vcpu1"' \
	-e '"actor":"vcpu1","event":"kvm_inj_virq","vector":241' \
	-e '"actor":"vcpu1","event":"kvm_emulate_halt"' \
	-e '"event":"kvm_vcpu_block","vcpu":"vcpu1"' \
	-e '"event":"kvm_vcpu_wakeup","vcpu":"vcpu1"' "$dir/t1.jsonl" | tail -5 |
	sed 's/.*"event":"\([a-z_0-9]*\)".*/\1/' | tr '\n' ' ' >"$dir/last"
[ "$(cat "$dir/last")" = "kvm_exit kvm_apic_set_irq kvm_inj_virq kvm_emulate_halt kvm_vcpu_block " ] ||
	fail "trace ends with '$(cat "$dir/last")', not exit, IPI, injection, hlt, block"

# --explain names the kernel functions along the way
"$kvmsim" replay --explain "$f" >"$dir/explain" 2>&1
for fn in kvm_apic_send_ipi kvm_apic_set_irq __apic_accept_irq kvm_inj_virq apic_set_eoi \
	  kvm_emulate_halt kvm_vcpu_block; do
	grep -q "^vcpu[01] *$fn: " "$dir/explain" || { cat "$dir/explain" >&2; fail "--explain lacks $fn"; }
done
grep -q "oracle verdict: the run failed.*oracle=deadlock" "$dir/explain" || fail "--explain lacks the verdict"
echo "ok: lost wakeup found by random and pct, replayed twice, $h1"
