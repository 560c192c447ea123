// SPDX-License-Identifier: MIT
/*
 * rv-futex: raw futex(2) through syscall(), as QEMU's QemuEvent and
 * hand-made locks use it.  A waiter sleeps on a word until a waker
 * changes it and wakes it; then the errors and timeouts Linux gives:
 * EAGAIN on a changed word, ETIMEDOUT after a relative (FUTEX_WAIT) and
 * an absolute (FUTEX_WAIT_BITSET) timeout, EINVAL for a zero bitset,
 * EAGAIN from FUTEX_CMP_REQUEUE on a changed word, 0 woken on an empty
 * futex.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint32_t word, rounds_seen;

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts,
		  uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static const char *res(long r)
{
	static char buf[32];

	if (r >= 0) {
		snprintf(buf, sizeof(buf), "%ld", r);
		return buf;
	}
	return errno == EAGAIN ? "EAGAIN" : errno == ETIMEDOUT ? "ETIMEDOUT" :
	       errno == EINVAL ? "EINVAL" : strerror(errno);
}

/* Waits for word to reach 1, 2, 3 in turn. */
static void *waiter(void *arg)
{
	for (uint32_t want = 1; want <= 3; want++) {
		uint32_t v;

		while ((v = __atomic_load_n(&word, __ATOMIC_ACQUIRE)) < want)
			futex(&word, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
		__atomic_store_n(&rounds_seen, want, __ATOMIC_RELEASE);
		futex(&rounds_seen, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	}
	return NULL;
}

int main(void)
{
	struct timespec rel = { 0, 5 * 1000 * 1000 }, abs;
	uint32_t other = 7;
	pthread_t t;

	pthread_create(&t, NULL, waiter, NULL);
	for (uint32_t round = 1; round <= 3; round++) {
		uint32_t v;

		usleep(2000);
		__atomic_store_n(&word, round, __ATOMIC_RELEASE);
		futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		while ((v = __atomic_load_n(&rounds_seen, __ATOMIC_ACQUIRE)) < round)
			futex(&rounds_seen, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
		printf("round %u: the waiter saw it\n", round);
	}
	pthread_join(t, NULL);

	printf("WAIT on a changed word: %s\n", res(futex(&other, FUTEX_WAIT, 6, NULL, NULL, 0)));
	printf("WAIT 5 ms: %s\n", res(futex(&other, FUTEX_WAIT_PRIVATE, 7, &rel, NULL, 0)));
	clock_gettime(CLOCK_MONOTONIC, &abs);
	abs.tv_nsec += 3 * 1000 * 1000;
	if (abs.tv_nsec >= 1000000000) {
		abs.tv_sec++;
		abs.tv_nsec -= 1000000000;
	}
	printf("WAIT_BITSET until +3 ms: %s\n",
	       res(futex(&other, FUTEX_WAIT_BITSET_PRIVATE, 7, &abs, NULL, 1)));
	printf("WAIT_BITSET bitset 0: %s\n",
	       res(futex(&other, FUTEX_WAIT_BITSET_PRIVATE, 7, &abs, NULL, 0)));
	printf("CMP_REQUEUE on a changed word: %s\n",
	       res(futex(&other, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1L, &word, 8)));
	printf("CMP_REQUEUE, nobody waits: %s\n",
	       res(futex(&other, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1L, &word, 7)));
	printf("WAKE, nobody waits: %s\n", res(futex(&other, FUTEX_WAKE, 1, NULL, NULL, 0)));
	printf("WAKE_BITSET, nobody waits: %s\n",
	       res(futex(&other, FUTEX_WAKE_BITSET, 1, NULL, NULL, 2)));
	return 0;
}
