/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-run-poll: 64-bit code at 0x8000.  Reads port 0x10 in a
 * loop, each IN an exit to userspace, counting its reads in RBX (the
 * shape of sync_regs_test's guest_code).
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_run_poll_start, guest_run_poll_end
guest_run_poll_start:
	xor	%ebx, %ebx
	mov	$0x10, %dx
1:	in	(%dx), %al
	add	$1, %rbx
	jmp	1b
guest_run_poll_end:

	.section .note.GNU-stack, "", @progbits
