#!/bin/sh
# explore / replay / shrink / timeline on small racy pthread programs.
#   explore-test.sh KVMSIM BINDIR CASE
# Every check compares exact verdicts, files and counts.
set -u
KVMSIM=$1
BIN=$2
CASE=$3
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# sanitizer builds warn about exit() on a fiber stack; that is not ours
clean() { grep -v -e '^==[0-9]*==' -e '^False positive' -e '^For details' "$1"; }

# replay_100 SCHEDULE ORACLE: the same verdict, stdout and trace hash 100 times
replay_100() {
	"$KVMSIM" replay --hash "$1" >"$W/o0" 2>"$W/e0"
	[ $? = 86 ] || fail "replay did not fail the oracle: $(cat "$W/e0")"
	grep -q "^kvmsim: replay: /.* (seed [0-9]*, profile " "$W/e0" ||
		fail "replay does not say what it runs: $(head -3 "$W/e0")"
	clean "$W/e0" >"$W/c0"
	grep -q "FAILED oracle $2" "$W/c0" || fail "replay verdict: $(cat "$W/e0")"
	grep -q "trace hash" "$W/c0" || fail "no hash: $(cat "$W/e0")"
	i=1
	while [ $i -lt 100 ]; do
		"$KVMSIM" replay --hash "$1" >"$W/o" 2>"$W/e"
		[ $? = 86 ] || fail "replay $i did not fail"
		clean "$W/e" >"$W/c"
		cmp -s "$W/c0" "$W/c" || fail "replay $i differs: $(diff "$W/c0" "$W/c")"
		cmp -s "$W/o0" "$W/o" || fail "replay $i stdout differs"
		i=$((i + 1))
	done
}

explore() {	# explore ARGS...: stderr to $W/err, exit status to $rc
	"$KVMSIM" explore "$@" 2>"$W/err" >"$W/out"
	rc=$?
}

case "$CASE" in
deadlock-found)
	# random finds the lost wakeup; the verdict names the sleepers
	explore --seed 1 --runs 2000 --out "$W" -- "$BIN/lost-wakeup"
	[ $rc = 1 ] || fail "explore exit $rc: $(cat "$W/err")"
	grep -q '^FAILED run [0-9]*: oracle deadlock: every actor is blocked at vtime [0-9]*: vmm on thread1.exit, thread1 on pthread_cond' "$W/err" ||
		fail "verdict: $(cat "$W/err")"
	ls "$W"/lost-wakeup.*.schedule >/dev/null || fail "no schedule saved"
	[ -s "$W/out" ] && fail "explore printed on stdout: $(cat "$W/out")"
	;;
replay-100)
	explore --seed 1 --runs 2000 --out "$W" -- "$BIN/lost-wakeup"
	s=$(ls "$W"/lost-wakeup.*.schedule) || fail "no schedule"
	replay_100 "$s" deadlock
	;;
shrink)
	explore --seed 1 --runs 2000 --out "$W" -- "$BIN/racy-counter"
	[ $rc = 1 ] || fail "explore exit $rc: $(cat "$W/err")"
	grep -q 'oracle program-signal: killed by signal 6' "$W/err" || fail "verdict: $(cat "$W/err")"
	s=$(ls "$W"/racy-counter.*.schedule)
	"$KVMSIM" shrink "$s" 2>"$W/shrink" || fail "shrink: $(cat "$W/shrink")"
	line=$(grep '^shrink: ' "$W/shrink") || fail "no summary: $(cat "$W/shrink")"
	set -- $(echo "$line" | sed 's/[^0-9 ]//g')
	# shrink: C1 choices, P1 preemptions -> C2 choices, P2 preemptions (N runs)
	[ "$4" -lt "$2" ] || [ "$3" -lt "$1" ] || fail "not smaller: $line"
	[ "$4" = 1 ] || fail "expected one preemption left: $line"
	min=${s%.schedule}.min.schedule
	[ -f "$min" ] || fail "no $min"
	grep -q '^oracle program-signal$' "$min" || fail "min schedule verdict"
	"$KVMSIM" replay "$min" >"$W/o" 2>"$W/e"
	[ $? = 134 ] || fail "min replay exit $?: $(cat "$W/e")"
	grep -q 'counter [0-5]$' "$W/o" || fail "min replay output: $(cat "$W/o")"
	# shrinking the result again finds nothing smaller: it says so and
	# writes no copy
	"$KVMSIM" shrink "$min" 2>"$W/again" || fail "shrink again: $(cat "$W/again")"
	grep -q "^shrink: $min is already minimal: $3 choices, 1 preemptions ([0-9]* runs found nothing smaller)$" "$W/again" ||
		fail "already minimal: $(cat "$W/again")"
	[ -e "${min%.schedule}.min.schedule" ] && fail "a copy of a minimal schedule was written"
	;;
jobs)
	# same seeds, same verdict and schedule whatever --jobs is
	for j in 1 2; do
		mkdir "$W/j$j"
		"$KVMSIM" explore --seed 7 --runs 400 --strategy pct --jobs $j --out "$W/j$j" \
			-- "$BIN/lost-wakeup" 2>"$W/j$j.err"
	done
	[ -s "$W/j1.err" ] || fail "no output"
	# (progress lines depend on the host's speed)
	sed -e "s,$W/j[12],D," -e '/^explore: progress: /d' "$W/j1.err" >"$W/a"
	sed -e "s,$W/j[12],D," -e '/^explore: progress: /d' "$W/j2.err" >"$W/b"
	cmp -s "$W/a" "$W/b" || fail "--jobs changed the result: $(diff "$W/a" "$W/b")"
	for f in "$W"/j1/*.schedule; do
		cmp -s "$f" "$W/j2/$(basename "$f")" || fail "schedules differ: $f"
	done
	for s in bounded random; do
		for j in 1 2; do
			"$KVMSIM" explore --seed 3 --runs 300 --strategy $s --jobs $j --out "$W" \
				-- "$BIN/racy-counter" 2>"$W/$s$j.err"
		done
		sed -i '/^explore: progress: /d' "$W/${s}1.err" "$W/${s}2.err"
		cmp -s "$W/${s}1.err" "$W/${s}2.err" || fail "$s: --jobs changed the result"
	done
	;;
sync-points)
	# --preempt sync (the default): an ABBA lock order and a check-then-wait
	# lost wakeup with no yield in them are found by every strategy,
	# replayed, and not found at all with blocking points only
	# (two shapes of each: a 3-thread lock-order cycle, a signal sent
	# without the mutex between the waiter's check and its wait)
	for p in abba check-then-wait abba-cycle signal-unlocked; do
		case $p in
		abba) want='vmm on thread1.exit, thread1 on pthread_mutex, thread2 on pthread_mutex$' ;;
		abba-cycle) want='vmm on thread1.exit, thread1 on pthread_mutex, thread2 on pthread_mutex, thread3 on pthread_mutex$' ;;
		*) want='vmm on pthread_cond$' ;;
		esac
		for s in random pct bounded; do
			rm -f "$W"/*.schedule
			explore --strategy $s --runs 1000 --out "$W" -- "$BIN/$p"
			[ $rc = 1 ] || fail "$p $s: exit $rc: $(cat "$W/err")"
			grep -q "^FAILED run [0-9]*: oracle deadlock: every actor is blocked at vtime 0: $want" "$W/err" ||
				fail "$p $s verdict: $(cat "$W/err")"
			f=$(ls "$W"/$p.*.schedule) || fail "$p $s: no schedule"
			grep -q '^preempt sync$' "$f" || fail "$p $s: granularity not recorded"
			"$KVMSIM" replay "$f" >/dev/null 2>"$W/e"
			[ $? = 86 ] || fail "$p $s: replay: $(cat "$W/e")"
			grep -q "FAILED oracle deadlock: every actor is blocked at vtime 0: $want" "$W/e" ||
				fail "$p $s replay verdict: $(cat "$W/e")"
			explore --strategy $s --preempt blocking --runs 300 --out "$W" -- "$BIN/$p"
			[ $rc = 0 ] || fail "$p $s blocking: exit $rc: $(cat "$W/err")"
		done
	done
	# the file's granularity is what replay uses: switched to blocking
	# points, the losing interleaving no longer exists
	sed 's/^preempt sync$/preempt blocking/' "$f" >"$W/b.schedule"
	"$KVMSIM" replay "$W/b.schedule" >/dev/null 2>"$W/e"
	grep -q 'FAILED oracle' "$W/e" && fail "blocking replay still fails: $(cat "$W/e")"
	"$KVMSIM" explore --preempt often -- "$BIN/abba" 2>"$W/e"
	[ $? = 2 ] && grep -q -- '--preempt often: expected one of sync|blocking' "$W/e" ||
		fail "--preempt often: $(cat "$W/e")"
	sed 's/^preempt sync$/preempt often/' "$f" >"$W/o.schedule"
	"$KVMSIM" replay "$W/o.schedule" 2>"$W/e"
	[ $? = 2 ] && grep -q 'o.schedule:[0-9]*: expected "preempt sync" or "preempt blocking"' "$W/e" ||
		fail "preempt often in a file: $(cat "$W/e")"
	;;
trace-choices)
	# a failing schedule's trace is its losing interleaving: one
	# sched_choice per pick of the schedule (thread1 preempted at a
	# pthread_mutex_lock), then the oracle's verdict as the last event
	explore --strategy pct --runs 1000 --out "$W" -- "$BIN/abba"
	f=$(ls "$W"/abba.*.schedule) || fail "no schedule: $(cat "$W/err")"
	"$KVMSIM" replay --trace "$W/t.jsonl" --explain="$W/x" "$f" >/dev/null 2>"$W/e"
	[ $? = 86 ] || fail "replay: $(cat "$W/e")"
	python3 - "$W/t.jsonl" "$f" <<'PY' || fail "trace: $(cat "$W/t.jsonl")"
import json, sys
# the first line is the trace header (schema, version), not an event
ev = [e for e in map(json.loads, open(sys.argv[1])) if "event" in e]
picks = [l.split() for l in open(sys.argv[2]) if l.startswith("p ")]
ch = [e for e in ev if e["event"] == "sched_choice"]
assert len(ch) == len(picks), (len(ch), len(picks))
for i, (e, p) in enumerate(zip(ch, picks)):
    assert e["decision"] == i, e
    names = e["runnable"].split(",")
    assert len(names) == int(p[4]) and e["next"] in names, (e, p)
    assert e["next"] == "vmm" if p[1] == "0" else e["next"] == "thread" + p[1], (e, p)
    assert e["preempted"] == (p[3] == "y" and p[1] != p[2]), (e, p)
    assert e["kind"] == {"y": "yield", "w": "wait", "x": "exit"}[p[3]], (e, p)
assert any(e["preempted"] and e["point"] == "pthread_mutex_lock" for e in ch), ch
last = ev[-1]
assert last["event"] == "oracle" and last["oracle"] == "deadlock", last
assert last["message"].endswith("thread1 on pthread_mutex, thread2 on pthread_mutex"), last
PY
	grep -q 'scheduling choice .*point=pthread_mutex_lock' "$W/x" || fail "narration: $(cat "$W/x")"
	grep -q 'oracle verdict: the run failed .*oracle=deadlock' "$W/x" || fail "narration: $(cat "$W/x")"
	;;
starve)
	# a schedule that keeps picking a spinning thread over the one it waits
	# for ends with the budget verdict, by default after 10,000 decisions
	for s in pct bounded; do
		explore --strategy $s --runs 200 --out "$W" -- "$BIN/spin-starve"
		[ $rc = 1 ] || fail "$s: exit $rc: $(cat "$W/err")"
		grep -q '^FAILED run [0-9]*: oracle budget: vmm starved: runnable but not run for 10000 scheduling decisions in a row while thread1 ran (at sched_yield)$' "$W/err" ||
			fail "$s verdict: $(cat "$W/err")"
	done
	f=$(ls "$W"/spin-starve.*.schedule | head -1)
	"$KVMSIM" replay "$f" >/dev/null 2>"$W/e"
	[ $? = 86 ] && grep -q 'FAILED oracle budget: vmm starved' "$W/e" || fail "replay: $(cat "$W/e")"
	explore --strategy bounded --max-starve 50 --runs 200 --out "$W" -- "$BIN/spin-starve"
	grep -q 'oracle budget: vmm starved: runnable but not run for 50 scheduling decisions' "$W/err" ||
		fail "--max-starve 50: $(cat "$W/err")"
	"$KVMSIM" explore --max-starve x -- "$BIN/spin-starve" 2>"$W/e"
	[ $? = 2 ] || fail "--max-starve x accepted"
	# a fair schedule lets main run: random finds nothing
	explore --strategy random --runs 200 --out "$W" -- "$BIN/spin-starve"
	[ $rc = 0 ] || fail "random: exit $rc: $(cat "$W/err")"
	;;
progress)
	# stderr is not a terminal: plain progress lines (here every 0 s, so
	# one per run), then the summary
	KVMSIM_PROGRESS_SECONDS=0 "$KVMSIM" explore --preempt blocking --runs 20 --out "$W" \
		-- "$BIN/check-then-wait" 2>"$W/err" >"$W/out"
	[ $? = 0 ] || fail "exit: $(cat "$W/err")"
	n=$(grep -c '^explore: progress: [0-9]*/20 runs, 0 failing, [0-9]* runs/s$' "$W/err")
	[ "$n" = 20 ] || fail "$n progress lines: $(cat "$W/err")"
	grep -q '^explore: progress: 20/20 runs' "$W/err" || fail "last line: $(cat "$W/err")"
	tail -1 "$W/err" | grep -q '^explore: 20 runs (random), no failure$' || fail "summary: $(cat "$W/err")"
	grep -q "$(printf '\r')" "$W/err" && fail "terminal redraws in a file"
	;;
strategies)
	explore --runs 500 --strategy pct --depth 2 --out "$W" -- "$BIN/lost-wakeup"
	grep -q 'oracle deadlock' "$W/err" || fail "pct: $(cat "$W/err")"
	explore --runs 500 --strategy bounded --preemptions 1 --out "$W" -- "$BIN/lost-wakeup"
	grep -q 'oracle deadlock' "$W/err" || fail "bounded: $(cat "$W/err")"
	# bounded with 0 preemptions: the whole space is one schedule... but
	# blocking points still branch; it must end with "search complete"
	explore --runs 5000 --strategy bounded --preemptions 0 --out "$W" -- "$BIN/racy-counter"
	grep -q 'search complete' "$W/err" || grep -q FAILED "$W/err" || fail "bounded 0: $(cat "$W/err")"
	;;
timeline)
	explore --seed 1 --runs 2000 --out "$W" -- "$BIN/lost-wakeup"
	s=$(ls "$W"/lost-wakeup.*.schedule)
	"$KVMSIM" replay --timeline "$W/t.json" "$s" >/dev/null 2>&1
	python3 - "$W/t.json" <<'PY' || fail "timeline"
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
names = {e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "thread_name"}
want = {"vmm", "thread1", "thread2"}
assert want <= names, names
assert any(e["ph"] == "X" for e in ev), "no slices"
tids = {e["tid"] for e in ev if e["ph"] == "X"}
assert len(tids) >= 3, tids
assert any(e["ph"] == "i" and e["name"] == "deadlock" for e in ev), "no verdict"
PY
	;;
racy-vmm)
	# the racy VMM: found from scratch, replayed 100 times, shrunk
	SC=$(dirname "$BIN")/../scenarios
	explore --strategy pct --runs 2000 --out "$W" racy-vmm
	[ $rc = 1 ] || fail "explore exit $rc: $(cat "$W/err")"
	grep -q '^FAILED run [0-9]*: oracle lost-wakeup: vCPU [01] blocked in handle_userfault on gpa 0x4000[0-3]000, nothing can wake it$' "$W/err" ||
		fail "verdict: $(cat "$W/err")"
	s=$(ls "$W"/racy-vmm.*.schedule)
	grep -q '^scenario racy-vmm$' "$s" || fail "scenario not recorded"
	replay_100 "$s" lost-wakeup
	"$KVMSIM" shrink "$s" 2>"$W/shrink" || fail "shrink: $(cat "$W/shrink")"
	line=$(grep '^shrink: ' "$W/shrink") || fail "no summary: $(cat "$W/shrink")"
	set -- $(echo "$line" | sed 's/[^0-9 ]//g')
	if echo "$line" | grep -q 'already minimal'; then
		[ -e "${s%.schedule}.min.schedule" ] && fail "minimal, but a copy was written"
	else
		[ "$4" -le "$2" ] && [ "$3" -le "$1" ] || fail "shrink made it bigger: $line"
		[ "$4" -lt "$2" ] || [ "$3" -lt "$1" ] || fail "not smaller: $line"
		"$KVMSIM" replay "${s%.schedule}.min.schedule" >/dev/null 2>"$W/e"
		grep -q 'FAILED oracle lost-wakeup' "$W/e" || fail "min replay: $(cat "$W/e")"
	fi
	;;
shared-file)
	# a shared writable file is the run's own copy, through its mappings
	# and through the program's fd: every run sees the fork point's file
	explore --runs 30 --jobs 2 -- "$BIN/shared-file"
	[ $rc = 0 ] || fail "explore exit $rc: $(cat "$W/err")"
	grep -q '^ *30  passed, stdout [0-9a-f]* "pread past the end: 0, mapped: mw, size now 12288"' "$W/err" ||
		fail "outcomes: $(cat "$W/err")"
	# a scenario that truncates its guest memory's file (it panicked)
	explore --runs 10 apf-truncate
	[ $rc = 0 ] || fail "apf-truncate: explore exit $rc: $(cat "$W/err")"
	;;
userfault-race)
	# hazard 8's race: without the invalidation-sequence check pct finds
	# an SPTE installed after the invalidation that overtook its lookup;
	# with it, no schedule fails
	explore --strategy pct --runs 500 --profile userfault-v3+skip-mmu-seq-check \
		--out "$W" userfault-race
	[ $rc = 1 ] || fail "explore exit $rc: $(cat "$W/err")"
	# (either the lookup came before the invalidation's zap, or it came
	# inside the notifier's window, between _start and _end)
	grep -q -e '^FAILED run [0-9]*: oracle stale-spte: SPTE for gpa 0x4000[0-7]000 installed from a lookup that kvm_mmu_notifier_invalidate_range_start (invalidation [0-9]*) overtook$' \
		-e '^FAILED run [0-9]*: oracle stale-spte: SPTE for gpa 0x4000[0-7]000 installed while kvm_mmu_notifier_invalidate_range_start of it was open (mmu_invalidate_in_progress 1)$' "$W/err" ||
		fail "verdict: $(cat "$W/err")"
	s=$(ls "$W"/userfault-race.*.schedule)
	grep -q '^profile userfault-v3+skip-mmu-seq-check$' "$s" || fail "profile not recorded"
	"$KVMSIM" replay --trace "$W/t.jsonl" "$s" >/dev/null 2>"$W/e"
	grep -q 'FAILED oracle stale-spte' "$W/e" || fail "replay: $(cat "$W/e")"
	# the trace shows the race: the fault's sequence snapshot, the
	# invalidation of its page that overtook it (by another actor), and
	# the check the profile skipped, then the verdict naming that one
	python3 - "$W/t.jsonl" <<'PY' || fail "invalidation sequence events"
import json, re, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"seq"')]
i = max(k for k, e in enumerate(ev) if e["event"] == "oracle")
chk = [k for k in range(i) if ev[k]["event"] == "mmu_invalidate_retry_gfn"][-1]
c = ev[chk]
assert c["stale"] and not c["checked"], c
g, s, who = c["gpa"], c["mmu_seq"], c["actor"]
snap = [k for k in range(chk) if ev[k]["event"] == "mmu_invalidate_seq_snapshot"
        and ev[k]["gpa"] == g and ev[k]["actor"] == who][-1]
assert ev[snap]["mmu_seq"] == s, ev[snap]
m = re.search(r"invalidation (\d+)", ev[i]["message"])
if m:
    n = int(m.group(1))
    z = [e for e in ev[snap:chk] if e.get("mmu_invalidate_seq") == n and "zapped" in e]
    assert len(z) == 1 and z[0]["gpa"] == g and z[0]["actor"] != who and n > s, z
else:
    # inside the window: another actor opened an invalidation of g
    # (kvm_mmu_invalidate_begin) and had not closed it at the check
    assert c["in_progress"], c
    add = [k for k in range(chk) if ev[k]["event"] == "kvm_mmu_invalidate_range_add"
           and ev[k]["gpa"] == g][-1]
    inv = ev[add]["actor"]
    assert inv != who, ev[add]
    assert not [e for e in ev[add:i] if e["event"] == "kvm_mmu_invalidate_end"
                and e["actor"] == inv], "closed before the install"
PY
	# the same interleaving with the check: a lookup inside the window
	# retries (after the window closes), and the run passes
	if grep -q 'was open' "$s"; then
		sed 's/^profile .*/profile userfault-v3/' "$s" >"$W/checked.sched"
		"$KVMSIM" replay --trace "$W/c.jsonl" "$W/checked.sched" >"$W/o" 2>"$W/e" ||
			fail "checked replay: $(cat "$W/e")"
		grep -q '"event":"mmu_invalidate_retry_gfn".*"in_progress":true,"stale":true,"checked":true' \
			"$W/c.jsonl" || fail "no retry inside the window"
	fi
	rm -f "$W"/*.schedule
	explore --strategy pct --runs 500 --profile userfault-v3 --out "$W" userfault-race
	[ $rc = 0 ] || fail "upstream check failed: $(cat "$W/err")"
	grep -q '^explore: 500 runs (pct), no failure$' "$W/err" || fail "summary: $(cat "$W/err")"
	;;
private-convert-race)
	# rules 3 and 6: without the sequence check pct finds a fault that
	# looked P up before an attribute flip installing its SPTE after it;
	# with the check, no schedule fails.  Quanta of 4,000 blocks give pct
	# enough scheduling points inside the guest's read loop
	explore --strategy pct --runs 500 --quantum 4000 --profile upstream+skip-mmu-seq-check \
		--out "$W" private-convert-race
	[ $rc = 1 ] || fail "explore exit $rc: $(cat "$W/err")"
	grep -q '^FAILED run [0-9]*: oracle stale-spte: SPTE for gpa 0x40000000 installed from a lookup that kvm_arch_pre_set_memory_attributes (invalidation [0-9]*) overtook$' "$W/err" ||
		fail "verdict: $(cat "$W/err")"
	s=$(ls "$W"/private-convert-race.*.schedule)
	"$KVMSIM" replay "$s" >/dev/null 2>"$W/e"
	grep -q 'FAILED oracle stale-spte' "$W/e" || fail "replay: $(cat "$W/e")"
	rm -f "$W"/*.schedule
	explore --strategy pct --runs 500 --quantum 4000 --profile upstream --out "$W" private-convert-race
	[ $rc = 0 ] || fail "upstream check failed: $(cat "$W/err")"
	grep -q '^explore: 500 runs (pct), no failure$' "$W/err" || fail "summary: $(cat "$W/err")"
	# a flip between the fault's read of the attribute and the sequence
	# snapshot is a private/shared mismatch: the memory-fault exit for P
	# (-s makes the VMM stop there, so explore reports the schedule)
	explore --strategy bounded --preemptions 1 --profile upstream --out "$W" \
		-- "$(dirname "$KVMSIM")/scenarios/private-convert-race" -s
	[ $rc = 1 ] || fail "mismatch search exit $rc: $(cat "$W/err")"
	grep -q '^FAILED run [0-9]*: oracle program-exit: exit status 1$' "$W/err" ||
		fail "mismatch verdict: $(cat "$W/err")"
	s=$(ls "$W"/private-convert-race.*.schedule)
	"$KVMSIM" replay "$s" >"$W/o" 2>"$W/e"
	grep -q '^memory-fault exit for gpa 0x40000000, flags \(0\|0x8\): a flip overtook the fault$' "$W/o" ||
		fail "mismatch replay: $(cat "$W/o" "$W/e")"
	;;
shard)
	# 4 shards through GNU parallel find exactly what one process finds:
	# the same outcome tally (--keep-going: every run), the same first
	# failure and a byte-identical schedule
	command -v parallel >/dev/null ||
		{ echo "SKIP: GNU parallel is not installed (scripts/install-deps.sh)"; exit 77; }
	for mode in keep stop; do
		case $mode in
		keep) prog=racy-counter; opts="--keep-going --strategy pct --seed 5 --runs 240" ;;
		stop) prog=abba; opts="--strategy pct --seed 0 --runs 400" ;;
		esac
		mkdir -p "$W/$mode/one" "$W/$mode/four"
		"$KVMSIM" explore $opts --shard 0/1 --out "$W/$mode/one" -- "$BIN/$prog" 2>"$W/one.err"
		[ $? = 1 ] || fail "$mode: one process: $(cat "$W/one.err")"
		parallel --halt never -j 4 "$KVMSIM" explore $opts --shard {}/4 --out "$W/$mode/four" \
			-- "$BIN/$prog" ::: 0 1 2 3 2>"$W/four.err"
		[ "$(ls "$W/$mode/four"/*.result | wc -l)" = 4 ] || fail "$mode: shard files: $(ls "$W/$mode/four")"
		"$KVMSIM" merge "$W/$mode/one" >/dev/null 2>"$W/m1"
		[ $? = 1 ] || fail "$mode: merge of one: $(cat "$W/m1")"
		"$KVMSIM" merge "$W/$mode/four" >/dev/null 2>"$W/m4"
		[ $? = 1 ] || fail "$mode: merge of four: $(cat "$W/m4")"
		sed -i -e "s,$W/$mode/one,D," -e 's/^merge: 1 shard of /merge: N of /' "$W/m1"
		sed -i -e "s,$W/$mode/four,D," -e 's/^merge: 4 shards of /merge: N of /' "$W/m4"
		cmp -s "$W/m1" "$W/m4" || fail "$mode: merged shards differ: $(diff "$W/m1" "$W/m4")"
		s=$(sed -n 's,^schedule D/,,p' "$W/m1")
		[ -n "$s" ] || fail "$mode: no schedule: $(cat "$W/m1")"
		cmp -s "$W/$mode/one/$s" "$W/$mode/four/$s" || fail "$mode: schedules differ"
		# what one process prints itself is the same tally
		"$KVMSIM" explore $opts --out "$W" -- "$BIN/$prog" 2>"$W/plain.err"
		sed -n '/^outcomes of/,/^FAILED/p' "$W/plain.err" >"$W/p"
		sed -n '/^outcomes of/,/^FAILED/p' "$W/m1" >"$W/q"
		cmp -s "$W/p" "$W/q" || fail "$mode: explore's tally differs: $(diff "$W/p" "$W/q")"
		cp "$W/m4" "$W/$mode.merged"
	done
	# keep-going counts every run; both outcomes of racy-counter are there
	m=$W/keep.merged
	grep -q '^outcomes of 240 runs:$' "$m" || fail "tally: $(cat "$m")"
	grep -q '^ *[0-9]*  FAILED oracle program-signal: killed by signal 6 (Aborted) (first run [0-9]*)$' "$m" ||
		fail "failing outcome: $(cat "$m")"
	grep -q '^ *[0-9]*  passed, stdout [0-9a-f]\{16\} "counter 6" (first run [0-9]*)$' "$m" ||
		fail "passing outcome: $(cat "$m")"
	# without it, the runs up to the first failure, which all shards made
	m=$W/stop.merged
	f=$(sed -n 's/^FAILED run \([0-9]*\): oracle deadlock: .*/\1/p' "$m")
	[ -n "$f" ] && [ "$f" -ge 4 ] || fail "first failure before every shard ran: $(cat "$m")"
	grep -q "^outcomes of $((f + 1)) runs:$" "$m" || fail "stop tally: $(cat "$m")"
	# a missing shard, a shard of another exploration, bounded split
	rm "$W/keep/four/racy-counter.shard-2-of-4.result"
	"$KVMSIM" merge "$W/keep/four" 2>"$W/e"
	[ $? = 2 ] || fail "merge with a shard missing"
	grep -q '^kvmsim: merge: shard 2/4 is missing$' "$W/e" || fail "msg: $(cat "$W/e")"
	"$KVMSIM" merge "$W/keep/four" "$W/stop/four/abba.shard-2-of-4.result" 2>"$W/e"
	[ $? = 2 ] || fail "merge of two explorations"
	grep -q 'not the same exploration' "$W/e" || fail "msg: $(cat "$W/e")"
	"$KVMSIM" explore --strategy bounded --shard 1/2 -- "$BIN/racy-counter" 2>"$W/e"
	[ $? = 2 ] || fail "bounded split accepted"
	"$KVMSIM" explore --shard 4/4 -- "$BIN/racy-counter" 2>"$W/e"
	[ $? = 2 ] || fail "shard 4/4 accepted"
	;;
por)
	# partial-order reduction (sleep sets): the bounded search's complete
	# space in fewer runs, and the same distinct outcomes as without it
	for por in on off; do
		explore --strategy bounded --preemptions 1 --por $por --runs 100000 --out "$W" \
			-- "$BIN/indep-locks"
		[ $rc = 0 ] || fail "indep-locks, por $por: $(cat "$W/err")"
		grep -q "^explore: search complete: every schedule with at most 1 preemptions ran ([0-9]* runs, " "$W/err" ||
			fail "por $por: not complete: $(cat "$W/err")"
		eval "n_$por=\$(sed -n 's/.*ran (\([0-9]*\) runs, .*/\1/p' "\$W/err")"
	done
	grep -q 'partial-order reduction skipped [1-9][0-9]* branches' "$W/err" && fail "por off skipped"
	[ $((n_on * 2)) -lt "$n_off" ] || fail "por: $n_on runs, without: $n_off"
	for p in abba check-then-wait lost-wakeup racy-counter; do
		for por in on off; do
			explore --keep-going --strategy bounded --preemptions 2 --por $por --runs 100000 \
				--out "$W" -- "$BIN/$p"
			[ $rc = 1 ] || fail "$p, por $por: not found: $(cat "$W/err")"
			sed -n 's/^ *[0-9]*  \(.*\) (first run [0-9]*)$/\1/p' "$W/err" | sort >"$W/$por"
			eval "r_$por=\$(sed -n 's/^outcomes of \([0-9]*\) runs:$/\1/p' "\$W/err")"
		done
		[ -s "$W/on" ] || fail "$p: no outcomes"
		cmp -s "$W/on" "$W/off" || fail "$p: outcomes differ with POR: $(diff "$W/on" "$W/off")"
		[ "$r_on" -le "$r_off" ] || fail "$p: $r_on runs with POR, $r_off without"
	done
	;;
vtime-budget)
	# a per-run budget of virtual time (a guest moves it 1 ns per block):
	# racy-vmm -f ends near 800 ns; with 100 every run is over it, the
	# saved schedule records it and replay gives the same verdict
	explore --max-vtime 100 --runs 20 --out "$W" racy-vmm -- -f
	[ $rc = 1 ] || fail "exit $rc: $(cat "$W/err")"
	grep -q '^FAILED run 0: oracle budget: virtual time passed 100 ns while [a-z0-9]* ran (at [a-z_]*)$' "$W/err" ||
		fail "verdict: $(cat "$W/err")"
	s=$(ls "$W"/racy-vmm.*.schedule)
	grep -q '^max-vtime 100$' "$s" || fail "budget not recorded"
	"$KVMSIM" replay "$s" >/dev/null 2>"$W/e"
	[ $? = 86 ] || fail "replay exit: $(cat "$W/e")"
	grep -q 'FAILED oracle budget: virtual time passed 100 ns' "$W/e" || fail "replay: $(cat "$W/e")"
	rm -f "$W"/*.schedule
	explore --max-vtime 100000 --runs 20 --out "$W" racy-vmm -- -f
	[ $rc = 0 ] || fail "within budget: $(cat "$W/err")"
	;;
vm-ids)
	# every event an actor makes for a VM names it: a vCPU's, and the
	# VMM thread's inside a VM or vCPU ioctl (private-mem-exits has two VMs)
	"$KVMSIM" run --trace "$W/t.jsonl" private-mem-exits >/dev/null 2>"$W/e" ||
		fail "run: $(cat "$W/e")"
	python3 - "$W/t.jsonl" <<'PY' || fail "vm ids"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"seq"')]
want = {"vcpu0": 0, "vm1.vcpu0": 1}
for e in ev:
    if e["actor"] in want:
        assert e.get("vm") == want[e["actor"]], e
    if e["event"].startswith("kvm_") or e["event"].startswith("mmu_invalidate"):
        assert "vm" in e, e
vmm = {e["vm"] for e in ev if e["actor"] == "vmm" and e["event"] == "kvm_set_memslot"}
assert vmm == {0, 1}, vmm
assert sum(1 for e in ev if e["actor"] == "vm1.vcpu0") > 10
PY
	;;
bad-input)
	printf 'kvmsim-schedule 1\nprogram /bin/true\nchoices 2\np 1 0 y 2 3\nend\n' >"$W/short.schedule"
	"$KVMSIM" replay "$W/short.schedule" 2>"$W/e"
	[ $? = 2 ] || fail "short schedule accepted"
	grep -q "short.schedule:6: \"choices 2\" but 1 choice lines" "$W/e" || fail "msg: $(cat "$W/e")"
	printf 'kvmsim-schedule 1\nprogram /bin/true\nchoices 1\np x 0 y 2 3\nend\n' >"$W/bad.schedule"
	"$KVMSIM" replay "$W/bad.schedule" 2>"$W/e"
	grep -q 'bad.schedule:4: expected "p CHOSEN SELF y|w|x NCAND MASK"' "$W/e" || fail "msg: $(cat "$W/e")"
	printf 'not a schedule\n' >"$W/x.schedule"
	"$KVMSIM" replay "$W/x.schedule" 2>"$W/e"
	grep -q 'x.schedule:1: expected "kvmsim-schedule 1"' "$W/e" || fail "msg: $(cat "$W/e")"
	# more fault-site names than the old fixed table (64): no panic
	{ printf 'kvmsim-schedule 1\nprogram /bin/true\nchoices 70\n'
	  i=0; while [ $i -lt 70 ]; do printf 'f site%d 0\n' $i; i=$((i + 1)); done
	  printf 'end\n'; } >"$W/sites.schedule"
	"$KVMSIM" replay "$W/sites.schedule" >"$W/o" 2>"$W/e"
	rc=$?
	[ $rc -lt 128 ] && ! grep -q panic "$W/e" || fail "70 sites: status $rc $(cat "$W/e")"
	# "choices N" reserves nothing: the file's lines are what is read
	printf 'kvmsim-schedule 1\nprogram /bin/true\nchoices 268435456\np 1 0 y 2 3\nend\n' \
		>"$W/huge.schedule"
	# (1 GB of address space is enough; ASan needs terabytes of shadow)
	(ldd "$KVMSIM" | grep -q libasan || ulimit -v 1000000 2>/dev/null
	 "$KVMSIM" replay "$W/huge.schedule") 2>"$W/e"
	grep -q 'huge.schedule:6: "choices 268435456" but 1 choice lines' "$W/e" ||
		fail "huge choices: $(cat "$W/e")"
	# numbers out of their field's range are errors, not wrapped
	for l in "p 99999999999 0 y 2 3" "p 1 0 y 70000 3" "p 1 0 y 2 1ffffffffffffffff"; do
		printf 'kvmsim-schedule 1\nprogram /bin/true\nchoices 1\n%s\nend\n' "$l" >"$W/r.schedule"
		"$KVMSIM" replay "$W/r.schedule" 2>"$W/e"
		grep -q 'r.schedule:4: expected "p CHOSEN SELF' "$W/e" || fail "\"$l\" accepted: $(cat "$W/e")"
	done
	# environment values are checked like options
	KVMSIM_FAIL=bogus "$KVMSIM" exec -- /bin/true 2>"$W/e"
	[ $? = 2 ] && grep -q 'KVMSIM_FAIL: unknown site "bogus"' "$W/e" || fail "KVMSIM_FAIL=bogus: $(cat "$W/e")"
	KVMSIM_LIVELOCK=abc "$KVMSIM" exec -- /bin/true 2>"$W/e"
	[ $? = 2 ] && grep -q 'KVMSIM_LIVELOCK=abc: expected an unsigned number' "$W/e" ||
		fail "KVMSIM_LIVELOCK=abc: $(cat "$W/e")"
	KVMSIM_SEED=18446744073709551616 "$KVMSIM" exec -- /bin/true 2>"$W/e"
	[ $? = 2 ] || fail "KVMSIM_SEED above 2^64 accepted"
	KVMSIM_JOBS=4294967296 "$KVMSIM" exec -- /bin/true 2>"$W/e"
	[ $? = 2 ] || fail "KVMSIM_JOBS above INT_MAX accepted"
	"$KVMSIM" explore --fail nosuch -- /bin/true 2>"$W/e"
	[ $? = 2 ] && grep -q 'unknown site' "$W/e" || fail "--fail nosuch: $(cat "$W/e")"
	"$KVMSIM" explore --strategy dfs -- /bin/true 2>"$W/e"
	[ $? = 2 ] || fail "--strategy dfs accepted"
	"$KVMSIM" exec --fail fast_gup:1.5 -- /bin/true 2>"$W/e"
	[ $? = 2 ] && grep -q 'bad fault-injection spec' "$W/e" || fail "--fail 1.5: $(cat "$W/e")"
	;;
*)
	fail "unknown case $CASE"
	;;
esac
exit 0
