/* SPDX-License-Identifier: MIT */
/*
 * The arm64 KVM uAPI as an x86-64 build of kvmsim needs it: the structs
 * and constants of Debian's linux-libc-dev-arm64-cross
 * (/usr/aarch64-linux-gnu/include/asm/kvm.h), which cannot be included
 * next to the host's <asm/kvm.h>.  Generic ioctls (KVM_ARM_VCPU_INIT,
 * KVM_GET_ONE_REG, KVM_GET_REG_LIST ...) come from <linux/kvm.h>; the
 * layouts here are checked against the real header at build time
 * (tests/arm64-uapi-check.c, compiled with aarch64-linux-gnu-gcc).
 */
#ifndef KVMSIM_ARM64_UAPI_H
#define KVMSIM_ARM64_UAPI_H

#include <linux/psci.h>
#include <linux/types.h>

#ifndef __aarch64__
/* arm64's struct kvm_vcpu_init; x86 headers do not define it */
struct kvm_vcpu_init {
	__u32 target;
	__u32 features[7];
};
#endif

#define KVMSIM_ARM_TARGET_GENERIC_V8	5
#define KVMSIM_ARM_VCPU_POWER_OFF	0	/* feature bits of kvm_vcpu_init */
#define KVMSIM_ARM_VCPU_EL1_32BIT	1
#define KVMSIM_ARM_VCPU_PSCI_0_2	2
#define KVMSIM_ARM_VCPU_PMU_V3		3
#define KVMSIM_ARM_VCPU_SVE		4
#define KVMSIM_ARM_VCPU_PTRAUTH_ADDRESS	5
#define KVMSIM_ARM_VCPU_PTRAUTH_GENERIC	6
#define KVMSIM_ARM_VCPU_MAX_FEATURES	7	/* KVM_VCPU_MAX_FEATURES */

#define KVMSIM_VM_TYPE_ARM_IPA_SIZE_MASK	0xffull

/* struct kvm_regs (arm64): user_pt_regs, sp_el1, elr_el1, spsr[5], fp_regs */
struct kvm_arm64_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
	__u64 sp_el1;
	__u64 elr_el1;
	__u64 spsr[5];
	__u64 pad;		/* fp_regs is 16-byte aligned */
	__uint128_t vregs[32];
	__u32 fpsr;
	__u32 fpcr;
	__u32 reserved[2];
};

/* One-reg ids (KVM_REG_ARM64 and KVM_REG_SIZE_* are in <linux/kvm.h>). */
#define KVMSIM_REG_ARM64		0x6000000000000000ull
#define KVMSIM_REG_SIZE_U32		0x0020000000000000ull
#define KVMSIM_REG_SIZE_U64		0x0030000000000000ull
#define KVMSIM_REG_SIZE_U128		0x0040000000000000ull
#define KVMSIM_REG_SIZE_MASK		0x00f0000000000000ull
#define KVMSIM_REG_ARM_COPROC_SHIFT	16
#define KVMSIM_REG_ARM_COPROC_MASK	0x000000000fff0000ull
#define KVMSIM_REG_ARM_CORE		(0x0010ull << KVMSIM_REG_ARM_COPROC_SHIFT)
#define KVMSIM_REG_ARM64_SYSREG		(0x0013ull << KVMSIM_REG_ARM_COPROC_SHIFT)
#define KVMSIM_REG_ARM_CORE_OFF(field)	\
	(__builtin_offsetof(struct kvm_arm64_regs, field) / sizeof(__u32))
#define KVMSIM_ARM64_CORE_REG(field)	\
	(KVMSIM_REG_ARM64 | KVMSIM_REG_SIZE_U64 | KVMSIM_REG_ARM_CORE | \
	 KVMSIM_REG_ARM_CORE_OFF(field))
#define KVMSIM_ARM64_SYS_REG(op0, op1, crn, crm, op2)			\
	(KVMSIM_REG_ARM64 | KVMSIM_REG_SIZE_U64 | KVMSIM_REG_ARM64_SYSREG | \
	 ((__u64)(op0) << 14) | ((__u64)(op1) << 11) | ((__u64)(crn) << 7) | \
	 ((__u64)(crm) << 3) | (__u64)(op2))

/* System registers the model keeps (ARM64_SYS_REG encodings). */
#define KVMSIM_REG_SCTLR_EL1	KVMSIM_ARM64_SYS_REG(3, 0, 1, 0, 0)
#define KVMSIM_REG_CPACR_EL1	KVMSIM_ARM64_SYS_REG(3, 0, 1, 0, 2)
#define KVMSIM_REG_TTBR0_EL1	KVMSIM_ARM64_SYS_REG(3, 0, 2, 0, 0)
#define KVMSIM_REG_TTBR1_EL1	KVMSIM_ARM64_SYS_REG(3, 0, 2, 0, 1)
#define KVMSIM_REG_TCR_EL1	KVMSIM_ARM64_SYS_REG(3, 0, 2, 0, 2)
#define KVMSIM_REG_ESR_EL1	KVMSIM_ARM64_SYS_REG(3, 0, 5, 2, 0)
#define KVMSIM_REG_FAR_EL1	KVMSIM_ARM64_SYS_REG(3, 0, 6, 0, 0)
#define KVMSIM_REG_MAIR_EL1	KVMSIM_ARM64_SYS_REG(3, 0, 10, 2, 0)
#define KVMSIM_REG_VBAR_EL1	KVMSIM_ARM64_SYS_REG(3, 0, 12, 0, 0)
#define KVMSIM_REG_TPIDR_EL1	KVMSIM_ARM64_SYS_REG(3, 0, 13, 0, 4)
#define KVMSIM_REG_MPIDR_EL1	KVMSIM_ARM64_SYS_REG(3, 0, 0, 0, 5)
#define KVMSIM_REG_MIDR_EL1	KVMSIM_ARM64_SYS_REG(3, 0, 0, 0, 0)
#define KVMSIM_REG_CNTVCT_EL0	KVMSIM_ARM64_SYS_REG(3, 3, 14, 0, 2)

/* The arch timer's registers (KVM_REG_ARM_TIMER_CVAL/CNT swap encodings, as KVM does). */
#define KVMSIM_REG_ARM_TIMER_CTL	KVMSIM_ARM64_SYS_REG(3, 3, 14, 3, 1)
#define KVMSIM_REG_ARM_TIMER_CVAL	KVMSIM_ARM64_SYS_REG(3, 3, 14, 0, 2)
#define KVMSIM_REG_ARM_TIMER_CNT	KVMSIM_ARM64_SYS_REG(3, 3, 14, 3, 2)
#define KVMSIM_REG_ARM_PTIMER_CTL	KVMSIM_ARM64_SYS_REG(3, 3, 14, 2, 1)
#define KVMSIM_REG_ARM_PTIMER_CVAL	KVMSIM_ARM64_SYS_REG(3, 3, 14, 2, 2)
#define KVMSIM_REG_ARM_PTIMER_CNT	KVMSIM_ARM64_SYS_REG(3, 3, 14, 0, 1)

/* KVM_CREATE_DEVICE KVM_DEV_TYPE_ARM_VGIC_V3: device attributes */
#define KVMSIM_DEV_ARM_VGIC_GRP_ADDR		0
#define KVMSIM_DEV_ARM_VGIC_GRP_DIST_REGS	1
#define KVMSIM_DEV_ARM_VGIC_GRP_NR_IRQS		3
#define KVMSIM_DEV_ARM_VGIC_GRP_CTRL		4
#define KVMSIM_DEV_ARM_VGIC_GRP_REDIST_REGS	5
#define KVMSIM_DEV_ARM_VGIC_GRP_CPU_SYSREGS	6
#define KVMSIM_DEV_ARM_VGIC_GRP_LEVEL_INFO	7
#define KVMSIM_DEV_ARM_VGIC_CTRL_INIT		0
#define KVMSIM_DEV_ARM_VGIC_SAVE_PENDING_TABLES	3
#define KVMSIM_DEV_ARM_VGIC_V3_MPIDR_SHIFT	32
#define KVMSIM_DEV_ARM_VGIC_OFFSET_MASK		0xffffffffull
#define KVMSIM_VGIC_V3_ADDR_TYPE_DIST		2
#define KVMSIM_VGIC_V3_ADDR_TYPE_REDIST		3
#define KVMSIM_VGIC_V3_ADDR_TYPE_REDIST_REGION	5
#define KVMSIM_VGIC_V3_DIST_SIZE		0x10000ull
#define KVMSIM_VGIC_V3_REDIST_SIZE		0x20000ull

/* vCPU device attributes: the timer's PPIs */
#define KVMSIM_ARM_VCPU_PMU_V3_CTRL		0
#define KVMSIM_ARM_VCPU_TIMER_CTRL		1
#define KVMSIM_ARM_VCPU_TIMER_IRQ_VTIMER	0
#define KVMSIM_ARM_VCPU_TIMER_IRQ_PTIMER	1
#define KVMSIM_ARM_VCPU_PVTIME_CTRL		2

/* KVM_IRQ_LINE's irq field on arm64 */
#define KVMSIM_ARM_IRQ_VCPU2_SHIFT	28
#define KVMSIM_ARM_IRQ_VCPU2_MASK	0xf
#define KVMSIM_ARM_IRQ_TYPE_SHIFT	24
#define KVMSIM_ARM_IRQ_TYPE_MASK	0xf
#define KVMSIM_ARM_IRQ_VCPU_SHIFT	16
#define KVMSIM_ARM_IRQ_VCPU_MASK	0xff
#define KVMSIM_ARM_IRQ_NUM_MASK		0xffff
#define KVMSIM_ARM_IRQ_TYPE_CPU		0
#define KVMSIM_ARM_IRQ_TYPE_SPI		1
#define KVMSIM_ARM_IRQ_TYPE_PPI		2
#define KVMSIM_ARM_IRQ_CPU_FIQ		1

/* PSCI function ids and returns come from <linux/psci.h> (generic uAPI). */
#define KVMSIM_PSCI_VERSION_1_1		0x00010001u

#endif
