/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-irq: 64-bit code at 0x8000.  Progress is reported by
 * byte stores to the unmapped page MMIO (an MMIO write exit, RIP past
 * the store); the handlers for vectors 0x20, 0x21 and 2 (NMI) report the
 * vector, the saved RIP and the saved RFLAGS as three 8-byte stores to
 * MMIO + 0x10, + 0x18, + 0x20, then iretq.
 */
#define MMIO	0x10000000

	.section .rodata.guest, "a"
	.code64
	.globl guest_irq_start, guest_irq_end
	.globl guest_irq_20, guest_irq_21, guest_irq_nmi
guest_irq_start:
	cli
	movb	$1, MMIO		/* IF=0: not ready for injection */
	sti
	jmp	1f			/* in the STI shadow */
1:
	inc	%ebx			/* the window opened before this */
	movb	$2, MMIO
	cli
	movb	$3, MMIO		/* IF=0: an NMI still gets in */
	movb	$4, MMIO
	sti
	hlt				/* in the STI shadow: the window is not open */
	movb	$5, MMIO
	cli				/* a window asked for while open: exit here */
	hlt

guest_irq_20:
	push	$0x20
	jmp	common
guest_irq_21:
	push	$0x21
	jmp	common
guest_irq_nmi:
	push	$2
common:
	/* stack: rdx, rax, vector, rip, cs, rflags, rsp, ss */
	push	%rax
	push	%rdx
	mov	$MMIO, %edx		/* no moffs store: one encoding for every assembler */
	mov	16(%rsp), %rax
	mov	%rax, 0x10(%rdx)
	mov	24(%rsp), %rax
	mov	%rax, 0x18(%rdx)
	mov	40(%rsp), %rax
	mov	%rax, 0x20(%rdx)
	pop	%rdx
	pop	%rax
	add	$8, %rsp
	iretq
guest_irq_end:

	.section .note.GNU-stack, "", @progbits
