#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Run one tests/vmm program and compare its stdout, byte for byte, with
# the transcript recorded on real KVM.
#
#   run-diff.sh native EXPECTED ACTUAL PROG
#   run-diff.sh kvmsim EXPECTED ACTUAL PROG KVMSIM
#
# native: runs PROG directly; exits 77 (ctest SKIP_RETURN_CODE) when
#         /dev/kvm is absent or cannot be opened read-write, or when
#         VMM_HOST_HAS (a kvm-host-has binary) says this host lacks one
#         of the capabilities in VMM_HOST_REQUIRES (NAME=CAP ...) that the
#         transcript was recorded with.
# kvmsim: runs "KVMSIM exec -- PROG"; kvmsim's stderr is kept apart in
#         ACTUAL.stderr and not compared.  A missing KVMSIM is a failure.
#
# A native run is tried up to three times (the host's scheduling varies).
# ACTUAL keeps the program's stdout for inspection.  The test passes
# when stdout matches EXPECTED exactly and the run exited 0.

set -u

usage() {
	echo "usage: $0 native|kvmsim EXPECTED ACTUAL PROG [KVMSIM]" >&2
	exit 2
}

[ $# -ge 4 ] || usage
mode=$1
expected=$2
actual=$3
prog=$4

if [ ! -r "$expected" ]; then
	echo "FAIL: no recorded transcript $expected" >&2
	exit 1
fi
if [ ! -x "$prog" ]; then
	echo "FAIL: test program $prog is missing (not built?)" >&2
	exit 1
fi
mkdir -p "$(dirname "$actual")" || exit 1

case $mode in
native)
	[ $# -eq 4 ] || usage
	# "Openable" is what matters: a node without access is no oracle.
	# Test -c first: <> would create a missing /dev/kvm as a plain file.
	if ! [ -c /dev/kvm ] || ! (exec 3<>/dev/kvm) 2>/dev/null; then
		echo "SKIP: /dev/kvm is absent or cannot be opened" >&2
		exit 77
	fi
	if [ -n "${VMM_HOST_REQUIRES:-}" ]; then
		# shellcheck disable=SC2086 # a list of NAME=CAP words
		"$VMM_HOST_HAS" $VMM_HOST_REQUIRES || exit $?
	fi
	# The host schedules (and kvm_pvm may order two exits of one guest
	# instruction differently, as vmm-split-irqchip's IOAPIC EOI): up to
	# three attempts, each differing one reported on stderr.
	for attempt in 1 2 3; do
		"$prog" >"$actual"
		rc=$?
		[ $rc = 0 ] && cmp -s "$expected" "$actual" && break
		echo "native attempt $attempt: status $rc, transcript:" >&2
		diff "$expected" "$actual" >&2
	done
	;;
kvmsim)
	[ $# -eq 5 ] || usage
	kvmsim=$5
	if [ ! -x "$kvmsim" ]; then
		echo "FAIL: kvmsim binary $kvmsim is missing or not executable" >&2
		echo "      (build the kvmsim target first)" >&2
		exit 1
	fi
	"$kvmsim" exec -- "$prog" >"$actual" 2>"$actual.stderr"
	rc=$?
	;;
*)
	usage
	;;
esac

if cmp -s "$expected" "$actual"; then
	if [ $rc -eq 0 ]; then
		echo "PASS: $mode transcript of $(basename "$prog") matches"
		exit 0
	fi
	echo "FAIL: transcript matches but the run exited with status $rc" >&2
	exit 1
fi

echo "FAIL: $mode transcript of $(basename "$prog") differs (exit status $rc)" >&2
echo "--- recorded: $expected" >&2
echo "+++ this run: $actual" >&2
diff -u "$expected" "$actual" >&2
if [ "$mode" = kvmsim ] && [ -s "$actual.stderr" ]; then
	echo "--- kvmsim stderr (last 20 lines):" >&2
	tail -n 20 "$actual.stderr" >&2
fi
exit 1
