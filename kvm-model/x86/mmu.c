// SPDX-License-Identifier: MIT
/*
 * Stage-2 fault-in for x86 TDP, stage by stage as arch/x86/kvm/mmu/mmu.c
 * and tdp_mmu.c do it.  Every stage is a trace event named after the
 * kernel function it mirrors, so a workshop can read both side by side.
 */
#include <errno.h>
#include <string.h>

#include "kvm-model/kvm_host.h"
#include "kvm-model/kvm_mmu.h"
#include "kvm-model/fault_inject.h"
#include "kvm-model/profile.h"
#include "kvm-model/userfaultfd.h"
#include "mmu-model/hostmem.h"

#define PG_LEVEL_4K	TDP_PG_LEVEL_4K
#define PG_LEVEL_2M	TDP_PG_LEVEL_2M
#define PG_LEVEL_1G	TDP_PG_LEVEL_1G

static uint64_t level_bytes(int level)
{
	return TDP_PAGES_PER_LEVEL(level) << PAGE_SHIFT;
}

static void trace_gpa(const char *event, uint64_t gpa)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_hex(ev, "gpa", gpa);
	sim_ev_end(ev);
}

static int kvm_handle_error_pfn(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	trace_gpa("kvm_handle_error_pfn", fault->addr);
	return kvm_memory_fault_exit(vcpu, fault->gfn << PAGE_SHIFT, PAGE_SIZE, 0,
				     KVM_MEMFAULT_REASON_UNKNOWN);
}

/* hva_to_pfn's answers besides 0 */
#define HVA_NO_PFN	(-EFAULT)	/* no usable host mapping: the caller decides */
/* GUP failed (KVM_PFN_ERR_FAULT): VM_FAULT_SIGBUS from a refused userfault */
#define HVA_SIGBUS	(-EHWPOISON)

/*
 * The slow GUP of a page in a userfaultfd-armed range: fault it in, and
 * when the page is missing (or, MINOR, cached but unmapped) deliver the
 * userfault and sleep in handle_userfault.  A woken fault retries, as
 * __get_user_pages_locked does with FAULT_FLAG_TRIED, and re-faults (a
 * new message) if the page is still not there.  The vCPU stays inside
 * kvm->srcu all along, so memslot updates wait for it.
 */
static int faultin_page(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	for (;;) {
		struct userfaultfd_ctx *ctx = NULL;
		unsigned long reason = userfaultfd_must_fault(fault->hva, &ctx);
		struct uffd_fault_who who = { vcpu->vcpu_idx, fault->gfn << PAGE_SHIFT };

		if (!reason)
			return 0;
		vcpu->kvm->stat.userfaults++;
		if (handle_userfault(ctx, fault->hva, reason, fault->write, &who))
			return HVA_SIGBUS;
	}
}

/*
 * hva_to_pfn: the fast path succeeds when the host page is mapped with the
 * access' permission.  Outside userfaultfd-armed ranges host pages count
 * as resident (the slow path would fault them in, and Unicorn's first
 * access does); inside, the page must be present in the host page tables
 * (/proc/self/pagemap), else the slow path may block on the userfault.
 * A write to a read-only VMA falls back to a read-only pfn, which KVM
 * then maps without write permission (map_writable = false).
 */
static int hva_to_pfn(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault, bool *writable)
{
	int prot = hostmem_prot(fault->hva);
	bool armed = userfaultfd_armed(fault->hva);
	bool ok = prot > 0 && (!fault->write || (prot & HOSTMEM_PROT_WRITE)) &&
		  (!armed || hostmem_page_present(fault->hva)) &&
		  !sim_inject(FAIL_FAST_GUP);
	struct sim_ev *ev = sim_ev_begin("hva_to_pfn_fast");

	sim_ev_bool(ev, "ok", ok);
	sim_ev_end(ev);
	if (ok) {
		*writable = prot & HOSTMEM_PROT_WRITE;
		return 0;
	}
	if (sim_inject(FAIL_SLOW_GUP)) {
		/* get_user_pages failed: KVM_PFN_ERR_FAULT */
		trace_gpa("hva_to_pfn_slow_failed", fault->addr);
		return HVA_SIGBUS;
	}
	ev = sim_ev_begin("hva_to_pfn_slow");
	sim_ev_bool(ev, "ok", prot > 0);
	sim_ev_end(ev);
	if (prot <= 0)
		return HVA_NO_PFN;
	if (armed && faultin_page(vcpu, fault))
		return HVA_SIGBUS;
	*writable = prot & HOSTMEM_PROT_WRITE;
	return 0;
}

/* Mirrors __kvm_faultin_pfn + kvm_faultin_pfn for a direct (TDP) MMU. */
static int kvm_faultin_pfn(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	bool host_writable = false;
	int r;

	fault->mmu_seq = vcpu->kvm->mmu_invalidate_seq;
	trace_gpa("kvm_faultin_pfn", fault->addr);
	fault->slot = gfn_to_memslot(vcpu->kvm, fault->gfn);
	if (!fault->slot) {
		trace_gpa("kvm_handle_noslot_fault", fault->addr);
		return RET_PF_EMULATE;
	}
	if (fault->write && (fault->slot->flags & KVM_MEM_READONLY)) {
		/* KVM_PFN_ERR_RO_FAULT: the write is emulated as MMIO */
		trace_gpa("kvm_handle_error_pfn", fault->addr);
		return RET_PF_EMULATE;
	}
	fault->hva = gfn_to_hva_memslot(fault->slot, fault->gfn);
	r = hva_to_pfn(vcpu, fault, &host_writable);
	if (r == HVA_SIGBUS)
		return kvm_handle_error_pfn(vcpu, fault);
	if (r) {
		/*
		 * A host page that exists but cannot be accessed with this
		 * permission (PROT_NONE, or a write to PROT_READ): this
		 * machine's KVM emulates the access as MMIO (tests/vmm/
		 * vmm-backing); with no host mapping at all there is no
		 * pfn and the fault is -EFAULT.
		 */
		if (hostmem_prot(fault->hva) >= 0) {
			trace_gpa("kvm_handle_error_pfn", fault->addr);
			return RET_PF_EMULATE;
		}
		return kvm_handle_error_pfn(vcpu, fault);
	}
	fault->map_writable = host_writable &&
			      !(fault->slot->flags & KVM_MEM_READONLY);
	if (fault->write && !fault->map_writable) {
		/* a write through a read-only host mapping: emulated, as MMIO */
		trace_gpa("kvm_handle_error_pfn", fault->addr);
		return RET_PF_EMULATE;
	}
	return RET_PF_CONTINUE;
}

/*
 * kvm_mmu_max_mapping_level: the largest level whose aligned gfn range
 * lies inside the slot, whose gpa and hva are congruent modulo the level
 * size, and whose host backing is a huge page at least that large.
 * Dirty logging forces 4K, as kvm_mmu_hugepage_adjust does.
 */
static int kvm_mmu_max_mapping_level(struct kvm_page_fault *fault)
{
	const struct kvm_memory_slot *slot = fault->slot;

	if (slot->flags & KVM_MEM_LOG_DIRTY_PAGES)
		return PG_LEVEL_4K;
	/* userfaultfd resolves 4K pages: an armed vma gets no huge pages */
	if (userfaultfd_armed(fault->hva))
		return PG_LEVEL_4K;
	for (int level = PG_LEVEL_1G; level > PG_LEVEL_4K; level--) {
		uint64_t pages = TDP_PAGES_PER_LEVEL(level);
		uint64_t base = fault->gfn & ~(pages - 1);
		uint64_t size = level_bytes(level);

		if (base < slot->base_gfn ||
		    base + pages > slot->base_gfn + slot->npages)
			continue;
		if ((fault->hva ^ (fault->gfn << PAGE_SHIFT)) & (size - 1))
			continue;
		if (hostmem_is_huge(fault->hva, size))
			return level;
	}
	return PG_LEVEL_4K;
}

static void mark_page_dirty_in_slot(struct kvm_memory_slot *slot, uint64_t gfn)
{
	uint64_t rel = gfn - slot->base_gfn;

	if (slot->dirty_bitmap)
		slot->dirty_bitmap[rel / 64] |= 1ul << (rel % 64);
}

static int kvm_tdp_mmu_map(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct kvm *kvm = vcpu->kvm;
	uint64_t pages = TDP_PAGES_PER_LEVEL(fault->goal_level);
	uint64_t base = fault->gfn & ~(pages - 1);
	uint64_t hva = gfn_to_hva_memslot(fault->slot, base);
	unsigned flags = TDP_SPTE_EXEC;
	struct sim_ev *ev;
	int r;

	if (fault->map_writable)
		flags |= TDP_SPTE_WRITABLE;
	r = tdp_map(kvm->tdp, base, fault->goal_level, hva, flags);
	if (r)
		return r;
	kvm->stat.spte_installs[fault->goal_level]++;
	if (fault->map_writable)
		mark_page_dirty_in_slot(fault->slot, fault->gfn);
	ev = sim_ev_begin("kvm_tdp_mmu_map");
	sim_ev_hex(ev, "gpa", base << PAGE_SHIFT);
	sim_ev_int(ev, "level", fault->goal_level);
	sim_ev_bool(ev, "writable", fault->map_writable);
	sim_ev_end(ev);
	return RET_PF_FIXED;
}

static bool is_page_fault_stale(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	if (kvm_rule_on(RULE_SKIP_MMU_SEQ_CHECK))
		return false;
	return fault->mmu_seq != vcpu->kvm->mmu_invalidate_seq;
}

static int kvm_tdp_page_fault(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct sim_ev *ev;
	int r = kvm_faultin_pfn(vcpu, fault);

	if (r != RET_PF_CONTINUE)
		return r;
	fault->max_level = kvm_mmu_max_mapping_level(fault);
	fault->goal_level = fault->max_level;
	ev = sim_ev_begin("kvm_mmu_hugepage_adjust");
	sim_ev_hex(ev, "gpa", fault->addr);
	sim_ev_int(ev, "level", fault->goal_level);
	sim_ev_end(ev);

	/* the race window between the sequence snapshot and the install */
	sim_yield("fault_install_window");
	if (is_page_fault_stale(vcpu, fault)) {
		trace_gpa("is_page_fault_stale", fault->addr);
		vcpu->kvm->stat.fault_retries++;
		return RET_PF_RETRY;
	}
	return kvm_tdp_mmu_map(vcpu, fault);
}

/* Present with the needed permission already: nothing to do. */
static bool spte_satisfies(struct kvm *kvm, uint64_t gfn, bool write)
{
	struct tdp_leaf leaf;

	if (!tdp_lookup(kvm->tdp, gfn, &leaf))
		return false;
	return !write || (leaf.flags & TDP_SPTE_WRITABLE);
}

int kvm_mmu_page_fault(struct kvm_vcpu *vcpu, uint64_t gpa, uint32_t error_code,
		       struct kvm_page_fault *fault)
{
	struct sim_ev *ev;
	int r;

	memset(fault, 0, sizeof(*fault));
	fault->addr = gpa;
	fault->gfn = gpa >> PAGE_SHIFT;
	fault->error_code = error_code;
	fault->write = error_code & PFERR_WRITE_MASK;
	fault->exec = error_code & PFERR_FETCH_MASK;
	vcpu->kvm->stat.page_faults++;

	ev = sim_ev_begin("kvm_mmu_page_fault");
	sim_ev_hex(ev, "gpa", gpa);
	sim_ev_hex(ev, "error_code", error_code);
	sim_ev_end(ev);
	if (spte_satisfies(vcpu->kvm, fault->gfn, fault->write)) {
		kvm_livelock_check(vcpu, fault->gfn, false, "re-faulted");
		return RET_PF_SPURIOUS;
	}
	kvm_vcpu_srcu_read_lock(vcpu);
	r = kvm_tdp_page_fault(vcpu, fault);
	kvm_vcpu_srcu_read_unlock(vcpu);
	kvm_livelock_check(vcpu, fault->gfn, r == RET_PF_FIXED || r == RET_PF_EMULATE,
			   "re-faulted");
	return r;
}

void *kvm_vcpu_gpa_to_hva(struct kvm_vcpu *vcpu, uint64_t gpa, bool write)
{
	struct kvm_page_fault fault;
	struct tdp_leaf leaf;
	uint64_t gfn = gpa >> PAGE_SHIFT;

	if (sim_inject(write ? FAIL_GUEST_WRITE : FAIL_GUEST_READ))
		return NULL;
	for (int tries = 0; tries < 4; tries++) {
		if (tdp_lookup(vcpu->kvm->tdp, gfn, &leaf) &&
		    (!write || (leaf.flags & TDP_SPTE_WRITABLE)))
			return (void *)(uintptr_t)(leaf.host_base +
				((gfn - leaf.gfn_base) << PAGE_SHIFT) +
				(gpa & (PAGE_SIZE - 1)));
		int r = kvm_mmu_page_fault(vcpu, gpa, write ? PFERR_WRITE_MASK : 0,
					   &fault);
		if (r != RET_PF_FIXED && r != RET_PF_RETRY && r != RET_PF_SPURIOUS) {
			vcpu->gpa_fault_ret = r;
			return NULL;
		}
	}
	return NULL;
}

void kvm_mmu_zap_gfn_range(struct kvm *kvm, uint64_t gfn_start, uint64_t gfn_end,
			   const char *why)
{
	uint64_t n = tdp_zap_range(kvm->tdp, gfn_start, gfn_end);
	struct sim_ev *ev;

	kvm->stat.zaps += n;
	kvm->stat.invalidations++;
	kvm->mmu_invalidate_seq++;
	for (int i = 0; i < kvm->nr_vcpus; i++)
		kvm_arch_vcpu_flush_gfns(kvm->vcpus[i], gfn_start, gfn_end);
	ev = sim_ev_begin("kvm_tdp_mmu_zap_leafs");
	sim_ev_str(ev, "why", why);
	sim_ev_hex(ev, "gpa", gfn_start << PAGE_SHIFT);
	sim_ev_hex(ev, "size", (gfn_end - gfn_start) << PAGE_SHIFT);
	sim_ev_int(ev, "zapped", (int64_t)n);
	sim_ev_end(ev);
}
