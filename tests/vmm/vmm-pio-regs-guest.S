/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-pio-regs: 64-bit code at 0x8000.  Two OUTs to port 0x10
 * (0x11 then 0x22), an IN from port 0x11 whose result goes out on port
 * 0x12 with the rest of RAX in RBX, an OUT to port 0x7e, then hlt.
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_pio_start, guest_pio_end
guest_pio_start:
	mov	$0x11, %eax
	out	%al, $0x10
	mov	$0x22, %eax
	out	%al, $0x10
	mov	$0x1234, %eax
	in	$0x11, %al
	mov	%rax, %rbx
	out	%al, $0x12
	mov	$0x7e, %eax
	out	%ax, $0x7e
	hlt
guest_pio_end:

	.section .note.GNU-stack, "", @progbits
