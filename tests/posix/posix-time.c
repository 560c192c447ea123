// SPDX-License-Identifier: MIT
/*
 * Sleeps, clocks and timeouts: sleep, usleep, nanosleep,
 * clock_nanosleep (relative and TIMER_ABSTIME), poll and epoll_wait
 * timeouts on an idle eventfd, poll and select with no fds as sleeps.
 *
 * With --exact (under kvmsim, whose clocks are virtual) the waits are
 * long (poll 10 s...) and the program prints the exact time each took on
 * CLOCK_MONOTONIC, and where CLOCK_REALTIME starts; natively the waits
 * are short and it prints only that at least the time asked for passed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int exact;
static long long t0;

static long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void start(void)
{
	t0 = now_ns(CLOCK_MONOTONIC);
}

static void took(const char *what, long long asked_ns, long ret)
{
	long long d = now_ns(CLOCK_MONOTONIC) - t0;

	if (exact)
		printf("%s: ret %ld, took %lld.%09lld s\n", what, ret, d / 1000000000ll,
		       d % 1000000000ll);
	else
		printf("%s: ret %ld, took at least %lld ms: %s\n", what, ret,
		       asked_ns / 1000000, d >= asked_ns ? "yes" : "no");
}

int main(int argc, char **argv)
{
	long long scale;	/* ns per "unit" of waiting */
	struct timespec ts;
	struct timeval tv;
	struct pollfd pfd;
	struct epoll_event ev;
	unsigned long long stat[3] = { 0 };
	FILE *sf;
	int efd, ep, r;

	exact = argc > 1 && !strcmp(argv[1], "--exact");
	scale = exact ? 1000000000ll : 10000000ll;	/* 1 s or 10 ms */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (exact) {
		time_t t = time(NULL);
		char buf[64];

		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
		gettimeofday(&tv, NULL);
		printf("realtime starts at %s (gettimeofday %ld.%06ld)\n", buf,
		       (long)tv.tv_sec, (long)tv.tv_usec);
		printf("monotonic starts at %lld ns\n", now_ns(CLOCK_MONOTONIC));
	}

	start();
	r = exact ? (int)sleep(2) : usleep(2 * scale / 1000);
	took(exact ? "sleep(2)" : "usleep", 2 * scale, r);

	start();
	r = usleep(1500);
	took("usleep(1500)", 1500000, r);

	start();
	ts = (struct timespec){ 0, 250000000 };
	r = nanosleep(&ts, NULL);
	took("nanosleep(0.25 s)", 250000000, r);

	start();
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 3;
	if (!exact) {
		ts.tv_sec -= 3;
		ts.tv_nsec += 20000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
	}
	r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL);
	took("clock_nanosleep(REALTIME, ABSTIME)", exact ? 3000000000ll : 20000000ll, r);
	printf("clock_nanosleep bad tv_nsec: %s\n",
	       strerror(clock_nanosleep(CLOCK_MONOTONIC, 0,
					&(struct timespec){ 0, 1000000000 }, NULL)));
	errno = 0;
	r = nanosleep(&(struct timespec){ -1, 0 }, NULL);
	printf("nanosleep negative: ret %d, %s\n", r, strerror(errno));

	efd = eventfd(0, EFD_NONBLOCK);
	pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
	start();
	r = poll(&pfd, 1, (int)(10 * scale / 1000000));
	took(exact ? "poll(10000 ms)" : "poll(100 ms)", 10 * scale, r);

	ep = epoll_create1(0);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 7 };
	epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
	start();
	r = epoll_wait(ep, &ev, 1, (int)(5 * scale / 1000000));
	took(exact ? "epoll_wait(5000 ms)" : "epoll_wait(50 ms)", 5 * scale, r);
	start();
	r = poll(&pfd, 1, 0);
	took("poll(0 ms)", 0, r);
	start();
	r = poll(NULL, 0, (int)(scale / 1000000));
	took(exact ? "poll(NULL, 0, 1000 ms)" : "poll(NULL, 0, 10 ms)", scale, r);
	start();
	tv = (struct timeval){ 0, (long)(scale / 2000) };
	r = select(0, NULL, NULL, NULL, &tv);
	took(exact ? "select(0, 500 ms)" : "select(0, 5 ms)", scale / 2, r);

	/* a busy-wait on the clock ends: under kvmsim polling spends virtual time */
	start();
	while (now_ns(CLOCK_MONOTONIC) - t0 < 2000000)
		;
	took("busy-wait on CLOCK_MONOTONIC for 2 ms", 2000000, 0);

	/* this thread's schedstat: ns run, ns waiting to run, times run */
	sf = fopen("/proc/thread-self/schedstat", "r");
	r = sf ? fscanf(sf, "%llu %llu %llu", &stat[0], &stat[1], &stat[2]) : -1;
	if (sf)
		fclose(sf);
	printf("/proc/thread-self/schedstat: %d fields", r);
	if (exact)
		printf(", run_delay %llu (the only thread)", stat[1]);
	printf("\n");
	close(ep);
	close(efd);
	return 0;
}
