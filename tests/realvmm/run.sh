#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Run one tests/realvmm program and check it.
#
#   run.sh native  EXPECTED PROG [ARGS]   natively: stdout == EXPECTED, exit 0;
#                                         exit 77 (no /dev/kvm...) is a skip
#   run.sh kvmsim  KVMSIM EXPECTED PROG [ARGS]
#                  under kvmsim with seeds 1, 7 and 42: stdout == EXPECTED,
#                  exit 0, no sanitizer report; then seed 5 twice: the same
#                  trace hash
#   run.sh sigterm-trace KVMSIM PROG    SIGTERM from outside ends PROG (left at
#                  SIG_DFL) under kvmsim as natively (status 143), and its
#                  trace file is complete: every line a whole JSON object
#   run.sh static  KVMSIM PROG           a statically linked PROG is refused:
#                                         status 127 and the reason, PROG not run
#   run.sh exports LIBKVMSIM             libkvmsim.so defines (exports) only
#                                         names libc defines: what it interposes
set -u
mode=$1
shift
# natively the host schedules (timer periods under load): up to three tries
[ "$mode" = native ] && exec sh "$(dirname "$0")/../native-retry.sh" 15 sh "$0" native-once "$@"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

check_out() {	# expected actual status what
	if ! cmp -s "$1" "$2"; then
		echo "--- expected: $1" >&2
		diff -u "$1" "$2" >&2
		[ -s "$2.err" ] && tail -n 20 "$2.err" >&2
		fail "$4: stdout differs"
	fi
	[ "$3" -eq 0 ] || { tail -n 20 "$2.err" >&2; fail "$4: exit status $3"; }
}

case $mode in
native-once)
	expected=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/out.err"
	rc=$?
	if [ $rc -eq 77 ]; then
		cat "$tmp/out.err"
		exit 77
	fi
	check_out "$expected" "$tmp/out" $rc "native run" ;;
kvmsim)
	kvmsim=$1 expected=$2
	shift 2
	for seed in 1 7 42; do
		"$kvmsim" exec --seed $seed -- "$@" >"$tmp/out" 2>"$tmp/out.err"
		check_out "$expected" "$tmp/out" $? "seed $seed"
		if grep -E 'AddressSanitizer|WARNING: ASan|runtime error' "$tmp/out.err" >&2; then
			fail "seed $seed: sanitizer report on stderr"
		fi
	done
	for i in 1 2; do
		"$kvmsim" exec --seed 5 --hash -- "$@" >/dev/null 2>"$tmp/err$i" ||
			fail "seed 5 run $i: exit status $?"
		grep '^kvmsim: trace hash' "$tmp/err$i" >"$tmp/hash$i" ||
			fail "run $i printed no trace hash"
	done
	cmp -s "$tmp/hash1" "$tmp/hash2" ||
		fail "same seed, different trace: $(cat "$tmp/hash1" "$tmp/hash2")"
	cat "$tmp/hash1" ;;
sigterm-trace)
	kvmsim=$1
	shift
	"$kvmsim" exec --trace "$tmp/trace.jsonl" -- "$@" >"$tmp/out" 2>"$tmp/out.err" &
	pid=$!
	for i in $(seq 50); do
		grep -q ready "$tmp/out" && break
		sleep 0.1
	done
	kill -TERM $pid
	wait $pid
	rc=$?
	[ $rc -eq 143 ] || fail "exit status $rc after SIGTERM, expected 143"
	[ -s "$tmp/trace.jsonl" ] || fail "the trace file is empty"
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    json.loads(line)' "$tmp/trace.jsonl" || fail "the trace file is cut short"
	grep -q pthread_exit "$tmp/trace.jsonl" || fail "the trace lacks the thread's exit"
	echo "ok: status 143, $(wc -l <"$tmp/trace.jsonl") whole trace lines" ;;
static)
	kvmsim=$1
	shift
	"$kvmsim" exec -- "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 127 ] || fail "exit status $rc, expected 127"
	[ -s "$tmp/out" ] && fail "the static program ran: $(cat "$tmp/out")"
	grep -q "is statically linked" "$tmp/err" || fail "no reason given: $(cat "$tmp/err")"
	cat "$tmp/err" ;;
exports)
	lib=$1
	libc=$(${CC:-cc} -print-file-name=libc.so.6)
	nm -D --defined-only "$lib" | awk '{ print $3 }' | sed 's/@.*//' | sort -u >"$tmp/ours"
	nm -D --defined-only "$libc" | awk '{ print $3 }' | sed 's/@.*//' | sort -u >"$tmp/libc"
	comm -23 "$tmp/ours" "$tmp/libc" >"$tmp/extra"
	[ -s "$tmp/extra" ] && fail "libkvmsim.so exports names libc does not define: $(tr '\n' ' ' <"$tmp/extra")"
	for name in open ioctl mmap close pthread_create pthread_kill syscall read poll; do
		grep -qx "$name" "$tmp/ours" || fail "libkvmsim.so does not export $name"
	done
	echo "ok: $(wc -l <"$tmp/ours") exported names, each one libc defines" ;;
*)
	echo "usage: see $0" >&2
	exit 2 ;;
esac
