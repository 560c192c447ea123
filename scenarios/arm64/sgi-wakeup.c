// SPDX-License-Identifier: MIT
/*
 * sgi-wakeup (arm64 only): a lost wakeup between an SGI and wfi, only on
 * some schedules (guest-bins/arm64/sgi_wakeup.c): vCPU 1 tests a flag,
 * exits to this VMM to report it goes idle, then runs wfi; vCPU 0's SGI
 * sets the flag.  If the SGI arrives while vCPU 1 is out in userspace,
 * its handler runs on re-entry before the wfi, and the wfi sleeps for
 * ever: every thread ends up blocked (the "deadlock" verdict).  Use
 * explore to find such a schedule and replay to see it again.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "scenario.h"

struct vcpu_ctx {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	int idles;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu_ctx *c = arg;
	struct ucall uc;

	for (;;) {
		u64 cmd = vcpu_run_ucall(c->vcpu, &uc);

		if (cmd == UCALL_SYNC) {
			c->idles++;
			continue;
		}
		if (cmd != UCALL_DONE)
			die("vCPU %u: unexpected exit", c->vcpu->id);
		return NULL;
	}
}

static void set_attr(int fd, u32 group, u64 attr, const void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (u64)(uintptr_t)val };

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a))
		die_errno("KVM_SET_DEVICE_ATTR group %u", group);
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	u64 entry = vm_load_guest(vm, "sgi_wakeup");
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	struct vcpu_ctx v[2] = { 0 };
	u64 dist = 0x08000000, redist = 0x080a0000;

	for (int i = 0; i < 2; i++) {
		v[i].vcpu = vm_vcpu_add(vm, entry);
		vcpu_set_args(v[i].vcpu, 1, (u64)i);
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &cd))
		die_errno("KVM_CREATE_DEVICE");
	set_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	set_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	set_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&v[i].thread, NULL, vcpu_thread, &v[i]))
			die("pthread_create");
	for (int i = 0; i < 2; i++)
		pthread_join(v[i].thread, NULL);
	printf("vCPU 1 woken by SGI 1 after %d idle report(s)\n", v[1].idles);
	vm_destroy(vm);
	return 0;
}
