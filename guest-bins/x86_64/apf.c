// SPDX-License-Identifier: MIT
/*
 * apf: a guest that takes x86 paravirtual async page faults the way
 * Linux's arch/x86/kernel/kvm.c does, reduced to one task.
 *
 * Set-up: CPUID's KVM leaf must offer ASYNC_PF_INT; x2APIC on and
 * software-enabled, MSR_KVM_ASYNC_PF_INT = APF_VECTOR, MSR_KVM_ASYNC_PF_EN
 * = area | ENABLED | SEND_ALWAYS (we run at CPL 0) | DELIVERY_AS_INT, and
 * SEND_ERROR when CPUID offers seed 001's ASYNC_PF_ERROR (bit 15).
 * KVM answers the enable with a broadcast 'page ready' (token ~0).
 *
 * 'Page not present' is a #PF with error code 0, the token in CR2 and
 * KVM_PV_REASON_PAGE_NOT_PRESENT in the area's flags: the handler clears
 * the flags and waits (sti; hlt) until 'page ready' brings that token,
 * then returns and the access is retried.  'Page ready' is the interrupt:
 * the handler takes the token (and seed 001's ready_flags), clears the
 * token (the slot is free again), EOIs and writes MSR_KVM_ASYNC_PF_ACK.
 * A 'page error' for the awaited token makes the #PF handler skip the
 * access and report it (APF_SYNC_PAGE_ERROR), as Linux would SIGBUS the
 * task.  Only the first few events are printed: under the 2020 bug the
 * refaults never end.
 */
#include "guest.h"

#define MSR_IA32_APICBASE	0x1b
#define APIC_BASE_EXTD		(1ull << 10)
#define APIC_BASE_ENABLE	(1ull << 11)
#define X2APIC_EOI		0x80b
#define X2APIC_SPIV		0x80f
#define MSR_KVM_ASYNC_PF_EN	0x4b564d02
#define MSR_KVM_ASYNC_PF_INT	0x4b564d06
#define MSR_KVM_ASYNC_PF_ACK	0x4b564d07
#define KVM_ASYNC_PF_ENABLED		(1u << 0)
#define KVM_ASYNC_PF_SEND_ALWAYS	(1u << 1)
#define KVM_ASYNC_PF_DELIVERY_AS_INT	(1u << 3)
#define KVM_ASYNC_PF_SEND_ERROR		(1u << 4)
#define KVM_PV_REASON_PAGE_NOT_PRESENT	1
#define KVM_PV_REASON_PAGE_ERROR	1
#define PRINT_EVENTS			3
#define KVM_CPUID_SIGNATURE		0x40000000
#define KVM_CPUID_FEATURES		0x40000001
#define KVM_FEATURE_ASYNC_PF_INT	14
#define KVM_FEATURE_ASYNC_PF_ERROR	15	/* seed 001 */

struct apf_data {
	volatile u32 flags;
	volatile u32 token;
	volatile u32 ready_flags;
	u8 pad[52];
};

static struct apf_data *apf;
static volatile u32 awaited;		/* token the #PF handler waits for */
static volatile bool arrived, failed;
static volatile u64 skip_rip;
static unsigned int nr_not_present, nr_ready, nr_error;

static void apf_ready_handler(struct ex_frame *f)
{
	u32 token = apf->token;
	bool error = apf->ready_flags & KVM_PV_REASON_PAGE_ERROR;

	apf->ready_flags = 0;
	apf->token = 0;
	wrmsr(X2APIC_EOI, 0);
	if (error ? ++nr_error <= PRINT_EVENTS : ++nr_ready <= PRINT_EVENTS)
		guest_printf("guest: page %s, token 0x%x%s\n", error ? "error" : "ready",
			     token, token == ~0u ? " (broadcast)" : "");
	if (token == awaited) {
		arrived = true;
		failed = error;
	}
	wrmsr(MSR_KVM_ASYNC_PF_ACK, 1);
}

/* kvm_async_pf_task_wait_schedule with nothing else to run: halt. */
static void apf_pf_handler(struct ex_frame *f)
{
	u32 flags = apf->flags;
	u32 token = (u32)read_cr2();

	if (!(flags & KVM_PV_REASON_PAGE_NOT_PRESENT))
		guest_abort(__FILE_NAME__, __LINE__, "#PF at rip 0x%lx cr2 0x%lx error 0x%lx",
			    f->rip, read_cr2(), f->error_code);
	apf->flags = 0;
	if (++nr_not_present <= PRINT_EVENTS)
		guest_printf("guest: page not present, token 0x%x, error code 0x%lx\n",
			     token, f->error_code);
	awaited = token;
	arrived = false;
	while (!arrived)
		safe_halt();
	irq_disable();
	awaited = 0;
	if (failed) {
		guest_sync(APF_SYNC_PAGE_ERROR, token, 0, 0, 0, 0);
		f->rip = skip_rip;
	}
}

static u32 kvm_cpuid_features(void)
{
	u32 eax, ebx, ecx, edx;

	asm volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx)
		     : "a"(KVM_CPUID_SIGNATURE), "c"(0));
	if (ebx != 0x4b4d564b || ecx != 0x564b4d56 || edx != 0x4d || eax < KVM_CPUID_FEATURES)
		return 0;
	asm volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx)
		     : "a"(KVM_CPUID_FEATURES), "c"(0));
	return eax;
}

static void apf_enable(u64 area)
{
	u64 en = area | KVM_ASYNC_PF_ENABLED | KVM_ASYNC_PF_SEND_ALWAYS |
		 KVM_ASYNC_PF_DELIVERY_AS_INT;
	u32 features = kvm_cpuid_features();

	/* kvm_guest_cpu_init: interrupt-based 'page ready' or nothing */
	GUEST_ASSERT(features & (1u << KVM_FEATURE_ASYNC_PF_INT));
	if (features & (1u << KVM_FEATURE_ASYNC_PF_ERROR))
		en |= KVM_ASYNC_PF_SEND_ERROR;
	apf = (struct apf_data *)area;
	guest_install_handler(VEC_PF, apf_pf_handler);
	guest_install_irq_handler(APF_VECTOR, apf_ready_handler);
	wrmsr(MSR_IA32_APICBASE, rdmsr(MSR_IA32_APICBASE) | APIC_BASE_ENABLE | APIC_BASE_EXTD);
	wrmsr(X2APIC_SPIV, 0x1ff);
	wrmsr(MSR_KVM_ASYNC_PF_INT, APF_VECTOR);
	wrmsr(MSR_KVM_ASYNC_PF_EN, en);
	guest_sync(APF_SYNC_ENABLED, rdmsr(MSR_KVM_ASYNC_PF_EN), 0, 0, 0, 0);
	/* the broadcast wakeup KVM queued on enable */
	safe_halt();
}

/*
 * Read a qword; if the #PF handler is told 'page error' it resumes at
 * label 1 with the destination still holding dflt.
 */
static u64 read64_or_skip(u64 gva, u64 dflt)
{
	u64 v = dflt;

	asm volatile("lea 1f(%%rip), %%rax\n\t"
		     "movq %%rax, %[skip]\n\t"
		     "movq (%[addr]), %[v]\n"
		     "1:"
		     : [v] "+r"(v), [skip] "=m"(skip_rip)
		     : [addr] "r"(gva)
		     : "rax", "memory");
	return v;
}

void guest_main(u64 mode, u64 page, u64 area, u64 mmio, u64 a4, u64 a5)
{
	u64 v;

	apf_enable(area);
	if (mode == APF_MODE_TOUCH) {
		v = read64_or_skip(page, 0xdeadbeefull);
		guest_sync(APF_SYNC_TOUCHED, v, nr_not_present, nr_ready, nr_error, 0);
		return;
	}
	GUEST_ASSERT_EQ(mode, APF_MODE_CLOBBER);
	guest_sync(1, 0, 0, 0, 0, 0);
	/* no exit between the two: the MMIO exit lands in the same KVM_RUN */
	*(volatile u64 *)page = 0x1234;
	*(volatile u64 *)mmio = 0x5678;
	guest_sync(APF_SYNC_TOUCHED, *(volatile u64 *)page, nr_not_present, nr_ready,
		   nr_error, 0);
}
