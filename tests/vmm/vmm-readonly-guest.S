/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-readonly: 64-bit code at 0x8000 in RAM.  ROM
 * (0x600000) is a KVM_MEM_READONLY slot whose first bytes the VMM
 * filled; guest_rom_func is copied by the VMM to ROM + 0x1000 and called
 * there, i.e. executed from read-only memory.
 */
#define ROM	0x600000
#define DATA	0x200000

	.section .rodata.guest, "a"
	.code64
	.globl guest_ro_start, guest_ro_end
guest_ro_start:
	mov	$ROM, %ebx
	mov	$DATA, %edi

	/* reads see what the VMM put there */
	mov	(%rbx), %rax
	mov	%rax, (%rdi)
	out	%eax, $0x60

	/* writes exit as MMIO and must not change the slot */
	movb	$0xaa, (%rbx)
	movw	$0xbbcc, 0x10(%rbx)
	movl	$0xddeeff00, 0x20(%rbx)
	movabs	$0x1122334455667788, %rax
	mov	%rax, 0x28(%rbx)
	mov	(%rbx), %rax
	mov	%rax, 0x8(%rdi)
	out	%eax, $0x60

	/* read-modify-write: the read is served from the slot */
	incl	0x30(%rbx)
	mov	0x30(%rbx), %eax
	mov	%eax, 0x10(%rdi)

	/* code fetch from the read-only slot */
	call	*rom_func_ptr(%rip)
	mov	%rax, 0x18(%rdi)

	/* the VMM changes the ROM contents while we are halted */
	cmp	$0, %eax
	hlt
	mov	(%rbx), %rax
	mov	%rax, 0x20(%rdi)
	out	%eax, $0x60
	cmp	$1, %eax
	hlt
	.balign	8
rom_func_ptr:
	.quad	ROM + 0x1000
guest_ro_end:

	.globl guest_rom_func_start, guest_rom_func_end
guest_rom_func_start:
	mov	$0x600d, %eax
	out	%ax, $0x62
	ret
guest_rom_func_end:

	.section .note.GNU-stack, "", @progbits
