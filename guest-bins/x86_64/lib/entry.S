/* SPDX-License-Identifier: MIT */
/*
 * Guest entry point and exception stubs.
 *
 * The VMM enters _start in 64-bit mode with RSP on a stack it provides and
 * guest_main's arguments in RDI, RSI, RDX, RCX, R8, R9; _start passes them
 * through untouched.
 *
 * Each exception stub makes the stack look the same for every vector
 * (a dummy error code for vectors where the CPU pushes none, then the
 * vector number), saves the general registers and calls
 * guest_exception_dispatch() with a pointer to the resulting
 * struct ex_frame (see guest.h).  The CPU aligned RSP to 16 before it
 * pushed its 5-qword frame; 2 + 15 more qwords keep it aligned for the
 * call.
 */

	.code64

	.section .text.start, "ax"
	.globl _start
	.type _start, @function
_start:
	xor	%ebp, %ebp		/* terminate frame-pointer chains */
	and	$-16, %rsp
	call	guest_runtime_start
	/* guest_runtime_start reports UCALL_DONE and never returns. */
1:	hlt
	jmp	1b
	.size _start, . - _start

	.text

/* Vectors for which the CPU pushes an error code: 8, 10-14, 17, 21, 29, 30. */
.macro EXC_STUB vec
	.align 16
exc_stub_\vec:
	.if (\vec == 8) || (\vec >= 10 && \vec <= 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$\vec
	jmp	exc_common
.endm

	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	EXC_STUB \v
	.endr

	.type exc_common, @function
exc_common:
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
	call	guest_exception_dispatch
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
	.size exc_common, . - exc_common

	/* Stub addresses, indexed by vector, for the IDT setup in C. */
	.section .rodata
	.align 8
	.globl guest_exc_stubs
guest_exc_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad	exc_stub_\v
	.endr

	.section .note.GNU-stack, "", @progbits
