// SPDX-License-Identifier: MIT
/*
 * vmm-split-irqchip: KVM_CAP_SPLIT_IRQCHIP, the local APICs in the kernel
 * with the PIC and IOAPIC left to userspace.
 *
 * Checks: enabling it with more than 4096 reserved IOAPIC pins is EINVAL,
 * after a vCPU exists or twice EEXIST; then KVM_CREATE_IRQCHIP is EEXIST,
 * KVM_CREATE_PIT2 ENOENT, KVM_GET_IRQCHIP ENXIO, an irqchip route EINVAL,
 * a resampling irqfd EINVAL, KVM_IRQ_LINE_STATUS on an unrouted GSI -1.
 * A guest with its x2APIC on: ready_for_interrupt_injection follows
 * RFLAGS.IF (0, then 1); KVM_INTERRUPT queues an ExtINT (a second one
 * before delivery is EEXIST) that LINT0 delivers on vector 0x30;
 * KVM_IRQ_LINE_STATUS on GSI 3 (a level MSI route to vector 0x42) is
 * accepted by one APIC; the guest's EOI of 0x42 exits to userspace as
 * KVM_EXIT_IOAPIC_EOI with that vector (mainline: RIP past the EOI's
 * wrmsr; this host's PVM backend reports it three instructions earlier,
 * see tests/vmm/README.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define IDT_GPA		0x5000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000

extern const char guest_split_start[], guest_split_end[], guest_split_extint[],
	guest_split_msi[];

static void show(const char *what, int r)
{
	printf("%s: %d %s\n", what, r, r < 0 ? errno_name(errno) : "");
}

static int enable_split(int vm, uint64_t pins)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { pins } };

	return ioctl(vm, KVM_ENABLE_CAP, &cap);
}

static void irq_line(int vm, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	xioctl(vm, KVM_IRQ_LINE_STATUS, &irq);
	printf("KVM_IRQ_LINE_STATUS gsi %u level %d: status %d\n", gsi, level, irq.status);
}

static void set_cpuid(struct vmm *v)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 100 * sizeof(c->entries[0]));

	c->nent = 100;
	xioctl(v->kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
	xioctl(v->vcpu_fd, KVM_SET_CPUID2, c);
	free(c);
}

static void run(struct vmm *v)
{
	int r = vmm_run(v);

	printf("  if_flag=%d ready_for_interrupt_injection=%d", v->run->if_flag,
	       v->run->ready_for_interrupt_injection);
	if (r == KVM_EXIT_IOAPIC_EOI)
		printf(" eoi.vector=0x%x", v->run->eoi.vector);
	printf("\n");
}

static void errnos(struct vmm *v)
{
	struct kvm_pit_config pit = { 0 };
	struct kvm_irqchip chip = { .chip_id = 0 };
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} rt = { .r = { .nr = 1 }, .e = { { .gsi = 1, .type = KVM_IRQ_ROUTING_IRQCHIP,
					   .u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC,
							  .pin = 1 } } } };
	int efd = eventfd(0, 0);
	struct kvm_irqfd fd = { .fd = efd, .gsi = 1, .flags = KVM_IRQFD_FLAG_RESAMPLE,
				.resamplefd = efd };

	show("KVM_CREATE_IRQCHIP", ioctl(v->vm_fd, KVM_CREATE_IRQCHIP, 0));
	show("KVM_CREATE_PIT2", ioctl(v->vm_fd, KVM_CREATE_PIT2, &pit));
	show("KVM_GET_IRQCHIP", ioctl(v->vm_fd, KVM_GET_IRQCHIP, &chip));
	show("KVM_SET_GSI_ROUTING to an IOAPIC pin", ioctl(v->vm_fd, KVM_SET_GSI_ROUTING, &rt));
	show("KVM_IRQFD resample", ioctl(v->vm_fd, KVM_IRQFD, &fd));
	close(efd);
	irq_line(v->vm_fd, 3, 1);
}

int main(void)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[1];
	} rt = { .r = { .nr = 1 }, .e = { { .gsi = 3, .type = KVM_IRQ_ROUTING_MSI,
					   .u.msi = { .address_lo = 0xfee00000,
						      .data = 0x8042 } } } };
	struct kvm_interrupt irq = { .irq = 0x30 };
	struct kvm_sregs sregs;
	struct vmm v;
	char *ram;

	printf("# vmm-split-irqchip\n");
	vmm_open(&v);
	show("KVM_CAP_SPLIT_IRQCHIP after a vCPU", enable_split(v.vm_fd, 24));
	vmm_destroy_vm(&v);

	v.vm_fd = xioctl(v.kvm_fd, KVM_CREATE_VM, 0);
	show("KVM_CAP_SPLIT_IRQCHIP 4097 pins", enable_split(v.vm_fd, 4097));
	show("KVM_CAP_SPLIT_IRQCHIP 24 pins", enable_split(v.vm_fd, 24));
	show("KVM_CAP_SPLIT_IRQCHIP again", enable_split(v.vm_fd, 24));
	errnos(&v);
	xioctl(v.vm_fd, KVM_SET_GSI_ROUTING, &rt);

	v.vcpu_fd = xioctl(v.vm_fd, KVM_CREATE_VCPU, 0);
	v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu_fd, 0);
	if (v.run == MAP_FAILED)
		fatal("mmap(vcpu): errno=%s", errno_name(errno));
	v.nr_runs = 0;
	set_cpuid(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_split_start, guest_split_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_idt_gate(ram + IDT_GPA, 0x30,
			 CODE_GPA + (uint64_t)(guest_split_extint - guest_split_start));
	vmm_set_idt_gate(ram + IDT_GPA, 0x42,
			 CODE_GPA + (uint64_t)(guest_split_msi - guest_split_start));
	vmm_get_sregs(&v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;
	vmm_set_sregs(&v, &sregs);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	run(&v);
	run(&v);
	show("KVM_INTERRUPT 0x30", ioctl(v.vcpu_fd, KVM_INTERRUPT, &irq));
	irq.irq = 0x31;
	show("KVM_INTERRUPT 0x31 while 0x30 waits", ioctl(v.vcpu_fd, KVM_INTERRUPT, &irq));
	run(&v);
	irq_line(v.vm_fd, 3, 1);
	irq_line(v.vm_fd, 3, 0);
	for (int n = 0; n < 5; n++) {
		run(&v);
		if (v.run->exit_reason == KVM_EXIT_MMIO && v.run->mmio.data[0] == 0xff)
			break;
	}
	vmm_destroy_vm(&v);
	return 0;
}
