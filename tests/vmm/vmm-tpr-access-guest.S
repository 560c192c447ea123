/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-tpr-access: 64-bit code at 0x8000, in-kernel irqchip, the
 * APIC in xAPIC mode at 0xfee00000.  Reads its TPR, writes 0x30, reads it
 * back and reports it (MMIO + 0x10); turns on x2APIC mode, writes TPR 0x40
 * and reads it by MSR, reports it; 0xff to MMIO ends the run.  With
 * KVM_TPR_ACCESS_REPORTING on, each of the five TPR accesses is a
 * KVM_EXIT_TPR_ACCESS first.
 */
#define MMIO	0x10000000
#define APIC	0xfee00000

	.section .rodata.guest, "a"
	.code64
	.globl guest_tpr_start, guest_tpr_end
guest_tpr_start:
	mov	$MMIO, %edi
	mov	$APIC, %esi
	mov	0x80(%rsi), %eax	/* TPR read */
	movl	$0x30, 0x80(%rsi)	/* TPR write */
	mov	0x80(%rsi), %eax	/* TPR read */
	mov	%eax, 0x10(%rdi)
	mov	$0x1b, %ecx		/* IA32_APIC_BASE: EN | EXTD */
	rdmsr
	or	$0xc00, %eax
	wrmsr
	mov	$0x808, %ecx		/* x2APIC TPR write */
	mov	$0x40, %eax
	xor	%edx, %edx
	wrmsr
	rdmsr				/* x2APIC TPR read */
	mov	%eax, 0x10(%rdi)
	movb	$0xff, (%rdi)
guest_tpr_end:

	.section .note.GNU-stack, "", @progbits
