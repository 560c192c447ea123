/* SPDX-License-Identifier: MIT */
/*
 * Events a VMM with its own interrupt controller queues on a vCPU
 * (KVM_INTERRUPT, KVM_NMI) and the interrupt window it may ask for
 * (kvm_run.request_interrupt_window), as arch/x86/kvm/x86.c keeps them in
 * vcpu->arch.interrupt and vcpu->arch.nmi_pending.
 */
#ifndef KVM_MODEL_X86_IRQ_H
#define KVM_MODEL_X86_IRQ_H

#include <stdbool.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

struct kvm_vcpu;
struct kvm_interrupt;

struct kvm_x86_events {
	int interrupt_nr;		/* KVM_INTERRUPT's vector (interrupt.injected), or -1 */
	unsigned int nmi_pending;	/* KVM_NMI calls not delivered yet (at most 2) */
	/*
	 * What KVM_SET_VCPU_EVENTS and KVM_X86_SET_MCE queue (vcpu_events.c):
	 * an exception (vector or -1), an NMI being injected, the NMI mask,
	 * a triple fault (KVM_REQ_TRIPLE_FAULT); the last vectors stay
	 * readable as KVM's vcpu->arch.{exception,interrupt}.nr do.
	 */
	int exception_nr;
	int exception_last_nr, interrupt_last_nr;
	bool exception_pending, exception_has_error;
	uint32_t exception_error_code;
	bool nmi_injected, nmi_masked, triple_fault;
	/*
	 * Userspace waits for an interrupt window the guest has not opened
	 * yet: the block hook stops the engine at the first block that starts
	 * with RFLAGS.IF=1, except the one at window_skip (the instruction in
	 * an STI shadow).
	 */
	bool window_wanted;
	uint64_t window_skip;
	/* split irqchip: KVM_INTERRUPT's ExtINT vector for LINT0, or -1 */
	int pending_external_vector;
	/* split irqchip: an EOI userspace's IOAPIC must hear of, or -1 */
	int pending_ioapic_eoi;
};

void kvm_x86_events_init(struct kvm_vcpu *vcpu);
/* kvm_vcpu_ioctl_interrupt / kvm_vcpu_ioctl_nmi: 0 or -errno. */
long kvm_vcpu_ioctl_interrupt(struct kvm_vcpu *vcpu, const struct kvm_interrupt *irq);
long kvm_vcpu_ioctl_nmi(struct kvm_vcpu *vcpu);
/*
 * inject_pending_event's part for queued events, then the
 * request_interrupt_window check: 0 to enter the guest, 1 with
 * KVM_EXIT_IRQ_WINDOW_OPEN (or a triple fault) filled, -errno.
 */
int kvm_x86_inject_queued_events(struct kvm_vcpu *vcpu);
/*
 * The block hook's test (a block starting at block_addr is about to run):
 * the window the VMM waits for is open, so stop the engine.
 */
bool kvm_x86_irq_window_opened(struct kvm_x86_events *ev, uc_engine *uc, uint64_t block_addr);
/* The devices in the kernel on the MMIO path: true if one took the access. */
bool vcpu_mmio_read(struct kvm_vcpu *vcpu, uint64_t gpa, int len, void *data);
bool vcpu_mmio_write(struct kvm_vcpu *vcpu, uint64_t gpa, int len, const void *data);

/* vcpu_events.c: KVM_GET/SET_VCPU_EVENTS, KVM_GET/SET_DEBUGREGS, the MCE ioctls */
bool kvm_x86_events_ioctl(unsigned int cmd);
long kvm_vcpu_ioctl_x86_events(struct kvm_vcpu *vcpu, unsigned int cmd, void *uarg);
void kvm_vcpu_ioctl_x86_get_vcpu_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *events);
int kvm_vcpu_ioctl_x86_set_vcpu_events(struct kvm_vcpu *vcpu, struct kvm_vcpu_events *events);
/* sync_regs.c: KVM_CAP_SYNC_REGS around KVM_RUN */
int kvm_sync_regs_check(struct kvm_vcpu *vcpu);
int sync_regs(struct kvm_vcpu *vcpu);
void store_regs(struct kvm_vcpu *vcpu);
long kvm_dev_ioctl_get_mce_cap(void *uarg);
int kvm_x86_mce_cap(void);
/* fpu.c: KVM_GET/SET_XSAVE, and the FPU state of a new vCPU */
void kvm_x86_fpu_reset(struct kvm_vcpu *vcpu);
bool kvm_x86_xsave_ioctl(unsigned int cmd);
long kvm_vcpu_ioctl_x86_xsave(struct kvm_vcpu *vcpu, unsigned int cmd, void *uarg);
/* KVM_RUN, then post_kvm_run_save: if_flag, ready_for_interrupt_injection. */
int kvm_x86_vcpu_run(struct kvm_vcpu *vcpu);

/* ---- the in-kernel irqchip: PIC pair, IOAPIC, PIT (KVM_CREATE_IRQCHIP) ---- */

struct kvm;
struct kvm_irqchip;
struct kvm_ioapic_state;
struct kvm_kernel_irq_routing_entry;
struct kvm_irq_routing_entry;

/* irq.c: kvm_cpu_has_interrupt / kvm_cpu_get_interrupt, PIC first (ExtINT) */
bool kvm_cpu_has_extint(struct kvm_vcpu *vcpu);
bool kvm_cpu_has_interrupt(struct kvm_vcpu *vcpu);
int kvm_cpu_get_interrupt(struct kvm_vcpu *vcpu);

/* arch/x86/include/asm/kvm_host.h: the routing table's irqchips (PIC x2, IOAPIC) */
#define KVM_NR_IRQCHIPS		3
#define KVM_IRQCHIP_NUM_PINS	KVM_IOAPIC_NUM_PINS

/* irq_comm.c (delivery to the LAPICs: lapic.h's kvm_irq_delivery_to_apic) */
int kvm_x86_set_routing_entry(struct kvm *kvm, struct kvm_kernel_irq_routing_entry *e,
			      const struct kvm_irq_routing_entry *ue);
int kvm_setup_default_irq_routing(struct kvm *kvm);
bool kvm_x86_irqchip_in_kernel(struct kvm *kvm);
bool kvm_x86_irqfd_allowed(struct kvm *kvm, bool resample);
/* KVM_CAP_SPLIT_IRQCHIP: LAPICs in the kernel, PIC and IOAPIC in userspace */
int kvm_x86_enable_split_irqchip(struct kvm *kvm, uint64_t nr_reserved_ioapic_pins);
bool irqchip_split(struct kvm *kvm);
bool pic_in_kernel(struct kvm *kvm);
/* The local APIC retired vector: the split irqchip's KVM_EXIT_IOAPIC_EOI. */
void kvm_split_irqchip_eoi(struct kvm_vcpu *vcpu, int vector);
/* KVM_CREATE_IRQCHIP, KVM_GET/SET_IRQCHIP, KVM_IRQ_LINE(_STATUS) */
long kvm_x86_irqchip_ioctl(struct kvm *kvm, unsigned int cmd, void *uarg);

/* i8259.c */
struct kvm_pic;
struct kvm_pic *kvm_create_pic(struct kvm *kvm);
void kvm_destroy_pic(struct kvm *kvm);
int kvm_pic_set_irq(struct kvm_pic *s, int irq, int irq_source_id, int level);
/* the PIC's INTR output, as the boot vCPU's LINT0 sees it */
bool kvm_pic_output(struct kvm_pic *s);
/* INTA: the vector of the highest request, now in service */
int kvm_pic_read_irq(struct kvm *kvm);
int kvm_pic_get_state(struct kvm_pic *s, int chip, void *state);
int kvm_pic_set_state(struct kvm_pic *s, int chip, const void *state);
void kvm_pic_update(struct kvm_pic *s);

/* ioapic.c */
struct kvm_ioapic;
struct kvm_ioapic *kvm_ioapic_init(struct kvm *kvm);
void kvm_ioapic_destroy(struct kvm *kvm);
int kvm_ioapic_set_irq(struct kvm_ioapic *ioapic, int irq, int irq_source_id, int level,
		       bool line_status);
void kvm_get_ioapic(struct kvm *kvm, struct kvm_ioapic_state *state);
void kvm_set_ioapic(struct kvm *kvm, const struct kvm_ioapic_state *state);
/* A local APIC retired vector: level-triggered IOAPIC pins it fed get their EOI. */
void kvm_ioapic_update_eoi(struct kvm_vcpu *vcpu, int vector, bool level);

/* i8254.c: KVM_CREATE_PIT(2), KVM_GET/SET_PIT(2), KVM_REINJECT_CONTROL */
long kvm_x86_pit_ioctl(struct kvm *kvm, unsigned int cmd, void *uarg);
void kvm_free_pit(struct kvm *kvm);

#endif
