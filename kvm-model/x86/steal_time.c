// SPDX-License-Identifier: MIT
/*
 * PV steal time (arch/x86/kvm/x86.c: MSR_KVM_STEAL_TIME in
 * kvm_set_msr_common, record_steal_time): the guest names a 64-byte
 * aligned struct kvm_steal_time, and at every entry (KVM_REQ_STEAL_UPDATE,
 * made by each vcpu_load, that is each KVM_RUN) KVM adds to its `steal`
 * the time the vCPU's task waited for a CPU since the last entry: the
 * task's run_delay (/proc/TID/schedstat's second field), the version odd
 * while it writes.
 *
 * The task is the thread in KVM_RUN; kvmsim runs the guest on the vCPU's
 * own actor, whose waits for the one simulated CPU are credited to that
 * thread (kvm_main.c), so its schedstat and the steal agree.
 */
#include <stddef.h>
#include <stdint.h>

#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"
#include "sim/sim.h"

#define KVM_MSR_ENABLED		1
/* KVM_VCPU_PREEMPTED's neighbour: the guest asks for a flush at the next entry */
#define KVM_VCPU_FLUSH_TLB	(1 << 1)

/* arch/x86/include/uapi/asm/kvm_para.h */
struct kvm_steal_time {
	uint64_t steal;
	uint32_t version;
	uint32_t flags;
	uint8_t preempted;
	uint8_t u8_pad[3];
	uint32_t pad[11];
};

/* kvm_set_msr_common's MSR_KVM_STEAL_TIME: 1 when refused (#GP / not done) */
int kvm_set_steal_time_msr(struct kvm_vcpu *vcpu, uint64_t data)
{
	if (data & KVM_STEAL_RESERVED_MASK)
		return 1;
	x86_state(vcpu)->st_msr_val = data;
	return 0;
}

uint64_t kvm_get_steal_time_msr(struct kvm_vcpu *vcpu)
{
	return x86_state(vcpu)->st_msr_val;
}

static uint64_t task_run_delay(struct kvm_vcpu *vcpu)
{
	struct sim_schedstat s;

	if (!vcpu->run_caller)
		return 0;
	sim_actor_schedstat(vcpu->run_caller, &s);
	return s.delay_ns;
}

void record_steal_time(struct kvm_vcpu *vcpu)
{
	struct x86_vcpu_state *st = x86_state(vcpu);
	uint64_t gpa = st->st_msr_val & KVM_STEAL_VALID_BITS, bad, steal, delay;
	uint32_t version;
	uint8_t preempted, zero = 0;

	if (!(st->st_msr_val & KVM_MSR_ENABLED))
		return;
	/*
	 * Without KVM_CAP_ENFORCE_PV_FEATURE_CPUID guest_pv_has() says yes to
	 * PV_TLB_FLUSH: the byte is exchanged for 0 and a flush it asked for done.
	 */
	if (kvm_vcpu_read_guest(vcpu, gpa + offsetof(struct kvm_steal_time, preempted),
				&preempted, 1, &bad) ||
	    kvm_vcpu_write_guest(vcpu, gpa + offsetof(struct kvm_steal_time, preempted),
				 &zero, 1, &bad))
		return;
	if (preempted & KVM_VCPU_FLUSH_TLB)
		uc_flush_all(vcpu, "kvm_pv_tlb_flush");
	if (kvm_vcpu_read_guest(vcpu, gpa + offsetof(struct kvm_steal_time, version),
				&version, sizeof(version), &bad))
		return;
	/* first time write, random junk */
	if (version & 1)
		version += 1;
	version += 1;
	if (kvm_vcpu_write_guest(vcpu, gpa + offsetof(struct kvm_steal_time, version),
				 &version, sizeof(version), &bad) ||
	    kvm_vcpu_read_guest(vcpu, gpa, &steal, sizeof(steal), &bad))
		return;
	delay = task_run_delay(vcpu);
	steal += delay - st->st_last_steal;
	st->st_last_steal = delay;
	version += 1;
	if (kvm_vcpu_write_guest(vcpu, gpa, &steal, sizeof(steal), &bad))
		return;
	(void)kvm_vcpu_write_guest(vcpu, gpa + offsetof(struct kvm_steal_time, version),
				   &version, sizeof(version), &bad);
}
