// SPDX-License-Identifier: MIT
/*
 * Stage-2 fault-in for x86 TDP, stage by stage as arch/x86/kvm/mmu/mmu.c
 * and tdp_mmu.c do it.  Every stage is a trace event named after the
 * kernel function it mirrors, so a workshop can read both side by side.
 */
#include <errno.h>
#include <string.h>

#include "kvm-model/kvm_arch.h"
#include "kvm-model/kvm_host.h"
#include "kvm-model/kvm_mmu.h"
#include "kvm-model/fault_inject.h"
#include "kvm-model/profile.h"
#include "kvm-model/cost.h"
#include "sim/cost.h"
#include "sim/oracle.h"
#include "kvm-model/userfaultfd.h"
#include "kvm-model/x86/async_pf.h"
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

static int kvm_handle_error_pfn(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault,
				int pfn_err)
{
	uint64_t gpa = fault->gfn << PAGE_SHIFT;

	trace_gpa("kvm_handle_error_pfn", fault->addr);
	/*
	 * kvm_arch_async_page_ready's prefetch: its result goes nowhere.
	 * Under annotate-error-pfn, kvm_handle_error_pfn would prepare the
	 * memory-fault exit even here (kvm_run filled, no exit); the model
	 * leaves kvm_run alone so that hazards 2 and 7 stay apart (README,
	 * async PF).
	 */
	if (fault->prefetch && pfn_err != KVM_PFN_ERR_HWPOISON)
		return -EFAULT;
	if (pfn_err == KVM_PFN_ERR_HWPOISON) {
		/* the signal makes KVM_RUN return -EINTR before re-entry */
		kvm_send_hwpoison_signal(vcpu, fault->addr, fault->hva);
		return RET_PF_RETRY;
	}
	return kvm_pfn_error_exit(vcpu, gpa, pfn_err);
}

/* kvm_mmu_prepare_memory_fault_exit: the gfn's page, FLAG_PRIVATE for a private access. */
static int kvm_mmu_prepare_memory_fault_exit(struct kvm_vcpu *vcpu,
					     struct kvm_page_fault *fault)
{
	return kvm_memory_fault_exit(vcpu, fault->gfn << PAGE_SHIFT, PAGE_SIZE,
				     fault->is_private ? KVM_MEMORY_EXIT_FLAG_PRIVATE : 0,
				     KVM_MEMFAULT_REASON_UNKNOWN);
}

/*
 * kvm_mmu_faultin_pfn_gmem: private faults, and every fault on a
 * KVM_MEMSLOT_GMEM_ONLY slot, take the page from the slot's guest_memfd
 * (private-v6: its private fd), never from userspace_addr.  A slot
 * without one, or whose file is gone, is a memory-fault exit.
 */
static int kvm_mmu_faultin_pfn_gmem(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	int r;

	if (!(fault->slot->flags & KVM_MEM_GUEST_MEMFD))
		return kvm_mmu_prepare_memory_fault_exit(vcpu, fault);
	r = kvm_gmem_get_pfn(vcpu->kvm, fault->slot, fault->gfn, &fault->hva);
	if (r) {
		int exit = kvm_mmu_prepare_memory_fault_exit(vcpu, fault);

		return r == -EFAULT ? exit : r;
	}
	fault->from_gmem = true;
	fault->map_writable = !(fault->slot->flags & KVM_MEM_READONLY);
	return RET_PF_CONTINUE;
}

/* Mirrors __kvm_faultin_pfn + kvm_faultin_pfn for a direct (TDP) MMU. */
static int kvm_faultin_pfn(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	int r;

	fault->mmu_seq = vcpu->kvm->mmu_invalidate_seq;
	trace_gpa("kvm_faultin_pfn", fault->addr);
	kvm_trace_seq_snapshot("gpa", fault->addr, fault->mmu_seq);
	/* with the sequence snapshot taken, a private/shared mismatch exits */
	if (fault->is_private != kvm_mem_is_private(vcpu->kvm, fault->gfn))
		return kvm_mmu_prepare_memory_fault_exit(vcpu, fault);
	fault->slot = gfn_to_memslot(vcpu->kvm, fault->gfn);
	if (!fault->slot) {
		trace_gpa("kvm_handle_noslot_fault", fault->addr);
		if (fault->is_private)
			return kvm_mmu_prepare_memory_fault_exit(vcpu, fault);
		return RET_PF_EMULATE;
	}
	if (fault->is_private || fault->slot->gmem_only)
		return kvm_mmu_faultin_pfn_gmem(vcpu, fault);
	if (fault->write && (fault->slot->flags & KVM_MEM_READONLY)) {
		/* KVM_PFN_ERR_RO_FAULT: the write is emulated as MMIO */
		trace_gpa("kvm_handle_error_pfn", fault->addr);
		return RET_PF_EMULATE;
	}
	/* __kvm_faultin_pfn: FOLL_NOWAIT first, async if that needs I/O */
	fault->nowait = fault->async_ok && lapic_in_kernel(vcpu) &&
			!kvm_slot_fast_only(fault->slot);
	r = __gfn_to_pfn_memslot(vcpu, fault);
	if (r == KVM_PFN_ERR_NEEDS_IO && fault->nowait) {
		if (kvm_can_do_async_pf(vcpu, fault->gfn) && kvm_faultin_pfn_async(vcpu, fault))
			return RET_PF_RETRY;
		fault->nowait = false;
		r = __gfn_to_pfn_memslot(vcpu, fault);
	}
	if (r == KVM_PFN_ERR_NOACCESS) {
		/*
		 * A host page that exists but cannot be accessed with this
		 * permission (PROT_NONE, or a write to PROT_READ): this
		 * machine's KVM emulates the access as MMIO (tests/vmm/
		 * vmm-backing).
		 */
		trace_gpa("kvm_handle_error_pfn", fault->addr);
		return RET_PF_EMULATE;
	}
	if (r)
		return kvm_handle_error_pfn(vcpu, fault, r);
	if (fault->slot->flags & KVM_MEM_READONLY)
		fault->map_writable = false;
	return RET_PF_CONTINUE;
}

/*
 * hugepage_test_mixed: the gfns of [base, base + pages) do not all have
 * the same memory attributes.  KVM never maps such a range huge: a shared
 * huge page would map its private gfns shared (the guest would read and
 * write userspace_addr instead of the guest_memfd).  The kernel keeps the
 * answer as KVM_LPAGE_MIXED_FLAG in each huge page's lpage_info, updated
 * by kvm_arch_post_set_memory_attributes; the model asks its attribute
 * ranges, which is the same answer.  Only VMs with private memory track it.
 */
static bool hugepage_test_mixed(struct kvm *kvm, uint64_t base, uint64_t pages)
{
	if (!kvm_arch_has_private_mem(kvm))
		return false;
	return !kvm_range_has_memory_attributes(kvm, base, base + pages, ~0ull,
						kvm_get_memory_attributes(kvm, base));
}

/*
 * kvm_mmu_max_mapping_level: the largest level whose aligned gfn range
 * lies inside the slot, has uniform memory attributes, whose gpa and hva
 * are congruent modulo the level size, and whose host backing is a huge
 * page at least that large.  Dirty logging forces 4K, as
 * kvm_mmu_hugepage_adjust does.
 */
static int kvm_mmu_max_mapping_level(struct kvm *kvm, struct kvm_page_fault *fault)
{
	const struct kvm_memory_slot *slot = fault->slot;

	/* guest_memfd hands out order-0 folios only */
	if (fault->from_gmem)
		return PG_LEVEL_4K;
	if (slot->flags & KVM_MEM_LOG_DIRTY_PAGES)
		return PG_LEVEL_4K;
	/* KVM Userfault: 4K while the slot has the flag, so each gfn exits alone */
	if (kvm_memslot_userfault(slot))
		return PG_LEVEL_4K;
	/*
	 * userfaultfd resolves 4K pages in an armed anonymous or shmem vma
	 * (no THP there); hugetlbfs ones in whole huge pages, mapped as such
	 */
	if (userfaultfd_armed(fault->hva) && !hostmem_hugetlb_size(fault->hva))
		return PG_LEVEL_4K;
	for (int level = PG_LEVEL_1G; level > PG_LEVEL_4K; level--) {
		uint64_t pages = TDP_PAGES_PER_LEVEL(level);
		uint64_t base = fault->gfn & ~(pages - 1);
		uint64_t size = level_bytes(level);

		if (base < slot->base_gfn ||
		    base + pages > slot->base_gfn + slot->npages)
			continue;
		if (hugepage_test_mixed(kvm, base, pages))
			continue;
		if ((fault->hva ^ (fault->gfn << PAGE_SHIFT)) & (size - 1))
			continue;
		if (hostmem_is_huge(fault->hva, size))
			return level;
	}
	return PG_LEVEL_4K;
}

/*
 * The invariant the invalidation sequence protects: no SPTE is installed
 * from a lookup that an invalidation of its gfn overtook.  Only a model
 * without the check (rule skip-mmu-seq-check) can break it.
 */
static void check_stale_install(struct kvm *kvm, const struct kvm_page_fault *fault)
{
	if (kvm_mmu_invalidate_open(kvm, fault->gfn))
		sim_oracle_fail("stale-spte", "SPTE for gpa 0x%llx installed while "
				"kvm_mmu_notifier_invalidate_range_start of it was open "
				"(mmu_invalidate_in_progress %d)",
				(unsigned long long)fault->gfn << PAGE_SHIFT,
				kvm->mmu_invalidate_in_progress);
	for (uint64_t seq = fault->mmu_seq + 1; seq <= kvm->mmu_invalidate_seq; seq++) {
		const __typeof__(kvm->recent_inval[0]) *inv = &kvm->recent_inval[seq % 64];

		if (inv->seq == seq && fault->gfn >= inv->gfn_start && fault->gfn < inv->gfn_end)
			sim_oracle_fail("stale-spte", "SPTE for gpa 0x%llx installed from a lookup "
					"that %s (invalidation %llu) overtook",
					(unsigned long long)fault->gfn << PAGE_SHIFT, inv->why,
					(unsigned long long)seq);
	}
}

static int kvm_tdp_mmu_map(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct kvm *kvm = vcpu->kvm;
	uint64_t pages = TDP_PAGES_PER_LEVEL(fault->goal_level);
	uint64_t base = fault->gfn & ~(pages - 1);
	uint64_t hva = fault->from_gmem ? fault->hva : gfn_to_hva_memslot(fault->slot, base);
	unsigned flags = TDP_SPTE_EXEC;
	struct sim_ev *ev;
	int r;

	/*
	 * A logged slot is mapped writable only by a write fault, which logs
	 * the page; a read maps it read-only, so reads are never logged (as
	 * on this host: tests/vmm/vmm-dirty-log).
	 */
	bool writable = fault->map_writable &&
			(fault->write || !fault->slot->dirty_bitmap);

	check_stale_install(kvm, fault);
	if (writable)
		flags |= TDP_SPTE_WRITABLE;
	r = tdp_map(kvm->tdp, base, fault->goal_level, hva, flags);
	if (r)
		return r;
	kvm->stat.spte_installs[fault->goal_level]++;
	if (writable)
		mark_page_dirty_in_slot(fault->slot, fault->gfn);
	ev = sim_ev_begin("kvm_tdp_mmu_map");
	sim_ev_hex(ev, "gpa", base << PAGE_SHIFT);
	sim_ev_int(ev, "level", fault->goal_level);
	sim_ev_bool(ev, "writable", writable);
	sim_ev_end(ev);
	return RET_PF_FIXED;
}

static bool is_page_fault_stale(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	return mmu_invalidate_retry_gfn(vcpu->kvm, "gpa", fault->addr, fault->mmu_seq,
					!kvm_rule_on(RULE_SKIP_MMU_SEQ_CHECK));
}

static int kvm_tdp_page_fault(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	struct sim_ev *ev;
	int r = kvm_faultin_pfn(vcpu, fault);

	if (r != RET_PF_CONTINUE)
		return r;
	fault->max_level = kvm_mmu_max_mapping_level(vcpu->kvm, fault);
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

/*
 * PFERR_PRIVATE_ACCESS: nothing in a SW-protected VM's access says
 * private, so kvm_mmu_page_fault synthesises the bit from the gfn's
 * attribute; private-v6 likewise from its source of truth, the fd.
 */
static bool kvm_fault_is_private(struct kvm *kvm, uint64_t gfn)
{
	if (!kvm_arch_has_private_mem(kvm) && !kvm_rule_on(RULE_PRIVATE_FD))
		return false;
	return kvm_mem_is_private(kvm, gfn);
}

/* Present with the needed permission already: nothing to do. */
static bool spte_satisfies(struct kvm *kvm, uint64_t gfn, bool write)
{
	struct tdp_leaf leaf;

	if (!tdp_lookup(kvm->tdp, gfn, &leaf))
		return false;
	return !write || (leaf.flags & TDP_SPTE_WRITABLE);
}

bool kvm_tdp_spte_allows(struct kvm *kvm, uint64_t gpa, bool write)
{
	return spte_satisfies(kvm, gpa >> PAGE_SHIFT, write);
}

/*
 * prefetch: kvm_arch_async_page_ready's fault (never async, never exits);
 * async_ok: a guest access, which may become an async page fault (not
 * KVM's own accesses to guest memory).
 */
static int __kvm_mmu_page_fault(struct kvm_vcpu *vcpu, uint64_t gpa, uint32_t error_code,
				bool prefetch, bool async_ok, struct kvm_page_fault *fault)
{
	struct sim_ev *ev;
	int r;

	memset(fault, 0, sizeof(*fault));
	fault->prefetch = prefetch;
	fault->async_ok = async_ok && !prefetch;
	fault->addr = gpa;
	fault->gfn = gpa >> PAGE_SHIFT;
	fault->error_code = error_code;
	fault->write = error_code & PFERR_WRITE_MASK;
	fault->exec = error_code & PFERR_FETCH_MASK;
	fault->is_private = kvm_fault_is_private(vcpu->kvm, fault->gfn);
	/*
	 * The SPTE already allows the access: the engine came here for its
	 * own reasons (its TLB granted read-only so the first write, which
	 * sets the guest PTE's D bit, is seen), where the CPU would have gone
	 * on without an EPT violation.  Not a fault: nothing counted, nothing
	 * traced as one.
	 */
	if (spte_satisfies(vcpu->kvm, fault->gfn, fault->write)) {
		kvm_livelock_check(vcpu, fault->gfn, false, "re-faulted");
		return RET_PF_SPURIOUS;
	}
	/* kvm_mmu_do_page_fault counts pf_taken for real faults only */
	if (!prefetch)
		vcpu->kvm->stat.page_faults++;
	sim_charge(COST_STAGE2_FAULT);

	ev = sim_ev_begin("kvm_mmu_page_fault");
	sim_ev_hex(ev, "gpa", gpa);
	sim_ev_hex(ev, "error_code", error_code);
	if (prefetch)
		sim_ev_bool(ev, "prefetch", true);
	sim_ev_end(ev);
	/*
	 * The attribute was read without a lock: a conversion may land before
	 * kvm_faultin_pfn snapshots the sequence, which then sees the mismatch
	 * and exits (only where attributes exist, so other VMs keep their
	 * schedules).
	 */
	if (kvm_arch_has_private_mem(vcpu->kvm) && !prefetch)
		sim_yield("private_attr_window");
	kvm_vcpu_srcu_read_lock(vcpu);
	r = kvm_tdp_page_fault(vcpu, fault);
	kvm_vcpu_srcu_read_unlock(vcpu);
	kvm_livelock_check(vcpu, fault->gfn, r == RET_PF_FIXED || r == RET_PF_EMULATE,
			   "re-faulted");
	return r;
}

int kvm_mmu_page_fault(struct kvm_vcpu *vcpu, uint64_t gpa, uint32_t error_code,
		       struct kvm_page_fault *fault)
{
	return __kvm_mmu_page_fault(vcpu, gpa, error_code, false, true, fault);
}

int kvm_mmu_do_page_fault(struct kvm_vcpu *vcpu, uint64_t gpa, uint32_t error_code,
			  bool prefetch, struct kvm_page_fault *fault)
{
	return __kvm_mmu_page_fault(vcpu, gpa, error_code, prefetch, !prefetch, fault);
}

void *kvm_vcpu_gpa_to_hva(struct kvm_vcpu *vcpu, uint64_t gpa, bool write)
{
	struct kvm_page_fault fault;
	struct tdp_leaf leaf;
	uint64_t gfn = gpa >> PAGE_SHIFT;

	if (sim_inject(write ? FAIL_GUEST_WRITE : FAIL_GUEST_READ))
		return NULL;
	/* a retry means an invalidation raced the lookup: go round again */
	for (;;) {
		if (tdp_lookup(vcpu->kvm->tdp, gfn, &leaf) &&
		    (!write || (leaf.flags & TDP_SPTE_WRITABLE)))
			return (void *)(uintptr_t)(leaf.host_base +
				((gfn - leaf.gfn_base) << PAGE_SHIFT) +
				(gpa & (PAGE_SIZE - 1)));
		int r = __kvm_mmu_page_fault(vcpu, gpa, write ? PFERR_WRITE_MASK : 0,
					     false, false, &fault);
		if (r != RET_PF_FIXED && r != RET_PF_RETRY && r != RET_PF_SPURIOUS) {
			vcpu->gpa_fault_ret = r;
			return NULL;
		}
	}
}

void kvm_mmu_zap_gfn_range(struct kvm *kvm, uint64_t gfn_start, uint64_t gfn_end,
			   const char *why)
{
	uint64_t n = tdp_zap_range(kvm->tdp, gfn_start, gfn_end);
	struct sim_ev *ev;

	kvm->stat.zaps += n;
	kvm->stat.invalidations++;
	kvm->mmu_invalidate_seq++;
	kvm->recent_inval[kvm->mmu_invalidate_seq % 64].seq = kvm->mmu_invalidate_seq;
	kvm->recent_inval[kvm->mmu_invalidate_seq % 64].gfn_start = gfn_start;
	kvm->recent_inval[kvm->mmu_invalidate_seq % 64].gfn_end = gfn_end;
	kvm->recent_inval[kvm->mmu_invalidate_seq % 64].why = why;
	for (int i = 0; i < kvm->nr_vcpus; i++)
		kvm_arch_vcpu_flush_gfns(kvm->vcpus[i], gfn_start, gfn_end);
	ev = sim_ev_begin(kvm_arch()->stage2_zap_event);
	sim_ev_str(ev, "why", why);
	sim_ev_hex(ev, "gpa", gfn_start << PAGE_SHIFT);
	sim_ev_hex(ev, "size", (gfn_end - gfn_start) << PAGE_SHIFT);
	sim_ev_int(ev, "zapped", (int64_t)n);
	sim_ev_int(ev, "mmu_invalidate_seq", (int64_t)kvm->mmu_invalidate_seq);
	sim_ev_end(ev);
}

/*
 * kvm_mmu_recover_huge_pages (zap collapsible SPTEs): zap each 2M-aligned
 * window of the slot that could be mapped huge, so it refaults huge.
 */
static void kvm_mmu_recover_huge_pages(struct kvm *kvm, const struct kvm_memory_slot *slot)
{
	uint64_t pages = TDP_PAGES_PER_LEVEL(PG_LEVEL_2M);
	uint64_t first = (slot->base_gfn + pages - 1) & ~(pages - 1);

	for (uint64_t gfn = first; gfn + pages <= slot->base_gfn + slot->npages; gfn += pages) {
		uint64_t hva = gfn_to_hva_memslot(slot, gfn);

		if (!((hva ^ (gfn << PAGE_SHIFT)) & (level_bytes(PG_LEVEL_2M) - 1)) &&
		    hostmem_is_huge(hva, level_bytes(PG_LEVEL_2M)))
			kvm_mmu_zap_gfn_range(kvm, gfn, gfn + pages, "kvm_mmu_recover_huge_pages");
	}
}

/*
 * kvm_mmu_slot_apply_flags (x86 kvm_arch_commit_memory_region) for a
 * FLAGS_ONLY change: dirty logging on write-protects the slot so writes
 * fault (and map 4K), off lets it go huge again; KVM Userfault on zaps the
 * slot so every gfn refaults through the bitmap, off recovers huge pages
 * (userfault-v3's x86 choice) or flushes (rule userfault-clear-flush).
 */
void kvm_mmu_slot_apply_flags(struct kvm *kvm, struct kvm_memory_slot *old, uint32_t new_flags)
{
	uint32_t changed = old->flags ^ new_flags;
	uint64_t end = old->base_gfn + old->npages;

	if (changed & KVM_MEM_LOG_DIRTY_PAGES)
		kvm_mmu_zap_gfn_range(kvm, old->base_gfn, end,
				      new_flags & KVM_MEM_LOG_DIRTY_PAGES ?
				      "kvm_mmu_slot_remove_write_access" :
				      "kvm_mmu_zap_collapsible_sptes");
	if (!(changed & KVM_MEM_USERFAULT) || !kvm_rule_on(RULE_USERFAULT))
		return;
	if (new_flags & KVM_MEM_USERFAULT) {
		if (!kvm_rule_on(RULE_USERFAULT_ZAP_BY_USERSPACE))
			kvm_mmu_zap_gfn_range(kvm, old->base_gfn, end,
					      "kvm_arch_flush_shadow_memslot");
	} else if (kvm_rule_on(RULE_USERFAULT_CLEAR_FLUSH)) {
		kvm_mmu_zap_gfn_range(kvm, old->base_gfn, end, "kvm_arch_flush_shadow_memslot");
	} else {
		kvm_mmu_recover_huge_pages(kvm, old);
	}
}
