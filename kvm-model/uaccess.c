// SPDX-License-Identifier: MIT
/*
 * copy_from_user / copy_to_user for ioctl arguments: the VMM passes
 * pointers that may be bad, and Linux answers EFAULT rather than crashing.
 * process_vm_readv/writev on our own process check the pages the way the
 * kernel's uaccess does, without a signal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kvm-model/kvm_host.h"

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
	return process_vm_readv(self_pid(), &local, 1, &remote, 1, 0) == (ssize_t)n ?
	       0 : -EFAULT;
}

int copy_to_user(void *udst, const void *src, size_t n)
{
	struct iovec local = { (void *)src, n }, remote = { udst, n };

	if (!n)
		return 0;
	return process_vm_writev(self_pid(), &local, 1, &remote, 1, 0) == (ssize_t)n ?
	       0 : -EFAULT;
}
