/* SPDX-License-Identifier: MIT */
/*
 * What lapic.c, lapic_timer.c and lapic_block.c share: the register page
 * layout (asm/apicdef.h), the accessors of struct kvm_lapic, and the
 * functions one file calls in another.  Not for other files: they use
 * lapic.h.
 */
#ifndef KVMSIM_X86_LAPIC_INTERNAL_H
#define KVMSIM_X86_LAPIC_INTERNAL_H

#include <string.h>

#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"

#define APIC_BASE_BSP		(1ull << 8)
#define APIC_BASE_EXTD		(1ull << 10)
#define APIC_BASE_ENABLE	(1ull << 11)
#define APIC_BASE_ADDR_MASK	0xfffff000ull
#define APIC_SPIV_APIC_ENABLED	(1u << 8)
#define APIC_SPIV_DIRECTED_EOI	(1u << 12)
#define APIC_LVR_DIRECTED_EOI	(1u << 24)
#define X86_EFLAGS_IF		(1ull << 9)
#define LAPIC_MMIO_LENGTH	0x1000

/* register page offsets (apicdef.h) */
#define APIC_ID		0x20
#define APIC_LVR	0x30
#define APIC_TASKPRI	0x80
#define APIC_ARBPRI	0x90
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
#define APIC_SELF_IPI	0x3f0

#define APIC_LVT_MASKED		(1u << 16)
#define APIC_SEND_PENDING	(1u << 12)
#define APIC_INPUT_POLARITY	(1u << 13)
#define APIC_LVT_REMOTE_IRR	(1u << 14)
#define APIC_LVT_LEVEL_TRIGGER	(1u << 15)
#define APIC_LVT_TIMER_ONESHOT	(0u << 17)
#define APIC_LVT_TIMER_PERIODIC	(1u << 17)
#define APIC_LVT_TIMER_TSCDEADLINE (2u << 17)
#define APIC_DFR_FLAT		0xffffffffu
#define APIC_DFR_CLUSTER	0x0fffffffu
#define APIC_LDR_MASK		(0xffu << 24)

#define LVT_MASK	(APIC_LVT_MASKED | APIC_SEND_PENDING | APIC_VECTOR_MASK)
#define LINT_MASK	(LVT_MASK | APIC_MODE_MASK | APIC_INPUT_POLARITY | \
			 APIC_LVT_REMOTE_IRR | APIC_LVT_LEVEL_TRIGGER)
#define NR_LVT	6

/* version 0x14, five LVT entries past the first (no CMCI) */
#define KVM_APIC_VERSION	0x50014
/* x86.c's min_timer_period_us: shorter periodic timers are stretched */
#define MIN_TIMER_PERIOD_NS	200000ull
/* CPUID.1:ECX.TSC_DEADLINE_TIMER */
#define CPUID_1_ECX_TSC_DEADLINE	24

static inline struct kvm_lapic *vcpu_apic(struct kvm_vcpu *vcpu)
{
	return &to_uc(vcpu)->lapic;
}

static inline uint32_t kvm_lapic_get_reg(struct kvm_lapic *apic, int off)
{
	uint32_t v;

	memcpy(&v, apic->regs + off, sizeof(v));
	return v;
}

static inline void kvm_lapic_set_reg(struct kvm_lapic *apic, int off, uint32_t v)
{
	memcpy(apic->regs + off, &v, sizeof(v));
}

/* The 256-bit IRR/ISR/TMR: eight registers 16 bytes apart. */
static inline void apic_vector_set(struct kvm_lapic *apic, int base, int vector, bool on)
{
	int off = base + (vector / 32) * 0x10;
	uint32_t v = kvm_lapic_get_reg(apic, off), bit = 1u << (vector % 32);

	kvm_lapic_set_reg(apic, off, on ? v | bit : v & ~bit);
}

static inline bool apic_test_vector(struct kvm_lapic *apic, int base, int vector)
{
	return kvm_lapic_get_reg(apic, base + (vector / 32) * 0x10) & (1u << (vector % 32));
}

static inline struct kvm_x86_vm_state *vm_state(struct kvm_vcpu *vcpu)
{
	return vcpu->kvm->x86;
}


static inline bool kvm_apic_hw_enabled(struct kvm_vcpu *vcpu)
{
	return vcpu->sregs.apic_base & APIC_BASE_ENABLE;
}

static inline bool kvm_apic_sw_enabled(struct kvm_lapic *apic)
{
	return kvm_lapic_get_reg(apic, APIC_SPIV) & APIC_SPIV_APIC_ENABLED;
}

/* lapic.c */
/* apic_find_highest_irr / _isr: the highest vector set in IRR or ISR, or -1 */
int apic_find_highest_vector(struct kvm_lapic *apic, int base);
/* apic_set_tpr: TPR, then the processor priority */
void apic_set_tpr(struct kvm_lapic *apic, uint32_t tpr);
/* kvm_apic_local_deliver: an unmasked LVT entry's interrupt to this APIC */
int kvm_apic_local_deliver(struct kvm_vcpu *vcpu, int lvt);
void kvm_set_mp_state(struct kvm_vcpu *vcpu, uint32_t mp_state);

/* lapic_timer.c */
uint32_t timer_mode_mask(struct kvm_vcpu *vcpu);
bool apic_lvtt_tscdeadline(struct kvm_lapic *apic);
void update_divide_count(struct kvm_lapic *apic);
void cancel_apic_timer(struct kvm_lapic *apic);
void apic_update_lvtt(struct kvm_vcpu *vcpu);
/* count_reg: APIC_TMICT, or APIC_TMCCT when KVM_SET_LAPIC restores the count */
void start_apic_timer(struct kvm_vcpu *vcpu, int count_reg);
uint32_t apic_get_tmcct(struct kvm_vcpu *vcpu);
void apic_tdcr_write(struct kvm_vcpu *vcpu, uint32_t val);

#endif
