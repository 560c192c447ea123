/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-cpl3: one snippet per privileged instruction, each run
 * at CPL 3 with IOPL 3 and no IDT.  A snippet whose instruction runs
 * reaches its OUT to port 0x80 (allowed at IOPL 3); one whose
 * instruction raises #GP(0) cannot deliver it: triple fault, SHUTDOWN.
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_cpl3_start, guest_cpl3_end
	.globl cpl3_nop, cpl3_rdmsr, cpl3_wrmsr, cpl3_mov_from_cr0, cpl3_mov_to_cr3
	.globl cpl3_mov_from_cr8, cpl3_invlpg, cpl3_clts, cpl3_hlt, cpl3_mov_from_dr7
	.globl cpl3_lmsw, cpl3_rdtsc
guest_cpl3_start:
cpl3_nop:
	nop
	out	%al, $0x80
cpl3_rdmsr:
	mov	$0x10, %ecx		/* IA32_TSC: exists */
	rdmsr
	xor	%eax, %eax
	out	%al, $0x80
cpl3_wrmsr:
	mov	$0xc0000102, %ecx	/* KERNEL_GS_BASE */
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	out	%al, $0x80
cpl3_mov_from_cr0:
	mov	%cr0, %rax
	xor	%eax, %eax
	out	%al, $0x80
cpl3_mov_to_cr3:
	mov	$0x1000, %eax
	mov	%rax, %cr3
	out	%al, $0x80
cpl3_mov_from_cr8:
	mov	%cr8, %rax
	out	%al, $0x80
cpl3_invlpg:
	invlpg	0x8000
	out	%al, $0x80
cpl3_clts:
	clts
	out	%al, $0x80
cpl3_hlt:
	hlt
	out	%al, $0x80
cpl3_mov_from_dr7:
	mov	%dr7, %rax
	out	%al, $0x80
cpl3_lmsw:
	mov	$0x33, %eax
	lmsw	%ax
	out	%al, $0x80
cpl3_rdtsc:				/* not privileged with CR4.TSD clear */
	rdtsc
	xor	%eax, %eax		/* the TSC is not the transcript's */
	out	%al, $0x80
guest_cpl3_end:

	.section .note.GNU-stack, "", @progbits
