// SPDX-License-Identifier: MIT
/*
 * racy-vmm: a demand-paging VMM with a deliberate lost-wakeup bug, for
 * `kvmsim explore` (2 vCPUs, 2 pages each, one userfaultfd reader).
 *
 * The reader resolves faults with UFFDIO_COPY_MODE_DONTWAKE and "batches"
 * wakeups: after a copy it reads again without blocking; if another fault
 * is already queued it handles that one first and, at the end of the
 * batch, wakes only the range it copied last.  With one fault at a time
 * this is correct.  When both vCPUs have faulted before the reader runs,
 * the first vCPU's copy is never followed by a wake: it sleeps in
 * handle_userfault on a message that was already read, and nothing will
 * ever wake it.
 *
 * Hazard: a lost wakeup (SEMANTICS: userfaultfd DONTWAKE + UFFDIO_WAKE).
 * Expected under kvmsim (profile upstream): the outcome depends on the
 * schedule.  `kvmsim explore racy-vmm` (random, pct or bounded) finds a
 * run that fails the lost-wakeup oracle ("vCPU N blocked in
 * handle_userfault on gpa 0x4000x000, nothing can wake it"); schedules
 * where the faults arrive one at a time print both vCPUs' results and
 * exit 0.  Natively the bug hangs the VMM when hit, so this scenario is
 * not run natively by the tests.
 *
 * With -f (fixed) every copied page is woken; then every schedule passes
 * (bench/ uses it to measure explored schedules per second).
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
#define VCPU_BYTES	(2 * SZ_4K)
#define NR_VCPUS	2

static u8 *mem;
static int uffd;
static int stop_pipe[2];
static u8 src_page[4096] __attribute__((aligned(4096)));
static bool fixed;

struct vcpu_ctx {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	u64 pages, xor;
};

static void *vcpu_thread(void *arg)
{
	struct vcpu_ctx *c = arg;
	struct ucall uc;

	vcpu_expect_ucall(c->vcpu, &uc, UCALL_SYNC);
	c->pages = uc.args[1];
	c->xor = uc.args[2];
	vcpu_expect_ucall(c->vcpu, &uc, UCALL_DONE);
	return NULL;
}

static u64 copy_page(const struct uffd_msg *m)
{
	struct uffdio_copy c = {
		.dst = m->arg.pagefault.address & ~(SZ_4K - 1),
		.src = (u64)src_page, .len = SZ_4K,
		.mode = UFFDIO_COPY_MODE_DONTWAKE,
	};

	if (ioctl(uffd, UFFDIO_COPY, &c) && errno != EEXIST)
		die_errno("UFFDIO_COPY");
	return c.dst;
}

/* BUG: only the last page of a batch is woken. */
static void handle_batch(void)
{
	struct uffd_msg m;
	u64 last = 0;

	while (read(uffd, &m, sizeof(m)) == sizeof(m)) {
		if (fixed && last) {
			struct uffdio_range r = { last, SZ_4K };

			if (ioctl(uffd, UFFDIO_WAKE, &r))
				die_errno("UFFDIO_WAKE");
		}
		last = copy_page(&m);
	}
	if (errno != EAGAIN)
		die_errno("read of the uffd");
	if (last) {
		struct uffdio_range r = { last, SZ_4K };

		if (ioctl(uffd, UFFDIO_WAKE, &r))
			die_errno("UFFDIO_WAKE");
	}
}

static void *reader(void *arg)
{
	struct pollfd pfd[2] = {
		{ .fd = uffd, .events = POLLIN },
		{ .fd = stop_pipe[0], .events = POLLIN },
	};

	(void)arg;
	for (;;) {
		if (poll(pfd, 2, -1) < 0)
			die_errno("poll");
		if (pfd[1].revents)
			return NULL;
		if (pfd[0].revents & POLLIN)
			handle_batch();
	}
}

int main(int argc, char **argv)
{
	struct vcpu_ctx v[NR_VCPUS];
	struct kvm_vm *vm = vm_create();
	size_t size = NR_VCPUS * VCPU_BYTES;
	pthread_t rd;
	u64 entry;

	fixed = argc > 1 && !strcmp(argv[1], "-f");
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die_errno("mmap");
	vm_add_slot_hva(vm, 1, REGION_GPA, size, 0, mem);
	virt_map(vm, REGION_GPA, REGION_GPA, size, SZ_4K);
	uffd = uffd_register(mem, size, UFFDIO_REGISTER_MODE_MISSING, 0, NULL);
	if (pipe(stop_pipe))
		die_errno("pipe");
	entry = vm_load_guest(vm, "demand_paging");
	for (int i = 0; i < NR_VCPUS; i++) {
		v[i].vcpu = vm_vcpu_add(vm, entry);
		vcpu_set_args(v[i].vcpu, 4, REGION_GPA + i * VCPU_BYTES, VCPU_BYTES,
			      (u64)i + 1, 0);
	}
	if (pthread_create(&rd, NULL, reader, NULL))
		die("pthread_create");
	for (int i = 0; i < NR_VCPUS; i++)
		if (pthread_create(&v[i].thread, NULL, vcpu_thread, &v[i]))
			die("pthread_create");
	for (int i = 0; i < NR_VCPUS; i++)
		pthread_join(v[i].thread, NULL);
	if (write(stop_pipe[1], "x", 1) != 1)
		die_errno("write to the stop pipe");
	pthread_join(rd, NULL);
	for (int i = 0; i < NR_VCPUS; i++)
		printf("vcpu %d: %llu pages, xor %#llx\n", i, (unsigned long long)v[i].pages,
		       (unsigned long long)v[i].xor);
	close(uffd);
	vm_destroy(vm);
	return 0;
}
