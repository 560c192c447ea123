/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-dirty-log: 64-bit code in RAM (slot 0); DATA is the
 * dirty-logged slot.  Each phase ends with `out $0x10` so the VMM can
 * read the log between phases.  Phases 5 and 6 go through guest page
 * tables that live in the logged slot with their A/D bits clear, so
 * the page walk itself writes there.
 */
#define DATA	0x400000
#define HIGH	0x40000000	/* mapped by the PD/PT inside DATA */

	.section .rodata.guest, "a"
	.code64
	.globl guest_dirty_start, guest_dirty_end
guest_dirty_start:
	mov	$DATA, %rbx

	/* 1: one byte to pages 0, 1, 5, 64 and 127 */
	movb	$1, 0x0000(%rbx)
	movb	$1, 0x1000(%rbx)
	movb	$1, 0x5000(%rbx)
	movb	$1, 0x40000(%rbx)
	movb	$1, 0x7f000(%rbx)
	out	%al, $0x10

	/* 2: page 1 again (logged again only if it was re-protected), page 2 */
	movb	$2, 0x1008(%rbx)
	movb	$2, 0x2000(%rbx)
	out	%al, $0x10

	/* 3: reads only, of pages 3 and 4 */
	mov	0x3000(%rbx), %rax
	mov	0x4000(%rbx), %rax
	out	%al, $0x10

	/* 4: nothing */
	out	%al, $0x10

	/* 5: a read through page tables in the logged slot (A bits) */
	mov	$HIGH, %rcx
	mov	(%rcx), %rax
	out	%al, $0x10

	/* 6: a write through them (D bit of the PTE, and the page) */
	movb	$6, 0x1000(%rcx)
	out	%al, $0x10

	/* 7: rep stosb over pages 30..39 */
	lea	0x1e000(%rbx), %rdi
	mov	$0xa000, %ecx
	mov	$7, %al
	rep stosb
	out	%al, $0x10
	hlt
guest_dirty_end:

	.section .note.GNU-stack, "", @progbits
