// SPDX-License-Identifier: MIT
/*
 * pthread spinlocks as glibc encodes them: pthread_spin_init (glibc's
 * own, which kvmsim leaves alone: on x86-64 an alias of its unlock, that
 * stores 1) gives a lock the interposed lock/trylock/unlock take and
 * release.  Four threads add to a counter under the lock, yielding inside
 * the critical section; trylock on a held lock is EBUSY, on a free one 0.
 * (kvmsim once took glibc's initial 1 for "held": every thread blocked,
 * a false deadlock verdict: the selftest tsc_scaling_sync.)
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#define THREADS	4
#define ROUNDS	100

static pthread_spinlock_t lock;
static int counter, inside, overlap;

static void *adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_spin_lock(&lock);
		if (inside++)
			overlap++;
		sched_yield();		/* another thread may run: not in here */
		counter++;
		inside--;
		pthread_spin_unlock(&lock);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];

	if (pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE))
		return 1;
	printf("trylock on a free lock: %d\n", pthread_spin_trylock(&lock));
	printf("trylock on a held lock: %s\n",
	       pthread_spin_trylock(&lock) == EBUSY ? "EBUSY" : "not EBUSY");
	pthread_spin_unlock(&lock);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, adder, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	printf("counter %d, %d overlapping critical sections\n", counter, overlap);
	printf("destroy: %d\n", pthread_spin_destroy(&lock));
	return 0;
}
