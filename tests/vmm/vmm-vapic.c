// SPDX-License-Identifier: MIT
/*
 * vmm-vapic: KVM_SET_VAPIC_ADDR, the word through which KVM shows a
 * guest its LAPIC's priorities and takes its TPR (what QEMU's kvmvapic
 * sets up with kernel-irqchip=on).
 *
 * Checks: KVM_CAP_VAPIC; KVM_SET_VAPIC_ADDR is EINVAL without the
 * in-kernel LAPIC, EINVAL for a gpa in no memslot or in a read-only one,
 * 0 for a word that straddles two pages of RAM and for 0 (off).  Then a
 * guest (vmm-vapic-guest.S) reads the word KVM writes before entries:
 * TPR | (class in service) << 8 | highest pending vector << 24 (TPR 0x40
 * written into the word, vector 0x50 pending: 0x50000040; in service:
 * 0x5040; after its EOI: 0x40; KVM_GET_LAPIC's TPR is 0x40 afterwards);
 * after KVM_SET_VAPIC_ADDR 0 a write to the word no longer moves the
 * TPR.  (This host, kvm_pvm, syncs less often than mainline: not the
 * word on the entry right after the SELF_IPI, nor the TPR at the exit
 * right after the guest's write, where the model, as mainline, does; the
 * transcript looks at neither: an exit follows the SELF_IPI, and the TPR
 * is read once the run is over.)
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
#define VAPIC_GPA	0x9000
#define RO_GPA		0x1000000
#define APIC_TASKPRI	0x80

extern const char guest_vapic_start[], guest_vapic_end[], guest_vapic_irq[], guest_vapic_off[];

static void set_vapic(struct vmm *v, const char *what, uint64_t gpa)
{
	struct kvm_vapic_addr va = { .vapic_addr = gpa };
	int r = ioctl(v->vcpu_fd, KVM_SET_VAPIC_ADDR, &va);

	printf("KVM_SET_VAPIC_ADDR %s (%#llx): %d %s\n", what, (unsigned long long)gpa, r,
	       r ? errno_name(errno) : "");
}

static uint32_t tpr(struct vmm *v)
{
	struct kvm_lapic_state s;
	uint32_t t;

	xioctl(v->vcpu_fd, KVM_GET_LAPIC, &s);
	memcpy(&t, s.regs + APIC_TASKPRI, sizeof(t));
	return t;
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

/* Run to the 0xff byte; at an MMIO + 0x18 exit of 2 print the TPR KVM has. */
static void run_to_end(struct vmm *v)
{
	for (int n = 0; n < 20; n++) {
		int r = vmm_run(v);

		if (r != KVM_EXIT_MMIO || v->run->mmio.data[0] == 0xff)
			return;
		if (v->run->mmio.phys_addr == 0x10000018 && v->run->mmio.data[0] == 2)
			printf("TPR at this exit: %#x\n", tpr(v));
	}
}

int main(void)
{
	char *ram, *ro;
	struct kvm_sregs sregs;
	uint32_t word;
	struct vmm v;

	printf("# vmm-vapic\n");
	vmm_open(&v);
	printf("KVM_CAP_VAPIC: %d\n", ioctl(v.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_VAPIC));
	set_vapic(&v, "without irqchip", VAPIC_GPA);
	vmm_destroy_vm(&v);

	v.vm_fd = xioctl(v.kvm_fd, KVM_CREATE_VM, 0);
	xioctl(v.vm_fd, KVM_CREATE_IRQCHIP, 0);
	v.vcpu_fd = xioctl(v.vm_fd, KVM_CREATE_VCPU, 0);
	v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu_fd, 0);
	if (v.run == MAP_FAILED)
		fatal("mmap(vcpu): errno=%s", errno_name(errno));
	v.nr_runs = 0;
	set_cpuid(&v);
	ram = vmm_alloc(RAM_SIZE);
	ro = vmm_alloc(0x1000);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_set_slot(&v, 1, KVM_MEM_READONLY, RO_GPA, 0x1000, ro);
	set_vapic(&v, "in no memslot", 0x80000000);
	set_vapic(&v, "in a read-only slot", RO_GPA);
	set_vapic(&v, "straddling two pages", 0x1ffe);
	set_vapic(&v, "off", 0);
	set_vapic(&v, "in RAM", VAPIC_GPA);

	vmm_load(ram, CODE_GPA, guest_vapic_start, guest_vapic_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_idt_gate(ram + IDT_GPA, 0x50, CODE_GPA + (uint64_t)(guest_vapic_irq - guest_vapic_start));
	vmm_get_sregs(&v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;
	vmm_set_sregs(&v, &sregs);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	run_to_end(&v);
	printf("TPR after the run: %#x\n", tpr(&v));

	set_vapic(&v, "off", 0);
	vmm_set_regs(&v, CODE_GPA + (uint64_t)(guest_vapic_off - guest_vapic_start), STACK_TOP);
	run_to_end(&v);
	memcpy(&word, ram + VAPIC_GPA, sizeof(word));
	printf("word %#x, TPR %#x: no sync once off\n", word, tpr(&v));
	vmm_destroy_vm(&v);
	return 0;
}
