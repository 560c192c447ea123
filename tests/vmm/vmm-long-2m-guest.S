/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-long-2m: 64-bit code, loaded at GUEST_LOAD, entered in
 * long mode with identity-mapped 2 MiB pages.  The data page lives in
 * the second 2 MiB page so two PDEs get used.
 */
#define DATA	0x200000

	.section .rodata.guest, "a"
	.code64
	.globl guest_long2m_start, guest_long2m_end
guest_long2m_start:
	/* rax = sum of i*i, i = 1..100 (= 338350) */
	xor	%eax, %eax
	mov	$1, %ecx
1:	mov	%ecx, %edx
	imul	%edx, %edx
	add	%rdx, %rax
	inc	%ecx
	cmp	$101, %ecx
	jne	1b
	mov	%rax, DATA

	/* outs of each size, with the value in the low bits */
	out	%al, $0x10
	out	%ax, $0x11
	mov	$0x3f8, %dx
	out	%eax, (%dx)

	/* in to %al merges into rax; in to %eax zero-extends */
	movabs	$0x1122334455667788, %rax
	in	$0x21, %al
	mov	%rax, DATA + 8
	mov	$0x30, %dx
	in	(%dx), %eax
	mov	%rax, DATA + 16
	in	(%dx), %ax
	mov	%rax, DATA + 24

	/* stack use */
	push	%rax
	push	$0x5a
	pop	%rbx
	pop	%rcx

	/* string out: one exit with count > 1 */
	lea	msg(%rip), %rsi
	mov	$5, %ecx
	mov	$0xe9, %dx
	cld
	rep outsb

	/* pattern fill: byte[i] = 7 * i + 3, 256 bytes */
	mov	$DATA + 0x100, %edi
	xor	%ecx, %ecx
2:	lea	(%rcx,%rcx,2), %eax
	lea	3(%rcx,%rax,2), %eax
	mov	%al, (%rdi,%rcx)
	inc	%ecx
	cmp	$256, %ecx
	jne	2b

	/* fs.base = -0x1000, gs.base = -0x2000: 64-bit bases wrap back */
	mov	%fs:0x1000 + DATA + 0x100, %rdx
	mov	%rdx, DATA + 0x208
	mov	%gs:0x2000 + DATA + 0x108, %rsi
	mov	%rsi, DATA + 0x210

	mov	$0xabcdef, %r15d
	cmp	$0x1234, %eax		/* defines every arithmetic flag */
	hlt
	/* the VMM runs us again after the first halt */
	mov	$0x77, %al
	out	%al, $0x10
	movq	$-1, DATA + 0x200
	add	$1, %r15
	hlt
msg:	.ascii	"hello"
guest_long2m_end:

	.section .note.GNU-stack, "", @progbits
