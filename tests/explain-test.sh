#!/bin/sh
# SPDX-License-Identifier: MIT
# --explain: narration from the structured events, kernel vocabulary,
# exits by name, filters, two VMs' vCPUs told apart, and stage-2 fault
# counts that are the faults KVM takes (not the engine's own refills).
#   explain-test.sh KVMSIM
set -u
kvmsim=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# touch-pages: every stage-2 fault installs one SPTE (no MMIO, no retry),
# so faults = SPTEs installed; the first write to a page whose SPTE is
# already writable is no fault (the CPU sets the guest PTE's D bit)
"$kvmsim" run touch-pages --stats --trace "$W/t.jsonl" --explain="$W/x" >/dev/null 2>"$W/e" ||
	fail "touch-pages: $(cat "$W/e")"
set -- $(sed -n 's/^kvmsim: vm0: \([0-9]*\) stage-2 faults, SPTEs installed 4K=\([0-9]*\) 2M=\([0-9]*\) 1G=\([0-9]*\),.*/\1 \2 \3 \4/p' "$W/e")
[ $# = 4 ] || fail "no stats line: $(cat "$W/e")"
[ "$1" = $(($2 + $3 + $4)) ] || fail "stage-2 faults $1 != SPTEs installed $2+$3+$4"
n=$(grep -c '"event":"kvm_mmu_page_fault"' "$W/t.jsonl")
[ "$n" = "$1" ] || fail "$n kvm_mmu_page_fault events, $1 counted"
[ "$(grep -c 'kvm_mmu_page_fault: stage-2 (TDP) fault' "$W/x")" = "$1" ] || fail "narrated faults"
grep -qi 'unicorn' "$W/x" && fail "engine words in the narration: $(grep -i unicorn "$W/x" | head -1)"

# an EPT violation only where the SPTE does not allow the access: each is
# followed by the stage-2 fault (guest-pf also writes its page tables,
# which the CPU does without one); x86 lines carry RIP and the instruction
"$kvmsim" run guest-pf --trace "$W/g.jsonl" >/dev/null 2>&1 || fail "guest-pf"
for t in "$W/t.jsonl" "$W/g.jsonl"; do
	n=$(grep -A1 '"event":"handle_ept_violation"' "$t" | grep -c '"event":"kvm_mmu_page_fault"')
	[ "$n" = "$(grep -c '"event":"handle_ept_violation"' "$t")" ] ||
		fail "$t: an EPT violation without a stage-2 fault"
done
grep -q '"event":"kvm_mmu_track_write"' "$W/g.jsonl" || fail "guest-pf wrote no page table"
grep -q 'handle_ept_violation: EPT violation.* access=write rip=0x[0-9a-f]* insn="[a-z]' "$W/x" ||
	fail "x86 rip/insn: $(grep -m2 handle_ept_violation "$W/x")"

# an EPT violation only where the SPTE does not allow the access: each is
# followed by the stage-2 fault (guest-pf also writes its page tables,
# which the CPU does without one); x86 lines carry RIP and the instruction
"$kvmsim" run guest-pf --trace "$W/g.jsonl" >/dev/null 2>&1 || fail "guest-pf"
for t in "$W/t.jsonl" "$W/g.jsonl"; do
	n=$(grep -A1 '"event":"handle_ept_violation"' "$t" | grep -c '"event":"kvm_mmu_page_fault"')
	[ "$n" = "$(grep -c '"event":"handle_ept_violation"' "$t")" ] ||
		fail "$t: an EPT violation without a stage-2 fault"
done
grep -q '"event":"kvm_mmu_track_write"' "$W/g.jsonl" || fail "guest-pf wrote no page table"
grep -q 'handle_ept_violation: EPT violation.* access=write rip=0x[0-9a-f]* insn="[a-z]' "$W/x" ||
	fail "x86 rip/insn: $(grep -m2 handle_ept_violation "$W/x")"

# exits by name
"$kvmsim" run hello --explain >/dev/null 2>"$W/h" || fail "hello"
grep -q '^vcpu0  *KVM_RUN returns to userspace  ret=0 exit_reason=5 (KVM_EXIT_HLT) filled=true$' "$W/h" ||
	fail "exit name: $(grep 'KVM_RUN returns' "$W/h")"
grep -q 'exit_reason=2 (KVM_EXIT_IO)' "$W/h" || fail "IO exit name"

# arm64: the aborting instruction as capstone wrote it (commas kept)
"$kvmsim" run touch-pages --arch arm64 --explain >/dev/null 2>"$W/a" || fail "arm64 touch-pages"
grep -q 'kvm_handle_guest_abort: stage-2 abort  ipa=0x[0-9a-f]* va=0x[0-9a-f]* access=write pc=0x[0-9a-f]* insn="stp x29, x30, \[sp, #-0x[0-9a-f]*\]!"' "$W/a" ||
	fail "arm64 insn: $(grep insn "$W/a" | head -3)"

# filters
"$kvmsim" run hello --explain --explain-depth=0 >/dev/null 2>"$W/d0" || fail "depth"
grep -q '^vcpu0     [^ ]' "$W/d0" || fail "depth 0 lost the entry points: $(cat "$W/d0")"
grep -q '^vcpu0      ' "$W/d0" && fail "depth 0 kept indented lines: $(grep '^vcpu0      ' "$W/d0" | head -2)"
"$kvmsim" run hello --explain --explain-events=kvm_exit >/dev/null 2>"$W/ev" || fail "events"
[ "$(grep -c 'vcpu_enter_guest: VM exit' "$W/ev")" = 2 ] || fail "events: $(cat "$W/ev")"
[ "$(grep -c '^vcpu0 ' "$W/ev")" = 2 ] || fail "events kept others: $(cat "$W/ev")"
"$kvmsim" run touch-pages --arch arm64 --explain --explain-gpa=0x40001000-0x40001fff >/dev/null 2>"$W/g" ||
	fail "gpa"
grep '^vcpu0 ' "$W/g" >"$W/g0"
[ "$(wc -l <"$W/g0")" -ge 3 ] || fail "gpa filter: $(cat "$W/g")"
grep -o '[ig]pa=0x[0-9a-f]*' "$W/g0" | grep -v '=0x40001[0-9a-f]\{3\}$' && fail "gpa outside the range"
grep -q 'kvm_pgtable_stage2_map.*ipa=0x40001000 level=3' "$W/g0" || fail "gpa story: $(cat "$W/g0")"
"$kvmsim" run hello --explain --explain-gpa=12x >/dev/null 2>&1 && fail "bad --explain-gpa accepted"

# two VMs: the second VM's vCPU is vm1.vcpu0, by actor filter too
"$kvmsim" run private-convert-churn --explain --explain-actor=vm1.vcpu0 --explain-depth=0 \
	>/dev/null 2>"$W/v" || fail "two VMs"
grep -q '^vm1.vcpu0 ' "$W/v" || fail "no vm1.vcpu0: $(head -3 "$W/v")"
grep -q '^vcpu0 ' "$W/v" && fail "actor filter kept vcpu0"
"$kvmsim" compare private-convert-churn --profile upstream >"$W/c" || fail "compare two VMs"
grep -q '^vm1.vcpu0 KVM_RUN #1 returns ' "$W/c" || fail "compare: no vm1.vcpu0 rows: $(cat "$W/c")"
echo ok
