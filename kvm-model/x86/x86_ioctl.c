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
#include "kvm-model/x86/x86_state.h"

static long kvm_arch_dev_ioctl(unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KVM_GET_SUPPORTED_CPUID:
	case KVM_GET_EMULATED_CPUID:
		return kvm_dev_ioctl_get_cpuid(cmd, (void *)arg);
	case KVM_GET_MSR_INDEX_LIST:
	case KVM_GET_MSR_FEATURE_INDEX_LIST:
	case KVM_GET_MSRS:
		return kvm_dev_ioctl_msr(cmd, (void *)arg);
	case KVM_X86_GET_MCE_CAP_SUPPORTED:
		return kvm_dev_ioctl_get_mce_cap((void *)arg);
	}
	return -EINVAL;
}

static long kvm_arch_vm_ioctl(struct kvm *kvm, unsigned int cmd, unsigned long arg)
{
	uint64_t addr;

	switch (cmd) {
	case KVM_CREATE_IRQCHIP:
	case KVM_GET_IRQCHIP:
	case KVM_SET_IRQCHIP:
	case KVM_IRQ_LINE:
	case KVM_IRQ_LINE_STATUS:
		return kvm_x86_irqchip_ioctl(kvm, cmd, (void *)arg);
	case KVM_CREATE_PIT:
	case KVM_CREATE_PIT2:
	case KVM_GET_PIT:
	case KVM_SET_PIT:
	case KVM_GET_PIT2:
	case KVM_SET_PIT2:
	case KVM_REINJECT_CONTROL:
		return kvm_x86_pit_ioctl(kvm, cmd, (void *)arg);
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
	case KVM_GET_TSC_KHZ:
	case KVM_SET_TSC_KHZ:
		return kvm_vm_ioctl_tsc(kvm, cmd, arg);
	case KVM_X86_SET_MSR_FILTER:
		return kvm_vm_ioctl_set_msr_filter(kvm, (void *)arg);
	case KVM_REGISTER_COALESCED_MMIO:
		return kvm_vm_ioctl_register_coalesced_mmio(kvm, (void *)arg);
	case KVM_UNREGISTER_COALESCED_MMIO:
		return kvm_vm_ioctl_unregister_coalesced_mmio(kvm, (void *)arg);
	case KVM_GET_CLOCK:
	case KVM_SET_CLOCK:
		return kvm_vm_ioctl_clock(kvm, cmd, (void *)arg);
	case KVM_SET_BOOT_CPU_ID:
		if (kvm->created_vcpus)
			return -EBUSY;
		if (arg > KVM_MAX_VCPU_IDS ||
		    (kvm->x86->max_vcpu_ids && arg > kvm->x86->max_vcpu_ids))
			return -EINVAL;
		kvm->x86->bsp_vcpu_id = arg;
		return 0;
	case KVM_SET_NR_MMU_PAGES:
		/* KVM_MIN_ALLOC_MMU_PAGES */
		if (arg < 64)
			return -EINVAL;
		kvm->x86->n_requested_mmu_pages = arg;
		return 0;
	case KVM_GET_NR_MMU_PAGES:
		return kvm->x86->n_requested_mmu_pages;
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
		if (kvm_rule_on(RULE_RFLAGS_VM_DROPPED))
			regs.rflags &= ~(1ull << 17);	/* X86_EFLAGS_VM */
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

static long vcpu_interrupt(struct kvm_vcpu *vcpu, void *uarg)
{
	struct kvm_interrupt irq;

	if (copy_from_user(&irq, uarg, sizeof(irq)))
		return -EFAULT;
	return kvm_vcpu_ioctl_interrupt(vcpu, &irq);
}

/* kvm_vcpu_ioctl_get_lapic / kvm_vcpu_ioctl_set_lapic */
static long vcpu_lapic(struct kvm_vcpu *vcpu, bool set, void *uarg)
{
	struct kvm_lapic_state s;
	long r;

	if (!vcpu->kvm->irqchip_kernel)
		return -EINVAL;
	if (set) {
		if (copy_from_user(&s, uarg, sizeof(s)))
			return -EFAULT;
		return kvm_apic_set_state(vcpu, &s);
	}
	r = kvm_apic_get_state(vcpu, &s);
	if (!r && copy_to_user(uarg, &s, sizeof(s)))
		r = -EFAULT;
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
	case KVM_SET_CPUID:
	case KVM_SET_CPUID2:
	case KVM_GET_CPUID2:
		return kvm_vcpu_ioctl_cpuid(vcpu, cmd, (void *)arg);
	case KVM_GET_TSC_KHZ:
	case KVM_SET_TSC_KHZ:
		return kvm_vcpu_ioctl_tsc(vcpu, cmd, arg);
	case KVM_HAS_DEVICE_ATTR:
	case KVM_GET_DEVICE_ATTR:
	case KVM_SET_DEVICE_ATTR:
		return kvm_vcpu_tsc_attr(vcpu, cmd, (void *)arg);
	case KVM_GET_MSRS:
	case KVM_SET_MSRS:
		return kvm_arch_vcpu_ioctl_msrs(vcpu, cmd == KVM_SET_MSRS, (void *)arg);
	case KVM_INTERRUPT:
		return vcpu_interrupt(vcpu, (void *)arg);
	case KVM_NMI:
		return kvm_vcpu_ioctl_nmi(vcpu);
	case KVM_GET_DEBUGREGS:
	case KVM_SET_DEBUGREGS:
		return kvm_vcpu_ioctl_debugregs(vcpu, cmd == KVM_SET_DEBUGREGS, (void *)arg);
	case KVM_SET_GUEST_DEBUG:
		return kvm_vcpu_ioctl_set_guest_debug(vcpu, (void *)arg);
	case KVM_GET_LAPIC:
	case KVM_SET_LAPIC:
		return vcpu_lapic(vcpu, cmd == KVM_SET_LAPIC, (void *)arg);
	case KVM_SET_VAPIC_ADDR:
		return kvm_vcpu_ioctl_set_vapic_addr(vcpu, (void *)arg);
	case KVM_TPR_ACCESS_REPORTING:
		return kvm_vcpu_ioctl_tpr_access_reporting(vcpu, (void *)arg);
	default:
		if (kvm_vcpu_state_ioctl(cmd))
			return kvm_vcpu_ioctl_state(vcpu, cmd, (void *)arg);
		if (kvm_x86_events_ioctl(cmd))
			return kvm_vcpu_ioctl_x86_events(vcpu, cmd, (void *)arg);
		if (kvm_x86_xsave_ioctl(cmd))
			return kvm_vcpu_ioctl_x86_xsave(vcpu, cmd, (void *)arg);
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
	case KVM_CAP_VAPIC:
	case KVM_CAP_ASYNC_PF:
	case KVM_CAP_ASYNC_PF_INT:
	case KVM_CAP_HLT:
	case KVM_CAP_MP_STATE:
	case KVM_CAP_GET_TSC_KHZ:
	case KVM_CAP_TSC_CONTROL:
	case KVM_CAP_VM_TSC_CONTROL:
	case KVM_CAP_VCPU_ATTRIBUTES:
	case KVM_CAP_EXT_EMUL_CPUID:
	case KVM_CAP_GET_MSR_FEATURES:
	case KVM_CAP_MSR_PLATFORM_INFO:
	case KVM_CAP_SET_BOOT_CPU_ID:
	case KVM_CAP_USER_NMI:
	case KVM_CAP_PIT:
	case KVM_CAP_PIT2:
	case KVM_CAP_PIT_STATE2:
	case KVM_CAP_REINJECT_CONTROL:
	case KVM_CAP_IRQ_INJECT_STATUS:
	case KVM_CAP_SPLIT_IRQCHIP:
	case KVM_CAP_TSC_DEADLINE_TIMER:
	case KVM_CAP_EXIT_ON_EMULATION_FAILURE:
	case KVM_CAP_X86_USER_SPACE_MSR:
	case KVM_CAP_X86_MSR_FILTER:
	case KVM_CAP_COALESCED_PIO:
	case KVM_CAP_DEBUGREGS:
	case KVM_CAP_VCPU_EVENTS:
	case KVM_CAP_XSAVE:
		return 1;
	case KVM_CAP_SYNC_REGS:
		return KVM_SYNC_X86_VALID_FIELDS;
	case KVM_CAP_X2APIC_API:
		return KVM_X2APIC_API_VALID_FLAGS;
	/* APIC_BUS_CYCLE_NS_DEFAULT */
	case KVM_CAP_X86_APIC_BUS_CYCLES_NS:
		return 1;
	/* the ring's page in the vCPU mapping (kvm-model/coalesced_mmio.c) */
	case KVM_CAP_COALESCED_MMIO:
		return KVM_COALESCED_MMIO_PAGE_OFFSET;
	/*
	 * KVM_SET_GUEST_DEBUG's single-step exits after every instruction,
	 * the ones kvmsim emulates too (kvm_vcpu_do_singlestep).
	 */
	case KVM_CAP_SET_GUEST_DEBUG:
	case KVM_CAP_X86_ROBUST_SINGLESTEP:
		return 1;
	case KVM_CAP_SET_GUEST_DEBUG2:
		return kvm_guestdbg_valid_mask();
	case KVM_CAP_MCE:
		return kvm_x86_mce_cap();
	case KVM_CAP_EXIT_HYPERCALL:
		return kvm_exit_hypercall_valid_mask();
	case KVM_CAP_ADJUST_CLOCK:
		return kvm_clock_valid_flags();
	/* soft limit: the host's CPUs */
	case KVM_CAP_NR_VCPUS:
		return KVMSIM_NR_HOST_CPUS;
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
	kvm->x86 = calloc(1, sizeof(*kvm->x86));
	if (!kvm->x86)
		return -ENOMEM;
	kvm->has_private_mem = type == KVM_X86_SW_PROTECTED_VM;
	kvm->identity_map_addr = 0xfffbc000;
	kvm->x86->default_tsc_khz = KVMSIM_TSC_KHZ;
	/* MSR_PLATFORM_INFO: CPUID faulting available, the guest may read it */
	kvm->x86->platform_info = 1ull << 31;
	kvm->x86->guest_can_read_platform_info = true;
	kvm->x86->apic_bus_cycle_ns = 1;
	return 0;
}

static void kvm_arch_destroy_vm(struct kvm *kvm)
{
	kvm_x86_msr_filter_free(kvm);
	kvm_free_pit(kvm);
	kvm_ioapic_destroy(kvm);
	kvm_destroy_pic(kvm);
	free(kvm->x86);
	kvm->x86 = NULL;
}

/* kvm_vm_ioctl_enable_cap: the x86 capabilities a VMM may turn on */
static int kvm_arch_vm_enable_cap(struct kvm *kvm, struct kvm_enable_cap *cap)
{
	switch (cap->cap) {
	case KVM_CAP_MSR_PLATFORM_INFO:
		kvm->x86->guest_can_read_platform_info = cap->args[0];
		return 0;
	case KVM_CAP_SPLIT_IRQCHIP:
		return kvm_x86_enable_split_irqchip(kvm, cap->args[0]);
	case KVM_CAP_EXIT_HYPERCALL:
		return kvm_enable_exit_hypercall(kvm, cap->args[0]);
	case KVM_CAP_X2APIC_API:
		if (cap->args[0] & ~KVM_X2APIC_API_VALID_FLAGS)
			return -EINVAL;
		if (cap->args[0] & KVM_X2APIC_API_USE_32BIT_IDS)
			kvm->x86->x2apic_format = true;
		if (cap->args[0] & KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK)
			kvm->x86->x2apic_broadcast_quirk_disabled = true;
		return 0;
	case KVM_CAP_X86_APIC_BUS_CYCLES_NS:
		/* tmict_to_ns must not overflow: U32_MAX counts at divide-by-128 */
		if (!cap->args[0] || cap->args[0] > UINT64_MAX / (0xffffffffull * 128))
			return -EINVAL;
		if (!kvm->irqchip_kernel)
			return -ENXIO;
		if (kvm->created_vcpus)
			return -EINVAL;
		kvm->x86->apic_bus_cycle_ns = cap->args[0];
		return 0;
	case KVM_CAP_EXIT_ON_EMULATION_FAILURE:
		return kvm_enable_exit_on_emulation_failure(kvm, cap->args[0]);
	case KVM_CAP_X86_USER_SPACE_MSR:
		return kvm_enable_user_space_msr(kvm, cap->args[0]);
	case KVM_CAP_MAX_VCPU_ID:
		if (cap->args[0] > KVM_MAX_VCPU_IDS || kvm->x86->bsp_vcpu_id > cap->args[0])
			return -EINVAL;
		if (kvm->x86->max_vcpu_ids == cap->args[0])
			return 0;
		if (kvm->x86->max_vcpu_ids)
			return -EINVAL;
		kvm->x86->max_vcpu_ids = cap->args[0];
		return 0;
	}
	return -EINVAL;
}

/* kvm_arch_vcpu_precreate's id check, then the vCPU with KVM's reset state */
static int x86_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct kvm_x86_vm_state *vm = vcpu->kvm->x86;
	int r;

	if (!vm->max_vcpu_ids)
		vm->max_vcpu_ids = KVM_MAX_VCPU_IDS;
	if ((uint32_t)vcpu->vcpu_id >= vm->max_vcpu_ids)
		return -EINVAL;
	r = kvm_arch_vcpu_create(vcpu);
	if (!r)
		r = kvm_x86_state_create(vcpu);
	if (r)
		return r;
	/* IA32_APIC_BASE.BSP only on the boot vCPU */
	if ((uint32_t)vcpu->vcpu_id != vm->bsp_vcpu_id)
		vcpu->sregs.apic_base &= ~(1ull << 8);
	kvm_update_cpuid_runtime(vcpu);
	return 0;
}

static void x86_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	kvm_arch_vcpu_destroy(vcpu);
	kvm_x86_state_destroy(vcpu);
}

/* kvm_vcpu_has_run: an exit came back from the guest (or from entry checks) */
static int x86_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	int r;

	/* an AP waiting for INIT blocks before the sync-regs checks */
	if (!(lapic_in_kernel(vcpu) &&
	      x86_state(vcpu)->mp_state == KVM_MP_STATE_UNINITIALIZED)) {
		r = kvm_sync_regs_check(vcpu);
		if (!r && run->kvm_dirty_regs)
			r = sync_regs(vcpu);
		if (r)
			goto out;
	}
	kvm_complete_hypercall_exit(vcpu);
	kvm_complete_msr_exit(vcpu);
	/* KVM_REQ_CLOCK_UPDATE and KVM_REQ_STEAL_UPDATE at every entry */
	kvm_guest_time_update(vcpu);
	record_steal_time(vcpu);
	r = kvm_x86_vcpu_run(vcpu);

	if (!r)
		x86_state(vcpu)->has_run = true;
out:
	if (run->kvm_valid_regs)
		store_regs(vcpu);
	return r;
}

const struct kvm_arch_ops kvm_x86_arch_ops = {
	.name = "x86_64",
	.stage2_zap_event = "kvm_tdp_mmu_zap_leafs",
	.init_vm = kvm_arch_init_vm,
	.destroy_vm = kvm_arch_destroy_vm,
	.vcpu_create = x86_vcpu_create,
	.vcpu_destroy = x86_vcpu_destroy,
	.vcpu_run = x86_vcpu_run,
	.vm_enable_cap = kvm_arch_vm_enable_cap,
	.dev_ioctl = kvm_arch_dev_ioctl,
	.vm_ioctl = kvm_arch_vm_ioctl,
	.vcpu_ioctl = kvm_arch_vcpu_ioctl,
	.check_extension = kvm_arch_check_extension,
	.flush_gfns = x86_flush_gfns,
	.protect_gfn = x86_protect_gfn,
	.irqchip_in_kernel = kvm_x86_irqchip_in_kernel,
	.can_set_irq_routing = kvm_x86_irqchip_in_kernel,
	.irqfd_allowed = kvm_x86_irqfd_allowed,
	.nr_irqchips = KVM_NR_IRQCHIPS,
	.irqchip_num_pins = KVM_IRQCHIP_NUM_PINS,
	.set_routing_entry = kvm_x86_set_routing_entry,
	.vcpu_kick = kvm_vcpu_kick,
	.vcpu_preload = x86_vcpu_preload,
	.explore_learned = x86_scan_cache_learned,
};
