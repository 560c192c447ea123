/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-irqfd: 64-bit code at 0x8000 on a VM with the in-kernel
 * irqchip.  It turns on its x2APIC (spurious vector 0xff), points IOAPIC
 * pin 10 at vector 0x41 (level-triggered, physical destination 0), then
 * five times rings the MMIO doorbell (an ioeventfd: no exit) with the
 * round number and waits in `sti; hlt` for vector 0x40 (the device
 * thread's irqfd, an MSI route), checking the reply the device wrote at
 * REPLY + 8 * round.  Then it writes 8 to the data-matched doorbell (not
 * its value: an MMIO exit), 7 (its value: the eventfd), a byte to the PIO
 * doorbell, and waits for vector 0x41 (the resampling irqfd on GSI 10).
 * Reported by 4-byte stores to the unmapped page MMIO: +0x10 the
 * interrupts on 0x40, +0x14 the replies that matched, +0x18 the
 * interrupts on 0x41, +0x1c the IOAPIC's version register; 0xff to MMIO
 * ends the run.  Handlers EOI through the x2APIC EOI MSR.
 */
#define MMIO		0x10000000
#define DOORBELL	0x20000000
#define DOORBELL_DM	0x20000008
#define IOAPIC		0xfec00000
#define REPLY		0x9000

	.section .rodata.guest, "a"
	.code64
	.globl guest_irqfd_start, guest_irqfd_end, guest_irqfd_msi, guest_irqfd_level
guest_irqfd_start:
	mov	$MMIO, %edi
	mov	$IOAPIC, %esi
	xor	%ebx, %ebx		/* interrupts on 0x40 */
	xor	%r12d, %r12d		/* replies that matched */
	xor	%r13d, %r13d		/* interrupts on 0x41 */
	mov	$0x1b, %ecx		/* IA32_APIC_BASE: EN | EXTD */
	rdmsr
	or	$0xc00, %eax
	wrmsr
	mov	$0x80f, %ecx		/* SVR: enabled, spurious vector 0xff */
	mov	$0x1ff, %eax
	xor	%edx, %edx
	wrmsr
	movl	$0x10 + 2 * 10 + 1, (%rsi)	/* pin 10, high half: destination 0 */
	movl	$0, 0x10(%rsi)
	movl	$0x10 + 2 * 10, (%rsi)		/* pin 10, low half: level, vector 0x41 */
	movl	$0x8041, 0x10(%rsi)
	mov	$1, %r14d		/* round */
1:	mov	%r14d, DOORBELL
	sti
	hlt
	cli
	mov	REPLY(,%r14,8), %rax
	imul	$0x11, %r14, %rdx
	cmp	%rdx, %rax
	jne	2f
	inc	%r12d
2:	inc	%r14d
	cmp	$5, %r14d
	jbe	1b
	movl	$8, DOORBELL_DM		/* not the data match: an exit */
	movl	$7, DOORBELL_DM		/* the data match: the eventfd */
	mov	$0x710, %dx
	mov	$1, %al
	out	%al, %dx		/* the PIO doorbell */
3:	sti
	hlt
	cli
	test	%r13d, %r13d
	jz	3b
	mov	%ebx, 0x10(%rdi)
	mov	%r12d, 0x14(%rdi)
	mov	%r13d, 0x18(%rdi)
	movl	$1, (%rsi)		/* IOAPIC version register */
	mov	0x10(%rsi), %eax
	mov	%eax, 0x1c(%rdi)
	movb	$0xff, (%rdi)

guest_irqfd_msi:
	inc	%ebx
	jmp	eoi
guest_irqfd_level:
	inc	%r13d
eoi:
	push	%rax
	push	%rcx
	push	%rdx
	mov	$0x80b, %ecx		/* x2APIC EOI */
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq
guest_irqfd_end:

	.section .note.GNU-stack, "", @progbits
