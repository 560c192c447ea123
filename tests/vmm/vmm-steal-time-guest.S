/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-steal-time: reads MSR_KVM_STEAL_TIME into %rbx, then
 * exits with an `in` from port 0x10, forever.
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_st_start, guest_st_end
guest_st_start:
1:	mov	$0x4b564d03, %ecx
	rdmsr
	shl	$32, %rdx
	or	%rax, %rdx
	mov	%rdx, %rbx
	in	$0x10, %al
	jmp	1b
guest_st_end:

	.section .note.GNU-stack, "", @progbits
