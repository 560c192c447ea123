// SPDX-License-Identifier: MIT
/*
 * Oracle verdicts and the quiescence check (see oracle.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/oracle.h"
#include "sim/sim_internal.h"

#define MAX_HOOKS 8

struct hook {
	void (*fn)();
	void *opaque;
};

static struct hook quiesce_hooks[MAX_HOOKS], finish_hooks[MAX_HOOKS];
static int nr_quiesce, nr_finish;
static bool failing;

static void add_hook(struct hook *h, int *n, void (*fn)(), void *opaque)
{
	SIM_BUG_ON(*n == MAX_HOOKS);
	for (int i = 0; i < *n; i++)
		if (h[i].fn == fn && h[i].opaque == opaque)
			return;
	h[(*n)++] = (struct hook){ fn, opaque };
}

void sim_oracle_add_quiesce(sim_quiesce_fn fn, void *opaque)
{
	add_hook(quiesce_hooks, &nr_quiesce, (void (*)())fn, opaque);
}

void sim_oracle_add_finish(sim_finish_fn fn, void *opaque)
{
	add_hook(finish_hooks, &nr_finish, (void (*)())fn, opaque);
}

void sim_oracle_finish(const char *oracle, const char *message)
{
	for (int i = 0; i < nr_finish; i++)
		((sim_finish_fn)finish_hooks[i].fn)(oracle, message,
						    finish_hooks[i].opaque);
}

/* The verdict ends the trace, so the trace alone says how the run went. */
static void trace_verdict(const char *oracle, const char *msg)
{
	struct sim_ev *ev = sim_ev_begin("oracle");

	sim_ev_str(ev, "oracle", oracle);
	sim_ev_str(ev, "message", msg);
	sim_ev_end(ev);
}

void sim_oracle_fail(const char *oracle, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (failing)		/* a second verdict while reporting the first */
		_exit(SIM_ORACLE_EXIT_STATUS);
	failing = true;
	sim_rt.in_sched = false;
	/*
	 * A verdict given from the deadlock handler runs on a blocked
	 * actor; exit handlers (the program's, the sanitizers') may still
	 * reach a scheduling point, which must find a runnable actor.
	 */
	if (sim_rt.cur && sim_rt.cur->state == SIM_ACTOR_BLOCKED)
		sim_make_runnable(sim_rt.cur);
	fflush(stdout);
	fprintf(stderr, "kvmsim: FAILED oracle %s: %s\n", oracle, msg);
	trace_verdict(oracle, msg);
	sim_oracle_finish(oracle, msg);
	exit(SIM_ORACLE_EXIT_STATUS);
}

bool sim_oracle_failing(void)
{
	return failing;
}

/* What every blocked actor sleeps on, for the deadlock verdict. */
static void describe_blocked(char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = 0;
	for (int i = 0; i < sim_rt.nactors && len < size; i++) {
		struct sim_actor *a = sim_rt.actors[i];

		if (a->state != SIM_ACTOR_BLOCKED)
			continue;
		len += snprintf(buf + len, size - len, "%s%s on %s", len ? ", " : "",
				a->name, a->waiting_on ? a->waiting_on->name : "(nothing)");
	}
}

/* The default deadlock handler: sharper verdicts first, then "deadlock". */
void sim_oracle_quiescent(void)
{
	char who[768];

	for (int i = 0; i < nr_quiesce; i++)
		((sim_quiesce_fn)quiesce_hooks[i].fn)(quiesce_hooks[i].opaque);
	describe_blocked(who, sizeof(who));
	sim_oracle_fail("deadlock", "every actor is blocked at vtime %llu: %s",
			(unsigned long long)sim_now(), who);
}
