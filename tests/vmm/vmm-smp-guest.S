/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-smp: a boot vCPU in 64-bit mode starts two APs the way
 * firmware and Linux do (INIT to all but itself, then SIPI twice) and
 * exchanges IPIs with them, all in x2APIC mode.
 *
 * AP trampoline (copied to 0x9000, SIPI vector 9, real mode): x2APIC on,
 * SVR enabled, stack from its x2APIC ID, counts itself started and sets
 * its bit in a mask, then waits in `sti; hlt`.  Its IVT: vector 0x40
 * counts the IPI (per AP), EOIs and answers the BSP with vector 0x41;
 * vector 0x42 reports its ID with OUT to port 0xf0 and stops.
 *
 * BSP (0x8000): x2APIC on; INIT + SIPI + SIPI (shorthand all-but-self);
 * waits for both APs; IPI 0x40 to ID 1, then to ID 2 (physical), then to
 * logical cluster 0 bits 1-2, then to all-but-self, each time waiting in
 * `cli; check; sti; hlt` for the answers; a self-IPI (SELF_IPI MSR,
 * vector 0x43); vector 0x42 to all-but-self; OUT to port 0x10 ends it.
 */
#define DATA		0xf000
#define STARTED		(DATA + 0x00)	/* word: APs that ran their trampoline */
#define MASK		(DATA + 0x02)	/* word: bit per AP x2APIC ID */
#define COUNT		(DATA + 0x10)	/* word per x2APIC ID: 0x40 IPIs taken */
#define ANSWERS		(DATA + 0x20)	/* dword: answers the APs sent */
#define SELF		(DATA + 0x24)	/* dword: 0x43 self-IPIs */

	.section .rodata.guest, "a"
	.code16
	.globl guest_ap_start, guest_ap_ipi, guest_ap_exit, guest_ap_end
guest_ap_start:
	cli
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	$0x1b, %ecx		/* IA32_APIC_BASE: EN | EXTD */
	rdmsr
	or	$0xc00, %eax
	wrmsr
	mov	$0x80f, %ecx		/* SVR: enabled */
	mov	$0x1ff, %eax
	xor	%edx, %edx
	wrmsr
	mov	$0x802, %ecx		/* x2APIC ID */
	rdmsr
	mov	%ax, %si
	mov	%ax, %sp
	shl	$10, %sp
	add	$0xc000, %sp
	lock incw STARTED
	mov	%si, %cx
	mov	$1, %ax
	shl	%cl, %ax
	lock orw %ax, MASK
1:	sti
	hlt
	jmp	1b

guest_ap_ipi:
	push	%eax
	push	%ecx
	push	%edx
	push	%bx
	mov	%si, %bx
	shl	$1, %bx
	lock incw COUNT(%bx)
	lock incl ANSWERS
	mov	$0x80b, %ecx		/* EOI */
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	mov	$0x830, %ecx		/* ICR: fixed 0x41 to x2APIC ID 0 */
	mov	$0x41, %eax
	wrmsr
	pop	%bx
	pop	%edx
	pop	%ecx
	pop	%eax
	iret

guest_ap_exit:
	mov	%si, %ax
	mov	$0xf0, %dx
	out	%al, (%dx)
2:	cli
	hlt
	jmp	2b
guest_ap_end:

	.code64
	.globl guest_bsp_start, guest_bsp_reply, guest_bsp_self, guest_bsp_end
guest_bsp_start:
	mov	$0x1b, %ecx
	rdmsr
	or	$0xc00, %eax
	wrmsr
	mov	$0x80f, %ecx
	mov	$0x1ff, %eax
	xor	%edx, %edx
	wrmsr
	mov	$0x830, %ecx
	xor	%edx, %edx
	mov	$0xc4500, %eax		/* INIT, assert, all but self */
	wrmsr
	mov	$0xc4609, %eax		/* SIPI, vector 9: 0x9000 */
	wrmsr
	wrmsr
3:	pause
	cmpw	$2, STARTED
	jb	3b

	mov	$0x40, %eax		/* physical: ID 1 */
	mov	$1, %edx
	wrmsr
	mov	$1, %ebx
	call	wait_replies
	mov	$0x40, %eax		/* physical: ID 2 */
	mov	$2, %edx
	wrmsr
	mov	$2, %ebx
	call	wait_replies
	mov	$0x840, %eax		/* logical: cluster 0, IDs 1 and 2 */
	mov	$6, %edx
	wrmsr
	mov	$4, %ebx
	call	wait_replies
	mov	$0xc0040, %eax		/* all but self */
	xor	%edx, %edx
	wrmsr
	mov	$6, %ebx
	call	wait_replies
	mov	$0x83f, %ecx		/* SELF_IPI: vector 0x43 */
	mov	$0x43, %eax
	xor	%edx, %edx
	wrmsr
4:	cli
	cmpl	$1, SELF
	jae	5f
	sti
	hlt
	jmp	4b
5:	mov	$0x830, %ecx
	mov	$0xc0042, %eax		/* the APs report and stop */
	xor	%edx, %edx
	wrmsr
	mov	$0x10, %dx
	xor	%eax, %eax
	out	%al, (%dx)
6:	jmp	6b

/*
 * Wait with interrupts on until ANSWERS reaches %ebx.  Two answers may
 * arrive as one interrupt (the vector is already in IRR): the count is
 * in memory, the interrupt only wakes the HLT.
 */
wait_replies:
	cli
	cmp	%ebx, ANSWERS
	jae	7f
	sti
	hlt
	jmp	wait_replies
7:	ret

guest_bsp_reply:
	push	%rax
	push	%rcx
	push	%rdx
	mov	$0x80b, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq

guest_bsp_self:
	push	%rax
	push	%rcx
	push	%rdx
	lock incl SELF
	mov	$0x80b, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq
guest_bsp_end:

	.section .note.GNU-stack, "", @progbits
