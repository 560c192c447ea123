// SPDX-License-Identifier: MIT
/*
 * Thread-directed signals on simulated threads (kernel/signal.c).
 *
 * Every simulated thread runs on the process' one OS thread, so a real
 * pthread_kill would run the handler on whichever thread happens to run.
 * Here each thread has its own blocked mask and pending set;
 * pthread_kill, pthread_sigqueue and tgkill queue the signal on the
 * target, and the target takes it as Linux would:
 *   - a thread in sigwait/sigwaitinfo/sigtimedwait for it is woken and
 *     returns it;
 *   - otherwise, once unblocked, its handler runs on the target's own
 *     stack and TLS when the target next returns from a scheduling point
 *     (the moment Linux would deliver it: on the way back to user mode),
 *     with sa_mask and the signal itself blocked meanwhile; a thread in
 *     an interruptible wait (futex, nanosleep) is woken for it and that
 *     call fails with EINTR;
 *   - a thread inside a KVM_RUN ioctl takes it when the ioctl returns: the
 *     vCPU notices the pending signal (through KVM_SET_SIGNAL_MASK's mask
 *     if one is set) at its next entry and KVM_RUN fails with EINTR and
 *     KVM_EXIT_INTR (kvm-model/kvm_main.c).
 * Dispositions stay the kernel's (sigaction is not interposed): SIG_IGN
 * drops the signal, SIG_DFL ignores or terminates the process, as the
 * kernel's default action would.  A SA_SIGINFO handler gets the
 * siginfo (signo, code, pid, uid, value) and a NULL ucontext.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "posix/posix.h"
#include "posix/real.h"
#include "sim/sim.h"

struct sigthread {
	bool used;
	sigset_t blocked;
	sigset_t pending;
	siginfo_t info[NSIG];		/* of each pending signal */
	sigset_t waiting;		/* the set sigtimedwait waits for */
	bool in_sigwait;
	bool interruptible;		/* in a wait a signal cuts short */
	bool interrupted;
	int kernel_depth;		/* inside an ioctl that delivers on return */
	struct sim_waitq sigq;
	/* pthread_cancel (nptl's SIGCANCEL, see "Cancellation" below) */
	bool cancel_pending;
	bool cancel_signal;		/* SIGCANCEL not yet taken */
	bool cancel_disabled;		/* PTHREAD_CANCEL_DISABLE */
	bool cancel_async;		/* PTHREAD_CANCEL_ASYNCHRONOUS */
};

static struct sigthread **threads;	/* by actor id */
static void (*kernel_kick)(struct sim_actor *thread);
static int nr_threads;
static sigset_t initial_mask;

REAL_DECL(int, pthread_sigmask, int, const sigset_t *, sigset_t *);
REAL_DECL(int, sigaction, int, const struct sigaction *, struct sigaction *);

static struct sigthread *sigthread_of(struct sim_actor *a)
{
	int id;

	if (!a)
		return NULL;
	id = sim_actor_id(a);
	if (id >= nr_threads) {
		int n = id + 16;
		struct sigthread **p = realloc(threads, n * sizeof(*p));

		if (!p)
			sim_panic("out of memory");
		memset(p + nr_threads, 0, (n - nr_threads) * sizeof(*p));
		threads = p;
		nr_threads = n;
	}
	if (!threads[id]) {
		threads[id] = calloc(1, sizeof(**threads));
		if (!threads[id])
			sim_panic("out of memory");
		threads[id]->blocked = initial_mask;
		sim_waitq_init(&threads[id]->sigq, "sigwait");
	}
	return threads[id];
}

static struct sigthread *current(void)
{
	return sim_initialized() ? sigthread_of(sim_self()) : NULL;
}

static void signal_event(const char *event, struct sim_actor *a, int sig)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_str(ev, "thread", sim_actor_name(a));
	sim_ev_int(ev, "sig", sig);
	sim_ev_end(ev);
}

/* Signals the kernel ignores by default (SIG_DFL). */
static bool sig_default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

/* The default action of the rest: the process ends by the signal. */
static void __attribute__((noreturn)) sig_default_terminate(int sig)
{
	sigset_t one;

	signal(sig, SIG_DFL);
	sigemptyset(&one);
	sigaddset(&one, sig);
	REAL(pthread_sigmask)(SIG_UNBLOCK, &one, NULL);
	raise(sig);
	_exit(128 + sig);
}

static void handle_signal(struct sigthread *st, int sig)
{
	siginfo_t info = st->info[sig];
	struct sigaction sa;
	sigset_t saved;

	sigdelset(&st->pending, sig);
	signal_event("signal_deliver", sim_self(), sig);
	if (sigaction(sig, NULL, &sa) != 0 || sa.sa_handler == SIG_IGN)
		return;
	if (sa.sa_handler == SIG_DFL) {
		if (sig_default_ignored(sig))
			return;
		sig_default_terminate(sig);
	}
	saved = st->blocked;
	sigorset(&st->blocked, &st->blocked, &sa.sa_mask);
	if (!(sa.sa_flags & SA_NODEFER))
		sigaddset(&st->blocked, sig);
	if (sa.sa_flags & SA_RESETHAND)
		signal(sig, SIG_DFL);
	if (sa.sa_flags & SA_SIGINFO)
		sa.sa_sigaction(sig, &info, NULL);
	else
		sa.sa_handler(sig);
	st->blocked = saved;
}

/* The lowest pending signal not blocked by mask, 0 if none. */
static int next_signal(const struct sigthread *st, const sigset_t *mask)
{
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&st->pending, sig) == 1 && sigismember(mask, sig) != 1)
			return sig;
	return 0;
}

/* ---- Cancellation ----
 *
 * nptl's pthread_cancel marks the target and sends it SIGCANCEL, which
 * interrupts a blocking system call (an ioctl such as KVM_RUN fails with
 * EINTR); the handler ends the thread at once if its cancel type is
 * asynchronous; a deferred thread ends at a cancellation point.  The
 * model: a thread in KVM_RUN with cancellation enabled is kicked and its
 * KVM_RUN fails with EINTR/KVM_EXIT_INTR (SIGCANCEL taken as it
 * returns), and the thread ends with PTHREAD_CANCELED (thread-specific
 * data destructors run; handlers pushed with pthread_cleanup_push do
 * not) at pthread_testcancel, or, if asynchronous, also when KVM_RUN
 * is entered or returns, at its sched_yield or clock polls
 * (posix_cancel_async_point)
 * and when it enables cancellation or asynchronous type with a request
 * pending.  A thread blocked in another call (nanosleep, sem_wait,
 * pthread_cond_wait: cancellation points in POSIX) is not woken by the
 * request; it ends at its next such point.
 */
static bool cancel_due(const struct sigthread *st)
{
	return st && st->cancel_pending && !st->cancel_disabled;
}

/* at_point: the thread is at a cancellation point (or asynchronous) */
static void act_on_cancel(struct sigthread *st, bool at_point)
{
	if (!cancel_due(st) || st->kernel_depth || !(at_point || st->cancel_async) ||
	    !posix_actor_is_thread(sim_self()))
		return;
	st->cancel_pending = false;
	st->cancel_signal = false;
	signal_event("pthread_cancel_act", sim_self(), 0);
	posix_thread_exit(PTHREAD_CANCELED);
}

int posix_thread_cancel(struct sim_actor *a)
{
	struct sigthread *st;

	if (!a || !sim_actor_alive(a) || !posix_actor_is_thread(a))
		return ESRCH;
	st = sigthread_of(a);
	st->cancel_pending = true;
	signal_event("pthread_cancel", a, 0);
	if (st->cancel_disabled)
		return 0;
	if (a == sim_self()) {
		act_on_cancel(st, false);
		return 0;
	}
	/* outside KVM_RUN the signal is taken at once (a no-op if deferred) */
	if (st->kernel_depth && kernel_kick) {
		st->cancel_signal = true;
		kernel_kick(a);
	}
	return 0;
}

void posix_testcancel(void)
{
	act_on_cancel(current(), true);
}

void posix_cancel_async_point(void)
{
	act_on_cancel(current(), false);
}

int posix_setcancelstate(int state, int *old)
{
	struct sigthread *st = current();

	if (state != PTHREAD_CANCEL_ENABLE && state != PTHREAD_CANCEL_DISABLE)
		return EINVAL;
	if (!st)
		return 0;
	if (old)
		*old = st->cancel_disabled ? PTHREAD_CANCEL_DISABLE : PTHREAD_CANCEL_ENABLE;
	st->cancel_disabled = state == PTHREAD_CANCEL_DISABLE;
	act_on_cancel(st, false);
	return 0;
}

int posix_setcanceltype(int type, int *old)
{
	struct sigthread *st = current();

	if (type != PTHREAD_CANCEL_DEFERRED && type != PTHREAD_CANCEL_ASYNCHRONOUS)
		return EINVAL;
	if (!st)
		return 0;
	if (old)
		*old = st->cancel_async ? PTHREAD_CANCEL_ASYNCHRONOUS : PTHREAD_CANCEL_DEFERRED;
	st->cancel_async = type == PTHREAD_CANCEL_ASYNCHRONOUS;
	act_on_cancel(st, false);
	return 0;
}

/* do_signal: run the handlers of the current thread's deliverable signals. */
void posix_signal_deliver(void)
{
	struct sigthread *st = current();
	int sig;

	if (!st || !st->used || st->kernel_depth)
		return;
	while ((sig = next_signal(st, &st->blocked)))
		handle_signal(st, sig);
}

static void resume_hook(void)
{
	posix_host_check();
	posix_signal_deliver();
}

/*
 * Every thread waits and no timer runs.  A program that handles a
 * termination signal (QEMU's main loop idling with an idle guest) is
 * waiting for the outside world, not deadlocked: wait in the host for a
 * signal; its real handler runs here and may wake a thread (QEMU's
 * writes an eventfd).  Otherwise the deadlock verdict stands.
 */
static void term_by_signal(int sig);

/* Does the program handle a signal that comes from outside? */
static bool handles_outside_signal(void)
{
	static const int from_outside[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	struct sigaction sa;

	for (size_t i = 0; i < sizeof(from_outside) / sizeof(from_outside[0]); i++)
		if (sigaction(from_outside[i], NULL, &sa) == 0 &&
		    sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN &&
		    sa.sa_handler != term_by_signal)
			return true;
	return false;
}

/* max_ns: SIM_FOREVER when no timer is armed (sim_set_idle_wait) */
static bool wait_for_outside(uint64_t max_ns)
{
	return posix_host_wait(max_ns, max_ns == SIM_FOREVER && handles_outside_signal());
}

/*
 * SIGTERM, SIGINT or SIGHUP from outside, which the program leaves at
 * SIG_DFL, would end the process without exit handlers: finish the trace
 * and timeline files first, then die of the signal as the default
 * action would.  A handler the program installs later replaces this one.
 */
static void term_by_signal(int sig)
{
	sim_finish_outputs();
	sig_default_terminate(sig);
}

void posix_signal_init(void)
{
	static const int terms[] = { SIGTERM, SIGINT, SIGHUP };
	struct sigaction sa;

	REAL(pthread_sigmask)(SIG_BLOCK, NULL, &initial_mask);
	sim_set_resume_hook(resume_hook);
	sim_set_idle_wait(wait_for_outside);
	for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
		if (sigaction(terms[i], NULL, &sa) || sa.sa_handler != SIG_DFL)
			continue;
		sa.sa_handler = term_by_signal;
		sa.sa_flags = 0;
		sigemptyset(&sa.sa_mask);
		sigaction(terms[i], &sa, NULL);
	}
}

void posix_signal_thread_created(struct sim_actor *a)
{
	struct sigthread *parent = current(), *st = sigthread_of(a);

	if (parent)
		st->blocked = parent->blocked;
}

int posix_signal_send(struct sim_actor *a, int sig, int code, const union sigval *val)
{
	struct sigthread *st;
	siginfo_t *info;

	if (sig < 0 || sig >= NSIG)
		return -EINVAL;
	if (!a || !sim_actor_alive(a))
		return -ESRCH;
	if (!sig)
		return 0;
	st = sigthread_of(a);
	st->used = true;
	signal_event("signal_generate", a, sig);
	info = &st->info[sig];
	/* standard signals do not queue: a second one merges with the first */
	if (sigismember(&st->pending, sig) != 1) {
		memset(info, 0, sizeof(*info));
		info->si_signo = sig;
		info->si_code = code;
		info->si_pid = getpid();
		info->si_uid = getuid();
		if (val)
			info->si_value = *val;
		sigaddset(&st->pending, sig);
	}
	posix_signalfd_notify();
	if (a == sim_self()) {
		posix_signal_deliver();
	} else if (st->in_sigwait && sigismember(&st->waiting, sig) == 1) {
		sim_make_runnable(a);
	} else if (st->interruptible && sigismember(&st->blocked, sig) != 1) {
		st->interrupted = true;
		sim_make_runnable(a);
	} else if (st->kernel_depth && kernel_kick) {
		kernel_kick(a);
	}
	return 0;
}

void posix_set_kernel_kick(void (*fn)(struct sim_actor *thread))
{
	kernel_kick = fn;
}

/* complete_signal: the main thread unless it blocks sig, else the first that does not */
int posix_signal_send_process(int sig, int code, const union sigval *val)
{
	struct sim_actor *target = sim_actor_get(0);

	for (int id = 0; id < sim_actor_count(); id++) {
		struct sim_actor *a = sim_actor_get(id);
		struct sigthread *st;

		if (!sim_actor_alive(a) || (id && !posix_actor_is_thread(a)))
			continue;
		st = sigthread_of(a);
		if (sigismember(&st->blocked, sig) != 1) {
			target = a;
			break;
		}
	}
	return posix_signal_send(target, sig, code, val);
}

bool posix_signal_pending(struct sim_actor *a, const sigset_t *mask)
{
	struct sigthread *st = a ? sigthread_of(a) : NULL;

	/* SIGCANCEL is never blocked (nptl keeps it out of every mask) */
	if (st && st->cancel_signal && !st->cancel_disabled)
		return true;
	if (!st || !st->used)
		return false;
	return next_signal(st, mask ? mask : &st->blocked) != 0;
}

int posix_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	struct sigthread *st = current();
	sigset_t next;

	if (!st)
		return -ESRCH;
	if (old)
		*old = st->blocked;
	if (!set)
		return 0;
	next = st->blocked;
	switch (how) {
	case SIG_BLOCK:
		sigorset(&next, &next, set);
		break;
	case SIG_UNBLOCK:
		for (int sig = 1; sig < NSIG; sig++)
			if (sigismember(set, sig) == 1)
				sigdelset(&next, sig);
		break;
	case SIG_SETMASK:
		next = *set;
		break;
	default:
		return -EINVAL;
	}
	/* SIGKILL and SIGSTOP cannot be blocked */
	sigdelset(&next, SIGKILL);
	sigdelset(&next, SIGSTOP);
	st->blocked = next;
	posix_signal_deliver();
	return 0;
}

int posix_sigtimedwait(const sigset_t *set, siginfo_t *info, uint64_t deadline)
{
	struct sigthread *st = current();
	sigset_t none;
	int sig;

	if (!st)
		return -ESRCH;
	st->used = true;
	sigfillset(&none);
	for (int s = 1; s < NSIG; s++)
		if (sigismember(set, s) == 1)
			sigdelset(&none, s);
	while (!(sig = next_signal(st, &none))) {
		bool woken;

		st->waiting = *set;
		st->in_sigwait = true;
		woken = sim_wait_until(&st->sigq, deadline);
		st->in_sigwait = false;
		if (!woken && !next_signal(st, &none))
			return -EAGAIN;
	}
	if (info)
		*info = st->info[sig];
	sigdelset(&st->pending, sig);
	signal_event("sigtimedwait", sim_self(), sig);
	return sig;
}

void posix_kernel_enter(void)
{
	struct sigthread *st = current();

	/* an asynchronous thread cancelled meanwhile never makes the call */
	act_on_cancel(st, false);
	if (st)
		st->kernel_depth++;
}

/* Inside a simulated ioctl (the model's code, not the program's). */
bool posix_in_kernel(void)
{
	struct sigthread *st = current();

	return st && st->kernel_depth;
}

void posix_kernel_leave(void)
{
	struct sigthread *st = current();

	if (st && !--st->kernel_depth) {
		/* SIGCANCEL taken on the way out: an asynchronous thread ends */
		st->cancel_signal = false;
		act_on_cancel(st, false);
		posix_signal_deliver();
	}
}

void posix_intr_begin(void)
{
	struct sigthread *st = current();

	if (st) {
		st->interruptible = true;
		st->interrupted = false;
	}
}

bool posix_intr_check(void)
{
	struct sigthread *st = current();

	return st && st->interrupted;
}

bool posix_intr_end(void)
{
	struct sigthread *st = current();
	bool r;

	if (!st)
		return false;
	r = st->interrupted || next_signal(st, &st->blocked);
	st->interruptible = false;
	st->interrupted = false;
	return r;
}

/* signalfd's dequeue_signal: the current thread's lowest pending signal in set. */
int posix_signal_dequeue(const sigset_t *set, siginfo_t *info)
{
	struct sigthread *st = current();
	sigset_t others;
	int sig;

	if (!st)
		return 0;
	sigfillset(&others);
	for (int s = 1; s < NSIG; s++)
		if (sigismember(set, s) == 1)
			sigdelset(&others, s);
	sig = next_signal(st, &others);
	if (sig) {
		*info = st->info[sig];
		sigdelset(&st->pending, sig);
		signal_event("signalfd_dequeue", sim_self(), sig);
	}
	return sig;
}

/* fork: the child's pending signals are empty; its mask is the caller's */
void posix_signal_after_fork(void)
{
	struct sigthread *st = current();

	if (st)
		sigemptyset(&st->pending);
}

/*
 * A fault handler kvmsim installed in the program's place (SIGSEGV for
 * trapped RDTSC, SIGBUS for userfaults) passes a signal that is not its
 * own on: to the program's handler as act holds it, or to the default
 * action, which is installed again: true then, and the caller dies of it
 * (a fault re-executes, a queued signal must be raised).
 */
bool posix_signal_chain(struct sigaction *act, int sig, siginfo_t *si, void *uc)
{
	struct sigaction a = *act;

	if (a.sa_flags & SA_RESETHAND)
		act->sa_handler = SIG_DFL;
	if ((a.sa_flags & SA_SIGINFO) && a.sa_sigaction) {
		a.sa_sigaction(sig, si, uc);
		return false;
	}
	if (a.sa_handler == SIG_IGN && si->si_code <= 0)
		return false;	/* a queued signal: dropped, as Linux does */
	if (a.sa_handler != SIG_DFL && a.sa_handler != SIG_IGN) {
		a.sa_handler(sig);
		return false;
	}
	/* the default action (a fault cannot be ignored) */
	a = (struct sigaction){ .sa_handler = SIG_DFL };
	REAL(sigaction)(sig, &a, NULL);
	return true;
}
