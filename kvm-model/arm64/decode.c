// SPDX-License-Identifier: MIT
/*
 * What a data abort's instruction accessed, as the hardware reports it:
 * the virtual address (FAR_EL1, and the IPA an MMIO exit names) and, for
 * single-register loads and stores, the ISV syndrome io_mem_abort decodes.
 * Unicorn's fill hook sees only the page an access missed on, so the
 * address comes from the instruction and its registers, which a precise
 * stop leaves as they were before it (writeback not done yet).
 */
#include "kvm-model/arm64/arm64.h"

static uint64_t sext(uint64_t v, int bits)
{
	return (uint64_t)((int64_t)(v << (64 - bits)) >> (64 - bits));
}

/* Xn as a base register: 31 is SP. */
static uint64_t base_reg(struct kvm_vcpu *vcpu, uint32_t insn)
{
	int n = (insn >> 5) & 0x1f;

	return n == 31 ? arm64_reg_read(vcpu, UC_ARM64_REG_SP) : arm64_xreg_read(vcpu, n);
}

/* The register-offset form's Xm, extended (option) and scaled (S). */
static uint64_t reg_offset(struct kvm_vcpu *vcpu, uint32_t insn, int scale)
{
	uint64_t m = arm64_xreg_read(vcpu, (insn >> 16) & 0x1f);	/* 31 = XZR */
	uint32_t option = (insn >> 13) & 7;

	if (option == 2)		/* UXTW */
		m &= 0xffffffffull;
	else if (option == 6)		/* SXTW */
		m = sext(m, 32);
	return (insn >> 12) & 1 ? m << scale : m;
}

/* log2 of the access size of a load/store register instruction */
static int ldst_scale(uint32_t insn)
{
	int size = insn >> 30;

	/* SIMD&FP with opc<1> set and size 0 is the 128-bit Q form */
	if ((insn >> 26) & 1 && size == 0 && (insn >> 23) & 1)
		return 4;
	return size;
}

/* Load/store register (bits 29:27 = 111): every addressing form. */
static uint64_t ldst_reg_address(struct kvm_vcpu *vcpu, uint32_t insn)
{
	uint64_t base = base_reg(vcpu, insn);
	int scale = ldst_scale(insn);

	if ((insn >> 24) & 1)				/* unsigned offset */
		return base + (((insn >> 10) & 0xfff) << scale);
	if ((insn >> 21) & 1)				/* register offset, atomics */
		return ((insn >> 10) & 3) == 2 ? base + reg_offset(vcpu, insn, scale) : base;
	if (((insn >> 10) & 3) == 1)			/* post-index */
		return base;
	return base + sext((insn >> 12) & 0x1ff, 9);	/* unscaled, unprivileged, pre */
}

/* Load/store pair (bits 29:27 = 101). */
static uint64_t ldst_pair_address(struct kvm_vcpu *vcpu, uint32_t insn)
{
	uint32_t opc = insn >> 30;
	int scale = (insn >> 26) & 1 ? 2 + opc : 2 + (opc >> 1);
	uint64_t base = base_reg(vcpu, insn);

	if (((insn >> 23) & 3) == 1)			/* post-index */
		return base;
	return base + (sext((insn >> 15) & 0x7f, 7) << scale);
}

/*
 * The first byte `insn` at `pc` accesses, or false for an instruction that
 * is no load or store (the caller then keeps the page it has).
 */
bool arm64_data_address(struct kvm_vcpu *vcpu, uint64_t pc, uint32_t insn, uint64_t *va)
{
	if ((insn & 0x0a000000) != 0x08000000)		/* op0 x1x0: loads and stores */
		return false;
	switch ((insn >> 27) & 7) {
	case 3:						/* literal: bits 29:27 = 011 */
		if ((insn >> 24) & 1)
			return false;
		*va = pc + (sext((insn >> 5) & 0x7ffff, 19) << 2);
		return true;
	case 5:
		*va = ldst_pair_address(vcpu, insn);
		return true;
	case 7:
		*va = ldst_reg_address(vcpu, insn);
		return true;
	default:	/* exclusives, acquire/release, SIMD structures: [Xn] */
		*va = base_reg(vcpu, insn);
		return true;
	}
}

/*
 * The syndrome hardware gives for a data abort on a single-register
 * load/store without writeback (ISV=1): access size, sign extension,
 * register, 64-bit destination.  Anything else (pairs, writeback,
 * SIMD&FP, exclusives) has ISV=0.
 */
bool arm64_decode_isv(uint32_t insn, struct arm64_mmio_pending *d)
{
	uint32_t size = insn >> 30, opc = (insn >> 22) & 3;
	bool uimm = (insn & 0x3b000000) == 0x39000000;
	bool unscaled = (insn & 0x3b200c00) == 0x38000000;
	bool regoff = (insn & 0x3b200c00) == 0x38200800;

	if (!uimm && !unscaled && !regoff)
		return false;
	if (opc == 2 && size == 3)	/* PRFM */
		return false;
	if (opc == 3 && size >= 2)
		return false;
	d->read = opc != 0;
	d->rt = insn & 0x1f;
	d->len = 1 << size;
	d->sign_extend = opc >= 2;
	d->sixty_four = size == 3 || opc == 2;
	return true;
}
