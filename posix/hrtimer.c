// SPDX-License-Identifier: MIT
/*
 * The hrtimer actor (see hrtimer.h): like the kernel's hrtimer
 * interrupt, expiry needs nobody waiting on the timer.  It is spawned by
 * the first timer armed.
 */
#include "posix/hrtimer.h"
#include "posix/posix.h"
#include "sim/sim.h"

static struct posix_hrtimer *timers;
static struct sim_actor *hrtimer;
static struct sim_waitq hrtimer_wq;

static void hrtimer_expire(struct posix_hrtimer *t, uint64_t now)
{
	uint64_t n = 1;

	if (t->interval) {
		n += (now - t->deadline) / t->interval;
		t->deadline += n * t->interval;
	} else {
		t->deadline = SIM_FOREVER;
	}
	t->fire(t, n);
}

/* hrtimer_interrupt: fire what is due, sleep until the next deadline. */
static void hrtimer_fn(void *arg)
{
	for (;;) {
		uint64_t next = SIM_FOREVER, now = sim_now();

		for (struct posix_hrtimer *t = timers; t; t = t->next) {
			if (t->deadline <= now)
				hrtimer_expire(t, now);
			if (t->deadline < next)
				next = t->deadline;
		}
		if (next == SIM_FOREVER)
			sim_wait(&hrtimer_wq);
		else
			sim_wait_until(&hrtimer_wq, next);
	}
}

/* A timer changed: the hrtimer actor recomputes its deadline. */
static void hrtimer_kick(void)
{
	if (!hrtimer) {
		sim_waitq_init(&hrtimer_wq, "hrtimer");
		hrtimer = sim_spawn("hrtimer", hrtimer_fn, NULL);
		sim_make_runnable(hrtimer);
		return;
	}
	sim_wake_one(&hrtimer_wq);
}

void posix_hrtimer_start(struct posix_hrtimer *t, uint64_t deadline, uint64_t interval)
{
	t->deadline = deadline;
	t->interval = interval;
	if (!t->queued) {
		t->next = timers;
		timers = t;
		t->queued = true;
	}
	hrtimer_kick();
}

void posix_hrtimer_cancel(struct posix_hrtimer *t)
{
	struct posix_hrtimer **pp = &timers;

	while (*pp && *pp != t)
		pp = &(*pp)->next;
	if (*pp)
		*pp = t->next;
	t->queued = false;
	t->deadline = SIM_FOREVER;
}

static struct timespec ns_to_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / POSIX_NSEC_PER_SEC),
				  .tv_nsec = (long)(ns % POSIX_NSEC_PER_SEC) };
}

void posix_hrtimer_read(const struct posix_hrtimer *t, struct itimerspec *cur)
{
	uint64_t now = sim_now();

	cur->it_interval = ns_to_ts(t->interval);
	cur->it_value = ns_to_ts(!t->queued || t->deadline == SIM_FOREVER ? 0 :
				 t->deadline > now ? t->deadline - now : 1);
}

bool posix_hrtimer_actor(const struct sim_actor *a)
{
	return a && a == hrtimer;
}
