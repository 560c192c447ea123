/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-exceptions: 64-bit code at 0x8000 with handlers for
 * #UD (6), #GP (13) and #PF (14) that the VMM wires into the IDT.  The
 * VMM leaves PD entry 1 (linear 0x200000-0x3fffff) not present; the #PF
 * handler maps it and retries.  Handlers report the frame on ports:
 * 0xe0 vector, 0xe1 error code, 0xe2 rip, 0xe3 cs, 0xe4 rflags,
 * 0xe5 rsp, 0xe6 ss, 0xe7 cr2 (#PF only).
 */
#define PD	0x3000
#define DATA	0x200000

	.section .rodata.guest, "a"
	.code64
	.globl guest_exc_start, guest_exc_end
	.globl guest_exc_ud, guest_exc_gp, guest_exc_pf
guest_exc_start:
	mov	$0x1111, %ebx
	ud2				/* fault: the handler skips it */
	mov	$0xdead, %ecx		/* no such MSR */
	rdmsr				/* #GP(0): the handler skips it */
	mov	$0x3333, %edx
	movl	$0xfeedf00d, DATA + 0x10	/* #PF, mapped, retried */
	mov	DATA + 0x10, %eax
	out	%eax, $0x50
	cmp	$0x3333, %edx
	hlt

guest_exc_ud:
	push	$0
	push	$6
	jmp	common
guest_exc_gp:
	push	$13			/* the CPU pushed the error code */
	jmp	common
guest_exc_pf:
	push	$14			/* the CPU pushed the error code */
common:
	/* stack: rax, vector, error code, rip, cs, rflags, rsp, ss */
	push	%rax
	mov	8(%rsp), %rax
	out	%eax, $0xe0
	mov	16(%rsp), %rax
	out	%eax, $0xe1
	mov	24(%rsp), %rax
	out	%eax, $0xe2
	mov	32(%rsp), %rax
	out	%eax, $0xe3
	mov	40(%rsp), %rax
	out	%eax, $0xe4
	mov	48(%rsp), %rax
	out	%eax, $0xe5
	mov	56(%rsp), %rax
	out	%eax, $0xe6
	cmpq	$14, 8(%rsp)
	jne	1f
	mov	%cr2, %rax
	out	%eax, $0xe7
	movq	$DATA | 0xe3, PD + 8	/* present, rw, A, D, 2 MiB */
	invlpg	(%rax)
	jmp	2f
1:	addq	$2, 24(%rsp)		/* ud2 and rdmsr are two bytes */
2:	pop	%rax
	add	$16, %rsp
	iretq
guest_exc_end:

	/* For the triple-fault runs: fault with no usable IDT. */
	.globl guest_triple_start, guest_triple_end
guest_triple_start:
	mov	$0x7777, %ebx
	ud2
	hlt
guest_triple_end:

	.section .note.GNU-stack, "", @progbits
