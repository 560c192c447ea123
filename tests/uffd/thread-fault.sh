#!/bin/sh
# SPDX-License-Identifier: MIT
#
# thread-fault.sh KVMSIM PROGRAM: a VMM thread loads a missing page of a
# registered range and nobody reads the userfaultfd.  Linux leaves the
# thread asleep forever; kvmsim sees every actor blocked, the thread in
# handle_userfault: the deadlock verdict (exit 86), for seeds 1 and 7.
set -u
kvmsim=$1 prog=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$dir/err" >&2; exit 1; }

for seed in 1 7; do
	"$kvmsim" exec --seed $seed -- "$prog" unhandled >"$dir/out" 2>"$dir/err"
	st=$?
	[ $st = 86 ] || fail "seed $seed: exit status $st, expected 86"
	grep -qx 'main: loading a missing page nobody resolves' "$dir/out" ||
		fail "seed $seed: the program did not start the load"
	grep -q 'not reached' "$dir/out" && fail "seed $seed: the load returned"
	grep -q 'kvmsim: FAILED oracle deadlock: .*on handle_userfault' "$dir/err" ||
		fail "seed $seed: no deadlock verdict naming handle_userfault"
done
echo "ok: an unresolved VMM-thread userfault is a deadlock"
