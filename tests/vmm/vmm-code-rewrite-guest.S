/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-code-rewrite: 64-bit code at CODE_GPA that the VMM edits
 * between KVM_RUNs.  Offsets matter: the VMM patches the immediate at
 * +1 and replaces the `out` at +2 with two nops.
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_rewrite_start, guest_rewrite_end
guest_rewrite_start:
1:	mov	$0x11, %al		/* +0: b0 11 */
	out	%al, $0x10		/* +2: e6 10 */
	inc	%bl
	cmp	$8, %bl
	jne	1b
	hlt
guest_rewrite_end:

	.section .note.GNU-stack, "", @progbits
