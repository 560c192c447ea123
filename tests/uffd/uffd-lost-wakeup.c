// SPDX-License-Identifier: MIT
/*
 * uffd-lost-wakeup: a VMM that loses a userfault.  The vCPU thread writes
 * a missing page of a userfaultfd-registered slot and sleeps in
 * handle_userfault; the main thread reads the fault message ("read"
 * mode) and then, instead of resolving it, joins the vCPU thread.  Nothing
 * can ever wake the vCPU.  Natively this hangs forever; under kvmsim
 * every actor is blocked, and the userfaultfd quiescence hook gives the
 * verdict "lost-wakeup" naming the vCPU and the gpa (exit status 86).
 *
 * "noread" mode does not read the message either: the fault is still
 * pending (a reader could still take it), so the verdict is the generic
 * "deadlock", not "lost-wakeup".
 *
 * Run only under kvmsim (tests/uffd/lost-wakeup.sh).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "scenario.h"

#define REGION_GPA	0x40000000ull

static void *vcpu_thread(void *arg)
{
	struct ucall uc;

	vcpu_expect_ucall(arg, &uc, UCALL_SYNC);
	return NULL;
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *vcpu;
	struct uffd_msg msg;
	bool do_read = argc > 1 && !strcmp(argv[1], "read");
	pthread_t t;
	u8 *mem;
	int uffd;

	mem = mmap(NULL, 0x4000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	vm_add_slot_hva(vm, 1, REGION_GPA, 0x4000, 0, mem);
	virt_map(vm, REGION_GPA, REGION_GPA, 0x4000, SZ_4K);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) < 0)
		die_errno("userfaultfd");
	reg = (struct uffdio_register){ .range = { (u64)mem, 0x4000 },
					.mode = UFFDIO_REGISTER_MODE_MISSING };
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
		die_errno("UFFDIO_REGISTER");
	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "demand_paging"));
	vcpu_set_args(vcpu, 4, REGION_GPA + 0x1000, 0x1000, 1, 0);
	if (pthread_create(&t, NULL, vcpu_thread, vcpu))
		die("pthread_create");
	if (do_read) {
		/* a blocking read: returns once the vCPU faulted */
		if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
			die_errno("read");
		printf("read a fault at offset %#llx, not resolving it\n",
		       (unsigned long long)(msg.arg.pagefault.address - (u64)mem));
	}
	pthread_join(t, NULL);
	printf("unreachable\n");
	return 0;
}
