#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Run one tests/posix program and check it.
#
#   run.sh native      EXPECTED PROG [ARGS]   natively: stdout == EXPECTED, exit 0
#   run.sh passthrough KVMSIM EXPECTED PROG [ARGS]
#                      KVMSIM=off kvmsim exec: every call passes through
#                      (both on the host's scheduler: up to three attempts
#                      of 15 s, tests/native-retry.sh)
#   run.sh kvmsim      KVMSIM EXPECTED PROG [ARGS]
#                      under kvmsim with seeds 1, 7 and 42: stdout == EXPECTED,
#                      and no sanitizer report on stderr
#   run.sh determinism KVMSIM PROG [ARGS]
#                      seed 5 twice: identical stdout and trace hash line,
#                      and the trace has events
#   run.sh seeds       KVMSIM PROG [ARGS]
#                      seeds 1..20, each twice: each seed stable, and at
#                      least two different outputs among them
#   run.sh hosttime    KVMSIM MAX_MS PROG [ARGS]
#                      one kvmsim run takes less than MAX_MS of host time
#   run.sh warnings    KVMSIM EXPECTED WARNINGS PROG [ARGS]
#                      under kvmsim: stdout == EXPECTED and the
#                      "kvmsim: warning:" lines on stderr == WARNINGS
#   run.sh deadlock    KVMSIM WAITQ PROG [ARGS]
#                      the run ends with the deadlock oracle (status 86)
#                      and the verdict names WAITQ
set -u
mode=$1
shift
case $mode in
native|passthrough)
	exec sh "$(dirname "$0")/../native-retry.sh" 15 sh "$0" "$mode-once" "$@" ;;
esac
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
	[ "$3" -eq 0 ] || fail "$4: exit status $3"
}

case $mode in
native-once)
	expected=$1
	shift
	"$@" >"$tmp/out" 2>"$tmp/out.err"
	check_out "$expected" "$tmp/out" $? "native run" ;;
passthrough-once)
	kvmsim=$1 expected=$2
	shift 2
	KVMSIM=off "$kvmsim" exec -- "$@" >"$tmp/out" 2>"$tmp/out.err"
	check_out "$expected" "$tmp/out" $? "KVMSIM=off run" ;;
kvmsim)
	kvmsim=$1 expected=$2
	shift 2
	for seed in 1 7 42; do
		"$kvmsim" exec --seed $seed -- "$@" >"$tmp/out" 2>"$tmp/out.err"
		check_out "$expected" "$tmp/out" $? "seed $seed"
		# ASan/UBSan builds: not a word from the sanitizers either
		if grep -E 'AddressSanitizer|WARNING: ASan|runtime error' "$tmp/out.err" >&2; then
			fail "seed $seed: sanitizer report on stderr"
		fi
	done ;;
determinism)
	kvmsim=$1
	shift
	for i in 1 2; do
		"$kvmsim" exec --seed 5 --hash -- "$@" >"$tmp/out$i" 2>"$tmp/err$i" ||
			fail "run $i exited with status $?"
		grep '^kvmsim: trace hash' "$tmp/err$i" >"$tmp/hash$i" ||
			fail "run $i printed no trace hash"
	done
	cmp -s "$tmp/out1" "$tmp/out2" || fail "same seed, different stdout"
	cmp -s "$tmp/hash1" "$tmp/hash2" || fail "same seed, different trace: $(cat "$tmp/hash1" "$tmp/hash2")"
	grep -q '(0 events)' "$tmp/hash1" && fail "the trace has no events"
	cat "$tmp/hash1" ;;
seeds)
	kvmsim=$1
	shift
	for seed in $(seq 1 20); do
		for i in 1 2; do
			"$kvmsim" exec --seed $seed -- "$@" >"$tmp/s$seed.$i" 2>/dev/null ||
				fail "seed $seed exited with status $?"
		done
		cmp -s "$tmp/s$seed.1" "$tmp/s$seed.2" || fail "seed $seed is not stable"
	done
	n=$(cksum "$tmp"/s*.1 | cut -d' ' -f1,2 | sort -u | wc -l)
	[ "$n" -ge 2 ] || fail "seeds 1..20 all gave the same interleaving"
	echo "ok: $n distinct outputs over seeds 1..20, each stable" ;;
hosttime)
	kvmsim=$1 max_ms=$2
	shift 2
	start=$(date +%s%N)
	"$kvmsim" exec -- "$@" >/dev/null 2>&1 || fail "exit status $?"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	[ "$ms" -lt "$max_ms" ] || fail "took $ms ms of host time (limit $max_ms)"
	echo "ok: $ms ms of host time" ;;
warnings)
	kvmsim=$1 expected=$2 warnings=$3
	shift 3
	"$kvmsim" exec -- "$@" >"$tmp/out" 2>"$tmp/out.err"
	check_out "$expected" "$tmp/out" $? "kvmsim run"
	grep '^kvmsim: warning:' "$tmp/out.err" >"$tmp/warnings"
	if ! cmp -s "$warnings" "$tmp/warnings"; then
		diff -u "$warnings" "$tmp/warnings" >&2
		fail "warnings differ"
	fi
	echo "ok: $(wc -l <"$tmp/warnings") warnings, each once" ;;
deadlock)
	kvmsim=$1 waitq=$2
	shift 2
	"$kvmsim" exec -- "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 86 ] || fail "exit status $rc, expected 86 (oracle failed)"
	grep -q "FAILED oracle deadlock" "$tmp/err" || fail "no deadlock verdict: $(cat "$tmp/err")"
	grep -q "$waitq" "$tmp/err" || fail "the verdict does not name $waitq: $(cat "$tmp/err")"
	cat "$tmp/err" ;;
*)
	echo "usage: see $0" >&2
	exit 2 ;;
esac
