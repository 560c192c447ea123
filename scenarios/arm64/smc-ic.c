// SPDX-License-Identifier: MIT
/*
 * smc-ic (arm64 only): cross-modifying code between two vCPUs
 * (guest-bins/arm64/smc.c).  vCPU 0 runs a function, vCPU 1 rewrites its
 * first instruction and runs dc cvau / ic ivau / dsb / isb, vCPU 0 runs
 * it again.  Each vCPU has its own Unicorn engine with its own translated
 * code; the IC is what tells vCPU 0's engine that its copy is stale, as
 * it tells a real CPU's instruction cache.
 *
 * Expected: the second call returns the new value (1, then 2).
 */
#include <pthread.h>
#include <stdio.h>

#include "scenario.h"

struct vcpu_ctx {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	struct ucall sync;
	bool synced;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu_ctx *c = arg;
	struct ucall uc;

	for (;;) {
		u64 cmd = vcpu_run_ucall(c->vcpu, &uc);

		if (cmd == UCALL_SYNC) {
			c->sync = uc;
			c->synced = true;
			continue;
		}
		if (cmd != UCALL_DONE)
			die("vCPU %u: unexpected exit", c->vcpu->id);
		return NULL;
	}
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	u64 entry = vm_load_guest(vm, "smc");
	struct vcpu_ctx v[2] = { 0 };

	for (int i = 0; i < 2; i++) {
		v[i].vcpu = vm_vcpu_add(vm, entry);
		vcpu_set_args(v[i].vcpu, 1, (u64)i);
	}
	for (int i = 0; i < 2; i++)
		if (pthread_create(&v[i].thread, NULL, vcpu_thread, &v[i]))
			die("pthread_create");
	for (int i = 0; i < 2; i++)
		pthread_join(v[i].thread, NULL);
	if (!v[0].synced)
		die("vCPU 0 reported nothing");
	printf("vCPU 0: patchable() returned %llu, then %llu after vCPU 1 rewrote it\n",
	       (unsigned long long)v[0].sync.args[1], (unsigned long long)v[0].sync.args[2]);
	vm_destroy(vm);
	return 0;
}
