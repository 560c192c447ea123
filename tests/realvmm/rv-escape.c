// SPDX-License-Identifier: MIT
/*
 * rv-escape: what must not escape the simulation.
 *   - a seccomp filter: natively installed; under kvmsim refused with
 *     EINVAL (as by a kernel without CONFIG_SECCOMP_FILTER) and a
 *     warning, because it would judge kvmsim's own calls too
 *     (expected/rv-escape.kvmsim.out);
 *   - gettid: each thread its own, the main thread's is the pid, and the
 *     raw syscall agrees with the libc call;
 *   - getrandom and syscall(SYS_getrandom) fill what was asked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

static pid_t tids[3];

static void *thread(void *arg)
{
	int i = (int)(long)arg;

	tids[i] = gettid();
	if (syscall(SYS_gettid) != tids[i])
		tids[i] = -1;
	return NULL;
}

int main(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };
	unsigned char buf[24];
	pthread_t t[2];
	int r;

	printf("main gettid is the pid: %s\n", gettid() == getpid() ? "yes" : "no");
	tids[0] = gettid();
	for (long i = 1; i <= 2; i++)
		pthread_create(&t[i - 1], NULL, thread, (void *)i);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("three threads, three tids: %s\n",
	       tids[1] > 0 && tids[2] > 0 && tids[0] != tids[1] && tids[1] != tids[2] &&
	       tids[0] != tids[2] ? "yes" : "no");
	printf("getrandom: %zd\n", getrandom(buf, sizeof(buf), 0));
	printf("syscall(SYS_getrandom): %ld\n", syscall(SYS_getrandom, buf, 5L, 0L));

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
	printf("seccomp filter: %s\n", r == 0 ? "installed" :
	       errno == EINVAL ? "refused (EINVAL)" : strerror(errno));
	printf("still running\n");
	return 0;
}
