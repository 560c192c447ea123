/* SPDX-License-Identifier: MIT */
/* Guest for vmm-x86-state: one KVM_RUN in real mode that halts. */
	.section .rodata.guest, "a"
	.code16
	.globl guest_state_start, guest_state_end
guest_state_start:
	hlt
	hlt
guest_state_end:

	.section .note.GNU-stack, "", @progbits
