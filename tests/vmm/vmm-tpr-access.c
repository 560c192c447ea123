// SPDX-License-Identifier: MIT
/*
 * vmm-tpr-access: KVM_TPR_ACCESS_REPORTING, the exits QEMU's kvmvapic
 * asks for to find the guest's TPR accesses.
 *
 * Checks: flags other than 0 are EINVAL and the struct is copied back;
 * with reporting on, each guest read or write of the TPR (xAPIC page,
 * x2APIC MSR 0x808) is a KVM_EXIT_TPR_ACCESS with the instruction's RIP
 * and is_write, the access itself done (the values read back: 0x30,
 * 0x40); with it off again the same guest makes none.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define PD3_GPA		0xa000
#define APIC_GPA	0xfee00000ull

extern const char guest_tpr_start[], guest_tpr_end[];

static void reporting(struct vmm *v, uint32_t enabled, uint32_t flags)
{
	struct kvm_tpr_access_ctl tac = { .enabled = enabled, .flags = flags };
	int r = ioctl(v->vcpu_fd, KVM_TPR_ACCESS_REPORTING, &tac);

	printf("KVM_TPR_ACCESS_REPORTING enabled %u flags %u: %d %s (enabled %u flags %u after)\n",
	       enabled, flags, r, r ? errno_name(errno) : "", tac.enabled, tac.flags);
}

/* The host's CPUID (x2APIC among it), as a VMM passes it on. */
static void set_cpuid(struct vmm *v)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 100 * sizeof(c->entries[0]));

	c->nent = 100;
	xioctl(v->kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
	xioctl(v->vcpu_fd, KVM_SET_CPUID2, c);
	free(c);
}

/* Map the 2 MiB page holding the xAPIC page (the fourth GiB). */
static void map_apic(char *ram)
{
	uint64_t *pdpt = (uint64_t *)(ram + PT_GPA + 0x1000);
	uint64_t *pd3 = (uint64_t *)(ram + PD3_GPA);

	pdpt[3] = PD3_GPA | PTE_P | PTE_RW | PTE_A;
	pd3[(APIC_GPA >> 21) & 511] = (APIC_GPA & ~0x1fffffull) | PTE_P | PTE_RW | PTE_A |
				      PTE_D | PTE_PS;
}

static void run_guest(struct vmm *v, char *ram)
{
	vmm_setup_long_mode(v, ram, PT_GPA, GDT_GPA);
	map_apic(ram);
	vmm_set_regs(v, CODE_GPA, STACK_TOP);
	for (int n = 0; n < 20; n++) {
		int r = vmm_run(v);

		if (r == KVM_EXIT_TPR_ACCESS) {
			printf("  TPR access: rip %#llx is_write %u\n",
			       (unsigned long long)v->run->tpr_access.rip, v->run->tpr_access.is_write);
			continue;
		}
		if (r != KVM_EXIT_MMIO || v->run->mmio.data[0] == 0xff)
			return;
	}
}

int main(void)
{
	struct vmm v;
	char *ram;

	printf("# vmm-tpr-access\n");
	vmm_open(&v);
	vmm_destroy_vm(&v);
	v.vm_fd = xioctl(v.kvm_fd, KVM_CREATE_VM, 0);
	xioctl(v.vm_fd, KVM_CREATE_IRQCHIP, 0);
	v.vcpu_fd = xioctl(v.vm_fd, KVM_CREATE_VCPU, 0);
	v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu_fd, 0);
	if (v.run == MAP_FAILED)
		fatal("mmap(vcpu): errno=%s", errno_name(errno));
	v.nr_runs = 0;
	set_cpuid(&v);
	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_tpr_start, guest_tpr_end);

	reporting(&v, 1, 1);
	reporting(&v, 1, 0);
	printf("reporting on:\n");
	run_guest(&v, ram);

	/* the APIC back to xAPIC mode for the second pass: off, then on */
	{
		struct {
			struct kvm_msrs hdr;
			struct kvm_msr_entry e;
		} msrs = { .hdr.nmsrs = 1, .e = { .index = 0x1b, .data = 0xfee00000 | (1u << 8) } };

		xioctl(v.vcpu_fd, KVM_SET_MSRS, &msrs);
		msrs.e.data |= 1u << 11;
		xioctl(v.vcpu_fd, KVM_SET_MSRS, &msrs);
	}
	reporting(&v, 0, 0);
	printf("reporting off:\n");
	run_guest(&v, ram);
	vmm_destroy_vm(&v);
	return 0;
}
