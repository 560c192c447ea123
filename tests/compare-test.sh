#!/bin/sh
# SPDX-License-Identifier: MIT
# kvmsim compare and kvmsim profiles: exact rows, JSON, bad input.
#   compare-test.sh KVMSIM
set -u
kvmsim=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
row() {	# row FILE OBSERVABLE: the values of that row (across wrapped blocks), spaces squeezed
	grep "^$2  " "$1" | sed "s|^$2 *||; s/  */ /g; s/ *\$//" | paste -sd' '
}

"$kvmsim" compare stale-memory-fault --profile upstream --profile upstream+reset-exit-reason \
	--profile rfc-2023-v2 >"$W/t" 2>"$W/e" || fail "compare: $(cat "$W/e")"
# wider than 100 columns: wrapped into blocks, each with the key column
[ "$(row "$W/t" 'rule / observable')" = "upstream upstream+reset-exit-reason rfc-2023-v2" ] ||
	fail "header: $(grep '^rule' "$W/t")"
[ "$(awk 'length($0) > 100' "$W/t")" = "" ] || fail "wider than 100 columns: $(cat "$W/t")"
[ "$(row "$W/t" 'exit status')" = "86 0 86" ] || fail "exit status: $(row "$W/t" 'exit status')"
[ "$(row "$W/t" 'vcpu0 KVM_RUN #1 returns')" = "-1 EFAULT -1 EFAULT -1 EPERM" ] ||
	fail "run #1: $(row "$W/t" 'vcpu0 KVM_RUN #1 returns')"
# merged Linux annotates the private access (FLAG_PRIVATE), the 2023
# series the failed GUP (flags = its reason, UNKNOWN)
[ "$(row "$W/t" 'vcpu0 memory_fault after #1')" = "gpa 0x40000000 size 0x1000 flags 0x8 gpa 0x40000000 size 0x1000 flags 0x8 gpa 0x40000000 size 0x1000 flags 0x1" ] ||
	fail "memory_fault #1: $(row "$W/t" 'vcpu0 memory_fault after #1')"
[ "$(row "$W/t" 'vcpu0 exit_reason after #2')" = "39 MEMORY_FAULT (stale) 0 UNKNOWN 38 MEMORY_FAULT(rfc) (stale)" ] ||
	fail "exit_reason #2: $(row "$W/t" 'vcpu0 exit_reason after #2')"
[ "$(row "$W/t" 'oracle stale-kvm-run')" = "FAIL pass FAIL" ] ||
	fail "oracle row: $(row "$W/t" 'oracle stale-kvm-run')"
[ "$(row "$W/t" 'vm0 memory-fault exits')" = "1 1 1" ] || fail "counter row"
[ -s "$W/e" ] && fail "children's stderr leaked: $(cat "$W/e")"

# none given: the manifest's default profile, then its profiles; JSON
"$kvmsim" compare userfault-toggle --format json >"$W/j" || fail "json"
grep -q '^{"scenario":"userfault-toggle","profiles":\["userfault-v3","userfault-v3+userfault-zap-by-userspace","userfault-v3+userfault-clear-flush","upstream"\],"rows":\[{"observable":"exit status","values":\["0","0","0","0"\]}' "$W/j" ||
	fail "json head: $(head -c 300 "$W/j")"
grep -q '{"observable":"vm0 SPTEs installed 4K","values":\["1034","521","1546","521"\]}' "$W/j" ||
	fail "json row: $(cat "$W/j")"

# JSON escaping: a program name with a quote, a backslash, a tab and an ESC
odd=$(printf '%s/o"d\\d\t\033x' "$W")
ln -s "$(dirname "$kvmsim")/scenarios/hello" "$odd"
"$kvmsim" compare --format json -- "$odd" >"$W/oj" || fail "odd name"
grep -q '"scenario":"[^"]*/o\\"d\\\\d\\t\\u001bx","profiles"' "$W/oj" || fail "escaping: $(cat "$W/oj")"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$W/oj" 2>/dev/null ||
	{ command -v python3 >/dev/null && fail "not valid JSON: $(cat "$W/oj")"; }

# bad input
"$kvmsim" compare stale-memory-fault --profile nope >/dev/null 2>"$W/e"
[ $? = 2 ] && grep -q "unknown profile 'nope'" "$W/e" || fail "bad profile: $(cat "$W/e")"
"$kvmsim" compare stale-memory-fault --format xml >/dev/null 2>"$W/e"
[ $? = 2 ] && grep -q "expected one of table|json|tap" "$W/e" || fail "bad format: $(cat "$W/e")"

# --diff: only rows whose values differ; --transpose: a block per row
"$kvmsim" compare stale-memory-fault --profile upstream --profile=upstream+reset-exit-reason \
	--diff >"$W/d" || fail "diff"
grep -q '^vm0 memory-fault exits' "$W/d" && fail "--diff kept an equal row: $(cat "$W/d")"
[ "$(row "$W/d" 'vcpu0 exit_reason after #2')" = "39 MEMORY_FAULT (stale) 0 UNKNOWN" ] ||
	fail "--diff row: $(cat "$W/d")"
"$kvmsim" compare stale-memory-fault --profile upstream --profile upstream+reset-exit-reason \
	--diff --transpose >"$W/x" || fail "transpose"
grep -A2 '^exit status$' "$W/x" | paste -sd' ' | grep -q '^exit status   upstream  *86   upstream+reset-exit-reason  *0$' ||
	fail "--transpose: $(cat "$W/x")"
# TAP: one test point per profile (ok: status 0 and no oracle failed)
"$kvmsim" compare stale-memory-fault --profile upstream --profile upstream+reset-exit-reason \
	--format tap >"$W/tap" || fail "tap"
sed -n 1,2p "$W/tap" | paste -sd' ' | grep -q '^TAP version 13 1..2$' || fail "tap head: $(cat "$W/tap")"
grep -q '^not ok 1 - stale-memory-fault: upstream$' "$W/tap" || fail "tap 1: $(cat "$W/tap")"
grep -q '^ok 2 - stale-memory-fault: upstream+reset-exit-reason$' "$W/tap" || fail "tap 2: $(cat "$W/tap")"
# a program outside the scenario directory: compare -- PROGRAM
"$kvmsim" compare --format json -- "$(dirname "$kvmsim")/scenarios/hello" >"$W/p" || fail "compare --"
grep -q '"profiles":\["upstream"\],"rows":\[{"observable":"exit status","values":\["0"\]}' "$W/p" ||
	fail "compare -- PROGRAM: $(cat "$W/p")"
"$kvmsim" run hello --profile upstream+no-such-rule >/dev/null 2>"$W/e"
[ $? = 2 ] && grep -q "unknown rule 'no-such-rule'" "$W/e" || fail "bad rule: $(cat "$W/e")"

# profiles: every rule and profile, one line each
"$kvmsim" profiles >"$W/p" || fail "profiles"
for r in rfc-memfault-exit rfc-mask-check-bug absent-mapping-fault exit-on-missing \
	uffd-sigbus-marker userfault userfault-clear-flush userfault-zap-by-userspace \
	private-fd reset-exit-reason annotate-error-pfn annotate-all-efault apf-fill-on-completion \
	apf-error-state apf-sync-after-error skip-mmu-seq-check positive-efault; do
	grep -q "^  $r  " "$W/p" || fail "rule $r not listed"
done
for p in upstream rfc-2023-v2 exit-on-missing userfault-v3 private-v6; do
	grep -q "^  $p  " "$W/p" || fail "profile $p not listed"
done
# the profiles that annotate a failed GUP, and upstream, which does not
grep -A1 "^  rfc-2023-v2 " "$W/p" | grep -q "rules:.* annotate-error-pfn" || fail "rfc-2023-v2 rules"
grep -A1 "^  exit-on-missing " "$W/p" | grep -q "rules: annotate-error-pfn exit-on-missing$" ||
	fail "exit-on-missing rules: $(grep -A1 "^  exit-on-missing " "$W/p")"
grep -A1 "^  upstream " "$W/p" | grep -q "rules: (none)$" || fail "upstream rules"
echo "ok"
