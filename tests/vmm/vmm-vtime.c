// SPDX-License-Identifier: MIT
/*
 * vmm-vtime: the guest's TSC and the VMM's clocks keep the same time
 * while a vCPU spins on RDTSC.
 *
 * Checks: phase 1, the guest reads the TSC and exits; the VMM starts a
 * thread that sleeps 20 ms (nanosleep) and then sets a flag in guest
 * memory, while the guest spins on RDTSC until it sees the flag (the
 * shape of xapic_ipi_test's sender): the spin ends, the VMM's
 * CLOCK_MONOTONIC across both KVM_RUNs saw at least 20 ms, and the
 * guest's TSC span (inside it) is not longer; phase 2, a 50 ms
 * udelay-style spin on RDTSC ends and the VMM's clock across that
 * KVM_RUN saw at least as much; phase 3, the guest reads an MMIO address
 * (each read an exit) until the VMM answers non-zero, which it does once
 * another thread's 20 ms nanosleep ended.  Natively (this host's PVM guest TSC
 * stops while the vCPU thread is descheduled, so it may fall behind the
 * VMM's clock by any amount) nothing more holds; under kvmsim the spins
 * end only if reading the clock (or one MMIO address) in a loop lets
 * virtual time pass and the sleeping thread run, and with VMM_VTIME_EXACT set the program also
 * prints the exact checks a deterministic clock meets: the guest saw the
 * whole 20 ms, and both spans agree within 100 us.
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
#define RES_GPA		0x20000
#define MMIO_GPA	0x1000000

#define SLEEP_MS	20
#define SPIN_MS		50
#define EXACT_US	100

extern const char guest_vtime_start[], guest_vtime_end[];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *sleeper(void *arg)
{
	volatile uint64_t *flag = arg;
	struct timespec ts = { 0, SLEEP_MS * 1000000L };

	nanosleep(&ts, NULL);
	*flag = 1;
	return NULL;
}

static const char *yes(int b)
{
	return b ? "yes" : "no";
}

static void run(struct vmm *v, const char *what)
{
	int r = ioctl(v->vcpu_fd, KVM_RUN, 0);

	printf("KVM_RUN (%s): %d %s exit %s", what, r, r ? errno_name(errno) : "",
	       exit_reason_name(v->run->exit_reason));
	if (v->run->exit_reason == KVM_EXIT_IO)
		printf(" port 0x%x", v->run->io.port);
	printf("\n");
}

/* guest TSC ticks to microseconds */
static uint64_t tsc_us(uint64_t ticks, uint64_t khz)
{
	return ticks * 1000 / khz;
}

int main(void)
{
	char *ram = vmm_alloc(RAM_SIZE);
	volatile uint64_t *res = (volatile uint64_t *)(ram + RES_GPA);
	/* VMM_VTIME_EXACT: the bounds a deterministic clock must meet */
	int exact = getenv("VMM_VTIME_EXACT") != NULL;
	uint64_t khz, t0, t1, guest_us, vmm_us, reads = 0;
	pthread_t thread;
	struct vmm v;

	printf("# vmm-vtime\n");
	vmm_open(&v);
	khz = xioctl(v.vcpu_fd, KVM_GET_TSC_KHZ, 0);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_vtime_start, guest_vtime_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	res[0] = khz * SPIN_MS;

	t0 = now_ns();
	run(&v, "first TSC read");
	if (pthread_create(&thread, NULL, sleeper, (void *)&res[1]))
		fatal("pthread_create failed");
	run(&v, "spin until a VMM thread's flag");
	t1 = now_ns();
	pthread_join(thread, NULL);
	guest_us = tsc_us(res[3] - res[2], khz);
	vmm_us = (t1 - t0) / 1000;
	printf("phase 1: VMM clock >= %d ms: %s, guest TSC not ahead of it: %s, "
	       "TSC read more than once: %s\n", SLEEP_MS, yes(vmm_us >= SLEEP_MS * 1000),
	       yes(guest_us <= vmm_us), yes(res[4] > 1));
	if (exact)
		printf("phase 1 exact: guest TSC >= %d ms: %s, within %d us of the VMM clock: %s\n",
		       SLEEP_MS, yes(guest_us >= SLEEP_MS * 1000), EXACT_US,
		       yes(vmm_us - guest_us < EXACT_US));

	t0 = now_ns();
	run(&v, "spin 50 ms on RDTSC");
	t1 = now_ns();
	guest_us = tsc_us(res[6] - res[5], khz);
	vmm_us = (t1 - t0) / 1000;
	printf("phase 2: guest TSC >= %d ms: %s, VMM clock not behind it: %s, "
	       "TSC read more than once: %s\n", SPIN_MS, yes(guest_us >= SPIN_MS * 1000),
	       yes(vmm_us >= guest_us), yes(res[7] > 1));
	if (exact)
		printf("phase 2 exact: within %d us of the VMM clock: %s, overshoot below %d us: %s\n",
		       EXACT_US, yes(vmm_us - guest_us < EXACT_US), EXACT_US,
		       yes(guest_us < SPIN_MS * 1000 + EXACT_US));

	/* phase 3: answer the guest's MMIO reads with the flag a sleeper sets */
	res[1] = 0;
	if (pthread_create(&thread, NULL, sleeper, (void *)&res[1]))
		fatal("pthread_create failed");
	t0 = now_ns();
	for (;;) {
		if (ioctl(v.vcpu_fd, KVM_RUN, 0))
			fatal("KVM_RUN: errno=%s", errno_name(errno));
		if (v.run->exit_reason != KVM_EXIT_MMIO || v.run->mmio.is_write ||
		    v.run->mmio.phys_addr != MMIO_GPA || v.run->mmio.len != 8)
			break;
		memcpy(v.run->mmio.data, (const void *)&res[1], 8);
		reads++;
	}
	t1 = now_ns();
	pthread_join(thread, NULL);
	printf("phase 3: exit %s", exit_reason_name(v.run->exit_reason));
	if (v.run->exit_reason == KVM_EXIT_IO)
		printf(" port 0x%x", v.run->io.port);
	printf(" after MMIO reads until a VMM thread's %d ms sleep ended: VMM clock >= %d ms: %s, "
	       "more than one read: %s\n", SLEEP_MS, SLEEP_MS,
	       yes((t1 - t0) / 1000 >= SLEEP_MS * 1000), yes(reads > 1));
	vmm_close(&v);
	return 0;
}
