/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-modes: from the reset vector through real, protected and
 * long mode and back down to real mode, inside one KVM_RUN sequence, the
 * way firmware and boot loaders switch (CR0.PE, CR4.PAE, EFER.LME,
 * CR0.PG, far jumps through a GDT of their own).
 *
 * guest_modes_reset: 16 bytes at the reset vector (CS base 0xffff0000).
 * guest_modes: loaded at physical 0x7c00; every absolute address below is
 * 0x7c00 + its offset in this blob.  Page tables (PML4 0x1000, PDPT
 * 0x2000, PD 0x3000, 2 MiB pages over the first GiB) are the VMM's.
 * Each stage reports on its own port: OUT 0x70..0x76, eax = a value the
 * stage computed in that mode.
 */
#define AT(x)	(0x7c00 + (x) - guest_modes_start)

	.section .rodata.guest, "a"
	.code16
	.globl guest_modes_reset_start, guest_modes_reset_end
guest_modes_reset_start:
	ljmp	$0x0000, $0x7c00
	.fill	11, 1, 0xf4
guest_modes_reset_end:

	.globl guest_modes_start, guest_modes_end
guest_modes_start:
	/* real mode: a 16-bit computation, reported */
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	$0x7000, %sp
	mov	$0x1234, %ax
	add	$0x1111, %ax
	out	%ax, $0x70
	/* into protected mode */
	cli
	lgdtl	AT(gdt_ptr)
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$0x08, $AT(prot32)

	.code32
prot32:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	$0x7000, %esp
	mov	$0x12345678, %eax
	add	$0x11111111, %eax
	out	%eax, $0x71
	/* into long mode: PAE, CR3, EFER.LME, then paging */
	mov	%cr4, %eax
	or	$0x20, %eax
	mov	%eax, %cr4
	mov	$0x1000, %eax
	mov	%eax, %cr3
	mov	$0xc0000080, %ecx
	rdmsr
	or	$0x100, %eax
	wrmsr
	mov	%cr0, %eax
	or	$0x80000000, %eax
	mov	%eax, %cr0
	/* compatibility mode now: EFER.LMA reported */
	mov	$0xc0000080, %ecx
	rdmsr
	out	%eax, $0x72
	ljmpl	$0x18, $AT(long64)

	.code64
long64:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	movabs	$0x123456789, %rax
	shr	$4, %rax		/* 0x12345678: needs 64-bit registers */
	out	%eax, $0x73
	/* back to compatibility mode through a far return */
	pushq	$0x08
	pushq	$AT(compat32)
	lretq

	.code32
compat32:
	/* leave long mode: paging off, then LME off */
	mov	%cr0, %eax
	and	$0x7fffffff, %eax
	mov	%eax, %cr0
	mov	$0xc0000080, %ecx
	rdmsr
	and	$~0x100, %eax
	wrmsr
	rdmsr
	out	%eax, $0x74
	/* a 16-bit protected-mode segment, then real mode */
	ljmpl	$0x20, $AT(prot16)

	.code16
prot16:
	mov	$0x28, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	%cr0, %eax
	and	$~1, %eax
	mov	%eax, %cr0
	ljmp	$0x0000, $AT(real_again)
real_again:
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	$0x7000, %sp
	mov	%cr0, %eax
	out	%ax, $0x75
	mov	$0x5678, %ax
	out	%ax, $0x76
	hlt

	.p2align 3
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff	/* 0x08: 32-bit code, flat */
	.quad	0x00cf93000000ffff	/* 0x10: data, flat */
	.quad	0x00af9b000000ffff	/* 0x18: 64-bit code */
	.quad	0x00009b000000ffff	/* 0x20: 16-bit code, base 0, 64 KiB */
	.quad	0x000093000000ffff	/* 0x28: 16-bit data, base 0, 64 KiB */
gdt_end:
gdt_ptr:
	.word	gdt_end - gdt - 1
	.long	AT(gdt)
guest_modes_end:

	.section .note.GNU-stack, "", @progbits
