// SPDX-License-Identifier: MIT
/*
 * Calls kvmsim passes to the host: select on real fds, poll waiting on a
 * host fd (a socketpair) mixed with a simulated one (an eventfd), epoll
 * watching a host fd.  Each works as natively; under kvmsim each warns
 * once on stderr (tests/posix/expected/posix-warn.warnings).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

static int efd;

static void *poster(void *arg)
{
	uint64_t one = 1;

	usleep(5000);
	write(efd, &one, 8);
	return NULL;
}

int main(void)
{
	struct pollfd p[2];
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 9 };
	struct timeval tv = { 0, 0 };
	pthread_t t;
	fd_set rd;
	int sv[2], r, ep;

	setvbuf(stdout, NULL, _IOLBF, 0);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	for (int i = 0; i < 2; i++) {
		FD_ZERO(&rd);
		FD_SET(sv[0], &rd);
		r = select(sv[0] + 1, &rd, NULL, NULL, &tv);
		printf("select on an idle socket: %d\n", r);
	}
	efd = eventfd(0, 0);
	pthread_create(&t, NULL, poster, NULL);
	p[0] = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	p[1] = (struct pollfd){ .fd = efd, .events = POLLIN };
	r = poll(p, 2, 5000);
	printf("poll socket+eventfd: %d, revents %#x %#x\n", r, p[0].revents, p[1].revents);
	pthread_join(t, NULL);
	write(sv[1], "x", 1);
	r = poll(p, 2, 5000);
	printf("poll after a socket write: %d, revents %#x %#x\n", r, p[0].revents,
	       p[1].revents);
	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
	r = epoll_wait(ep, &ev, 1, 1000);
	printf("epoll_wait on the socket: %d [%u]\n", r, ev.data.u32);
	close(ep);
	close(efd);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
