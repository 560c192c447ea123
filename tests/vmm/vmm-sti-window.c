// SPDX-License-Identifier: MIT
/*
 * vmm-sti-window: a VMM with its own interrupt controller and a guest
 * that opens interrupts only for the instruction after `sti` (`sti; nop;
 * cli`, SeaBIOS's yield loop).  With request_interrupt_window set, the
 * run exits KVM_EXIT_IRQ_WINDOW_OPEN with RIP at the `cli` (after the
 * shadowed `nop`), ready_for_interrupt_injection 1; KVM_INTERRUPT then
 * delivers vector 0x20 there (the frame's RIP is the `cli`), and the
 * guest leaves its loop.  (kvmsim used to look for the window only
 * where Unicorn's blocks start, and `nop; cli` is one block: it never
 * saw it open.)
 */
#include <stdio.h>
#include <sys/ioctl.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define IDT_GPA		0x5000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000

extern const char guest_sti_start[], guest_sti_end[], guest_sti_20[];

int main(void)
{
	struct kvm_interrupt irq = { .irq = 0x20 };
	struct kvm_sregs sregs;
	struct vmm v;
	char *ram;
	int r = 0;

	printf("# vmm-sti-window\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_sti_start, guest_sti_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_idt_gate(ram + IDT_GPA, 0x20, CODE_GPA + (uint64_t)(guest_sti_20 - guest_sti_start));
	vmm_get_sregs(&v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;
	vmm_set_sregs(&v, &sregs);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	if (vmm_run(&v) != KVM_EXIT_MMIO)
		fatal("expected the guest's first report");
	v.run->request_interrupt_window = 1;
	printf("request_interrupt_window=1\n");
	for (int n = 0; n < 3 && r != KVM_EXIT_IRQ_WINDOW_OPEN; n++)
		r = vmm_run(&v);
	if (r != KVM_EXIT_IRQ_WINDOW_OPEN) {
		printf("no window exit\n");
		vmm_close(&v);
		return 0;
	}
	printf("  ready_for_interrupt_injection=%u if_flag=%u\n",
	       v.run->ready_for_interrupt_injection, v.run->if_flag);
	v.run->request_interrupt_window = 0;
	printf("KVM_INTERRUPT 0x20: %d\n", ioctl(v.vcpu_fd, KVM_INTERRUPT, &irq));
	for (int n = 0; n < 10 && (r = vmm_run(&v)) == KVM_EXIT_MMIO; n++)
		;
	if (r != KVM_EXIT_HLT)
		fatal("expected hlt");
	vmm_print_regs(&v);
	vmm_close(&v);
	return 0;
}
