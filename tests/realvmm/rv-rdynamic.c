// SPDX-License-Identifier: MIT
/*
 * rv-rdynamic: a VMM that defines functions named as kvmsim's (and
 * QEMU's) kvm_vm_ioctl, kvm_vcpu_ioctl and kvm_arch_init, and is linked
 * with -rdynamic so that they are in its dynamic symbol table, where a
 * preloaded library's unisolated calls would bind to them.  Each wrapper
 * counts its calls; the guest prints "hi" on port 0xe9 and halts.  The
 * output and the counts are the same natively and under kvmsim only if
 * kvmsim's own calls stay inside kvmsim.
 */
#include <stdarg.h>

#include "rv.h"

static int nr_vm, nr_vcpu, nr_arch;

int kvm_arch_init(void *ms, void *s)
{
	nr_arch++;
	return 0;
}

int kvm_vm_ioctl(int fd, unsigned long type, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, type);
	arg = va_arg(ap, void *);
	va_end(ap);
	nr_vm++;
	return ioctl(fd, type, arg);
}

int kvm_vcpu_ioctl(int fd, unsigned long type, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, type);
	arg = va_arg(ap, void *);
	va_end(ap);
	nr_vcpu++;
	return ioctl(fd, type, arg);
}

int main(void)
{
	static const unsigned char code[] = {
		0xba, 0xe9, 0x00,	/* mov $0xe9, %dx */
		0xb0, 'h', 0xee,	/* mov $'h', %al; out %al, (%dx) */
		0xb0, 'i', 0xee,
		0xb0, '\n', 0xee,
		0xf4,			/* hlt */
	};
	struct rv_vm v;

	rv_create(&v, code, sizeof(code));
	kvm_arch_init(NULL, NULL);
	if (kvm_vm_ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) != 1)
		rv_die("KVM_CAP_USER_MEMORY");
	for (;;) {
		if (kvm_vcpu_ioctl(v.vcpu, KVM_RUN, 0) < 0)
			rv_die("KVM_RUN");
		if (v.run->exit_reason != KVM_EXIT_IO)
			break;
		if (v.run->io.port == 0xe9 && v.run->io.direction == KVM_EXIT_IO_OUT)
			putchar(*((char *)v.run + v.run->io.data_offset));
	}
	printf("exit reason %u\n", v.run->exit_reason);
	printf("wrappers: kvm_arch_init %d, kvm_vm_ioctl %d, kvm_vcpu_ioctl %d\n",
	       nr_arch, nr_vm, nr_vcpu);
	return 0;
}
