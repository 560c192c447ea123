// SPDX-License-Identifier: MIT
/*
 * sgi_wakeup (arm64): a lost wakeup planted in an idle loop.
 *
 * vCPU 1 (x0 = 1) waits for vCPU 0's SGI 1 the wrong way: with IRQs
 * unmasked it tests `woken`, reports that it goes idle (a ucall, an exit
 * to the VMM), then runs wfi.  If the SGI is taken between the test and
 * the wfi, its handler sets `woken` but the wfi still sleeps, and nothing
 * will ever wake it: the vCPU hangs.  (The right way masks IRQs around
 * the test and the wfi: a pending interrupt ends a wfi even when masked.)
 * vCPU 0 (x0 = 0) enables the distributor, does some work, sends the SGI.
 * Whether the SGI lands in the window is up to the schedule.
 */
#include "guest.h"

#define GICD_CTLR_ADDR	0x08000000ul
#define WORK		100000

static volatile u64 woken;

static void irq_handler(struct ex_regs *regs)
{
	u64 intid = read_sysreg(icc_iar1_el1);

	if (intid == 1)
		woken = 1;
	write_sysreg(intid, icc_eoir1_el1);
}

static void cpu_interface_init(void)
{
	write_sysreg(0xf0, icc_pmr_el1);
	write_sysreg(1, icc_igrpen1_el1);
	asm volatile("isb");
}

void guest_main(u64 role, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	guest_install_irq_handler(irq_handler);
	cpu_interface_init();
	if (role == 1) {
		asm volatile("msr daifclr, #2" : : : "memory");
		while (!woken) {
			GUEST_SYNC(1);		/* "going idle" */
			asm volatile("wfi" : : : "memory");
		}
		GUEST_DONE();
	}
	asm volatile("str %w0, [%1]" : : "r"(1u << 1), "r"(GICD_CTLR_ADDR) : "memory");
	for (volatile u64 i = 0; i < WORK; i++)
		;
	write_sysreg((1ul << 24) | (1ul << 1), icc_sgi1r_el1);	/* SGI 1 to vCPU 1 */
	asm volatile("isb");
	GUEST_DONE();
}
