// SPDX-License-Identifier: MIT
/*
 * Clocks and sleeps on virtual time.  Every clock reads sim_now():
 * CLOCK_REALTIME (and _COARSE, TAI) from a fixed epoch,
 * 2026-01-01T00:00:00Z, the others (MONOTONIC, BOOTTIME, the CPU-time
 * clocks) from 0.  Sleeping moves virtual time, not host time: when
 * every actor sleeps, time jumps to the earliest deadline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "posix/posix.h"
#include "sim/sim.h"

/* The clock's value at virtual time 0, or -EINVAL for an unknown clock. */
static int clock_base(clockid_t clk, uint64_t *base)
{
	switch (clk) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_TAI:
	case CLOCK_REALTIME_ALARM:
		*base = POSIX_EPOCH_SEC * POSIX_NSEC_PER_SEC;
		return 0;
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
	case CLOCK_BOOTTIME_ALARM:
	case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID:
		*base = 0;
		return 0;
	default:
		return -EINVAL;
	}
}

int posix_clock_gettime(clockid_t clk, struct timespec *ts)
{
	uint64_t base, ns;

	if (clock_base(clk, &base))
		return -EINVAL;
	ns = base + sim_now();
	ts->tv_sec = (time_t)(ns / POSIX_NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % POSIX_NSEC_PER_SEC);
	return 0;
}

/*
 * A thread polling the clock: on Linux a loop around clock_gettime() or
 * time() (recalc_apic_map_test's `while (time(NULL) < t)`) ends because
 * wall time passes while it spins; on the virtual clock nothing would
 * move it.  The rule, as for a guest polling its TSC (x86 emulate.c):
 * after CLOCK_POLL_FREE reads in a row by a thread that has not waited
 * since the first of them, every further read spends virtual time, from
 * CLOCK_POLL_MIN_NS doubling up to CLOCK_POLL_MAX_NS, and is a scheduling
 * point (the spinner lets the others run, as a preemptive scheduler
 * would).  Counted per thread from its reads and waits only: the same
 * seed gives the same times.  Reads by kvmsim itself (inside an ioctl, by
 * Unicorn on a vCPU's actor, by explore's progress line) are not counted.
 */
#define CLOCK_POLL_FREE		16
#define CLOCK_POLL_MIN_NS	64
#define CLOCK_POLL_MAX_NS	16384

struct clock_poll {
	uint64_t blocked;	/* sim_actor_times_blocked at the last read */
	unsigned int reads;	/* reads in a row since it last waited */
};

static struct clock_poll *polls;
static int nr_polls;

void posix_clock_poll(void)
{
	struct sim_actor *self = sim_self();
	int id = sim_actor_id(self);
	uint64_t blocked = sim_actor_times_blocked(self);
	struct clock_poll *p;
	unsigned int n;

	/* Unicorn's, the model's and explore's own clock reads come here too */
	if (sim_in_scheduler() || !posix_actor_is_thread(self) || posix_in_kernel())
		return;

	if (id >= nr_polls) {
		int nr = id + 16;
		struct clock_poll *q = realloc(polls, nr * sizeof(*q));

		if (!q)
			return;
		memset(q + nr_polls, 0, (nr - nr_polls) * sizeof(*q));
		polls = q;
		nr_polls = nr;
	}
	p = &polls[id];
	if (p->blocked != blocked) {
		p->blocked = blocked;
		p->reads = 0;
	}
	if (++p->reads <= CLOCK_POLL_FREE)
		return;
	n = p->reads - CLOCK_POLL_FREE - 1;
	sim_advance(n >= 8 ? CLOCK_POLL_MAX_NS : CLOCK_POLL_MIN_NS << n);
	sim_yield("clock_poll");
	/* a yield that let others run is no wait: the streak goes on */
	p->blocked = sim_actor_times_blocked(self);
	posix_cancel_async_point();
}

/*
 * In Linux the thread in KVM_RUN runs the guest itself: a loop of clock
 * reads and KVM_RUNs that exit to userspace (sync_regs_test's
 * `for (t = time(NULL) + 2; time(NULL) < t;) vcpu_run()`) is as busy as
 * a plain spin on the clock.  Here the vCPU's actor runs the guest while
 * the thread waits for it; that wait keeps the streak unless the vCPU
 * itself blocked (HLT, a userfault, ...), as the caller would have.
 */
void posix_clock_poll_busy(uint64_t before)
{
	int id = sim_actor_id(sim_self());

	if (id < nr_polls && polls[id].blocked == before)
		polls[id].blocked = sim_actor_times_blocked(sim_self());
}

int posix_deadline(clockid_t clk, const struct timespec *ts, bool absolute,
		   uint64_t *deadline)
{
	uint64_t base, ns;

	if (clock_base(clk, &base) || ts->tv_nsec < 0 ||
	    ts->tv_nsec >= (long)POSIX_NSEC_PER_SEC)
		return -EINVAL;
	if (ts->tv_sec < 0) {
		if (!absolute)
			return -EINVAL;
		*deadline = 0;	/* long past */
		return 0;
	}
	if ((uint64_t)ts->tv_sec > (SIM_FOREVER - POSIX_NSEC_PER_SEC) / POSIX_NSEC_PER_SEC) {
		*deadline = SIM_FOREVER;
		return 0;
	}
	ns = (uint64_t)ts->tv_sec * POSIX_NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
	if (absolute)
		*deadline = ns > base ? ns - base : 0;
	else
		*deadline = ns > SIM_FOREVER - sim_now() ? SIM_FOREVER : sim_now() + ns;
	return 0;
}

void posix_sleep_until(uint64_t deadline)
{
	struct sim_ev *ev = sim_ev_begin("hrtimer_nanosleep");

	sim_ev_int(ev, "until", (int64_t)(deadline == SIM_FOREVER ? -1 : (int64_t)deadline));
	sim_ev_end(ev);
	if (deadline == SIM_FOREVER) {
		struct sim_waitq never;

		sim_waitq_init(&never, "nanosleep");
		sim_wait(&never);
	}
	sim_sleep_until(deadline);
}

int posix_sched_yield(void)
{
	struct sim_ev *ev = sim_ev_begin("sched_yield");

	sim_ev_end(ev);
	sim_yield("sched_yield");
	posix_cancel_async_point();
	return 0;
}
