// SPDX-License-Identifier: MIT
/*
 * mmio-no-isv (arm64 only): a data abort outside every memslot whose
 * syndrome is not valid (ISV=0: a load pair, writeback, SIMD).  KVM cannot
 * describe the access to userspace; without KVM_CAP_ARM_NISV_TO_USER,
 * io_mem_abort returns -ENOSYS ("Data abort outside memslots with no
 * valid syndrome info") and KVM_RUN fails with it.
 *
 * Expected: the ldr is a KVM_EXIT_MMIO read of 8 bytes; the ldp makes
 * KVM_RUN return -1 with errno ENOSYS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "mmio_no_isv"));
	struct ucall uc;

	for (int i = 0; i < 8; i++) {
		int r = __vcpu_run(vcpu);
		char what[128];

		if (r) {
			printf("KVM_RUN: -1 errno %s\n", strerrorname_np(-r));
			break;
		}
		if (vcpu_get_ucall(vcpu, &uc) == UCALL_PRINT) {
			fputs(uc.buf, stdout);
			continue;
		}
		describe_exit(vcpu, what, sizeof(what));
		printf("exit: %s\n", what);
		if (vcpu->run->exit_reason == KVM_EXIT_MMIO && !vcpu->run->mmio.is_write)
			mmio_data_set(vcpu->run, 0x5a5a5a5a5a5a5a5aull);
	}
	vm_destroy(vm);
	return 0;
}
