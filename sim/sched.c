// SPDX-License-Identifier: MIT
/*
 * Scheduler: run queue, wait queues, scheduling points, strategies and
 * deadlock handling.
 *
 * The run queue is kept sorted by actor id so that what a strategy sees
 * depends only on which actors are runnable, not on the order they were
 * woken in; a schedule recorded as pick indices then means the same thing
 * on replay.
 */
#include <stdio.h>
#include <string.h>

#include "sim/sim_internal.h"

/* ---- schedstat: where each actor's virtual time went ---- */

enum { ACCT_BLOCKED, ACCT_WAITING, ACCT_RUNNING };

/* close the open interval (running or waiting), open one in state */
static void acct(struct sim_actor *a, int state)
{
	uint64_t now = sim_now(), d = now > a->acct_mark ? now - a->acct_mark : 0;

	if (a->acct_state == ACCT_RUNNING)
		a->stat.exec_ns += d;
	else if (a->acct_state == ACCT_WAITING)
		a->stat.delay_ns += d;
	a->acct_mark = now;
	a->acct_state = state;
}

void sim_acct_reset(struct sim_actor *a)
{
	memset(&a->stat, 0, sizeof(a->stat));
	memset(&a->credit, 0, sizeof(a->credit));
	a->acct_mark = sim_now();
}

void sim_actor_schedstat(const struct sim_actor *a, struct sim_schedstat *s)
{
	uint64_t now = sim_now(), d = now > a->acct_mark ? now - a->acct_mark : 0;

	*s = a->stat;
	if (a->acct_state == ACCT_RUNNING)
		s->exec_ns += d;
	else if (a->acct_state == ACCT_WAITING)
		s->delay_ns += d;
	s->exec_ns += a->credit.exec_ns;
	s->delay_ns += a->credit.delay_ns;
	s->pcount += a->credit.pcount;
}

void sim_actor_schedstat_add(struct sim_actor *a, const struct sim_schedstat *d)
{
	a->credit.exec_ns += d->exec_ns;
	a->credit.delay_ns += d->delay_ns;
	a->credit.pcount += d->pcount;
}

void sim_runq_add(struct sim_actor *a)
{
	int i;

	SIM_BUG_ON(a->state != SIM_ACTOR_BLOCKED);
	i = sim_rt.nrun;
	while (i > 0 && sim_rt.runq[i - 1]->id > a->id) {
		sim_rt.runq[i] = sim_rt.runq[i - 1];
		i--;
	}
	sim_rt.runq[i] = a;
	sim_rt.nrun++;
	a->state = SIM_ACTOR_RUNNABLE;
	acct(a, a == sim_rt.cur ? ACCT_RUNNING : ACCT_WAITING);
}

void sim_runq_del(struct sim_actor *a)
{
	int i;

	SIM_BUG_ON(a->state != SIM_ACTOR_RUNNABLE);
	for (i = 0; i < sim_rt.nrun && sim_rt.runq[i] != a; i++)
		;
	SIM_BUG_ON(i == sim_rt.nrun);
	for (; i + 1 < sim_rt.nrun; i++)
		sim_rt.runq[i] = sim_rt.runq[i + 1];
	sim_rt.nrun--;
	a->state = SIM_ACTOR_BLOCKED;
	a->times_blocked++;
	acct(a, ACCT_BLOCKED);
}

bool sim_in_scheduler(void)
{
	return sim_rt.in_sched;
}

uint64_t sim_actor_times_blocked(const struct sim_actor *a)
{
	return a->times_blocked;
}

void sim_sched_reset(void)
{
	sim_rt.nrun = 0;
	sim_rt.ntimers = 0;
	sim_rt.decisions = 0;
	sim_rt.switches = 0;
	sim_rt.in_sched = false;
}

/* ---- wait queues ---- */

void sim_waitq_init(struct sim_waitq *wq, const char *name)
{
	wq->head = NULL;
	wq->tail = NULL;
	wq->name = name;
}

static void waitq_append(struct sim_waitq *wq, struct sim_actor *a)
{
	a->wq_next = NULL;
	a->waiting_on = wq;
	if (wq->tail)
		wq->tail->wq_next = a;
	else
		wq->head = a;
	wq->tail = a;
}

static void waitq_remove(struct sim_waitq *wq, struct sim_actor *a)
{
	struct sim_actor **pp = &wq->head;
	struct sim_actor *prev = NULL;

	while (*pp && *pp != a) {
		prev = *pp;
		pp = &(*pp)->wq_next;
	}
	SIM_BUG_ON(!*pp);
	*pp = a->wq_next;
	if (wq->tail == a)
		wq->tail = prev;
	a->wq_next = NULL;
	a->waiting_on = NULL;
}

void sim_waitq_remove(struct sim_waitq *wq, struct sim_actor *a)
{
	waitq_remove(wq, a);
}

/* Also the way out of a waitq for a non-FIFO wakeup (deadlock handlers). */
void sim_make_runnable(struct sim_actor *a)
{
	SIM_BUG_ON(!a);
	SIM_BUG_ON(a->state == SIM_ACTOR_DEAD);
	if (a->state == SIM_ACTOR_RUNNABLE || a->gone)
		return;
	sim_timer_disarm(a);
	if (a->waiting_on)
		waitq_remove(a->waiting_on, a);
	sim_timeline_wake(sim_rt.cur, a);
	sim_runq_add(a);
}

/*
 * An actor blocked for good, that nothing will ever wake (a destroyed
 * VM's idle vCPU): it ends where it sleeps, without running again, and
 * its stack is unmapped now (a program that creates and destroys VMs in a
 * loop would otherwise run out of mappings).
 */
bool sim_actor_discard(struct sim_actor *a)
{
	if (!a || a == sim_rt.cur || a->state != SIM_ACTOR_BLOCKED)
		return false;
	sim_timer_disarm(a);
	if (a->waiting_on)
		waitq_remove(a->waiting_on, a);
	a->state = SIM_ACTOR_DEAD;
	sim_wake_all(&a->exitq);
	sim_fiber_release(a);
	return true;
}

int sim_wake_one(struct sim_waitq *wq)
{
	struct sim_actor *a = wq->head;

	if (!a)
		return 0;
	sim_make_runnable(a);
	return 1;
}

int sim_wake_all(struct sim_waitq *wq)
{
	int n = 0;

	while (sim_wake_one(wq))
		n++;
	return n;
}

/* ---- strategies ---- */

static int random_pick(const struct sim_sched_point *sp, void *opaque)
{
	(void)opaque;
	return (int)sim_sched_rand_below((uint64_t)sp->n);
}

const struct sim_strategy sim_strategy_random = {
	.name = "random",
	.pick = random_pick,
};

void sim_set_strategy(const struct sim_strategy *s)
{
	SIM_BUG_ON(sim_rt.in_sched);
	if (!s)
		s = &sim_strategy_random;
	SIM_BUG_ON(!s->pick);
	sim_rt.strategy = *s;
}

const char *sim_strategy_name(void)
{
	return sim_rt.strategy.name ? sim_rt.strategy.name : "(unnamed)";
}

uint64_t sim_decisions(void)
{
	return sim_rt.decisions;
}

uint64_t sim_switches(void)
{
	return sim_rt.switches;
}

/* ---- deadlock ---- */

static void default_deadlock(void *opaque)
{
	(void)opaque;
	sim_oracle_quiescent();
}

void sim_set_deadlock_handler(void (*fn)(void *opaque), void *opaque)
{
	sim_rt.deadlock_fn = fn;
	sim_rt.deadlock_opaque = opaque;
}

void sim_set_idle_wait(bool (*fn)(uint64_t max_ns))
{
	sim_rt.idle_wait = fn;
}

static void handle_deadlock(void)
{
	while (!sim_rt.nrun && !sim_rt.ntimers && sim_rt.idle_wait &&
	       sim_rt.idle_wait(SIM_FOREVER))
		;
	if (sim_rt.nrun)
		return;
	if (sim_rt.deadlock_fn)
		sim_rt.deadlock_fn(sim_rt.deadlock_opaque);
	else
		default_deadlock(NULL);
	if (sim_rt.nrun == 0)
		sim_panic("deadlock handler returned with no runnable actor");
}

/* ---- virtual-time timers ----
 *
 * A timed wait arms a deadline on the actor.  At every scheduling point
 * the timers that are due fire, in (deadline, id) order; when nothing is
 * runnable, time jumps to the earliest deadline instead of declaring a
 * deadlock.  Sleeping therefore costs no host time at all.
 */
void sim_timer_disarm(struct sim_actor *a)
{
	if (!a->timer_armed)
		return;
	a->timer_armed = false;
	sim_rt.ntimers--;
}

static struct sim_actor *earliest_timer(void)
{
	struct sim_actor *best = NULL;

	for (int i = 0; i < sim_rt.nactors; i++) {
		struct sim_actor *a = sim_rt.actors[i];

		if (a->timer_armed && (!best || a->deadline < best->deadline))
			best = a;
	}
	return best;
}

static void expire_timers(void)
{
	struct sim_actor *a;

	while (sim_rt.ntimers && (a = earliest_timer()) &&
	       a->deadline <= sim_now()) {
		sim_make_runnable(a);	/* disarms */
		a->timed_out = true;
	}
}

static void run_timers(void)
{
	struct sim_actor *a;

	if (!sim_rt.ntimers)
		return;
	expire_timers();
	/* what comes from outside the run meanwhile (host pipes) may not wait */
	if (sim_rt.nrun == 0 && sim_rt.idle_wait && (a = earliest_timer()))
		sim_rt.idle_wait(a->deadline - sim_now());
	if (sim_rt.nrun == 0 && (a = earliest_timer())) {
		sim_advance(a->deadline - sim_now());
		expire_timers();
	}
}

uint64_t sim_next_timer(void)
{
	struct sim_actor *a = sim_rt.ntimers ? earliest_timer() : NULL;

	return a ? a->deadline : SIM_FOREVER;
}

/* ---- scheduling points ---- */

static const char *const sched_kind_name[] = {
	[SIM_SCHED_YIELD] = "yield", [SIM_SCHED_WAIT] = "wait", [SIM_SCHED_EXIT] = "exit",
};

/*
 * Every decision is a trace event: the point it was taken at, who could
 * run, who runs, and whether that took the CPU from an actor that could
 * have gone on — a failing schedule's trace then reads as its losing
 * interleaving.
 */
static void trace_choice(const struct sim_sched_point *sp, const struct sim_actor *next)
{
	char who[256];
	size_t len = 0;
	struct sim_ev *ev;

	if (!sim_trace_recording())
		return;
	who[0] = 0;
	for (int i = 0; i < sp->n && len < sizeof(who); i++)
		len += snprintf(who + len, sizeof(who) - len, "%s%s", i ? "," : "",
				sp->runnable[i]->name);
	ev = sim_ev_begin("sched_choice");
	sim_ev_int(ev, "decision", (int64_t)sp->decision);
	sim_ev_str(ev, "kind", sched_kind_name[sp->kind]);
	sim_ev_str(ev, "point", sp->point ? sp->point : "exit");
	sim_ev_str(ev, "runnable", who);
	sim_ev_str(ev, "next", next->name);
	sim_ev_bool(ev, "preempted", sp->kind == SIM_SCHED_YIELD && next != sp->self);
	sim_ev_end(ev);
}

static struct sim_actor *pick_next(struct sim_actor *self,
				   enum sim_sched_kind kind, const char *point)
{
	struct sim_sched_point sp;
	int idx;

	run_timers();
	if (sim_rt.nrun == 0 && !sim_spin_resume_alone())
		handle_deadlock();
	if (sim_rt.nrun == 1)
		return sim_rt.runq[0];
	sp = (struct sim_sched_point) {
		.kind = kind,
		.point = point,
		.self = self,
		.runnable = sim_rt.runq,
		.n = sim_rt.nrun,
		.decision = sim_rt.decisions,
	};
	idx = sim_rt.strategy.pick(&sp, sim_rt.strategy.opaque);
	if (idx < 0 || idx >= sp.n)
		sim_panic("strategy \"%s\" picked %d of %d runnable actors",
			  sim_strategy_name(), idx, sp.n);
	sim_rt.decisions++;
	trace_choice(&sp, sp.runnable[idx]);
	return sim_rt.runq[idx];
}

/* Returns when prev runs again; for a dead prev, never. */
void sim_schedule(struct sim_actor *prev, enum sim_sched_kind kind,
		  const char *point)
{
	struct sim_actor *next;

	sim_rt.in_sched = true;
	next = pick_next(prev, kind, point);
	sim_rt.in_sched = false;
	/* picked: what it was about to do is what it does now */
	next->op_obj[0] = next->op_obj[1] = NULL;
	if (next != prev) {
		if (prev->state == SIM_ACTOR_RUNNABLE)
			acct(prev, ACCT_WAITING);
		acct(next, ACCT_RUNNING);
		next->stat.pcount++;
		sim_rt.switches++;
		sim_timeline_switch(prev, point);
		sim_fiber_switch(prev, next);
		sim_reap_dead();
	}
	if (sim_rt.resume_hook)
		sim_rt.resume_hook();
}

void sim_set_resume_hook(void (*fn)(void))
{
	sim_rt.resume_hook = fn;
}

void sim_set_vtime_budget(uint64_t ns, void (*over)(uint64_t ns, const char *point))
{
	sim_rt.vtime_budget = ns;
	sim_rt.over_budget = over;
}

static struct sim_actor *enter_sched_point(const char *point)
{
	struct sim_actor *self = sim_rt.cur;

	SIM_BUG_ON(!sim_rt.initialized);
	/* Strategies and deadlock handlers run mid-switch: no nesting. */
	SIM_BUG_ON(sim_rt.in_sched);
	SIM_BUG_ON(self->state != SIM_ACTOR_RUNNABLE);
	if (sim_rt.vtime_budget && sim_now() > sim_rt.vtime_budget && sim_rt.over_budget)
		sim_rt.over_budget(sim_rt.vtime_budget, point);
	sim_rt.points++;
	sim_spin_progress(self);
	return self;
}

void sim_wait(struct sim_waitq *wq)
{
	struct sim_actor *self = enter_sched_point(wq ? wq->name : NULL);

	SIM_BUG_ON(!wq);
	sim_runq_del(self);
	waitq_append(wq, self);
	sim_schedule(self, SIM_SCHED_WAIT, wq->name);
}

bool sim_wait_until(struct sim_waitq *wq, uint64_t deadline)
{
	struct sim_actor *self = enter_sched_point(wq ? wq->name : NULL);

	SIM_BUG_ON(!wq);
	self->timed_out = false;
	if (deadline == SIM_FOREVER) {
		sim_wait(wq);
		return true;
	}
	if (deadline <= sim_now())
		return false;
	self->deadline = deadline;
	self->timer_armed = true;
	sim_rt.ntimers++;
	sim_runq_del(self);
	waitq_append(wq, self);
	sim_schedule(self, SIM_SCHED_WAIT, wq->name);
	return !self->timed_out;
}

void sim_sleep_until(uint64_t deadline)
{
	struct sim_actor *self = sim_rt.cur;

	while (sim_now() < deadline && deadline != SIM_FOREVER)
		if (!sim_wait_until(&self->sleepq, deadline))
			break;
}

void sim_yield(const char *point)
{
	struct sim_actor *self = enter_sched_point(point);

	if (sim_rt.ntimers)
		expire_timers();
	if (sim_rt.nrun == 1)
		return;
	sim_schedule(self, SIM_SCHED_YIELD, point);
}

void sim_set_preempt(enum sim_preempt p)
{
	sim_rt.preempt = p;
}

enum sim_preempt sim_preempt(void)
{
	return sim_rt.preempt;
}

const char *sim_preempt_name(enum sim_preempt p)
{
	return p == SIM_PREEMPT_SYNC ? "sync" : "blocking";
}

int sim_preempt_parse(const char *name, enum sim_preempt *p)
{
	if (!strcmp(name, "sync"))
		*p = SIM_PREEMPT_SYNC;
	else if (!strcmp(name, "blocking"))
		*p = SIM_PREEMPT_BLOCKING;
	else
		return -1;
	return 0;
}

void sim_sync_point_on(const char *point, const void *obj, const void *obj2)
{
	struct sim_actor *cur = sim_rt.cur;

	if (sim_rt.preempt != SIM_PREEMPT_SYNC || !sim_rt.initialized ||
	    sim_rt.in_sched || cur->state != SIM_ACTOR_RUNNABLE)
		return;
	/* what this actor does next, while it waits to be picked */
	cur->op_obj[0] = obj;
	cur->op_obj[1] = obj2;
	sim_yield(point);
	cur->op_obj[0] = cur->op_obj[1] = NULL;
}

void sim_sync_point(const char *point)
{
	sim_sync_point_on(point, NULL, NULL);
}

void sim_join(struct sim_actor *a)
{
	SIM_BUG_ON(!a);
	SIM_BUG_ON(a == sim_rt.cur);
	while (a->state != SIM_ACTOR_DEAD)
		sim_wait(&a->exitq);
}
