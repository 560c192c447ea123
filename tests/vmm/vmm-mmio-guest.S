/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-mmio: 64-bit code at 0x8000.  MMIO (0x10000000) is
 * identity-mapped by the page tables but backed by no memslot, so every
 * access exits to the VMM.  Values read back are stored in the RAM data
 * page (DATA) and some are echoed on port 0x50.
 */
#define MMIO	0x10000000
#define DATA	0x200000

	.section .rodata.guest, "a"
	.code64
	.globl guest_mmio_start, guest_mmio_end
guest_mmio_start:
	mov	$MMIO, %ebx
	mov	$DATA, %edi

	/* writes of each size, register and immediate sources */
	movb	$0x11, (%rbx)
	movw	$0x2233, 0x2(%rbx)
	movl	$0x44556677, 0x4(%rbx)
	movabs	$0x8899aabbccddeeff, %rax
	mov	%rax, 0x8(%rbx)
	movq	$-2, 0x10(%rbx)

	/* reads of each size; %al/%ax keep the other bits of rax */
	movabs	$0x0123456789abcdef, %rax
	mov	0x20(%rbx), %al
	mov	%rax, (%rdi)
	mov	0x22(%rbx), %ax
	mov	%rax, 0x8(%rdi)
	mov	0x24(%rbx), %eax
	mov	%rax, 0x10(%rdi)
	mov	0x28(%rbx), %rax
	mov	%rax, 0x18(%rdi)

	/* a read whose value the very next instruction consumes */
	mov	0x30(%rbx), %rcx
	add	%rcx, %rcx
	out	%eax, $0x50
	mov	%ecx, %eax
	out	%eax, $0x50
	mov	%rcx, 0x20(%rdi)

	/* memory-source ALU op, zero-extending load, read-modify-write */
	mov	$1000, %edx
	add	0x38(%rbx), %edx
	mov	%edx, 0x28(%rdi)
	movzwl	0x3a(%rbx), %esi
	mov	%esi, 0x2c(%rdi)
	incl	0x40(%rbx)

	cmp	%edx, %esi
	hlt
guest_mmio_end:

	.section .note.GNU-stack, "", @progbits
