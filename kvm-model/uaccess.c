// SPDX-License-Identifier: MIT
/*
 * copy_from_user / copy_to_user for ioctl arguments: the VMM passes
 * pointers that may be bad, and Linux answers EFAULT rather than crashing.
 * Memory the host's mappings say can take the access without a fault
 * (anonymous, readable, writable for a store) is copied directly: it is
 * our own address space.  Anything else goes through process_vm_readv /
 * writev on our own process, which checks the pages the way the kernel's
 * uaccess does, without a signal.  Either way the pages touched are now
 * mapped (a read maps the zero page), which the PTE snapshot learns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kvm-model/kvm_host.h"
#include "kvm-model/userfaultfd.h"
#include "mmu-model/hostmem.h"

/* Not cached: explore forks, and a child must not write into its parent. */
static pid_t self_pid(void)
{
	return getpid();
}

int copy_from_user(void *dst, const void *usrc, size_t n)
{
	struct iovec local = { dst, n }, remote = { (void *)usrc, n };

	if (!n)
		return 0;
	/* a registered missing page: the userfault first, as the kernel's fault */
	if (userfaultfd_fault_in(usrc, n, false) < 0)
		return -EFAULT;
	if (hostmem_anon_accessible((uintptr_t)usrc, n, false)) {
		memcpy(dst, usrc, n);
	} else if (process_vm_readv(self_pid(), &local, 1, &remote, 1, 0) != (ssize_t)n) {
		return -EFAULT;
	}
	hostmem_note_mapped((uintptr_t)usrc, n);
	return 0;
}

int copy_to_user(void *udst, const void *src, size_t n)
{
	struct iovec local = { (void *)src, n }, remote = { udst, n };

	if (!n)
		return 0;
	if (userfaultfd_fault_in(udst, n, true) < 0)
		return -EFAULT;
	if (hostmem_anon_accessible((uintptr_t)udst, n, true)) {
		memcpy(udst, src, n);
	} else if (process_vm_writev(self_pid(), &local, 1, &remote, 1, 0) != (ssize_t)n) {
		return -EFAULT;
	}
	hostmem_note_mapped((uintptr_t)udst, n);
	return 0;
}
