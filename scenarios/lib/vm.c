// SPDX-License-Identifier: MIT
/*
 * VM, memslot and vCPU plumbing over the plain KVM uAPI.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenario.h"
#include "internal.h"

void __die(const char *file, int line, bool with_errno, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (with_errno)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(1);
}

static int open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int version;

	if (fd < 0)
		die_errno("open /dev/kvm");
	version = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		die("KVM_GET_API_VERSION: got %d, expected %d", version,
		    KVM_API_VERSION);
	return fd;
}

int kvm_check_cap(long cap)
{
	int fd = open_kvm(), r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	close(fd);
	return r;
}

bool kvm_has_sw_protected_vm(void)
{
	int types = kvm_check_cap(KVM_CAP_VM_TYPES);

	return types > 0 && (types & (1 << KVM_X86_SW_PROTECTED_VM));
}

static void require_cap(struct kvm_vm *vm, long cap, const char *name)
{
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, cap) <= 0)
		die("KVM lacks %s", name);
}

struct kvm_vm *vm_create(void)
{
	return vm_create_type(0);
}

struct kvm_vm *vm_create_type(unsigned long type)
{
	struct kvm_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		die("out of memory");
	/* Keep our lines in order with the guest's when stdout is a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	vm->kvm_fd = open_kvm();
	require_cap(vm, KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY");
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, type);
	if (vm->vm_fd < 0)
		die_errno("KVM_CREATE_VM");

#ifdef SCENARIO_ARM64
	vm_add_slot(vm, GUEST_MAIN_SLOT, 0, GUEST_MAIN_SIZE, 0, BACKING_ANON);
	arm64_setup_system(vm);
#else
	/* Intel needs it for real-mode emulation; harmless elsewhere. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_GPA) < 0)
		die_errno("KVM_SET_TSS_ADDR");

	vm_add_slot(vm, GUEST_MAIN_SLOT, 0, GUEST_MAIN_SIZE, 0, BACKING_ANON);
	x86_setup_system(vm);
#endif
	return vm;
}

void vm_destroy(struct kvm_vm *vm)
{
	for (int i = 0; i < vm->nr_vcpus; i++) {
		munmap(vm->vcpus[i]->run, vm->vcpus[i]->run_size);
		close(vm->vcpus[i]->fd);
		free(vm->vcpus[i]);
	}
	close(vm->vm_fd);
	close(vm->kvm_fd);
	for (int i = 0; i < VM_MAX_SLOTS; i++)
		if (vm->slots[i].used && vm->slots[i].map)
			munmap(vm->slots[i].map, vm->slots[i].map_size);
	free(vm);
}

const char *backing_name(enum backing backing)
{
	switch (backing) {
	case BACKING_ANON:
		return "anonymous";
	case BACKING_ANON_4K:
		return "anonymous, MADV_NOHUGEPAGE";
	case BACKING_ANON_THP:
		return "anonymous, 2M aligned, MADV_HUGEPAGE";
	case BACKING_USER:
		return "the VMM's own mapping";
	}
	return "?";
}

/*
 * Map anonymous memory for a slot.  THP backing over-allocates by 2M so
 * the HVA can be 2M aligned: KVM only maps a huge stage-2 page when GPA
 * and HVA agree modulo 2M.
 */
static void slot_alloc(struct vm_slot *s)
{
	size_t extra = s->backing == BACKING_ANON_THP ? SZ_2M : 0;
	u64 hva;

	s->map_size = s->size + extra;
	s->map = mmap(NULL, s->map_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->map == MAP_FAILED)
		die_errno("mmap %#llx bytes for slot %u",
			  (unsigned long long)s->map_size, s->slot);
	hva = (u64)s->map;
	if (extra)
		hva = (hva + SZ_2M - 1) & ~(SZ_2M - 1);
	s->hva = (void *)hva;

	if (s->backing == BACKING_ANON_THP &&
	    madvise(s->hva, s->size, MADV_HUGEPAGE) < 0)
		die_errno("madvise(MADV_HUGEPAGE) for slot %u", s->slot);
	if (s->backing == BACKING_ANON_4K &&
	    madvise(s->hva, s->size, MADV_NOHUGEPAGE) < 0)
		die_errno("madvise(MADV_NOHUGEPAGE) for slot %u", s->slot);
}

static void slot_check(struct kvm_vm *vm, u32 slot, u64 gpa, u64 size,
		       enum backing backing)
{
	ASSERT(slot < VM_MAX_SLOTS, "slot %u: at most %d slots", slot,
	       VM_MAX_SLOTS);
	ASSERT(!vm->slots[slot].used, "slot %u already in use", slot);
	ASSERT(size && !(gpa % SZ_4K) && !(size % SZ_4K),
	       "slot %u: gpa %#llx size %#llx must be 4K aligned, non-empty",
	       slot, (unsigned long long)gpa, (unsigned long long)size);
	ASSERT(backing != BACKING_ANON_THP ||
	       (!(gpa % SZ_2M) && !(size % SZ_2M)),
	       "slot %u: THP backing needs gpa and size 2M aligned", slot);
	for (int i = 0; i < VM_MAX_SLOTS; i++) {
		struct vm_slot *o = &vm->slots[i];

		ASSERT(!o->used || gpa + size <= o->gpa ||
		       o->gpa + o->size <= gpa,
		       "slot %u overlaps slot %u", slot, o->slot);
	}
}

static void *slot_register(struct kvm_vm *vm, u32 slot, u64 gpa, u64 size, u32 flags,
			   enum backing backing, void *hva)
{
	struct kvm_userspace_memory_region r;
	struct vm_slot *s;

	slot_check(vm, slot, gpa, size, backing);
	if (flags & KVM_MEM_READONLY)
		require_cap(vm, KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM");

	s = &vm->slots[slot];
	*s = (struct vm_slot) {
		.slot = slot, .flags = flags, .gpa = gpa, .size = size,
		.backing = backing, .hva = hva,
	};
	if (!hva)
		slot_alloc(s);

	r = (struct kvm_userspace_memory_region) {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (u64)s->hva,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		die_errno("KVM_SET_USER_MEMORY_REGION slot %u gpa %#llx size %#llx",
			  slot, (unsigned long long)gpa,
			  (unsigned long long)size);
	s->used = true;
	return s->hva;
}

void *vm_add_slot(struct kvm_vm *vm, u32 slot, u64 gpa, u64 size, u32 flags,
		  enum backing backing)
{
	ASSERT(backing != BACKING_USER, "slot %u: BACKING_USER needs vm_add_slot_hva", slot);
	return slot_register(vm, slot, gpa, size, flags, backing, NULL);
}

void vm_add_slot_hva(struct kvm_vm *vm, u32 slot, u64 gpa, u64 size, u32 flags,
		     void *hva)
{
	ASSERT(hva && !((u64)hva % SZ_4K), "slot %u: the mapping must be 4K aligned", slot);
	slot_register(vm, slot, gpa, size, flags, BACKING_USER, hva);
}

void *memfd_map(const char *name, u64 size, int *fd)
{
	void *m;

	*fd = memfd_create(name, MFD_CLOEXEC);
	if (*fd < 0 || ftruncate(*fd, size))
		die_errno("memfd %s of %#llx bytes", name, (unsigned long long)size);
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (m == MAP_FAILED)
		die_errno("mmap of memfd %s", name);
	return m;
}

int vm_delete_slot(struct kvm_vm *vm, u32 slot)
{
	struct kvm_userspace_memory_region r = { .slot = slot };
	struct vm_slot *s;

	ASSERT(slot < VM_MAX_SLOTS && vm->slots[slot].used, "slot %u is not in use", slot);
	s = &vm->slots[slot];
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return -errno;
	s->used = false;
	if (s->map)
		munmap(s->map, s->map_size);
	return 0;
}

void *gpa_to_hva(struct kvm_vm *vm, u64 gpa, u64 len)
{
	for (int i = 0; i < VM_MAX_SLOTS; i++) {
		struct vm_slot *s = &vm->slots[i];

		if (s->used && gpa >= s->gpa && len <= s->size &&
		    gpa - s->gpa <= s->size - len)
			return (u8 *)s->hva + (gpa - s->gpa);
	}
	die("gpa %#llx (+%#llx) is not inside one memslot",
	    (unsigned long long)gpa, (unsigned long long)len);
}

struct kvm_vcpu *vm_vcpu_add(struct kvm_vm *vm, u64 entry)
{
	struct kvm_vcpu *vcpu;
	int size;

	ASSERT(vm->nr_vcpus < VM_MAX_VCPUS, "at most %d vCPUs per VM", VM_MAX_VCPUS);
	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		die("out of memory");
	vcpu->vm = vm;
	vcpu->id = vm->nr_vcpus;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, vcpu->id);
	if (vcpu->fd < 0)
		die_errno("KVM_CREATE_VCPU");

	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		die_errno("KVM_GET_VCPU_MMAP_SIZE returned %d", size);
	vcpu->run_size = size;
	vcpu->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED)
		die_errno("mmap of kvm_run");

	if (!vm->vcpu)
		vm->vcpu = vcpu;
	vm->vcpus[vm->nr_vcpus++] = vcpu;
#ifdef SCENARIO_ARM64
	arm64_setup_vcpu(vcpu, entry);
#else
	x86_setup_vcpu(vcpu, entry);
#endif
	return vcpu;
}

#ifdef SCENARIO_ARM64
/* AAPCS64: guest_main's arguments in x0..x5 */
void vcpu_set_args(struct kvm_vcpu *vcpu, int nargs, ...)
{
	va_list ap;

	ASSERT(nargs >= 0 && nargs <= 6, "at most 6 guest arguments");
	va_start(ap, nargs);
	for (int i = 0; i < nargs; i++)
		vcpu_set_gpr(vcpu, i, va_arg(ap, u64));
	va_end(ap);
}
#else
void vcpu_set_args(struct kvm_vcpu *vcpu, int nargs, ...)
{
	struct kvm_regs regs;
	__u64 *argregs[6] = {
		&regs.rdi, &regs.rsi, &regs.rdx, &regs.rcx, &regs.r8, &regs.r9,
	};
	va_list ap;

	ASSERT(nargs >= 0 && nargs <= 6, "at most 6 guest arguments");
	if (ioctl(vcpu->fd, KVM_GET_REGS, &regs) < 0)
		die_errno("KVM_GET_REGS");
	va_start(ap, nargs);
	for (int i = 0; i < nargs; i++)
		*argregs[i] = va_arg(ap, u64);
	va_end(ap);
	if (ioctl(vcpu->fd, KVM_SET_REGS, &regs) < 0)
		die_errno("KVM_SET_REGS");
}
#endif

int __vcpu_run(struct kvm_vcpu *vcpu)
{
	return ioctl(vcpu->fd, KVM_RUN, 0) < 0 ? -errno : 0;
}

void vcpu_run(struct kvm_vcpu *vcpu)
{
	int r = __vcpu_run(vcpu);

	if (r) {
		errno = -r;
		die_errno("KVM_RUN (exit_reason %s)",
			  exit_reason_name(vcpu->run->exit_reason));
	}
}

static const char *const exit_names[] = {
	[0] = "KVM_EXIT_UNKNOWN",	[1] = "KVM_EXIT_EXCEPTION",
	[2] = "KVM_EXIT_IO",		[3] = "KVM_EXIT_HYPERCALL",
	[4] = "KVM_EXIT_DEBUG",		[5] = "KVM_EXIT_HLT",
	[6] = "KVM_EXIT_MMIO",		[7] = "KVM_EXIT_IRQ_WINDOW_OPEN",
	[8] = "KVM_EXIT_SHUTDOWN",	[9] = "KVM_EXIT_FAIL_ENTRY",
	[10] = "KVM_EXIT_INTR",		[11] = "KVM_EXIT_SET_TPR",
	[12] = "KVM_EXIT_TPR_ACCESS",	[13] = "KVM_EXIT_S390_SIEIC",
	[14] = "KVM_EXIT_S390_RESET",	[15] = "KVM_EXIT_DCR",
	[16] = "KVM_EXIT_NMI",		[17] = "KVM_EXIT_INTERNAL_ERROR",
	[18] = "KVM_EXIT_OSI",		[19] = "KVM_EXIT_PAPR_HCALL",
	[20] = "KVM_EXIT_S390_UCONTROL", [21] = "KVM_EXIT_WATCHDOG",
	[22] = "KVM_EXIT_S390_TSCH",	[23] = "KVM_EXIT_EPR",
	[24] = "KVM_EXIT_SYSTEM_EVENT",	[25] = "KVM_EXIT_S390_STSI",
	[26] = "KVM_EXIT_IOAPIC_EOI",	[27] = "KVM_EXIT_HYPERV",
	[28] = "KVM_EXIT_ARM_NISV",	[29] = "KVM_EXIT_X86_RDMSR",
	[30] = "KVM_EXIT_X86_WRMSR",	[31] = "KVM_EXIT_DIRTY_RING_FULL",
	[32] = "KVM_EXIT_AP_RESET_HOLD", [33] = "KVM_EXIT_X86_BUS_LOCK",
	[34] = "KVM_EXIT_XEN",		[35] = "KVM_EXIT_RISCV_SBI",
	[36] = "KVM_EXIT_RISCV_CSR",	[37] = "KVM_EXIT_NOTIFY",
	[38] = "KVM_EXIT_LOONGARCH_IOCSR", [39] = "KVM_EXIT_MEMORY_FAULT",
	[40] = "KVM_EXIT_TDX",
};

const char *exit_reason_name(u32 reason)
{
	static char unknown[32];

	if (reason < sizeof(exit_names) / sizeof(exit_names[0]) &&
	    exit_names[reason])
		return exit_names[reason];
	snprintf(unknown, sizeof(unknown), "KVM_EXIT_%u", reason);
	return unknown;
}

void vm_enable_memfault_exits(struct kvm_vm *vm, u64 reasons)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_MEMORY_FAULT_EXIT,
				      .args = { reasons } };

	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MEMORY_FAULT_EXIT) > 0 &&
	    ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap))
		die_errno("KVM_ENABLE_CAP(KVM_CAP_X86_MEMORY_FAULT_EXIT)");
}
