// SPDX-License-Identifier: MIT
/*
 * The arm64 vCPU's Unicorn engine, in Unicorn's virtual-TLB mode
 * (UC_TLB_VIRTUAL): the engine's physical space is the guest-physical
 * space, each memslot one region at its IPA, and every TLB miss comes to
 * tlb_fill_hook, which does what the MMU would: the stage-1 walk and the
 * stage-2 lookup.  A miss kvmsim must handle (the guest's own abort, a
 * stage-2 fault, MMIO) fails the fill: Unicorn stops at the instruction,
 * precisely, and kvm_handle_guest_abort takes it from there.  There are no
 * memory hooks (any one would slow every store) and no instruction
 * counting: quanta are counted in translated blocks.
 *
 * Also here: the traps of the instructions that touch the translation
 * regime (MSR/MRS of SCTLR/TCR/TTBR/MAIR_EL1, TLBI), PSTATE writes (which
 * must rebuild QEMU's cached hflags), and reading guest memory by VA.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/arm64/arm64.h"

#define ARM64_UC_MAX_SLOTS	1000	/* Unicorn arm64 aborts past 1,023 regions */

static const uc_arm64_cp_reg sctlr_el1 = { .crn = 1, .crm = 0, .op0 = 3, .op1 = 0, .op2 = 0 };
static const uc_arm64_cp_reg tcr_el1 = { .crn = 2, .crm = 0, .op0 = 3, .op1 = 0, .op2 = 2 };
static const uc_arm64_cp_reg scr_el3 = { .crn = 1, .crm = 1, .op0 = 3, .op1 = 6, .op2 = 0 };
#define SCR_EL3_RW		(1ull << 10)

/* ---- the TLB ---- */

void arm64_flush_tlb(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	a->fill_cache[0].valid = a->fill_cache[1].valid = false;
	if (a->uc)
		uc_ctl_flush_tlb(a->uc);
}

/*
 * Translated code lives on in Unicorn after the page under it changed
 * behind its back (a UFFDIO_COPY into a page that was zapped, a memslot
 * over reused memory): drop the code of [ipa, ipa + size), as KVM cleans
 * the I-cache of a page it maps.  Outside emulation the fill hook maps
 * addresses to themselves, so Unicorn's by-address call names the IPA.
 */
void arm64_invalidate_code(struct kvm_vcpu *vcpu, uint64_t ipa, uint64_t size)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	if (a->uc)
		uc_ctl_remove_cache(a->uc, ipa, ipa + size);
	arm64_flush_tlb(vcpu);
}

bool arm64_from_el0(struct kvm_vcpu *vcpu)
{
	return (arm64_reg_read(vcpu, UC_ARM64_REG_PSTATE) & PSR_MODE_MASK) == PSR_MODE_EL0t;
}

static uint32_t fill_need(uc_mem_type type)
{
	return type == UC_MEM_WRITE ? UC_PROT_WRITE : type == UC_MEM_FETCH ? UC_PROT_EXEC :
	       UC_PROT_READ;
}

/*
 * The hardware walk.  A granted fill carries every permission both stages
 * give the current EL (QEMU keeps EL0's and EL1's entries apart), so a
 * later store to a page read first comes back here only if stage 1 or 2
 * forbids it.  Anything else stops the engine at the instruction.
 */
static bool tlb_fill_hook(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *e,
			  void *opaque)
{
	struct kvm_vcpu *vcpu = opaque;
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	struct arm64_fill_cache *c;
	bool el0;

	if (!a->in_emu) {
		/* uc_ctl_remove_cache and uc_mem_unmap name IPAs; the TLB is flushed after */
		e->paddr = va;
		e->perms = UC_PROT_ALL;
		return true;
	}
	el0 = arm64_from_el0(vcpu);
	c = &a->fill_cache[el0];
	if (!c->valid || va - c->va >= c->size || !(c->perms & fill_need(type))) {
		if (!arm64_translate(vcpu, va, arm64_access(type, el0), c)) {
			c->valid = false;
			a->fault.valid = true;
			a->fault.type = type;
			a->fault.va = va;
			return false;
		}
	}
	e->paddr = c->ipa + (va - c->va);
	e->perms = c->perms;
	return true;
}

/* ---- memslots: one region each, at its IPA ---- */

/* A slot the engine maps: one with backing in the VMM (not guest_memfd only). */
static bool slot_has_backing(const struct kvm_memory_slot *s)
{
	return s->npages && s->userspace_addr;
}

static bool map_matches(const struct arm64_slot_map *m, const struct kvm_memory_slot *s)
{
	return m->gpa == s->base_gfn << PAGE_SHIFT && m->size == s->npages << PAGE_SHIFT &&
	       m->hva == s->userspace_addr;
}

static bool slot_is_mapped(const struct kvm_arm64_vcpu *a, const struct kvm_memory_slot *s)
{
	for (int i = 0; i < a->nr_maps; i++)
		if (map_matches(&a->maps[i], s))
			return true;
	return false;
}

static bool map_is_slot(const struct kvm_memslots *slots, const struct arm64_slot_map *m)
{
	for (int i = 0; i < slots->nr; i++)
		if (slot_has_backing(slots->by_gfn[i]) && map_matches(m, slots->by_gfn[i]))
			return true;
	return false;
}

static bool maps_current(const struct kvm_arm64_vcpu *a, const struct kvm_memslots *slots)
{
	int n = 0;

	for (int i = 0; i < slots->nr; i++) {
		if (!slot_has_backing(slots->by_gfn[i]))
			continue;
		if (!slot_is_mapped(a, slots->by_gfn[i]))
			return false;
		n++;
	}
	return n == a->nr_maps;
}

/*
 * Bring the engine's regions in line with the memslots (they change only
 * while this vCPU is outside uc_emu_start).  Regions stay READ|WRITE|EXEC:
 * what the guest may do is decided per fill.  After an unmap, Unicorn may
 * hand the region's offsets to the next one, so no translated code may
 * outlive it.
 */
static int arm64_sync_slots(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	const struct kvm_memslots *slots = &vcpu->kvm->memslots[0];
	struct arm64_slot_map *maps;
	bool unmapped = false;
	int n = 0;

	if (maps_current(a, slots))
		return 0;
	if (slots->nr > ARM64_UC_MAX_SLOTS)
		return -ENOSPC;
	maps = calloc(slots->nr ? slots->nr : 1, sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	for (int i = 0; i < a->nr_maps; i++) {
		if (map_is_slot(slots, &a->maps[i]))
			continue;
		uc_mem_unmap(a->uc, a->maps[i].gpa, a->maps[i].size);
		unmapped = true;
	}
	for (int i = 0; i < slots->nr; i++) {
		const struct kvm_memory_slot *s = slots->by_gfn[i];
		struct arm64_slot_map m = { s->base_gfn << PAGE_SHIFT, s->npages << PAGE_SHIFT,
					    s->userspace_addr };

		if (!slot_has_backing(s))
			continue;
		if (!slot_is_mapped(a, s) &&
		    uc_mem_map_ptr(a->uc, m.gpa, m.size, UC_PROT_ALL, (void *)(uintptr_t)m.hva)) {
			free(maps);
			return -ENOMEM;
		}
		maps[n++] = m;
	}
	free(a->maps);
	a->maps = maps;
	a->nr_maps = n;
	if (unmapped)
		uc_ctl_flush_tb(a->uc);
	arm64_flush_tlb(vcpu);
	return 0;
}

/* ---- reading guest memory by VA (instruction words, for decoding) ---- */

bool arm64_read_guest_va(struct kvm_vcpu *vcpu, uint64_t va, void *buf, size_t len)
{
	uint8_t *out = buf;

	while (len) {
		struct arm64_fill_cache t;
		size_t n = PAGE_SIZE - (va & (PAGE_SIZE - 1));

		if (n > len)
			n = len;
		if (!arm64_translate(vcpu, va, arm64_from_el0(vcpu) ? ARM64_ACC_EL0 : 0, &t))
			return false;
		memcpy(out, (void *)(uintptr_t)(t.hva + (va - t.va)), n);
		out += n;
		va += n;
		len -= n;
	}
	return true;
}

/* The guest code word at pc, through both stages (no faults taken). */
bool arm64_fetch_insn(struct kvm_vcpu *vcpu, uint64_t pc, uint32_t *insn)
{
	return arm64_read_guest_va(vcpu, pc, insn, sizeof(*insn));
}

/*
 * The instruction at PC when the engine stopped on a failed fill, read
 * once for all who decode it (FAR, ISV, the trace).
 */
bool arm64_fault_insn(struct kvm_vcpu *vcpu, uint32_t *insn)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	if (!a->fault.insn_state)
		a->fault.insn_state = arm64_fetch_insn(vcpu, arm64_reg_read(vcpu, UC_ARM64_REG_PC),
							&a->fault.insn) ? 1 : 2;
	*insn = a->fault.insn;
	return a->fault.insn_state == 1;
}

/*
 * The text of `word` at `pc`, for the trace.  The same few instructions
 * fault again and again (an MMIO loop): keep their text.
 */
const char *arm64_disasm(struct kvm_vcpu *vcpu, uint64_t pc, uint32_t word)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	typeof(a->disasm_cache[0]) *c = &a->disasm_cache[(pc >> 2) % 16];
	cs_insn *insn;

	if (c->text[0] && c->pc == pc && c->word == word)
		return c->text;
	c->pc = pc;
	c->word = word;
	snprintf(c->text, sizeof(c->text), "?");
	if (cs_disasm(a->cs, (const uint8_t *)&word, 4, pc, 1, &insn) == 1) {
		snprintf(c->text, sizeof(c->text), "%s %s", insn->mnemonic, insn->op_str);
		cs_free(insn, 1);
	}
	return c->text;
}

/* ---- PSTATE and the translation registers ---- */

/*
 * Unicorn's SCTLR_EL1: the guest's, with its own MMU bit always on (VAs
 * are translated by the fill hook either way; with M set QEMU treats
 * memory as normal and takes high VAs).  Writing it through the CP-register
 * path is also what rebuilds QEMU's hflags.
 */
static void write_engine_sctlr(struct kvm_arm64_vcpu *a)
{
	uc_arm64_cp_reg r = sctlr_el1;

	if (!a->uc)
		return;		/* given to the engine when it opens */
	r.val = a->sctlr | ARM64_SCTLR_M;
	uc_reg_write(a->uc, UC_ARM64_REG_CP_REG, &r);
}

static void write_engine_tcr(struct kvm_arm64_vcpu *a)
{
	uc_arm64_cp_reg r = tcr_el1;

	if (!a->uc)
		return;
	r.val = a->tcr;
	uc_reg_write(a->uc, UC_ARM64_REG_CP_REG, &r);
}

/*
 * A PSTATE write (exception entry, reset, KVM_SET_ONE_REG) does not
 * rebuild QEMU's cached hflags: without a CP-register write after it, code
 * at the new EL would be translated with the old EL's privileges.
 */
void arm64_set_pstate(struct kvm_vcpu *vcpu, uint64_t pstate)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	if (!a->uc) {
		a->pstate_at_open = pstate;	/* a reset before the first use */
		return;
	}
	arm64_reg_write(vcpu, UC_ARM64_REG_PSTATE, pstate);
	write_engine_sctlr(a);
}

/*
 * A translation register changed (MSR or KVM_SET_ONE_REG): keep the
 * value for the walk, give SCTLR and TCR to Unicorn too (endianness, EL0
 * trap bits, top-byte-ignore), drop what the TLB holds.
 */
void arm64_set_vm_reg(struct kvm_vcpu *vcpu, uint64_t *shadow, uint64_t val)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	*shadow = val;
	if (shadow == &a->sctlr)
		write_engine_sctlr(a);
	else if (shadow == &a->tcr)
		write_engine_tcr(a);
	if (shadow != &a->mair)
		arm64_flush_tlb(vcpu);
}

/* ---- traps: translation registers, TLBI, the virtual counter ---- */

struct sysreg_enc {
	uint32_t op0, op1, crn, crm, op2;
};

static bool sysreg_is(const uc_arm64_cp_reg *cp, struct sysreg_enc e)
{
	return cp->op0 == e.op0 && cp->op1 == e.op1 && cp->crn == e.crn &&
	       cp->crm == e.crm && cp->op2 == e.op2;
}

/* The register the model keeps for this encoding, or NULL. */
static uint64_t *shadow_sysreg(struct kvm_arm64_vcpu *a, const uc_arm64_cp_reg *cp)
{
	if (sysreg_is(cp, (struct sysreg_enc){ 3, 0, 1, 0, 0 }))
		return &a->sctlr;
	if (sysreg_is(cp, (struct sysreg_enc){ 3, 0, 2, 0, 0 }))
		return &a->ttbr0;
	if (sysreg_is(cp, (struct sysreg_enc){ 3, 0, 2, 0, 1 }))
		return &a->ttbr1;
	if (sysreg_is(cp, (struct sysreg_enc){ 3, 0, 2, 0, 2 }))
		return &a->tcr;
	if (sysreg_is(cp, (struct sysreg_enc){ 3, 0, 10, 2, 0 }))
		return &a->mair;
	return NULL;
}

static void trace_sysreg(const char *event, const uc_arm64_cp_reg *cp, uint64_t val)
{
	struct sim_ev *ev = sim_ev_begin(event);
	char enc[32];

	snprintf(enc, sizeof(enc), "s%u_%u_c%u_c%u_%u", cp->op0, cp->op1, cp->crn,
		 cp->crm, cp->op2);
	sim_ev_str(ev, "reg", enc);
	sim_ev_hex(ev, "val", val);
	sim_ev_end(ev);
}

/*
 * A timer or ICC access may let an interrupt in (an EOI, a PMR write, a
 * timer that fires at once): stop after this instruction so the entry
 * path can take it.
 */
static uint32_t arm64_sysreg_done(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	if (a->sync_point || (a->irq_deliverable & ~arm64_reg_read(vcpu, UC_ARM64_REG_PSTATE))) {
		a->stop = ARM64_STOP_IRQ;
		uc_emu_stop(a->uc);
	}
	return 1;
}

/*
 * The ICC_* registers are unknown to Unicorn's CPU (it has no GIC): a
 * skipped access to an unknown register ends the translation block as if
 * it had raised UNDEFINED, without moving PC, and the block would run
 * again for ever.  So move PC past it here; Unicorn restarts there.
 */
static uint32_t arm64_skip_unknown_sysreg(struct kvm_vcpu *vcpu)
{
	arm64_reg_write(vcpu, UC_ARM64_REG_PC, arm64_reg_read(vcpu, UC_ARM64_REG_PC) + 4);
	return arm64_sysreg_done(vcpu);
}

/*
 * Unicorn calls these hooks before its own access checks: at EL0 leave
 * every EL1 register to Unicorn, which makes the access UNDEFINED.
 */
static uint32_t msr_hook(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp,
			 void *opaque)
{
	struct kvm_vcpu *vcpu = opaque;
	uint64_t *shadow = shadow_sysreg(to_arm64(vcpu), cp);
	uint64_t v = cp->val;

	if (kvm_arm_timer_sysreg(vcpu, cp, true, &v))
		return arm64_sysreg_done(vcpu);
	if (vgic_v3_sysreg(vcpu, cp, true, &v))
		return arm64_skip_unknown_sysreg(vcpu);
	if (!shadow || arm64_from_el0(vcpu))
		return 0;
	trace_sysreg("access_vm_reg", cp, cp->val);
	arm64_set_vm_reg(vcpu, shadow, cp->val);
	return 1;
}

static uint32_t mrs_hook(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp,
			 void *opaque)
{
	struct kvm_vcpu *vcpu = opaque;
	uint64_t *shadow = shadow_sysreg(to_arm64(vcpu), cp);
	uint64_t v;

	if (kvm_arm_timer_sysreg(vcpu, cp, false, &v)) {
		/* counters and timers on the virtual clock */
		uc_reg_write(uc, reg, &v);
		return arm64_sysreg_done(vcpu);
	} else if (vgic_v3_sysreg(vcpu, cp, false, &v)) {
		uc_reg_write(uc, reg, &v);
		return arm64_skip_unknown_sysreg(vcpu);
	} else if (arm64_from_el0(vcpu)) {
		return 0;
	} else if (shadow) {
		v = *shadow;
	} else if (sysreg_is(cp, (struct sysreg_enc){ 3, 0, 0, 0, 5 })) {
		/* MPIDR_EL1: the vCPU's own affinity, not Unicorn's CPU 0 */
		v = to_arm64(vcpu)->mpidr;
	} else {
		return 0;
	}
	uc_reg_write(uc, reg, &v);
	return 1;
}

/*
 * IC (CRn 7, CRm 1 or 5): code changed.  This engine saw the guest's
 * stores to it; every other vCPU's engine drops its translated code
 * before it runs again.
 */
static void arm64_ic_invalidate(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;

	for (int i = 0; i < kvm->nr_vcpus; i++)
		if (kvm->vcpus[i] != vcpu && to_arm64(kvm->vcpus[i]))
			to_arm64(kvm->vcpus[i])->code_stale = true;
}

/* SYS: TLBI (op0 1, CRn 8) flushes the TLB, IC is seen; the rest runs as is. */
static uint32_t sys_hook(uc_engine *uc, uc_arm64_reg reg, const uc_arm64_cp_reg *cp,
			 void *opaque)
{
	if (cp->op0 == 1 && cp->crn == 7 && (cp->crm == 1 || cp->crm == 5)) {
		arm64_ic_invalidate(opaque);
		return 0;
	}
	if (cp->op0 != 1 || cp->crn != 8 || arm64_from_el0(opaque))
		return 0;
	trace_sysreg("tlbi", cp, cp->val);
	arm64_flush_tlb(opaque);
	return 1;
}

static void intr_hook(uc_engine *uc, uint32_t intno, void *opaque)
{
	struct kvm_arm64_vcpu *a = to_arm64(opaque);

	a->stop = ARM64_STOP_EXCEPTION;
	a->intno = intno;
	uc_emu_stop(uc);
}

/*
 * The block about to run (n instructions, already counted) does not
 * run: the IRQ is taken before it.  A deadline is judged at the block's
 * start.
 */
static bool arm64_irq_stop(struct kvm_vcpu *vcpu, struct kvm_arm64_vcpu *a, uint64_t n)
{
	uint64_t now = a->now_at_entry + (vcpu->insns - n - a->insns_at_entry);

	if (now < a->timer_deadline &&
	    !(a->irq_deliverable & ~arm64_reg_read(vcpu, UC_ARM64_REG_PSTATE)))
		return false;
	vcpu->insns -= n;
	a->stop = ARM64_STOP_IRQ;
	uc_emu_stop(a->uc);
	return true;
}

/*
 * The scheduling quantum, counted in instructions of the blocks entered
 * (a block hook costs far less than counting each instruction, and is as
 * repeatable: a fault inside a block still counts the whole block).
 */
static void block_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	struct kvm_vcpu *vcpu = opaque;
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	uint64_t n = size / 4;

	vcpu->insns += n;
	/*
	 * An interrupt the vGIC signals is taken at a block start once
	 * PSTATE.I is clear; a timer deadline passed stops the guest too
	 * (the entry path samples the timer and takes the IRQ).
	 */
	if (__builtin_expect(a->irq_deliverable || a->timer_deadline != SIM_FOREVER, 0) &&
	    arm64_irq_stop(vcpu, a, n))
		return;
	if (a->quantum_left > n) {
		a->quantum_left -= n;
		return;
	}
	a->quantum_left = 0;
	a->stop = ARM64_STOP_QUANTUM;
	uc_emu_stop(uc);
}

/* ---- open, run, close ---- */

static int add_hooks(struct kvm_vcpu *vcpu)
{
	uc_engine *uc = to_arm64(vcpu)->uc;
	uc_hook h;

	/* the block hook before anything is translated: every block calls it */
	return uc_hook_add(uc, &h, UC_HOOK_BLOCK, block_hook, vcpu, 1, 0) ||
	       uc_hook_add(uc, &h, UC_HOOK_TLB_FILL, tlb_fill_hook, vcpu, 1, 0) ||
	       uc_hook_add(uc, &h, UC_HOOK_INTR, intr_hook, vcpu, 1, 0) ||
	       uc_hook_add(uc, &h, UC_HOOK_INSN, msr_hook, vcpu, 1, 0, UC_ARM64_INS_MSR) ||
	       uc_hook_add(uc, &h, UC_HOOK_INSN, mrs_hook, vcpu, 1, 0, UC_ARM64_INS_MRS) ||
	       uc_hook_add(uc, &h, UC_HOOK_INSN, sys_hook, vcpu, 1, 0, UC_ARM64_INS_SYS);
}

static int engine_open(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	uc_arm64_cp_reg scr = scr_el3;
	uint64_t pstate = a->pstate_at_open;

	if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &a->uc) != UC_ERR_OK)
		return -ENOMEM;
	/* read once, when the engine initializes (the next call does it) */
	uc_ctl_set_tcg_buffer_size(a->uc, ARM64_TCG_BUFFER_SIZE);
	/* uc_emu_start's `until` would stop spuriously in TLB mode: exits, none set */
	if (uc_ctl_tlb_mode(a->uc, UC_TLB_VIRTUAL) || uc_ctl_exits_enable(a->uc) ||
	    add_hooks(vcpu))
		return -ENOMEM;
	/* EL1 is AArch64: exception returns need SCR_EL3.RW */
	uc_reg_read(a->uc, UC_ARM64_REG_CP_REG, &scr);
	scr.val |= SCR_EL3_RW;
	uc_reg_write(a->uc, UC_ARM64_REG_CP_REG, &scr);
	if (cs_open(CS_ARCH_ARM64, CS_MODE_ARM, &a->cs) != CS_ERR_OK)
		return -ENOMEM;
	/* the state a reset left while there was no engine (registers: zero) */
	uc_reg_write(a->uc, UC_ARM64_REG_PSTATE, &pstate);
	write_engine_sctlr(a);
	write_engine_tcr(a);
	return 0;
}

uc_engine *arm64_engine_get(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	if (!a->uc && !a->engine_failed && engine_open(vcpu)) {
		a->engine_failed = true;
		if (a->uc)
			uc_close(a->uc);
		a->uc = NULL;
	}
	return a->uc;
}

uc_engine *arm64_uc(struct kvm_vcpu *vcpu)
{
	uc_engine *uc = arm64_engine_get(vcpu);

	if (!uc)
		sim_panic("vCPU %d: cannot open its Unicorn engine (out of memory)",
			  vcpu->vcpu_id);
	return uc;
}

void arm64_engine_close(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);

	if (a->uc)
		uc_close(a->uc);
	if (a->cs)
		cs_close(&a->cs);
	free(a->maps);
}

/*
 * Run the guest from PC until a hook stops it (quantum, exception), a
 * fill fails (a->fault), or wfi.  Virtual time moves with the
 * instructions the block hook counted.
 */
uc_err arm64_engine_run(struct kvm_vcpu *vcpu)
{
	struct kvm_arm64_vcpu *a = to_arm64(vcpu);
	uint64_t pc = arm64_reg_read(vcpu, UC_ARM64_REG_PC);
	uc_err err;
	int r;

	if (!arm64_engine_get(vcpu))
		return UC_ERR_NOMEM;
	r = arm64_sync_slots(vcpu);
	if (r)
		return r == -ENOSPC ? UC_ERR_MAP : UC_ERR_NOMEM;
	if (a->code_stale) {
		uc_ctl_flush_tb(a->uc);
		a->code_stale = false;
	}
	a->stop = ARM64_STOP_NONE;
	a->fault.valid = false;
	a->fault.insn_state = 0;
	if (!a->quantum_left)
		a->quantum_left = a->quantum;
	a->insns_at_entry = vcpu->insns;
	a->now_at_entry = sim_now();
	a->in_emu = true;
	err = uc_emu_start(a->uc, pc, 0, 0, 0);
	a->in_emu = false;
	sim_advance(vcpu->insns - a->insns_at_entry);
	return err;
}
