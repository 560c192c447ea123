// SPDX-License-Identifier: MIT
/*
 * The 8259A pair of KVM_CREATE_IRQCHIP (arch/x86/kvm/i8259.c): master at
 * ports 0x20-0x21, slave at 0xa0-0xa1 cascaded on the master's pin 2,
 * the edge/level control registers at 0x4d0-0x4d1.  Pins latch in IRR
 * (edge: on a rising edge; level: while high), IMR masks, the highest
 * priority request above what is in service drives INTR, which reaches
 * the boot vCPU through LINT0 in ExtINT mode; the vCPU's interrupt
 * acknowledge moves the request to ISR and yields irq_base + pin; EOI
 * (non-specific, specific, rotating) retires it and tells the ack
 * notifiers (the PIT's reinjection, irqfd resamplers).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_irq.h"
#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"

#define PIC_NUM_PINS	16
#define SELECT_PIC(irq)	((irq) < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE)

struct kvm_pic {
	struct kvm *kvm;
	struct kvm_pic_state pics[2];	/* what KVM_GET/SET_IRQCHIP copy */
	unsigned long irq_states[PIC_NUM_PINS];
	bool output;			/* INTR */
	bool wakeup_needed;
	struct kvm_io_device dev_master, dev_slave, dev_elcr;
};

static int pic_index(struct kvm_pic *p, struct kvm_pic_state *s)
{
	return s == &p->pics[0] ? 0 : 1;
}

/*
 * pic_unlock: INTR rose, so the vCPU that takes PIC interrupts is kicked
 * out of its halt (or sees it at its next entry).
 */
static void pic_unlock(struct kvm_pic *p)
{
	struct kvm *kvm = p->kvm;

	if (!p->wakeup_needed)
		return;
	p->wakeup_needed = false;
	for (int i = 0; i < kvm->nr_vcpus; i++) {
		if (kvm_apic_accept_pic_intr(kvm->vcpus[i])) {
			kvm_vcpu_kick(kvm->vcpus[i]);
			return;
		}
	}
}

static void pic_clear_isr(struct kvm_pic *p, struct kvm_pic_state *s, int irq)
{
	s->isr &= ~(1 << irq);
	if (pic_index(p, s))
		irq += 8;
	kvm_notify_acked_irq(p->kvm, SELECT_PIC(irq), irq);
}

/* pic_set_irq1: 1 latched, 0 coalesced (already in IRR), -1 masked */
static int pic_set_irq1(struct kvm_pic_state *s, int irq, int level)
{
	int mask = 1 << irq, ret = 1;

	if (s->elcr & mask) {
		if (level) {
			ret = !(s->irr & mask);
			s->irr |= mask;
			s->last_irr |= mask;
		} else {
			s->irr &= ~mask;
			s->last_irr &= ~mask;
		}
	} else if (level) {
		if (!(s->last_irr & mask)) {
			ret = !(s->irr & mask);
			s->irr |= mask;
		}
		s->last_irr |= mask;
	} else {
		s->last_irr &= ~mask;
	}
	return (s->imr & mask) ? -1 : ret;
}

/* the highest priority in mask (0 highest, after rotation); 8 if none */
static int get_priority(struct kvm_pic_state *s, int mask)
{
	int priority = 0;

	if (!mask)
		return 8;
	while (!(mask & (1 << ((priority + s->priority_add) & 7))))
		priority++;
	return priority;
}

static int pic_get_irq(struct kvm_pic *p, struct kvm_pic_state *s)
{
	int mask = s->irr & ~s->imr, priority, cur_priority;

	priority = get_priority(s, mask);
	if (priority == 8)
		return -1;
	/* special fully nested mode: the slave's pin does not block the master */
	mask = s->isr;
	if (s->special_fully_nested_mode && !pic_index(p, s))
		mask &= ~(1 << 2);
	cur_priority = get_priority(s, mask);
	if (priority < cur_priority)
		return (priority + s->priority_add) & 7;
	return -1;
}

/* pic_irq_request: INTR follows the master's highest request */
static void pic_update_irq(struct kvm_pic *p)
{
	int irq;

	if (pic_get_irq(p, &p->pics[1]) >= 0) {
		/* the slave's request is an edge on the master's pin 2 */
		pic_set_irq1(&p->pics[0], 2, 1);
		pic_set_irq1(&p->pics[0], 2, 0);
	}
	irq = pic_get_irq(p, &p->pics[0]);
	if (!p->output && irq >= 0)
		p->wakeup_needed = true;
	p->output = irq >= 0;
}

int kvm_pic_set_irq(struct kvm_pic *p, int irq, int irq_source_id, int level)
{
	struct kvm_pic_state *s = &p->pics[irq >> 3];
	struct sim_ev *ev;
	int ret;

	level = kvm_irq_line_state(&p->irq_states[irq], irq_source_id, level);
	ret = pic_set_irq1(s, irq & 7, level);
	pic_update_irq(p);
	ev = sim_ev_begin("kvm_pic_set_irq");
	sim_ev_int(ev, "chip", irq >> 3);
	sim_ev_int(ev, "pin", irq & 7);
	sim_ev_int(ev, "level", level);
	sim_ev_hex(ev, "imr", s->imr);
	sim_ev_bool(ev, "coalesced", ret == 0);
	sim_ev_end(ev);
	pic_unlock(p);
	return ret;
}

bool kvm_pic_output(struct kvm_pic *p)
{
	return p->output;
}

static void pic_intack(struct kvm_pic *p, struct kvm_pic_state *s, int irq)
{
	s->isr |= 1 << irq;
	/* a level-triggered request stays in IRR while its line is high */
	if (!(s->elcr & (1 << irq)))
		s->irr &= ~(1 << irq);
	if (s->auto_eoi) {
		if (s->rotate_on_auto_eoi)
			s->priority_add = (irq + 1) & 7;
		pic_clear_isr(p, s, irq);
	}
}

int kvm_pic_read_irq(struct kvm *kvm)
{
	struct kvm_pic *p = kvm->x86->vpic;
	int irq, irq2, intno;

	irq = pic_get_irq(p, &p->pics[0]);
	if (irq >= 0) {
		pic_intack(p, &p->pics[0], irq);
		if (irq == 2) {
			irq2 = pic_get_irq(p, &p->pics[1]);
			if (irq2 >= 0)
				pic_intack(p, &p->pics[1], irq2);
			else
				irq2 = 7;	/* spurious on the slave */
			intno = p->pics[1].irq_base + irq2;
		} else {
			intno = p->pics[0].irq_base + irq;
		}
	} else {
		intno = p->pics[0].irq_base + 7;	/* spurious on the master */
	}
	pic_update_irq(p);
	pic_unlock(p);
	return intno;
}

/* ICW1: initialization starts; edge requests are dropped */
static void pic_icw1(struct kvm_pic *p, struct kvm_pic_state *s, uint8_t val)
{
	uint8_t edge_irr = s->irr & ~s->elcr;

	s->init4 = val & 1;
	s->last_irr = 0;
	s->irr &= s->elcr;
	s->imr = 0;
	s->priority_add = 0;
	s->special_mask = 0;
	s->read_reg_select = 0;
	if (!s->init4) {
		s->special_fully_nested_mode = 0;
		s->auto_eoi = 0;
	}
	s->init_state = 1;
	for (int i = 0; i < p->kvm->nr_vcpus; i++) {
		if (!kvm_apic_accept_pic_intr(p->kvm->vcpus[i]))
			continue;
		for (int irq = 0; irq < 8; irq++)
			if (edge_irr & (1 << irq))
				pic_clear_isr(p, s, irq);
		return;
	}
}

/* OCW2: the EOI and rotation commands */
static void pic_ocw2(struct kvm_pic *p, struct kvm_pic_state *s, uint8_t val)
{
	int cmd = val >> 5, priority, irq;

	switch (cmd) {
	case 0:
	case 4:
		s->rotate_on_auto_eoi = cmd >> 2;
		break;
	case 1:		/* non-specific EOI */
	case 5:		/* ... and rotate */
		priority = get_priority(s, s->isr);
		if (priority != 8) {
			irq = (priority + s->priority_add) & 7;
			if (cmd == 5)
				s->priority_add = (irq + 1) & 7;
			pic_clear_isr(p, s, irq);
			pic_update_irq(p);
		}
		break;
	case 3:		/* specific EOI */
		pic_clear_isr(p, s, val & 7);
		pic_update_irq(p);
		break;
	case 6:		/* set priority */
		s->priority_add = (val + 1) & 7;
		pic_update_irq(p);
		break;
	case 7:		/* specific EOI and rotate */
		irq = val & 7;
		s->priority_add = (irq + 1) & 7;
		pic_clear_isr(p, s, irq);
		pic_update_irq(p);
		break;
	}
}

static void pic_ioport_write(struct kvm_pic *p, struct kvm_pic_state *s, uint32_t addr,
			     uint8_t val)
{
	if (!(addr & 1)) {
		if (val & 0x10) {
			pic_icw1(p, s, val);
		} else if (val & 0x08) {	/* OCW3 */
			if (val & 0x04)
				s->poll = 1;
			if (val & 0x02)
				s->read_reg_select = val & 1;
			if (val & 0x40)
				s->special_mask = (val >> 5) & 1;
		} else {
			pic_ocw2(p, s, val);
		}
		return;
	}
	switch (s->init_state) {
	case 0: {	/* OCW1: the mask */
		uint8_t imr_diff = s->imr ^ val;
		int off = pic_index(p, s) ? 8 : 0;

		s->imr = val;
		for (int irq = 0; irq < 8; irq++)
			if (imr_diff & (1 << irq))
				kvm_fire_mask_notifiers(p->kvm, SELECT_PIC(irq + off), irq + off,
							!!(s->imr & (1 << irq)));
		pic_update_irq(p);
		break;
	}
	case 1:		/* ICW2 */
		s->irq_base = val & 0xf8;
		s->init_state = 2;
		break;
	case 2:		/* ICW3 */
		s->init_state = s->init4 ? 3 : 0;
		break;
	case 3:		/* ICW4 */
		s->special_fully_nested_mode = (val >> 4) & 1;
		s->auto_eoi = (val >> 1) & 1;
		s->init_state = 0;
		break;
	}
}

/* poll mode: the read is the acknowledge */
static uint8_t pic_poll_read(struct kvm_pic *p, struct kvm_pic_state *s, uint32_t addr)
{
	int ret = pic_get_irq(p, s);

	if (ret >= 0) {
		if (addr >> 7) {
			p->pics[0].isr &= ~(1 << 2);
			p->pics[0].irr &= ~(1 << 2);
		}
		s->irr &= ~(1 << ret);
		pic_clear_isr(p, s, ret);
		if (addr >> 7 || ret != 2)
			pic_update_irq(p);
	} else {
		ret = 0x07;
		pic_update_irq(p);
	}
	return ret;
}

static uint8_t pic_ioport_read(struct kvm_pic *p, struct kvm_pic_state *s, uint32_t addr)
{
	uint8_t ret;

	if (s->poll) {
		ret = pic_poll_read(p, s, addr);
		s->poll = 0;
	} else if (!(addr & 1)) {
		ret = s->read_reg_select ? s->isr : s->irr;
	} else {
		ret = s->imr;
	}
	return ret;
}

static struct kvm_pic *dev_to_pic(struct kvm_io_device *dev, uint64_t addr)
{
	switch (addr) {
	case 0x20:
	case 0x21:
		return (void *)((char *)dev - offsetof(struct kvm_pic, dev_master));
	case 0xa0:
	case 0xa1:
		return (void *)((char *)dev - offsetof(struct kvm_pic, dev_slave));
	case 0x4d0:
	case 0x4d1:
		return (void *)((char *)dev - offsetof(struct kvm_pic, dev_elcr));
	}
	return NULL;
}

static int picdev_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr,
			int len, const void *val)
{
	struct kvm_pic *p = dev_to_pic(dev, addr);
	uint8_t data = *(const uint8_t *)val;

	if (!p)
		return -EOPNOTSUPP;
	/* a wider access is dropped ("PIC: non byte write") */
	if (len != 1)
		return 0;
	if (addr >= 0x4d0) {
		p->pics[addr & 1].elcr = data & p->pics[addr & 1].elcr_mask;
	} else {
		pic_ioport_write(p, &p->pics[addr >> 7], addr, data);
		pic_unlock(p);
	}
	return 0;
}

static int picdev_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr,
		       int len, void *val)
{
	struct kvm_pic *p = dev_to_pic(dev, addr);
	uint8_t data;

	if (!p)
		return -EOPNOTSUPP;
	if (len != 1) {
		memset(val, 0, len);
		return 0;
	}
	if (addr >= 0x4d0) {
		data = p->pics[addr & 1].elcr;
	} else {
		data = pic_ioport_read(p, &p->pics[addr >> 7], addr);
		pic_unlock(p);
	}
	*(uint8_t *)val = data;
	return 0;
}

static const struct kvm_io_device_ops picdev_ops = {
	.read = picdev_read,
	.write = picdev_write,
};

struct kvm_pic *kvm_create_pic(struct kvm *kvm)
{
	struct kvm_pic *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->kvm = kvm;
	p->pics[0].elcr_mask = 0xf8;
	p->pics[1].elcr_mask = 0xde;
	p->dev_master.ops = p->dev_slave.ops = p->dev_elcr.ops = &picdev_ops;
	if (kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, 0x20, 2, &p->dev_master) ||
	    kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, 0xa0, 2, &p->dev_slave) ||
	    kvm_io_bus_register_dev(kvm, KVM_PIO_BUS, 0x4d0, 2, &p->dev_elcr)) {
		kvm->x86->vpic = p;
		kvm_destroy_pic(kvm);
		return NULL;
	}
	return p;
}

void kvm_destroy_pic(struct kvm *kvm)
{
	struct kvm_pic *p = kvm->x86->vpic;

	if (!p)
		return;
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &p->dev_master);
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &p->dev_slave);
	kvm_io_bus_unregister_dev(kvm, KVM_PIO_BUS, &p->dev_elcr);
	free(p);
	kvm->x86->vpic = NULL;
}

int kvm_pic_get_state(struct kvm_pic *p, int chip, void *state)
{
	memcpy(state, &p->pics[chip], sizeof(struct kvm_pic_state));
	return 0;
}

int kvm_pic_set_state(struct kvm_pic *p, int chip, const void *state)
{
	memcpy(&p->pics[chip], state, sizeof(struct kvm_pic_state));
	return 0;
}

/* kvm_pic_update_irq, after KVM_SET_IRQCHIP */
void kvm_pic_update(struct kvm_pic *p)
{
	pic_update_irq(p);
	pic_unlock(p);
}
