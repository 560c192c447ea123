/* SPDX-License-Identifier: MIT */
/*
 * Outcome tallies of an exploration: which runs ended how.  An outcome is
 * a failure (oracle and message: one per distinct verdict) or a pass
 * with what the run printed (FNV-1a of its stdout, and its first line for
 * people): schedules that end differently show up as different outcomes
 * even when none fails.
 *
 * `explore --shard I/N` writes its tally as NAME.shard-I-of-N.result in
 * the --out directory; `kvmsim merge` reads the files of every shard and
 * prints what one process running every run would have printed.
 *
 * File format (text, one item per line):
 *
 *	kvmsim-explore-result 1
 *	version X.Y.Z
 *	what TEXT		(program, arguments, strategy, seed, budget...:
 *				 every shard of one exploration has the same)
 *	shard I N
 *	runs N			(the run budget of the whole exploration)
 *	keep-going 0|1
 *	outcome IDX passed|failed HASH
 *	oracle NAME		(failed: the verdict of the outcome above)
 *	message TEXT
 *	stdout TEXT		(passed: its first line)
 *	schedule PATH		(the saved schedule of its first run, if any)
 *	r RUN IDX		(one line per run this shard finished)
 *	end
 */
#ifndef KVMSIM_SIM_OUTCOME_H
#define KVMSIM_SIM_OUTCOME_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_NO_RUN UINT64_MAX
#define SIM_NO_OUTCOME UINT32_MAX

struct sim_outcome {
	bool failed;
	char oracle[32];
	char message[512];
	uint64_t out_hash;	/* passed: FNV-1a of stdout */
	char out_line[96];	/* passed: stdout's first line */
	char schedule[4200];	/* saved schedule of its first run, "" */
};

struct sim_tally {
	char what[4600];
	uint32_t shard, nshards;
	uint64_t runs;		/* the budget */
	bool keep_going;
	struct sim_outcome *o;
	uint32_t n, cap;
	uint32_t *run;		/* outcome of each run number, SIM_NO_OUTCOME */
	uint64_t nrun;
};

void sim_tally_init(struct sim_tally *t);
void sim_tally_free(struct sim_tally *t);
/* Index of the outcome equal to *o, added if new. */
uint32_t sim_tally_outcome(struct sim_tally *t, const struct sim_outcome *o);
void sim_tally_set_run(struct sim_tally *t, uint64_t run, uint32_t idx);
/* The lowest failing run number, or SIM_NO_RUN. */
uint64_t sim_tally_first_failure(const struct sim_tally *t);
/*
 * The runs that count: without keep-going, those up to the first failure
 * (what one process stops at, whatever ran past it in parallel).
 */
uint64_t sim_tally_limit(const struct sim_tally *t);
/* Lowest run number in [0, limit] with no outcome, or SIM_NO_RUN. */
uint64_t sim_tally_missing(const struct sim_tally *t, uint64_t limit);
/* "  COUNT  passed|FAILED ...  (first run R)" lines, in order of first run. */
void sim_tally_print(const struct sim_tally *t, FILE *f);
/* The first run of outcome idx below or at limit, or SIM_NO_RUN. */
uint64_t sim_tally_first_run(const struct sim_tally *t, uint32_t idx, uint64_t limit);

/* Atomic (temporary file + rename); 0 or -errno. */
int sim_tally_write(const struct sim_tally *t, const char *path);
/* -1 with "FILE:LINE: what was expected" in err. */
int sim_tally_read(struct sim_tally *t, const char *path, char *err, size_t errlen);
/*
 * Add src's runs to dst (dst's header comes from the first file merged).
 * -1 with a message in err when src belongs to another exploration or a
 * run is in both.
 */
int sim_tally_merge(struct sim_tally *dst, const struct sim_tally *src, char *err,
		    size_t errlen);

#endif
