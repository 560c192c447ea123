/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-sti-window: 64-bit code at 0x8000, SeaBIOS's yield loop:
 * interrupts are open only between `sti; nop` and the `cli` after it.
 * It reports 1 on MMIO, spins in that loop until the handler for vector
 * 0x20 (which stores its vector and frame RIP to MMIO + 0x10 and + 0x18)
 * has set EBX, then reports 2 and halts.
 */
#define MMIO	0x10000000

	.section .rodata.guest, "a"
	.code64
	.globl guest_sti_start, guest_sti_end, guest_sti_20
guest_sti_start:
	mov	$MMIO, %edi
	xor	%ebx, %ebx
	movb	$1, (%rdi)
1:
	sti
	nop
	cli
	test	%ebx, %ebx
	jz	1b
	movb	$2, (%rdi)
	hlt

guest_sti_20:
	push	%rax
	movq	$0x20, 0x10(%rdi)
	mov	8(%rsp), %rax		/* the frame's RIP */
	mov	%rax, 0x18(%rdi)
	pop	%rax
	mov	$1, %ebx
	iretq
guest_sti_end:

	.section .note.GNU-stack, "", @progbits
