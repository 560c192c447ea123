/* SPDX-License-Identifier: MIT */
/*
 * uAPI constants and structures newer than Debian's 6.1 <linux/kvm.h>,
 * with values and layouts from the merged upstream headers.  One place,
 * so every file agrees.
 */
#ifndef KVMSIM_UAPI_EXT_H
#define KVMSIM_UAPI_EXT_H

#include <linux/kvm.h>
#include <linux/types.h>

#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT		39
#endif
#ifndef KVM_MEMORY_EXIT_FLAG_PRIVATE
#define KVM_MEMORY_EXIT_FLAG_PRIVATE	(1ULL << 3)
#endif
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2		231
#endif
#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO	232
#endif
#ifndef KVM_CAP_MEMORY_ATTRIBUTES
#define KVM_CAP_MEMORY_ATTRIBUTES	233
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD		234
#endif
#ifndef KVM_CAP_X86_APIC_BUS_CYCLES_NS
#define KVM_CAP_X86_APIC_BUS_CYCLES_NS	237
#endif
#ifndef KVM_MEM_GUEST_MEMFD
#define KVM_MEM_GUEST_MEMFD		(1UL << 2)
#endif

/* The 2023 series' number for the same exit (profile rfc-2023-v2). */
#define KVMSIM_EXIT_MEMORY_FAULT_RFC	38

/* rfc-2023-v2 (seed 000), never merged */
#define KVM_CAP_X86_MEMORY_FAULT_EXIT		227
#define KVM_CAP_MEMORY_FAULT_NOWAIT		228
#define KVM_MEMFAULT_REASON_UNKNOWN		(1ULL << 0)
#define KVM_MEMFAULT_REASON_ABSENT_MAPPING	(1ULL << 1)
#define KVM_MEM_ABSENT_MAPPING_FAULT		(1UL << 2)
/* later versions, and KVM Userfault (seed 002) */
#define KVM_MEM_EXIT_ON_MISSING			(1UL << 3)
#define KVM_MEM_USERFAULT			(1UL << 3)
#define KVM_MEMORY_EXIT_FLAG_USERFAULT		(1ULL << 4)

/* The memory_fault member of the kvm_run exit union (upstream 6.8+). */
struct kvmsim_memory_fault {
	__u64 flags;
	__u64 gpa;
	__u64 size;
};

#ifndef KVM_SET_USER_MEMORY_REGION2
struct kvm_userspace_memory_region2 {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
	__u64 guest_memfd_offset;
	__u32 guest_memfd;
	__u32 pad1;
	__u64 pad2[14];
};
#define KVM_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct kvm_userspace_memory_region2)
#endif

/* UFFDIO_POISON (6.6+): what the proposed UFFDIO_SIGBUS became. */
#include <linux/userfaultfd.h>
#ifndef UFFDIO_POISON
#define _UFFDIO_POISON			0x08
#define UFFDIO_POISON_MODE_DONTWAKE	((__u64)1 << 0)
#define UFFD_FEATURE_POISON		(1 << 14)
struct uffdio_poison {
	struct uffdio_range range;
	__u64 mode;
	__s64 updated;
};
#define UFFDIO_POISON	_IOWR(UFFDIO, _UFFDIO_POISON, struct uffdio_poison)
#endif
/*
 * x86 paravirtual async page faults (arch/x86/include/uapi/asm/kvm_para.h,
 * Documentation/virt/kvm/x86/msr.rst and cpuid.rst).
 */
#ifndef KVM_CAP_ASYNC_PF
#define KVM_CAP_ASYNC_PF			59
#endif
#ifndef KVM_CAP_ASYNC_PF_INT
#define KVM_CAP_ASYNC_PF_INT			183
#endif
#define KVM_CPUID_SIGNATURE			0x40000000
#define KVM_CPUID_FEATURES			0x40000001
#define KVM_FEATURE_CLOCKSOURCE2		3
#define KVM_FEATURE_ASYNC_PF			4
#define KVM_FEATURE_CLOCKSOURCE_STABLE_BIT	24
#define MSR_KVM_WALL_CLOCK_NEW			0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW			0x4b564d01
#define KVM_FEATURE_ASYNC_PF_VMEXIT		10
#define KVM_FEATURE_ASYNC_PF_INT		14
#define MSR_KVM_ASYNC_PF_EN			0x4b564d02
/* PV steal time: the MSR names a 64-byte aligned struct kvm_steal_time */
#define KVM_FEATURE_STEAL_TIME			5
#define MSR_KVM_STEAL_TIME			0x4b564d03
#define KVM_STEAL_ALIGNMENT_BITS		5
#define KVM_STEAL_VALID_BITS			((-1ULL << (KVM_STEAL_ALIGNMENT_BITS + 1)))
#define KVM_STEAL_RESERVED_MASK			(((1 << KVM_STEAL_ALIGNMENT_BITS) - 1) << 1)
#define MSR_KVM_ASYNC_PF_INT			0x4b564d06
#define MSR_KVM_ASYNC_PF_ACK			0x4b564d07
#define KVM_ASYNC_PF_ENABLED			(1 << 0)
#define KVM_ASYNC_PF_SEND_ALWAYS		(1 << 1)
#define KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT	(1 << 2)
#define KVM_ASYNC_PF_DELIVERY_AS_INT		(1 << 3)
#define KVM_ASYNC_PF_VEC_MASK			0xff
#define KVM_PV_REASON_PAGE_NOT_PRESENT		1

/*
 * Seed 001's proposal (never merged): the guest opts in with SEND_ERROR
 * (bit 4, reserved upstream) when CPUID says ASYNC_PF_ERROR; a failed
 * async GUP arrives as 'page ready' with PAGE_ERROR in ready_flags.
 */
#define KVM_FEATURE_ASYNC_PF_ERROR		15
#define KVM_ASYNC_PF_SEND_ERROR			(1 << 4)
#define KVM_PV_REASON_PAGE_ERROR		1

/* The 64-byte area MSR_KVM_ASYNC_PF_EN points at. */
struct kvm_vcpu_pv_apf_data {
	__u32 flags;		/* 'page not present' (#PF, token in CR2) */
	__u32 token;		/* 'page ready' (the interrupt); 0 = slot free */
	__u32 ready_flags;	/* seed 001: KVM_PV_REASON_PAGE_ERROR */
	__u8 pad[52];
};

/* guest_memfd and memory attributes (6.8+), guest_memfd mmap (6.18) */
#ifndef KVM_CREATE_GUEST_MEMFD
struct kvm_create_guest_memfd {
	__u64 size;
	__u64 flags;
	__u64 reserved[6];
};
#define KVM_CREATE_GUEST_MEMFD	_IOWR(KVMIO, 0xd4, struct kvm_create_guest_memfd)
#endif
#ifndef KVM_SET_MEMORY_ATTRIBUTES
struct kvm_memory_attributes {
	__u64 address;
	__u64 size;
	__u64 attributes;
	__u64 flags;
};
#define KVM_SET_MEMORY_ATTRIBUTES	_IOW(KVMIO, 0xd2, struct kvm_memory_attributes)
#define KVM_MEMORY_ATTRIBUTE_PRIVATE	(1ULL << 3)
#endif
#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES		235
#endif
#ifndef KVM_CAP_GUEST_MEMFD_FLAGS
#define KVM_CAP_GUEST_MEMFD_FLAGS	244
#endif
#ifndef GUEST_MEMFD_FLAG_MMAP
#define GUEST_MEMFD_FLAG_MMAP		(1ULL << 0)
#define GUEST_MEMFD_FLAG_INIT_SHARED	(1ULL << 1)
#endif
#ifndef KVM_X86_SW_PROTECTED_VM
#define KVM_X86_DEFAULT_VM		0
#define KVM_X86_SW_PROTECTED_VM		1
#endif

/*
 * fd-based private memory v6 (seed 003), never merged: KVM_MEM_PRIVATE
 * through the old KVM_SET_USER_MEMORY_REGION ioctl, which then reads the
 * extended struct.
 */
#define KVM_MEM_PRIVATE			(1UL << 2)
struct kvm_userspace_memory_region_ext {
	struct kvm_userspace_memory_region region;
	__u64 private_offset;
	__u32 private_fd;
	__u32 pad1;
	__u64 pad2[14];
};

/* Offset of the exit union inside struct kvm_run (same on x86 and arm64). */
#define KVMSIM_RUN_UNION_OFFSET 32

#endif
