// SPDX-License-Identifier: MIT
/*
 * arm64's side of GSI routing (arch/arm64/kvm/vgic/vgic-irqfd.c): one
 * irqchip, the vGIC, whose pin N is SPI N + 32; vgic_init installs the
 * default routes GSI i -> pin i for every SPI the distributor has; an
 * MSI route needs an ITS, which the model has none of (-ENODEV when one
 * is raised, as for a VM without an ITS).  irqfd and KVM_SET_GSI_ROUTING
 * themselves are the generic code's (kvm-model/eventfd.c, irqchip.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "kvm-model/arm64/arm64.h"
#include "kvm-model/kvm_irq.h"

/* vgic_valid_spi: an SPI the distributor was sized for */
static bool vgic_valid_spi(struct kvm *kvm, uint32_t intid)
{
	return intid >= VGIC_NR_PRIVATE_IRQS &&
	       intid < kvm->arm64->nr_spis + VGIC_NR_PRIVATE_IRQS;
}

/* vgic_irqfd_set_irq: the irqchip route's set(), the irqfd entry point */
static int vgic_irqfd_set_irq(struct kvm_kernel_irq_routing_entry *e, struct kvm *kvm,
			      int irq_source_id, int level, bool line_status)
{
	uint32_t spi_id = e->irqchip.pin + VGIC_NR_PRIVATE_IRQS;

	(void)irq_source_id;
	(void)line_status;
	if (!kvm->arm64 || !vgic_valid_spi(kvm, spi_id))
		return -EINVAL;
	return kvm_vgic_inject_irq(kvm, NULL, spi_id, level);
}

/* kvm_set_msi: an MSI goes through the ITS; with none, -ENODEV */
static int kvm_arm64_set_msi(struct kvm_kernel_irq_routing_entry *e, struct kvm *kvm,
			     int irq_source_id, int level, bool line_status)
{
	(void)e;
	(void)kvm;
	(void)irq_source_id;
	(void)level;
	(void)line_status;
	return -ENODEV;		/* !vgic_has_its(kvm) */
}

int kvm_arm64_set_routing_entry(struct kvm *kvm, struct kvm_kernel_irq_routing_entry *e,
				const struct kvm_irq_routing_entry *ue)
{
	(void)kvm;
	switch (ue->type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		e->set = vgic_irqfd_set_irq;
		e->irqchip.irqchip = ue->u.irqchip.irqchip;
		e->irqchip.pin = ue->u.irqchip.pin;
		if (e->irqchip.pin >= KVM_ARM64_IRQCHIP_NUM_PINS ||
		    e->irqchip.irqchip >= KVM_ARM64_NR_IRQCHIPS)
			return -EINVAL;
		return 0;
	case KVM_IRQ_ROUTING_MSI:
		e->set = kvm_arm64_set_msi;
		e->msi.address_lo = ue->u.msi.address_lo;
		e->msi.address_hi = ue->u.msi.address_hi;
		e->msi.data = ue->u.msi.data;
		e->msi.flags = ue->flags;
		e->msi.devid = ue->u.msi.devid;
		return 0;
	}
	return -EINVAL;
}

/* kvm_vgic_setup_default_irq_routing: GSI i -> irqchip 0 pin i, per SPI */
int kvm_vgic_setup_default_irq_routing(struct kvm *kvm)
{
	uint32_t nr = kvm->arm64->nr_spis;
	struct kvm_irq_routing_entry *entries = calloc(nr, sizeof(*entries));
	int r;

	if (!entries)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr; i++) {
		entries[i].gsi = i;
		entries[i].type = KVM_IRQ_ROUTING_IRQCHIP;
		entries[i].u.irqchip.irqchip = 0;
		entries[i].u.irqchip.pin = i;
	}
	r = kvm_set_irq_routing(kvm, entries, nr, 0);
	free(entries);
	return r;
}

/* A level SPI the guest deactivated: irqfd resamplers hear of it. */
void vgic_notify_acked_spi(struct kvm *kvm, uint32_t intid)
{
	if (vgic_valid_spi(kvm, intid))
		kvm_notify_acked_irq(kvm, 0, intid - VGIC_NR_PRIVATE_IRQS);
}

bool kvm_arm64_irqchip_in_kernel(struct kvm *kvm)
{
	return irqchip_in_kernel(kvm);
}

/* kvm_arch_intc_initialized: vgic_initialized */
bool kvm_arm64_intc_initialized(struct kvm *kvm)
{
	return kvm->arm64 && kvm->arm64->vgic_initialized;
}

/* the generic kvm_arch_irqfd_allowed: any irqfd, resampling or not */
bool kvm_arm64_irqfd_allowed(struct kvm *kvm, bool resample)
{
	(void)kvm;
	(void)resample;
	return true;
}
