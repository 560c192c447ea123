// SPDX-License-Identifier: MIT
/*
 * The in-kernel local APIC (KVM_CREATE_IRQCHIP), reduced to what async
 * page faults need, as arch/x86/kvm/lapic.c does it: fixed interrupts
 * latched in IRR, the highest one above the processor priority (TPR, and
 * the class in service) delivered when RFLAGS.IF allows, moved to ISR,
 * and retired by EOI.  Registers are reached in x2APIC mode (MSRs
 * 0x800-0x8ff); the xAPIC MMIO page, LVTs, timer and IPIs are not
 * modelled (an access to another x2APIC register is #GP).
 */
#include <string.h>

#include "kvm-model/x86/uc_internal.h"

#define APIC_BASE_EXTD		(1ull << 10)
#define APIC_BASE_ENABLE	(1ull << 11)
#define APIC_SPIV_APIC_ENABLED	(1u << 8)
#define X86_EFLAGS_IF		(1ull << 9)

#define X2APIC_ID	0x802
#define X2APIC_TPR	0x808
#define X2APIC_EOI	0x80b
#define X2APIC_SPIV	0x80f
#define X2APIC_ISR	0x810
#define X2APIC_IRR	0x820

static struct kvm_lapic *vcpu_apic(struct kvm_vcpu *vcpu)
{
	return &to_uc(vcpu)->lapic;
}

bool lapic_in_kernel(struct kvm_vcpu *vcpu)
{
	return vcpu->kvm && vcpu->kvm->irqchip_kernel;
}

bool kvm_lapic_enabled(struct kvm_vcpu *vcpu)
{
	return lapic_in_kernel(vcpu) && (vcpu->sregs.apic_base & APIC_BASE_ENABLE) &&
	       (vcpu_apic(vcpu)->svr & APIC_SPIV_APIC_ENABLED);
}

void kvm_lapic_reset(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	memset(apic, 0, sizeof(*apic));
	apic->svr = 0xff;
}

static int find_highest(const uint32_t *bits)
{
	for (int i = 7; i >= 0; i--)
		if (bits[i])
			return i * 32 + 31 - __builtin_clz(bits[i]);
	return -1;
}

static void trace_vector(const char *event, int vector)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_int(ev, "vector", vector);
	sim_ev_end(ev);
}

void kvm_vcpu_kick(struct kvm_vcpu *vcpu)
{
	sim_wake_all(&to_uc(vcpu)->apf.wq);
}

/* __apic_accept_irq for APIC_DM_FIXED: latch in IRR and kick. */
void kvm_apic_set_irq(struct kvm_vcpu *vcpu, int vector)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	apic->irr[vector / 32] |= 1u << (vector % 32);
	trace_vector("kvm_apic_accept_irq", vector);
	kvm_vcpu_kick(vcpu);
}

/* apic_update_ppr + apic_has_interrupt_for_ppr */
int kvm_apic_has_interrupt(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	int irr = find_highest(apic->irr), isr = find_highest(apic->isr);
	uint32_t ppr = apic->tpr & 0xf0;

	if (!kvm_lapic_enabled(vcpu) || irr < 0)
		return -1;
	if (isr >= 0 && (uint32_t)(isr & 0xf0) > ppr)
		ppr = isr & 0xf0;
	return (uint32_t)(irr & 0xf0) > ppr ? irr : -1;
}

void kvm_set_interrupt_shadow(struct kvm_vcpu *vcpu, uint64_t next_rip)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	apic->irq_shadow = true;
	apic->shadow_rip = next_rip;
	apic->shadow_insns = vcpu->insns;
}

/*
 * The STI shadow ends once the instruction after STI ran: RIP moved, or
 * instructions were retired since (a quantum ended).
 */
static bool in_interrupt_shadow(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (apic->irq_shadow && (x86_reg_read(vcpu, UC_X86_REG_RIP) != apic->shadow_rip ||
				 vcpu->insns != apic->shadow_insns))
		apic->irq_shadow = false;
	return apic->irq_shadow;
}

bool kvm_arch_interrupt_allowed(struct kvm_vcpu *vcpu)
{
	return (x86_reg_read(vcpu, UC_X86_REG_RFLAGS) & X86_EFLAGS_IF) &&
	       !in_interrupt_shadow(vcpu);
}

/* kvm_vcpu_has_events (interrupts) || async work completed */
static bool kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_apf *apf = &to_uc(vcpu)->apf;

	if (apf->done || to_uc(vcpu)->events.nmi_pending)
		return true;
	return kvm_apic_has_interrupt(vcpu) >= 0 &&
	       (x86_reg_read(vcpu, UC_X86_REG_RFLAGS) & X86_EFLAGS_IF);
}

void kvm_vcpu_halt(struct kvm_vcpu *vcpu)
{
	struct sim_ev *ev = sim_ev_begin("kvm_vcpu_block");

	sim_ev_end(ev);
	while (!kvm_arch_vcpu_runnable(vcpu))
		sim_wait(&to_uc(vcpu)->apf.wq);
	ev = sim_ev_begin("kvm_vcpu_wakeup");
	sim_ev_end(ev);
}

/* kvm_apic_set_eoi: retire the highest vector in service. */
static void apic_set_eoi(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	int vector = find_highest(apic->isr);

	if (vector < 0)
		return;
	apic->isr[vector / 32] &= ~(1u << (vector % 32));
	trace_vector("kvm_eoi", vector);
}

static bool x2apic_mode(struct kvm_vcpu *vcpu)
{
	uint64_t want = APIC_BASE_ENABLE | APIC_BASE_EXTD;

	return lapic_in_kernel(vcpu) && (vcpu->sregs.apic_base & want) == want;
}

int kvm_x2apic_msr_write(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (!x2apic_mode(vcpu) || data >> 32)
		return 1;
	switch (msr) {
	case X2APIC_TPR:
		apic->tpr = data & 0xff;
		return 0;
	case X2APIC_EOI:
		/* x2APIC: a non-zero EOI write is #GP */
		if (data)
			return 1;
		apic_set_eoi(vcpu);
		return 0;
	case X2APIC_SPIV:
		apic->svr = data & 0x13ff;
		return 0;
	}
	return 1;
}

int kvm_x2apic_msr_read(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t *data)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (!x2apic_mode(vcpu))
		return 1;
	if (msr >= X2APIC_ISR && msr < X2APIC_ISR + 8) {
		*data = apic->isr[msr - X2APIC_ISR];
		return 0;
	}
	if (msr >= X2APIC_IRR && msr < X2APIC_IRR + 8) {
		*data = apic->irr[msr - X2APIC_IRR];
		return 0;
	}
	switch (msr) {
	case X2APIC_ID:
		*data = vcpu->vcpu_id;
		return 0;
	case X2APIC_TPR:
		*data = apic->tpr;
		return 0;
	case X2APIC_SPIV:
		*data = apic->svr;
		return 0;
	}
	return 1;
}

/* kvm_get_apic_interrupt: the vector moves from IRR to ISR. */
int kvm_get_apic_interrupt(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	int vector = kvm_apic_has_interrupt(vcpu);

	if (vector < 0)
		return -1;
	apic->irr[vector / 32] &= ~(1u << (vector % 32));
	apic->isr[vector / 32] |= 1u << (vector % 32);
	return vector;
}
