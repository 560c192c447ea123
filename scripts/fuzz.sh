#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the libFuzzer harnesses (tests/fuzz) with clang and run each for
# FUZZ_SECONDS (default 600) on a working corpus in BUILD/corpus/NAME,
# seeded from the checked-in tests/fuzz/corpus/NAME (read only).  Stops
# at the first crash, leak, timeout (FUZZ_TIMEOUT s per input, default
# 10) or out-of-memory; the input is left in BUILD/artifacts/.
#   scripts/fuzz.sh [BUILD_DIR] [HARNESS...]     (make fuzz)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-fuzz}
[ $# -gt 0 ] && shift
harnesses=${*:-"schedule manifest elf ioctl"}
secs=${FUZZ_SECONDS:-600}
timeout=${FUZZ_TIMEOUT:-10}
jobs=${JOBS:-2}

command -v clang >/dev/null || { echo "fuzz: clang is needed (scripts/install-deps.sh)" >&2; exit 1; }
CC=clang cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKVMSIM_FUZZ=ON >/dev/null
for h in $harnesses; do
	[ -f "$src/tests/fuzz/fuzz_$h.c" ] || continue
	cmake --build "$build" -j"$jobs" --target "fuzz-$h"
done
mkdir -p "$build/artifacts"
# leaks in libraries we link are listed (and explained) in tests/lsan.supp
export LSAN_OPTIONS="suppressions=$src/tests/lsan.supp:print_suppressions=0"
for h in $harnesses; do
	[ -x "$build/fuzz/fuzz-$h" ] || continue
	mkdir -p "$build/corpus/$h"
	echo "fuzz: $h for ${secs}s (log: $build/fuzz-$h.log)"
	# -max_len: the ioctl harness reads records of 260 bytes
	if ! "$build/fuzz/fuzz-$h" -max_total_time="$secs" -timeout="$timeout" \
		-rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
		-artifact_prefix="$build/artifacts/$h-" \
		"$build/corpus/$h" "$src/tests/fuzz/corpus/$h" >"$build/fuzz-$h.log" 2>&1; then
		echo "fuzz: $h FAILED:" >&2
		grep -A30 -m1 'ERROR\|==ABORTING\|Timeout\|out-of-memory\|deadly signal' \
			"$build/fuzz-$h.log" >&2 || tail -40 "$build/fuzz-$h.log" >&2
		exit 1
	fi
	grep -E '^stat::number_of_executed_units|^Done' "$build/fuzz-$h.log" || true
done
