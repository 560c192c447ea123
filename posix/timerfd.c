// SPDX-License-Identifier: MIT
/*
 * timerfd (fs/timerfd.c) on the virtual clock.  A read returns the
 * number of expirations since the last read or settime (8 bytes) and
 * blocks while there were none; poll reports EPOLLIN once one happened.
 *
 * Expiry needs no reader: like the kernel's hrtimer interrupt, one
 * kernel actor, "hrtimer", sleeps until the earliest armed deadline,
 * counts the expirations of every timer due (several if virtual time
 * jumped past more than one period, as a vCPU quantum can) and wakes the
 * timers' waiters.  It is spawned by the first timerfd_settime.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include "posix/posix.h"
#include "posix/simfd_internal.h"
#include "sim/sim.h"

struct timerfd_ctx {
	struct simfd *file;
	clockid_t clock;
	uint64_t deadline;	/* virtual ns; SIM_FOREVER: disarmed */
	uint64_t interval;	/* ns; 0: one shot */
	uint64_t ticks;		/* expirations not read yet */
	struct timerfd_ctx *next;	/* every timer, armed or not */
};

static struct timerfd_ctx *timers;
static struct sim_actor *hrtimer;
static struct sim_waitq hrtimer_wq;

static void timerfd_expire(struct timerfd_ctx *ctx, uint64_t now)
{
	uint64_t n = 1;

	if (ctx->interval) {
		n += (now - ctx->deadline) / ctx->interval;
		ctx->deadline += n * ctx->interval;
	} else {
		ctx->deadline = SIM_FOREVER;
	}
	ctx->ticks += n;
	simfd_notify(ctx->file, EPOLLIN);
}

/* hrtimer_interrupt: fire what is due, sleep until the next deadline. */
static void hrtimer_fn(void *arg)
{
	for (;;) {
		uint64_t next = SIM_FOREVER, now = sim_now();

		for (struct timerfd_ctx *t = timers; t; t = t->next) {
			if (t->deadline <= now)
				timerfd_expire(t, now);
			if (t->deadline < next)
				next = t->deadline;
		}
		if (next == SIM_FOREVER)
			sim_wait(&hrtimer_wq);
		else
			sim_wait_until(&hrtimer_wq, next);
	}
}

/* A timer changed: the hrtimer actor recomputes its deadline. */
static void hrtimer_kick(void)
{
	if (!hrtimer) {
		sim_waitq_init(&hrtimer_wq, "hrtimer");
		hrtimer = sim_spawn("hrtimer", hrtimer_fn, NULL);
		sim_make_runnable(hrtimer);
		return;
	}
	sim_wake_one(&hrtimer_wq);
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
	struct timerfd_ctx *ctx = simfd_priv(f), **pp = &timers;

	while (*pp && *pp != ctx)
		pp = &(*pp)->next;
	if (*pp)
		*pp = ctx->next;
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
	ctx->deadline = SIM_FOREVER;
	fd = simfd_install(&timerfd_fops, ctx, flags & (O_CLOEXEC | O_NONBLOCK));
	if (fd < 0) {
		free(ctx);
		return fd;
	}
	ctx->file = simfd_get(fd);
	ctx->next = timers;
	timers = ctx;
	return fd;
}

static struct timerfd_ctx *timerfd_get(int fd, int *err)
{
	struct simfd *f = simfd_get(fd);

	*err = !f ? -EBADF : f->ops != &timerfd_fops ? -EINVAL : 0;
	return *err ? NULL : simfd_priv(f);
}

static struct timespec ns_to_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / POSIX_NSEC_PER_SEC),
				  .tv_nsec = (long)(ns % POSIX_NSEC_PER_SEC) };
}

static void timerfd_read_setting(const struct timerfd_ctx *ctx, struct itimerspec *cur)
{
	uint64_t now = sim_now();

	cur->it_interval = ns_to_ts(ctx->interval);
	cur->it_value = ns_to_ts(ctx->deadline == SIM_FOREVER ? 0 :
				 ctx->deadline > now ? ctx->deadline - now : 1);
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
		timerfd_read_setting(ctx, old);
	if (nv->it_value.tv_sec || nv->it_value.tv_nsec) {
		err = posix_deadline(ctx->clock, &nv->it_value,
				     flags & TFD_TIMER_ABSTIME, &deadline);
		if (err)
			return err;
	}
	ctx->deadline = deadline;
	ctx->interval = (uint64_t)nv->it_interval.tv_sec * POSIX_NSEC_PER_SEC +
			(uint64_t)nv->it_interval.tv_nsec;
	ctx->ticks = 0;
	hrtimer_kick();
	return 0;
}

int posix_timerfd_gettime(int fd, struct itimerspec *cur)
{
	struct timerfd_ctx *ctx;
	int err;

	ctx = timerfd_get(fd, &err);
	if (!ctx)
		return err;
	timerfd_read_setting(ctx, cur);
	return 0;
}
