// SPDX-License-Identifier: MIT
/*
 * The time-stamp counter (arch/x86/kvm/x86.c: kvm_set_tsc_khz,
 * kvm_read_l1_tsc, kvm_synchronize_tsc, the KVM_VCPU_TSC_OFFSET
 * attribute).  The host TSC is the virtual clock at KVMSIM_TSC_KHZ
 * (1 GHz: a tick per virtual nanosecond), so a guest's TSC advances
 * with its instructions and with the time it spends halted or waiting,
 * the same on every run.  As on a host with TSC scaling (AMD's 8.32
 * ratio), a vCPU's TSC runs at KVM_SET_TSC_KHZ's frequency:
 *   guest TSC = (host TSC * ratio) >> 32 + offset.
 */
#include <errno.h>

#include "kvm-model/x86/x86_state.h"

/* kvm_caps.max_guest_tsc_khz: the ratio must stay below 256 */
static uint32_t max_guest_tsc_khz(void)
{
	unsigned __int128 khz = (unsigned __int128)KVM_TSC_RATIO_MAX * KVMSIM_TSC_KHZ;

	khz >>= KVM_TSC_RATIO_FRAC_BITS;
	return khz > 0xffffffffu ? 0xffffffffu : (uint32_t)khz;
}

static uint64_t rdtsc_host(void)
{
	/* KVMSIM_TSC_KHZ is 1 GHz: one tick per virtual ns */
	return sim_now();
}

static uint64_t kvm_scale_tsc(uint64_t tsc, uint64_t ratio)
{
	if (ratio == KVM_TSC_RATIO_DEFAULT)
		return tsc;
	return (uint64_t)(((unsigned __int128)tsc * ratio) >> KVM_TSC_RATIO_FRAC_BITS);
}

/* The guest TSC when the virtual clock reads now (a running vCPU's own view). */
uint64_t kvm_read_l1_tsc_at(struct kvm_vcpu *vcpu, uint64_t now)
{
	/* KVMSIM_TSC_KHZ is 1 GHz: the host TSC is virtual ns */
	return kvm_scale_tsc(now, x86_state(vcpu)->tsc_scaling_ratio) + vcpu->tsc_offset;
}

uint64_t kvm_read_l1_tsc(struct kvm_vcpu *vcpu)
{
	return kvm_read_l1_tsc_at(vcpu, rdtsc_host());
}

/* kvm_compute_l1_tsc_offset: the offset that makes the TSC read target now */
static uint64_t kvm_compute_l1_tsc_offset(struct kvm_vcpu *vcpu, uint64_t target)
{
	return target - kvm_scale_tsc(rdtsc_host(), x86_state(vcpu)->tsc_scaling_ratio);
}

/*
 * A host-initiated write of IA32_TSC (KVM_SET_MSRS, vCPU creation).  KVM
 * matches a write within a second of another vCPU's to that vCPU's
 * generation; kvmsim's vCPUs all start together on the virtual clock, so
 * the write simply sets the offset.  IA32_TSC_ADJUST is not touched.
 */
void kvm_synchronize_tsc(struct kvm_vcpu *vcpu, uint64_t data)
{
	vcpu->tsc_offset = kvm_compute_l1_tsc_offset(vcpu, data);
}

/* A guest WRMSR to IA32_TSC: the change also lands in IA32_TSC_ADJUST. */
void kvm_guest_write_tsc(struct kvm_vcpu *vcpu, uint64_t data)
{
	uint64_t adj = kvm_compute_l1_tsc_offset(vcpu, data) - vcpu->tsc_offset;

	vcpu->tsc_offset += adj;
	x86_state(vcpu)->ia32_tsc_adjust_msr += adj;
}

/* A guest WRMSR to IA32_TSC_ADJUST moves the TSC by the difference. */
void kvm_guest_adjust_tsc(struct kvm_vcpu *vcpu, uint64_t adjust)
{
	struct x86_vcpu_state *st = x86_state(vcpu);

	vcpu->tsc_offset += adjust - st->ia32_tsc_adjust_msr;
	st->ia32_tsc_adjust_msr = adjust;
}

/* kvm_set_tsc_khz with hardware TSC scaling: -1 for a ratio out of range */
static int kvm_set_tsc_khz(struct kvm_vcpu *vcpu, uint32_t user_tsc_khz)
{
	struct x86_vcpu_state *st = x86_state(vcpu);
	uint64_t ratio, lo, hi;

	if (!user_tsc_khz)
		return -1;
	/* tsc_tolerance_ppm (250): close enough runs unscaled */
	lo = (uint64_t)KVMSIM_TSC_KHZ * (1000000 - 250) / 1000000;
	hi = (uint64_t)KVMSIM_TSC_KHZ * (1000000 + 250) / 1000000;
	ratio = KVM_TSC_RATIO_DEFAULT;
	if (user_tsc_khz < lo || user_tsc_khz > hi)
		ratio = (uint64_t)(((unsigned __int128)user_tsc_khz << KVM_TSC_RATIO_FRAC_BITS) /
				   KVMSIM_TSC_KHZ);
	if (!ratio || ratio >= KVM_TSC_RATIO_MAX)
		return -1;
	/* as kvm_vcpu_write_tsc_multiplier: the offset stays, the TSC jumps */
	st->tsc_scaling_ratio = ratio;
	st->virtual_tsc_khz = user_tsc_khz;
	return 0;
}

void kvm_vcpu_tsc_init(struct kvm_vcpu *vcpu)
{
	struct x86_vcpu_state *st = x86_state(vcpu);

	st->tsc_scaling_ratio = KVM_TSC_RATIO_DEFAULT;
	st->virtual_tsc_khz = KVMSIM_TSC_KHZ;
	/* kvm_arch_vcpu_create: kvm_set_tsc_khz(default), then a TSC write of 0 */
	kvm_set_tsc_khz(vcpu, kvm_x86_vm(vcpu->kvm)->default_tsc_khz);
	kvm_synchronize_tsc(vcpu, 0);
}

/* KVM_SET_TSC_KHZ / KVM_GET_TSC_KHZ on a vCPU */
long kvm_vcpu_ioctl_tsc(struct kvm_vcpu *vcpu, unsigned int cmd, unsigned long arg)
{
	uint32_t khz = (uint32_t)arg;

	if (cmd == KVM_GET_TSC_KHZ)
		return x86_state(vcpu)->virtual_tsc_khz;
	if (khz >= max_guest_tsc_khz())
		return -EINVAL;
	if (!khz)
		khz = KVMSIM_TSC_KHZ;
	return kvm_set_tsc_khz(vcpu, khz) ? -EINVAL : 0;
}

/* ... and on the VM: the frequency of the vCPUs created from now on */
long kvm_vm_ioctl_tsc(struct kvm *kvm, unsigned int cmd, unsigned long arg)
{
	uint32_t khz = (uint32_t)arg;

	if (cmd == KVM_GET_TSC_KHZ)
		return kvm_x86_vm(kvm)->default_tsc_khz;
	if (khz >= max_guest_tsc_khz())
		return -EINVAL;
	kvm_x86_vm(kvm)->default_tsc_khz = khz ? khz : KVMSIM_TSC_KHZ;
	return 0;
}

/*
 * KVM_{HAS,GET,SET}_DEVICE_ATTR on a vCPU: group KVM_VCPU_TSC_CTRL,
 * attribute KVM_VCPU_TSC_OFFSET, the offset as a u64 at attr.addr
 * (kvm_arch_tsc_{has,get,set}_attr).
 */
long kvm_vcpu_tsc_attr(struct kvm_vcpu *vcpu, unsigned int cmd, void *uarg)
{
	struct kvm_device_attr attr;
	uint64_t off;

	if (copy_from_user(&attr, uarg, sizeof(attr)))
		return -EFAULT;
	if (attr.group != KVM_VCPU_TSC_CTRL)
		return -ENXIO;
	if (attr.attr != KVM_VCPU_TSC_OFFSET)
		return -ENXIO;
	switch (cmd) {
	case KVM_HAS_DEVICE_ATTR:
		return 0;
	case KVM_GET_DEVICE_ATTR:
		off = vcpu->tsc_offset;
		return copy_to_user((void *)(uintptr_t)attr.addr, &off, sizeof(off)) ?
		       -EFAULT : 0;
	default:
		if (copy_from_user(&off, (void *)(uintptr_t)attr.addr, sizeof(off)))
			return -EFAULT;
		vcpu->tsc_offset = off;
		return 0;
	}
}
