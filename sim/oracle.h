/* SPDX-License-Identifier: MIT */
/*
 * Oracles: checks that end a run with a verdict.  A failure names the
 * oracle and, in its message, the actors and addresses involved; under
 * `kvmsim explore` it marks the run as failing and its schedule is saved.
 *
 * Quiescence hooks run when no actor can run and no timer is armed,
 * before the generic "deadlock" verdict: a layer that knows why an actor
 * sleeps (e.g. userfaultfd: its fault was already read, so nothing will
 * ever wake it) can give the sharper verdict ("lost-wakeup") by calling
 * sim_oracle_fail() itself.
 */
#ifndef KVMSIM_SIM_ORACLE_H
#define KVMSIM_SIM_ORACLE_H

#include <stdbool.h>

/* Exit status of a process whose run an oracle failed. */
#define SIM_ORACLE_EXIT_STATUS 86

/*
 * Report "kvmsim: FAILED oracle NAME: message" on stderr, finish the trace
 * and timeline, save the schedule when one is being recorded, and end the
 * process with SIM_ORACLE_EXIT_STATUS.  Callable from any actor.
 */
void sim_oracle_fail(const char *oracle, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));

typedef void (*sim_quiesce_fn)(void *opaque);
/* Hooks run in registration order; each may call sim_oracle_fail. */
void sim_oracle_add_quiesce(sim_quiesce_fn fn, void *opaque);

/* Called at exit and at a failure, in registration order (trace, timeline...). */
typedef void (*sim_finish_fn)(const char *oracle, const char *message, void *opaque);
void sim_oracle_add_finish(sim_finish_fn fn, void *opaque);

#endif
