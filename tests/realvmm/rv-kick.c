// SPDX-License-Identifier: MIT
/*
 * rv-kick: a VMM kicks its vCPU out of KVM_RUN with a signal, the way
 * every VMM pauses its vCPUs.  The guest spins forever (jmp .).
 *   1. SIGUSR1 unblocked, a handler installed: pthread_kill makes the
 *      vCPU thread's KVM_RUN fail with EINTR and exit reason
 *      KVM_EXIT_INTR (10); the handler ran in the vCPU thread.
 *   2. QEMU without immediate_exit: SIGUSR1 blocked in the thread but
 *      let through by KVM_SET_SIGNAL_MASK: the same EINTR exit, the
 *      handler does not run (blocked again outside KVM_RUN), and
 *      sigtimedwait takes the signal.
 *   3. immediate_exit = 1: KVM_RUN returns EINTR at once.
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#include "rv.h"

static struct rv_vm v;
static __thread int in_vcpu_thread;
static volatile int handled, handled_in_vcpu, ready;

static void on_kick(int sig)
{
	handled++;
	handled_in_vcpu = in_vcpu_thread;
}

static void run_once(const char *what)
{
	int r;

	ready = 1;
	r = ioctl(v.vcpu, KVM_RUN, 0);
	printf("%s: KVM_RUN %d %s, exit reason %u\n", what, r,
	       r < 0 && errno == EINTR ? "EINTR" : strerror(errno), v.run->exit_reason);
}

static void *vcpu_thread(void *arg)
{
	struct timespec zero = { 0, 0 };
	/* struct kvm_signal_mask: a u32 length, then the sigset at offset 4 */
	union {
		struct kvm_signal_mask hdr;
		unsigned char bytes[sizeof(struct kvm_signal_mask) + 8];
	} kmask;
	sigset_t set;

	in_vcpu_thread = 1;
	run_once("kick");
	printf("kick: handler ran %d time(s), in the vCPU thread: %s\n", handled,
	       handled_in_vcpu ? "yes" : "no");

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	pthread_sigmask(SIG_BLOCK, NULL, &set);
	sigdelset(&set, SIGUSR1);
	kmask.hdr.len = 8;
	memcpy(kmask.bytes + sizeof(kmask.hdr), &set, 8);
	if (ioctl(v.vcpu, KVM_SET_SIGNAL_MASK, &kmask) < 0)
		rv_die("KVM_SET_SIGNAL_MASK");
	kmask.hdr.len = 4;
	printf("KVM_SET_SIGNAL_MASK len 4: %s\n",
	       ioctl(v.vcpu, KVM_SET_SIGNAL_MASK, &kmask) < 0 && errno == EINVAL ?
	       "EINVAL" : "accepted");
	run_once("kick through KVM_SET_SIGNAL_MASK");
	printf("handler ran %d time(s)\n", handled);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	printf("sigtimedwait: %s\n",
	       sigtimedwait(&set, NULL, &zero) == SIGUSR1 ? "SIGUSR1 was pending" : "nothing");
	printf("sigtimedwait again: %s\n",
	       sigtimedwait(&set, NULL, &zero) == SIGUSR1 ? "SIGUSR1 was pending" : "nothing");

	v.run->immediate_exit = 1;
	{
		int r = ioctl(v.vcpu, KVM_RUN, 0);

		printf("immediate_exit: KVM_RUN %d %s\n", r,
		       r < 0 && errno == EINTR ? "EINTR" : strerror(errno));
	}
	return NULL;
}

static void kick(pthread_t t)
{
	while (!ready)
		usleep(1000);
	ready = 0;
	usleep(20000);	/* the guest spins meanwhile */
	pthread_kill(t, SIGUSR1);
}

int main(void)
{
	static const unsigned char code[] = { 0xeb, 0xfe };	/* jmp . */
	struct sigaction sa;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	sigaction(SIGUSR1, &sa, NULL);
	rv_create(&v, code, sizeof(code));
	pthread_create(&t, NULL, vcpu_thread, NULL);
	kick(t);
	kick(t);
	pthread_join(t, NULL);
	return 0;
}
