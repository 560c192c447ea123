// SPDX-License-Identifier: MIT
/*
 * memfault-caps: the capability and memslot-flag surface of the
 * memory-fault exit family, per profile: which caps exist, what enabling
 * them does with a bad reason mask (seed 000's check was
 * "reasons & !valid_flags", always 0), and which memslot flags a slot
 * accepts.
 *
 * Expected, per profile:
 *   upstream (and natively)  cap 232 = 1 and cannot be enabled (EINVAL);
 *                            227/228 = 0; flags 1<<2 and 1<<3 EINVAL
 *   rfc-2023-v2              232 = 0; 227 = 1, 228 = 1; enabling 227 with
 *                            an unknown reason (1<<5) succeeds: the bug;
 *                            flag 1<<2 (ABSENT_MAPPING_FAULT) accepted
 *   rfc-2023-v2+no-rfc-mask-check-bug  the unknown reason is EINVAL
 *   exit-on-missing          flag 1<<3 (EXIT_ON_MISSING) accepted
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "scenario.h"

static void enable(struct kvm_vm *vm, u32 cap, u64 arg, const char *what)
{
	struct kvm_enable_cap c = { .cap = cap, .args = { arg } };
	int r = ioctl(vm->vm_fd, KVM_ENABLE_CAP, &c);

	printf("KVM_ENABLE_CAP(%u, %s): %s\n", cap, what, r ? strerrorname_np(errno) : "0");
}

static void try_flag(struct kvm_vm *vm, u32 flag, void *mem)
{
	struct kvm_userspace_memory_region r = {
		.slot = 3, .flags = flag, .guest_phys_addr = 0x80000000ull,
		.memory_size = SZ_4K, .userspace_addr = (u64)mem,
	};
	int ret = ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);

	printf("memslot flag %#x: %s\n", flag, ret ? strerrorname_np(errno) : "0");
	if (!ret) {
		r.memory_size = 0;
		ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r);
	}
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	void *mem = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	for (u32 cap = 227; cap <= 232; cap += 5)
		printf("KVM_CHECK_EXTENSION(%u): %d\n", cap,
		       ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, cap));
	printf("KVM_CHECK_EXTENSION(228): %d\n", ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, 228));
	enable(vm, 232, 0, "0");
	enable(vm, 227, 1ull << 5, "unknown reason 1<<5");
	enable(vm, 227, 3, "UNKNOWN|ABSENT_MAPPING");
	try_flag(vm, 1u << 2, mem);
	try_flag(vm, 1u << 3, mem);
	vm_destroy(vm);
	return 0;
}
