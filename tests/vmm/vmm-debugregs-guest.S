/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-debugregs: reads DR0 and DR6 the VMM set (reported with
 * an `in` from port 0x10 while they are in %rax and %rbx), writes DR1 and
 * DR3, halts.
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_dr_start, guest_dr_end
guest_dr_start:
	mov	%dr0, %rax
	mov	%dr6, %rbx
	mov	%rax, %r8
	in	$0x10, %al
	movabs	$0x123456789a, %rcx
	mov	%rcx, %dr1
	mov	$0x4000, %ecx
	mov	%rcx, %dr3
	hlt
guest_dr_end:

	.section .note.GNU-stack, "", @progbits
