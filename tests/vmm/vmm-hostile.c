// SPDX-License-Identifier: MIT
/*
 * vmm-hostile: a VMM that changes a memslot's host backing behind KVM's
 * back, every way the mm allows, on the 65th VM of the process.
 *
 * 64 VMs are created (and kept) first, so the one that runs is the 65th.
 * Five one-page memslots; the guest maps them all (phase 0), then after
 * each change touches one slot (read, write, read back):
 *   1. mmap(MAP_FIXED, PROT_NONE) over the backing (an invalidation);
 *   2. the backing is a shared file mapping, truncated by path (truncate);
 *   3. the same, by open(O_TRUNC);
 *   4. the backing is munmap()ed (and nothing mapped in its place);
 *   5. the backing is a shared file mapping, emptied by fopen(path, "w").
 * Whatever KVM reports is recorded: MMIO exits (reads answered with
 * 0xa0, 0xa1, ...), or a failing KVM_RUN (errno, exit_reason), after
 * which the VMM maps a fresh zeroed page at the slot's address
 * (MAP_FIXED) and runs again.  The KVM-side invariant: the guest never
 * reaches the old page (no stale translation) and nothing crashes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x200000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define SLOT_GPA(n)	(0x400000 + (n) * 0x100000ull)
#define PAGE		0x1000
#define NR_SLOTS	5
#define EXTRA_VMS	64

extern const char guest_hostile_start[], guest_hostile_end[];

static char *slot_mem[NR_SLOTS];
static char file_path[3][64];

static void fresh_page(int n)
{
	void *p = mmap(slot_mem[n], PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p != slot_mem[n])
		fatal("mmap(MAP_FIXED): errno=%s", errno_name(errno));
	printf("  VMM: fresh zeroed page mapped at slot %d\n", n);
}

/* A one-page file filled with byte pattern, mapped shared. */
static char *file_page(int i, uint8_t pattern)
{
	char buf[PAGE];
	int fd;
	char *p;

	snprintf(file_path[i], sizeof(file_path[i]), "/tmp/vmm-hostile-%d-XXXXXX", i);
	fd = mkstemp(file_path[i]);
	memset(buf, pattern, sizeof(buf));
	if (fd < 0 || write(fd, buf, PAGE) != PAGE)
		fatal("backing file: errno=%s", errno_name(errno));
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		fatal("mmap(file): errno=%s", errno_name(errno));
	close(fd);
	return p;
}

static void run_phase(struct vmm *v, int n, uint8_t *seed)
{
	for (int runs = 0; runs < 20; runs++) {
		int reason = vmm_run(v);

		if (reason == KVM_EXIT_HLT)
			return;
		if (reason < 0) {
			fresh_page(n);
			continue;
		}
		if (reason == KVM_EXIT_MMIO && !v->run->mmio.is_write) {
			uint8_t buf[8];

			for (uint32_t i = 0; i < v->run->mmio.len && i < sizeof(buf); i++)
				buf[i] = (*seed)++;
			vmm_supply_mmio(v, buf, v->run->mmio.len);
		} else if (reason != KVM_EXIT_MMIO &&
			   !(reason == KVM_EXIT_IO && v->run->io.direction == KVM_EXIT_IO_OUT)) {
			fatal("unexpected exit");
		}
	}
	fatal("guest never halted");
}

int main(void)
{
	int extra[EXTRA_VMS], kvm_fd, fd;
	FILE *f;
	uint8_t seed = 0xa0;
	struct vmm v;
	char *ram;

	printf("# vmm-hostile\n");
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		fatal("open(/dev/kvm): errno=%s", errno_name(errno));
	for (int i = 0; i < EXTRA_VMS; i++)
		extra[i] = xioctl(kvm_fd, KVM_CREATE_VM, 0);
	printf("%d VMs created first\n", EXTRA_VMS);
	v.kvm_fd = kvm_fd;
	vmm_create_vm(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	slot_mem[0] = vmm_alloc(PAGE);
	slot_mem[1] = file_page(0, 0x5a);
	slot_mem[2] = file_page(1, 0x6b);
	slot_mem[3] = vmm_alloc(PAGE);
	slot_mem[4] = file_page(2, 0x7c);
	for (int n = 0; n < NR_SLOTS; n++)
		vmm_set_slot(&v, 1 + n, 0, SLOT_GPA(n), PAGE, slot_mem[n]);
	vmm_load(ram, CODE_GPA, guest_hostile_start, guest_hostile_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	printf("## phase 0: every slot mapped\n");
	run_phase(&v, 0, &seed);

	printf("## phase 1: mmap(MAP_FIXED, PROT_NONE) over slot 0\n");
	if (mmap(slot_mem[0], PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
	    slot_mem[0])
		fatal("mmap(PROT_NONE): errno=%s", errno_name(errno));
	run_phase(&v, 0, &seed);

	printf("## phase 2: slot 1's file truncated by path\n");
	if (truncate(file_path[0], 0))
		fatal("truncate: errno=%s", errno_name(errno));
	run_phase(&v, 1, &seed);

	printf("## phase 3: slot 2's file opened with O_TRUNC\n");
	fd = open(file_path[1], O_RDWR | O_TRUNC);
	if (fd < 0)
		fatal("open(O_TRUNC): errno=%s", errno_name(errno));
	close(fd);
	run_phase(&v, 2, &seed);

	printf("## phase 4: slot 3's backing munmap()ed\n");
	munmap(slot_mem[3], PAGE);
	run_phase(&v, 3, &seed);

	printf("## phase 5: slot 4's file opened by fopen(\"w\")\n");
	f = fopen(file_path[2], "w");
	if (!f)
		fatal("fopen(w): errno=%s", errno_name(errno));
	fclose(f);
	run_phase(&v, 4, &seed);

	vmm_print_regs(&v);
	for (int i = 0; i < 3; i++)
		unlink(file_path[i]);
	for (int i = 0; i < EXTRA_VMS; i++)
		close(extra[i]);
	vmm_close(&v);
	return 0;
}
