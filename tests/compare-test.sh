#!/bin/sh
# SPDX-License-Identifier: MIT
# kvmsim compare and kvmsim profiles: exact rows, JSON, bad input.
#   compare-test.sh KVMSIM
set -u
kvmsim=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
row() {	# row FILE OBSERVABLE: the values of that row, spaces squeezed
	grep "^$2  " "$1" | sed "s/^$2 *//; s/  */ /g; s/ *\$//"
}

"$kvmsim" compare stale-memory-fault --profile upstream --profile upstream+reset-exit-reason \
	--profile rfc-2023-v2 >"$W/t" 2>"$W/e" || fail "compare: $(cat "$W/e")"
head -1 "$W/t" | grep -q '^rule / observable  *upstream  *upstream+reset-exit-reason  *rfc-2023-v2$' ||
	fail "header: $(head -1 "$W/t")"
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

# bad input
"$kvmsim" compare stale-memory-fault --profile nope >/dev/null 2>"$W/e"
[ $? = 2 ] && grep -q "unknown profile 'nope'" "$W/e" || fail "bad profile: $(cat "$W/e")"
"$kvmsim" compare stale-memory-fault --format xml >/dev/null 2>"$W/e"
[ $? = 2 ] && grep -q "expected table or json" "$W/e" || fail "bad format: $(cat "$W/e")"
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
