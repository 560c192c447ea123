/* SPDX-License-Identifier: MIT */
/*
 * Stubs for external interrupts, vectors 32-255 (optional: only guests
 * that take interrupts link this, so every other guest keeps its layout).
 * Each pushes a zero error code and its vector, as the exception stubs in
 * entry.S do, so the handler gets the same struct ex_frame; the common
 * path calls guest_irq_dispatch() and returns with iretq.
 */

	.file	"irq_entry.S"
	.code64
	.text

.macro IRQ_STUB vec
	.pushsection .rodata.irq_stubs, "a"
	.quad	irq_stub_\vec
	.popsection
	.align 16
irq_stub_\vec:
	pushq	$0
	pushq	$\vec
	jmp	irq_common
.endm

	.pushsection .rodata.irq_stubs, "a"
	.align 8
	.globl guest_irq_stubs
guest_irq_stubs:
	.popsection

	.altmacro
	.set irq_vec, 32
	.rept 256 - 32
	IRQ_STUB %irq_vec
	.set irq_vec, irq_vec + 1
	.endr
	.noaltmacro

	.type irq_common, @function
irq_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	cld
	call	guest_irq_dispatch
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp		/* vector and error code */
	iretq
	.size irq_common, . - irq_common

	.section .note.GNU-stack, "", @progbits
