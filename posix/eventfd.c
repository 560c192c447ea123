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
