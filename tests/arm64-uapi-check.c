// SPDX-License-Identifier: MIT
/*
 * Built with aarch64-linux-gnu-gcc -fsyntax-only: kvmsim's copy of the
 * arm64 uAPI (include/kvmsim/arm64_uapi.h) must agree with the real
 * arm64 headers, number for number.
 */
#include <stddef.h>
#include <linux/kvm.h>

#include "kvmsim/arm64_uapi.h"

#define SAME(a, b) _Static_assert((a) == (b), #a " != " #b)

SAME(sizeof(struct kvm_regs), sizeof(struct kvm_arm64_regs));
SAME(offsetof(struct kvm_regs, regs.pc), offsetof(struct kvm_arm64_regs, pc));
SAME(offsetof(struct kvm_regs, sp_el1), offsetof(struct kvm_arm64_regs, sp_el1));
SAME(offsetof(struct kvm_regs, spsr), offsetof(struct kvm_arm64_regs, spsr));
SAME(offsetof(struct kvm_regs, fp_regs.vregs), offsetof(struct kvm_arm64_regs, vregs));
SAME(offsetof(struct kvm_regs, fp_regs.fpsr), offsetof(struct kvm_arm64_regs, fpsr));
SAME(KVM_ARM_TARGET_GENERIC_V8, KVMSIM_ARM_TARGET_GENERIC_V8);
SAME(KVM_ARM_VCPU_POWER_OFF, KVMSIM_ARM_VCPU_POWER_OFF);
SAME(KVM_ARM_VCPU_PSCI_0_2, KVMSIM_ARM_VCPU_PSCI_0_2);
SAME(KVM_ARM_VCPU_PTRAUTH_GENERIC, KVMSIM_ARM_VCPU_PTRAUTH_GENERIC);
SAME(KVM_REG_ARM64, KVMSIM_REG_ARM64);
SAME(KVM_REG_SIZE_U64, KVMSIM_REG_SIZE_U64);
SAME(KVM_REG_SIZE_U128, KVMSIM_REG_SIZE_U128);
SAME(KVM_REG_ARM_CORE, KVMSIM_REG_ARM_CORE);
SAME(KVM_REG_ARM64_SYSREG, KVMSIM_REG_ARM64_SYSREG);
SAME(KVM_REG_ARM_CORE_REG(regs.pc), KVMSIM_REG_ARM_CORE_OFF(pc));
SAME(KVM_REG_ARM_CORE_REG(regs.regs[7]), KVMSIM_REG_ARM_CORE_OFF(regs[7]));
SAME(KVM_REG_ARM_CORE_REG(spsr[0]), KVMSIM_REG_ARM_CORE_OFF(spsr[0]));
SAME(KVM_REG_ARM_CORE_REG(fp_regs.vregs[0]), KVMSIM_REG_ARM_CORE_OFF(vregs[0]));
SAME(ARM64_SYS_REG(3, 0, 1, 0, 0), KVMSIM_REG_SCTLR_EL1);
SAME(ARM64_SYS_REG(3, 0, 2, 0, 2), KVMSIM_REG_TCR_EL1);
SAME(ARM64_SYS_REG(3, 0, 12, 0, 0), KVMSIM_REG_VBAR_EL1);
SAME(KVM_VM_TYPE_ARM_IPA_SIZE_MASK, KVMSIM_VM_TYPE_ARM_IPA_SIZE_MASK);
SAME(sizeof(struct kvm_vcpu_init), 32);
SAME(KVM_ARM_VCPU_INIT, _IOW(KVMIO, 0xae, struct kvm_vcpu_init));
