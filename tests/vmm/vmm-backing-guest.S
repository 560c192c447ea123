/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-backing: 64-bit code at 0x8000.  RO (0x600000) is a
 * writable memslot whose host backing starts PROT_READ; NONE (0x800000)
 * one whose backing starts PROT_NONE.  Each access is to a distinct
 * page, or a page in a distinct state, so each case is seen once.
 * Every value read is echoed on port 0x70 and stored in DATA.  The
 * guest halts between phases so the VMM can change the protections.
 */
#define RO	0x600000
#define NONE	0x800000
#define DATA	0x200000

	.section .rodata.guest, "a"
	.code64
	.globl guest_backing_start, guest_backing_end
guest_backing_start:
	mov	$DATA, %edi

	/* phase 1, as mapped at start */
	/* read a PROT_READ page */
	mov	RO, %rax
	mov	%rax, (%rdi)
	out	%eax, $0x70
	/* write a PROT_READ page never touched before, read it back */
	movl	$0x11111111, RO + 0x1000
	mov	RO + 0x1000, %eax
	mov	%eax, 0x8(%rdi)
	out	%eax, $0x70
	/* write the PROT_READ page that was already read */
	movl	$0x22222222, RO + 4
	mov	RO, %rax
	mov	%rax, 0x10(%rdi)
	out	%eax, $0x70
	/* read a PROT_NONE page */
	mov	NONE, %rax
	mov	%rax, 0x18(%rdi)
	out	%eax, $0x70
	/* write a PROT_NONE page, read it back */
	movl	$0x33333333, NONE + 0x1000
	mov	NONE + 0x1000, %eax
	mov	%eax, 0x20(%rdi)
	out	%eax, $0x70
	cmp	$1, %eax
	hlt

	/* phase 2, after the VMM made those pages accessible */
	movl	$0x44444444, RO + 0x1000
	mov	RO + 0x1000, %eax
	mov	%eax, 0x28(%rdi)
	out	%eax, $0x70
	mov	NONE, %rax
	mov	%rax, 0x30(%rdi)
	out	%eax, $0x70
	movl	$0x55555555, NONE + 0x1000
	mov	NONE + 0x1000, %eax
	mov	%eax, 0x38(%rdi)
	out	%eax, $0x70
	cmp	$2, %eax
	hlt

	/* phase 3, after the VMM took RO page 1 away again (PROT_NONE) */
	mov	RO + 0x1000, %eax
	mov	%eax, 0x40(%rdi)
	out	%eax, $0x70
	movl	$0x66666666, RO + 0x1000
	cmp	$3, %eax
	hlt
guest_backing_end:

	.section .note.GNU-stack, "", @progbits
