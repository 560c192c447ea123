#!/bin/sh
# SPDX-License-Identifier: MIT
# Run PROGRAM natively and under `kvmsim exec --profile host`: the two
# stdouts must be identical.  Skipped (77) without a usable /dev/kvm.
#   host-diff.sh KVMSIM PROGRAM [ARGS]
set -u
KVMSIM=$1
shift
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
if ! [ -c /dev/kvm ] || ! (exec 3<>/dev/kvm) 2>/dev/null; then
	echo "SKIP: /dev/kvm is absent or cannot be opened"
	exit 77
fi
"$@" >"$W/native"
rc=$?
[ $rc = 77 ] && { echo "SKIP: the program found the host lacking"; exit 77; }
[ $rc = 0 ] || { echo "FAIL: native run exited $rc"; exit 1; }
"$KVMSIM" exec --profile host -- "$@" >"$W/kvmsim" 2>"$W/err" ||
	{ echo "FAIL: kvmsim run: $(tail -5 "$W/err")"; exit 1; }
if ! cmp -s "$W/native" "$W/kvmsim"; then
	echo "FAIL: kvmsim --profile host differs from this host:"
	diff -u "$W/native" "$W/kvmsim"
	exit 1
fi
echo "PASS: $(basename "$1") answers as this host under --profile host"
