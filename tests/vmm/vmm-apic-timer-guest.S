/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-apic-timer: 64-bit code at 0x8000 on a VM with the
 * in-kernel irqchip, the xAPIC page mapped at 0xfee00000.  Results go to
 * the page at RES (r15), one 8-byte slot each; OUT to port 0x10 ends it.
 *
 *   phase 1: periodic timer through the xAPIC page (divide by 1, TMICT
 *	1,000,000 bus cycles = 1 ms, vector 0x40): TSC when armed, five
 *	ticks taken in `sti; hlt` (the handler counts and EOIs through the
 *	page), the TSC then, the HLTs that returned; LVTT, TMICT, TMCCT
 *	after stopping it (TMICT = 0)
 *   phase 2: periodic with TMICT 1,000 (1 us): the TSC after the second
 *	and the fourth tick (KVM stretches the period to 200 us)
 *   phase 3: TSC-deadline mode (vector 0x41): IA32_TSC_DEADLINE = TSC +
 *	2,000,000; the TSC the handler saw; the MSR afterwards; TMICT
 *	written in this mode reads back 0; a deadline already past fires
 *	at once
 */
#define APIC	0xfee00000
#define RES	0x20000

	.section .rodata.guest, "a"
	.code64
	.globl guest_timer_start, guest_timer_end, guest_timer_tick, guest_timer_dl
guest_timer_start:
	mov	$APIC, %ebx
	mov	$RES, %r15d
	movl	$0x1ff, 0xf0(%rbx)	/* SVR: software-enabled */
	movl	$0xb, 0x3e0(%rbx)	/* TDCR: divide by 1 */
	movl	$0x20040, 0x320(%rbx)	/* LVTT: periodic, vector 0x40 */
	xor	%r12d, %r12d		/* ticks */
	xor	%r13d, %r13d		/* HLTs that returned */
	movl	$1000000, 0x380(%rbx)	/* TMICT: arm it */
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, 0x00(%r15)
1:	sti
	hlt
	cli
	inc	%r13d
	cmp	$5, %r12d
	jb	1b
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, 0x08(%r15)
	mov	%r12, 0x10(%r15)
	mov	%r13, 0x18(%r15)
	movl	$0, 0x380(%rbx)		/* TMICT 0 stops it */
	mov	0x320(%rbx), %eax
	mov	%rax, 0x20(%r15)
	mov	0x380(%rbx), %eax
	mov	%rax, 0x28(%r15)
	mov	0x390(%rbx), %eax
	mov	%rax, 0x30(%r15)

	/* phase 2: a 1 us period; TSC after tick 2 and after tick 4 */
	xor	%r12d, %r12d
	movl	$1000, 0x380(%rbx)
2:	sti
	hlt
	cli
	cmp	$2, %r12d
	jb	2b
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, 0x38(%r15)
3:	sti
	hlt
	cli
	cmp	$4, %r12d
	jb	3b
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, 0x40(%r15)
	movl	$0, 0x380(%rbx)

	/* phase 3: TSC deadline */
	xor	%r12d, %r12d
	movl	$0x40041, 0x320(%rbx)	/* LVTT: TSC-deadline, vector 0x41 */
	mov	0x320(%rbx), %eax
	mov	%rax, 0x48(%r15)
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	add	$2000000, %rax
	mov	%rax, 0x50(%r15)
	mov	%rax, %rdx
	shr	$32, %rdx
	mov	$0x6e0, %ecx
	wrmsr
7:	sti
	hlt
	cli
	cmp	$1, %r12d
	jb	7b
	mov	$0x6e0, %ecx
	rdmsr
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, 0x60(%r15)
	movl	$5000, 0x380(%rbx)	/* ignored in TSC-deadline mode */
	mov	0x380(%rbx), %eax
	mov	%rax, 0x68(%r15)
	/* a deadline already past */
	rdtsc
	sub	$1, %eax
	sbb	$0, %edx
	mov	$0x6e0, %ecx
	wrmsr
4:	sti
	hlt
	cli
	cmp	$2, %r12d
	jb	4b
	mov	%r12, 0x70(%r15)
	mov	$0x10, %dx
	xor	%eax, %eax
	out	%al, (%dx)
5:	jmp	5b

guest_timer_tick:
	inc	%r12d
	movl	$0, 0xb0(%rbx)		/* EOI */
	iretq

guest_timer_dl:
	push	%rax
	push	%rdx
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	cmp	$0, %r12d
	jne	6f
	mov	%rax, 0x58(%r15)
6:	inc	%r12d
	movl	$0, 0xb0(%rbx)
	pop	%rdx
	pop	%rax
	iretq
guest_timer_end:

	.section .note.GNU-stack, "", @progbits
