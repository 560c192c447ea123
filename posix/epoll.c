// SPDX-License-Identifier: MIT
/*
 * epoll (fs/eventpoll.c).  An item sits on its target file's wait list;
 * the file's wake-up (ep_poll_callback) puts it on the ready list and
 * wakes one epoll_wait caller, since those wait exclusively on the
 * instance.  EPOLLEXCLUSIVE items sit at the tail of the target's list
 * and count as "woken" only when their instance had a waiter, so N
 * instances registered exclusively on one file get one wake-up per
 * event.  Level-triggered items go back on the ready list after being
 * reported; EPOLLET ones wait for the next wake-up; EPOLLONESHOT ones are
 * disabled until EPOLL_CTL_MOD.
 *
 * Host fds have no wake-ups: their items are polled at every scan.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/cost.h"
#include "posix/posix.h"
#include "posix/real.h"
#include "posix/simfd_internal.h"

#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
#define EP_POLL_BITS (~EP_PRIVATE_BITS)

struct eventpoll;

struct epitem {
	struct simfd_wait w;		/* on the target's wait list */
	struct eventpoll *ep;
	int fd;
	struct simfd *file;		/* NULL: a host fd */
	struct epoll_event event;
	bool ready;			/* on rdllist */
	struct epitem *rd_next;
	struct epitem *next;		/* every item, in insertion order */
};

struct eventpoll {
	struct simfd *file;
	struct epitem *items;
	struct epitem *rd_head, *rd_tail;
	struct sim_waitq wq;		/* epoll_wait callers, woken one at a time */
	int nr_host;			/* items on host fds */
};

static const struct simfd_ops eventpoll_fops;

bool ep_is_epoll(const struct simfd *f)
{
	return f->ops == &eventpoll_fops;
}

static void rdllist_add_tail(struct eventpoll *ep, struct epitem *epi)
{
	if (epi->ready)
		return;
	epi->ready = true;
	epi->rd_next = NULL;
	if (ep->rd_tail)
		ep->rd_tail->rd_next = epi;
	else
		ep->rd_head = epi;
	ep->rd_tail = epi;
}

static void rdllist_del(struct eventpoll *ep, struct epitem *epi)
{
	struct epitem **pp = &ep->rd_head, *prev = NULL;

	if (!epi->ready)
		return;
	while (*pp != epi) {
		prev = *pp;
		pp = &(*pp)->rd_next;
	}
	*pp = epi->rd_next;
	if (ep->rd_tail == epi)
		ep->rd_tail = prev;
	epi->ready = false;
}

/* The item's current events (ep_item_poll); 0 while disabled by ONESHOT. */
static uint32_t ep_item_poll(const struct epitem *epi)
{
	uint32_t interest = epi->event.events & EP_POLL_BITS;
	uint32_t mask;

	if (!interest)
		return 0;
	if (epi->file)
		mask = epi->file->ops->poll ? epi->file->ops->poll(epi->file) : 0;
	else
		mask = host_fd_poll(epi->fd, interest);
	return mask & interest;
}

/* A ready list became non-empty: one epoll_wait caller, and pollers of the epoll fd. */
static int ep_wake(struct eventpoll *ep)
{
	int n = sim_wake_one(&ep->wq);

	return n + simfd_notify(ep->file, EPOLLIN);
}

static int ep_poll_callback(struct simfd_wait *w, uint32_t events)
{
	struct epitem *epi = (struct epitem *)w;
	struct eventpoll *ep = epi->ep;

	/* disabled by EPOLLONESHOT */
	if (!(epi->event.events & ~EP_PRIVATE_BITS))
		return 0;
	if (events && !(events & epi->event.events))
		return 0;
	rdllist_add_tail(ep, epi);
	return ep_wake(ep);
}

static void ep_remove(struct eventpoll *ep, struct epitem *epi)
{
	struct epitem **pp;

	simfd_del_wait(&epi->w);
	rdllist_del(ep, epi);
	for (pp = &ep->items; *pp != epi; pp = &(*pp)->next)
		;
	*pp = epi->next;
	if (!epi->file)
		ep->nr_host--;
	free(epi);
}

/* eventpoll_release: the target file went away with the item on it. */
static void ep_item_release(struct simfd_wait *w)
{
	struct epitem *epi = (struct epitem *)w;

	ep_remove(epi->ep, epi);
}

static struct epitem *ep_find(struct eventpoll *ep, int fd, const struct simfd *f)
{
	for (struct epitem *epi = ep->items; epi; epi = epi->next)
		if (epi->fd == fd && epi->file == f)
			return epi;
	return NULL;
}

/* ---- the epoll file ---- */

static uint32_t eventpoll_poll(struct simfd *f)
{
	struct eventpoll *ep = simfd_priv(f);

	for (struct epitem *epi = ep->items; epi; epi = epi->next)
		if ((epi->ready || !epi->file) && ep_item_poll(epi))
			return EPOLLIN | EPOLLRDNORM;
	return 0;
}

static void eventpoll_release(struct simfd *f)
{
	struct eventpoll *ep = simfd_priv(f);

	while (ep->items)
		ep_remove(ep, ep->items);
	free(ep);
}

static const struct simfd_ops eventpoll_fops = {
	.name = "epoll",
	.poll = eventpoll_poll,
	.release = eventpoll_release,
};

int posix_epoll_create1(int flags)
{
	struct eventpoll *ep;
	int fd;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	sim_waitq_init(&ep->wq, "epoll_wait");
	fd = simfd_install(&eventpoll_fops, ep, flags & O_CLOEXEC);
	if (fd < 0) {
		free(ep);
		return fd;
	}
	ep->file = simfd_get(fd);
	return fd;
}

/* Returns 0 or the errno; an int result keeps every path's value visible to -O2's flow checks. */
static int ep_from_fd(int epfd, struct eventpoll **ep)
{
	struct simfd *f = simfd_get(epfd);

	if (!f)
		return fcntl(epfd, F_GETFD) < 0 ? -EBADF : -EINVAL;
	if (!ep_is_epoll(f))
		return -EINVAL;
	*ep = simfd_priv(f);
	return 0;
}

/* A host fd epoll can watch: open, and not a regular file or directory. */
static int host_fd_check(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -EBADF;
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
		return -EPERM;
	return 0;
}

static void ep_check_ready(struct eventpoll *ep, struct epitem *epi)
{
	if (epi->file && ep_item_poll(epi)) {
		rdllist_add_tail(ep, epi);
		ep_wake(ep);
	}
}

static int ep_insert(struct eventpoll *ep, int fd, struct simfd *f,
		     const struct epoll_event *ev)
{
	struct epitem *epi = calloc(1, sizeof(*epi));

	if (!epi)
		return -ENOMEM;
	epi->ep = ep;
	epi->fd = fd;
	epi->file = f;
	epi->event = *ev;
	epi->event.events |= EPOLLERR | EPOLLHUP;
	epi->next = ep->items;
	ep->items = epi;
	if (f) {
		epi->w.events = epi->event.events;
		epi->w.exclusive = ev->events & EPOLLEXCLUSIVE;
		epi->w.func = ep_poll_callback;
		epi->w.release = ep_item_release;
		simfd_add_wait(f, &epi->w);
	} else {
		ep->nr_host++;
	}
	ep_check_ready(ep, epi);
	return 0;
}

static int ep_modify(struct eventpoll *ep, struct epitem *epi, const struct epoll_event *ev)
{
	if (epi->w.exclusive)
		return -EINVAL;
	epi->event = *ev;
	epi->event.events |= EPOLLERR | EPOLLHUP;
	epi->w.events = epi->event.events;
	ep_check_ready(ep, epi);
	return 0;
}

static int ep_ctl_check(struct eventpoll *ep, int op, int fd, struct simfd *f,
			const struct epoll_event *ev)
{
	if (f == ep->file)
		return -EINVAL;
	if (!f) {
		int r = host_fd_check(fd);

		if (r)
			return r;
	}
	if (op != EPOLL_CTL_DEL && (ev->events & EPOLLEXCLUSIVE)) {
		if (op == EPOLL_CTL_MOD)
			return -EINVAL;
		if ((ev->events & EPOLLONESHOT) || (f && ep_is_epoll(f)))
			return -EINVAL;
	}
	return 0;
}

int posix_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	struct simfd *f = simfd_get(fd);
	struct eventpoll *ep;
	struct epitem *epi;
	int err;

	if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
		return -EINVAL;
	err = ep_from_fd(epfd, &ep);
	if (err)
		return err;
	if (op != EPOLL_CTL_DEL && !ev)
		return -EFAULT;
	err = ep_ctl_check(ep, op, fd, f, ev);
	if (err)
		return err;
	epi = ep_find(ep, fd, f);
	switch (op) {
	case EPOLL_CTL_ADD:
		return epi ? -EEXIST : ep_insert(ep, fd, f, ev);
	case EPOLL_CTL_MOD:
		return epi ? ep_modify(ep, epi, ev) : -ENOENT;
	default:
		if (!epi)
			return -ENOENT;
		ep_remove(ep, epi);
		return 0;
	}
}

/* Host fd items have no wake-up: queue the ready ones before a scan. */
static void ep_poll_host(struct eventpoll *ep)
{
	for (struct epitem *epi = ep->items; epi; epi = epi->next)
		if (!epi->file && ep_item_poll(epi))
			rdllist_add_tail(ep, epi);
}

/* ep_send_events: report up to max ready items, re-queue level-triggered ones. */
static int ep_send_events(struct eventpoll *ep, struct epoll_event *evs, int max)
{
	struct epitem *tx = ep->rd_head, *epi;
	int n = 0;

	ep->rd_head = ep->rd_tail = NULL;
	while (tx && n < max) {
		epi = tx;
		tx = tx->rd_next;
		epi->ready = false;
		evs[n].events = ep_item_poll(epi);
		if (!evs[n].events)
			continue;
		evs[n].data = epi->event.data;
		n++;
		if (epi->event.events & EPOLLONESHOT)
			epi->event.events &= EP_PRIVATE_BITS;
		else if (!(epi->event.events & EPOLLET))
			rdllist_add_tail(ep, epi);
	}
	/* what max left over goes first next time (list_splice at the head) */
	if (tx) {
		struct epitem *last = tx;

		while (last->rd_next)
			last = last->rd_next;
		last->rd_next = ep->rd_head;
		if (!ep->rd_head)
			ep->rd_tail = last;
		ep->rd_head = tx;
	}
	if (ep->rd_head)
		sim_wake_one(&ep->wq);
	return n;
}

int posix_epoll_wait(int epfd, struct epoll_event *evs, int max, uint64_t timeout)
{
	uint64_t deadline = timeout == SIM_FOREVER || timeout > SIM_FOREVER - sim_now() ?
			    SIM_FOREVER : sim_now() + timeout;
	struct eventpoll *ep;
	bool timed_out = !timeout;
	struct sim_ev *ev;
	int err, n;

	sim_sync_point("epoll_wait");
	if (max <= 0)
		return -EINVAL;
	err = ep_from_fd(epfd, &ep);
	if (err)
		return err;
	simfd_get_ref(ep->file);
	for (;;) {
		if (ep->nr_host)
			ep_poll_host(ep);
		n = ep_send_events(ep, evs, max);
		if (n || timed_out)
			break;
		if (ep->nr_host) {
			uint64_t until = deadline - sim_now() > 1000000 ?
					 sim_now() + 1000000 : deadline;

			warn_host_wait("epoll_wait");
			sim_wait_until(&ep->wq, until);
		} else {
			sim_wait_until(&ep->wq, deadline);
		}
		sim_charge(SIM_COST_EPOLL_WAKEUP);
		timed_out = sim_now() >= deadline;
	}
	ev = sim_ev_begin("epoll_wait");
	sim_ev_int(ev, "epfd", epfd);
	sim_ev_int(ev, "ret", n);
	sim_ev_end(ev);
	simfd_put(ep->file);
	return n;
}
