// SPDX-License-Identifier: MIT
/*
 * x86's side of GSI routing (arch/x86/kvm/irq_comm.c) and the irqchip
 * ioctls of arch/x86/kvm/x86.c: what an irqchip route and an MSI route
 * do, the default routes KVM_CREATE_IRQCHIP installs (GSI 0-15 to both
 * the PIC and the IOAPIC pin of that number, 16-23 to the IOAPIC only),
 * and MSI messages for the local APICs (kvm_irq_delivery_to_apic, lapic.c).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_irq.h"
#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"

bool kvm_x86_irqchip_in_kernel(struct kvm *kvm)
{
	return kvm->irqchip_kernel;
}

/* a resampling irqfd needs the IOAPIC in the kernel (not the split irqchip) */
bool kvm_x86_irqfd_allowed(struct kvm *kvm, bool resample)
{
	return resample ? pic_in_kernel(kvm) : kvm->irqchip_kernel;
}

bool irqchip_split(struct kvm *kvm)
{
	return kvm->x86->irqchip_split;
}

bool pic_in_kernel(struct kvm *kvm)
{
	return kvm->x86->vpic;
}

static void split_irqchip_send_eoi(struct kvm_vcpu *vcpu, int vector, bool level)
{
	(void)level;	/* the routes say which vectors are level-triggered */
	kvm_split_irqchip_eoi(vcpu, vector);
}

/* ioapic.h: as many as there can be routes */
#define MAX_NR_RESERVED_IOAPIC_PINS	KVM_MAX_IRQ_ROUTES

/*
 * KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): the LAPICs in the kernel, the
 * PIC and IOAPIC left to userspace, which routes its IOAPIC pins as MSIs
 * on the first args[0] GSIs and hears of their level EOIs through
 * KVM_EXIT_IOAPIC_EOI.  No route exists until it sets them.
 */
int kvm_x86_enable_split_irqchip(struct kvm *kvm, uint64_t nr_reserved_ioapic_pins)
{
	struct sim_ev *ev;

	if (nr_reserved_ioapic_pins > MAX_NR_RESERVED_IOAPIC_PINS)
		return -EINVAL;
	if (kvm->irqchip_kernel || kvm->created_vcpus)
		return -EEXIST;
	kvm_lapic_set_eoi_notifier(kvm, split_irqchip_send_eoi);
	kvm->irqchip_kernel = true;
	kvm->x86->irqchip_split = true;
	kvm->x86->nr_reserved_ioapic_pins = nr_reserved_ioapic_pins;
	ev = sim_ev_begin("kvm_enable_split_irqchip");
	sim_ev_int(ev, "ioapic_pins", nr_reserved_ioapic_pins);
	sim_ev_end(ev);
	return 0;
}

/*
 * kvm_ioapic_send_eoi for the split irqchip: an EOI of a vector that a
 * level-triggered MSI route on a reserved GSI sends to this vCPU
 * (kvm_scan_ioapic_routes) exits to userspace before the next entry.
 */
void kvm_split_irqchip_eoi(struct kvm_vcpu *vcpu, int vector)
{
	struct kvm_irq_routing_table *rt = vcpu->kvm->irq ? vcpu->kvm->irq->routing : NULL;

	for (uint32_t i = 0; rt && i < rt->nr; i++) {
		const struct kvm_kernel_irq_routing_entry *e = &rt->e[i];

		if (e->type != KVM_IRQ_ROUTING_MSI ||
		    e->gsi >= vcpu->kvm->x86->nr_reserved_ioapic_pins ||
		    !((e->msi.data >> 15) & 1) || (e->msi.data & 0xff) != (uint32_t)vector ||
		    !kvm_apic_match_dest(vcpu, NULL, APIC_DEST_NOSHORT,
					 (e->msi.address_lo >> 12) & 0xff,
					 (e->msi.address_lo & 4) ? APIC_DEST_LOGICAL :
								   APIC_DEST_PHYSICAL))
			continue;
		to_uc(vcpu)->events.pending_ioapic_eoi = vector;
		return;
	}
}

static int kvm_set_pic_irq(struct kvm_kernel_irq_routing_entry *e, struct kvm *kvm,
			   int irq_source_id, int level, bool line_status)
{
	return kvm_pic_set_irq(kvm->x86->vpic, e->irqchip.pin, irq_source_id, level);
}

static int kvm_set_ioapic_irq(struct kvm_kernel_irq_routing_entry *e, struct kvm *kvm,
			      int irq_source_id, int level, bool line_status)
{
	return kvm_ioapic_set_irq(kvm->x86->vioapic, e->irqchip.pin, irq_source_id, level,
				  line_status);
}

/*
 * kvm_set_msi: address 0xfeeXXXXX carries the destination (bits 19:12,
 * with bits 11:5 of address_hi... only in the x2APIC format, which is not
 * offered) and the logical bit (2); data the vector, delivery mode and
 * trigger mode.  A level of 0 sends nothing.
 */
static int kvm_set_msi(struct kvm_kernel_irq_routing_entry *e, struct kvm *kvm,
		       int irq_source_id, int level, bool line_status)
{
	struct kvm_lapic_irq irq;
	struct sim_ev *ev;

	if (!level)
		return -1;
	ev = sim_ev_begin("kvm_set_msi");
	sim_ev_hex(ev, "address", (uint64_t)e->msi.address_hi << 32 | e->msi.address_lo);
	sim_ev_hex(ev, "data", e->msi.data);
	sim_ev_end(ev);
	irq = (struct kvm_lapic_irq){
		.dest_id = (e->msi.address_lo >> 12) & 0xff,
		.vector = e->msi.data & 0xff,
		.dest_mode = (e->msi.address_lo & 4) ? APIC_DEST_LOGICAL : APIC_DEST_PHYSICAL,
		.trig_mode = e->msi.data & APIC_INT_LEVELTRIG,
		.delivery_mode = e->msi.data & APIC_MODE_MASK,
		.level = true,
		.shorthand = APIC_DEST_NOSHORT,
		.msi_redir_hint = (e->msi.address_lo >> 3) & 1,
	};
	return kvm_irq_delivery_to_apic(kvm, NULL, &irq);
}

int kvm_x86_set_routing_entry(struct kvm *kvm, struct kvm_kernel_irq_routing_entry *e,
			      const struct kvm_irq_routing_entry *ue)
{
	switch (ue->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		if (irqchip_split(kvm))
			return -EINVAL;
		e->irqchip.pin = ue->u.irqchip.pin;
		switch (ue->u.irqchip.irqchip) {
		case KVM_IRQCHIP_PIC_SLAVE:
			e->irqchip.pin += 8;
			/* fallthrough */
		case KVM_IRQCHIP_PIC_MASTER:
			if (ue->u.irqchip.pin >= 8)
				return -EINVAL;
			e->set = kvm_set_pic_irq;
			break;
		case KVM_IRQCHIP_IOAPIC:
			if (ue->u.irqchip.pin >= KVM_IOAPIC_NUM_PINS)
				return -EINVAL;
			e->set = kvm_set_ioapic_irq;
			break;
		default:
			return -EINVAL;
		}
		e->irqchip.irqchip = ue->u.irqchip.irqchip;
		return 0;
	case KVM_IRQ_ROUTING_MSI:
		e->set = kvm_set_msi;
		e->msi.address_lo = ue->u.msi.address_lo;
		e->msi.address_hi = ue->u.msi.address_hi;
		e->msi.data = ue->u.msi.data;
		return 0;
	}
	return -EINVAL;
}

int kvm_setup_default_irq_routing(struct kvm *kvm)
{
	struct kvm_irq_routing_entry ue[24 + 16];
	int n = 0;

	memset(ue, 0, sizeof(ue));
	for (unsigned int gsi = 0; gsi < 24; gsi++) {
		ue[n].gsi = gsi;
		ue[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		ue[n].u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		ue[n++].u.irqchip.pin = gsi;
		if (gsi >= 16)
			continue;
		ue[n].gsi = gsi;
		ue[n].type = KVM_IRQ_ROUTING_IRQCHIP;
		ue[n].u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
		ue[n++].u.irqchip.pin = gsi % 8;
	}
	return kvm_set_irq_routing(kvm, ue, n, 0);
}

/* KVM_CREATE_IRQCHIP: PIC pair, IOAPIC, default routes, then the LAPICs */
static long kvm_create_irqchip(struct kvm *kvm)
{
	struct kvm_x86_vm_state *x = kvm->x86;
	struct sim_ev *ev;

	if (kvm->irqchip_kernel)
		return -EEXIST;
	if (kvm->created_vcpus)
		return -EINVAL;
	x->vpic = kvm_create_pic(kvm);
	if (!x->vpic)
		return -ENOMEM;
	x->vioapic = kvm_ioapic_init(kvm);
	if (!x->vioapic || kvm_setup_default_irq_routing(kvm)) {
		kvm_ioapic_destroy(kvm);
		kvm_destroy_pic(kvm);
		return -ENOMEM;
	}
	kvm_lapic_set_eoi_notifier(kvm, kvm_ioapic_update_eoi);
	kvm->irqchip_kernel = true;
	ev = sim_ev_begin("kvm_create_irqchip");
	sim_ev_end(ev);
	return 0;
}

static long kvm_vm_ioctl_irqchip(struct kvm *kvm, bool set, void *uarg)
{
	struct kvm_irqchip chip;
	long r = 0;

	if (copy_from_user(&chip, uarg, sizeof(chip)))
		return -EFAULT;
	/* irqchip_kernel: not the split one */
	if (!pic_in_kernel(kvm))
		return -ENXIO;
	switch (chip.chip_id) {
	case KVM_IRQCHIP_PIC_MASTER:
	case KVM_IRQCHIP_PIC_SLAVE:
		if (set)
			kvm_pic_set_state(kvm->x86->vpic, chip.chip_id, &chip.chip.pic);
		else
			kvm_pic_get_state(kvm->x86->vpic, chip.chip_id, &chip.chip.pic);
		break;
	case KVM_IRQCHIP_IOAPIC:
		if (set)
			kvm_set_ioapic(kvm, &chip.chip.ioapic);
		else
			kvm_get_ioapic(kvm, &chip.chip.ioapic);
		break;
	default:
		r = -EINVAL;
	}
	if (set) {
		/* kvm_pic_update_irq even after a bad chip id */
		kvm_pic_update(kvm->x86->vpic);
		return r;
	}
	if (!r && copy_to_user(uarg, &chip, sizeof(chip)))
		r = -EFAULT;
	return r;
}

/* KVM_IRQ_LINE(_STATUS): kvm_vm_ioctl_irq_line */
static long kvm_vm_ioctl_irq_line(struct kvm *kvm, bool status, void *uarg)
{
	struct kvm_irq_level irq_event;

	if (copy_from_user(&irq_event, uarg, sizeof(irq_event)))
		return -EFAULT;
	if (!kvm->irqchip_kernel)
		return -ENXIO;
	irq_event.status = kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, irq_event.irq,
				       irq_event.level, status);
	if (status && copy_to_user(uarg, &irq_event, sizeof(irq_event)))
		return -EFAULT;
	return 0;
}

long kvm_x86_irqchip_ioctl(struct kvm *kvm, unsigned int cmd, void *uarg)
{
	switch (cmd) {
	case KVM_CREATE_IRQCHIP:
		return kvm_create_irqchip(kvm);
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
		return kvm_vm_ioctl_irqchip(kvm, cmd == KVM_SET_IRQCHIP, uarg);
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
		return kvm_vm_ioctl_irq_line(kvm, cmd == KVM_IRQ_LINE_STATUS, uarg);
	}
	return -ENOTTY;
}
