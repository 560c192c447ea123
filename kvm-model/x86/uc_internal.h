/* SPDX-License-Identifier: MIT */
/* Private state of the x86 Unicorn back end. */
#ifndef KVMSIM_X86_UC_INTERNAL_H
#define KVMSIM_X86_UC_INTERNAL_H

#include <capstone/capstone.h>
#include <unicorn/unicorn.h>

#include "kvm-model/x86/async_pf.h"
#include "kvm-model/x86/x86.h"
#include "mmu-model/x86_walk.h"

/*
 * Unicorn aborts past ~4,095 mapped regions and each map costs O(n^2) in
 * regions: keep a small set, coalesce linear runs, evict the oldest.
 */
#define UC_MAX_REGIONS	256

enum uc_engine_mode { ENG_16, ENG_32, ENG_64, ENG_NR };

struct uc_region {
	uint64_t gva;
	uint64_t size;
	uint64_t gpa;
	uint64_t hva;
	uint32_t perms;		/* UC_PROT_* */
	uint64_t seq;		/* install order, for FIFO eviction */
};

/* Why the last uc_emu_start returned (set by hooks). */
enum uc_stop {
	STOP_NONE,		/* count exhausted, or a memory error */
	STOP_UNTRAPPED_PIO,	/* a port hook fired: a scan bug */
	STOP_SPECIAL,		/* a trapped instruction at special_rip */
	STOP_INTR,		/* an exception or INT n from Unicorn */
};

struct uc_fault {
	bool valid;
	int type;		/* uc_mem_type */
	uint64_t addr;
	int size;
};


/* A single instruction stepped against an MMIO page. */
/* region perms bit: the guest may execute it, its code is not scanned yet */
#define REGION_EXEC_PENDING	(1u << 8)

struct mmio_step {
	uint64_t gva_page;
	uint64_t gpa_page;
	uint8_t *hva_page;	/* readable backing (READONLY slot), or NULL */
	bool track_write;	/* writes land in hva_page: a guest PT page */
	bool have_read_data;
	uint8_t read_data[8];
	uint64_t read_gva;
	int read_len;
	int read_seen;
	bool wrote;
	uint8_t write_data[8];
	uint64_t write_gva;
	int write_len;
};

struct kvm_x86_uc {
	uc_engine *engines[ENG_NR];
	uc_engine *uc;
	enum uc_engine_mode mode;

	struct uc_region regions[UC_MAX_REGIONS];
	int nr_regions;
	uint64_t region_seq;

	struct uc_fault fault;
	enum uc_stop stop;
	uint64_t special_rip;
	uint64_t exceptions;	/* delivered so far: did emulation raise one? */
	uint32_t intno;
	struct mmio_step *mmio;	/* non-NULL while single-stepping MMIO */
	struct mmio_step mmio_pending;	/* the step an MMIO read exit waits on */

	/* addresses that carry a trapped-instruction code hook */
	struct gfn_set trapped;

	uint64_t shadow_r8_r15[8];	/* outside long mode */
	bool dt_in_engine;		/* GDTR/IDTR live in the engine */
	uint32_t shadow_hi[8];		/* RAX..RBP bits 63:32, outside long mode */
	csh cs[ENG_NR];
	uint64_t quantum;
	bool shutdown;

	struct kvm_lapic lapic;
	struct kvm_vcpu_apf apf;
};

static inline struct kvm_x86_uc *to_uc(struct kvm_vcpu *vcpu)
{
	return vcpu->arch;
}

/* uc_mem.c */
void x86_flush_gfns(struct kvm_vcpu *vcpu, uint64_t gfn_start, uint64_t gfn_end);
void x86_protect_gfn(struct kvm_vcpu *vcpu, uint64_t gfn);
void uc_flush_all(struct kvm_vcpu *vcpu, const char *why);
void uc_punch_hole(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t size);
int uc_handle_mem_fault(struct kvm_vcpu *vcpu);
int kvm_mmu_track_write(struct kvm_vcpu *vcpu, uint64_t gva, uint64_t gpa);
int x86_translate(struct kvm_vcpu *vcpu, uint64_t gva, unsigned access,
		  struct x86_walk_result *res);
void *x86_gva_to_hva(struct kvm_vcpu *vcpu, uint64_t gva, bool write, int *vector,
		     uint32_t *error_code);
int uc_mmio_complete(struct kvm_vcpu *vcpu);
void x86_build_walk_ctx(struct kvm_vcpu *vcpu, struct x86_walk_ctx *ctx);
int x86_cpl(struct kvm_vcpu *vcpu);

/* segments.c */
const char *x86_load_segments(struct kvm_vcpu *vcpu);
void x86_sync_segments(struct kvm_vcpu *vcpu);

/* emulate.c */
int x86_emulate_special(struct kvm_vcpu *vcpu);
int kvm_inject_exception(struct kvm_vcpu *vcpu, int vector, bool has_error,
			 uint32_t error_code, bool is_trap);
int x86_handle_invalid_insn(struct kvm_vcpu *vcpu);
/* An external interrupt through the guest's IDT (after the instruction). */
int kvm_inject_irq(struct kvm_vcpu *vcpu, int vector);
/* kvm_set_msr_common / kvm_get_msr_common: 0, or 1 for #GP. */
int kvm_set_msr_common(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t data);
int kvm_get_msr_common(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t *data);
bool x86_exception_has_error_code(int vector);
int x86_complete_string_pio(struct kvm_vcpu *vcpu);
void x86_rehook_traps(struct kvm_vcpu *vcpu, uc_engine *uc);
int x86_internal_error(struct kvm_vcpu *vcpu, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void x86_scan_code(struct kvm_vcpu *vcpu, uint64_t gva, const uint8_t *bytes, size_t len);

/* x86.c */
uint64_t x86_linear_rip(struct kvm_vcpu *vcpu);
int kvm_fast_pio(struct kvm_vcpu *vcpu, bool in, uint16_t port, int size, uint64_t rip,
		 uint64_t next_rip);

/* x86.c */
uint64_t x86_linear_rip(struct kvm_vcpu *vcpu);
uint64_t x86_reg_read(struct kvm_vcpu *vcpu, int uc_reg);
void x86_reg_write(struct kvm_vcpu *vcpu, int uc_reg, uint64_t v);
bool x86_long_mode(struct kvm_vcpu *vcpu);

#endif
