// SPDX-License-Identifier: MIT
/*
 * vmm-pic-pit: the in-kernel PIC pair, IOAPIC and PIT (KVM_CREATE_IRQCHIP,
 * KVM_CREATE_PIT2) with a guest that counts timer ticks.
 *
 * Checks: KVM_CREATE_PIT2 before the irqchip is ENOENT, KVM_IRQ_LINE and
 * KVM_GET_IRQCHIP without it ENXIO, KVM_GET_PIT2 without a PIT ENXIO; a
 * second KVM_CREATE_IRQCHIP / KVM_CREATE_PIT2 is EEXIST; the reset state
 * of both PICs, the IOAPIC (every pin masked) and the PIT's channels as
 * KVM_GET_IRQCHIP / KVM_GET_PIT2 give them; KVM_IRQ_LINE_STATUS on GSI 3
 * (routed to PIC pin 3 and the masked IOAPIC pin 3): a rising edge is
 * delivered (1), holding the line high is 1, a second edge while the
 * first is still in IRR is coalesced (0), an unrouted GSI is -1; a
 * KVM_GET_IRQCHIP chip id of 3 is EINVAL.  Then a guest initialises the
 * PICs, programs PIT channel 0 for 10 ms in mode 2 and halts (HLT blocks
 * in KVM_RUN) until it took 5 ticks on vector 0x20, each seen in the
 * master's ISR; its read-back of channel 0's status (mode 2, lo/hi) and
 * of the IMR; the PIC and PIT state afterwards; KVM_SET_IRQCHIP (slave
 * PIC: IMR, base, ELCR; IOAPIC: ID, an unmasked entry), KVM_SET_PIT2 (a
 * channel's mode and count, the HPET legacy flag), KVM_SET_PIT and
 * KVM_REINJECT_CONTROL, each read back.
 */
#include <errno.h>
#include <stdbool.h>
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

extern const char guest_pic_pit_start[], guest_pic_pit_end[], guest_pic_pit_timer[];

static void try(const char *what, int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	printf("%s: %d %s\n", what, r, r < 0 ? errno_name(errno) : "");
}

/* after the guest: IRR may hold the next tick, natively, so it is left out */
static void print_pic(struct vmm *v, int id, bool irr)
{
	struct kvm_irqchip chip = { .chip_id = id };
	struct kvm_pic_state *p = &chip.chip.pic;

	xioctl(v->vm_fd, KVM_GET_IRQCHIP, &chip);
	printf("pic %d:", id);
	if (irr)
		printf(" last_irr=%02x irr=%02x", p->last_irr, p->irr);
	printf(" imr=%02x isr=%02x prio_add=%d base=%02x "
	       "rrs=%d poll=%d smm=%d init=%d aeoi=%d raeoi=%d sfnm=%d init4=%d elcr=%02x "
	       "elcr_mask=%02x\n", p->imr, p->isr, p->priority_add,
	       p->irq_base, p->read_reg_select, p->poll, p->special_mask, p->init_state,
	       p->auto_eoi, p->rotate_on_auto_eoi, p->special_fully_nested_mode, p->init4,
	       p->elcr, p->elcr_mask);
}

static void print_ioapic(struct vmm *v)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
	struct kvm_ioapic_state *s = &chip.chip.ioapic;

	xioctl(v->vm_fd, KVM_GET_IRQCHIP, &chip);
	printf("ioapic: base=%llx ioregsel=%x id=%x irr=%x", (unsigned long long)s->base_address,
	       s->ioregsel, s->id, s->irr);
	for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++)
		if (s->redirtbl[i].bits != 0x10000)
			printf(" pin%d=%llx", i, (unsigned long long)s->redirtbl[i].bits);
	printf("\n");
}

static void print_pit(struct vmm *v)
{
	struct kvm_pit_state2 ps;

	xioctl(v->vm_fd, KVM_GET_PIT2, &ps);
	for (int i = 0; i < 3; i++) {
		struct kvm_pit_channel_state *c = &ps.channels[i];

		/* the status a read-back latched carries OUT, which depends on timing */
		printf("pit ch%d: count=%u latched=%u/%u status_latched=%u rs=%u ws=%u wl=%u rw=%u "
		       "mode=%u bcd=%u gate=%u\n", i, c->count, c->count_latched,
		       c->latched_count, c->status_latched, c->read_state,
		       c->write_state, c->write_latch, c->rw_mode, c->mode, c->bcd, c->gate);
	}
	printf("pit flags=%x\n", ps.flags);
}

/* KVM_SET_IRQCHIP, KVM_SET_PIT2, KVM_SET_PIT, KVM_REINJECT_CONTROL round trips */
static void set_state(struct vmm *v)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_PIC_SLAVE };
	struct kvm_reinject_control rc = { .pit_reinject = 0 };
	struct kvm_pit_state2 ps;
	struct kvm_pit_state old;

	xioctl(v->vm_fd, KVM_GET_IRQCHIP, &chip);
	chip.chip.pic.imr = 0xaa;
	chip.chip.pic.irq_base = 0x70;
	chip.chip.pic.elcr = 0x02;
	xioctl(v->vm_fd, KVM_SET_IRQCHIP, &chip);
	print_pic(v, 1, true);
	chip.chip_id = KVM_IRQCHIP_IOAPIC;
	xioctl(v->vm_fd, KVM_GET_IRQCHIP, &chip);
	chip.chip.ioapic.id = 3;
	chip.chip.ioapic.redirtbl[5].bits = 0x0300000000008034ull;
	xioctl(v->vm_fd, KVM_SET_IRQCHIP, &chip);
	print_ioapic(v);
	xioctl(v->vm_fd, KVM_GET_PIT2, &ps);
	ps.channels[2].mode = 3;
	ps.channels[2].rw_mode = 3;
	ps.channels[2].count = 0x1234;
	ps.flags = KVM_PIT_FLAGS_HPET_LEGACY;
	xioctl(v->vm_fd, KVM_SET_PIT2, &ps);
	print_pit(v);
	xioctl(v->vm_fd, KVM_GET_PIT, &old);
	old.channels[1].count = 0x100;
	old.channels[1].mode = 0;
	xioctl(v->vm_fd, KVM_SET_PIT, &old);
	print_pit(v);
	printf("KVM_REINJECT_CONTROL 0: %d\n", ioctl(v->vm_fd, KVM_REINJECT_CONTROL, &rc));
	rc.pit_reinject = 1;
	printf("KVM_REINJECT_CONTROL 1: %d\n", ioctl(v->vm_fd, KVM_REINJECT_CONTROL, &rc));
}

static void irq_line(struct vmm *v, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	xioctl(v->vm_fd, KVM_IRQ_LINE_STATUS, &irq);
	printf("KVM_IRQ_LINE_STATUS gsi %u level %d: status %d\n", gsi, level, irq.status);
}

static void run_guest(struct vmm *v)
{
	char *ram = vmm_alloc(RAM_SIZE);
	struct kvm_sregs sregs;
	int r;

	vmm_set_slot(v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_pic_pit_start, guest_pic_pit_end);
	vmm_setup_long_mode(v, ram, PT_GPA, GDT_GPA);
	vmm_set_idt_gate(ram + IDT_GPA, 0x20,
			 CODE_GPA + (uint64_t)(guest_pic_pit_timer - guest_pic_pit_start));
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
	struct kvm_pit_config pit = { .flags = 0 };
	struct kvm_irq_level irq = { .irq = 0, .level = 1 };
	struct kvm_irqchip chip = { .chip_id = 3 };
	struct kvm_pit_state2 ps;
	struct vmm v;

	printf("# vmm-pic-pit\n");
	vmm_open(&v);
	try("KVM_CREATE_PIT2 without irqchip", v.vm_fd, KVM_CREATE_PIT2, &pit);
	try("KVM_IRQ_LINE without irqchip", v.vm_fd, KVM_IRQ_LINE, &irq);
	try("KVM_GET_IRQCHIP without irqchip", v.vm_fd, KVM_GET_IRQCHIP, &chip);
	vmm_destroy_vm(&v);

	v.vm_fd = xioctl(v.kvm_fd, KVM_CREATE_VM, 0);
	xioctl(v.vm_fd, KVM_CREATE_IRQCHIP, 0);
	try("KVM_CREATE_IRQCHIP again", v.vm_fd, KVM_CREATE_IRQCHIP, NULL);
	try("KVM_GET_PIT2 without a PIT", v.vm_fd, KVM_GET_PIT2, &ps);
	xioctl(v.vm_fd, KVM_CREATE_PIT2, &pit);
	try("KVM_CREATE_PIT2 again", v.vm_fd, KVM_CREATE_PIT2, &pit);
	try("KVM_GET_IRQCHIP chip 3", v.vm_fd, KVM_GET_IRQCHIP, &chip);
	print_pic(&v, 0, true);
	print_pic(&v, 1, true);
	print_ioapic(&v);
	print_pit(&v);
	irq_line(&v, 3, 1);
	irq_line(&v, 3, 1);
	irq_line(&v, 3, 0);
	irq_line(&v, 3, 1);
	irq_line(&v, 3, 0);
	irq_line(&v, 100, 1);
	print_pic(&v, 0, true);

	v.vcpu_fd = xioctl(v.vm_fd, KVM_CREATE_VCPU, 0);
	v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu_fd, 0);
	if (v.run == MAP_FAILED)
		fatal("mmap(vcpu): errno=%s", errno_name(errno));
	v.nr_runs = 0;
	run_guest(&v);
	print_pic(&v, 0, false);
	print_pic(&v, 1, false);
	print_pit(&v);
	set_state(&v);
	vmm_destroy_vm(&v);
	return 0;
}
