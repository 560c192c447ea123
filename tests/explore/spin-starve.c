// SPDX-License-Identifier: MIT
/*
 * spin-starve: a thread spins (sched_yield in a loop) until main sets a
 * flag under a mutex.
 *
 * Nothing is wrong with the program under a fair scheduler, but a
 * schedule that keeps picking the spinner (pct with the spinner's
 * priority above main's after the last change point) never lets main
 * run: the run would go on forever.  Expected: explore ends such a run
 * with the budget verdict "vmm starved: ..." (--max-starve, default
 * 10,000 decisions in a row) instead of spinning for minutes.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int go;

static void *spinner(void *arg)
{
	(void)arg;
	while (!go)
		sched_yield();
	return NULL;
}

int main(void)
{
	pthread_t t;

	pthread_create(&t, NULL, spinner, NULL);
	pthread_mutex_lock(&lock);
	go = 1;
	pthread_mutex_unlock(&lock);
	pthread_join(t, NULL);
	printf("ok\n");
	return 0;
}
