// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: the KVM ioctl layer, in process.  Each input is a
 * sequence of ioctls on /dev/kvm, VM and vCPU fds that the input itself
 * creates, each with an argument buffer taken from the input, through
 * the same entry point the interposed ioctl() uses (kvmsim_fd_ioctl).
 * Everything must answer with a value or an errno: no crash, no leak, no
 * hang.  KVM_RUN is left out (a fuzzed guest may loop for ever: that is
 * the guest's right, and the explorer's business, not a bug).
 *
 * Input: records of 4 + 256 bytes: op, fd selector, ioctl selector, a
 * spare byte, then the argument bytes.  Pointers inside arguments that
 * KVM dereferences (memslot backing, dirty bitmaps) are pointed into this
 * harness's own buffers, so the model never writes over the harness.
 */
#define _GNU_SOURCE	/* memfd_create */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm-model/kvmsim.h"
#include "sim/sim.h"
#include "kvmsim/uapi_ext.h"

#define ARG_SIZE	256
#define RECORD		(4 + ARG_SIZE)
#define BACKING_SIZE	(1u << 20)
#define MAX_FDS		8

static const unsigned long ioctls[] = {
	KVM_GET_API_VERSION, KVM_CHECK_EXTENSION, KVM_GET_VCPU_MMAP_SIZE,
	KVM_GET_SUPPORTED_CPUID, KVM_GET_MSR_INDEX_LIST, KVM_GET_MSR_FEATURE_INDEX_LIST,
	KVM_CREATE_VM, KVM_CREATE_VCPU, KVM_SET_USER_MEMORY_REGION,
	KVM_SET_USER_MEMORY_REGION2, KVM_ENABLE_CAP, KVM_CREATE_GUEST_MEMFD,
	KVM_SET_MEMORY_ATTRIBUTES, KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG,
	KVM_SET_TSS_ADDR, KVM_SET_IDENTITY_MAP_ADDR, KVM_GET_REGS, KVM_SET_REGS,
	KVM_GET_SREGS, KVM_SET_SREGS, KVM_SET_CPUID2, KVM_GET_CPUID2, KVM_GET_MSRS,
	KVM_SET_MSRS, KVM_GET_FPU, KVM_SET_FPU, KVM_GET_VCPU_EVENTS,
	KVM_SET_VCPU_EVENTS, KVM_GET_LAPIC, KVM_SET_LAPIC, KVM_TRANSLATE,
	KVM_INTERRUPT, KVM_GET_MP_STATE, KVM_SET_MP_STATE, KVM_GET_XCRS,
	KVM_SET_XCRS, KVM_GET_DEBUGREGS, KVM_SET_DEBUGREGS,
};

static uint8_t *backing;
static uint8_t bitmap[BACKING_SIZE / 4096 / 8 * 64];
static int fds[MAX_FDS], nr_fds;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("KVMSIM_SEED", "1", 1);
	kvmsim_runtime_init();
	backing = mmap(NULL, BACKING_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return backing == MAP_FAILED;
}

/* Pointers KVM follows go into the harness's buffers. */
static void fix_pointers(unsigned long cmd, uint8_t *arg)
{
	if (cmd == KVM_SET_USER_MEMORY_REGION || cmd == KVM_SET_USER_MEMORY_REGION2) {
		struct kvm_userspace_memory_region *r = (void *)arg;

		r->userspace_addr = (uintptr_t)backing + (r->userspace_addr % BACKING_SIZE & ~4095ul);
	} else if (cmd == KVM_GET_DIRTY_LOG || cmd == KVM_CLEAR_DIRTY_LOG) {
		struct kvm_dirty_log *d = (void *)arg;

		d->dirty_bitmap = bitmap;
	}
}

static void add_fd(long r)
{
	if (r >= 0 && nr_fds < MAX_FDS)
		fds[nr_fds++] = (int)r;
	else if (r >= 0)
		kvmsim_fd_release((int)r), close((int)r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/*
	 * Room past the record for the longest array an ioctl reads from
	 * or writes to its argument: KVM_SET_GSI_ROUTING's 4,096 entries of
	 * 48 bytes (KVM_SET_CPUID2's 256 of 40 once read past a 4 KiB room).
	 */
	static uint8_t arg[ARG_SIZE + (4096 + 1) * 48];

	nr_fds = 0;
	add_fd(kvmsim_open_dev());
	for (; size >= RECORD; data += RECORD, size -= RECORD) {
		int fd = fds[data[1] % nr_fds];
		unsigned long cmd = ioctls[data[2] % (sizeof(ioctls) / sizeof(ioctls[0]))];
		long r;

		memset(arg, 0, sizeof(arg));
		memcpy(arg, data + 4, ARG_SIZE);
		fix_pointers(cmd, arg);
		/* an integer argument or a pointer to the buffer, as the ioctl takes */
		if (_IOC_SIZE(cmd) || cmd == KVM_GET_API_VERSION)
			r = kvmsim_fd_ioctl(fd, cmd, (unsigned long)arg);
		else
			r = kvmsim_fd_ioctl(fd, cmd, *(uint32_t *)arg % 64);
		if (cmd == KVM_CREATE_VM || cmd == KVM_CREATE_VCPU || cmd == KVM_CREATE_GUEST_MEMFD)
			add_fd(r);
	}
	/* vCPUs, then VMs, then /dev/kvm: as a VMM's exit would close them */
	while (nr_fds) {
		int fd = fds[--nr_fds];

		kvmsim_fd_release(fd);
		close(fd);
	}
	sim_yield("fuzz: destroyed vCPUs end");	/* a scheduling point, as a VMM's next call */
	return 0;
}
