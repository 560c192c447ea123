// SPDX-License-Identifier: MIT
/*
 * A sure deadlock: main holds a mutex and joins a thread that wants it.
 * Natively this hangs forever; under kvmsim the run ends with the
 * "deadlock" oracle naming both threads and what they wait on.
 */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *taker(void *arg)
{
	pthread_mutex_lock(&lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_mutex_lock(&lock);
	pthread_create(&t, NULL, taker, NULL);
	pthread_join(t, NULL);
	printf("not reached\n");
	return 0;
}
