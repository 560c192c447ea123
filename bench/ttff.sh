#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Time to first failure (bench/RESULTS.md, section h): for each racy
# program or scenario and each strategy, the run explore fails at and the
# wall time it took, for several independent seeds.  A seed s makes runs
# s, s+1, ...: the seeds here are 100,000 apart, more than any budget, so
# no two share a run.  bounded does not depend on the seed: one figure.
#
#   bench/ttff.sh [BUILD_DIR] [SEEDS]     (default: build, "0 100000 200000 300000 400000")
#
# Prints a Markdown table: "run (seconds)" per seed, "-" when the budget
# ran out first.

set -u
build=${1:-build}
seeds=${2:-"0 100000 200000 300000 400000"}
k=$build/kvmsim
ex=$build/tests/explore
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# name|budget|explore arguments
cases="abba|1000|-- $ex/abba
check-then-wait|1000|-- $ex/check-then-wait
lost-wakeup|1000|-- $ex/lost-wakeup
racy-counter|1000|-- $ex/racy-counter
abba-cycle|1000|-- $ex/abba-cycle
signal-unlocked|1000|-- $ex/signal-unlocked
racy-vmm|3000|racy-vmm
userfault-race (+skip-mmu-seq-check)|3000|--profile userfault-v3+skip-mmu-seq-check userfault-race
private-convert-race (+skip-mmu-seq-check)|3000|--quantum 4000 --profile upstream+skip-mmu-seq-check private-convert-race
ipi-wakeup|1000|ipi-wakeup"

now() { date +%s%N; }

# one STRATEGY SEED BUDGET ARGS...: "RUN (S s)" or "- (S s)"
one() {
	s=$1 seed=$2 budget=$3
	shift 3
	t0=$(now)
	"$k" explore --strategy "$s" --preemptions 2 --seed "$seed" --runs "$budget" \
		--out "$out" "$@" 2>"$out/err" >/dev/null
	t1=$(now)
	secs=$(echo "$t0 $t1" | awk '{ printf "%.1f", ($2 - $1) / 1e9 }')
	run=$(sed -n 's/^FAILED run \([0-9]*\):.*/\1/p' "$out/err")
	rm -f "$out"/*.schedule
	echo "${run:--} (${secs} s)"
}

printf '| program | strategy |'
for s in $seeds; do printf ' seed %s |' "$s"; done
printf '\n|---|---|'
for s in $seeds; do printf -- '---|'; done
printf '\n'
echo "$cases" | while IFS='|' read -r name budget args; do
	for strat in random pct bounded; do
		printf '| %s (budget %s) | %s |' "$name" "$budget" "$strat"
		for seed in $seeds; do
			# shellcheck disable=SC2086
			printf ' %s |' "$(one $strat "$seed" "$budget" $args)"
			[ $strat = bounded ] && break
		done
		printf '\n'
	done
done
