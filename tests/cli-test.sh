#!/bin/sh
# SPDX-License-Identifier: MIT
# The kvmsim command line: help, --version, one-line usage errors, exit
# codes, list, scenario names and paths, output files, TAP.
#   cli-test.sh KVMSIM EXPLORE_BINDIR
set -u
kvmsim=$1
BIN=$2
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect STATUS CMD...: run it, stdout in $W/o, stderr in $W/e
expect() {
	want=$1
	shift
	"$@" >"$W/o" 2>"$W/e"
	got=$?
	[ "$got" = "$want" ] || fail "$* exited $got, not $want: $(cat "$W/e")"
}
# usage_error SUB CMD...: exit 2, exactly one line on stderr pointing to SUB --help
usage_error() {
	sub=$1
	shift
	expect 2 "$@"
	[ "$(wc -l <"$W/e")" = 1 ] || fail "$*: not one line: $(cat "$W/e")"
	grep -q "(see kvmsim $sub--help)\$" "$W/e" || fail "$*: no pointer to help: $(cat "$W/e")"
	[ -s "$W/o" ] && fail "$*: wrote on stdout: $(cat "$W/o")"
	return 0
}

# --version, help
expect 0 "$kvmsim" --version
grep -q '^kvmsim [0-9]*\.[0-9]*\.[0-9]*$' "$W/o" || fail "--version: $(cat "$W/o")"
version=$(sed 's/^kvmsim //' "$W/o")
for h in -h --help help; do
	expect 0 "$kvmsim" $h
	grep -q '^usage: kvmsim COMMAND' "$W/o" || fail "$h: $(cat "$W/o")"
	grep -q '^  86   an oracle failed' "$W/o" || fail "$h: no exit codes"
done
for sub in list run exec explore replay shrink merge profiles compare step; do
	expect 0 "$kvmsim" help $sub
	grep -q "^usage: kvmsim $sub" "$W/o" || fail "help $sub: $(cat "$W/o")"
	cp "$W/o" "$W/help"
	expect 0 "$kvmsim" $sub --help
	cmp -s "$W/o" "$W/help" || fail "$sub --help differs from help $sub"
	expect 0 "$kvmsim" $sub -h
	cmp -s "$W/o" "$W/help" || fail "$sub -h differs from help $sub"
done
grep -q -- '--strategy S' "$W/help" && fail "compare --help lists explore's --strategy"
expect 0 "$kvmsim" help explore
grep -q -- '--strategy S  *random, pct or bounded' "$W/o" || fail "explore help: $(cat "$W/o")"
expect 0 "$kvmsim" help exit-codes
[ "$(grep -c '^  [0-9]' "$W/o")" = 5 ] || fail "exit codes: $(cat "$W/o")"

# usage errors: one line, exit 2
usage_error "" "$kvmsim"
usage_error "" "$kvmsim" frobnicate
usage_error "" "$kvmsim" help frobnicate
usage_error "run " "$kvmsim" run
usage_error "run " "$kvmsim" run hello --bogus
usage_error "run " "$kvmsim" run hello stray
usage_error "run " "$kvmsim" run hello --seed
usage_error "run " "$kvmsim" run hello --seed=-1
usage_error "run " "$kvmsim" run hello --seed=12x
usage_error "run " "$kvmsim" run hello --strategy=pct
usage_error "run " "$kvmsim" run hello --arch=riscv
usage_error "explore " "$kvmsim" explore racy-vmm extra
usage_error "explore " "$kvmsim" explore --runs 5
usage_error "replay " "$kvmsim" replay
usage_error "replay " "$kvmsim" replay a.schedule b.schedule
usage_error "replay " "$kvmsim" replay --strategy pct a.schedule
usage_error "list " "$kvmsim" list extra
usage_error "profiles " "$kvmsim" profiles --seed 1
usage_error "compare " "$kvmsim" compare hello --native
usage_error "exec " "$kvmsim" exec
usage_error "explore " "$kvmsim" explore --jobs=0 racy-vmm

# scenario names cannot leave the scenario directory; a path needs a manifest
expect 2 "$kvmsim" run ..hello
grep -q "is not a scenario name" "$W/e" || fail "..hello: $(cat "$W/e")"
expect 2 "$kvmsim" run .hidden
expect 2 "$kvmsim" run no-such-scenario
grep -q "no scenario no-such-scenario (see kvmsim list)" "$W/e" || fail "missing: $(cat "$W/e")"
cp /bin/true "$W/prog"
expect 2 "$kvmsim" run "$W/prog"
grep -q "no manifest beside it (expected $W/prog.manifest)" "$W/e" || fail "no manifest: $(cat "$W/e")"

# an arm64-only scenario is refused under --arch x86_64, before it runs
expect 2 "$kvmsim" run s1ptw-uffd --arch x86_64
grep -q "s1ptw-uffd is an arm64-only scenario" "$W/e" || fail "arm64-only: $(cat "$W/e")"
expect 2 "$kvmsim" run private-mem-exits --arch=arm64
grep -q "private-mem-exits has no arm64 build" "$W/e" || fail "x86-only: $(cat "$W/e")"

# an output file that cannot be opened is an error, not a silent fallback
for o in --trace=/nonexistent/t --timeline=/nonexistent/t --explain=/nonexistent/t; do
	expect 2 "$kvmsim" run hello $o
	grep -q "No such file or directory" "$W/e" || fail "$o: $(cat "$W/e")"
	[ -s "$W/o" ] && fail "$o: the scenario ran"
done
expect 2 env KVMSIM_TRACE=/nonexistent/t "$kvmsim" exec -- "$(dirname "$kvmsim")/scenarios/hello"
grep -q "cannot open trace file /nonexistent/t" "$W/e" || fail "exec trace: $(cat "$W/e")"

# options anywhere, --opt=value; the version in the trace
expect 0 "$kvmsim" run --seed=3 hello --trace="$W/t.jsonl" --hash
grep -q 'hello: meets its manifest' "$W/e" || fail "run: $(cat "$W/e")"
grep -q 'trace hash' "$W/e" || fail "--hash after the scenario ignored"
[ "$(head -1 "$W/t.jsonl")" = "{\"kvmsim_trace\":1,\"version\":\"$version\",\"vtime\":\"ns\"}" ] ||
	fail "trace header: $(head -1 "$W/t.jsonl")"
[ "$(sed -n 2p "$W/t.jsonl" | cut -c1-19)" = '{"seq":0,"vtime":0,' ] || fail "first event: $(sed -n 2p "$W/t.jsonl")"

# exit codes: 1 when the manifest is not met, 127 when exec cannot execute
expect 1 "$kvmsim" run hello --profile=rfc-2023-v2 --fail slow_gup
expect 127 "$kvmsim" exec -- "$W/no-such-program"
# exec: options end at PROGRAM (its own options are its own)
expect 0 "$kvmsim" exec --seed 1 /bin/echo --seed x
[ "$(cat "$W/o")" = "--seed x" ] || fail "exec args: $(cat "$W/o")"

# list: aligned columns, architectures from what is built
expect 0 "$kvmsim" list
head -1 "$W/o" | grep -q '^NAME  *ARCH  *WHAT IT SHOWS$' || fail "list header: $(head -1 "$W/o")"
col=$(head -1 "$W/o" | awk '{ print index($0, "WHAT") }')
awk -v c="$col" 'substr($0, c - 2, 2) != "  " || substr($0, c, 1) == " " { exit 1 }' "$W/o" ||
	fail "list not aligned: $(cat "$W/o")"
grep -q '^touch-pages  *x86_64,arm64  ' "$W/o" || fail "touch-pages arch: $(grep touch-pages "$W/o")"
grep -q '^s1ptw-uffd  *arm64  ' "$W/o" || fail "s1ptw-uffd arch"
grep -q '^stale-memory-fault  *x86_64  ' "$W/o" || fail "stale-memory-fault arch"

# a scenario program outside the tree, its manifest beside it
S=$(dirname "$kvmsim")/scenarios
cp "$S/hello" "$W/my-hello"
cp "$S/hello.manifest" "$W/my-hello.manifest"
expect 0 "$kvmsim" run "$W/my-hello"
grep -q 'my-hello: meets its manifest' "$W/e" || fail "path run: $(cat "$W/e")"
grep -q 'hello from the guest' "$W/o" || fail "path run stdout: $(cat "$W/o")"
sed -i 's/^expect-status: 0/expect-status: 3/' "$W/my-hello.manifest"
expect 1 "$kvmsim" run "$W/my-hello"
grep -q 'exit status 0, manifest expects 3' "$W/e" || fail "path manifest: $(cat "$W/e")"
# an exit status out of range is an error, not 0; a long line stays one line
cp "$S/hello" "$W/my-hello2"
sed 's/^expect-status: 0/expect-status: 4294967296/' "$S/hello.manifest" >"$W/my-hello2.manifest"
"$kvmsim" run "$W/my-hello2" >"$W/o" 2>"$W/e"
grep -q "my-hello2.manifest:[0-9]*: expected an exit status 0-255" "$W/e" || fail "status 2^32: $(cat "$W/e")"
cp "$S/hello.manifest" "$W/my-hello2.manifest"
printf 'description: %02000d expect-status: 3\n' 0 >>"$W/my-hello2.manifest"
expect 0 "$kvmsim" run "$W/my-hello2"
grep -q 'my-hello2: meets its manifest' "$W/e" || fail "long line split: $(cat "$W/e")"

# run --format tap: the checks as TAP, the program's output as comments
expect 0 "$kvmsim" run hello --format=tap
sed -n 1p "$W/o" | grep -q '^TAP version 13$' || fail "tap: $(cat "$W/o")"
grep -q '^# hello from the guest$' "$W/o" || fail "tap comment: $(cat "$W/o")"
plan=$(grep '^1\.\.' "$W/o" | sed 's/^1\.\.//')
[ "$(grep -c '^ok [0-9]* - ' "$W/o")" = "$plan" ] || fail "tap plan $plan: $(cat "$W/o")"
grep -q '^ok 1 - exit status 0, manifest expects 0$' "$W/o" || fail "tap 1: $(cat "$W/o")"
expect 1 "$kvmsim" run "$W/my-hello" --format tap
grep -q '^not ok 1 - exit status 0, manifest expects 3$' "$W/o" || fail "tap not ok: $(cat "$W/o")"

# the version in schedule files
expect 1 "$kvmsim" explore --seed 1 --runs 2000 --out "$W" -- "$BIN/lost-wakeup"
s=$(ls "$W"/lost-wakeup.*.schedule) || fail "no schedule: $(cat "$W/e")"
[ "$(sed -n 2p "$s")" = "version $version" ] || fail "schedule version: $(head -3 "$s")"
expect 86 "$kvmsim" replay "$s"
echo ok
