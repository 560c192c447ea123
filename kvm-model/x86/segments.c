// SPDX-License-Identifier: MIT
/*
 * Segment registers between KVM's sregs and Unicorn.
 *
 * KVM_SET_SREGS hands KVM the hidden part of each segment register
 * (base, limit, attributes) directly; the guest's GDT is not read
 * (vmx_set_segment writes the VMCS fields).  Unicorn only offers selector
 * writes, which load the hidden part the way the CPU does: from the GDT in
 * protected mode, as selector << 4 in real mode.  So each segment is loaded
 * through a scratch descriptor table built from the sregs, mapped for the
 * moment of the load at a scratch linear address, with CR0.PE set for the
 * duration in real mode.  This also gives real mode a CS base other than
 * selector << 4, as at the reset vector (f000:fff0 with base 0xffff0000).
 *
 * After the guest runs, x86_sync_segments brings selectors the guest
 * loaded itself back into the sregs, with the hidden part it got.
 */
#include <stddef.h>
#include <string.h>

#include "kvm-model/x86/uc_internal.h"

/* the scratch table: selectors index up to 0xfff8, so 64 KiB */
#define SCRATCH_GDT_GVA		0x80000000ull
#define SCRATCH_GDT_SIZE	0x10000ull

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

/* Write one selector with the hidden part *seg through the scratch table. */
static bool load_through_scratch(struct kvm_vcpu *vcpu, int reg, const struct kvm_segment *seg)
{
	uint64_t sel = seg->selector, d = make_descriptor(seg);
	struct kvm_x86_uc *a = to_uc(vcpu);

	if (!seg_is_null(&vcpu->sregs, seg, reg))
		uc_mem_write(a->uc, SCRATCH_GDT_GVA + (sel & ~7ull), &d, sizeof(d));
	return uc_reg_write(a->uc, reg, &sel) == UC_ERR_OK;
}

/* Every segment the plain real-mode load could not give its base. */
static const char *load_all_through_scratch(struct kvm_vcpu *vcpu, bool real)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct kvm_sregs *s = &vcpu->sregs;
	uc_x86_mmr scratch = { .base = SCRATCH_GDT_GVA, .limit = SCRATCH_GDT_SIZE - 1 };
	uc_x86_mmr gdt = { .base = s->gdt.base, .limit = s->gdt.limit };
	const char *why = NULL;

	uc_punch_hole(vcpu, SCRATCH_GDT_GVA, SCRATCH_GDT_SIZE);
	if (uc_mem_map(a->uc, SCRATCH_GDT_GVA, SCRATCH_GDT_SIZE, UC_PROT_READ | UC_PROT_WRITE))
		return "cannot map the scratch descriptor table";
	uc_reg_write(a->uc, UC_X86_REG_GDTR, &scratch);
	if (real)
		x86_reg_write(vcpu, UC_X86_REG_CR0, s->cr0 | X86_CR0_PE);
	for (size_t i = 0; i < NR_SEG_SLOTS && !why; i++) {
		const struct kvm_segment *seg = sreg_seg(s, &seg_slots[i]);

		if (real && (real_mode_standard(seg) || !(seg->selector & ~3)))
			why = real_mode_standard(seg) ? NULL :
			      "real-mode segment with selector 0 and a non-zero base";
		else if (!load_through_scratch(vcpu, seg_slots[i].reg, seg))
			why = "a segment Unicorn refuses to load (CPL/DPL or type)";
	}
	if (real)
		x86_reg_write(vcpu, UC_X86_REG_CR0, s->cr0 & ~X86_CR0_PG);
	uc_reg_write(a->uc, UC_X86_REG_GDTR, &gdt);
	uc_ctl_remove_cache(a->uc, SCRATCH_GDT_GVA, SCRATCH_GDT_GVA + SCRATCH_GDT_SIZE);
	uc_mem_unmap(a->uc, SCRATCH_GDT_GVA, SCRATCH_GDT_SIZE);
	return why;
}

/*
 * Load every segment register of the engine from vcpu->sregs.  Returns
 * NULL, or why Unicorn could not take what the sregs describe.
 */
const char *x86_load_segments(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_uc *a = to_uc(vcpu);
	struct kvm_sregs *s = &vcpu->sregs;
	bool real = !(s->cr0 & X86_CR0_PE), scratch_needed = !real;
	const char *why;

	/* real mode: plain loads where the base is selector << 4 */
	for (size_t i = 0; i < NR_SEG_SLOTS && real; i++) {
		const struct kvm_segment *seg = sreg_seg(s, &seg_slots[i]);
		uint64_t sel = seg->selector;

		if (!real_mode_standard(seg))
			scratch_needed = true;
		else
			uc_reg_write(a->uc, seg_slots[i].reg, &sel);
	}
	if (!scratch_needed)
		return NULL;
	why = load_all_through_scratch(vcpu, real);
	/* a descriptor holds 32 bits of base; long mode's FS/GS take 64 */
	if (!why && a->mode == ENG_64) {
		x86_reg_write(vcpu, UC_X86_REG_FS_BASE, s->fs.base);
		x86_reg_write(vcpu, UC_X86_REG_GS_BASE, s->gs.base);
	}
	return why;
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
	for (size_t i = 0; i < NR_SEG_SLOTS; i++) {
		struct kvm_segment *seg = sreg_seg(&vcpu->sregs, &seg_slots[i]);
		uint16_t sel = x86_reg_read(vcpu, seg_slots[i].reg);

		if (sel != seg->selector)
			guest_loaded_segment(vcpu, sel, seg);
	}
}
