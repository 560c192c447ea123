// SPDX-License-Identifier: MIT
/*
 * CPUID (arch/x86/kvm/cpuid.c): what KVM_GET_SUPPORTED_CPUID reports, the
 * vCPU's table (KVM_SET_CPUID, KVM_SET_CPUID2, KVM_GET_CPUID2) and the
 * bits KVM keeps in step with the vCPU's state.
 *
 * The CPU kvmsim models is fixed, so a run never depends on the host: an
 * x86-64 core with what Unicorn executes and kvmsim emulates, and KVM's
 * PV leaves with the features kvmsim implements.  Every leaf up to the
 * maximum is listed, as KVM lists them (zero where the CPU has nothing to
 * say: caches, topology, PMU, XSAVE).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/profile.h"
#include "kvm-model/x86/x86_state.h"

#define KVM_MAX_CPUID_ENTRIES	256
#define SIG	KVM_CPUID_FLAG_SIGNIFCANT_INDEX

/* "GenuineIntel" as ebx, edx, ecx */
#define VENDOR_EBX	0x756e6547
#define VENDOR_EDX	0x49656e69
#define VENDOR_ECX	0x6c65746e

/* leaf 1: SSE3, CX16, x2APIC, hypervisor | FPU..CX8, APIC, SEP..PSE36, CLFLUSH, MMX..SSE2 */
#define CPUID_1_ECX	0x80202001u
#define CPUID_1_EDX	0x078bfbffu
#define CPUID_1_EDX_APIC	(1u << 9)
/* leaf 7: TSC_ADJUST | ARCH_CAPABILITIES (KVM emulates both on any host) */
#define CPUID_7_EBX	(1u << 1)
#define CPUID_7_EDX	(1u << 29)
/* 0x80000001: LAHF_LM | SYSCALL, NX, 1G pages, RDTSCP, LM */
#define CPUID_81_ECX	0x1u
#define CPUID_81_EDX	0x2c100800u
/* 0x80000007: invariant TSC (the virtual clock never stops) */
#define CPUID_87_EDX	(1u << 8)

/*
 * The KVM PV features kvmsim models: kvmclock (the new MSRs, a stable
 * clock), steal time (steal_time.c) and async PF (with interrupt delivery of 'page ready'; the
 * #PF-vmexit delivery bit is accepted, there is no nested guest to use it).  This host's 6.18 also reports kvmclock,
 * steal time, PV EOI and more (eax 0x1007efb).
 */
#define KVM_PV_FEATURES	((1u << KVM_FEATURE_ASYNC_PF) | (1u << KVM_FEATURE_ASYNC_PF_VMEXIT) | \
			 (1u << KVM_FEATURE_ASYNC_PF_INT) | (1u << KVM_FEATURE_CLOCKSOURCE2) | \
			 (1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT) | \
			 (1u << KVM_FEATURE_STEAL_TIME))

/* "kvmsim x86-64 CPU" padded with NULs, 16 bytes a leaf */
static const char brand[48] = "kvmsim x86-64 CPU";

static const struct kvm_cpuid_entry2 supported[] = {
	{ .function = 0, .eax = 0xd, .ebx = VENDOR_EBX, .ecx = VENDOR_ECX, .edx = VENDOR_EDX },
	{ .function = 1, .eax = 0x000806f8, .ebx = 0x00000800,
	  .ecx = CPUID_1_ECX, .edx = CPUID_1_EDX },
	{ .function = 2, .eax = 0x1 },
	{ .function = 3 },
	{ .function = 4, .flags = SIG },
	{ .function = 5 },
	/* KVM: "allow ARAT" */
	{ .function = 6, .eax = 0x4 },
	{ .function = 7, .index = 0, .flags = SIG, .eax = 1, .ebx = CPUID_7_EBX,
	  .edx = CPUID_7_EDX },
	{ .function = 7, .index = 1, .flags = SIG },
	{ .function = 8 },
	{ .function = 9 },
	/* no PMU */
	{ .function = 0xa },
	{ .function = 0xb, .flags = SIG },
	{ .function = 0xc },
	/* no XSAVE: XCR0's supported mask is empty */
	{ .function = 0xd, .index = 0, .flags = SIG },
	{ .function = 0xd, .index = 1, .flags = SIG },
	{ .function = 0x80000000, .eax = 0x80000008, .ebx = VENDOR_EBX, .ecx = VENDOR_ECX,
	  .edx = VENDOR_EDX },
	{ .function = 0x80000001, .ecx = CPUID_81_ECX, .edx = CPUID_81_EDX },
	{ .function = 0x80000002 },
	{ .function = 0x80000003 },
	{ .function = 0x80000004 },
	{ .function = 0x80000005 },
	{ .function = 0x80000006 },
	{ .function = 0x80000007, .edx = CPUID_87_EDX },
	/* 46 physical, 48 virtual address bits */
	{ .function = 0x80000008, .eax = 0x0000302e },
	/* KVM's leaves: "KVMKVMKVM\0\0\0", and the PV features modelled */
	{ .function = KVM_CPUID_SIGNATURE, .eax = KVM_CPUID_FEATURES,
	  .ebx = 0x4b4d564b, .ecx = 0x564b4d56, .edx = 0x4d },
	{ .function = KVM_CPUID_FEATURES, .eax = KVM_PV_FEATURES },
};

#define NR_SUPPORTED	(int)(sizeof(supported) / sizeof(supported[0]))

/* Returns the number of entries, or -E2BIG when max is too small. */
int kvm_arch_get_supported_cpuid(struct kvm_cpuid_entry2 *e, int max)
{
	if (max < NR_SUPPORTED)
		return -E2BIG;
	memcpy(e, supported, sizeof(supported));
	for (int i = 0; i < NR_SUPPORTED; i++) {
		uint32_t f = e[i].function;

		if (f >= 0x80000002 && f <= 0x80000004)
			memcpy(&e[i].eax, brand + (f - 0x80000002) * 16, 16);
		/* seed 001: the guest learns it may ask for 'page error' */
		if (f == KVM_CPUID_FEATURES && kvm_rule_on(RULE_APF_ERROR_STATE))
			e[i].eax |= 1u << KVM_FEATURE_ASYNC_PF_ERROR;
	}
	return NR_SUPPORTED;
}

/*
 * KVM_GET_EMULATED_CPUID: what KVM emulates beyond the hardware (MOVBE,
 * RDPID).  kvmsim's engine executes MOVBE whatever CPUID says; nothing
 * else is emulated.
 */
static int get_emulated_cpuid(struct kvm_cpuid_entry2 *e, int max)
{
	static const struct kvm_cpuid_entry2 emulated[] = {
		{ .function = 0, .eax = 7 },
		{ .function = 1, .ecx = 1u << 22 },
		{ .function = 7, .flags = SIG },
	};
	int n = sizeof(emulated) / sizeof(emulated[0]);

	if (max < n)
		return -E2BIG;
	memcpy(e, emulated, sizeof(emulated));
	return n;
}

/* KVM_GET_SUPPORTED_CPUID / KVM_GET_EMULATED_CPUID on /dev/kvm */
long kvm_dev_ioctl_get_cpuid(unsigned int cmd, void *uarg)
{
	struct kvm_cpuid2 hdr, *u = uarg;
	struct kvm_cpuid_entry2 tmp[KVM_MAX_CPUID_ENTRIES];
	uint32_t pad[3];
	int n;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < 1)
		return -E2BIG;
	if (hdr.nent > KVM_MAX_CPUID_ENTRIES)
		hdr.nent = KVM_MAX_CPUID_ENTRIES;
	/* sanity_check_entries: only the emulated list insists on clean padding */
	for (uint32_t i = 0; cmd == KVM_GET_EMULATED_CPUID && i < hdr.nent; i++) {
		if (copy_from_user(pad, u->entries[i].padding, sizeof(pad)))
			return -EINVAL;
		if (pad[0] || pad[1] || pad[2])
			return -EINVAL;
	}
	n = cmd == KVM_GET_EMULATED_CPUID ? get_emulated_cpuid(tmp, hdr.nent) :
	    kvm_arch_get_supported_cpuid(tmp, hdr.nent);
	if (n < 0)
		return n;
	hdr.nent = n;
	if (copy_to_user(u->entries, tmp, n * sizeof(tmp[0])) ||
	    copy_to_user(u, &hdr, sizeof(hdr)))
		return -EFAULT;
	return 0;
}

static const struct kvm_cpuid_entry2 *cpuid_entry_in(const struct kvm_cpuid_entry2 *e, int nent,
						      uint32_t fn, uint32_t idx)
{
	for (int i = 0; i < nent; i++) {
		if (e[i].function != fn)
			continue;
		if ((e[i].flags & SIG) && e[i].index != idx)
			continue;
		return &e[i];
	}
	return NULL;
}

const struct kvm_cpuid_entry2 *kvm_find_cpuid_entry_index(struct kvm_vcpu *vcpu,
							  uint32_t fn, uint32_t idx)
{
	return cpuid_entry_in(vcpu->cpuid, vcpu->cpuid_nent, fn, idx);
}

bool guest_cpuid_has(struct kvm_vcpu *vcpu, uint32_t fn, uint32_t idx, int reg, int bit)
{
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry_index(vcpu, fn, idx);

	return e && ((&e->eax)[reg] >> bit & 1);
}

/* cpuid_query_maxphyaddr: 36 without leaf 0x80000008 */
int kvm_cpuid_maxphyaddr(struct kvm_vcpu *vcpu)
{
	const struct kvm_cpuid_entry2 *e = kvm_find_cpuid_entry_index(vcpu, 0x80000000, 0);

	if (!e || e->eax < 0x80000008)
		return 36;
	e = kvm_find_cpuid_entry_index(vcpu, 0x80000008, 0);
	return e ? (e->eax & 0xff) : 36;
}

/* __kvm_update_cpuid_runtime: CPUID.1:EDX.APIC follows IA32_APIC_BASE.EN */
static void update_cpuid_runtime(struct kvm_vcpu *vcpu, struct kvm_cpuid_entry2 *e, int nent)
{
	for (int i = 0; i < nent; i++) {
		if (e[i].function != 1)
			continue;
		if (vcpu->sregs.apic_base & (1u << 11))
			e[i].edx |= CPUID_1_EDX_APIC;
		else
			e[i].edx &= ~CPUID_1_EDX_APIC;
	}
}

void kvm_update_cpuid_runtime(struct kvm_vcpu *vcpu)
{
	update_cpuid_runtime(vcpu, vcpu->cpuid, vcpu->cpuid_nent);
}

/* kvm_check_cpuid: only 48- or 57-bit virtual addresses (or none said) */
static int kvm_check_cpuid(const struct kvm_cpuid_entry2 *e, int nent)
{
	for (int i = 0; i < nent; i++) {
		int vaddr_bits = (e[i].eax & 0xff00) >> 8;

		if (e[i].function == 0x80000008 &&
		    vaddr_bits != 48 && vaddr_bits != 57 && vaddr_bits != 0)
			return -EINVAL;
	}
	return 0;
}

/*
 * __cr4_reserved_bits (x86.h): a CR4 bit whose feature a CPUID table
 * lacks is reserved.  Over KVM's own supported table it is KVM's
 * cr4_reserved_bits; over the vCPU's table (kvm_vcpu_after_set_cpuid) the
 * vCPU's cr4_guest_rsvd_bits, zero until the first KVM_SET_CPUID2.
 */

static const struct cr4_feature {
	uint32_t fn, idx;
	int reg, bit;
	uint64_t cr4;
} cr4_features[] = {
	{ 1, 0, CPUID_ECX, 26, 1ull << 18 },	/* XSAVE: OSXSAVE */
	{ 7, 0, CPUID_EBX, 7, 1ull << 20 },	/* SMEP */
	{ 7, 0, CPUID_EBX, 20, 1ull << 21 },	/* SMAP */
	{ 7, 0, CPUID_EBX, 0, 1ull << 16 },	/* FSGSBASE */
	{ 7, 0, CPUID_ECX, 3, 1ull << 22 },	/* PKU: PKE */
	{ 7, 0, CPUID_ECX, 16, 1ull << 12 },	/* LA57 */
	{ 7, 0, CPUID_ECX, 2, 1ull << 11 },	/* UMIP */
	{ 1, 0, CPUID_ECX, 5, 1ull << 13 },	/* VMX: VMXE */
	{ 1, 0, CPUID_ECX, 17, 1ull << 17 },	/* PCID: PCIDE */
	{ 7, 1, CPUID_EAX, 26, 1ull << 28 },	/* LAM: LAM_SUP */
};

/*
 * CR4_RESERVED_BITS (6.12): every bit but VME..OSXMMEXCPT, UMIP, LA57,
 * VMXE, FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP, PKE and LAM_SUP.
 */
#define CR4_RESERVED_BITS	(~0x10773fffull)

static uint64_t cr4_reserved_bits(const struct kvm_cpuid_entry2 *e, int nent)
{
	uint64_t rsvd = CR4_RESERVED_BITS;

	for (size_t i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++) {
		const struct cr4_feature *f = &cr4_features[i];
		const struct kvm_cpuid_entry2 *c = cpuid_entry_in(e, nent, f->fn, f->idx);

		if (!c || !((&c->eax)[f->reg] >> f->bit & 1))
			rsvd |= f->cr4;
	}
	return rsvd;
}

/* KVM's cr4_reserved_bits: the CPU kvmsim models, or the host's (profile host) */
uint64_t kvm_cr4_reserved_bits(void)
{
	uint64_t host;

	if (kvm_rule_on(RULE_HOST_CAPS) && kvm_host_cr4_reserved_bits(&host))
		return host;
	return cr4_reserved_bits(supported, NR_SUPPORTED);
}

/* kvm_set_cpuid: after the first KVM_RUN only the same table is accepted */
static int kvm_set_cpuid(struct kvm_vcpu *vcpu, struct kvm_cpuid_entry2 *e, int nent)
{
	int r;

	update_cpuid_runtime(vcpu, e, nent);
	if (x86_state(vcpu)->has_run) {
		if (nent != vcpu->cpuid_nent)
			return -EINVAL;
		for (int i = 0; i < nent; i++) {
			const struct kvm_cpuid_entry2 *o = &vcpu->cpuid[i];

			if (e[i].function != o->function || e[i].index != o->index ||
			    e[i].flags != o->flags || e[i].eax != o->eax ||
			    e[i].ebx != o->ebx || e[i].ecx != o->ecx || e[i].edx != o->edx)
				return -EINVAL;
		}
		return 0;
	}
	r = kvm_check_cpuid(e, nent);
	if (r)
		return r;
	memcpy(vcpu->cpuid, e, nent * sizeof(*e));
	vcpu->cpuid_nent = nent;
	x86_state(vcpu)->cr4_guest_rsvd_bits = cr4_reserved_bits(e, nent);
	return 0;
}

/* KVM_SET_CPUID: struct kvm_cpuid_entry, no index or flags */
static long set_cpuid1(struct kvm_vcpu *vcpu, void *uarg)
{
	struct kvm_cpuid hdr;
	struct kvm_cpuid_entry old;
	struct kvm_cpuid_entry2 *e;
	long r = 0;

	if (copy_from_user(&hdr, uarg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	e = calloc(hdr.nent ? hdr.nent : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (uint32_t i = 0; i < hdr.nent && !r; i++) {
		if (copy_from_user(&old, (char *)uarg + sizeof(hdr) + i * sizeof(old),
				   sizeof(old))) {
			r = -EFAULT;
			break;
		}
		e[i] = (struct kvm_cpuid_entry2){ .function = old.function, .eax = old.eax,
						  .ebx = old.ebx, .ecx = old.ecx,
						  .edx = old.edx };
	}
	if (!r)
		r = kvm_set_cpuid(vcpu, e, hdr.nent);
	free(e);
	return r;
}

static long set_cpuid2(struct kvm_vcpu *vcpu, void *uarg)
{
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid_entry2 *e;
	long r;

	if (copy_from_user(&hdr, uarg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	e = calloc(hdr.nent ? hdr.nent : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	r = copy_from_user(e, (char *)uarg + sizeof(hdr), hdr.nent * sizeof(*e));
	if (!r)
		r = kvm_set_cpuid(vcpu, e, hdr.nent);
	free(e);
	return r;
}

/* KVM_GET_CPUID2: E2BIG (nent untouched) when the caller's array is short */
static long get_cpuid2(struct kvm_vcpu *vcpu, void *uarg)
{
	struct kvm_cpuid2 hdr, *u = uarg;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent < (uint32_t)vcpu->cpuid_nent)
		return -E2BIG;
	if (copy_to_user(u->entries, vcpu->cpuid, vcpu->cpuid_nent * sizeof(vcpu->cpuid[0])))
		return -EFAULT;
	hdr.nent = vcpu->cpuid_nent;
	return copy_to_user(u, &hdr, sizeof(hdr)) ? -EFAULT : 0;
}

long kvm_vcpu_ioctl_cpuid(struct kvm_vcpu *vcpu, unsigned int cmd, void *uarg)
{
	switch (cmd) {
	case KVM_SET_CPUID:
		return set_cpuid1(vcpu, uarg);
	case KVM_SET_CPUID2:
		return set_cpuid2(vcpu, uarg);
	default:
		return get_cpuid2(vcpu, uarg);
	}
}
