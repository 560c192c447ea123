// SPDX-License-Identifier: MIT
/*
 * vmm-gp-twice: an exception the guest handled is no longer in flight.
 *
 * Checks: two #GPs in a row (a selector past the GDT limit loaded into
 * DS), each delivered through the guest's IDT as #GP with the selector as
 * error code; the second must not become #DF (as it would if the first
 * were still considered in flight).  Then the same after KVM_SET_REGS
 * puts the guest back at the start: the same two #GPs.
 */
#include <stdio.h>
#include <string.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define IDT_GPA		0xa000

extern const char guest_gp_start[], guest_gp_end[];
extern const char guest_gp_handler[], guest_df_handler[];


static void run_until_hlt(struct vmm *v)
{
	int r;

	do
		r = vmm_run(v);
	while (r == KVM_EXIT_IO && v->nr_runs < 16);
}

int main(void)
{
	struct kvm_sregs sregs;
	struct vmm v;
	char *ram;

	printf("# vmm-gp-twice\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_gp_start, guest_gp_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_idt_gate(ram + IDT_GPA, 13, CODE_GPA + (guest_gp_handler - guest_gp_start));
	vmm_set_idt_gate(ram + IDT_GPA, 8, CODE_GPA + (guest_df_handler - guest_gp_start));
	vmm_get_sregs(&v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 16 * 32 - 1;
	vmm_set_sregs(&v, &sregs);

	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	run_until_hlt(&v);
	printf("again from the start (KVM_SET_REGS)\n");
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	run_until_hlt(&v);
	vmm_print_regs(&v);
	vmm_close(&v);
	return 0;
}
