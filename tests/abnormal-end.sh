#!/bin/sh
# SPDX-License-Identifier: MIT
# A run that ends abnormally still finishes its outputs: the trace has its
# events, the timeline is closed JSON, the hash is printed, and the exit
# status is the abnormal end's own.
#   abnormal-end.sh KVMSIM PROGRAM
set -u
KVMSIM=$1
PROG=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

check_outputs() {	# CASE
	[ -s "$W/trace" ] && [ "$(wc -l <"$W/trace")" -gt 0 ] || fail "$1: empty trace"
	tail -c 40 "$W/timeline" | grep -q '"displayTimeUnit":"ns"}' ||
		fail "$1: timeline not closed: $(tail -c 80 "$W/timeline")"
	grep -q 'kvmsim: trace hash [0-9a-f]\{16\}' "$W/err" || fail "$1: no hash: $(cat "$W/err")"
}

run() {	# MODE
	rm -f "$W/trace" "$W/timeline"
	"$KVMSIM" exec --trace "$W/trace" --timeline "$W/timeline" --hash -- "$PROG" "$1" \
		2>"$W/err" >"$W/out"
}

# The program's stdout (a file: fully buffered) is its own: a death by
# signal loses the buffered line, exit() writes it, natively and under
# kvmsim alike (kvmsim once flushed it, and twice when the signal came
# inside a printf).
check_stdout() {	# CASE empty|line
	if [ "$2" = empty ]; then
		[ ! -s "$W/out" ] || fail "$1: stdout has $(cat "$W/out"), natively nothing"
	else
		[ "$(cat "$W/out")" = "buffered until exit" ] || fail "$1: stdout is '$(cat "$W/out")'"
	fi
}

# natively first, where this host has /dev/kvm: the oracle for check_stdout
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	"$PROG" abort >"$W/out" 2>/dev/null
	[ $? = 134 ] && check_stdout "native abort" empty
	"$PROG" thread >"$W/out" 2>/dev/null
	[ $? = 3 ] && check_stdout "native exit from a thread" line
	mkfifo "$W/fifo0" || fail "mkfifo"
	timeout -s TERM 2 "$PROG" block >"$W/out" 2>/dev/null <>"$W/fifo0"
	[ $? = 124 ] && check_stdout "native SIGTERM" empty
else
	echo "no usable /dev/kvm: the native half is skipped"
fi

# SIGTERM (what a timeout sends) while the program blocks on a FIFO
# nobody writes (opened read-write, so the open itself does not block)
mkfifo "$W/fifo" || fail "mkfifo"
timeout -s TERM 2 "$KVMSIM" exec --trace "$W/trace" --timeline "$W/timeline" \
	--hash -- "$PROG" block 2>"$W/err" >"$W/out" <>"$W/fifo"
rc=$?
[ $rc = 124 ] || fail "SIGTERM: status $rc"
check_outputs SIGTERM
check_stdout SIGTERM empty

run abort
[ $? = 134 ] || fail "abort: status not SIGABRT's"
check_outputs abort
check_stdout abort empty

run thread
[ $? = 3 ] || fail "exit from a thread: status not 3"
check_outputs "exit from a thread"
check_stdout "exit from a thread" line
echo "PASS: abnormal ends keep trace, timeline and hash"
