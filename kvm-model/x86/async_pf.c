// SPDX-License-Identifier: MIT
/*
 * x86 paravirtual async page faults, mirroring arch/x86/kvm/x86.c
 * (kvm_pv_enable_async_pf, kvm_can_do_async_pf, kvm_arch_async_page_*),
 * arch/x86/kvm/mmu/mmu.c (kvm_arch_setup_async_pf, the async step of
 * __kvm_faultin_pfn) and virt/kvm/async_pf.c (kvm_setup_async_pf,
 * async_pf_execute, kvm_check_async_pf_completion).
 *
 * The kworker that runs async_pf_execute is an actor of its own, so its
 * GUP may sleep in handle_userfault while the vCPU runs the guest on, and
 * every interleaving of the two is a scheduling choice.
 *
 * Rules (kvm-model/profile.h):
 *   default                merged Linux: the worker's GUP error is not
 *                          looked at, 'page ready' anyway, the refault
 *                          goes async again, forever (seed 001's bug)
 *   apf-sync-after-error   seed 001 patch 1/3: the gfn whose async GUP
 *                          failed is refaulted synchronously, so the
 *                          error pfn reaches KVM_RUN (-EFAULT)
 *   apf-error-state        seed 001 patch 2/3: a guest that opted in
 *                          (KVM_ASYNC_PF_SEND_ERROR) gets 'page ready'
 *                          with KVM_PV_REASON_PAGE_ERROR in ready_flags
 *   apf-fill-on-completion the worker writes a memory-fault exit into
 *                          the vCPU's kvm_run when its GUP is done
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kvm-model/kvm_mmu.h"
#include "kvm-model/profile.h"
#include "kvm-model/userfaultfd.h"
#include "sim/oracle.h"
#include "kvm-model/x86/uc_internal.h"
#include "mmu-model/hostmem.h"

#define APF_WORKER_STACK	(256u << 10)
#define X86_EFLAGS_IF		(1ull << 9)

static struct kvm_vcpu_apf *vcpu_apf(struct kvm_vcpu *vcpu)
{
	return &to_uc(vcpu)->apf;
}

static void trace_apf(const char *event, uint32_t token, uint64_t gpa)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_hex(ev, "token", token);
	sim_ev_hex(ev, "gpa", gpa);
	sim_ev_end(ev);
}

/* ---- in-flight gfns (kvm_add/find/del_async_pf_gfn) ---- */

static void kvm_async_pf_hash_reset(struct kvm_vcpu_apf *apf)
{
	for (int i = 0; i < ASYNC_PF_PER_VCPU; i++)
		apf->gfns[i] = ~0ull;
}

static void kvm_add_async_pf_gfn(struct kvm_vcpu_apf *apf, uint64_t gfn)
{
	for (int i = 0; i < ASYNC_PF_PER_VCPU; i++) {
		if (apf->gfns[i] == ~0ull) {
			apf->gfns[i] = gfn;
			return;
		}
	}
}

static bool kvm_find_async_pf_gfn(struct kvm_vcpu_apf *apf, uint64_t gfn)
{
	for (int i = 0; i < ASYNC_PF_PER_VCPU; i++)
		if (apf->gfns[i] == gfn)
			return true;
	return false;
}

static void kvm_del_async_pf_gfn(struct kvm_vcpu_apf *apf, uint64_t gfn)
{
	for (int i = 0; i < ASYNC_PF_PER_VCPU; i++)
		if (apf->gfns[i] == gfn)
			apf->gfns[i] = ~0ull;
}

void kvm_async_pf_vcpu_init(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);

	memset(apf, 0, sizeof(*apf));
	kvm_async_pf_hash_reset(apf);
	apf->error_gfn = ~0ull;
	sim_waitq_init(&apf->wq, "kvm_vcpu_block");
	kvm_lapic_reset(vcpu, false);
}

/* ---- the shared area (kvm_write_guest_cached / kvm_read_guest_offset_cached) ---- */

static bool kvm_pv_async_pf_enabled(struct kvm_vcpu *vcpu)
{
	uint64_t mask = KVM_ASYNC_PF_ENABLED | KVM_ASYNC_PF_DELIVERY_AS_INT;

	return (vcpu_apf(vcpu)->msr_en_val & mask) == mask;
}

/*
 * kvm_write_guest_cached / kvm_read_guest_offset_cached: their -EFAULT is
 * bare upstream and every caller here drops it; under annotate-all-efault
 * kvm_efault fills a memory-fault exit that no KVM_RUN returns (hazard 2).
 */
static int apf_access(struct kvm_vcpu *vcpu, size_t off, void *val, size_t len, bool write)
{
	uint64_t gpa = vcpu_apf(vcpu)->data_gpa + off;
	void *p = kvm_vcpu_gpa_to_hva(vcpu, gpa, write);

	if (!p)
		return kvm_efault(vcpu, gpa, len);
	if (write)
		memcpy(p, val, len);
	else
		memcpy(val, p, len);
	return 0;
}

static int apf_put_user_notpresent(struct kvm_vcpu *vcpu)
{
	uint32_t reason = KVM_PV_REASON_PAGE_NOT_PRESENT;

	return apf_access(vcpu, offsetof(struct kvm_vcpu_pv_apf_data, flags), &reason,
			  sizeof(reason), true);
}

static int apf_put_user_ready(struct kvm_vcpu *vcpu, uint32_t token, bool error)
{
	uint32_t ready_flags = error ? KVM_PV_REASON_PAGE_ERROR : 0;

	if (error && apf_access(vcpu, offsetof(struct kvm_vcpu_pv_apf_data, ready_flags),
				&ready_flags, sizeof(ready_flags), true))
		return -EFAULT;
	return apf_access(vcpu, offsetof(struct kvm_vcpu_pv_apf_data, token), &token,
			  sizeof(token), true);
}

static bool apf_pageready_slot_free(struct kvm_vcpu *vcpu)
{
	uint32_t token = 0;	/* Release's -O3 cannot see kvm_efault never returns 0 */

	if (apf_access(vcpu, offsetof(struct kvm_vcpu_pv_apf_data, token), &token,
		       sizeof(token), false))
		return false;
	return !token;
}

/* ---- completion ---- */

static void kvm_clear_async_pf_completion_queue(struct kvm_vcpu_apf *apf)
{
	while (apf->done) {
		struct kvm_async_pf *work = apf->done;

		apf->done = work->done_next;
		free(work);
	}
	apf->done_tail = NULL;
	/* items still in a worker's hands come back through the done list */
	apf->queue = NULL;
	apf->queued = 0;
}

static void apf_done_add(struct kvm_vcpu_apf *apf, struct kvm_async_pf *work)
{
	work->done_next = NULL;
	if (apf->done_tail)
		apf->done_tail->done_next = work;
	else
		apf->done = work;
	apf->done_tail = work;
}

static void apf_queue_del(struct kvm_vcpu_apf *apf, struct kvm_async_pf *work)
{
	for (struct kvm_async_pf **p = &apf->queue; *p; p = &(*p)->queue_next) {
		if (*p == work) {
			*p = work->queue_next;
			apf->queued--;
			return;
		}
	}
}

static void apf_livelock_check(struct kvm_vcpu *vcpu, uint64_t gfn, bool progress)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);

	if (progress || gfn != apf->livelock_gfn) {
		apf->livelock_gfn = gfn;
		apf->livelock_count = !progress;
		return;
	}
	if (++apf->livelock_count >= kvm_livelock_limit())
		sim_oracle_fail("livelock", "%s: async page fault on gpa 0x%llx went async "
				"and came back unmapped %llu times", vcpu->name,
				(unsigned long long)gfn << PAGE_SHIFT,
				(unsigned long long)apf->livelock_count / 2);
}

/* kvm_arch_async_page_ready: map the page now, as a prefetch (never exits). */
static void kvm_arch_async_page_ready(struct kvm_vcpu *vcpu, struct kvm_async_pf *work)
{
	struct kvm_page_fault fault;
	int r;

	if (work->wakeup_all)
		return;
	r = kvm_mmu_do_page_fault(vcpu, work->cr2_or_gpa, work->error_code, true, &fault);
	apf_livelock_check(vcpu, work->gfn, r == RET_PF_FIXED || r == RET_PF_SPURIOUS);
}

/* Seed 001 patch 2/3: the guest asked to hear about failed async faults. */
static bool apf_report_error(struct kvm_vcpu *vcpu, struct kvm_async_pf *work)
{
	return work->gup_error && kvm_rule_on(RULE_APF_ERROR_STATE) &&
	       (vcpu_apf(vcpu)->msr_en_val & KVM_ASYNC_PF_SEND_ERROR);
}

static void kvm_arch_async_page_present(struct kvm_vcpu *vcpu, struct kvm_async_pf *work)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);
	bool error = apf_report_error(vcpu, work);

	if (work->wakeup_all)
		work->token = ~0u;	/* broadcast wakeup */
	else
		kvm_del_async_pf_gfn(apf, work->gfn);
	trace_apf(error ? "kvm_async_pf_error" : "kvm_async_pf_ready", work->token,
		  work->cr2_or_gpa);
	if ((work->wakeup_all || work->notpresent_injected) && kvm_pv_async_pf_enabled(vcpu) &&
	    !apf_put_user_ready(vcpu, work->token, error)) {
		apf->pageready_pending = true;
		if (error)
			vcpu->kvm->stat.apf_page_error++;
		else
			vcpu->kvm->stat.apf_page_ready++;
		kvm_apic_set_irq(vcpu, &(struct kvm_lapic_irq){ .vector = apf->vec,
							       .delivery_mode = APIC_DM_FIXED });
	}
	/* patch 1/3: a failure not reported to the guest makes the refault sync */
	if (work->gup_error && !error && kvm_rule_on(RULE_APF_SYNC_AFTER_ERROR))
		apf->error_gfn = work->gfn;
	apf->halted = false;
}

static bool kvm_arch_can_dequeue_async_page_present(struct kvm_vcpu *vcpu)
{
	if (!kvm_pv_async_pf_enabled(vcpu))
		return true;
	return kvm_lapic_enabled(vcpu) && apf_pageready_slot_free(vcpu);
}

void kvm_check_async_pf_completion(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);

	while (apf->done && kvm_arch_can_dequeue_async_page_present(vcpu)) {
		struct kvm_async_pf *work = apf->done;

		apf->done = work->done_next;
		if (!apf->done)
			apf->done_tail = NULL;
		kvm_arch_async_page_ready(vcpu, work);
		kvm_arch_async_page_present(vcpu, work);
		if (!work->wakeup_all)
			apf_queue_del(apf, work);
		free(work);
	}
}

/* ---- the worker ---- */

/*
 * get_user_pages_remote(mm, addr, 1, FOLL_WRITE): fault the page in for
 * writing, sleeping in handle_userfault if it is armed and missing.  The
 * VMA is looked up again after a sleep: it may be gone.  A file page past
 * EOF fails (MADV_POPULATE_WRITE's -EFAULT is SIGBUS for an access).
 */
static int get_user_pages_remote(struct kvm_async_pf *work)
{
	struct uffd_fault_who who = { .vcpu = work->vcpu->vcpu_idx,
				      .gpa = work->gfn << PAGE_SHIFT };
	uint64_t hva = work->addr;
	int prot;

	for (;;) {
		struct userfaultfd_ctx *ctx = NULL;
		unsigned long reason;

		prot = hostmem_prot(hva);
		if (prot <= 0 || !(prot & HOSTMEM_PROT_WRITE))
			return -EFAULT;
		reason = userfaultfd_must_fault(hva, &ctx);
		if (!reason)
			break;
		work->vcpu->kvm->stat.userfaults++;
		if (handle_userfault(ctx, hva, reason, true, &who))
			return -EFAULT;
	}
	if (!userfaultfd_armed(hva) &&
	    madvise((void *)(uintptr_t)(hva & PAGE_MASK), PAGE_SIZE, MADV_POPULATE_WRITE))
		return -EFAULT;
	return hostmem_is_poisoned(hva) ? -EHWPOISON : 0;
}

/* kvm_arch_async_page_present_queued: KVM_REQ_APF_READY and a kick. */
static void kvm_arch_async_page_present_queued(struct kvm_vcpu *vcpu)
{
	kvm_vcpu_kick(vcpu);
}

static void async_pf_execute(void *arg)
{
	struct kvm_async_pf *work = arg;
	struct kvm_vcpu *vcpu = work->vcpu;
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);
	struct kvm *kvm = vcpu->kvm;
	struct sim_ev *ev;
	bool first;

	work->gup_error = get_user_pages_remote(work);
	ev = sim_ev_begin("async_pf_execute");
	sim_ev_hex(ev, "gpa", work->cr2_or_gpa);
	sim_ev_int(ev, "gup", work->gup_error);
	sim_ev_end(ev);
	/* merged Linux looks no further; only the seed 001 rules read it */
	if (kvm_rule_on(RULE_APF_FILL_ON_COMPLETION))
		kvm_memory_fault_exit(vcpu, work->gfn << PAGE_SHIFT, PAGE_SIZE, 0,
				      KVM_MEMFAULT_REASON_UNKNOWN);
	first = !apf->done;
	apf_done_add(apf, work);
	if (first)
		kvm_arch_async_page_present_queued(vcpu);
	trace_apf("kvm_async_pf_completed", work->token, work->cr2_or_gpa);
	kvm_put_kvm(kvm);
}

/* ---- setup ---- */

static uint32_t alloc_apf_token(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);

	/* never 0: the guest's 'slot free' value */
	if ((uint32_t)(apf->id << 12) == 0)
		apf->id = 1;
	return (apf->id++ << 12) | vcpu->vcpu_id;
}

static bool kvm_can_deliver_async_pf(struct kvm_vcpu *vcpu)
{
	if (!kvm_pv_async_pf_enabled(vcpu))
		return false;
	if (!vcpu_apf(vcpu)->send_always && x86_cpl(vcpu) == 0)
		return false;
	/* a real-mode IDT is unlikely to have a #PF handler */
	return vcpu->sregs.cr0 & X86_CR0_PG;
}

/*
 * Deliver 'page not present', or failing that (CPL 0 without SEND_ALWAYS,
 * an unwritable shared area) halt the vCPU until the page is in.
 */
static bool kvm_arch_async_page_not_present(struct kvm_vcpu *vcpu, struct kvm_async_pf *work)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);

	trace_apf("kvm_async_pf_not_present", work->token, work->cr2_or_gpa);
	kvm_add_async_pf_gfn(apf, work->gfn);
	if (kvm_can_deliver_async_pf(vcpu) && !apf_put_user_notpresent(vcpu)) {
		/* kvm_inject_page_fault: delivered at the next entry */
		apf->pf_pending = true;
		apf->pf_token = work->token;
		vcpu->kvm->stat.apf_not_present++;
		return true;
	}
	apf->halted = true;	/* KVM_REQ_APF_HALT */
	return false;
}

static bool kvm_setup_async_pf(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault,
			       uint32_t token)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);
	struct kvm_async_pf *work;
	struct sim_actor *worker;
	char name[40];

	if (apf->queued >= ASYNC_PF_PER_VCPU)
		return false;
	work = calloc(1, sizeof(*work));
	if (!work)
		return false;
	*work = (struct kvm_async_pf){
		.vcpu = vcpu, .cr2_or_gpa = fault->addr, .addr = fault->hva,
		.gfn = fault->gfn, .token = token, .error_code = fault->error_code,
	};
	kvm_get_kvm(vcpu->kvm);
	work->queue_next = apf->queue;
	apf->queue = work;
	apf->queued++;
	work->notpresent_injected = kvm_arch_async_page_not_present(vcpu, work);
	/* schedule_work: a kworker runs async_pf_execute */
	snprintf(name, sizeof(name), "kworker/%s:apf%u", vcpu->name, ++apf->workers);
	sim_set_stack_size(APF_WORKER_STACK);
	worker = sim_spawn(name, async_pf_execute, work);
	sim_make_runnable(worker);
	return true;
}

static bool kvm_arch_setup_async_pf(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	apf_livelock_check(vcpu, fault->gfn, false);
	return kvm_setup_async_pf(vcpu, fault, alloc_apf_token(vcpu));
}

bool kvm_can_do_async_pf(struct kvm_vcpu *vcpu, uint64_t gfn)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);

	if (!lapic_in_kernel(vcpu) || apf->pf_pending)
		return false;
	/* interrupts off: not even the synthetic halt could be left */
	if (!kvm_arch_interrupt_allowed(vcpu))
		return false;
	if (apf->error_gfn == gfn) {
		trace_apf("kvm_async_pf_sync_after_error", 0, gfn << PAGE_SHIFT);
		vcpu->kvm->stat.apf_sync_after_error++;
		return false;
	}
	return true;
}

bool kvm_faultin_pfn_async(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);
	struct sim_ev *ev = sim_ev_begin("kvm_try_async_get_page");

	sim_ev_hex(ev, "gpa", fault->addr);
	sim_ev_end(ev);
	if (kvm_find_async_pf_gfn(apf, fault->gfn)) {
		trace_apf("kvm_async_pf_repeated_fault", 0, fault->addr);
		apf->halted = true;
		return true;
	}
	return kvm_arch_setup_async_pf(vcpu, fault);
}

/* ---- the MSRs ---- */

static bool kvm_gfn_to_hva_cache_init(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct kvm_memory_slot *slot = gfn_to_memslot(vcpu->kvm, gpa >> PAGE_SHIFT);

	/* the area is written: a read-only slot has no writable hva */
	return slot && !(slot->flags & KVM_MEM_READONLY);
}

static void kvm_async_pf_wakeup_all(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);
	struct kvm_async_pf *work;

	if (apf->done)
		return;
	work = calloc(1, sizeof(*work));
	if (!work)
		return;
	work->wakeup_all = true;
	apf_done_add(apf, work);
	kvm_arch_async_page_present_queued(vcpu);
}

static uint64_t apf_en_reserved(void)
{
	/* bits 5:4 are reserved; seed 001 gives bit 4 a meaning */
	return kvm_rule_on(RULE_APF_ERROR_STATE) ? 0x20 : 0x30;
}

static int kvm_pv_enable_async_pf(struct kvm_vcpu *vcpu, uint64_t data)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);
	uint64_t gpa = data & ~0x3full;

	if (data & apf_en_reserved())
		return 1;
	if (!lapic_in_kernel(vcpu))
		return data ? 1 : 0;
	apf->msr_en_val = data;
	if (!kvm_pv_async_pf_enabled(vcpu)) {
		kvm_clear_async_pf_completion_queue(apf);
		kvm_async_pf_hash_reset(apf);
		return 0;
	}
	if (!kvm_gfn_to_hva_cache_init(vcpu, gpa))
		return 1;
	apf->data_gpa = gpa;
	apf->send_always = data & KVM_ASYNC_PF_SEND_ALWAYS;
	apf->delivery_as_pf_vmexit = data & KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT;
	kvm_async_pf_wakeup_all(vcpu);
	return 0;
}

bool kvm_is_pv_async_pf_msr(uint32_t msr)
{
	return msr == MSR_KVM_ASYNC_PF_EN || msr == MSR_KVM_ASYNC_PF_INT ||
	       msr == MSR_KVM_ASYNC_PF_ACK;
}

int kvm_pv_async_pf_msr_write(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t data)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);

	switch (msr) {
	case MSR_KVM_ASYNC_PF_EN:
		return kvm_pv_enable_async_pf(vcpu, data);
	case MSR_KVM_ASYNC_PF_INT:
		if (data >> 8 || !lapic_in_kernel(vcpu))
			return 1;
		apf->msr_int_val = data;
		apf->vec = data & KVM_ASYNC_PF_VEC_MASK;
		return 0;
	case MSR_KVM_ASYNC_PF_ACK:
		if (data & 1) {
			apf->pageready_pending = false;
			kvm_check_async_pf_completion(vcpu);
		}
		return 0;
	}
	return 1;
}

int kvm_pv_async_pf_msr_read(struct kvm_vcpu *vcpu, uint32_t msr, uint64_t *data)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);

	switch (msr) {
	case MSR_KVM_ASYNC_PF_EN:
		*data = apf->msr_en_val;
		return 0;
	case MSR_KVM_ASYNC_PF_INT:
		*data = apf->msr_int_val;
		return 0;
	case MSR_KVM_ASYNC_PF_ACK:
		*data = 0;
		return 0;
	}
	return 1;
}

/* ---- guest entry ---- */

/* KVM_REQ_APF_HALT: the vCPU sleeps until its page is in, or an interrupt. */
static void kvm_apf_halt(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);

	while (apf->halted) {
		kvm_vcpu_halt(vcpu);
		kvm_check_async_pf_completion(vcpu);
		if (kvm_cpu_has_interrupt(vcpu) &&
		    (x86_reg_read(vcpu, UC_X86_REG_RFLAGS) & X86_EFLAGS_IF))
			apf->halted = false;
		if (!apf->halted || !apf->done)
			continue;
		/* completed work it cannot dequeue (the area unreadable): KVM spins */
		sim_yield("kvm_vcpu_block");
		kvm_livelock_check(vcpu, apf->data_gpa >> PAGE_SHIFT, false,
				   "spun in the async-PF halt with completed work it cannot dequeue");
	}
}

/* inject_pending_event: an exception first, else an allowed interrupt. */
static int inject_pending_event(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_apf *apf = vcpu_apf(vcpu);
	int vector;

	if (apf->pf_pending) {
		apf->pf_pending = false;
		vcpu->cr2 = apf->pf_token;
		return kvm_inject_exception(vcpu, PF_VECTOR, true, 0, false);
	}
	if (!lapic_in_kernel(vcpu) || !kvm_arch_interrupt_allowed(vcpu) ||
	    kvm_x86_debug_blocks_irq(vcpu))
		return 0;
	vector = kvm_cpu_get_interrupt(vcpu);
	return vector < 0 ? 0 : kvm_inject_irq(vcpu, vector);
}

int kvm_x86_prepare_entry(struct kvm_vcpu *vcpu)
{
	int r;

	if (!lapic_in_kernel(vcpu))
		return kvm_x86_inject_queued_events(vcpu);
	/* KVM_REQ_REPORT_TPR_ACCESS comes before events are injected */
	r = kvm_check_tpr_access_report(vcpu);
	if (r)
		return r;
	kvm_lapic_expired_timer(vcpu);
	kvm_apf_halt(vcpu);
	kvm_check_async_pf_completion(vcpu);
	r = kvm_x86_inject_queued_events(vcpu);
	if (!r)
		r = inject_pending_event(vcpu);
	/* after injection, as vcpu_enter_guest orders it */
	if (!r)
		kvm_lapic_sync_to_vapic(vcpu);
	return r;
}
