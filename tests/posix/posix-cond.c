// SPDX-License-Identifier: MIT
/*
 * Condition variables: signal wakes one waiter, broadcast wakes the
 * rest; a bounded producer/consumer queue; timed waits on CLOCK_REALTIME
 * and CLOCK_MONOTONIC (condattr) time out.
 *
 * With --exact (run under kvmsim, whose clocks are virtual) the timeouts
 * are 2.5 s and the program prints how far past its deadline each wait
 * woke: exactly 0 ns under kvmsim.  Natively it uses 30 ms and prints
 * only that the deadline was reached.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NWAITERS 4
#define QSIZE 4
#define NITEMS 500

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int nwaiting, nwoken;
static int exact;

static void *waiter(void *arg)
{
	pthread_mutex_lock(&lock);
	nwaiting++;
	/* one wait, no predicate loop: every return is a wake-up we count */
	pthread_cond_wait(&cond, &lock);
	nwoken++;
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void wait_for_waiters(int n)
{
	for (;;) {
		pthread_mutex_lock(&lock);
		if (nwaiting == n) {
			pthread_mutex_unlock(&lock);
			return;
		}
		pthread_mutex_unlock(&lock);
		usleep(1000);
	}
}

static int woken_after(void (*fn)(void))
{
	int n;

	fn();
	usleep(50000);	/* time for every woken waiter to run */
	pthread_mutex_lock(&lock);
	n = nwoken;
	pthread_mutex_unlock(&lock);
	return n;
}

static void do_signal(void)
{
	pthread_mutex_lock(&lock);
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

static void do_broadcast(void)
{
	pthread_mutex_lock(&lock);
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static void test_wake_counts(void)
{
	pthread_t t[NWAITERS];

	for (int i = 0; i < NWAITERS; i++)
		pthread_create(&t[i], NULL, waiter, NULL);
	wait_for_waiters(NWAITERS);
	printf("waiters: %d\n", NWAITERS);
	printf("after signal: %d woken\n", woken_after(do_signal));
	printf("after broadcast: %d woken in total\n", woken_after(do_broadcast));
	for (int i = 0; i < NWAITERS; i++)
		pthread_join(t[i], NULL);
}

/* ---- bounded queue ---- */

static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static int queue[QSIZE], qhead, qlen, produced_done;

static void *producer(void *arg)
{
	long base = (long)arg;

	for (int i = 1; i <= NITEMS; i++) {
		pthread_mutex_lock(&lock);
		while (qlen == QSIZE)
			pthread_cond_wait(&not_full, &lock);
		queue[(qhead + qlen++) % QSIZE] = (int)base + i;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	long sum = 0, count = 0;

	for (;;) {
		pthread_mutex_lock(&lock);
		while (!qlen && produced_done < 2)
			pthread_cond_wait(&not_empty, &lock);
		if (!qlen) {
			pthread_mutex_unlock(&lock);
			break;
		}
		sum += queue[qhead];
		qhead = (qhead + 1) % QSIZE;
		qlen--;
		count++;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&lock);
	}
	*(long *)arg = sum;
	return (void *)count;
}

static void test_queue(void)
{
	pthread_t p[2], c[2];
	long sums[2];
	void *counts[2];

	for (long i = 0; i < 2; i++)
		pthread_create(&c[i], NULL, consumer, &sums[i]);
	for (long i = 0; i < 2; i++)
		pthread_create(&p[i], NULL, producer, (void *)(i * 100000));
	for (int i = 0; i < 2; i++)
		pthread_join(p[i], NULL);
	pthread_mutex_lock(&lock);
	produced_done = 2;
	pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < 2; i++)
		pthread_join(c[i], &counts[i]);
	printf("queue: %ld items, sum %ld\n", (long)counts[0] + (long)counts[1],
	       sums[0] + sums[1]);
}

/* ---- timed waits ---- */

static long long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000ll + ts->tv_nsec;
}

static void timed(const char *what, clockid_t clk)
{
	long long timeout = exact ? 2500000000ll : 30000000ll;
	pthread_condattr_t attr;
	pthread_cond_t c;
	struct timespec now, deadline;
	long long late;
	int r;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, clk);
	pthread_cond_init(&c, &attr);
	pthread_condattr_destroy(&attr);
	clock_gettime(clk, &now);
	deadline.tv_sec = (ts_ns(&now) + timeout) / 1000000000ll;
	deadline.tv_nsec = (ts_ns(&now) + timeout) % 1000000000ll;
	pthread_mutex_lock(&lock);
	r = pthread_cond_timedwait(&c, &lock, &deadline);
	pthread_mutex_unlock(&lock);
	clock_gettime(clk, &now);
	late = ts_ns(&now) - ts_ns(&deadline);
	if (exact)
		printf("timedwait %s: %s, woke %lld ns after the deadline\n", what,
		       strerror(r), late);
	else
		printf("timedwait %s: %s, deadline reached: %s\n", what, strerror(r),
		       late >= 0 ? "yes" : "no");
	deadline.tv_nsec = -1;
	pthread_mutex_lock(&lock);
	printf("timedwait %s bad abstime: %s\n", what,
	       strerror(pthread_cond_timedwait(&c, &lock, &deadline)));
	pthread_mutex_unlock(&lock);
	pthread_cond_destroy(&c);
}

int main(int argc, char **argv)
{
	exact = argc > 1 && !strcmp(argv[1], "--exact");
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_wake_counts();
	test_queue();
	timed("CLOCK_REALTIME", CLOCK_REALTIME);
	timed("CLOCK_MONOTONIC", CLOCK_MONOTONIC);
	return 0;
}
