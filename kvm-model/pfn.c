// SPDX-License-Identifier: MIT
/*
 * The architecture-neutral half of faulting a guest page in, as
 * virt/kvm/kvm_main.c and the slot checks of x86's __kvm_faultin_pfn
 * have it: the KVM Userfault bitmap (profile userfault-v3), then
 * hva_to_pfn -- fast GUP (get_user_page_fast_only), and unless the slot
 * is fast-only (rfc-2023-v2's ABSENT_MAPPING_FAULT, EXIT_ON_MISSING) the
 * slow GUP, which faults the page in or sleeps in handle_userfault.  Host
 * page state comes from mmu-model/hostmem.c (the real page tables).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>

#include "kvm-model/fault_inject.h"
#include "kvm-model/kvm_host.h"
#include "kvm-model/kvm_mmu.h"
#include "kvm-model/profile.h"
#include "kvm-model/userfaultfd.h"
#include "mmu-model/hostmem.h"

static void trace_pfn(const char *event, const struct kvm_page_fault *fault, bool ok)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_hex(ev, "gpa", fault->addr);
	sim_ev_bool(ev, "ok", ok);
	sim_ev_end(ev);
}

bool kvm_slot_fast_only(const struct kvm_memory_slot *slot)
{
	if (kvm_rule_on(RULE_ABSENT_MAPPING_FAULT) && (slot->flags & KVM_MEM_ABSENT_MAPPING_FAULT))
		return true;
	return kvm_rule_on(RULE_EXIT_ON_MISSING) && (slot->flags & KVM_MEM_EXIT_ON_MISSING);
}

bool kvm_memslot_userfault(const struct kvm_memory_slot *slot)
{
	return kvm_rule_on(RULE_USERFAULT) && (slot->flags & KVM_MEM_USERFAULT);
}

/*
 * kvm_gfn_userfault: the gfn's bit in the VMM's bitmap, read from its
 * memory as test_bit on a user pointer would.  1, 0, or -EFAULT.
 */
static int kvm_gfn_userfault(const struct kvm_memory_slot *slot, uint64_t gfn)
{
	uint64_t rel = gfn - slot->base_gfn, word;

	if (!kvm_memslot_userfault(slot))
		return 0;
	if (copy_from_user(&word, (void *)(uintptr_t)(slot->userfault_bitmap + rel / 64 * 8),
			   sizeof(word)))
		return -EFAULT;
	return (word >> (rel % 64)) & 1;
}

/*
 * The slow GUP of a page in a userfaultfd-armed range: when the page is
 * missing (or, MINOR, cached but unmapped) deliver the userfault and
 * sleep in handle_userfault.  A woken fault retries, as
 * __get_user_pages_locked does with FAULT_FLAG_TRIED, and re-faults (a
 * new message) if the page is still not there.  The vCPU stays inside
 * kvm->srcu all along, so memslot updates wait for it.
 */
static int faultin_page(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	for (;;) {
		struct userfaultfd_ctx *ctx = NULL;
		unsigned long reason = userfaultfd_must_fault(fault->hva, &ctx);
		struct uffd_fault_who who = { .vcpu = vcpu->vcpu_idx, .gpa = fault->gfn << PAGE_SHIFT };

		if (!reason)
			return 0;
		vcpu->kvm->stat.userfaults++;
		/* VM_FAULT_SIGBUS: the userfault was refused */
		if (handle_userfault(ctx, fault->hva, reason, fault->write, &who))
			return -EFAULT;
	}
}

/*
 * Fault a page in outside userfaultfd ranges, as GUP's handle_mm_fault
 * would: MADV_POPULATE_WRITE / READ make the same page-table change.  A
 * file page beyond the end of a truncated file fails (SIGBUS for an
 * access): that is a failed GUP.
 */
static int populate_page(const struct kvm_page_fault *fault, bool write)
{
	void *page = (void *)(uintptr_t)(fault->hva & PAGE_MASK);

	return madvise(page, PAGE_SIZE, write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ) ?
	       -EFAULT : 0;
}

/* hva_to_pfn_slow: get_user_pages, which may fault the page in. */
static int hva_to_pfn_slow(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault,
			   bool *writable)
{
	int prot = hostmem_prot(fault->hva);
	bool write = fault->write && (prot & HOSTMEM_PROT_WRITE);
	int r;

	if (sim_inject(FAIL_SLOW_GUP)) {
		trace_pfn("hva_to_pfn_slow", fault, false);
		return KVM_PFN_ERR_FAULT;
	}
	if (prot < 0) {
		trace_pfn("hva_to_pfn_slow", fault, false);
		return KVM_PFN_ERR_FAULT;
	}
	if (prot == 0 || (fault->write && !write)) {
		/* a mapping without the access' permission */
		trace_pfn("hva_to_pfn_slow", fault, false);
		return KVM_PFN_ERR_NOACCESS;
	}
	if (userfaultfd_armed(fault->hva)) {
		struct userfaultfd_ctx *ctx;

		/* FAULT_FLAG_RETRY_NOWAIT: handle_userfault does not sleep */
		if (fault->nowait && userfaultfd_must_fault(fault->hva, &ctx)) {
			trace_pfn("hva_to_pfn_slow_nowait", fault, false);
			return KVM_PFN_ERR_NEEDS_IO;
		}
		r = faultin_page(vcpu, fault);
	} else {
		r = populate_page(fault, write);
		/* hva_to_pfn: a failed FOLL_NOWAIT GUP on a valid VMA "needs I/O" */
		if (r && fault->nowait) {
			trace_pfn("hva_to_pfn_slow_nowait", fault, false);
			return KVM_PFN_ERR_NEEDS_IO;
		}
	}
	/* a poison marker: VM_FAULT_HWPOISON, or UFFDIO_SIGBUS's VM_FAULT_SIGBUS */
	if (!r && hostmem_is_poisoned(fault->hva))
		r = kvm_rule_on(RULE_UFFD_SIGBUS_MARKER) ? -EFAULT : -EHWPOISON;
	trace_pfn("hva_to_pfn_slow", fault, !r);
	if (r)
		return r == -EHWPOISON ? KVM_PFN_ERR_HWPOISON : KVM_PFN_ERR_FAULT;
	*writable = prot & HOSTMEM_PROT_WRITE;
	return KVM_PFN_OK;
}

/*
 * hva_to_pfn: fast GUP first; for a read it also takes a read-only pfn
 * (map_writable = false) when the host page is not writable yet.
 */
static int hva_to_pfn(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault, bool *writable)
{
	bool ok = !sim_inject(FAIL_FAST_GUP) &&
		  (userfaultfd_armed(fault->hva) ? hostmem_pte_fast_gup(fault->hva, fault->write) :
						   hostmem_page_fast_gup(fault->hva, fault->write));

	trace_pfn("hva_to_pfn_fast", fault, ok);
	if (ok) {
		/* present already: writable is the VMA's, no second pagemap read */
		*writable = hostmem_prot(fault->hva) & HOSTMEM_PROT_WRITE;
		return KVM_PFN_OK;
	}
	if (hostmem_is_poisoned(fault->hva))
		return kvm_rule_on(RULE_UFFD_SIGBUS_MARKER) ? KVM_PFN_ERR_FAULT :
							      KVM_PFN_ERR_HWPOISON;
	if (kvm_slot_fast_only(fault->slot)) {
		trace_pfn("kvm_faultin_pfn_nowait", fault, false);
		return KVM_PFN_ERR_NEEDS_IO;
	}
	return hva_to_pfn_slow(vcpu, fault, writable);
}

int __gfn_to_pfn_memslot(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)
{
	bool writable = false;
	int r = kvm_gfn_userfault(fault->slot, fault->gfn);

	fault->hva = gfn_to_hva_memslot(fault->slot, fault->gfn);
	if (r) {
		trace_pfn("kvm_gfn_userfault", fault, false);
		return r < 0 ? KVM_PFN_ERR_USERFAULT_BITMAP : KVM_PFN_ERR_USERFAULT;
	}
	r = hva_to_pfn(vcpu, fault, &writable);
	fault->map_writable = writable;
	return r;
}

int kvm_pfn_error_exit(struct kvm_vcpu *vcpu, uint64_t gpa, int pfn_err)
{
	switch (pfn_err) {
	case KVM_PFN_ERR_USERFAULT:
		return kvm_memory_fault_exit(vcpu, gpa, PAGE_SIZE, KVM_MEMORY_EXIT_FLAG_USERFAULT,
					     KVM_MEMFAULT_REASON_UNKNOWN);
	case KVM_PFN_ERR_USERFAULT_BITMAP:
		return kvm_efault(vcpu, gpa, PAGE_SIZE);
	}
	/* merged Linux: 'return -EFAULT;', nothing in kvm_run */
	if (!kvm_rule_on(RULE_ANNOTATE_ERROR_PFN))
		return kvm_fault_path_ret(kvm_efault(vcpu, gpa, PAGE_SIZE));
	return kvm_memory_fault_exit(vcpu, gpa, PAGE_SIZE, 0,
				     pfn_err == KVM_PFN_ERR_NEEDS_IO ?
				     KVM_MEMFAULT_REASON_ABSENT_MAPPING :
				     KVM_MEMFAULT_REASON_UNKNOWN);
}

void kvm_send_hwpoison_signal(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t hva)
{
	struct sim_ev *ev = sim_ev_begin("kvm_send_hwpoison_signal");

	sim_ev_hex(ev, "gpa", gpa);
	sim_ev_end(ev);
	vcpu->hwpoison_hva = hva;
	vcpu->hwpoison_pending = true;
}
