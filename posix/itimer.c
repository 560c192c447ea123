// SPDX-License-Identifier: MIT
/*
 * alarm, setitimer(ITIMER_REAL) and timer_create on the virtual clock
 * (kernel/time/itimer.c, posix-timers.c), through the hrtimer actor.
 *
 * ITIMER_REAL (which alarm shares) sends SIGALRM to the process
 * (si_code SI_KERNEL); a timer_create timer sends its sigev_signo with
 * SI_TIMER and its sigev_value to the process (SIGEV_SIGNAL) or to one
 * thread (SIGEV_THREAD_ID), or nothing (SIGEV_NONE).  A process-directed
 * signal goes to the main thread unless it blocks it, else to the first
 * thread that does not (complete_signal's choice, in creation order).
 * SIGEV_THREAD (a new thread per expiry) is refused with EINVAL and a
 * warning.  Timer ids are tagged so the real ones (kvmsim's own) pass
 * through.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>

#include "posix/hrtimer.h"
#include "posix/posix.h"
#include "sim/sim.h"

#define TIMER_TAG	0x6b760000	/* "kv": ids 0x6b760001... */
#define MAX_TIMERS	256

struct itimer {
	struct posix_hrtimer timer;	/* first: the fire callback's cast */
	clockid_t clock;
	int notify;			/* SIGEV_* */
	int signo;
	union sigval value;
	pid_t tid;			/* SIGEV_THREAD_ID */
	int overrun;
	bool used;
};

static struct itimer real_timer;	/* ITIMER_REAL */
static struct itimer timers[MAX_TIMERS];

static void itimer_fire(struct posix_hrtimer *t, uint64_t n)
{
	struct itimer *it = (struct itimer *)t;
	struct sim_actor *a;

	it->overrun = (int)(n - 1);
	if (it->notify == SIGEV_NONE)
		return;
	if (it == &real_timer) {
		posix_signal_send_process(SIGALRM, SI_KERNEL, NULL);
		return;
	}
	if (it->notify == SIGEV_THREAD_ID) {
		a = posix_tid_actor(it->tid);
		if (a)
			posix_signal_send(a, it->signo, SI_TIMER, &it->value);
		return;
	}
	posix_signal_send_process(it->signo, SI_TIMER, &it->value);
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * POSIX_NSEC_PER_SEC + (uint64_t)ts->tv_nsec;
}

static int itimer_set(struct itimer *it, bool absolute,
		      const struct itimerspec *nv, struct itimerspec *old)
{
	uint64_t deadline = SIM_FOREVER;
	int r;

	if (nv->it_value.tv_sec < 0 || nv->it_value.tv_nsec < 0 ||
	    nv->it_value.tv_nsec >= (long)POSIX_NSEC_PER_SEC ||
	    nv->it_interval.tv_sec < 0 || nv->it_interval.tv_nsec < 0 ||
	    nv->it_interval.tv_nsec >= (long)POSIX_NSEC_PER_SEC)
		return -EINVAL;
	if (old)
		posix_hrtimer_read(&it->timer, old);
	it->timer.fire = itimer_fire;
	if (nv->it_value.tv_sec || nv->it_value.tv_nsec) {
		r = posix_deadline(it->clock, &nv->it_value, absolute, &deadline);
		if (r)
			return r;
	}
	if (deadline == SIM_FOREVER)
		posix_hrtimer_cancel(&it->timer);
	else
		posix_hrtimer_start(&it->timer, deadline, ts_ns(&nv->it_interval));
	return 0;
}

static struct timeval ts_to_tv(struct timespec ts)
{
	return (struct timeval){ ts.tv_sec, ts.tv_nsec / 1000 };
}

int posix_setitimer(int which, const struct itimerval *nv, struct itimerval *old)
{
	struct itimerspec n, o;
	int r;

	if (which != ITIMER_REAL)
		return -EINVAL;
	if (nv->it_value.tv_usec < 0 || nv->it_value.tv_usec >= 1000000 ||
	    nv->it_interval.tv_usec < 0 || nv->it_interval.tv_usec >= 1000000)
		return -EINVAL;
	n.it_value = (struct timespec){ nv->it_value.tv_sec, nv->it_value.tv_usec * 1000 };
	n.it_interval = (struct timespec){ nv->it_interval.tv_sec, nv->it_interval.tv_usec * 1000 };
	real_timer.notify = SIGEV_SIGNAL;
	real_timer.clock = CLOCK_MONOTONIC;
	r = itimer_set(&real_timer, false, &n, &o);
	if (!r && old) {
		old->it_value = ts_to_tv(o.it_value);
		old->it_interval = ts_to_tv(o.it_interval);
	}
	return r;
}

int posix_getitimer(int which, struct itimerval *cur)
{
	struct itimerspec c;

	if (which != ITIMER_REAL)
		return -EINVAL;
	posix_hrtimer_read(&real_timer.timer, &c);
	cur->it_value = ts_to_tv(c.it_value);
	cur->it_interval = ts_to_tv(c.it_interval);
	return 0;
}

/* alarm: seconds left of the previous one, rounded as the kernel does */
unsigned int posix_alarm(unsigned int seconds)
{
	struct itimerval nv = { .it_value = { (time_t)seconds, 0 } }, old;

	posix_setitimer(ITIMER_REAL, &nv, &old);
	if (!old.it_value.tv_sec && !old.it_value.tv_usec)
		return 0;
	return (unsigned int)old.it_value.tv_sec + (old.it_value.tv_usec >= 500000 ||
						   !old.it_value.tv_sec);
}

bool posix_timer_ours(timer_t id)
{
	uintptr_t v = (uintptr_t)id;

	return (v & ~0xffffull) == TIMER_TAG && (v & 0xffff) >= 1 && (v & 0xffff) <= MAX_TIMERS;
}

static struct itimer *timer_get(timer_t id)
{
	struct itimer *it;

	if (!posix_timer_ours(id))
		return NULL;
	it = &timers[((uintptr_t)id & 0xffff) - 1];
	return it->used ? it : NULL;
}

int posix_timer_create(clockid_t clk, struct sigevent *sev, timer_t *id)
{
	struct timespec ts;
	int i;

	if (posix_clock_gettime(clk, &ts))
		return -EINVAL;
	if (sev && sev->sigev_notify == SIGEV_THREAD) {
		posix_warn_once("timer_create", "SIGEV_THREAD is refused (EINVAL): "
				"SIGEV_SIGNAL, SIGEV_THREAD_ID and SIGEV_NONE run on virtual time");
		return -EINVAL;
	}
	if (sev && sev->sigev_notify != SIGEV_NONE && sev->sigev_notify != SIGEV_SIGNAL &&
	    sev->sigev_notify != SIGEV_THREAD_ID)
		return -EINVAL;
	if (sev && sev->sigev_notify != SIGEV_NONE &&
	    (sev->sigev_signo <= 0 || sev->sigev_signo >= NSIG))
		return -EINVAL;
	if (sev && sev->sigev_notify == SIGEV_THREAD_ID &&
	    !posix_tid_actor(sev->_sigev_un._tid))
		return -EINVAL;
	for (i = 0; i < MAX_TIMERS && timers[i].used; i++)
		;
	if (i == MAX_TIMERS)
		return -EAGAIN;
	timers[i] = (struct itimer){ .used = true, .clock = clk, .notify = SIGEV_SIGNAL,
				     .signo = SIGALRM };
	timers[i].timer.deadline = SIM_FOREVER;
	timers[i].value.sival_int = i + 1;
	if (sev) {
		timers[i].notify = sev->sigev_notify;
		timers[i].signo = sev->sigev_signo;
		timers[i].value = sev->sigev_value;
		timers[i].tid = sev->_sigev_un._tid;
	}
	*id = (timer_t)(uintptr_t)(TIMER_TAG + i + 1);
	return 0;
}

int posix_timer_settime(timer_t id, int flags, const struct itimerspec *nv,
			struct itimerspec *old)
{
	struct itimer *it = timer_get(id);

	if (!it || !nv)
		return -EINVAL;
	return itimer_set(it, flags & TIMER_ABSTIME, nv, old);
}

int posix_timer_gettime(timer_t id, struct itimerspec *cur)
{
	struct itimer *it = timer_get(id);

	if (!it)
		return -EINVAL;
	posix_hrtimer_read(&it->timer, cur);
	return 0;
}

int posix_timer_getoverrun(timer_t id)
{
	struct itimer *it = timer_get(id);

	return it ? it->overrun : -EINVAL;
}

int posix_timer_delete(timer_t id)
{
	struct itimer *it = timer_get(id);

	if (!it)
		return -EINVAL;
	posix_hrtimer_cancel(&it->timer);
	it->used = false;
	return 0;
}

/* fork: the child inherits neither the interval timers nor POSIX timers */
void posix_itimers_after_fork(void)
{
	posix_hrtimer_cancel(&real_timer.timer);
	for (int i = 0; i < MAX_TIMERS; i++) {
		if (!timers[i].used)
			continue;
		posix_hrtimer_cancel(&timers[i].timer);
		timers[i].used = false;
	}
}
