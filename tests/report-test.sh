#!/bin/sh
# SPDX-License-Identifier: MIT
# --report FILE.html: one self-contained file (no network resources); the
# narration folded at each entry point; the timeline drawn by its inline
# script (run here with node against a minimal DOM: one rectangle per
# slice, one line per wake-up flow, one label per actor); compare's table
# with exactly the rows that differ highlighted.
#   report-test.sh KVMSIM
set -u
kvmsim=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v node >/dev/null || { echo "SKIP: no node to run the report's script"; exit 77; }

"$kvmsim" run demand-paging --report "$W/r.html" --explain="$W/x" >/dev/null 2>"$W/e" ||
	fail "run: $(cat "$W/e")"
grep -q '^<!DOCTYPE html>' "$W/r.html" || fail "not HTML"
grep -Eq '(src|href)=|<link|@import|url\(' "$W/r.html" && fail "external resources in the report"
grep -q '<p id="verdict" class="ok">demand-paging: meets its manifest (kvmsim, profile upstream)</p>' \
	"$W/r.html" || fail "verdict"
# the narration the user asked for too, and one fold per entry point
entries=$(grep -c '^[^ ]* *[^ ]' "$W/x")
[ "$(awk '{ a = index($0, " "); s = substr($0, a); sub(/^ +/, "", s); if (length($0) - length(s) <= (a > 10 ? a : 10)) n++ } END { print n }' "$W/x")" = \
	"$(grep -o '<details class="entry">' "$W/r.html" | wc -l)" ] || fail "folds != entry points"
[ "$entries" -gt 0 ] || fail "no narration"
cat >"$W/dom.js" <<'JS'
const fs = require('fs');
const html = fs.readFileSync(process.argv[2], 'utf8');
const data = /<script type="application\/json" id="tl-data">([\s\S]*?)<\/script>/.exec(html)[1];
const code = /<script>([\s\S]*?)<\/script>\s*<\/body>/.exec(html)[1];
const made = {};
function node(tag) {
	return { tag, attrs: {}, kids: [], textContent: '',
		setAttribute(k, v) { this.attrs[k] = v; },
		appendChild(c) { this.kids.push(c); return c; },
		get lastChild() { return this.kids[this.kids.length - 1]; } };
}
const svg = node('svg');
global.document = {
	getElementById(id) { return id === 'tl' ? svg : id === 'tl-data' ? { textContent: data } : null; },
	createElementNS(ns, tag) { made[tag] = (made[tag] || 0) + 1; return node(tag); },
};
eval(code);
const ev = JSON.parse(data).traceEvents;
const slices = ev.filter(e => e.ph === 'X').length;
const flows = ev.filter(e => e.ph === 'f').length;
const actors = new Set(ev.filter(e => e.ph === 'X').map(e => e.tid)).size;
const bad = svg.kids.filter(k => k.tag === 'rect' && !(+k.attrs.x >= 110 && +k.attrs.x <= 1001));
if (made.rect !== slices || made.line !== flows || made.text !== actors || bad.length)
	throw new Error(JSON.stringify({ made, slices, flows, actors, bad: bad.length }));
console.log(`drawn: ${slices} slices, ${flows} flows, ${actors} actors`);
JS
node "$W/dom.js" "$W/r.html" >"$W/n" 2>&1 || fail "timeline script: $(cat "$W/n")"

# replay: the report of a failing schedule, replay's exit status kept
mkdir "$W/runs"
"$kvmsim" explore racy-vmm --runs 50 --out "$W/runs" >/dev/null 2>&1
[ $? = 1 ] || fail "explore racy-vmm found no failure"
"$kvmsim" replay "$W"/runs/racy-vmm.*.schedule --report "$W/p.html" >/dev/null 2>"$W/e"
[ $? = 86 ] || fail "replay --report: $(tail -3 "$W/e")"
grep -q '<p id="verdict" class="fail">replay of .*racy-vmm\.[0-9]*\.schedule: exit status 86 (an oracle failed)</p>' \
	"$W/p.html" || fail "replay verdict: $(grep -o '<p id="verdict".*' "$W/p.html")"
grep -q '"event":"handle_userfault"' "$W/p.html" || fail "replay report without the userfault"
"$kvmsim" shrink "$W"/runs/racy-vmm.*.schedule --report "$W/s.html" >/dev/null 2>&1
[ $? = 2 ] || fail "shrink --report accepted"

# compare: the rows that differ are highlighted, no others
"$kvmsim" compare stale-memory-fault --profile upstream --profile upstream+reset-exit-reason \
	--report "$W/c.html" >"$W/t" || fail "compare"
"$kvmsim" compare stale-memory-fault --profile upstream --profile upstream+reset-exit-reason \
	--diff >"$W/d" || fail "compare --diff"
[ "$(grep -c 'class="differs"' "$W/c.html")" = "$(($(wc -l <"$W/d") - 1))" ] ||
	fail "highlighted rows: $(grep -c 'class="differs"' "$W/c.html") vs $(cat "$W/d")"
grep -q '<tr class="differs"><td>oracle stale-kvm-run</td><td class="fail">FAIL</td><td>pass</td></tr>' \
	"$W/c.html" || fail "oracle row"
echo ok
