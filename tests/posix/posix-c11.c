// SPDX-License-Identifier: MIT
/*
 * C11 <threads.h>: glibc builds it from internal pthread calls, so
 * kvmsim interposes it separately.  Same output natively and under
 * kvmsim.
 */
#include <stdio.h>
#include <threads.h>
#include <time.h>

static mtx_t lock, recur;
static cnd_t cond;
static once_flag once = ONCE_FLAG_INIT;
static tss_t key;
static int counter, once_calls, ready, tss_freed;

static void once_fn(void)
{
	once_calls++;
}

static void tss_free(void *v)
{
	tss_freed++;
}

static int worker(void *arg)
{
	int id = (int)(long)arg;

	call_once(&once, once_fn);
	tss_set(key, arg);
	for (int i = 0; i < 100; i++) {
		mtx_lock(&lock);
		counter++;
		mtx_unlock(&lock);
		thrd_yield();
	}
	return id * 100 + (int)(long)tss_get(key);
}

static int waiter(void *arg)
{
	mtx_lock(&lock);
	while (!ready)
		cnd_wait(&cond, &lock);
	mtx_unlock(&lock);
	return 7;
}

static int timed_locker(void *arg)
{
	struct timespec ts;

	timespec_get(&ts, TIME_UTC);
	ts.tv_nsec += 20000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return mtx_timedlock(&lock, &ts) == thrd_timedout ? 1 : 0;
}

int main(void)
{
	thrd_t t[3], w;
	int res, sum = 0;

	mtx_init(&lock, mtx_plain | mtx_timed);
	mtx_init(&recur, mtx_recursive);
	cnd_init(&cond);
	tss_create(&key, tss_free);
	for (long i = 0; i < 3; i++)
		thrd_create(&t[i], worker, (void *)(i + 1));
	for (int i = 0; i < 3; i++) {
		thrd_join(t[i], &res);
		sum = sum * 1000 + res;
	}
	printf("results %d, counter %d, call_once ran %d, tss destructors %d\n", sum, counter,
	       once_calls, tss_freed);
	thrd_create(&w, waiter, NULL);
	thrd_sleep(&(struct timespec){ 0, 10000000 }, NULL);
	mtx_lock(&lock);
	ready = 1;
	cnd_signal(&cond);
	mtx_unlock(&lock);
	thrd_join(w, &res);
	printf("waiter returned %d\n", res);
	printf("recursive: %d %d", mtx_lock(&recur) == thrd_success, mtx_trylock(&recur) == thrd_success);
	mtx_unlock(&recur);
	mtx_unlock(&recur);
	printf(", plain trylock twice: %d", mtx_trylock(&lock) == thrd_success);
	printf(" %d\n", mtx_trylock(&lock) == thrd_busy);
	thrd_create(&w, timed_locker, NULL);
	thrd_join(w, &res);
	printf("timedlock on a held mutex timed out: %d\n", res);
	mtx_unlock(&lock);
	printf("thrd_equal(current, current): %d\n", thrd_equal(thrd_current(), thrd_current()));
	tss_delete(key);
	cnd_destroy(&cond);
	mtx_destroy(&recur);
	mtx_destroy(&lock);
	return 0;
}
