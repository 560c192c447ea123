// SPDX-License-Identifier: MIT
/*
 * C11 <threads.h> on the same model as pthreads: glibc implements
 * thrd_create, mtx_lock... with internal calls that would bypass our
 * pthread symbols (thrd_create would make a real thread).  The types
 * share glibc's pthread layouts (mtx_t is a pthread_mutex_t, cnd_t a
 * pthread_cond_t, once_flag a pthread_once_t, tss_t a pthread_key_t).
 * Only libkvmsim.so contains this file; see interpose.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

#include "posix/posix.h"
#include "posix/real.h"

#define ACTIVE() __builtin_expect(posix_active(), 1)

_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t layout");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t layout");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag layout");

REAL_DECL(int, thrd_create, thrd_t *, thrd_start_t, void *);
REAL_DECL(int, thrd_join, thrd_t, int *);
REAL_DECL(int, thrd_detach, thrd_t);
REAL_DECL(void, thrd_exit, int);
REAL_DECL(thrd_t, thrd_current, void);
REAL_DECL(int, thrd_sleep, const struct timespec *, struct timespec *);
REAL_DECL(void, thrd_yield, void);
REAL_DECL(int, mtx_init, mtx_t *, int);
REAL_DECL(int, mtx_lock, mtx_t *);
REAL_DECL(int, mtx_timedlock, mtx_t *__restrict, const struct timespec *__restrict);
REAL_DECL(int, mtx_trylock, mtx_t *);
REAL_DECL(int, mtx_unlock, mtx_t *);
REAL_DECL(void, mtx_destroy, mtx_t *);
REAL_DECL(int, cnd_init, cnd_t *);
REAL_DECL(int, cnd_signal, cnd_t *);
REAL_DECL(int, cnd_broadcast, cnd_t *);
REAL_DECL(int, cnd_wait, cnd_t *, mtx_t *);
REAL_DECL(int, cnd_timedwait, cnd_t *__restrict, mtx_t *__restrict,
	  const struct timespec *__restrict);
REAL_DECL(void, cnd_destroy, cnd_t *);
REAL_DECL(void, call_once, once_flag *, void (*)(void));

/* glibc's thrd_err_map */
static int thrd_status(int err)
{
	switch (err) {
	case 0:
		return thrd_success;
	case ENOMEM:
		return thrd_nomem;
	case ETIMEDOUT:
		return thrd_timedout;
	case EBUSY:
		return thrd_busy;
	default:
		return thrd_error;
	}
}

struct thrd_start {
	thrd_start_t fn;
	void *arg;
};

static void *thrd_trampoline(void *p)
{
	struct thrd_start s = *(struct thrd_start *)p;

	free(p);
	return (void *)(intptr_t)s.fn(s.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
	struct thrd_start *s;
	int r;

	if (!ACTIVE())
		return REAL(thrd_create)(thr, fn, arg);
	s = malloc(sizeof(*s));
	if (!s)
		return thrd_nomem;
	*s = (struct thrd_start){ fn, arg };
	r = posix_thread_create((pthread_t *)thr, NULL, thrd_trampoline, s);
	if (r)
		free(s);
	return thrd_status(r);
}

int thrd_join(thrd_t thr, int *res)
{
	void *ret;
	int r;

	if (!ACTIVE())
		return REAL(thrd_join)(thr, res);
	r = posix_thread_join(thr, &ret);
	if (!r && res)
		*res = (int)(intptr_t)ret;
	return thrd_status(r);
}

int thrd_detach(thrd_t thr)
{
	if (!ACTIVE())
		return REAL(thrd_detach)(thr);
	return thrd_status(posix_thread_detach(thr));
}

void thrd_exit(int res)
{
	if (!ACTIVE())
		REAL(thrd_exit)(res);
	posix_thread_exit((void *)(intptr_t)res);
}

thrd_t thrd_current(void)
{
	if (!ACTIVE())
		return REAL(thrd_current)();
	return posix_thread_self();
}

/* 0, or -2 for a bad duration (no signals: never -1) */
int thrd_sleep(const struct timespec *d, struct timespec *rem)
{
	uint64_t deadline;

	if (!ACTIVE())
		return REAL(thrd_sleep)(d, rem);
	if (posix_deadline(CLOCK_REALTIME, d, false, &deadline))
		return -2;
	posix_sleep_until(deadline);
	if (rem)
		*rem = (struct timespec){ 0, 0 };
	return 0;
}

void thrd_yield(void)
{
	if (!ACTIVE()) {
		REAL(thrd_yield)();
		return;
	}
	posix_sched_yield();
}

int mtx_init(mtx_t *m, int type)
{
	int r = REAL(mtx_init)(m, type);	/* glibc's layout: the kind */

	if (r == thrd_success && ACTIVE())
		posix_mutex_init((pthread_mutex_t *)m);
	return r;
}

int mtx_lock(mtx_t *m)
{
	if (!ACTIVE())
		return REAL(mtx_lock)(m);
	return thrd_status(posix_mutex_lock((pthread_mutex_t *)m));
}

int mtx_timedlock(mtx_t *__restrict m, const struct timespec *__restrict ts)
{
	if (!ACTIVE())
		return REAL(mtx_timedlock)(m, ts);
	return thrd_status(posix_mutex_timedlock((pthread_mutex_t *)m, CLOCK_REALTIME, ts));
}

int mtx_trylock(mtx_t *m)
{
	if (!ACTIVE())
		return REAL(mtx_trylock)(m);
	return thrd_status(posix_mutex_trylock((pthread_mutex_t *)m));
}

int mtx_unlock(mtx_t *m)
{
	if (!ACTIVE())
		return REAL(mtx_unlock)(m);
	return thrd_status(posix_mutex_unlock((pthread_mutex_t *)m));
}

void mtx_destroy(mtx_t *m)
{
	if (!ACTIVE()) {
		REAL(mtx_destroy)(m);
		return;
	}
	posix_mutex_destroy((pthread_mutex_t *)m);
}

int cnd_init(cnd_t *c)
{
	int r = REAL(cnd_init)(c);

	if (r == thrd_success && ACTIVE())
		posix_cond_init((pthread_cond_t *)c);
	return r;
}

int cnd_signal(cnd_t *c)
{
	if (!ACTIVE())
		return REAL(cnd_signal)(c);
	return thrd_status(posix_cond_signal((pthread_cond_t *)c));
}

int cnd_broadcast(cnd_t *c)
{
	if (!ACTIVE())
		return REAL(cnd_broadcast)(c);
	return thrd_status(posix_cond_broadcast((pthread_cond_t *)c));
}

int cnd_wait(cnd_t *c, mtx_t *m)
{
	if (!ACTIVE())
		return REAL(cnd_wait)(c, m);
	return thrd_status(posix_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m,
						CLOCK_REALTIME, NULL));
}

int cnd_timedwait(cnd_t *__restrict c, mtx_t *__restrict m,
		  const struct timespec *__restrict ts)
{
	if (!ACTIVE())
		return REAL(cnd_timedwait)(c, m, ts);
	return thrd_status(posix_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m,
						CLOCK_REALTIME, ts));
}

void cnd_destroy(cnd_t *c)
{
	if (!ACTIVE()) {
		REAL(cnd_destroy)(c);
		return;
	}
	posix_cond_destroy((pthread_cond_t *)c);
}

void call_once(once_flag *flag, void (*fn)(void))
{
	if (!ACTIVE()) {
		REAL(call_once)(flag, fn);
		return;
	}
	posix_once((pthread_once_t *)flag, fn);
}

/* tss_* are pthread keys: the interposed pthread_key_* in interpose.c */
int tss_create(tss_t *key, tss_dtor_t dtor)
{
	return pthread_key_create(key, dtor) ? thrd_error : thrd_success;
}

void *tss_get(tss_t key)
{
	return pthread_getspecific(key);
}

int tss_set(tss_t key, void *value)
{
	return pthread_setspecific(key, value) ? thrd_error : thrd_success;
}

void tss_delete(tss_t key)
{
	pthread_key_delete(key);
}
