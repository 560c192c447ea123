// SPDX-License-Identifier: MIT
/*
 * private-mem-exits: SEMANTICS hazard 11, the two cases of upstream's
 * private_mem_kvm_exits_test.
 *
 * Case 1: a KVM_X86_SW_PROTECTED_VM has gpa 0xc0000000 in slot 10, bound
 * to a guest_memfd, and marked private.  A vCPU thread runs a guest that
 * reads it forever; the main thread deletes slot 10 meanwhile.  The
 * attribute outlives the slot (it is per VM), so the vCPU's next fault
 * there is private with no memslot: kvm_handle_noslot_fault turns it into
 * -1/EFAULT with KVM_EXIT_MEMORY_FAULT, flags KVM_MEMORY_EXIT_FLAG_PRIVATE,
 * gpa 0xc0000000, size 0x1000 -- whether the vCPU had mapped the page
 * before the deletion (then the deletion zapped it) or not.
 * Case 2: the same gpa in a slot without guest_memfd, marked private: the
 * private fault finds no file (kvm_mmu_faultin_pfn_gmem) and exits the
 * same way.
 *
 * Expected, upstream: both cases print "KVM_RUN: -1 EFAULT, exit
 * KVM_EXIT_MEMORY_FAULT flags 0x8 gpa 0xc0000000 size 0x1000".
 * private-v6 (seed 003): privateness lives in the slot's private fd, so
 * case 1 runs with a populated private_fd page instead of an attribute;
 * once the slot is gone nothing says the gpa was private and the read is
 * an ordinary emulated MMIO read (KVM_RUN 0, KVM_EXIT_MMIO at
 * 0xc0000000): the VMM is asked to emulate what was private memory.
 * Case 2 cannot be expressed there (no private gfn without an fd page).
 * Not run natively: this host's kernel has no KVM_X86_SW_PROTECTED_VM.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenario.h"

#define EXITS_GPA	0xc0000000ull
#define EXITS_SLOT	10

static bool v6;		/* the kernel speaks seed 003's private fd */
static int private_fd;	/* the guest_memfd or v6 private fd: it pins the VM */

static void *page_alloc(void)
{
	void *p = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die_errno("mmap");
	return p;
}

/* The private page: a guest_memfd + attribute, or (v6) a populated private fd page. */
static void add_private_slot(struct kvm_vm *vm)
{
	void *hva = page_alloc();

	if (v6) {
		int fd = memfd_create("private", MFD_CLOEXEC);
		struct kvm_userspace_memory_region_ext r = {
			.region = { .slot = EXITS_SLOT, .flags = KVM_MEM_PRIVATE,
				    .guest_phys_addr = EXITS_GPA, .memory_size = SZ_4K,
				    .userspace_addr = (u64)hva },
			.private_fd = fd,
		};

		if (fd < 0 || ftruncate(fd, SZ_4K) || fallocate(fd, 0, 0, SZ_4K))
			die_errno("private fd");
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r))
			die_errno("KVM_SET_USER_MEMORY_REGION with KVM_MEM_PRIVATE");
		private_fd = fd;
		return;
	}
	struct kvm_create_guest_memfd g = { .size = SZ_4K };
	int fd = ioctl(vm->vm_fd, KVM_CREATE_GUEST_MEMFD, &g);
	struct kvm_userspace_memory_region2 r = {
		.slot = EXITS_SLOT, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = EXITS_GPA,
		.memory_size = SZ_4K, .userspace_addr = (u64)hva, .guest_memfd = fd,
	};
	struct kvm_memory_attributes a = { EXITS_GPA, SZ_4K, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0 };

	if (fd < 0)
		die_errno("KVM_CREATE_GUEST_MEMFD");
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION2, &r))
		die_errno("KVM_SET_USER_MEMORY_REGION2");
	if (ioctl(vm->vm_fd, KVM_SET_MEMORY_ATTRIBUTES, &a))
		die_errno("KVM_SET_MEMORY_ATTRIBUTES");
	private_fd = fd;
}

static void print_run(struct kvm_vcpu *vcpu, int r)
{
	struct kvm_run *run = vcpu->run;
	const u64 *mf = (const u64 *)&run->hw;	/* memory_fault: flags, gpa, size */

	printf("KVM_RUN: %s, exit %s", r ? "-1 EFAULT" : "0", exit_reason_name(run->exit_reason));
	if (run->exit_reason == KVM_EXIT_MEMORY_FAULT)
		printf(" flags %#llx gpa %#llx size %#llx", (unsigned long long)mf[0],
		       (unsigned long long)mf[1], (unsigned long long)mf[2]);
	if (run->exit_reason == KVM_EXIT_MMIO)
		printf(" %s gpa %#llx len %u", run->mmio.is_write ? "write" : "read",
		       (unsigned long long)run->mmio.phys_addr, run->mmio.len);
	printf("\n");
}

struct vcpu_ctx {
	struct kvm_vcpu *vcpu;
	int ret;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu_ctx *c = arg;

	c->ret = __vcpu_run(c->vcpu);
	return NULL;
}

static struct kvm_vcpu *reader_vcpu(struct kvm_vm *vm)
{
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "private_read"));

	virt_map(vm, EXITS_GPA, EXITS_GPA, SZ_4K, SZ_4K);
	vcpu_set_args(vcpu, 1, EXITS_GPA);
	return vcpu;
}

/*
 * Each case returns its VM, destroyed only at the end: a destroyed VM's
 * memory would be reused by the next one's mappings, at addresses that
 * differ from run to run.
 */
static struct kvm_vm *test_private_access_memslot_deleted(void)
{
	struct kvm_vm *vm = vm_create_type(v6 ? 0 : KVM_X86_SW_PROTECTED_VM);
	struct kvm_userspace_memory_region del = { .slot = EXITS_SLOT };
	struct vcpu_ctx c;
	pthread_t t;

	printf("case 1: slot %d deleted while the vCPU reads its private page\n", EXITS_SLOT);
	add_private_slot(vm);
	c.vcpu = reader_vcpu(vm);
	if (pthread_create(&t, NULL, vcpu_thread, &c))
		die("pthread_create");
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &del))
		die_errno("deleting slot %d", EXITS_SLOT);
	pthread_join(t, NULL);
	if (c.ret && c.ret != -EFAULT)
		die("KVM_RUN: unexpected errno %d", -c.ret);
	print_run(c.vcpu, c.ret);
	close(private_fd);
	return vm;
}

static struct kvm_vm *test_private_access_memslot_not_private(void)
{
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct kvm_memory_attributes a = { EXITS_GPA, SZ_4K, KVM_MEMORY_ATTRIBUTE_PRIVATE, 0 };
	int r;

	if (v6) {
		printf("case 2: not expressible: a gfn is private only through its private fd\n");
		return NULL;
	}
	printf("case 2: private page in a slot without guest_memfd\n");
	vm = vm_create_type(KVM_X86_SW_PROTECTED_VM);
	vm_add_slot(vm, EXITS_SLOT, EXITS_GPA, SZ_4K, 0, BACKING_ANON);
	if (ioctl(vm->vm_fd, KVM_SET_MEMORY_ATTRIBUTES, &a))
		die_errno("KVM_SET_MEMORY_ATTRIBUTES");
	vcpu = reader_vcpu(vm);
	r = __vcpu_run(vcpu);
	if (r && r != -EFAULT)
		die("KVM_RUN: unexpected errno %d", -r);
	print_run(vcpu, r);
	return vm;
}

int main(void)
{
	struct kvm_vm *vm1, *vm2;

	v6 = kvm_check_cap(KVM_CAP_GUEST_MEMFD) == 0;
	if (!v6 && !kvm_has_sw_protected_vm()) {
		printf("this kernel has no KVM_X86_SW_PROTECTED_VM\n");
		return 77;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("private memory: %s\n", v6 ? "private fd (seed 003 v6)" :
	       "guest_memfd + attributes, KVM_X86_SW_PROTECTED_VM");
	vm1 = test_private_access_memslot_deleted();
	vm2 = test_private_access_memslot_not_private();
	vm_destroy(vm1);
	if (vm2)
		vm_destroy(vm2);
	printf("done\n");
	return 0;
}
