// SPDX-License-Identifier: MIT
/*
 * Unnamed POSIX semaphores (sem_init...): a counter and a FIFO of
 * sleepers in a side table keyed by the sem_t's address.  sem_post wakes
 * the first sleeper, which takes a unit when it runs (it may find it
 * taken by a thread that got there first, and sleeps again).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "posix/objtab.h"
#include "posix/posix.h"
#include "sim/sim.h"

struct posix_sem {
	struct objent ent;
	unsigned int value;
	struct sim_waitq wq;
};

static struct objtab sems;

static struct posix_sem *sem_find(sem_t *s)
{
	return (struct posix_sem *)objtab_find(&sems, s);
}

bool posix_sem_known(sem_t *s)
{
	return sem_find(s) != NULL;
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

	sim_sync_point("sem_trywait");
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

	sim_sync_point("sem_wait");
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

	sim_sync_point("sem_post");
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
