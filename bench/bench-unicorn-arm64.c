// SPDX-License-Identifier: MIT
/*
 * bench-unicorn-arm64 [mix] N: the arm64 guest loops on raw Unicorn,
 * free-running (one uc_emu_start, no hooks, Unicorn's own flat memory),
 * the baselines for `bench-vmm-arm64 compute|mix`.  The same instruction
 * words as guest-bins/arm64/bench.c's loops (encodings from
 * aarch64-linux-gnu-as): compute, N iterations of add/eor/add/cmp/b.ne;
 * mix, N iterations of a load, an add and a store walking 16 pages, then
 * the loop's own four.  Prints what the guest reports (the sum, or the
 * sum of the 16 pages), so the two runs can be compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

static const uint32_t compute_loop[] = {
	0xd2800000,	/* mov x0, #0 */
	0x8b000021,	/* 1: add x1, x1, x0 */
	0xca010042,	/* eor x2, x2, x1 */
	0x91000400,	/* add x0, x0, #1 */
	0xeb03001f,	/* cmp x0, x3 */
	0x54ffff81,	/* b.ne 1b */
	0xd503207f,	/* wfi: the end */
};

static const uint32_t mix_loop[] = {
	0xd2800000,	/* mov x0, #0 */
	0xd2800006,	/* mov x6, #0 */
	0xf8666881,	/* 1: ldr x1, [x4, x6] */
	0x8b000021,	/* add x1, x1, x0 */
	0xf8266881,	/* str x1, [x4, x6] */
	0x8b0700c6,	/* add x6, x6, x7 */
	0x927d30c6,	/* and x6, x6, #0xfff8 */
	0x91000400,	/* add x0, x0, #1 */
	0xeb03001f,	/* cmp x0, x3 */
	0x54ffff21,	/* b.ne 1b */
	0xd503207f,	/* wfi: the end */
};

#define CODE		0x10000ull
#define DATA		0x100000ull
#define DATA_SIZE	0x10000ull	/* 16 pages */
#define MIX_STRIDE	0x1008ull

int main(int argc, char **argv)
{
	int mix = argc == 3 && !strcmp(argv[1], "mix");
	uint64_t n = argc >= 2 ? strtoull(argv[argc - 1], NULL, 0) : 0, x1 = 0;
	const uint32_t *loop = mix ? mix_loop : compute_loop;
	size_t len = mix ? sizeof(mix_loop) : sizeof(compute_loop);
	uint64_t end = CODE + len - 4, data = DATA, stride = MIX_STRIDE;
	uint64_t page[DATA_SIZE / 8];
	uc_engine *uc;
	uc_err err;

	if (!n || argc > 3 || (argc == 3 && !mix)) {
		fprintf(stderr, "usage: %s [mix] N\n", argv[0]);
		return 2;
	}
	if (uc_open(UC_ARCH_ARM64, UC_MODE_ARM, &uc) ||
	    uc_mem_map(uc, CODE, 0x1000, UC_PROT_ALL) ||
	    uc_mem_map(uc, DATA, DATA_SIZE, UC_PROT_READ | UC_PROT_WRITE) ||
	    uc_mem_write(uc, CODE, loop, len))
		return 1;
	uc_reg_write(uc, UC_ARM64_REG_X3, &n);
	uc_reg_write(uc, UC_ARM64_REG_X4, &data);
	uc_reg_write(uc, UC_ARM64_REG_X7, &stride);
	err = uc_emu_start(uc, CODE, end, 0, 0);
	if (err) {
		fprintf(stderr, "unicorn: %s\n", uc_strerror(err));
		return 1;
	}
	if (mix) {
		uc_mem_read(uc, DATA, page, sizeof(page));
		for (size_t i = 0; i < DATA_SIZE / 8; i++)
			x1 += page[i];
	} else {
		uc_reg_read(uc, UC_ARM64_REG_X1, &x1);
	}
	printf("%s %llu: raw unicorn arm64, x1=%llx\n", mix ? "mix" : "compute",
	       (unsigned long long)n, (unsigned long long)x1);
	uc_close(uc);
	return 0;
}
