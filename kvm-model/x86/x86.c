// SPDX-License-Identifier: MIT
/*
 * x86 vCPU: registers, special registers and the run loop
 * (kvm_arch_vcpu_ioctl_run -> vcpu_run -> vcpu_enter_guest), executing the
 * guest in one Unicorn engine per vCPU, in TLB mode (uc_mem.c), with
 * quanta counted in translated blocks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_irq.h"
#include "kvm-model/kvm_mmu.h"
#include "kvm-model/profile.h"
#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"
#include "sim/explore.h"

#define X86_CR0_NW	(1ull << 29)
#define X86_CR0_CD	(1ull << 30)

/* Translated blocks per scheduling quantum (about 100,000 instructions). */
#define DEFAULT_QUANTUM	20000
/*
 * Small translation buffer: guest code is small, and 256 vCPUs must fit
 * in 1 MiB each.  Under 2 MiB: QEMU advises huge pages for the buffer,
 * and one transparent huge page would make 2 MiB of it resident at once.
 */
#define TCG_BUFFER_SIZE	((2u << 20) - (64u << 10))

static const int gpr_ids[] = {
	UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX,
	UC_X86_REG_RSI, UC_X86_REG_RDI, UC_X86_REG_RSP, UC_X86_REG_RBP,
	UC_X86_REG_R8, UC_X86_REG_R9, UC_X86_REG_R10, UC_X86_REG_R11,
	UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14, UC_X86_REG_R15,
	UC_X86_REG_RIP, UC_X86_REG_RFLAGS,
};
#define NR_GPRS (int)(sizeof(gpr_ids) / sizeof(gpr_ids[0]))

/*
 * One UC_MODE_64 engine runs every mode: QEMU's CPU switches between
 * real, protected and long mode on CR0/EFER and the CS it loads, and the
 * 64-bit register ids reach every register in all of them (RIP is the
 * instruction pointer without the CS base, as KVM's).
 */
uint64_t x86_reg_read(struct kvm_vcpu *vcpu, int uc_reg)
{
	uint64_t v = 0;

	if (uc_reg == UC_X86_REG_EFLAGS)
		uc_reg = UC_X86_REG_RFLAGS;
	uc_reg_read(x86_uc(vcpu), uc_reg, &v);
	return v;
}

void x86_reg_write(struct kvm_vcpu *vcpu, int uc_reg, uint64_t v)
{
	if (uc_reg == UC_X86_REG_EFLAGS)
		uc_reg = UC_X86_REG_RFLAGS;
	uc_reg_write(x86_uc(vcpu), uc_reg, &v);
}

bool x86_long_mode(struct kvm_vcpu *vcpu)
{
	return vcpu->sregs.efer & EFER_LMA;
}

enum x86_cpu_mode x86_cpu_mode(struct kvm_vcpu *vcpu)
{
	const struct kvm_sregs *s = &vcpu->sregs;

	if (!(s->cr0 & X86_CR0_PE))
		return MODE_16;
	if ((s->efer & EFER_LMA) && s->cs.l)
		return MODE_64;
	return s->cs.db ? MODE_32 : MODE_16;
}

/* RIP for a linear address of code (the inverse of x86_linear_rip) */
static uint64_t x86_mode_rip(struct kvm_vcpu *vcpu, uint64_t linear)
{
	if (x86_cpu_mode(vcpu) == MODE_64)
		return linear;
	return (uint32_t)(linear - vcpu->sregs.cs.base);
}

/* The linear address of RIP (code hooks and the TLB see linear addresses). */
uint64_t x86_linear_rip(struct kvm_vcpu *vcpu)
{
	uint64_t rip = x86_reg_read(vcpu, UC_X86_REG_RIP);

	switch (x86_cpu_mode(vcpu)) {
	case MODE_64:
		return rip;
	case MODE_32:
		return (uint32_t)(rip + vcpu->sregs.cs.base);
	default:
		return (uint32_t)((uint16_t)rip + vcpu->sregs.cs.base);
	}
}

/* ---- QEMU's exception state ---- */

/*
 * QEMU keeps the exception in flight (old_exception) until its own
 * delivery clears it; kvmsim delivers instead, so left alone it would
 * turn the guest's next #GP into #DF.  The error code of an exception
 * Unicorn reports is not exposed either.  Both sit at fixed distances
 * from the debug registers in the CPU state a context holds (QEMU's
 * CPUX86State: error_code, exception_is_int, exception_next_eip, dr[8],
 * four breakpoint pointers, old_exception).  Where dr[0] lies in a
 * context is found once, by writing markers to DR0-DR7, and checked
 * (a fresh CPU has no exception in flight: -1).
 */
#define CTX_ERROR_CODE	(-16)
#define CTX_OLD_EXCEPTION	(8 * 8 + 4 * 8)
#define DR_MARKER	0x6b766d73696d0000ull

static long ctx_dr_offset = -2;		/* -2: not searched yet, -1: not found */

static long find_dr_offset(struct kvm_x86_uc *a)
{
	size_t size = uc_context_size(a->uc);
	const uint8_t *p = (const uint8_t *)a->ctx;
	uint64_t dr[8], m;
	long off = -1;

	for (int i = 0; i < 8; i++) {
		dr[i] = 0;
		uc_reg_read(a->uc, UC_X86_REG_DR0 + i, &dr[i]);
		m = DR_MARKER + i;
		uc_reg_write(a->uc, UC_X86_REG_DR0 + i, &m);
	}
	uc_context_save(a->uc, a->ctx);
	/* the context's header leaves the CPU state 4-byte aligned only */
	for (size_t o = 16; o + CTX_OLD_EXCEPTION + 4 <= size && off < 0; o += 4) {
		int oe;

		for (int i = 0; i < 8; i++) {
			memcpy(&m, p + o + 8 * i, 8);
			if (m != DR_MARKER + i)
				goto next;
		}
		memcpy(&oe, p + o + CTX_OLD_EXCEPTION, sizeof(oe));
		if (oe == -1)
			off = (long)o;
next:		;
	}
	for (int i = 0; i < 8; i++)
		uc_reg_write(a->uc, UC_X86_REG_DR0 + i, &dr[i]);
	return off;
}

/*
 * After kvmsim delivered an exception Unicorn raised, or userspace set
 * the vCPU's state: nothing is in flight any more.  Returns the error
 * code QEMU computed for the exception it raised last.
 */
static uint32_t x86_clear_exception_state(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uint8_t *p = (uint8_t *)a->ctx;
	int32_t ec = 0, none = -1;

	/* an engine not opened yet has raised nothing */
	if (!a->uc)
		return 0;
	if (ctx_dr_offset == -2)
		ctx_dr_offset = find_dr_offset(a);
	if (ctx_dr_offset < 0)
		return 0;
	uc_context_save(a->uc, a->ctx);
	memcpy(&ec, p + ctx_dr_offset + CTX_ERROR_CODE, sizeof(ec));
	memcpy(p + ctx_dr_offset + CTX_OLD_EXCEPTION, &none, sizeof(none));
	uc_context_restore(a->uc, a->ctx);
	return (uint32_t)ec;
}

/* ---- hooks ---- */

/*
 * Quanta are counted in translated blocks: this hook exists before any
 * code is translated, so every block carries it (Unicorn's instruction
 * count would instrument every instruction).
 */
static void block_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct kvm_x86_uc *a = opaque;

	/*
	 * Inline test first: a call per block (into another file, through
	 * the PLT) halved an ALU loop's speed.
	 */
	if (a->events.window_wanted && a->stop == STOP_NONE &&
	    kvm_x86_irq_window_opened(&a->events, uc, addr)) {
		a->stop = STOP_IRQ_WINDOW;
		a->stop_pc = addr;
		a->stopped_at_block = true;
		uc_emu_stop(uc);
		return;
	}
	if (++a->blocks >= a->budget && a->stop == STOP_NONE && !a->stepping) {
		a->stop = STOP_QUANTUM;
		a->stop_pc = addr;
		a->stopped_at_block = true;
		uc_emu_stop(uc);
	}
}

/*
 * Every IN/OUT is trapped by address before Unicorn runs it (emulate.c);
 * Unicorn's own port hooks fire mid-block with a stale RIP, so reaching one
 * means an instruction escaped the scan.
 */
static void untrapped_pio(uc_engine *uc, struct kvm_x86_uc *a)
{
	a->stop = STOP_UNTRAPPED_PIO;
	uc_emu_stop(uc);
}

static void out_hook(uc_engine *uc, uint32_t port, int size, uint32_t value, void *opaque)
{
	untrapped_pio(uc, opaque);
}

static uint32_t in_hook(uc_engine *uc, uint32_t port, int size, void *opaque)
{
	untrapped_pio(uc, opaque);
	return 0;
}

static void intr_hook(uc_engine *uc, uint32_t intno, void *opaque)
{
	struct kvm_x86_uc *a = opaque;

	a->stop = STOP_INTR;
	a->intno = intno;
	uc_emu_stop(uc);
}

static bool invalid_hook(uc_engine *uc, void *opaque)
{
	return false;
}

static const cs_mode capstone_mode[MODE_NR] = { CS_MODE_16, CS_MODE_32, CS_MODE_64 };

/*
 * The vCPU's engine: TLB mode with the fill hook, the block counter and
 * the instruction hooks, all before anything is translated.  No
 * UC_HOOK_MEM_* hook: any one puts every store on Unicorn's slow path.
 * Opened at the first use (x86_uc), not at KVM_CREATE_VCPU: a VM may
 * create thousands of vCPUs (kvm_create_max_vcpus) and run few, and an
 * engine is most of a vCPU's memory.  It starts with the reset state's
 * registers.
 */
static int engine_open(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uc_engine *uc;
	uc_hook h;
	uint64_t rip = 0xfff0, rflags = 2, rdx = 0x600;

	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
		return -ENOMEM;
	a->uc = uc;
	uc_ctl_set_tcg_buffer_size(uc, TCG_BUFFER_SIZE);
	uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL);
	/* no `until`: with TLB mode it raises spurious exceptions */
	uc_ctl_exits_enable(uc);
	if (uc_hook_add(uc, &h, UC_HOOK_TLB_FILL, x86_tlb_fill, vcpu, 1, 0) ||
	    uc_hook_add(uc, &h, UC_HOOK_BLOCK, block_hook, a, 1, 0) ||
	    uc_hook_add(uc, &h, UC_HOOK_INSN, out_hook, a, 1, 0, UC_X86_INS_OUT) ||
	    uc_hook_add(uc, &h, UC_HOOK_INSN, in_hook, a, 1, 0, UC_X86_INS_IN) ||
	    uc_hook_add(uc, &h, UC_HOOK_INTR, intr_hook, a, 1, 0) ||
	    uc_hook_add(uc, &h, UC_HOOK_INSN_INVALID, invalid_hook, a, 1, 0))
		return -ENOMEM;
	if (uc_context_alloc(uc, &a->ctx) || uc_context_alloc(uc, &a->step_ctx))
		return -ENOMEM;
	if (x86_map_mmio_scratch(vcpu))
		return -ENOMEM;
	for (int m = 0; m < MODE_NR; m++) {
		if (cs_open(CS_ARCH_X86, capstone_mode[m], &a->cs[m]) != CS_ERR_OK)
			return -ENOMEM;
		cs_option(a->cs[m], CS_OPT_DETAIL, CS_OPT_ON);
	}
	if (uc_reg_write(uc, UC_X86_REG_RIP, &rip) || uc_reg_write(uc, UC_X86_REG_RFLAGS, &rflags) ||
	    uc_reg_write(uc, UC_X86_REG_RDX, &rdx))
		return -ENOMEM;
	kvm_x86_fpu_reset(vcpu);
	return 0;
}

/* The vCPU's engine, opened now if this is its first use, or NULL. */
static uc_engine *x86_engine_get(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);

	if (!a->uc && !a->engine_failed && engine_open(vcpu))
		a->engine_failed = true;
	return a->engine_failed ? NULL : a->uc;
}

/*
 * For register accessors, which cannot fail: an engine that cannot be
 * opened (out of memory) ends the process.  KVM_RUN opens it first and
 * returns -ENOMEM instead.
 */
uc_engine *x86_uc(struct kvm_vcpu *vcpu)
{
	uc_engine *uc = x86_engine_get(vcpu);

	if (!uc) {
		fprintf(stderr, "kvmsim: cannot open vCPU %d's Unicorn engine\n", vcpu->vcpu_id);
		abort();
	}
	return uc;
}

/* ---- create / destroy ---- */

/* The architectural reset state of the special registers (kvm_vcpu_reset). */
static void reset_sregs(struct kvm_sregs *s, uint64_t cr0, uint64_t apic_base)
{
	struct kvm_segment data = { .limit = 0xffff, .type = 3, .present = 1, .s = 1 };

	memset(s, 0, sizeof(*s));
	s->cs = (struct kvm_segment){ .base = 0xffff0000, .limit = 0xffff,
				      .selector = 0xf000, .type = 11, .present = 1,
				      .s = 1 };
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = (struct kvm_segment){ .limit = 0xffff, .type = 11, .present = 1 };
	s->ldt = (struct kvm_segment){ .limit = 0xffff, .type = 2, .present = 1 };
	s->gdt.limit = s->idt.limit = 0xffff;
	s->cr0 = cr0;
	s->apic_base = apic_base;
}

int kvm_arch_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = calloc(1, sizeof(*a));
	struct kvm_sregs *s = &vcpu->sregs;
	const char *q = getenv("KVMSIM_QUANTUM");

	if (!a)
		return -ENOMEM;
	vcpu->arch = a;
	a->quantum = q && atoll(q) > 0 ? (uint64_t)atoll(q) : DEFAULT_QUANTUM;
	reset_sregs(s, 0x60000010, 0xfee00900);
	vcpu->msr_pat = 0x0007040600070406ull;
	a->insns = calloc(TRAP_INSN_CACHE, sizeof(*a->insns));
	if (!a->insns)
		return -ENOMEM;
	kvm_async_pf_vcpu_init(vcpu);
	kvm_x86_events_init(vcpu);
	return 0;
}

/*
 * In an explore run the process ends with the run, and closing an engine
 * (Unicorn frees its translation cache, walks and frees its hash tables,
 * unmaps its buffers) was a tenth of a run, work its exit does anyway.
 * So the run keeps a few engines parked, reachable for the leak checker.
 */
#define MAX_PARKED	64
static struct kvm_x86_uc *parked[MAX_PARKED];
static int nr_parked;

static bool park_engine(struct kvm_x86_uc *a)
{
	if (!sim_explore_in_run() || nr_parked == MAX_PARKED)
		return false;
	parked[nr_parked++] = a;
	return true;
}

void kvm_arch_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);

	if (!a)
		return;
	if (park_engine(a)) {
		vcpu->arch = NULL;
		return;
	}
	if (a->ctx)
		uc_context_free(a->ctx);
	if (a->step_ctx)
		uc_context_free(a->step_ctx);
	if (a->uc)
		uc_close(a->uc);
	for (int m = 0; m < MODE_NR; m++)
		if (a->cs[m])
			cs_close(&a->cs[m]);
	free(a->regions);
	for (int i = 0; i < a->nr_code; i++)
		free(a->code[i].bytes);
	free(a->code);
	free(a->hooks);
	free(a->insns);
	for (int i = 0; i < SCAN_MEMO_SIZE; i++)
		free(a->scan_memo[i]);
	gfn_set_free(&a->trapped);
	gfn_set_free(&a->scanned);
	gfn_set_free(&a->shadow_ends);
	free(a);
	vcpu->arch = NULL;
}

/* ---- registers ---- */

int kvm_arch_vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	uint64_t v[NR_GPRS];

	for (int i = 0; i < NR_GPRS; i++)
		v[i] = x86_reg_read(vcpu, gpr_ids[i]);
	*regs = (struct kvm_regs){
		.rax = v[0], .rbx = v[1], .rcx = v[2], .rdx = v[3],
		.rsi = v[4], .rdi = v[5], .rsp = v[6], .rbp = v[7],
		.r8 = v[8], .r9 = v[9], .r10 = v[10], .r11 = v[11],
		.r12 = v[12], .r13 = v[13], .r14 = v[14], .r15 = v[15],
		.rip = v[16], .rflags = v[17],
	};
	return 0;
}

int kvm_arch_vcpu_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *r)
{
	const uint64_t v[NR_GPRS] = {
		r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rsp, r->rbp,
		r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15,
		r->rip, r->rflags | 2,
	};

	bool moved = x86_reg_read(vcpu, UC_X86_REG_RIP) != r->rip;

	for (int i = 0; i < NR_GPRS; i++)
		x86_reg_write(vcpu, gpr_ids[i], v[i]);
	x86_clear_exception_state(vcpu);
	/* __set_regs drops a queued exception */
	kvm_drop_queued_exception(vcpu);
	/*
	 * A pending PIO completion no longer applies once RIP moved
	 * (complete_fast_pio_out/in compare the linear RIP); with RIP
	 * unchanged it still runs, with the registers as now set.
	 */
	if (moved && (vcpu->pending == PENDING_PIO_OUT || vcpu->pending == PENDING_PIO_IN ||
		      vcpu->pending == PENDING_PIO_STRING))
		vcpu->pending = PENDING_NONE;
	/* kvm_set_rflags: single-step's TF stays only at singlestep_rip */
	x86_debug_set_rflags(vcpu);
	return 0;
}

static void sync_sregs_from_engine(struct kvm_vcpu *vcpu)
{
	/*
	 * the engine holds the guest's lgdt/lidt only once sregs are loaded
	 * and the guest ran (a preload gives the engine the sregs as they are)
	 */
	if (to_uc(vcpu)->dt_in_engine && !to_uc(vcpu)->dt_preloaded)
		x86_sync_segments(vcpu);
}

int kvm_arch_vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs)
{
	int vec = to_uc(vcpu)->events.interrupt_nr;

	sync_sregs_from_engine(vcpu);
	vcpu->sregs.cr2 = vcpu->cr2;
	*sregs = vcpu->sregs;
	sregs->cr8 = kvm_get_cr8(vcpu);
	/* __get_sregs_common fills the fields only: padding reads as zero */
	memset(sregs->gdt.padding, 0, sizeof(sregs->gdt.padding));
	memset(sregs->idt.padding, 0, sizeof(sregs->idt.padding));
	/* __get_sregs: the injected (not soft) interrupt's bit */
	memset(sregs->interrupt_bitmap, 0, sizeof(sregs->interrupt_bitmap));
	if (vec >= 0)
		sregs->interrupt_bitmap[vec / 64] |= 1ull << (vec % 64);
	return 0;
}

/* __set_sregs: the lowest vector of interrupt_bitmap is queued as injected */
static void set_sregs_pending_irq(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	struct kvm_x86_events *ev = &to_uc(vcpu)->events;

	for (int vec = 0; vec < KVM_NR_INTERRUPTS; vec++) {
		if (sregs->interrupt_bitmap[vec / 64] & (1ull << (vec % 64))) {
			ev->interrupt_nr = vec;
			ev->interrupt_last_nr = vec;
			return;
		}
	}
}

/* __kvm_is_valid_cr4: neither KVM's nor the vCPU's CPUID reserves a set bit */
static bool kvm_is_valid_cr4(struct kvm_vcpu *vcpu, uint64_t cr4)
{
	return !(cr4 & (kvm_cr4_reserved_bits() | x86_state(vcpu)->cr4_guest_rsvd_bits));
}

/* kvm_is_valid_sregs + kvm_is_valid_cr0: what KVM_SET_SREGS refuses (EINVAL). */
bool kvm_is_valid_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *s)
{
	if ((s->efer & EFER_LME) && (s->cr0 & X86_CR0_PG)) {
		if (!(s->cr4 & X86_CR4_PAE) || !(s->efer & EFER_LMA))
			return false;
		if (s->cr3 >> 46)
			return false;
	} else if ((s->efer & EFER_LMA) || s->cs.l) {
		return false;
	}
	if (s->cr0 >> 32)
		return false;
	if (!kvm_is_valid_cr4(vcpu, s->cr4))
		return false;
	if ((s->cr0 & X86_CR0_PG) && !(s->cr0 & X86_CR0_PE))
		return false;
	if ((s->cr0 & (1ull << 29)) && !(s->cr0 & (1ull << 30)))
		return false;	/* NW without CD */
	return true;
}

int kvm_arch_vcpu_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs)
{
	if (!kvm_is_valid_sregs(vcpu, sregs))
		return -EINVAL;
	/* __set_sregs_common: APIC_BASE first, nothing else changed if refused */
	if (kvm_apic_set_base(vcpu, sregs->apic_base, true))
		return -EINVAL;
	vcpu->sregs = *sregs;
	kvm_set_cr8(vcpu, sregs->cr8);
	vcpu->cr2 = sregs->cr2;
	x86_clear_exception_state(vcpu);
	to_uc(vcpu)->dt_in_engine = false;
	to_uc(vcpu)->dt_preloaded = false;
	uc_flush_all(vcpu, "KVM_SET_SREGS");
	set_sregs_pending_irq(vcpu, sregs);
	return 0;
}

/*
 * kvm_vcpu_reset(vcpu, init_event = true), for an INIT from the APIC: the
 * registers' reset state (CR0 keeps CD and NW, IA32_APIC_BASE stays),
 * nothing queued or pending, the APIC reset as INIT resets it.
 */
void kvm_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event)
{
	struct kvm_sregs s;
	struct kvm_regs regs = { .rip = 0xfff0, .rflags = 2, .rdx = 0x600 };
	uint64_t cr0 = 0x60000010;

	if (init_event)
		cr0 = (vcpu->sregs.cr0 & (X86_CR0_CD | X86_CR0_NW)) | X86_CR0_ET;
	reset_sregs(&s, cr0, vcpu->sregs.apic_base);
	kvm_arch_vcpu_set_sregs(vcpu, &s);
	kvm_arch_vcpu_set_regs(vcpu, &regs);
	vcpu->pending = PENDING_NONE;
	kvm_x86_events_init(vcpu);
	kvm_lapic_reset(vcpu, init_event);
}

/* kvm_vcpu_deliver_sipi_vector: CS = vector << 8, base vector << 12, RIP 0 */
void kvm_vcpu_deliver_sipi_vector(struct kvm_vcpu *vcpu, uint8_t vector)
{
	struct kvm_sregs s;

	kvm_arch_vcpu_get_sregs(vcpu, &s);
	s.cs.selector = (uint16_t)vector << 8;
	s.cs.base = (uint64_t)vector << 12;
	kvm_arch_vcpu_set_sregs(vcpu, &s);
	x86_reg_write(vcpu, UC_X86_REG_RIP, 0);
}

/* CR4 bits the engine acts on: SSE enables, PAE (long mode needs it). */
#define ENGINE_CR4_BITS	(X86_CR4_PAE | X86_CR4_OSFXSR | (1ull << 10) | (1ull << 18))

static void engine_write_efer(struct kvm_vcpu *vcpu, uint64_t efer)
{
	uc_x86_msr msr = { .rid = MSR_EFER, .value = efer & (EFER_SCE | EFER_LME | EFER_NX) };

	uc_reg_write(x86_uc(vcpu), UC_X86_REG_MSR, &msr);
}

/*
 * CR0, CR4 and EFER into the engine, as a CPU reaches them: long mode is
 * left by clearing CR0.PG and entered by setting it with EFER.LME and
 * CR4.PAE (QEMU derives EFER.LMA from that transition only).
 */
static void x86_engine_load_control(struct kvm_vcpu *vcpu)
{
	const struct kvm_sregs *s = &vcpu->sregs;
	uc_x86_msr efer = { .rid = MSR_EFER };

	uc_reg_read(x86_uc(vcpu), UC_X86_REG_MSR, &efer);
	if (efer.value & EFER_LMA) {
		x86_reg_write(vcpu, UC_X86_REG_CR0, X86_CR0_PG | X86_CR0_PE | X86_CR0_ET);
		x86_reg_write(vcpu, UC_X86_REG_CR0, X86_CR0_PE | X86_CR0_ET);
	}
	x86_reg_write(vcpu, UC_X86_REG_CR4, s->cr4 & ENGINE_CR4_BITS);
	engine_write_efer(vcpu, s->efer);
	x86_reg_write(vcpu, UC_X86_REG_CR0, s->cr0 & ~X86_CR0_PG);
	if (s->cr0 & X86_CR0_PG)
		x86_reg_write(vcpu, UC_X86_REG_CR0, s->cr0);
}

/*
 * A guest write to CR0, CR4 or EFER (mov crN, wrmsr, clts): the new
 * values, checked as kvm_set_cr0/kvm_set_cr4/set_efer do (#GP: returns
 * 1), then given to the engine, which changes mode as the CPU would.
 */
int x86_set_control(struct kvm_vcpu *vcpu, uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	struct kvm_sregs *s = &vcpu->sregs;
	uint64_t o_cr0 = s->cr0, o_cr4 = s->cr4, o_efer = s->efer;

	if ((cr0 >> 32) || ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE)))
		return 1;
	if ((cr0 & X86_CR0_PG) && !(o_cr0 & X86_CR0_PG) && (efer & EFER_LME) &&
	    !(cr4 & X86_CR4_PAE))
		return 1;
	if ((o_cr0 & X86_CR0_PG) && ((o_efer ^ efer) & EFER_LME))
		return 1;
	if ((o_efer & EFER_LMA) && !(cr4 & X86_CR4_PAE))
		return 1;
	efer &= ~EFER_LMA;
	if ((cr0 & X86_CR0_PG) && (efer & EFER_LME))
		efer |= EFER_LMA;
	s->cr0 = cr0;
	s->cr4 = cr4;
	s->efer = efer;
	if ((o_cr4 ^ cr4) & ENGINE_CR4_BITS)
		x86_reg_write(vcpu, UC_X86_REG_CR4, cr4 & ENGINE_CR4_BITS);
	if ((o_efer ^ efer) & (EFER_SCE | EFER_LME | EFER_NX))
		engine_write_efer(vcpu, efer);
	if (o_cr0 != cr0)
		x86_reg_write(vcpu, UC_X86_REG_CR0, cr0);
	if (((o_cr0 ^ cr0) & (X86_CR0_PE | X86_CR0_PG | X86_CR0_WP)) ||
	    ((o_cr4 ^ cr4) & (X86_CR4_PSE | X86_CR4_PAE | X86_CR4_PGE | X86_CR4_LA57 |
			      X86_CR4_SMEP | X86_CR4_SMAP)) ||
	    ((o_efer ^ efer) & (EFER_LMA | EFER_NX)))
		uc_flush_all(vcpu, "paging bits changed");
	return 0;
}

/*
 * Load vcpu->sregs into the engine before entry, when KVM_SET_SREGS
 * changed them (not on every entry: the guest's own state lives in the
 * engine between runs).
 */
static int load_sregs(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	const char *why;

	/* from here on as if this entry had loaded them */
	a->dt_preloaded = false;
	if (a->dt_in_engine)
		return 0;
	x86_engine_load_control(vcpu);
	why = x86_load_segments(vcpu);
	if (why)
		return x86_internal_error(vcpu, "KVM_RUN: cannot load the sregs' segments: %s", why);
	a->dt_in_engine = true;
	return 0;
}

/* VM-entry guest-state checks (SDM 26.3.1) that KVM_RUN reports as FAIL_ENTRY. */
static bool guest_state_valid(const struct kvm_sregs *s);

/*
 * Explore's fork point: what the first KVM_RUN of a vCPU would load into
 * its engine (the sregs through the segment loader, the memslots), loaded
 * once here so that the forked runs inherit it instead of each doing it
 * (Unicorn's TLB flushes and the loader's start-up were most of a run's
 * set-up).  Only for a vCPU with its engine open that never entered
 * KVM_RUN and is in no ioctl: the entry then finds the load done, as
 * KVM_SET_SREGS and memslot changes in between undo it.  Nothing is
 * traced or reported here; a load that fails leaves the engine as it was,
 * for the entry to fail and report.
 */
/* capstone builds a handle's instruction table at its first decode */
static void warm_capstone(struct kvm_x86_uc *a)
{
	static const uint8_t nop = 0x90;
	cs_insn *insn;

	for (int m = 0; m < MODE_NR; m++)
		if (a->cs[m] && cs_disasm(a->cs[m], &nop, 1, 0, 1, &insn) == 1)
			cs_free(insn, 1);
}

void x86_vcpu_preload(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uc_context *saved = NULL;

	if (a && a->uc)
		warm_capstone(a);
	if (!a || !a->uc || vcpu->run_calls || vcpu->mutex_locked || vcpu->dying ||
	    a->shutdown || a->dt_in_engine || !guest_state_valid(&vcpu->sregs))
		return;
	if (uc_context_alloc(a->uc, &saved) || uc_context_save(a->uc, saved))
		goto out;
	x86_engine_load_control(vcpu);
	if (x86_load_segments(vcpu)) {
		uc_context_restore(a->uc, saved);
		x86_tlb_flush(a);
		goto out;
	}
	a->dt_in_engine = true;
	a->dt_preloaded = true;
	x86_preload_memslots(vcpu);
out:
	if (saved)
		uc_context_free(saved);
}

static bool guest_state_valid(const struct kvm_sregs *s)
{
	bool pe = s->cr0 & X86_CR0_PE, lma = s->efer & EFER_LMA;

	if (!pe)
		return true;
	if (!s->tr.present || s->tr.s || s->tr.unusable)
		return false;
	if (lma ? s->tr.type != 11 : (s->tr.type != 3 && s->tr.type != 11))
		return false;
	if (!s->cs.present || !s->cs.s || !(s->cs.type & 8))
		return false;
	if (lma && s->cs.l && s->cs.db)
		return false;
	return true;
}

/* ---- exits ---- */

static void trace_exit(struct kvm_vcpu *vcpu)
{
	struct sim_ev *ev = sim_ev_begin("kvm_exit");

	sim_ev_int(ev, "exit_reason", vcpu->run->exit_reason);
	sim_ev_hex(ev, "rip", x86_reg_read(vcpu, UC_X86_REG_RIP));
	sim_ev_end(ev);
}

/*
 * kernel_pio: a device on the PIO bus (PIC, PIT, an ioeventfd) takes the
 * access; an IN's value lands in rAX as the completion would put it.
 * 0 if one did, -EOPNOTSUPP for userspace.
 */
static int kernel_pio(struct kvm_vcpu *vcpu, bool in, uint16_t port, int size, uint64_t rax)
{
	uint64_t val = 0;
	int r;

	if (!in) {
		memcpy(&val, &rax, size);
		return kvm_io_bus_write(vcpu, KVM_PIO_BUS, port, size, &val);
	}
	r = kvm_io_bus_read(vcpu, KVM_PIO_BUS, port, size, &val);
	if (r)
		return r;
	if (size < 4)
		memcpy(&rax, &val, size);
	else
		rax = (uint32_t)val;
	x86_reg_write(vcpu, UC_X86_REG_RAX, rax);
	return 0;
}

/*
 * kvm_fast_pio: an IN/OUT for userspace.  KVM exits with RIP still on the
 * instruction and skips it when the next KVM_RUN completes the access
 * (complete_fast_pio_in/out).
 */
int kvm_fast_pio(struct kvm_vcpu *vcpu, bool in, uint16_t port, int size, uint64_t rip,
		 uint64_t next_rip)
{
	struct kvm_run *run = vcpu->run;
	uint64_t rax = x86_reg_read(vcpu, UC_X86_REG_RAX);
	struct sim_ev *ev;

	if (!kernel_pio(vcpu, in, port, size, rax)) {
		x86_reg_write(vcpu, UC_X86_REG_RIP, next_rip);
		return 0;
	}
	vcpu->pending_rip_next = next_rip;
	x86_reg_write(vcpu, UC_X86_REG_RIP, rip);
	kvm_run_set_exit(vcpu, KVM_EXIT_IO);
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	if (in) {
		vcpu->pending = PENDING_PIO_IN;
	} else {
		memcpy((char *)run + run->io.data_offset, &rax, size);
		vcpu->pending = PENDING_PIO_OUT;
	}
	/*
	 * KVM_X86_QUIRK_OUT_7E_INC_RIP (on: KVM_CAP_DISABLE_QUIRKS is not
	 * offered): OUT to port 0x7e exits with RIP already past it, for
	 * QEMU's kvmvapic option ROM, which relies on it.
	 */
	if (!in && port == 0x7e) {
		x86_reg_write(vcpu, UC_X86_REG_RIP, next_rip);
		vcpu->pending = PENDING_NONE;
	}
	vcpu->pending_size = size;
	ev = sim_ev_begin("kvm_pio");
	sim_ev_str(ev, "rw", in ? "read" : "write");
	sim_ev_hex(ev, "port", port);
	sim_ev_int(ev, "size", size);
	if (!in)
		sim_ev_hex(ev, "val", rax & (size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1));
	sim_ev_end(ev);
	return 1;
}

/* complete_userspace_io: finish the previous exit's instruction. */
static int complete_userspace_io(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint64_t val = 0;

	switch (vcpu->pending) {
	case PENDING_NONE:
		return 0;
	case PENDING_PIO_IN:
		/* sizes below 4 merge into rAX as it is now, size 4 zero-extends */
		val = vcpu->pending_size < 4 ? x86_reg_read(vcpu, UC_X86_REG_RAX) : 0;
		memcpy(&val, (char *)run + KVM_PIO_PAGE_OFFSET * PAGE_SIZE,
		       vcpu->pending_size);
		x86_reg_write(vcpu, UC_X86_REG_RAX, val);
		/* fallthrough */
	case PENDING_PIO_OUT:
		x86_reg_write(vcpu, UC_X86_REG_RIP, vcpu->pending_rip_next);
		vcpu->pending = PENDING_NONE;
		return 0;
	case PENDING_MMIO_READ:
		return uc_mmio_complete(vcpu);
	case PENDING_PIO_STRING:
		return x86_complete_string_pio(vcpu);
	}
	return 0;
}

/*
 * kvmsim finished an instruction outside the engine (a trapped one, an
 * MMIO access a kernel device took, a hypercall) or delivered an event,
 * if RIP moved: kvm_skip_emulated_instruction's single-step check (a
 * step across an event ends at the handler).
 */
static int step_done(struct kvm_vcpu *vcpu, uint64_t rip, int r)
{
	if (r || x86_reg_read(vcpu, UC_X86_REG_RIP) == rip)
		return r;
	return kvm_vcpu_do_singlestep(vcpu);
}

/*
 * An exception Unicorn raised.  INT3's #BP is KVM_GUESTDBG_USE_SW_BP's
 * exit, with RIP back on the INT3 (Unicorn leaves it past; INT 3, cd 03,
 * is a software interrupt no exception bitmap intercepts).  One delivered
 * to the guest ends a single-step at the handler.
 */
static int handle_intr(struct kvm_vcpu *vcpu, int intno)
{
	uint32_t ec = x86_clear_exception_state(vcpu);
	uint64_t rip = x86_reg_read(vcpu, UC_X86_REG_RIP);
	uint8_t op = 0;
	int r;

	if (intno == 3 && rip && x86_read_code(vcpu, x86_linear_rip(vcpu) - 1, &op, 1) == 1 &&
	    op == 0xcc) {
		x86_reg_write(vcpu, UC_X86_REG_RIP, rip - 1);
		if (x86_debug_sw_bp(vcpu, 1))
			return 1;
		x86_reg_write(vcpu, UC_X86_REG_RIP, rip);
	}
	r = kvm_inject_exception(vcpu, intno, x86_exception_has_error_code(intno), ec,
				 intno == 3 || intno == 4 || intno >= 32);
	return step_done(vcpu, rip, r);
}

/*
 * An instruction an exit to userspace left half done completes now
 * (complete_fast_pio_in/out, complete_emulated_mmio), and with it a
 * single-step: KVM_EXIT_DEBUG without entering the guest.
 */
static int complete_userspace_io_step(struct kvm_vcpu *vcpu)
{
	uint64_t rip = x86_reg_read(vcpu, UC_X86_REG_RIP);
	bool pending = vcpu->pending != PENDING_NONE;
	int r = complete_userspace_io(vcpu);

	if (r || !pending || vcpu->pending != PENDING_NONE ||
	    x86_reg_read(vcpu, UC_X86_REG_RIP) == rip)
		return r;
	return kvm_vcpu_do_singlestep(vcpu);
}

static int handle_stop(struct kvm_vcpu *vcpu, uc_err err)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	bool at_block = a->stopped_at_block;
	uint64_t rip;

	/*
	 * Stopped by the block hook: that block has not run, and Unicorn
	 * leaves RIP stale when code hooks exist (cpu_tb_exec does not
	 * synchronize_from_tb then): resume at the block's start.
	 */
	if (a->stopped_at_block) {
		a->stopped_at_block = false;
		x86_reg_write(vcpu, UC_X86_REG_RIP, x86_mode_rip(vcpu, a->stop_pc));
	}
	a->quantum_used += a->blocks;
	rip = x86_reg_read(vcpu, UC_X86_REG_RIP);

	switch (a->stop) {
	case STOP_UNTRAPPED_PIO:
		return x86_internal_error(vcpu, "port I/O near 0x%llx escaped the trap scan",
					  (unsigned long long)x86_reg_read(vcpu, UC_X86_REG_RIP));
	case STOP_SPECIAL:
		if (x86_debug_hook_stop(vcpu, a->special_rip, false))
			return 1;
		return step_done(vcpu, rip, x86_emulate_special(vcpu));
	case STOP_INTR:
		return handle_intr(vcpu, a->intno);
	case STOP_DEBUG:
		return x86_debug_exit(vcpu);
	case STOP_IRQ_WINDOW:
		/* a boundary after a single-stepped instruction: its exit first */
		if (x86_debug_hook_stop(vcpu, x86_linear_rip(vcpu), at_block))
			return 1;
		/* kvm_x86_inject_queued_events makes the exit */
		return 0;
	case STOP_QUANTUM:
		if (at_block && x86_debug_hook_stop(vcpu, a->stop_pc, true))
			return 1;
		/* the quantum ran out (or a timer expires now): a scheduling point */
		a->quantum_used = 0;
		sim_yield("quantum");
		return 0;
	case STOP_NONE:
		break;
	}
	if (a->fault.valid)
		return step_done(vcpu, rip, uc_handle_mem_fault(vcpu));
	if (err == UC_ERR_INSN_INVALID)
		return step_done(vcpu, rip, x86_handle_invalid_insn(vcpu));
	/* a fill Unicorn made outside a run left an exception behind: re-enter */
	if (err == UC_ERR_EXCEPTION || err == UC_ERR_OK)
		return 0;
	return x86_internal_error(vcpu, "unicorn: %s", uc_strerror(err));
}

/*
 * Virtual time as the vCPU sees it: inside a run, the blocks it entered
 * and the clock polls it spent are not yet on the clock (sim_advance at
 * the run's end).
 */
uint64_t x86_vcpu_now(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);

	return sim_now() + (a->in_run ? a->blocks + a->poll_ns : 0);
}

/* Blocks the vCPU has entered since it was created. */
uint64_t x86_vcpu_blocks(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);

	return vcpu->insns + (a->in_run ? a->blocks : 0);
}

/*
 * The guest spends ns of virtual time without running blocks (a clock
 * poll, tsc.c).  Never past the LAPIC timer's next expiry, so the timer
 * still fires when it is due; inside a run it uses up the quantum, and
 * a used-up quantum ends there (a scheduling point).
 */
void x86_spend_ns(struct kvm_vcpu *vcpu, uint64_t ns)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uint64_t now = x86_vcpu_now(vcpu), exp = kvm_lapic_next_expiry(vcpu);

	if (exp && exp > now && exp - now < ns)
		ns = exp - now;
	if (!a->in_run) {
		sim_advance(ns);
		return;
	}
	a->poll_ns += ns;
	if (a->budget > a->blocks + ns) {
		a->budget -= ns;
		return;
	}
	a->budget = a->blocks;
	if (a->stop == STOP_NONE && !a->stepping) {
		a->stop = STOP_QUANTUM;
		uc_emu_stop(a->uc);
	}
}

/*
 * A quantum never runs past the LAPIC timer's next expiry (one block is
 * one virtual ns), so the expiry is seen at the entry that follows.
 * It counts the blocks of every entry since the vCPU last reached a
 * scheduling point, so a guest whose exits the kernel handles (a trapped
 * `sti` in a wait loop) still ends its quantum and lets the others run.
 */
static uint64_t quantum_budget(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uint64_t q = a->quantum > a->quantum_used ? a->quantum - a->quantum_used : 1;
	uint64_t exp = kvm_lapic_next_expiry(vcpu), now = sim_now();

	if (exp && exp > now && exp - now < q)
		q = exp - now;
	return q;
}

/*
 * Run the guest until a hook stops it: a failed TLB fill (precise: RIP at
 * the instruction, nothing after it ran), a trapped instruction, an
 * exception, or the end of the quantum.  Counting is off: virtual time
 * and the guest TSC advance by one per translated block entered.
 */
/*
 * The instruction after the one in an STI's shadow, where interrupts are
 * first allowed.  Unicorn's blocks do not end there by themselves (`sti;
 * nop; cli` is SeaBIOS's yield), so the block-start check would never see
 * the window open: a code hook there stops the engine when userspace waits
 * for the window or the in-kernel LAPIC may have something to deliver.
 */
static void shadow_end_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct kvm_vcpu *vcpu = opaque;
	struct kvm_x86_uc *a = to_uc(vcpu);
	uint64_t fl = 0;

	/* only where an STI shadow just ended: not again when the run resumes here */
	if (a->stop != STOP_NONE || a->stepping || !a->lapic.irq_shadow)
		return;
	if (!a->events.window_wanted && !lapic_in_kernel(vcpu))
		return;
	uc_reg_read(uc, UC_X86_REG_RFLAGS, &fl);
	if (!(fl & (1ull << 9)))	/* RFLAGS.IF */
		return;
	a->lapic.irq_shadow = false;
	a->stop = STOP_IRQ_WINDOW;
	uc_emu_stop(uc);
}

/* STI opened IF at RIP (the shadowed instruction): watch where the shadow ends */
void x86_watch_shadow_end(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uint64_t start = x86_linear_rip(vcpu), end;
	uint8_t code[16];
	int len;
	uc_hook h;

	len = x86_insn_length(vcpu, code, x86_read_code(vcpu, start, code, sizeof(code)));
	if (len <= 0)
		return;
	end = start + len;
	if (!gfn_set_add(&a->shadow_ends, end))
		return;
	if (uc_hook_add(a->uc, &h, UC_HOOK_CODE, shadow_end_hook, vcpu, end, end))
		return;
	/* a block translated before the hook would run past it */
	uc_ctl_remove_cache(a->uc, end, end + 1);
}

static int vcpu_enter_guest(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	uc_err err;
	int r;

	r = x86_sync_memslots(vcpu);
	if (r)
		return r;
	a->stop = STOP_NONE;
	a->fault.valid = false;
	a->blocks = 0;
	a->poll_ns = 0;
	a->budget = quantum_budget(vcpu);
	x86_debug_arm(vcpu);
	a->in_run = true;
	a->dt_preloaded = false;
	err = uc_emu_start(a->uc, x86_reg_read(vcpu, UC_X86_REG_RIP), 0, 0, 0);
	a->in_run = false;
	x86_sync_segments(vcpu);
	vcpu->insns += a->blocks;
	sim_advance(a->blocks + a->poll_ns);
	/* apic_attention: the guest may have written its TPR in the vapic word */
	kvm_lapic_sync_from_vapic(vcpu);
	return handle_stop(vcpu, err);
}

/*
 * The CPU clears RFLAGS.RF when an instruction completes; Unicorn never
 * does, so an iret that restored a fault frame would leave it set forever.
 * Every exit but a shutdown follows a completed instruction.
 */
static void clear_resume_flag(struct kvm_vcpu *vcpu)
{
	uint64_t fl = x86_reg_read(vcpu, UC_X86_REG_RFLAGS);

	if ((fl & X86_EFLAGS_RF) && vcpu->run->exit_reason != KVM_EXIT_SHUTDOWN)
		x86_reg_write(vcpu, UC_X86_REG_RFLAGS, fl & ~X86_EFLAGS_RF);
}

static int check_code(struct kvm_vcpu *vcpu)
{
	to_uc(vcpu)->code_checked_at = sim_switches();
	return x86_check_code(vcpu);
}

int kvm_arch_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	/*
	 * An AP of a VM with the in-kernel LAPIC waits for INIT; the ioctl
	 * returns -EAGAIN once one came (the VMM calls KVM_RUN again).
	 */
	if (lapic_in_kernel(vcpu) && x86_state(vcpu)->mp_state == KVM_MP_STATE_UNINITIALIZED) {
		kvm_x86_vcpu_block(vcpu);
		return kvm_signal_pending(vcpu) ? -EINTR : -EAGAIN;
	}
	/* the VMM's thread ran since the last exit: a fresh quantum */
	to_uc(vcpu)->quantum_used = 0;
	r = complete_userspace_io_step(vcpu);
	if (r > 0)
		goto out;
	if (r < 0)
		return r;
	/* exit_reason is left as it was: -EINTR carries no exit */
	if (run->immediate_exit)
		return -EINTR;
	if (!x86_engine_get(vcpu))
		return -ENOMEM;
	/*
	 * A triple fault is an exit, not a state the vCPU stays in: as VMX
	 * does (handle_triple_fault), the next KVM_RUN enters the guest with
	 * the state it has, the same fault again unless userspace changed it.
	 */
	to_uc(vcpu)->shutdown = false;
	if (!guest_state_valid(&vcpu->sregs)) {
		kvm_run_set_exit(vcpu, KVM_EXIT_FAIL_ENTRY);
		run->fail_entry.hardware_entry_failure_reason = 0x80000021;
		run->fail_entry.cpu = 0;
		goto out;
	}
	r = load_sregs(vcpu);
	if (r < 0)
		return r;
	/* code the VMM (or anyone but this engine) rewrote since the last run */
	if (!r)
		r = check_code(vcpu);
	if (r > 0)
		goto out;
	do {
		if (kvm_signal_pending(vcpu))
			return -EINTR;
		/* halted, or an AP waiting for INIT/SIPI: vcpu_block */
		if (!kvm_vcpu_running(vcpu)) {
			kvm_x86_vcpu_block(vcpu);
			to_uc(vcpu)->quantum_used = 0;
			r = 0;
			continue;
		}
		/* an INIT or SIPI taken while blocked reset the sregs */
		r = load_sregs(vcpu);
		if (!r)
			r = kvm_x86_prepare_entry(vcpu);
		/* another actor ran since the check: another vCPU or a VMM thread may have written code */
		if (!r && sim_switches() != to_uc(vcpu)->code_checked_at)
			r = check_code(vcpu);
		if (!r)
			r = vcpu_enter_guest(vcpu);
	} while (r == 0);
	if (r < 0)
		return r;
	clear_resume_flag(vcpu);
out:
	vcpu->exits++;
	trace_exit(vcpu);
	/* kvm_run is filled, the ioctl has not returned to userspace yet */
	sim_yield("kvm_run_fill_window");
	return 0;
}
