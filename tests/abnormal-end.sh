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
	"$KVMSIM" exec --trace "$W/trace" --timeline "$W/timeline" --hash -- "$PROG" "$1" 2>"$W/err"
}

# SIGTERM (what a timeout sends) while the program blocks on a FIFO
# nobody writes (opened read-write, so the open itself does not block)
mkfifo "$W/fifo" || fail "mkfifo"
timeout -s TERM 2 "$KVMSIM" exec --trace "$W/trace" --timeline "$W/timeline" \
	--hash -- "$PROG" block 2>"$W/err" <>"$W/fifo"
rc=$?
[ $rc = 124 ] || fail "SIGTERM: status $rc"
check_outputs SIGTERM

run abort
[ $? = 134 ] || fail "abort: status not SIGABRT's"
check_outputs abort

run thread
[ $? = 3 ] || fail "exit from a thread: status not 3"
check_outputs "exit from a thread"
echo "PASS: abnormal ends keep trace, timeline and hash"
