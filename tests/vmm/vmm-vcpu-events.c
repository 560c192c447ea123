// SPDX-License-Identifier: MIT
/*
 * vmm-vcpu-events: the vCPU state QEMU saves and restores around runs
 * (and requires since QEMU 8): KVM_GET/SET_XSAVE, KVM_GET/SET_DEBUGREGS,
 * KVM_GET/SET_VCPU_EVENTS and the machine-check ioctls.
 *
 * Checks, in long mode with an IDT: KVM_GET_XSAVE shows the x87 state
 * (FCW 0x37f, nothing used) and the XMM0 the guest loaded, with
 * XSTATE_BV's SSE bit only; KVM_SET_XSAVE's XMM1 is what the guest then
 * stores, its MXCSR reads back, its ST(0) is dropped while XSTATE_BV's FP
 * bit is clear and kept (with its tag) once it is set; an unknown
 * XSTATE_BV bit, a non-zero XCOMP_BV and a reserved MXCSR bit are EINVAL.
 * (No x87 or LDMXCSR in the guest: this host's KVM, kvm_pvm, fails to
 * emulate them.)  KVM_GET_DEBUGREGS after reset (DR6 0xffff0ff0,
 * DR7 0x400), EINVAL for flags and the upper halves of DR6/DR7, and DR0
 * set by KVM_SET_DEBUGREGS read by the guest's `mov %dr0`.
 * KVM_GET_VCPU_EVENTS' flags; SET's EINVAL cases (unknown flag, payload
 * and triple-fault without their capabilities, exception vector 2 or 32);
 * an exception (#UD) and an interrupt (0x30) set as injected are
 * delivered at the next entry through the guest's IDT with the frame at
 * the interrupted RIP, and read back as injected before it; NMIs pending
 * are capped at 2 (1 while NMIs are masked); one NMI set pending is
 * delivered; an interrupt shadow set reads back.  Machine checks:
 * KVM_CAP_MCE's bank count, the supported MCG_CAP, SETUP_MCE's EINVAL
 * cases and the MCG_CAP/MCG_CTL/MC0_CTL MSRs it leaves; SET_MCE's EINVAL
 * cases, a corrected error logged in MC1_STATUS (OVER on the second), an
 * uncorrected one delivered as #MC (CR4.MCE=1) with MCG_STATUS set, and a
 * second one while MCIP is set shutting the guest down (KVM_EXIT_SHUTDOWN).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define IDT_GPA		0x5000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define DATA_GPA	0x9000

#define CR4_MCE		(1ULL << 6)
#define CR4_OSFXSR	(1ULL << 9)
#define CR4_OSXMMEXCPT	(1ULL << 10)

#define MSR_IA32_MCG_CAP	0x179
#define MSR_IA32_MCG_STATUS	0x17a
#define MSR_IA32_MCG_CTL	0x17b
#define MSR_IA32_MC0_CTL	0x400
#define MCG_CTL_P		(1ULL << 8)
#define MCG_SER_P		(1ULL << 24)
#define MCG_STATUS_RIPV		(1ULL << 0)
#define MCG_STATUS_MCIP		(1ULL << 2)
#define MCI_STATUS_VAL		(1ULL << 63)
#define MCI_STATUS_UC		(1ULL << 61)
#define MCI_STATUS_EN		(1ULL << 60)
#define MCI_STATUS_PCC		(1ULL << 57)

extern const char guest_events_start[], guest_events_end[];
extern const char guest_events_ud[], guest_events_mc[], guest_events_nmi[], guest_events_30[];

static char *ram;

static uint64_t guest_addr(const char *sym)
{
	return CODE_GPA + (uint64_t)(sym - guest_events_start);
}

static void result(const char *what, int r)
{
	printf("%s: %d %s\n", what, r, r < 0 ? errno_name(errno) : "");
}

/* ---- XSAVE ---- */

static void print_xsave(const struct kvm_xsave *xs)
{
	const uint8_t *p = (const uint8_t *)xs->region;
	uint64_t q[2], bv;
	uint32_t mxcsr;
	uint16_t fcw, fsw;

	memcpy(&fcw, p, 2);
	memcpy(&fsw, p + 2, 2);
	memcpy(&mxcsr, p + 24, 4);
	memcpy(&bv, p + 512, 8);
	printf("  fcw=0x%x fsw=0x%x ftw=0x%02x mxcsr=0x%x xstate_bv&3=%llu\n", fcw, fsw,
	       p[4], mxcsr, (unsigned long long)(bv & 3));
	printf("  st0=");
	print_hex(p + 32, 10);
	memcpy(q, p + 160, 16);
	printf(" xmm0=%016llx%016llx", (unsigned long long)q[1], (unsigned long long)q[0]);
	memcpy(q, p + 176, 16);
	printf(" xmm1=%016llx%016llx\n", (unsigned long long)q[1], (unsigned long long)q[0]);
}

static void set_xsave(struct vmm *v, struct kvm_xsave *xs, const char *what)
{
	result(what, ioctl(v->vcpu_fd, KVM_SET_XSAVE, xs));
}

static void check_xsave(struct vmm *v)
{
	static struct kvm_xsave xs, bad;
	uint8_t *p = (uint8_t *)xs.region;
	const uint64_t xmm1[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };
	const uint8_t two[10] = { 0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0x40 };	/* 2.0 */
	uint32_t mxcsr = 0x1f80 | (1u << 15);	/* FZ */
	uint64_t q;

	printf("## XSAVE\n");
	xioctl(v->vcpu_fd, KVM_GET_XSAVE, &xs);
	print_xsave(&xs);
	memcpy(p + 176, xmm1, 16);
	memcpy(p + 24, &mxcsr, 4);
	memcpy(p + 32, two, 10);
	bad = xs;
	q = 1ULL << 62;
	memcpy((uint8_t *)bad.region + 512, &q, 8);
	set_xsave(v, &bad, "KVM_SET_XSAVE XSTATE_BV bit 62");
	bad = xs;
	q = 3 | 1ULL << 63;
	memcpy((uint8_t *)bad.region + 520, &q, 8);
	set_xsave(v, &bad, "KVM_SET_XSAVE XCOMP_BV compacted");
	bad = xs;
	mxcsr = 1u << 16;
	memcpy((uint8_t *)bad.region + 24, &mxcsr, 4);
	set_xsave(v, &bad, "KVM_SET_XSAVE MXCSR bit 16");
	/* XSTATE_BV's FP bit is clear: x87 takes its initial state, ST(0) is dropped */
	set_xsave(v, &xs, "KVM_SET_XSAVE");
	xioctl(v->vcpu_fd, KVM_GET_XSAVE, &xs);
	print_xsave(&xs);
	/* now with FP: ST(0) = 2.0, its tag (TOP 0: physical register 0) used */
	q = 3;
	memcpy(p + 512, &q, 8);
	memcpy(p + 32, two, 10);
	p[4] = 0x01;
	set_xsave(v, &xs, "KVM_SET_XSAVE with FP");
	xioctl(v->vcpu_fd, KVM_GET_XSAVE, &xs);
	print_xsave(&xs);
}

/* ---- debug registers ---- */

static void print_debugregs(struct vmm *v)
{
	struct kvm_debugregs d;

	xioctl(v->vcpu_fd, KVM_GET_DEBUGREGS, &d);
	printf("  db=%llx,%llx,%llx,%llx dr6=0x%llx dr7=0x%llx flags=%llu\n",
	       (unsigned long long)d.db[0], (unsigned long long)d.db[1],
	       (unsigned long long)d.db[2], (unsigned long long)d.db[3],
	       (unsigned long long)d.dr6, (unsigned long long)d.dr7,
	       (unsigned long long)d.flags);
}

static void check_debugregs(struct vmm *v)
{
	struct kvm_debugregs d;

	printf("## DEBUGREGS\n");
	print_debugregs(v);
	xioctl(v->vcpu_fd, KVM_GET_DEBUGREGS, &d);
	d.flags = 1;
	result("KVM_SET_DEBUGREGS flags=1", ioctl(v->vcpu_fd, KVM_SET_DEBUGREGS, &d));
	d.flags = 0;
	d.dr6 |= 1ULL << 32;
	result("KVM_SET_DEBUGREGS dr6 bit 32", ioctl(v->vcpu_fd, KVM_SET_DEBUGREGS, &d));
	d.dr6 &= 0xffffffff;
	d.dr7 |= 1ULL << 40;
	result("KVM_SET_DEBUGREGS dr7 bit 40", ioctl(v->vcpu_fd, KVM_SET_DEBUGREGS, &d));
	d.dr7 &= 0xffffffff;
	d.db[0] = 0x123000;
	d.db[3] = 0xabc000;
	result("KVM_SET_DEBUGREGS", ioctl(v->vcpu_fd, KVM_SET_DEBUGREGS, &d));
	print_debugregs(v);
}

/* ---- vCPU events ---- */

static void print_events(struct vmm *v)
{
	struct kvm_vcpu_events e;

	xioctl(v->vcpu_fd, KVM_GET_VCPU_EVENTS, &e);
	printf("  exception: injected=%u pending=%u", e.exception.injected, e.exception.pending);
	if (e.exception.injected)
		printf(" nr=%u has_error_code=%u error_code=0x%x", e.exception.nr,
		       e.exception.has_error_code, e.exception.error_code);
	printf(" interrupt: injected=%u", e.interrupt.injected);
	if (e.interrupt.injected)
		printf(" nr=0x%x", e.interrupt.nr);
	printf(" shadow=%u\n", !!e.interrupt.shadow);
	printf("  nmi: injected=%u pending=%u masked=%u flags=0x%x\n", e.nmi.injected,
	       e.nmi.pending, e.nmi.masked, e.flags & ~KVM_VCPUEVENT_VALID_SMM);
}

static int set_events(struct vmm *v, const struct kvm_vcpu_events *e, const char *what)
{
	int r = ioctl(v->vcpu_fd, KVM_SET_VCPU_EVENTS, e);

	result(what, r);
	return r;
}

static void check_events_einval(struct vmm *v)
{
	struct kvm_vcpu_events e;

	memset(&e, 0, sizeof(e));
	e.flags = 0x40;
	set_events(v, &e, "KVM_SET_VCPU_EVENTS flags=0x40");
	e.flags = KVM_VCPUEVENT_VALID_PAYLOAD;
	set_events(v, &e, "KVM_SET_VCPU_EVENTS VALID_PAYLOAD");
	e.flags = KVM_VCPUEVENT_VALID_TRIPLE_FAULT;
	set_events(v, &e, "KVM_SET_VCPU_EVENTS VALID_TRIPLE_FAULT");
	e.flags = 0;
	e.exception.injected = 1;
	e.exception.nr = 2;
	set_events(v, &e, "KVM_SET_VCPU_EVENTS exception 2");
	e.exception.nr = 32;
	set_events(v, &e, "KVM_SET_VCPU_EVENTS exception 32");
}

static void check_nmis(struct vmm *v)
{
	struct kvm_vcpu_events e;

	memset(&e, 0, sizeof(e));
	e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	e.nmi.pending = 5;
	set_events(v, &e, "KVM_SET_VCPU_EVENTS nmi.pending=5");
	print_events(v);
	e.nmi.masked = 1;
	set_events(v, &e, "KVM_SET_VCPU_EVENTS nmi.pending=5 masked");
	print_events(v);
	e.nmi.masked = 0;
	e.nmi.pending = 0;
	e.flags |= KVM_VCPUEVENT_VALID_SHADOW;
	e.interrupt.shadow = KVM_X86_SHADOW_INT_STI;
	set_events(v, &e, "KVM_SET_VCPU_EVENTS shadow=STI");
	print_events(v);
	e.interrupt.shadow = 0;
	set_events(v, &e, "KVM_SET_VCPU_EVENTS shadow=0");
}

/* run until the guest reports step 3 (waiting) */
static void run_to_wait(struct vmm *v)
{
	for (int n = 0; n < 10; n++) {
		int r = vmm_run(v);

		if (r != KVM_EXIT_MMIO)
			fatal("expected an MMIO exit, got %d", r);
		if (v->run->mmio.len == 1 && v->run->mmio.data[0] == 3)
			return;
	}
	fatal("the guest never got back to its wait loop");
}

static void check_injection(struct vmm *v)
{
	struct kvm_vcpu_events e;

	printf("## injected events\n");
	xioctl(v->vcpu_fd, KVM_GET_VCPU_EVENTS, &e);
	e.flags = 0;
	e.exception.injected = 1;
	e.exception.nr = 6;
	e.exception.has_error_code = 0;
	set_events(v, &e, "KVM_SET_VCPU_EVENTS exception 6 injected");
	print_events(v);
	run_to_wait(v);
	print_events(v);
	e.exception.injected = 0;
	e.interrupt.injected = 1;
	e.interrupt.nr = 0x30;
	set_events(v, &e, "KVM_SET_VCPU_EVENTS interrupt 0x30 injected");
	print_events(v);
	run_to_wait(v);
	e.interrupt.injected = 0;
	e.flags = KVM_VCPUEVENT_VALID_NMI_PENDING;
	e.nmi.pending = 1;
	set_events(v, &e, "KVM_SET_VCPU_EVENTS nmi.pending=1");
	print_events(v);
	run_to_wait(v);
	print_events(v);
}

/* ---- machine checks ---- */

static void print_msrs(struct vmm *v, const uint32_t *idx, int n)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[8];
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = n;
	for (int i = 0; i < n; i++)
		m.e[i].index = idx[i];
	if (ioctl(v->vcpu_fd, KVM_GET_MSRS, &m) != n)
		fatal("KVM_GET_MSRS: errno=%s", errno_name(errno));
	for (int i = 0; i < n; i++)
		printf("  msr 0x%x = 0x%llx\n", idx[i], (unsigned long long)m.e[i].data);
}

static void set_mce(struct vmm *v, int bank, uint64_t status, uint64_t mcg_status,
		    const char *what)
{
	struct kvm_x86_mce m = {
		.status = status, .addr = 0x1000, .misc = 0, .mcg_status = mcg_status,
		.bank = bank,
	};

	result(what, ioctl(v->vcpu_fd, KVM_X86_SET_MCE, &m));
}

static void setup_mce(struct vmm *v, uint64_t cap, const char *what)
{
	result(what, ioctl(v->vcpu_fd, KVM_X86_SETUP_MCE, &cap));
}

static void check_mce(struct vmm *v)
{
	static const uint32_t setup_msrs[] = {
		MSR_IA32_MCG_CAP, MSR_IA32_MCG_CTL, MSR_IA32_MC0_CTL, MSR_IA32_MC0_CTL + 4 * 9,
	};
	static const uint32_t bank1[] = { MSR_IA32_MC0_CTL + 5, MSR_IA32_MC0_CTL + 6 };
	static const uint32_t mcg[] = { MSR_IA32_MCG_STATUS, MSR_IA32_MC0_CTL + 5 };
	const uint64_t ce = MCI_STATUS_VAL | MCI_STATUS_EN | 0x17;
	const uint64_t uc = MCI_STATUS_VAL | MCI_STATUS_UC | MCI_STATUS_EN | MCI_STATUS_PCC;
	uint64_t supported = 0;
	struct kvm_sregs sregs;

	printf("## machine checks\n");
	printf("KVM_CAP_MCE: %d\n", ioctl(v->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MCE));
	xioctl(v->kvm_fd, KVM_X86_GET_MCE_CAP_SUPPORTED, &supported);
	printf("KVM_X86_GET_MCE_CAP_SUPPORTED: 0x%llx\n", (unsigned long long)supported);
	setup_mce(v, MCG_CTL_P, "KVM_X86_SETUP_MCE 0 banks");
	setup_mce(v, 33 | MCG_CTL_P, "KVM_X86_SETUP_MCE 33 banks");
	setup_mce(v, 10 | (1ULL << 40), "KVM_X86_SETUP_MCE bit 40");
	setup_mce(v, 10 | MCG_CTL_P | MCG_SER_P, "KVM_X86_SETUP_MCE 10 banks");
	print_msrs(v, setup_msrs, 4);
	set_mce(v, 10, ce, 0, "KVM_X86_SET_MCE bank 10");
	set_mce(v, 1, ce & ~MCI_STATUS_VAL, 0, "KVM_X86_SET_MCE without VAL");
	set_mce(v, 1, ce, 0, "KVM_X86_SET_MCE corrected");
	print_msrs(v, bank1, 2);
	set_mce(v, 1, ce, 0, "KVM_X86_SET_MCE corrected again");
	print_msrs(v, bank1, 2);
	vmm_get_sregs(v, &sregs);
	sregs.cr4 |= CR4_MCE;
	vmm_set_sregs(v, &sregs);
	set_mce(v, 1, uc, MCG_STATUS_RIPV | MCG_STATUS_MCIP, "KVM_X86_SET_MCE uncorrected");
	print_events(v);
	run_to_wait(v);
	print_msrs(v, mcg, 2);
	/* MCIP still set: a second machine check is a shutdown */
	set_mce(v, 2, uc, MCG_STATUS_RIPV | MCG_STATUS_MCIP, "KVM_X86_SET_MCE while MCIP");
	if (vmm_run(v) != KVM_EXIT_SHUTDOWN)
		fatal("expected KVM_EXIT_SHUTDOWN");
}

static void setup_guest(struct vmm *v)
{
	struct kvm_sregs sregs;

	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_events_start, guest_events_end);
	vmm_setup_long_mode(v, ram, PT_GPA, GDT_GPA);
	vmm_set_idt_gate(ram + IDT_GPA, 2, guest_addr(guest_events_nmi));
	vmm_set_idt_gate(ram + IDT_GPA, 6, guest_addr(guest_events_ud));
	vmm_set_idt_gate(ram + IDT_GPA, 18, guest_addr(guest_events_mc));
	vmm_set_idt_gate(ram + IDT_GPA, 0x30, guest_addr(guest_events_30));
	vmm_get_sregs(v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;
	sregs.cr4 |= CR4_OSFXSR | CR4_OSXMMEXCPT;
	vmm_set_sregs(v, &sregs);
	vmm_set_regs(v, CODE_GPA, STACK_TOP);
}

int main(void)
{
	struct vmm v;
	uint64_t data[5];

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# vmm-vcpu-events\n");
	vmm_open(&v);
	printf("caps: VCPU_EVENTS=%d DEBUGREGS=%d XSAVE=%d\n",
	       ioctl(v.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_EVENTS),
	       ioctl(v.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DEBUGREGS),
	       ioctl(v.kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE));
	setup_guest(&v);
	printf("## fresh vCPU\n");
	print_events(&v);
	check_events_einval(&v);
	check_nmis(&v);
	check_debugregs(&v);
	if (vmm_run(&v) != KVM_EXIT_MMIO)
		fatal("expected the guest's first MMIO exit");
	check_xsave(&v);
	if (vmm_run(&v) != KVM_EXIT_MMIO)
		fatal("expected the guest's second MMIO exit");
	memcpy(data, ram + DATA_GPA, sizeof(data));
	printf("guest read: xmm1=%016llx%016llx dr0=0x%llx\n", (unsigned long long)data[1],
	       (unsigned long long)data[0], (unsigned long long)data[4]);
	run_to_wait(&v);
	check_injection(&v);
	check_mce(&v);
	vmm_close(&v);
	return 0;
}
