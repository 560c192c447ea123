/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-fpu: copies XMM3 and XMM15 to %rax and %rbx (SSE only:
 * this host's PVM KVM fails x87 and ldmxcsr in a guest), then exits with
 * an `in` from port 0x10.
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_fpu_start, guest_fpu_end
guest_fpu_start:
	movq	%xmm3, %rax
	movq	%xmm15, %rbx
	in	$0x10, %al
	hlt
guest_fpu_end:

	.section .note.GNU-stack, "", @progbits
