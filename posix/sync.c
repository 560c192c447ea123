// SPDX-License-Identifier: MIT
/*
 * rwlocks, barriers, pthread_once and spinlocks on sim/ wait queues.
 * Like mutexes (mutex.c), state is kept in side tables keyed by the
 * object's address; only pthread_once and spinlocks use the object's own
 * word, in glibc's encoding, so calls made before posix_init agree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include "posix/objtab.h"
#include "posix/posix.h"
#include "sim/sim.h"

struct posix_rwlock {
	struct objent ent;
	struct sim_actor *writer;
	int readers;
	int writers_waiting;
	struct sim_waitq rq, wq;
};

struct posix_barrier {
	struct objent ent;
	unsigned int count;
	unsigned int arrived;
	uint64_t round;
	struct sim_waitq wq;
};

static struct objtab rwlocks, barriers;

/* ---- rwlocks ---- */

static struct posix_rwlock *rwlock_get(pthread_rwlock_t *l)
{
	struct posix_rwlock *pl = (struct posix_rwlock *)objtab_find(&rwlocks, l);

	if (pl)
		return pl;
	pl = (struct posix_rwlock *)objtab_get(&rwlocks, l, sizeof(*pl));
	sim_waitq_init(&pl->rq, "pthread_rwlock_rd");
	sim_waitq_init(&pl->wq, "pthread_rwlock_wr");
	return pl;
}

/* PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP: readers queue behind writers */
static bool prefer_writer(const pthread_rwlock_t *l)
{
	return l->__data.__flags == PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP;
}

int posix_rwlock_init(pthread_rwlock_t *l)
{
	free(objtab_remove(&rwlocks, l));
	return 0;
}

int posix_rwlock_destroy(pthread_rwlock_t *l)
{
	struct posix_rwlock *pl = (struct posix_rwlock *)objtab_find(&rwlocks, l);

	if (pl && (pl->writer || pl->readers))
		return EBUSY;
	free(objtab_remove(&rwlocks, l));
	return 0;
}

static bool rd_blocked(const pthread_rwlock_t *l, const struct posix_rwlock *pl)
{
	return pl->writer || (prefer_writer(l) && pl->writers_waiting);
}

int posix_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	struct posix_rwlock *pl;

	sim_sync_point_on("pthread_rwlock_tryrdlock", l, NULL);
	pl = rwlock_get(l);
	if (rd_blocked(l, pl))
		return EBUSY;
	pl->readers++;
	return 0;
}

int posix_rwlock_rdlock(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abstime)
{
	struct posix_rwlock *pl;
	uint64_t deadline = SIM_FOREVER;

	sim_sync_point_on("pthread_rwlock_rdlock", l, NULL);
	pl = rwlock_get(l);
	if (abstime && posix_deadline(clk, abstime, true, &deadline))
		return EINVAL;
	if (pl->writer == sim_self())
		return EDEADLK;
	while (rd_blocked(l, pl))
		if (!sim_wait_until(&pl->rq, deadline))
			return ETIMEDOUT;
	pl->readers++;
	return 0;
}

int posix_rwlock_trywrlock(pthread_rwlock_t *l)
{
	struct posix_rwlock *pl;

	sim_sync_point_on("pthread_rwlock_trywrlock", l, NULL);
	pl = rwlock_get(l);
	if (pl->writer || pl->readers)
		return EBUSY;
	pl->writer = sim_self();
	return 0;
}

int posix_rwlock_wrlock(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abstime)
{
	struct posix_rwlock *pl;
	uint64_t deadline = SIM_FOREVER;
	bool ok = true;

	sim_sync_point_on("pthread_rwlock_wrlock", l, NULL);
	pl = rwlock_get(l);
	if (abstime && posix_deadline(clk, abstime, true, &deadline))
		return EINVAL;
	if (pl->writer == sim_self())
		return EDEADLK;
	while (ok && (pl->writer || pl->readers)) {
		pl->writers_waiting++;
		ok = sim_wait_until(&pl->wq, deadline);
		pl->writers_waiting--;
	}
	if (!ok) {
		/* readers that queued behind us may go now */
		sim_wake_all(&pl->rq);
		return ETIMEDOUT;
	}
	pl->writer = sim_self();
	return 0;
}

int posix_rwlock_unlock(pthread_rwlock_t *l)
{
	struct posix_rwlock *pl = (struct posix_rwlock *)objtab_find(&rwlocks, l);

	sim_sync_point_on("pthread_rwlock_unlock", l, NULL);
	if (!pl)
		return EPERM;
	if (pl->writer == sim_self())
		pl->writer = NULL;
	else if (pl->readers)
		pl->readers--;
	else
		return EPERM;
	if (pl->writer || pl->readers)
		return 0;
	/* everyone waiting competes again; each re-checks its condition */
	sim_wake_one(&pl->wq);
	sim_wake_all(&pl->rq);
	return 0;
}

/* ---- barriers ---- */

int posix_barrier_init(pthread_barrier_t *b, unsigned int count)
{
	struct posix_barrier *pb;

	if (!count)
		return EINVAL;
	free(objtab_remove(&barriers, b));
	pb = (struct posix_barrier *)objtab_get(&barriers, b, sizeof(*pb));
	pb->count = count;
	sim_waitq_init(&pb->wq, "pthread_barrier");
	return 0;
}

int posix_barrier_destroy(pthread_barrier_t *b)
{
	struct posix_barrier *pb = (struct posix_barrier *)objtab_find(&barriers, b);

	if (!pb)
		return EINVAL;
	if (pb->arrived)
		return EBUSY;
	free(objtab_remove(&barriers, b));
	return 0;
}

/* The last thread to arrive completes the round and is the serial one. */
int posix_barrier_wait(pthread_barrier_t *b)
{
	struct posix_barrier *pb = (struct posix_barrier *)objtab_find(&barriers, b);
	uint64_t round;

	sim_sync_point_on("pthread_barrier_wait", b, NULL);
	if (!pb)
		return EINVAL;
	if (++pb->arrived == pb->count) {
		struct sim_ev *ev;

		pb->arrived = 0;
		pb->round++;
		ev = sim_ev_begin("pthread_barrier_wait");
		sim_ev_int(ev, "woken", sim_wake_all(&pb->wq));
		sim_ev_end(ev);
		return PTHREAD_BARRIER_SERIAL_THREAD;
	}
	round = pb->round;
	while (pb->round == round)
		sim_wait(&pb->wq);
	return 0;
}

/* ---- pthread_once: glibc's encoding, __PTHREAD_ONCE_INPROGRESS 1, DONE 2 ---- */

static struct sim_waitq once_wq = { .name = "pthread_once" };

int posix_once(pthread_once_t *once, void (*fn)(void))
{
	struct sim_ev *ev;

	sim_sync_point_on("pthread_once", once, NULL);
	for (;;) {
		if (*once & 2)
			return 0;
		if (!(*once & 1))
			break;
		sim_wait(&once_wq);
	}
	*once = 1;
	ev = sim_ev_begin("pthread_once");
	sim_ev_end(ev);
	fn();
	*once = 2;
	sim_wake_all(&once_wq);
	return 0;
}

/*
 * ---- spinlocks: a spinning fiber would never let the holder run ----
 *
 * The lock word keeps glibc's encoding, because glibc's own
 * pthread_spin_init (not interposed) writes it: on x86-64 that is an alias
 * of its pthread_spin_unlock, which stores 1 (unlocked; its lock
 * decrements to 0), elsewhere 0 is unlocked.
 */
#if defined(__x86_64__) || defined(__i386__)
#define SPIN_UNLOCKED	1
#define SPIN_LOCKED	0
#else
#define SPIN_UNLOCKED	0
#define SPIN_LOCKED	1
#endif

static struct sim_waitq spin_wq = { .name = "pthread_spin_lock" };

int posix_spin_lock(pthread_spinlock_t *l)
{
	sim_sync_point_on("pthread_spin_lock", (const void *)(uintptr_t)l, NULL);
	while (*l != SPIN_UNLOCKED)
		sim_wait(&spin_wq);
	*l = SPIN_LOCKED;
	return 0;
}

int posix_spin_trylock(pthread_spinlock_t *l)
{
	sim_sync_point_on("pthread_spin_trylock", (const void *)(uintptr_t)l, NULL);
	if (*l != SPIN_UNLOCKED)
		return EBUSY;
	*l = SPIN_LOCKED;
	return 0;
}

int posix_spin_unlock(pthread_spinlock_t *l)
{
	sim_sync_point_on("pthread_spin_unlock", (const void *)(uintptr_t)l, NULL);
	*l = SPIN_UNLOCKED;
	sim_wake_all(&spin_wq);
	return 0;
}
