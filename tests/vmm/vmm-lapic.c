// SPDX-License-Identifier: MIT
/*
 * vmm-lapic: the in-kernel LAPIC's register page and its one-shot timer.
 *
 * Checks: KVM_GET_LAPIC without KVM_CREATE_IRQCHIP is EINVAL; the page
 * KVM_GET_LAPIC returns after reset (every non-zero 32-bit register:
 * ID, version, DFR, SVR, the masked LVTs); KVM_SET_LAPIC then
 * KVM_GET_LAPIC gives back what was set (TPR, a masked LVT timer entry,
 * TDCR, LINT0); a guest that turns on x2APIC mode, arms the timer in
 * one-shot mode and halts is woken by it (HLT blocks in KVM_RUN: no
 * KVM_EXIT_HLT with the irqchip in the kernel) and takes vector 0x30
 * through its IDT, TMCCT reads 0 after expiry; the page afterwards (ID in
 * x2APIC format, LDR, the LVT timer, TMICT, nothing left in ISR/IRR).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

extern const char guest_lapic_start[], guest_lapic_end[], guest_lapic_timer[];

static uint32_t reg(const struct kvm_lapic_state *s, int off)
{
	uint32_t v;

	memcpy(&v, s->regs + off, sizeof(v));
	return v;
}

static void set_reg(struct kvm_lapic_state *s, int off, uint32_t v)
{
	memcpy(s->regs + off, &v, sizeof(v));
}

static void print_lapic(const char *what, const struct kvm_lapic_state *s)
{
	printf("lapic %s:", what);
	for (int off = 0; off < 0x400; off += 0x10)
		if (reg(s, off))
			printf(" %03x=%x", off, reg(s, off));
	printf("\n");
}

static void get_lapic(struct vmm *v, struct kvm_lapic_state *s)
{
	xioctl(v->vcpu_fd, KVM_GET_LAPIC, s);
}


/* The host's CPUID (x2APIC among it), as a VMM passes it on. */
static void set_cpuid(struct vmm *v)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 100 * sizeof(c->entries[0]));

	c->nent = 100;
	xioctl(v->kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
	xioctl(v->vcpu_fd, KVM_SET_CPUID2, c);
	free(c);
}

static void run_guest(struct vmm *v)
{
	char *ram = vmm_alloc(RAM_SIZE);
	struct kvm_sregs sregs;
	int r;

	vmm_set_slot(v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_lapic_start, guest_lapic_end);
	vmm_setup_long_mode(v, ram, PT_GPA, GDT_GPA);
	vmm_set_idt_gate(ram + IDT_GPA, 0x30, CODE_GPA + (uint64_t)(guest_lapic_timer - guest_lapic_start));
	vmm_get_sregs(v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;
	vmm_set_sregs(v, &sregs);
	vmm_set_regs(v, CODE_GPA, STACK_TOP);
	for (int n = 0; n < 10; n++) {
		r = vmm_run(v);
		if (r != KVM_EXIT_MMIO || v->run->mmio.data[0] == 0xff)
			break;
	}
}

int main(void)
{
	struct kvm_lapic_state s;
	struct vmm v;
	int r;

	printf("# vmm-lapic\n");
	vmm_open(&v);
	r = ioctl(v.vcpu_fd, KVM_GET_LAPIC, &s);
	printf("KVM_GET_LAPIC without irqchip: %d %s\n", r, r ? errno_name(errno) : "");
	vmm_destroy_vm(&v);

	v.vm_fd = xioctl(v.kvm_fd, KVM_CREATE_VM, 0);
	xioctl(v.vm_fd, KVM_CREATE_IRQCHIP, 0);
	v.vcpu_fd = xioctl(v.vm_fd, KVM_CREATE_VCPU, 0);
	v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu_fd, 0);
	if (v.run == MAP_FAILED)
		fatal("mmap(vcpu): errno=%s", errno_name(errno));
	v.nr_runs = 0;
	set_cpuid(&v);
	get_lapic(&v, &s);
	print_lapic("at reset", &s);
	set_reg(&s, 0x80, 0x20);		/* TPR */
	set_reg(&s, 0x320, 0x10040);		/* LVTT: masked, vector 0x40 */
	set_reg(&s, 0x3e0, 0x3);		/* TDCR: divide by 16 */
	set_reg(&s, 0x350, 0x700);		/* LINT0: ExtINT */
	xioctl(v.vcpu_fd, KVM_SET_LAPIC, &s);
	memset(&s, 0, sizeof(s));
	get_lapic(&v, &s);
	print_lapic("after set", &s);
	set_reg(&s, 0x80, 0);
	xioctl(v.vcpu_fd, KVM_SET_LAPIC, &s);

	run_guest(&v);
	get_lapic(&v, &s);
	print_lapic("after the timer", &s);
	vmm_destroy_vm(&v);
	return 0;
}
