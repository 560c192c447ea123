#!/bin/sh
# SPDX-License-Identifier: MIT
# The stage-2 faults --explain narrates are the faults the stats file
# counts, for one program (stats-touch: 64 fresh 4K pages read, written,
# read back), in kvmsim and, where the host's counters mean the same, on
# the host.
#   stats-fd-test.sh KVMSIM STATS-TOUCH kvmsim|native
set -u
kvmsim=$1 prog=$2 mode=$3
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
stat() { awk -v w="$1" -v n="$2" '$1 == w && $2 == n { print $3; f = 1 } END { if (!f) print "none" }' "$3"; }

"$kvmsim" exec --explain="$W/x" --trace "$W/t.jsonl" -- "$prog" >"$W/o" 2>"$W/e" ||
	fail "stats-touch in kvmsim: $(cat "$W/e")"
grep -q '^guest: 64 pages touched, 0 mismatches$' "$W/o" || fail "guest: $(head -3 "$W/o")"
faults=$(stat vm page_faults "$W/o")
narrated=$(grep -c 'kvm_mmu_page_fault: stage-2 (TDP) fault' "$W/x")
traced=$(grep -c '"event":"kvm_mmu_page_fault"' "$W/t.jsonl")
[ "$faults" = "$narrated" ] && [ "$faults" = "$traced" ] ||
	fail "stats fd page_faults $faults, narrated $narrated, traced $traced"
# one fault per data page (present and writable in the host), plus the
# code, stack and page-table pages
[ "$faults" -gt 64 ] && [ "$faults" -le 80 ] || fail "page_faults $faults"
sptes=$(($(stat vm spte_installs_4k "$W/o") + $(stat vm spte_installs_2m "$W/o") + $(stat vm spte_installs_1g "$W/o")))
[ "$sptes" = "$(grep -c 'kvm_tdp_mmu_map: install the SPTE' "$W/x")" ] || fail "SPTEs installed $sptes"
# the exits the vCPU counts are the ones KVM_RUN returned with
exits=$(stat vcpu exits "$W/o")
[ "$exits" = "$(grep -c 'KVM_RUN returns to userspace' "$W/x")" ] || fail "vcpu exits $exits"
[ "$mode" = kvmsim ] && { echo "ok: $faults stage-2 faults, $sptes SPTEs, $exits exits"; exit 0; }

# The host: its pf_taken (per vCPU) is the same count only where KVM
# maps guest memory with two-dimensional paging (EPT/NPT).
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no usable /dev/kvm"
[ -d /sys/module/kvm_pvm ] &&
	skip "host KVM is kvm_pvm (shadow paging): its pf_taken counts the guest's own page faults too, not stage-2 faults"
tdp=no
for p in /sys/module/kvm_intel/parameters/ept /sys/module/kvm_amd/parameters/npt; do
	[ -r "$p" ] && case $(cat "$p") in Y|1) tdp=yes ;; esac
done
[ $tdp = yes ] || skip "host KVM uses shadow paging (no EPT/NPT): pf_taken is not a stage-2 fault count"
KVMSIM=off "$prog" >"$W/n" 2>"$W/ne" || fail "stats-touch on the host: $(cat "$W/ne")"
grep -q '^guest: 64 pages touched, 0 mismatches$' "$W/n" || fail "host guest: $(head -3 "$W/n")"
taken=$(stat vcpu pf_taken "$W/n")
[ "$taken" != none ] || skip "the host's vCPU stats have no pf_taken"
[ "$taken" = "$faults" ] || fail "host pf_taken $taken, kvmsim $faults stage-2 faults"
echo "ok: host pf_taken $taken = kvmsim's"
