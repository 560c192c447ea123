// SPDX-License-Identifier: MIT
/*
 * The program forked: the child is a copy of the whole simulation, but a
 * forked child has only the thread that called fork.  Every other actor
 * the layer above does not keep vanishes: off the run queue, its wait
 * queue and timer, never woken or run again (its stack stays mapped: it
 * is the parent's, copied).  The trace, timeline and narration are the
 * parent's: the child records nothing, and they are flushed before the
 * fork so that neither process writes the other's buffered lines.
 */
#include "sim/sim_internal.h"

void sim_fork_prepare(void)
{
	sim_trace_flush();
	sim_timeline_flush();
}

static bool forked_child;

bool sim_in_forked_child(void)
{
	return forked_child;
}

static void actor_vanish(struct sim_actor *a)
{
	if (a->state == SIM_ACTOR_DEAD || a->gone)
		return;
	sim_timer_disarm(a);
	if (a->state == SIM_ACTOR_RUNNABLE)
		sim_runq_del(a);
	if (a->waiting_on)
		sim_waitq_remove(a->waiting_on, a);
	a->gone = true;
}

void sim_fork_child(bool (*keep)(struct sim_actor *a))
{
	forked_child = true;
	for (int i = 0; i < sim_rt.nactors; i++) {
		struct sim_actor *a = sim_rt.actors[i];

		if (a != sim_rt.cur && !(keep && keep(a)))
			actor_vanish(a);
	}
	sim_trace_after_fork();
	sim_timeline_after_fork();
	/* the CPU-time timer is not inherited */
	sim_spin_after_fork();
}
