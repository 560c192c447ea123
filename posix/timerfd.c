// SPDX-License-Identifier: MIT
/*
 * timerfd (fs/timerfd.c) on the virtual clock.  A read returns the
 * number of expirations since the last read or settime (8 bytes) and
 * blocks while there were none; poll reports EPOLLIN once one happened.
 *
 * Expiry needs no reader: the hrtimer actor (hrtimer.h) counts the
 * expirations (several if virtual time jumped past more than one
 * period, as a vCPU quantum can) and wakes the timer's waiters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include "posix/hrtimer.h"
#include "posix/posix.h"
#include "posix/simfd_internal.h"
#include "sim/sim.h"

struct timerfd_ctx {
	struct posix_hrtimer timer;	/* first: the fire callback's cast */
	struct simfd *file;
	clockid_t clock;
	uint64_t ticks;		/* expirations not read yet */
};

static void timerfd_fire(struct posix_hrtimer *t, uint64_t n)
{
	struct timerfd_ctx *ctx = (struct timerfd_ctx *)t;

	ctx->ticks += n;
	simfd_notify(ctx->file, EPOLLIN);
}

static ssize_t timerfd_fop_read(struct simfd *f, void *buf, size_t n)
{
	struct timerfd_ctx *ctx = simfd_priv(f);

	if (n < sizeof(ctx->ticks))
		return -EINVAL;
	if (!ctx->ticks)
		return -EAGAIN;
	memcpy(buf, &ctx->ticks, sizeof(ctx->ticks));
	ctx->ticks = 0;
	return sizeof(ctx->ticks);
}

static uint32_t timerfd_fop_poll(struct simfd *f)
{
	struct timerfd_ctx *ctx = simfd_priv(f);

	return ctx->ticks ? EPOLLIN : 0;
}

static void timerfd_release(struct simfd *f)
{
	struct timerfd_ctx *ctx = simfd_priv(f);

	posix_hrtimer_cancel(&ctx->timer);
	free(ctx);
}

static const struct simfd_ops timerfd_fops = {
	.name = "timerfd",
	.read = timerfd_fop_read,
	.poll = timerfd_fop_poll,
	.release = timerfd_release,
};

int posix_timerfd_create(clockid_t clk, int flags)
{
	struct timerfd_ctx *ctx;
	struct timespec ts;
	int fd;

	if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
		return -EINVAL;
	if (clk != CLOCK_MONOTONIC && clk != CLOCK_REALTIME && clk != CLOCK_BOOTTIME &&
	    clk != CLOCK_REALTIME_ALARM && clk != CLOCK_BOOTTIME_ALARM)
		return -EINVAL;
	if (posix_clock_gettime(clk, &ts))
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->clock = clk;
	ctx->timer.deadline = SIM_FOREVER;
	ctx->timer.fire = timerfd_fire;
	fd = simfd_install(&timerfd_fops, ctx, flags & (O_CLOEXEC | O_NONBLOCK));
	if (fd < 0) {
		free(ctx);
		return fd;
	}
	ctx->file = simfd_get(fd);
	return fd;
}

static struct timerfd_ctx *timerfd_get(int fd, int *err)
{
	struct simfd *f = simfd_get(fd);

	*err = !f ? -EBADF : f->ops != &timerfd_fops ? -EINVAL : 0;
	return *err ? NULL : simfd_priv(f);
}

static bool ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < (long)POSIX_NSEC_PER_SEC;
}

int posix_timerfd_settime(int fd, int flags, const struct itimerspec *nv,
			  struct itimerspec *old)
{
	struct timerfd_ctx *ctx;
	uint64_t deadline = SIM_FOREVER;
	int err;

	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	ctx = timerfd_get(fd, &err);
	if (!ctx)
		return err;
	if (!ts_valid(&nv->it_value) || !ts_valid(&nv->it_interval))
		return -EINVAL;
	if (old)
		posix_hrtimer_read(&ctx->timer, old);
	if (nv->it_value.tv_sec || nv->it_value.tv_nsec) {
		err = posix_deadline(ctx->clock, &nv->it_value,
				     flags & TFD_TIMER_ABSTIME, &deadline);
		if (err)
			return err;
	}
	ctx->ticks = 0;
	posix_hrtimer_start(&ctx->timer, deadline,
			    (uint64_t)nv->it_interval.tv_sec * POSIX_NSEC_PER_SEC +
			    (uint64_t)nv->it_interval.tv_nsec);
	return 0;
}

int posix_timerfd_gettime(int fd, struct itimerspec *cur)
{
	struct timerfd_ctx *ctx;
	int err;

	ctx = timerfd_get(fd, &err);
	if (!ctx)
		return err;
	posix_hrtimer_read(&ctx->timer, cur);
	return 0;
}
