#!/bin/sh
# SPDX-License-Identifier: MIT
# kvmsim step driven through a pipe, as a workshop terminal would drive it:
# stops, continue-to-event, the vCPU's registers, kvm_run, the SPTE of the
# faulting gpa, quitting early, and running to the end at end of input.
#   step-test.sh KVMSIM
set -u
kvmsim=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

printf 'n\nc kvm_tdp_mmu_map\nregs\nspte\nrun\nc kvm_vcpu_ioctl_run_return\nrun\nbogus\nq\n' |
	"$kvmsim" step hello >"$W/o" 2>"$W/e"
[ $? = 0 ] || fail "step exited $?: $(tail -5 "$W/e")"
# the first stop is after the first event; q ends the program there
[ "$(head -1 "$W/e" | cut -c1-39)" = "vmm       KVM_CREATE_VM: a new VM  vm=0" ] || fail "first: $(head -1 "$W/e")"
grep -q 'exits: 2' "$W/o" && fail "q did not stop the run: $(cat "$W/o")"
# c NAME stops right after that event: the SPTE it installed is there
grep -A1 'kvm_tdp_mmu_map: install the SPTE  gpa=0x10000 level=1 writable=true' "$W/e" |
	grep -q '^(kvmsim) rip 0x[0-9a-f]*  rsp 0x' || fail "regs after c: $(head -20 "$W/e")"
grep -q '^cr0 0x[0-9a-f]*  cr2 0x[0-9a-f]*  cr3 0x[0-9a-f]*  cr4' "$W/e" || fail "control registers"
grep -q '^(kvmsim) gpa 0x10000: level 1 (4K) from gfn 0x10, writable' "$W/e" || fail "spte: $(cat "$W/e")"
grep -q '^(kvmsim) exit_reason 2 (KVM_EXIT_IO)  io.port 0x1000 size 4 direction 1$' "$W/e" ||
	fail "run after the exit: $(grep exit_reason "$W/e")"
grep -q "^(kvmsim) unknown command 'bogus'" "$W/e" || fail "bad command"

# end of input: the rest runs to the end, the program's output is whole
printf 'c kvm_exit\n' | "$kvmsim" step hello >"$W/o" 2>"$W/e" || fail "to the end: $(tail -3 "$W/e")"
grep -q '^exits: 2$' "$W/o" || fail "program output: $(cat "$W/o")"
[ "$(grep -c '^(kvmsim) ' "$W/e")" = 2 ] || fail "prompts: $(grep -c '^(kvmsim) ' "$W/e")"

# arm64: the PC and system registers at a stage-2 abort
printf 'c kvm_handle_guest_abort\nregs\nq\n' | "$kvmsim" step hello --arch arm64 >/dev/null 2>"$W/a" ||
	fail "arm64: $(tail -3 "$W/a")"
grep -q '^(kvmsim) pc 0x[0-9a-f]*  sp 0x' "$W/a" || fail "arm64 regs: $(tail -4 "$W/a")"
grep -q '^sctlr_el1 0x[0-9a-f]*  ttbr0_el1 0x' "$W/a" || fail "arm64 sysregs"

# walk: the stage-1 walk as the tables are now (no A/D bit set by it);
# a table page stage 2 does not map yet is named, not faulted in
printf 'c handle_ept_violation\nwalk\nwalk 0x40000000\nwalk 0x8000000000\nq\n' |
	"$kvmsim" step hello >/dev/null 2>"$W/w" || fail "walk: $(tail -3 "$W/w")"
sed -n '/^(kvmsim) walk of gva 0x400000 /,/^  -> /p' "$W/w" >"$W/got"
cat >"$W/want" <<'X'
(kvmsim) walk of gva 0x400000 from cr3 0x10000:
  level 4  entry at gpa 0x10000: 0x11023 (P W A, table 0x11000)
  level 3  entry at gpa 0x11000: 0x12023 (P W A, table 0x12000)
  level 2  entry at gpa 0x12010: 0x4000a3 (P W A PS, page 0x400000)
  -> gpa 0x400000 (2M page)
X
diff "$W/want" "$W/got" >&2 || fail "walk of the faulting gva"
grep -A3 '^(kvmsim) walk of gva 0x40000000 ' "$W/w" | tail -1 |
	grep -qx '  table page 0x13000 is not in stage 2 yet: the walk takes a stage-2 fault here' ||
	fail "walk into a table stage 2 lacks: $(grep -A3 'gva 0x40000000 ' "$W/w")"
grep -A2 '^(kvmsim) walk of gva 0x8000000000 ' "$W/w" | tail -1 |
	grep -qx '  -> #PF, error code 0x0 at level 4' || fail "walk to a #PF"
printf 'c stage1_fault\nwalk\nq\n' | "$kvmsim" step el0-uffd --arch arm64 >/dev/null 2>"$W/w" ||
	fail "arm64 walk: $(tail -3 "$W/w")"
sed -n '/^(kvmsim) walk of va /,/^  -> /p' "$W/w" >"$W/got"
cat >"$W/want" <<'X'
(kvmsim) walk of va 0x80000000 from ttbr0_el1 0x10000:
  level 1  descriptor at ipa 0x10010: 0x11003 (table 0x11000)
  level 2  descriptor at ipa 0x11000: 0x12003 (table 0x12000)
  level 3  descriptor at ipa 0x12000: 0x0 (invalid)
  -> stage-1 fault, fsc 0x7 at level 3
X
diff "$W/want" "$W/got" >&2 || fail "arm64 walk"

# the narration is the stepper's: --explain is not an option of step
"$kvmsim" step hello --explain </dev/null >/dev/null 2>&1
[ $? = 2 ] || fail "step --explain accepted"
echo ok
