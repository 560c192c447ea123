#!/bin/sh
# SPDX-License-Identifier: MIT
# The --report page as a browser shows it: headless Chromium (Debian's
# chromium) loads the file, runs its scripts, and the DOM it ends with is
# checked: the fault picked in the page (#fault=N) drawn as the guest's
# page-table walk, entry by entry with the A bits the walk set, and the
# stage-2 work for each page it touched (x86 EPT, arm64 S1PTW aborts);
# the narration folds; the timeline's rectangles; and a screenshot.
#   report-chromium-test.sh KVMSIM
set -u
kvmsim=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
chromium=$(command -v chromium || command -v chromium-browser) ||
	{ echo "SKIP: no chromium (Debian: apt-get install chromium)"; exit 77; }
browse() { # FILE#FRAGMENT, then chromium's own options
	url=file://$1
	shift
	"$chromium" --headless --no-sandbox --disable-gpu --user-data-dir="$W/profile" \
		"$@" "$url" 2>>"$W/chromium.log"
}
dom() { browse "$1" --dump-dom >"$2" || fail "chromium: $(tail -3 "$W/chromium.log")"; }
# the text of each element of CLASS inside the element with id ID, one a line
texts() { # FILE ID TAG-AND-CLASS
	sed -n "s|.*<div id=\"$2\">\(.*\)|\1|p" "$1" | sed 's|<div id="stage2">.*||' |
		grep -o "<$3[^>]*>[^<]*\(<span[^>]*>[^<]*</span>\)*" | sed 's/<[^>]*>//g'
}

"$kvmsim" run guest-pf --report "$W/g.html" --explain="$W/x" >/dev/null 2>&1 || fail "run guest-pf"
# the sixth fault: the guest's own #PF on a missing PTE
dom "$W/g.html#fault=6" "$W/d6"
grep -q '<section id="faults" data-faults="10">' "$W/d6" || fail "faults: $(grep -o '<section id="faults"[^>]*>' "$W/d6")"
grep -q '<option value="5">6. vcpu0: #PF to the guest: gva 0x140000000 error code 0x2</option>' "$W/d6" ||
	fail "fault list: $(grep -o '<option[^<]*' "$W/d6" | head -7)"
texts "$W/d6" walk 'div class="pte[^"]*"' >"$W/got"
cat >"$W/want" <<'X'
CR3 0x10000
L4 @0x10000 = 0x11023 [P W A]
L3 @0x11028 = 0x16003 [P W]
L2 @0x16000 = 0x17003 [P W]
L1 @0x17000 = 0x0 [ not present]
#PF error code 0x2 at level 1
X
diff "$W/want" "$W/got" >&2 || fail "x86 walk diagram (#PF)"
grep -o '<tr class="s2">.*' "$W/d6" | sed 's|</tr>|&\n|g; s|</td><td>|,|g; s|<[^>]*>||g' | grep . >"$W/got"
cat >"$W/want" <<'X'
kvm_mmu_page_fault,0x16000,level-2 table,,,0x0
kvm_tdp_mmu_map,0x16000,level-2 table,1,true,
kvm_mmu_page_fault,0x17000,level-1 table,,,0x0
kvm_tdp_mmu_map,0x17000,level-1 table,1,true,
kvm_inject_page_fault,,,,,0x2
X
diff "$W/want" "$W/got" >&2 || fail "x86 stage-2 diagram (#PF)"

# no fragment: the first fault, the entry point's fetch; the walk set A
dom "$W/g.html" "$W/d1"
texts "$W/d1" walk 'div class="pte[^"]*"' >"$W/got"
cat >"$W/want" <<'X'
CR3 0x10000
L4 @0x10000 = 0x11003 [P W] A set
L3 @0x11000 = 0x12003 [P W] A set
L2 @0x12010 = 0x400083 [P W PS] A set
gpa 0x400000 (0x200000 page)
X
diff "$W/want" "$W/got" >&2 || fail "x86 walk diagram (first fault)"
grep -q '<tr class="s2"><td>kvm_tdp_mmu_map</td><td>0x400000</td><td>the accessed page</td><td>1</td><td>true</td>' \
	"$W/d1" || fail "the accessed page's SPTE"
# the narration: one fold per depth-0 line of the text; the timeline drawn
folds=$(grep -o '<details class="entry">' "$W/d1" | wc -l)
[ "$folds" = "$(grep -c '^.\{10\}[^ ]' "$W/x")" ] && [ "$folds" -gt 0 ] || fail "$folds folds"
[ "$(grep -o '<rect ' "$W/d1" | wc -l)" -gt 0 ] || fail "no timeline drawn"

# arm64: each descriptor read is an S1PTW stage-2 abort, table by table
"$kvmsim" run s1ptw-uffd --report "$W/a.html" >/dev/null 2>&1 || fail "run s1ptw-uffd"
dom "$W/a.html#fault=1" "$W/a1"
texts "$W/a1" walk 'div class="pte[^"]*"' >"$W/got"
cat >"$W/want" <<'X'
TTBR 0x10000
L1 @0x10000 = 0x11003 [table]
L2 @0x11010 = 0x12003 [table]
L3 @0x12000 = 0x400703 [page AF RW]
ipa 0x400000 (0x1000)
X
diff "$W/want" "$W/got" >&2 || fail "arm64 walk diagram"
grep -o '<tr class="s2">.*' "$W/a1" | sed 's|</tr>|&\n|g; s|</td><td>|,|g; s|<[^>]*>||g' |
	grep '^kvm_handle_guest_abort' >"$W/got"
cat >"$W/want" <<'X'
kvm_handle_guest_abort,0x10000,level-1 table,,,s1ptw
kvm_handle_guest_abort,0x11010,level-2 table,,,s1ptw
kvm_handle_guest_abort,0x12000,level-3 table,,,s1ptw
kvm_handle_guest_abort,0x400000,the accessed page,,,exec
X
diff "$W/want" "$W/got" >&2 || fail "arm64 stage-2 diagram"

# what a reader sees: a screenshot of the page (PNG of the window's size)
browse "$W/g.html#fault=6" --window-size=1200,900 --screenshot="$W/s.png" >/dev/null ||
	fail "screenshot: $(tail -3 "$W/chromium.log")"
[ "$(od -An -tx1 -j1 -N3 "$W/s.png" | tr -d ' ')" = 504e47 ] || fail "screenshot is not a PNG"
[ "$(od -An -tu1 -j16 -N8 "$W/s.png" | awk '{ print $3 * 256 + $4, $7 * 256 + $8 }')" = "1200 900" ] ||
	fail "screenshot size: $(od -An -tu1 -j16 -N8 "$W/s.png")"
[ "$(wc -c <"$W/s.png")" -gt 20000 ] || fail "screenshot nearly empty"
echo ok
