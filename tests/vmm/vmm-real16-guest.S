/* SPDX-License-Identifier: MIT */
/*
 * Guests for vmm-real16: 16-bit real mode.
 *
 * guest_reset: 16 bytes placed at the reset vector (physical 0xfffffff0,
 * CS base 0xffff0000 / IP 0xfff0); a far jump reloads CS the real-mode
 * way, to 0000:7c00.
 * guest_real16: loaded at physical 0x7c00.
 */
	.section .rodata.guest, "a"
	.code16

	.globl guest_reset_start, guest_reset_end
guest_reset_start:
	ljmp	$0x0000, $0x7c00
	.fill	11, 1, 0xf4		/* hlt padding up to the top of memory */
guest_reset_end:

	.globl guest_real16_start, guest_real16_end
guest_real16_start:
	xor	%ax, %ax
	mov	%ax, %ss
	mov	$0x7000, %sp
	mov	$0x1000, %ax
	mov	%ax, %ds		/* data at 0x10000 */
	mov	%ax, %es

	/* ax = fib(20) = 6765 = 0x1a6d */
	xor	%ax, %ax
	mov	$1, %bx
	mov	$20, %cx
1:	xadd	%ax, %bx
	loop	1b
	mov	%ax, 0x0
	call	report
	in	$0x76, %al
	mov	%al, 0x2
	in	$0x78, %ax
	mov	%ax, 0x4
	mov	$0x7a, %dx
	in	(%dx), %eax
	mov	%eax, 0x8

	/* es:di string fill */
	mov	$0x20, %di
	mov	$0x5a, %al
	mov	$16, %cx
	cld
	rep stosb

	/* store our CS to show the far jump reloaded it */
	mov	%cs, 0xc
	cmp	$0x5b, %al
	hlt

report:
	out	%al, $0x70
	out	%ax, $0x72
	out	%eax, $0x74
	ret
guest_real16_end:

	.section .note.GNU-stack, "", @progbits
