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

/*
 * The in-kernel local APIC (KVM_CREATE_IRQCHIP), as arch/x86/kvm/lapic.c
 * keeps it: a 1 KiB register page (what KVM_GET/SET_LAPIC copy), fixed
 * interrupts latched in IRR, the highest one above the processor priority
 * (TPR, and the class in service) delivered when RFLAGS.IF allows, moved
 * to ISR, and retired by EOI; the LVTs (masked at reset, LINT0 ExtINT on
 * the boot vCPU) and the timer in one-shot mode on the virtual clock (the
 * bus cycle is 1 ns, divided by TDCR).  Registers are reached in x2APIC
 * mode (MSRs 0x800-0x8ff); the xAPIC MMIO page, ICR and IPIs, and the
 * periodic and TSC-deadline timer modes are not modelled (an access to
 * another x2APIC register is #GP, a write of another timer mode keeps the
 * timer stopped).
 */
#include <errno.h>
#include <string.h>

#include "kvm-model/x86/uc_internal.h"

#define APIC_BASE_EXTD		(1ull << 10)
#define APIC_BASE_ENABLE	(1ull << 11)
#define APIC_SPIV_APIC_ENABLED	(1u << 8)
#define X86_EFLAGS_IF		(1ull << 9)

/* register page offsets (apicdef.h) */
#define APIC_ID		0x20
#define APIC_LVR	0x30
#define APIC_TASKPRI	0x80
#define APIC_PROCPRI	0xa0
#define APIC_EOI	0xb0
#define APIC_LDR	0xd0
#define APIC_DFR	0xe0
#define APIC_SPIV	0xf0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_LVTTHMR	0x330
#define APIC_LVTPC	0x340
#define APIC_LVT0	0x350
#define APIC_LVT1	0x360
#define APIC_LVTERR	0x370
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0

#define APIC_LVT_MASKED		(1u << 16)
#define APIC_LVT_TIMER_MODE	(3u << 17)
#define APIC_MODE_EXTINT	0x700
/* version 0x14, five LVT entries past the first (no CMCI) */
#define KVM_APIC_VERSION	0x50014

static struct kvm_lapic *vcpu_apic(struct kvm_vcpu *vcpu)
{
	return &to_uc(vcpu)->lapic;
}

static uint32_t kvm_lapic_get_reg(struct kvm_lapic *apic, int off)
{
	uint32_t v;

	memcpy(&v, apic->regs + off, sizeof(v));
	return v;
}

static void kvm_lapic_set_reg(struct kvm_lapic *apic, int off, uint32_t v)
{
	memcpy(apic->regs + off, &v, sizeof(v));
}

/* The 256-bit IRR/ISR/TMR: eight registers 16 bytes apart. */
static void apic_vector_set(struct kvm_lapic *apic, int base, int vector, bool on)
{
	int off = base + (vector / 32) * 0x10;
	uint32_t v = kvm_lapic_get_reg(apic, off), bit = 1u << (vector % 32);

	kvm_lapic_set_reg(apic, off, on ? v | bit : v & ~bit);
}

bool lapic_in_kernel(struct kvm_vcpu *vcpu)
{
	return vcpu->kvm && vcpu->kvm->irqchip_kernel;
}

bool kvm_lapic_enabled(struct kvm_vcpu *vcpu)
{
	return lapic_in_kernel(vcpu) && (vcpu->sregs.apic_base & APIC_BASE_ENABLE) &&
	       (kvm_lapic_get_reg(vcpu_apic(vcpu), APIC_SPIV) & APIC_SPIV_APIC_ENABLED);
}

void kvm_lapic_reset(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	memset(apic, 0, sizeof(*apic));
	kvm_lapic_set_reg(apic, APIC_ID, (uint32_t)vcpu->vcpu_id << 24);
	kvm_lapic_set_reg(apic, APIC_LVR, KVM_APIC_VERSION);
	for (int off = APIC_LVTT; off <= APIC_LVTERR; off += 0x10)
		kvm_lapic_set_reg(apic, off, APIC_LVT_MASKED);
	/* KVM_X86_QUIRK_LINT0_REENABLED, on the boot vCPU */
	if (vcpu->vcpu_id == 0)
		kvm_lapic_set_reg(apic, APIC_LVT0, APIC_MODE_EXTINT);
	kvm_lapic_set_reg(apic, APIC_DFR, 0xffffffff);
	kvm_lapic_set_reg(apic, APIC_SPIV, 0xff);
}

static int find_highest(struct kvm_lapic *apic, int base)
{
	for (int i = 7; i >= 0; i--) {
		uint32_t v = kvm_lapic_get_reg(apic, base + i * 0x10);

		if (v)
			return i * 32 + 31 - __builtin_clz(v);
	}
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
	apic_vector_set(vcpu_apic(vcpu), APIC_IRR, vector, true);
	trace_vector("kvm_apic_accept_irq", vector);
	kvm_vcpu_kick(vcpu);
}

/* apic_update_ppr: the higher of TPR and the class in service. */
static uint32_t apic_update_ppr(struct kvm_lapic *apic)
{
	int isr = find_highest(apic, APIC_ISR);
	uint32_t tpr = kvm_lapic_get_reg(apic, APIC_TASKPRI);
	uint32_t ppr = isr >= 0 && (uint32_t)(isr & 0xf0) > (tpr & 0xf0) ? isr & 0xf0 : tpr;

	kvm_lapic_set_reg(apic, APIC_PROCPRI, ppr);
	return ppr;
}

/* apic_update_ppr + apic_has_interrupt_for_ppr */
int kvm_apic_has_interrupt(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	int irr = find_highest(apic, APIC_IRR);
	uint32_t ppr = apic_update_ppr(apic);

	if (!kvm_lapic_enabled(vcpu) || irr < 0)
		return -1;
	return (uint32_t)(irr & 0xf0) > (ppr & 0xf0) ? irr : -1;
}

/* ---- the timer (one-shot mode) ---- */

/* update_divide_count: TDCR bits 0, 1 and 3 */
static uint32_t apic_divide_count(struct kvm_lapic *apic)
{
	uint32_t tdcr = kvm_lapic_get_reg(apic, APIC_TDCR);
	uint32_t t = ((tdcr & 3) | ((tdcr & 8) >> 1)) + 1;

	return 1u << (t & 7);
}

static bool apic_lvtt_oneshot(struct kvm_lapic *apic)
{
	return !(kvm_lapic_get_reg(apic, APIC_LVTT) & APIC_LVT_TIMER_MODE);
}

/* start_apic_timer: count bus cycles from now (0 stops the timer). */
static void start_apic_timer(struct kvm_lapic *apic, uint32_t count)
{
	apic->timer_deadline = 0;
	if (!count || !apic_lvtt_oneshot(apic))
		return;
	apic->timer_deadline = sim_now() + (uint64_t)count * apic_divide_count(apic);
	if (!apic->timer_deadline)
		apic->timer_deadline = 1;
}

/* apic_get_tmcct: bus cycles left; 0 once the one-shot expired. */
static uint32_t apic_get_tmcct(struct kvm_lapic *apic)
{
	uint64_t now = sim_now();

	if (!apic->timer_deadline || now >= apic->timer_deadline)
		return 0;
	return (apic->timer_deadline - now) / apic_divide_count(apic);
}

/*
 * apic_timer_expired + kvm_apic_local_deliver(APIC_LVTT): the LVT's
 * vector unless it is masked.  Called wherever the vCPU looks at its
 * APIC (each entry, the halt loop, a TMCCT read).
 */
void kvm_lapic_expired_timer(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint32_t lvtt = kvm_lapic_get_reg(apic, APIC_LVTT);
	struct sim_ev *ev;

	if (!apic->timer_deadline || sim_now() < apic->timer_deadline)
		return;
	apic->timer_deadline = 0;
	ev = sim_ev_begin("apic_timer_expired");
	sim_ev_int(ev, "masked", !!(lvtt & APIC_LVT_MASKED));
	sim_ev_end(ev);
	if (!(lvtt & APIC_LVT_MASKED) && kvm_lapic_enabled(vcpu))
		kvm_apic_set_irq(vcpu, lvtt & 0xff);
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

/* kvm_vcpu_has_events (interrupts, NMIs) || async work completed */
static bool kvm_arch_vcpu_runnable(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_apf *apf = &to_uc(vcpu)->apf;

	if (apf->done || to_uc(vcpu)->events.nmi_pending)
		return true;
	return kvm_apic_has_interrupt(vcpu) >= 0 &&
	       (x86_reg_read(vcpu, UC_X86_REG_RFLAGS) & X86_EFLAGS_IF);
}

/*
 * kvm_vcpu_block: sleep until something can wake the vCPU; an armed
 * timer bounds the sleep (its expiry is a wake-up on virtual time, never
 * a deadlock).
 */
void kvm_vcpu_halt(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	struct sim_ev *ev = sim_ev_begin("kvm_vcpu_block");

	sim_ev_end(ev);
	kvm_lapic_expired_timer(vcpu);
	while (!kvm_arch_vcpu_runnable(vcpu)) {
		if (apic->timer_deadline)
			sim_wait_until(&to_uc(vcpu)->apf.wq, apic->timer_deadline);
		else
			sim_wait(&to_uc(vcpu)->apf.wq);
		kvm_lapic_expired_timer(vcpu);
	}
	ev = sim_ev_begin("kvm_vcpu_wakeup");
	sim_ev_end(ev);
}

/* kvm_apic_set_eoi: retire the highest vector in service. */
static void apic_set_eoi(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	int vector = find_highest(apic, APIC_ISR);

	if (vector < 0)
		return;
	apic_vector_set(apic, APIC_ISR, vector, false);
	apic_update_ppr(apic);
	trace_vector("kvm_eoi", vector);
}

static bool x2apic_mode(struct kvm_vcpu *vcpu)
{
	uint64_t want = APIC_BASE_ENABLE | APIC_BASE_EXTD;

	return lapic_in_kernel(vcpu) && (vcpu->sregs.apic_base & want) == want;
}

/* kvm_apic_calc_x2apic_ldr: cluster in 31:16, one bit of 16 in 15:0 */
static uint32_t kvm_apic_calc_x2apic_ldr(uint32_t id)
{
	return ((id >> 4) << 16) | (1u << (id & 0xf));
}

static bool apic_lvt_reg(uint32_t off)
{
	return off >= APIC_LVTT && off <= APIC_LVTERR;
}

/* kvm_lapic_reg_write, for the registers modelled (x2APIC offsets) */
static int kvm_lapic_reg_write(struct kvm_vcpu *vcpu, uint32_t off, uint32_t val)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (apic_lvt_reg(off)) {
		/* a software-disabled APIC keeps its LVTs masked */
		if (!(kvm_lapic_get_reg(apic, APIC_SPIV) & APIC_SPIV_APIC_ENABLED))
			val |= APIC_LVT_MASKED;
		kvm_lapic_set_reg(apic, off, val);
		if (off == APIC_LVTT && !apic_lvtt_oneshot(apic))
			apic->timer_deadline = 0;
		return 0;
	}
	switch (off) {
	case APIC_TASKPRI:
		kvm_lapic_set_reg(apic, off, val & 0xff);
		apic_update_ppr(apic);
		return 0;
	case APIC_EOI:
		/* x2APIC: a non-zero EOI write is #GP */
		if (val)
			return 1;
		apic_set_eoi(vcpu);
		return 0;
	case APIC_SPIV:
		kvm_lapic_set_reg(apic, off, val & 0x13ff);
		/* apic_set_spiv: software-disabling masks every LVT */
		if (!(val & APIC_SPIV_APIC_ENABLED))
			for (int o = APIC_LVTT; o <= APIC_LVTERR; o += 0x10)
				kvm_lapic_set_reg(apic, o,
						  kvm_lapic_get_reg(apic, o) | APIC_LVT_MASKED);
		return 0;
	case APIC_ESR:
		if (val)
			return 1;
		kvm_lapic_set_reg(apic, off, 0);
		return 0;
	case APIC_TMICT:
		kvm_lapic_set_reg(apic, off, val);
		start_apic_timer(apic, val);
		return 0;
	case APIC_TDCR:
		kvm_lapic_set_reg(apic, off, val & 0xb);
		return 0;
	}
	return 1;
}

int kvm_x2apic_msr_write(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data)
{
	if (!x2apic_mode(vcpu) || data >> 32)
		return 1;
	return kvm_lapic_reg_write(vcpu, (msr - 0x800) << 4, data);
}

int kvm_x2apic_msr_read(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t *data)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint32_t off = (msr - 0x800) << 4;

	if (!x2apic_mode(vcpu))
		return 1;
	if ((off >= APIC_ISR && off < APIC_IRR + 0x80) || apic_lvt_reg(off)) {
		*data = kvm_lapic_get_reg(apic, off);
		return 0;
	}
	switch (off) {
	case APIC_ID:
		*data = vcpu->vcpu_id;
		return 0;
	case APIC_LDR:
		*data = kvm_apic_calc_x2apic_ldr(vcpu->vcpu_id);
		return 0;
	case APIC_PROCPRI:
		*data = apic_update_ppr(apic);
		return 0;
	case APIC_TMCCT:
		kvm_lapic_expired_timer(vcpu);
		*data = apic_get_tmcct(apic);
		return 0;
	case APIC_LVR:
	case APIC_TASKPRI:
	case APIC_SPIV:
	case APIC_ESR:
	case APIC_TMICT:
	case APIC_TDCR:
		*data = kvm_lapic_get_reg(apic, off);
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
	apic_vector_set(apic, APIC_IRR, vector, false);
	apic_vector_set(apic, APIC_ISR, vector, true);
	apic_update_ppr(apic);
	return vector;
}

/*
 * kvm_apic_state_fixup: in x2APIC mode the page carries the ID in the
 * xAPIC position (KVM_CAP_X2APIC_API's format is not offered) and the
 * LDR the ID implies.
 */
static void kvm_apic_state_fixup(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	uint32_t id = (uint32_t)vcpu->vcpu_id << 24, ldr = kvm_apic_calc_x2apic_ldr(vcpu->vcpu_id);

	if (!x2apic_mode(vcpu))
		return;
	memcpy(s->regs + APIC_ID, &id, sizeof(id));
	memcpy(s->regs + APIC_LDR, &ldr, sizeof(ldr));
}

/* kvm_apic_get_state: the page, with the current count computed */
int kvm_apic_get_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint32_t tmcct;

	if (!lapic_in_kernel(vcpu))
		return -EINVAL;
	kvm_lapic_expired_timer(vcpu);
	tmcct = apic_get_tmcct(apic);
	memcpy(s->regs, apic->regs, sizeof(s->regs));
	memcpy(s->regs + APIC_TMCCT, &tmcct, sizeof(tmcct));
	kvm_apic_state_fixup(vcpu, s);
	return 0;
}

/*
 * kvm_apic_set_state: the page as given (the version stays KVM's), PPR
 * recomputed, and the timer restarted from the TMCCT userspace passed.
 */
int kvm_apic_set_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (!lapic_in_kernel(vcpu))
		return -EINVAL;
	kvm_apic_state_fixup(vcpu, s);
	memcpy(apic->regs, s->regs, sizeof(apic->regs));
	kvm_lapic_set_reg(apic, APIC_LVR, KVM_APIC_VERSION);
	kvm_lapic_set_reg(apic, APIC_TDCR, kvm_lapic_get_reg(apic, APIC_TDCR) & 0xb);
	apic_update_ppr(apic);
	start_apic_timer(apic, kvm_lapic_get_reg(apic, APIC_TMCCT));
	kvm_lapic_set_reg(apic, APIC_TMCCT, 0);
	kvm_vcpu_kick(vcpu);
	return 0;
}
