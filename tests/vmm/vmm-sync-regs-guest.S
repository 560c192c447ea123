/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-sync-regs: an `in` from port 0x10, then one more in
 * %rbx, forever (the loop of the selftests' sync_regs_test).
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_sync_start, guest_sync_end
guest_sync_start:
1:	in	$0x10, %al
	add	$1, %rbx
	jmp	1b
guest_sync_end:

	.section .note.GNU-stack, "", @progbits
