/* SPDX-License-Identifier: MIT */
/*
 * Per-process architecture dispatch.  The kernel picks its arch at build
 * time (arch/x86/kvm, arch/arm64/kvm); kvmsim picks it per process
 * (`kvmsim --arch`, KVMSIM_ARCH), so the generic code in kvm_main.c calls
 * the kvm_arch_* hooks through this table.  Each back end (kvm-model/x86/,
 * kvm-model/arm64/) provides one instance.
 */
#ifndef KVMSIM_KVM_ARCH_H
#define KVMSIM_KVM_ARCH_H

#include <stdbool.h>
#include <stdint.h>

struct kvm_device_ops;
struct kvm;
struct kvm_memory_slot;
struct kvm_vcpu;
struct kvm_enable_cap;
struct kvm_irq_routing_entry;
struct kvm_kernel_irq_routing_entry;

struct kvm_arch_ops {
	const char *name;		/* "x86_64", "arm64": as --arch spells it */
	/* the kernel function a stage-2 range zap is traced as */
	const char *stage2_zap_event;
	/* kvm_arch_init_vm: KVM_CREATE_VM's type argument; 0 or -errno */
	int (*init_vm)(struct kvm *kvm, unsigned long type);
	void (*destroy_vm)(struct kvm *kvm);
	int (*vcpu_create)(struct kvm_vcpu *vcpu);
	void (*vcpu_destroy)(struct kvm_vcpu *vcpu);
	/* kvm_arch_vcpu_ioctl_run, on the vCPU's actor: 0 or -errno */
	int (*vcpu_run)(struct kvm_vcpu *vcpu);
	/* ioctls the generic code does not know: kvm_arch_{dev,vm,vcpu}_ioctl */
	long (*dev_ioctl)(unsigned int cmd, unsigned long arg);
	long (*vm_ioctl)(struct kvm *kvm, unsigned int cmd, unsigned long arg);
	long (*vcpu_ioctl)(struct kvm_vcpu *vcpu, unsigned int cmd, unsigned long arg);
	/* kvm_arch_prepare_memory_region for a created or moved slot (NULL: none) */
	int (*prepare_memory_region)(struct kvm *kvm, uint64_t base_gfn, uint64_t npages);
	/* kvm_arch_commit_memory_region for FLAGS_ONLY (NULL: x86's kvm_mmu_slot_apply_flags) */
	void (*slot_apply_flags)(struct kvm *kvm, struct kvm_memory_slot *old, uint32_t new_flags);
	/* kvm_vm_ioctl_enable_cap for the arch's capabilities (NULL: none) */
	int (*vm_enable_cap)(struct kvm *kvm, struct kvm_enable_cap *cap);
	/* kvm_vm_ioctl_check_extension: the arch's answer for a capability */
	int (*check_extension)(struct kvm *kvm, long ext);
	/* kvm_device_ops_table: the device KVM_CREATE_DEVICE makes of type (NULL: none) */
	const struct kvm_device_ops *(*device_ops)(uint32_t type);
	/* drop a vCPU's installed translations derived from these gfns */
	void (*flush_gfns)(struct kvm_vcpu *vcpu, uint64_t gfn_start, uint64_t gfn_end);
	/* a gfn became a guest page-table page: catch its writes again */
	void (*protect_gfn)(struct kvm_vcpu *vcpu, uint64_t gfn);
	/* kvm_arch_irqchip_in_kernel: KVM_SIGNAL_MSI works (NULL: never) */
	bool (*irqchip_in_kernel)(struct kvm *kvm);
	/* kvm_arch_can_set_irq_routing (NULL: always, the kernel's weak default) */
	bool (*can_set_irq_routing)(struct kvm *kvm);
	/* kvm_arch_intc_initialized: else KVM_IRQFD is -EAGAIN (NULL: always) */
	bool (*intc_initialized)(struct kvm *kvm);
	/* kvm_arch_irqfd_allowed, for a resampling irqfd or not (NULL: never) */
	bool (*irqfd_allowed)(struct kvm *kvm, bool resample);
	/* KVM_NR_IRQCHIPS and KVM_IRQCHIP_NUM_PINS: the routing table's chip map */
	unsigned int nr_irqchips, irqchip_num_pins;
	/* kvm_set_routing_entry: what a GSI route does; 0 or -EINVAL */
	int (*set_routing_entry)(struct kvm *kvm, struct kvm_kernel_irq_routing_entry *e,
				 const struct kvm_irq_routing_entry *ue);
	/* kvm_vcpu_kick: wake the vCPU if it sleeps in KVM_RUN (NULL: none) */
	void (*vcpu_kick)(struct kvm_vcpu *vcpu);
	/*
	 * At explore's fork point: load now what the vCPU's next entry would,
	 * if that is invisible (kvm_preload_vcpus; NULL: none)
	 */
	void (*vcpu_preload)(struct kvm_vcpu *vcpu);
	/* in explore's server: a record a run learned (kvm_explore_learned; NULL: none) */
	void (*explore_learned)(const void *rec, size_t len);
};

extern const struct kvm_arch_ops kvm_x86_arch_ops;
extern const struct kvm_arch_ops kvm_arm64_arch_ops;

/* The process' architecture (x86_64 unless KVMSIM_ARCH says otherwise). */
const struct kvm_arch_ops *kvm_arch(void);
/* Choose by name; -EINVAL for an unknown one (unit tests). */
int kvm_arch_select(const char *name);
/* At start-up, from KVMSIM_ARCH (NULL or "": x86_64); unknown: exit 2. */
void kvm_arch_init(const char *name);

#endif
