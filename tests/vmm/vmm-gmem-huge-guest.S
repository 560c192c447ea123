/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-gmem-huge (as vmm-gmem's): one memory operation per run.
 * RBX = gpa, RCX = 0 read (the qword comes back in RAX), 1 write RDX
 * there; `out $0x10` then `hlt`.
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_gmem_huge_start, guest_gmem_huge_end
guest_gmem_huge_start:
	cmp	$1, %rcx
	je	1f
	mov	(%rbx), %rax
	out	%al, $0x10
	hlt
1:	mov	%rdx, (%rbx)
	out	%al, $0x10
	hlt
guest_gmem_huge_end:

	.section .note.GNU-stack, "", @progbits
