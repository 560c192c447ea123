// SPDX-License-Identifier: MIT
/*
 * A lost wakeup of another shape: the waiter checks its flag under the
 * mutex, but the worker sets the flag and signals without taking it, so
 * the signal can land between the waiter's check and its wait, when
 * nobody waits yet.  No yield anywhere: found only when every
 * synchronization operation is a scheduling point (--preempt sync).
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static volatile int ready;

static void *worker(void *arg)
{
	(void)arg;
	ready = 1;			/* BUG: not under the mutex */
	pthread_cond_signal(&cond);
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, worker, NULL);
	pthread_mutex_lock(&lock);
	if (!ready)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	pthread_join(t, NULL);
	printf("ok\n");
	return 0;
}
