// SPDX-License-Identifier: MIT
/*
 * vmm-string-io: what a VMM may change between a port I/O exit and the
 * next KVM_RUN, and what KVM makes of it (the upstream selftest
 * userspace_io_test's shape).
 *
 * Checks: `rep insb` exits ask for what rCX says, at most 1 KiB and never
 * past the destination's page; the VMM lowering rCX (2 -> 1), raising it
 * (3 -> 40) through KVM_SET_REGS with RIP unchanged: the
 * instruction completes with the new count (rCX 0, rDI moved by what was
 * stored) and never runs past it; `rep insw` with EFLAGS.DF set stores
 * the first element at the top; an `in %al` whose rAX the VMM rewrites
 * (RIP unchanged) merges the data into the new rAX; one whose RIP the VMM
 * moves past the instruction is not completed.  Prints every exit, the
 * recorded rCX/rDI values, the final registers and the buffer's checksum.
 */
#include <stdio.h>
#include <string.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define DATA_GPA	0x200000
#define BUF_GPA		0x201000

extern const char guest_string_io_start[], guest_string_io_end[];

static uint8_t in_seed = 0x40;

/* Fill the whole data page (what KVM may take beyond io.count) with a pattern. */
static void fill_data(struct vmm *v)
{
	size_t len = (size_t)v->run->io.size * v->run->io.count;
	uint8_t *p = vmm_io_data(v);

	memset(p, 0xaa, 4096);
	for (size_t i = 0; i < len; i++)
		p[i] = in_seed++;
	printf("  in-data: %zu bytes from 0x%x\n", len, (uint8_t)(in_seed - len));
}

/* Rewrite rCX (and rAX) through KVM_SET_REGS, RIP as it is. */
static void set_rcx(struct vmm *v, uint64_t from, uint64_t to)
{
	struct kvm_regs r;

	vmm_get_regs(v, &r);
	if (r.rcx != from)
		return;
	printf("  rcx %llu -> %llu\n", (unsigned long long)from, (unsigned long long)to);
	r.rcx = to;
	xioctl(v->vcpu_fd, KVM_SET_REGS, &r);
}

/* Run until the guest's `out` to port 0x10 reporting step `step`. */
static void run_step(struct vmm *v, int step, uint64_t from, uint64_t to)
{
	for (int exits = 0; exits < 100; exits++) {
		if (vmm_run(v) != KVM_EXIT_IO)
			fatal("step %d: not an I/O exit", step);
		if (v->run->io.port == 0x10)
			return;
		fill_data(v);
		set_rcx(v, from, to);
	}
	fatal("step %d: still doing I/O after 100 exits", step);
}

int main(void)
{
	uint64_t *data;
	struct kvm_regs r;
	struct vmm v;
	char *ram;

	printf("# vmm-string-io\n");
	vmm_open(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_string_io_start, guest_string_io_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	run_step(&v, 1, 2, 1);
	run_step(&v, 2, 3, 40);
	run_step(&v, 3, 0, 0);
	run_step(&v, 4, 0, 0);

	/* 5: rAX rewritten, RIP unchanged */
	if (vmm_run(&v) != KVM_EXIT_IO)
		fatal("step 5: not an I/O exit");
	vmm_get_regs(&v, &r);
	r.rax = 0xabcdef0000000000ull;
	xioctl(v.vcpu_fd, KVM_SET_REGS, &r);
	fill_data(&v);
	/* 6: RIP moved past the `in` (2 bytes) */
	if (vmm_run(&v) != KVM_EXIT_IO)
		fatal("step 6: not an I/O exit");
	vmm_get_regs(&v, &r);
	r.rip += 2;
	xioctl(v.vcpu_fd, KVM_SET_REGS, &r);
	fill_data(&v);
	if (vmm_run(&v) != KVM_EXIT_HLT)
		fatal("no hlt at the end");

	data = (uint64_t *)(ram + DATA_GPA);
	printf("step 1: rcx=%llu rdi+%llu\n", (unsigned long long)data[0],
	       (unsigned long long)data[1]);
	printf("step 2: rcx=%llu rdi+%llu\n", (unsigned long long)data[2],
	       (unsigned long long)data[3]);
	printf("step 3: rcx=%llu\n", (unsigned long long)data[4]);
	printf("step 4: rcx=%llu rdi%+lld words:", (unsigned long long)data[5],
	       (long long)data[6]);
	for (int i = 0; i < 6; i++)
		printf(" %04x", ((uint16_t *)(ram + BUF_GPA + 0x400))[-i]);
	printf("\nstep 5: rax=%llx\nstep 6: rax=%llx\n", (unsigned long long)data[9],
	       (unsigned long long)data[10]);
	printf("buf 1: ");
	print_hex(ram + BUF_GPA + 0x100, 4);
	printf("\nbuf 2: ");
	print_hex(ram + BUF_GPA + 0x200, 44);
	printf("\n");
	vmm_print_regs(&v);
	vmm_print_mem("buf", ram + BUF_GPA, 0x1000);
	vmm_close(&v);
	return 0;
}
