#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Re-record the expected transcripts from real KVM:
#
#   tests/vmm/record.sh BUILD_DIR/tests/vmm [NAME...]
#
# Runs each program natively three times and writes
# tests/vmm/expected/NAME.out only if all three runs exited 0 and
# printed the same thing.  Only do this on a host whose /dev/kvm is the
# oracle: the kvmsim tests compare against these files byte for byte.

set -u

here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 BINDIR [NAME...]" >&2; exit 2; }
bindir=$1
shift
# no NAME: every program (each tests/vmm/vmm-NAME-guest.S)
if [ $# -eq 0 ]; then
	for guest in "$here"/vmm-*-guest.S; do
		name=${guest##*/}
		set -- "$@" "${name%-guest.S}"
	done
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
status=0
for name in "$@"; do
	ok=1
	for i in 1 2 3; do
		if ! "$bindir/$name" >"$tmp/$name.$i"; then
			echo "$name: run $i failed" >&2
			ok=0
		fi
	done
	if [ $ok -eq 1 ] && cmp -s "$tmp/$name.1" "$tmp/$name.2" &&
	   cmp -s "$tmp/$name.1" "$tmp/$name.3"; then
		cp "$tmp/$name.1" "$here/expected/$name.out"
		echo "$name: recorded ($(wc -l <"$tmp/$name.1") lines)"
	else
		echo "$name: NOT recorded (failed or unstable)" >&2
		diff "$tmp/$name.1" "$tmp/$name.2" >&2
		diff "$tmp/$name.1" "$tmp/$name.3" >&2
		status=1
	fi
done
exit $status
