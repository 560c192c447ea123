// SPDX-License-Identifier: MIT
/*
 * bench-unicorn N [QUANTUM]: the compute loop of bench-guest.S on raw
 * Unicorn, the baseline for kvmsim's compute benchmark.  Same bytes, same
 * 64-bit mode, flat memory, no hooks, run to the final hlt in one
 * uc_emu_start; with QUANTUM, in uc_emu_start calls of that many
 * instructions (Unicorn's instruction counting, which kvmsim needs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unicorn/unicorn.h>

extern const char bench_compute_start[], bench_compute_end[], bench_compute_hlt[];

#define CODE	0x8000ull

int main(int argc, char **argv)
{
	uint64_t n = argc >= 2 ? strtoull(argv[1], NULL, 0) : 0, rax = 0;
	uint64_t quantum = argc == 3 ? strtoull(argv[2], NULL, 0) : 0;
	uint64_t end = CODE + (bench_compute_hlt - bench_compute_start), pc = CODE;
	uc_engine *uc;
	uc_err err;

	if (!n || argc > 3) {
		fprintf(stderr, "usage: %s N [QUANTUM]\n", argv[0]);
		return 2;
	}
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) ||
	    uc_mem_map(uc, 0, 4 << 20, UC_PROT_ALL) ||
	    uc_mem_write(uc, CODE, bench_compute_start,
			 bench_compute_end - bench_compute_start))
		return 1;
	uc_reg_write(uc, UC_X86_REG_RCX, &n);
	do {
		err = uc_emu_start(uc, pc, end, 0, quantum);
		if (err) {
			fprintf(stderr, "unicorn: %s\n", uc_strerror(err));
			return 1;
		}
		uc_reg_read(uc, UC_X86_REG_RIP, &pc);
	} while (pc != end);
	uc_reg_read(uc, UC_X86_REG_RAX, &rax);
	printf("compute %llu: raw unicorn, rax=%llx\n", (unsigned long long)n,
	       (unsigned long long)rax);
	uc_close(uc);
	return 0;
}
