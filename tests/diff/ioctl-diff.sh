#!/bin/sh
# SPDX-License-Identifier: MIT
# Differential ioctl fuzzing: ioctl-diff SEED natively and under
# `kvmsim exec --profile host`, for seeds 1..SEEDS (default 20).  Counts
# the seeds whose transcripts are identical and prints, per differing
# seed, its first difference.  Fails when a kvmsim run crashes or hangs,
# or when fewer than MIN seeds (default 0: see tests/diff/QUIRKS.md for
# where the rest differ and why) are identical.  Skipped without a usable
# /dev/kvm.
#   ioctl-diff.sh KVMSIM IOCTL_DIFF
set -u
KVMSIM=$1
PROG=$2
SEEDS=${SEEDS:-20}
MIN=${MIN:-0}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
if ! [ -c /dev/kvm ] || ! (exec 3<>/dev/kvm) 2>/dev/null; then
	echo "SKIP: /dev/kvm is absent or cannot be opened"
	exit 77
fi
same=0
s=1
while [ $s -le "$SEEDS" ]; do
	"$PROG" $s >"$W/native" 2>&1 || { echo "FAIL: native seed $s exited $?"; exit 1; }
	timeout 60 "$KVMSIM" exec --profile host -- "$PROG" $s >"$W/kvmsim" 2>"$W/err"
	rc=$?
	[ $rc = 0 ] || { echo "FAIL: kvmsim seed $s exited $rc: $(tail -3 "$W/err")"; exit 1; }
	if cmp -s "$W/native" "$W/kvmsim"; then
		same=$((same + 1))
	else
		printf 'seed %d: ' $s
		diff "$W/native" "$W/kvmsim" | grep -m2 '^[<>]' | tr '\n' ' '
		echo
	fi
	s=$((s + 1))
done
echo "identical: $same of $SEEDS seeds"
[ $same -ge "$MIN" ] || { echo "FAIL: fewer than $MIN identical"; exit 1; }
