/* SPDX-License-Identifier: MIT */
/*
 * The in-kernel local APIC (arch/x86/kvm/lapic.c, lapic.h): its state,
 * the delivery entry points other interrupt sources use, and what the
 * run loop, the MSR and MMIO paths and the ioctls call.
 *
 * Entry points for interrupt sources (the IOAPIC, MSIs, the PIC's
 * ExtINT, async PF) are the kernel's:
 *   kvm_irq_delivery_to_apic(kvm, src, irq) - every vCPU whose APIC the
 *	destination names (shorthand, physical or logical) accepts it;
 *	-1 when none matched, else how many accepted;
 *   kvm_apic_set_irq(vcpu, irq) - one vCPU's APIC accepts it
 *	(__apic_accept_irq): 1 accepted, 0 not.
 */
#ifndef KVMSIM_X86_LAPIC_H
#define KVMSIM_X86_LAPIC_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

struct kvm;
struct kvm_vcpu;
struct kvm_lapic_state;

/* ICR / LVT fields (asm/apicdef.h) */
#define APIC_VECTOR_MASK	0xffu
#define APIC_MODE_MASK		0x700u
#define APIC_DM_FIXED		0x000u
#define APIC_DM_LOWEST		0x100u
#define APIC_DM_SMI		0x200u
#define APIC_DM_REMRD		0x300u
#define APIC_DM_NMI		0x400u
#define APIC_DM_INIT		0x500u
#define APIC_DM_STARTUP		0x600u
#define APIC_DM_EXTINT		0x700u
#define APIC_DEST_PHYSICAL	0x000u
#define APIC_DEST_LOGICAL	0x800u
#define APIC_DEST_MASK		0x800u
#define APIC_ICR_BUSY		0x1000u
#define APIC_INT_ASSERT		0x4000u
#define APIC_INT_LEVELTRIG	0x8000u
#define APIC_SHORT_MASK		0xc0000u
#define APIC_DEST_NOSHORT	0x00000u
#define APIC_DEST_SELF		0x40000u
#define APIC_DEST_ALLINC	0x80000u
#define APIC_DEST_ALLBUT	0xc0000u
#define APIC_BROADCAST		0xffu
#define X2APIC_BROADCAST	0xffffffffu

/* KVM_CAP_X2APIC_API flags (<linux/kvm.h> has the two) */
#define KVM_X2APIC_API_VALID_FLAGS	(KVM_X2APIC_API_USE_32BIT_IDS | \
					 KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK)

/* One interrupt message for the APICs (struct kvm_lapic_irq). */
struct kvm_lapic_irq {
	uint32_t vector;
	uint32_t delivery_mode;		/* APIC_DM_* */
	uint32_t dest_mode;		/* APIC_DEST_PHYSICAL / APIC_DEST_LOGICAL */
	bool level;			/* asserted (INIT: assert, not de-assert) */
	uint32_t trig_mode;		/* 0 edge, APIC_INT_LEVELTRIG level */
	uint32_t shorthand;		/* APIC_DEST_NOSHORT/SELF/ALLINC/ALLBUT */
	uint32_t dest_id;		/* 8 bits (xAPIC) or 32 (x2APIC) */
	bool msi_redir_hint;
};

/* apic->pending_events: what kvm_apic_accept_events acts on */
#define KVM_APIC_INIT		(1u << 0)
#define KVM_APIC_SIPI		(1u << 1)

/* The local APIC's state (struct kvm_lapic, struct kvm_timer). */
struct kvm_lapic {
	uint8_t regs[1024];		/* the register page KVM_GET/SET_LAPIC copy */
	/* the timer, on the virtual clock */
	uint64_t target_expiration;	/* virtual ns of the next expiry, 0: not armed */
	uint64_t period;		/* ns of TMICT counts (one-shot, periodic) */
	uint64_t tscdeadline;		/* IA32_TSC_DEADLINE (TSC-deadline mode) */
	uint32_t divide_count;		/* TDCR's divisor */
	uint32_t timer_mode;		/* LVTT's mode bits last seen (apic_update_lvtt) */
	unsigned int pending_events;	/* KVM_APIC_INIT / KVM_APIC_SIPI */
	uint8_t sipi_vector;
	bool irq_shadow;		/* STI blocks interrupts for one instruction */
	uint64_t shadow_rip;
	uint64_t shadow_insns;
	uint64_t vapic_addr;		/* KVM_SET_VAPIC_ADDR; 0: none (no KVM_APIC_CHECK_VAPIC) */
	bool tpr_access_reporting;	/* KVM_TPR_ACCESS_REPORTING */
	bool tpr_access_pending;	/* KVM_REQ_REPORT_TPR_ACCESS */
	bool tpr_access_is_write;
	uint64_t tpr_access_rip;
};

/* ---- lapic.c ---- */
/* mp_state is RUNNABLE: the vCPU enters the guest (kvm_vcpu_running) */
bool kvm_vcpu_running(struct kvm_vcpu *vcpu);
/* vcpu_block: sleep until an event, act on INIT/SIPI, end a halt */
void kvm_x86_vcpu_block(struct kvm_vcpu *vcpu);
bool lapic_in_kernel(struct kvm_vcpu *vcpu);
/* APIC_BASE.EN and SVR's software enable */
bool kvm_lapic_enabled(struct kvm_vcpu *vcpu);
bool apic_x2apic_mode(struct kvm_vcpu *vcpu);
/* kvm_lapic_reset: power-on (init_event false) or INIT */
void kvm_lapic_reset(struct kvm_vcpu *vcpu, bool init_event);

int kvm_apic_set_irq(struct kvm_vcpu *vcpu, const struct kvm_lapic_irq *irq);
int kvm_irq_delivery_to_apic(struct kvm *kvm, struct kvm_vcpu *src,
			     const struct kvm_lapic_irq *irq);
/* Does target's APIC answer to this destination?  src NULL: not an IPI. */
bool kvm_apic_match_dest(struct kvm_vcpu *target, struct kvm_vcpu *src,
			 uint32_t shorthand, uint32_t dest, uint32_t dest_mode);
/* The PIC may deliver through LINT0 (ExtINT unmasked, or the APIC off). */
bool kvm_apic_accept_pic_intr(struct kvm_vcpu *vcpu);
/* The IOAPIC's EOI hook for level-triggered vectors (NULL: none). */
void kvm_lapic_set_eoi_notifier(struct kvm *kvm,
				void (*fn)(struct kvm_vcpu *vcpu, int vector, bool level));

/* ---- lapic_vapic.c: KVM_SET_VAPIC_ADDR and the TPR/IRR/ISR word it names ---- */
long kvm_vcpu_ioctl_set_vapic_addr(struct kvm_vcpu *vcpu, void *uarg);
/* before an entry: TPR | (ISR class) << 8 | highest IRR << 24 to the word */
void kvm_lapic_sync_to_vapic(struct kvm_vcpu *vcpu);
/* after the guest ran: the word's low byte becomes the TPR */
void kvm_lapic_sync_from_vapic(struct kvm_vcpu *vcpu);
long kvm_vcpu_ioctl_tpr_access_reporting(struct kvm_vcpu *vcpu, void *uarg);
/* the guest read or wrote its TPR: reported at the next entry when enabled */
void report_tpr_access(struct kvm_vcpu *vcpu, bool write);
/* before an entry: 1 and KVM_EXIT_TPR_ACCESS if an access waits to be reported */
int kvm_check_tpr_access_report(struct kvm_vcpu *vcpu);

/* An interrupt the APIC would deliver now (ignoring RFLAGS.IF): vector or -1. */
int kvm_apic_has_interrupt(struct kvm_vcpu *vcpu);
/* Acknowledge it: IRR to ISR.  The vector, or -1. */
int kvm_get_apic_interrupt(struct kvm_vcpu *vcpu);
/* INIT or SIPI latched and not yet acted on. */
bool kvm_apic_has_pending_init_or_sipi(struct kvm_vcpu *vcpu);
/* kvm_apic_accept_events: INIT resets the vCPU, SIPI starts it. */
void kvm_apic_accept_events(struct kvm_vcpu *vcpu);
/* KVM_SET_MP_STATE(SIPI_RECEIVED): the SIPI (its last vector) is pending */
void kvm_apic_set_sipi_pending(struct kvm_vcpu *vcpu);

/* IA32_APIC_BASE changed (guest or host): the IDs follow the mode. */
void kvm_lapic_set_base(struct kvm_vcpu *vcpu, uint64_t old_value);
/* x2APIC MSR access (0x800-0x8ff): 0, or 1 for #GP. */
int kvm_x2apic_msr_write(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data);
int kvm_x2apic_msr_read(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t *data);
/* The xAPIC page: true if gpa is the APIC's (then handled, as KVM does). */
bool kvm_lapic_mmio_read(struct kvm_vcpu *vcpu, uint64_t gpa, int len, void *data);
bool kvm_lapic_mmio_write(struct kvm_vcpu *vcpu, uint64_t gpa, int len, const void *data);
/* CR8 (kvm_get_cr8 / kvm_set_cr8): the TPR's class with the LAPIC in the kernel */
uint64_t kvm_get_cr8(struct kvm_vcpu *vcpu);
void kvm_set_cr8(struct kvm_vcpu *vcpu, uint64_t cr8);
/* IA32_TSC_DEADLINE */
uint64_t kvm_get_lapic_tscdeadline_msr(struct kvm_vcpu *vcpu);
void kvm_set_lapic_tscdeadline_msr(struct kvm_vcpu *vcpu, uint64_t data);

/* RFLAGS.IF and no STI shadow: kvm_arch_interrupt_allowed. */
bool kvm_arch_interrupt_allowed(struct kvm_vcpu *vcpu);
/* STI was emulated: interrupts stay blocked until the next instruction ran. */
void kvm_set_interrupt_shadow(struct kvm_vcpu *vcpu, uint64_t next_rip);
/*
 * HLT with the APIC in the kernel: block in KVM_RUN until an interrupt can
 * be delivered or async work completed (kvm_vcpu_halt).
 */
void kvm_vcpu_halt(struct kvm_vcpu *vcpu);
/* Wake a vCPU blocked in kvm_vcpu_halt or the async-PF halt. */
void kvm_vcpu_kick(struct kvm_vcpu *vcpu);
/* The timer's expiry passed: its LVT vector goes to IRR (and it re-arms). */
void kvm_lapic_expired_timer(struct kvm_vcpu *vcpu);
/* Virtual ns of the next timer expiry, or 0 when none is armed. */
uint64_t kvm_lapic_next_expiry(struct kvm_vcpu *vcpu);
/* KVM_GET_LAPIC / KVM_SET_LAPIC: 0, or -EINVAL. */
int kvm_apic_get_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s);
int kvm_apic_set_state(struct kvm_vcpu *vcpu, struct kvm_lapic_state *s);

#endif
