/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-quantum: 64-bit code at 0x8000.
 *
 * Part 1, entered with RCX = the iteration count and RBX = RSI = 0: a
 * loop of two blocks joined only by direct branches (no instruction in
 * it writes RIP indirectly), each counting in its own register; then the
 * counts go to MMIO and the guest halts (the hlt carries a
 * trapped-instruction hook).
 *
 * Part 2 (guest_trap_spin): spins on cpuid, which the kernel handles
 * (no exit to userspace), until the VMM thread sets the flag at 0x9000;
 * then it reports its loop count on MMIO and halts.
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_quantum_start, guest_quantum_end, guest_trap_spin
guest_quantum_start:
1:	inc	%ebx
	jmp	2f
2:	inc	%esi
	dec	%ecx
	jnz	1b
	mov	$0x10000000, %edx	/* no moffs store: one encoding for every assembler */
	mov	%ebx, (%rdx)
	mov	%esi, 4(%rdx)
	hlt

guest_trap_spin:
	xor	%edi, %edi
3:	inc	%edi
	xor	%eax, %eax
	cpuid
	mov	$0x9000, %edx
	cmpl	$0, (%rdx)
	je	3b
	mov	$0x10000000, %edx
	mov	$1, %eax
	mov	%eax, 8(%rdx)
	hlt
guest_quantum_end:

	.section .note.GNU-stack, "", @progbits
