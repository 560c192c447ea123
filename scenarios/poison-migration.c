// SPDX-License-Identifier: MIT
/*
 * poison-migration: SEMANTICS hazard 10, poison across migration (seed
 * 004: UFFDIO_SIGBUS, merged as UFFDIO_POISON).
 *
 * The destination VMM demand-pages guest memory through userfaultfd
 * (MISSING).  The source reported page 2 as hardware-poisoned, so when the
 * guest touches it the reader answers UFFDIO_POISON instead of
 * UFFDIO_COPY.  The guest's access must then fail in a way that tells the
 * VMM *which* guest page is bad, so it can inject a machine check there.
 *
 * Expected, per profile:
 *   upstream     the marker makes GUP fail with -EHWPOISON: KVM sends
 *                SIGBUS (BUS_MCEERR_AR, si_addr = the page's host address)
 *                to the vCPU thread and KVM_RUN returns -1 EINTR
 *                (KVM_EXIT_INTR): the VMM maps si_addr to gpa 0x40002000
 *   rfc-2023-v2  the proposed UFFDIO_SIGBUS marker gives VM_FAULT_SIGBUS,
 *                so GUP fails with -EFAULT; the VMM enabled the 2023
 *                series' exits only for ABSENT_MAPPING (what postcopy
 *                needs), so KVM_RUN returns a bare -EFAULT: no address, no
 *                machine check, the VM must be killed
 *   rfc-2023-v2+no-uffd-sigbus-marker  as upstream (the signal carries it)
 * Not run natively: this PVM host answers the access to the poisoned page
 * with KVM_EXIT_MMIO (write, gpa 0x40002000, len 8), as it does for any
 * failed GUP; mainline sends the hwpoison SIGBUS (kvm_send_hwpoison_signal).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "scenario.h"

#define SLOT_GPA	0x40000000ull
#define NPAGES		4
#define POISONED_PAGE	2

static u8 *mem;
static int uffd;
static u8 src_page[4096] __attribute__((aligned(4096)));
static volatile sig_atomic_t sigbus_code;
static void *volatile sigbus_addr;

static void sigbus_handler(int sig, siginfo_t *si, void *uc)
{
	sigbus_code = si->si_code;
	sigbus_addr = si->si_addr;
}

/* Answer each fault: UFFDIO_POISON for the bad page, UFFDIO_COPY otherwise. */
static void *reader(void *arg)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	for (int faults = 0; faults <= POISONED_PAGE; faults++) {
		u64 page;

		if (poll(&pfd, 1, -1) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg))
			die_errno("reading the uffd");
		page = (msg.arg.pagefault.address & ~(SZ_4K - 1)) - (u64)mem;
		if (page / SZ_4K == POISONED_PAGE) {
			struct uffdio_poison p = { .range = { (u64)mem + page, SZ_4K } };

			if (ioctl(uffd, UFFDIO_POISON, &p))
				die_errno("UFFDIO_POISON");
			printf("reader: gpa %#llx is poisoned at the source: UFFDIO_POISON\n",
			       (unsigned long long)(SLOT_GPA + page));
			break;
		}
		struct uffdio_copy c = { .dst = (u64)mem + page, .src = (u64)src_page,
					 .len = SZ_4K };
		if (ioctl(uffd, UFFDIO_COPY, &c))
			die_errno("UFFDIO_COPY");
	}
	return NULL;
}

static void setup_uffd(void)
{
	uffd = uffd_register(mem, NPAGES * SZ_4K, UFFDIO_REGISTER_MODE_MISSING,
			     UFFD_FEATURE_POISON, NULL);
}

static void report_failure(struct kvm_vcpu *vcpu, int r)
{
	u64 gpa;

	printf("KVM_RUN: -1 %s, exit_reason %u\n", strerrorname_np(-r), vcpu->run->exit_reason);
	if (sigbus_code) {
		gpa = SLOT_GPA + ((u64)sigbus_addr - (u64)mem);
		printf("VMM: SIGBUS %s for gpa %#llx: inject a machine check there\n",
		       sigbus_code == BUS_MCEERR_AR ? "BUS_MCEERR_AR" : "(other code)",
		       (unsigned long long)gpa);
	} else if (vcpu->run->exit_reason == KVM_EXIT_MEMORY_FAULT ||
		   vcpu->run->exit_reason == KVMSIM_EXIT_MEMORY_FAULT_RFC) {
		memcpy(&gpa, (u8 *)vcpu->run + KVMSIM_RUN_UNION_OFFSET +
		       offsetof(struct kvmsim_memory_fault, gpa), sizeof(gpa));
		printf("VMM: memory-fault exit for gpa %#llx: inject a machine check there\n",
		       (unsigned long long)gpa);
	} else {
		printf("VMM: no address for the failure: the VM must be killed\n");
	}
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = sigbus_handler, .sa_flags = SA_SIGINFO };
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	pthread_t rd;
	int r;

	mem = mmap(NULL, NPAGES * SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die_errno("mmap");
	vm_add_slot_hva(vm, 1, SLOT_GPA, NPAGES * SZ_4K, 0, mem);
	virt_map(vm, SLOT_GPA, SLOT_GPA, NPAGES * SZ_4K, SZ_4K);
	/* the 2023 series: exits only for the reason postcopy handles */
	vm_enable_memfault_exits(vm, KVM_MEMFAULT_REASON_ABSENT_MAPPING);
	setup_uffd();
	memset(src_page, 0x5a, sizeof(src_page));
	sigaction(SIGBUS, &sa, NULL);
	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "demand_paging"));
	vcpu_set_args(vcpu, 4, SLOT_GPA, NPAGES * SZ_4K, 1ull, 0ull);
	if (pthread_create(&rd, NULL, reader, NULL))
		die("pthread_create");
	r = __vcpu_run(vcpu);
	if (!r) {
		char what[256];

		describe_exit(vcpu, what, sizeof(what));
		die("KVM_RUN returned 0 (%s): the poisoned page was not noticed", what);
	}
	report_failure(vcpu, r);
	pthread_join(rd, NULL);
	close(uffd);
	vm_destroy(vm);
	return 0;
}
