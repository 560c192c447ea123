/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-misuse: 64-bit code at 0x8000 that reports a counter on
 * port 0x10 forever, one KVM_RUN exit per value (the two threads that
 * call KVM_RUN on one vCPU at once each get one).
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_misuse_start, guest_misuse_end
guest_misuse_start:
	xor	%eax, %eax
1:	out	%al, $0x10
	inc	%eax
	jmp	1b
guest_misuse_end:

	.section .note.GNU-stack, "", @progbits
