/* SPDX-License-Identifier: MIT */
/*
 * A minimal VMM for the tests/realvmm programs: one VM, one vCPU in real
 * mode with CS base 0, a 64 KiB RAM slot at GPA 0 and the guest code at
 * 0x1000.  Only libc and <linux/kvm.h>: the programs run unchanged on a
 * real /dev/kvm and under `kvmsim exec`.  Without /dev/kvm they skip
 * (exit 77, reason on stderr).
 */
#ifndef RV_H
#define RV_H

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define RV_RAM_SIZE	0x10000
#define RV_CODE_GPA	0x1000

struct rv_vm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	unsigned char *ram;
};

static inline void rv_die(const char *what)
{
	printf("fatal: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Open /dev/kvm or skip; then the VM, its RAM and a vCPU at the code. */
static inline void rv_create(struct rv_vm *v, const unsigned char *code, size_t len)
{
	struct kvm_userspace_memory_region slot = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	int size;

	v->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (v->kvm < 0) {
		fprintf(stderr, "skip: /dev/kvm: %s\n", strerror(errno));
		exit(77);
	}
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		rv_die("KVM_CREATE_VM");
	v->ram = mmap(NULL, RV_RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (v->ram == MAP_FAILED)
		rv_die("mmap");
	memcpy(v->ram + RV_CODE_GPA, code, len);
	slot.memory_size = RV_RAM_SIZE;
	slot.userspace_addr = (unsigned long)v->ram;
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		rv_die("KVM_SET_USER_MEMORY_REGION");
	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		rv_die("KVM_CREATE_VCPU");
	size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	v->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED)
		rv_die("mmap of kvm_run");
	if (ioctl(v->vcpu, KVM_GET_SREGS, &sregs) < 0)
		rv_die("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(v->vcpu, KVM_SET_SREGS, &sregs) < 0)
		rv_die("KVM_SET_SREGS");
	regs.rip = RV_CODE_GPA;
	regs.rflags = 2;
	if (ioctl(v->vcpu, KVM_SET_REGS, &regs) < 0)
		rv_die("KVM_SET_REGS");
}

#endif
