// SPDX-License-Identifier: MIT
/*
 * bench-vmm-arm64 exits|compute|mix N: the arm64 benchmarks' VMM (built
 * against the arm64 uAPI, run under `kvmsim exec --arch arm64`): N MMIO
 * exits, each answered by re-entering, or N iterations of the guest's
 * 5-instruction compute loop or of its 8-instruction load/store mix over
 * 16 pages.  Reads no clock: bench/run.sh times it.
 *
 * bench-vmm-arm64 vcpus N: one VM, N vCPUs created and initialized
 * (KVM_ARM_VCPU_INIT, as a VMM does for every vCPU at start), none run;
 * prints VmRSS, for the memory a vCPU costs before guest memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "scenario.h"

static long vm_rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static int vcpus(u64 n)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu_init init;

	if (ioctl(vm->vm_fd, KVM_ARM_PREFERRED_TARGET, &init) < 0)
		die_errno("KVM_ARM_PREFERRED_TARGET");
	for (u64 i = 0; i < n; i++) {
		int fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);

		if (fd < 0)
			die_errno("KVM_CREATE_VCPU %llu", (unsigned long long)i);
		if (ioctl(fd, KVM_ARM_VCPU_INIT, &init) < 0)
			die_errno("KVM_ARM_VCPU_INIT");
	}
	printf("vcpus %llu: VmRSS %ld kB\n", (unsigned long long)n, vm_rss_kb());
	return 0;
}

int main(int argc, char **argv)
{
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	u64 n, exits = 0;
	u64 mode;

	if (argc == 3 && !strcmp(argv[1], "vcpus"))
		return vcpus(strtoull(argv[2], NULL, 0));
	if (argc != 3 || (strcmp(argv[1], "exits") && strcmp(argv[1], "compute") &&
			  strcmp(argv[1], "mix"))) {
		fprintf(stderr, "usage: %s exits|compute|mix N | vcpus N\n", argv[0]);
		return 2;
	}
	mode = !strcmp(argv[1], "compute") ? 1 : !strcmp(argv[1], "mix") ? 2 : 0;
	n = strtoull(argv[2], NULL, 0);
	vm = vm_create();
	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "bench"));
	vcpu_set_args(vcpu, 2, mode, n);
	for (;;) {
		vcpu_run(vcpu);
		if (vcpu_get_ucall(vcpu, &uc) == UCALL_SYNC)
			break;
		ASSERT(vcpu->run->exit_reason == KVM_EXIT_MMIO, "exit %u", vcpu->run->exit_reason);
		exits++;
	}
	printf("%s %llu: %llu MMIO exits, x1=%llx\n", argv[1], (unsigned long long)n,
	       (unsigned long long)exits, (unsigned long long)uc.args[1]);
	vm_destroy(vm);
	return 0;
}
