/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-msr-filter: RDMSR/WRMSR the VMM's filter denies, that the
 * kernel does not know, that it refuses, and that it handles.  After each
 * access EDX:EAX goes to DATA + 8 * n.  The #GP handler reports on port
 * 0x0d (`in`) and returns past the 2-byte instruction.
 */
#define DATA	0x200000

	.section .rodata.guest, "a"
	.code64
	.globl guest_msr_start, guest_msr_end, guest_msr_gp
guest_msr_start:
	mov	$0xc0000084, %ecx	/* SFMASK: reads denied by the filter */
	xor	%eax, %eax
	xor	%edx, %edx
	rdmsr
	mov	%eax, DATA
	mov	%edx, DATA + 4
	mov	$0x1fc, %ecx		/* POWER_CTL: writes denied */
	mov	$0x1234, %eax
	xor	%edx, %edx
	wrmsr
	mov	$0x474f4f00, %ecx	/* no such MSR */
	xor	%eax, %eax
	xor	%edx, %edx
	rdmsr
	mov	%eax, DATA + 8
	mov	%edx, DATA + 12
	mov	$0x474f4f00, %ecx
	mov	$0x5678, %eax
	wrmsr
	mov	$0xc0000100, %ecx	/* FS_BASE, not canonical: refused */
	mov	$0x8000, %edx
	xor	%eax, %eax
	wrmsr
	mov	$0x1fc, %ecx		/* POWER_CTL: reads allowed, in the kernel */
	rdmsr
	mov	%eax, DATA + 16
	mov	%edx, DATA + 20
	mov	$0xc0000084, %ecx	/* SFMASK: writes allowed */
	mov	$0x700, %eax
	xor	%edx, %edx
	wrmsr
	hlt
guest_msr_gp:
	pop	%rax			/* the error code */
	in	$0x0d, %al
	addq	$2, (%rsp)
	iretq
guest_msr_end:

	.section .note.GNU-stack, "", @progbits
