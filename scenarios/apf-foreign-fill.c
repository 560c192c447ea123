// SPDX-License-Identifier: MIT
/*
 * apf-foreign-fill: SEMANTICS hazard 3, an async-PF completion that
 * writes the vCPU's kvm_run from the worker instead of the vCPU's own
 * KVM_RUN (rule 10: only the running vCPU fills its kvm_run).
 *
 * Slot 1 is anonymous memory registered with userfaultfd (MISSING).  The
 * guest enables async page faults and reads page P, which is missing: the
 * FOLL_NOWAIT GUP would sleep in handle_userfault, so the fault goes
 * async.  The guest gets 'page not present' (token 0x1000) and halts; the
 * kworker sleeps in handle_userfault; the VMM's reader thread resolves
 * the fault with UFFDIO_COPY (the page filled with 0x5a); the kworker's
 * GUP completes.
 *
 * Expected per profile:
 *   upstream: only the vCPU fills kvm_run.  'page ready' (token 0x1000)
 *     wakes the guest, whose retried read sees 0x5a5a5a5a5a5a5a5a; the
 *     only exits are ucalls; exit 0.
 *   upstream+apf-fill-on-completion: the kworker writes a memory-fault
 *     exit for P into kvm_run when its GUP is done, while the vCPU is
 *     halted inside KVM_RUN: the "foreign-fill" oracle (exit 86).  Had it
 *     not stopped the run, the exit the vCPU filled next would have been
 *     an overwrite of data no exit carried.
 *
 * Not run natively: whether this host (PVM) makes the fault async is not
 * what the scenario checks, and the reader's timing would differ.
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

#define DATA_SIZE	0x4000ull
#define P_GPA		(APF_DATA_GPA + 0x1000)

static u8 *mem;
static int uffd;
static u8 src_page[4096] __attribute__((aligned(4096)));
static u64 resolved_gpa;

static void *reader(void *arg)
{
	resolved_gpa = APF_DATA_GPA + uffd_copy_one(uffd, src_page) - (u64)mem;
	return NULL;
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	pthread_t rd;
	u64 cmd;

	mem = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die_errno("mmap");
	vm_setup_apf(vm, mem, DATA_SIZE);
	uffd = uffd_register(mem, DATA_SIZE, UFFDIO_REGISTER_MODE_MISSING, 0, NULL);
	memset(src_page, 0x5a, sizeof(src_page));
	if (pthread_create(&rd, NULL, reader, NULL))
		die("pthread_create");

	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "apf"));
	vcpu_set_args(vcpu, 3, APF_MODE_TOUCH, P_GPA, APF_AREA_GPA);
	while ((cmd = vcpu_run_ucall(vcpu, &uc)) == UCALL_SYNC) {
		if (uc.args[0] == APF_SYNC_ENABLED)
			printf("vmm: guest enabled async PF: MSR_KVM_ASYNC_PF_EN = %#llx\n",
			       (unsigned long long)uc.args[1]);
		else if (uc.args[0] == APF_SYNC_TOUCHED)
			printf("vmm: guest read %#llx (not present %llu, ready %llu)\n",
			       (unsigned long long)uc.args[1], (unsigned long long)uc.args[2],
			       (unsigned long long)uc.args[3]);
	}
	ASSERT(cmd == UCALL_DONE, "guest: %s", ucall_name(cmd));
	pthread_join(rd, NULL);
	printf("vmm: the reader resolved gpa %#llx with UFFDIO_COPY\n",
	       (unsigned long long)resolved_gpa);
	printf("done\n");
	close(uffd);
	vm_destroy(vm);
	munmap(mem, DATA_SIZE);
	return 0;
}
