// SPDX-License-Identifier: MIT
/*
 * vmm-irq: interrupts from a userspace irqchip (KVM_INTERRUPT, KVM_NMI).
 *
 * Checks, in long mode with an IDT of 64-bit interrupt gates: after every
 * exit, kvm_run.if_flag and ready_for_interrupt_injection (0 with IF=0,
 * 1 with IF=1 outside an interrupt shadow, 0 inside a handler entered
 * through an interrupt gate); request_interrupt_window set while IF=0
 * gives KVM_EXIT_IRQ_WINDOW_OPEN once STI and the instruction in its
 * shadow have run (RIP past both), and at once, with nothing run, when
 * the window is already open; KVM_INTERRUPT delivers its vector through
 * the guest's IDT at the next entry, the frame holding the interrupted
 * RIP and RFLAGS.IF=1; KVM_NMI gets in with IF=0 (vector 2); `sti; hlt`
 * with a window requested exits KVM_EXIT_HLT (the shadow covers the hlt),
 * and an interrupt injected then returns past the hlt.  Bad input:
 * KVM_INTERRUPT of vector 256 is EINVAL; on a VM with KVM_CREATE_IRQCHIP
 * (an in-kernel PIC) KVM_INTERRUPT is ENXIO and ready_for_interrupt_injection
 * is always 1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define IDT_GPA		0x5000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000

extern const char guest_irq_start[], guest_irq_end[];
extern const char guest_irq_20[], guest_irq_21[], guest_irq_nmi[];

static uint64_t guest_addr(const char *sym)
{
	return CODE_GPA + (uint64_t)(sym - guest_irq_start);
}


static int run(struct vmm *v)
{
	int r = vmm_run(v);

	printf("  if_flag=%u ready_for_interrupt_injection=%u\n",
	       v->run->if_flag, v->run->ready_for_interrupt_injection);
	return r;
}

static void expect(struct vmm *v, int want)
{
	int r = run(v);

	if (r != want)
		fatal("expected exit %s, got %d", exit_reason_name(want), r);
}

static void interrupt(struct vmm *v, uint32_t irq)
{
	struct kvm_interrupt i = { .irq = irq };
	int r = ioctl(v->vcpu_fd, KVM_INTERRUPT, &i);

	printf("KVM_INTERRUPT 0x%x: %d %s\n", irq, r, r ? errno_name(errno) : "");
}

static void nmi(struct vmm *v)
{
	int r = ioctl(v->vcpu_fd, KVM_NMI, 0);

	printf("KVM_NMI: %d %s\n", r, r ? errno_name(errno) : "");
}

static void setup_guest(struct vmm *v, char *ram)
{
	struct kvm_sregs sregs;

	vmm_set_slot(v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_irq_start, guest_irq_end);
	vmm_setup_long_mode(v, ram, PT_GPA, GDT_GPA);
	vmm_set_idt_gate(ram + IDT_GPA, 2, guest_addr(guest_irq_nmi));
	vmm_set_idt_gate(ram + IDT_GPA, 0x20, guest_addr(guest_irq_20));
	vmm_set_idt_gate(ram + IDT_GPA, 0x21, guest_addr(guest_irq_21));
	vmm_get_sregs(v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;
	vmm_set_sregs(v, &sregs);
	vmm_set_regs(v, CODE_GPA, STACK_TOP);
}

/*
 * The loop of a VMM with its own interrupt controller (QEMU's
 * kvm_arch_pre_run): a pending vector is injected when the last exit
 * said the vCPU is ready for one, else an interrupt window is requested.
 * The guest's progress reports raise the lines: 1 raises 0x20 (with
 * IF=0), 3 sends an NMI (IF=0), 4 raises 0x21 (before `sti; hlt`), 5
 * asks for a window while it is open and nothing is pending.
 */
static void run_userspace_irqchip(struct vmm *v)
{
	int pending = -1, r, want_window = 0;
	uint8_t *mmio = v->run->mmio.data;

	printf("## userspace irqchip\n");
	setup_guest(v, vmm_alloc(RAM_SIZE));
	interrupt(v, 256);
	for (int n = 0; n < 40; n++) {
		if (pending >= 0 && v->run->ready_for_interrupt_injection) {
			interrupt(v, pending);
			pending = -1;
		}
		want_window |= pending >= 0;
		if (v->run->request_interrupt_window != want_window)
			printf("request_interrupt_window=%d\n", want_window);
		v->run->request_interrupt_window = want_window;
		want_window = 0;
		r = run(v);
		if (r == KVM_EXIT_HLT && pending < 0)
			break;
		if (r != KVM_EXIT_MMIO || v->run->mmio.len != 1)
			continue;
		if (mmio[0] == 1)
			pending = 0x20;
		if (mmio[0] == 5)
			want_window = 1;
		if (mmio[0] == 3)
			nmi(v);
		if (mmio[0] == 4)
			pending = 0x21;
	}
	vmm_print_regs(v);
}

/* The VM gets its irqchip before its vCPU, as KVM requires. */
static void run_kernel_irqchip(struct vmm *v)
{
	printf("## in-kernel irqchip\n");
	v->vm_fd = xioctl(v->kvm_fd, KVM_CREATE_VM, 0);
	xioctl(v->vm_fd, KVM_CREATE_IRQCHIP, 0);
	v->vcpu_fd = xioctl(v->vm_fd, KVM_CREATE_VCPU, 0);
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->vcpu_fd, 0);
	if (v->run == MAP_FAILED)
		fatal("mmap(vcpu): errno=%s", errno_name(errno));
	v->nr_runs = 0;
	setup_guest(v, vmm_alloc(RAM_SIZE));
	interrupt(v, 0x20);
	expect(v, KVM_EXIT_MMIO);		/* IF=0, yet ready: the PIC is in */
}

int main(void)
{
	struct vmm v;

	printf("# vmm-irq\n");
	vmm_open(&v);
	run_userspace_irqchip(&v);
	vmm_destroy_vm(&v);
	run_kernel_irqchip(&v);
	vmm_destroy_vm(&v);
	return 0;
}
