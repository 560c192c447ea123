// SPDX-License-Identifier: MIT
/*
 * bench-unicorn N: the compute loop of bench-guest.S on raw Unicorn, the
 * baseline for kvmsim's compute benchmark.  Same bytes, same 64-bit mode,
 * flat memory, no hooks, run to the final hlt in one uc_emu_start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unicorn/unicorn.h>

extern const char bench_compute_start[], bench_compute_end[], bench_compute_hlt[];

#define CODE	0x8000ull

int main(int argc, char **argv)
{
	uint64_t n = argc == 2 ? strtoull(argv[1], NULL, 0) : 0, rax = 0;
	uc_engine *uc;
	uc_err err;

	if (!n) {
		fprintf(stderr, "usage: %s N\n", argv[0]);
		return 2;
	}
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) ||
	    uc_mem_map(uc, 0, 4 << 20, UC_PROT_ALL) ||
	    uc_mem_write(uc, CODE, bench_compute_start,
			 bench_compute_end - bench_compute_start))
		return 1;
	uc_reg_write(uc, UC_X86_REG_RCX, &n);
	err = uc_emu_start(uc, CODE, CODE + (bench_compute_hlt - bench_compute_start), 0, 0);
	if (err) {
		fprintf(stderr, "unicorn: %s\n", uc_strerror(err));
		return 1;
	}
	uc_reg_read(uc, UC_X86_REG_RAX, &rax);
	printf("compute %llu: raw unicorn, rax=%llx\n", (unsigned long long)n,
	       (unsigned long long)rax);
	uc_close(uc);
	return 0;
}
