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
	return 0;
}
