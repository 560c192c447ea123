// SPDX-License-Identifier: MIT
/*
 * Unnamed POSIX semaphores (sem_init...): a counter and a FIFO of
 * sleepers in a side table keyed by the sem_t's address.  sem_post wakes
 * the first sleeper, which takes a unit when it runs (it may find it
 * taken by a thread that got there first, and sleeps again).
 *
 * A sem_t nobody sem_init'ed but whose bytes are all zero (a static
 * `sem_t s;`) is a semaphore of value 0 to glibc, which keeps the count
 * in the object itself: the model adopts it on first use.  Named
 * semaphores (sem_open) stay real: they are remembered until sem_close.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "posix/objtab.h"
#include "posix/posix.h"
#include "sim/sim.h"

struct posix_sem {
	struct objent ent;
	unsigned int value;
	struct sim_waitq wq;
};

static struct objtab sems;
static struct objtab named;

static struct posix_sem *sem_find(sem_t *s)
{
	return (struct posix_sem *)objtab_find(&sems, s);
}

bool posix_sem_known(sem_t *s)
{
	return sem_find(s) != NULL;
}

void posix_sem_opened(sem_t *s, bool open)
{
	if (open)
		objtab_get(&named, s, sizeof(struct objent));
	else
		free(objtab_remove(&named, s));
}

static bool sem_zeroed(const sem_t *s)
{
	static const sem_t zero;

	return !memcmp(s, &zero, sizeof(zero));
}

bool posix_sem_adopt(sem_t *s)
{
	if (sem_find(s))
		return true;
	if (objtab_find(&named, s) || !sem_zeroed(s))
		return false;
	posix_sem_init(s, 0);
	return true;
}

int posix_sem_init(sem_t *s, unsigned int value)
{
	struct posix_sem *ps;

	if (value > SEM_VALUE_MAX)
		return -EINVAL;
	free(objtab_remove(&sems, s));
	ps = (struct posix_sem *)objtab_get(&sems, s, sizeof(*ps));
	ps->value = value;
	sim_waitq_init(&ps->wq, "sem_wait");
	return 0;
}

int posix_sem_destroy(sem_t *s)
{
	free(objtab_remove(&sems, s));
	return 0;
}

int posix_sem_trywait(sem_t *s)
{
	struct posix_sem *ps;

	sim_sync_point_on("sem_trywait", s, NULL);
	ps = sem_find(s);
	if (!ps)
		return -EINVAL;
	if (!ps->value)
		return -EAGAIN;
	ps->value--;
	return 0;
}

int posix_sem_timedwait(sem_t *s, clockid_t clk, const struct timespec *abstime)
{
	struct posix_sem *ps;
	uint64_t deadline = SIM_FOREVER;

	sim_sync_point_on("sem_wait", s, NULL);
	ps = sem_find(s);
	if (!ps)
		return -EINVAL;
	while (!ps->value) {
		if (abstime && deadline == SIM_FOREVER &&
		    posix_deadline(clk, abstime, true, &deadline))
			return -EINVAL;
		if (!sim_wait_until(&ps->wq, deadline))
			return -ETIMEDOUT;
	}
	ps->value--;
	return 0;
}

int posix_sem_post(sem_t *s)
{
	struct posix_sem *ps;

	sim_sync_point_on("sem_post", s, NULL);
	ps = sem_find(s);
	if (!ps)
		return -EINVAL;
	if (ps->value == SEM_VALUE_MAX)
		return -EOVERFLOW;
	ps->value++;
	sim_wake_one(&ps->wq);
	return 0;
}

int posix_sem_getvalue(sem_t *s, int *value)
{
	struct posix_sem *ps = sem_find(s);

	if (!ps)
		return -EINVAL;
	*value = (int)ps->value;
	return 0;
}
