/* SPDX-License-Identifier: MIT */
/* Guest for vmm-badinput: never run (the program checks ioctl errnos only). */
	.section .rodata.guest, "a"
	.code64
	.globl guest_bad_start, guest_bad_end
guest_bad_start:
	hlt
guest_bad_end:

	.section .note.GNU-stack, "", @progbits
