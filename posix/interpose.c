// SPDX-License-Identifier: MIT
/*
 * THE POSIX INTERPOSITION LAYER: the libc symbols for threads,
 * synchronisation, time and simulated fds.  Only libkvmsim.so contains
 * this file.  Each wrapper calls the model (posix.h) once posix_init()
 * has run and passes through to the real libc before that and under
 * KVMSIM=off.  close/dup/fcntl/ioctl, shared with KVM's fds, are in
 * kvm-model/interpose.c: one place for the fd lifecycle.
 *
 * Calls kvmsim cannot make deterministic warn once (posix_warn_once)
 * and then go to the real libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <alloca.h>
#include <semaphore.h>
#include <spawn.h>
#include <stdio.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/prctl.h>

#include "posix/posix.h"
#include "posix/real.h"
#include "posix/simfd.h"

#define ACTIVE() __builtin_expect(posix_active(), 1)

/*
 * Sanitizer runtimes (ASan build: libkvmsim.so is preloaded before them)
 * call pthread_self and pthread_getspecific for their own per-thread
 * state; they must get libc's, the one host thread's, not a fiber's.
 */
struct code_range {
	uintptr_t lo, hi;
};

static struct code_range sanitizer_code[8];
static int nr_sanitizer_code;

static int find_sanitizer(struct dl_phdr_info *info, size_t size, void *data)
{
	const char *name = info->dlpi_name ? info->dlpi_name : "";

	if (!strstr(name, "libasan") && !strstr(name, "libubsan") && !strstr(name, "liblsan"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum && nr_sanitizer_code < 8; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X))
			sanitizer_code[nr_sanitizer_code++] = (struct code_range){
				info->dlpi_addr + ph->p_vaddr,
				info->dlpi_addr + ph->p_vaddr + ph->p_memsz };
	}
	return 0;
}

__attribute__((constructor)) static void find_sanitizers(void)
{
	dl_iterate_phdr(find_sanitizer, NULL);
}

static bool from_sanitizer(const void *ret)
{
	for (int i = 0; i < nr_sanitizer_code; i++)
		if ((uintptr_t)ret >= sanitizer_code[i].lo && (uintptr_t)ret < sanitizer_code[i].hi)
			return true;
	return false;
}

/* Model the call: kvmsim is on and the caller is not a sanitizer runtime. */
#define MODELLED() (ACTIVE() && !from_sanitizer(__builtin_return_address(0)))

/* -errno convention to libc's -1/errno */
static long ret_errno(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/* ---- threads ---- */

REAL_DECL(int, pthread_create, pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
REAL_DECL(int, pthread_join, pthread_t, void **);
REAL_DECL(int, pthread_tryjoin_np, pthread_t, void **);
REAL_DECL(int, pthread_timedjoin_np, pthread_t, void **, const struct timespec *);
REAL_DECL(int, pthread_clockjoin_np, pthread_t, void **, clockid_t, const struct timespec *);
REAL_DECL(int, pthread_detach, pthread_t);
REAL_DECL(void, pthread_exit, void *);
REAL_DECL(pthread_t, pthread_self, void);
REAL_DECL(int, pthread_setname_np, pthread_t, const char *);
REAL_DECL(int, pthread_getname_np, pthread_t, char *, size_t);
REAL_DECL(int, pthread_setaffinity_np, pthread_t, size_t, const cpu_set_t *);
REAL_DECL(int, pthread_getaffinity_np, pthread_t, size_t, cpu_set_t *);
REAL_DECL(int, pthread_kill, pthread_t, int);
REAL_DECL(int, pthread_cancel, pthread_t);
REAL_DECL(void, pthread_testcancel, void);
REAL_DECL(int, pthread_setcancelstate, int, int *);
REAL_DECL(int, pthread_setcanceltype, int, int *);
REAL_DECL(int, pthread_sigqueue, pthread_t, int, const union sigval);

int pthread_create(pthread_t *t, const pthread_attr_t *attr,
		   void *(*start)(void *), void *arg)
{
	if (!ACTIVE())
		return REAL(pthread_create)(t, attr, start, arg);
	return posix_thread_create(t, attr, start, arg);
}

int pthread_join(pthread_t t, void **ret)
{
	if (!ACTIVE())
		return REAL(pthread_join)(t, ret);
	return posix_thread_join(t, ret);
}

int pthread_tryjoin_np(pthread_t t, void **ret)
{
	if (!ACTIVE())
		return REAL(pthread_tryjoin_np)(t, ret);
	return posix_thread_tryjoin(t, ret);
}

int pthread_clockjoin_np(pthread_t t, void **ret, clockid_t clk,
			 const struct timespec *abstime)
{
	uint64_t deadline = SIM_FOREVER;

	if (!ACTIVE())
		return REAL(pthread_clockjoin_np)(t, ret, clk, abstime);
	if (abstime && posix_deadline(clk, abstime, true, &deadline))
		return EINVAL;
	return posix_thread_timedjoin(t, ret, deadline);
}

int pthread_timedjoin_np(pthread_t t, void **ret, const struct timespec *abstime)
{
	if (!ACTIVE())
		return REAL(pthread_timedjoin_np)(t, ret, abstime);
	return pthread_clockjoin_np(t, ret, CLOCK_REALTIME, abstime);
}

int pthread_detach(pthread_t t)
{
	if (!ACTIVE())
		return REAL(pthread_detach)(t);
	return posix_thread_detach(t);
}

void pthread_exit(void *ret)
{
	if (!ACTIVE())
		REAL(pthread_exit)(ret);
	posix_thread_exit(ret);
}

pthread_t pthread_self(void)
{
	if (!MODELLED())
		return REAL(pthread_self)();
	return posix_thread_self();
}

REAL_DECL(int, pthread_getattr_np, pthread_t, pthread_attr_t *);

int pthread_getattr_np(pthread_t id, pthread_attr_t *attr)
{
	int r = ACTIVE() ? posix_thread_getattr(id, attr) : -1;

	return r >= 0 ? r : REAL(pthread_getattr_np)(id, attr);
}

int pthread_equal(pthread_t a, pthread_t b)
{
	return a == b;
}

int pthread_setname_np(pthread_t t, const char *name)
{
	if (!ACTIVE())
		return REAL(pthread_setname_np)(t, name);
	return posix_thread_setname(t, name);
}

int pthread_getname_np(pthread_t t, char *buf, size_t len)
{
	if (!ACTIVE())
		return REAL(pthread_getname_np)(t, buf, len);
	return posix_thread_getname(t, buf, len);
}

/* One host thread runs every actor: affinity has nothing to pin. */
int pthread_setaffinity_np(pthread_t t, size_t size, const cpu_set_t *set)
{
	if (!ACTIVE())
		return REAL(pthread_setaffinity_np)(t, size, set);
	return posix_thread_check(t);
}

int pthread_getaffinity_np(pthread_t t, size_t size, cpu_set_t *set)
{
	if (!ACTIVE())
		return REAL(pthread_getaffinity_np)(t, size, set);
	if (posix_thread_check(t))
		return ESRCH;
	return REAL(pthread_getaffinity_np)(REAL(pthread_self)(), size, set);
}

/* gettid per thread, getrandom from the seed (thread.c) */
REAL_DECL(pid_t, gettid, void);
REAL_DECL(ssize_t, getrandom, void *, size_t, unsigned int);

pid_t gettid(void)
{
	return ACTIVE() ? posix_gettid() : REAL(gettid)();
}

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	if (!MODELLED())
		return REAL(getrandom)(buf, len, flags);
	return (ssize_t)ret_errno(posix_getrandom(buf, len, flags));
}

/*
 * A seccomp filter would also judge kvmsim's own calls (the simulated
 * threads are all the one OS thread), and a SIGSYS from it would kill
 * the run: installing one is refused as a kernel without
 * CONFIG_SECCOMP_FILTER refuses it (EINVAL), with a warning.
 */
REAL_DECL(int, prctl, int, unsigned long, unsigned long, unsigned long, unsigned long);

int prctl(int option, ...)
{
	unsigned long a[4];
	va_list ap;

	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (MODELLED() && option == PR_SET_SECCOMP) {
		posix_warn_once("seccomp", "a filter is refused (EINVAL): it would "
				"apply to kvmsim's own calls");
		return (int)ret_errno(-EINVAL);
	}
	return REAL(prctl)(option, a[0], a[1], a[2], a[3]);
}

/* ---- thread-directed signals and masks: signal.c ---- */

int pthread_kill(pthread_t t, int sig)
{
	if (!MODELLED())
		return REAL(pthread_kill)(t, sig);
	if (posix_thread_check(t))
		return ESRCH;
	return -posix_signal_send(posix_thread_actor(t), sig, SI_TKILL, NULL);
}

int pthread_sigqueue(pthread_t t, int sig, const union sigval val)
{
	if (!MODELLED())
		return REAL(pthread_sigqueue)(t, sig, val);
	if (posix_thread_check(t))
		return ESRCH;
	return -posix_signal_send(posix_thread_actor(t), sig, SI_QUEUE, &val);
}

REAL_DECL(int, tgkill, pid_t, pid_t, int);

int tgkill(pid_t tgid, pid_t tid, int sig)
{
	if (!MODELLED() || tgid != getpid())
		return REAL(tgkill)(tgid, tid, sig);
	return (int)ret_errno(posix_signal_send(posix_tid_actor(tid), sig, SI_TKILL, NULL));
}

REAL_DECL(int, pthread_sigmask, int, const sigset_t *, sigset_t *);
REAL_DECL(int, sigprocmask, int, const sigset_t *, sigset_t *);

int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	if (!MODELLED())
		return REAL(pthread_sigmask)(how, set, old);
	return -posix_sigmask(how, set, old);
}

int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	if (!MODELLED())
		return REAL(sigprocmask)(how, set, old);
	return (int)ret_errno(posix_sigmask(how, set, old));
}

int pthread_cancel(pthread_t t)
{
	if (!ACTIVE())
		return REAL(pthread_cancel)(t);
	return posix_thread_cancel(posix_thread_actor(t));
}

void pthread_testcancel(void)
{
	if (!ACTIVE()) {
		REAL(pthread_testcancel)();
		return;
	}
	posix_testcancel();
	/* a thread polling for its cancellation lets the others run */
	posix_sched_yield();
}

int pthread_setcancelstate(int state, int *old)
{
	if (!ACTIVE())
		return REAL(pthread_setcancelstate)(state, old);
	return posix_setcancelstate(state, old);
}

int pthread_setcanceltype(int type, int *old)
{
	if (!ACTIVE())
		return REAL(pthread_setcanceltype)(type, old);
	return posix_setcanceltype(type, old);
}

/* ---- thread-specific data: created threads' values live in the model ---- */

REAL_DECL(int, pthread_key_create, pthread_key_t *, void (*)(void *));
REAL_DECL(int, pthread_key_delete, pthread_key_t);
REAL_DECL(void *, pthread_getspecific, pthread_key_t);
REAL_DECL(int, pthread_setspecific, pthread_key_t, const void *);

int pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
	int r = REAL(pthread_key_create)(key, destructor);

	if (!r && ACTIVE())
		posix_key_created(*key, destructor);
	return r;
}

int pthread_key_delete(pthread_key_t key)
{
	int r = REAL(pthread_key_delete)(key);

	if (!r && ACTIVE())
		posix_key_deleted(key);
	return r;
}

void *pthread_getspecific(pthread_key_t key)
{
	struct posix_thread *t = MODELLED() ? posix_tsd_thread() : NULL;

	return t ? posix_getspecific(t, key) : REAL(pthread_getspecific)(key);
}

int pthread_setspecific(pthread_key_t key, const void *value)
{
	struct posix_thread *t = MODELLED() ? posix_tsd_thread() : NULL;

	return t ? posix_setspecific(t, key, value) : REAL(pthread_setspecific)(key, value);
}

/* ---- mutexes and condition variables ---- */

REAL_DECL(int, pthread_mutex_init, pthread_mutex_t *, const pthread_mutexattr_t *);
REAL_DECL(int, pthread_mutex_destroy, pthread_mutex_t *);
REAL_DECL(int, pthread_mutex_lock, pthread_mutex_t *);
REAL_DECL(int, pthread_mutex_trylock, pthread_mutex_t *);
REAL_DECL(int, pthread_mutex_timedlock, pthread_mutex_t *, const struct timespec *);
REAL_DECL(int, pthread_mutex_clocklock, pthread_mutex_t *, clockid_t, const struct timespec *);
REAL_DECL(int, pthread_mutex_unlock, pthread_mutex_t *);
REAL_DECL(int, pthread_cond_init, pthread_cond_t *, const pthread_condattr_t *);
REAL_DECL(int, pthread_cond_destroy, pthread_cond_t *);
REAL_DECL(int, pthread_cond_wait, pthread_cond_t *, pthread_mutex_t *);
REAL_DECL(int, pthread_cond_timedwait, pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
REAL_DECL(int, pthread_cond_clockwait, pthread_cond_t *, pthread_mutex_t *, clockid_t,
	  const struct timespec *);
REAL_DECL(int, pthread_cond_signal, pthread_cond_t *);
REAL_DECL(int, pthread_cond_broadcast, pthread_cond_t *);

/* The real init writes glibc's layout (the kind) with plain stores. */
int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *attr)
{
	int r = REAL(pthread_mutex_init)(m, attr);

	if (r || !ACTIVE())
		return r;
	return posix_mutex_init(m);
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
	int r;

	if (!ACTIVE())
		return REAL(pthread_mutex_destroy)(m);
	r = posix_mutex_destroy(m);
	return r ? r : REAL(pthread_mutex_destroy)(m);
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
	if (!ACTIVE())
		return REAL(pthread_mutex_lock)(m);
	return posix_mutex_lock(m);
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
	if (!ACTIVE())
		return REAL(pthread_mutex_trylock)(m);
	return posix_mutex_trylock(m);
}

int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
	if (!ACTIVE())
		return REAL(pthread_mutex_timedlock)(m, abstime);
	return posix_mutex_timedlock(m, CLOCK_REALTIME, abstime);
}

int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clk, const struct timespec *abstime)
{
	if (!ACTIVE())
		return REAL(pthread_mutex_clocklock)(m, clk, abstime);
	return posix_mutex_timedlock(m, clk, abstime);
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
	if (!ACTIVE())
		return REAL(pthread_mutex_unlock)(m);
	return posix_mutex_unlock(m);
}

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *attr)
{
	int r = REAL(pthread_cond_init)(c, attr);

	if (r || !ACTIVE())
		return r;
	return posix_cond_init(c);
}

int pthread_cond_destroy(pthread_cond_t *c)
{
	if (!ACTIVE())
		return REAL(pthread_cond_destroy)(c);
	return posix_cond_destroy(c);
}

int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
	if (!ACTIVE())
		return REAL(pthread_cond_wait)(c, m);
	return posix_cond_timedwait(c, m, CLOCK_REALTIME, NULL);
}

int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *abstime)
{
	if (!ACTIVE())
		return REAL(pthread_cond_timedwait)(c, m, abstime);
	return posix_cond_timedwait(c, m, posix_cond_clock(c), abstime);
}

int pthread_cond_clockwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
			   const struct timespec *abstime)
{
	if (!ACTIVE())
		return REAL(pthread_cond_clockwait)(c, m, clk, abstime);
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC)
		return EINVAL;
	return posix_cond_timedwait(c, m, clk, abstime);
}

int pthread_cond_signal(pthread_cond_t *c)
{
	if (!ACTIVE())
		return REAL(pthread_cond_signal)(c);
	return posix_cond_signal(c);
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
	if (!ACTIVE())
		return REAL(pthread_cond_broadcast)(c);
	return posix_cond_broadcast(c);
}

/* ---- rwlocks, barriers, once, spinlocks ---- */

REAL_DECL(int, pthread_rwlock_init, pthread_rwlock_t *, const pthread_rwlockattr_t *);
REAL_DECL(int, pthread_rwlock_destroy, pthread_rwlock_t *);
REAL_DECL(int, pthread_rwlock_rdlock, pthread_rwlock_t *);
REAL_DECL(int, pthread_rwlock_tryrdlock, pthread_rwlock_t *);
REAL_DECL(int, pthread_rwlock_timedrdlock, pthread_rwlock_t *, const struct timespec *);
REAL_DECL(int, pthread_rwlock_clockrdlock, pthread_rwlock_t *, clockid_t, const struct timespec *);
REAL_DECL(int, pthread_rwlock_wrlock, pthread_rwlock_t *);
REAL_DECL(int, pthread_rwlock_trywrlock, pthread_rwlock_t *);
REAL_DECL(int, pthread_rwlock_timedwrlock, pthread_rwlock_t *, const struct timespec *);
REAL_DECL(int, pthread_rwlock_clockwrlock, pthread_rwlock_t *, clockid_t, const struct timespec *);
REAL_DECL(int, pthread_rwlock_unlock, pthread_rwlock_t *);
REAL_DECL(int, pthread_barrier_init, pthread_barrier_t *, const pthread_barrierattr_t *, unsigned int);
REAL_DECL(int, pthread_barrier_destroy, pthread_barrier_t *);
REAL_DECL(int, pthread_barrier_wait, pthread_barrier_t *);
REAL_DECL(int, pthread_once, pthread_once_t *, void (*)(void));
REAL_DECL(int, pthread_spin_lock, pthread_spinlock_t *);
REAL_DECL(int, pthread_spin_trylock, pthread_spinlock_t *);
REAL_DECL(int, pthread_spin_unlock, pthread_spinlock_t *);

int pthread_rwlock_init(pthread_rwlock_t *l, const pthread_rwlockattr_t *attr)
{
	int r = REAL(pthread_rwlock_init)(l, attr);

	if (r || !ACTIVE())
		return r;
	return posix_rwlock_init(l);
}

int pthread_rwlock_destroy(pthread_rwlock_t *l)
{
	if (!ACTIVE())
		return REAL(pthread_rwlock_destroy)(l);
	return posix_rwlock_destroy(l);
}

int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	if (!ACTIVE())
		return REAL(pthread_rwlock_rdlock)(l);
	return posix_rwlock_rdlock(l, CLOCK_REALTIME, NULL);
}

int pthread_rwlock_tryrdlock(pthread_rwlock_t *l)
{
	if (!ACTIVE())
		return REAL(pthread_rwlock_tryrdlock)(l);
	return posix_rwlock_tryrdlock(l);
}

int pthread_rwlock_timedrdlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
	if (!ACTIVE())
		return REAL(pthread_rwlock_timedrdlock)(l, abstime);
	return posix_rwlock_rdlock(l, CLOCK_REALTIME, abstime);
}

int pthread_rwlock_clockrdlock(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abstime)
{
	if (!ACTIVE())
		return REAL(pthread_rwlock_clockrdlock)(l, clk, abstime);
	return posix_rwlock_rdlock(l, clk, abstime);
}

int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	if (!ACTIVE())
		return REAL(pthread_rwlock_wrlock)(l);
	return posix_rwlock_wrlock(l, CLOCK_REALTIME, NULL);
}

int pthread_rwlock_trywrlock(pthread_rwlock_t *l)
{
	if (!ACTIVE())
		return REAL(pthread_rwlock_trywrlock)(l);
	return posix_rwlock_trywrlock(l);
}

int pthread_rwlock_timedwrlock(pthread_rwlock_t *l, const struct timespec *abstime)
{
	if (!ACTIVE())
		return REAL(pthread_rwlock_timedwrlock)(l, abstime);
	return posix_rwlock_wrlock(l, CLOCK_REALTIME, abstime);
}

int pthread_rwlock_clockwrlock(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abstime)
{
	if (!ACTIVE())
		return REAL(pthread_rwlock_clockwrlock)(l, clk, abstime);
	return posix_rwlock_wrlock(l, clk, abstime);
}

int pthread_rwlock_unlock(pthread_rwlock_t *l)
{
	if (!ACTIVE())
		return REAL(pthread_rwlock_unlock)(l);
	return posix_rwlock_unlock(l);
}

int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr,
			 unsigned int count)
{
	if (!ACTIVE())
		return REAL(pthread_barrier_init)(b, attr, count);
	return posix_barrier_init(b, count);
}

int pthread_barrier_destroy(pthread_barrier_t *b)
{
	if (!ACTIVE())
		return REAL(pthread_barrier_destroy)(b);
	return posix_barrier_destroy(b);
}

int pthread_barrier_wait(pthread_barrier_t *b)
{
	if (!ACTIVE())
		return REAL(pthread_barrier_wait)(b);
	return posix_barrier_wait(b);
}

int pthread_once(pthread_once_t *once, void (*fn)(void))
{
	if (!ACTIVE())
		return REAL(pthread_once)(once, fn);
	return posix_once(once, fn);
}

int pthread_spin_lock(pthread_spinlock_t *l)
{
	if (!ACTIVE())
		return REAL(pthread_spin_lock)(l);
	return posix_spin_lock(l);
}

int pthread_spin_trylock(pthread_spinlock_t *l)
{
	if (!ACTIVE())
		return REAL(pthread_spin_trylock)(l);
	return posix_spin_trylock(l);
}

int pthread_spin_unlock(pthread_spinlock_t *l)
{
	if (!ACTIVE())
		return REAL(pthread_spin_unlock)(l);
	return posix_spin_unlock(l);
}

/*
 * ---- unnamed semaphores (sem_init after posix_init, or a zeroed sem_t);
 * others stay real ----
 */

REAL_DECL(int, sem_init, sem_t *, int, unsigned int);
REAL_DECL(int, sem_destroy, sem_t *);
REAL_DECL(int, sem_wait, sem_t *);
REAL_DECL(int, sem_trywait, sem_t *);
REAL_DECL(int, sem_timedwait, sem_t *, const struct timespec *);
REAL_DECL(int, sem_clockwait, sem_t *, clockid_t, const struct timespec *);
REAL_DECL(int, sem_post, sem_t *);
REAL_DECL(int, sem_getvalue, sem_t *, int *);
REAL_DECL(sem_t *, sem_open, const char *, int, ...);
REAL_DECL(int, sem_close, sem_t *);

int sem_init(sem_t *s, int pshared, unsigned int value)
{
	if (!ACTIVE())
		return REAL(sem_init)(s, pshared, value);
	return (int)ret_errno(posix_sem_init(s, value));
}

int sem_destroy(sem_t *s)
{
	if (!ACTIVE() || !posix_sem_known(s))
		return REAL(sem_destroy)(s);
	return (int)ret_errno(posix_sem_destroy(s));
}

int sem_wait(sem_t *s)
{
	if (!ACTIVE() || !posix_sem_adopt(s))
		return REAL(sem_wait)(s);
	return (int)ret_errno(posix_sem_timedwait(s, CLOCK_REALTIME, NULL));
}

int sem_trywait(sem_t *s)
{
	if (!ACTIVE() || !posix_sem_adopt(s))
		return REAL(sem_trywait)(s);
	return (int)ret_errno(posix_sem_trywait(s));
}

int sem_timedwait(sem_t *s, const struct timespec *abstime)
{
	if (!ACTIVE() || !posix_sem_adopt(s))
		return REAL(sem_timedwait)(s, abstime);
	return (int)ret_errno(posix_sem_timedwait(s, CLOCK_REALTIME, abstime));
}

int sem_clockwait(sem_t *s, clockid_t clk, const struct timespec *abstime)
{
	if (!ACTIVE() || !posix_sem_adopt(s))
		return REAL(sem_clockwait)(s, clk, abstime);
	return (int)ret_errno(posix_sem_timedwait(s, clk, abstime));
}

int sem_post(sem_t *s)
{
	if (!ACTIVE() || !posix_sem_adopt(s))
		return REAL(sem_post)(s);
	return (int)ret_errno(posix_sem_post(s));
}

int sem_getvalue(sem_t *s, int *value)
{
	if (!ACTIVE() || !posix_sem_adopt(s))
		return REAL(sem_getvalue)(s, value);
	return (int)ret_errno(posix_sem_getvalue(s, value));
}

/*
 * A named semaphore is shared with other processes: it stays real (the
 * sem_* calls above pass through for a sem_t sem_init did not make), and
 * waiting on it blocks the host thread.
 */
sem_t *sem_open(const char *name, int oflag, ...)
{
	va_list ap;
	mode_t mode;
	unsigned int value;
	sem_t *s;

	va_start(ap, oflag);
	mode = va_arg(ap, mode_t);
	value = va_arg(ap, unsigned int);
	va_end(ap);
	if (ACTIVE())
		posix_warn_once("sem_open", "a named semaphore stays real; waiting on it blocks every simulated thread");
	s = REAL(sem_open)(name, oflag, mode, value);
	if (ACTIVE() && s != SEM_FAILED)
		posix_sem_opened(s, true);
	return s;
}

int sem_close(sem_t *s)
{
	if (ACTIVE())
		posix_sem_opened(s, false);
	return REAL(sem_close)(s);
}

REAL_DECL(int, sched_yield, void);

int sched_yield(void)
{
	if (!ACTIVE())
		return REAL(sched_yield)();
	return posix_sched_yield();
}

/* ---- time ---- */

REAL_DECL(int, clock_gettime, clockid_t, struct timespec *);
REAL_DECL(int, gettimeofday, struct timeval *, void *);
REAL_DECL(time_t, time, time_t *);
REAL_DECL(int, timespec_get, struct timespec *, int);
REAL_DECL(int, nanosleep, const struct timespec *, struct timespec *);
REAL_DECL(int, clock_nanosleep, clockid_t, int, const struct timespec *, struct timespec *);
REAL_DECL(int, usleep, useconds_t);
REAL_DECL(unsigned int, sleep, unsigned int);

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	if (!ACTIVE())
		return REAL(clock_gettime)(clk, ts);
	posix_clock_poll();
	return (int)ret_errno(posix_clock_gettime(clk, ts));
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timeval *out = tv;	/* a copy: clang trusts glibc's nonnull on tv */
	struct timespec ts;

	if (!ACTIVE())
		return REAL(gettimeofday)(tv, tz);
	posix_clock_poll();
	posix_clock_gettime(CLOCK_REALTIME, &ts);
	/* glibc declares tv nonnull; the kernel accepts NULL */
	__asm__("" : "+r"(out));
	if (out) {
		out->tv_sec = ts.tv_sec;
		out->tv_usec = ts.tv_nsec / 1000;
	}
	if (tz)
		*(struct timezone *)tz = (struct timezone){ 0, 0 };
	return 0;
}

time_t time(time_t *t)
{
	struct timespec ts;

	if (!ACTIVE())
		return REAL(time)(t);
	posix_clock_poll();
	posix_clock_gettime(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}

int timespec_get(struct timespec *ts, int base)
{
	if (!ACTIVE())
		return REAL(timespec_get)(ts, base);
	posix_clock_poll();
	if (base != TIME_UTC)
		return 0;
	posix_clock_gettime(CLOCK_REALTIME, ts);
	return base;
}

/* Returns an error number, as clock_nanosleep does; no signals: nothing remains. */
static int sleep_on(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
	uint64_t deadline;

	if (clk == CLOCK_THREAD_CPUTIME_ID)
		return EINVAL;
	if (posix_deadline(clk, req, flags & TIMER_ABSTIME, &deadline))
		return EINVAL;
	posix_sleep_until(deadline);
	if (rem && !(flags & TIMER_ABSTIME))
		*rem = (struct timespec){ 0, 0 };
	return 0;
}

int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
	if (!ACTIVE())
		return REAL(clock_nanosleep)(clk, flags, req, rem);
	return sleep_on(clk, flags, req, rem);
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	if (!ACTIVE())
		return REAL(nanosleep)(req, rem);
	return (int)ret_errno(-sleep_on(CLOCK_MONOTONIC, 0, req, rem));
}

int usleep(useconds_t us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	if (!ACTIVE())
		return REAL(usleep)(us);
	return (int)ret_errno(-sleep_on(CLOCK_MONOTONIC, 0, &ts, NULL));
}

unsigned int sleep(unsigned int s)
{
	struct timespec ts = { s, 0 };

	if (!ACTIVE())
		return REAL(sleep)(s);
	sleep_on(CLOCK_MONOTONIC, 0, &ts, NULL);
	return 0;
}

/* ---- simulated fds: creation, read/write, poll, epoll ---- */

REAL_DECL(int, eventfd, unsigned int, int);
REAL_DECL(int, eventfd_read, int, eventfd_t *);
REAL_DECL(int, eventfd_write, int, eventfd_t);
REAL_DECL(int, pipe, int *);
REAL_DECL(int, pipe2, int *, int);
REAL_DECL(ssize_t, read, int, void *, size_t);
REAL_DECL(ssize_t, write, int, const void *, size_t);
REAL_DECL(ssize_t, readv, int, const struct iovec *, int);
REAL_DECL(ssize_t, writev, int, const struct iovec *, int);
REAL_DECL(ssize_t, __read_chk, int, void *, size_t, size_t);
REAL_DECL(int, poll, struct pollfd *, nfds_t, int);
REAL_DECL(int, __poll_chk, struct pollfd *, nfds_t, int, size_t);
REAL_DECL(int, ppoll, struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
REAL_DECL(int, __ppoll_chk, struct pollfd *, nfds_t, const struct timespec *, const sigset_t *,
	  size_t);
REAL_DECL(int, epoll_create, int);
REAL_DECL(int, epoll_create1, int);
REAL_DECL(int, epoll_ctl, int, int, int, struct epoll_event *);
REAL_DECL(int, epoll_wait, int, struct epoll_event *, int, int);
REAL_DECL(int, epoll_pwait, int, struct epoll_event *, int, int, const sigset_t *);
REAL_DECL(int, epoll_pwait2, int, struct epoll_event *, int, const struct timespec *,
	  const sigset_t *);

int eventfd(unsigned int initval, int flags)
{
	if (!ACTIVE())
		return REAL(eventfd)(initval, flags);
	return (int)ret_errno(posix_eventfd(initval, flags));
}

/* glibc's helpers call read/write internally, past our symbols */
int eventfd_read(int fd, eventfd_t *value)
{
	if (!ACTIVE() || !simfd_get(fd))
		return REAL(eventfd_read)(fd, value);
	return ret_errno(posix_read(fd, value, sizeof(*value))) == sizeof(*value) ? 0 : -1;
}

int eventfd_write(int fd, eventfd_t value)
{
	if (!ACTIVE() || !simfd_get(fd))
		return REAL(eventfd_write)(fd, value);
	return ret_errno(posix_write(fd, &value, sizeof(value))) == sizeof(value) ? 0 : -1;
}

int pipe2(int fds[2], int flags)
{
	if (!ACTIVE())
		return REAL(pipe2)(fds, flags);
	return (int)ret_errno(posix_pipe2(fds, flags));
}

int pipe(int fds[2])
{
	if (!ACTIVE())
		return REAL(pipe)(fds);
	return (int)ret_errno(posix_pipe2(fds, 0));
}

/*
 * read/write's buffer: the kernel's copy to or from it sleeps on a
 * userfaultfd-registered missing page (or fails, UFFD_USER_MODE_ONLY),
 * which the host kernel, where only the model registers, refuses with
 * EFAULT.  The model's userfault comes first, before the call (on Linux
 * it comes when the copy reaches the page, after any wait for data).
 */
static void host_buffer(uintptr_t buf, size_t n, bool write)
{
	if (ACTIVE())
		posix_uaccess_fault_in((const void *)buf, n, write);
}

ssize_t read(int fd, void *buf, size_t n)
{
	if (ACTIVE() && simfd_host_rw_check(fd))
		return ret_errno(simfd_host_rw_check(fd));
	host_buffer((uintptr_t)buf, n, true);
	if (!ACTIVE() || !simfd_get(fd))
		return REAL(read)(fd, buf, n);
	return ret_errno(posix_read(fd, buf, n));
}

ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (ACTIVE() && simfd_host_rw_check(fd) && n <= buflen)
		return ret_errno(simfd_host_rw_check(fd));
	if (!ACTIVE() || !simfd_get(fd)) {
		if (n <= buflen)
			host_buffer((uintptr_t)buf, n, true);
		return REAL(__read_chk)(fd, buf, n, buflen);
	}
	if (n > buflen)
		return REAL(__read_chk)(fd, buf, n, buflen);	/* the fortify abort */
	return ret_errno(posix_read(fd, buf, n));
}

ssize_t write(int fd, const void *buf, size_t n)
{
	if (ACTIVE() && simfd_host_rw_check(fd))
		return ret_errno(simfd_host_rw_check(fd));
	host_buffer((uintptr_t)buf, n, false);
	if (!ACTIVE() || !simfd_get(fd))
		return REAL(write)(fd, buf, n);
	return ret_errno(posix_write(fd, buf, n));
}

ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	if (ACTIVE() && simfd_host_rw_check(fd))
		return ret_errno(simfd_host_rw_check(fd));
	if (ACTIVE())
		posix_uaccess_fault_in_iov(iov, iovcnt, true);
	if (!ACTIVE() || !simfd_get(fd))
		return REAL(readv)(fd, iov, iovcnt);
	return ret_errno(posix_readv(fd, iov, iovcnt));
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	if (ACTIVE() && simfd_host_rw_check(fd))
		return ret_errno(simfd_host_rw_check(fd));
	if (ACTIVE())
		posix_uaccess_fault_in_iov(iov, iovcnt, false);
	if (!ACTIVE() || !simfd_get(fd))
		return REAL(writev)(fd, iov, iovcnt);
	return ret_errno(posix_writev(fd, iov, iovcnt));
}

/*
 * Some simulated fd, or no host fd at all (poll(NULL, 0, ms) is a
 * sleep): the model's poll.  Only host fds: the real one.
 */
static bool any_simfd(const struct pollfd *fds, nfds_t n)
{
	bool host = false;

	for (nfds_t i = 0; i < n; i++) {
		if (simfd_get(fds[i].fd))
			return true;
		host |= fds[i].fd >= 0;
	}
	return !host;
}

static uint64_t ms_timeout(int ms)
{
	return ms < 0 ? SIM_FOREVER : (uint64_t)ms * 1000000ull;
}

/*
 * Only host fds: the real poll, which blocks the one host thread as any
 * blocking host call does.
 */
int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	if (!ACTIVE() || !any_simfd(fds, n))
		return REAL(poll)(fds, n, timeout);
	return (int)ret_errno(posix_poll(fds, n, ms_timeout(timeout)));
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
	if (!ACTIVE() || !any_simfd(fds, n) || n * sizeof(*fds) > fdslen)
		return REAL(__poll_chk)(fds, n, timeout, fdslen);
	return (int)ret_errno(posix_poll(fds, n, ms_timeout(timeout)));
}

/* The signal mask is not applied: signals are not simulated. */
static int ppoll_common(struct pollfd *fds, nfds_t n, const struct timespec *ts)
{
	uint64_t timeout = SIM_FOREVER;

	if (ts) {
		if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
			return (int)ret_errno(-EINVAL);
		timeout = (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
	}
	return (int)ret_errno(posix_poll(fds, n, timeout));
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts, const sigset_t *mask)
{
	if (!ACTIVE() || !any_simfd(fds, n))
		return REAL(ppoll)(fds, n, ts, mask);
	return ppoll_common(fds, n, ts);
}

int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		const sigset_t *mask, size_t fdslen)
{
	if (!ACTIVE() || !any_simfd(fds, n) || n * sizeof(*fds) > fdslen)
		return REAL(__ppoll_chk)(fds, n, ts, mask, fdslen);
	return ppoll_common(fds, n, ts);
}

int epoll_create1(int flags)
{
	if (!ACTIVE())
		return REAL(epoll_create1)(flags);
	return (int)ret_errno(posix_epoll_create1(flags));
}

int epoll_create(int size)
{
	if (!ACTIVE())
		return REAL(epoll_create)(size);
	if (size <= 0)
		return (int)ret_errno(-EINVAL);
	return (int)ret_errno(posix_epoll_create1(0));
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	if (!ACTIVE())
		return REAL(epoll_ctl)(epfd, op, fd, ev);
	return (int)ret_errno(posix_epoll_ctl(epfd, op, fd, ev));
}

int epoll_wait(int epfd, struct epoll_event *evs, int max, int timeout)
{
	if (!ACTIVE())
		return REAL(epoll_wait)(epfd, evs, max, timeout);
	return (int)ret_errno(posix_epoll_wait(epfd, evs, max, ms_timeout(timeout)));
}

int epoll_pwait(int epfd, struct epoll_event *evs, int max, int timeout, const sigset_t *mask)
{
	if (!ACTIVE())
		return REAL(epoll_pwait)(epfd, evs, max, timeout, mask);
	return (int)ret_errno(posix_epoll_wait(epfd, evs, max, ms_timeout(timeout)));
}

int epoll_pwait2(int epfd, struct epoll_event *evs, int max, const struct timespec *ts,
		 const sigset_t *mask)
{
	uint64_t timeout = SIM_FOREVER;

	if (!ACTIVE())
		return REAL(epoll_pwait2)(epfd, evs, max, ts, mask);
	if (ts) {
		if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
			return (int)ret_errno(-EINVAL);
		timeout = (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
	}
	return (int)ret_errno(posix_epoll_wait(epfd, evs, max, timeout));
}

/* ---- calls that stay real: one warning each ---- */

REAL_DECL(int, select, int, fd_set *, fd_set *, fd_set *, struct timeval *);
REAL_DECL(int, pselect, int, fd_set *, fd_set *, fd_set *, const struct timespec *,
	  const sigset_t *);
REAL_DECL(int, timerfd_create, int, int);
REAL_DECL(int, timerfd_settime, int, int, const struct itimerspec *, struct itimerspec *);
REAL_DECL(int, timerfd_gettime, int, struct itimerspec *);
REAL_DECL(int, signalfd, int, const sigset_t *, int);
REAL_DECL(int, sigwait, const sigset_t *, int *);
REAL_DECL(int, sigwaitinfo, const sigset_t *, siginfo_t *);
REAL_DECL(int, sigtimedwait, const sigset_t *, siginfo_t *, const struct timespec *);
REAL_DECL(pid_t, fork, void);

#define HOST_TIME "it runs on host time and blocks every simulated thread"

/*
 * select and pselect as core_sys_select does it: the sets become poll
 * requests (POLLIN for the read set, POLLOUT for the write set, POLLPRI
 * for the exception set), the result is the number of set bits left.
 * Simulated fds (or none at all: a sleep) go to the model's poll, so an
 * empty pipe is not ready and a write wakes the waiter; sets of host fds
 * only stay the kernel's.
 */
#define SELECT_IN	(POLLIN | POLLRDNORM | POLLHUP | POLLERR)
#define SELECT_OUT	(POLLOUT | POLLWRNORM | POLLERR)
#define SELECT_EX	POLLPRI

static int select_model(int n, fd_set *r, fd_set *w, fd_set *e, uint64_t timeout)
{
	struct pollfd pfd[FD_SETSIZE];
	int nfds = 0, ready, count = 0;

	if (n < 0 || n > FD_SETSIZE)
		return -EINVAL;
	for (int fd = 0; fd < n; fd++) {
		short ev = (r && FD_ISSET(fd, r) ? POLLIN : 0) |
			   (w && FD_ISSET(fd, w) ? POLLOUT : 0) |
			   (e && FD_ISSET(fd, e) ? POLLPRI : 0);

		if (ev)
			pfd[nfds++] = (struct pollfd){ .fd = fd, .events = ev };
	}
	ready = posix_poll(pfd, (nfds_t)nfds, timeout);
	if (ready < 0)
		return ready;
	for (int i = 0; i < nfds; i++) {
		short rev = pfd[i].revents;

		if (rev & POLLNVAL)
			return -EBADF;
		if (r && FD_ISSET(pfd[i].fd, r) && !(rev & SELECT_IN))
			FD_CLR(pfd[i].fd, r);
		if (w && FD_ISSET(pfd[i].fd, w) && !(rev & SELECT_OUT))
			FD_CLR(pfd[i].fd, w);
		if (e && FD_ISSET(pfd[i].fd, e) && !(rev & SELECT_EX))
			FD_CLR(pfd[i].fd, e);
		count += (r && FD_ISSET(pfd[i].fd, r)) + (w && FD_ISSET(pfd[i].fd, w)) +
			 (e && FD_ISSET(pfd[i].fd, e));
	}
	return count;
}

/* Does the select reach a simulated fd (or no fd at all)? */
static bool select_simulated(int n, fd_set *r, fd_set *w, fd_set *e)
{
	bool host = false;

	for (int fd = 0; fd < n && fd < FD_SETSIZE; fd++) {
		if (!((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
		      (e && FD_ISSET(fd, e))))
			continue;
		if (simfd_get(fd))
			return true;
		host = true;
	}
	return !host;
}

int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *tv)
{
	uint64_t timeout = SIM_FOREVER;

	if (!ACTIVE())
		return REAL(select)(n, r, w, e, tv);
	if (!select_simulated(n, r, w, e)) {
		posix_warn_once("select", HOST_TIME);
		return REAL(select)(n, r, w, e, tv);
	}
	if (tv) {
		if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
			return (int)ret_errno(-EINVAL);
		timeout = (uint64_t)tv->tv_sec * 1000000000ull + (uint64_t)tv->tv_usec * 1000;
	}
	if (!n && tv) {
		posix_sleep_until(sim_now() + timeout);
		*tv = (struct timeval){ 0, 0 };
		return 0;
	}
	return (int)ret_errno(select_model(n, r, w, e, timeout));
}

int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *ts,
	    const sigset_t *mask)
{
	uint64_t timeout = SIM_FOREVER;

	if (!ACTIVE())
		return REAL(pselect)(n, r, w, e, ts, mask);
	if (!select_simulated(n, r, w, e)) {
		posix_warn_once("pselect", HOST_TIME);
		return REAL(pselect)(n, r, w, e, ts, mask);
	}
	if (ts) {
		if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000)
			return (int)ret_errno(-EINVAL);
		timeout = (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
	}
	return (int)ret_errno(select_model(n, r, w, e, timeout));
}

/* alarm, setitimer(ITIMER_REAL), timer_create: itimer.c, virtual time */
REAL_DECL(unsigned int, alarm, unsigned int);
REAL_DECL(int, setitimer, __itimer_which_t, const struct itimerval *, struct itimerval *);
REAL_DECL(int, getitimer, __itimer_which_t, struct itimerval *);
REAL_DECL(int, timer_create, clockid_t, struct sigevent *, timer_t *);
REAL_DECL(int, timer_settime, timer_t, int, const struct itimerspec *, struct itimerspec *);
REAL_DECL(int, timer_gettime, timer_t, struct itimerspec *);
REAL_DECL(int, timer_getoverrun, timer_t);
REAL_DECL(int, timer_delete, timer_t);

unsigned int alarm(unsigned int seconds)
{
	return MODELLED() ? posix_alarm(seconds) : REAL(alarm)(seconds);
}

/* ITIMER_VIRTUAL and ITIMER_PROF count host CPU time: they stay real */
int setitimer(__itimer_which_t which, const struct itimerval *nv, struct itimerval *old)
{
	if (!MODELLED() || which != ITIMER_REAL)
		return REAL(setitimer)(which, nv, old);
	return (int)ret_errno(posix_setitimer(which, nv, old));
}

int getitimer(__itimer_which_t which, struct itimerval *cur)
{
	if (!MODELLED() || which != ITIMER_REAL)
		return REAL(getitimer)(which, cur);
	return (int)ret_errno(posix_getitimer(which, cur));
}

int timer_create(clockid_t clk, struct sigevent *sev, timer_t *id)
{
	if (!MODELLED() || clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID)
		return REAL(timer_create)(clk, sev, id);
	return (int)ret_errno(posix_timer_create(clk, sev, id));
}

int timer_settime(timer_t id, int flags, const struct itimerspec *nv, struct itimerspec *old)
{
	if (!MODELLED() || !posix_timer_ours(id))
		return REAL(timer_settime)(id, flags, nv, old);
	return (int)ret_errno(posix_timer_settime(id, flags, nv, old));
}

int timer_gettime(timer_t id, struct itimerspec *cur)
{
	if (!MODELLED() || !posix_timer_ours(id))
		return REAL(timer_gettime)(id, cur);
	return (int)ret_errno(posix_timer_gettime(id, cur));
}

int timer_getoverrun(timer_t id)
{
	if (!MODELLED() || !posix_timer_ours(id))
		return REAL(timer_getoverrun)(id);
	return (int)ret_errno(posix_timer_getoverrun(id));
}

int timer_delete(timer_t id)
{
	if (!MODELLED() || !posix_timer_ours(id))
		return REAL(timer_delete)(id);
	return (int)ret_errno(posix_timer_delete(id));
}

/* timerfds are simulated (timerfd.c): they expire on virtual time */
int timerfd_create(int clk, int flags)
{
	if (!MODELLED())
		return REAL(timerfd_create)(clk, flags);
	return (int)ret_errno(posix_timerfd_create(clk, flags));
}

int timerfd_settime(int fd, int flags, const struct itimerspec *nv, struct itimerspec *old)
{
	if (!MODELLED() || (fd >= 0 && !simfd_get(fd)))
		return REAL(timerfd_settime)(fd, flags, nv, old);
	return (int)ret_errno(posix_timerfd_settime(fd, flags, nv, old));
}

int timerfd_gettime(int fd, struct itimerspec *cur)
{
	if (!MODELLED() || (fd >= 0 && !simfd_get(fd)))
		return REAL(timerfd_gettime)(fd, cur);
	return (int)ret_errno(posix_timerfd_gettime(fd, cur));
}

/* signalfds are simulated (signalfd.c): they see the model's signals */
int signalfd(int fd, const sigset_t *mask, int flags)
{
	if (!MODELLED() || (fd >= 0 && !simfd_get(fd)))
		return REAL(signalfd)(fd, mask, flags);
	return (int)ret_errno(posix_signalfd(fd, mask, flags));
}

int sigwait(const sigset_t *set, int *sig)
{
	int r;

	if (!MODELLED())
		return REAL(sigwait)(set, sig);
	r = posix_sigtimedwait(set, NULL, SIM_FOREVER);
	if (r < 0)
		return -r;
	*sig = r;
	return 0;
}

int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	if (!MODELLED())
		return REAL(sigwaitinfo)(set, info);
	return (int)ret_errno(posix_sigtimedwait(set, info, SIM_FOREVER));
}

int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *ts)
{
	uint64_t deadline = SIM_FOREVER;
	int r;

	if (!MODELLED())
		return REAL(sigtimedwait)(set, info, ts);
	if (ts) {
		r = posix_deadline(CLOCK_MONOTONIC, ts, false, &deadline);
		if (r < 0)
			return (int)ret_errno(r);
	}
	return (int)ret_errno(posix_sigtimedwait(set, info, deadline));
}

/* Is the caller's return address inside libkvmsim.so (explore's fork server)? */
static bool called_from_kvmsim(const void *ret)
{
	Dl_info self, caller;

	return dladdr((const void *)called_from_kvmsim, &self) && dladdr(ret, &caller) &&
	       self.dli_fbase == caller.dli_fbase;
}

pid_t fork(void)
{
	bool program = ACTIVE() && !called_from_kvmsim(__builtin_return_address(0));
	pid_t pid;
	int r;

	/* the explorer's forked runs are the same process, as far as the program knows */
	if (program && (r = posix_fork_prepare()) < 0)
		return (pid_t)ret_errno(r);
	pid = REAL(fork)();
	if (!pid && program)
		posix_fork_child();
	return pid;
}

/*
 * ---- the exec family: the TSC trap (tsc.c) survives execve and ld.so
 * reads the TSC before any handler exists, so it is lifted around each
 * exec, and around the spawns whose child execs (system, popen,
 * posix_spawn: the parent waits until the child has exec'd) ----
 */
REAL_DECL(int, execve, const char *, char *const[], char *const[]);
REAL_DECL(int, execv, const char *, char *const[]);
REAL_DECL(int, execvp, const char *, char *const[]);
REAL_DECL(int, execvpe, const char *, char *const[], char *const[]);
REAL_DECL(int, fexecve, int, char *const[], char *const[]);
REAL_DECL(int, system, const char *);
REAL_DECL(FILE *, popen, const char *, const char *);
REAL_DECL(int, posix_spawn, pid_t *, const char *, const posix_spawn_file_actions_t *,
	  const posix_spawnattr_t *, char *const[], char *const[]);
REAL_DECL(int, posix_spawnp, pid_t *, const char *, const posix_spawn_file_actions_t *,
	  const posix_spawnattr_t *, char *const[], char *const[]);

#define AROUND_EXEC(ret, call)						\
	({								\
		int saved_;						\
		ret r_;							\
		posix_tsc_exec_begin();					\
		r_ = (call);						\
		saved_ = errno;						\
		posix_tsc_exec_end();					\
		errno = saved_;						\
		r_;							\
	})

int execve(const char *path, char *const argv[], char *const envp[])
{
	return AROUND_EXEC(int, REAL(execve)(path, argv, envp));
}

int execv(const char *path, char *const argv[])
{
	return AROUND_EXEC(int, REAL(execv)(path, argv));
}

int execvp(const char *file, char *const argv[])
{
	return AROUND_EXEC(int, REAL(execvp)(file, argv));
}

int execvpe(const char *file, char *const argv[], char *const envp[])
{
	return AROUND_EXEC(int, REAL(execvpe)(file, argv, envp));
}

int fexecve(int fd, char *const argv[], char *const envp[])
{
	return AROUND_EXEC(int, REAL(fexecve)(fd, argv, envp));
}

/* execl, execlp, execle: the arguments up to the NULL, (and envp after it) */
#define COLLECT_ARGS(arg0, argv, envp_out, with_envp)			\
	do {								\
		va_list ap_;						\
		size_t n_ = 1;						\
		va_start(ap_, arg0);					\
		while (va_arg(ap_, const char *))			\
			n_++;						\
		va_end(ap_);						\
		argv = alloca((n_ + 1) * sizeof(char *));		\
		argv[0] = (char *)(arg0);				\
		va_start(ap_, arg0);					\
		for (size_t i_ = 1; i_ <= n_; i_++)			\
			argv[i_] = va_arg(ap_, char *);			\
		if (with_envp)						\
			*(char ***)(envp_out) = va_arg(ap_, char **);	\
		va_end(ap_);						\
	} while (0)

int execl(const char *path, const char *arg, ...)
{
	char **argv;

	COLLECT_ARGS(arg, argv, NULL, false);
	return execv(path, argv);
}

int execlp(const char *file, const char *arg, ...)
{
	char **argv;

	COLLECT_ARGS(arg, argv, NULL, false);
	return execvp(file, argv);
}

int execle(const char *path, const char *arg, ...)
{
	char **argv, **envp;

	COLLECT_ARGS(arg, argv, &envp, true);
	return execve(path, argv, envp);
}

int system(const char *command)
{
	return AROUND_EXEC(int, REAL(system)(command));
}

FILE *popen(const char *command, const char *type)
{
	return AROUND_EXEC(FILE *, REAL(popen)(command, type));
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
		const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return AROUND_EXEC(int, REAL(posix_spawn)(pid, path, fa, attr, argv, envp));
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
		 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return AROUND_EXEC(int, REAL(posix_spawnp)(pid, file, fa, attr, argv, envp));
}
