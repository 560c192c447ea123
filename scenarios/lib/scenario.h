/* SPDX-License-Identifier: MIT */
/*
 * Scenario helper library: a small kvm_util for VMM programs that must run
 * unchanged on a real /dev/kvm and inside kvmsim.  It uses only the KVM
 * uAPI (<linux/kvm.h>), libc and libelf; nothing here knows about the
 * simulator.
 *
 * Everything fatal goes to stderr and exits with status 1.  Nothing the
 * library prints on stdout contains a host address, so a scenario's
 * stdout can be compared byte for byte between a host and the simulator.
 *
 * Guest physical layout of a VM made by vm_create() (GVA == GPA below
 * 4 GiB, identity mapped with 2 MiB pages unless remapped with virt_map):
 *
 *	0x00000000  page 0, left unused
 *	0x00001000  GDT: null, 0x08 code64, 0x10 data, 0x18 TSS (16 bytes)
 *	0x00002000  IDT (256 gates); the guest runtime fills vectors 0-31
 *	0x00003000  TSS (zeroed, 104 bytes)
 *	0x00004000  parameter page for scenario -> guest structs
 *	0x00010000  page-table pool (PML4 first), up to 0x100000
 *	0x00100000  guest stack, 1 MiB, RSP starts at 0x200000
 *	0x00400000  guest ELF image (PT_LOAD segments), up to 0x1000000
 *
 * Memslot 0 covers [0, 16 MiB) with anonymous memory; scenarios add
 * slots 1 and up.  KVM_SET_TSS_ADDR puts KVM's 3-page TSS area at
 * 0xfffbd000, which guests must not use.
 */
#ifndef SCENARIO_H
#define SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

/* uAPI newer than Debian's 6.1 headers, and the proposals' constants */
#include "kvmsim/uapi_ext.h"
#include "guest_abi.h"
#ifdef SCENARIO_ARM64
#include "guest_abi_arm64.h"
#endif

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define SZ_4K			0x1000ull
#define SZ_2M			0x200000ull
#define SZ_1G			0x40000000ull

#define GUEST_MAIN_SLOT		0
#define GUEST_MAIN_SIZE		0x1000000ull
#define GUEST_GDT_GPA		0x1000ull
#define GUEST_IDT_GPA		0x2000ull
#define GUEST_TSS_GPA		0x3000ull
#define GUEST_PARAM_GPA		0x4000ull
#define GUEST_PT_POOL_GPA	0x10000ull
#define GUEST_PT_POOL_END	0x100000ull
#define GUEST_STACK_GPA		0x100000ull
#define GUEST_STACK_TOP		0x200000ull
#define GUEST_IMAGE_GPA		0x400000ull
#define GUEST_IDENTITY_END	(4 * SZ_1G)
#define KVM_TSS_GPA		0xfffbd000ull

#define GDT_SEL_CODE		0x08
#define GDT_SEL_DATA		0x10
#define GDT_SEL_TSS		0x18

/* x86-64 paging entry bits. */
#define PTE_P			(1ull << 0)
#define PTE_RW			(1ull << 1)
#define PTE_PS			(1ull << 7)
#define PTE_ADDR_MASK		0x000ffffffffff000ull

#define VM_MAX_SLOTS		32
#define VM_MAX_VCPUS		16
/* Each vCPU gets 64K of the guest stack area: RSP = top - id * 64K. */
#define GUEST_VCPU_STACK	0x10000ull

enum backing {
	BACKING_ANON,		/* anonymous memory, no advice */
	BACKING_ANON_4K,	/* anonymous, MADV_NOHUGEPAGE */
	BACKING_ANON_THP,	/* anonymous, 2M aligned, MADV_HUGEPAGE */
	BACKING_USER,		/* the caller's own mapping (vm_add_slot_hva) */
};

struct vm_slot {
	bool used;
	u32 slot;
	u32 flags;		/* KVM_MEM_* */
	u64 gpa;
	u64 size;
	void *hva;		/* what KVM sees as userspace_addr */
	void *map;		/* what mmap returned (may be below hva) */
	size_t map_size;
	enum backing backing;
};

struct kvm_vcpu;

struct kvm_vm {
	int kvm_fd;
	int vm_fd;
	struct vm_slot slots[VM_MAX_SLOTS];
	u64 pml4_gpa;
	u64 pt_next;		/* next free page in the page-table pool */
	struct kvm_vcpu *vcpu;	/* the first one */
	struct kvm_vcpu *vcpus[VM_MAX_VCPUS];
	int nr_vcpus;
};

struct kvm_vcpu {
	struct kvm_vm *vm;
	u32 id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
};

/* Errors: print "file:line: message" (plus errno text) and exit(1). */
void __die(const char *file, int line, bool with_errno, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));
#define die(...)	__die(__FILE__, __LINE__, false, __VA_ARGS__)
#define die_errno(...)	__die(__FILE__, __LINE__, true, __VA_ARGS__)
#define ASSERT(cond, ...)						\
	do {								\
		if (!(cond))						\
			__die(__FILE__, __LINE__, false, __VA_ARGS__);	\
	} while (0)

/* VM and memory. */
/* KVM_CHECK_EXTENSION on /dev/kvm (the system-wide answer). */
int kvm_check_cap(long cap);
/* KVM_CAP_VM_TYPES includes KVM_X86_SW_PROTECTED_VM. */
bool kvm_has_sw_protected_vm(void);
struct kvm_vm *vm_create(void);
/* KVM_CREATE_VM with a machine type (x86: KVM_X86_SW_PROTECTED_VM = 1). */
struct kvm_vm *vm_create_type(unsigned long type);
void vm_destroy(struct kvm_vm *vm);
void *vm_add_slot(struct kvm_vm *vm, u32 slot, u64 gpa, u64 size, u32 flags,
		  enum backing backing);
/* A slot over memory the caller mapped (and unmaps): userfaultfd, memfd... */
void vm_add_slot_hva(struct kvm_vm *vm, u32 slot, u64 gpa, u64 size, u32 flags,
		     void *hva);
/*
 * A memfd of size bytes (its fd in *fd), mapped shared and writable: the
 * file-backed guest memory a VMM can truncate, punch or map again.
 */
void *memfd_map(const char *name, u64 size, int *fd);
/*
 * The 2023 series (profile rfc-2023-v2): enable its memory-fault exits
 * for these KVM_MEMFAULT_REASON_* with cap 227, if this KVM has it.
 */
void vm_enable_memfault_exits(struct kvm_vm *vm, u64 reasons);
/* KVM_SET_USER_MEMORY_REGION with size 0; -errno or 0. */
int vm_delete_slot(struct kvm_vm *vm, u32 slot);
void *gpa_to_hva(struct kvm_vm *vm, u64 gpa, u64 len);
const char *backing_name(enum backing backing);

/* Stage-1 (guest) page tables, built by the VMM in guest memory. */
u64 *virt_get_pte(struct kvm_vm *vm, u64 gva, u64 page_size);
void virt_map(struct kvm_vm *vm, u64 gva, u64 gpa, u64 size, u64 page_size);

/* Guest images. */
const char *guest_dir(void);
u64 vm_load_guest(struct kvm_vm *vm, const char *name);
u64 vm_load_elf(struct kvm_vm *vm, const char *path);

/* vCPU: ids 0, 1, 2... in the order they are added, each with its own stack. */
struct kvm_vcpu *vm_vcpu_add(struct kvm_vm *vm, u64 entry);
void vcpu_set_args(struct kvm_vcpu *vcpu, int nargs, ...);
int __vcpu_run(struct kvm_vcpu *vcpu);	/* 0 or -errno */
void vcpu_run(struct kvm_vcpu *vcpu);	/* dies on error */
const char *exit_reason_name(u32 reason);

/* ucalls. */
const char *ucall_name(u64 cmd);
u64 vcpu_get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);
u64 vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc);
void vcpu_expect_ucall(struct kvm_vcpu *vcpu, struct ucall *uc, u64 cmd);
void describe_exit(struct kvm_vcpu *vcpu, char *buf, size_t size);

#ifndef SCENARIO_ARM64
/*
 * The async-PF scenarios' VM (guest-bins/x86_64/apf.c): the in-kernel
 * LAPIC, the caller's data mapping as slot APF_DATA_SLOT at APF_DATA_GPA,
 * a fresh anonymous page for the 64-byte async-PF area as slot
 * APF_AREA_SLOT at APF_AREA_GPA (returned), both mapped 1:1 in 4K pages.
 */
#define APF_DATA_SLOT	1
#define APF_DATA_GPA	0x40000000ull
#define APF_AREA_SLOT	2
#define APF_AREA_GPA	0x50000000ull
void *vm_setup_apf(struct kvm_vm *vm, void *data, u64 data_size);
#endif

#ifdef SCENARIO_ARM64
/* arm64 (lib/arm64.c): stage-1 tables, KVM_ARM_VCPU_INIT, ONE_REG. */
void arm64_setup_system(struct kvm_vm *vm);
void arm64_setup_vcpu(struct kvm_vcpu *vcpu, u64 entry);
void vcpu_set_reg(struct kvm_vcpu *vcpu, u64 id, u64 val);
u64 vcpu_get_reg(struct kvm_vcpu *vcpu, u64 id);
void vcpu_set_gpr(struct kvm_vcpu *vcpu, int n, u64 val);
#endif

/*
 * userfaultfd (O_CLOEXEC | O_NONBLOCK) with UFFDIO_API(features) and
 * [start, start + len) registered in mode; *ioctls (if given) gets what
 * UFFDIO_REGISTER reported.  Dies on error.
 */
int uffd_register(void *start, u64 len, u64 mode, u64 features, u64 *ioctls);
/* Wait for and read one message (dies on error). */
void uffd_read_msg(int uffd, struct uffd_msg *msg);
/*
 * Wait for one fault and resolve it with UFFDIO_COPY of the 4K page at
 * src; returns the faulting page's address.  Dies on error.
 */
u64 uffd_copy_one(int uffd, const void *src);

/* Little-endian value of an MMIO exit's data bytes. */
u64 mmio_data_get(const struct kvm_run *run);
void mmio_data_set(struct kvm_run *run, u64 value);

#endif /* SCENARIO_H */
