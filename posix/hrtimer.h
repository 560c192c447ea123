/* SPDX-License-Identifier: MIT */
/*
 * Virtual-clock timers for posix/ (kernel/time/hrtimer.c): timerfd,
 * alarm, setitimer and timer_create arm these; one kernel actor,
 * "hrtimer", sleeps until the earliest deadline and fires what is due.
 */
#ifndef KVMSIM_POSIX_HRTIMER_H
#define KVMSIM_POSIX_HRTIMER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct posix_hrtimer {
	uint64_t deadline;	/* virtual ns; SIM_FOREVER: disarmed */
	uint64_t interval;	/* ns; 0: one shot */
	/* n expirations (more than one if time jumped past several periods) */
	void (*fire)(struct posix_hrtimer *t, uint64_t n);
	struct posix_hrtimer *next;
	bool queued;
};

/* Arm (deadline SIM_FOREVER: disarm) and queue t if it is not yet. */
void posix_hrtimer_start(struct posix_hrtimer *t, uint64_t deadline, uint64_t interval);
void posix_hrtimer_cancel(struct posix_hrtimer *t);
/* Remaining time (1 ns if due) and interval, as timer_gettime reports. */
void posix_hrtimer_read(const struct posix_hrtimer *t, struct itimerspec *cur);

#endif
