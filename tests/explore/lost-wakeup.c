// SPDX-License-Identifier: MIT
/*
 * lost-wakeup: a deliberately racy pthread program for explore/replay/
 * shrink tests.
 *
 * Hazard: the waiter tests `ready` without holding the mutex and only
 * then takes the lock to sleep on the condition variable.  If the
 * signaller sets `ready` and signals in between, the signal finds no
 * sleeper and is lost: the waiter sleeps forever, main sleeps in
 * pthread_join, and nothing can run.
 *
 * Expected: most interleavings print "ok"; under kvmsim explore finds one
 * that fails the deadlock oracle (every actor blocked: the waiter on
 * pthread_cond, main joining it).  Natively the window is a few
 * instructions wide and is practically never hit.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static volatile int ready;

static void *waiter(void *arg)
{
	(void)arg;
	if (!ready) {			/* BUG: checked outside the lock */
		sched_yield();		/* (any preemption point will do) */
		pthread_mutex_lock(&lock);
		pthread_cond_wait(&cond, &lock);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void *signaller(void *arg)
{
	(void)arg;
	sched_yield();
	pthread_mutex_lock(&lock);
	ready = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(void)
{
	pthread_t w, s;

	pthread_create(&w, NULL, waiter, NULL);
	pthread_create(&s, NULL, signaller, NULL);
	pthread_join(s, NULL);
	pthread_join(w, NULL);
	printf("ok\n");
	return 0;
}
