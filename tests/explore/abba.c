// SPDX-License-Identifier: MIT
/*
 * abba: the plain lock-order deadlock, with nothing else in it.
 *
 * Thread 1 locks A then B, thread 2 locks B then A; no yields, no
 * sleeps.  Every lock is uncontended unless the other thread already
 * holds the other lock, so only with every mutex operation a scheduling
 * point (--preempt sync, explore's default) is the deadlock in the
 * schedule space: thread 1 preempted between its two locks, thread 2
 * taking B.  Expected: the deadlock oracle (vmm joining thread1, both
 * threads on pthread_mutex); under --preempt blocking no run fails.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t b = PTHREAD_MUTEX_INITIALIZER;
static int shared;

static void lock_both(pthread_mutex_t *first, pthread_mutex_t *second)
{
	pthread_mutex_lock(first);
	pthread_mutex_lock(second);
	shared++;
	pthread_mutex_unlock(second);
	pthread_mutex_unlock(first);
}

static void *ab(void *arg)
{
	(void)arg;
	lock_both(&a, &b);
	return NULL;
}

static void *ba(void *arg)
{
	(void)arg;
	lock_both(&b, &a);
	return NULL;
}

int main(void)
{
	pthread_t t1, t2;

	pthread_create(&t1, NULL, ab, NULL);
	pthread_create(&t2, NULL, ba, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("ok %d\n", shared);
	return 0;
}
