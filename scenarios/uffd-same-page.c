// SPDX-License-Identifier: MIT
/*
 * uffd-same-page: two vCPUs fault the same page through one userfaultfd,
 * with one reader (SEMANTICS hazard 4, seed 000's EEXIST note in
 * handle_uffd_page_request).
 *
 * Both vCPUs write the same missing page, each with its own value at its
 * own offset.  Each fault queues its own message, so the reader, once it
 * sees the uffd readable, waits until the vCPUs can make no more progress
 * (a sleep: virtual time under kvmsim only moves once every thread
 * blocks) and reads both messages with one read().  It resolves both
 * with UFFDIO_COPY: the first installs the page and wakes both vCPUs, the
 * second finds the page present and fails with EEXIST, its .copy field
 * -EEXIST.  That EEXIST is benign: both vCPUs finish and both values are
 * in the page.
 *
 * Expected (natively and under kvmsim): two messages of one read, the
 * same page-aligned address, WRITE set; COPY 1 -> 0 (copy 4096), COPY 2
 * -> -1/EEXIST (copy -17); both vCPUs report UCALL_DONE; exit 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "scenario.h"

#define REGION_GPA	0x40000000ull
#define PAGE_GPA	(REGION_GPA + 0x3000)

static u8 *mem;
static int uffd;
static u8 src_page[4096] __attribute__((aligned(4096)));

struct vcpu_ctx {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	u64 value;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu_ctx *c = arg;
	struct ucall uc;

	vcpu_expect_ucall(c->vcpu, &uc, UCALL_SYNC);
	c->value = uc.args[2];
	vcpu_expect_ucall(c->vcpu, &uc, UCALL_DONE);
	return NULL;
}

static void *reader(void *arg)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg[4];
	ssize_t n;

	if (poll(&pfd, 1, -1) != 1 || !(pfd.revents & POLLIN))
		die_errno("poll on the uffd");
	/* let the second vCPU reach the page too */
	usleep(100 * 1000);
	n = read(uffd, msg, sizeof(msg));
	if (n < 0)
		die_errno("read of the uffd");
	printf("reader: one read returned %zd bytes (%zd messages)\n", n,
	       n / (ssize_t)sizeof(msg[0]));
	for (int i = 0; i < n / (ssize_t)sizeof(msg[0]); i++) {
		u64 off = msg[i].arg.pagefault.address - (u64)mem;
		struct uffdio_copy c = {
			.dst = msg[i].arg.pagefault.address & ~(SZ_4K - 1),
			.src = (u64)src_page, .len = SZ_4K,
		};
		int r, err;

		printf("message %d: event %#x, gpa %#llx, flags %#llx\n", i, msg[i].event,
		       (unsigned long long)(REGION_GPA + off),
		       (unsigned long long)msg[i].arg.pagefault.flags);
		r = ioctl(uffd, UFFDIO_COPY, &c);
		err = errno;
		printf("UFFDIO_COPY %d: %d%s%s, copy %lld\n", i, r, r ? " errno " : "",
		       r ? strerrorname_np(err) : "", (long long)c.copy);
	}
	return NULL;
}

int main(void)
{
	struct vcpu_ctx v[2];
	struct kvm_vm *vm = vm_create();
	pthread_t rd;
	u64 entry, *page;

	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die_errno("mmap");
	vm_add_slot_hva(vm, 1, REGION_GPA, 0x10000, 0, mem);
	virt_map(vm, REGION_GPA, REGION_GPA, 0x10000, SZ_4K);
	uffd = uffd_register(mem, 0x10000, UFFDIO_REGISTER_MODE_MISSING, 0, NULL);
	memset(src_page, 0x5a, sizeof(src_page));

	entry = vm_load_guest(vm, "demand_paging");
	for (int i = 0; i < 2; i++) {
		v[i].vcpu = vm_vcpu_add(vm, entry);
		/*
		 * One page each, same page: the guest writes at the page's
		 * first qword; vCPU 1 gets the page's second half (the gpa
		 * is 2K into it) so both values survive.
		 */
		vcpu_set_args(v[i].vcpu, 4, PAGE_GPA + i * 0x800, 0x800, (u64)i + 1, 0);
	}
	if (pthread_create(&rd, NULL, reader, NULL))
		die("pthread_create");
	for (int i = 0; i < 2; i++)
		if (pthread_create(&v[i].thread, NULL, vcpu_thread, &v[i]))
			die("pthread_create");
	for (int i = 0; i < 2; i++)
		pthread_join(v[i].thread, NULL);
	pthread_join(rd, NULL);

	page = (u64 *)(mem + (PAGE_GPA - REGION_GPA));
	for (int i = 0; i < 2; i++) {
		u64 want = touch_pattern(PAGE_GPA + i * 0x800, i + 1);

		printf("vcpu %d: done, its value %s in the page\n", i,
		       page[i * 0x100] == want && v[i].value == want ? "is" : "is NOT");
	}
	close(uffd);
	vm_destroy(vm);
	return 0;
}
