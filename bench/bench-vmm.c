// SPDX-License-Identifier: MIT
/*
 * bench-vmm: an ordinary VMM (libc and <linux/kvm.h> only, like
 * tests/vmm) for the benchmarks; run natively or under `kvmsim exec`.
 *
 *   bench-vmm exits N     guest does N `out` instructions: N+1 KVM_RUNs
 *   bench-vmm compute N   guest runs a 5-instruction loop N times, one exit
 *   bench-vmm memory N    guest runs a 7-instruction load/store loop N times
 *
 * It prints what it did; bench/run.sh times it from outside (the program
 * itself reads no clock, so under kvmsim it measures nothing virtual).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../tests/vmm/vmm-lib.h"

extern const char bench_exits_start[], bench_exits_end[];
extern const char bench_compute_start[], bench_compute_end[];
extern const char bench_memory_start[], bench_memory_end[];

#define RAM_SIZE	(4ul << 20)
#define CODE_GPA	0x8000
#define PT_GPA		0x1000
#define GDT_GPA		0x500
#define STACK_TOP	0x7000

/*
 * KVM_SET_GUEST_DEBUG armed where the loop never goes (what its hooks
 * cost): an execution breakpoint, a write watchpoint, or single-step
 * (a KVM_EXIT_DEBUG per instruction).
 */
static void set_guest_debug(struct vmm *v, const char *mode)
{
	struct kvm_guest_debug d;

	memset(&d, 0, sizeof(d));
	d.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
	d.arch.debugreg[0] = 0x300000;
	if (!strcmp(mode, "hwbp"))
		d.arch.debugreg[7] = 0x400 | 2;
	else if (!strcmp(mode, "watch"))
		d.arch.debugreg[7] = 0x400 | 2 | 0xd0000;
	else if (!strcmp(mode, "step"))
		d.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	else
		fatal("debug mode %s: hwbp, watch or step", mode);
	xioctl(v->vcpu_fd, KVM_SET_GUEST_DEBUG, &d);
}

int main(int argc, char **argv)
{
	struct vmm v;
	struct kvm_regs regs;
	unsigned long n, exits = 0;
	bool compute, memory;
	char *ram;

	if ((argc != 3 && argc != 4) || (strcmp(argv[1], "exits") && strcmp(argv[1], "compute") &&
					  strcmp(argv[1], "memory")))
		fatal("usage: %s exits|compute|memory N [hwbp|watch|step]", argv[0]);
	compute = !strcmp(argv[1], "compute");
	memory = !strcmp(argv[1], "memory");
	n = strtoul(argv[2], NULL, 0);
	if (!n)
		fatal("N must be > 0");
	vmm_open(&v);
	vmm_create_vm(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	if (compute)
		vmm_load(ram, CODE_GPA, bench_compute_start, bench_compute_end);
	else if (memory)
		vmm_load(ram, CODE_GPA, bench_memory_start, bench_memory_end);
	else
		vmm_load(ram, CODE_GPA, bench_exits_start, bench_exits_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	vmm_get_regs(&v, &regs);
	regs.rcx = n;
	xioctl(v.vcpu_fd, KVM_SET_REGS, &regs);
	if (argc == 4)
		set_guest_debug(&v, argv[3]);
	for (;;) {
		if (ioctl(v.vcpu_fd, KVM_RUN, 0) < 0)
			fatal("KVM_RUN failed");
		exits++;
		if (v.run->exit_reason == KVM_EXIT_HLT)
			break;
		if (v.run->exit_reason == KVM_EXIT_DEBUG)
			continue;
		if (v.run->exit_reason != KVM_EXIT_IO)
			fatal("unexpected exit %u", v.run->exit_reason);
	}
	vmm_get_regs(&v, &regs);
	printf("%s %lu: %lu exits, rax=%llx\n", argv[1], n, exits,
	       (unsigned long long)regs.rax);
	vmm_close(&v);
	return 0;
}
