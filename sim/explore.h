/* SPDX-License-Identifier: MIT */
/*
 * Exploring schedules: strategies (random walk, PCT, preemption-bounded
 * search), replay of a schedule file, shrinking a failing schedule, and
 * fault injection whose outcomes are choices like scheduling picks.
 *
 * Everything before a run's first choice is the same for every schedule,
 * so `explore` and `shrink` run the program once up to that point and
 * fork there: each child is one run, reporting through shared memory.
 * The run seed takes effect at the first choice (both random streams are
 * reseeded there), which is what makes a forked run and a fresh replay of
 * the same schedule identical.
 */
#ifndef KVMSIM_SIM_EXPLORE_H
#define KVMSIM_SIM_EXPLORE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/schedule.h"

enum sim_run_mode {
	SIM_RUN_PLAIN,		/* one run, random strategy from the seed */
	SIM_RUN_EXPLORE,	/* many runs from the first choice on */
	SIM_RUN_REPLAY,		/* follow a schedule file */
	SIM_RUN_SHRINK,		/* minimise a failing schedule file */
};

struct sim_explore_cfg {
	enum sim_run_mode mode;
	const char *strategy;	/* explore: random | pct | bounded */
	int depth;		/* pct: d (d - 1 priority change points) */
	int preemptions;	/* bounded: at most this many preemptions */
	bool por;		/* bounded: partial-order reduction (sleep sets) */
	uint64_t runs;		/* explore: run budget */
	/*
	 * explore --shard I/N: this process makes runs I, I + N, I + 2N...
	 * of the budget (run r has seed + r whichever process makes it).
	 */
	uint32_t shard, nshards;
	bool keep_going;	/* go on past failures: every outcome tallied */
	const char *result_path;	/* the outcome tally file, or NULL */
	int jobs;		/* runs in parallel processes */
	uint64_t max_choices;	/* per run; more is the "budget" verdict */
	/*
	 * Per run: an actor runnable and not picked for more decisions in a
	 * row than this is starved (a spinning actor): "budget" verdict.
	 * 0: no limit.
	 */
	uint64_t max_starve;
	const char *save_prefix;	/* explore: PREFIX.RUN.schedule */
	const char *schedule_path;	/* replay / shrink input */
	int progress;		/* 1: redraw a line on stderr (a terminal);
				 * 2: a plain line every progress_seconds */
	uint64_t progress_seconds;
	/*
	 * What a saved schedule needs to run again; replay and shrink get it
	 * (choices too) from schedule_path.
	 */
	struct sim_schedule meta;
	/*
	 * At the run's first choice, before explore and shrink fork their
	 * runs there (replay calls it at the same point): work that every
	 * run would do first, done once for all of them.  It must not change
	 * what a run does or records.  NULL: none.
	 */
	void (*fork_point)(void);
	/*
	 * In the server, before its next fork: a record a run passed to
	 * sim_explore_learn, in the order the runs ended.  NULL: none.
	 */
	void (*learned)(const void *rec, size_t len);
};

/* After sim_init.  Returns 0, or -1 with a message on stderr. */
int sim_explore_configure(const struct sim_explore_cfg *cfg);

/*
 * Arm a fault-injection site: "SITE" (every hit fails), "SITE:N" (the
 * N-th hit, from 1), "SITE:P" with 0 < P < 1 (each hit with probability
 * P, drawn from the scheduler stream).  -1 on a malformed spec.
 */
int sim_inject_arm(const char *spec);
/*
 * At a site: should this hit fail?  Unarmed sites cost a lookup and
 * return false.  Every armed hit is a choice in the schedule.
 */
bool sim_inject(const char *site);

/*
 * True in one of explore's or shrink's forked runs: the process ends
 * with the run, so what it frees is freed by its exit anyway.
 */
bool sim_explore_in_run(void);

/*
 * In a forked run: hand the server something this run computed that
 * later runs may reuse (a cache keyed by what it was computed from, never
 * a decision: with --jobs the server gets the records in the order runs
 * end).  Records that do not fit the run's room are dropped.
 */
void sim_explore_learn(const void *rec, size_t len);

/* Choices made so far in this run, preemptions among them. */
uint64_t sim_explore_choices(void);
uint64_t sim_explore_preemptions(void);

#endif
