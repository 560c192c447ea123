// SPDX-License-Identifier: MIT
/*
 * rv-fork: a forked child cannot use its parent's VM.  The parent makes
 * a VM and a vCPU; the child's ioctls on the inherited VM and vCPU fds
 * fail with EIO (KVM checks kvm->mm against the caller's), while
 * /dev/kvm still answers it and a VM of its own works.  The parent's VM
 * keeps working afterwards.
 */
#include <sys/wait.h>

#include "rv.h"

static const char *res(int r)
{
	return r >= 0 ? "ok" : errno == EIO ? "EIO" : strerror(errno);
}

int main(void)
{
	static const unsigned char code[] = { 0xf4 };	/* hlt */
	struct rv_vm v;
	int status;
	pid_t pid;

	rv_create(&v, code, sizeof(code));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int vm2;

		printf("child: VM KVM_CHECK_EXTENSION: %s\n",
		       res(ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY)));
		printf("child: vCPU KVM_RUN: %s\n", res(ioctl(v.vcpu, KVM_RUN, 0)));
		printf("child: /dev/kvm KVM_GET_API_VERSION: %d\n",
		       ioctl(v.kvm, KVM_GET_API_VERSION, 0));
		vm2 = ioctl(v.kvm, KVM_CREATE_VM, 0);
		printf("child: a VM of its own: %s\n",
		       res(vm2 < 0 ? vm2 : ioctl(vm2, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY)));
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	printf("parent: child exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	status = ioctl(v.vcpu, KVM_RUN, 0);
	printf("parent: KVM_RUN: %s, exit reason %u\n", res(status), v.run->exit_reason);
	return 0;
}
