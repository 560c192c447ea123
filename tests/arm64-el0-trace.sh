#!/bin/sh
# SPDX-License-Identifier: MIT
#
# el0-uffd's trace: the EL0 task's faults reach KVM only where stage 2
# is involved, and in this order:
#   the EL0 instruction abort is the guest kernel's (inject_abt64),
#   the first push is a stage-2 write from EL0 (va in the user window)
#   that sleeps in handle_userfault on the stack page,
#   the svc is taken to the guest kernel (exception_entry from el0),
#   the EL0 data abort is the guest kernel's, then the retried load is a
#   stage-2 read from EL0 that sleeps in handle_userfault on the data page.
set -u
kvmsim=$1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

"$kvmsim" run el0-uffd --arch arm64 --trace "$tmp/t.jsonl" >"$tmp/out" 2>"$tmp/err" || {
	echo "FAIL: el0-uffd did not meet its manifest"; cat "$tmp/err"; exit 1; }

awk '
BEGIN {
	n = split("\"event\":\"inject_abt64\",\"esr\":\"0x82000007\",\"far\":\"0x80000000\"|" \
		  "\"event\":\"kvm_handle_guest_abort\",\"ipa\":\"0x40001ff0\",\"va\":\"0x80001ff0\",\"access\":\"write\"|" \
		  "\"event\":\"handle_userfault\",\"vcpu\":0,\"gpa\":\"0x40001000\",\"reason\":\"missing\",\"write\":true|" \
		  "\"event\":\"exception_entry\",\"from\":\"el0\",\"esr\":\"0x56000000\"|" \
		  "\"event\":\"inject_abt64\",\"esr\":\"0x92000007\",\"far\":\"0x80002000\"|" \
		  "\"event\":\"kvm_handle_guest_abort\",\"ipa\":\"0x40000000\",\"va\":\"0x80002000\",\"access\":\"read\"|" \
		  "\"event\":\"handle_userfault\",\"vcpu\":0,\"gpa\":\"0x40000000\",\"reason\":\"missing\",\"write\":false",
		  want, "|")
	i = 1
}
i <= n && index($0, want[i]) { i++ }
END {
	if (i <= n) {
		print "FAIL: not found (in order): " want[i]
		exit 1
	}
}' "$tmp/t.jsonl"
