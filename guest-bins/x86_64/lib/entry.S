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

	.file	"entry.S"
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

/*
 * One stub per vector.  Each also appends its address to guest_exc_stubs
 * (in .rodata.exc_stubs), so invoking the macro in vector order builds
 * the table the IDT setup in C reads.
 */
.macro EXC_STUB vec, cpu_pushes_error_code
	.pushsection .rodata.exc_stubs, "a"
	.quad	exc_stub_\vec
	.popsection
	.align 16
exc_stub_\vec:
	.if !\cpu_pushes_error_code
	pushq	$0
	.endif
	pushq	$\vec
	jmp	exc_common
.endm

	.pushsection .rodata.exc_stubs, "a"
	.align 8
	.globl guest_exc_stubs
guest_exc_stubs:
	.popsection

	EXC_STUB 0, 0		/* #DE */
	EXC_STUB 1, 0		/* #DB */
	EXC_STUB 2, 0		/* NMI */
	EXC_STUB 3, 0		/* #BP */
	EXC_STUB 4, 0		/* #OF */
	EXC_STUB 5, 0		/* #BR */
	EXC_STUB 6, 0		/* #UD */
	EXC_STUB 7, 0		/* #NM */
	EXC_STUB 8, 1		/* #DF */
	EXC_STUB 9, 0
	EXC_STUB 10, 1		/* #TS */
	EXC_STUB 11, 1		/* #NP */
	EXC_STUB 12, 1		/* #SS */
	EXC_STUB 13, 1		/* #GP */
	EXC_STUB 14, 1		/* #PF */
	EXC_STUB 15, 0
	EXC_STUB 16, 0		/* #MF */
	EXC_STUB 17, 1		/* #AC */
	EXC_STUB 18, 0		/* #MC */
	EXC_STUB 19, 0		/* #XM */
	EXC_STUB 20, 0		/* #VE */
	EXC_STUB 21, 1		/* #CP */
	EXC_STUB 22, 0
	EXC_STUB 23, 0
	EXC_STUB 24, 0
	EXC_STUB 25, 0
	EXC_STUB 26, 0
	EXC_STUB 27, 0
	EXC_STUB 28, 0		/* #HV */
	EXC_STUB 29, 1		/* #VC */
	EXC_STUB 30, 1		/* #SX */
	EXC_STUB 31, 0

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

	.section .note.GNU-stack, "", @progbits
