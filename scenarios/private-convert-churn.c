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
 *  - twin memslots (Sean's first proposal, seed 003: "explicit shared vs.
 *    private memslots, and punch holes in KVM's memslots on conversion",
 *    which "would be painfully slow"), run after the kernel's own design
 *    on a default VM under every profile: each bounce page has its own
 *    memslot, over a private or a shared buffer; a conversion deletes it
 *    and creates it again over the other (2 memslot updates, each waiting
 *    for the vCPUs' srcu readers and zapping the slot).
 *
 * Either way the stale mapping is zapped once per conversion
 * (kvm_arch_pre_set_memory_attributes, the fd notifier, or the memslot
 * deletion).  Expected, 16 transfers = 32 conversions:
 *   upstream:   32 attribute ioctls (1.00 per conversion), 0 fallocate,
 *               0 discards, 0 allocations, 0 memslot updates; DMA data
 *               correct 16/16, canary kept 16/16.
 *   private-v6: 0 attribute ioctls, 32 fallocate (1.00), 16 discards
 *               (0.50), 16 allocations (0.50), 0 memslot updates; data
 *               correct 16/16, canary kept 0/16.
 *   twin memslots (both profiles): 64 memslot updates (2.00), nothing
 *               else; data correct 16/16, canary kept 16/16.
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

enum design { ATTRIBUTES, PRIVATE_FD, TWIN_MEMSLOTS };

static enum design design;
static int private_fd;		/* the guest_memfd, or v6's private fd */
static u8 *shared;		/* userspace_addr of the DMA slot */
static u8 *private_buf;		/* twin memslots: the private side */

static struct {
	u64 conversions, attr_ioctls, fallocates, discards, allocations, memslot_updates;
} count;

static void set_attrs(struct kvm_vm *vm, u64 gpa, u64 size, bool private)
{
	struct kvm_memory_attributes a = { gpa, size, private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0, 0 };

	if (ioctl(vm->vm_fd, KVM_SET_MEMORY_ATTRIBUTES, &a))
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

/* Twin memslots: slot DMA_SLOT + i maps bounce page i over one side or the other. */
static void twin_set_slot(struct kvm_vm *vm, int i, u8 *side, u64 size)
{
	struct kvm_userspace_memory_region r = {
		.slot = DMA_SLOT + i, .guest_phys_addr = DMA_GPA + i * SZ_4K,
		.memory_size = size, .userspace_addr = (u64)(side + i * SZ_4K),
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
		die_errno("KVM_SET_USER_MEMORY_REGION");
}

static void setup_dma_slot(struct kvm_vm *vm)
{
	u64 size = DMA_PAGES * SZ_4K;

	shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		die_errno("mmap");
	if (design == TWIN_MEMSLOTS) {
		private_buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (private_buf == MAP_FAILED)
			die_errno("mmap");
		for (int i = 0; i < DMA_PAGES; i++)
			twin_set_slot(vm, i, private_buf, SZ_4K);
	} else if (design == PRIVATE_FD) {
		struct kvm_userspace_memory_region_ext r = {
			.region = { .slot = DMA_SLOT, .flags = KVM_MEM_PRIVATE,
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
		struct kvm_create_guest_memfd g = { .size = size };
		struct kvm_userspace_memory_region2 r = {
			.slot = DMA_SLOT, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = DMA_GPA,
			.memory_size = size, .userspace_addr = (u64)shared,
		};

		private_fd = ioctl(vm->vm_fd, KVM_CREATE_GUEST_MEMFD, &g);
		if (private_fd < 0)
			die_errno("KVM_CREATE_GUEST_MEMFD");
		r.guest_memfd = private_fd;
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION2, &r))
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
	switch (design) {
	case ATTRIBUTES:
		set_attrs(vm, gpa, SZ_4K, to_private);
		count.attr_ioctls++;
		break;
	case PRIVATE_FD:
		do_fallocate(to_private ? 0 : FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off);
		break;
	case TWIN_MEMSLOTS:
		/* punch the hole in the memslots, then fill it from the other side */
		twin_set_slot(vm, off / SZ_4K, private_buf, 0);
		twin_set_slot(vm, off / SZ_4K, to_private ? private_buf : shared, SZ_4K);
		count.memslot_updates += 2;
		break;
	}
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

static const char *const design_names[] = {
	[ATTRIBUTES] = "memory attributes + guest_memfd, lazy discard (upstream)",
	[PRIVATE_FD] = "private fd, private iff populated (seed 003 v6)",
	[TWIN_MEMSLOTS] = "twin memslots, a memslot update per side (default VM)",
};

/* One design: its own VM, the guest's transfers, the counts.  Returns the VM. */
static struct kvm_vm *run_design(enum design d, u64 transfers)
{
	struct kvm_vm *vm = vm_create_type(d == ATTRIBUTES ? KVM_X86_SW_PROTECTED_VM : 0);
	u64 good = 0, kept = 0;
	struct kvm_vcpu *vcpu;
	struct ucall uc;

	design = d;
	memset(&count, 0, sizeof(count));
	printf("design: %s\n", design_names[d]);
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
	if (d != TWIN_MEMSLOTS)
		close(private_fd);
	return vm;
}

int main(int argc, char **argv)
{
	int opt;
	struct kvm_vm *first, *twin;
	u64 transfers = 16;
	bool v6;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			die("usage: private-convert-churn [-n TRANSFERS]");
		transfers = strtoull(optarg, NULL, 0);
	}
	v6 = kvm_check_cap(KVM_CAP_GUEST_MEMFD) == 0;
	if (!v6 && !kvm_has_sw_protected_vm()) {
		printf("this kernel has no KVM_X86_SW_PROTECTED_VM\n");
		return 77;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* both VMs live to the end: a destroyed VM's memory would be reused */
	first = run_design(v6 ? PRIVATE_FD : ATTRIBUTES, transfers);
	twin = run_design(TWIN_MEMSLOTS, transfers);
	vm_destroy(first);
	vm_destroy(twin);
	printf("done\n");
	return 0;
}
