// SPDX-License-Identifier: MIT
/*
 * run-union-clobber: SEMANTICS hazard 2, the kvm_run exit union filled
 * twice in one KVM_RUN: a guest-memory access KVM makes on its own
 * account fails and (under annotate-all-efault) fills memory_fault, the
 * error is dropped, the guest runs on and exits with MMIO over it.
 *
 * The site: async page faults.  KVM writes the guest's shared
 * kvm_vcpu_pv_apf_data at guest entry with kvm_write_guest_cached
 * (apf_put_user_notpresent / apf_put_user_ready) and drops the -EFAULT
 * when that fails: the guest just does not hear of the event.  Here the
 * VMM, after the guest enabled async PF, replaces the memslot of that
 * area by a READONLY one over the same memory (the gfn_to_hva cache is
 * re-validated against the new slot and has no writable address).  The
 * guest then writes page P, which is missing in a userfaultfd-armed
 * slot: the fault goes async, apf_put_user_notpresent fails, and the
 * vCPU takes the synthetic halt (KVM_REQ_APF_HALT) instead of a #PF.
 * The VMM's reader resolves P with UFFDIO_COPY; 'page ready' maps P; the
 * guest's retried write lands and its next instruction is an MMIO write:
 * KVM_EXIT_MMIO, in the same KVM_RUN.
 *
 * Expected per profile:
 *   upstream: the failed write is a bare -EFAULT nobody sees; KVM_RUN
 *     returns 0 with KVM_EXIT_MMIO (write, 8 bytes, 0x5678); the guest
 *     then reports P = 0x1234; exit 0.
 *   upstream+annotate-all-efault: the failed write fills a memory-fault
 *     exit for the area's gpa; the MMIO exit overwrites it before KVM_RUN
 *     returns: the "exit-overwritten" oracle (exit 86).  Annotating at
 *     the -EFAULT site is only sound where the error reaches KVM_RUN.
 *
 * Not run natively: async PF on this host (PVM) does not take the path
 * (see apf-foreign-fill).
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
#define MMIO_GPA	0x60000000ull

static u8 *mem;
static int uffd;
static u8 src_page[4096] __attribute__((aligned(4096)));

static void *reader(void *arg)
{
	uffd_copy_one(uffd, src_page);
	return NULL;
}

/* The area's slot again, same memory, but READONLY: KVM cannot write it. */
static void make_area_readonly(struct kvm_vm *vm, void *area)
{
	if (vm_delete_slot(vm, APF_AREA_SLOT))
		die("deleting slot %d", APF_AREA_SLOT);
	vm_add_slot_hva(vm, APF_AREA_SLOT, APF_AREA_GPA, SZ_4K, KVM_MEM_READONLY, area);
	printf("vmm: slot %d (the async-PF area at gpa %#llx) is read-only now\n",
	       APF_AREA_SLOT, APF_AREA_GPA);
}

static void expect_sync(struct kvm_vcpu *vcpu, struct ucall *uc, u64 stage)
{
	vcpu_expect_ucall(vcpu, uc, UCALL_SYNC);
	ASSERT(uc->args[0] == stage, "sync %llu, expected %llu",
	       (unsigned long long)uc->args[0], (unsigned long long)stage);
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	struct kvm_run *run;
	struct ucall uc;
	pthread_t rd;
	void *area;
	int r;

	mem = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		die_errno("mmap");
	area = vm_setup_apf(vm, mem, DATA_SIZE);
	virt_map(vm, MMIO_GPA, MMIO_GPA, SZ_4K, SZ_4K);
	uffd = uffd_register(mem, DATA_SIZE, UFFDIO_REGISTER_MODE_MISSING, 0, NULL);
	memset(src_page, 0x5a, sizeof(src_page));
	if (pthread_create(&rd, NULL, reader, NULL))
		die("pthread_create");

	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "apf"));
	run = vcpu->run;
	vcpu_set_args(vcpu, 4, APF_MODE_CLOBBER, P_GPA, APF_AREA_GPA, MMIO_GPA);
	expect_sync(vcpu, &uc, APF_SYNC_ENABLED);
	printf("vmm: guest enabled async PF: MSR_KVM_ASYNC_PF_EN = %#llx\n",
	       (unsigned long long)uc.args[1]);
	expect_sync(vcpu, &uc, 1);
	make_area_readonly(vm, area);

	r = __vcpu_run(vcpu);
	printf("vmm: KVM_RUN: %d, exit %s", r, exit_reason_name(run->exit_reason));
	if (!r && run->exit_reason == KVM_EXIT_MMIO)
		printf(" %s gpa %#llx len %u data %#llx", run->mmio.is_write ? "write" : "read",
		       (unsigned long long)run->mmio.phys_addr, run->mmio.len,
		       (unsigned long long)mmio_data_get(run));
	printf("\n");
	ASSERT(!r && run->exit_reason == KVM_EXIT_MMIO, "expected the MMIO exit");
	expect_sync(vcpu, &uc, APF_SYNC_TOUCHED);
	printf("vmm: guest wrote %#llx to gpa %#llx (not present %llu, ready %llu)\n",
	       (unsigned long long)uc.args[1], P_GPA, (unsigned long long)uc.args[2],
	       (unsigned long long)uc.args[3]);
	vcpu_expect_ucall(vcpu, &uc, UCALL_DONE);
	pthread_join(rd, NULL);
	printf("done\n");
	close(uffd);
	vm_destroy(vm);
	munmap(mem, DATA_SIZE);
	return 0;
}
