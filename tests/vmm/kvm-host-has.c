// SPDX-License-Identifier: MIT
/*
 * kvm-host-has NAME=CAP[:MASK]...: exit 0 when this host's /dev/kvm reports
 * every capability CAP (KVM_CHECK_EXTENSION > 0; with MASK, every bit of
 * MASK set in the answer, e.g. VM_TYPES=235:2 for KVM_X86_SW_PROTECTED_VM),
 * else print which one it lacks and exit 77 (ctest's skip code).  A native transcript recorded on a host
 * with a feature says nothing about a host without it: its check skips.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#define SKIP	77

static int check_one(int kvm, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char *end;
	long cap, mask = 0;
	int r;

	if (!eq || eq == spec || !eq[1]) {
		fprintf(stderr, "kvm-host-has: '%s': expected NAME=NUMBER\n", spec);
		return 2;
	}
	errno = 0;
	cap = strtol(eq + 1, &end, 0);
	if (!errno && *end == ':')
		mask = strtol(end + 1, &end, 0);
	if (errno || *end || cap < 0 || mask < 0) {
		fprintf(stderr, "kvm-host-has: '%s': expected NAME=NUMBER[:MASK]\n", spec);
		return 2;
	}
	r = ioctl(kvm, KVM_CHECK_EXTENSION, cap);
	if (r > 0 && (r & mask) == mask)
		return 0;
	if (mask && r > 0)
		printf("SKIP: this host's /dev/kvm answers KVM_CAP_%.*s (%ld) with %#x, "
		       "without bits %#lx: the recorded transcript needs them\n",
		       (int)(eq - spec), spec, cap, r, mask & ~(long)r);
	else
		printf("SKIP: this host's /dev/kvm lacks KVM_CAP_%.*s (%ld): "
		       "the recorded transcript needs it\n", (int)(eq - spec), spec, cap);
	return SKIP;
}

int main(int argc, char **argv)
{
	int kvm, i, r;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("SKIP: /dev/kvm cannot be opened: %s\n", strerror(errno));
		return SKIP;
	}
	for (i = 1; i < argc; i++) {
		r = check_one(kvm, argv[i]);
		if (r)
			return r;
	}
	close(kvm);
	return 0;
}
