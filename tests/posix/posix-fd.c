// SPDX-License-Identifier: MIT
/*
 * eventfd, pipes, poll and epoll, single-threaded rules and a blocking
 * pipe between two threads.  The output is the same natively and under
 * kvmsim: every errno and revents here is what Linux gives.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *err(long r)
{
	static char buf[64];

	if (r >= 0) {
		snprintf(buf, sizeof(buf), "%ld", r);
		return buf;
	}
	return strerror(errno);
}

static short revents(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	poll(&p, 1, 0);
	return p.revents;
}

static void test_eventfd(void)
{
	uint64_t v = 0;
	int efd = eventfd(0, EFD_NONBLOCK), sem, dupfd;

	printf("eventfd read when 0: %s\n", err(read(efd, &v, 8)));
	printf("eventfd revents when 0: %#x\n", revents(efd, POLLIN | POLLOUT));
	v = 3;
	write(efd, &v, 8);
	v = 4;
	write(efd, &v, 8);
	printf("eventfd revents after writes: %#x\n", revents(efd, POLLIN | POLLOUT));
	printf("eventfd read 4 bytes: %s\n", err(read(efd, &v, 4)));
	printf("eventfd read: %s", err(read(efd, &v, 8)));
	printf(" value %llu\n", (unsigned long long)v);
	v = UINT64_MAX;
	printf("eventfd write ~0: %s\n", err(write(efd, &v, 8)));
	printf("eventfd write 4 bytes: %s\n", err(write(efd, &v, 4)));
	v = UINT64_MAX - 1;
	printf("eventfd write max: %s\n", err(write(efd, &v, 8)));
	v = 1;
	printf("eventfd write past max: %s\n", err(write(efd, &v, 8)));
	printf("eventfd revents at max: %#x\n", revents(efd, POLLIN | POLLOUT));
	printf("F_GETFL: %#x\n", fcntl(efd, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	fcntl(efd, F_SETFL, 0);
	printf("F_GETFL after F_SETFL 0: %#x\n", fcntl(efd, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	close(efd);

	sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	for (int i = 0; i < 4; i++) {
		printf("semaphore read %d: %s", i, err(read(sem, &v, 8)));
		printf(" value %llu\n", (unsigned long long)v);
	}
	dupfd = dup(sem);
	v = 2;
	write(dupfd, &v, 8);
	close(sem);
	printf("read through dup after close: %s", err(read(dupfd, &v, 8)));
	printf(" value %llu\n", (unsigned long long)v);
	printf("F_GETFL through dup: %#x\n", fcntl(dupfd, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	close(dupfd);
	printf("read closed fd: %s\n", err(read(dupfd, &v, 8)));
	printf("eventfd bad flags: %s\n", err(eventfd(0, 0x10)));
}

static int sigpipes;

static void on_sigpipe(int sig)
{
	sigpipes++;
}

static void test_pipe(void)
{
	char buf[4096] = { 0 };
	long total = 0;
	int p[2], r;
	struct iovec iov[2] = { { buf, 3 }, { buf + 3, 4 } };

	pipe2(p, O_NONBLOCK);
	printf("pipe read empty: %s\n", err(read(p[0], buf, 1)));
	printf("pipe revents empty: read end %#x, write end %#x\n",
	       revents(p[0], POLLIN | POLLOUT), revents(p[1], POLLIN | POLLOUT));
	printf("pipe write to read end: %s\n", err(write(p[0], buf, 1)));
	printf("pipe read from write end: %s\n", err(read(p[1], buf, 1)));
	while ((r = write(p[1], buf, sizeof(buf))) > 0)
		total += r;
	printf("pipe capacity: %ld, then %s\n", total, err(r));
	printf("pipe small write when full: %s\n", err(write(p[1], buf, 1)));
	printf("pipe revents full: write end %#x\n", revents(p[1], POLLIN | POLLOUT));
	printf("pipe read 4096: %s\n", err(read(p[0], buf, sizeof(buf))));
	printf("pipe revents after read: write end %#x\n", revents(p[1], POLLOUT));
	printf("F_GETFL: read end %#x, write end %#x\n",
	       fcntl(p[0], F_GETFL) & (O_ACCMODE | O_NONBLOCK),
	       fcntl(p[1], F_GETFL) & (O_ACCMODE | O_NONBLOCK));
	close(p[1]);
	total = 0;
	while ((r = read(p[0], buf, sizeof(buf))) > 0)
		total += r;
	printf("pipe drained %ld bytes, then read returns %s\n", total, err(r));
	printf("pipe revents without writers: %#x\n", revents(p[0], POLLIN));
	close(p[0]);

	pipe(p);
	memcpy(buf, "abcdefg", 7);
	printf("writev: %s\n", err(writev(p[1], iov, 2)));
	memset(buf, 0, 8);
	iov[0].iov_len = 2;
	iov[1].iov_len = 10;
	printf("readv: %s", err(readv(p[0], iov, 2)));
	printf(" \"%s\"\n", buf);
	close(p[0]);
	signal(SIGPIPE, on_sigpipe);
	printf("write without readers: %s", err(write(p[1], buf, 1)));
	printf(", SIGPIPE %d\n", sigpipes);
	close(p[1]);
}

static void test_epoll(void)
{
	struct epoll_event ev, out[4];
	int ep = epoll_create1(EPOLL_CLOEXEC), e1 = eventfd(0, EFD_NONBLOCK);
	int e2 = eventfd(0, EFD_NONBLOCK), e3 = eventfd(0, EFD_NONBLOCK), self;
	uint64_t v = 1;
	int r;

	ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 1 };
	printf("epoll add LT: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, e1, &ev)));
	printf("epoll add twice: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, e1, &ev)));
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u32 = 2 };
	epoll_ctl(ep, EPOLL_CTL_ADD, e2, &ev);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u32 = 3 };
	epoll_ctl(ep, EPOLL_CTL_ADD, e3, &ev);
	printf("epoll_wait idle: %s\n", err(epoll_wait(ep, out, 4, 0)));
	write(e1, &v, 8);
	write(e2, &v, 8);
	write(e3, &v, 8);
	for (int round = 0; round < 2; round++) {
		r = epoll_wait(ep, out, 4, 0);
		printf("epoll_wait round %d: %d:", round, r);
		for (int i = 0; i < r; i++)
			printf(" [%u %#x]", out[i].data.u32, out[i].events);
		printf("\n");
	}
	write(e2, &v, 8);
	r = epoll_wait(ep, out, 4, 0);
	printf("after a new write to the ET fd: %d:", r);
	for (int i = 0; i < r; i++)
		printf(" [%u]", out[i].data.u32);
	printf("\n");
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u32 = 33 };
	printf("epoll mod oneshot: %s\n", err(epoll_ctl(ep, EPOLL_CTL_MOD, e3, &ev)));
	r = epoll_wait(ep, out, 1, 0);
	printf("maxevents 1: %d: [%u]\n", r, out[0].data.u32);
	r = epoll_wait(ep, out, 4, 0);
	printf("next call: %d:", r);
	for (int i = 0; i < r; i++)
		printf(" [%u]", out[i].data.u32);
	printf("\n");
	printf("epoll del: %s\n", err(epoll_ctl(ep, EPOLL_CTL_DEL, e1, NULL)));
	printf("epoll del again: %s\n", err(epoll_ctl(ep, EPOLL_CTL_DEL, e1, NULL)));
	printf("epoll mod absent: %s\n", err(epoll_ctl(ep, EPOLL_CTL_MOD, e1, &ev)));
	printf("epoll add itself: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev)));
	self = open("/proc/self/cmdline", O_RDONLY);
	printf("epoll add regular file: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, self, &ev)));
	close(self);
	printf("epoll add closed fd: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, self, &ev)));
	printf("epoll_wait maxevents 0: %s\n", err(epoll_wait(ep, out, 0, 0)));
	printf("epoll_wait on an eventfd: %s\n", err(epoll_wait(e1, out, 1, 0)));
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLEXCLUSIVE };
	printf("epoll add exclusive: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, e1, &ev)));
	printf("epoll mod exclusive: %s\n", err(epoll_ctl(ep, EPOLL_CTL_MOD, e1, &ev)));
	ev.events |= EPOLLONESHOT;
	printf("epoll add exclusive|oneshot: %s\n", err(epoll_ctl(ep, EPOLL_CTL_ADD, e2, &ev)));
	/* closing the only fd of a file drops it from every epoll set */
	close(e2);
	close(e3);
	r = epoll_wait(ep, out, 4, 0);
	printf("after closing the others: %d:", r);
	for (int i = 0; i < r; i++)
		printf(" [%u]", out[i].data.u32);
	printf("\n");
	printf("poll on the epoll fd: %#x\n", revents(ep, POLLIN));
	close(e1);
	close(ep);
}

#define PUMP_BYTES (300 * 1000)

static void *pump_writer(void *arg)
{
	int fd = *(int *)arg;
	char buf[1000];
	long sent = 0;

	for (int i = 0; sent < PUMP_BYTES; i++) {
		memset(buf, 'a' + i % 26, sizeof(buf));
		sent += write(fd, buf, sizeof(buf));
	}
	close(fd);
	return (void *)sent;
}

static void test_pipe_threads(void)
{
	unsigned char buf[777];
	unsigned long sum = 0, got = 0;
	struct pollfd pfd;
	pthread_t t;
	void *sent;
	int p[2], r;

	pipe(p);
	pthread_create(&t, NULL, pump_writer, &p[1]);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	poll(&pfd, 1, -1);
	printf("poll woke with %#x\n", pfd.revents & POLLIN);
	while ((r = read(p[0], buf, sizeof(buf))) > 0) {
		for (int i = 0; i < r; i++)
			sum += buf[i];
		got += r;
	}
	pthread_join(t, &sent);
	printf("pipe between threads: sent %ld, received %lu, checksum %lu, last read %d\n",
	       (long)sent, got, sum, r);
	close(p[0]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_eventfd();
	test_pipe();
	test_epoll();
	test_pipe_threads();
	return 0;
}
