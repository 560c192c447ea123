// SPDX-License-Identifier: MIT
/*
 * Host pipes: a simulated pipe that a fork shares with another process.
 *
 * A simulated pipe lives in this process' memory; after fork each
 * process would have its own copy, and what the child writes would never
 * reach the parent.  So when the program forks, every simulated pipe
 * becomes a real one (pipe.c: posix_pipes_to_host): its buffered bytes
 * move into it, its ends take over the program's fd numbers, and both
 * processes use it.  The file keeps its place in the simulation -- fds,
 * O_NONBLOCK, wait lists, poll and epoll -- but reads and writes go to
 * the host: a real read or write is only made when a zero-timeout poll
 * says it will not block the one OS thread (writes move at most
 * PIPE_BUF bytes at a time, which a writable pipe always takes), else the
 * call is "would block" and the thread waits on the file as on any
 * simulated one.
 *
 * Who wakes it: the other process is outside the run.  When no actor is
 * runnable, the scheduler's idle wait (posix_host_wait) polls the host
 * pipes somebody waits on -- for as long as the next virtual timer is
 * away (in real time), or without a limit when none is armed -- and
 * notifies the ready ones; while actors run, they are checked every
 * virtual millisecond or 1,024 resumptions (posix_host_check).  What
 * crosses a host pipe and when is not deterministic, so host pipe reads
 * and writes are not trace events: a parent that only waits for its
 * child keeps its trace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "posix/posix.h"
#include "posix/real.h"
#include "posix/simfd_internal.h"

#define HOST_CHECK_NS		1000000ull	/* posix_host_check: every virtual ms */
#define HOST_CHECK_RESUMES	1024		/* or this many resumptions */
#define HOST_POLL_MAX		256		/* host pipe ends polled at once */

REAL_DECL(ssize_t, read, int, void *, size_t);
REAL_DECL(ssize_t, write, int, const void *, size_t);
REAL_DECL(int, close, int);
REAL_DECL(int, ioctl, int, unsigned long, ...);
REAL_DECL(int, ppoll, struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);

struct host_pipe {
	int fd;			/* this process' own fd for the pipe end */
	bool reader;
	struct simfd *file;
	struct host_pipe *next;	/* every host pipe end of the process */
	bool skip;		/* ready but woke nobody: not polled again now */
};

static struct host_pipe *host_pipes;

static ssize_t ret_or_errno(ssize_t r)
{
	return r < 0 ? -errno : r;
}

static ssize_t host_pipe_read(struct simfd *f, void *buf, size_t n)
{
	struct host_pipe *h = simfd_priv(f);

	if (!n)
		return 0;
	/* data, or no writer left (EOF): the read does not block */
	if (!(host_fd_poll(h->fd, POLLIN) & (POLLIN | POLLHUP | POLLERR)))
		return -EAGAIN;
	return ret_or_errno(REAL(read)(h->fd, buf, n));
}

static ssize_t host_pipe_write(struct simfd *f, const void *buf, size_t n)
{
	struct host_pipe *h = simfd_priv(f);
	uint32_t mask = host_fd_poll(h->fd, POLLOUT);

	/* no reader left: EPIPE here, so that SIGPIPE is the model's (simfd.c) */
	if (mask & POLLERR)
		return -EPIPE;
	if (!(mask & POLLOUT))
		return -EAGAIN;
	if (!n)
		return 0;
	return ret_or_errno(REAL(write)(h->fd, buf, n < PIPE_BUF ? n : PIPE_BUF));
}

static uint32_t host_pipe_poll(struct simfd *f)
{
	struct host_pipe *h = simfd_priv(f);

	return host_fd_poll(h->fd, h->reader ? POLLIN : POLLOUT);
}

static long host_pipe_ioctl(struct simfd *f, unsigned long cmd, unsigned long arg)
{
	struct host_pipe *h = simfd_priv(f);

	if (cmd != FIONREAD)
		return -ENOTTY;
	return ret_or_errno(REAL(ioctl)(h->fd, FIONREAD, arg));
}

static void host_pipe_release(struct simfd *f)
{
	struct host_pipe *h = simfd_priv(f), **pp = &host_pipes;

	while (*pp != h)
		pp = &(*pp)->next;
	*pp = h->next;
	REAL(close)(h->fd);
	free(h);
}

static const struct simfd_ops host_pipe_read_fops = {
	.name = "pipe",
	.read = host_pipe_read,
	.poll = host_pipe_poll,
	.ioctl = host_pipe_ioctl,
	.release = host_pipe_release,
};

static const struct simfd_ops host_pipe_write_fops = {
	.name = "pipe",
	.write = host_pipe_write,
	.poll = host_pipe_poll,
	.ioctl = host_pipe_ioctl,
	.release = host_pipe_release,
};

int host_pipe_attach(struct simfd *f, int fd, bool reader)
{
	struct host_pipe *h = calloc(1, sizeof(*h));
	int r;

	if (!h)
		return -ENOMEM;
	r = simfd_replace_host_fd(f, fd);
	if (r < 0) {
		free(h);
		return r;
	}
	h->fd = fd;
	h->reader = reader;
	h->file = f;
	h->next = host_pipes;
	host_pipes = h;
	f->ops = reader ? &host_pipe_read_fops : &host_pipe_write_fops;
	f->priv = h;
	f->host = true;
	return 0;
}

/* Poll events for h: its direction if a thread waits on its file, else 0. */
static short host_pipe_interest(const struct host_pipe *h)
{
	if (!h->file->head || h->skip)
		return 0;
	return h->reader ? POLLIN : POLLOUT;
}

/* A ready end: wake its waiters as the pipe's own wake-ups would. */
static int host_pipe_notify(struct host_pipe *h, short revents)
{
	uint32_t events = (uint16_t)revents;

	if (h->reader && (events & POLLHUP))
		events |= EPOLLIN;
	if (!h->reader && (events & POLLERR))
		events |= EPOLLOUT;
	return simfd_notify(h->file, events);
}

/*
 * Poll the host pipes threads wait on (but those marked skip), for
 * timeout (NULL: none); with signals, every signal is unblocked meanwhile
 * (sigsuspend's way).  Returns how many threads the ready ones woke, or
 * -1 if none is waited on; *ready: whether any was ready.  A ready one
 * that woke nobody is marked skip.
 */
static int host_pipes_ppoll(const struct timespec *timeout, bool signals, bool *ready)
{
	struct pollfd fds[HOST_POLL_MAX];
	struct host_pipe *who[HOST_POLL_MAX];
	sigset_t none;
	nfds_t n = 0;
	int woken = 0;

	for (struct host_pipe *h = host_pipes; h && n < HOST_POLL_MAX; h = h->next) {
		short events = host_pipe_interest(h);

		if (!events)
			continue;
		fds[n] = (struct pollfd){ .fd = h->fd, .events = events };
		who[n++] = h;
	}
	*ready = false;
	if (!n)
		return -1;
	sigemptyset(&none);
	if (REAL(ppoll)(fds, n, timeout, signals ? &none : NULL) <= 0)
		return 0;
	for (nfds_t k = 0; k < n; k++) {
		int w;

		if (!fds[k].revents)
			continue;
		*ready = true;
		w = host_pipe_notify(who[k], fds[k].revents);
		who[k]->skip = !w;
		woken += w;
	}
	return woken;
}

bool posix_host_wait(uint64_t max_ns, bool signals)
{
	static bool said;
	struct timespec ts = { (time_t)(max_ns / 1000000000ull), (long)(max_ns % 1000000000ull) };
	sigset_t none;
	bool ready;
	int woken;

	for (struct host_pipe *h = host_pipes; h; h = h->next)
		h->skip = false;
	if (max_ns != SIM_FOREVER)
		return host_pipes_ppoll(&ts, false, &ready) >= 0;
	/*
	 * No timer: wait until a ready pipe wakes a thread.  One that is
	 * ready and wakes nobody (an epoll set no thread waits in) is left
	 * out of the next round, so it cannot make this spin.
	 */
	while ((woken = host_pipes_ppoll(NULL, signals, &ready)) >= 0) {
		if (woken || !ready)	/* woken, or a signal's handler ran */
			return true;
	}
	if (!signals)
		return false;
	if (!said) {
		fprintf(stderr, "kvmsim: every thread waits, no timer is armed: waiting for "
			"a signal from outside (the program handles SIGTERM, SIGINT...)\n");
		said = true;
	}
	sigemptyset(&none);
	sigsuspend(&none);
	return true;
}

void posix_host_check(void)
{
	static const struct timespec zero;
	static uint64_t last;
	static unsigned int resumes;
	bool ready;

	if (!host_pipes)
		return;
	if (sim_now() - last < HOST_CHECK_NS && ++resumes < HOST_CHECK_RESUMES)
		return;
	last = sim_now();
	resumes = 0;
	for (struct host_pipe *h = host_pipes; h; h = h->next)
		h->skip = false;
	host_pipes_ppoll(&zero, false, &ready);
}
