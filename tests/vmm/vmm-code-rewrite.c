// SPDX-License-Identifier: MIT
/*
 * vmm-code-rewrite: guest code the VMM rewrites between KVM_RUNs runs as
 * rewritten.
 *
 * Checks: a loop that reports AL on port 0x10 prints 0x11, 0x22, 0x33 as
 * the VMM patches the `mov $imm, %al` immediate after each exit (a
 * simulator that keeps its translated code would print 0x11 three
 * times); then the VMM replaces the `out` with two nops, and the loop
 * runs to its hlt without another exit (a trap left on the old `out`
 * would exit again).  RBX counts the iterations.
 */
#include <stdio.h>
#include <string.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000

extern const char guest_rewrite_start[], guest_rewrite_end[];

int main(void)
{
	static const uint8_t imm[] = { 0x22, 0x33 };
	struct vmm v;
	char *ram;
	int r;

	printf("# vmm-code-rewrite\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_rewrite_start, guest_rewrite_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	if (vmm_run(&v) != KVM_EXIT_IO)
		fatal("expected the first OUT");
	for (size_t i = 0; i < sizeof(imm); i++) {
		ram[CODE_GPA + 1] = imm[i];
		printf("patched the immediate to %#x\n", imm[i]);
		if (vmm_run(&v) != KVM_EXIT_IO)
			fatal("expected an OUT");
	}
	memset(ram + CODE_GPA + 2, 0x90, 2);
	printf("replaced the out with two nops\n");
	r = vmm_run(&v);
	if (r != KVM_EXIT_HLT)
		fatal("expected hlt, got exit %d", r);
	vmm_print_regs(&v);
	vmm_close(&v);
	return 0;
}
