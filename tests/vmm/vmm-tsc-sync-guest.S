/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-tsc-sync: 64-bit code at 0x8000, run by two vCPUs in
 * turn: read the TSC into RAX and exit through OUT 0x10.
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_tsc_sync_start, guest_tsc_sync_end
guest_tsc_sync_start:
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	$0x10, %dx
	out	%al, (%dx)
	hlt
guest_tsc_sync_end:

	.section .note.GNU-stack, "", @progbits
