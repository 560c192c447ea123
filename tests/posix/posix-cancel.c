// SPDX-License-Identifier: MIT
/*
 * pthread_cancel and threads that poll the clock.
 *
 * A deferred thread looping on pthread_testcancel is cancelled; a thread
 * that disabled cancellation runs on past the
 * request and is cancelled at its pthread_testcancel once it enables it
 * again; an asynchronous thread spinning on clock_gettime is cancelled
 * where it spins; each join returns PTHREAD_CANCELED.  Bad states and
 * types are EINVAL.  A thread that spins on clock_gettime until 50 ms have
 * passed, and one that spins on time() until the second changes, end
 * (under kvmsim only because polling the clock lets virtual time pass).
 * Only what does not depend on the host's timing is printed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static volatile int ran_past;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *testcancel_loop(void *arg)
{
	for (;;)
		pthread_testcancel();
	return arg;
}

static sem_t disabled, go;

static void *disabler(void *arg)
{
	int old;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	sem_post(&disabled);
	sem_wait(&go);			/* main has cancelled us by now */
	pthread_testcancel();		/* disabled: not here */
	ran_past = 1;
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	pthread_testcancel();
	ran_past = 2;
	return NULL;
}

static void *async_spinner(void *arg)
{
	int old;

	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	for (;;)
		now_ns();
	return arg;
}

static const char *ret_name(void *ret)
{
	return ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "not cancelled";
}

static void cancel_join(const char *what, void *(*fn)(void *), void *arg)
{
	pthread_t t;
	void *ret = NULL;
	int r;

	pthread_create(&t, NULL, fn, arg);
	r = pthread_cancel(t);
	printf("%s: pthread_cancel %d, ", what, r);
	r = pthread_join(t, &ret);
	printf("join %d %s\n", r, ret_name(ret));
}

static void *spin_50ms(void *arg)
{
	uint64_t start = now_ns();

	while (now_ns() - start < 50000000ull)
		;
	return arg;
}

static void *spin_second(void *arg)
{
	time_t t0 = time(NULL);

	while (time(NULL) == t0)
		;
	return arg;
}

int main(void)
{
	uint64_t start;
	pthread_t t;
	void *ret;
	int old, r;

	sem_init(&disabled, 0, 0);
	sem_init(&go, 0, 0);
	cancel_join("testcancel loop", testcancel_loop, NULL);
	cancel_join("asynchronous clock spin", async_spinner, NULL);

	pthread_create(&t, NULL, disabler, NULL);
	sem_wait(&disabled);
	r = pthread_cancel(t);
	sem_post(&go);
	pthread_join(t, &ret);
	printf("disabled, then enabled: pthread_cancel %d, join %s, ran past the request: %s, "
	       "past enabling: %s\n", r, ret_name(ret), ran_past >= 1 ? "yes" : "no",
	       ran_past == 2 ? "yes" : "no");

	r = pthread_setcancelstate(42, &old);
	printf("pthread_setcancelstate(42): %s\n", r == EINVAL ? "EINVAL" : strerror(r));
	r = pthread_setcanceltype(42, &old);
	printf("pthread_setcanceltype(42): %s\n", r == EINVAL ? "EINVAL" : strerror(r));

	start = now_ns();
	pthread_create(&t, NULL, spin_50ms, NULL);
	pthread_join(t, NULL);
	printf("clock_gettime spin of 50 ms ended, took >= 50 ms: %s\n",
	       now_ns() - start >= 50000000ull ? "yes" : "no");
	pthread_create(&t, NULL, spin_second, NULL);
	pthread_join(t, NULL);
	printf("time() spin until the next second ended\n");
	return 0;
}
