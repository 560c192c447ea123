#!/bin/sh
# SPDX-License-Identifier: MIT
#
# native-retry.sh SECONDS COMMAND [ARGS...]
#
# A native check (a program on the real kernel, its outcome compared with
# a transcript) run up to three times, each attempt killed after SECONDS.
# Only native checks come through here: a kvmsim run is deterministic and
# is never retried.  Natively the host schedules, so the programs whose
# transcript depends on every thread being asleep at a moment (the herd
# tests) or on the host never dropping a PTE (MINOR demand paging) can,
# rarely and under load, see another outcome; each failed attempt is
# reported on stderr, with its output, so a change of the host's
# behaviour still shows when it is persistent.  Exit status 77 (skip)
# passes through at once.
set -u
secs=$1
shift
for attempt in 1 2 3; do
	timeout -k 5 "$secs" "$@"
	st=$?
	case $st in
	0|77) exit $st ;;
	124|137) echo "native attempt $attempt: timed out after ${secs}s" >&2 ;;
	*) echo "native attempt $attempt: failed (status $st)" >&2 ;;
	esac
done
echo "FAIL: three native attempts failed" >&2
exit 1
