// SPDX-License-Identifier: MIT
/*
 * Unit tests for sim/: fibers, scheduler, strategies, deadlock handling,
 * virtual clock, PRNG, trace recorder, panics.
 *
 * Assertions are made on actor 0 (the Check runner's own stack) from what
 * actors recorded: a failing ck_assert longjmps, which must not happen
 * from a fiber stack.  Panics and the default deadlock handler abort, so
 * they run in a forked child whose stderr is captured.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvmsim/version.h"
#include "sim/oracle.h"
#include "sim/sim.h"

/* ---- helpers ---- */

#define UNUSED __attribute__((unused))

static char logbuf[8192];

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	size_t len = strlen(logbuf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(logbuf + len, sizeof(logbuf) - len, fmt, ap);
	va_end(ap);
}

static void fresh(uint64_t seed)
{
	sim_init(seed, "main");
	sim_reset(seed);
	sim_set_strategy(NULL);
	sim_set_deadlock_handler(NULL, NULL);
	sim_trace_set_sink(NULL, NULL);
	logbuf[0] = '\0';
}

static uint64_t fnv1a(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Records every decision while delegating to the random strategy. */
#define REC_MAX 20000
struct rec {
	int n;
	int ids[REC_MAX];
	bool bad_order;		/* runnable[] not ascending by id */
	bool bad_index;		/* sp->decision != number of earlier picks */
	bool saw_dead;		/* a dead actor offered as candidate */
	char last_point[64];
};

static int rec_pick(const struct sim_sched_point *sp, void *opaque)
{
	struct rec *r = opaque;
	int i, idx;

	for (i = 0; i < sp->n; i++) {
		if (i && sim_actor_id(sp->runnable[i - 1]) >=
			 sim_actor_id(sp->runnable[i]))
			r->bad_order = true;
		if (!sim_actor_alive(sp->runnable[i]))
			r->saw_dead = true;
	}
	if (sp->decision != (uint64_t)r->n)
		r->bad_index = true;
	snprintf(r->last_point, sizeof(r->last_point), "%s",
		 sp->point ? sp->point : "(null)");
	idx = sim_strategy_random.pick(sp, sim_strategy_random.opaque);
	if (r->n < REC_MAX)
		r->ids[r->n++] = sim_actor_id(sp->runnable[idx]);
	return idx;
}

static struct rec *rec_install(void)
{
	static struct rec r;
	struct sim_strategy s = {
		.name = "recorder",
		.pick = rec_pick,
		.opaque = &r,
	};

	memset(&r, 0, sizeof(r));
	sim_set_strategy(&s);
	return &r;
}

/*
 * Run fn in a child with stderr captured into out; returns the wait
 * status.  The child must not get back into the test runner.
 */
static int run_child(void (*fn)(void), char *out, size_t cap)
{
	struct rlimit no_core = { 0, 0 };
	int pfd[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(pfd), 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		close(pfd[0]);
		dup2(pfd[1], STDERR_FILENO);
		fn();
		_exit(0);
	}
	close(pfd[1]);
	while (len + 1 < cap &&
	       (n = read(pfd[0], out + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/* Longest run of hex digits after any "0x": a host address needs ~12. */
static size_t longest_hex_after_0x(const char *s)
{
	size_t best = 0;
	const char *p;

	for (p = strstr(s, "0x"); p; p = strstr(p + 2, "0x")) {
		size_t n = strspn(p + 2, "0123456789abcdefABCDEF");

		if (n > best)
			best = n;
	}
	return best;
}

static void assert_aborted_with(int status, const char *out)
{
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		      "child did not abort; stderr:\n%s", out);
	ck_assert_msg(strstr(out, "backtrace:\n  #0 sim_panic+0x") != NULL,
		      "no backtrace in:\n%s", out);
	ck_assert_msg(longest_hex_after_0x(out) <= 8,
		      "host address leaked in:\n%s", out);
}

/* ---- ping-pong: a schedule with no choices is fully defined ---- */

static struct sim_waitq q_main, q_a, q_b, q_done;

static void pp_actor(void *arg UNUSED)
{
	int i;

	for (i = 0; i < 3; i++) {
		logf_("a%d ", i);
		sim_wake_one(&q_main);
		logf_("w ");	/* waking is not a scheduling point */
		sim_wait(&q_a);
	}
	logf_("a-end ");
}

START_TEST(test_ping_pong_order)
{
	struct sim_actor *a;
	uint64_t seed;
	int i;

	for (seed = 1; seed <= 5; seed++) {
		fresh(seed);
		sim_waitq_init(&q_main, "main");
		sim_waitq_init(&q_a, "qa");
		a = sim_spawn("a", pp_actor, NULL);
		ck_assert_int_eq(sim_actor_id(a), 1);
		ck_assert_str_eq(sim_actor_name(a), "a");
		ck_assert_ptr_eq(sim_self(), sim_actor_get(0));
		/* Spawned actors start blocked: yielding runs nobody. */
		sim_yield("nobody");
		ck_assert_str_eq(logbuf, "");
		sim_make_runnable(a);
		for (i = 0; i < 3; i++) {
			sim_wait(&q_main);
			logf_("m%d ", i);
			sim_wake_one(&q_a);
		}
		sim_join(a);
		ck_assert_str_eq(logbuf,
				 "a0 w m0 a1 w m1 a2 w m2 a-end ");
		ck_assert(!sim_actor_alive(a));
		ck_assert_uint_eq(sim_decisions(), 0);
		/* Joining a dead actor returns at once. */
		sim_join(a);
	}
}
END_TEST

/* ---- ping-pong with choices: wait/wake keep the protocol ---- */

static int turn;

static void turn_actor(void *arg)
{
	int me = (int)(intptr_t)arg, i;
	struct sim_waitq *mine = me ? &q_b : &q_a;
	struct sim_waitq *other = me ? &q_a : &q_b;

	for (i = 0; i < 20; i++) {
		while (turn != me)
			sim_wait(mine);
		logf_("%c", me ? 'B' : 'A');
		turn = !me;
		sim_wake_one(other);
		sim_yield("after-wake");
	}
}

START_TEST(test_turns_any_seed)
{
	struct sim_actor *a, *b;
	uint64_t seed;

	for (seed = 10; seed < 30; seed++) {
		fresh(seed);
		turn = 0;
		sim_waitq_init(&q_a, "qa");
		sim_waitq_init(&q_b, "qb");
		a = sim_spawn("A", turn_actor, (void *)0);
		b = sim_spawn("B", turn_actor, (void *)1);
		sim_make_runnable(b);
		sim_make_runnable(a);
		sim_join(a);
		sim_join(b);
		ck_assert_str_eq(logbuf, "ABABABABABABABABABABABABABABABABABABABAB");
	}
}
END_TEST

/* ---- sim_wake_one is FIFO in arrival order, not id order ---- */

static struct sim_waitq q_fifo;
static int arrived[8], narrived, woke[8], nwoke;

static void fifo_actor(void *arg UNUSED)
{
	int id = sim_actor_id(sim_self());

	arrived[narrived++] = id;
	sim_wait(&q_fifo);
	woke[nwoke++] = id;
}

START_TEST(test_wake_one_fifo)
{
	bool saw_unsorted = false;
	uint64_t seed;
	int i, k;

	for (seed = 100; seed < 120; seed++) {
		fresh(seed);
		sim_waitq_init(&q_fifo, "fifo");
		narrived = nwoke = 0;
		for (i = 0; i < 5; i++)
			sim_make_runnable(sim_spawn("w", fifo_actor, NULL));
		while (narrived < 5)
			sim_yield("spin");
		for (i = 1; i < 5; i++)
			if (arrived[i] < arrived[i - 1])
				saw_unsorted = true;
		ck_assert_ptr_eq(q_fifo.head, sim_actor_get(arrived[0]));
		ck_assert_ptr_eq(q_fifo.tail, sim_actor_get(arrived[4]));
		for (k = 0; k < 3; k++) {
			ck_assert_int_eq(sim_wake_one(&q_fifo), 1);
			while (nwoke <= k)
				sim_yield("spin");
			ck_assert_int_eq(woke[k], arrived[k]);
		}
		ck_assert_int_eq(sim_wake_all(&q_fifo), 2);
		ck_assert_int_eq(sim_wake_all(&q_fifo), 0);
		ck_assert_int_eq(sim_wake_one(&q_fifo), 0);
		ck_assert_ptr_null(q_fifo.head);
		ck_assert_ptr_null(q_fifo.tail);
		while (nwoke < 5)
			sim_yield("spin");
	}
	/* Otherwise this test could not tell FIFO from id order. */
	ck_assert(saw_unsorted);
}
END_TEST

/* sim_make_runnable pulls an actor out of the middle of a waitq. */
START_TEST(test_make_runnable_leaves_waitq)
{
	struct sim_actor *w[3];
	int i;

	fresh(3);
	sim_waitq_init(&q_fifo, "fifo");
	narrived = nwoke = 0;
	for (i = 0; i < 3; i++) {
		w[i] = sim_spawn("w", fifo_actor, NULL);
		sim_make_runnable(w[i]);
		while (narrived <= i)
			sim_yield("spin");
	}
	ck_assert_ptr_eq(sim_actor_waitq(w[1]), &q_fifo);
	sim_make_runnable(w[1]);
	ck_assert_ptr_null(sim_actor_waitq(w[1]));
	sim_join(w[1]);
	ck_assert_int_eq(woke[0], sim_actor_id(w[1]));
	ck_assert_int_eq(sim_wake_one(&q_fifo), 1);
	ck_assert_int_eq(sim_wake_one(&q_fifo), 1);
	ck_assert_int_eq(sim_wake_one(&q_fifo), 0);
	sim_join(w[0]);
	sim_join(w[2]);
	ck_assert_int_eq(woke[1], sim_actor_id(w[0]));
	ck_assert_int_eq(woke[2], sim_actor_id(w[2]));
}
END_TEST

/* ---- determinism of schedules and traces ---- */

struct run_result {
	uint64_t hash, count, decisions, vtime;
	int n;
	int ids[REC_MAX];
	uint64_t rand_after;
};

static void busy_actor(void *arg UNUSED)
{
	int i;

	for (i = 0; i < 50; i++) {
		struct sim_ev *ev = sim_ev_begin("step");

		sim_ev_int(ev, "i", i);
		sim_ev_int(ev, "r", (int64_t)sim_rand_below(1000));
		sim_ev_end(ev);
		sim_advance(1 + sim_rand_below(10));
		sim_yield("step");
	}
}

static void busy_run(uint64_t seed, struct run_result *res)
{
	struct sim_actor *a[4];
	struct rec *r;
	int i;

	fresh(seed);
	r = rec_install();
	for (i = 0; i < 4; i++) {
		a[i] = sim_spawn("busy", busy_actor, NULL);
		sim_make_runnable(a[i]);
	}
	for (i = 0; i < 4; i++)
		sim_join(a[i]);
	res->hash = sim_trace_hash();
	res->count = sim_trace_count();
	res->decisions = sim_decisions();
	res->vtime = sim_now();
	res->n = r->n;
	memcpy(res->ids, r->ids, sizeof(res->ids));
	res->rand_after = sim_rand();
	ck_assert(!r->bad_order);
	ck_assert(!r->bad_index);
	ck_assert(!r->saw_dead);
}

START_TEST(test_same_seed_same_run)
{
	static struct run_result r1, r2, r3;

	busy_run(1, &r1);
	busy_run(1, &r2);
	busy_run(2, &r3);

	/* 200 busy events and one sched_choice event per decision */
	ck_assert_uint_eq(r1.count, 200 + r1.decisions);
	ck_assert_uint_eq(r1.decisions, (uint64_t)r1.n);
	ck_assert_uint_gt(r1.decisions, 150);
	ck_assert_str_eq(sim_strategy_name(), "recorder");

	ck_assert_uint_eq(r1.hash, r2.hash);
	ck_assert_uint_eq(r1.decisions, r2.decisions);
	ck_assert_uint_eq(r1.vtime, r2.vtime);
	ck_assert_int_eq(r1.n, r2.n);
	ck_assert(memcmp(r1.ids, r2.ids, sizeof(int) * r1.n) == 0);
	ck_assert_uint_eq(r1.rand_after, r2.rand_after);

	ck_assert(r1.n != r3.n ||
		  memcmp(r1.ids, r3.ids, sizeof(int) * r1.n) != 0);
	ck_assert_uint_ne(r1.hash, r3.hash);
}
END_TEST

/* Lowest-id-first makes a fully predictable schedule. */
static int pick_first(const struct sim_sched_point *sp UNUSED,
		      void *opaque UNUSED)
{
	return 0;
}

static int pick_last(const struct sim_sched_point *sp, void *opaque UNUSED)
{
	return sp->n - 1;
}

static void yielder(void *arg UNUSED)
{
	const char *name = sim_actor_name(sim_self());
	int i;

	for (i = 0; i < 2; i++) {
		logf_("%s%d ", name, i);
		sim_yield(name);
	}
}

static const char *run_yielders(int (*pick)(const struct sim_sched_point *,
					    void *))
{
	struct sim_strategy s = { .name = "fixed", .pick = pick };
	struct sim_actor *a, *b;

	fresh(5);
	sim_set_strategy(&s);
	a = sim_spawn("a", yielder, NULL);
	b = sim_spawn("b", yielder, NULL);
	sim_make_runnable(a);
	sim_make_runnable(b);
	sim_join(a);
	sim_join(b);
	return logbuf;
}

START_TEST(test_strategy_hook)
{
	ck_assert_str_eq(run_yielders(pick_first), "a0 a1 b0 b1 ");
	/* main joins a: candidates {a,b}; pick_last runs b to its end. */
	ck_assert_str_eq(run_yielders(pick_last), "b0 b1 a0 a1 ");
	sim_set_strategy(NULL);
	ck_assert_str_eq(sim_strategy_name(), "random");
}
END_TEST

/* Scheduling must not consume the model's random numbers. */
START_TEST(test_rand_streams)
{
	uint64_t first[4], again[4], x;
	struct rec *r;
	int i;

	fresh(7);
	for (i = 0; i < 4; i++)
		first[i] = sim_rand();
	fresh(7);
	r = rec_install();
	for (i = 0; i < 3; i++)
		sim_make_runnable(sim_spawn("y", yielder, NULL));
	for (i = 0; i < 20; i++)
		sim_yield("spin");
	ck_assert_int_gt(r->n, 0);
	for (i = 0; i < 4; i++)
		again[i] = sim_rand();
	ck_assert(memcmp(first, again, sizeof(first)) == 0);

	/* A second sim_init only reseeds. */
	sim_init(7, "ignored");
	ck_assert_str_eq(sim_actor_name(sim_self()), "main");
	ck_assert_uint_eq(sim_seed(), 7);
	ck_assert_uint_eq(sim_rand(), first[0]);
	sim_init(8, "ignored");
	ck_assert_uint_ne(sim_rand(), first[0]);

	for (i = 0; i < 1000; i++) {
		x = sim_rand_below(3);
		ck_assert_uint_lt(x, 3);
	}
	ck_assert_uint_eq(sim_rand_below(1), 0);
	ck_assert_uint_lt(sim_sched_rand_below(5), 5);
}
END_TEST

/* ---- virtual clock ---- */

static void sleeper(void *arg UNUSED)
{
	sim_advance(100);
	logf_("%llu ", (unsigned long long)sim_now());
}

START_TEST(test_virtual_clock)
{
	struct sim_actor *a;
	struct sim_ev *ev;

	fresh(1);
	ck_assert_uint_eq(sim_now(), 0);
	sim_advance(5);
	sim_advance(0);
	sim_advance(7);
	ck_assert_uint_eq(sim_now(), 12);
	a = sim_spawn("s", sleeper, NULL);
	sim_make_runnable(a);
	sim_join(a);
	ck_assert_str_eq(logbuf, "112 ");
	ck_assert_uint_eq(sim_now(), 112);
	ev = sim_ev_begin("t");
	sim_ev_end(ev);
	fresh(1);
	ck_assert_uint_eq(sim_now(), 0);
}
END_TEST

/* ---- virtual-time timers ---- */

static struct sim_waitq timer_wq;

static void timed_waiter(void *arg)
{
	uint64_t deadline = (uint64_t)(uintptr_t)arg;
	bool woken = sim_wait_until(&timer_wq, deadline);

	logf_("%s:%s@%llu ", sim_actor_name(sim_self()), woken ? "woken" : "timeout",
	      (unsigned long long)sim_now());
}

static void napper(void *arg)
{
	sim_sleep_until((uint64_t)(uintptr_t)arg);
	logf_("%s@%llu ", sim_actor_name(sim_self()), (unsigned long long)sim_now());
}

/* Nothing runnable but timers armed: time jumps, earliest deadline first. */
START_TEST(test_timers_jump_time)
{
	struct sim_actor *a, *b, *c;

	fresh(3);
	sim_waitq_init(&timer_wq, "tq");
	a = sim_spawn("late", napper, (void *)(uintptr_t)3000);
	b = sim_spawn("early", napper, (void *)(uintptr_t)1000);
	c = sim_spawn("t", timed_waiter, (void *)(uintptr_t)2000);
	sim_make_runnable(a);
	sim_make_runnable(b);
	sim_make_runnable(c);
	sim_join(a);
	sim_join(b);
	sim_join(c);
	ck_assert_str_eq(logbuf, "early@1000 t:timeout@2000 late@3000 ");
	ck_assert_uint_eq(sim_now(), 3000);
	ck_assert_uint_eq(sim_next_timer(), SIM_FOREVER);
}
END_TEST

/* A wakeup before the deadline disarms the timer; a past deadline never waits. */
START_TEST(test_timer_woken_first)
{
	struct sim_actor *a;

	fresh(4);
	sim_waitq_init(&timer_wq, "tq");
	a = sim_spawn("w", timed_waiter, (void *)(uintptr_t)5000);
	sim_make_runnable(a);
	sim_sleep_until(100);
	ck_assert_uint_eq(sim_next_timer(), 5000);
	ck_assert_int_eq(sim_wake_one(&timer_wq), 1);
	ck_assert_uint_eq(sim_next_timer(), SIM_FOREVER);
	sim_join(a);
	ck_assert_str_eq(logbuf, "w:woken@100 ");
	ck_assert(!sim_wait_until(&timer_wq, 50));
	ck_assert_uint_eq(sim_now(), 100);
}
END_TEST

/* errno is per thread: each actor keeps its own across switches. */
static void errno_setter(void *arg)
{
	errno = (int)(uintptr_t)arg;
	sim_yield("e");
	logf_("%d ", errno);
}

START_TEST(test_errno_per_actor)
{
	struct sim_actor *a, *b;

	fresh(5);
	a = sim_spawn("a", errno_setter, (void *)(uintptr_t)11);
	b = sim_spawn("b", errno_setter, (void *)(uintptr_t)22);
	sim_make_runnable(a);
	sim_make_runnable(b);
	errno = 33;
	sim_join(a);
	sim_join(b);
	ck_assert_int_eq(errno, 33);
	ck_assert(strstr(logbuf, "11 ") && strstr(logbuf, "22 "));
}
END_TEST

/* ---- trace recorder ---- */

struct sink_seen {
	int calls;
	size_t full_len;
	char event[64];
	char line[512];
	char tail[32];
	/* the typed fields of the last event, as the narration reads them */
	int nfields;
	char actor[32], insn[64];
	uint64_t gpa, vtime;
	int64_t level;
	int nil_kind, ok_kind;
};

static void sink(const struct sim_ev *ev, void *opaque)
{
	struct sink_seen *s = opaque;
	const char *event = sim_ev_name(ev), *json_line = sim_ev_json(ev);
	const struct sim_ev_field *f;

	s->nfields = sim_ev_nfields(ev);
	s->vtime = sim_ev_vtime(ev);
	snprintf(s->actor, sizeof(s->actor), "%s", sim_ev_actor(ev));
	if ((f = sim_ev_find(ev, "gpa")))
		s->gpa = f->u;
	if ((f = sim_ev_find(ev, "level")))
		s->level = (int64_t)f->u;
	if ((f = sim_ev_find(ev, "insn")))
		snprintf(s->insn, sizeof(s->insn), "%s", f->s);
	s->nil_kind = (f = sim_ev_find(ev, "nil")) ? (int)f->kind : -1;
	s->ok_kind = (f = sim_ev_find(ev, "ok")) ? (int)f->kind : -1;

	s->calls++;
	s->full_len = strlen(json_line);
	snprintf(s->tail, sizeof(s->tail), "%s", s->full_len >= 27 ?
		 json_line + s->full_len - 27 : json_line);
	snprintf(s->event, sizeof(s->event), "%s", event);
	snprintf(s->line, sizeof(s->line), "%s", json_line);
}

static char *slurp(const char *path, size_t *len)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");

	ck_assert_ptr_nonnull(f);
	*len = fread(buf, 1, sizeof(buf) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static const char expect_line0[] =
	"{\"seq\":0,\"vtime\":42,\"actor\":\"main\",\"event\":\"kvm_test\","
	"\"gpa\":\"0x1a2b\",\"zero\":\"0x0\",\"level\":-3,"
	"\"max\":\"0xffffffffffffffff\","
	"\"insn\":\"q\\\"b\\\\s\\n\\t\\r\\b\\f\\u0001\\u001f\xc3\xa9/\","
	"\"nil\":null,\"ok\":true,\"bad\":false}";
/* not an event: neither counted nor hashed */
static const char expect_header[] =
	"{\"kvmsim_trace\":1,\"version\":\"" KVMSIM_VERSION "\",\"vtime\":\"ns\"}";
static const char expect_line1[] =
	"{\"seq\":1,\"vtime\":42,\"actor\":\"tr\\\"x\",\"event\":\"e2\"}";

static void trace_actor(void *arg UNUSED)
{
	sim_ev_end(sim_ev_begin("e2"));
}

START_TEST(test_trace_exact_text)
{
	char path[] = "/tmp/test_sim_trace_XXXXXX";
	struct sink_seen seen = { 0 };
	struct sim_actor *a;
	struct sim_ev *ev;
	char expect[2048];
	size_t len;
	char *text;
	int fd;

	fresh(1);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(sim_trace_open("/nonexistent-dir/x/y"), -ENOENT);
	ck_assert_int_eq(sim_trace_open(path), 0);
	sim_trace_set_sink(sink, &seen);
	ck_assert_uint_eq(sim_trace_count(), 0);
	ck_assert_uint_eq(sim_trace_hash(), fnv1a("", 0));

	sim_advance(42);
	ev = sim_ev_begin("kvm_test");
	sim_ev_hex(ev, "gpa", 0x1A2B);
	sim_ev_hex(ev, "zero", 0);
	sim_ev_int(ev, "level", -3);
	sim_ev_hex(ev, "max", UINT64_MAX);
	sim_ev_str(ev, "insn", "q\"b\\s\n\t\r\b\f\x01\x1f\xc3\xa9/");
	sim_ev_str(ev, "nil", NULL);
	sim_ev_bool(ev, "ok", true);
	sim_ev_bool(ev, "bad", false);
	sim_ev_end(ev);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_str_eq(seen.event, "kvm_test");
	ck_assert_str_eq(seen.line, expect_line0);
	/* the same event as typed fields: raw values, not JSON text */
	ck_assert_int_eq(seen.nfields, 8);
	ck_assert_str_eq(seen.actor, "main");
	ck_assert_uint_eq(seen.vtime, 42);
	ck_assert_uint_eq(seen.gpa, 0x1A2B);
	ck_assert_int_eq(seen.level, -3);
	ck_assert_str_eq(seen.insn, "q\"b\\s\n\t\r\b\f\x01\x1f\xc3\xa9/");
	ck_assert_int_eq(seen.nil_kind, SIM_EV_NULL);
	ck_assert_int_eq(seen.ok_kind, SIM_EV_BOOL);

	/* Actor names are escaped too, and seq counts on. */
	a = sim_spawn("tr\"x", trace_actor, NULL);
	sim_make_runnable(a);
	sim_join(a);
	ck_assert_int_eq(seen.calls, 2);
	ck_assert_str_eq(seen.line, expect_line1);
	ck_assert_uint_eq(sim_trace_count(), 2);

	sim_trace_close();
	text = slurp(path, &len);
	snprintf(expect, sizeof(expect), "%s\n%s\n%s\n", expect_header, expect_line0,
		 expect_line1);
	ck_assert_str_eq(text, expect);
	/* The hash is that of the file's bytes after the header line. */
	ck_assert_uint_eq(sim_trace_hash(), fnv1a(text + sizeof(expect_header),
						  len - sizeof(expect_header)));

	/* No file: the hash still runs, and closing twice is harmless. */
	sim_trace_close();
	ev = sim_ev_begin("x");
	sim_ev_end(ev);
	ck_assert_uint_eq(sim_trace_count(), 3);
	ck_assert_int_eq(seen.calls, 3);
	snprintf(expect + strlen(expect), sizeof(expect) - strlen(expect),
		 "{\"seq\":2,\"vtime\":42,\"actor\":\"main\",\"event\":\"x\"}\n");
	ck_assert_uint_eq(sim_trace_hash(), fnv1a(expect + sizeof(expect_header),
						  strlen(expect) - sizeof(expect_header)));
	sim_trace_set_sink(NULL, NULL);
	unlink(path);
}
END_TEST

/* Recording off: nothing is counted or hashed unless a sink listens. */
START_TEST(test_trace_recording_off)
{
	struct sink_seen seen = { 0 };
	struct sim_ev *ev;
	uint64_t h;

	fresh(1);
	sim_trace_set_recording(false);
	ck_assert(!sim_trace_recording());
	h = sim_trace_hash();
	ev = sim_ev_begin("ignored");
	sim_ev_hex(ev, "gpa", 1);
	sim_ev_int(ev, "level", 2);
	sim_ev_str(ev, "s", "x");
	sim_ev_bool(ev, "b", true);
	sim_ev_end(ev);
	ck_assert_uint_eq(sim_trace_count(), 0);
	ck_assert_uint_eq(sim_trace_hash(), h);

	/* a sink turns it back on: --explain needs the events */
	sim_trace_set_sink(sink, &seen);
	ck_assert(sim_trace_recording());
	ev = sim_ev_begin("seen");
	sim_ev_end(ev);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_uint_eq(sim_trace_count(), 1);
	ck_assert_uint_ne(sim_trace_hash(), h);
	sim_trace_set_sink(NULL, NULL);
	sim_trace_set_recording(true);
}
END_TEST

START_TEST(test_trace_truncation)
{
	static char big[10000];
	struct sink_seen seen = { 0 };
	struct sim_ev *ev;
	size_t len;
	int i;

	fresh(1);
	sim_trace_set_sink(sink, &seen);
	memset(big, '"', sizeof(big) - 1);	/* escapes to twice the size */
	ev = sim_ev_begin("big");
	sim_ev_int(ev, "a", 1);
	sim_ev_str(ev, "s", big);
	sim_ev_int(ev, "b", 2);	/* dropped: comes after a dropped field */
	sim_ev_end(ev);
	ck_assert_str_eq(seen.line,
			 "{\"seq\":0,\"vtime\":0,\"actor\":\"main\","
			 "\"event\":\"big\",\"a\":1,\"truncated\":true}");

	/* Many small fields: cut at the line limit, still valid JSON. */
	ev = sim_ev_begin("many");
	for (i = 0; i < 1000; i++)
		sim_ev_int(ev, "k", 1234567890);
	sim_ev_end(ev);
	ck_assert_str_eq(seen.event, "many");
	len = seen.full_len;
	/* Whole ,"k":1234567890 fields (15 bytes) only, then the marker. */
	ck_assert_uint_lt(len, 4096);
	ck_assert_uint_gt(len, 4000);
	ck_assert_str_eq(seen.tail, "234567890,\"truncated\":true}");
	ck_assert_uint_eq((len - strlen("{\"seq\":1,\"vtime\":0,\"actor\":"
				       "\"main\",\"event\":\"many\"}") -
			   strlen(",\"truncated\":true")) % 15, 0);
	ck_assert_uint_eq(sim_trace_count(), 2);
	sim_trace_set_sink(NULL, NULL);
}
END_TEST

/* ---- dead actors ---- */

static int short_runs;

static void short_actor(void *arg UNUSED)
{
	short_runs++;
	sim_yield("once");
}

START_TEST(test_dead_never_rescheduled)
{
	struct sim_actor *d, *y[3];
	struct rec *r;
	int i;

	fresh(11);
	r = rec_install();
	short_runs = 0;
	d = sim_spawn("d", short_actor, NULL);
	sim_make_runnable(d);
	for (i = 0; i < 3; i++) {
		y[i] = sim_spawn("y", yielder, NULL);
		sim_make_runnable(y[i]);
	}
	sim_join(d);
	ck_assert(!sim_actor_alive(d));
	for (i = 0; i < 100; i++)
		sim_yield("spin");
	for (i = 0; i < 3; i++)
		sim_join(y[i]);
	ck_assert_int_eq(short_runs, 1);
	ck_assert(!r->saw_dead);
	ck_assert_ptr_null(sim_actor_waitq(d));
	ck_assert_str_eq(sim_actor_name(d), "d");

	/* Many short-lived actors: stacks are reclaimed as they die. */
	fresh(12);
	for (i = 0; i < 2000; i++) {
		d = sim_spawn("d", short_actor, NULL);
		sim_make_runnable(d);
		sim_join(d);
	}
	ck_assert_int_eq(sim_actor_count(), 2001);
	ck_assert_ptr_null(sim_actor_get(2001));
	ck_assert_ptr_null(sim_actor_get(-1));
}
END_TEST

/* ---- deadlock: custom handler ---- */

struct dl_seen {
	int calls;
	char self[32];
	char report[512];
};

static void dl_handler(void *opaque)
{
	struct dl_seen *s = opaque;
	int i;

	s->calls++;
	snprintf(s->self, sizeof(s->self), "%s", sim_actor_name(sim_self()));
	s->report[0] = '\0';
	for (i = 0; i < sim_actor_count(); i++) {
		const struct sim_actor *a = sim_actor_get(i);
		const struct sim_waitq *wq = sim_actor_waitq(a);
		size_t len = strlen(s->report);

		snprintf(s->report + len, sizeof(s->report) - len, "%s:%s ",
			 sim_actor_name(a), !sim_actor_alive(a) ? "dead" :
			 wq ? wq->name : "-");
	}
	/* Recover by letting actor 0 out of its wait. */
	sim_make_runnable(sim_actor_get(0));
}

static void wait_forever(void *arg)
{
	sim_wait(arg);
}

static void just_return(void *arg UNUSED)
{
}

START_TEST(test_deadlock_handler)
{
	struct dl_seen seen = { 0 };
	struct sim_actor *a, *b;

	fresh(1);
	sim_set_deadlock_handler(dl_handler, &seen);
	sim_waitq_init(&q_a, "qa");
	sim_waitq_init(&q_b, "qb");
	sim_waitq_init(&q_done, "done");
	a = sim_spawn("a", wait_forever, &q_a);
	b = sim_spawn("b", wait_forever, &q_b);
	sim_make_runnable(a);
	sim_make_runnable(b);
	sim_wait(&q_done);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_str_eq(seen.report, "main:done a:qa b:qb ");
	/* The handler runs on whichever actor blocked last. */
	ck_assert(strcmp(seen.self, "a") == 0 || strcmp(seen.self, "b") == 0);
	ck_assert_ptr_null(q_done.head);
	ck_assert_ptr_eq(q_a.head, a);

	/* The last actor dying with nothing runnable also deadlocks. */
	fresh(1);
	memset(&seen, 0, sizeof(seen));
	sim_set_deadlock_handler(dl_handler, &seen);
	sim_waitq_init(&q_done, "done");
	a = sim_spawn("r", just_return, NULL);
	sim_make_runnable(a);
	sim_wait(&q_done);
	ck_assert_int_eq(seen.calls, 1);
	ck_assert_str_eq(seen.self, "r");
	ck_assert_str_eq(seen.report, "main:done r:dead ");
	ck_assert(!sim_actor_alive(a));
	/* Reset discards actors still blocked; the next run is clean. */
	fresh(1);
	ck_assert_int_eq(sim_actor_count(), 1);
}
END_TEST

/* ---- default deadlock handler and panics, in a child ---- */

static void child_deadlock(void)
{
	fresh(1);
	sim_waitq_init(&q_a, "qa");
	sim_waitq_init(&q_done, "done");
	sim_make_runnable(sim_spawn("a", wait_forever, &q_a));
	sim_spawn("idle", just_return, NULL);
	sim_wait(&q_done);
}

START_TEST(test_default_deadlock_aborts)
{
	char out[8192];
	int status = run_child(child_deadlock, out, sizeof(out));

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == SIM_ORACLE_EXIT_STATUS,
		      "status %#x; stderr:\n%s", status, out);
	ck_assert_msg(!strcmp(out, "kvmsim: FAILED oracle deadlock: every actor is blocked "
			      "at vtime 0: main on done, a on qa, idle on (nothing)\n"),
		      "unexpected report:\n%s", out);
}
END_TEST

/* noinline: the backtrace is expected to name it. */
static __attribute__((noinline)) void child_double_begin(void)
{
	fresh(1);
	sim_ev_begin("one");
	/* Not a tail call, so this frame is still on the stack. */
	sim_ev_end(sim_ev_begin("two"));
}

static void child_wake_dead(void)
{
	struct sim_actor *a;

	fresh(1);
	a = sim_spawn("gone", just_return, NULL);
	sim_make_runnable(a);
	sim_join(a);
	sim_make_runnable(a);
}

static void child_ok(void)
{
	fresh(1);
	sim_make_runnable(sim_spawn("y", yielder, NULL));
	sim_yield("x");
	_exit(3);
}

START_TEST(test_panics)
{
	char out[8192];
	int status;

	status = run_child(child_double_begin, out, sizeof(out));
	assert_aborted_with(status, out);
	ck_assert_msg(strstr(out, "BUG_ON(ev->open)") &&
		      strstr(out, "sim_ev_begin+0x") &&
		      strstr(out, "child_double_begin+0x"),
		      "unexpected panic:\n%s", out);

	status = run_child(child_wake_dead, out, sizeof(out));
	assert_aborted_with(status, out);
	ck_assert_msg(strstr(out, "sim_make_runnable+0x") != NULL,
		      "unexpected panic:\n%s", out);

	/* A child that breaks no rule exits normally. */
	status = run_child(child_ok, out, sizeof(out));
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3);
}
END_TEST

static int pick_out_of_range(const struct sim_sched_point *sp,
			     void *opaque UNUSED)
{
	return sp->n;
}

static void child_out_of_range(void)
{
	struct sim_strategy s = { .name = "oops", .pick = pick_out_of_range };

	fresh(1);
	sim_set_strategy(&s);
	sim_make_runnable(sim_spawn("y", yielder, NULL));
	sim_yield("x");
}

static __attribute__((noinline)) void panicking_actor(void *arg)
{
	SIM_BUG_ON(arg != NULL);
	sim_yield("not reached");
}

static void child_panic_in_actor(void)
{
	struct sim_actor *p;

	fresh(1);
	p = sim_spawn("p", panicking_actor, (void *)1);
	sim_make_runnable(p);
	sim_join(p);
}

START_TEST(test_panic_in_actor)
{
	char out[8192];
	int status = run_child(child_panic_in_actor, out, sizeof(out));

	assert_aborted_with(status, out);
	/* The fiber's backtrace ends at its entry, with nothing unknown. */
	ck_assert_msg(strstr(out, "BUG_ON(arg != NULL)") &&
		      strstr(out, "in actor 1 \"p\"") &&
		      strstr(out, " panicking_actor+0x") &&
		      strstr(out, " sim_fiber_main+0x") &&
		      !strstr(out, "??") && !strstr(out, "test_panic_in_actor"),
		      "unexpected backtrace:\n%s", out);
}
END_TEST

START_TEST(test_bad_strategy_panics)
{
	char out[8192];
	int status = run_child(child_out_of_range, out, sizeof(out));

	assert_aborted_with(status, out);
	ck_assert_msg(strstr(out, "strategy \"oops\" picked 2 of 2") != NULL,
		      "unexpected panic:\n%s", out);
}
END_TEST

static Suite *sim_suite(void)
{
	Suite *s = suite_create("sim");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_ping_pong_order);
	tcase_add_test(tc, test_turns_any_seed);
	tcase_add_test(tc, test_wake_one_fifo);
	tcase_add_test(tc, test_make_runnable_leaves_waitq);
	tcase_add_test(tc, test_same_seed_same_run);
	tcase_add_test(tc, test_strategy_hook);
	tcase_add_test(tc, test_rand_streams);
	tcase_add_test(tc, test_virtual_clock);
	tcase_add_test(tc, test_timers_jump_time);
	tcase_add_test(tc, test_timer_woken_first);
	tcase_add_test(tc, test_errno_per_actor);
	tcase_add_test(tc, test_trace_exact_text);
	tcase_add_test(tc, test_trace_truncation);
	tcase_add_test(tc, test_trace_recording_off);
	tcase_add_test(tc, test_dead_never_rescheduled);
	tcase_add_test(tc, test_deadlock_handler);
	tcase_add_test(tc, test_default_deadlock_aborts);
	tcase_add_test(tc, test_panics);
	tcase_add_test(tc, test_panic_in_actor);
	tcase_add_test(tc, test_bad_strategy_panics);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sim_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
