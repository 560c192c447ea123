/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-errno's invalid-sregs probes: enough to stop cleanly if
 * KVM does let the vCPU run.  Assembled as 64-bit code; in the other
 * modes a probe may land in, 0xf4 is still hlt.
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_hlt_start, guest_hlt_end
guest_hlt_start:
	hlt
	hlt
guest_hlt_end:

	.section .note.GNU-stack, "", @progbits
