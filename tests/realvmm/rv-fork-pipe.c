// SPDX-License-Identifier: MIT
/*
 * rv-fork-pipe: fork from a threaded program, pipes between parent and
 * child (as `qemu -daemonize` does).  The parent has a worker thread
 * that answers pings and a VM; it forks.  The child has only the
 * calling thread (the worker no longer answers), its ioctls on the
 * parent's VM and vCPU fail with EIO, it reads the parent's message
 * from one pipe and answers on another: 200,000 bytes (more than a pipe
 * holds, so the writer waits for the reader) written by a thread the
 * child makes, then a line.  The parent prints what arrived, the
 * child's exit status, and that its worker and VM still work.  Then a
 * created thread forks: in that child it is the main thread (its tid is
 * the pid), and returning from its start routine ends the process with
 * status 0.
 */
#include <pthread.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "rv.h"

#define BULK	200000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int pings, pongs;
static bool stop;

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	while (!stop) {
		if (pongs < pings) {
			pongs = pings;
			pthread_cond_broadcast(&cond);
		}
		pthread_cond_wait(&cond, &lock);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

/* Ping the worker; does it answer within 100 ms? */
static bool ping(void)
{
	struct timespec ts;
	bool answered;
	int want;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&lock);
	want = ++pings;
	pthread_cond_broadcast(&cond);
	while (pongs < want)
		if (pthread_cond_timedwait(&cond, &lock, &ts))
			break;
	answered = pongs >= want;
	pthread_mutex_unlock(&lock);
	return answered;
}

static const char *res(int r)
{
	return r >= 0 ? "ok" : errno == EIO ? "EIO" : strerror(errno);
}

static void write_all(int fd, const void *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w <= 0)
			rv_die("write");
		buf = (const char *)buf + w;
		n -= (size_t)w;
	}
}

static int out_fd;

static void *bulk_writer(void *arg)
{
	static char bulk[BULK];

	(void)arg;
	for (int i = 0; i < BULK; i++)
		bulk[i] = (char)('a' + i % 26);
	write_all(out_fd, bulk, BULK);
	return NULL;
}

static void child(struct rv_vm *v, int in, int out)
{
	char msg[64] = { 0 }, line[256];
	pthread_t t;
	ssize_t n;
	int len;

	n = read(in, msg, sizeof(msg) - 1);
	out_fd = out;
	pthread_create(&t, NULL, bulk_writer, NULL);
	pthread_join(t, NULL);
	len = snprintf(line, sizeof(line),
		       "child: read %zd bytes: %s\n"
		       "child: the parent's worker thread answers: %s\n"
		       "child: VM KVM_CHECK_EXTENSION: %s\n"
		       "child: vCPU KVM_RUN: %s\n",
		       n, msg, ping() ? "yes" : "no",
		       res(ioctl(v->vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY)),
		       res(ioctl(v->vcpu, KVM_RUN, 0)));
	write_all(out, line, (size_t)len);
	exit(0);
}

static int thread_pipe[2];
static pid_t thread_child;

static void *forking_thread(void *arg)
{
	(void)arg;
	thread_child = fork();
	if (thread_child == 0) {
		char line[64];
		int len = snprintf(line, sizeof(line), "thread's child: tid is the pid: %s\n",
				   syscall(SYS_gettid) == getpid() ? "yes" : "no");

		write_all(thread_pipe[1], line, (size_t)len);
	}
	return NULL;
}

/* A created thread forks; its child's only thread ends by returning. */
static void fork_from_thread(void)
{
	char line[64] = { 0 };
	pthread_t t;
	int status;

	if (pipe(thread_pipe))
		rv_die("pipe");
	pthread_create(&t, NULL, forking_thread, NULL);
	pthread_join(t, NULL);
	close(thread_pipe[1]);
	if (read(thread_pipe[0], line, sizeof(line) - 1) < 0)
		rv_die("read");
	fputs(line, stdout);
	waitpid(thread_child, &status, 0);
	printf("parent: thread's child exited %d\n",
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(void)
{
	static const unsigned char code[] = { 0xf4 };	/* hlt */
	static char buf[BULK + 1024];
	int to_child[2], to_parent[2], status, bad = 0;
	size_t got = 0;
	struct rv_vm v;
	pthread_t t;
	ssize_t n;
	pid_t pid;

	rv_create(&v, code, sizeof(code));
	if (pipe(to_child) || pipe(to_parent))
		rv_die("pipe");
	pthread_create(&t, NULL, worker, NULL);
	printf("parent: worker answers before fork: %s\n", ping() ? "yes" : "no");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		rv_die("fork");
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		child(&v, to_child[0], to_parent[1]);
	}
	close(to_child[0]);
	close(to_parent[1]);
	write_all(to_child[1], "hello child", 11);
	close(to_child[1]);
	while ((n = read(to_parent[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	if (n < 0)
		rv_die("read");
	for (int i = 0; i < BULK && i < (int)got; i++)
		bad += buf[i] != (char)('a' + i % 26);
	printf("parent: %zu bytes from the child, %d of the first %d wrong\n",
	       got, bad, BULK);
	buf[got] = 0;
	if (got > BULK)
		fputs(buf + BULK, stdout);
	waitpid(pid, &status, 0);
	printf("parent: child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	printf("parent: worker answers after fork: %s\n", ping() ? "yes" : "no");
	status = ioctl(v.vcpu, KVM_RUN, 0);
	printf("parent: KVM_RUN: %s, exit reason %u\n", res(status), v.run->exit_reason);
	pthread_mutex_lock(&lock);
	stop = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(t, NULL);
	fflush(stdout);
	fork_from_thread();
	return 0;
}
