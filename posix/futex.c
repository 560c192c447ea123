// SPDX-License-Identifier: MIT
/*
 * futex(2) as simulated wait queues, after kernel/futex/: a waiter is a
 * futex_q keyed by the word's address (one process: private and shared
 * keys are the same thing here), queued in arrival order; a wake takes
 * the first waiters whose bitset matches.  Every thread runs on one OS
 * thread, so a real FUTEX_WAIT would block them all: programs that call
 * syscall(SYS_futex) (QEMU's QemuEvent, hand-made locks) come here.
 * Timeouts are on the virtual clock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>

#include "posix/posix.h"
#include "sim/sim.h"

struct futex_q {
	const uint32_t *uaddr;	/* the key; a requeue changes it */
	uint32_t bitset;
	bool woken;
	struct sim_waitq wq;
	struct futex_q *next;
};

/* Every waiter of every futex, oldest first. */
static struct futex_q *futex_waiters;

static void futex_queue(struct futex_q *q)
{
	struct futex_q **pp = &futex_waiters;

	while (*pp)
		pp = &(*pp)->next;
	q->next = NULL;
	*pp = q;
}

static void futex_unqueue(struct futex_q *q)
{
	struct futex_q **pp = &futex_waiters;

	while (*pp && *pp != q)
		pp = &(*pp)->next;
	if (*pp)
		*pp = q->next;
}

static void futex_event(const char *event, const uint32_t *uaddr, long v)
{
	struct sim_ev *ev = sim_ev_begin(event);

	/* no host address in a trace: the word's value only */
	sim_ev_int(ev, "val", (int64_t)*(volatile const uint32_t *)uaddr);
	sim_ev_int(ev, "ret", v);
	sim_ev_end(ev);
}

/* futex_wait: sleep unless *uaddr changed; 0, -EAGAIN or -ETIMEDOUT */
static long futex_wait(const uint32_t *uaddr, uint32_t val, uint64_t deadline,
		       uint32_t bitset)
{
	struct futex_q q = { .uaddr = uaddr, .bitset = bitset };
	bool intr;

	if (!bitset)
		return -EINVAL;
	if (*(volatile const uint32_t *)uaddr != val)
		return -EAGAIN;
	sim_waitq_init(&q.wq, "futex");
	futex_queue(&q);
	futex_event("futex_wait", uaddr, 0);
	posix_intr_begin();
	while (!q.woken && !posix_intr_check() && sim_wait_until(&q.wq, deadline))
		;
	intr = posix_intr_end();
	if (q.woken)
		return 0;
	futex_unqueue(&q);
	return intr ? -EINTR : -ETIMEDOUT;
}

/* Wake up to nr waiters on uaddr whose bitset meets bitset. */
static long futex_wake(const uint32_t *uaddr, int nr, uint32_t bitset)
{
	struct futex_q *q, *next;
	long woken = 0;

	if (!bitset)
		return -EINVAL;
	for (q = futex_waiters; q && woken < nr; q = next) {
		next = q->next;
		if (q->uaddr != uaddr || !(q->bitset & bitset))
			continue;
		futex_unqueue(q);
		q->woken = true;
		sim_wake_one(&q->wq);
		woken++;
	}
	futex_event("futex_wake", uaddr, woken);
	return woken;
}

/* futex_requeue: wake nr_wake, move up to nr_requeue more to uaddr2 */
static long futex_requeue(const uint32_t *uaddr, const uint32_t *uaddr2,
			  int nr_wake, int nr_requeue, const uint32_t *cmpval)
{
	long done;

	if (nr_wake < 0 || nr_requeue < 0)
		return -EINVAL;
	if (cmpval && *(volatile const uint32_t *)uaddr != *cmpval)
		return -EAGAIN;
	done = futex_wake(uaddr, nr_wake, FUTEX_BITSET_MATCH_ANY);
	for (struct futex_q *q = futex_waiters; q && nr_requeue; q = q->next) {
		if (q->uaddr != uaddr)
			continue;
		q->uaddr = uaddr2;
		nr_requeue--;
		done++;
	}
	return done;
}

static long futex_timeout(int op, const struct timespec *ts, bool absolute,
			  uint64_t *deadline)
{
	clockid_t clk = (op & FUTEX_CLOCK_REALTIME) ? CLOCK_REALTIME : CLOCK_MONOTONIC;

	*deadline = SIM_FOREVER;
	if (!ts)
		return 0;
	return posix_deadline(clk, ts, absolute, deadline);
}

long posix_futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts,
		 uint32_t *uaddr2, uint32_t val3)
{
	int cmd = op & FUTEX_CMD_MASK;
	uint64_t deadline;
	char why[80];
	long r;

	sim_sync_point("futex");
	if (!uaddr || ((uintptr_t)uaddr & 3))
		return -EINVAL;
	switch (cmd) {
	case FUTEX_WAIT:
		val3 = FUTEX_BITSET_MATCH_ANY;
		/* fall through */
	case FUTEX_WAIT_BITSET:
		r = futex_timeout(op, ts, cmd == FUTEX_WAIT_BITSET, &deadline);
		return r ? r : futex_wait(uaddr, val, deadline, val3);
	case FUTEX_WAKE:
		val3 = FUTEX_BITSET_MATCH_ANY;
		/* fall through */
	case FUTEX_WAKE_BITSET:
		return futex_wake(uaddr, (int)val, val3);
	case FUTEX_REQUEUE:
		return futex_requeue(uaddr, uaddr2, (int)val, (int)(uintptr_t)ts, NULL);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(uaddr, uaddr2, (int)val, (int)(uintptr_t)ts, &val3);
	default:
		snprintf(why, sizeof(why), "operation %d is not modelled: ENOSYS", cmd);
		posix_warn_once("futex", why);
		return -ENOSYS;
	}
}
