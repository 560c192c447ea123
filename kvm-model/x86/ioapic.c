// SPDX-License-Identifier: MIT
/*
 * The IOAPIC of KVM_CREATE_IRQCHIP (arch/x86/kvm/ioapic.c): 24 pins, each
 * with a redirection entry (vector, delivery mode, destination, trigger
 * mode, mask), reached through IOREGSEL/IOWIN at 0xfec00000.  An edge
 * pin sends one message per rising edge; a level pin sends one and sets
 * Remote IRR until the local APIC's EOI of that vector comes back, then
 * sends again if the line is still high.  Messages go to the local APICs
 * through kvm_irq_delivery_to_apic.
 *
 * Not modelled: the RTC (GSI 8) coalescing that KVM_IRQ_LINE_STATUS
 * reports for Windows guests, and the delayed re-injection after 10,000
 * back-to-back level EOIs (an interrupt storm is re-sent at once).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_irq.h"
#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"

#define IOAPIC_NUM_PINS			KVM_IOAPIC_NUM_PINS
#define IOAPIC_VERSION_ID		0x11
#define IOAPIC_DEFAULT_BASE_ADDRESS	0xfec00000ull
#define IOAPIC_MEM_LENGTH		0x100
#define IOAPIC_REG_SELECT		0x00
#define IOAPIC_REG_WINDOW		0x10
#define IOAPIC_REG_APIC_ID		0x00
#define IOAPIC_REG_VERSION		0x01
#define IOAPIC_REG_ARB_ID		0x02

typedef __typeof__(((struct kvm_ioapic_state *)0)->redirtbl[0]) redirect_entry_t;

struct kvm_ioapic {
	struct kvm_ioapic_state s;	/* what KVM_GET/SET_IRQCHIP copy */
	struct kvm *kvm;
	uint32_t irr_delivered;		/* edge pins whose message went out */
	unsigned long irq_states[IOAPIC_NUM_PINS];
	struct kvm_io_device dev;	/* first member after the state: container_of */
};

static int ioapic_service(struct kvm_ioapic *ioapic, int irq)
{
	redirect_entry_t *e = &ioapic->s.redirtbl[irq];
	struct kvm_lapic_irq irqe;
	int ret;

	if (e->fields.mask || (e->fields.trig_mode && e->fields.remote_irr))
		return -1;
	irqe = (struct kvm_lapic_irq){
		.vector = e->fields.vector,
		.delivery_mode = e->fields.delivery_mode << 8,
		.dest_mode = e->fields.dest_mode ? APIC_DEST_LOGICAL : APIC_DEST_PHYSICAL,
		.level = true,
		.trig_mode = e->fields.trig_mode ? APIC_INT_LEVELTRIG : 0,
		.shorthand = APIC_DEST_NOSHORT,
		.dest_id = e->fields.dest_id,
	};
	if (!irqe.trig_mode)
		ioapic->irr_delivered |= 1u << irq;
	ret = kvm_irq_delivery_to_apic(ioapic->kvm, NULL, &irqe);
	if (ret && irqe.trig_mode)
		e->fields.remote_irr = 1;
	return ret;
}

/* ioapic_set_irq: 1 delivered (or lowered), 0 coalesced, -1 masked */
static int ioapic_set_irq(struct kvm_ioapic *ioapic, unsigned int irq, int irq_level)
{
	redirect_entry_t entry = ioapic->s.redirtbl[irq];
	uint32_t mask = 1u << irq, old_irr;
	bool edge = !entry.fields.trig_mode;
	struct sim_ev *ev;
	int ret;

	if (!irq_level) {
		ioapic->s.irr &= ~mask;
		ret = 1;
		goto out;
	}
	old_irr = ioapic->s.irr;
	ioapic->s.irr |= mask;
	if (edge) {
		ioapic->irr_delivered &= ~mask;
		if (old_irr == ioapic->s.irr) {
			ret = 0;
			goto out;
		}
	}
	ret = ioapic_service(ioapic, irq);
out:
	ev = sim_ev_begin("kvm_ioapic_set_irq");
	sim_ev_int(ev, "pin", irq);
	sim_ev_int(ev, "level", irq_level);
	sim_ev_int(ev, "vector", entry.fields.vector);
	sim_ev_bool(ev, "masked", entry.fields.mask);
	sim_ev_bool(ev, "coalesced", ret == 0);
	sim_ev_end(ev);
	return ret;
}

int kvm_ioapic_set_irq(struct kvm_ioapic *ioapic, int irq, int irq_source_id, int level,
		       bool line_status)
{
	int irq_level = kvm_irq_line_state(&ioapic->irq_states[irq], irq_source_id, level);

	(void)line_status;
	return ioapic_set_irq(ioapic, irq, irq_level);
}

static uint32_t ioapic_read_indirect(struct kvm_ioapic *ioapic)
{
	uint32_t sel = ioapic->s.ioregsel, index;
	uint64_t redir = ~0ull;

	switch (sel) {
	case IOAPIC_REG_VERSION:
		return ((IOAPIC_NUM_PINS - 1) & 0xff) << 16 | IOAPIC_VERSION_ID;
	case IOAPIC_REG_APIC_ID:
	case IOAPIC_REG_ARB_ID:
		return (ioapic->s.id & 0xf) << 24;
	}
	index = (sel - 0x10) >> 1;
	if (sel >= 0x10 && index < IOAPIC_NUM_PINS)
		redir = ioapic->s.redirtbl[index].bits;
	return sel & 1 ? redir >> 32 : (uint32_t)redir;
}

static void ioapic_write_indirect(struct kvm_ioapic *ioapic, uint32_t val)
{
	uint32_t sel = ioapic->s.ioregsel, index;
	redirect_entry_t *e;
	unsigned int remote_irr, delivery_status, mask_before;

	switch (sel) {
	case IOAPIC_REG_VERSION:
	case IOAPIC_REG_ARB_ID:
		return;
	case IOAPIC_REG_APIC_ID:
		ioapic->s.id = (val >> 24) & 0xf;
		return;
	}
	index = (sel - 0x10) >> 1;
	if (sel < 0x10 || index >= IOAPIC_NUM_PINS)
		return;
	e = &ioapic->s.redirtbl[index];
	mask_before = e->fields.mask;
	/* Remote IRR and Delivery Status are read-only */
	remote_irr = e->fields.remote_irr;
	delivery_status = e->fields.delivery_status;
	if (sel & 1)
		e->bits = (e->bits & 0xffffffffull) | (uint64_t)val << 32;
	else
		e->bits = (e->bits & ~0xffffffffull) | val;
	e->fields.remote_irr = remote_irr;
	e->fields.delivery_status = delivery_status;
	/* an entry made edge-triggered loses Remote IRR (Linux relies on it) */
	if (!e->fields.trig_mode)
		e->fields.remote_irr = 0;
	if (mask_before != e->fields.mask)
		kvm_fire_mask_notifiers(ioapic->kvm, KVM_IRQCHIP_IOAPIC, index, e->fields.mask);
	/* unmasked with its level line still high: resample, or send it */
	if (e->fields.trig_mode && (ioapic->s.irr & (1u << index)) && !e->fields.mask &&
	    !e->fields.remote_irr) {
		if (kvm_notify_irqfd_resampler(ioapic->kvm, KVM_IRQCHIP_IOAPIC, index))
			ioapic->s.irr &= ~(1u << index);
		else
			ioapic_service(ioapic, index);
	}
}

static bool ioapic_in_range(struct kvm_ioapic *ioapic, uint64_t addr)
{
	return addr >= ioapic->s.base_address &&
	       addr < ioapic->s.base_address + IOAPIC_MEM_LENGTH;
}

static struct kvm_ioapic *to_ioapic(struct kvm_io_device *dev)
{
	return (void *)((char *)dev - offsetof(struct kvm_ioapic, dev));
}

static int ioapic_mmio_read(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr,
			    int len, void *val)
{
	struct kvm_ioapic *ioapic = to_ioapic(dev);
	uint64_t result = 0;

	if (!ioapic_in_range(ioapic, addr))
		return -EOPNOTSUPP;
	switch (addr & 0xff) {
	case IOAPIC_REG_SELECT:
		result = ioapic->s.ioregsel;
		break;
	case IOAPIC_REG_WINDOW:
		result = ioapic_read_indirect(ioapic);
		break;
	}
	memcpy(val, &result, len > 8 ? 8 : len);
	return 0;
}

static int ioapic_mmio_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr,
			     int len, const void *val)
{
	struct kvm_ioapic *ioapic = to_ioapic(dev);
	uint32_t data = 0;

	if (!ioapic_in_range(ioapic, addr))
		return -EOPNOTSUPP;
	switch (len) {
	case 8:
	case 4:
		memcpy(&data, val, 4);
		break;
	case 2:
	case 1:
		memcpy(&data, val, len);
		break;
	default:
		return 0;	/* "ioapic: Unsupported size" */
	}
	switch (addr & 0xff) {
	case IOAPIC_REG_SELECT:
		ioapic->s.ioregsel = data & 0xff;
		break;
	case IOAPIC_REG_WINDOW:
		ioapic_write_indirect(ioapic, data);
		break;
	}
	return 0;
}

static const struct kvm_io_device_ops ioapic_mmio_ops = {
	.read = ioapic_mmio_read,
	.write = ioapic_mmio_write,
};

static void kvm_ioapic_reset(struct kvm_ioapic *ioapic)
{
	for (int i = 0; i < IOAPIC_NUM_PINS; i++)
		ioapic->s.redirtbl[i].fields.mask = 1;
	ioapic->s.base_address = IOAPIC_DEFAULT_BASE_ADDRESS;
	ioapic->s.ioregsel = 0;
	ioapic->s.irr = 0;
	ioapic->irr_delivered = 0;
	ioapic->s.id = 0;
}

struct kvm_ioapic *kvm_ioapic_init(struct kvm *kvm)
{
	struct kvm_ioapic *ioapic = calloc(1, sizeof(*ioapic));

	if (!ioapic)
		return NULL;
	ioapic->kvm = kvm;
	kvm_ioapic_reset(ioapic);
	ioapic->dev.ops = &ioapic_mmio_ops;
	if (kvm_io_bus_register_dev(kvm, KVM_MMIO_BUS, ioapic->s.base_address,
				    IOAPIC_MEM_LENGTH, &ioapic->dev)) {
		free(ioapic);
		return NULL;
	}
	return ioapic;
}

void kvm_ioapic_destroy(struct kvm *kvm)
{
	struct kvm_ioapic *ioapic = kvm->x86->vioapic;

	if (!ioapic)
		return;
	kvm_io_bus_unregister_dev(kvm, KVM_MMIO_BUS, &ioapic->dev);
	free(ioapic);
	kvm->x86->vioapic = NULL;
}

/* kvm_get_ioapic: an edge already sent is no longer pending */
void kvm_get_ioapic(struct kvm *kvm, struct kvm_ioapic_state *state)
{
	struct kvm_ioapic *ioapic = kvm->x86->vioapic;

	*state = ioapic->s;
	state->irr &= ~ioapic->irr_delivered;
}

/* kvm_set_ioapic: the state as given, its pending pins raised again */
void kvm_set_ioapic(struct kvm *kvm, const struct kvm_ioapic_state *state)
{
	struct kvm_ioapic *ioapic = kvm->x86->vioapic;

	ioapic->s = *state;
	ioapic->s.irr = 0;
	ioapic->irr_delivered = 0;
	for (int i = 0; i < IOAPIC_NUM_PINS; i++)
		if (state->irr & (1u << i))
			ioapic_set_irq(ioapic, i, 1);
}

/* kvm_ioapic_update_eoi: every pin of the vector; level ones drop Remote IRR */
void kvm_ioapic_update_eoi(struct kvm_vcpu *vcpu, int vector, bool level)
{
	struct kvm_ioapic *ioapic = vcpu->kvm->x86->vioapic;

	for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
		redirect_entry_t *e = &ioapic->s.redirtbl[i];

		if (e->fields.vector != (unsigned int)vector)
			continue;
		kvm_notify_acked_irq(vcpu->kvm, KVM_IRQCHIP_IOAPIC, i);
		if (!level)
			continue;
		e->fields.remote_irr = 0;
		if (!e->fields.mask && (ioapic->s.irr & (1u << i)))
			ioapic_service(ioapic, i);
	}
}
