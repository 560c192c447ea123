/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-host-tsc: 64-bit code at 0x8000: read the TSC into RAX
 * and exit through OUT 0x10, forever (one read per KVM_RUN).
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_host_tsc_start, guest_host_tsc_end
guest_host_tsc_start:
1:	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	$0x10, %dx
	out	%al, (%dx)
	jmp	1b
guest_host_tsc_end:

	.section .note.GNU-stack, "", @progbits
