// SPDX-License-Identifier: MIT
/*
 * Three threads, each taking its own mutex a few times, then one shared
 * mutex once: correct, and almost every interleaving of it is the same
 * as another (operations on different mutexes commute).  The bounded
 * search with partial-order reduction runs far fewer schedules for the
 * same space than without (explore/por).
 */
#include <pthread.h>
#include <stdio.h>

#define THREADS 3
#define ROUNDS 3

static pthread_mutex_t own[THREADS] = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
};
static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;
static int count[THREADS], total;

static void *work(void *arg)
{
	int me = (int)(long)arg;

	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&own[me]);
		count[me]++;
		pthread_mutex_unlock(&own[me]);
	}
	pthread_mutex_lock(&shared);
	total += count[me];
	pthread_mutex_unlock(&shared);
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];

	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, work, (void *)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("total %d\n", total);
	return total == THREADS * ROUNDS ? 0 : 1;
}
