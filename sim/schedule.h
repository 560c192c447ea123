/* SPDX-License-Identifier: MIT */
/*
 * Schedules: every choice a run made that could have gone another way —
 * which actor ran at each scheduling decision, and whether each armed
 * fault-injection site failed — plus what is needed to run it again
 * (program, arguments, seeds, profile, quantum, armed sites).
 *
 * File format (text, one item per line, '#' comments):
 *
 *	kvmsim-schedule 1
 *	version X.Y.Z			(optional: the kvmsim that wrote it)
 *	program /abs/path/to/binary
 *	scenario NAME			(optional: a built-in scenario)
 *	arg ARG				(one line per argument, in order)
 *	seed N				(seed before the first choice)
 *	run-seed N			(seed from the first choice on)
 *	profile NAME
 *	arch NAME			(optional: the program's --arch, e.g. arm64)
 *	quantum N			(0: default)
 *	preempt sync|blocking		(scheduling points; absent: blocking,
 *					 as files from before it was recorded)
 *	max-vtime N			(optional: the run's virtual-time budget)
 *	fail SPEC			(one line per --fail)
 *	strategy TEXT			(how the schedule was found; informative)
 *	oracle NAME			(the verdict of the run, if it failed)
 *	message TEXT
 *	choices N
 *	p CHOSEN SELF KIND NCAND MASK	(KIND y=yield w=wait x=exit)
 *	f SITE 0|1
 *	end
 */
#ifndef KVMSIM_SIM_SCHEDULE_H
#define KVMSIM_SIM_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SIM_MAX_ARGS 64
#define SIM_MAX_FAIL 16

struct sim_choice {
	char kind;		/* 'p' scheduling pick, 'f' fault injection */
	char point;		/* 'y', 'w', 'x' for picks */
	uint16_t ncand;		/* runnable actors at the pick */
	int32_t chosen;		/* actor id (pick) or 0/1 (injection) */
	int32_t self;		/* actor at the scheduling point */
	uint32_t site;		/* injection site index (sim_site_name) */
	uint64_t mask;		/* runnable actor ids < 64, bit per id */
	/*
	 * Not in files: the objects of the operation the chosen actor does
	 * next (sim_sync_point_on; 0, 0: could touch anything), for the
	 * bounded search's partial-order reduction.
	 */
	uintptr_t obj[2];
};

struct sim_schedule {
	char version[32];	/* "" when the file has no version line */
	char program[4096];
	char scenario[64];
	char *args[SIM_MAX_ARGS];
	int nargs;
	uint64_t seed, run_seed;
	char profile[64];
	char arch[16];		/* "" for the default */
	uint64_t quantum;
	char preempt[16];	/* "sync", "blocking"; "": blocking */
	uint64_t max_vtime;	/* the run's virtual-time budget; 0: none */
	char *fail[SIM_MAX_FAIL];
	int nfail;
	char strategy[128];
	char oracle[32];
	char message[512];
	struct sim_choice *choices;
	uint64_t nchoices;
	uint64_t choices_cap;	/* allocated by the reader */
};

/* A pick that took the CPU away from an actor that could have gone on. */
static inline bool sim_choice_is_preemption(const struct sim_choice *c)
{
	return c->kind == 'p' && c->point == 'y' && c->chosen != c->self;
}

uint64_t sim_choices_preemptions(const struct sim_choice *c, uint64_t n);

/* Injection site names are interned: choices refer to them by index. */
uint32_t sim_site_intern(const char *name);
const char *sim_site_name(uint32_t idx);
/* Forget every interned name (a fuzz harness, between inputs). */
void sim_sites_forget(void);

int sim_schedule_write(const struct sim_schedule *s, const char *path);
/*
 * Read a schedule; on error returns -1 with "FILE:LINE: what was
 * expected" in err.
 */
int sim_schedule_read(struct sim_schedule *s, const char *path, char *err,
		      size_t errlen);
void sim_schedule_free(struct sim_schedule *s);

#endif
