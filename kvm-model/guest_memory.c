// SPDX-License-Identifier: MIT
/*
 * kvm_vcpu_read_guest / kvm_vcpu_write_guest: KVM's own copies to and
 * from guest memory (virt/kvm/kvm_main.c).  They go straight to the
 * memslot's host address with copy_from_user / copy_to_user -- no stage-2
 * fault, no exit -- so a host page that is gone is a bare -EFAULT for the
 * caller to handle (kvm_efault() decides whether it gets annotated).
 */
#include <errno.h>

#include "kvm-model/fault_inject.h"
#include "kvm-model/kvm_host.h"

static int guest_copy(struct kvm_vcpu *vcpu, uint64_t gpa, void *data, size_t len,
		      bool write, uint64_t *bad_gpa)
{
	for (size_t done = 0; done < len;) {
		uint64_t a = gpa + done;
		size_t chunk = PAGE_SIZE - (a & (PAGE_SIZE - 1));
		struct kvm_memory_slot *slot = gfn_to_memslot(vcpu->kvm, a >> PAGE_SHIFT);
		void *hva;
		int r;

		if (chunk > len - done)
			chunk = len - done;
		*bad_gpa = a;
		if (!slot || (write && (slot->flags & KVM_MEM_READONLY)))
			return -EFAULT;
		if (sim_inject(write ? FAIL_GUEST_WRITE : FAIL_GUEST_READ))
			return -EFAULT;
		hva = (void *)(uintptr_t)(gfn_to_hva_memslot(slot, a >> PAGE_SHIFT) +
					  (a & (PAGE_SIZE - 1)));
		r = write ? copy_to_user(hva, (char *)data + done, chunk) :
			    copy_from_user((char *)data + done, hva, chunk);
		if (r)
			return -EFAULT;
		if (write)
			mark_page_dirty(vcpu->kvm, a >> PAGE_SHIFT);
		done += chunk;
	}
	return 0;
}

int kvm_vcpu_read_guest(struct kvm_vcpu *vcpu, uint64_t gpa, void *data, size_t len,
			uint64_t *bad_gpa)
{
	return guest_copy(vcpu, gpa, data, len, false, bad_gpa);
}

int kvm_vcpu_write_guest(struct kvm_vcpu *vcpu, uint64_t gpa, const void *data, size_t len,
			 uint64_t *bad_gpa)
{
	return guest_copy(vcpu, gpa, (void *)data, len, true, bad_gpa);
}
