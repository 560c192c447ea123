// SPDX-License-Identifier: MIT
/*
 * check-then-wait: a lost wakeup with no yields in it.
 *
 * main reads the completion counter without the lock, then locks and
 * waits on the condition variable without testing it again.  If the
 * worker increments and signals between main's read and main's lock,
 * the signal finds no sleeper: main sleeps forever and the worker has
 * exited.  Only with every mutex and condition-variable operation a
 * scheduling point (--preempt sync) is that window in the schedule
 * space.  Expected: the deadlock oracle with vmm on pthread_cond; under
 * --preempt blocking no run fails.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static volatile int done;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	done++;
	pthread_cond_signal(&done_cond);
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, worker, NULL);
	if (done < 1) {			/* BUG: read outside the lock */
		pthread_mutex_lock(&lock);
		pthread_cond_wait(&done_cond, &lock);	/* BUG: no re-check */
		pthread_mutex_unlock(&lock);
	}
	pthread_join(t, NULL);
	printf("ok %d\n", done);
	return 0;
}
