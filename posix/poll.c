// SPDX-License-Identifier: MIT
/*
 * poll (fs/select.c do_poll) over simulated and host fds.
 *
 * Simulated fds are asked through their poll op and the caller sleeps on
 * their wait lists (non-exclusive: every poller is woken, the thundering
 * herd).  Host fds cannot wake an actor: they are checked with a
 * zero-timeout real poll and, while waiting, again every millisecond of
 * virtual time, which is not deterministic (warned once).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "sim/cost.h"
#include "posix/posix.h"
#include "posix/real.h"
#include "posix/simfd_internal.h"

#define HOST_FD_RECHECK_NS 1000000ull	/* virtual time between host fd checks */

REAL_DECL(int, poll, struct pollfd *, nfds_t, int);

uint32_t host_fd_poll(int fd, uint32_t events)
{
	struct pollfd p = { .fd = fd, .events = (short)events };

	if (REAL(poll)(&p, 1, 0) <= 0)
		return 0;
	return (uint16_t)p.revents;
}

void warn_host_wait(const char *call)
{
	char text[256];

	snprintf(text, sizeof(text), "%s() waits on host fds too: not deterministic "
		 "(they are re-checked every virtual millisecond)", call);
	posix_warn_once_text(call, text);
}

struct poll_table_entry {
	struct simfd_wait w;
	struct sim_waitq *wq;
};

static int pollwake(struct simfd_wait *w, uint32_t events)
{
	return sim_wake_one(((struct poll_table_entry *)w)->wq);
}

/* One pass over the fds: how many have events (do_pollfd). */
static int poll_scan(struct pollfd *fds, nfds_t n, bool *has_host)
{
	int count = 0;

	*has_host = false;
	for (nfds_t i = 0; i < n; i++) {
		struct simfd *f = simfd_get(fds[i].fd);
		uint32_t mask;

		fds[i].revents = 0;
		if (fds[i].fd < 0)
			continue;
		if (f) {
			mask = f->ops->poll ? f->ops->poll(f) : EPOLLIN | EPOLLOUT;
			mask &= (uint16_t)fds[i].events | POLLERR | POLLHUP;
		} else {
			*has_host = true;
			mask = host_fd_poll(fds[i].fd, (uint16_t)fds[i].events);
		}
		fds[i].revents = (short)mask;
		if (mask)
			count++;
	}
	return count;
}

static void poll_register(struct pollfd *fds, nfds_t n, struct poll_table_entry *pt,
			  struct sim_waitq *wq)
{
	for (nfds_t i = 0; i < n; i++) {
		struct simfd *f = simfd_get(fds[i].fd);

		if (!f || pt[i].w.file)
			continue;
		pt[i].w.events = (uint16_t)fds[i].events;
		pt[i].w.func = pollwake;
		pt[i].wq = wq;
		simfd_get_ref(f);
		simfd_add_wait(f, &pt[i].w);
	}
}

static void poll_unregister(struct poll_table_entry *pt, nfds_t n)
{
	for (nfds_t i = 0; i < n; i++) {
		struct simfd *f = pt[i].w.file;

		if (!f)
			continue;
		simfd_del_wait(&pt[i].w);
		simfd_put(f);
	}
}

/* Sleep on wq until woken or deadline; host fds cut the sleep short. */
static bool poll_sleep(struct sim_waitq *wq, uint64_t deadline, bool has_host,
		       const char *call)
{
	uint64_t until = deadline;

	if (has_host) {
		warn_host_wait(call);
		if (deadline - sim_now() > HOST_FD_RECHECK_NS)
			until = sim_now() + HOST_FD_RECHECK_NS;
	}
	sim_wait_until(wq, until);
	sim_charge(SIM_COST_WAKEUP);
	return sim_now() >= deadline;
}

int posix_poll(struct pollfd *fds, nfds_t n, uint64_t timeout)
{
	uint64_t deadline = timeout == SIM_FOREVER || timeout > SIM_FOREVER - sim_now() ?
			    SIM_FOREVER : sim_now() + timeout;
	struct poll_table_entry *pt;
	struct sim_waitq wq;
	bool timed_out = !timeout, has_host;
	struct rlimit rl;
	int count;

	sim_sync_point("poll");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && n > rl.rlim_cur)
		return -EINVAL;
	pt = calloc(n ? n : 1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	sim_waitq_init(&wq, "poll");
	for (;;) {
		count = poll_scan(fds, n, &has_host);
		if (count || timed_out)
			break;
		poll_register(fds, n, pt, &wq);
		timed_out = poll_sleep(&wq, deadline, has_host, "poll");
	}
	poll_unregister(pt, n);
	free(pt);
	return count;
}
