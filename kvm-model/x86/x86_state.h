/* SPDX-License-Identifier: MIT */
/*
 * The x86 vCPU state KVM keeps beside the registers the engine runs on
 * (arch/x86/include/asm/kvm_host.h's struct kvm_vcpu_arch, the part the
 * uAPI reaches): TSC, CPUID, MSRs, MP state, debug registers, events.
 * Knows nothing of Unicorn: cpuid.c, tsc.c, msr.c and vcpu_state.c keep it.
 */
#ifndef KVMSIM_X86_STATE_H
#define KVMSIM_X86_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "kvm-model/kvm_host.h"

/*
 * The host TSC kvmsim models runs at 1 GHz on the virtual clock: one
 * tick per virtual nanosecond (a guest instruction is one nanosecond).
 * KVM_GET_TSC_KHZ reports it until KVM_SET_TSC_KHZ scales a vCPU's TSC.
 */
#define KVMSIM_TSC_KHZ			1000000u
/* SVM's TSC ratio: 8.32 fixed point, below 256 (kvm_caps on AMD) */
#define KVM_TSC_RATIO_FRAC_BITS		32
#define KVM_TSC_RATIO_DEFAULT		(1ull << KVM_TSC_RATIO_FRAC_BITS)
#define KVM_TSC_RATIO_MAX		0x000000ffffffffffull

#define KVM_MAX_MCE_BANKS		32
#define KVMSIM_MCE_BANKS		10
#define KVM_NR_VAR_MTRR			8

/* The x86-64 host kvmsim models has this many CPUs (KVM_CAP_NR_VCPUS). */
#define KVMSIM_NR_HOST_CPUS		1

struct x86_vcpu_state {
	/* tsc.c: guest TSC = host TSC * ratio + tsc_offset (vcpu->tsc_offset) */
	uint32_t virtual_tsc_khz;
	uint64_t tsc_scaling_ratio;
	uint64_t ia32_tsc_adjust_msr;
	/* the TSC-matching generation this vCPU last synchronized to */
	uint64_t last_guest_tsc;
	uint64_t this_tsc_generation, this_tsc_nsec, this_tsc_write;

	/* kvmclock.c: MSR_KVM_SYSTEM_TIME_NEW and the pvclock page's version */
	uint64_t system_time;
	uint32_t pvclock_version;

	/* steal_time.c: MSR_KVM_STEAL_TIME, the task's run_delay at the last entry */
	uint64_t st_msr_val, st_last_steal;

	/* hypercall.c: the length of a hypercall waiting for userspace's answer */
	int hypercall_pending;
	bool hypercall_64;

	/* emulation_failure.c: an exception KVM queued for the next entry */
	bool exception_pending, exception_has_error;
	uint8_t exception_nr;
	uint32_t exception_error_code;

	/* msr_filter.c: a KVM_EXIT_X86_RDMSR/WRMSR waiting for its completion */
	uint32_t msr_exit_pending;
	uint64_t msr_exit_next_rip;

	/* cpuid.c: KVM_SET_CPUID2 after the first run must not change it */
	bool has_run;
	/* cpuid.c: CR4 bits the vCPU's CPUID table reserves (0 before one is set) */
	uint64_t cr4_guest_rsvd_bits;

	/* vcpu_state.c */
	uint32_t mp_state;
	uint64_t db[4], dr6, dr7;
	uint64_t xcr0;

	/* msr.c */
	uint64_t hwcr, misc_features_enables, spec_ctrl, smi_count;
	uint64_t mtrr_def_type, mtrr_fixed[11], mtrr_var[2 * KVM_NR_VAR_MTRR];
	uint64_t mcg_cap, mcg_status, mcg_ctl, mce_banks[4 * KVM_MAX_MCE_BANKS];
	uint64_t arch_capabilities, ucode_rev, power_ctl;
};

struct kvm_x86_vm_state {
	uint32_t default_tsc_khz;
	/*
	 * tsc.c, kvm_synchronize_tsc: the last host-side TSC write (ns on
	 * the virtual clock, value, frequency, offset), the current
	 * generation of matched writes, and whether userspace wrote a TSC.
	 */
	uint64_t last_tsc_nsec, last_tsc_write, last_tsc_offset;
	uint32_t last_tsc_khz;
	uint64_t cur_tsc_generation, cur_tsc_nsec, cur_tsc_write, cur_tsc_offset;
	uint32_t nr_vcpus_matched_tsc;
	bool user_set_tsc;
	uint32_t bsp_vcpu_id;		/* KVM_SET_BOOT_CPU_ID */
	uint32_t max_vcpu_ids;		/* KVM_CAP_MAX_VCPU_ID, fixed by the first vCPU */
	uint64_t n_requested_mmu_pages;	/* KVM_SET_NR_MMU_PAGES (the TDP MMU ignores it) */
	/* MSR_PLATFORM_INFO, and KVM_CAP_MSR_PLATFORM_INFO: may the guest read it */
	uint64_t platform_info;
	bool guest_can_read_platform_info;
	uint64_t disabled_quirks;
	uint64_t hypercall_exit_enabled;	/* KVM_CAP_EXIT_HYPERCALL */
	bool exit_on_emulation_error;	/* KVM_CAP_EXIT_ON_EMULATION_FAILURE */
	uint64_t user_space_msr_mask;	/* KVM_CAP_X86_USER_SPACE_MSR */
	struct kvm_x86_msr_filter *msr_filter;	/* KVM_X86_SET_MSR_FILTER */
	uint64_t kvmclock_offset;	/* kvmclock = virtual ns + this */
	uint64_t wall_clock;		/* MSR_KVM_WALL_CLOCK_NEW */
	uint32_t wall_clock_version;
	/* lapic.c: KVM_CAP_X2APIC_API, KVM_CAP_X86_APIC_BUS_CYCLES_NS */
	bool x2apic_format;
	bool x2apic_broadcast_quirk_disabled;
	uint64_t apic_bus_cycle_ns;
	/* the IOAPIC's EOI hook (kvm_ioapic_send_eoi), NULL without one */
	void (*ioapic_send_eoi)(struct kvm_vcpu *vcpu, int vector, bool level);
	/* KVM_CREATE_IRQCHIP's PIC pair and IOAPIC, KVM_CREATE_PIT2's PIT */
	struct kvm_pic *vpic;
	struct kvm_ioapic *vioapic;
	struct kvm_pit *vpit;
	/* KVM_CAP_SPLIT_IRQCHIP: the GSIs below this are the userspace IOAPIC's */
	bool irqchip_split;
	uint32_t nr_reserved_ioapic_pins;
};

struct x86_vcpu_state *x86_state(struct kvm_vcpu *vcpu);
struct kvm_x86_vm_state *kvm_x86_vm(struct kvm *kvm);
int kvm_x86_state_create(struct kvm_vcpu *vcpu);
void kvm_x86_state_destroy(struct kvm_vcpu *vcpu);

/* tsc.c */
uint64_t kvm_read_l1_tsc(struct kvm_vcpu *vcpu);
uint64_t kvm_read_l1_tsc_at(struct kvm_vcpu *vcpu, uint64_t now);
void kvm_synchronize_tsc(struct kvm_vcpu *vcpu, const uint64_t *user_value);
void kvm_guest_write_tsc(struct kvm_vcpu *vcpu, uint64_t data);
void kvm_guest_adjust_tsc(struct kvm_vcpu *vcpu, uint64_t adjust);
long kvm_vcpu_ioctl_tsc(struct kvm_vcpu *vcpu, unsigned int cmd, unsigned long arg);
long kvm_vm_ioctl_tsc(struct kvm *kvm, unsigned int cmd, unsigned long arg);
long kvm_vcpu_tsc_attr(struct kvm_vcpu *vcpu, unsigned int cmd, void *uarg);
void kvm_vcpu_tsc_init(struct kvm_vcpu *vcpu);

/* cpuid.c */
const struct kvm_cpuid_entry2 *kvm_find_cpuid_entry_index(struct kvm_vcpu *vcpu,
							  uint32_t fn, uint32_t idx);
bool guest_cpuid_has(struct kvm_vcpu *vcpu, uint32_t fn, uint32_t idx, int reg, int bit);
long kvm_dev_ioctl_get_cpuid(unsigned int cmd, void *uarg);
long kvm_vcpu_ioctl_cpuid(struct kvm_vcpu *vcpu, unsigned int cmd, void *uarg);
void kvm_update_cpuid_runtime(struct kvm_vcpu *vcpu);
int kvm_arch_get_supported_cpuid(struct kvm_cpuid_entry2 *e, int max);
int kvm_cpuid_maxphyaddr(struct kvm_vcpu *vcpu);
uint64_t kvm_cr4_reserved_bits(void);

/* msr.c: IA32_APIC_BASE as KVM_SET_SREGS and WRMSR set it; 1 when refused */
int kvm_apic_set_base(struct kvm_vcpu *vcpu, uint64_t data, bool host_initiated);

enum { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

/* msr.c */
long kvm_dev_ioctl_msr(unsigned int cmd, void *uarg);
long kvm_arch_vcpu_ioctl_msrs(struct kvm_vcpu *vcpu, bool set, void *uarg);
int kvm_set_msr_common(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t data);
int kvm_get_msr_common(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t *data);
int kvm_msr_host_access(struct kvm_vcpu *vcpu, uint32_t idx, uint64_t *data, bool write);
void kvm_vcpu_msr_init(struct kvm_vcpu *vcpu);

/* kvmclock.c */
uint32_t kvm_clock_valid_flags(void);
long kvm_vm_ioctl_clock(struct kvm *kvm, unsigned int cmd, void *uarg);
void kvm_guest_time_update(struct kvm_vcpu *vcpu);
void kvm_write_system_time(struct kvm_vcpu *vcpu, uint64_t data);
void kvm_write_wall_clock(struct kvm_vcpu *vcpu, uint64_t gpa);

/* steal_time.c */
int kvm_set_steal_time_msr(struct kvm_vcpu *vcpu, uint64_t data);
uint64_t kvm_get_steal_time_msr(struct kvm_vcpu *vcpu);
void record_steal_time(struct kvm_vcpu *vcpu);

/* hypercall.c */
int kvm_emulate_hypercall(struct kvm_vcpu *vcpu, int len);
void kvm_complete_hypercall_exit(struct kvm_vcpu *vcpu);
uint64_t kvm_exit_hypercall_valid_mask(void);
int kvm_enable_exit_hypercall(struct kvm *kvm, uint64_t mask);

/* vcpu_state.c */
long kvm_vcpu_ioctl_state(struct kvm_vcpu *vcpu, unsigned int cmd, void *uarg);
bool kvm_vcpu_state_ioctl(unsigned int cmd);

/* debugregs.c: KVM_GET_DEBUGREGS / KVM_SET_DEBUGREGS */
long kvm_vcpu_ioctl_debugregs(struct kvm_vcpu *vcpu, bool set, void *uarg);

/* msr_filter.c */
int kvm_vm_ioctl_set_msr_filter(struct kvm *kvm, void *arg);
void kvm_x86_msr_filter_free(struct kvm *kvm);
int kvm_enable_user_space_msr(struct kvm *kvm, uint64_t mask);
bool kvm_msr_allowed(struct kvm_vcpu *vcpu, uint32_t idx, uint32_t type);
int kvm_emulate_msr(struct kvm_vcpu *vcpu, bool write, uint64_t next_rip);
void kvm_complete_msr_exit(struct kvm_vcpu *vcpu);

/* emulation_failure.c */
int kvm_deliver_queued_exception(struct kvm_vcpu *vcpu);
void kvm_drop_queued_exception(struct kvm_vcpu *vcpu);
int kvm_enable_exit_on_emulation_failure(struct kvm *kvm, uint64_t arg);

#endif
