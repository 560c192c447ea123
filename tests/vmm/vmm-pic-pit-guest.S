/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-pic-pit: 64-bit code at 0x8000 on a VM with the in-kernel
 * PIC pair and PIT.  It initialises both PICs (vectors 0x20 and 0x28,
 * cascade on IRQ2, 8086 mode), unmasks only IRQ0, programs PIT channel 0
 * for mode 2 (rate generator) with a count of 11932 (10 ms), and halts
 * until the timer handler has counted 5 ticks (in %ebx).  The handler
 * reads the master's ISR (OCW3 0x0b) before its EOI and ORs it into %r12.
 * Reported by 4-byte stores to the unmapped page MMIO: +0x10 the tick
 * count, +0x14 the ISRs seen, +0x18 PIT channel 0's read-back status
 * (without the OUT and null-count bits), +0x1c the master's IMR read
 * back; then 0xff to MMIO ends the run.
 */
#define MMIO	0x10000000

	.section .rodata.guest, "a"
	.code64
	.globl guest_pic_pit_start, guest_pic_pit_end, guest_pic_pit_timer
guest_pic_pit_start:
	mov	$MMIO, %edi
	xor	%ebx, %ebx
	xor	%r12d, %r12d
	mov	$0x11, %al		/* ICW1: edge, cascade, ICW4 */
	out	%al, $0x20
	out	%al, $0xa0
	mov	$0x20, %al		/* ICW2: vector bases */
	out	%al, $0x21
	mov	$0x28, %al
	out	%al, $0xa1
	mov	$0x04, %al		/* ICW3: slave on IRQ2 */
	out	%al, $0x21
	mov	$0x02, %al
	out	%al, $0xa1
	mov	$0x01, %al		/* ICW4: 8086 mode */
	out	%al, $0x21
	out	%al, $0xa1
	mov	$0xfe, %al		/* OCW1: only IRQ0 */
	out	%al, $0x21
	mov	$0xff, %al
	out	%al, $0xa1
	mov	$0x34, %al		/* channel 0, lo/hi, mode 2, binary */
	out	%al, $0x43
	mov	$11932 & 0xff, %al
	out	%al, $0x40
	mov	$11932 >> 8, %al
	out	%al, $0x40
1:	sti
	hlt
	cli
	cmp	$5, %ebx
	jb	1b
	mov	%ebx, 0x10(%rdi)
	mov	%r12d, 0x14(%rdi)
	mov	$0xe2, %al		/* read-back: channel 0's status only */
	out	%al, $0x43
	in	$0x40, %al
	and	$0x3f, %eax
	mov	%eax, 0x18(%rdi)
	in	$0x21, %al
	movzbl	%al, %eax
	mov	%eax, 0x1c(%rdi)
	movb	$0xff, (%rdi)

guest_pic_pit_timer:
	push	%rax
	inc	%ebx
	mov	$0x0b, %al		/* OCW3: read ISR */
	out	%al, $0x20
	in	$0x20, %al
	movzbl	%al, %eax
	or	%eax, %r12d
	mov	$0x20, %al		/* non-specific EOI */
	out	%al, $0x20
	pop	%rax
	iretq
guest_pic_pit_end:

	.section .note.GNU-stack, "", @progbits
