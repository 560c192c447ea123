// SPDX-License-Identifier: MIT
/*
 * ipi_wakeup (x86-64): a lost wakeup planted in an idle loop.
 *
 * vCPU 1 (RDI = 1) waits for vCPU 0's IPI the wrong way: with interrupts
 * enabled (sti once, before the loop) it tests `woken`, reports that it goes
 * idle (a ucall, an exit to the VMM), then runs hlt.  If the IPI is
 * taken between the test and the hlt, its handler sets `woken` but the
 * hlt still sleeps, and nothing will ever wake it: the vCPU hangs.  (The
 * right way is cli, test, `sti; hlt`: sti's interrupt shadow covers the
 * hlt, so an IPI that arrived after the test ends the halt.)
 * vCPU 0 (RDI = 0) does some work, then sends the IPI through the x2APIC
 * ICR.  Whether the IPI lands in the window is up to the schedule.
 *
 * The VMM puts both APICs in x2APIC mode and software-enables them before
 * either vCPU runs (an IPI to a software-disabled APIC is dropped, a
 * different hang); an IPI before vCPU 1's sti waits in its IRR.  No vCPU
 * waits for the other in a spin loop: under PCT a spinning vCPU with the
 * higher priority would starve the other.
 */
#include "guest.h"

#define MSR_IA32_APICBASE	0x1b
#define APIC_BASE_EXTD		(1ull << 10)
#define APIC_BASE_ENABLE	(1ull << 11)
#define X2APIC_EOI		0x80b
#define X2APIC_SPIV		0x80f
#define X2APIC_ICR		0x830
#define IPI_VECTOR		0xf1
#define WORK			200000

/*
 * In .data, not .bss: every vCPU's runtime start clears .bss, and vCPU 0
 * may do so after vCPU 1's handler has set it.
 */
static volatile u64 woken __attribute__((section(".data")));

static void ipi_handler(struct ex_frame *f)
{
	(void)f;
	woken = 1;
	wrmsr(X2APIC_EOI, 0);
}

void guest_main(u64 role, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	/* both: the IDT is shared, but vCPU 1's start may clear the table */
	guest_install_irq_handler(IPI_VECTOR, ipi_handler);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_APICBASE) & (APIC_BASE_ENABLE | APIC_BASE_EXTD),
			APIC_BASE_ENABLE | APIC_BASE_EXTD);
	GUEST_ASSERT(rdmsr(X2APIC_SPIV) & 0x100);
	if (role == 1) {
		irq_enable();
		/*
		 * An exit right after sti: kvmsim injects a pending interrupt at
		 * entry (hardware takes it right after sti's shadow; KVM opens
		 * an interrupt window for it), so an IPI that came before the
		 * sti is taken here on both, not inside the window below.
		 */
		GUEST_SYNC(0);
		while (!woken) {
			GUEST_SYNC(1);		/* "going idle" */
			halt();
		}
		GUEST_DONE();
	}
	for (volatile u64 i = 0; i < WORK; i++)
		;
	/* fixed, physical, edge, no shorthand: vector IPI_VECTOR to APIC ID 1 */
	wrmsr(X2APIC_ICR, (1ull << 32) | IPI_VECTOR);
	GUEST_DONE();
}
