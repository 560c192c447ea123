// SPDX-License-Identifier: MIT
/*
 * KVM_SET_VAPIC_ADDR (arch/x86/kvm/lapic.c kvm_lapic_set_vapic_addr and
 * the vapic sync): a guest-physical word the VMM names for a vCPU, which
 * KVM keeps in step with the LAPIC so a guest may read its priorities
 * and set its TPR without trapping (QEMU's kvmvapic option ROM patches
 * old guests' TPR accesses to use it).  Before an entry KVM writes
 * TPR | (class in service) << 8 | highest IRR vector << 24 there
 * (kvm_lapic_sync_to_vapic); after the guest ran, the low byte is the
 * new TPR (kvm_lapic_sync_from_vapic).  KVM writes it on the entries
 * that handle an event (KVM_REQ_EVENT); the model writes it before
 * every entry, so a guest reads the same or a more current word.
 *
 * KVM_TPR_ACCESS_REPORTING, kvmvapic's other half: each guest read or
 * write of the TPR register (xAPIC page or x2APIC MSR) is reported with
 * KVM_EXIT_TPR_ACCESS (the instruction's RIP, read or write) before the
 * next entry; the access itself is done.
 */
#include <errno.h>

#include "kvm-model/x86/lapic_internal.h"

/* kvm_gfn_to_hva_cache_init: both ends of the word in writable memslots */
static bool vapic_cache_init(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	uint64_t ends[2] = { gpa, gpa + sizeof(uint32_t) - 1 };

	for (int i = 0; i < 2; i++) {
		struct kvm_memory_slot *slot = gfn_to_memslot(vcpu->kvm, ends[i] >> PAGE_SHIFT);

		if (!slot || (slot->flags & KVM_MEM_READONLY))
			return false;
	}
	return true;
}

/* kvm_lapic_set_vapic_addr: 0 stops the syncing */
static int kvm_lapic_set_vapic_addr(struct kvm_vcpu *vcpu, uint64_t vapic_addr)
{
	struct sim_ev *ev;

	if (vapic_addr && !vapic_cache_init(vcpu, vapic_addr))
		return -EINVAL;
	vcpu_apic(vcpu)->vapic_addr = vapic_addr;
	ev = sim_ev_begin("kvm_lapic_set_vapic_addr");
	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_hex(ev, "vapic_addr", vapic_addr);
	sim_ev_end(ev);
	return 0;
}

long kvm_vcpu_ioctl_set_vapic_addr(struct kvm_vcpu *vcpu, void *uarg)
{
	struct kvm_vapic_addr va;

	if (!lapic_in_kernel(vcpu))
		return -EINVAL;
	if (copy_from_user(&va, uarg, sizeof(va)))
		return -EFAULT;
	return kvm_lapic_set_vapic_addr(vcpu, va.vapic_addr);
}

void kvm_lapic_sync_to_vapic(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	int max_irr, max_isr;
	uint64_t bad_gpa;
	uint32_t data;

	if (!lapic_in_kernel(vcpu) || !apic->vapic_addr || !kvm_lapic_enabled(vcpu))
		return;
	max_irr = apic_find_highest_vector(apic, APIC_IRR);
	max_isr = apic_find_highest_vector(apic, APIC_ISR);
	data = (kvm_lapic_get_reg(apic, APIC_TASKPRI) & 0xff) |
	       ((uint32_t)(max_isr < 0 ? 0 : max_isr) & 0xf0) << 8 |
	       (uint32_t)(max_irr < 0 ? 0 : max_irr) << 24;
	/* kvm_write_guest_cached: a slot gone since is skipped silently */
	kvm_vcpu_write_guest(vcpu, apic->vapic_addr, &data, sizeof(data), &bad_gpa);
}

void kvm_lapic_sync_from_vapic(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	uint64_t bad_gpa;
	uint32_t data;

	if (!lapic_in_kernel(vcpu) || !apic->vapic_addr)
		return;
	if (kvm_vcpu_read_guest(vcpu, apic->vapic_addr, &data, sizeof(data), &bad_gpa))
		return;
	apic_set_tpr(apic, data & 0xff);
}

long kvm_vcpu_ioctl_tpr_access_reporting(struct kvm_vcpu *vcpu, void *uarg)
{
	struct kvm_tpr_access_ctl tac;

	if (copy_from_user(&tac, uarg, sizeof(tac)))
		return -EFAULT;
	if (tac.flags)
		return -EINVAL;
	vcpu_apic(vcpu)->tpr_access_reporting = !!tac.enabled;
	return copy_to_user(uarg, &tac, sizeof(tac)) ? -EFAULT : 0;
}

/* report_tpr_access: KVM_REQ_REPORT_TPR_ACCESS, with the access's RIP */
void report_tpr_access(struct kvm_vcpu *vcpu, bool write)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);

	if (!apic->tpr_access_reporting)
		return;
	apic->tpr_access_pending = true;
	apic->tpr_access_is_write = write;
	apic->tpr_access_rip = to_uc(vcpu)->mmio_insn_rip ? to_uc(vcpu)->mmio_insn_rip :
			       x86_reg_read(vcpu, UC_X86_REG_RIP);
}

int kvm_check_tpr_access_report(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic *apic = vcpu_apic(vcpu);
	struct sim_ev *ev;

	if (!apic->tpr_access_pending)
		return 0;
	apic->tpr_access_pending = false;
	kvm_run_set_exit(vcpu, KVM_EXIT_TPR_ACCESS);
	vcpu->run->tpr_access.rip = apic->tpr_access_rip;
	vcpu->run->tpr_access.is_write = apic->tpr_access_is_write;
	ev = sim_ev_begin("kvm_report_tpr_access");
	sim_ev_hex(ev, "rip", apic->tpr_access_rip);
	sim_ev_int(ev, "is_write", apic->tpr_access_is_write);
	sim_ev_end(ev);
	return 1;
}
