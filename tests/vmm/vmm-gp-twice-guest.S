/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-gp-twice: two general-protection faults in a row, each
 * handled.  The #GP handler reports its error code on port 0x13 and
 * returns past the 2-byte `mov %ax, %ds` that faulted; a #DF handler
 * reports on port 0x08 (it must not run: the first #GP was handled).
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_gp_start, guest_gp_end, guest_gp_handler, guest_df_handler
guest_gp_start:
	mov	$0x1238, %ax		/* past the GDT's limit: #GP(0x1238) */
	mov	%ax, %ds
	mov	$0x2340, %ax		/* again: #GP(0x2340), not #DF */
	mov	%ax, %ds
	hlt
guest_gp_handler:
	pop	%rax			/* the error code */
	out	%eax, $0x13
	addq	$2, (%rsp)
	iretq
guest_df_handler:
	pop	%rax
	out	%eax, $0x08
	hlt
guest_gp_end:

	.section .note.GNU-stack, "", @progbits
