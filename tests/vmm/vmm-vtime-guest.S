/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-vtime: 64-bit code at 0x8000.  The page at RES (r15)
 * holds the VMM's inputs and the guest's results, 8 bytes each:
 *   RES+0x00	in:  TSC ticks of the spin in phase 2 (50 ms at KVM_GET_TSC_KHZ)
 *   RES+0x08	in:  the flag a VMM thread sets after its sleep (phase 1)
 *   RES+0x10	out: TSC before the VMM thread starts
 *   RES+0x18	out: TSC when the guest saw the flag
 *   RES+0x20	out: TSC reads while waiting for the flag
 *   RES+0x28	out: TSC when the 50 ms spin began
 *   RES+0x30	out: TSC when it ended
 *   RES+0x38	out: TSC reads in the spin
 *
 *   phase 1: read the TSC, OUT 0x10 (the VMM starts a thread that sleeps
 *	20 ms and then sets the flag), then spin on RDTSC until the flag is
 *	set, as xapic_ipi_test's sender waits for the halter with a TSC
 *	timeout; OUT 0x11
 *   phase 2: a udelay loop: spin on RDTSC until 50 ms of TSC passed,
 *	OUT 0x12
 *   phase 3: read MMIO (no memslot) until the VMM answers non-zero, as a
 *	driver polls a status register; OUT 0x13
 */
#define RES	0x20000
#define MMIO	0x1000000	/* no memslot: MMIO exits */

	.section .rodata.guest, "a"
	.code64
	.globl guest_vtime_start, guest_vtime_end
guest_vtime_start:
	mov	$RES, %r15d
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, 0x10(%r15)
	mov	$0x10, %dx
	out	%al, (%dx)
	xor	%ecx, %ecx
1:	inc	%rcx
	rdtsc
	cmpq	$0, 0x08(%r15)
	je	1b
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, 0x18(%r15)
	mov	%rcx, 0x20(%r15)
	mov	$0x11, %dx
	out	%al, (%dx)

	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, %rsi		/* start */
	mov	%rax, 0x28(%r15)
	xor	%ecx, %ecx
2:	inc	%rcx
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	sub	%rsi, %rax
	cmp	0x00(%r15), %rax
	jb	2b
	mov	%rcx, 0x38(%r15)
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, 0x30(%r15)
	mov	$0x12, %dx
	out	%al, (%dx)

	mov	$MMIO, %ebx
3:	mov	(%rbx), %rax
	test	%rax, %rax
	jz	3b
	mov	$0x13, %dx
	out	%al, (%dx)
	hlt
guest_vtime_end:

	.section .note.GNU-stack, "", @progbits
