// SPDX-License-Identifier: MIT
/*
 * userfaultfd helpers for scenario VMMs: the setup every demand-paging
 * scenario repeats, and one blocking read of a fault message.  Real
 * syscalls only, so the programs run natively too.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "scenario.h"

int uffd_register(void *start, u64 len, u64 mode, u64 features, u64 *ioctls)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	struct uffdio_register reg = { .range = { (u64)start, len }, .mode = mode };
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (uffd < 0)
		die_errno("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api) < 0)
		die_errno("UFFDIO_API");
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
		die_errno("UFFDIO_REGISTER");
	if (ioctls)
		*ioctls = reg.ioctls;
	return uffd;
}

u64 uffd_copy_one(int uffd, const void *src)
{
	struct uffd_msg msg;
	struct uffdio_copy c;

	uffd_read_msg(uffd, &msg);
	c = (struct uffdio_copy){ .dst = msg.arg.pagefault.address & ~(SZ_4K - 1),
				  .src = (u64)src, .len = SZ_4K };
	if (ioctl(uffd, UFFDIO_COPY, &c) < 0)
		die_errno("UFFDIO_COPY");
	return c.dst;
}

void uffd_read_msg(int uffd, struct uffd_msg *msg)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };

	if (poll(&pfd, 1, -1) != 1 || read(uffd, msg, sizeof(*msg)) != sizeof(*msg))
		die_errno("reading the userfaultfd");
}
