/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-split-irqchip: 64-bit code at 0x8000 on a VM with the
 * split irqchip (LAPICs in the kernel, PIC and IOAPIC in userspace).  It
 * turns on its x2APIC, stores 1 to MMIO with IF=0, 2 with IF=1, then spins
 * until two interrupts came: vector 0x30 (KVM_INTERRUPT's ExtINT, through
 * LINT0: no EOI) stores 0x30 to MMIO + 0x10; vector 0x42 (a level MSI
 * route on a reserved IOAPIC GSI) stores 0x42 to MMIO + 0x18 and EOIs,
 * which exits as KVM_EXIT_IOAPIC_EOI.  0xff to MMIO ends the run.
 */
#define MMIO	0x10000000

	.section .rodata.guest, "a"
	.code64
	.globl guest_split_start, guest_split_end, guest_split_extint, guest_split_msi
guest_split_start:
	mov	$MMIO, %edi
	xor	%ebx, %ebx
	mov	$0x1b, %ecx		/* IA32_APIC_BASE: EN | EXTD */
	rdmsr
	or	$0xc00, %eax
	wrmsr
	mov	$0x80f, %ecx		/* SVR: enabled, spurious vector 0xff */
	mov	$0x1ff, %eax
	xor	%edx, %edx
	wrmsr
	movb	$1, (%rdi)
	sti
	nop
	movb	$2, (%rdi)
1:	cmp	$2, %ebx
	jb	1b
	cli
	movb	$0xff, (%rdi)

guest_split_extint:
	inc	%ebx
	movl	$0x30, 0x10(%rdi)
	iretq

guest_split_msi:
	push	%rax
	push	%rcx
	push	%rdx
	inc	%ebx
	movl	$0x42, 0x18(%rdi)
	mov	$0x80b, %ecx		/* x2APIC EOI */
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq
guest_split_end:

	.section .note.GNU-stack, "", @progbits
