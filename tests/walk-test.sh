#!/bin/sh
# SPDX-License-Identifier: MIT
# --explain-walk: the guest's stage-1 walk told entry by entry, with the
# A/D bits it sets, for x86 and arm64, checked against the page tables the
# guest runtimes build (x86: PML4 0x10000 -> PDPT 0x11000 -> PD 0x12000,
# 2M pages; arm64: TTBR0 0x10000, 39-bit VAs from level 1).  Off by
# default: the trace and the counts do not change with the level.
#   walk-test.sh KVMSIM
set -u
kvmsim=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
X86=kvm_mmu_pagetable_walk,kvm_mmu_paging_element,kvm_mmu_set_accessed_bit,kvm_mmu_set_dirty_bit,kvm_mmu_walker_error,walk_addr_generic
narrate() { # SCENARIO LEVEL EVENTS [ARGS...]
	s=$1 l=$2 e=$3
	shift 3
	"$kvmsim" run "$s" --explain --explain-walk="$l" --explain-events="$e" "$@" 2>&1 >/dev/null |
		grep -v '^kvmsim: '
}

# x86, the first walk: the fetch of the entry point; the tables are not
# in stage 2 yet (each read is a stage-2 fault, filtered out here), the
# walk sets A on every entry used and no D (a fetch)
narrate hello fault "$X86" >"$W/h" || fail "hello"
head -8 "$W/h" >"$W/first"
cat >"$W/want" <<'X'
vcpu0     the guest's page tables are walked for this gva  gva=0x400000 pferr=0x10 access=fetch cr3=0x10000 by=fault
vcpu0       entry read  level=4 pte_gpa=0x10000 pte=0x11003 (P W, table 0x11000)
vcpu0       entry read  level=3 pte_gpa=0x11000 pte=0x12003 (P W, table 0x12000)
vcpu0       entry read  level=2 pte_gpa=0x12010 pte=0x400083 (P W PS, page 0x400000)
vcpu0       the walk sets the entry's Accessed bit  level=4 pte_gpa=0x10000 pte=0x11023
vcpu0       the walk sets the entry's Accessed bit  level=3 pte_gpa=0x11000 pte=0x12023
vcpu0       the walk sets the entry's Accessed bit  level=2 pte_gpa=0x12010 pte=0x4000a3
vcpu0       the walk ends  gva=0x400000 gpa=0x400000 page_size=0x200000 writable=true dirty=false
X
diff "$W/want" "$W/first" >&2 || fail "x86 first walk"
# every stage-2 fault on a table page comes inside the walk that read it
"$kvmsim" run hello --explain-walk=fault --trace "$W/h.jsonl" >/dev/null 2>&1 || fail "hello trace"
grep -A1 '"event":"kvm_tdp_mmu_map".*"gpa":"0x11000"' "$W/h.jsonl" |
	grep -q '"event":"kvm_mmu_paging_element".*"level":3,"pte_gpa":"0x11000"' ||
	fail "the level-3 entry is not read right after its page is mapped"

# x86 guest #PF: the walk stops at the entry that faults, with the error
# code the guest gets (W, P|W, and a missing PML4E)
narrate guest-pf fault "$X86,kvm_inject_page_fault" >"$W/g" || fail "guest-pf"
grep -m1 -A4 'walked for this gva  gva=0x140000000 pferr=0x2' "$W/g" >"$W/pf"
cat >"$W/want" <<'X'
vcpu0     the guest's page tables are walked for this gva  gva=0x140000000 pferr=0x2 access=write cr3=0x10000 by=fault
vcpu0       entry read  level=4 pte_gpa=0x10000 pte=0x11023 (P W A, table 0x11000)
vcpu0       entry read  level=3 pte_gpa=0x11028 pte=0x16003 (P W, table 0x16000)
vcpu0       entry read  level=2 pte_gpa=0x16000 pte=0x17003 (P W, table 0x17000)
vcpu0       entry read  level=1 pte_gpa=0x17000 pte=0x0 (not present)
X
diff "$W/want" "$W/pf" >&2 || fail "x86 walk to a missing PTE"
grep -m1 -A2 'pte_gpa=0x17000 pte=0x0 (not present)' "$W/g" | sed -n 2,3p >"$W/pf"
cat >"$W/want" <<'X'
vcpu0       the walk fails: #PF for the guest  pferr=0x2 level=1
vcpu0     kvm_inject_page_fault: the guest's own page tables fault, #PF to the guest  gva=0x140000000 error_code=0x2
X
diff "$W/want" "$W/pf" >&2 || fail "x86 #PF after the walk"
grep -A1 'pte_gpa=0x17008 pte=0x40001021 (P A, page 0x40001000)' "$W/g" |
	grep -q 'the walk fails: #PF for the guest  pferr=0x3 level=1' || fail "read-only PTE: P|W"
grep -A1 'pte_gpa=0x10008 pte=0x0 (not present)' "$W/g" |
	grep -q 'the walk fails: #PF for the guest  pferr=0x0 level=4' || fail "missing PML4E"

# all: the TLB fills' walks too.  The CPU sets D on the first write through
# an entry (no exit); KVM takes no fault for most of them in touch-pages
narrate hello all "$X86" >"$W/a" || fail "hello all"
grep -A4 'gva=0x402000 pferr=0x2 access=write cr3=0x10000 by=tlb_fill' "$W/a" | head -5 >"$W/d"
cat >"$W/want" <<'X'
vcpu0     the guest's page tables are walked for this gva  gva=0x402000 pferr=0x2 access=write cr3=0x10000 by=tlb_fill
vcpu0       entry read  level=4 pte_gpa=0x10000 pte=0x11023 (P W A, table 0x11000)
vcpu0       entry read  level=3 pte_gpa=0x11000 pte=0x12023 (P W A, table 0x12000)
vcpu0       entry read  level=2 pte_gpa=0x12010 pte=0x4000a3 (P W A PS, page 0x400000)
vcpu0       the walk sets the leaf's Dirty bit  level=2 pte_gpa=0x12010 pte=0x4000e3
X
diff "$W/want" "$W/d" >&2 || fail "x86 D bit set by the fill's walk"
grep -q 'by=fault' "$W/a" || fail "all has the fault walks too"
"$kvmsim" run touch-pages --stats --explain-walk=all --trace "$W/t.jsonl" >/dev/null 2>"$W/s1" || fail "touch-pages all"
"$kvmsim" run touch-pages --stats >/dev/null 2>"$W/s0" || fail "touch-pages"
diff "$W/s0" "$W/s1" >&2 || fail "tracing the walk changed the run's counts"
# fill walks that set D, and whether KVM is entered next (a fault walk
# or an EPT violation) or the guest goes on
awk 'after { n++; if ($0 !~ /"by":"fault"|"event":"handle_ept_violation"/) quiet++; after = 0 }
     /"event":"kvm_mmu_pagetable_walk".*"by":"tlb_fill"/ { w = 1; d = 0; next }
     w && /"event":"kvm_mmu_set_dirty_bit"/ { d = 1 }
     w && /"event":"(walk_addr_generic|kvm_mmu_walker_error)"/ { w = 0; after = d }
     END { print n + 0, quiet + 0 }' "$W/t.jsonl" >"$W/n"
read -r dirty quiet <"$W/n"
[ "$dirty" -ge 256 ] && [ "$quiet" -ge 250 ] ||
	fail "touch-pages: $dirty fill walks set D, $quiet of them without an EPT violation"

# --explain-depth 0: each walk's first line, not its entries
"$kvmsim" run hello --explain --explain-walk=fault --explain-depth=0 >/dev/null 2>"$W/d1"
grep -q 'walked for this gva' "$W/d1" && ! grep -q 'entry read' "$W/d1" || fail "depth 0"

# off (the default) leaves the trace as it was
"$kvmsim" run hello --hash >/dev/null 2>"$W/h0" || fail "hash"
"$kvmsim" run hello --hash --explain-walk=off >/dev/null 2>"$W/h1" || fail "hash off"
diff "$W/h0" "$W/h1" >&2 || fail "--explain-walk=off changed the trace"
"$kvmsim" run hello --trace "$W/plain.jsonl" >/dev/null 2>&1
grep -q 'kvm_mmu_paging_element\|walk_s1' "$W/plain.jsonl" && fail "walk events without --explain-walk"
"$kvmsim" run hello --explain-walk=some >/dev/null 2>"$W/e"
[ $? = 2 ] || fail "--explain-walk=some accepted"
KVMSIM_EXPLAIN_WALK=some "$kvmsim" exec -- "$(dirname "$kvmsim")/guest-bins/x86_64/hello" >/dev/null 2>"$W/e" &&
	fail "KVMSIM_EXPLAIN_WALK=some accepted"

# arm64: each descriptor read is a stage-2 access (S1PTW); the tables are
# faulted in one by one inside the walk
A64=walk_s1,walk_s1_desc,walk_s1_result,kvm_handle_guest_abort
narrate s1ptw-uffd fault "$A64" | head -9 >"$W/s"
cat >"$W/want" <<'X'
vcpu0     the guest's stage-1 tables are walked for this va  va=0x400000 access=exec el0=false ttbr=0x10000 by=fault
vcpu0     kvm_handle_guest_abort: stage-2 abort  ipa=0x10000 va=0x400000 access=s1ptw pc=0x400000
vcpu0       descriptor read  level=1 desc_ipa=0x10000 desc=0x11003 (table 0x11000)
vcpu0     kvm_handle_guest_abort: stage-2 abort  ipa=0x11010 va=0x400000 access=s1ptw pc=0x400000
vcpu0       descriptor read  level=2 desc_ipa=0x11010 desc=0x12003 (table 0x12000)
vcpu0     kvm_handle_guest_abort: stage-2 abort  ipa=0x12000 va=0x400000 access=s1ptw pc=0x400000
vcpu0       descriptor read  level=3 desc_ipa=0x12000 desc=0x400703 (page 0x400000, AF set, read/write)
vcpu0       the walk ends  va=0x400000 ipa=0x400000 size=0x1000 writable=true mmu_off=false
vcpu0     kvm_handle_guest_abort: stage-2 abort  ipa=0x400000 va=0x400000 access=exec pc=0x400000
X
diff "$W/want" "$W/s" >&2 || fail "arm64 walk with S1PTW faults"
# the guest's own translation fault: EL0 runs at a VA whose level-3
# descriptor is invalid
narrate el0-uffd fault "$A64,stage1_fault" | grep -B4 -A1 'fsc=0x7 level=3$' | head -6 >"$W/f"
cat >"$W/want" <<'X'
vcpu0     the guest's stage-1 tables are walked for this va  va=0x80000000 access=exec el0=true ttbr=0x10000 by=fault
vcpu0       descriptor read  level=1 desc_ipa=0x10010 desc=0x11003 (table 0x11000)
vcpu0       descriptor read  level=2 desc_ipa=0x11000 desc=0x12003 (table 0x12000)
vcpu0       descriptor read  level=3 desc_ipa=0x12000 desc=0x0 (invalid)
vcpu0       the walk ends  va=0x80000000 fsc=0x7 level=3
vcpu0     the guest's own stage-1 tables fault: an abort for the guest  va=0x80000000 fsc=0x7 level=3
X
diff "$W/want" "$W/f" >&2 || fail "arm64 stage-1 translation fault"
# all: the fills' walks, which read through stage 2 without faulting
narrate hello all "$A64" --arch arm64 | head -2 >"$W/af"
cat >"$W/want" <<'X'
vcpu0     the guest's stage-1 tables are walked for this va  va=0x400000 access=exec el0=false ttbr=0x10000 by=tlb_fill
vcpu0       the walk ends  va=0x400000 s1ptw_ipa=0x10000 level=1
X
diff "$W/want" "$W/af" >&2 || fail "arm64 fill walk"
echo ok
