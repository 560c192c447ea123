/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-hostile: 64-bit code at 0x8000.  Five one-page memslots
 * at 0x400000, 0x500000, 0x600000, 0x700000, 0x800000.  Phase 0 reads and
 * writes each (so the host pages are mapped into the guest); phases 1-5 read,
 * write and read back one slot each, after the VMM changed its backing.
 * Every value read goes out on port 0x70; the guest halts after each
 * phase.
 */
#define SLOT(n)	(0x400000 + (n) * 0x100000)

	.macro	touch n, val
	mov	SLOT(\n), %rax
	out	%eax, $0x70
	movl	$\val, SLOT(\n) + 8
	mov	SLOT(\n) + 8, %eax
	out	%eax, $0x70
	.endm

	.section .rodata.guest, "a"
	.code64
	.globl guest_hostile_start, guest_hostile_end
guest_hostile_start:
	touch	0, 0x10101010
	touch	1, 0x11111111
	touch	2, 0x12121212
	touch	3, 0x13131313
	touch	4, 0x14141414
	hlt
	touch	0, 0x20202020
	hlt
	touch	1, 0x21212121
	hlt
	touch	2, 0x22222222
	hlt
	touch	3, 0x23232323
	hlt
	touch	4, 0x24242424
	hlt
guest_hostile_end:

	.section .note.GNU-stack, "", @progbits
