// SPDX-License-Identifier: MIT
/*
 * uffd-readers: the thundering herd of seed 000 ("Use EPOLL in
 * userfaultfd_util reader threads"): N reader threads wait on one
 * userfaultfd, first with poll(), then each with its own epoll instance
 * holding the uffd with EPOLLEXCLUSIVE.
 *
 * One vCPU writes 16 pages, one at a time: after each page the guest
 * exits (UCALL_SYNC) and the VMM lets every thread settle (a 20 ms sleep;
 * under kvmsim, virtual time only moves once every thread is blocked)
 * before it re-enters, so each fault meets all N readers asleep.  A
 * reader that wakes with the uffd readable takes 10 ms before it reads
 * (the selftest's -d delay), so every reader the fault woke sees the
 * message still queued.  The first read gets it and resolves it with
 * UFFDIO_COPY; every other woken reader's read fails with EAGAIN: a
 * spurious wakeup.
 *
 * Hazard: poll() puts every reader on the uffd's wait queue
 * non-exclusively, so each fault wakes all of them (SEMANTICS rule 11);
 * EPOLLEXCLUSIVE wakes one.
 *
 * Expected (natively and under kvmsim): poll, 4 readers, 8 faults: 8
 * resolved, 32 wakeups, 24 spurious (N-1 = 3 per fault); epoll with
 * EPOLLEXCLUSIVE, 4 readers, 8 faults: 8 resolved, 8 wakeups, 0
 * spurious; exit 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "scenario.h"

#define REGION_GPA	0x40000000ull
#define PAGES		16
#define PHASE_PAGES	8
#define NR_READERS	4

static u8 *mem;
static int uffd;
static u8 src_page[4096] __attribute__((aligned(4096)));

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long wakeups, spurious, resolved;

struct reader {
	pthread_t thread;
	int pipe[2];
	bool use_epoll;
};

/* Woken with the uffd readable: take a moment, then try to read. */
static void woken(void)
{
	struct uffd_msg msg;
	ssize_t n;

	usleep(10 * 1000);
	n = read(uffd, &msg, sizeof(msg));
	pthread_mutex_lock(&lock);
	wakeups++;
	if (n < 0 && errno == EAGAIN)
		spurious++;
	pthread_mutex_unlock(&lock);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n != sizeof(msg))
		die_errno("read of the uffd returned %zd", n);

	struct uffdio_copy c = {
		.dst = msg.arg.pagefault.address & ~(SZ_4K - 1),
		.src = (u64)src_page, .len = SZ_4K,
	};
	if (ioctl(uffd, UFFDIO_COPY, &c) < 0)
		die_errno("UFFDIO_COPY");
	pthread_mutex_lock(&lock);
	resolved++;
	pthread_mutex_unlock(&lock);
}

static void *reader_thread(void *arg)
{
	struct reader *rd = arg;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u32 = 0 };
	int ep = -1;

	if (rd->use_epoll) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, uffd, &ev) < 0)
			die_errno("epoll on the uffd");
		ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 1 };
		if (epoll_ctl(ep, EPOLL_CTL_ADD, rd->pipe[0], &ev) < 0)
			die_errno("epoll on the pipe");
	}
	for (;;) {
		bool stop, ready;

		if (rd->use_epoll) {
			int r = epoll_wait(ep, &ev, 1, -1);

			ASSERT(r == 1, "epoll_wait returned %d", r);
			stop = ev.data.u32 == 1;
			ready = ev.data.u32 == 0 && (ev.events & EPOLLIN);
		} else {
			struct pollfd fds[2] = {
				{ .fd = uffd, .events = POLLIN },
				{ .fd = rd->pipe[0], .events = POLLIN },
			};
			int r = poll(fds, 2, -1);

			ASSERT(r > 0, "poll returned %d", r);
			stop = fds[1].revents & POLLIN;
			ready = fds[0].revents & POLLIN;
		}
		if (stop)
			break;
		if (ready)
			woken();
	}
	if (ep >= 0)
		close(ep);
	return NULL;
}

static void start_readers(struct reader *rd, bool use_epoll)
{
	for (int i = 0; i < NR_READERS; i++) {
		rd[i].use_epoll = use_epoll;
		if (pipe2(rd[i].pipe, O_CLOEXEC | O_NONBLOCK) < 0)
			die_errno("pipe2");
		if (pthread_create(&rd[i].thread, NULL, reader_thread, &rd[i]))
			die("pthread_create");
	}
	/* let them all reach poll / epoll_wait */
	usleep(20 * 1000);
}

static void stop_readers(struct reader *rd, const char *what)
{
	for (int i = 0; i < NR_READERS; i++)
		if (write(rd[i].pipe[1], "", 1) != 1)
			die_errno("write to a reader's pipe");
	for (int i = 0; i < NR_READERS; i++) {
		pthread_join(rd[i].thread, NULL);
		close(rd[i].pipe[0]);
		close(rd[i].pipe[1]);
	}
	printf("%s: %d readers, %d faults: %lu resolved, %lu wakeups, %lu spurious "
	       "(EAGAIN)\n", what, NR_READERS, PHASE_PAGES, resolved, wakeups, spurious);
	resolved = wakeups = spurious = 0;
}

int main(void)
{
	struct reader rd[NR_READERS];
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	struct ucall uc;

	mem = mmap(NULL, PAGES * SZ_4K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (mem == MAP_FAILED)
		die_errno("mmap");
	vm_add_slot_hva(vm, 1, REGION_GPA, PAGES * SZ_4K, 0, mem);
	virt_map(vm, REGION_GPA, REGION_GPA, PAGES * SZ_4K, SZ_4K);
	uffd = uffd_register(mem, PAGES * SZ_4K, UFFDIO_REGISTER_MODE_MISSING, 0, NULL);
	memset(src_page, 0x5a, sizeof(src_page));

	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "demand_paging"));
	vcpu_set_args(vcpu, 4, REGION_GPA, PAGES * SZ_4K, 1, 1);

	start_readers(rd, false);
	for (int i = 0; i < PAGES; i++) {
		vcpu_expect_ucall(vcpu, &uc, UCALL_SYNC);
		ASSERT(uc.args[0] == 1 && uc.args[1] == (u64)i, "sync %llu/%llu, page %d",
		       (unsigned long long)uc.args[0], (unsigned long long)uc.args[1], i);
		/* every thread settles before the next fault */
		usleep(20 * 1000);
		if (i == PHASE_PAGES - 1) {
			stop_readers(rd, "poll");
			start_readers(rd, true);
		}
	}
	stop_readers(rd, "epoll, EPOLLEXCLUSIVE");
	vcpu_expect_ucall(vcpu, &uc, UCALL_SYNC);
	ASSERT(uc.args[0] == 0 && uc.args[1] == PAGES, "final sync");
	vcpu_expect_ucall(vcpu, &uc, UCALL_DONE);
	printf("done\n");
	close(uffd);
	vm_destroy(vm);
	munmap(mem, PAGES * SZ_4K);
	return 0;
}
