/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-guest-debug: one instruction or two per KVM_SET_GUEST_DEBUG
 * phase (labels are the addresses the VMM expects in the exits), then
 * #DB/#BP handlers that report the RIP they were entered for.
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_gd_start, guest_gd_end
	.globl gd_int3, gd_bp, gd_w, gd_w_end, gd_r_end, gd_ss, gd_dr, gd_dr_end
	.globl gd_db_handler, gd_bp_handler, gd_data, gd_tf
guest_gd_start:
gd_int3:
	int3
gd_bp:
	nop
	mov	$0x1234, %eax
gd_w:
	mov	%eax, gd_data(%rip)
gd_w_end:
	mov	gd_data(%rip), %ebx
gd_r_end:
gd_ss:
	xor	%eax, %eax
	cpuid
	out	%al, $0x10
	inc	%ecx
	nop
gd_dr:
	mov	%dr0, %rax
gd_dr_end:
	out	%al, $0x12
	hlt
	/* the guest's own single-step: TF set by popf traps after cpuid */
gd_tf:
	pushf
	orl	$0x100, (%rsp)
	popf
	cpuid
	nop
	hlt

	.balign	16
gd_db_handler:
	mov	(%rsp), %rbx
	mov	%dr6, %rcx
	mov	$1, %eax
	out	%al, $0x11
	hlt
gd_bp_handler:
	mov	(%rsp), %rbx
	mov	$3, %eax
	out	%al, $0x11
	hlt

	.balign	64
gd_data:
	.quad	0
guest_gd_end:

	.section .note.GNU-stack, "", @progbits
