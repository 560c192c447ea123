/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-lapic: 64-bit code at 0x8000 on a VM with the in-kernel
 * irqchip.  It turns its APIC to x2APIC mode, arms the LAPIC timer in
 * one-shot mode (vector 0x30, divide by 1, 100000 bus cycles) and waits
 * in `sti; hlt`; the handler reports its vector to MMIO + 0x10 and EOIs.
 * Then TMCCT (0: the one-shot expired) goes to MMIO + 0x18 and 0xff to
 * MMIO ends the run.
 */
#define MMIO	0x10000000

	.section .rodata.guest, "a"
	.code64
	.globl guest_lapic_start, guest_lapic_end, guest_lapic_timer
guest_lapic_start:
	mov	$MMIO, %edi
	mov	$0x1b, %ecx		/* IA32_APIC_BASE: EN | EXTD */
	rdmsr
	or	$0xc00, %eax
	wrmsr
	mov	$0x80f, %ecx		/* SVR: enabled, spurious vector 0xff */
	mov	$0x1ff, %eax
	xor	%edx, %edx
	wrmsr
	mov	$0x83e, %ecx		/* TDCR: divide by 1 */
	mov	$0xb, %eax
	wrmsr
	mov	$0x832, %ecx		/* LVTT: one-shot, vector 0x30 */
	mov	$0x30, %eax
	wrmsr
	mov	$0x838, %ecx		/* TMICT: arms it */
	mov	$100000, %eax
	wrmsr
	sti
	hlt
	cli
	mov	$0x839, %ecx		/* TMCCT */
	rdmsr
	mov	%eax, 0x18(%rdi)
	movb	$0xff, (%rdi)

guest_lapic_timer:
	push	%rax
	push	%rcx
	push	%rdx
	movq	$0x30, 0x10(%rdi)
	mov	$0x80b, %ecx		/* EOI */
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq
guest_lapic_end:

	.section .note.GNU-stack, "", @progbits
