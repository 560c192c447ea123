/* SPDX-License-Identifier: MIT */
/*
 * Private state of the arm64 vCPU back end on Unicorn (arch/arm64/kvm as
 * kvmsim models it).  Unicorn runs at EL1 with its own MMU off: its
 * address space is the guest-virtual space, filled with translations
 * kvmsim computes (stage 1: mmu-model/arm64_walk.c, stage 2: the VM's
 * table in mmu-model/tdp.c).  The translation registers live here, not
 * in Unicorn, and the MSR/MRS/SYS hooks keep them.
 */
#ifndef KVMSIM_ARM64_H
#define KVMSIM_ARM64_H

#include <capstone/capstone.h>
#include <unicorn/unicorn.h>

#include "kvm-model/kvm_host.h"
#include "kvmsim/arm64_uapi.h"
#include "mmu-model/arm64_walk.h"

/*
 * Unicorn's arm64 aborts past ~1,023 mapped regions and each map costs
 * O(n^2) in regions: a small FIFO-evicted set, each region as large as
 * both stages allow (a 2M stage-1 block over a 2M stage-2 block is one).
 */
#define ARM64_UC_MAX_REGIONS	64

/* ESR_ELx exception classes the model raises or decodes. */
#define ESR_ELx_EC_UNKNOWN	0x00
#define ESR_ELx_EC_SVC64	0x15
#define ESR_ELx_EC_HVC64	0x16
#define ESR_ELx_EC_IABT_LOW	0x20
#define ESR_ELx_EC_IABT_CUR	0x21
#define ESR_ELx_EC_DABT_LOW	0x24
#define ESR_ELx_EC_DABT_CUR	0x25
#define ESR_ELx_EC_BRK64	0x3c
#define ESR_ELx_EC_SHIFT	26
#define ESR_ELx_IL		(1u << 25)
#define ESR_ELx_ISV		(1u << 24)
#define ESR_ELx_SAS_SHIFT	22
#define ESR_ELx_SSE		(1u << 21)
#define ESR_ELx_SRT_SHIFT	16
#define ESR_ELx_SF		(1u << 15)
#define ESR_ELx_S1PTW		(1u << 7)
#define ESR_ELx_WNR		(1u << 6)
#define ESR_ELx_FSC_EXTABT	0x10

/* PSTATE */
#define PSR_MODE_EL0t		0x0
#define PSR_MODE_EL1t		0x4
#define PSR_MODE_EL1h		0x5
#define PSR_MODE_MASK		0xf
#define PSR_DAIF_MASK		0x3c0

struct arm64_region {
	uint64_t gva, size, ipa, hva;
	uint32_t perms;		/* UC_PROT_* */
	uint64_t seq;		/* install order: FIFO eviction */
};

/* Why the last uc_emu_start returned, as the hooks saw it. */
enum arm64_stop {
	ARM64_STOP_NONE,	/* count exhausted, wfi, or a memory fault */
	ARM64_STOP_EXCEPTION,	/* Unicorn raised an exception: intno */
};

/* An MMIO read waiting for userspace (kvm_handle_mmio_return). */
struct arm64_mmio_pending {
	bool active;
	bool read;
	int rt;			/* destination register, 31 = XZR */
	int len;
	bool sign_extend;	/* ESR.SSE */
	bool sixty_four;	/* ESR.SF */
};

struct kvm_arm64_vcpu {
	uc_engine *uc;
	csh cs;
	uint64_t quantum;

	bool initialized;	/* KVM_ARM_VCPU_INIT done */
	uint32_t features;
	bool power_off;		/* PSCI: waits for CPU_ON */
	struct sim_waitq power_wq;
	uint64_t mpidr;

	/* EL1 translation registers (the engine runs with its MMU off) */
	uint64_t sctlr, tcr, ttbr0, ttbr1, mair;

	struct arm64_region regions[ARM64_UC_MAX_REGIONS];
	int nr_regions;
	uint64_t region_seq;

	struct {
		bool valid;
		int type;	/* uc_mem_type */
		uint64_t addr;
		int size;
	} fault;
	enum arm64_stop stop;
	uint32_t intno;
	struct arm64_mmio_pending mmio;
	uint64_t system_event;	/* 0, or KVM_SYSTEM_EVENT_* pending */
};

static inline struct kvm_arm64_vcpu *to_arm64(struct kvm_vcpu *vcpu)
{
	return vcpu->arch;
}

/* arm64.c */
uint64_t arm64_reg_read(struct kvm_vcpu *vcpu, int uc_reg);
void arm64_reg_write(struct kvm_vcpu *vcpu, int uc_reg, uint64_t v);
uint64_t arm64_xreg_read(struct kvm_vcpu *vcpu, int n);	/* 31 = XZR */
void arm64_xreg_write(struct kvm_vcpu *vcpu, int n, uint64_t v);
int arm64_internal_error(struct kvm_vcpu *vcpu, const char *what, uint64_t pc);

/* mmu.c */
int kvm_handle_guest_abort(struct kvm_vcpu *vcpu);
int kvm_handle_mmio_return(struct kvm_vcpu *vcpu);
void arm64_flush_regions(struct kvm_vcpu *vcpu, const char *why);
void arm64_flush_gfns(struct kvm_vcpu *vcpu, uint64_t gfn_start, uint64_t gfn_end);
void arm64_protect_gfn(struct kvm_vcpu *vcpu, uint64_t gfn);
void arm64_slot_apply_flags(struct kvm *kvm, struct kvm_memory_slot *old, uint32_t new_flags);
/* exception entry to VBAR_EL1 (inject_abt64 and friends) */
void arm64_inject_exception(struct kvm_vcpu *vcpu, uint32_t esr, uint64_t far,
			    uint64_t elr, bool set_far);
void kvm_inject_undefined(struct kvm_vcpu *vcpu);
bool arm64_fetch_insn(struct kvm_vcpu *vcpu, uint64_t pc, uint32_t *insn);
void arm64_disasm(struct kvm_vcpu *vcpu, uint64_t pc, char *buf, size_t len);

#endif
