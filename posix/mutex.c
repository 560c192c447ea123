// SPDX-License-Identifier: MIT
/*
 * Mutexes and condition variables on sim/ wait queues.
 *
 * The model's state lives in side tables keyed by the object's address;
 * the object itself keeps glibc's layout, written by the real
 * pthread_mutex_init/pthread_cond_init (pure memory stores), so the kind
 * (normal, recursive, errorcheck) of a statically initialised
 * PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP mutex or of one made with an
 * attr is read from it, and a mutex used before posix_init needs nothing.
 *
 * An uncontended lock or unlock is a table lookup and a store: no
 * scheduling point.  A contended lock sleeps FIFO on "pthread_mutex";
 * unlock wakes the first waiter, which then competes again (no hand-off,
 * as with glibc's futex mutexes): whoever locks while a woken waiter has
 * not run yet reaches a scheduling point first, so both orders occur.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "posix/objtab.h"
#include "posix/posix.h"
#include "sim/sim.h"

struct posix_mutex {
	struct objent ent;
	struct sim_actor *owner;
	unsigned int count;	/* recursion depth */
	int pending;		/* woken waiters that have not run yet */
	struct sim_waitq wq;
};

struct posix_cond {
	struct objent ent;
	struct sim_waitq wq;
};

static struct objtab mutexes, conds;

static struct posix_mutex *mutex_get(pthread_mutex_t *m)
{
	struct posix_mutex *pm = (struct posix_mutex *)objtab_find(&mutexes, m);

	if (pm)
		return pm;
	pm = (struct posix_mutex *)objtab_get(&mutexes, m, sizeof(*pm));
	sim_waitq_init(&pm->wq, "pthread_mutex");
	return pm;
}

/* glibc's PTHREAD_MUTEX_KIND_MASK_NP bits: normal, recursive, errorcheck, adaptive */
static int mutex_kind(const pthread_mutex_t *m)
{
	int kind = m->__data.__kind & 3;

	return kind == PTHREAD_MUTEX_ADAPTIVE_NP ? PTHREAD_MUTEX_NORMAL : kind;
}

static void mutex_event(const char *event, int woken)
{
	struct sim_ev *ev = sim_ev_begin(event);

	if (woken >= 0)
		sim_ev_int(ev, "woken", woken);
	sim_ev_end(ev);
}

int posix_mutex_init(pthread_mutex_t *m)
{
	struct objent *e = objtab_remove(&mutexes, m);

	free(e);
	return 0;
}

int posix_mutex_destroy(pthread_mutex_t *m)
{
	struct posix_mutex *pm = (struct posix_mutex *)objtab_find(&mutexes, m);

	if (pm && (pm->owner || pm->wq.head || pm->pending))
		return EBUSY;
	free(objtab_remove(&mutexes, m));
	return 0;
}

static bool mutex_free(const struct posix_mutex *pm)
{
	return !pm->owner && !pm->pending;
}

static void mutex_take(struct posix_mutex *pm)
{
	pm->owner = sim_self();
	pm->count = 1;
}

/*
 * Sleep until the mutex is ours.  A woken waiter that has not run yet
 * makes the lock a scheduling point: it may run first and win.
 */
static int mutex_acquire(struct posix_mutex *pm, uint64_t deadline)
{
	while (pm->owner || pm->pending) {
		if (!pm->owner) {
			sim_yield("pthread_mutex_lock");
			if (!pm->owner)
				break;
			continue;
		}
		mutex_event("pthread_mutex_lock_wait", -1);
		if (!sim_wait_until(&pm->wq, deadline))
			return ETIMEDOUT;
		pm->pending--;
	}
	mutex_take(pm);
	return 0;
}

/* What locking a mutex the caller already holds does, by kind. */
static int mutex_relock(struct posix_mutex *pm, int kind)
{
	if (kind == PTHREAD_MUTEX_RECURSIVE) {
		if (pm->count == UINT_MAX)
			return EAGAIN;
		pm->count++;
		return 0;
	}
	if (kind == PTHREAD_MUTEX_ERRORCHECK)
		return EDEADLK;
	return -1;	/* normal: deadlocks, as glibc's does */
}

int posix_mutex_timedlock(pthread_mutex_t *m, clockid_t clk,
			  const struct timespec *abstime)
{
	struct posix_mutex *pm;
	uint64_t deadline = SIM_FOREVER;
	int r;

	sim_sync_point_on("pthread_mutex_lock", m, NULL);
	pm = mutex_get(m);
	if (mutex_free(pm)) {
		mutex_take(pm);
		return 0;
	}
	if (pm->owner == sim_self() && (r = mutex_relock(pm, mutex_kind(m))) >= 0)
		return r;
	if (abstime && posix_deadline(clk, abstime, true, &deadline))
		return EINVAL;
	return mutex_acquire(pm, deadline);
}

int posix_mutex_lock(pthread_mutex_t *m)
{
	return posix_mutex_timedlock(m, CLOCK_REALTIME, NULL);
}

int posix_mutex_trylock(pthread_mutex_t *m)
{
	struct posix_mutex *pm;

	sim_sync_point_on("pthread_mutex_trylock", m, NULL);
	pm = mutex_get(m);
	if (mutex_free(pm)) {
		mutex_take(pm);
		return 0;
	}
	if (pm->owner == sim_self() && mutex_kind(m) == PTHREAD_MUTEX_RECURSIVE)
		return mutex_relock(pm, PTHREAD_MUTEX_RECURSIVE);
	return EBUSY;
}

/* Release fully (count levels) and wake the first waiter. */
static void mutex_release(struct posix_mutex *pm)
{
	pm->owner = NULL;
	pm->count = 0;
	if (sim_wake_one(&pm->wq)) {
		pm->pending++;
		mutex_event("pthread_mutex_unlock_wake", 1);
	}
}

int posix_mutex_unlock(pthread_mutex_t *m)
{
	struct posix_mutex *pm;
	int kind = mutex_kind(m);

	sim_sync_point_on("pthread_mutex_unlock", m, NULL);
	pm = (struct posix_mutex *)objtab_find(&mutexes, m);
	if (kind != PTHREAD_MUTEX_NORMAL && (!pm || pm->owner != sim_self()))
		return EPERM;
	if (!pm || !pm->owner)
		return 0;	/* glibc does not check a normal mutex */
	if (--pm->count)
		return 0;
	mutex_release(pm);
	return 0;
}

/* ---- condition variables ---- */

static struct posix_cond *cond_get(pthread_cond_t *c)
{
	struct posix_cond *pc = (struct posix_cond *)objtab_find(&conds, c);

	if (pc)
		return pc;
	pc = (struct posix_cond *)objtab_get(&conds, c, sizeof(*pc));
	sim_waitq_init(&pc->wq, "pthread_cond");
	return pc;
}

int posix_cond_init(pthread_cond_t *c)
{
	free(objtab_remove(&conds, c));
	return 0;
}

int posix_cond_destroy(pthread_cond_t *c)
{
	struct posix_cond *pc = (struct posix_cond *)objtab_find(&conds, c);

	if (pc && pc->wq.head)
		return EBUSY;
	free(objtab_remove(&conds, c));
	return 0;
}

/* glibc keeps the condattr's clock in __wrefs (__PTHREAD_COND_CLOCK_MONOTONIC_MASK) */
clockid_t posix_cond_clock(const pthread_cond_t *c)
{
	return (c->__data.__wrefs & 2) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

int posix_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
			 const struct timespec *abstime)
{
	struct posix_cond *pc;
	struct posix_mutex *pm;
	uint64_t deadline = SIM_FOREVER;
	unsigned int count;
	bool woken;

	sim_sync_point_on("pthread_cond_wait", c, m);
	pc = cond_get(c);
	pm = mutex_get(m);
	if (abstime && posix_deadline(clk, abstime, true, &deadline))
		return EINVAL;
	if (mutex_kind(m) != PTHREAD_MUTEX_NORMAL && pm->owner != sim_self())
		return EPERM;
	count = pm->count;
	mutex_release(pm);
	woken = sim_wait_until(&pc->wq, deadline);
	mutex_acquire(pm, SIM_FOREVER);
	pm->count = count ? count : 1;
	return woken ? 0 : ETIMEDOUT;
}

int posix_cond_signal(pthread_cond_t *c)
{
	sim_sync_point_on("pthread_cond_signal", c, NULL);
	mutex_event("pthread_cond_signal", sim_wake_one(&cond_get(c)->wq));
	return 0;
}

int posix_cond_broadcast(pthread_cond_t *c)
{
	sim_sync_point_on("pthread_cond_broadcast", c, NULL);
	mutex_event("pthread_cond_broadcast", sim_wake_all(&cond_get(c)->wq));
	return 0;
}
