// SPDX-License-Identifier: MIT
/*
 * vmm-run-poll: a thread that loops on KVM_RUN and the clock, as
 * sync_regs_test's race subtests do (`for (t = time(NULL) + 2;
 * time(NULL) < t;) vcpu_run()`), while another thread spins with
 * pthread_testcancel in its loop.
 *
 * Checks: the guest reads a port in a loop (each read an exit); the VMM
 * runs it until CLOCK_MONOTONIC, then time(), say LOOP_MS / the next
 * second passed: both loops end, the guest's read count equals the exits
 * the VMM saw (no exit lost or doubled), the racer ran meanwhile, and
 * pthread_cancel ends it (PTHREAD_CANCELED).  Under kvmsim the loops end
 * only if a KVM_RUN whose vCPU never waited is no wait for the
 * clock-polling rule (in Linux the thread runs the guest itself): the
 * guest's few instructions per exit alone would take ~10^8 exits to
 * move the clock by a second.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000

#define LOOP_MS		100

extern const char guest_run_poll_start[], guest_run_poll_end[];

static volatile unsigned long racer_loops;

static void *racer(void *arg)
{
	(void)arg;
	for (;;) {
		racer_loops++;
		pthread_testcancel();
	}
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *yes(int b)
{
	return b ? "yes" : "no";
}

/* one KVM_RUN that must end with the guest's IN from port 0x10 */
static void run_in(struct vmm *v)
{
	if (ioctl(v->vcpu_fd, KVM_RUN, 0))
		fatal("KVM_RUN: errno=%s", errno_name(errno));
	if (v->run->exit_reason != KVM_EXIT_IO || v->run->io.port != 0x10 ||
	    v->run->io.direction != KVM_EXIT_IO_IN)
		fatal("unexpected exit %s", exit_reason_name(v->run->exit_reason));
}

static void check_count(struct vmm *v, const char *what, uint64_t exits)
{
	struct kvm_regs regs;

	vmm_get_regs(v, &regs);
	/* the last IN is not complete yet: RBX counts the ones before it */
	printf("%s: ended: yes, more than 16 exits: %s, guest reads == exits: %s\n",
	       what, yes(exits > 16), yes(regs.rbx + 1 == exits));
}

int main(void)
{
	char *ram = vmm_alloc(RAM_SIZE);
	uint64_t exits = 0, end;
	pthread_t thread;
	struct vmm v;
	void *ret;
	time_t t;

	printf("# vmm-run-poll\n");
	vmm_open(&v);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_run_poll_start, guest_run_poll_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	if (pthread_create(&thread, NULL, racer, NULL))
		fatal("pthread_create failed");
	for (end = now_ns() + LOOP_MS * 1000000ull; now_ns() < end; exits++)
		run_in(&v);
	check_count(&v, "KVM_RUN until CLOCK_MONOTONIC is 100 ms later", exits);
	for (t = time(NULL) + 1; time(NULL) < t; exits++)
		run_in(&v);
	check_count(&v, "KVM_RUN until time() is the next second", exits);
	printf("racer ran: %s, ", yes(racer_loops > 0));
	printf("pthread_cancel: %d, ", pthread_cancel(thread));
	printf("pthread_join: %d, ", pthread_join(thread, &ret));
	printf("PTHREAD_CANCELED: %s\n", yes(ret == PTHREAD_CANCELED));
	vmm_close(&v);
	return 0;
}
