// SPDX-License-Identifier: MIT
/*
 * rv-tls: every thread has its own thread-local storage.  Three threads
 * each check that they start from the initial values (the executable's
 * __thread variables, a dlopened module's dynamic TLS, errno 0), set
 * their own, yield and sleep while the others do the same, and check
 * nothing of theirs changed.  The main thread's values are checked last.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 3

static __thread int counter = 5;
static __thread char tag[16] = "initial";
static int *(*module_slot)(void);
static char report[NTHREADS + 1][160];

static void *worker(void *arg)
{
	int id = (int)(long)arg, *slot = module_slot();
	char *r = report[id];
	int n;

	n = snprintf(r, 160, "thread %d starts: counter %d tag %s module %d errno %d;",
		     id, counter, tag, *slot, errno);
	counter = 100 * id;
	snprintf(tag, sizeof(tag), "t%d", id);
	*slot = 1000 + id;
	errno = id;
	for (int i = 0; i < 3; i++) {
		sched_yield();
		usleep(1000);
		errno = id;	/* usleep may set it; what others do may not */
		sched_yield();
	}
	snprintf(r + n, 160 - n, " ends: counter %d tag %s module %d errno %d",
		 counter, tag, *slot, errno);
	return NULL;
}

static void load_module(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 32);
	void *h;

	if (n <= 0)
		return;
	path[n] = 0;
	strcpy(strrchr(path, '/') + 1, "librv-tlsmod.so");
	h = dlopen(path, RTLD_NOW);
	if (!h) {
		printf("fatal: dlopen: %s\n", dlerror());
		_exit(1);
	}
	module_slot = (int *(*)(void))dlsym(h, "rv_tlsmod_slot");
}

int main(void)
{
	pthread_t t[NTHREADS];

	load_module();
	counter = 1;
	strcpy(tag, "main");
	*module_slot() = 11;
	for (long i = 1; i <= NTHREADS; i++)
		pthread_create(&t[i - 1], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 1; i <= NTHREADS; i++)
		printf("%s\n", report[i]);
	printf("main: counter %d tag %s module %d\n", counter, tag, *module_slot());
	return 0;
}
