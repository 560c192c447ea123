/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-code-cross: 64-bit code at 0x8000.  Each part reports AL
 * from a `mov $imm8, %al` whose immediate someone else rewrites: the VMM
 * through an alias mapping (between runs), vCPU 1 (while vCPU 0 spins on
 * it), a VMM thread (while vCPU 0 spins on it).  The .globl labels only
 * give the VMM offsets; jumps go to local labels (clang does not relax a
 * jump to a global one, and the recorded RIPs must not depend on the
 * assembler).
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_cross_start, guest_cross_end
	.globl guest_cross_imm1, guest_cross_spin1, guest_cross_imm2
	.globl guest_cross_patch, guest_cross_spin2, guest_cross_imm3
guest_cross_start:
	/* part 1: report AL, halt */
	.byte	0xb0		/* mov $imm8, %al */
guest_cross_imm1:
	.byte	0x11
	out	%al, $0x10
	hlt

	/* part 2, vCPU 0: say so at RSI (the flag), spin until the immediate reads 0x22 */
guest_cross_spin1:
	movb	$1, (%rsi)
1:	.byte	0xb0
guest_cross_imm2:
	.byte	0x11
	cmp	$0x22, %al
	jne	1b
	out	%al, $0x11
	hlt

	/* part 2, vCPU 1: once vCPU 0 spins, store 0x22 at RDI (its immediate) */
guest_cross_patch:
3:	cmpb	$1, (%rsi)
	jne	3b
	movb	$0x22, (%rdi)
	hlt

	/* part 3, vCPU 0: say so at RSI, spin until the immediate reads 0x33 */
guest_cross_spin2:
	movb	$2, (%rsi)
2:	.byte	0xb0
guest_cross_imm3:
	.byte	0x11
	cmp	$0x33, %al
	jne	2b
	out	%al, $0x13
	hlt
guest_cross_end:

	.section .note.GNU-stack, "", @progbits
