#!/bin/sh
# SPDX-License-Identifier: MIT
#
# touch-pages --arch arm64: the stage-2 levels user_mem_abort chooses.
# Slot 1 (ipa 0x40000000, 1 MiB, MADV_NOHUGEPAGE): 256 level-3 (4K)
# descriptors, no block.  Slot 2 (ipa 0x80000000, 4 MiB, 2M-aligned THP):
# two level-2 (2M) blocks, no page.  --stats must agree.
set -u
kvmsim=$1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

"$kvmsim" run touch-pages --arch arm64 --stats --trace "$tmp/t.jsonl" >"$tmp/out" 2>"$tmp/err" || {
	echo "FAIL: touch-pages (arm64) did not meet its manifest"; cat "$tmp/err"; exit 1; }

maps() {	# maps IPA_REGEX LEVEL
	grep '"event":"kvm_pgtable_stage2_map"' "$tmp/t.jsonl" |
		grep -c "\"ipa\":\"$1\",\"level\":$2,"
}
fail=0
check() {
	if [ "$2" != "$3" ]; then
		echo "FAIL: $1: got $2, want $3"
		fail=1
	fi
}
slot1='0x400[0-9a-f]\{5\}'
slot2='0x80[0-3][0-9a-f]\{5\}'
check "slot 1 level-3 pages" "$(maps "$slot1" 3)" 256
check "slot 1 level-2 blocks" "$(maps "$slot1" 2)" 0
check "slot 2 level-2 blocks" "$(maps "$slot2" 2)" 2
check "slot 2 level-3 pages" "$(maps "$slot2" 3)" 0
grep -q "^kvmsim: vm0: [0-9]* stage-2 faults, SPTEs installed 4K=[0-9]* 2M=2 1G=0," "$tmp/err" || {
	echo "FAIL: --stats line:"; grep "vm0" "$tmp/err"; fail=1; }
[ $fail = 0 ] && echo "ok: 256 4K pages in slot 1, 2 2M blocks in slot 2"
exit $fail
