#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run.sh KVMSIM MODE EXPECTED PROGRAM [ARGS...]
#   native: PROGRAM on the real kernel, stdout compared with EXPECTED
#           (skipped, 77, when userfaultfd or /dev/kvm is unusable here);
#           up to three attempts of 30 s (tests/native-retry.sh)
#   kvmsim: kvmsim exec with seeds 1 and 7, stdout compared with EXPECTED
set -u
kvmsim=$1 mode=$2 expected=$3
shift 3
if [ "$mode" = native ]; then
	exec sh "$(dirname "$0")/../native-retry.sh" 30 \
		sh "$0" "$kvmsim" native-once "$expected" "$@"
fi
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
case $mode in
native-once)
	"$@" >"$dir/out" 2>"$dir/err"
	st=$?
	if [ $st != 0 ] && grep -q 'userfaultfd.*\(EPERM\|Operation not permitted\)\|open /dev/kvm' "$dir/err"; then
		echo "SKIP: no usable userfaultfd or /dev/kvm" >&2; exit 77
	fi
	[ $st = 0 ] || { echo "FAIL: exit status $st" >&2; cat "$dir/err" >&2; exit 1; }
	diff -u "$expected" "$dir/out" || { cat "$dir/err" >&2; exit 1; } ;;
kvmsim)
	for seed in 1 7; do
		"$kvmsim" exec --seed $seed -- "$@" >"$dir/out" 2>"$dir/err"
		st=$?
		[ $st = 0 ] || { echo "FAIL: seed $seed: exit status $st" >&2; cat "$dir/err" >&2; exit 1; }
		diff -u "$expected" "$dir/out" || { echo "FAIL: seed $seed" >&2; exit 1; }
	done ;;
*)
	echo "usage: $0 KVMSIM native|kvmsim EXPECTED PROGRAM [ARGS...]" >&2; exit 2 ;;
esac
