// SPDX-License-Identifier: MIT
/*
 * stats-touch: the touch_pages guest over one 4K-backed slot (64 pages,
 * each read, written, read back; the VMM wrote them all first, so each
 * host page is present and writable and one stage-2 fault maps it, on
 * any host: no zero page mapped read-only for the first read), then every counter of the VM's and the
 * vCPU's KVM_GET_STATS_FD file, one "vm NAME VALUE" / "vcpu NAME VALUE"
 * line each.  The same program runs on a real /dev/kvm and in kvmsim, so
 * stats-fd-test.sh can hold kvmsim's narration against its own stats
 * file, and that against the host's where the host's counts mean the
 * same thing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "scenario.h"

#define SLOT_GPA	0x40000000ull
#define SLOT_SIZE	(64 * SZ_4K)

static void print_stats(const char *who, int fd)
{
	struct kvm_stats_header h;
	size_t dsize;
	char *descs;

	ASSERT(pread(fd, &h, sizeof(h), 0) == sizeof(h), "stats header");
	dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = calloc(h.num_desc, dsize);
	ASSERT(descs, "calloc");
	ASSERT(pread(fd, descs, h.num_desc * dsize, h.desc_offset) == (ssize_t)(h.num_desc * dsize),
	       "stats descriptors");
	for (unsigned int i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)(descs + i * dsize);
		u64 v;

		/* scalar counters only: histograms have size > 1 */
		if (d->size != 1)
			continue;
		ASSERT(pread(fd, &v, sizeof(v), h.data_offset + d->offset) == sizeof(v),
		       "stat %s", d->name);
		printf("%s %s %llu\n", who, d->name, (unsigned long long)v);
	}
	free(descs);
	close(fd);
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	struct touch_args *args;
	struct kvm_vcpu *vcpu;
	struct ucall uc;
	int fd;

	vm_add_slot(vm, 1, SLOT_GPA, SLOT_SIZE, 0, BACKING_ANON_4K);
	virt_map(vm, SLOT_GPA, SLOT_GPA, SLOT_SIZE, SZ_4K);
	memset(gpa_to_hva(vm, SLOT_GPA, SLOT_SIZE), 0, SLOT_SIZE);
	args = gpa_to_hva(vm, GUEST_PARAM_GPA, sizeof(*args));
	memset(args, 0, sizeof(*args));
	args->region[0] = (struct touch_region){ .base = SLOT_GPA, .size = SLOT_SIZE,
						 .stride = SZ_4K, .seed = 0x1111 };
	args->nr_regions = 1;
	vcpu = vm_vcpu_add(vm, vm_load_guest(vm, "touch_pages"));
	vcpu_set_args(vcpu, 1, GUEST_PARAM_GPA);
	vcpu_expect_ucall(vcpu, &uc, UCALL_SYNC);
	printf("guest: %llu pages touched, %llu mismatches\n", (unsigned long long)uc.args[1],
	       (unsigned long long)uc.args[3]);
	vcpu_expect_ucall(vcpu, &uc, UCALL_DONE);

	fd = ioctl(vm->vm_fd, KVM_GET_STATS_FD, NULL);
	ASSERT(fd >= 0, "KVM_GET_STATS_FD on the VM");
	print_stats("vm", fd);
	fd = ioctl(vcpu->fd, KVM_GET_STATS_FD, NULL);
	ASSERT(fd >= 0, "KVM_GET_STATS_FD on the vCPU");
	print_stats("vcpu", fd);
	vm_destroy(vm);
	return 0;
}
