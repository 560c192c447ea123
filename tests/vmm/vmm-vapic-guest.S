/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-vapic: 64-bit code at 0x8000, in-kernel irqchip, the
 * vapic word at 0x9000 (KVM_SET_VAPIC_ADDR).  With interrupts off it
 * turns on x2APIC mode, sets TPR 0x20 by MSR and sends itself vector
 * 0x50 (SELF_IPI: pending in IRR) and exits (MMIO + 0x30), writes TPR
 * 0x40 into the word's low byte and exits (MMIO + 0x18); reports the word
 * (MMIO + 0x10); `sti; hlt`
 * takes 0x50, whose handler reports the word
 * while 0x50 is in service (MMIO + 0x20) and after its EOI (+ 0x28); back
 * from it, the word once more, then 0xff to MMIO ends the run.
 * guest_vapic_off (entered after KVM_SET_VAPIC_ADDR 0): writes 0x10 into
 * the word and exits (MMIO + 0x18), then ends.
 */
#define MMIO	0x10000000
#define VAPIC	0x9000

	.section .rodata.guest, "a"
	.code64
	.globl guest_vapic_start, guest_vapic_end, guest_vapic_irq, guest_vapic_off
guest_vapic_start:
	mov	$MMIO, %edi
	mov	$0x1b, %ecx		/* IA32_APIC_BASE: EN | EXTD */
	rdmsr
	or	$0xc00, %eax
	wrmsr
	mov	$0x80f, %ecx		/* SVR: enabled, spurious vector 0xff */
	mov	$0x1ff, %eax
	xor	%edx, %edx
	wrmsr
	mov	$0x808, %ecx		/* TPR 0x20 */
	mov	$0x20, %eax
	wrmsr
	mov	$0x83f, %ecx		/* SELF_IPI 0x50: IRR, IF is 0 */
	mov	$0x50, %eax
	wrmsr
	movl	$0x50, 0x30(%rdi)	/* "sent": an exit before the next step */
	movb	$0x40, VAPIC		/* TPR 0x40, through the word */
	movl	$1, 0x18(%rdi)
	mov	VAPIC, %eax
	mov	%eax, 0x10(%rdi)
	sti
	hlt
	cli
	mov	VAPIC, %eax
	mov	%eax, 0x10(%rdi)
	movb	$0xff, (%rdi)

guest_vapic_irq:
	push	%rax
	push	%rcx
	push	%rdx
	mov	VAPIC, %eax
	mov	%eax, 0x20(%rdi)
	mov	$0x80b, %ecx		/* EOI */
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	mov	VAPIC, %eax
	mov	%eax, 0x28(%rdi)
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq

guest_vapic_off:
	mov	$MMIO, %edi
	movb	$0x10, VAPIC
	movl	$2, 0x18(%rdi)
	movb	$0xff, (%rdi)
guest_vapic_end:

	.section .note.GNU-stack, "", @progbits
