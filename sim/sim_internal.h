/* SPDX-License-Identifier: MIT */
/*
 * State shared between the files of sim/.  Nothing outside sim/ includes
 * this: the public contract is sim.h.
 */
#ifndef KVMSIM_SIM_INTERNAL_H
#define KVMSIM_SIM_INTERNAL_H

#include "sim/sim.h"

/*
 * On x86-64 a few lines of assembly switch stacks: glibc's swapcontext
 * makes two sigprocmask syscalls per switch and ASan warns about it on
 * every run.  Elsewhere (or with -DSIM_FIBER_UCONTEXT) ucontext is used.
 */
#if defined(__x86_64__) && !defined(SIM_FIBER_UCONTEXT)
#define SIM_FIBER_ASM 1
struct sim_fiber_ctx {
	void *sp;		/* saved stack pointer while switched out */
};
#else
#include <ucontext.h>
struct sim_fiber_ctx {
	ucontext_t uc;
};
#endif

enum sim_actor_state {
	SIM_ACTOR_BLOCKED,	/* not in the run queue, maybe on a waitq */
	SIM_ACTOR_RUNNABLE,	/* in the run queue (the running one too) */
	SIM_ACTOR_DEAD,		/* fn returned; never scheduled again */
};

struct sim_actor {
	int id;
	enum sim_actor_state state;
	char *name;
	sim_actor_fn fn;
	void *arg;

	uint64_t times_blocked;		/* left the run queue (sim_actor_times_blocked) */
	struct sim_waitq *waiting_on;	/* NULL unless sleeping on a waitq */
	struct sim_actor *wq_next;	/* FIFO link inside waiting_on */

	struct sim_waitq exitq;		/* woken when the actor dies */
	struct sim_waitq sleepq;	/* sim_sleep_until parks here */

	/* virtual-time timer of a timed wait */
	uint64_t deadline;
	bool timer_armed;
	bool timed_out;
	int saved_errno;		/* errno is per thread; fibers share one */
	void *user;			/* sim_actor_set_user */
	char *exitq_name;

	struct sim_fiber_ctx ctx;
	void *map;			/* guard page + stack; NULL if none */
	size_t map_size;
	/* Usable stack bounds, told to ASan at every switch. */
	const void *stack_bottom;
	size_t stack_size;
	void *asan_fake_stack;
	void *tls;			/* thread pointer (FS base); NULL: actor 0's */
	/*
	 * The objects of the operation it is about to do, while it waits at
	 * a sim_sync_point_on; NULL, NULL (anything) at every other point.
	 */
	const void *op_obj[2];
	bool gone;			/* sim_fork_child: not in this process */

	/*
	 * schedstat (sched.c): virtual ns spent running and runnable but not
	 * running, times switched in, and what other actors spent on its
	 * behalf (sim_actor_schedstat_add); acct_* is the interval open now.
	 */
	struct sim_schedstat stat, credit;
	uint64_t acct_mark;
	int acct_state;
};

/* op_obj of a step that touches no shared object (a thread's start). */
#define SIM_OP_LOCAL ((const void *)1)

struct sim_runtime {
	bool initialized;
	uint64_t seed;

	struct sim_actor **actors;	/* indexed by id, dead ones kept */
	int nactors;
	int cap;

	struct sim_actor *cur;
	struct sim_actor **runq;	/* runnable actors, ascending id */
	int nrun;

	int unreaped;			/* dead actors whose stack is mapped */
	size_t stack_size;
	uint64_t decisions;
	uint64_t switches;	/* times another actor was switched to */
	struct sim_strategy strategy;
	void (*deadlock_fn)(void *opaque);
	void *deadlock_opaque;
	bool in_sched;			/* inside pick or deadlock handler */
	int ntimers;			/* actors with timer_armed */
	void (*resume_hook)(void);	/* sim_set_resume_hook */
	bool (*idle_wait)(uint64_t max_ns);	/* sim_set_idle_wait */
	uint64_t points;		/* scheduling points reached (spin.c) */
	uint64_t vtime_budget;		/* sim_set_vtime_budget; 0: none */
	void (*over_budget)(uint64_t ns, const char *point);
	enum sim_preempt preempt;	/* sim_set_preempt */
};

extern struct sim_runtime sim_rt;

/* rand.c */
void sim_rand_reseed(uint64_t seed);
void sim_clock_reset(void);

/* trace.c */
void sim_trace_reset(void);
void sim_trace_flush(void);
void sim_trace_after_fork(void);

/* sched.c */
void sim_sched_reset(void);
void sim_acct_reset(struct sim_actor *a);
void sim_runq_add(struct sim_actor *a);
void sim_runq_del(struct sim_actor *a);
void sim_timer_disarm(struct sim_actor *a);
void sim_waitq_remove(struct sim_waitq *wq, struct sim_actor *a);
void sim_schedule(struct sim_actor *prev, enum sim_sched_kind kind,
		  const char *point);

/* timeline.c */
bool sim_timeline_on(void);
void sim_timeline_switch(const struct sim_actor *prev, const char *point);
void sim_timeline_event(const struct sim_ev *ev);
void sim_timeline_wake(const struct sim_actor *waker, const struct sim_actor *wakee);
void sim_timeline_flush(void);
void sim_timeline_after_fork(void);

/* explore.c */
void sim_explore_reset(void);

/* oracle.c */
void sim_oracle_quiescent(void) __attribute__((noreturn));
void sim_oracle_finish(const char *oracle, const char *message);
bool sim_oracle_failing(void);

/* tls.c: per-fiber thread-local storage (NULL where unsupported) */
void *sim_tls_new(void);
void sim_tls_free(void *tp);
void *sim_tls_current(void);
void sim_tls_load(void *tp);

/* spin.c */
void sim_spin_progress(struct sim_actor *self);
bool sim_spin_resume_alone(void);
void sim_spin_after_fork(void);

/* fiber.c */
void sim_fiber_init_stack(struct sim_actor *a);
void sim_fiber_switch(struct sim_actor *prev, struct sim_actor *next);
void sim_fiber_release(struct sim_actor *a);
void sim_reap_dead(void);
void sim_actor_exit(struct sim_actor *self) __attribute__((noreturn));

/* schedule.c: write(f, arg) to PATH.tmp.PID, renamed over PATH; 0 or -errno */
int sim_write_file_atomic(const char *path, int (*write)(FILE *f, const void *arg),
			  const void *arg);

#endif
