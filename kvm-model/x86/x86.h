/* SPDX-License-Identifier: MIT */
/*
 * x86 vCPU back end on Unicorn: the only part of kvmsim that knows
 * Unicorn.  Unicorn runs with its own MMU off; its address space is the
 * guest-virtual space, filled on demand with translations kvmsim computes
 * (stage-1 walk in mmu-model, stage-2 in the TDP table).
 */
#ifndef KVMSIM_X86_H
#define KVMSIM_X86_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm-model/kvm_host.h"

#define X86_CR0_PE	(1ull << 0)
#define X86_CR0_TS	(1ull << 3)
#define X86_CR0_ET	(1ull << 4)
#define X86_CR0_NE	(1ull << 5)
#define X86_CR0_WP	(1ull << 16)
#define X86_CR0_PG	(1ull << 31)
#define X86_EFLAGS_TF	(1ull << 8)
#define X86_EFLAGS_RF	(1ull << 16)
#define X86_CR4_TSD	(1ull << 2)
#define X86_CR4_DE	(1ull << 3)
#define X86_CR4_PSE	(1ull << 4)
#define X86_CR4_PAE	(1ull << 5)
#define X86_CR4_PGE	(1ull << 7)
#define X86_CR4_OSFXSR	(1ull << 9)
#define X86_CR4_LA57	(1ull << 12)
#define X86_CR4_SMEP	(1ull << 20)
#define X86_CR4_SMAP	(1ull << 21)
#define EFER_SCE	(1ull << 0)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)
#define EFER_NX		(1ull << 11)

#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_TSC_AUX		0xc0000103
#define MSR_IA32_TSC		0x10
#define MSR_IA32_TSC_DEADLINE	0x6e0
#define MSR_IA32_APICBASE	0x1b
#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MSR_IA32_CR_PAT		0x277

/* Exception vectors. */
#define DE_VECTOR	0
#define UD_VECTOR	6
#define DF_VECTOR	8
#define GP_VECTOR	13
#define PF_VECTOR	14

/* Suberror of KVM_EXIT_INTERNAL_ERROR for what the model cannot emulate. */
#define KVM_INTERNAL_ERROR_EMULATION	1

int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu);
void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu);
/* explore's fork point: the first entry's loads, done once for all runs */
void x86_vcpu_preload(struct kvm_vcpu *vcpu);
int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu);
int kvm_arch_vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
int kvm_arch_vcpu_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs);
int kvm_arch_vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
int kvm_arch_vcpu_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs);
bool kvm_is_valid_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs);

/* Narration of the faulting instruction for traces (capstone). */
void x86_disasm(struct kvm_vcpu *vcpu, uint64_t rip, char *buf, size_t len);

#endif
