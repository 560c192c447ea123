#!/bin/sh
# SPDX-License-Identifier: MIT
#
# lost-wakeup.sh KVMSIM PROGRAM: the lost-wakeup oracle's verdict.
#   read:   the fault message was read and never resolved -> "lost-wakeup"
#           naming vCPU 0 and gpa 0x40001000, exit 86
#   noread: the message is still pending -> "deadlock", not "lost-wakeup"
set -u
kvmsim=$1 prog=$2
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$dir/err" >&2; exit 1; }

for seed in 1 7; do
	"$kvmsim" exec --seed $seed -- "$prog" read >"$dir/out" 2>"$dir/err"
	st=$?
	[ $st = 86 ] || fail "read, seed $seed: exit status $st, expected 86"
	grep -qx 'read a fault at offset 0x1000, not resolving it' "$dir/out" ||
		fail "read, seed $seed: the program did not read the fault"
	grep -qx 'kvmsim: FAILED oracle lost-wakeup: vCPU 0 blocked in handle_userfault on gpa 0x40001000, nothing can wake it' "$dir/err" ||
		fail "read, seed $seed: no lost-wakeup verdict"
done
"$kvmsim" exec --seed 1 -- "$prog" noread >"$dir/out" 2>"$dir/err"
st=$?
[ $st = 86 ] || fail "noread: exit status $st, expected 86"
grep -q 'kvmsim: FAILED oracle deadlock:' "$dir/err" || fail "noread: no deadlock verdict"
grep -q 'lost-wakeup' "$dir/err" && fail "noread: a pending fault is not a lost wakeup"
echo "ok: lost-wakeup for a read fault, deadlock for a pending one"
