// SPDX-License-Identifier: MIT
/*
 * x86's part of the ioctls (arch/x86/kvm/x86.c: kvm_arch_dev_ioctl,
 * kvm_arch_vm_ioctl, kvm_arch_vcpu_ioctl and the register ioctls the
 * generic kvm_vcpu_ioctl forwards) and its kvm_arch_ops table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_arch.h"
#include "kvm-model/profile.h"
#include "kvm-model/x86/uc_internal.h"

static long get_supported_cpuid(unsigned long arg)
{
	struct kvm_cpuid2 hdr, *u = (void *)arg;
	struct kvm_cpuid_entry2 tmp[KVMSIM_MAX_CPUID];
	int n;

	if (copy_from_user(&hdr, u, sizeof(hdr)))
		return -EFAULT;
	n = kvm_arch_get_supported_cpuid(tmp, hdr.nent < KVMSIM_MAX_CPUID ?
					 hdr.nent : KVMSIM_MAX_CPUID);
	if (n < 0)
		return n;
	hdr.nent = n;
	if (copy_to_user(u, &hdr, sizeof(hdr)) ||
	    copy_to_user(u->entries, tmp, n * sizeof(tmp[0])))
		return -EFAULT;
	return 0;
}

static long kvm_arch_dev_ioctl(unsigned int cmd, unsigned long arg)
{
	if (cmd == KVM_GET_SUPPORTED_CPUID)
		return get_supported_cpuid(arg);
	return -EINVAL;
}

static long kvm_arch_vm_ioctl(struct kvm *kvm, unsigned int cmd, unsigned long arg)
{
	uint64_t addr;

	switch (cmd) {
	case KVM_CREATE_IRQCHIP:
		/* the LAPIC of each vCPU (no PIC or IOAPIC is modelled) */
		if (kvm->irqchip_kernel)
			return -EEXIST;
		if (kvm->created_vcpus)
			return -EINVAL;
		kvm->irqchip_kernel = true;
		return 0;
	case KVM_SET_TSS_ADDR:
		/* the TSS takes three pages below 4G */
		if (arg > 0xffffffffull - 3 * PAGE_SIZE)
			return -EINVAL;
		kvm->tss_addr = arg;
		kvm->tss_addr_set = true;
		return 0;
	case KVM_SET_IDENTITY_MAP_ADDR:
		if (copy_from_user(&addr, (void *)arg, sizeof(addr)))
			return -EFAULT;
		if (kvm->created_vcpus)
			return -EINVAL;
		kvm->identity_map_addr = addr;
		return 0;
	default:
		return -ENOTTY;
	}
}

static long vcpu_get_set(struct kvm_vcpu *vcpu, unsigned int cmd, void *uarg)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	switch (cmd) {
	case KVM_GET_REGS:
		kvm_arch_vcpu_get_regs(vcpu, &regs);
		return copy_to_user(uarg, &regs, sizeof(regs));
	case KVM_SET_REGS:
		if (copy_from_user(&regs, uarg, sizeof(regs)))
			return -EFAULT;
		return kvm_arch_vcpu_set_regs(vcpu, &regs);
	case KVM_GET_SREGS:
		kvm_arch_vcpu_get_sregs(vcpu, &sregs);
		return copy_to_user(uarg, &sregs, sizeof(sregs));
	case KVM_SET_SREGS:
		if (copy_from_user(&sregs, uarg, sizeof(sregs)))
			return -EFAULT;
		return kvm_arch_vcpu_set_sregs(vcpu, &sregs);
	}
	return -EINVAL;
}

static long vcpu_set_cpuid2(struct kvm_vcpu *vcpu, void *uarg)
{
	struct kvm_cpuid2 hdr;
	struct kvm_cpuid_entry2 *e;
	long r;

	if (copy_from_user(&hdr, uarg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > KVMSIM_MAX_CPUID)
		return -E2BIG;
	e = calloc(hdr.nent ? hdr.nent : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	r = copy_from_user(e, (char *)uarg + sizeof(hdr), hdr.nent * sizeof(*e));
	if (!r)
		r = kvm_arch_vcpu_set_cpuid(vcpu, e, hdr.nent);
	free(e);
	return r;
}

static long kvm_arch_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int cmd,
				unsigned long arg)
{
	switch (cmd) {
	case KVM_GET_REGS:
	case KVM_SET_REGS:
	case KVM_GET_SREGS:
	case KVM_SET_SREGS:
		return vcpu_get_set(vcpu, cmd, (void *)arg);
	case KVM_SET_CPUID2:
		return vcpu_set_cpuid2(vcpu, (void *)arg);
	case KVM_GET_MSRS:
	case KVM_SET_MSRS:
		return kvm_arch_vcpu_ioctl_msrs(vcpu, cmd == KVM_SET_MSRS, (void *)arg);
	default:
		return -EINVAL;
	}
}

static int kvm_arch_check_extension(struct kvm *kvm, long ext)
{
	switch (ext) {
	case KVM_CAP_SET_TSS_ADDR:
	case KVM_CAP_EXT_CPUID:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_SET_IDENTITY_MAP_ADDR:
	case KVM_CAP_READONLY_MEM:
	case KVM_CAP_IRQCHIP:
	case KVM_CAP_ASYNC_PF:
	case KVM_CAP_ASYNC_PF_INT:
		return 1;
	case KVM_CAP_NR_VCPUS:
	case KVM_CAP_MAX_VCPUS:
		return KVM_MAX_VCPUS;
	/* private-v6 predates VM types and attributes */
	case KVM_CAP_VM_TYPES:
		if (kvm_rule_on(RULE_PRIVATE_FD))
			return 0;
		return 1 << KVM_X86_DEFAULT_VM |
		       (kvm_rule_on(RULE_NO_SW_PROTECTED_VM) ? 0 : 1 << KVM_X86_SW_PROTECTED_VM);
	case KVM_CAP_MEMORY_ATTRIBUTES:
		if (kvm_rule_on(RULE_PRIVATE_FD) || kvm_rule_on(RULE_NO_SW_PROTECTED_VM))
			return 0;
		return kvm_supported_mem_attributes(kvm);
	default:
		return 0;
	}
}

/* x86 with CONFIG_KVM_SW_PROTECTED_VM: no SEV or TDX types */
static int kvm_arch_init_vm(struct kvm *kvm, unsigned long type)
{
	if (type != KVM_X86_DEFAULT_VM &&
	    (type != KVM_X86_SW_PROTECTED_VM || kvm_rule_on(RULE_NO_SW_PROTECTED_VM)))
		return -EINVAL;
	kvm->has_private_mem = type == KVM_X86_SW_PROTECTED_VM;
	kvm->identity_map_addr = 0xfffbc000;
	return 0;
}

static void kvm_arch_destroy_vm(struct kvm *kvm)
{
}

const struct kvm_arch_ops kvm_x86_arch_ops = {
	.name = "x86_64",
	.stage2_zap_event = "kvm_tdp_mmu_zap_leafs",
	.init_vm = kvm_arch_init_vm,
	.destroy_vm = kvm_arch_destroy_vm,
	.vcpu_create = kvm_arch_vcpu_create,
	.vcpu_destroy = kvm_arch_vcpu_destroy,
	.vcpu_run = kvm_arch_vcpu_ioctl_run,
	.dev_ioctl = kvm_arch_dev_ioctl,
	.vm_ioctl = kvm_arch_vm_ioctl,
	.vcpu_ioctl = kvm_arch_vcpu_ioctl,
	.check_extension = kvm_arch_check_extension,
	.flush_gfns = x86_flush_gfns,
	.protect_gfn = x86_protect_gfn,
};
