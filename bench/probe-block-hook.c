// SPDX-License-Identifier: MIT
/*
 * probe-block-hook: what counting quanta in translated blocks costs raw
 * Unicorn 2.1.1, on bench-guest.S's ALU loop (5 instructions, one block
 * per iteration), in the same TLB mode kvmsim uses.
 *
 *   probe-block-hook none N          no hook: the free run
 *   probe-block-hook empty N         a UC_HOOK_BLOCK that does nothing
 *   probe-block-hook count N [Q]     a UC_HOOK_BLOCK counting blocks, which
 *                                    stops Unicorn every Q blocks (default:
 *                                    never); the loop restarts it
 *
 * bench/run.sh times it from outside; the difference between two N is
 * the loop's cost.  It reads no clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

extern const char bench_compute_start[], bench_compute_end[], bench_compute_hlt[];

#define CODE_GPA	0x8000

static uint64_t blocks, quantum;

static bool fill(uc_engine *uc, uint64_t addr, uc_mem_type type, uc_tlb_entry *e, void *opaque)
{
	e->paddr = addr;
	e->perms = UC_PROT_ALL;
	return true;
}

static void empty_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
}

static void count_hook(uc_engine *uc, uint64_t addr, uint32_t size, void *opaque)
{
	if (++blocks >= quantum) {
		blocks = 0;
		uc_emu_stop(uc);
	}
}

int main(int argc, char **argv)
{
	static uint8_t mem[0x10000] __attribute__((aligned(4096)));
	uint64_t n, pc = CODE_GPA, end = CODE_GPA + (bench_compute_hlt - bench_compute_start);
	uc_engine *uc;
	uc_hook h;

	if (argc < 3 || (strcmp(argv[1], "none") && strcmp(argv[1], "empty") &&
			 strcmp(argv[1], "count"))) {
		fprintf(stderr, "usage: %s none|empty|count N [Q]\n", argv[0]);
		return 2;
	}
	n = strtoull(argv[2], NULL, 0);
	quantum = argc > 3 ? strtoull(argv[3], NULL, 0) : ~0ull;
	memcpy(mem + CODE_GPA, bench_compute_start, bench_compute_end - bench_compute_start);
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) ||
	    uc_ctl_tlb_mode(uc, UC_TLB_VIRTUAL) ||
	    uc_hook_add(uc, &h, UC_HOOK_TLB_FILL, fill, NULL, 1, 0) ||
	    (!strcmp(argv[1], "empty") && uc_hook_add(uc, &h, UC_HOOK_BLOCK, empty_hook, NULL, 1, 0)) ||
	    (!strcmp(argv[1], "count") && uc_hook_add(uc, &h, UC_HOOK_BLOCK, count_hook, NULL, 1, 0)) ||
	    uc_mem_map_ptr(uc, 0, sizeof(mem), UC_PROT_ALL, mem) ||
	    uc_reg_write(uc, UC_X86_REG_RCX, &n) || uc_ctl_exits_enable(uc) ||
	    uc_ctl_set_exits(uc, &end, 1)) {
		fprintf(stderr, "unicorn setup failed\n");
		return 1;
	}
	while (pc != end) {
		if (uc_emu_start(uc, pc, 0, 0, 0)) {
			fprintf(stderr, "uc_emu_start failed\n");
			return 1;
		}
		uc_reg_read(uc, UC_X86_REG_RIP, &pc);
	}
	printf("%s %llu: done\n", argv[1], (unsigned long long)n);
	uc_close(uc);
	return 0;
}
