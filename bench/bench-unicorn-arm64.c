// SPDX-License-Identifier: MIT
/*
 * bench-unicorn-arm64 N [QUANTUM]: the arm64 compute loop on raw Unicorn,
 * the baseline for `bench-vmm-arm64 compute`: the same five instructions
 * (add, eor, add, cmp, b.ne; encodings from aarch64-linux-gnu-as), flat
 * memory, no hooks; with QUANTUM, in uc_emu_start calls of that many
 * instructions (the counting kvmsim always has on).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unicorn/unicorn.h>

static const uint32_t loop[] = {
	0xd2800000,	/* mov x0, #0 */
	0x8b000021,	/* 1: add x1, x1, x0 */
	0xca010042,	/* eor x2, x2, x1 */
	0x91000400,	/* add x0, x0, #1 */
	0xeb03001f,	/* cmp x0, x3 */
	0x54ffff81,	/* b.ne 1b */
	0xd503207f,	/* wfi: the end */
};

#define CODE	0x10000ull

int main(int argc, char **argv)
{
	uint64_t n = argc >= 2 ? strtoull(argv[1], NULL, 0) : 0, x1 = 0;
	uint64_t quantum = argc == 3 ? strtoull(argv[2], NULL, 0) : 0;
	uint64_t end = CODE + sizeof(loop) - 4, pc = CODE;
	uc_engine *uc;
	uc_err err;

	if (!n || argc > 3) {
		fprintf(stderr, "usage: %s N [QUANTUM]\n", argv[0]);
		return 2;
	}
	if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc) ||
	    uc_mem_map(uc, CODE, 0x1000, UC_PROT_ALL) ||
	    uc_mem_write(uc, CODE, loop, sizeof(loop)))
		return 1;
	uc_reg_write(uc, UC_ARM64_REG_X3, &n);
	do {
		err = uc_emu_start(uc, pc, end, 0, quantum);
		if (err) {
			fprintf(stderr, "unicorn: %s\n", uc_strerror(err));
			return 1;
		}
		uc_reg_read(uc, UC_ARM64_REG_PC, &pc);
	} while (pc != end);
	uc_reg_read(uc, UC_ARM64_REG_X1, &x1);
	printf("compute %llu: raw unicorn arm64, x1=%llx\n", (unsigned long long)n,
	       (unsigned long long)x1);
	uc_close(uc);
	return 0;
}
