// SPDX-License-Identifier: MIT
/*
 * Three threads take turns at sched_yield() points and log who passed
 * each one.  With --order the log is printed: under kvmsim it depends on
 * the seed (and only on it); natively on the host scheduler.  Without,
 * only what does not depend on the interleaving is printed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#define NTHREADS 3
#define STEPS 5

static char order[NTHREADS * STEPS + 1];
static int pos;

static void *stepper(void *arg)
{
	for (int i = 0; i < STEPS; i++) {
		order[__atomic_fetch_add(&pos, 1, __ATOMIC_SEQ_CST)] = 'A' + (int)(long)arg;
		sched_yield();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t[NTHREADS];
	int count[NTHREADS] = { 0 };

	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, stepper, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < pos; i++)
		count[order[i] - 'A']++;
	printf("steps %d: A %d, B %d, C %d\n", pos, count[0], count[1], count[2]);
	if (argc > 1 && !strcmp(argv[1], "--order"))
		printf("order %s\n", order);
	return 0;
}
