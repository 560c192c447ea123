// SPDX-License-Identifier: MIT
/*
 * KVM_CAP_SYNC_REGS (arch/x86/kvm/x86.c: sync_regs, store_regs and their
 * calls in kvm_arch_vcpu_ioctl_run): the register sets userspace may
 * exchange through kvm_run->s.regs instead of separate ioctls.
 *
 * Before the run, each set named in kvm_run->kvm_dirty_regs is loaded as
 * KVM_SET_REGS / KVM_SET_SREGS / KVM_SET_VCPU_EVENTS would load it and its
 * bit cleared; after the run (whatever it returned) each set named in
 * kvm_valid_regs is stored.  A bit outside KVM_SYNC_X86_VALID_FIELDS in
 * either word fails the run with EINVAL.  The sregs and events are copied
 * out of the shared page before they are checked, as 6.12 does: another
 * thread may change the page while the checks run.
 */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>

#include "kvm-model/x86/irq.h"
#include "kvm-model/x86/lapic.h"
#include "kvm-model/x86/x86.h"
#include "kvm-model/x86/x86_state.h"

int kvm_sync_regs_check(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if ((run->kvm_valid_regs & ~KVM_SYNC_X86_VALID_FIELDS) ||
	    (run->kvm_dirty_regs & ~KVM_SYNC_X86_VALID_FIELDS))
		return -EINVAL;
	return 0;
}

/* sync_regs: userspace's dirty sets into the vCPU */
int sync_regs(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->kvm_dirty_regs & KVM_SYNC_X86_REGS) {
		struct kvm_regs regs = run->s.regs.regs;

		kvm_arch_vcpu_set_regs(vcpu, &regs);
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_REGS;
	}
	if (run->kvm_dirty_regs & KVM_SYNC_X86_SREGS) {
		struct kvm_sregs sregs = run->s.regs.sregs;

		if (kvm_arch_vcpu_set_sregs(vcpu, &sregs))
			return -EINVAL;
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_SREGS;
	}
	if (run->kvm_dirty_regs & KVM_SYNC_X86_EVENTS) {
		struct kvm_vcpu_events events = run->s.regs.events;

		if (kvm_vcpu_ioctl_x86_set_vcpu_events(vcpu, &events))
			return -EINVAL;
		run->kvm_dirty_regs &= ~KVM_SYNC_X86_EVENTS;
	}
	return 0;
}

/*
 * __get_sregs into the shared page: it writes the fields and sets the
 * injected interrupt's bit, it does not clear the page first, so the
 * descriptor tables' padding and the other bits of interrupt_bitmap keep
 * what userspace left there (KVM_GET_SREGS starts from a zeroed copy).
 */
static void store_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *dst)
{
	struct kvm_sregs sregs;
	uint16_t gdt_pad[3], idt_pad[3];
	uint64_t bitmap[4];

	kvm_arch_vcpu_get_sregs(vcpu, &sregs);
	memcpy(gdt_pad, dst->gdt.padding, sizeof(gdt_pad));
	memcpy(idt_pad, dst->idt.padding, sizeof(idt_pad));
	memcpy(bitmap, dst->interrupt_bitmap, sizeof(bitmap));
	for (int i = 0; i < 4; i++)
		sregs.interrupt_bitmap[i] |= bitmap[i];
	memcpy(sregs.gdt.padding, gdt_pad, sizeof(gdt_pad));
	memcpy(sregs.idt.padding, idt_pad, sizeof(idt_pad));
	*dst = sregs;
}

/* store_regs: the vCPU's state into the sets userspace asked for */
void store_regs(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->kvm_valid_regs & KVM_SYNC_X86_REGS)
		kvm_arch_vcpu_get_regs(vcpu, &run->s.regs.regs);
	if (run->kvm_valid_regs & KVM_SYNC_X86_SREGS)
		store_sregs(vcpu, &run->s.regs.sregs);
	if (run->kvm_valid_regs & KVM_SYNC_X86_EVENTS)
		kvm_vcpu_ioctl_x86_get_vcpu_events(vcpu, &run->s.regs.events);
}
