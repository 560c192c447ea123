// SPDX-License-Identifier: MIT
/*
 * The MSRs KVM emulates (arch/x86/kvm/x86.c: kvm_set_msr_common,
 * kvm_get_msr_common, __kvm_set_msr, kvm_do_msr_access, msr_io; mtrr.c),
 * for the guest's RDMSR/WRMSR and for KVM_GET/SET_MSRS, with KVM's
 * checks: canonical addresses, reserved bits, what only the host may
 * write, what the guest's CPUID must offer.  Also the lists /dev/kvm
 * reports (KVM_GET_MSR_INDEX_LIST, KVM_GET_MSR_FEATURE_INDEX_LIST) and the
 * feature MSRs read from /dev/kvm with KVM_GET_MSRS.
 */
#include <errno.h>

#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"

#define MSR_IA32_UCODE_REV		0x0000008b
#define MSR_IA32_POWER_CTL		0x000001fc
#define MSR_IA32_TSC_ADJUST		0x0000003b
#define MSR_IA32_MTRRCAP		0x000000fe
#define MSR_IA32_ARCH_CAPABILITIES	0x0000010a
#define MSR_PLATFORM_INFO		0x000000ce
#define MSR_MISC_FEATURES_ENABLES	0x00000140
#define MSR_KVM_WALL_CLOCK		0x00000011
#define MSR_KVM_SYSTEM_TIME		0x00000012
#define MSR_IA32_MCG_CAP		0x00000179
#define MSR_IA32_MCG_STATUS		0x0000017a
#define MSR_IA32_MCG_CTL		0x0000017b
#define MSR_MTRR_PHYS_BASE0		0x00000200
#define MSR_MTRR_FIX64K			0x00000250
#define MSR_MTRR_FIX16K_80000		0x00000258
#define MSR_MTRR_FIX16K_A0000		0x00000259
#define MSR_MTRR_FIX4K_C0000		0x00000268
#define MSR_MTRR_FIX4K_F8000		0x0000026f
#define MSR_MTRR_DEF_TYPE		0x000002ff
#define MSR_IA32_PERF_CAPABILITIES	0x00000345
#define MSR_IA32_MC0_CTL		0x00000400
#define MSR_SMI_COUNT			0x00000034
#define MSR_K7_HWCR			0xc0010015

#define MISC_ENABLE_EMON		(1ull << 7)
#define MISC_ENABLE_PMU_RO_MASK		((1ull << 11) | (1ull << 12))
#define PLATFORM_INFO_CPUID_FAULT	(1ull << 31)
#define MISC_FEATURES_CPUID_FAULT	(1ull << 0)
#define MCG_CTL_P			(1ull << 8)
/* HWCR: McStatusWrEn and TscFreqSel are kept; three legacy bits ignored */
#define HWCR_KEPT			((1ull << 18) | (1ull << 24))
#define HWCR_IGNORED			(0x40ull | 0x100ull | 0x8ull)
#define APIC_BASE_BSP			(1ull << 8)
#define APIC_BASE_EXTD			(1ull << 10)
#define APIC_BASE_EN			(1ull << 11)
/* KVM's kvm_get_arch_capabilities on a host immune to the listed flaws */
#define KVMSIM_ARCH_CAPABILITIES	(0x1ull | 0x8ull | 0x20ull | 0x40ull)
#define KVMSIM_UCODE_REV		0x100000000ull

/* Beyond 0/1: the MSR does not exist here (kvm_do_msr_access's UNSUPPORTED). */
#define MSR_UNSUPPORTED			2

/* msrs_to_save + emulated_msrs, as far as kvmsim implements them */
static const uint32_t msrs_to_save[] = {
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_STAR, MSR_CSTAR, MSR_KERNEL_GS_BASE, MSR_SYSCALL_MASK, MSR_LSTAR,
	MSR_IA32_TSC, MSR_IA32_CR_PAT, MSR_TSC_AUX, MSR_IA32_TSC_DEADLINE,
	MSR_KVM_SYSTEM_TIME, MSR_KVM_WALL_CLOCK,
	MSR_KVM_SYSTEM_TIME_NEW, MSR_KVM_WALL_CLOCK_NEW, MSR_KVM_STEAL_TIME,
	MSR_KVM_ASYNC_PF_EN, MSR_KVM_ASYNC_PF_INT, MSR_KVM_ASYNC_PF_ACK,
	MSR_IA32_TSC_ADJUST, MSR_IA32_ARCH_CAPABILITIES, MSR_IA32_PERF_CAPABILITIES,
	MSR_IA32_MISC_ENABLE, MSR_IA32_MCG_STATUS, MSR_IA32_MCG_CTL, MSR_SMI_COUNT,
	MSR_PLATFORM_INFO, MSR_MISC_FEATURES_ENABLES, MSR_IA32_UCODE_REV, MSR_K7_HWCR,
	MSR_IA32_POWER_CTL,
};

/* msr_based_features: what /dev/kvm's KVM_GET_MSRS answers */
static const uint32_t feature_msrs[] = {
	MSR_IA32_UCODE_REV, MSR_IA32_ARCH_CAPABILITIES, MSR_IA32_PERF_CAPABILITIES,
};

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

static bool kvm_is_advertised_msr(uint32_t idx)
{
	for (size_t i = 0; i < ARRAY_LEN(msrs_to_save); i++)
		if (msrs_to_save[i] == idx)
			return true;
	for (size_t i = 0; i < ARRAY_LEN(feature_msrs); i++)
		if (feature_msrs[i] == idx)
			return true;
	return false;
}

static bool is_noncanonical(uint64_t v)
{
	/* 48 virtual address bits (CPUID 0x80000008) */
	return (uint64_t)((int64_t)(v << 16) >> 16) != v;
}

static bool guest_is_intel(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry_index(vcpu, 0, 0);

	/* guest_cpuid_is_intel_compatible: Intel, Zhaoxin, Centaur, or no CPUID */
	return !e || e->ebx == 0x756e6547 || e->ebx == 0x746e6543 || e->ebx == 0x68532020;
}

/* kvm_vcpu_reserved_gpa_bits_raw: bits above the guest's MAXPHYADDR */
static uint64_t reserved_gpa_bits(struct kvm_vcpu *vcpu)
{
	return ~((1ull << kvm_cpuid_maxphyaddr(vcpu)) - 1);
}

static bool valid_mtrr_type(unsigned t)
{
	/* UC, WC, WT, WP, WB */
	return t < 8 && ((1u << t) & 0x73);
}

/* kvm_mtrr_valid and the MTRR state (arch/x86/kvm/mtrr.c) */
static uint64_t *mtrr_slot(struct x86_vcpu_state *st, uint32_t idx)
{
	if (idx == MSR_MTRR_DEF_TYPE)
		return &st->mtrr_def_type;
	if (idx == MSR_MTRR_FIX64K)
		return &st->mtrr_fixed[0];
	if (idx == MSR_MTRR_FIX16K_80000 || idx == MSR_MTRR_FIX16K_A0000)
		return &st->mtrr_fixed[1 + idx - MSR_MTRR_FIX16K_80000];
	if (idx >= MSR_MTRR_FIX4K_C0000 && idx <= MSR_MTRR_FIX4K_F8000)
		return &st->mtrr_fixed[3 + idx - MSR_MTRR_FIX4K_C0000];
	if (idx >= MSR_MTRR_PHYS_BASE0 && idx < MSR_MTRR_PHYS_BASE0 + 2 * KVM_NR_VAR_MTRR)
		return &st->mtrr_var[idx - MSR_MTRR_PHYS_BASE0];
	return NULL;
}

static int kvm_mtrr_set_msr(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t data)
{
	uint64_t *slot = mtrr_slot(x86_state(vcpu), idx), mask;

	if (idx == MSR_MTRR_DEF_TYPE) {
		if ((data & ~0xcffull) || !valid_mtrr_type(data & 0xff))
			return 1;
	} else if (idx >= MSR_MTRR_FIX64K && idx <= MSR_MTRR_FIX4K_F8000) {
		for (int i = 0; i < 8; i++)
			if (!valid_mtrr_type((data >> (i * 8)) & 0xff))
				return 1;
	} else {
		mask = reserved_gpa_bits(vcpu);
		if (!(idx & 1)) {
			if (!valid_mtrr_type(data & 0xff))
				return 1;
			mask |= 0xf00;
		} else {
			mask |= 0x7ff;
		}
		if (data & mask)
			return 1;
	}
	*slot = data;
	return 0;
}

/* set_msr_mce */
static int set_msr_mce(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t data, bool host)
{
	struct x86_vcpu_state *st = x86_state(vcpu);
	unsigned banks = st->mcg_cap & 0xff;
	uint32_t off;

	switch (idx) {
	case MSR_IA32_MCG_STATUS:
		st->mcg_status = data;
		return 0;
	case MSR_IA32_MCG_CTL:
		if (!(st->mcg_cap & MCG_CTL_P) && (data || !host))
			return 1;
		if (data != 0 && data != ~0ull)
			return 1;
		st->mcg_ctl = data;
		return 0;
	}
	if (idx < MSR_IA32_MC0_CTL || idx >= MSR_IA32_MC0_CTL + 4 * banks)
		return MSR_UNSUPPORTED;
	off = idx - MSR_IA32_MC0_CTL;
	/* MCi_CTL: only 0 or all ones (bits 10 and 0 may be clear, for old guests) */
	if ((off & 3) == 0 && data && (data | (1ull << 10) | 1) != ~0ull)
		return 1;
	/* MCi_STATUS: a guest writes non-zero only with HWCR.McStatusWrEn */
	if (!host && (off & 3) == 1 && data && !(st->hwcr & (1ull << 18)))
		return 1;
	st->mce_banks[off] = data;
	return 0;
}

static int get_msr_mce(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t *data, bool host)
{
	struct x86_vcpu_state *st = x86_state(vcpu);
	unsigned banks = st->mcg_cap & 0xff;

	switch (idx) {
	case MSR_IA32_MCG_CAP:
		*data = st->mcg_cap;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*data = st->mcg_status;
		return 0;
	case MSR_IA32_MCG_CTL:
		/* the host reads it (state save) whatever MCG_CAP says */
		if (!(st->mcg_cap & MCG_CTL_P) && !host)
			return 1;
		*data = st->mcg_ctl;
		return 0;
	}
	if (idx < MSR_IA32_MC0_CTL || idx >= MSR_IA32_MC0_CTL + 4 * banks)
		return MSR_UNSUPPORTED;
	*data = st->mce_banks[idx - MSR_IA32_MC0_CTL];
	return 0;
}

/* kvm_apic_set_base's checks: reserved bits, EXTD without EN, mode order */
int kvm_apic_set_base(struct kvm_vcpu *vcpu, uint64_t data, bool host)
{
	uint64_t old = vcpu->sregs.apic_base;
	uint64_t reserved = reserved_gpa_bits(vcpu) | 0x2ff;

	if (!guest_cpuid_has(vcpu, 1, 0, CPUID_ECX, 21))
		reserved |= APIC_BASE_EXTD;
	if ((data & reserved) || (data & (APIC_BASE_EN | APIC_BASE_EXTD)) == APIC_BASE_EXTD)
		return 1;
	if (!host) {
		/* x2APIC -> xAPIC, and disabled -> x2APIC, must go through disabled/xAPIC */
		if ((old & APIC_BASE_EXTD) && (old & APIC_BASE_EN) &&
		    (data & (APIC_BASE_EN | APIC_BASE_EXTD)) == APIC_BASE_EN)
			return 1;
		if (!(old & APIC_BASE_EN) && (data & APIC_BASE_EXTD))
			return 1;
	}
	vcpu->sregs.apic_base = data;
	kvm_lapic_set_base(vcpu, old);
	kvm_update_cpuid_runtime(vcpu);
	return 0;
}

/* kvm_pat_valid: each byte a memory type, none of 2, 3 or >= 8 */
static bool kvm_pat_valid(uint64_t data)
{
	for (int i = 0; i < 8; i++) {
		unsigned t = (data >> (8 * i)) & 0xff;

		if (t >= 8 || t == 2 || t == 3)
			return false;
	}
	return true;
}

/* set_efer: reserved bits (no SVME, no FFXSR); LMA stays what the CPU says */
static int set_efer(struct kvm_vcpu *vcpu, uint64_t efer, bool host)
{
	uint64_t allowed = EFER_SCE | EFER_LME | EFER_LMA;

	if (guest_cpuid_has(vcpu, 0x80000001, 0, CPUID_EDX, 20))
		allowed |= EFER_NX;
	if (efer & ~allowed)
		return 1;
	if (!host)
		return 1;	/* the guest's WRMSR EFER goes through the emulator */
	efer = (efer & ~EFER_LMA) | (vcpu->sregs.efer & EFER_LMA);
	vcpu->sregs.efer = efer;
	return 0;
}

static uint64_t *plain_slot(struct kvm_vcpu *vcpu, uint32_t idx)
{
	switch (idx) {
	case MSR_STAR: return &vcpu->msr_star;
	case MSR_LSTAR: return &vcpu->msr_lstar;
	case MSR_CSTAR: return &vcpu->msr_cstar;
	case MSR_SYSCALL_MASK: return &vcpu->msr_sfmask;
	case MSR_KERNEL_GS_BASE: return &vcpu->msr_kernel_gs_base;
	case MSR_TSC_AUX: return &vcpu->msr_tsc_aux;
	case MSR_IA32_SYSENTER_CS: return &vcpu->msr_sysenter_cs;
	case MSR_IA32_SYSENTER_ESP: return &vcpu->msr_sysenter_esp;
	case MSR_IA32_SYSENTER_EIP: return &vcpu->msr_sysenter_eip;
	case MSR_IA32_CR_PAT: return &vcpu->msr_pat;
	}
	return NULL;
}

/* __kvm_set_msr's checks before the vendor code */
static int set_msr_checks(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t *data, bool host)
{
	switch (idx) {
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_CSTAR:
	case MSR_LSTAR:
		return is_noncanonical(*data);
	case MSR_IA32_SYSENTER_EIP:
	case MSR_IA32_SYSENTER_ESP:
		*data = (uint64_t)((int64_t)(*data << 16) >> 16);
		return 0;
	case MSR_TSC_AUX:
		if (!host && !guest_cpuid_has(vcpu, 0x80000001, 0, CPUID_EDX, 27) &&
		    !guest_cpuid_has(vcpu, 7, 0, CPUID_ECX, 22))
			return 1;
		if (guest_is_intel(vcpu) && (*data >> 32))
			return 1;
		*data = (uint32_t)*data;
		return 0;
	case MSR_IA32_CR_PAT:
		return !kvm_pat_valid(*data);
	}
	return 0;
}

static int set_msr_state(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t data, bool host)
{
	struct x86_vcpu_state *st = x86_state(vcpu);
	uint64_t old;

	switch (idx) {
	case MSR_EFER:
		return set_efer(vcpu, data, host);
	case MSR_IA32_APICBASE:
		return kvm_apic_set_base(vcpu, data, host);
	case MSR_IA32_TSC_DEADLINE:
		kvm_set_lapic_tscdeadline_msr(vcpu, data);
		return 0;
	case MSR_IA32_TSC:
		if (host)
			kvm_synchronize_tsc(vcpu, &data);
		else
			kvm_guest_write_tsc(vcpu, data);
		return 0;
	case MSR_IA32_TSC_ADJUST:
		if (!guest_cpuid_has(vcpu, 7, 0, CPUID_EBX, 1))
			return host ? MSR_UNSUPPORTED : 1;
		if (host)
			st->ia32_tsc_adjust_msr = data;
		else
			kvm_guest_adjust_tsc(vcpu, data);
		return 0;
	case MSR_IA32_MISC_ENABLE:
		old = vcpu->msr_misc_enable;
		if (!host) {
			if ((old ^ data) & MISC_ENABLE_PMU_RO_MASK)
				return 1;
			data = (data & ~MISC_ENABLE_EMON) | (old & MISC_ENABLE_EMON);
		}
		vcpu->msr_misc_enable = data;
		return 0;
	case MSR_K7_HWCR:
		data &= ~HWCR_IGNORED;
		if (data & ~HWCR_KEPT)
			return 1;
		st->hwcr = data;
		return 0;
	case MSR_PLATFORM_INFO:
		if (!host || (!(data & PLATFORM_INFO_CPUID_FAULT) &&
			      (st->misc_features_enables & MISC_FEATURES_CPUID_FAULT)))
			return 1;
		kvm_x86_vm(vcpu->kvm)->platform_info = data;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		if ((data & ~MISC_FEATURES_CPUID_FAULT) ||
		    ((data & MISC_FEATURES_CPUID_FAULT) &&
		     !(kvm_x86_vm(vcpu->kvm)->platform_info & PLATFORM_INFO_CPUID_FAULT)))
			return 1;
		st->misc_features_enables = data;
		return 0;
	case MSR_IA32_UCODE_REV:
		/* the guest's write (the "load microcode" protocol) is dropped */
		if (host)
			st->ucode_rev = data;
		return 0;
	case MSR_IA32_POWER_CTL:
		st->power_ctl = data;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		if (!host || !guest_cpuid_has(vcpu, 7, 0, CPUID_EDX, 29))
			return MSR_UNSUPPORTED;
		if (data & ~KVMSIM_ARCH_CAPABILITIES)
			return 1;
		st->arch_capabilities = data;
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		/* no PMU: the host may write 0 only */
		return !host || data ? 1 : 0;
	case MSR_SMI_COUNT:
		if (!host)
			return 1;
		st->smi_count = data;
		return 0;
	case MSR_IA32_MCG_CTL:
	case MSR_IA32_MCG_STATUS:
		return set_msr_mce(vcpu, idx, data, host);
	/* PV features are not enforced (no KVM_CAP_ENFORCE_PV_FEATURE_CPUID) */
	/* the pre-2010 numbers, the same clock (QEMU 10.0 always sets them) */
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		kvm_write_system_time(vcpu, data);
		return 0;
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		kvm_write_wall_clock(vcpu, data);
		return 0;
	case MSR_KVM_STEAL_TIME:
		return kvm_set_steal_time_msr(vcpu, data);
	}
	if (idx >= MSR_IA32_MC0_CTL && idx < MSR_IA32_MC0_CTL + 4 * KVM_MAX_MCE_BANKS)
		return set_msr_mce(vcpu, idx, data, host);
	if (mtrr_slot(st, idx))
		return kvm_mtrr_set_msr(vcpu, idx, data);
	return MSR_UNSUPPORTED;
}

static int get_msr_state(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t *data, bool host)
{
	struct x86_vcpu_state *st = x86_state(vcpu);
	uint64_t *slot;

	switch (idx) {
	case MSR_EFER:
		*data = vcpu->sregs.efer;
		return 0;
	case MSR_IA32_APICBASE:
		*data = vcpu->sregs.apic_base;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		*data = kvm_get_lapic_tscdeadline_msr(vcpu);
		return 0;
	case MSR_IA32_TSC:
		*data = kvm_read_l1_tsc(vcpu);
		return 0;
	case MSR_IA32_TSC_ADJUST:
		if (!host && !guest_cpuid_has(vcpu, 7, 0, CPUID_EBX, 1))
			return 1;
		*data = st->ia32_tsc_adjust_msr;
		return 0;
	case MSR_TSC_AUX:
		if (!host && !guest_cpuid_has(vcpu, 0x80000001, 0, CPUID_EDX, 27) &&
		    !guest_cpuid_has(vcpu, 7, 0, CPUID_ECX, 22))
			return 1;
		*data = vcpu->msr_tsc_aux;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->msr_misc_enable;
		return 0;
	case MSR_K7_HWCR:
		*data = st->hwcr;
		return 0;
	case MSR_PLATFORM_INFO:
		if (!host && !kvm_x86_vm(vcpu->kvm)->guest_can_read_platform_info)
			return 1;
		*data = kvm_x86_vm(vcpu->kvm)->platform_info;
		return 0;
	case MSR_MISC_FEATURES_ENABLES:
		*data = st->misc_features_enables;
		return 0;
	case MSR_IA32_UCODE_REV:
		*data = st->ucode_rev;
		return 0;
	case MSR_IA32_POWER_CTL:
		*data = st->power_ctl;
		return 0;
	case MSR_IA32_ARCH_CAPABILITIES:
		if (!host && !guest_cpuid_has(vcpu, 7, 0, CPUID_EDX, 29))
			return 1;
		*data = st->arch_capabilities;
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		if (!host)
			return 1;
		*data = 0;
		return 0;
	case MSR_SMI_COUNT:
		*data = st->smi_count;
		return 0;
	case MSR_KVM_SYSTEM_TIME:
	case MSR_KVM_SYSTEM_TIME_NEW:
		*data = st->system_time;
		return 0;
	case MSR_KVM_WALL_CLOCK:
	case MSR_KVM_WALL_CLOCK_NEW:
		*data = kvm_x86_vm(vcpu->kvm)->wall_clock;
		return 0;
	case MSR_KVM_STEAL_TIME:
		*data = kvm_get_steal_time_msr(vcpu);
		return 0;
	case MSR_IA32_MTRRCAP:
		/* WC and fixed ranges, KVM_NR_VAR_MTRR variable ranges */
		*data = 0x500 | KVM_NR_VAR_MTRR;
		return 0;
	}
	if (idx == MSR_IA32_MCG_CAP || idx == MSR_IA32_MCG_STATUS || idx == MSR_IA32_MCG_CTL ||
	    (idx >= MSR_IA32_MC0_CTL && idx < MSR_IA32_MC0_CTL + 4 * KVM_MAX_MCE_BANKS))
		return get_msr_mce(vcpu, idx, data, host);
	slot = mtrr_slot(st, idx);
	if (!slot)
		slot = plain_slot(vcpu, idx);
	if (!slot)
		return MSR_UNSUPPORTED;
	*data = *slot;
	return 0;
}

/*
 * One access, guest or host: kvm_do_msr_access around __kvm_set_msr /
 * __kvm_get_msr.  Returns 0, or 1 (a #GP for the guest, a stop for msr_io).
 */
static int kvm_msr_access(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t *v, bool write,
			  bool host)
{
	uint64_t *slot;
	int r;

	if (idx == MSR_FS_BASE || idx == MSR_GS_BASE) {
		int reg = idx == MSR_FS_BASE ? UC_X86_REG_FS_BASE : UC_X86_REG_GS_BASE;

		if (!write) {
			*v = x86_reg_read(vcpu, reg);
			return 0;
		}
		if (is_noncanonical(*v))
			return 1;
		x86_reg_write(vcpu, reg, *v);
		return 0;
	}
	if (kvm_is_pv_async_pf_msr(idx))
		return write ? kvm_pv_async_pf_msr_write(vcpu, idx, *v) :
			       kvm_pv_async_pf_msr_read(vcpu, idx, v);
	if (idx >= 0x800 && idx <= 0x8ff)
		return write ? kvm_x2apic_msr_write(vcpu, idx, *v) :
			       kvm_x2apic_msr_read(vcpu, idx, v);
	if (write) {
		if (set_msr_checks(vcpu, idx, v, host))
			return 1;
		r = set_msr_state(vcpu, idx, *v, host);
		if (r == MSR_UNSUPPORTED && (slot = plain_slot(vcpu, idx))) {
			*slot = *v;
			r = 0;
		}
	} else {
		r = get_msr_state(vcpu, idx, v, host);
		if (r)
			*v = 0;
	}
	if (r != MSR_UNSUPPORTED)
		return r;
	/* the guest learns why (KVM_MSR_RET_UNSUPPORTED: msr_filter.c's exits) */
	if (!host)
		return MSR_UNSUPPORTED;
	/* userspace may read, and write 0 to, any MSR KVM advertises */
	return !*v && kvm_is_advertised_msr(idx) ? 0 : 1;
}

int kvm_set_msr_common(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t data)
{
	return kvm_msr_access(vcpu, idx, &data, true, false);
}

int kvm_get_msr_common(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t *data)
{
	return kvm_msr_access(vcpu, idx, data, false, false);
}

int kvm_msr_host_access(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t *data, bool write)
{
	return kvm_msr_access(vcpu, idx, data, write, true);
}

/* The values kvm_vcpu_reset and kvm_arch_vcpu_create leave. */
void kvm_vcpu_msr_init(struct kvm_vcpu *vcpu)
{
	struct x86_vcpu_state *st = x86_state(vcpu);

	vcpu->msr_misc_enable = MISC_ENABLE_PMU_RO_MASK;
	st->mcg_cap = KVM_MAX_MCE_BANKS;
	for (int i = 0; i < KVM_MAX_MCE_BANKS; i++)
		st->mce_banks[i * 4] = ~0ull;	/* MCi_CTL: all reporting on */
	st->arch_capabilities = KVMSIM_ARCH_CAPABILITIES;
	st->ucode_rev = KVMSIM_UCODE_REV;
}

#define MAX_IO_MSRS	256

/*
 * KVM_GET_MSRS / KVM_SET_MSRS (msr_io): entries are processed in order
 * up to the first one refused; the count done is returned.
 */
long kvm_arch_vcpu_ioctl_msrs(struct kvm_vcpu *vcpu, bool set, void *uarg)
{
	struct kvm_msrs hdr;
	struct kvm_msr_entry ent;
	struct kvm_msrs *u = uarg;
	uint64_t data;
	uint32_t i;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= MAX_IO_MSRS)
		return -E2BIG;
	for (i = 0; i < hdr.nmsrs; i++) {
		if (copy_from_user(&ent, &u->entries[i], sizeof(ent)))
			return -EFAULT;
		data = ent.data;
		if (kvm_msr_access(vcpu, ent.index, &data, set, true))
			break;
		ent.data = data;
		if (!set && copy_to_user(&u->entries[i], &ent, sizeof(ent)))
			return -EFAULT;
	}
	return i;
}

/* kvm_get_msr_feature: the value /dev/kvm reports, or 1 if not a feature MSR */
static int kvm_get_msr_feature(uint32_t idx, uint64_t *data)
{
	switch (idx) {
	case MSR_IA32_ARCH_CAPABILITIES:
		*data = KVMSIM_ARCH_CAPABILITIES;
		return 0;
	case MSR_IA32_UCODE_REV:
		*data = KVMSIM_UCODE_REV;
		return 0;
	case MSR_IA32_PERF_CAPABILITIES:
		*data = 0;
		return 0;
	}
	return 1;
}

/* KVM_GET_MSR_INDEX_LIST / KVM_GET_MSR_FEATURE_INDEX_LIST: E2BIG with the count */
static long get_msr_list(void *uarg, const uint32_t *list, uint32_t n)
{
	struct kvm_msr_list hdr, *u = uarg;
	uint32_t want;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	want = hdr.nmsrs;
	hdr.nmsrs = n;
	if (copy_to_user(u, &hdr, sizeof(hdr)))
		return -EFAULT;
	if (want < n)
		return -E2BIG;
	return copy_to_user(u->indices, list, n * sizeof(list[0])) ? -EFAULT : 0;
}

/* The MSR ioctls of /dev/kvm. */
long kvm_dev_ioctl_msr(unsigned int cmd, void *uarg)
{
	struct kvm_msrs hdr;
	struct kvm_msr_entry ent;
	struct kvm_msrs *u = uarg;
	uint64_t data;
	uint32_t i;

	if (cmd == KVM_GET_MSR_INDEX_LIST)
		return get_msr_list(uarg, msrs_to_save, ARRAY_LEN(msrs_to_save));
	if (cmd == KVM_GET_MSR_FEATURE_INDEX_LIST)
		return get_msr_list(uarg, feature_msrs, ARRAY_LEN(feature_msrs));
	/* KVM_GET_MSRS on /dev/kvm: msr_io with do_get_feature_msr */
	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs >= MAX_IO_MSRS)
		return -E2BIG;
	for (i = 0; i < hdr.nmsrs; i++) {
		if (copy_from_user(&ent, &u->entries[i], sizeof(ent)))
			return -EFAULT;
		if (kvm_get_msr_feature(ent.index, &data))
			break;
		ent.data = data;
		if (copy_to_user(&u->entries[i], &ent, sizeof(ent)))
			return -EFAULT;
	}
	return i;
}
