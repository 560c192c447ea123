// SPDX-License-Identifier: MIT
/*
 * KVM_GET_XSAVE / KVM_SET_XSAVE (arch/x86/kvm/x86.c, through the FPU
 * core's fpu_copy_guest_fpstate_to_uabi / fpu_copy_uabi_to_guest_fpstate):
 * the guest's x87 and SSE state in the standard (non-compacted) XSAVE
 * layout, read from and written to the engine's registers.
 *
 * The modelled CPU has no XSAVE (CPUID.1:ECX.XSAVE=0, an empty XCR0
 * mask), so FP and SSE are the only components: the 512-byte legacy area
 * and the header's XSTATE_BV.  XSTATE_BV reports a component whose state
 * differs from its initial state (the hardware's XINUSE can also keep a
 * component marked that was used and returned to its initial values: a
 * host-dependent detail).  A component whose bit is clear on SET is
 * loaded with its initial state, as XRSTOR does.
 */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "kvm-model/x86/uc_internal.h"

#define XFEATURE_MASK_FP	(1ull << 0)
#define XFEATURE_MASK_SSE	(1ull << 1)
#define XFEATURE_MASK_FPSSE	(XFEATURE_MASK_FP | XFEATURE_MASK_SSE)

/* struct fxregs_state (64-bit format) and the XSAVE header after it */
#define FX_FCW		0
#define FX_FSW		2
#define FX_FTW		4	/* abridged: one bit per register, 1 = not empty */
#define FX_FOP		6
#define FX_FIP		8
#define FX_FDP		16
#define FX_MXCSR	24
#define FX_MXCSR_MASK	28
#define FX_ST0		32	/* 8 x 16 bytes, ST(i) in its low 10 */
#define FX_XMM0		160	/* 16 x 16 bytes */
#define XSAVE_HDR	512
#define XSAVE_HDR_SIZE	64

#define FCW_INIT	0x037f
#define MXCSR_INIT	0x1f80
/* every MXCSR bit the CPU implements (DAZ included): others are #GP, EINVAL here */
#define MXCSR_FEATURE_MASK	0xffffu

static uint64_t reg(struct kvm_vcpu *vcpu, int id)
{
	uint64_t v = 0;

	uc_reg_read(x86_uc(vcpu), id, &v);
	return v;
}

static void set_reg(struct kvm_vcpu *vcpu, int id, uint64_t v)
{
	uc_reg_write(x86_uc(vcpu), id, &v);
}

/* Unicorn's full tag word (2 bits per physical register, 3 = empty) */
static uint8_t abridged_ftw(uint16_t ftw)
{
	uint8_t r = 0;

	for (int i = 0; i < 8; i++)
		if (((ftw >> (2 * i)) & 3) != 3)
			r |= 1u << i;
	return r;
}

static uint16_t full_ftw(uint8_t abridged)
{
	uint16_t r = 0;

	/* 0 (valid) for a used register: only "empty" matters to the CPU */
	for (int i = 0; i < 8; i++)
		if (!(abridged & (1u << i)))
			r |= 3u << (2 * i);
	return r;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void get_fx(struct kvm_vcpu *vcpu, uint8_t *fx)
{
	uc_engine *uc = x86_uc(vcpu);
	uint16_t w;
	uint32_t d;
	uint64_t q;

	w = reg(vcpu, UC_X86_REG_FPCW);
	memcpy(fx + FX_FCW, &w, 2);
	w = reg(vcpu, UC_X86_REG_FPSW);
	memcpy(fx + FX_FSW, &w, 2);
	fx[FX_FTW] = abridged_ftw(reg(vcpu, UC_X86_REG_FPTAG));
	w = reg(vcpu, UC_X86_REG_FOP);
	memcpy(fx + FX_FOP, &w, 2);
	q = reg(vcpu, UC_X86_REG_FIP);
	memcpy(fx + FX_FIP, &q, 8);
	q = reg(vcpu, UC_X86_REG_FDP);
	memcpy(fx + FX_FDP, &q, 8);
	d = reg(vcpu, UC_X86_REG_MXCSR);
	memcpy(fx + FX_MXCSR, &d, 4);
	d = MXCSR_FEATURE_MASK;
	memcpy(fx + FX_MXCSR_MASK, &d, 4);
	for (int i = 0; i < 8; i++)
		uc_reg_read(uc, UC_X86_REG_ST0 + i, fx + FX_ST0 + 16 * i);
	for (int i = 0; i < 16; i++)
		uc_reg_read(uc, UC_X86_REG_XMM0 + i, fx + FX_XMM0 + 16 * i);
}

/* which of FP and SSE are not in their initial state */
static uint64_t fx_in_use(const uint8_t *fx)
{
	uint16_t fcw;
	uint32_t mxcsr;
	uint64_t in_use = 0;

	memcpy(&fcw, fx + FX_FCW, 2);
	memcpy(&mxcsr, fx + FX_MXCSR, 4);
	if (fcw != FCW_INIT || !all_zero(fx + FX_FSW, FX_MXCSR - FX_FSW) ||
	    !all_zero(fx + FX_ST0, FX_XMM0 - FX_ST0))
		in_use |= XFEATURE_MASK_FP;
	if (mxcsr != MXCSR_INIT || !all_zero(fx + FX_XMM0, 16 * 16))
		in_use |= XFEATURE_MASK_SSE;
	return in_use;
}

static long kvm_vcpu_ioctl_x86_get_xsave(struct kvm_vcpu *vcpu, void *uarg)
{
	static struct kvm_xsave xs;
	uint8_t *p = (uint8_t *)xs.region;
	uint64_t xstate_bv;

	memset(&xs, 0, sizeof(xs));
	get_fx(vcpu, p);
	xstate_bv = fx_in_use(p);
	memcpy(p + XSAVE_HDR, &xstate_bv, 8);
	return copy_to_user(uarg, &xs, sizeof(xs)) ? -EFAULT : 0;
}

/* copy_uabi_to_xstate's checks: known components, standard format, MXCSR */
static int validate_xsave(const uint8_t *p)
{
	uint64_t xstate_bv;
	uint32_t mxcsr;

	memcpy(&xstate_bv, p + XSAVE_HDR, 8);
	if (xstate_bv & ~XFEATURE_MASK_FPSSE)
		return -EINVAL;
	/* XCOMP_BV and the reserved header bytes must be zero */
	if (!all_zero(p + XSAVE_HDR + 8, XSAVE_HDR_SIZE - 8))
		return -EINVAL;
	memcpy(&mxcsr, p + FX_MXCSR, 4);
	if ((xstate_bv & XFEATURE_MASK_SSE) && (mxcsr & ~MXCSR_FEATURE_MASK))
		return -EINVAL;
	return 0;
}

static void set_fp(struct kvm_vcpu *vcpu, const uint8_t *fx)
{
	uc_engine *uc = x86_uc(vcpu);
	uint16_t w;
	uint64_t q;

	memcpy(&w, fx + FX_FCW, 2);
	set_reg(vcpu, UC_X86_REG_FPCW, w);
	memcpy(&w, fx + FX_FSW, 2);
	set_reg(vcpu, UC_X86_REG_FPSW, w);
	/* the tag word last: TOP (in FSW) decides which register is ST(i) */
	for (int i = 0; i < 8; i++) {
		uint8_t st[16];

		memcpy(st, fx + FX_ST0 + 16 * i, 16);
		uc_reg_write(uc, UC_X86_REG_ST0 + i, st);
	}
	set_reg(vcpu, UC_X86_REG_FPTAG, full_ftw(fx[FX_FTW]));
	memcpy(&w, fx + FX_FOP, 2);
	set_reg(vcpu, UC_X86_REG_FOP, w);
	memcpy(&q, fx + FX_FIP, 8);
	set_reg(vcpu, UC_X86_REG_FIP, q);
	memcpy(&q, fx + FX_FDP, 8);
	set_reg(vcpu, UC_X86_REG_FDP, q);
}

static void set_sse(struct kvm_vcpu *vcpu, const uint8_t *fx)
{
	uc_engine *uc = x86_uc(vcpu);
	uint32_t mxcsr;

	memcpy(&mxcsr, fx + FX_MXCSR, 4);
	set_reg(vcpu, UC_X86_REG_MXCSR, mxcsr);
	for (int i = 0; i < 16; i++) {
		uint64_t x[2];

		memcpy(x, fx + FX_XMM0 + 16 * i, 16);
		uc_reg_write(uc, UC_X86_REG_XMM0 + i, x);
	}
}

static long kvm_vcpu_ioctl_x86_set_xsave(struct kvm_vcpu *vcpu, const void *uarg)
{
	static struct kvm_xsave xs;
	static uint8_t init[512];
	const uint8_t *p = (const uint8_t *)xs.region;
	uint64_t xstate_bv;
	uint16_t fcw = FCW_INIT;
	uint32_t mxcsr = MXCSR_INIT;
	int r;

	if (copy_from_user(&xs, uarg, sizeof(xs)))
		return -EFAULT;
	r = validate_xsave(p);
	if (r)
		return r;
	memcpy(&xstate_bv, p + XSAVE_HDR, 8);
	/* the initial state: FCW 0x37f, every register empty, MXCSR 0x1f80 */
	memcpy(init + FX_FCW, &fcw, 2);
	memcpy(init + FX_MXCSR, &mxcsr, 4);
	set_fp(vcpu, xstate_bv & XFEATURE_MASK_FP ? p : init);
	set_sse(vcpu, xstate_bv & XFEATURE_MASK_SSE ? p : init);
	return 0;
}

/*
 * kvm_arch_vcpu_ioctl_get_fpu / set_fpu: the legacy area's fields in
 * struct kvm_fpu.  Neither touches MXCSR (kvm_fpu.mxcsr reads 0: the
 * ioctl's copy starts zeroed) and the tag word is the abridged one.
 */
static long kvm_arch_vcpu_ioctl_get_fpu(struct kvm_vcpu *vcpu, void *uarg)
{
	uint8_t fx[512];
	struct kvm_fpu fpu;

	memset(&fpu, 0, sizeof(fpu));
	get_fx(vcpu, fx);
	memcpy(fpu.fpr, fx + FX_ST0, sizeof(fpu.fpr));
	memcpy(&fpu.fcw, fx + FX_FCW, 2);
	memcpy(&fpu.fsw, fx + FX_FSW, 2);
	fpu.ftwx = fx[FX_FTW];
	memcpy(&fpu.last_opcode, fx + FX_FOP, 2);
	memcpy(&fpu.last_ip, fx + FX_FIP, 8);
	memcpy(&fpu.last_dp, fx + FX_FDP, 8);
	memcpy(fpu.xmm, fx + FX_XMM0, sizeof(fpu.xmm));
	return copy_to_user(uarg, &fpu, sizeof(fpu)) ? -EFAULT : 0;
}

static long kvm_arch_vcpu_ioctl_set_fpu(struct kvm_vcpu *vcpu, const void *uarg)
{
	struct kvm_fpu fpu;
	uint8_t fx[512];

	if (copy_from_user(&fpu, uarg, sizeof(fpu)))
		return -EFAULT;
	get_fx(vcpu, fx);
	memcpy(fx + FX_ST0, fpu.fpr, sizeof(fpu.fpr));
	memcpy(fx + FX_FCW, &fpu.fcw, 2);
	memcpy(fx + FX_FSW, &fpu.fsw, 2);
	fx[FX_FTW] = fpu.ftwx;
	memcpy(fx + FX_FOP, &fpu.last_opcode, 2);
	memcpy(fx + FX_FIP, &fpu.last_ip, 8);
	memcpy(fx + FX_FDP, &fpu.last_dp, 8);
	memcpy(fx + FX_XMM0, fpu.xmm, sizeof(fpu.xmm));
	/* MXCSR stays: set_sse writes back the value get_fx read */
	set_fp(vcpu, fx);
	set_sse(vcpu, fx);
	return 0;
}

/* fpstate_init: FCW 0x37f, every x87 register empty, MXCSR 0x1f80 */
void kvm_x86_fpu_reset(struct kvm_vcpu *vcpu)
{
	set_reg(vcpu, UC_X86_REG_FPCW, FCW_INIT);
	set_reg(vcpu, UC_X86_REG_FPTAG, 0xffff);
	set_reg(vcpu, UC_X86_REG_MXCSR, MXCSR_INIT);
}

/*
 * KVM_GET_XCRS / KVM_SET_XCRS on a host without XSAVE (the CPU kvmsim
 * models has none; KVM_CAP_XCRS answers 0): GET reports no register,
 * SET is EINVAL (kvm_vcpu_ioctl_x86_get_xcrs / set_xcrs).
 */
static long kvm_vcpu_ioctl_x86_xcrs(struct kvm_vcpu *vcpu, bool set, void *uarg)
{
	struct kvm_xcrs xcrs;

	if (set) {
		if (copy_from_user(&xcrs, uarg, sizeof(xcrs)))
			return -EFAULT;
		return -EINVAL;
	}
	memset(&xcrs, 0, sizeof(xcrs));
	return copy_to_user(uarg, &xcrs, sizeof(xcrs)) ? -EFAULT : 0;
}

bool kvm_x86_xsave_ioctl(unsigned int cmd)
{
	return cmd == KVM_GET_XSAVE || cmd == KVM_SET_XSAVE ||
	       cmd == KVM_GET_FPU || cmd == KVM_SET_FPU ||
	       cmd == KVM_GET_XCRS || cmd == KVM_SET_XCRS;
}

long kvm_vcpu_ioctl_x86_xsave(struct kvm_vcpu *vcpu, unsigned int cmd, void *uarg)
{
	switch (cmd) {
	case KVM_GET_XSAVE:
		return kvm_vcpu_ioctl_x86_get_xsave(vcpu, uarg);
	case KVM_SET_XSAVE:
		return kvm_vcpu_ioctl_x86_set_xsave(vcpu, uarg);
	case KVM_GET_FPU:
		return kvm_arch_vcpu_ioctl_get_fpu(vcpu, uarg);
	case KVM_SET_FPU:
		return kvm_arch_vcpu_ioctl_set_fpu(vcpu, uarg);
	case KVM_GET_XCRS:
	case KVM_SET_XCRS:
		return kvm_vcpu_ioctl_x86_xcrs(vcpu, cmd == KVM_SET_XCRS, uarg);
	}
	return -EINVAL;
}
