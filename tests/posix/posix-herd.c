// SPDX-License-Identifier: MIT
/*
 * Wake-all versus wake-one on one eventfd (the userfaultfd thundering
 * herd, SEMANTICS.md hazard 5): NWAITERS threads wait for one event
 *   - each in poll(): every one is woken, one read wins, the rest EAGAIN;
 *   - each in epoll_wait on its own epoll instance: every one is woken;
 *   - each on its own instance registered EPOLLEXCLUSIVE: exactly one is
 *     woken, the others time out.
 * Linux documents EPOLLEXCLUSIVE as waking "one or more"; kvmsim wakes
 * exactly one, as the kernel does when every instance has one waiter.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define NWAITERS 4

static int efd;
static int eps[NWAITERS];
static int woken, won, eagain;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Woken: give every other woken waiter time to see the event, then race. */
static void count_read(void)
{
	uint64_t v;
	int r;

	usleep(10000);
	r = read(efd, &v, 8);

	pthread_mutex_lock(&lock);
	woken++;
	if (r == 8)
		won++;
	else
		eagain++;
	pthread_mutex_unlock(&lock);
}

static void *poller(void *arg)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };

	if (poll(&p, 1, 500) == 1)
		count_read();
	return NULL;
}

static void *epoller(void *arg)
{
	struct epoll_event ev;

	if (epoll_wait(eps[(long)arg], &ev, 1, 500) == 1)
		count_read();
	return NULL;
}

static void run(const char *what, void *(*fn)(void *), uint32_t events)
{
	pthread_t t[NWAITERS];
	uint64_t one = 1;

	woken = won = eagain = 0;
	efd = eventfd(0, EFD_NONBLOCK);
	for (long i = 0; i < NWAITERS; i++) {
		struct epoll_event ev = { .events = events };

		eps[i] = epoll_create1(0);
		epoll_ctl(eps[i], EPOLL_CTL_ADD, efd, &ev);
		pthread_create(&t[i], NULL, fn, (void *)i);
	}
	usleep(100000);	/* every waiter is asleep */
	write(efd, &one, 8);
	for (int i = 0; i < NWAITERS; i++)
		pthread_join(t[i], NULL);
	printf("%s: %d waiters, %d woken, %d read the event, %d got EAGAIN\n", what,
	       NWAITERS, woken, won, eagain);
	for (int i = 0; i < NWAITERS; i++)
		close(eps[i]);
	close(efd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	run("poll", poller, 0);
	run("epoll", epoller, EPOLLIN);
	run("epoll EPOLLEXCLUSIVE", epoller, EPOLLIN | EPOLLEXCLUSIVE);
	return 0;
}
