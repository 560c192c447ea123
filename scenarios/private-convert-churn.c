// SPDX-License-Identifier: MIT
/*
 * private-convert-churn: SEMANTICS hazard 9, seed 003's OVMF pattern.
 * Firmware does DMA through one or two bounce pages it flips between
 * private and shared on every transfer (guest private_convert: write a
 * private canary, convert to shared, let the device fill it, check the
 * data, convert back to private, look at the canary).  The VMM services
 * each conversion request with whatever the kernel's design offers and
 * counts what it had to do:
 *
 *  - upstream (memory attributes, KVM_X86_SW_PROTECTED_VM + guest_memfd):
 *    one KVM_SET_MEMORY_ATTRIBUTES per conversion.  Discarding the page
 *    left behind is a separate, optional fallocate(PUNCH_HOLE) /
 *    MADV_DONTNEED, so a VMM can be lazy about pages that flip back and
 *    forth (what Michael Roth asked for: "SNP+UPM 1m43s, disable shared
 *    discard 1m08s") -- this one discards nothing, and the private page
 *    keeps its contents across the round trip.
 *  - private-v6 (seed 003, rule private-fd: a gfn is private iff its page
 *    in the slot's private fd is populated): the conversion *is* the
 *    allocation: private->shared must punch the page out of the fd (a
 *    discard, every time, the private contents are gone) and
 *    shared->private must fallocate a fresh one.
 *
 * Either way the stale mapping is zapped once per conversion
 * (kvm_arch_pre_set_memory_attributes, or the fd notifier), and no
 * memslot is touched (the twin-memslot design would need a memslot
 * update per conversion).  Expected, 16 transfers = 32 conversions:
 *   upstream:   32 attribute ioctls (1.00 per conversion), 0 fallocate,
 *               0 discards, 0 allocations, 0 memslot updates; DMA data
 *               correct 16/16, canary kept 16/16.
 *   private-v6: 0 attribute ioctls, 32 fallocate (1.00), 16 discards
 *               (0.50), 16 allocations (0.50), 0 memslot updates; data
 *               correct 16/16, canary kept 0/16.
 * kvmsim's observables (SPTEs zapped, memory attribute changes, private
 * page discards, private fd allocations) say the same from the kernel's
 * side.  Not run natively: this host has no KVM_X86_SW_PROTECTED_VM.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenario.h"

#define DMA_GPA		0x40000000ull
#define DMA_PAGES	2
#define DMA_SLOT	1
#define DMA_PATTERN(t)	(0xd3a0000000000000ull | (t))

#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES	235
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD	234
#endif
#define SW_PROTECTED_VM		1
#define MEM_PRIVATE		(1u << 2)	/* KVM_MEM_GUEST_MEMFD upstream */
#define ATTR_PRIVATE		(1ull << 3)

struct region2 {
	u32 slot, flags;
	u64 guest_phys_addr, memory_size, userspace_addr, guest_memfd_offset;
	u32 guest_memfd, pad1;
	u64 pad2[14];
};
#define SET_USER_MEMORY_REGION2	_IOW(KVMIO, 0x49, struct region2)
struct gmem_create { u64 size, flags, reserved[6]; };
#define CREATE_GUEST_MEMFD	_IOWR(KVMIO, 0xd4, struct gmem_create)
struct mem_attrs { u64 address, size, attributes, flags; };
#define SET_MEMORY_ATTRIBUTES	_IOW(KVMIO, 0xd2, struct mem_attrs)
struct region_ext {
	struct kvm_userspace_memory_region region;
	u64 private_offset;
	u32 private_fd, pad1;
	u64 pad2[14];
};

static bool v6;
static int private_fd;		/* the guest_memfd, or v6's private fd */
static u8 *shared;		/* userspace_addr of the DMA slot */

static struct {
	u64 conversions, attr_ioctls, fallocates, discards, allocations, memslot_updates;
} count;

static void set_attrs(struct kvm_vm *vm, u64 gpa, u64 size, bool private)
{
	struct mem_attrs a = { gpa, size, private ? ATTR_PRIVATE : 0, 0 };

	if (ioctl(vm->vm_fd, SET_MEMORY_ATTRIBUTES, &a))
		die_errno("KVM_SET_MEMORY_ATTRIBUTES");
}

static void do_fallocate(int mode, u64 off)
{
	if (fallocate(private_fd, mode, off, SZ_4K))
		die_errno("fallocate");
	count.fallocates++;
	if (mode & FALLOC_FL_PUNCH_HOLE)
		count.discards++;
	else
		count.allocations++;
}

static void setup_dma_slot(struct kvm_vm *vm)
{
	u64 size = DMA_PAGES * SZ_4K;

	shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		die_errno("mmap");
	if (v6) {
		struct region_ext r = {
			.region = { .slot = DMA_SLOT, .flags = MEM_PRIVATE,
				    .guest_phys_addr = DMA_GPA, .memory_size = size,
				    .userspace_addr = (u64)shared },
		};

		/* private to begin with: populate the fd before binding it */
		private_fd = memfd_create("private", MFD_CLOEXEC);
		if (private_fd < 0 || ftruncate(private_fd, size) ||
		    fallocate(private_fd, 0, 0, size))
			die_errno("private fd");
		r.private_fd = private_fd;
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
			die_errno("KVM_SET_USER_MEMORY_REGION with KVM_MEM_PRIVATE");
	} else {
		struct gmem_create g = { .size = size };
		struct region2 r = {
			.slot = DMA_SLOT, .flags = MEM_PRIVATE, .guest_phys_addr = DMA_GPA,
			.memory_size = size, .userspace_addr = (u64)shared,
		};

		private_fd = ioctl(vm->vm_fd, CREATE_GUEST_MEMFD, &g);
		if (private_fd < 0)
			die_errno("KVM_CREATE_GUEST_MEMFD");
		r.guest_memfd = private_fd;
		if (ioctl(vm->vm_fd, SET_USER_MEMORY_REGION2, &r))
			die_errno("KVM_SET_USER_MEMORY_REGION2");
		set_attrs(vm, DMA_GPA, size, true);
	}
	virt_map(vm, DMA_GPA, DMA_GPA, size, SZ_4K);
}

/* The guest's request: make one bounce page private or shared. */
static void convert(struct kvm_vm *vm, u64 gpa, bool to_private)
{
	u64 off = gpa - DMA_GPA;

	ASSERT(off < DMA_PAGES * SZ_4K && !(off % SZ_4K), "conversion of gpa %#llx",
	       (unsigned long long)gpa);
	count.conversions++;
	if (!v6) {
		set_attrs(vm, gpa, SZ_4K, to_private);
		count.attr_ioctls++;
		return;
	}
	do_fallocate(to_private ? 0 : FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off);
}

/* The device writes the transfer's data into the (shared) bounce page. */
static void dma_fill(u64 gpa, u64 t)
{
	u64 *p = (u64 *)(shared + (gpa - DMA_GPA));

	p[0] = DMA_PATTERN(t);
	p[511] = ~DMA_PATTERN(t);
}

static void per_conversion(const char *what, u64 n)
{
	printf("%s: %llu (%.2f per conversion)\n", what, (unsigned long long)n,
	       count.conversions ? (double)n / count.conversions : 0.0);
}

int main(int argc, char **argv)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), types, gmem, opt;
	u64 transfers = 16, good = 0, kept = 0;
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct ucall uc;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			die("usage: private-convert-churn [-n TRANSFERS]");
		transfers = strtoull(optarg, NULL, 0);
	}
	if (kvm < 0)
		die_errno("/dev/kvm");
	types = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES);
	gmem = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_MEMFD);
	close(kvm);
	v6 = gmem == 0;
	if (!v6 && !(types > 0 && (types & (1 << SW_PROTECTED_VM)))) {
		printf("this kernel has no KVM_X86_SW_PROTECTED_VM\n");
		return 77;
	}
	vm = vm_create_type(v6 ? 0 : SW_PROTECTED_VM);
	printf("design: %s\n", v6 ? "private fd, private iff populated (seed 003 v6)" :
	       "memory attributes + guest_memfd, lazy discard (upstream)");
	setup_dma_slot(vm);
	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "private_convert"));
	vcpu_set_args(vcpu, 3, DMA_GPA, DMA_GPA + SZ_4K, transfers);
	for (;;) {
		u64 cmd = vcpu_run_ucall(vcpu, &uc);

		if (cmd == UCALL_DONE)
			break;
		ASSERT(cmd == UCALL_SYNC, "unexpected exit %s, ucall %llu",
		       exit_reason_name(vcpu->run->exit_reason), (unsigned long long)cmd);
		if (uc.args[0] == 1)
			convert(vm, uc.args[1], uc.args[2]);
		else if (uc.args[0] == 2)
			dma_fill(uc.args[1], uc.args[2]);
		else if (uc.args[0] == 3) {
			good = uc.args[1];
			kept = uc.args[2];
		}
	}
	printf("transfers %llu, conversions %llu\n", (unsigned long long)transfers,
	       (unsigned long long)count.conversions);
	per_conversion("attribute ioctls", count.attr_ioctls);
	per_conversion("fallocate calls", count.fallocates);
	per_conversion("discards (holes punched)", count.discards);
	per_conversion("private page allocations", count.allocations);
	per_conversion("memslot updates", count.memslot_updates);
	printf("guest: DMA data correct in %llu of %llu transfers, private contents kept "
	       "across the round trip in %llu of %llu\n", (unsigned long long)good,
	       (unsigned long long)transfers, (unsigned long long)kept,
	       (unsigned long long)transfers);
	close(private_fd);
	vm_destroy(vm);
	munmap(shared, DMA_PAGES * SZ_4K);
	printf("done\n");
	return 0;
}
