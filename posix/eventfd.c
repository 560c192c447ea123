// SPDX-License-Identifier: MIT
/*
 * eventfd (fs/eventfd.c): a 64-bit counter.  read takes it all (or 1
 * with EFD_SEMAPHORE) and blocks at 0; write adds and blocks when the
 * sum would pass 0xfffffffffffffffe.  Both move exactly 8 bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "posix/posix.h"
#include "posix/real.h"
#include "posix/simfd_internal.h"

#define EVENTFD_MAX 0xfffffffffffffffeull	/* ULLONG_MAX - 1 */

struct eventfd_ctx {
	uint64_t count;
	bool semaphore;
};

static ssize_t eventfd_fop_read(struct simfd *f, void *buf, size_t n)
{
	struct eventfd_ctx *ctx = simfd_priv(f);
	uint64_t v;

	if (n < sizeof(v))
		return -EINVAL;
	if (!ctx->count)
		return -EAGAIN;
	v = ctx->semaphore ? 1 : ctx->count;
	ctx->count -= v;
	memcpy(buf, &v, sizeof(v));
	simfd_notify(f, EPOLLOUT);
	return sizeof(v);
}

static ssize_t eventfd_fop_write(struct simfd *f, const void *buf, size_t n)
{
	struct eventfd_ctx *ctx = simfd_priv(f);
	uint64_t v;

	if (n < sizeof(v))
		return -EINVAL;
	memcpy(&v, buf, sizeof(v));
	if (v == UINT64_MAX)
		return -EINVAL;
	if (EVENTFD_MAX - ctx->count < v)
		return -EAGAIN;
	ctx->count += v;
	if (v)
		simfd_notify(f, EPOLLIN);
	return sizeof(v);
}

static uint32_t eventfd_fop_poll(struct simfd *f)
{
	struct eventfd_ctx *ctx = simfd_priv(f);
	uint32_t events = 0;

	if (ctx->count)
		events |= EPOLLIN;
	if (ctx->count == UINT64_MAX)
		events |= EPOLLERR;
	if (ctx->count < EVENTFD_MAX)
		events |= EPOLLOUT;
	return events;
}

static void eventfd_release(struct simfd *f)
{
	free(simfd_priv(f));
}

static const struct simfd_ops eventfd_fops = {
	.name = "eventfd",
	.read = eventfd_fop_read,
	.write = eventfd_fop_write,
	.poll = eventfd_fop_poll,
	.release = eventfd_release,
};

int posix_eventfd(unsigned int initval, int flags)
{
	struct eventfd_ctx *ctx;
	int fd;

	if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->count = initval;
	ctx->semaphore = flags & EFD_SEMAPHORE;
	fd = simfd_install(&eventfd_fops, ctx, flags & (O_CLOEXEC | O_NONBLOCK));
	if (fd < 0)
		free(ctx);
	return fd;
}

/* ---- in-kernel users (KVM's irqfd and ioeventfd) ---- */

REAL_DECL(int, fcntl, int, int, ...);

struct simfd *eventfd_ctx_fdget(int fd, int *err)
{
	struct simfd *f = simfd_get(fd);

	if (!f || f->ops != &eventfd_fops) {
		/* an open fd that is no eventfd is EINVAL, no fd at all EBADF */
		*err = f || (fd >= 0 && REAL(fcntl)(fd, F_GETFD) >= 0) ? -EINVAL : -EBADF;
		return NULL;
	}
	simfd_get_ref(f);
	return f;
}

void eventfd_ctx_put(struct simfd *f)
{
	simfd_put(f);
}

void eventfd_signal(struct simfd *f)
{
	struct eventfd_ctx *ctx = simfd_priv(f);

	/* eventfd_signal_mask: the count saturates instead of blocking */
	if (ctx->count == EVENTFD_MAX)
		return;
	ctx->count++;
	simfd_notify(f, EPOLLIN);
}

uint64_t eventfd_ctx_do_read(struct simfd *f)
{
	struct eventfd_ctx *ctx = simfd_priv(f);
	uint64_t v = ctx->count;

	ctx->count = 0;
	if (v)
		simfd_notify(f, EPOLLOUT);
	return v;
}

struct eventfd_watch {
	struct simfd_wait w;
	void (*fn)(void *opaque, uint32_t events);
	void *opaque;
};

static int eventfd_watch_wake(struct simfd_wait *w, uint32_t events)
{
	struct eventfd_watch *ew = (struct eventfd_watch *)w;

	ew->fn(ew->opaque, events);
	return 0;
}

/* the file is going away (eventfd_release's EPOLLHUP) */
static void eventfd_watch_release(struct simfd_wait *w)
{
	struct eventfd_watch *ew = (struct eventfd_watch *)w;

	ew->fn(ew->opaque, EPOLLHUP);
}

struct eventfd_watch *eventfd_watch(struct simfd *f, void (*fn)(void *opaque, uint32_t events),
				    void *opaque, uint32_t *ready)
{
	struct eventfd_watch *ew = calloc(1, sizeof(*ew));

	if (!ew)
		return NULL;
	ew->w.events = EPOLLIN;
	ew->w.func = eventfd_watch_wake;
	ew->w.release = eventfd_watch_release;
	ew->fn = fn;
	ew->opaque = opaque;
	simfd_add_wait(f, &ew->w);
	*ready = eventfd_fop_poll(f);
	return ew;
}

void eventfd_unwatch(struct eventfd_watch *ew)
{
	if (!ew)
		return;
	simfd_del_wait(&ew->w);
	free(ew);
}
