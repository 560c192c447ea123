// SPDX-License-Identifier: MIT
/*
 * hello: the smallest end-to-end run.
 *
 * Purpose: one guest, one ucall, one halt.  Shows that long-mode entry
 * set up purely through KVM_SET_SREGS works, that a port-I/O ucall
 * arrives as KVM_EXIT_IO and the guest continues after it, and that hlt
 * with no in-kernel irqchip (we never create one) returns to userspace
 * as KVM_EXIT_HLT instead of blocking.
 *
 * Expected: the VMM prints every exit it sees, in order:
 *   exit: KVM_EXIT_IO port 0x1000 out size 4 count 1 (UCALL_PRINT)
 *   hello from the guest
 *   exit: KVM_EXIT_HLT
 *   exits: 2
 * and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>

#include "scenario.h"

#define MAX_EXITS	16

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "hello"));
	int nr_exits = 0;

	for (;;) {
		struct ucall uc;
		char what[128];
		u64 cmd;

		vcpu_run(vcpu);
		nr_exits++;
		ASSERT(nr_exits <= MAX_EXITS, "more than %d exits", MAX_EXITS);

		describe_exit(vcpu, what, sizeof(what));
		cmd = vcpu_get_ucall(vcpu, &uc);
		if (cmd == UCALL_NONE) {
			printf("exit: %s\n", what);
		} else {
			printf("exit: %s (%s)\n", what, ucall_name(cmd));
		}

		if (cmd == UCALL_PRINT) {
			fputs(uc.buf, stdout);
			continue;
		}
		/* x86 halts; arm64 has no wfi exit and powers off (PSCI) */
		if (vcpu->run->exit_reason == KVM_EXIT_HLT ||
		    vcpu->run->exit_reason == KVM_EXIT_SYSTEM_EVENT)
			break;
		if (cmd == UCALL_ABORT)
			printf("guest abort: %s\n", uc.buf);
		die("unexpected exit: %s", what);
	}

	printf("exits: %d\n", nr_exits);
	vm_destroy(vm);
	return 0;
}
