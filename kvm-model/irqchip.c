// SPDX-License-Identifier: MIT
/*
 * GSI routing (virt/kvm/irqchip.c): a table from GSI to the routing
 * entries behind it (an irqchip pin, an MSI message), replaced whole by
 * KVM_SET_GSI_ROUTING; kvm_set_irq raises or lowers a GSI through every
 * entry; ack notifiers learn when the guest acknowledged a pin; and
 * KVM_SIGNAL_MSI sends one MSI without a route.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_arch.h"
#include "kvm-model/kvm_host.h"
#include "kvm-model/kvm_irq.h"

struct kvm_irq *kvm_irq(struct kvm *kvm)
{
	if (!kvm->irq) {
		kvm->irq = calloc(1, sizeof(*kvm->irq));
		if (!kvm->irq)
			abort();
		/* 0 userspace, 1 the irqfd resampler: kvm_init_irq_routing */
		kvm->irq->irq_sources_bitmap = 3;
		sim_waitq_init(&kvm->irq->irqfd_wq, "irqfd_inject");
	}
	return kvm->irq;
}

void kvm_irq_destroy(struct kvm *kvm)
{
	if (!kvm->irq)
		return;
	kvm_eventfd_release(kvm);
	kvm_free_irq_routing(kvm->irq->routing);
	for (int i = 0; i < KVM_NR_BUSES; i++)
		free(kvm->irq->buses[i].range);
	/* the kworker actor, if any, ends by itself: it owns the struct now */
	if (kvm->irq->irqfd_worker) {
		kvm->irq->irqfd_worker_exit = true;
		sim_wake_all(&kvm->irq->irqfd_wq);
	} else {
		free(kvm->irq);
	}
	kvm->irq = NULL;
}

int kvm_request_irq_source_id(struct kvm *kvm)
{
	struct kvm_irq *irq = kvm_irq(kvm);

	for (int id = 0; id < (int)(8 * sizeof(long)); id++) {
		if (!(irq->irq_sources_bitmap & (1ul << id))) {
			irq->irq_sources_bitmap |= 1ul << id;
			return id;
		}
	}
	return -EFAULT;
}

int kvm_irq_line_state(unsigned long *line, int irq_source_id, int level)
{
	if (level)
		*line |= 1ul << irq_source_id;
	else
		*line &= ~(1ul << irq_source_id);
	return !!*line;
}

/*
 * kvm_set_irq: every entry of the GSI, in the order they were given; the
 * result adds up the non-negative ones (-1 if all were masked or none).
 */
int kvm_set_irq(struct kvm *kvm, int irq_source_id, uint32_t irq, int level,
		bool line_status)
{
	struct kvm_irq_routing_table *rt = kvm->irq ? kvm->irq->routing : NULL;
	struct sim_ev *ev = sim_ev_begin("kvm_set_irq");
	int ret = -1;

	sim_ev_int(ev, "gsi", irq);
	sim_ev_int(ev, "level", level);
	sim_ev_int(ev, "source", irq_source_id);
	sim_ev_end(ev);
	if (!rt || irq >= rt->nr_rt_entries)
		return -1;
	for (uint32_t i = 0; i < rt->nr; i++) {
		struct kvm_kernel_irq_routing_entry e = rt->e[i];
		int r;

		if (e.gsi != irq)
			continue;
		r = e.set(&e, kvm, irq_source_id, level, line_status);
		if (r < 0)
			continue;
		ret = r + (ret < 0 ? 0 : ret);
	}
	return ret;
}

/*
 * setup_routing_entry: a GSI reaches each irqchip at most once, and an
 * MSI route is alone on its GSI.
 */
static int setup_routing_entry(struct kvm *kvm, struct kvm_irq_routing_table *rt,
			       const struct kvm_irq_routing_entry *ue)
{
	struct kvm_kernel_irq_routing_entry *e = &rt->e[rt->nr];
	int r;

	for (uint32_t i = 0; i < rt->nr; i++) {
		struct kvm_kernel_irq_routing_entry *ei = &rt->e[i];

		if (ei->gsi != ue->gsi)
			continue;
		if (ei->type != KVM_IRQ_ROUTING_IRQCHIP || ue->type != KVM_IRQ_ROUTING_IRQCHIP ||
		    ue->u.irqchip.irqchip == ei->irqchip.irqchip)
			return -EINVAL;
	}
	memset(e, 0, sizeof(*e));
	e->gsi = ue->gsi;
	e->type = ue->type;
	r = kvm_arch()->set_routing_entry(kvm, e, ue);
	if (r)
		return r;
	if (e->type == KVM_IRQ_ROUTING_IRQCHIP)
		rt->chip[e->irqchip.irqchip * kvm_arch()->irqchip_num_pins + e->irqchip.pin] = e->gsi;
	rt->nr++;
	return 0;
}

int kvm_set_irq_routing(struct kvm *kvm, const struct kvm_irq_routing_entry *ue,
			unsigned int nr, unsigned int flags)
{
	struct kvm_irq_routing_table *new;
	uint32_t nr_rt_entries = 0;
	unsigned int nr_pins;
	struct sim_ev *ev;
	int r;

	(void)flags;
	for (unsigned int i = 0; i < nr; i++) {
		if (ue[i].gsi >= KVM_MAX_IRQ_ROUTES)
			return -EINVAL;
		if (ue[i].gsi > nr_rt_entries)
			nr_rt_entries = ue[i].gsi;
	}
	new = calloc(1, sizeof(*new) + nr * sizeof(new->e[0]));
	if (!new)
		return -ENOMEM;
	new->nr_rt_entries = nr_rt_entries + 1;
	nr_pins = kvm_arch()->nr_irqchips * kvm_arch()->irqchip_num_pins;
	new->chip = malloc(nr_pins * sizeof(new->chip[0]));
	if (!new->chip) {
		free(new);
		return -ENOMEM;
	}
	memset(new->chip, -1, nr_pins * sizeof(new->chip[0]));
	for (unsigned int i = 0; i < nr; i++) {
		uint32_t valid = ue[i].type == KVM_IRQ_ROUTING_MSI ? KVM_MSI_VALID_DEVID : 0;

		r = -EINVAL;
		if (ue[i].flags & ~valid)
			goto out;
		r = setup_routing_entry(kvm, new, &ue[i]);
		if (r)
			goto out;
	}
	kvm_free_irq_routing(kvm_irq(kvm)->routing);
	kvm->irq->routing = new;
	ev = sim_ev_begin("kvm_set_irq_routing");
	sim_ev_int(ev, "entries", nr);
	sim_ev_end(ev);
	return 0;
out:
	kvm_free_irq_routing(new);
	return r;
}

void kvm_free_irq_routing(struct kvm_irq_routing_table *rt)
{
	if (!rt)
		return;
	free(rt->chip);
	free(rt);
}

int kvm_irq_map_chip_pin(struct kvm *kvm, unsigned int irqchip, unsigned int pin)
{
	struct kvm_irq_routing_table *rt = kvm->irq ? kvm->irq->routing : NULL;

	if (!rt || irqchip >= kvm_arch()->nr_irqchips || pin >= kvm_arch()->irqchip_num_pins)
		return -1;
	return rt->chip[irqchip * kvm_arch()->irqchip_num_pins + pin];
}

void kvm_notify_acked_gsi(struct kvm *kvm, int gsi)
{
	struct kvm_irq_ack_notifier *kian, *next;

	if (!kvm->irq)
		return;
	for (kian = kvm->irq->ack_notifiers; kian; kian = next) {
		next = kian->next;
		if ((int)kian->gsi == gsi)
			kian->irq_acked(kian);
	}
}

void kvm_notify_acked_irq(struct kvm *kvm, unsigned int irqchip, unsigned int pin)
{
	int gsi = kvm_irq_map_chip_pin(kvm, irqchip, pin);
	struct sim_ev *ev = sim_ev_begin("kvm_ack_irq");

	sim_ev_int(ev, "irqchip", irqchip);
	sim_ev_int(ev, "pin", pin);
	sim_ev_end(ev);
	if (gsi != -1)
		kvm_notify_acked_gsi(kvm, gsi);
}

void kvm_register_irq_ack_notifier(struct kvm *kvm, struct kvm_irq_ack_notifier *kian)
{
	struct kvm_irq *irq = kvm_irq(kvm);

	kian->next = irq->ack_notifiers;
	irq->ack_notifiers = kian;
}

void kvm_unregister_irq_ack_notifier(struct kvm *kvm, struct kvm_irq_ack_notifier *kian)
{
	if (!kvm->irq)
		return;
	for (struct kvm_irq_ack_notifier **pp = &kvm->irq->ack_notifiers; *pp;
	     pp = &(*pp)->next) {
		if (*pp == kian) {
			*pp = kian->next;
			return;
		}
	}
}

void kvm_register_irq_mask_notifier(struct kvm *kvm, int irq, struct kvm_irq_mask_notifier *kimn)
{
	struct kvm_irq *kirq = kvm_irq(kvm);

	kimn->irq = irq;
	kimn->next = kirq->mask_notifiers;
	kirq->mask_notifiers = kimn;
}

void kvm_unregister_irq_mask_notifier(struct kvm *kvm, struct kvm_irq_mask_notifier *kimn)
{
	if (!kvm->irq)
		return;
	for (struct kvm_irq_mask_notifier **pp = &kvm->irq->mask_notifiers; *pp;
	     pp = &(*pp)->next) {
		if (*pp == kimn) {
			*pp = kimn->next;
			return;
		}
	}
}

void kvm_fire_mask_notifiers(struct kvm *kvm, unsigned int irqchip, unsigned int pin, bool mask)
{
	int gsi = kvm_irq_map_chip_pin(kvm, irqchip, pin);

	if (gsi == -1)
		return;
	for (struct kvm_irq_mask_notifier *k = kvm->irq->mask_notifiers, *next; k; k = next) {
		next = k->next;
		if (k->irq == gsi)
			k->func(k, mask);
	}
}

/* KVM_SET_GSI_ROUTING */
long kvm_vm_ioctl_set_gsi_routing(struct kvm *kvm, void *uarg)
{
	struct kvm_irq_routing routing;
	struct kvm_irq_routing_entry *entries = NULL;
	long r;

	if (copy_from_user(&routing, uarg, sizeof(routing)))
		return -EFAULT;
	if (kvm_arch()->can_set_irq_routing && !kvm_arch()->can_set_irq_routing(kvm))
		return -EINVAL;
	if (routing.nr > KVM_MAX_IRQ_ROUTES || routing.flags)
		return -EINVAL;
	if (routing.nr) {
		entries = calloc(routing.nr, sizeof(*entries));
		if (!entries)
			return -ENOMEM;
		if (copy_from_user(entries, (char *)uarg + sizeof(routing),
				   routing.nr * sizeof(*entries))) {
			free(entries);
			return -EFAULT;
		}
	}
	r = kvm_set_irq_routing(kvm, entries, routing.nr, routing.flags);
	free(entries);
	return r;
}

/* KVM_SIGNAL_MSI: kvm_send_userspace_msi, an MSI route of its own */
long kvm_vm_ioctl_signal_msi(struct kvm *kvm, void *uarg)
{
	struct kvm_kernel_irq_routing_entry e = { .type = KVM_IRQ_ROUTING_MSI };
	struct kvm_irq_routing_entry ue = { .type = KVM_IRQ_ROUTING_MSI };
	struct kvm_msi msi;
	int r;

	if (copy_from_user(&msi, uarg, sizeof(msi)))
		return -EFAULT;
	if (!kvm_arch()->irqchip_in_kernel || !kvm_arch()->irqchip_in_kernel(kvm) ||
	    (msi.flags & ~KVM_MSI_VALID_DEVID))
		return -EINVAL;
	ue.u.msi.address_lo = msi.address_lo;
	ue.u.msi.address_hi = msi.address_hi;
	ue.u.msi.data = msi.data;
	r = kvm_arch()->set_routing_entry(kvm, &e, &ue);
	if (r)
		return r;
	e.msi.flags = msi.flags;
	e.msi.devid = msi.devid;
	return e.set(&e, kvm, KVM_USERSPACE_IRQ_SOURCE_ID, 1, false);
}
