/* SPDX-License-Identifier: MIT */
/*
 * sim/ — the deterministic runtime.  Knows nothing of KVM.
 *
 * Everything runs on one OS thread.  Actors are fibers with their own stacks;
 * a switch happens only at a scheduling point (sim_wait, sim_yield, actor
 * exit).  The scheduler picks the next runnable actor through a strategy
 * whose randomness comes only from the run's seed.  Time is virtual.
 */
#ifndef KVMSIM_SIM_H
#define KVMSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sim_actor;

/* ---- runtime lifecycle ---- */

/*
 * Set up the runtime.  The calling context becomes actor 0, named
 * main_name (e.g. "vmm").  Idempotent: a second call only reseeds.
 */
void sim_init(uint64_t seed, const char *main_name);
bool sim_initialized(void);
uint64_t sim_seed(void);

/* ---- actors ---- */

typedef void (*sim_actor_fn)(void *arg);

/*
 * Create an actor (fiber) that starts in fn(arg) the first time it is
 * scheduled.  It starts blocked (not runnable): call sim_make_runnable() or
 * sim_wake_*() to let the scheduler pick it.  When fn returns the actor is
 * dead and never scheduled again.  Names are copied.
 */
struct sim_actor *sim_spawn(const char *name, sim_actor_fn fn, void *arg);
struct sim_actor *sim_self(void);
const char *sim_actor_name(const struct sim_actor *a);
int sim_actor_id(const struct sim_actor *a);
/* (A blocked actor is taken off its waitq.  Dead actors: SIM_BUG_ON.) */
void sim_make_runnable(struct sim_actor *a);

/* ---- wait queues and scheduling points ---- */

struct sim_waitq {
	struct sim_actor *head;	/* FIFO of blocked actors */
	struct sim_actor *tail;
	const char *name;	/* for traces and oracles */
};

void sim_waitq_init(struct sim_waitq *wq, const char *name);

/*
 * Block the current actor on wq until woken, then return.  A scheduling
 * point: another runnable actor runs meanwhile.  If no actor is runnable the
 * deadlock handler runs (default: report on stderr and abort via
 * sim_panic).
 */
void sim_wait(struct sim_waitq *wq);

/* Make the first (FIFO order) / every waiter runnable.  Returns how many. */
int sim_wake_one(struct sim_waitq *wq);
int sim_wake_all(struct sim_waitq *wq);

/*
 * A scheduling point where the current actor stays runnable.  `point` names
 * it in the trace of decisions.  With one runnable actor it returns at once.
 */
void sim_yield(const char *point);

/*
 * Preemption granularity (issue 14).  SIM_PREEMPT_BLOCKING: only blocking
 * operations, yields and exits are scheduling points.  SIM_PREEMPT_SYNC:
 * every synchronization operation the layers above mark with
 * sim_sync_point() is one too (an uncontended mutex lock, a cond signal,
 * an ioctl entry...), as CHESS, Loom and Shuttle do: races between two
 * such operations, e.g. ABBA lock order, are then in the schedule space.
 */
enum sim_preempt {
	SIM_PREEMPT_BLOCKING,
	SIM_PREEMPT_SYNC,
};

void sim_set_preempt(enum sim_preempt p);
enum sim_preempt sim_preempt(void);
const char *sim_preempt_name(enum sim_preempt p);
/* "sync" / "blocking" -> 0 and *p, else -1. */
int sim_preempt_parse(const char *name, enum sim_preempt *p);

/*
 * A synchronization operation: under SIM_PREEMPT_SYNC a sim_yield(point),
 * otherwise nothing.  Also nothing before sim_init or while the
 * scheduler itself runs (a strategy, a deadlock handler).
 */
void sim_sync_point(const char *point);
/*
 * The same, naming the objects the operation is on (a mutex, the
 * condition variable and its mutex...): two operations of different
 * actors on no common object commute, which the bounded search's
 * partial-order reduction uses to skip equivalent schedules.  A point
 * without objects (sim_sync_point) is taken to touch everything.  Only
 * equality of the pointers matters; they never reach a trace.
 */
void sim_sync_point_on(const char *point, const void *obj, const void *obj2);

/*
 * A budget of virtual time: at the first scheduling point (a quantum end
 * is one, runnable company or not) past `ns`, over() is called with the
 * point's name; it is meant to end the run.  0: no budget.
 */
void sim_set_vtime_budget(uint64_t ns, void (*over)(uint64_t ns, const char *point));

/* ---- timed waits (virtual time) ---- */

#define SIM_FOREVER UINT64_MAX

/*
 * sim_wait with a deadline in virtual ns (sim_now() scale).  Returns true
 * if woken, false if the deadline passed first (then the actor is off wq).
 * A deadline already past returns false at once without a scheduling
 * point.  When no actor is runnable, virtual time jumps to the earliest
 * deadline: a sleeping actor is never a deadlock.
 */
bool sim_wait_until(struct sim_waitq *wq, uint64_t deadline);
/* Sleep until virtual time `deadline` (a scheduling point). */
void sim_sleep_until(uint64_t deadline);
/* Earliest armed deadline, SIM_FOREVER if none. */
uint64_t sim_next_timer(void);

/* ---- additions: lifecycle, introspection, join ---- */

/* The current actor dies now (not actor 0).  Its joiners are woken. */
void sim_exit(void) __attribute__((noreturn));
void sim_actor_set_name(struct sim_actor *a, const char *name);
/* One pointer per actor for the layer above (e.g. its pthread object). */
void sim_actor_set_user(struct sim_actor *a, void *user);
void *sim_actor_user(const struct sim_actor *a);

/*
 * An actor's scheduling statistics on the virtual clock, as a task's
 * /proc/PID/schedstat: the one simulated CPU runs one actor at a time,
 * every other runnable actor waits for it (run_delay).
 */
struct sim_schedstat {
	uint64_t exec_ns;	/* running */
	uint64_t delay_ns;	/* runnable, another actor running */
	uint64_t pcount;	/* times switched in */
};
/* Its own, up to now, plus what was added to it. */
void sim_actor_schedstat(const struct sim_actor *a, struct sim_schedstat *s);
/* Time another actor spent on a's behalf (a vCPU for its KVM_RUN caller). */
void sim_actor_schedstat_add(struct sim_actor *a, const struct sim_schedstat *d);
/* An actor's usable stack; false for actor 0 (the thread's own stack). */
bool sim_actor_stack(const struct sim_actor *a, void **bottom, size_t *size);


/*
 * Start a fresh run in the same process (unit tests, the explorer): every
 * actor but actor 0 is discarded whatever its state, the seed becomes
 * `seed`, virtual time, trace seq/hash/count and the decision count go back
 * to 0.  Strategy, deadlock handler, trace file and sink are kept.  Only
 * actor 0 may call it.  Waitqs a discarded actor slept on must be
 * re-initialised before reuse; heap memory a discarded actor owned leaks.
 */
void sim_reset(uint64_t seed);

/* Stack size for actors spawned from now on (default 256 KiB). */
void sim_set_stack_size(size_t bytes);

/*
 * End an actor that is blocked (or never started) and will never be
 * woken, without running it again; its stack is unmapped at once.  False,
 * and nothing done, for the caller itself or an actor not blocked.
 */
bool sim_actor_discard(struct sim_actor *a);
bool sim_actor_alive(const struct sim_actor *a);
/* How often the actor has left the run queue to wait (it polls if this stays). */
uint64_t sim_actor_times_blocked(const struct sim_actor *a);
/* Inside the scheduler (a strategy's choice): no scheduling point may be taken. */
bool sim_in_scheduler(void);
int sim_actor_count(void);			/* ids are 0 .. count - 1 */
struct sim_actor *sim_actor_get(int id);	/* NULL if out of range */
/* The waitq a blocked actor sleeps on, NULL if none. */
const struct sim_waitq *sim_actor_waitq(const struct sim_actor *a);

/* Block the current actor until `a` has died.  A scheduling point. */
void sim_join(struct sim_actor *a);

/* One line per actor: id, name, state, waitq.  What the deadlock report uses. */
void sim_dump_actors(FILE *out);

/* ---- additions: scheduling strategies ----
 *
 * At a scheduling point with two or more runnable actors the scheduler asks
 * the strategy which one runs; that is one "decision".  With a single
 * candidate nothing is asked and no decision is counted, so a schedule is
 * exactly the sequence of pick() answers.
 */
enum sim_sched_kind {
	SIM_SCHED_YIELD,	/* sim_yield: self is among the candidates */
	SIM_SCHED_WAIT,		/* sim_wait / sim_join: self is blocked */
	SIM_SCHED_EXIT,		/* self's function returned */
};

struct sim_sched_point {
	enum sim_sched_kind kind;
	const char *point;	/* yield point, waitq name, or NULL at exit */
	struct sim_actor *self;	/* the actor at the scheduling point */
	struct sim_actor *const *runnable;	/* ascending actor id */
	int n;			/* >= 2 */
	uint64_t decision;	/* index of this decision, from 0 */
};

struct sim_strategy {
	const char *name;
	/* Return an index in [0, sp->n).  Must not reach a scheduling point. */
	int (*pick)(const struct sim_sched_point *sp, void *opaque);
	void *opaque;
};

/* Uniform pick from the scheduler's random stream. */
extern const struct sim_strategy sim_strategy_random;

/* Copies *s; NULL restores sim_strategy_random. */
void sim_set_strategy(const struct sim_strategy *s);
const char *sim_strategy_name(void);
uint64_t sim_decisions(void);
/* Context switches so far: unchanged means no other actor ran meanwhile. */
uint64_t sim_switches(void);

/*
 * The scheduler's own random stream, derived from the seed but separate
 * from sim_rand(): replacing a strategy does not shift the model's numbers.
 */
uint64_t sim_sched_rand(void);
uint64_t sim_sched_rand_below(uint64_t n);

/*
 * Called when a scheduling point finds no runnable actor, on the stack of
 * the actor at that point (sim_self(); it may be blocked or dying).  It may
 * make actors runnable (sim_make_runnable also pulls an actor off its
 * waitq) and return: scheduling then goes on.  If it returns with nothing
 * runnable, sim_panic.  It must not reach a scheduling point itself.
 * NULL restores the default: sim_dump_actors(stderr), then sim_panic.
 */
void sim_set_deadlock_handler(void (*fn)(void *opaque), void *opaque);

/*
 * Called on an actor's own stack each time it returns from a scheduling
 * point that switched away or could have (the layer above delivers its
 * thread's pending signals there).  It may reach scheduling points.
 * NULL: none.
 */
void sim_set_resume_hook(void (*fn)(void));

/*
 * Called when no actor is runnable: it may wait for something from
 * outside the run (a host signal, a host pipe) that makes an actor
 * runnable.  With no timer armed max_ns is SIM_FOREVER and it comes
 * before the deadlock handler: true if it waited (the scheduler looks
 * again), false to let the deadlock verdict stand.  With timers armed,
 * before time jumps to the next one: max_ns is the virtual time until
 * it, the longest it may wait in real time (0 if nothing outside is
 * awaited).  It must not reach a scheduling point.  NULL: none.
 */
void sim_set_idle_wait(bool (*fn)(uint64_t max_ns));

/*
 * The program forks (fork_prepare in the parent, before).  In the child,
 * only the calling actor and those keep() says to keep go on: the rest
 * vanish (never run or woken again), and the trace, timeline and
 * narration stay the parent's (the child records nothing).
 */
void sim_fork_prepare(void);
void sim_fork_child(bool (*keep)(struct sim_actor *a));
bool sim_in_forked_child(void);

/*
 * Finish the trace and timeline files now (a signal is about to end the
 * process without exit handlers).  Async-signal-unsafe: for a process
 * that is going away.
 */
void sim_finish_outputs(void);
/* What sim_finish_outputs runs first (the KVM model's hash and observables). */
void sim_set_finish_outputs_hook(void (*fn)(void));

/*
 * Park an actor that spins in the program's code without reaching a
 * scheduling point, until another actor reaches one (spin.c has the
 * rule).  For runs of real programs (kvmsim exec).
 */
void sim_spin_watchdog_start(void);

/* ---- seeded randomness and virtual time ---- */

uint64_t sim_rand(void);			/* from the run's seed only */
uint64_t sim_rand_below(uint64_t n);		/* uniform in [0, n), n > 0 */
uint64_t sim_now(void);				/* virtual ns */
void sim_advance(uint64_t ns);			/* move virtual time forward */

/* ---- trace recorder ----
 *
 * Each event is one JSON object on one line:
 *   {"seq":N,"vtime":T,"actor":"vcpu0","event":"kvm_mmu_page_fault",...}
 * Every event feeds a 64-bit FNV-1a hash of the exact bytes of its line,
 * whether or not a file is open, so the hash identifies the run.
 *
 * Usage:
 *	struct sim_ev *ev = sim_ev_begin("kvm_mmu_page_fault");
 *	sim_ev_hex(ev, "gpa", gpa);
 *	sim_ev_int(ev, "level", 1);
 *	sim_ev_str(ev, "insn", "mov qword ptr [rax], rbx");
 *	sim_ev_end(ev);
 * Only one event is under construction at a time.
 */
struct sim_ev;

int sim_trace_open(const char *path);		/* 0 or -errno */
void sim_trace_close(void);
struct sim_ev *sim_ev_begin(const char *event);
void sim_ev_hex(struct sim_ev *ev, const char *key, uint64_t v);	/* "0x1a2b" */
void sim_ev_int(struct sim_ev *ev, const char *key, int64_t v);
void sim_ev_str(struct sim_ev *ev, const char *key, const char *v);	/* escaped */
void sim_ev_bool(struct sim_ev *ev, const char *key, bool v);
void sim_ev_end(struct sim_ev *ev);
uint64_t sim_trace_hash(void);
/*
 * Recording is on by default.  Turned off, events cost nothing and the
 * hash stops moving, unless a trace file or sink is open.
 */
void sim_trace_set_recording(bool on);
bool sim_trace_recording(void);
uint64_t sim_trace_count(void);

/*
 * The one event model: every finished event is also kept as typed fields,
 * so a consumer (--explain narration, the timeline) reads the values the
 * model wrote, never the JSON text back.
 */
enum sim_ev_kind { SIM_EV_HEX, SIM_EV_INT, SIM_EV_STR, SIM_EV_BOOL, SIM_EV_NULL };

struct sim_ev_field {
	const char *key;
	enum sim_ev_kind kind;
	uint64_t u;		/* HEX; INT as int64_t; BOOL 0/1 */
	const char *s;		/* STR */
	bool tag;		/* added by sim_trace_set_tag's hook */
};

const char *sim_ev_name(const struct sim_ev *ev);
const char *sim_ev_actor(const struct sim_ev *ev);
uint64_t sim_ev_seq(const struct sim_ev *ev);
uint64_t sim_ev_vtime(const struct sim_ev *ev);
const char *sim_ev_json(const struct sim_ev *ev);	/* its trace line, no newline */
int sim_ev_nfields(const struct sim_ev *ev);
const struct sim_ev_field *sim_ev_field(const struct sim_ev *ev, int i);
const struct sim_ev_field *sim_ev_find(const struct sim_ev *ev, const char *key);

/*
 * A sink sees each finished event — used by kvm-model for --explain
 * narration.  One sink.  It must not emit events itself (SIM_BUG_ON);
 * NULL removes it.
 */
typedef void (*sim_trace_sink_fn)(const struct sim_ev *ev, void *opaque);
void sim_trace_set_sink(sim_trace_sink_fn fn, void *opaque);

/*
 * A field every event gets, last, unless it has one of that name: fn's
 * value when it is >= 0 (kvm-model: "vm", the VM the actor works for).
 */
void sim_trace_set_tag(const char *key, int64_t (*fn)(void));

/*
 * Chrome trace-event timeline of the run (see timeline.c); written at
 * exit or at an oracle failure.  Turns event recording on.  0 or -errno.
 */
int sim_timeline_open(const char *path);
/* A counter track of the timeline (a no-op without one): NAME is VALUE now. */
void sim_timeline_counter(const char *name, uint64_t value);
/* Called before each event goes to the timeline: where counters are read. */
typedef void (*sim_timeline_sampler_fn)(void);
void sim_timeline_set_sampler(sim_timeline_sampler_fn fn);

/* ---- internal assertions ----
 *
 * sim_panic() prints the message and a libunwind backtrace (function names
 * and offsets only: no host addresses) to stderr, then abort()s.
 */
void sim_panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#define SIM_BUG_ON(cond)						\
	do {								\
		if (__builtin_expect(!!(cond), 0))			\
			sim_panic("%s:%d: BUG_ON(%s)", __FILE__,	\
				  __LINE__, #cond);			\
	} while (0)

#endif
