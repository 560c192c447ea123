// SPDX-License-Identifier: MIT
/*
 * el0-uffd (arm64 only): a guest kernel runs a task at EL0 and
 * demand-pages it (guest-bins/arm64/el0_task.c); the task's stack and
 * data pages live in a userfaultfd (MISSING) slot the VMM has not
 * populated.  Every fault the task takes goes through its kernel first:
 *
 *   - its first instruction: an EL0 instruction abort (the kernel maps
 *     the code page and erets);
 *   - its first push: a stage-2 fault from EL0 on the stack page ->
 *     kvm_handle_guest_abort -> user_mem_abort -> GUP -> handle_userfault:
 *     the reader gets a WRITE userfault and copies the page in;
 *   - svc: the kernel's system call handler (ESR EC 0x15, SPSR EL0t);
 *   - its first load from the data page: an EL0 data abort (translation,
 *     level 3), the kernel maps the page, and the retried load is a
 *     stage-2 fault: a READ userfault, resolved with the page's contents;
 *   - a store to its own code, a load from kernel memory: permission
 *     faults the kernel skips; `mrs sctlr_el1`: undefined at EL0.
 *
 * Expected: exactly two userfaults (stack write, then data read), the
 * task reads the copied value and writes back value + 1, each exception
 * with the ESR/FAR the architecture gives, the kernel at EL1 each time.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/userfaultfd.h>

#include "scenario.h"

#define SLOT_GPA	0x40000000ull
#define SLOT_SIZE	0x200000ull
#define DATA_GPA	0x40000000ull	/* the task's data page */
#define STACK_GPA	0x40001000ull	/* its stack page */
#define USER_VA		0x80000000ull	/* the 2M user window */
#define DESC_ADDR_MASK	0x0000fffffffff000ull
#define DATA_VALUE	0x5eed0000cafe0000ull

static u8 *slot_mem;
static int uffd;

/* The two faults the task causes, each resolved with UFFDIO_COPY. */
static void *reader(void *arg)
{
	static u8 page[4096];

	for (int i = 0; i < 2; i++) {
		struct uffd_msg msg;
		struct uffdio_copy copy;
		u64 hva, gpa;

		uffd_read_msg(uffd, &msg);
		hva = msg.arg.pagefault.address & ~(SZ_4K - 1);
		gpa = SLOT_GPA + hva - (u64)slot_mem;
		memset(page, 0, sizeof(page));
		if (gpa == DATA_GPA)
			memcpy(page, &(u64){ DATA_VALUE }, 8);
		copy = (struct uffdio_copy){ .dst = hva, .src = (u64)page, .len = SZ_4K };
		printf("userfault: gpa %#llx %s\n", (unsigned long long)gpa,
		       msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE ? "write" : "read");
		printf("UFFDIO_COPY: %d\n", ioctl(uffd, UFFDIO_COPY, &copy));
	}
	return NULL;
}

/* The window's level-3 table, every entry invalid: the guest kernel fills it. */
static u64 user_window(struct kvm_vm *vm)
{
	for (u64 off = 0; off < SZ_2M; off += SZ_4K)
		*virt_get_pte(vm, USER_VA + off, SZ_4K) = 0;
	return *virt_get_pte(vm, USER_VA, SZ_2M) & DESC_ADDR_MASK;
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	pthread_t rd;
	u64 l3;

	slot_mem = mmap(NULL, SLOT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (slot_mem == MAP_FAILED)
		die_errno("mmap");
	vm_add_slot_hva(vm, 1, SLOT_GPA, SLOT_SIZE, 0, slot_mem);
	uffd = uffd_register(slot_mem, SLOT_SIZE, UFFDIO_REGISTER_MODE_MISSING, 0, NULL);
	l3 = user_window(vm);
	printf("task pages: data gpa %#llx, stack gpa %#llx, in a userfaultfd (MISSING) slot\n",
	       DATA_GPA, STACK_GPA);
	if (pthread_create(&rd, NULL, reader, NULL))
		die("pthread_create");

	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "el0_task"));
	vcpu_set_args(vcpu, 4, l3, USER_VA, DATA_GPA, STACK_GPA);
	vcpu_expect_ucall(vcpu, &uc, UCALL_DONE);
	pthread_join(rd, NULL);
	printf("done\n");
	vm_destroy(vm);
	return 0;
}
