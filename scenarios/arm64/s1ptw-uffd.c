// SPDX-License-Identifier: MIT
/*
 * s1ptw-uffd (arm64 only): the guest's own level-3 page table lives in
 * memory registered with userfaultfd (MISSING) and not yet populated, as
 * page_fault_test's S1PTW cases arrange it.  The guest reads through it:
 * the hardware's stage-1 table walk (S1PTW) reads the table's IPA, which
 * stage 2 does not map, so kvm_handle_guest_abort -> user_mem_abort ->
 * GUP -> handle_userfault; the reader thread gets a userfault for the
 * table page, copies the table in, and the walk completes.
 *
 * Expected (upstream): one userfault, for the table page (gpa
 * 0x40001000), a read (an S1PTW translation fault is not a write since
 * 6.2); the guest reads the data page's value.  With +arm64-s1ptw-write
 * (the pre-6.2 rule) the same userfault carries WRITE.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "scenario.h"

#define PT_GPA		0x40001000ull	/* the level-3 table, in the uffd slot */
#define SLOT_GPA	0x40000000ull
#define SLOT_SIZE	0x200000ull
#define DATA_GPA	0x00800000ull
#define TEST_VA		0xc0000000ull
#define ACC_S1PTW	3		/* guest-bins/arm64/pf_matrix.c */

static u8 *slot_mem;
static u8 table[4096];
static int uffd;
static volatile bool done;

static void *reader(void *arg)
{
	while (!done) {
		struct pollfd pfd = { .fd = uffd, .events = POLLIN };
		struct uffd_msg msg;

		if (poll(&pfd, 1, 10) <= 0 || read(uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		u64 page = msg.arg.pagefault.address & ~(SZ_4K - 1);
		struct uffdio_copy copy = { .dst = page, .src = (u64)table, .len = SZ_4K };

		printf("userfault: gpa %#llx %s\n",
		       (unsigned long long)(SLOT_GPA + page - (u64)slot_mem),
		       msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE ? "write" : "read");
		printf("UFFDIO_COPY of the level-3 table: %d\n", ioctl(uffd, UFFDIO_COPY, &copy));
	}
	return NULL;
}

int main(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	pthread_t rd;
	u64 *pte, *l2e, attrs;

	slot_mem = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (slot_mem == MAP_FAILED)
		die_errno("mmap");
	vm_add_slot_hva(vm, 1, SLOT_GPA, SLOT_SIZE, 0, slot_mem);
	/* build the table in the VMM, keep it out of the guest until asked */
	attrs = *virt_get_pte(vm, 0x400000, SZ_4K) & 0xfff;
	pte = virt_get_pte(vm, TEST_VA, SZ_4K);
	*pte = DATA_GPA | attrs;
	memcpy(table, (u8 *)pte - ((u64)pte & (SZ_4K - 1)), sizeof(table));
	l2e = virt_get_pte(vm, TEST_VA, SZ_2M);
	*l2e = PT_GPA | (*l2e & 0xfff);
	memcpy(gpa_to_hva(vm, DATA_GPA, 8), &(u64){ 0x1122334455667788ull }, 8);
	printf("page-table page: gpa %#llx, in a userfaultfd (MISSING) slot, not populated\n",
	       PT_GPA);

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	reg = (struct uffdio_register){ .range = { (u64)slot_mem, SLOT_SIZE },
					.mode = UFFDIO_REGISTER_MODE_MISSING };
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg))
		die_errno("userfaultfd");
	if (pthread_create(&rd, NULL, reader, NULL))
		die("pthread_create");

	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "pf_matrix"));
	vcpu_set_args(vcpu, 2, (u64)ACC_S1PTW, TEST_VA);
	vcpu_expect_ucall(vcpu, &uc, UCALL_SYNC);
	if (uc.args[0] == 1)
		printf("guest: read %#llx at va %#llx through the table\n",
		       (unsigned long long)uc.args[1], TEST_VA);
	else
		printf("guest: abort, ESR_EL1 %#llx FAR_EL1 %#llx\n",
		       (unsigned long long)uc.args[1], (unsigned long long)uc.args[2]);
	vcpu_expect_ucall(vcpu, &uc, UCALL_DONE);
	done = true;
	pthread_join(rd, NULL);
	printf("done\n");
	vm_destroy(vm);
	return 0;
}
