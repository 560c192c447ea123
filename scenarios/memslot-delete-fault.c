// SPDX-License-Identifier: MIT
/*
 * memslot-delete-fault: a memslot is deleted (KVM_SET_USER_MEMORY_REGION
 * with memory_size 0) while a vCPU is blocked faulting on it through
 * userfaultfd (SEMANTICS hazard 11, with a userfaultfd-backed slot).
 *
 * The guest writes page P of slot 1 (missing, registered MISSING); the
 * vCPU sleeps in handle_userfault inside KVM's GUP.  The reader thread
 * reads the message, tells the main thread, waits 50 ms, then resolves
 * it with UFFDIO_COPY.  Meanwhile the main thread deletes slot 1.
 *
 * What the kernel does (virt/kvm/kvm_main.c, arch/x86/kvm/mmu/mmu.c):
 * the vCPU holds kvm->srcu for reading across kvm_mmu_page_fault,
 * including the GUP sleeping in handle_userfault, and a memslot update
 * swaps the memslot arrays with synchronize_srcu_expedited
 * (kvm_swap_active_memslots) before it zaps the slot's SPTEs
 * (kvm_arch_flush_shadow_memslot).  So the deletion blocks until the
 * fault is resolved: the vCPU's write lands in P, the SPTE it installed
 * goes with the slot, and only then does the ioctl return.  A guest
 * access to the deleted range afterwards finds no memslot: an MMIO exit.
 *
 * Expected (upstream, natively and under kvmsim): the deletion returns 0
 * only after the reader started UFFDIO_COPY; the guest's value is in P;
 * the guest's next read, of page Q of the deleted range, exits with
 * KVM_EXIT_MMIO (read, 8 bytes at Q) and gets the VMM's value; exit 0.
 * Were the deletion not to wait, it would return while the reader still
 * sleeps and the first line would say so.
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
#include "guest_abi.h"

#define SLOT		1
#define REGION_GPA	0x40000000ull
#define REGION_SIZE	0x10000ull
#define P_GPA		(REGION_GPA + 0x2000)
#define Q_GPA		(REGION_GPA + 0x5000)
#define MMIO_VALUE	0x1122334455667788ull

static u8 *mem;
static int uffd;
static u8 src_page[4096] __attribute__((aligned(4096)));
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool message_read;
static volatile bool copy_started;

static void *reader(void *arg)
{
	struct uffd_msg msg;
	struct uffdio_copy c;

	uffd_read_msg(uffd, &msg);
	printf("reader: fault at gpa %#llx\n",
	       (unsigned long long)(REGION_GPA + msg.arg.pagefault.address - (u64)mem));
	pthread_mutex_lock(&lock);
	message_read = true;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);

	usleep(50 * 1000);
	copy_started = true;
	c = (struct uffdio_copy){ .dst = msg.arg.pagefault.address & ~(SZ_4K - 1),
				  .src = (u64)src_page, .len = SZ_4K };
	if (ioctl(uffd, UFFDIO_COPY, &c) < 0)
		die_errno("UFFDIO_COPY");
	return NULL;
}

struct vcpu_ctx {
	struct kvm_vcpu *vcpu;
	struct ucall uc;
};

static void *vcpu_first_run(void *arg)
{
	struct vcpu_ctx *v = arg;

	/* writes P, then UCALL_SYNC { 1, 0 } (step mode) */
	vcpu_expect_ucall(v->vcpu, &v->uc, UCALL_SYNC);
	return NULL;
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct vcpu_ctx v;
	pthread_t rd, vt;
	struct kvm_run *run;
	u64 p_value;
	int r;

	mem = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (mem == MAP_FAILED)
		die_errno("mmap");
	vm_add_slot_hva(vm, SLOT, REGION_GPA, REGION_SIZE, 0, mem);
	virt_map(vm, REGION_GPA, REGION_GPA, REGION_SIZE, SZ_4K);
	uffd = uffd_register(mem, REGION_SIZE, UFFDIO_REGISTER_MODE_MISSING, 0, NULL);
	memset(src_page, 0x5a, sizeof(src_page));

	v.vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "memslot_delete"));
	vcpu_set_args(v.vcpu, 3, P_GPA, Q_GPA, 7);
	run = v.vcpu->run;

	if (pthread_create(&rd, NULL, reader, NULL) ||
	    pthread_create(&vt, NULL, vcpu_first_run, &v))
		die("pthread_create");
	pthread_mutex_lock(&lock);
	while (!message_read)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);

	r = vm_delete_slot(vm, SLOT);
	printf("main: deleting slot %d returned %d, after the reader started "
	       "UFFDIO_COPY: %s\n", SLOT, r, copy_started ? "yes" : "NO");
	pthread_join(vt, NULL);
	pthread_join(rd, NULL);
	ASSERT(v.uc.args[0] == 1, "vcpu: sync stage %llu", (unsigned long long)v.uc.args[0]);
	memcpy(&p_value, mem + (P_GPA - REGION_GPA), sizeof(p_value));
	printf("vcpu: write to gpa %#llx completed, the guest's value is in the page: %s\n",
	       P_GPA, p_value == touch_pattern(P_GPA, 7) ? "yes" : "NO");

	/* the guest now reads Q, in the deleted range */
	r = __vcpu_run(v.vcpu);
	printf("KVM_RUN: %d, exit %s", r, exit_reason_name(run->exit_reason));
	if (!r && run->exit_reason == KVM_EXIT_MMIO)
		printf(" %s gpa %#llx len %u", run->mmio.is_write ? "write" : "read",
		       (unsigned long long)run->mmio.phys_addr, run->mmio.len);
	printf("\n");
	ASSERT(!r && run->exit_reason == KVM_EXIT_MMIO && !run->mmio.is_write,
	       "expected an MMIO read exit");
	mmio_data_set(run, MMIO_VALUE);
	vcpu_expect_ucall(v.vcpu, &v.uc, UCALL_SYNC);
	printf("guest: read %#llx from gpa %#llx\n", (unsigned long long)v.uc.args[1],
	       Q_GPA);
	vcpu_expect_ucall(v.vcpu, &v.uc, UCALL_DONE);
	printf("done\n");
	close(uffd);
	vm_destroy(vm);
	munmap(mem, REGION_SIZE);
	return 0;
}
