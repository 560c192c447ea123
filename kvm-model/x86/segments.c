// SPDX-License-Identifier: MIT
/*
 * Segment registers between KVM's sregs and Unicorn.
 *
 * KVM_SET_SREGS hands KVM the hidden part of each segment register
 * (base, limit, attributes) directly; the guest's GDT is not read
 * (vmx_set_segment writes the VMCS fields).  Unicorn only offers selector
 * writes, and its 64-bit engine (the one kvmsim runs) does not even load
 * the descriptor for CS, SS, DS and ES.  So the CPU state travels (as a
 * Unicorn context) to a 32-bit "loader" engine whose selector writes do
 * load descriptors, the way the CPU does: from a scratch descriptor table
 * built from the sregs, with CR0.PE set for the moment in real mode (so
 * real mode may have a CS base other than selector << 4, as at the reset
 * vector: f000:fff0 with base 0xffff0000).  The state then travels back.
 *
 * After the guest runs, x86_sync_segments brings selectors the guest
 * loaded itself (far jumps, mov to a segment register, iret) back into
 * the sregs, with the hidden part it got.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/x86/uc_internal.h"

/* the scratch table: selectors index up to 0xfff8, so 64 KiB */
#define SCRATCH_GDT_GVA		0x80000000ull
#define SCRATCH_GDT_SIZE	0x10000ull

/* One loader for the process: it never runs code, it only loads segments. */
static struct {
	uc_engine *uc;
	uint8_t *gdt;
} loader;

/* Its TLB: the scratch table, identity-mapped; nothing else exists. */
static bool loader_fill(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *e,
			void *opaque)
{
	if (va < SCRATCH_GDT_GVA || va >= SCRATCH_GDT_GVA + SCRATCH_GDT_SIZE)
		return false;
	e->paddr = va;
	e->perms = UC_PROT_READ | UC_PROT_WRITE;
	return true;
}

static uc_engine *loader_get(void)
{
	uc_hook h;

	if (loader.uc)
		return loader.uc;
	loader.gdt = aligned_alloc(PAGE_SIZE, SCRATCH_GDT_SIZE);
	if (!loader.gdt || uc_open(UC_ARCH_X86, UC_MODE_32, &loader.uc) != UC_ERR_OK) {
		free(loader.gdt);
		loader.gdt = NULL;
		loader.uc = NULL;
		return NULL;
	}
	uc_ctl_set_tcg_buffer_size(loader.uc, 1u << 20);
	uc_ctl_tlb_mode(loader.uc, UC_TLB_VIRTUAL);
	uc_hook_add(loader.uc, &h, UC_HOOK_TLB_FILL, loader_fill, NULL, 1, 0);
	uc_mem_map_ptr(loader.uc, SCRATCH_GDT_GVA, SCRATCH_GDT_SIZE, UC_PROT_ALL, loader.gdt);
	return loader.uc;
}

static uint64_t make_descriptor(const struct kvm_segment *s)
{
	uint64_t limit = s->g ? s->limit >> 12 : s->limit;
	uint64_t d = limit & 0xffff;

	d |= (s->base & 0xffffff) << 16;
	/* accessed already set: the load must not need to write it back */
	d |= (uint64_t)(s->type | (s->s ? 1 : 0)) << 40;
	d |= (uint64_t)s->s << 44;
	d |= (uint64_t)(s->dpl & 3) << 45;
	d |= (uint64_t)s->present << 47;
	d |= ((limit >> 16) & 0xf) << 48;
	d |= (uint64_t)s->avl << 52;
	d |= (uint64_t)s->l << 53;
	d |= (uint64_t)s->db << 54;
	d |= (uint64_t)s->g << 55;
	d |= ((s->base >> 24) & 0xff) << 56;
	return d;
}

static void parse_descriptor(uint64_t d, uint16_t sel, struct kvm_segment *s)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
	s->limit = (d & 0xffff) | (((d >> 48) & 0xf) << 16);
	s->type = (d >> 40) & 0xf;
	s->s = (d >> 44) & 1;
	s->dpl = (d >> 45) & 3;
	s->present = (d >> 47) & 1;
	s->avl = (d >> 52) & 1;
	s->l = (d >> 53) & 1;
	s->db = (d >> 54) & 1;
	s->g = (d >> 55) & 1;
	if (s->g)
		s->limit = (s->limit << 12) | 0xfff;
}

struct seg_slot {
	int reg;
	size_t off;	/* of the kvm_segment in struct kvm_sregs */
};

/* SS before the data segments: its DPL sets the CPL they are checked at */
static const struct seg_slot seg_slots[] = {
	{ UC_X86_REG_CS, offsetof(struct kvm_sregs, cs) },
	{ UC_X86_REG_SS, offsetof(struct kvm_sregs, ss) },
	{ UC_X86_REG_DS, offsetof(struct kvm_sregs, ds) },
	{ UC_X86_REG_ES, offsetof(struct kvm_sregs, es) },
	{ UC_X86_REG_FS, offsetof(struct kvm_sregs, fs) },
	{ UC_X86_REG_GS, offsetof(struct kvm_sregs, gs) },
};
#define NR_SEG_SLOTS	(sizeof(seg_slots) / sizeof(seg_slots[0]))

static struct kvm_segment *sreg_seg(struct kvm_sregs *s, const struct seg_slot *slot)
{
	return (struct kvm_segment *)((char *)s + slot->off);
}

/* Real mode, or a null selector in protected mode: nothing to look up. */
static bool seg_is_null(const struct kvm_sregs *s, const struct kvm_segment *seg, int reg)
{
	return (s->cr0 & X86_CR0_PE) && reg != UC_X86_REG_CS && !(seg->selector & ~3);
}

static bool real_mode_standard(const struct kvm_segment *seg)
{
	return seg->base == (uint64_t)seg->selector << 4;
}

/*
 * Write selector sel with the hidden part *seg through the scratch table.
 * The descriptor is made loadable (present, readable or writable as the
 * register needs, DPL not below RPL): KVM_SET_SREGS takes any hidden part,
 * the checks a selector load makes are not VM entry's.
 */
static bool load_through_scratch(uc_engine *uc, int reg, uint16_t sel,
				 const struct kvm_segment *seg)
{
	struct kvm_segment fixed = *seg;
	uint64_t d, v = sel;

	fixed.present = 1;
	fixed.s = 1;
	if (reg == UC_X86_REG_SS)
		fixed.type = (fixed.type & ~8) | 2;
	else if (fixed.type & 8)
		fixed.type |= 2;
	if (reg != UC_X86_REG_SS && fixed.dpl < (sel & 3))
		fixed.dpl = sel & 3;
	d = make_descriptor(&fixed);
	memcpy(loader.gdt + (sel & ~7u), &d, sizeof(d));
	/* the loader's TLB may hold the page from the last load */
	uc_ctl_flush_tlb(uc);
	return uc_reg_write(uc, reg, &v) == UC_ERR_OK;
}

static void loader_set_eflags_vm(uc_engine *uc, bool vm)
{
	uint64_t fl = 0;

	uc_reg_read(uc, UC_X86_REG_EFLAGS, &fl);
	fl = vm ? fl | (1u << 17) : fl & ~(1ull << 17);
	uc_reg_write(uc, UC_X86_REG_EFLAGS, &fl);
}

/*
 * The CPL is SS.DPL (QEMU sets it when SS is loaded, as VMX reads it):
 * a real-mode SS load makes it 0, a virtual-8086 one 3.  The checks a
 * protected-mode SS load makes then pass for the wanted DPL.
 */
static const char *load_ss(uc_engine *uc, const struct kvm_segment *ss, uint64_t cr0)
{
	uint64_t zero = 0, real = cr0 & ~X86_CR0_PE;

	if (ss->dpl == 1 || ss->dpl == 2)
		return "CPL 1 or 2 in the sregs' SS";
	if (ss->dpl == 3) {
		loader_set_eflags_vm(uc, true);
		uc_reg_write(uc, UC_X86_REG_SS, &zero);
		loader_set_eflags_vm(uc, false);
	} else {
		uc_reg_write(uc, UC_X86_REG_CR0, &real);
		uc_reg_write(uc, UC_X86_REG_SS, &zero);
		uc_reg_write(uc, UC_X86_REG_CR0, &cr0);
	}
	if (!load_through_scratch(uc, UC_X86_REG_SS, (ss->selector & ~3) | ss->dpl, ss))
		return "an SS Unicorn refuses to load";
	return NULL;
}

/*
 * In the loader, with CR0.PE set and CPL 0: every segment through the
 * scratch table, SS last (it sets the CPL); then real mode loads its
 * standard segments (base = selector << 4) plainly with PE clear again.
 */
static const char *load_in_loader(uc_engine *uc, const struct kvm_sregs *s)
{
	uc_x86_mmr scratch = { .base = SCRATCH_GDT_GVA, .limit = SCRATCH_GDT_SIZE - 1 };
	uc_x86_mmr gdt = { .base = s->gdt.base, .limit = s->gdt.limit };
	uc_x86_mmr idt = { .base = s->idt.base, .limit = s->idt.limit };
	bool real = !(s->cr0 & X86_CR0_PE);
	uint64_t cr0 = s->cr0 | X86_CR0_PE, zero = 0, real_cr0 = s->cr0 & ~X86_CR0_PE;
	const char *why = NULL;

	uc_reg_write(uc, UC_X86_REG_GDTR, &scratch);
	loader_set_eflags_vm(uc, false);
	uc_reg_write(uc, UC_X86_REG_CR0, &real_cr0);
	uc_reg_write(uc, UC_X86_REG_SS, &zero);
	uc_reg_write(uc, UC_X86_REG_CR0, &cr0);
	for (size_t i = 0; i < NR_SEG_SLOTS && !why; i++) {
		const struct kvm_segment *seg = sreg_seg((struct kvm_sregs *)s, &seg_slots[i]);
		int reg = seg_slots[i].reg;

		if (real && (real_mode_standard(seg) || !(seg->selector & ~3)))
			why = real_mode_standard(seg) ? NULL :
			      "real-mode segment with selector 0 and a non-zero base";
		else if (seg_is_null(s, seg, reg) || reg == UC_X86_REG_SS)
			continue;
		else if (!load_through_scratch(uc, reg, seg->selector, seg))
			why = "a segment Unicorn refuses to load";
	}
	/* SS last: it sets the CPL the other loads are checked at */
	if (!why && !seg_is_null(s, &s->ss, UC_X86_REG_SS) &&
	    !(real && (real_mode_standard(&s->ss) || !(s->ss.selector & ~3))))
		why = load_ss(uc, &s->ss, cr0);
	if (real) {
		uc_reg_write(uc, UC_X86_REG_CR0, &real_cr0);
		for (size_t i = 0; i < NR_SEG_SLOTS && !why; i++) {
			const struct kvm_segment *seg = sreg_seg((struct kvm_sregs *)s, &seg_slots[i]);
			uint64_t sel = seg->selector;

			if (real_mode_standard(seg))
				uc_reg_write(uc, seg_slots[i].reg, &sel);
		}
	}
	uc_reg_write(uc, UC_X86_REG_CR0, &s->cr0);
	uc_reg_write(uc, UC_X86_REG_GDTR, &gdt);
	uc_reg_write(uc, UC_X86_REG_IDTR, &idt);
	return why;
}

/*
 * Load every segment register of the engine from vcpu->sregs (CR0 and
 * EFER must be in the engine already: CS's mode depends on EFER.LMA).
 * Returns NULL, or why Unicorn could not take what the sregs describe.
 */
const char *x86_load_segments(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct kvm_sregs *s = &vcpu->sregs;
	uc_engine *ld = loader_get();
	const char *why;

	if (!ld)
		return "cannot open the segment loader";
	uc_context_save(x86_uc(vcpu), a->ctx);
	uc_context_restore(ld, a->ctx);
	why = load_in_loader(ld, s);
	if (why)
		return why;
	uc_context_save(ld, a->ctx);
	uc_context_restore(a->uc, a->ctx);
	/* the 64-bit engine takes a bare selector: SS's RPL as the sregs say */
	x86_reg_write(vcpu, UC_X86_REG_SS, s->ss.selector);
	/* a descriptor holds 32 bits of base; long mode's FS/GS take 64 */
	if (x86_long_mode(vcpu)) {
		x86_reg_write(vcpu, UC_X86_REG_FS_BASE, s->fs.base);
		x86_reg_write(vcpu, UC_X86_REG_GS_BASE, s->gs.base);
	}
	return NULL;
}

/* The hidden part the CPU gave a selector the guest loaded itself. */
static void guest_loaded_segment(struct kvm_vcpu *vcpu, uint16_t sel, struct kvm_segment *seg)
{
	const struct kvm_sregs *s = &vcpu->sregs;
	uint64_t d = 0;
	uint32_t ec;
	int v;

	if (!(s->cr0 & X86_CR0_PE)) {
		/* real mode keeps limit and attributes, reloads the base */
		seg->selector = sel;
		seg->base = (uint64_t)sel << 4;
		return;
	}
	if ((sel & ~3) && (sel | 7) <= s->gdt.limit) {
		void *p = x86_gva_to_hva(vcpu, s->gdt.base + (sel & ~7), false, &v, &ec);

		if (p)
			memcpy(&d, p, sizeof(d));
	}
	parse_descriptor(d, sel, seg);
	if (!(sel & ~3)) {
		seg->unusable = 1;
		seg->present = 0;
	}
}

/* After a run: selectors the guest changed, into vcpu->sregs. */
void x86_sync_segments(struct kvm_vcpu *vcpu)
{
	int ids[NR_SEG_SLOTS + 2] = { [NR_SEG_SLOTS] = UC_X86_REG_GDTR, UC_X86_REG_IDTR };
	uint64_t sels[NR_SEG_SLOTS] = { 0 };
	uc_x86_mmr gdt, idt;
	void *vals[NR_SEG_SLOTS + 2] = { [NR_SEG_SLOTS] = &gdt, &idt };

	/* one batch: this runs after every stop */
	for (size_t i = 0; i < NR_SEG_SLOTS; i++) {
		ids[i] = seg_slots[i].reg;
		vals[i] = &sels[i];
	}
	uc_reg_read_batch(x86_uc(vcpu), ids, vals, NR_SEG_SLOTS + 2);
	/* the guest's own lgdt/lidt: its next far jump reads that table */
	vcpu->sregs.gdt.base = gdt.base;
	vcpu->sregs.gdt.limit = gdt.limit;
	vcpu->sregs.idt.base = idt.base;
	vcpu->sregs.idt.limit = idt.limit;
	for (size_t i = 0; i < NR_SEG_SLOTS; i++) {
		struct kvm_segment *seg = sreg_seg(&vcpu->sregs, &seg_slots[i]);
		uint16_t sel = sels[i];

		if (sel != seg->selector)
			guest_loaded_segment(vcpu, sel, seg);
	}
}

/*
 * Exception entry: CS from a gate (or the real-mode IVT) with the
 * descriptor the CPU would load.  NULL, or why it could not be loaded.
 */
const char *x86_load_cs(struct kvm_vcpu *vcpu, uint16_t sel)
{
	struct kvm_segment cs = vcpu->sregs.cs;

	guest_loaded_segment(vcpu, sel, &cs);
	if ((vcpu->sregs.cr0 & X86_CR0_PE) && (!cs.present || !cs.s || !(cs.type & 8)))
		return "not a present code segment";
	vcpu->sregs.cs = cs;
	return x86_load_segments(vcpu);
}
