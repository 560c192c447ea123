/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-string-io: 64-bit code, identity-mapped, entered in long
 * mode.  Each step records rCX and the distance rDI moved in DATA, then
 * reports with an `in` from port 0x10 (an IN exit reports RIP at the
 * instruction on every KVM; an OUT's differs on the PVM oracle).
 */
#define DATA	0x200000
#define BUF	0x201000

	.section .rodata.guest, "a"
	.code64
	.globl guest_string_io_start, guest_string_io_end
guest_string_io_start:
	cld
	/* 1: rep insb of 2, the VMM lowers rCX to 1 at the exit */
	mov	$BUF + 0x100, %edi
	mov	$2, %ecx
	mov	$0x80, %dx
	rep insb
	mov	%rcx, DATA
	lea	-(BUF + 0x100)(%rdi), %rax
	mov	%rax, DATA + 8
	in	$0x10, %al

	/* 2: rep insb of 3, the VMM raises rCX to 40 at the exit */
	mov	$BUF + 0x200, %edi
	mov	$3, %ecx
	rep insb
	mov	%rcx, DATA + 16
	lea	-(BUF + 0x200)(%rdi), %rax
	mov	%rax, DATA + 24
	in	$0x10, %al

	/* 3: rep insb of 40 from 16 bytes before a page end: split there */
	mov	$BUF + 0xff0, %edi
	mov	$40, %ecx
	rep insb
	mov	%rcx, DATA + 32
	in	$0x10, %al

	/* 4: rep insw of 6 downwards (EFLAGS.DF): element 0 at the top */
	std
	mov	$BUF + 0x400, %edi
	mov	$6, %ecx
	rep insw
	cld
	mov	%rcx, DATA + 40
	lea	-(BUF + 0x400)(%rdi), %rax
	mov	%rax, DATA + 48
	in	$0x10, %al

	/* 5: in to %al; the VMM rewrites rAX, RIP unchanged: merged into it */
	movabs	$0x1122334455667788, %rax
	in	$0x21, %al
	mov	%rax, DATA + 72
	/* 6: in to %al; the VMM moves RIP past it: no completion */
	movabs	$0x1122334455667788, %rax
	in	$0x21, %al
	mov	%rax, DATA + 80
	hlt
guest_string_io_end:

	.section .note.GNU-stack, "", @progbits
