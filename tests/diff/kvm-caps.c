// SPDX-License-Identifier: MIT
/*
 * kvm-caps: every non-zero KVM_CHECK_EXTENSION answer (0..511) on
 * /dev/kvm and on a default VM, then what the configuration-dependent
 * calls return (a VM of type 1, a guest_memfd).  tests/diff/host-diff.sh
 * runs it natively and under `kvmsim --profile host`: the two transcripts
 * must be identical.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct create_guest_memfd {
	unsigned long long size, flags, reserved[6];
};
#define CREATE_GUEST_MEMFD _IOWR(KVMIO, 0xd4, struct create_guest_memfd)

static void result(const char *what, int r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: ok\n", what);
}

int main(void)
{
	struct create_guest_memfd gmem = { .size = 0x10000 };
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, r;

	if (kvm < 0)
		return 77;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return 1;
	for (int c = 0; c < 512; c++) {
		int dev = ioctl(kvm, KVM_CHECK_EXTENSION, c), in_vm = ioctl(vm, KVM_CHECK_EXTENSION, c);

		if (dev || in_vm)
			printf("cap %d: %d %d\n", c, dev, in_vm);
	}
	r = ioctl(kvm, KVM_CREATE_VM, 1);
	result("KVM_CREATE_VM type 1", r);
	if (r >= 0)
		close(r);
	r = ioctl(vm, CREATE_GUEST_MEMFD, &gmem);
	result("KVM_CREATE_GUEST_MEMFD", r);
	return 0;
}
