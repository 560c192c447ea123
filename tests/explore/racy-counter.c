// SPDX-License-Identifier: MIT
/*
 * racy-counter: two threads increment a shared counter with a
 * read-yield-write sequence and no lock; main asserts the total.
 *
 * Hazard: a lost update.  Expected: with no preemption between a read
 * and its write the total is 2 * ROUNDS; explore finds an interleaving
 * where the assert fails (program-signal: SIGABRT), and shrink brings it
 * down to a single preemption.
 */
#include <assert.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#define ROUNDS 3

static volatile int counter;

static void *inc(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		int v = counter;

		sched_yield();
		counter = v + 1;
	}
	return NULL;
}

int main(void)
{
	pthread_t a, b;

	pthread_create(&a, NULL, inc, NULL);
	pthread_create(&b, NULL, inc, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	printf("counter %d\n", counter);
	fflush(stdout);		/* abort() would drop a buffered line */
	assert(counter == 2 * ROUNDS);
	return 0;
}
