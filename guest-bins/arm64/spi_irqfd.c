// SPDX-License-Identifier: MIT
/*
 * spi_irqfd (arm64): SPIs that a VMM raises through irqfds
 * (tests/arm64/vmm-irqfd.c), on a vGICv3 with the default GSI routes
 * (GSI i -> SPI i + 32).
 *
 * Set-up: distributor group 1 on, SPIs 40 and 42 edge, 41 level, all
 * three enabled, priority 0xa0, routed to vCPU 0; the CPU interface
 * (PMR 0xf0, IGRPEN1).  Then, each stage announced with a ucall:
 *   2: three edges on SPI 40 (GSI 8), one per sync, each waited for;
 *   3: the level SPI 41 (GSI 9, a resampling irqfd): the handler acks
 *      the device (an MMIO write, which exits to the VMM) before its EOI;
 *      the device wants one ack, then two;
 *   4: SPI 42 (pin 10) through GSI 100 once the VMM has set that route.
 * Waiting masks IRQs around the test and the wfi (a pending interrupt
 * ends a wfi even when masked), so no wakeup is lost.
 */
#include "guest.h"

#define GICD_BASE	0x08000000ul
#define GICR_BASE	0x080a0000ul
#define GICD_CTLR	0x0000
#define GICD_ISENABLER	0x0100
#define GICD_ISPENDR	0x0200
#define GICD_IPRIORITYR	0x0400
#define GICD_ICFGR	0x0c00
#define GICD_IROUTER	0x6000
#define GICR_WAKER	0x0014
#define DEVICE_ACK	0x0a000000ul	/* no memslot: an MMIO exit */

#define SPI_EDGE	40
#define SPI_LEVEL	41
#define SPI_ROUTED	42

static volatile u64 count[3];		/* SPIs 40, 41, 42 taken */
static volatile u64 other, level_pending_at_eoi;

static inline u32 mmio_read32(u64 addr)
{
	u32 v;

	asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline void mmio_write32(u64 addr, u32 v)
{
	asm volatile("str %w0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static inline void mmio_write64(u64 addr, u64 v)
{
	asm volatile("str %0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static inline void mmio_write8(u64 addr, u8 v)
{
	asm volatile("strb %w0, [%1]" : : "r"(v), "r"(addr) : "memory");
}

static bool spi_pending(u32 intid)
{
	return mmio_read32(GICD_BASE + GICD_ISPENDR + 4 * (intid / 32)) >> (intid % 32) & 1;
}

static void irq_handler(struct ex_regs *regs)
{
	u64 intid = read_sysreg(icc_iar1_el1);

	(void)regs;
	if (intid >= SPI_EDGE && intid <= SPI_ROUTED)
		count[intid - SPI_EDGE]++;
	else
		other++;
	if (intid == SPI_LEVEL) {
		mmio_write32(DEVICE_ACK, 1);	/* the device may drop its line */
		level_pending_at_eoi += spi_pending(SPI_LEVEL);
	}
	write_sysreg(intid, icc_eoir1_el1);
}

static void spi_setup(u32 intid, bool edge)
{
	u64 cfg = GICD_BASE + GICD_ICFGR + 4 * (intid / 16);
	u32 bit = 2u << (2 * (intid % 16));

	mmio_write32(cfg, edge ? mmio_read32(cfg) | bit : mmio_read32(cfg) & ~bit);
	mmio_write8(GICD_BASE + GICD_IPRIORITYR + intid, 0xa0);
	mmio_write64(GICD_BASE + GICD_IROUTER + 8 * intid, 0);	/* vCPU 0 */
	mmio_write32(GICD_BASE + GICD_ISENABLER + 4 * (intid / 32), 1u << (intid % 32));
}

/* until *c reaches n: test and wfi with IRQs masked, take them unmasked */
static void wait_for(volatile u64 *c, u64 n)
{
	for (;;) {
		asm volatile("msr daifset, #2" : : : "memory");
		if (*c >= n)
			break;
		asm volatile("wfi" : : : "memory");
		asm volatile("msr daifclr, #2; isb" : : : "memory");
	}
	asm volatile("msr daifclr, #2; isb" : : : "memory");
}

void guest_main(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	guest_install_irq_handler(irq_handler);
	mmio_write32(GICD_BASE + GICD_CTLR, 1u << 1);
	mmio_write32(GICR_BASE + GICR_WAKER, 0);
	spi_setup(SPI_EDGE, true);
	spi_setup(SPI_LEVEL, false);
	spi_setup(SPI_ROUTED, true);
	write_sysreg(0xf0, icc_pmr_el1);
	write_sysreg(1, icc_igrpen1_el1);
	asm volatile("isb; msr daifclr, #2" : : : "memory");
	guest_sync(1, mmio_read32(GICD_BASE + GICD_ICFGR + 8), 0, 0, 0, 0);

	for (u64 i = 0; i < 3; i++) {
		guest_sync(2, i, 0, 0, 0, 0);
		wait_for(&count[0], i + 1);
	}
	guest_sync(3, 1, 0, 0, 0, 0);		/* the device wants one ack */
	wait_for(&count[1], 1);
	guest_sync(3, 2, 0, 0, 0, 0);		/* two acks: raised again after the first */
	wait_for(&count[1], 3);
	guest_sync(4, 0, 0, 0, 0, 0);		/* the VMM sets GSI 100 -> pin 10 */
	wait_for(&count[2], 1);
	guest_sync(5, count[0], count[1], count[2], other,
		   level_pending_at_eoi << 8 | spi_pending(SPI_LEVEL));
	GUEST_DONE();
}
