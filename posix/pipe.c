// SPDX-License-Identifier: MIT
/*
 * Pipes (fs/pipe.c) as a 64 KiB byte ring shared by a read-end and a
 * write-end file.  Writes of at most PIPE_BUF bytes are atomic; reading
 * an empty pipe with no writer left is EOF; writing with no reader left
 * is EPIPE (and SIGPIPE, see simfd.c).  When the program forks, each
 * becomes a host pipe (hostpipe.c), which the child shares.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "posix/posix.h"
#include "posix/real.h"
#include "posix/simfd_internal.h"

#define PIPE_SIZE (64 * 1024)	/* PIPE_DEF_BUFFERS pages */

struct pipe_inode_info {
	char buf[PIPE_SIZE];
	size_t head;		/* read position */
	size_t len;		/* bytes held */
	int readers, writers;	/* open ends */
	struct simfd *rd_file, *wr_file;
};

REAL_DECL(int, close, int);
REAL_DECL(ssize_t, write, int, const void *, size_t);
REAL_DECL(int, pipe2, int *, int);

static size_t pipe_space(const struct pipe_inode_info *p)
{
	return PIPE_SIZE - p->len;
}

static ssize_t pipe_read(struct simfd *f, void *buf, size_t n)
{
	struct pipe_inode_info *p = simfd_priv(f);
	size_t got = 0;

	if (!n)
		return 0;
	if (!p->len)
		return p->writers ? -EAGAIN : 0;
	while (got < n && p->len) {
		size_t chunk = PIPE_SIZE - p->head;

		if (chunk > p->len)
			chunk = p->len;
		if (chunk > n - got)
			chunk = n - got;
		memcpy((char *)buf + got, p->buf + p->head, chunk);
		p->head = (p->head + chunk) % PIPE_SIZE;
		p->len -= chunk;
		got += chunk;
	}
	if (p->wr_file)
		simfd_notify(p->wr_file, EPOLLOUT | EPOLLWRNORM);
	return (ssize_t)got;
}

static ssize_t pipe_write(struct simfd *f, const void *buf, size_t n)
{
	struct pipe_inode_info *p = simfd_priv(f);
	size_t put = 0;

	if (!p->readers)
		return -EPIPE;
	if (!n)
		return 0;
	/* PIPE_BUF atomicity: all or nothing */
	if ((n <= PIPE_BUF && pipe_space(p) < n) || !pipe_space(p))
		return -EAGAIN;
	while (put < n && pipe_space(p)) {
		size_t tail = (p->head + p->len) % PIPE_SIZE;
		size_t chunk = PIPE_SIZE - tail;

		if (chunk > pipe_space(p))
			chunk = pipe_space(p);
		if (chunk > n - put)
			chunk = n - put;
		memcpy(p->buf + tail, (const char *)buf + put, chunk);
		p->len += chunk;
		put += chunk;
	}
	if (p->rd_file)
		simfd_notify(p->rd_file, EPOLLIN | EPOLLRDNORM);
	return (ssize_t)put;
}

static uint32_t pipe_poll(struct simfd *f)
{
	struct pipe_inode_info *p = simfd_priv(f);
	uint32_t mask = 0;

	if (f == p->rd_file) {
		if (p->len)
			mask |= EPOLLIN | EPOLLRDNORM;
		if (!p->writers)
			mask |= EPOLLHUP;
	} else {
		/* pipe_full() counts pages: one free page means writable */
		if (pipe_space(p) >= PIPE_BUF)
			mask |= EPOLLOUT | EPOLLWRNORM;
		if (!p->readers)
			mask |= EPOLLERR;
	}
	return mask;
}

static void pipe_free_if_unused(struct pipe_inode_info *p)
{
	if (!p->readers && !p->writers)
		free(p);
}

static void pipe_read_release(struct simfd *f)
{
	struct pipe_inode_info *p = simfd_priv(f);

	p->readers--;
	p->rd_file = NULL;
	if (p->wr_file)
		simfd_notify(p->wr_file, EPOLLOUT | EPOLLERR);
	pipe_free_if_unused(p);
}

static void pipe_write_release(struct simfd *f)
{
	struct pipe_inode_info *p = simfd_priv(f);

	p->writers--;
	p->wr_file = NULL;
	if (p->rd_file)
		simfd_notify(p->rd_file, EPOLLIN | EPOLLHUP);
	pipe_free_if_unused(p);
}

static long pipe_ioctl(struct simfd *f, unsigned long cmd, unsigned long arg)
{
	struct pipe_inode_info *p = simfd_priv(f);

	if (cmd != FIONREAD)
		return -ENOTTY;
	if (!arg)
		return -EFAULT;
	*(int *)arg = (int)p->len;
	return 0;
}

static const struct simfd_ops pipe_read_fops = {
	.name = "pipe",
	.read = pipe_read,
	.poll = pipe_poll,
	.ioctl = pipe_ioctl,
	.release = pipe_read_release,
};

static const struct simfd_ops pipe_write_fops = {
	.name = "pipe",
	.write = pipe_write,
	.poll = pipe_poll,
	.ioctl = pipe_ioctl,
	.release = pipe_write_release,
};

int posix_pipe2(int fds[2], int flags)
{
	struct pipe_inode_info *p;
	int rd, wr;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	rd = simfd_install_mode(&pipe_read_fops, p, flags, O_RDONLY);
	if (rd < 0) {
		free(p);
		return rd;
	}
	p->readers = 1;
	p->rd_file = simfd_get(rd);
	wr = simfd_install_mode(&pipe_write_fops, p, flags, O_WRONLY);
	if (wr < 0) {
		posix_fd_close(rd);
		REAL(close)(rd);
		return wr;
	}
	p->writers = 1;
	p->wr_file = simfd_get(wr);
	fds[0] = rd;
	fds[1] = wr;
	return 0;
}

/*
 * A pipe the program may share with a process it forks becomes a host
 * pipe (hostpipe.c): the bytes it holds first, then each open end.
 */
static int pipe_to_host(struct pipe_inode_info *p)
{
	int hp[2], r;

	if (REAL(pipe2)(hp, O_CLOEXEC))
		return -errno;
	/* at most PIPE_SIZE bytes: a new host pipe holds as much */
	while (p->len) {
		size_t chunk = PIPE_SIZE - p->head < p->len ? PIPE_SIZE - p->head : p->len;
		ssize_t w = REAL(write)(hp[1], p->buf + p->head, chunk);

		if (w <= 0) {
			r = w < 0 ? -errno : -EIO;
			goto fail;
		}
		p->head = (p->head + (size_t)w) % PIPE_SIZE;
		p->len -= (size_t)w;
	}
	if (p->rd_file && (r = host_pipe_attach(p->rd_file, hp[0], true)))
		goto fail;
	if (!p->rd_file)
		REAL(close)(hp[0]);
	if (p->wr_file && (r = host_pipe_attach(p->wr_file, hp[1], false)))
		return r;	/* the read end is a host one already */
	if (!p->wr_file)
		REAL(close)(hp[1]);
	free(p);
	return 0;
fail:
	REAL(close)(hp[0]);
	REAL(close)(hp[1]);
	return r;
}

int posix_pipes_to_host(void)
{
	for (int fd = 0; fd < simfd_nr_fds(); fd++) {
		struct simfd *f = simfd_get(fd);
		int r;

		if (!f || (f->ops != &pipe_read_fops && f->ops != &pipe_write_fops))
			continue;
		r = pipe_to_host(simfd_priv(f));
		if (r)
			return r;
	}
	return 0;
}
