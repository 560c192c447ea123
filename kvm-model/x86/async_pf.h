/* SPDX-License-Identifier: MIT */
/*
 * x86 paravirtual async page faults (arch/x86/kvm/x86.c, virt/kvm/async_pf.c)
 * and the little of the in-kernel local APIC they need to deliver 'page
 * ready' (arch/x86/kvm/lapic.c): IRR/ISR, TPR, the spurious-vector
 * register's enable bit, EOI, in x2APIC mode through MSRs.
 *
 * A guest fault whose host page would make GUP sleep (a userfaultfd-armed
 * missing page) or fail with the VMA still there (a truncated file) is
 * handed to a worker actor (async_pf_execute, the kworker running
 * schedule_work's item); the guest gets 'page not present' (#PF, token in
 * CR2) and runs on; the worker's completion is turned into 'page ready'
 * (the vector of MSR_KVM_ASYNC_PF_INT, token in the shared area) at the
 * vCPU's next guest entry, after a prefetch fault installed the page.
 */
#ifndef KVMSIM_X86_ASYNC_PF_H
#define KVMSIM_X86_ASYNC_PF_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm-model/x86/lapic.h"
#include "sim/sim.h"

struct kvm_vcpu;
struct kvm_page_fault;

#define ASYNC_PF_PER_VCPU	64

/* One outstanding async fault (struct kvm_async_pf + kvm_arch_async_pf). */
struct kvm_async_pf {
	struct kvm_async_pf *queue_next;	/* vcpu's queue: all outstanding */
	struct kvm_async_pf *done_next;		/* vcpu's done list, FIFO */
	struct kvm_vcpu *vcpu;
	uint64_t cr2_or_gpa;
	uint64_t addr;			/* hva */
	uint64_t gfn;
	uint32_t token;
	uint32_t error_code;
	bool wakeup_all;
	bool notpresent_injected;
	int gup_error;			/* what get_user_pages_remote gave: 0 or -errno */
};

/* vcpu->arch.apf */
struct kvm_vcpu_apf {
	uint64_t msr_en_val;		/* MSR_KVM_ASYNC_PF_EN */
	uint64_t msr_int_val;		/* MSR_KVM_ASYNC_PF_INT */
	uint8_t vec;
	uint32_t id;			/* token allocator */
	bool send_always;
	bool delivery_as_pf_vmexit;
	bool pageready_pending;
	bool halted;			/* KVM_REQ_APF_HALT: synthetic halt */
	uint64_t data_gpa;		/* the kvm_vcpu_pv_apf_data area */
	uint64_t gfns[ASYNC_PF_PER_VCPU];	/* in flight, ~0 = free */
	uint64_t error_gfn;		/* seed 001 patch 1/3: refault it synchronously */
	bool pf_pending;		/* 'page not present' #PF queued for entry */
	uint32_t pf_token;
	/* virt/kvm/async_pf.c: vcpu->async_pf */
	struct kvm_async_pf *queue;
	struct kvm_async_pf *done, *done_tail;
	int queued;
	unsigned int workers;		/* names kworker actors */
	/*
	 * The livelock oracle for async faults: a gfn that goes async again
	 * and again while its page is never mapped.  (kvm_livelock_check's
	 * count restarts on every other gfn's fault, and delivering 'page
	 * not present' and 'page ready' always touches other pages.)
	 */
	uint64_t livelock_gfn;
	uint64_t livelock_count;
	struct sim_waitq wq;		/* kvm_vcpu_block */
};

/* ---- async_pf.c ---- */
void kvm_async_pf_vcpu_init(struct kvm_vcpu *vcpu);
/* The PV MSRs: 0, or 1 for #GP (kvm_set_msr_common / kvm_get_msr_common). */
int kvm_pv_async_pf_msr_write(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data);
int kvm_pv_async_pf_msr_read(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t *data);
bool kvm_is_pv_async_pf_msr(uint32_t msr);
/*
 * __kvm_faultin_pfn's async step, for a guest fault whose FOLL_NOWAIT GUP
 * said KVM_PFN_ERR_NEEDS_IO: true if the fault was made asynchronous (or
 * the vCPU halts for one in flight) and the fault is RET_PF_RETRY.
 */
bool kvm_can_do_async_pf(struct kvm_vcpu *vcpu, uint64_t gfn);
bool kvm_faultin_pfn_async(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault);
/*
 * Every guest entry (vcpu_enter_guest's requests, inject_pending_event):
 * the synthetic halt, completed work ('page ready'), a queued 'page not
 * present' #PF, and a pending APIC interrupt.  0 to enter the guest, 1
 * with an exit ready (a triple fault), -errno.
 */
int kvm_x86_prepare_entry(struct kvm_vcpu *vcpu);
void kvm_check_async_pf_completion(struct kvm_vcpu *vcpu);

#endif
