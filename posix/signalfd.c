// SPDX-License-Identifier: MIT
/*
 * signalfd (fs/signalfd.c) as a simulated fd: a read dequeues the
 * reading thread's pending signals that are in the fd's mask (struct
 * signalfd_siginfo each) and blocks while there are none; poll reports
 * EPOLLIN while the polling thread has one.  Every signal queued
 * (posix_signal_send) wakes the signalfds' waiters, which look again, as
 * the kernel's signalfd_notify does on the target's wait queue.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "posix/posix.h"
#include "posix/simfd_internal.h"
#include "sim/sim.h"

struct signalfd_ctx {
	sigset_t mask;
	struct simfd *file;
	struct signalfd_ctx *next;
};

static struct signalfd_ctx *signalfds;

static ssize_t signalfd_fop_read(struct simfd *f, void *buf, size_t n)
{
	struct signalfd_ctx *ctx = simfd_priv(f);
	struct signalfd_siginfo *out = buf;
	size_t done = 0;
	siginfo_t info;

	if (n < sizeof(*out))
		return -EINVAL;
	while (done + sizeof(*out) <= n && posix_signal_dequeue(&ctx->mask, &info)) {
		memset(out, 0, sizeof(*out));
		out->ssi_signo = (uint32_t)info.si_signo;
		out->ssi_code = info.si_code;
		out->ssi_pid = (uint32_t)info.si_pid;
		out->ssi_uid = info.si_uid;
		out->ssi_int = info.si_value.sival_int;
		out->ssi_ptr = (uint64_t)(uintptr_t)info.si_value.sival_ptr;
		out++;
		done += sizeof(*out);
	}
	return done ? (ssize_t)done : -EAGAIN;
}

static uint32_t signalfd_fop_poll(struct simfd *f)
{
	struct signalfd_ctx *ctx = simfd_priv(f);
	sigset_t others;

	sigfillset(&others);
	for (int s = 1; s < NSIG; s++)
		if (sigismember(&ctx->mask, s) == 1)
			sigdelset(&others, s);
	return posix_signal_pending(sim_self(), &others) ? EPOLLIN : 0;
}

static void signalfd_release(struct simfd *f)
{
	struct signalfd_ctx *ctx = simfd_priv(f), **pp = &signalfds;

	while (*pp && *pp != ctx)
		pp = &(*pp)->next;
	if (*pp)
		*pp = ctx->next;
	free(ctx);
}

static const struct simfd_ops signalfd_fops = {
	.name = "signalfd",
	.read = signalfd_fop_read,
	.poll = signalfd_fop_poll,
	.release = signalfd_release,
};

/* A signal was queued: every signalfd's waiters look again. */
void posix_signalfd_notify(void)
{
	for (struct signalfd_ctx *c = signalfds; c; c = c->next)
		simfd_notify(c->file, EPOLLIN);
}

int posix_signalfd(int fd, const sigset_t *mask, int flags)
{
	struct signalfd_ctx *ctx;

	if (flags & ~(SFD_NONBLOCK | SFD_CLOEXEC))
		return -EINVAL;
	if (fd != -1) {
		struct simfd *f = simfd_get(fd);

		if (!f)
			return -EBADF;
		if (f->ops != &signalfd_fops)
			return -EINVAL;
		ctx = simfd_priv(f);
		ctx->mask = *mask;
		sigdelset(&ctx->mask, SIGKILL);
		sigdelset(&ctx->mask, SIGSTOP);
		return fd;
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->mask = *mask;
	sigdelset(&ctx->mask, SIGKILL);
	sigdelset(&ctx->mask, SIGSTOP);
	fd = simfd_install(&signalfd_fops, ctx, flags & (O_CLOEXEC | O_NONBLOCK));
	if (fd < 0) {
		free(ctx);
		return fd;
	}
	ctx->file = simfd_get(fd);
	ctx->next = signalfds;
	signalfds = ctx;
	return fd;
}
