/* SPDX-License-Identifier: MIT */
/*
 * The stage-2 fault-in path, mirroring arch/x86/kvm/mmu/mmu.c:
 * kvm_mmu_page_fault -> kvm_mmu_do_page_fault -> kvm_tdp_page_fault ->
 * kvm_faultin_pfn -> __gfn_to_pfn_memslot (hva_to_pfn_fast / slow) ->
 * kvm_handle_error_pfn, then kvm_tdp_mmu_map.
 */
#ifndef KVMSIM_KVM_MMU_H
#define KVMSIM_KVM_MMU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdbool.h>

struct kvm;
struct kvm_vcpu;
struct kvm_memory_slot;

/* Error-code bits of a stage-2 fault (as PFERR_*). */
#define PFERR_PRESENT_MASK	(1u << 0)
#define PFERR_WRITE_MASK	(1u << 1)
#define PFERR_USER_MASK		(1u << 2)
#define PFERR_FETCH_MASK	(1u << 4)

enum {
	RET_PF_CONTINUE = 0,
	RET_PF_RETRY,		/* raced with an invalidation: just re-enter */
	RET_PF_EMULATE,		/* MMIO: no memslot, or a write KVM must emulate */
	RET_PF_FIXED,		/* an SPTE was installed */
	RET_PF_SPURIOUS,	/* already mapped as needed */
};

struct kvm_page_fault {
	uint64_t addr;		/* gpa */
	uint64_t gfn;
	uint32_t error_code;
	bool write, exec;
	struct kvm_memory_slot *slot;
	uint64_t hva;
	bool map_writable;
	int max_level, goal_level;
	uint64_t mmu_seq;
	bool is_private;	/* PFERR_PRIVATE_ACCESS */
	bool from_gmem;		/* hva is the guest_memfd page (kvm_gmem_get_pfn) */
	bool prefetch;		/* kvm_arch_async_page_ready's retry */
	bool async_ok;		/* a guest access: may become an async PF */
	bool nowait;		/* FOLL_NOWAIT: KVM_PFN_ERR_NEEDS_IO instead of sleeping */
};

/* __gfn_to_pfn_memslot's answers (KVM's error pfns, and the model's extras). */
enum {
	KVM_PFN_OK = 0,
	KVM_PFN_ERR_FAULT,		/* GUP failed: no mapping, refused userfault */
	KVM_PFN_ERR_HWPOISON,		/* a poisoned page: SIGBUS to the vCPU thread */
	KVM_PFN_ERR_NOACCESS,		/* mapped without the access' permission */
	KVM_PFN_ERR_NEEDS_IO,		/* fast-only slot, or FOLL_NOWAIT, and GUP would wait */
	KVM_PFN_ERR_USERFAULT,		/* the gfn's KVM Userfault bit is set */
	KVM_PFN_ERR_USERFAULT_BITMAP,	/* the bitmap could not be read */
};

/*
 * Arch-neutral fault-in of fault->gfn in fault->slot: sets fault->hva and
 * fault->map_writable (as the host allows) and returns KVM_PFN_*.  May
 * sleep in handle_userfault.
 */
int __gfn_to_pfn_memslot(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault);
bool kvm_slot_fast_only(const struct kvm_memory_slot *slot);
/*
 * The arch-neutral part of kvm_handle_error_pfn / user_mem_abort for an
 * error pfn other than hwpoison: the memory-fault exit (FLAG_USERFAULT for
 * a userfault bit, rfc's ABSENT_MAPPING reason for a fast-only slot) or a
 * bare -EFAULT for an unreadable userfault bitmap.  Returns what KVM_RUN
 * returns.
 */
int kvm_pfn_error_exit(struct kvm_vcpu *vcpu, uint64_t gpa, int pfn_err);
/* SIGBUS (BUS_MCEERR_AR) for hva to the KVM_RUN caller: -EINTR on the way out. */
void kvm_send_hwpoison_signal(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t hva);
bool kvm_memslot_userfault(const struct kvm_memory_slot *slot);

/* Returns RET_PF_* or -errno (-EFAULT with the memory-fault exit prepared). */
/*
 * x86: the stage-2 (TDP) entry of gpa is present and allows the access,
 * so the CPU would take no EPT violation on it.
 */
bool kvm_tdp_spte_allows(struct kvm *kvm, uint64_t gpa, bool write);
int kvm_mmu_page_fault(struct kvm_vcpu *vcpu, uint64_t gpa, uint32_t error_code,
		       struct kvm_page_fault *fault);

/* kvm_mmu_do_page_fault with prefetch: never async, never an exit. */
int kvm_mmu_do_page_fault(struct kvm_vcpu *vcpu, uint64_t gpa, uint32_t error_code,
			  bool prefetch, struct kvm_page_fault *fault);

/*
 * Look a gpa up for an access by kvmsim itself on the guest's behalf
 * (page-table walks, exception frames): faults stage 2 in if needed but
 * never exits.  Returns the host address of the byte or NULL.
 */
void *kvm_vcpu_gpa_to_hva(struct kvm_vcpu *vcpu, uint64_t gpa, bool write);

/*
 * The invalidation sequence in the trace: a fault's snapshot of
 * mmu_invalidate_seq before it looks the page up, and its check before
 * installing (mmu_invalidate_retry_gfn, which is_page_fault_stale and
 * user_mem_abort use).  `addr_key` is "gpa" or "ipa"; `checked` false when
 * the profile skips the check (+skip-mmu-seq-check).  With the zap
 * events' mmu_invalidate_seq, a trace shows which invalidation overtook
 * which lookup.
 */
void kvm_trace_seq_snapshot(const char *addr_key, uint64_t addr, uint64_t mmu_seq);
/*
 * mmu_invalidate_retry_gfn: true if the fault must retry: an invalidation
 * of its gfn is open (it waits for its _end first) or the sequence moved
 * since mmu_seq.  Traced; always false when !checked (the profile skips
 * the check).  kvm_mmu_invalidate_open: an invalidation of gfn is open.
 */
bool mmu_invalidate_retry_gfn(struct kvm *kvm, const char *addr_key, uint64_t addr,
			      uint64_t mmu_seq, bool checked);
bool kvm_mmu_invalidate_open(const struct kvm *kvm, uint64_t gfn);

/* Zap stage-2 over [gfn_start, gfn_end) and every vCPU's installed translations. */
void kvm_mmu_zap_gfn_range(struct kvm *kvm, uint64_t gfn_start, uint64_t gfn_end,
			   const char *why);

/* A FLAGS_ONLY memslot change: what the new flags make stale. */
void kvm_mmu_slot_apply_flags(struct kvm *kvm, struct kvm_memory_slot *old, uint32_t new_flags);
/* Memslot flags the profile adds (proposals that were never merged). */
uint32_t kvm_profile_memslot_flags(void);

/* Provided by the vCPU back end: drop translations derived from these gfns. */
void kvm_arch_vcpu_flush_gfns(struct kvm_vcpu *vcpu, uint64_t gfn_start,
			      uint64_t gfn_end);
/* A gfn became a guest page-table page: its writes must be caught again. */
void kvm_arch_vcpu_protect_gfn(struct kvm_vcpu *vcpu, uint64_t gfn);

#endif
