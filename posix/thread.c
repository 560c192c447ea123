// SPDX-License-Identifier: MIT
/*
 * Threads as sim/ actors.  A pthread_t of a created thread is the address
 * of its struct posix_thread (as glibc's is of its struct pthread); the
 * main thread keeps the real pthread_self() value, so libraries that hand
 * it to the real libc (sanitizer runtimes do) keep working.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>

#include "posix/objtab.h"
#include "posix/posix.h"
#include "posix/real.h"
#include "sim/sim.h"

#define THREAD_NAME_MAX 16	/* TASK_COMM_LEN, with the NUL */

struct posix_thread {
	struct objent ent;	/* keyed by the pthread_t value */
	struct sim_actor *actor;
	void *(*start)(void *);
	void *arg;
	void *ret;
	bool detached;
	bool joining;		/* someone is in pthread_join on it */
	bool exited;
	bool is_main;
	bool gone;		/* not in this forked child */
	int nr;			/* creation order, from 1: gettid */
	struct sim_waitq joinq;	/* joiners; woken at exit */
	char joinq_name[40];	/* "thread1.exit": what a deadlock verdict names */
	struct tsd_slot *tsd;	/* PTHREAD_KEYS_MAX slots, on first set */
};

/* A thread's value for a key, valid while seq matches the key's. */
struct tsd_slot {
	const void *value;
	unsigned int seq;
};

/* Keys come from the real pthread_key_create: ids agree with libc's. */
struct tsd_key {
	void (*destructor)(void *);
	unsigned int seq;	/* bumped by pthread_key_delete */
};

REAL_DECL(pthread_t, pthread_self, void);
REAL_DECL(int, pthread_attr_getstacksize, const pthread_attr_t *, size_t *);
REAL_DECL(int, pthread_attr_getdetachstate, const pthread_attr_t *, int *);
REAL_DECL(int, pthread_getname_np, pthread_t, char *, size_t);
REAL_DECL(int, pthread_setname_np, pthread_t, const char *);

static struct objtab threads;
static struct tsd_key tsd_keys[PTHREAD_KEYS_MAX];
static struct posix_thread *main_thread;
static int nr_created;		/* names thread1, thread2... */
static int nr_alive;		/* created threads that have not exited */

void posix_thread_init(void)
{
	main_thread = calloc(1, sizeof(*main_thread));
	if (!main_thread)
		sim_panic("out of memory");
	main_thread->actor = sim_actor_get(0);
	main_thread->is_main = true;
	sim_actor_set_user(main_thread->actor, main_thread);
	objtab_insert(&threads, (void *)REAL(pthread_self)(), &main_thread->ent);
}

static pthread_t thread_id(const struct posix_thread *t)
{
	return (pthread_t)t->ent.key;
}

static struct posix_thread *thread_find(pthread_t id)
{
	return (struct posix_thread *)objtab_find(&threads, (void *)id);
}

static struct posix_thread *thread_current(void)
{
	return sim_actor_user(sim_self());
}

static void thread_event(const char *event, const struct posix_thread *t)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_str(ev, "thread", sim_actor_name(t->actor));
	sim_ev_end(ev);
}

static void thread_free(struct posix_thread *t)
{
	free(t->tsd);
	sim_actor_set_user(t->actor, NULL);
	objtab_remove(&threads, t->ent.key);
	free(t);
}

static void thread_fn(void *arg)
{
	struct posix_thread *t = arg;

	posix_thread_exit(t->start(t->arg));
}

static void attr_read(const pthread_attr_t *attr, size_t *stack, bool *detached)
{
	int state = PTHREAD_CREATE_JOINABLE;

	*stack = POSIX_DEFAULT_STACK;
	*detached = false;
	if (!attr)
		return;
	REAL(pthread_attr_getstacksize)(attr, stack);
	REAL(pthread_attr_getdetachstate)(attr, &state);
	*detached = state == PTHREAD_CREATE_DETACHED;
}

int posix_thread_create(pthread_t *id, const pthread_attr_t *attr,
			void *(*start)(void *), void *arg)
{
	struct posix_thread *t = calloc(1, sizeof(*t));
	char name[32];
	size_t stack;

	if (!t)
		return EAGAIN;
	attr_read(attr, &stack, &t->detached);
	t->start = start;
	t->arg = arg;
	t->nr = ++nr_created;
	snprintf(name, sizeof(name), "thread%d", t->nr);
	snprintf(t->joinq_name, sizeof(t->joinq_name), "%s.exit", name);
	sim_waitq_init(&t->joinq, t->joinq_name);
	sim_set_stack_size(stack);
	t->actor = sim_spawn(name, thread_fn, t);
	sim_actor_set_user(t->actor, t);
	posix_signal_thread_created(t->actor);
	objtab_insert(&threads, t, &t->ent);
	nr_alive++;
	*id = thread_id(t);
	thread_event("pthread_create", t);
	sim_make_runnable(t->actor);
	/* the new thread may run first, as on a real kernel */
	sim_yield("pthread_create");
	return 0;
}

/* __nptl_deallocate_tsd: destructors, up to PTHREAD_DESTRUCTOR_ITERATIONS rounds */
static void tsd_destroy(struct posix_thread *t)
{
	bool again = true;

	for (int round = 0; again && t->tsd && round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
		again = false;
		for (int k = 0; k < PTHREAD_KEYS_MAX; k++) {
			struct tsd_slot *slot = &t->tsd[k];
			void *value = (void *)slot->value;

			if (!value || slot->seq != tsd_keys[k].seq || !tsd_keys[k].destructor)
				continue;
			slot->value = NULL;
			tsd_keys[k].destructor(value);
			again = true;
		}
	}
}

void posix_key_created(pthread_key_t key, void (*destructor)(void *))
{
	if (key >= PTHREAD_KEYS_MAX)
		return;
	tsd_keys[key].destructor = destructor;
	tsd_keys[key].seq++;
}

void posix_key_deleted(pthread_key_t key)
{
	if (key < PTHREAD_KEYS_MAX)
		tsd_keys[key].seq++;
}

struct posix_thread *posix_tsd_thread(void)
{
	struct posix_thread *t = thread_current();

	return t && !t->is_main ? t : NULL;
}

void *posix_getspecific(struct posix_thread *t, pthread_key_t key)
{
	if (key >= PTHREAD_KEYS_MAX || !t->tsd || t->tsd[key].seq != tsd_keys[key].seq)
		return NULL;
	return (void *)t->tsd[key].value;
}

int posix_setspecific(struct posix_thread *t, pthread_key_t key, const void *value)
{
	if (key >= PTHREAD_KEYS_MAX)
		return EINVAL;
	if (!t->tsd) {
		t->tsd = calloc(PTHREAD_KEYS_MAX, sizeof(*t->tsd));
		if (!t->tsd)
			return ENOMEM;
	}
	t->tsd[key] = (struct tsd_slot){ value, tsd_keys[key].seq };
	return 0;
}

/* Wait for the main thread's siblings, then exit the process as glibc does. */
static void __attribute__((noreturn)) main_thread_exit(void)
{
	for (int id = 1; nr_alive; id = id % (sim_actor_count() - 1) + 1) {
		struct sim_actor *a = sim_actor_get(id);
		struct posix_thread *t = sim_actor_user(a);

		if (t && !t->exited)
			sim_join(a);
	}
	exit(0);
}

void posix_thread_exit(void *ret)
{
	struct posix_thread *t = thread_current();

	if (!t || t->is_main)
		main_thread_exit();
	tsd_destroy(t);
	t->ret = ret;
	t->exited = true;
	nr_alive--;
	/* a forked child's last thread: the process ends (do_exit, no atexit) */
	if (main_thread->gone && !nr_alive)
		_exit(0);
	thread_event("pthread_exit", t);
	sim_wake_all(&t->joinq);
	if (t->detached)
		thread_free(t);
	sim_exit();
}

/*
 * pthread_getattr_np on a thread of ours describes its fiber stack: the
 * sanitizers ask it for pthread_self()'s stack bounds, and glibc's own
 * version would read our id as a struct pthread.  -1: not ours.
 */
int posix_thread_getattr(pthread_t id, pthread_attr_t *attr)
{
	struct posix_thread *t = thread_find(id);
	void *bottom;
	size_t size;

	if (!t || t->is_main || !sim_actor_stack(t->actor, &bottom, &size))
		return -1;
	pthread_attr_init(attr);
	return pthread_attr_setstack(attr, bottom, size);
}

pthread_t posix_thread_self(void)
{
	struct posix_thread *t = thread_current();

	/* actors that are no pthread (vCPU run loops) share the real thread */
	return t ? thread_id(t) : REAL(pthread_self)();
}

/* The main thread only ends by ending the process: a join waits forever. */
static int join_main(uint64_t deadline)
{
	struct sim_waitq never;

	sim_waitq_init(&never, "pthread_join");
	sim_wait_until(&never, deadline);
	return ETIMEDOUT;
}

int posix_thread_timedjoin(pthread_t id, void **ret, uint64_t deadline)
{
	struct posix_thread *t = thread_find(id);

	if (!t)
		return ESRCH;
	if (t->detached || t->joining)
		return EINVAL;
	if (t == thread_current())
		return EDEADLK;
	if (t->is_main || t->gone)
		return join_main(deadline);
	t->joining = true;
	thread_event("pthread_join", t);
	while (!t->exited && sim_wait_until(&t->joinq, deadline))
		;
	if (!t->exited) {
		t->joining = false;
		return ETIMEDOUT;
	}
	if (ret)
		*ret = t->ret;
	thread_free(t);
	return 0;
}

int posix_thread_tryjoin(pthread_t id, void **ret)
{
	struct posix_thread *t = thread_find(id);

	if (t && (!t->exited || t->gone) && !t->detached && !t->joining &&
	    t != thread_current())
		return EBUSY;
	return posix_thread_timedjoin(id, ret, 0);
}

int posix_thread_join(pthread_t id, void **ret)
{
	return posix_thread_timedjoin(id, ret, SIM_FOREVER);
}

int posix_thread_detach(pthread_t id)
{
	struct posix_thread *t = thread_find(id);

	if (!t)
		return ESRCH;
	if (t->detached)
		return EINVAL;
	t->detached = true;
	if (t->exited)
		thread_free(t);
	return 0;
}

int posix_thread_setname(pthread_t id, const char *name)
{
	struct posix_thread *t = thread_find(id);

	if (!t)
		return ESRCH;
	if (strlen(name) >= THREAD_NAME_MAX)
		return ERANGE;
	sim_actor_set_name(t->actor, name);
	snprintf(t->joinq_name, sizeof(t->joinq_name), "%s.exit", name);
	/* the main thread's name is the process' comm: keep it true */
	if (t->is_main)
		return REAL(pthread_setname_np)(REAL(pthread_self)(), name);
	return 0;
}

int posix_thread_getname(pthread_t id, char *buf, size_t len)
{
	struct posix_thread *t = thread_find(id);

	if (!t)
		return ESRCH;
	if (len < THREAD_NAME_MAX)
		return ERANGE;
	if (t->is_main)
		return REAL(pthread_getname_np)(REAL(pthread_self)(), buf, len);
	snprintf(buf, len, "%s", sim_actor_name(t->actor));
	return 0;
}

int posix_thread_check(pthread_t id)
{
	struct posix_thread *t = thread_find(id);

	return t && !t->exited ? 0 : ESRCH;
}

int posix_threads_alive(void)
{
	return nr_alive;
}

pid_t posix_gettid(void)
{
	struct posix_thread *t = thread_current();

	return getpid() + (t ? t->nr : 0);
}

/*
 * The scheduling statistics of the thread whose gettid is tid (the main
 * thread's is the pid): -ENOENT for one of ours that exited, -ESRCH for
 * a number no thread of this process had.
 */
int posix_thread_schedstat(pid_t tid, struct sim_schedstat *s)
{
	for (int id = 0; id < sim_actor_count(); id++) {
		struct posix_thread *t = sim_actor_user(sim_actor_get(id));

		if (t && !t->exited && getpid() + (t->is_main ? 0 : t->nr) == tid) {
			sim_actor_schedstat(t->actor, s);
			return 0;
		}
	}
	return tid > getpid() && tid <= getpid() + nr_created ? -ENOENT : -ESRCH;
}

ssize_t posix_getrandom(void *buf, size_t len, unsigned int flags)
{
	unsigned char *p = buf;

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t r = sim_rand();

		memcpy(p + i, &r, len - i < 8 ? len - i : 8);
	}
	return (ssize_t)len;
}

struct sim_actor *posix_thread_actor(pthread_t id)
{
	struct posix_thread *t = thread_find(id);

	return t && !t->exited ? t->actor : NULL;
}

struct sim_actor *posix_tid_actor(pid_t tid)
{
	for (int id = 0; id < sim_actor_count(); id++) {
		struct sim_actor *a = sim_actor_get(id);
		struct posix_thread *t = sim_actor_user(a);

		if (t && !t->exited && getpid() + t->nr == tid)
			return a;
	}
	return NULL;
}

bool posix_actor_is_thread(struct sim_actor *a)
{
	struct posix_thread *t = sim_actor_user(a);

	return t && !t->exited;
}

/*
 * fork: the child has only the calling thread.  The others are gone:
 * pthread_kill and the like find no thread (ESRCH), a join waits for
 * ever (their tid never clears, as in a glibc child).
 */
void posix_threads_after_fork(void)
{
	struct posix_thread *self = thread_current();

	nr_alive = 0;
	for (int id = 0; id < sim_actor_count(); id++) {
		struct posix_thread *t = sim_actor_user(sim_actor_get(id));

		if (!t || t == self || t->exited)
			continue;
		t->exited = true;
		t->gone = true;
	}
	/* the caller is the child's main thread now: its tid is the pid */
	if (self && !self->is_main) {
		nr_alive = 1;
		self->nr = 0;
	}
}
