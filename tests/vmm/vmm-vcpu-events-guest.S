/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-vcpu-events: 64-bit code at 0x8000.  Progress is a byte
 * store to MMIO (an MMIO write exit).  Step 1 loads XMM0 from a constant
 * for KVM_GET_XSAVE; step 2 stores what KVM_SET_XSAVE put in XMM1 and
 * DR0 (`mov %dr0`) at DATA and DATA + 0x20; then it waits in a loop of MMIO
 * stores for events to come in.  Every handler (#UD, #MC, NMI, vector
 * 0x30) stores its vector and the RIP in its frame to MMIO + 0x10 and
 * + 0x18, then iretq.
 */
#define MMIO	0x10000000
#define DATA	0x9000

	.section .rodata.guest, "a"
	.code64
	.globl guest_events_start, guest_events_end
	.globl guest_events_ud, guest_events_mc, guest_events_nmi, guest_events_30
	.globl guest_events_const
guest_events_start:
	mov	$MMIO, %edi
	mov	$DATA, %esi
	mov	$(guest_events_const - guest_events_start + 0x8000), %eax
	movdqu	(%rax), %xmm0
	movb	$1, (%rdi)
	movdqu	%xmm1, (%rsi)
	mov	%dr0, %rax
	mov	%rax, 0x20(%rsi)
	movb	$2, (%rdi)
1:
	movb	$3, (%rdi)		/* waiting (a local label: one jmp size for every assembler) */
	jmp	1b

/* no jumps between handlers: GNU as and clang size them alike */
	.macro	handler vector
	push	%rax
	movq	$\vector, 0x10(%rdi)
	mov	8(%rsp), %rax		/* the frame's RIP */
	mov	%rax, 0x18(%rdi)
	pop	%rax
	iretq
	.endm

guest_events_ud:
	handler	6
guest_events_mc:
	handler	18
guest_events_nmi:
	handler	2
guest_events_30:
	handler	0x30

	.balign	16
guest_events_const:
	.quad	0x1122334455667788, 0x99aabbccddeeff00
guest_events_end:

	.section .note.GNU-stack, "", @progbits
