// SPDX-License-Identifier: MIT
/*
 * rv-timers: alarm, setitimer(ITIMER_REAL) and timer_create on the
 * clock the program reads.
 *   - setitimer 20 ms, one shot: SIGALRM's handler runs (in the main
 *     thread, which does not block it) no sooner than 20 ms later;
 *     getitimer then reads zero;
 *   - alarm(5) then alarm(0) returns 5;
 *   - a SIGEV_SIGNAL timer, 10 ms periodic, SIGUSR1 with a value: three
 *     expirations, si_code SI_TIMER, the value as given;
 *   - a SIGEV_THREAD_ID timer aimed at a worker thread: its handler runs
 *     there;
 *   - a deleted timer is EINVAL.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static __thread int my_id;
static volatile int alrm_in, usr1_count, usr1_value, usr1_code, usr2_in;
static volatile pid_t worker_tid;

static void on_alrm(int sig)
{
	alrm_in = my_id;
}

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	usr1_count++;
	usr1_value = si->si_value.sival_int;
	usr1_code = si->si_code;
}

static void on_usr2(int sig)
{
	usr2_in = my_id;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *worker(void *arg)
{
	my_id = 2;
	worker_tid = gettid();
	while (!usr2_in)
		usleep(1000);
	return NULL;
}

int main(void)
{
	struct itimerval iv = { .it_value = { 0, 20000 } }, cur;
	struct itimerspec its = { { 0, 10000000 }, { 0, 10000000 } };
	struct sigevent sev;
	struct sigaction sa;
	pthread_t t;
	timer_t tm, tm2;
	uint64_t start;

	my_id = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alrm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);

	start = now_ms();
	setitimer(ITIMER_REAL, &iv, NULL);
	while (!alrm_in)
		usleep(1000);
	printf("SIGALRM in thread %d after >= 20 ms: %s\n", alrm_in,
	       now_ms() - start >= 20 ? "yes" : "no");
	getitimer(ITIMER_REAL, &cur);
	printf("getitimer after: %ld.%06ld\n", (long)cur.it_value.tv_sec,
	       (long)cur.it_value.tv_usec);
	alarm(5);
	printf("alarm(0) after alarm(5): %u\n", alarm(0));

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGUSR1;
	sev.sigev_value.sival_int = 42;
	timer_create(CLOCK_MONOTONIC, &sev, &tm);
	timer_settime(tm, 0, &its, NULL);
	while (usr1_count < 3)
		usleep(1000);
	timer_delete(tm);
	printf("SIGUSR1 from the timer: %s, value %d, code %s\n",
	       usr1_count >= 3 ? "3 times" : "fewer", usr1_value,
	       usr1_code == SI_TIMER ? "SI_TIMER" : "other");
	printf("timer_gettime after timer_delete: %s\n",
	       timer_gettime(tm, &its) < 0 && errno == EINVAL ? "EINVAL" : "ok");

	pthread_create(&t, NULL, worker, NULL);
	while (!worker_tid)
		usleep(1000);
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR2;
	sev._sigev_un._tid = worker_tid;
	timer_create(CLOCK_MONOTONIC, &sev, &tm2);
	its = (struct itimerspec){ .it_value = { 0, 5000000 } };
	timer_settime(tm2, 0, &its, NULL);
	pthread_join(t, NULL);
	timer_delete(tm2);
	printf("SIGEV_THREAD_ID: handler in thread %d (the worker is 2)\n", usr2_in);
	return 0;
}
