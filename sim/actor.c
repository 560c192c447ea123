// SPDX-License-Identifier: MIT
/*
 * Runtime lifecycle and actors.
 *
 * Actors live in an array indexed by id and are only freed by sim_reset, so
 * a pointer to a dead actor stays valid for names, ids and joins; only its
 * stack is reclaimed early.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "sim/sim_internal.h"

#define SIM_DEFAULT_STACK (256 * 1024)
#define SIM_MIN_STACK (64 * 1024)

struct sim_runtime sim_rt;

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		sim_panic("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		sim_panic("out of memory");
	return p;
}

static char *exitq_name_for(const char *name)
{
	char *p;

	if (asprintf(&p, "exit:%s", name) < 0)
		sim_panic("out of memory");
	return p;
}

/* The run queue never holds more than every actor, so grow both together. */
static void grow_tables(void)
{
	int cap = sim_rt.cap ? sim_rt.cap * 2 : 16;
	struct sim_actor **actors, **runq;

	actors = realloc(sim_rt.actors, cap * sizeof(*actors));
	if (!actors)
		sim_panic("out of memory");
	sim_rt.actors = actors;
	runq = realloc(sim_rt.runq, cap * sizeof(*runq));
	if (!runq)
		sim_panic("out of memory");
	sim_rt.runq = runq;
	sim_rt.cap = cap;
}

static struct sim_actor *actor_new(const char *name)
{
	struct sim_actor *a = xcalloc(1, sizeof(*a));

	SIM_BUG_ON(!name);
	if (sim_rt.nactors == sim_rt.cap)
		grow_tables();
	a->id = sim_rt.nactors;
	a->state = SIM_ACTOR_BLOCKED;
	/*
	 * Its first step, from its start to its first scheduling point, is
	 * its own code: it names no object (sim_sync_point_on).
	 */
	a->op_obj[0] = SIM_OP_LOCAL;
	a->name = xstrdup(name);
	a->exitq_name = exitq_name_for(name);
	sim_waitq_init(&a->exitq, a->exitq_name);
	sim_waitq_init(&a->sleepq, "sleep");
	sim_rt.actors[sim_rt.nactors++] = a;
	return a;
}

static void actor_free(struct sim_actor *a)
{
	sim_fiber_release(a);
	free(a->exitq_name);
	free(a->name);
	free(a);
}

void sim_init(uint64_t seed, const char *main_name)
{
	struct sim_actor *a0;

	sim_rt.seed = seed;
	sim_rand_reseed(seed);
	if (sim_rt.initialized)
		return;
	/* Settings made before sim_init are kept. */
	if (!sim_rt.stack_size)
		sim_rt.stack_size = SIM_DEFAULT_STACK;
	if (!sim_rt.strategy.pick)
		sim_rt.strategy = sim_strategy_random;
	sim_rt.initialized = true;
	a0 = actor_new(main_name);
	a0->op_obj[0] = NULL;	/* running already: not at its start */
	sim_rt.cur = a0;
	sim_runq_add(a0);
}

bool sim_initialized(void)
{
	return sim_rt.initialized;
}

uint64_t sim_seed(void)
{
	return sim_rt.seed;
}

void sim_reset(uint64_t seed)
{
	struct sim_actor *a0;
	int i;

	SIM_BUG_ON(!sim_rt.initialized);
	SIM_BUG_ON(sim_rt.in_sched);
	a0 = sim_rt.actors[0];
	SIM_BUG_ON(sim_rt.cur != a0);
	/* We run on actor 0's stack, so every other stack can go now. */
	for (i = 1; i < sim_rt.nactors; i++)
		actor_free(sim_rt.actors[i]);
	sim_rt.nactors = 1;
	sim_rt.unreaped = 0;
	a0->state = SIM_ACTOR_BLOCKED;	/* re-entered below */
	a0->waiting_on = NULL;
	a0->wq_next = NULL;
	a0->timer_armed = false;
	sim_waitq_init(&a0->sleepq, "sleep");
	sim_waitq_init(&a0->exitq, a0->exitq_name);
	sim_sched_reset();
	sim_runq_add(a0);
	sim_rt.seed = seed;
	sim_rand_reseed(seed);
	sim_clock_reset();
	sim_acct_reset(a0);
	sim_trace_reset();
	sim_explore_reset();
}

void sim_set_stack_size(size_t bytes)
{
	sim_rt.stack_size = bytes < SIM_MIN_STACK ? SIM_MIN_STACK : bytes;
}

struct sim_actor *sim_spawn(const char *name, sim_actor_fn fn, void *arg)
{
	struct sim_actor *a;

	SIM_BUG_ON(!sim_rt.initialized);
	SIM_BUG_ON(!fn);
	a = actor_new(name);
	a->fn = fn;
	a->arg = arg;
	sim_fiber_init_stack(a);
	return a;
}

void sim_actor_set_name(struct sim_actor *a, const char *name)
{
	char *n = xstrdup(name), *q = exitq_name_for(name);

	free(a->name);
	free(a->exitq_name);
	a->name = n;
	a->exitq_name = q;
	a->exitq.name = q;
}

void sim_actor_set_user(struct sim_actor *a, void *user)
{
	a->user = user;
}

void *sim_actor_user(const struct sim_actor *a)
{
	return a->user;
}

bool sim_actor_stack(const struct sim_actor *a, void **bottom, size_t *size)
{
	if (!a->map)
		return false;
	*bottom = (void *)a->stack_bottom;
	*size = a->stack_size;
	return true;
}

void sim_exit(void)
{
	struct sim_actor *self = sim_rt.cur;

	SIM_BUG_ON(!self->map);	/* actor 0 runs on the thread's stack */
	sim_actor_exit(self);
}

struct sim_actor *sim_self(void)
{
	return sim_rt.cur;
}

const char *sim_actor_name(const struct sim_actor *a)
{
	SIM_BUG_ON(!a);
	return a->name;
}

int sim_actor_id(const struct sim_actor *a)
{
	SIM_BUG_ON(!a);
	return a->id;
}

bool sim_actor_alive(const struct sim_actor *a)
{
	SIM_BUG_ON(!a);
	return a->state != SIM_ACTOR_DEAD;
}

int sim_actor_count(void)
{
	return sim_rt.nactors;
}

struct sim_actor *sim_actor_get(int id)
{
	if (id < 0 || id >= sim_rt.nactors)
		return NULL;
	return sim_rt.actors[id];
}

const struct sim_waitq *sim_actor_waitq(const struct sim_actor *a)
{
	SIM_BUG_ON(!a);
	return a->waiting_on;
}

static const char *state_name(const struct sim_actor *a)
{
	if (a->gone)
		return "gone (the forked child has only the thread that forked)";
	if (a == sim_rt.cur && a->state == SIM_ACTOR_RUNNABLE)
		return "running";
	switch (a->state) {
	case SIM_ACTOR_RUNNABLE:
		return "runnable";
	case SIM_ACTOR_DEAD:
		return "dead";
	default:
		return "blocked";
	}
}

void sim_dump_actors(FILE *out)
{
	int i;

	for (i = 0; i < sim_rt.nactors; i++) {
		const struct sim_actor *a = sim_rt.actors[i];

		fprintf(out, "  actor %d \"%s\": %s", a->id, a->name,
			state_name(a));
		if (a->waiting_on)
			fprintf(out, " on \"%s\"", a->waiting_on->name ?
				a->waiting_on->name : "(unnamed)");
		else if (a->state == SIM_ACTOR_BLOCKED && !a->gone)
			fputs(" (not on a waitq: never made runnable?)", out);
		if (a == sim_rt.cur)
			fputs(" [current]", out);
		fputc('\n', out);
	}
}
