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
	 * Userspace waits for an interrupt window the guest has not opened
	 * yet: the block hook stops the engine at the first block that starts
	 * with RFLAGS.IF=1, except the one at window_skip (the instruction in
	 * an STI shadow).
	 */
	bool window_wanted;
	uint64_t window_skip;
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
/* KVM_RUN, then post_kvm_run_save: if_flag, ready_for_interrupt_injection. */
int kvm_x86_vcpu_run(struct kvm_vcpu *vcpu);

#endif
