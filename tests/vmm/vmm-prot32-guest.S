/* SPDX-License-Identifier: MIT */
/*
 * Guests for vmm-prot32: 32-bit protected mode code loaded at 0x8000.
 *
 * guest_flat32: paging off, linear == physical.
 * guest_pg32: paging on; the VMM maps linear 0x400000 (a 4 MiB page) to
 * physical 0x800000 and linear 0x3ff000 (a 4 KiB page) to physical
 * 0x11000, so the writes below only land where the VMM looks if the
 * translation really happened.
 */
	.section .rodata.guest, "a"
	.code32

	.globl guest_flat32_start, guest_flat32_end
guest_flat32_start:
	/* eax = 10! = 0x375f00 */
	mov	$1, %eax
	mov	$10, %ecx
1:	imul	%ecx, %eax
	loop	1b
	mov	%eax, 0x10000
	out	%al, $0x80
	out	%ax, $0x82
	mov	$0x84, %dx
	out	%eax, (%dx)
	in	(%dx), %eax
	mov	%eax, 0x10004
	inb	$0x86, %al
	mov	%eax, 0x10008
	push	%eax
	pushw	$0x1234
	pop	%bx
	pop	%esi
	movl	$0xdeadbeef, 0x1000c
	mov	%esp, 0x10010
	cmp	$0x42, %al
	hlt
guest_flat32_end:

	.globl guest_pg32_start, guest_pg32_end
guest_pg32_start:
	mov	%cr0, %eax
	mov	%eax, 0x400000		/* 4 MiB page -> phys 0x800000 */
	mov	%cr4, %eax
	mov	%eax, 0x400004
	mov	%cr3, %eax
	mov	%eax, 0x7ffffc		/* last dword of the 4 MiB page */
	movl	$0xcafef00d, 0x3ff000	/* 4 KiB page -> phys 0x11000 */
	mov	0x3ff000, %ebx
	out	%eax, $0x90
	mov	%ebx, %eax
	out	%eax, $0x94
	in	$0x98, %ax
	mov	%ax, 0x3ff004
	xor	%ebx, %ebx
	add	$7, %ebx
	hlt
guest_pg32_end:

	.section .note.GNU-stack, "", @progbits
