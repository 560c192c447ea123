/* SPDX-License-Identifier: MIT */
/*
 * Simulated file descriptors: eventfd, pipe, epoll, userfaultfd...  Each
 * holds a real, reserved fd number (so the process' own fds never collide
 * with ours) and an ops table; read/write/poll/epoll/close/dup/fcntl on
 * that number are interposed and land here.  Blocking happens on sim/
 * wait queues, so a blocked reader is a fiber that the scheduler can see.
 *
 * posix/ knows sim/ and nothing of KVM; kvm-model/ builds userfaultfd on
 * top of this interface.
 */
#ifndef KVMSIM_POSIX_SIMFD_H
#define KVMSIM_POSIX_SIMFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sim/sim.h"

struct simfd;

struct simfd_ops {
	const char *name;	/* "eventfd", "pipe", "epoll", "userfaultfd" */
	/*
	 * Non-blocking attempt: bytes moved, or -errno.  -EAGAIN means "would
	 * block": the interposed read()/write() then waits for EPOLLIN /
	 * EPOLLOUT on the file unless it is O_NONBLOCK.  NULL: -EINVAL.
	 */
	ssize_t (*read)(struct simfd *f, void *buf, size_t n);
	ssize_t (*write)(struct simfd *f, const void *buf, size_t n);
	/* Current readiness: EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLERR ... */
	uint32_t (*poll)(struct simfd *f);
	/* ioctl on the fd; NULL or -ENOTTY when not supported. */
	long (*ioctl)(struct simfd *f, unsigned long cmd, unsigned long arg);
	/* The last fd referring to the file was closed. */
	void (*release)(struct simfd *f);
};

/*
 * Create a file and an fd for it (flags: O_NONBLOCK, O_CLOEXEC as the
 * creating call got them).  Returns the fd or -errno.
 */
int simfd_install(const struct simfd_ops *ops, void *priv, int flags);
/* The simulated file behind fd, or NULL if fd is not one of ours. */
struct simfd *simfd_get(int fd);
/*
 * A host fd another layer stands for a file without read/write ops (a
 * guest_memfd is a dup of its storage memfd): fn returns the errno to
 * fail read/write/readv/writev with (negative), or 0 for the real call.
 */
void simfd_set_host_rw_check(int (*fn)(int fd));
int simfd_host_rw_check(int fd);
void *simfd_priv(const struct simfd *f);
int simfd_flags(const struct simfd *f);	/* O_NONBLOCK etc., as F_GETFL */

/*
 * The file's readiness may have changed (events: what became ready).
 * Wakes waiters the way the kernel's wake_up on the file's wait queue
 * does: every non-exclusive waiter whose interest matches, and at most
 * one exclusive waiter (EPOLLEXCLUSIVE epoll instances).  Returns how
 * many waiters were woken (for spurious-wakeup accounting).
 */
int simfd_notify(struct simfd *f, uint32_t events);

/*
 * eventfd contexts as the kernel's own users take them (KVM's irqfd and
 * ioeventfd): eventfd_ctx_fdget, eventfd_signal, eventfd_ctx_do_read and
 * a wait-queue entry whose callback runs in the waker's context, as
 * irqfd_wakeup does.
 */
/* The eventfd behind fd with a reference held, or NULL: *err -EBADF / -EINVAL. */
struct simfd *eventfd_ctx_fdget(int fd, int *err);
void eventfd_ctx_put(struct simfd *f);
/* Add 1 to the count and wake its waiters (eventfd_signal). */
void eventfd_signal(struct simfd *f);
/* Take the whole count (0 if none): eventfd_ctx_do_read. */
uint64_t eventfd_ctx_do_read(struct simfd *f);

struct eventfd_watch;
/*
 * fn(opaque, events) runs on every wake-up of f (EPOLLIN on a write,
 * EPOLLHUP once the last fd and reference are gone: the watch is then
 * detached and only eventfd_unwatch is left to call).  The watch holds
 * no reference.  *ready gets the readiness at registration (vfs_poll).
 */
struct eventfd_watch *eventfd_watch(struct simfd *f, void (*fn)(void *opaque, uint32_t events),
				    void *opaque, uint32_t *ready);
void eventfd_unwatch(struct eventfd_watch *w);

#endif
