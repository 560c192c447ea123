// SPDX-License-Identifier: MIT
/*
 * vmm-exceptions: guest exception delivery in long mode.
 *
 * Checks, with an IDT of 64-bit interrupt gates built by the VMM:
 * #UD (ud2, a fault: saved RIP at the instruction, handler skips it),
 * #GP(0) from rdmsr of an MSR that does not exist (a fault too: the
 * saved RIP is the rdmsr's, not past it, although KVM intercepts it)
 * and #PF on a not-present 2 MiB page (error code, CR2; the handler maps the page, invlpg, and the
 * faulting store is retried) are all delivered to the guest's own
 * handlers, which report the exception frame over port I/O.  (No int3:
 * the kvm_pvm oracle answers it with KVM_EXIT_INTERNAL_ERROR.)
 * Then, in fresh VMs, a #UD that cannot be delivered -- IDT limit 0, or
 * an IDT whose gates are all not present -- must escalate to a triple
 * fault: KVM_EXIT_SHUTDOWN.  One more KVM_RUN after the shutdown shows
 * what KVM does with a vCPU in that state (the same fault again), and
 * one after KVM_SET_REGS moved RIP to the hlt that it runs the state
 * userspace set (shutdown is no state a vCPU stays in).
 */
#include <stdio.h>
#include <string.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define PD_GPA		0x3000
#define GDT_GPA		0x4000
#define IDT_GPA		0x5000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define DATA_GPA	0x200000

extern const char guest_exc_start[], guest_exc_end[];
extern const char guest_exc_ud[], guest_exc_gp[], guest_exc_pf[];
extern const char guest_triple_start[], guest_triple_end[];


static uint64_t guest_addr(const char *sym)
{
	return CODE_GPA + (uint64_t)(sym - guest_exc_start);
}

static void set_idt(struct vmm *v, uint16_t limit)
{
	struct kvm_sregs sregs;

	vmm_get_sregs(v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = limit;
	vmm_set_sregs(v, &sregs);
}

static void run_handlers(struct vmm *v)
{
	char *ram = vmm_alloc(RAM_SIZE);
	uint8_t seed = 0;
	uint64_t *pd = (uint64_t *)(ram + PD_GPA);

	printf("## handled exceptions\n");
	vmm_set_slot(v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_exc_start, guest_exc_end);
	vmm_setup_long_mode(v, ram, PT_GPA, GDT_GPA);
	pd[1] = 0;		/* the #PF handler maps it */
	vmm_set_idt_gate(ram + IDT_GPA, 6, guest_addr(guest_exc_ud));
	vmm_set_idt_gate(ram + IDT_GPA, 13, guest_addr(guest_exc_gp));
	vmm_set_idt_gate(ram + IDT_GPA, 14, guest_addr(guest_exc_pf));
	set_idt(v, 256 * 16 - 1);
	vmm_set_regs(v, CODE_GPA, STACK_TOP);
	vmm_run_to_hlt(v, &seed);
	vmm_print_regs(v);
	vmm_print_sregs(v);
	vmm_print_mem("data", ram + DATA_GPA, 0x1000);
	vmm_print_mem("pagetables", ram + PT_GPA, 0x3000);
}

/* ud2 with an unusable IDT: #UD -> #GP/#NP -> #DF -> triple fault. */
static void run_triple(struct vmm *v, const char *what, uint16_t idt_limit)
{
	char *ram = vmm_alloc(RAM_SIZE);
	uint8_t seed = 0;
	int reason;

	printf("## triple fault: %s\n", what);
	vmm_set_slot(v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_triple_start, guest_triple_end);
	vmm_setup_long_mode(v, ram, PT_GPA, GDT_GPA);
	set_idt(v, idt_limit);
	vmm_set_regs(v, CODE_GPA, STACK_TOP);
	reason = vmm_run_io(v, &seed);
	if (reason != KVM_EXIT_SHUTDOWN)
		printf("expected SHUTDOWN\n");
	vmm_print_regs(v);
	printf("run again after shutdown\n");
	vmm_run_io(v, &seed);
	vmm_print_regs(v);
	/* the state is the VMM's again: the vCPU runs it (no shutdown state) */
	printf("KVM_SET_REGS: RIP at the hlt after the ud2, then run\n");
	vmm_set_regs(v, CODE_GPA + 7, STACK_TOP);
	vmm_run_io(v, &seed);
}

int main(void)
{
	struct vmm v;

	printf("# vmm-exceptions\n");
	vmm_open(&v);
	run_handlers(&v);
	vmm_destroy_vm(&v);

	vmm_create_vm(&v);
	run_triple(&v, "IDT limit 0", 0);
	vmm_destroy_vm(&v);

	/* 256 zeroed gates: every one of them is not present. */
	vmm_create_vm(&v);
	run_triple(&v, "all gates not present", 256 * 16 - 1);
	vmm_close(&v);
	return 0;
}
