// SPDX-License-Identifier: MIT
/*
 * VMs created and destroyed in a loop (a test harness, a fuzzer, a VMM
 * that restarts its guest): each with a vCPU, every other one run to its
 * HLT exit first.  Once the fds are closed the VM is gone, and so is
 * everything the process had mapped for it: the number of mappings in
 * /proc/self/maps stays flat.  (kvmsim once kept each destroyed vCPU's
 * actor stack mapped and ran out of mappings after ~32,000 vCPUs.)
 */
#include "rv.h"

#define WARMUP	20
#define LOOPS	300

static int count_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0, c;

	if (!f)
		rv_die("/proc/self/maps");
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static void one_vm(int i)
{
	static const unsigned char hlt[] = { 0xf4 };
	struct rv_vm v;
	int size;

	rv_create(&v, hlt, sizeof(hlt));
	if (i % 2) {
		if (ioctl(v.vcpu, KVM_RUN, 0) < 0)
			rv_die("KVM_RUN");
		if (v.run->exit_reason != KVM_EXIT_HLT) {
			printf("VM %d: exit reason %u, not HLT\n", i, v.run->exit_reason);
			exit(1);
		}
	}
	size = ioctl(v.kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	munmap(v.run, size);
	munmap(v.ram, RV_RAM_SIZE);
	close(v.vcpu);
	close(v.vm);
	close(v.kvm);
}

int main(void)
{
	int i, before, after;

	for (i = 0; i < WARMUP; i++)
		one_vm(i);
	before = count_mappings();
	for (; i < WARMUP + LOOPS; i++)
		one_vm(i);
	after = count_mappings();
	printf("%d VMs created, run and destroyed\n", LOOPS);
	/*
	 * Slack for the allocator (AddressSanitizer's maps ~30 more over the
	 * loop); a leak is one or two mappings a VM: 300 to 600.
	 */
	printf("mappings flat: %s\n", after - before < LOOPS / 2 ? "yes" : "no");
	if (after - before >= LOOPS / 2)
		printf("grew from %d to %d\n", before, after);
	return 0;
}
