// SPDX-License-Identifier: MIT
/*
 * kvmclock (arch/x86/kvm/x86.c: KVM_GET_CLOCK / KVM_SET_CLOCK,
 * kvm_write_system_time, kvm_guest_time_update, kvm_write_wall_clock).
 * The VM's clock is the virtual clock plus the offset KVM_SET_CLOCK
 * chose; a vCPU's pvclock page (MSR_KVM_SYSTEM_TIME_NEW) holds a
 * (TSC, system time) pair and the TSC-to-ns scale, rewritten when the
 * MSR is written and at every KVM_RUN, so the guest's
 *   system_time + scale(rdtsc() - tsc_timestamp)
 * is the VM's clock at the moment of its RDTSC.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "kvm-model/x86/x86_state.h"
#include "posix/posix.h"

#define KVM_MSR_ENABLED			1
#define PVCLOCK_TSC_STABLE_BIT		(1 << 0)
#define KVM_CLOCK_VALID_FLAGS		(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | \
					 KVM_CLOCK_HOST_TSC)
#define NSEC_PER_SEC			1000000000ull

struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};

struct pvclock_wall_clock {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
};

static uint64_t get_kvmclock_ns(struct kvm *kvm)
{
	return sim_now() + kvm->x86->kvmclock_offset;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	posix_clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

uint32_t kvm_clock_valid_flags(void)
{
	return KVM_CLOCK_VALID_FLAGS;
}

/* KVM_GET_CLOCK / KVM_SET_CLOCK on the VM */
long kvm_vm_ioctl_clock(struct kvm *kvm, unsigned int cmd, void *uarg)
{
	struct kvm_clock_data data;
	uint64_t now;

	if (cmd == KVM_GET_CLOCK) {
		memset(&data, 0, sizeof(data));
		data.clock = get_kvmclock_ns(kvm);
		data.flags = KVM_CLOCK_VALID_FLAGS;
		data.realtime = realtime_ns();
		data.host_tsc = sim_now();	/* the host TSC, 1 GHz */
		return copy_to_user(uarg, &data, sizeof(data)) ? -EFAULT : 0;
	}
	if (copy_from_user(&data, uarg, sizeof(data)))
		return -EFAULT;
	if (data.flags & ~KVM_CLOCK_VALID_FLAGS)
		return -EINVAL;
	/* time that passed since data.realtime counts too */
	if (data.flags & KVM_CLOCK_REALTIME) {
		now = realtime_ns();
		if (now > data.realtime)
			data.clock += now - data.realtime;
	}
	kvm->x86->kvmclock_offset = data.clock - sim_now();
	return 0;
}

/* kvm_get_time_scale: ns = (ticks << shift) * mul >> 32 for a TSC of tsc_hz */
static void kvm_get_time_scale(uint64_t scaled_hz, uint64_t base_hz, int8_t *pshift,
			       uint32_t *pmul)
{
	uint64_t scaled64, tps64 = base_hz;
	int32_t shift = 0;
	uint32_t tps32;

	scaled64 = scaled_hz;
	while (tps64 > scaled64 * 2 || tps64 & 0xffffffff00000000ull) {
		tps64 >>= 1;
		shift--;
	}
	tps32 = (uint32_t)tps64;
	while (tps32 <= scaled64 || scaled64 & 0xffffffff00000000ull) {
		if (scaled64 & 0xffffffff00000000ull || tps32 & 0x80000000)
			scaled64 >>= 1;
		else
			tps32 <<= 1;
		shift++;
	}
	*pshift = shift;
	*pmul = (uint32_t)((scaled64 << 32) / tps32);
}

/* kvm_guest_time_update: the pvclock page, version odd while it changes */
void kvm_guest_time_update(struct kvm_vcpu *vcpu)
{
	struct x86_vcpu_state *st = x86_state(vcpu);
	struct pvclock_vcpu_time_info pv;
	uint64_t gpa = st->system_time & ~1ull, bad;

	if (!(st->system_time & KVM_MSR_ENABLED))
		return;
	memset(&pv, 0, sizeof(pv));
	st->pvclock_version += 2;
	pv.version = st->pvclock_version - 1;
	if (kvm_vcpu_write_guest(vcpu, gpa, &pv, sizeof(pv.version), &bad))
		return;
	pv.tsc_timestamp = kvm_read_l1_tsc(vcpu);
	pv.system_time = get_kvmclock_ns(vcpu->kvm);
	kvm_get_time_scale(NSEC_PER_SEC, st->virtual_tsc_khz * 1000ull, &pv.tsc_shift,
			   &pv.tsc_to_system_mul);
	pv.flags = PVCLOCK_TSC_STABLE_BIT;
	if (kvm_vcpu_write_guest(vcpu, gpa, &pv, sizeof(pv), &bad))
		return;
	pv.version = st->pvclock_version;
	(void)kvm_vcpu_write_guest(vcpu, gpa, &pv, sizeof(pv.version), &bad);
}

/* MSR_KVM_SYSTEM_TIME_NEW: bit 0 enables the page at the rest of the value */
void kvm_write_system_time(struct kvm_vcpu *vcpu, uint64_t data)
{
	x86_state(vcpu)->system_time = data;
	kvm_guest_time_update(vcpu);
}

/* MSR_KVM_WALL_CLOCK_NEW: the wall-clock time at which kvmclock read 0 */
void kvm_write_wall_clock(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct pvclock_wall_clock wc;
	uint64_t boot = realtime_ns() - get_kvmclock_ns(vcpu->kvm), bad;
	struct kvm_x86_vm_state *vm = vcpu->kvm->x86;

	vm->wall_clock = gpa;
	vm->wall_clock_version += 2;
	wc.version = vm->wall_clock_version;
	wc.sec = (uint32_t)(boot / NSEC_PER_SEC);
	wc.nsec = (uint32_t)(boot % NSEC_PER_SEC);
	(void)kvm_vcpu_write_guest(vcpu, gpa, &wc, sizeof(wc), &bad);
}
