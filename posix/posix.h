/* SPDX-License-Identifier: MIT */
/*
 * posix/ — the POSIX side of a program, modelled on sim/ actors: threads,
 * mutexes, condition variables, rwlocks, barriers, once, sleeps and
 * clocks, and the simulated fds of simfd.h (eventfd, pipe, epoll, poll).
 *
 * These are plain functions, callable from unit tests once sim_init()
 * has run.  The libc symbols (pthread_mutex_lock, read, poll...) live in
 * posix/interpose.c, which only libkvmsim.so contains; they call in here
 * once posix_init() has run and pass through to libc before that, or
 * when kvmsim is off.
 *
 * Conventions: the pthread_* models return an error number (as the
 * pthread API does); the fd and time models return a value or -errno.
 * posix/ knows sim/ and nothing of KVM.
 */
#ifndef KVMSIM_POSIX_POSIX_H
#define KVMSIM_POSIX_POSIX_H

#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "sim/sim.h"

/* CLOCK_REALTIME reads this (2026-01-01T00:00:00Z) plus virtual time. */
#define POSIX_EPOCH_SEC 1767225600ull
#define POSIX_NSEC_PER_SEC 1000000000ull

/* Turn the model on (after sim_init).  The interposed symbols follow it. */
void posix_init(void);
bool posix_active(void);

/*
 * One warning per call name on stderr, for calls kvmsim passes to the
 * real kernel although their outcome then depends on the host.
 */
void posix_warn_once(const char *call, const char *why);

/*
 * The program's address space, as the kernel's current->mm: a program's
 * fork gives the child a new one (kvmsim's own forks, the explorer's
 * runs, do not).  KVM refuses a VM's ioctls from another mm (EIO).
 */
unsigned long posix_mm_generation(void);
void posix_mm_generation_bump(void);

/*
 * The program forks (fork.c): prepare in the parent before the real
 * fork (simulated pipes become host pipes both processes share; 0 or
 * -errno), after_fork in the child (only the calling thread goes on).
 */
int posix_fork_prepare(void);
void posix_fork_child(void);
int posix_pipes_to_host(void);
void posix_threads_after_fork(void);
void posix_itimers_after_fork(void);
void posix_signal_after_fork(void);
bool posix_hrtimer_actor(const struct sim_actor *a);
/*
 * Wait in the host for what comes from outside the run (hostpipe.c):
 * host pipes a thread waits on, and with signals a signal (every signal
 * unblocked meanwhile), for at most max_ns of real time (SIM_FOREVER: no
 * limit).  True if it waited; false if there was nothing to wait for.
 * check: the same with no wait, now and then while actors run.
 */
bool posix_host_wait(uint64_t max_ns, bool signals);
void posix_host_check(void);

/* ---- threads (thread.c) ---- */

#define POSIX_DEFAULT_STACK (8ul << 20)

int posix_thread_create(pthread_t *t, const pthread_attr_t *attr,
			void *(*start)(void *), void *arg);
int posix_thread_join(pthread_t t, void **ret);
/* deadline: absolute virtual ns (sim_now() scale); ETIMEDOUT after it */
int posix_thread_timedjoin(pthread_t t, void **ret, uint64_t deadline);
int posix_thread_tryjoin(pthread_t t, void **ret);
int posix_thread_detach(pthread_t t);
void posix_thread_exit(void *ret) __attribute__((noreturn));
pthread_t posix_thread_self(void);
int posix_thread_getattr(pthread_t id, pthread_attr_t *attr);
int posix_thread_setname(pthread_t t, const char *name);
int posix_thread_getname(pthread_t t, char *buf, size_t len);
/* Is t a live or joinable thread (pthread_kill(t, 0))?  0 or ESRCH. */
int posix_thread_check(pthread_t t);
/* Threads other than the main one that have not exited. */
int posix_threads_alive(void);
/*
 * gettid: the process' id for the main thread, then one more per
 * created thread in creation order (what a fresh process would see).
 */
pid_t posix_gettid(void);
struct sim_schedstat;
int posix_thread_schedstat(pid_t tid, struct sim_schedstat *s);
/*
 * proc.c: /proc files describing simulated threads (schedstat): true when
 * path is one, with an fd holding its text (or -errno) in *fd.
 */
bool posix_proc_open(const char *path, int flags, int *fd);
/* getrandom: bytes from the run's seed (sim_rand), never the host's. */
ssize_t posix_getrandom(void *buf, size_t len, unsigned int flags);

/*
 * Thread-specific data.  Keys are made by the real pthread_key_create
 * (so their ids agree with values set before posix_init and by the main
 * thread, which keeps using libc's); created threads keep their values
 * here, and their destructors run at thread exit.
 */
struct posix_thread;
void posix_key_created(pthread_key_t key, void (*destructor)(void *));
void posix_key_deleted(pthread_key_t key);
/* The current thread if its values live here, NULL: use libc's. */
struct posix_thread *posix_tsd_thread(void);
void *posix_getspecific(struct posix_thread *t, pthread_key_t key);
int posix_setspecific(struct posix_thread *t, pthread_key_t key, const void *value);

/* ---- synchronisation (mutex.c, cond.c, rwlock.c, barrier.c) ---- */

int posix_mutex_init(pthread_mutex_t *m);
int posix_mutex_destroy(pthread_mutex_t *m);
int posix_mutex_lock(pthread_mutex_t *m);
int posix_mutex_trylock(pthread_mutex_t *m);
/*
 * abstime on clock clk (NULL: no timeout).  As glibc, a bad abstime is
 * EINVAL only when the lock has to wait; ETIMEDOUT once it passes.
 */
int posix_mutex_timedlock(pthread_mutex_t *m, clockid_t clk,
			  const struct timespec *abstime);
int posix_mutex_unlock(pthread_mutex_t *m);

int posix_cond_init(pthread_cond_t *c);
int posix_cond_destroy(pthread_cond_t *c);
/* The clock pthread_cond_timedwait's abstime is on (from the condattr). */
clockid_t posix_cond_clock(const pthread_cond_t *c);
/* abstime on clock clk, NULL: pthread_cond_wait */
int posix_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, clockid_t clk,
			 const struct timespec *abstime);
int posix_cond_signal(pthread_cond_t *c);
int posix_cond_broadcast(pthread_cond_t *c);

int posix_rwlock_init(pthread_rwlock_t *l);
int posix_rwlock_destroy(pthread_rwlock_t *l);
/* abstime on clock clk, NULL: no timeout */
int posix_rwlock_rdlock(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abstime);
int posix_rwlock_tryrdlock(pthread_rwlock_t *l);
int posix_rwlock_wrlock(pthread_rwlock_t *l, clockid_t clk, const struct timespec *abstime);
int posix_rwlock_trywrlock(pthread_rwlock_t *l);
int posix_rwlock_unlock(pthread_rwlock_t *l);

int posix_barrier_init(pthread_barrier_t *b, unsigned int count);
int posix_barrier_destroy(pthread_barrier_t *b);
int posix_barrier_wait(pthread_barrier_t *b);

int posix_once(pthread_once_t *once, void (*fn)(void));

int posix_spin_lock(pthread_spinlock_t *l);
int posix_spin_trylock(pthread_spinlock_t *l);
int posix_spin_unlock(pthread_spinlock_t *l);

/* ---- unnamed semaphores (sem.c): 0 or -errno ---- */

int posix_sem_init(sem_t *s, unsigned int value);
/* Made by posix_sem_init (not sem_open, not before posix_init)? */
bool posix_sem_known(sem_t *s);
/*
 * Known, or a never-initialized all-zero sem_t (value 0, as glibc sees
 * it) that this call adopts?  False for a named or otherwise real one.
 */
bool posix_sem_adopt(sem_t *s);
/* sem_open returned s (open), or sem_close closed it: it stays real. */
void posix_sem_opened(sem_t *s, bool open);
int posix_sem_destroy(sem_t *s);
int posix_sem_trywait(sem_t *s);
/* abstime on clock clk, NULL: sem_wait */
int posix_sem_timedwait(sem_t *s, clockid_t clk, const struct timespec *abstime);
int posix_sem_post(sem_t *s);
int posix_sem_getvalue(sem_t *s, int *value);

/* ---- time (time.c) ---- */

/* clock_gettime for every clock: 0 or -EINVAL. */
int posix_clock_gettime(clockid_t clk, struct timespec *ts);
void posix_clock_poll(void);

/* ---- the process's RDTSC/RDTSCP (tsc.c) ---- */

/* Trap them and answer read() (the modelled host TSC); KVMSIM_TRAP_TSC=0: not. */
void posix_tsc_trap_start(uint64_t (*read)(void));
/* SIGSEGV is kvmsim's: the program's disposition is kept apart. */
bool posix_tsc_owns_sigsegv(void);
int posix_tsc_sigsegv_action(const struct sigaction *act, struct sigaction *old);
/* Around an exec: the TSC readable (ld.so reads it), then trapped again. */
void posix_tsc_exec_begin(void);
void posix_tsc_exec_end(void);
/*
 * The wait that began at sim_actor_times_blocked() == before was the
 * thread's own work done by another actor (a KVM_RUN whose vCPU never
 * blocked): it does not end a clock-polling streak.
 */
void posix_clock_poll_busy(uint64_t before);
/*
 * A timespec on clock clk (absolute, or relative to now) as a virtual
 * deadline; -EINVAL for a bad clock or tv_nsec out of range.
 */
int posix_deadline(clockid_t clk, const struct timespec *ts, bool absolute,
		   uint64_t *deadline);
/* Sleep until deadline (virtual ns): a scheduling point. */
void posix_sleep_until(uint64_t deadline);
int posix_sched_yield(void);

/* ---- signals (signal.c) ---- */

struct sim_actor;
/* The actor of a thread, by pthread_t / by gettid value; NULL if none. */
struct sim_actor *posix_thread_actor(pthread_t t);
struct sim_actor *posix_tid_actor(pid_t tid);
void posix_signal_init(void);
/* kvmsim's own fault handler passing a signal on; true: die of it (SIG_DFL is back) */
bool posix_signal_chain(struct sigaction *act, int sig, siginfo_t *si, void *uc);
/* A new thread inherits the creator's mask. */
void posix_signal_thread_created(struct sim_actor *a);
/* Queue sig on thread a (code: SI_TKILL, SI_QUEUE...); 0 or -errno. */
int posix_signal_send(struct sim_actor *a, int sig, int code, const union sigval *val);
/* Has a a pending signal that mask (NULL: its own mask) lets through? */
bool posix_signal_pending(struct sim_actor *a, const sigset_t *mask);
int posix_thread_cancel(struct sim_actor *a);
void posix_testcancel(void);
void posix_cancel_async_point(void);
bool posix_in_kernel(void);
int posix_setcancelstate(int state, int *old);
int posix_setcanceltype(int type, int *old);
/* Run the current thread's deliverable handlers (unless in an ioctl). */
void posix_signal_deliver(void);
int posix_sigmask(int how, const sigset_t *set, sigset_t *old);
/* deadline: virtual ns or SIM_FOREVER; the signal or -EAGAIN */
int posix_sigtimedwait(const sigset_t *set, siginfo_t *info, uint64_t deadline);
/*
 * Around an ioctl whose signals are taken on the way out (KVM_RUN):
 * handlers wait for posix_kernel_leave.
 */
void posix_kernel_enter(void);
void posix_kernel_leave(void);
/*
 * The kernel's signal_wake_up for a thread inside such an ioctl: fn is
 * called with the thread a signal was sent to, so the layer above can
 * wake what sleeps on its behalf (a vCPU blocked in KVM_RUN).
 */
void posix_set_kernel_kick(void (*fn)(struct sim_actor *thread));
/*
 * The kernel touching a host fd's read/write buffer: the layer above may
 * sleep the thread on a page only it can provide (a userfaultfd-registered
 * missing page) before the real call sees EFAULT.  The hook returns 1
 * when nothing is registered that could fault (the rest is skipped).
 */
void posix_set_uaccess_hook(int (*fn)(const void *buf, uint64_t len, bool write));
void posix_uaccess_fault_in(const void *buf, size_t len, bool write);
struct iovec;
void posix_uaccess_fault_in_iov(const struct iovec *iov, int iovcnt, bool write);
/* Around an interruptible wait: posix_intr_end says a signal cut it short. */
void posix_intr_begin(void);
bool posix_intr_check(void);
bool posix_intr_end(void);

/* signalfd (signalfd.c): a new fd, fd itself, or -errno */
int posix_signalfd(int fd, const sigset_t *mask, int flags);
void posix_signalfd_notify(void);
/* The current thread's lowest pending signal in set, dequeued; 0 if none. */
int posix_signal_dequeue(const sigset_t *set, siginfo_t *info);

/* A process-directed signal: which thread takes it is complete_signal's choice. */
int posix_signal_send_process(int sig, int code, const union sigval *val);
/* Is a a live thread of the program (not a kernel actor)? */
bool posix_actor_is_thread(struct sim_actor *a);

/* ---- alarm, setitimer, timer_create (itimer.c): 0 or -errno ---- */

#include <sys/time.h>
unsigned int posix_alarm(unsigned int seconds);
int posix_setitimer(int which, const struct itimerval *nv, struct itimerval *old);
int posix_getitimer(int which, struct itimerval *cur);
/* Is id one of the model's timers (not a real one)? */
bool posix_timer_ours(timer_t id);
int posix_timer_create(clockid_t clk, struct sigevent *sev, timer_t *id);
int posix_timer_settime(timer_t id, int flags, const struct itimerspec *nv,
			struct itimerspec *old);
int posix_timer_gettime(timer_t id, struct itimerspec *cur);
int posix_timer_getoverrun(timer_t id);
int posix_timer_delete(timer_t id);

/* ---- timerfd (timerfd.c): 0/fd or -errno ---- */

int posix_timerfd_create(clockid_t clk, int flags);
int posix_timerfd_settime(int fd, int flags, const struct itimerspec *nv,
			  struct itimerspec *old);
int posix_timerfd_gettime(int fd, struct itimerspec *cur);

/* ---- futex (futex.c) ---- */

/*
 * futex(2): WAIT, WAKE, WAIT_BITSET, WAKE_BITSET, REQUEUE, CMP_REQUEUE
 * (private or not, timeouts on the virtual clock); a value or -errno,
 * -ENOSYS for the other operations.
 */
long posix_futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts,
		 uint32_t *uaddr2, uint32_t val3);

/* ---- fds (simfd.c, eventfd.c, pipe.c, poll.c, epoll.c) ---- */

int posix_eventfd(unsigned int initval, int flags);
int posix_pipe2(int fds[2], int flags);
ssize_t posix_read(int fd, void *buf, size_t n);
ssize_t posix_write(int fd, const void *buf, size_t n);
ssize_t posix_readv(int fd, const struct iovec *iov, int iovcnt);
ssize_t posix_writev(int fd, const struct iovec *iov, int iovcnt);
/* timeout: relative virtual ns, or SIM_FOREVER */
int posix_poll(struct pollfd *fds, nfds_t n, uint64_t timeout);
int posix_epoll_create1(int flags);
int posix_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
int posix_epoll_wait(int epfd, struct epoll_event *evs, int max, uint64_t timeout);

/*
 * The fd lifecycle, called from the one interposed close/dup/fcntl
 * (kvm-model/interpose.c) after or before the real call on the
 * placeholder fd: drop fd's reference, make newfd another reference to
 * oldfd's file, and F_GETFL/F_SETFL on the file.
 */
void posix_fd_close(int fd);
void posix_fd_dup(int oldfd, int newfd);
int posix_fd_getfl(int fd);
int posix_fd_setfl(int fd, int flags);
/* ioctl on a simulated fd: the file's ioctl op or -ENOTTY. */
long posix_fd_ioctl(int fd, unsigned long cmd, unsigned long arg);

#endif
