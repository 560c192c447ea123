// SPDX-License-Identifier: MIT
/*
 * vmm-apic-timer: the in-kernel LAPIC timer in periodic and TSC-deadline
 * modes, driven by a guest through the xAPIC page.
 *
 * Checks: KVM_CAP_TSC_DEADLINE_TIMER and KVM_CAP_X86_APIC_BUS_CYCLES_NS
 * (ENXIO without the irqchip, EINVAL for 0 and once a vCPU exists); a
 * guest with CPUID's TSC-deadline bit (set by this VMM, as QEMU does)
 * takes five 1 ms periodic ticks in `sti; hlt` (every HLT returns for
 * exactly one tick: KVM_RUN does not exit for HLT with the irqchip in
 * the kernel), and they take 5 ms of guest TSC; the stopped timer reads
 * LVTT/TMICT/TMCCT back; a 1 us period is stretched to 200 us (KVM's
 * min_timer_period_us: two periods take more than 300 us, allowing for
 * the host's wake-up jitter);
 * in TSC-deadline mode the interrupt comes at or after the deadline the
 * guest wrote to IA32_TSC_DEADLINE, which then reads 0, TMICT writes are
 * ignored, and a deadline already past fires at once; the register page
 * afterwards (KVM_GET_LAPIC).
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
#define PD3_GPA		0x10000		/* the 3-4 GiB page directory */
#define GDT_GPA		0x4000
#define IDT_GPA		0x5000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define RES_GPA		0x20000
#define APIC_GPA	0xfee00000ull
#define CAP_APIC_BUS_CYCLES_NS	237

extern const char guest_timer_start[], guest_timer_end[], guest_timer_tick[], guest_timer_dl[];

static uint32_t reg(const struct kvm_lapic_state *s, int off)
{
	uint32_t v;

	memcpy(&v, s->regs + off, sizeof(v));
	return v;
}

static void enable_cap(int fd, const char *what, uint64_t arg)
{
	struct kvm_enable_cap cap = { .cap = CAP_APIC_BUS_CYCLES_NS, .args = { arg } };
	int r = ioctl(fd, KVM_ENABLE_CAP, &cap);

	printf("KVM_ENABLE_CAP(APIC_BUS_CYCLES_NS, %llu) %s: %d %s\n", (unsigned long long)arg,
	       what, r, r ? errno_name(errno) : "");
}

static void check_caps(struct vmm *v)
{
	int vm;

	printf("KVM_CAP_TSC_DEADLINE_TIMER: %d\n",
	       ioctl(v->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER));
	printf("KVM_CAP_X86_APIC_BUS_CYCLES_NS: %d\n",
	       ioctl(v->kvm_fd, KVM_CHECK_EXTENSION, CAP_APIC_BUS_CYCLES_NS));
	vm = xioctl(v->kvm_fd, KVM_CREATE_VM, 0);
	enable_cap(vm, "without irqchip", 1);
	xioctl(vm, KVM_CREATE_IRQCHIP, 0);
	enable_cap(vm, "zero", 0);
	enable_cap(vm, "before a vCPU", 1);
	xioctl(vm, KVM_CREATE_VCPU, 0);
	enable_cap(vm, "after a vCPU", 1);
}

/* The host's CPUID, plus TSC-deadline (KVM emulates it, QEMU sets it). */
static void set_cpuid(struct vmm *v)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 100 * sizeof(c->entries[0]));

	c->nent = 100;
	xioctl(v->kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx |= 1u << 24;
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

static int isr_irr_empty(const struct kvm_lapic_state *s)
{
	for (int off = 0; off < 0x80; off += 0x10)
		if (reg(s, 0x100 + off) || reg(s, 0x200 + off))
			return 0;
	return 1;
}

static const char *yes(int b)
{
	return b ? "yes" : "no";
}

int main(void)
{
	char *ram = vmm_alloc(RAM_SIZE);
	uint64_t *res = (uint64_t *)(ram + RES_GPA);
	struct kvm_lapic_state s;
	struct kvm_sregs sregs;
	uint64_t khz;
	struct vmm v;
	int r;

	printf("# vmm-apic-timer\n");
	vmm_open(&v);
	vmm_destroy_vm(&v);
	check_caps(&v);

	v.vm_fd = xioctl(v.kvm_fd, KVM_CREATE_VM, 0);
	xioctl(v.vm_fd, KVM_CREATE_IRQCHIP, 0);
	v.vcpu_fd = xioctl(v.vm_fd, KVM_CREATE_VCPU, 0);
	v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu_fd, 0);
	if (v.run == MAP_FAILED)
		fatal("mmap(vcpu): errno=%s", errno_name(errno));
	v.nr_runs = 0;
	set_cpuid(&v);
	khz = xioctl(v.vcpu_fd, KVM_GET_TSC_KHZ, 0);

	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_timer_start, guest_timer_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	map_apic(ram);
	vmm_set_idt_gate(ram + IDT_GPA, 0x40,
			 CODE_GPA + (uint64_t)(guest_timer_tick - guest_timer_start));
	vmm_set_idt_gate(ram + IDT_GPA, 0x41,
			 CODE_GPA + (uint64_t)(guest_timer_dl - guest_timer_start));
	vmm_get_sregs(&v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;
	vmm_set_sregs(&v, &sregs);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	r = ioctl(v.vcpu_fd, KVM_RUN, 0);
	printf("KVM_RUN: %d %s exit %s", r, r ? errno_name(errno) : "",
	       exit_reason_name(v.run->exit_reason));
	if (v.run->exit_reason == KVM_EXIT_IO)
		printf(" port 0x%x", v.run->io.port);
	printf("\n");

	printf("periodic 1 ms: ticks %llu, HLTs returned %llu, took >= 4.9 ms: %s\n",
	       (unsigned long long)res[2], (unsigned long long)res[3],
	       yes((res[1] - res[0]) * 1000000 / khz >= 4900000));
	printf("stopped: LVTT 0x%llx TMICT %llu TMCCT %llu\n", (unsigned long long)res[4],
	       (unsigned long long)res[5], (unsigned long long)res[6]);
	printf("periodic 1 us: two periods took > 300 us (each stretched to 200 us): %s\n",
	       yes((res[8] - res[7]) * 1000000 / khz > 300000));
	printf("tsc-deadline: LVTT 0x%llx, interrupt at or after the deadline: %s, "
	       "IA32_TSC_DEADLINE then %llu, TMICT %llu, ticks with a past deadline %llu\n",
	       (unsigned long long)res[9], yes(res[11] >= res[10]),
	       (unsigned long long)res[12], (unsigned long long)res[13],
	       (unsigned long long)res[14]);

	xioctl(v.vcpu_fd, KVM_GET_LAPIC, &s);
	printf("lapic after: SVR 0x%x LVTT 0x%x TMICT %u TDCR 0x%x ISR/IRR empty: %s\n",
	       reg(&s, 0xf0), reg(&s, 0x320), reg(&s, 0x380), reg(&s, 0x3e0),
	       yes(isr_irr_empty(&s)));
	vmm_destroy_vm(&v);
	return 0;
}
