// SPDX-License-Identifier: MIT
/*
 * probe-fault-rip: why kvmsim always runs Unicorn with instruction counting.
 *
 * Two `inc rax` then a store to unmapped memory, in one translated block.
 * Without counting, Unicorn 2.0.1 reports the fault with RIP at the start
 * of the block and RAX already 2: restarting at that RIP would run the incs
 * twice.  With counting (any count), RIP is the store and RAX is 2, exact.
 *
 *   build/bench/probe-fault-rip        prints both runs
 */
#include <stdio.h>
#include <unicorn/unicorn.h>

static void run(uint64_t count)
{
	/* inc rax; inc rax; mov [0x200010], rax; hlt */
	static const uint8_t code[] = {
		0x48, 0xff, 0xc0, 0x48, 0xff, 0xc0,
		0x48, 0x89, 0x04, 0x25, 0x10, 0x00, 0x20, 0x00, 0xf4,
	};
	uint64_t rip = 0, rax = 0;
	uc_engine *uc;
	uc_err err;

	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc))
		return;
	uc_mem_map(uc, 0x8000, 0x1000, UC_PROT_ALL);
	uc_mem_write(uc, 0x8000, code, sizeof(code));
	err = uc_emu_start(uc, 0x8000, (uint64_t)-1, 0, count);
	uc_reg_read(uc, UC_X86_REG_RIP, &rip);
	uc_reg_read(uc, UC_X86_REG_RAX, &rax);
	printf("count=%-6llu %s: rip=0x%llx (store at 0x8006) rax=%llu\n",
	       (unsigned long long)count, uc_strerror(err), (unsigned long long)rip,
	       (unsigned long long)rax);
	uc_close(uc);
}

int main(void)
{
	run(0);
	run(100000);
	return 0;
}
