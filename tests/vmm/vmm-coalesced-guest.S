/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-coalesced: loops of MMIO writes (to MMIO, no memslot)
 * and port writes (port 0x80), each loop followed by an `in` from port
 * 0x10 so the VMM looks at the ring.  %ecx counts, the value written is
 * the loop index plus a tag per phase.
 */
#define MMIO	0x800000

	.section .rodata.guest, "a"
	.code64
	.globl guest_coal_start, guest_coal_end
guest_coal_start:
	/* 1: 5 MMIO writes of 8 bytes */
	xor	%ecx, %ecx
1:	lea	0x1000(%rcx), %rax
	mov	%rax, MMIO
	inc	%ecx
	cmp	$5, %ecx
	jne	1b
	in	$0x10, %al
	/* 2: 5 port writes of 4 bytes */
	xor	%ecx, %ecx
2:	lea	0x2000(%rcx), %eax
	out	%eax, $0x80
	inc	%ecx
	cmp	$5, %ecx
	jne	2b
	in	$0x10, %al
	/* 3: mixed, 160 writes (then rep outsb): MMIO of 4 bytes at MMIO + 4, port of 2 bytes */
	xor	%ecx, %ecx
3:	lea	0x3000(%rcx), %eax
	mov	%eax, MMIO + 4
	out	%ax, $0x80
	inc	%ecx
	cmp	$80, %ecx
	jne	3b
	lea	msg(%rip), %rsi		/* and a string out of 3 bytes */
	mov	$3, %ecx
	mov	$0x80, %dx
	cld
	rep outsb
	in	$0x10, %al
	/* 4: writes until the ring is full (the VMM left 2 free entries) */
	mov	$0x4000, %eax
	mov	%rax, MMIO
	inc	%eax
	out	%eax, $0x80
	inc	%eax
	mov	%rax, MMIO
	in	$0x10, %al
	/* 5: outside the zones (MMIO + 0x1000, port 0x90), and a read */
	mov	$0x5000, %eax
	mov	%rax, MMIO + 0x1000
	out	%al, $0x90
	mov	MMIO, %rbx
	in	$0x10, %al
	/* 6: 24,000 writes through many ring fills */
	call	many
	/* 7: after KVM_UNREGISTER_COALESCED_MMIO: the same, each one exiting */
	call	many
	mov	$0x6000, %eax
	mov	%rax, MMIO
	out	%eax, $0x80
	hlt
	/* 24,000 writes: MMIO and port 0x80 in turn, then a report */
many:	xor	%ecx, %ecx
	mov	$0x80, %edx
	mov	$MMIO, %esi
7:	lea	0x7000(%rcx), %eax
	test	$1, %ecx
	jz	8f
	out	%eax, (%dx)
	jmp	9f
8:	mov	%rax, (%rsi)
9:	inc	%ecx
	cmp	$24000, %ecx
	jne	7b
	in	$0x10, %al
	ret
msg:	.ascii	"xyz"
guest_coal_end:

	.section .note.GNU-stack, "", @progbits
