#!/bin/sh
# SPDX-License-Identifier: MIT
#
# touch-pages under kvmsim: the stage-2 levels of the fault path.
#
#   touch-pages-levels.sh KVMSIM
#
# Slot 1 (gpa 0x40000000, 1 MiB, MADV_NOHUGEPAGE, guest 4K pages): every
# one of its 256 pages gets its own 4K SPTE (level 1), none bigger.
# Slot 2 (gpa 0x80000000, 4 MiB, 2M-aligned THP, guest 2M pages): two 2M
# SPTEs (level 2) cover it, and no 4K SPTE is ever installed there.
# The --stats line must agree with the trace.

set -u
kvmsim=$1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

"$kvmsim" run touch-pages --stats --trace "$tmp/t.jsonl" >"$tmp/out" 2>"$tmp/err" || {
	echo "FAIL: touch-pages did not meet its manifest"; cat "$tmp/err"; exit 1; }

maps() {	# maps GPA_REGEX LEVEL: installs at gpas matching, at that level
	grep '"event":"kvm_tdp_mmu_map"' "$tmp/t.jsonl" |
		grep -c "\"gpa\":\"$1\",\"level\":$2,"
}

fail=0
check() {	# check WHAT GOT WANT
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1: got $2, want $3"
		fail=1
	fi
}
slot1='0x400[0-9a-f]\{5\}'	# [0x40000000, 0x40100000)
slot2='0x80[0-3][0-9a-f]\{5\}'	# [0x80000000, 0x80400000)
check "slot 1 4K SPTEs" "$(maps "$slot1" 1)" 256
check "slot 1 2M SPTEs" "$(maps "$slot1" 2)" 0
check "slot 2 2M SPTEs" "$(maps "$slot2" 2)" 2
check "slot 2 4K SPTEs" "$(maps "$slot2" 1)" 0
grep -q "^kvmsim: vm0: [0-9]* stage-2 faults, SPTEs installed 4K=[0-9]* 2M=2 1G=0," "$tmp/err" ||
	{ echo "FAIL: --stats line missing or 2M count wrong:"; grep "^kvmsim: vm" "$tmp/err"; fail=1; }
[ $fail = 0 ] && echo "ok: 256 4K SPTEs in slot 1, 2 2M SPTEs in slot 2"
exit $fail
