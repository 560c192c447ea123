// SPDX-License-Identifier: MIT
/*
 * vmm-arm64: the arm64 /dev/kvm under kvmsim, checked value by value.
 * Built against the arm64 uAPI (tests/arm64.cmake), run with
 * `kvmsim exec --arch arm64`.  Part 1: ioctls and their errnos as arm64
 * Linux gives them.  Part 2: guest-bins/arm64/aborts.c, whose every step
 * must show exactly the exit, ESR_EL1/FAR_EL1 or register value below.
 * Prints one line per check; any mismatch exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "scenario.h"

#define MMIO_BASE	0xb0000000ull
#define AP_RO		(1ull << 7)
#define AF		(1ull << 10)

static int failures;

#define CHECK_EQ(what, got, want)						\
	do {									\
		unsigned long long __g = (got), __w = (want);			\
		printf("%-44s %#llx%s\n", what, __g, __g == __w ? "" : " MISMATCH");\
		if (__g != __w) {						\
			fprintf(stderr, "%s: got %#llx, want %#llx\n", what, __g, __w);\
			failures++;						\
		}								\
	} while (0)

/* -errno of an ioctl, 0 on success */
static long xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static void check_ioctls(void)
{
	struct kvm_vcpu_init init = { 0 };
	struct kvm_one_reg reg;
	struct { struct kvm_reg_list l; __u64 ids[1]; } list = { .l.n = 1 };
	struct kvm_regs regs;
	u64 val;
	int kvm = open("/dev/kvm", O_RDWR), vm, vcpu;

	CHECK_EQ("KVM_CAP_ARM_VM_IPA_SIZE", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE), 48);
	CHECK_EQ("KVM_CAP_ARM_PSCI_0_2", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_PSCI_0_2), 1);
	CHECK_EQ("KVM_CREATE_VM IPA 31 bits: -EINVAL", xioctl(kvm, KVM_CREATE_VM, (void *)31), -EINVAL);
	CHECK_EQ("KVM_CREATE_VM IPA 49 bits: -EINVAL", xioctl(kvm, KVM_CREATE_VM, (void *)49), -EINVAL);
	CHECK_EQ("KVM_CREATE_VM type bit 8: -EINVAL", xioctl(kvm, KVM_CREATE_VM, (void *)0x100), -EINVAL);
	vm = ioctl(kvm, KVM_CREATE_VM, 36);
	CHECK_EQ("KVM_CREATE_VM IPA 36 bits", vm >= 0, 1);
	{
		void *mem = mmap(NULL, 2 * SZ_4K, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		struct kvm_userspace_memory_region r = {
			.slot = 0, .guest_phys_addr = (1ull << 36) - SZ_4K,
			.memory_size = 2 * SZ_4K, .userspace_addr = (u64)mem,
		};

		CHECK_EQ("memslot past the 36-bit IPA: -EFAULT",
			 xioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), -EFAULT);
		r.memory_size = SZ_4K;
		CHECK_EQ("memslot ending at the IPA limit", xioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);
		close(vm);
		vm = ioctl(kvm, KVM_CREATE_VM, 0);
		r.guest_phys_addr = 1ull << 40;
		CHECK_EQ("type 0 (40 bits): memslot at 1T: -EFAULT",
			 xioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), -EFAULT);
		r.guest_phys_addr = (1ull << 40) - SZ_4K;
		CHECK_EQ("type 0: memslot below 1T", xioctl(vm, KVM_SET_USER_MEMORY_REGION, &r), 0);
	}
	/* x86's ioctls, with x86's numbers: arm64 KVM answers -EINVAL */
	CHECK_EQ("KVM_SET_TSS_ADDR (x86): -EINVAL", xioctl(vm, _IO(KVMIO, 0x47), (void *)0xfffbd000), -EINVAL);
	/* x86's struct kvm_cpuid2 header is 8 bytes */
	CHECK_EQ("KVM_GET_SUPPORTED_CPUID (x86): -EINVAL",
		 xioctl(kvm, _IOC(_IOC_READ | _IOC_WRITE, KVMIO, 0x05, 8), &list), -EINVAL);
	CHECK_EQ("KVM_ARM_PREFERRED_TARGET", xioctl(vm, KVM_ARM_PREFERRED_TARGET, &init), 0);
	CHECK_EQ("  .target", init.target, KVM_ARM_TARGET_GENERIC_V8);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	CHECK_EQ("KVM_RUN before KVM_ARM_VCPU_INIT: -ENOEXEC", xioctl(vcpu, KVM_RUN, NULL), -ENOEXEC);
	reg.id = ARM64_SYS_REG(3, 0, 1, 0, 0);
	reg.addr = (u64)&val;
	CHECK_EQ("KVM_GET_ONE_REG before init: -ENOEXEC", xioctl(vcpu, KVM_GET_ONE_REG, &reg), -ENOEXEC);
	init.target = 0;
	CHECK_EQ("KVM_ARM_VCPU_INIT target 0: -EINVAL", xioctl(vcpu, KVM_ARM_VCPU_INIT, &init), -EINVAL);
	init.target = KVM_ARM_TARGET_GENERIC_V8;
	init.features[1] = 1;
	CHECK_EQ("KVM_ARM_VCPU_INIT features[1]: -ENOENT", xioctl(vcpu, KVM_ARM_VCPU_INIT, &init), -ENOENT);
	init.features[1] = 0;
	init.features[0] = 1u << KVM_ARM_VCPU_SVE;
	CHECK_EQ("KVM_ARM_VCPU_INIT SVE: -EINVAL", xioctl(vcpu, KVM_ARM_VCPU_INIT, &init), -EINVAL);
	init.features[0] = 1u << KVM_ARM_VCPU_PSCI_0_2;
	CHECK_EQ("KVM_ARM_VCPU_INIT PSCI_0_2", xioctl(vcpu, KVM_ARM_VCPU_INIT, &init), 0);
	CHECK_EQ("KVM_GET_REGS: -EINVAL", xioctl(vcpu, KVM_GET_REGS, &regs), -EINVAL);
	CHECK_EQ("KVM_GET_REG_LIST n=1: -E2BIG", xioctl(vcpu, KVM_GET_REG_LIST, &list), -E2BIG);
	CHECK_EQ("  .n (75 core + 11 system + 6 timer registers)", list.l.n, 92);
	CHECK_EQ("KVM_GET_ONE_REG SCTLR_EL1", xioctl(vcpu, KVM_GET_ONE_REG, &reg), 0);
	CHECK_EQ("  reset value (MMU off)", val, 0x30d00800);
	reg.id = ARM64_SYS_REG(3, 0, 0, 0, 5);
	CHECK_EQ("KVM_GET_ONE_REG MPIDR_EL1", xioctl(vcpu, KVM_GET_ONE_REG, &reg), 0);
	CHECK_EQ("  vCPU 0", val, 0x80000000);
	reg.id = ARM64_SYS_REG(3, 0, 9, 9, 0);
	CHECK_EQ("KVM_GET_ONE_REG unknown sysreg: -ENOENT", xioctl(vcpu, KVM_GET_ONE_REG, &reg), -ENOENT);
	reg.id = KVM_REG_ARM64 | KVM_REG_SIZE_U32 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(regs.pc);
	CHECK_EQ("KVM_GET_ONE_REG pc as u32: -EINVAL", xioctl(vcpu, KVM_GET_ONE_REG, &reg), -EINVAL);
	close(vcpu);
	close(vm);
	close(kvm);
}

static void expect_sync(struct kvm_vcpu *vcpu, struct ucall *uc, u64 step)
{
	vcpu_expect_ucall(vcpu, uc, UCALL_SYNC);
	CHECK_EQ("  step", uc->args[0], step);
}

/* Run to the next exit, which must be an MMIO access at gpa. */
static struct kvm_run *expect_mmio(struct kvm_vcpu *vcpu, u64 gpa, int len, bool write)
{
	vcpu_run(vcpu);
	CHECK_EQ("  exit_reason KVM_EXIT_MMIO", vcpu->run->exit_reason, KVM_EXIT_MMIO);
	CHECK_EQ("  mmio.phys_addr", vcpu->run->mmio.phys_addr, gpa);
	CHECK_EQ("  mmio.len", vcpu->run->mmio.len, len);
	CHECK_EQ("  mmio.is_write", vcpu->run->mmio.is_write, write);
	return vcpu->run;
}

static void check_guest(void)
{
	struct kvm_vm *vm = vm_create();
	u64 entry = vm_load_guest(vm, "aborts");
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, entry), *vcpu1;
	struct kvm_vcpu_init init;
	struct ucall uc;

	/* vCPU 1 starts powered off, for PSCI CPU_ON */
	vcpu1 = vm_vcpu_add(vm, entry);
	ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init);
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2 | 1u << KVM_ARM_VCPU_POWER_OFF;
	CHECK_EQ("vCPU 1 KVM_ARM_VCPU_INIT POWER_OFF", xioctl(vcpu1->fd, KVM_ARM_VCPU_INIT, &init), 0);

	*virt_get_pte(vm, 0x40000000, SZ_1G) = 0;	/* level-1 hole */
	*virt_get_pte(vm, 0x800000, SZ_4K) |= AP_RO;
	*virt_get_pte(vm, 0x801000, SZ_4K) &= ~AF;

	printf("1: read through an invalid level-1 descriptor\n");
	expect_sync(vcpu, &uc, 1);
	CHECK_EQ("  ESR_EL1 (DABT_CUR, translation L1)", uc.args[1], 0x96000005);
	CHECK_EQ("  FAR_EL1", uc.args[2], 0x40000010);
	printf("2: write to a read-only page\n");
	expect_sync(vcpu, &uc, 2);
	CHECK_EQ("  ESR_EL1 (DABT_CUR, WnR, permission L3)", uc.args[1], 0x9600004f);
	CHECK_EQ("  FAR_EL1", uc.args[2], 0x800008);
	printf("3: read of a page with AF clear\n");
	expect_sync(vcpu, &uc, 3);
	CHECK_EQ("  ESR_EL1 (DABT_CUR, access flag L3)", uc.args[1], 0x9600000b);
	CHECK_EQ("  FAR_EL1", uc.args[2], 0x801000);

	printf("4: ldrsb from MMIO, 0x80 returned\n");
	mmio_data_set(expect_mmio(vcpu, MMIO_BASE, 1, false), 0x80);
	expect_sync(vcpu, &uc, 4);
	CHECK_EQ("  x0 sign-extended to 64 bits", uc.args[1], 0xffffffffffffff80ull);
	printf("5: ldrsh w0 from MMIO, 0x8000 returned\n");
	mmio_data_set(expect_mmio(vcpu, MMIO_BASE + 2, 2, false), 0x8000);
	expect_sync(vcpu, &uc, 5);
	CHECK_EQ("  w0 sign-extended to 32 bits", uc.args[1], 0xffff8000);
	printf("6: ldr w0 from MMIO, 0xdeadbeef returned\n");
	mmio_data_set(expect_mmio(vcpu, MMIO_BASE + 4, 4, false), 0xdeadbeef);
	expect_sync(vcpu, &uc, 6);
	CHECK_EQ("  x0", uc.args[1], 0xdeadbeef);
	printf("7: strh to MMIO\n");
	CHECK_EQ("  data", mmio_data_get(expect_mmio(vcpu, MMIO_BASE + 6, 2, true)), 0xbeef);
	expect_sync(vcpu, &uc, 7);

	printf("8: instruction fetch from no memslot\n");
	expect_sync(vcpu, &uc, 8);
	CHECK_EQ("  ESR_EL1 (IABT_CUR, external abort)", uc.args[1], 0x86000010);
	CHECK_EQ("  FAR_EL1", uc.args[2], MMIO_BASE);
	printf("9: udf\n");
	expect_sync(vcpu, &uc, 9);
	CHECK_EQ("  ESR_EL1 (unknown reason, IL)", uc.args[1], 0x02000000);
	printf("10: PSCI_VERSION\n");
	expect_sync(vcpu, &uc, 10);
	CHECK_EQ("  x0", uc.args[1], 0x10001);
	printf("11: CPU_ON vCPU 1\n");
	expect_sync(vcpu, &uc, 11);
	CHECK_EQ("  x0 PSCI_RET_SUCCESS", uc.args[1], 0);
	vcpu_expect_ucall(vcpu1, &uc, UCALL_SYNC);
	CHECK_EQ("  vCPU 1 step", uc.args[0], 100);
	CHECK_EQ("  vCPU 1 x0 = context id", uc.args[1], 0x1234);
	CHECK_EQ("  vCPU 1 MPIDR_EL1", uc.args[2], 0x80000001);
	printf("12: CPU_ON of an MPIDR no vCPU has\n");
	expect_sync(vcpu, &uc, 12);
	CHECK_EQ("  x0 PSCI_RET_INVALID_PARAMS", uc.args[1], (u64)-2);

	printf("13: ldp from MMIO (no valid syndrome)\n");
	CHECK_EQ("  KVM_RUN: -ENOSYS", __vcpu_run(vcpu), -ENOSYS);
	vm_destroy(vm);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	check_ioctls();
	check_guest();
	printf("%s\n", failures ? "FAILED" : "all checks passed");
	return failures ? 1 : 0;
}
