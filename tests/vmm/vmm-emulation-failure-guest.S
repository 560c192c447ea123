/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-emulation-failure: x87 loads and stores whose operand is
 * MMIO (no memslot at MMIO), which KVM's instruction emulator cannot run,
 * and an fnstcw there, which it can.  The #UD handler reports on port
 * 0x06 with `in` and returns past the 2-byte flds.
 */
#define MMIO	0x800000

	.section .rodata.guest, "a"
	.code64
	.globl guest_emul_start, guest_emul_end, guest_emul_ud
guest_emul_start:
	mov	$MMIO, %eax
	flds	(%rax)			/* d9 00: the #UD handler skips it */
	in	$0x10, %al
	flds	(%rax)			/* the VMM skips it with KVM_SET_REGS */
	in	$0x11, %al
	flds	(%rax)			/* with KVM_CAP_EXIT_ON_EMULATION_FAILURE */
	in	$0x12, %al
	mov	$MMIO + 8, %ebx
	fninit				/* FCW 0x37f, whatever the reset state */
	fnstcw	(%rbx)			/* d9 /7: emulated, an MMIO write of 2 bytes */
	hlt
guest_emul_ud:
	in	$0x06, %al
	addq	$2, (%rsp)
	iretq
guest_emul_end:

	.section .note.GNU-stack, "", @progbits
