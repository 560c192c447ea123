// SPDX-License-Identifier: MIT
/*
 * KVM_GET_DEBUGREGS / KVM_SET_DEBUGREGS (arch/x86/kvm/x86.c:
 * kvm_vcpu_ioctl_x86_{get,set}_debugregs): DR0-DR3, DR6 and DR7 as the
 * guest sees them (the engine holds them: a guest `mov %drN` reads and
 * writes the same registers).  KVM refuses flags and DR6/DR7 values with
 * any of their upper 32 bits set.
 */
#include <errno.h>
#include <string.h>

#include "kvm-model/x86/uc_internal.h"
#include "kvm-model/x86/x86_state.h"

static const int dr_ids[4] = {
	UC_X86_REG_DR0, UC_X86_REG_DR1, UC_X86_REG_DR2, UC_X86_REG_DR3,
};

static long get_debugregs(struct kvm_vcpu *vcpu, void *uarg)
{
	struct kvm_debugregs d;

	memset(&d, 0, sizeof(d));
	for (int i = 0; i < 4; i++)
		d.db[i] = x86_reg_read(vcpu, dr_ids[i]);
	d.dr6 = x86_reg_read(vcpu, UC_X86_REG_DR6);
	d.dr7 = x86_reg_read(vcpu, UC_X86_REG_DR7);
	return copy_to_user(uarg, &d, sizeof(d)) ? -EFAULT : 0;
}

static long set_debugregs(struct kvm_vcpu *vcpu, void *uarg)
{
	struct kvm_debugregs d;

	if (copy_from_user(&d, uarg, sizeof(d)))
		return -EFAULT;
	if (d.flags || (d.dr6 >> 32) || (d.dr7 >> 32))
		return -EINVAL;
	for (int i = 0; i < 4; i++)
		x86_reg_write(vcpu, dr_ids[i], d.db[i]);
	x86_reg_write(vcpu, UC_X86_REG_DR6, d.dr6);
	x86_reg_write(vcpu, UC_X86_REG_DR7, d.dr7);
	return 0;
}

long kvm_vcpu_ioctl_debugregs(struct kvm_vcpu *vcpu, bool set, void *uarg)
{
	return set ? set_debugregs(vcpu, uarg) : get_debugregs(vcpu, uarg);
}
