/* SPDX-License-Identifier: MIT */
/*
 * Inside posix/: the simulated file and its wait list (the kernel's
 * wait_queue_head_t with wait_queue_entry_t callbacks), shared by
 * simfd.c, poll.c and epoll.c.
 */
#ifndef KVMSIM_POSIX_SIMFD_INTERNAL_H
#define KVMSIM_POSIX_SIMFD_INTERNAL_H

#include "posix/simfd.h"

struct simfd_wait;

/* Returns how many actors it made runnable (0 or 1 for an epoll item). */
typedef int (*simfd_wake_fn)(struct simfd_wait *w, uint32_t events);

struct simfd_wait {
	struct simfd_wait *prev, *next;
	struct simfd *file;		/* NULL once unlinked */
	uint32_t events;		/* interest; EPOLLHUP|EPOLLERR always */
	bool exclusive;			/* wake-one (EPOLLEXCLUSIVE) */
	simfd_wake_fn func;
	/* The file goes away with the entry still queued (epoll items). */
	void (*release)(struct simfd_wait *w);
};

struct simfd {
	const struct simfd_ops *ops;
	void *priv;
	int flags;			/* O_ACCMODE bits | O_NONBLOCK */
	int refs;			/* fds and calls in progress */
	struct simfd_wait *head, *tail;	/* non-exclusive first */
	bool host;			/* a host pipe end (hostpipe.c): I/O not traced */
};

/* Install with an access mode (O_RDONLY, O_WRONLY, O_RDWR). */
int simfd_install_mode(const struct simfd_ops *ops, void *priv, int flags, int accmode);
void simfd_add_wait(struct simfd *f, struct simfd_wait *w);
void simfd_del_wait(struct simfd_wait *w);
void simfd_get_ref(struct simfd *f);
void simfd_put(struct simfd *f);
/* Block until f is woken with one of `events` (interest); a scheduling point. */
void simfd_wait_event(struct simfd *f, uint32_t events, const char *what);

/*
 * The program's fds for f become dups of the host fd (each keeping its
 * close-on-exec flag): what the program passes on (exec) is the real file.
 */
int simfd_replace_host_fd(struct simfd *f, int host_fd);
/* The highest fd number that may be simulated, plus one. */
int simfd_nr_fds(void);

/* hostpipe.c: f, a pipe end, uses host_fd from now on (its own fd). */
int host_pipe_attach(struct simfd *f, int host_fd, bool reader);

/* epoll.c: is f an epoll file (for EPOLL_CTL_ADD loop checks). */
bool ep_is_epoll(const struct simfd *f);

/* poll.c: readiness of a host fd, with a zero-timeout real poll. */
uint32_t host_fd_poll(int fd, uint32_t events);
void warn_host_wait(const char *call);
/* warn.c: print text once per key */
void posix_warn_once_text(const char *key, const char *text);

#endif
