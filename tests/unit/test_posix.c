// SPDX-License-Identifier: MIT
/*
 * Unit tests for posix/: the model functions called directly (no
 * interposition: this binary's pthread_* and read/write are libc's).
 * Threads are posix_thread_create'd actors; assertions run on actor 0
 * from what the threads recorded, as in test_sim.c.
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "posix/posix.h"
#include "posix/simfd.h"
#include "sim/sim.h"

static char order[64];
static int norder;

static void fresh(uint64_t seed)
{
	sim_init(seed, "main");
	sim_reset(seed);
	posix_init();
	memset(order, 0, sizeof(order));
	norder = 0;
}

static void record(char c)
{
	order[norder++] = c;
}

/* ---- mutexes ---- */

static pthread_mutex_t mtx;

static void *locker(void *arg)
{
	record((char)(long)arg - 'a' + 'A');	/* no scheduling point until it sleeps */
	posix_mutex_lock(&mtx);
	record((char)(long)arg);
	posix_mutex_unlock(&mtx);
	return arg;
}

START_TEST(test_mutex_fifo)
{
	pthread_t t[3];

	for (uint64_t seed = 1; seed <= 10; seed++) {
		fresh(seed);
		pthread_mutex_init(&mtx, NULL);
		posix_mutex_init(&mtx);
		posix_mutex_lock(&mtx);
		for (long i = 0; i < 3; i++)
			posix_thread_create(&t[i], NULL, locker, (void *)('a' + i));
		/* let every thread block on the mutex, in creation order */
		for (int i = 0; i < 10; i++)
			posix_sched_yield();
		posix_mutex_unlock(&mtx);
		for (int i = 0; i < 3; i++) {
			void *ret;

			ck_assert_int_eq(posix_thread_join(t[i], &ret), 0);
			ck_assert_int_eq((long)ret, 'a' + i);
		}
		/* acquired in the order they went to sleep: FIFO */
		for (int i = 0; i < 3; i++)
			ck_assert_int_eq(order[3 + i], order[i] - 'A' + 'a');
		ck_assert_int_eq(posix_threads_alive(), 0);
	}
}
END_TEST

START_TEST(test_mutex_kinds)
{
	pthread_mutexattr_t attr;
	pthread_mutex_t m;

	fresh(1);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &attr);
	posix_mutex_init(&m);
	ck_assert_int_eq(posix_mutex_unlock(&m), EPERM);
	ck_assert_int_eq(posix_mutex_lock(&m), 0);
	ck_assert_int_eq(posix_mutex_lock(&m), EDEADLK);
	ck_assert_int_eq(posix_mutex_trylock(&m), EBUSY);
	ck_assert_int_eq(posix_mutex_destroy(&m), EBUSY);
	ck_assert_int_eq(posix_mutex_unlock(&m), 0);
	ck_assert_int_eq(posix_mutex_destroy(&m), 0);

	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m, &attr);
	posix_mutex_init(&m);
	ck_assert_int_eq(posix_mutex_lock(&m), 0);
	ck_assert_int_eq(posix_mutex_trylock(&m), 0);
	ck_assert_int_eq(posix_mutex_unlock(&m), 0);
	ck_assert_int_eq(posix_mutex_unlock(&m), 0);
	ck_assert_int_eq(posix_mutex_unlock(&m), EPERM);
	pthread_mutexattr_destroy(&attr);
}
END_TEST

START_TEST(test_mutex_timedlock_deadline)
{
	struct timespec abs;
	pthread_t t;

	fresh(2);
	pthread_mutex_init(&mtx, NULL);
	posix_mutex_init(&mtx);
	posix_mutex_lock(&mtx);
	posix_thread_create(&t, NULL, locker, (void *)'x');
	posix_clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_sec += 3;
	/* a normal mutex relocked by its owner waits: here until the deadline */
	ck_assert_int_eq(posix_mutex_timedlock(&mtx, CLOCK_MONOTONIC, &abs), ETIMEDOUT);
	ck_assert_uint_eq(sim_now(), 3000000000ull);
	abs.tv_nsec = -1;
	ck_assert_int_eq(posix_mutex_timedlock(&mtx, CLOCK_MONOTONIC, &abs), EINVAL);
	posix_mutex_unlock(&mtx);
	ck_assert_int_eq(posix_thread_join(t, NULL), 0);
	ck_assert_str_eq(order, "Xx");
}
END_TEST

/* ---- condition variables ---- */

static pthread_cond_t cv;
static int woken;

static void *cond_waiter(void *arg)
{
	posix_mutex_lock(&mtx);
	posix_cond_timedwait(&cv, &mtx, CLOCK_REALTIME, NULL);
	woken++;
	posix_mutex_unlock(&mtx);
	return NULL;
}

START_TEST(test_cond_signal_broadcast)
{
	pthread_t t[4];

	fresh(3);
	pthread_mutex_init(&mtx, NULL);
	posix_mutex_init(&mtx);
	pthread_cond_init(&cv, NULL);
	posix_cond_init(&cv);
	woken = 0;
	for (int i = 0; i < 4; i++)
		posix_thread_create(&t[i], NULL, cond_waiter, NULL);
	posix_sleep_until(sim_now() + 1000);	/* all four wait */
	posix_cond_signal(&cv);
	posix_sleep_until(sim_now() + 1000);
	ck_assert_int_eq(woken, 1);
	ck_assert_int_eq(posix_cond_destroy(&cv), EBUSY);
	posix_cond_broadcast(&cv);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(posix_thread_join(t[i], NULL), 0);
	ck_assert_int_eq(woken, 4);
	ck_assert_int_eq(posix_cond_destroy(&cv), 0);
}
END_TEST

START_TEST(test_cond_timedwait_exact)
{
	pthread_condattr_t attr;
	struct timespec abs;

	fresh(4);
	pthread_mutex_init(&mtx, NULL);
	posix_mutex_init(&mtx);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&cv, &attr);
	posix_cond_init(&cv);
	ck_assert_int_eq(posix_cond_clock(&cv), CLOCK_MONOTONIC);
	posix_mutex_lock(&mtx);
	abs = (struct timespec){ 7, 250 };
	ck_assert_int_eq(posix_cond_timedwait(&cv, &mtx, posix_cond_clock(&cv), &abs), ETIMEDOUT);
	ck_assert_uint_eq(sim_now(), 7000000250ull);
	/* the mutex is held again after a timeout */
	ck_assert_int_eq(posix_mutex_trylock(&mtx), EBUSY);
	posix_mutex_unlock(&mtx);
	pthread_cond_init(&cv, NULL);
	posix_cond_init(&cv);
	ck_assert_int_eq(posix_cond_clock(&cv), CLOCK_REALTIME);
	pthread_condattr_destroy(&attr);
}
END_TEST

/* ---- time ---- */

START_TEST(test_deadline)
{
	struct timespec ts;
	uint64_t d;

	fresh(5);
	ts = (struct timespec){ (time_t)POSIX_EPOCH_SEC + 1, 500000000 };
	ck_assert_int_eq(posix_deadline(CLOCK_REALTIME, &ts, true, &d), 0);
	ck_assert_uint_eq(d, 1500000000ull);
	ts = (struct timespec){ 100, 0 };	/* 1970: long past */
	ck_assert_int_eq(posix_deadline(CLOCK_REALTIME, &ts, true, &d), 0);
	ck_assert_uint_eq(d, 0);
	ck_assert_int_eq(posix_deadline(CLOCK_MONOTONIC, &ts, true, &d), 0);
	ck_assert_uint_eq(d, 100000000000ull);
	sim_advance(5);
	ts = (struct timespec){ 0, 10 };
	ck_assert_int_eq(posix_deadline(CLOCK_BOOTTIME, &ts, false, &d), 0);
	ck_assert_uint_eq(d, 15);
	ts.tv_nsec = 1000000000;
	ck_assert_int_eq(posix_deadline(CLOCK_MONOTONIC, &ts, false, &d), -EINVAL);
	ts = (struct timespec){ -1, 0 };
	ck_assert_int_eq(posix_deadline(CLOCK_MONOTONIC, &ts, false, &d), -EINVAL);
	ck_assert_int_eq(posix_deadline(12345, &ts, true, &d), -EINVAL);
	ck_assert_int_eq(posix_clock_gettime(CLOCK_REALTIME, &ts), 0);
	ck_assert_int_eq(ts.tv_sec, (time_t)POSIX_EPOCH_SEC);
	ck_assert_int_eq(ts.tv_nsec, 5);
}
END_TEST

/* ---- simulated files: notify counts ---- */

static uint32_t toy_ready;

static uint32_t toy_poll(struct simfd *f)
{
	return toy_ready;
}

static const struct simfd_ops toy_fops = { .name = "toy", .poll = toy_poll };

static int toy_fd, eps[3], returned;

static void *toy_poller(void *arg)
{
	struct pollfd p = { .fd = toy_fd, .events = POLLIN };

	if (posix_poll(&p, 1, 5000000000ull) == 1)
		returned++;
	return NULL;
}

static void *toy_epoller(void *arg)
{
	struct epoll_event ev;

	if (posix_epoll_wait(eps[(long)arg], &ev, 1, 5000000000ull) == 1)
		returned++;
	return NULL;
}

static int toy_herd(void *(*fn)(void *), uint32_t events)
{
	pthread_t t[3];
	int n;

	toy_ready = 0;
	returned = 0;
	toy_fd = simfd_install(&toy_fops, NULL, O_CLOEXEC);
	ck_assert_int_ge(toy_fd, 0);
	for (long i = 0; i < 3; i++) {
		struct epoll_event ev = { .events = events };

		eps[i] = posix_epoll_create1(0);
		ck_assert_int_eq(posix_epoll_ctl(eps[i], EPOLL_CTL_ADD, toy_fd, &ev), 0);
		posix_thread_create(&t[i], NULL, fn, (void *)i);
	}
	posix_sleep_until(sim_now() + 1000);	/* all three asleep */
	/* nobody waits for EPOLLOUT */
	ck_assert_int_eq(simfd_notify(simfd_get(toy_fd), EPOLLOUT), 0);
	toy_ready = EPOLLIN;
	n = simfd_notify(simfd_get(toy_fd), EPOLLIN);
	toy_ready = 0;	/* consumed before anyone runs: the others sleep on */
	for (int i = 0; i < 3; i++)
		posix_thread_join(t[i], NULL);
	for (int i = 0; i < 3; i++) {
		posix_fd_close(eps[i]);
		close(eps[i]);
	}
	posix_fd_close(toy_fd);
	close(toy_fd);
	return n;
}

START_TEST(test_notify_counts)
{
	fresh(6);
	ck_assert_int_eq(toy_herd(toy_poller, 0), 3);
	ck_assert_int_eq(returned, 0);
	ck_assert_int_eq(toy_herd(toy_epoller, EPOLLIN), 3);
	ck_assert_int_eq(toy_herd(toy_epoller, EPOLLIN | EPOLLEXCLUSIVE), 1);
}
END_TEST

START_TEST(test_eventfd_rules)
{
	uint64_t v = 0;
	int fd, sem;

	fresh(7);
	fd = posix_eventfd(0, EFD_NONBLOCK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(posix_read(fd, &v, 8), -EAGAIN);
	ck_assert_int_eq(posix_read(fd, &v, 7), -EINVAL);
	v = 5;
	ck_assert_int_eq(posix_write(fd, &v, 8), 8);
	ck_assert_int_eq(posix_read(fd, &v, 8), 8);
	ck_assert_uint_eq(v, 5);
	ck_assert_int_eq(posix_fd_getfl(fd), O_RDWR | O_NONBLOCK);
	sem = posix_eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
	ck_assert_int_eq(posix_read(sem, &v, 8), 8);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(posix_read(sem, &v, 8), 8);
	ck_assert_int_eq(posix_read(sem, &v, 8), -EAGAIN);
	ck_assert_int_eq(posix_eventfd(0, 0x4000000), -EINVAL);
	posix_fd_close(fd);
	close(fd);
	posix_fd_close(sem);
	close(sem);
	ck_assert_int_eq(posix_read(fd, &v, 8), -EBADF);
}
END_TEST

static void *pipe_reader(void *arg)
{
	int fd = *(int *)arg;
	char c;

	while (posix_read(fd, &c, 1) == 1)
		record(c);
	return NULL;
}

START_TEST(test_pipe_blocking)
{
	pthread_t t;
	int p[2];

	fresh(8);
	ck_assert_int_eq(posix_pipe2(p, 0), 0);
	posix_thread_create(&t, NULL, pipe_reader, &p[0]);
	ck_assert_int_eq(posix_write(p[1], "hello", 5), 5);
	posix_fd_close(p[1]);	/* EOF ends the reader */
	close(p[1]);
	ck_assert_int_eq(posix_thread_join(t, NULL), 0);
	ck_assert_str_eq(order, "hello");
	posix_fd_close(p[0]);
	close(p[0]);
}
END_TEST

/* ---- rwlocks, spinlocks, once ---- */

static pthread_rwlock_t rw;

static void *rw_reader(void *arg)
{
	posix_rwlock_rdlock(&rw, CLOCK_REALTIME, NULL);
	record('r');
	posix_rwlock_unlock(&rw);
	return NULL;
}

static void *rw_writer(void *arg)
{
	posix_rwlock_wrlock(&rw, CLOCK_REALTIME, NULL);
	record('w');
	posix_sleep_until(sim_now() + 1000);	/* readers queue meanwhile */
	record('W');
	posix_rwlock_unlock(&rw);
	return NULL;
}

START_TEST(test_rwlock_writer_excludes_readers)
{
	pthread_t w, r[2];
	struct timespec abs = { 0, 500 };

	fresh(10);
	pthread_rwlock_init(&rw, NULL);
	posix_rwlock_init(&rw);
	posix_thread_create(&w, NULL, rw_writer, NULL);
	posix_sleep_until(sim_now() + 10);	/* the writer holds it */
	for (int i = 0; i < 2; i++)
		posix_thread_create(&r[i], NULL, rw_reader, NULL);
	ck_assert_int_eq(posix_rwlock_tryrdlock(&rw), EBUSY);
	ck_assert_int_eq(posix_rwlock_wrlock(&rw, CLOCK_MONOTONIC, &abs), ETIMEDOUT);
	ck_assert_uint_eq(sim_now(), 500);
	posix_thread_join(w, NULL);
	for (int i = 0; i < 2; i++)
		posix_thread_join(r[i], NULL);
	ck_assert_str_eq(order, "wWrr");
	ck_assert_int_eq(posix_rwlock_unlock(&rw), EPERM);
}
END_TEST

static pthread_spinlock_t spin;
static pthread_once_t once_ctl;
static int once_runs;

static void once_fn(void)
{
	once_runs++;
	posix_sleep_until(sim_now() + 500);	/* others arrive while in progress */
}

static void *spinner(void *arg)
{
	posix_once(&once_ctl, once_fn);
	record(once_runs ? 'o' : '?');
	posix_spin_lock(&spin);
	record('s');
	posix_sleep_until(sim_now() + 100);	/* holder sleeps: others must not spin */
	posix_spin_unlock(&spin);
	return NULL;
}

START_TEST(test_spin_once)
{
	pthread_t t[3];

	fresh(11);
	ck_assert_int_eq(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE), 0);	/* glibc's encoding */
	once_ctl = PTHREAD_ONCE_INIT;
	once_runs = 0;
	for (int i = 0; i < 3; i++)
		posix_thread_create(&t[i], NULL, spinner, NULL);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(posix_thread_join(t[i], NULL), 0);
	ck_assert_int_eq(once_runs, 1);
	/* every thread saw once done; the spinlock holders ran one at a time */
	ck_assert_int_eq(strspn(order, "os"), 6);
	ck_assert_ptr_null(strchr(order, '?'));
	ck_assert_uint_eq(sim_now(), 800);
}
END_TEST

static void *exiter(void *arg)
{
	posix_thread_exit((void *)42);
}

START_TEST(test_thread_errors)
{
	pthread_t t;
	void *ret;

	fresh(9);
	ck_assert_int_eq(posix_thread_join(posix_thread_self(), NULL), EDEADLK);
	posix_thread_create(&t, NULL, exiter, NULL);
	ck_assert_int_eq(posix_thread_join(t, &ret), 0);
	ck_assert_ptr_eq(ret, (void *)42);
	ck_assert_int_eq(posix_thread_join(t, NULL), ESRCH);
	posix_thread_create(&t, NULL, cond_waiter, NULL);
	ck_assert_int_eq(posix_thread_tryjoin(t, NULL), EBUSY);
	ck_assert_int_eq(posix_thread_detach(t), 0);
	ck_assert_int_eq(posix_thread_join(t, NULL), EINVAL);
	/* it sleeps on the cond forever: the next test's sim_reset drops it */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("posix");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_mutex_fifo);
	tcase_add_test(tc, test_mutex_kinds);
	tcase_add_test(tc, test_mutex_timedlock_deadline);
	tcase_add_test(tc, test_cond_signal_broadcast);
	tcase_add_test(tc, test_cond_timedwait_exact);
	tcase_add_test(tc, test_deadline);
	tcase_add_test(tc, test_notify_counts);
	tcase_add_test(tc, test_eventfd_rules);
	tcase_add_test(tc, test_pipe_blocking);
	tcase_add_test(tc, test_rwlock_writer_excludes_readers);
	tcase_add_test(tc, test_spin_once);
	tcase_add_test(tc, test_thread_errors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
