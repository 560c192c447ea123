// SPDX-License-Identifier: MIT
/*
 * bench-unicorn N [QUANTUM]: the compute loop of bench-guest.S on raw
 * Unicorn, the baseline for kvmsim's compute benchmark.  Same bytes, same
 * 64-bit mode, flat memory, no hooks, run to the final hlt in one
 * uc_emu_start; with QUANTUM, in uc_emu_start calls of that many
 * instructions (Unicorn's instruction counting).
 * bench-unicorn memory N: the load/store loop the same way, free-running.
 */
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>


extern const char bench_compute_start[], bench_compute_end[], bench_compute_hlt[];
extern const char bench_memory_start[], bench_memory_end[], bench_memory_hlt[];

#define CODE	0x8000ull

int main(int argc, char **argv)
{
	bool memory = argc >= 2 && !strcmp(argv[1], "memory");
	const char *start = memory ? bench_memory_start : bench_compute_start;
	const char *stop = memory ? bench_memory_end : bench_compute_end;
	const char *hlt = memory ? bench_memory_hlt : bench_compute_hlt;
	uint64_t n = argc >= 2 + memory ? strtoull(argv[1 + memory], NULL, 0) : 0, rax = 0;
	uint64_t quantum = argc == 3 && !memory ? strtoull(argv[2], NULL, 0) : 0;
	uint64_t end = CODE + (hlt - start), pc = CODE;
	uc_engine *uc;
	uc_err err;

	if (!n || argc > 3) {
		fprintf(stderr, "usage: %s N [QUANTUM] | memory N\n", argv[0]);
		return 2;
	}
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) ||
	    uc_mem_map(uc, 0, 4 << 20, UC_PROT_ALL) ||
	    uc_mem_write(uc, CODE, start, stop - start))
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
	printf("%s %llu: raw unicorn, rax=%llx\n", memory ? "memory" : "compute",
	       (unsigned long long)n,
	       (unsigned long long)rax);
	uc_close(uc);
	return 0;
}
