// SPDX-License-Identifier: MIT
/*
 * rv-signal: thread-directed signals.
 *   1. pthread_kill(worker, SIGUSR1): the handler runs in the worker (it
 *      records its own thread-local id), not in the sender.
 *   2. per-thread masks: the worker blocks SIGUSR2, the main thread does
 *      not; a SIGUSR2 to the worker stays pending until it unblocks it,
 *      then its handler runs there.
 *   3. sigwait: a thread blocks SIGTERM and waits for it in sigwait; the
 *      main thread's pthread_kill wakes it with SIGTERM; sigtimedwait on a
 *      signal nobody sends times out (EAGAIN).
 *   4. signalfd: the main thread blocks SIGUSR2 and reads it from a
 *      signalfd after sending it to itself; poll sees it first.
 */
#include <poll.h>
#include <sys/signalfd.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static __thread int my_id;
static volatile int usr1_in, usr2_in, usr2_done;
static volatile int phase;

static void on_usr1(int sig)
{
	usr1_in = my_id;
}

static void on_usr2(int sig)
{
	usr2_in = my_id;
}

static void *worker(void *arg)
{
	sigset_t set;

	my_id = 2;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	phase = 1;
	while (!usr1_in)
		usleep(1000);
	while (phase < 2)
		usleep(1000);
	/* SIGUSR2 was sent while blocked: still pending, not handled */
	printf("worker: SIGUSR2 handled while blocked: %s\n", usr2_in ? "yes" : "no");
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	usr2_done = 1;
	return NULL;
}

static void *waiter(void *arg)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	phase = 3;
	if (sigwait(&set, &sig) == 0)
		printf("waiter: sigwait returned %s\n", sig == SIGTERM ? "SIGTERM" : "another signal");
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (sigtimedwait(&set, NULL, &ts) < 0)
		printf("waiter: sigtimedwait 10 ms: %s\n", errno == EAGAIN ? "EAGAIN" : strerror(errno));
	return NULL;
}

int main(void)
{
	struct sigaction sa;
	pthread_t w, s;
	sigset_t set;

	my_id = 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);

	pthread_create(&w, NULL, worker, NULL);
	while (phase < 1)
		usleep(1000);
	pthread_kill(w, SIGUSR1);
	while (!usr1_in)
		usleep(1000);
	printf("SIGUSR1 handled in thread %d (the worker is 2)\n", usr1_in);
	pthread_kill(w, SIGUSR2);
	usleep(5000);
	phase = 2;
	while (!usr2_done)
		usleep(1000);
	usleep(5000);
	printf("SIGUSR2 handled in thread %d after the worker unblocked it\n", usr2_in);
	pthread_join(w, NULL);

	/* the main thread's own mask is its own */
	pthread_sigmask(SIG_BLOCK, NULL, &set);
	printf("main: SIGUSR2 blocked here: %s\n", sigismember(&set, SIGUSR2) ? "yes" : "no");

	pthread_create(&s, NULL, waiter, NULL);
	while (phase < 3)
		usleep(1000);
	usleep(5000);
	pthread_kill(s, SIGTERM);
	pthread_join(s, NULL);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	{
		int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
		struct pollfd pfd = { .fd = sfd, .events = POLLIN };
		struct signalfd_siginfo si;
		int ready;

		ready = poll(&pfd, 1, 0);
		printf("signalfd: poll before %d", ready);
		pthread_kill(pthread_self(), SIGUSR2);
		ready = poll(&pfd, 1, 0);
		printf(", after %d; ", ready);
		if (read(sfd, &si, sizeof(si)) == sizeof(si))
			printf("read %s, code %s\n", si.ssi_signo == SIGUSR2 ? "SIGUSR2" : "?",
			       si.ssi_code == SI_TKILL ? "SI_TKILL" : "?");
		printf("signalfd empty again: %s\n",
		       read(sfd, &si, sizeof(si)) < 0 && errno == EAGAIN ? "EAGAIN" : "no");
		close(sfd);
	}
	return 0;
}
