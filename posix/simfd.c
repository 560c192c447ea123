// SPDX-License-Identifier: MIT
/*
 * Simulated files (simfd.h): the fd table, wait lists with the kernel's
 * wake-up rules, and the blocking read/write/readv/writev every
 * simulated file shares.
 *
 * Each fd holds a reference on its file, as does a call in progress (so
 * a close from another thread never frees a file under a blocked
 * reader); the last reference releases it.  Epoll items hold none: a
 * released file drops them (eventpoll_release).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "posix/posix.h"
#include "posix/real.h"
#include "posix/simfd_internal.h"

REAL_DECL(int, close, int);
REAL_DECL(int, dup3, int, int, int);
REAL_DECL(int, fcntl, int, int, ...);

static struct simfd **fdtab;
static int nr_fdtab;

static int fdtab_grow(int fd)
{
	int n = nr_fdtab ? nr_fdtab : 64;
	struct simfd **p;

	while (n <= fd)
		n *= 2;
	p = realloc(fdtab, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	memset(p + nr_fdtab, 0, (n - nr_fdtab) * sizeof(*p));
	fdtab = p;
	nr_fdtab = n;
	return 0;
}

static int (*host_rw_check)(int fd);

void simfd_set_host_rw_check(int (*fn)(int fd))
{
	host_rw_check = fn;
}

int simfd_host_rw_check(int fd)
{
	return host_rw_check ? host_rw_check(fd) : 0;
}

struct simfd *simfd_get(int fd)
{
	if (fd < 0 || fd >= nr_fdtab)
		return NULL;
	return fdtab[fd];
}

void *simfd_priv(const struct simfd *f)
{
	return f->priv;
}

int simfd_flags(const struct simfd *f)
{
	return f->flags;
}

int simfd_install_mode(const struct simfd_ops *ops, void *priv, int flags, int accmode)
{
	struct simfd *f;
	int fd;

	/* a real, reserved fd number: the process' own fds never collide */
	fd = memfd_create(ops->name, (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0)
		return -errno;
	f = calloc(1, sizeof(*f));
	if (!f || (fd >= nr_fdtab && fdtab_grow(fd))) {
		free(f);
		REAL(close)(fd);
		return -ENOMEM;
	}
	f->ops = ops;
	f->priv = priv;
	f->flags = (flags & O_NONBLOCK) | accmode;
	f->refs = 1;
	fdtab[fd] = f;
	return fd;
}

int simfd_nr_fds(void)
{
	return nr_fdtab;
}

int simfd_replace_host_fd(struct simfd *f, int host_fd)
{
	for (int fd = 0; fd < nr_fdtab; fd++) {
		int fdflags;

		if (fdtab[fd] != f)
			continue;
		fdflags = REAL(fcntl)(fd, F_GETFD);
		if (fdflags < 0 ||
		    REAL(dup3)(host_fd, fd, (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
			return -errno;
	}
	return 0;
}

int simfd_install(const struct simfd_ops *ops, void *priv, int flags)
{
	return simfd_install_mode(ops, priv, flags, O_RDWR);
}

void simfd_get_ref(struct simfd *f)
{
	f->refs++;
}

void simfd_put(struct simfd *f)
{
	if (--f->refs)
		return;
	/* eventpoll_release: epoll items on this file go with it */
	while (f->head) {
		struct simfd_wait *w = f->head;

		simfd_del_wait(w);
		if (w->release)
			w->release(w);
	}
	if (f->ops->release)
		f->ops->release(f);
	free(f);
}

/* ---- wait lists ---- */

/* As add_wait_queue / add_wait_queue_exclusive: exclusive ones at the tail. */
void simfd_add_wait(struct simfd *f, struct simfd_wait *w)
{
	w->file = f;
	if (w->exclusive) {
		w->next = NULL;
		w->prev = f->tail;
		if (f->tail)
			f->tail->next = w;
		else
			f->head = w;
		f->tail = w;
	} else {
		w->prev = NULL;
		w->next = f->head;
		if (f->head)
			f->head->prev = w;
		else
			f->tail = w;
		f->head = w;
	}
}

void simfd_del_wait(struct simfd_wait *w)
{
	struct simfd *f = w->file;

	if (!f)
		return;
	if (w->prev)
		w->prev->next = w->next;
	else
		f->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		f->tail = w->prev;
	w->prev = w->next = NULL;
	w->file = NULL;
}

/*
 * __wake_up_common: every non-exclusive entry whose interest matches,
 * then exclusive ones until one of them woke somebody.
 */
int simfd_notify(struct simfd *f, uint32_t events)
{
	struct simfd_wait *w, *next;
	int n = 0;

	for (w = f->head; w; w = next) {
		uint32_t interest = w->events | EPOLLHUP | EPOLLERR;
		int r;

		next = w->next;
		if (events && !(events & interest))
			continue;
		r = w->func(w, events);
		n += r;
		if (r && w->exclusive)
			break;
	}
	return n;
}

/* ---- blocking on one file ---- */

struct sleeper {
	struct simfd_wait w;
	struct sim_waitq wq;
};

static int sleeper_wake(struct simfd_wait *w, uint32_t events)
{
	struct sleeper *s = (struct sleeper *)w;

	return sim_wake_one(&s->wq);
}

void simfd_wait_event(struct simfd *f, uint32_t events, const char *what)
{
	struct sleeper s = { .w = { .events = events, .func = sleeper_wake } };

	sim_waitq_init(&s.wq, what);
	simfd_add_wait(f, &s.w);
	sim_wait(&s.wq);
	simfd_del_wait(&s.w);
}

static int accmode(const struct simfd *f)
{
	return f->flags & O_ACCMODE;
}

static void fd_event(const char *event, int fd, const struct simfd *f, ssize_t r)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_int(ev, "fd", fd);
	sim_ev_str(ev, "file", f->ops->name);
	sim_ev_int(ev, "ret", r);
	sim_ev_end(ev);
}

static ssize_t file_read(struct simfd *f, void *buf, size_t n)
{
	ssize_t r;

	if (accmode(f) == O_WRONLY)
		return -EBADF;
	if (!f->ops->read)
		return -EINVAL;
	for (;;) {
		r = f->ops->read(f, buf, n);
		if (r != -EAGAIN || (f->flags & O_NONBLOCK))
			return r;
		simfd_wait_event(f, EPOLLIN, "read");
	}
}

static ssize_t file_write(struct simfd *f, const void *buf, size_t n)
{
	size_t done = 0;
	ssize_t r;

	if (accmode(f) == O_RDONLY)
		return -EBADF;
	if (!f->ops->write)
		return -EINVAL;
	for (;;) {
		r = f->ops->write(f, (const char *)buf + done, n - done);
		if (r >= 0) {
			done += (size_t)r;
			if (done == n)
				return (ssize_t)done;
			continue;
		}
		if (r == -EPIPE && !done)
			raise(SIGPIPE);	/* the kernel's send_sig(SIGPIPE) */
		if (r != -EAGAIN || (f->flags & O_NONBLOCK))
			return done ? (ssize_t)done : r;
		simfd_wait_event(f, EPOLLOUT, "write");
	}
}

ssize_t posix_read(int fd, void *buf, size_t n)
{
	struct simfd *f;
	ssize_t r;

	sim_sync_point("read");
	f = simfd_get(fd);
	if (!f)
		return -EBADF;
	simfd_get_ref(f);
	r = file_read(f, buf, n);
	if (!f->host)
		fd_event("read", fd, f, r);
	simfd_put(f);
	return r;
}

ssize_t posix_write(int fd, const void *buf, size_t n)
{
	struct simfd *f;
	ssize_t r;

	sim_sync_point("write");
	f = simfd_get(fd);
	if (!f)
		return -EBADF;
	simfd_get_ref(f);
	r = file_write(f, buf, n);
	if (!f->host)
		fd_event("write", fd, f, r);
	simfd_put(f);
	return r;
}

/* Each iovec in turn, stopping at a short or failed one, as do_loop_readv_writev. */
static ssize_t rw_vec(int fd, const struct iovec *iov, int iovcnt, bool write)
{
	ssize_t total = 0, r;

	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		if (!iov[i].iov_len)
			continue;
		r = write ? posix_write(fd, iov[i].iov_base, iov[i].iov_len) :
			    posix_read(fd, iov[i].iov_base, iov[i].iov_len);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((size_t)r < iov[i].iov_len)
			break;
	}
	return total;
}

ssize_t posix_readv(int fd, const struct iovec *iov, int iovcnt)
{
	return rw_vec(fd, iov, iovcnt, false);
}

ssize_t posix_writev(int fd, const struct iovec *iov, int iovcnt)
{
	return rw_vec(fd, iov, iovcnt, true);
}

/* ---- fd lifecycle ---- */

void posix_fd_close(int fd)
{
	struct simfd *f = simfd_get(fd);

	if (!f)
		return;
	fdtab[fd] = NULL;
	simfd_put(f);
}

void posix_fd_dup(int oldfd, int newfd)
{
	struct simfd *f = simfd_get(oldfd);

	if (newfd < 0 || oldfd == newfd)
		return;
	posix_fd_close(newfd);
	if (!f || (newfd >= nr_fdtab && fdtab_grow(newfd)))
		return;
	simfd_get_ref(f);
	fdtab[newfd] = f;
}

int posix_fd_getfl(int fd)
{
	struct simfd *f = simfd_get(fd);

	return f ? f->flags : -EBADF;
}

/* Only O_NONBLOCK is a status flag our files honour. */
int posix_fd_setfl(int fd, int flags)
{
	struct simfd *f = simfd_get(fd);

	if (!f)
		return -EBADF;
	f->flags = (f->flags & ~O_NONBLOCK) | (flags & O_NONBLOCK);
	return 0;
}

long posix_fd_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	struct simfd *f = simfd_get(fd);
	long r;

	if (!f)
		return -EBADF;
	if (cmd == FIONBIO) {
		const int *on = (const int *)arg;

		if (!on)
			return -EFAULT;
		f->flags = (f->flags & ~O_NONBLOCK) | (*on ? O_NONBLOCK : 0);
		return 0;
	}
	if (!f->ops->ioctl)
		return -ENOTTY;
	simfd_get_ref(f);
	r = f->ops->ioctl(f, cmd, arg);
	simfd_put(f);
	return r;
}

static int (*uaccess_hook)(const void *buf, uint64_t len, bool write);

void posix_set_uaccess_hook(int (*fn)(const void *buf, uint64_t len, bool write))
{
	uaccess_hook = fn;
}

void posix_uaccess_fault_in(const void *buf, size_t len, bool write)
{
	/* only a simulated thread can sleep */
	if (uaccess_hook && sim_self())
		uaccess_hook(buf, len, write);
}

/*
 * The same for each buffer of an iovec array (readv, writev, preadv...),
 * which the kernel's import_iovec copies in first.  The array is read
 * with process_vm_readv, so an array the program cannot read is left to
 * the real call's EFAULT instead of crashing here.
 */
void posix_uaccess_fault_in_iov(const struct iovec *iov, int iovcnt, bool write)
{
	struct iovec chunk[16], local, remote;
	int n;

	if (!uaccess_hook || !sim_self() || iovcnt <= 0 || iovcnt > IOV_MAX)
		return;
	/* with no range registered, no copy of the array either */
	if (uaccess_hook(iov, (uint64_t)iovcnt * sizeof(*iov), false) > 0)
		return;
	for (int i = 0; i < iovcnt; i += n) {
		n = iovcnt - i < 16 ? iovcnt - i : 16;
		local = (struct iovec){ chunk, n * sizeof(chunk[0]) };
		remote = (struct iovec){ (void *)(iov + i), local.iov_len };
		if (process_vm_readv((pid_t)syscall(SYS_getpid), &local, 1, &remote, 1, 0) !=
		    (ssize_t)local.iov_len)
			return;
		for (int j = 0; j < n; j++)
			uaccess_hook(chunk[j].iov_base, chunk[j].iov_len, write);
	}
}
