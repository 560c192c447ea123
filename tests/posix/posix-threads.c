// SPDX-License-Identifier: MIT
/*
 * Threads and locks: join values, detach/join errors, names, once,
 * barriers, mutex kinds and their errnos, timed locks, rwlocks,
 * semaphores (one a zeroed static sem_t never sem_init'ed), and a
 * main thread that ends with pthread_exit.  Plain libc + pthreads: the
 * output is the same natively and under kvmsim.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_barrier_t barrier;
static int counter, once_calls, serial_count, release_detached;

static void once_fn(void)
{
	once_calls++;
}

static void *worker(void *arg)
{
	long id = (long)arg;

	pthread_once(&once, once_fn);
	for (int round = 0; round < 3; round++)
		if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_fetch_add(&serial_count, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		if (i % 250 == 0)
			sched_yield();
		pthread_mutex_unlock(&lock);
	}
	return (void *)(id * 10);
}

static void *waiter(void *arg)
{
	pthread_mutex_lock(&lock);
	while (!release_detached)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return arg;
}

static void release_waiters(void)
{
	pthread_mutex_lock(&lock);
	release_detached = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static void test_workers(void)
{
	pthread_t t[NTHREADS];

	pthread_barrier_init(&barrier, NULL, NTHREADS);
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++) {
		void *ret;
		int r = pthread_join(t[i], &ret);

		printf("join %d: %s, value %ld\n", i, strerror(r), (long)ret);
	}
	printf("counter %d, once_fn ran %d time(s), serial threads %d over 3 rounds\n",
	       counter, once_calls, serial_count);
	printf("barrier_init(count 0): %s\n", strerror(pthread_barrier_init(&barrier, NULL, 0)));
	pthread_barrier_destroy(&barrier);
}

static void test_join_errors(void)
{
	pthread_attr_t attr;
	pthread_t det, later;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_create(&det, &attr, waiter, NULL);
	pthread_attr_destroy(&attr);
	/* both threads are parked on the condition: joining them is safe */
	printf("join detached thread: %s\n", strerror(pthread_join(det, NULL)));
	pthread_create(&later, NULL, waiter, NULL);
	printf("detach: %s\n", strerror(pthread_detach(later)));
	printf("join after detach: %s\n", strerror(pthread_join(later, NULL)));
	printf("detach twice: %s\n", strerror(pthread_detach(later)));
	printf("join self: %s\n", strerror(pthread_join(pthread_self(), NULL)));
	printf("equal(self, self): %d\n", pthread_equal(pthread_self(), pthread_self()));
	release_waiters();
}

static void *name_thread(void *arg)
{
	char name[16];

	pthread_setname_np(pthread_self(), "worker-a");
	pthread_getname_np(pthread_self(), name, sizeof(name));
	printf("thread name: %s\n", name);
	printf("getname(buf 8): %s\n", strerror(pthread_getname_np(pthread_self(), name, 8)));
	printf("setname(16 chars): %s\n",
	       strerror(pthread_setname_np(pthread_self(), "0123456789abcdef")));
	return NULL;
}

static void test_names(void)
{
	pthread_t t;

	pthread_create(&t, NULL, name_thread, NULL);
	pthread_join(t, NULL);
}

static pthread_mutex_t errchk = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static pthread_mutex_t recur = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

static void *other_locker(void *arg)
{
	struct timespec ts;

	printf("other: unlock errorcheck held by main: %s\n",
	       strerror(pthread_mutex_unlock(&errchk)));
	printf("other: trylock errorcheck: %s\n", strerror(pthread_mutex_trylock(&errchk)));
	printf("other: trylock recursive: %s\n", strerror(pthread_mutex_trylock(&recur)));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 50 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	printf("other: timedlock 50ms: %s\n", strerror(pthread_mutex_timedlock(&errchk, &ts)));
	ts.tv_nsec = 1000000000;
	printf("other: timedlock bad abstime: %s\n",
	       strerror(pthread_mutex_timedlock(&errchk, &ts)));
	return NULL;
}

static void test_mutex_kinds(void)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t m;
	pthread_t t;

	printf("errorcheck lock: %s\n", strerror(pthread_mutex_lock(&errchk)));
	printf("errorcheck relock: %s\n", strerror(pthread_mutex_lock(&errchk)));
	printf("errorcheck trylock by owner: %s\n", strerror(pthread_mutex_trylock(&errchk)));
	for (int i = 0; i < 3; i++)
		pthread_mutex_lock(&recur);
	pthread_create(&t, NULL, other_locker, NULL);
	pthread_join(t, NULL);
	for (int i = 0; i < 3; i++)
		pthread_mutex_unlock(&recur);
	printf("recursive unlock when free: %s\n", strerror(pthread_mutex_unlock(&recur)));
	printf("errorcheck unlock: %s\n", strerror(pthread_mutex_unlock(&errchk)));
	printf("errorcheck unlock again: %s\n", strerror(pthread_mutex_unlock(&errchk)));

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &attr);
	pthread_mutexattr_destroy(&attr);
	pthread_mutex_lock(&m);
	printf("attr errorcheck relock: %s\n", strerror(pthread_mutex_lock(&m)));
	printf("destroy locked: %s\n", strerror(pthread_mutex_destroy(&m)));
	pthread_mutex_unlock(&m);
	printf("destroy: %s\n", strerror(pthread_mutex_destroy(&m)));
	printf("plain trylock: %s\n", strerror(pthread_mutex_trylock(&lock)));
	printf("plain trylock again: %s\n", strerror(pthread_mutex_trylock(&lock)));
	pthread_mutex_unlock(&lock);
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

static void *rw_other(void *arg)
{
	printf("other: tryrdlock while read-held: %s\n", strerror(pthread_rwlock_tryrdlock(&rw)));
	printf("other: trywrlock while read-held: %s\n", strerror(pthread_rwlock_trywrlock(&rw)));
	pthread_rwlock_unlock(&rw);
	return NULL;
}

static void test_rwlock(void)
{
	pthread_t t;

	pthread_rwlock_rdlock(&rw);
	pthread_create(&t, NULL, rw_other, NULL);
	pthread_join(t, NULL);
	pthread_rwlock_unlock(&rw);
	printf("wrlock: %s\n", strerror(pthread_rwlock_wrlock(&rw)));
	printf("wrlock again: %s\n", strerror(pthread_rwlock_wrlock(&rw)));
	printf("rdlock while write-held: %s\n", strerror(pthread_rwlock_rdlock(&rw)));
	printf("unlock: %s\n", strerror(pthread_rwlock_unlock(&rw)));
}

static sem_t items, slots;
static int sem_buf[2], sem_sum;

static void *sem_producer(void *arg)
{
	for (int i = 1; i <= 100; i++) {
		sem_wait(&slots);
		sem_buf[i % 2] = i;
		sem_post(&items);
	}
	return NULL;
}

static void test_semaphores(void)
{
	struct timespec ts;
	pthread_t t;
	int v;

	sem_init(&items, 0, 0);
	sem_init(&slots, 0, 1);
	pthread_create(&t, NULL, sem_producer, NULL);
	for (int i = 1; i <= 100; i++) {
		sem_wait(&items);
		sem_sum += sem_buf[i % 2];
		sem_post(&slots);
	}
	pthread_join(t, NULL);
	sem_getvalue(&slots, &v);
	printf("semaphores: sum %d, slots value %d\n", sem_sum, v);
	v = sem_trywait(&items);
	printf("sem_trywait empty: %d %s\n", v, strerror(errno));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec = (ts.tv_nsec + 10000000) % 1000000000;
	if (ts.tv_nsec < 10000000)
		ts.tv_sec++;
	v = sem_timedwait(&items, &ts);
	printf("sem_timedwait 10ms: %d %s\n", v, strerror(errno));
	sem_destroy(&items);
	sem_destroy(&slots);
}

/* Never sem_init'ed: all zero, a semaphore of value 0 to glibc. */
static sem_t zeroed;

static void *zeroed_poster(void *arg)
{
	sem_post(&zeroed);
	return NULL;
}

static void test_zeroed_semaphore(void)
{
	struct timespec ts;
	pthread_t t;
	int v = -1, r;

	sem_getvalue(&zeroed, &v);
	r = sem_trywait(&zeroed);
	printf("zeroed sem_t: value %d, trywait %d %s\n", v, r, strerror(errno));
	pthread_create(&t, NULL, zeroed_poster, NULL);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 2;
	v = sem_timedwait(&zeroed, &ts);
	printf("zeroed sem_t: timedwait for a post %d\n", v);
	pthread_join(t, NULL);
	sem_getvalue(&zeroed, &v);
	printf("zeroed sem_t: value %d\n", v);
}

static pthread_key_t key;
static int destructed;

static void tsd_destructor(void *value)
{
	__atomic_fetch_add(&destructed, (int)(long)value, __ATOMIC_SEQ_CST);
}

static void *tsd_thread(void *arg)
{
	pthread_setspecific(key, arg);
	for (int i = 0; i < 3; i++)
		sched_yield();
	return pthread_getspecific(key);
}

static void test_keys(void)
{
	pthread_t t[3];
	long sum = 0;

	pthread_key_create(&key, tsd_destructor);
	pthread_setspecific(key, (void *)1000l);
	for (long i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, tsd_thread, (void *)(i + 1));
	for (int i = 0; i < 3; i++) {
		void *ret;

		pthread_join(t[i], &ret);
		sum = sum * 10 + (long)ret;
	}
	printf("thread-specific values %ld, main's %ld, destructors summed %d\n", sum,
	       (long)pthread_getspecific(key), destructed);
	pthread_key_delete(key);
}

static void *last_words(void *arg)
{
	usleep(20000);
	printf("detached thread outlives main's pthread_exit\n");
	return NULL;
}

int main(void)
{
	pthread_t t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_workers();
	test_join_errors();
	test_names();
	test_mutex_kinds();
	test_rwlock();
	test_semaphores();
	test_zeroed_semaphore();
	test_keys();
	pthread_create(&t, NULL, last_words, NULL);
	pthread_detach(t);
	pthread_exit(NULL);
}
