/* SPDX-License-Identifier: MIT */
/*
 * Guest for vmm-apf: never entered.  vmm-apf probes the async-PF uAPI
 * (capabilities, CPUID, MSRs through KVM_SET/GET_MSRS) from the host side.
 */
	.section .rodata.guest, "a"
	.code64
	.globl guest_apf_start, guest_apf_end
guest_apf_start:
	hlt
guest_apf_end:

	.section .note.GNU-stack, "", @progbits
