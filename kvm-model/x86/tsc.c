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

#include "kvm-model/kvmsim.h"
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

uint64_t kvmsim_host_tsc(void)
{
	return rdtsc_host();
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
 * nsec_to_cycles: ns of the virtual clock in this vCPU's TSC ticks (the
 * kernel's mult/shift pair approximates the same quotient).
 */
static uint64_t nsec_to_cycles(struct kvm_vcpu *vcpu, uint64_t nsec)
{
	return (uint64_t)((unsigned __int128)nsec * x86_state(vcpu)->virtual_tsc_khz / 1000000);
}

/*
 * __kvm_synchronize_tsc: set the offset and record the write; an
 * unmatched write starts a new generation of matched writes.  kvmsim's
 * host TSC is stable and common to every vCPU, so there is no master
 * clock to update (kvm_track_tsc_matching).
 */
static void __kvm_synchronize_tsc(struct kvm_vcpu *vcpu, uint64_t offset, uint64_t tsc,
				  uint64_t ns, bool matched)
{
	struct kvm_x86_vm_state *ks = kvm_x86_vm(vcpu->kvm);
	struct x86_vcpu_state *st = x86_state(vcpu);

	ks->last_tsc_nsec = ns;
	ks->last_tsc_write = tsc;
	ks->last_tsc_khz = st->virtual_tsc_khz;
	ks->last_tsc_offset = offset;
	st->last_guest_tsc = tsc;
	vcpu->tsc_offset = offset;

	if (!matched) {
		ks->cur_tsc_generation++;
		ks->cur_tsc_nsec = ns;
		ks->cur_tsc_write = tsc;
		ks->cur_tsc_offset = offset;
		ks->nr_vcpus_matched_tsc = 0;
	} else if (st->this_tsc_generation != ks->cur_tsc_generation) {
		ks->nr_vcpus_matched_tsc++;
	}
	st->this_tsc_generation = ks->cur_tsc_generation;
	st->this_tsc_nsec = ks->cur_tsc_nsec;
	st->this_tsc_write = ks->cur_tsc_write;
}

/*
 * kvm_synchronize_tsc: a host-side TSC write, user_value from
 * KVM_SET_MSRS(IA32_TSC) or NULL at vCPU creation.  Linux infers that
 * writes meant to synchronize the vCPUs' TSCs join the current
 * generation: creation, and a write of 0, always do; a user write of
 * another value does once userspace has written a TSC before (6.12's
 * user_set_tsc) and it is within a second of TSC ticks of the last write
 * plus the time since.  A matching write at the same frequency as the
 * last takes the generation's offset (the TSC is stable), so vCPUs
 * created after the first one's TSC was set read the same TSC.
 * IA32_TSC_ADJUST is not touched.
 */
void kvm_synchronize_tsc(struct kvm_vcpu *vcpu, const uint64_t *user_value)
{
	struct kvm_x86_vm_state *ks = kvm_x86_vm(vcpu->kvm);
	struct x86_vcpu_state *st = x86_state(vcpu);
	uint64_t data = user_value ? *user_value : 0;
	uint64_t offset, ns, elapsed, tsc_exp, tsc_hz;
	bool synchronizing = false, matched = false;

	offset = kvm_compute_l1_tsc_offset(vcpu, data);
	ns = sim_now();		/* get_kvmclock_base_ns */
	elapsed = ns - ks->last_tsc_nsec;

	if (st->virtual_tsc_khz) {
		if (data == 0) {
			synchronizing = true;
		} else if (ks->user_set_tsc) {
			tsc_exp = ks->last_tsc_write + nsec_to_cycles(vcpu, elapsed);
			tsc_hz = (uint64_t)st->virtual_tsc_khz * 1000;
			synchronizing = data < tsc_exp + tsc_hz && data + tsc_hz > tsc_exp;
		}
	}
	if (user_value)
		ks->user_set_tsc = true;
	if (synchronizing && st->virtual_tsc_khz == ks->last_tsc_khz) {
		offset = ks->cur_tsc_offset;
		matched = true;
	}
	__kvm_synchronize_tsc(vcpu, offset, data, ns, matched);
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
	/* kvm_arch_vcpu_postcreate */
	kvm_synchronize_tsc(vcpu, NULL);
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
 * kvm_arch_tsc_set_attr's KVM_VCPU_TSC_OFFSET: the offset as given, a
 * user TSC write that matches the current generation when it is that
 * generation's last offset at the same frequency.
 */
static void kvm_arch_tsc_set_offset(struct kvm_vcpu *vcpu, uint64_t offset)
{
	struct kvm_x86_vm_state *ks = kvm_x86_vm(vcpu->kvm);
	struct x86_vcpu_state *st = x86_state(vcpu);
	bool matched = st->virtual_tsc_khz && ks->last_tsc_khz == st->virtual_tsc_khz &&
		       ks->last_tsc_offset == offset;
	uint64_t tsc = kvm_scale_tsc(rdtsc_host(), st->tsc_scaling_ratio) + offset;

	ks->user_set_tsc = true;
	__kvm_synchronize_tsc(vcpu, offset, tsc, sim_now(), matched);
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
		kvm_arch_tsc_set_offset(vcpu, off);
		return 0;
	}
}
