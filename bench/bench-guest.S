/* SPDX-License-Identifier: MIT */
/*
 * Guest loops for the benchmarks, 64-bit code, RCX = iteration count.
 *
 * bench_exits: one `out` per iteration (a KVM_EXIT_IO each).
 * bench_compute: four ALU instructions per iteration, no memory access,
 * no exit until the final hlt (the loop is 5 instructions with the jnz).
 * bench_memory: a load, three ALU instructions and a store per iteration
 * (7 with the loop), walking 64 KiB (16 pages) at 0x200000 in 64-byte
 * steps, no exit until the final hlt.
 */
	.section .rodata.guest, "a"
	.code64
	.globl bench_exits_start, bench_exits_end
bench_exits_start:
1:	out	%al, $0x10
	dec	%rcx
	jnz	1b
	hlt
bench_exits_end:

	.globl bench_compute_start, bench_compute_end, bench_compute_hlt
bench_compute_start:
	mov	$1, %rax
	mov	$3, %rdx
1:	add	%rdx, %rax
	xor	%rcx, %rdx
	rol	$3, %rax
	dec	%rcx
	jnz	1b
bench_compute_hlt:
	hlt
bench_compute_end:

	.globl bench_memory_start, bench_memory_end, bench_memory_hlt
bench_memory_start:
	mov	$0x200000, %rsi
	xor	%rdi, %rdi
1:	mov	(%rsi,%rdi), %rax
	add	%rcx, %rax
	mov	%rax, (%rsi,%rdi)
	add	$64, %rdi
	and	$0xffff, %rdi
	dec	%rcx
	jnz	1b
bench_memory_hlt:
	hlt
bench_memory_end:

	/*
	 * bench_touch: RDI = first address, RCX = pages, RDX = stride in
	 * bytes: one store per page (bench-scale).
	 */
	.globl bench_touch_start, bench_touch_end
bench_touch_start:
	test	%rcx, %rcx
	jz	2f
1:	mov	%rcx, (%rdi)
	add	%rdx, %rdi
	dec	%rcx
	jnz	1b
2:	hlt
bench_touch_end:

	.section .note.GNU-stack, "", @progbits
