/* SPDX-License-Identifier: MIT */
/* Private state of the x86 Unicorn back end. */
#ifndef KVMSIM_X86_UC_INTERNAL_H
#define KVMSIM_X86_UC_INTERNAL_H

#include <capstone/capstone.h>
#include <unicorn/unicorn.h>

#include "kvm-model/x86/async_pf.h"
#include "kvm-model/x86/guest_debug.h"
#include "kvm-model/x86/irq.h"
#include "kvm-model/x86/x86.h"
#include "mmu-model/x86_walk.h"

/*
 * A page of guest code Unicorn translated, and its bytes then: translated
 * code is not invalidated by writes Unicorn does not make itself (the VMM,
 * a host memcpy, another vCPU's engine), so kvmsim compares.
 */
struct code_page {
	uint64_t gfn;
	uint8_t *bytes;
};
#define MAX_CODE_PAGES	256

/*
 * A code page as it was when its trapped instructions were hooked
 * (emulate.c): the hooks outlive TLB flushes, so a page scanned again
 * with the same bytes in the same mode needs no new scan.
 */
/* Reads in a row of one thing, each soon after the last (x86_poll_cost). */
struct x86_poll {
	uint64_t what;		/* what was read: an MMIO gpa and length */
	uint64_t blocks;	/* the vCPU's blocks at the last read */
	unsigned int reads;
};

struct scan_memo {
	uint64_t gva_page;
	int mode;
	uint8_t bytes[PAGE_SIZE];
};
#define SCAN_MEMO_SIZE	16

/* A trap hook and the address it is bound to. */
struct trap_hook {
	uint64_t addr;
	uc_hook hook;
};

/* A trapped instruction as capstone decoded it, and the bytes it came from. */
struct trap_insn {
	uint64_t lin;
	int mode;
	cs_insn insn;
	cs_detail detail;
};
#define TRAP_INSN_CACHE	64

/* How the guest's code decodes (capstone): from CR0.PE, EFER.LMA and CS. */
enum x86_cpu_mode { MODE_16, MODE_32, MODE_64, MODE_NR };

/*
 * Unicorn's physical space is the guest-physical space: each memslot's
 * backing is one region at its GPA.  A guest_memfd slot's private pages
 * live in the file, not at userspace_addr: its view is a second region at
 * GMEM_ALIAS_BASE + GPA.  MMIO_SCRATCH_GPA is the callback page an MMIO
 * instruction is stepped against.  Both lie above any GPA a guest can use
 * (MAXPHYADDR 46) and inside Unicorn's 52-bit physical space.
 */
#define GMEM_ALIAS_BASE		(1ull << 48)
#define MMIO_SCRATCH_GPA	(1ull << 50)

struct uc_region {
	uint64_t gpa;		/* where Unicorn sees it */
	uint64_t size;
	uint64_t hva;
	/* what the memslot looked like when mapped (remap when it changes) */
	const void *slot;
	const void *gmem;
};

/* Why the last uc_emu_start returned (set by hooks). */
enum uc_stop {
	STOP_NONE,		/* a failed TLB fill, an error, or nothing */
	STOP_QUANTUM,		/* the block budget ran out */
	STOP_UNTRAPPED_PIO,	/* a port hook fired: a scan bug */
	STOP_SPECIAL,		/* a trapped instruction at special_rip */
	STOP_INTR,		/* an exception or INT n from Unicorn */
	STOP_IRQ_WINDOW,	/* the interrupt window userspace waits for opened */
	STOP_DEBUG,		/* KVM_SET_GUEST_DEBUG's hooks: a debug exit (guest_debug.c) */
};

/* A TLB fill that failed, so the access must be resolved outside. */
struct uc_fault {
	bool valid;
	bool retry;		/* nothing to resolve: translations changed, re-enter */
	unsigned access;	/* X86_ACC_* */
	uint64_t gva;
};

/* A single instruction stepped against an MMIO page. */
struct mmio_step {
	uint64_t gva_page;
	uint64_t gpa_page;
	uint8_t *hva_page;	/* readable backing (READONLY slot), or NULL */
	bool track_write;	/* writes land in hva_page: a guest PT page */
	bool probe;		/* only find the first byte accessed (a #PF's CR2) */
	bool probed;
	uint64_t probe_gva;
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
	uc_engine *uc;		/* one UC_MODE_64 engine runs every CPU mode */
	uc_context *ctx;	/* CPU state carried to the segment loader and back */
	uc_context *step_ctx;	/* CPU state before an MMIO step, to roll back */
	unsigned int steps;	/* MMIO steps since the translations were last flushed */
	uint64_t mmio_insn_rip;	/* the MMIO write being completed: its instruction (kvm_rip_read) */

	struct uc_region *regions;
	int nr_regions;
	uint64_t slots_gen;	/* kvm->stat.memslot_updates when mapped */
	bool slots_mapped;

	struct uc_fault fault;
	enum uc_stop stop;
	/*
	 * Where the block hook stopped the engine (the linear address of the
	 * block it kept from running): Unicorn leaves RIP stale after a stop
	 * requested from a block hook while code hooks exist.
	 */
	uint64_t stop_pc;
	bool stopped_at_block;	/* stop_pc is valid (handle_stop resumes there) */
	/* blocks run since the vCPU last reached a scheduling point */
	uint64_t quantum_used;
	bool in_run;		/* inside uc_emu_start (fills may fail) */
	bool unmapping;		/* inside uc_mem_unmap (fills are identity) */
	bool stepping;		/* an MMIO step: no quantum stop */
	uint64_t special_rip;	/* linear address of the trapped instruction */
	uint64_t exceptions;	/* delivered so far: did emulation raise one? */
	uint32_t intno;
	struct mmio_step *mmio;	/* non-NULL while single-stepping MMIO */
	struct mmio_step mmio_pending;	/* the step an MMIO read exit waits on */

	/* linear addresses that carry a trapped-instruction code hook */
	struct gfn_set trapped;
	struct gfn_set shadow_ends;	/* x86_watch_shadow_end's hooks */
	struct trap_hook *hooks;
	size_t nr_hooks, cap_hooks;
	struct code_page *code;
	int nr_code;
	/* sim_switches() when the code pages were last compared (x86.c) */
	uint64_t code_checked_at;
	/* linear pages scanned for them since the last TLB flush */
	struct gfn_set scanned;
	/* pages scanned before, by linear page (emulate.c: x86_scan_code) */
	struct scan_memo *scan_memo[SCAN_MEMO_SIZE];
	/* the last code page read for decoding, valid until a TLB flush */
	uint64_t code_page;
	const uint8_t *code_hva;
	/* trapped instructions decoded, by address (checked against the bytes) */
	struct trap_insn *insns;

	bool dt_in_engine;		/* sregs are loaded in the engine */
	bool dt_preloaded;		/* by x86_vcpu_preload, the guest not run since */
	csh cs[MODE_NR];
	uint64_t quantum;		/* translated blocks per scheduling quantum */
	uint64_t budget;		/* this run's: the quantum, or less before a timer expiry */
	uint64_t blocks;		/* blocks entered during this uc_emu_start */
	uint64_t poll_ns;		/* virtual ns polls spent during it (emulate.c) */
	/* the polling rule (emulate.c: x86_poll_cost) */
	struct x86_poll tsc_poll;	/* RDTSC/RDTSCP */
	struct x86_poll mmio_poll;	/* MMIO read exits to userspace */
	bool shutdown;
	bool engine_failed;	/* uc_open failed: KVM_RUN says -ENOMEM */

	struct kvm_lapic lapic;
	struct kvm_vcpu_apf apf;
	struct kvm_x86_events events;	/* KVM_INTERRUPT, KVM_NMI, the irq window */
	struct x86_guest_debug dbg;	/* KVM_SET_GUEST_DEBUG */
};

static inline struct kvm_x86_uc *to_uc(struct kvm_vcpu *vcpu)
{
	return vcpu->arch;
}

/* x86.c: the vCPU's engine, opened at its first use */
uc_engine *x86_uc(struct kvm_vcpu *vcpu);

/* x86.c: virtual time as the running guest sees it, and spending it */
uint64_t x86_vcpu_now(struct kvm_vcpu *vcpu);
uint64_t x86_vcpu_blocks(struct kvm_vcpu *vcpu);
void x86_spend_ns(struct kvm_vcpu *vcpu, uint64_t ns);
/* emulate.c: the polling rule */
uint64_t x86_poll_cost(struct kvm_vcpu *vcpu, struct x86_poll *p, uint64_t what,
		       uint64_t max_ns);
uint64_t x86_mmio_poll_cost(struct kvm_vcpu *vcpu, uint64_t gpa, int len);

/* uc_mem.c */
void x86_flush_gfns(struct kvm_vcpu *vcpu, uint64_t gfn_start, uint64_t gfn_end);
void x86_protect_gfn(struct kvm_vcpu *vcpu, uint64_t gfn);
void uc_flush_all(struct kvm_vcpu *vcpu, const char *why);
void x86_tlb_flush(struct kvm_x86_uc *a);
int x86_sync_memslots(struct kvm_vcpu *vcpu);
/* the same ahead of the entry, reporting nothing: a failure is left to it */
void x86_preload_memslots(struct kvm_vcpu *vcpu);
bool x86_tlb_fill(uc_engine *uc, uint64_t gva, uc_mem_type type, uc_tlb_entry *e,
		  void *opaque);
int uc_handle_mem_fault(struct kvm_vcpu *vcpu);
int x86_read_code(struct kvm_vcpu *vcpu, uint64_t lin, uint8_t *buf, size_t len);
int x86_map_mmio_scratch(struct kvm_vcpu *vcpu);
int x86_check_code(struct kvm_vcpu *vcpu);
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
const char *x86_load_cs(struct kvm_vcpu *vcpu, uint16_t sel);

/* emulate.c */
int x86_emulate_special(struct kvm_vcpu *vcpu);
int kvm_inject_exception(struct kvm_vcpu *vcpu, int vector, bool has_error,
			 uint32_t error_code, bool is_trap);
int x86_handle_invalid_insn(struct kvm_vcpu *vcpu);

/* emulation_failure.c */
/* Would KVM's emulator run the MMIO access of the instruction at lin? */
bool x86_emulator_can_mmio(struct kvm_vcpu *vcpu, uint64_t lin);
/* It cannot: an exit (1) or #UD for the guest, as KVM decides. */
int handle_emulation_failure(struct kvm_vcpu *vcpu, uint64_t lin);
/* An external interrupt through the guest's IDT (after the instruction). */
int kvm_inject_irq(struct kvm_vcpu *vcpu, int vector);
/* kvm_set_msr_common / kvm_get_msr_common: 0, or 1 for #GP. */
int kvm_set_msr_common(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t data);
int kvm_get_msr_common(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t *data);
bool x86_exception_has_error_code(int vector);
int x86_complete_string_pio(struct kvm_vcpu *vcpu);
int x86_internal_error(struct kvm_vcpu *vcpu, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void x86_scan_code(struct kvm_vcpu *vcpu, uint64_t gva, const uint8_t *bytes, size_t len);

/* scan_cache.c: a whole page's scan, by content (mode and bytes) */
struct x86_scan_result {
	uint64_t hash;
	int mode;
	unsigned int n;		/* trapped instruction starts */
	uint8_t bytes[PAGE_SIZE];
	uint16_t offs[];	/* their offsets in the page, in scan order */
};
#define SCAN_CACHE_MAX_STARTS	1024	/* a page with more is not cached */
const struct x86_scan_result *x86_scan_cache_find(int mode, const uint8_t *bytes);
void x86_scan_cache_add(int mode, const uint8_t *bytes, const uint16_t *offs, unsigned int n);
void x86_scan_cache_learned(const void *rec, size_t len);
void x86_drop_trap(struct kvm_vcpu *vcpu, uint64_t addr);
/* Length of the instruction in code[0..n) in the current mode, or 0. */
int x86_insn_length(struct kvm_vcpu *vcpu, const uint8_t *code, int n);

/* x86.c */
int kvm_fast_pio(struct kvm_vcpu *vcpu, bool in, uint16_t port, int size, uint64_t rip,
		 uint64_t next_rip);
uint64_t x86_linear_rip(struct kvm_vcpu *vcpu);
uint64_t x86_reg_read(struct kvm_vcpu *vcpu, int uc_reg);
void x86_reg_write(struct kvm_vcpu *vcpu, int uc_reg, uint64_t v);
bool x86_long_mode(struct kvm_vcpu *vcpu);
enum x86_cpu_mode x86_cpu_mode(struct kvm_vcpu *vcpu);
int x86_set_control(struct kvm_vcpu *vcpu, uint64_t cr0, uint64_t cr4, uint64_t efer);
/* STI opened IF: stop the engine where the shadow after RIP ends, if needed then */
void x86_watch_shadow_end(struct kvm_vcpu *vcpu);
void kvm_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event);
void kvm_vcpu_deliver_sipi_vector(struct kvm_vcpu *vcpu, uint8_t vector);

#endif
