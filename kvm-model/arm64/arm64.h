/* SPDX-License-Identifier: MIT */
/*
 * Private state of the arm64 vCPU back end on Unicorn (arch/arm64/kvm as
 * kvmsim models it).  Unicorn runs in its virtual-TLB mode: its physical
 * space is the guest-physical space (each memslot mapped once at its
 * IPA), and every TLB miss comes to kvmsim's fill hook, which walks stage
 * 1 (mmu-model/arm64_walk.c) and looks stage 2 up (mmu-model/tdp.c).  The
 * translation registers the walk reads live here; the MSR/MRS/SYS hooks
 * keep them.
 */
#ifndef KVMSIM_ARM64_H
#define KVMSIM_ARM64_H

#include <capstone/capstone.h>
#include <unicorn/unicorn.h>

#include "kvm-model/kvm_host.h"
#include "kvmsim/arm64_uapi.h"
#include "mmu-model/arm64_walk.h"

/*
 * Unicorn's translation buffer per vCPU engine: QEMU's minimum.  Guest
 * images are small; a full buffer is flushed and refilled, which changes
 * nothing a guest can see.
 */
#define ARM64_TCG_BUFFER_SIZE	(1u << 20)

/* Unicorn's arm64 target page: a TLB fill covers 1K of a 4K guest page. */
#define ARM64_UC_PAGE_SIZE	1024ull

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

/* A memslot as the engine maps it: one region at its IPA. */
struct arm64_slot_map {
	uint64_t gpa, size, hva;
};

/*
 * The last translation the fill hook granted, per EL: Unicorn's arm64
 * pages are 1K, so a 4K page (or a block) is filled several times; this
 * answers the later fills without another walk.  Dropped with the TLB.
 */
struct arm64_fill_cache {
	bool valid;
	uint64_t va, size, ipa;	/* the range linear in both stages */
	uint64_t hva;		/* the host address of ipa */
	uint32_t perms;		/* UC_PROT_* */
};

/* Why the last uc_emu_start returned, as the hooks saw it. */
enum arm64_stop {
	ARM64_STOP_NONE,	/* wfi, or a failed fill (a->fault) */
	ARM64_STOP_QUANTUM,	/* the block hook spent the quantum */
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
	uint64_t quantum;	/* guest instructions per scheduling quantum */
	uint64_t quantum_left;	/* counted down by the block hook */
	uint64_t insns_at_entry;	/* vcpu->insns when uc_emu_start began */
	bool in_emu;		/* inside uc_emu_start: fills are the guest's */
	bool code_stale;	/* another vCPU ran IC, or a reset: drop translated code */

	bool initialized;	/* KVM_ARM_VCPU_INIT done */
	uint32_t features;
	bool power_off;		/* PSCI: waits for CPU_ON */
	struct sim_waitq power_wq;
	uint64_t mpidr;

	/* EL1 translation registers, as the stage-1 walk reads them */
	uint64_t sctlr, tcr, ttbr0, ttbr1, mair;

	/* the memslots mapped in the engine, sorted by gpa */
	struct arm64_slot_map *maps;
	int nr_maps;
	struct arm64_fill_cache fill_cache[2];	/* [el0] */

	/* the fill that failed and stopped the engine */
	struct {
		bool valid;
		uc_mem_type type;	/* UC_MEM_READ, _WRITE, _FETCH */
		uint64_t va;		/* Unicorn's page of it (1K aligned) */
		int insn_state;		/* 0: not read yet, 1: insn, 2: unreadable */
		uint32_t insn;		/* the word at PC */
	} fault;
	/* disassembly of the instructions that faulted last (trace text) */
	struct {
		uint64_t pc;
		uint32_t word;
		char text[200];	/* mnemonic (32) + operands (160) */
	} disasm_cache[16];
	enum arm64_stop stop;
	uint32_t intno;
	struct arm64_mmio_pending mmio;
	uint64_t system_event;	/* 0, or KVM_SYSTEM_EVENT_* pending */
};

static inline struct kvm_arm64_vcpu *to_arm64(struct kvm_vcpu *vcpu)
{
	return vcpu->arch;
}

/* The stage-1 access kind (ARM64_ACC_*) of a Unicorn fill. */
static inline unsigned arm64_access(uc_mem_type type, bool el0)
{
	unsigned acc = el0 ? ARM64_ACC_EL0 : 0;

	if (type == UC_MEM_WRITE)
		return acc | ARM64_ACC_WRITE;
	if (type == UC_MEM_FETCH)
		return acc | ARM64_ACC_EXEC;
	return acc;
}

/* arm64.c */
uint64_t arm64_reg_read(struct kvm_vcpu *vcpu, int uc_reg);
void arm64_reg_write(struct kvm_vcpu *vcpu, int uc_reg, uint64_t v);
uint64_t arm64_xreg_read(struct kvm_vcpu *vcpu, int n);	/* 31 = XZR */
void arm64_xreg_write(struct kvm_vcpu *vcpu, int n, uint64_t v);
int arm64_internal_error(struct kvm_vcpu *vcpu, const char *what, uint64_t pc);

/* engine.c: the Unicorn engine in TLB mode */
int arm64_engine_open(struct kvm_vcpu *vcpu);
void arm64_engine_close(struct kvm_vcpu *vcpu);
uc_err arm64_engine_run(struct kvm_vcpu *vcpu);
void arm64_flush_tlb(struct kvm_vcpu *vcpu);
void arm64_invalidate_code(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t size);
void arm64_set_pstate(struct kvm_vcpu *vcpu, uint64_t pstate);
void arm64_set_vm_reg(struct kvm_vcpu *vcpu, uint64_t *shadow, uint64_t val);
bool arm64_from_el0(struct kvm_vcpu *vcpu);
bool arm64_read_guest_va(struct kvm_vcpu *vcpu, uint64_t va, void *buf, size_t len);
bool arm64_fetch_insn(struct kvm_vcpu *vcpu, uint64_t pc, uint32_t *insn);
bool arm64_fault_insn(struct kvm_vcpu *vcpu, uint32_t *insn);
const char *arm64_disasm(struct kvm_vcpu *vcpu, uint64_t pc, uint32_t word);

/* decode.c: what a data abort's instruction accessed */
bool arm64_decode_isv(uint32_t insn, struct arm64_mmio_pending *d);
bool arm64_data_address(struct kvm_vcpu *vcpu, uint64_t pc, uint32_t insn, uint64_t *va);

/* mmu.c */
int kvm_handle_guest_abort(struct kvm_vcpu *vcpu);
int kvm_handle_mmio_return(struct kvm_vcpu *vcpu);
void arm64_flush_gfns(struct kvm_vcpu *vcpu, uint64_t gfn_start, uint64_t gfn_end);
void arm64_protect_gfn(struct kvm_vcpu *vcpu, uint64_t gfn);
void arm64_slot_apply_flags(struct kvm *kvm, struct kvm_memory_slot *old, uint32_t new_flags);
/* the stage-1 walk and stage-2 lookup a fill needs, without faulting */
bool arm64_translate(struct kvm_vcpu *vcpu, uint64_t va, unsigned acc,
		     struct arm64_fill_cache *out);
/* exception entry to VBAR_EL1 (inject_abt64 and friends) */
void arm64_inject_exception(struct kvm_vcpu *vcpu, uint32_t esr, uint64_t far,
			    uint64_t elr, bool set_far);
void kvm_inject_undefined(struct kvm_vcpu *vcpu);

#endif
