// SPDX-License-Identifier: MIT
/*
 * vmm-quantum: a guest that runs for many scheduling quanta (kvmsim
 * stops its engine every --quantum blocks, 20,000 by default) in a loop
 * of two blocks, each counting in its own register, in code that also
 * holds a trapped instruction (hlt).  Every block runs exactly once per
 * iteration, so both counts are the iteration count.  (kvmsim used to
 * resume a stopped engine at a stale RIP: Unicorn does not write RIP
 * back at a stop requested from a block hook while code hooks exist, and
 * nothing in this loop writes it, so a stop before the second block
 * resumed at the first one and counted it once more.)
 *
 * Then the guest spins on cpuid, an exit the kernel handles, until a
 * VMM thread that sleeps 200 us first sets a flag in guest memory: the
 * quantum counts the blocks of every entry, so the vCPU still lets the
 * sleeper run.  (kvmsim counted each entry's blocks from zero: a guest
 * trapping every few blocks never ended a quantum, and the sleeper never
 * woke.)
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define ITERATIONS	200000

#define FLAG_GPA	0x9000

extern const char guest_quantum_start[], guest_quantum_end[], guest_trap_spin[];

static void *set_flag(void *ram)
{
	usleep(200);
	__atomic_store_n((int *)((char *)ram + FLAG_GPA), 1, __ATOMIC_RELEASE);
	return NULL;
}

int main(void)
{
	struct kvm_regs regs;
	pthread_t t;
	struct vmm v;
	char *ram;

	printf("# vmm-quantum\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_quantum_start, guest_quantum_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	vmm_get_regs(&v, &regs);
	regs.rcx = ITERATIONS;
	xioctl_named(v.vcpu_fd, KVM_SET_REGS, (unsigned long)&regs, "KVM_SET_REGS");
	for (int i = 0; i < 2; i++)
		if (vmm_run(&v) != KVM_EXIT_MMIO)
			fatal("expected a count on MMIO");
	if (vmm_run(&v) != KVM_EXIT_HLT)
		fatal("expected hlt");
	vmm_print_regs(&v);

	printf("# the guest spins on cpuid until a sleeping VMM thread sets a flag\n");
	vmm_set_regs(&v, CODE_GPA + (uint64_t)(guest_trap_spin - guest_quantum_start), STACK_TOP);
	if (pthread_create(&t, NULL, set_flag, ram))
		fatal("pthread_create");
	if (vmm_run(&v) != KVM_EXIT_MMIO)
		fatal("expected the report on MMIO");
	if (vmm_run(&v) != KVM_EXIT_HLT)
		fatal("expected hlt");
	pthread_join(t, NULL);
	vmm_close(&v);
	return 0;
}
