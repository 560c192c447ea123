// SPDX-License-Identifier: MIT
/*
 * A lock-order cycle over three threads (A then B, B then C, C then A),
 * no yield anywhere: each thread alone is fine, and only an interleaving
 * where every thread holds its first lock deadlocks.  Found only when an
 * uncontended lock is a scheduling point (--preempt sync).
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t m[3] = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
};

static void *take_two(void *arg)
{
	int i = (int)(long)arg;

	pthread_mutex_lock(&m[i]);
	pthread_mutex_lock(&m[(i + 1) % 3]);
	pthread_mutex_unlock(&m[(i + 1) % 3]);
	pthread_mutex_unlock(&m[i]);
	return NULL;
}

int main(void)
{
	pthread_t t[3];

	for (long i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, take_two, (void *)i);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	printf("ok\n");
	return 0;
}
