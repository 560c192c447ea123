// SPDX-License-Identifier: MIT
/*
 * bench-vmm-arm64 exits|compute|mix N: the arm64 benchmarks' VMM (built
 * against the arm64 uAPI, run under `kvmsim exec --arch arm64`): N MMIO
 * exits, each answered by re-entering, or N iterations of the guest's
 * 5-instruction compute loop or of its 8-instruction load/store mix over
 * 16 pages.  Reads no clock: bench/run.sh times it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

int main(int argc, char **argv)
{
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	u64 n, exits = 0;
	u64 mode;

	if (argc != 3 || (strcmp(argv[1], "exits") && strcmp(argv[1], "compute") &&
			  strcmp(argv[1], "mix"))) {
		fprintf(stderr, "usage: %s exits|compute|mix N\n", argv[0]);
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
