// SPDX-License-Identifier: MIT
/*
 * vgic_timer (arm64): two vCPUs on a vGICv3 with the virtual timer, the
 * way a Linux-style kernel drives them.
 *
 * vCPU 0 (x0 = 0): enables the distributor (GICD_CTLR) and its
 * redistributor's PPI 27 (ISENABLER0, IPRIORITYR), the CPU interface
 * (ICC_PMR, ICC_BPR1, ICC_IGRPEN1), then ticks: CNTV_TVAL = period,
 * CNTV_CTL = ENABLE, wfi with IRQs unmasked; each tick acknowledges
 * (ICC_IAR1), re-arms CNTV_CVAL += period, and EOIs (ICC_EOIR1).  After
 * TICKS ticks it stops the timer, tells the VMM (sync 2), which raises
 * SPI 40 with KVM_IRQ_LINE; the guest takes it, then sends SGI 1 to
 * vCPU 1 (ICC_SGI1R) and waits for SGI 2 back.
 *
 * vCPU 1 (x0 = 1): enables its CPU interface, waits in wfi for SGI 1,
 * answers with SGI 2 to vCPU 0, and is done.
 *
 * Sync 1 reports the GIC's ID registers; sync 3 and 4 what each vCPU
 * counted; every tick checks it came at or after its deadline.
 */
#include "guest.h"

#define GICD_BASE	0x08000000ul
#define GICR_BASE	0x080a0000ul
#define GICR_SIZE	0x20000ul
#define SGI_OFF		0x10000ul

#define GICD_CTLR	0x0000
#define GICD_TYPER	0x0004
#define GICD_IIDR	0x0008
#define GICD_ISENABLER	0x0100
#define GICD_IPRIORITYR	0x0400
#define GICD_ICFGR	0x0c00
#define GICD_IROUTER	0x6000
#define GICD_PIDR2	0xffe8
#define GICR_TYPER	0x0008
#define GICR_WAKER	0x0014
#define GICR_IGROUPR0	(SGI_OFF + 0x0080)
#define GICR_ISENABLER0	(SGI_OFF + 0x0100)
#define GICR_IPRIORITYR	(SGI_OFF + 0x0400)

#define VTIMER_PPI	27
#define SPI_DEVICE	40
#define TICKS		10
#define PERIOD		200000ul	/* counter ticks (1 GHz: 200 us) */

/* what each vCPU counted (indexed by MPIDR_EL1.Aff0) */
static struct percpu {
	volatile u64 ticks, sgis, spis, spurious, late;
	volatile u64 intids[32];
	volatile u64 nr_intids;
	volatile u64 next_cval;
	volatile u64 last_elr, last_latency;	/* of the last tick */
} pcpu[2];

extern char after_unmask[];

static struct percpu *this_cpu(void)
{
	return &pcpu[read_sysreg(mpidr_el1) & 1];
}

/* ldr/str by register: one ISV-decodable access each */
static inline u32 mmio_read32(u64 addr)
{
	u32 v;

	asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
	return v;
}

static inline u64 mmio_read64(u64 addr)
{
	u64 v;

	asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
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

static u64 gicr(u64 cpu)
{
	return GICR_BASE + cpu * GICR_SIZE;
}

static void irq_handler(struct ex_regs *regs)
{
	struct percpu *p = this_cpu();
	u64 intid = read_sysreg(icc_iar1_el1);

	if (intid == 1023) {
		p->spurious++;
		return;
	}
	if (p->nr_intids < 32)
		p->intids[p->nr_intids++] = intid;
	if (intid == VTIMER_PPI) {
		u64 now = read_sysreg(cntvct_el0), cval = read_sysreg(cntv_cval_el0);

		if (now < cval)
			p->late++;	/* a tick taken before its deadline */
		p->ticks++;
		p->last_elr = regs->elr;
		p->last_latency = now - cval;
		if (p->ticks >= TICKS) {
			write_sysreg(0, cntv_ctl_el0);	/* one-shot from then on */
		} else {
			p->next_cval += PERIOD;
			write_sysreg(p->next_cval, cntv_cval_el0);
		}
	} else if (intid < 16) {
		p->sgis++;
	} else if (intid == SPI_DEVICE) {
		p->spis++;
	}
	write_sysreg(intid, icc_eoir1_el1);
}

static void cpu_interface_init(void)
{
	write_sysreg(0xf0, icc_pmr_el1);
	write_sysreg(0, icc_bpr1_el1);
	write_sysreg(1, icc_igrpen1_el1);
	asm volatile("isb");
}

static void send_sgi(u64 sgi, u64 target_aff0)
{
	write_sysreg((sgi << 24) | (1ul << target_aff0), icc_sgi1r_el1);
	asm volatile("isb");
}

static void wait_for(volatile u64 *counter, u64 n)
{
	while (*counter < n)
		asm volatile("wfi" : : : "memory");
}

static void secondary(void)
{
	struct percpu *p = this_cpu();

	cpu_interface_init();
	asm volatile("msr daifclr, #2" : : : "memory");
	wait_for(&p->sgis, 1);
	send_sgi(2, 0);
	guest_sync(4, p->sgis, p->intids[0], p->nr_intids, p->spurious, 0);
	GUEST_DONE();
}

void guest_main(u64 role, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	u64 cpu = read_sysreg(mpidr_el1) & 0xff;
	struct percpu *p = this_cpu();

	guest_install_irq_handler(irq_handler);
	if (role == 1)
		secondary();

	guest_sync(1, mmio_read32(GICD_BASE + GICD_TYPER), mmio_read32(GICD_BASE + GICD_IIDR),
		   mmio_read32(GICD_BASE + GICD_PIDR2), mmio_read64(gicr(1) + GICR_TYPER),
		   read_sysreg(icc_ctlr_el1));
	GUEST_ASSERT_EQ(read_sysreg(cntfrq_el0), 1000000000ul);
	GUEST_ASSERT_EQ(read_sysreg(icc_sre_el1), 7);

	/* distributor: group 1 on; redistributor: PPI 27 and SPI 40 */
	mmio_write32(GICD_BASE + GICD_CTLR, 1u << 1);
	mmio_write32(gicr(cpu) + GICR_WAKER, 0);
	mmio_write32(gicr(cpu) + GICR_IGROUPR0, ~0u);
	mmio_write8(gicr(cpu) + GICR_IPRIORITYR + VTIMER_PPI, 0xa0);
	mmio_write32(gicr(cpu) + GICR_ISENABLER0, 1u << VTIMER_PPI);
	mmio_write8(GICD_BASE + GICD_IPRIORITYR + SPI_DEVICE, 0x90);
	mmio_write64(GICD_BASE + GICD_IROUTER + 8 * SPI_DEVICE, 0);	/* vCPU 0 */
	mmio_write32(GICD_BASE + GICD_ISENABLER + 4 * (SPI_DEVICE / 32), 1u << (SPI_DEVICE % 32));
	GUEST_ASSERT_EQ(mmio_read32(gicr(cpu) + GICR_ISENABLER0), (1u << VTIMER_PPI) | 0xffff);
	cpu_interface_init();
	GUEST_ASSERT_EQ(read_sysreg(icc_pmr_el1), 0xf0);
	GUEST_ASSERT_EQ(read_sysreg(icc_bpr1_el1), 3);	/* the minimum with 5 priority bits */

	/* the periodic tick on the virtual timer */
	p->next_cval = read_sysreg(cntvct_el0) + PERIOD;
	write_sysreg(p->next_cval, cntv_cval_el0);
	write_sysreg(1, cntv_ctl_el0);
	asm volatile("isb; msr daifclr, #2" : : : "memory");
	wait_for(&p->ticks, TICKS);
	GUEST_ASSERT_EQ(read_sysreg(cntv_ctl_el0) & 1, 0);

	/* the VMM raises SPI 40 (KVM_IRQ_LINE) when it sees this */
	guest_sync(2, p->ticks, p->late, 0, 0, 0);
	wait_for(&p->spis, 1);

	/* SGI 1 to vCPU 1, which answers with SGI 2 */
	send_sgi(1, 1);
	wait_for(&p->sgis, 1);
	guest_sync(3, p->ticks, p->spis, p->sgis, p->nr_intids, p->spurious);
	for (u64 i = 0; i < p->nr_intids; i++)
		guest_sync(5, i, p->intids[i], 0, 0, 0);

	/*
	 * masked: the line rises, nothing is taken until PSTATE.I clears,
	 * then at once (the tick's ELR is the instruction after the msr)
	 */
	asm volatile("msr daifset, #2" : : : "memory");
	write_sysreg(read_sysreg(cntvct_el0) + 1000, cntv_cval_el0);
	write_sysreg(1, cntv_ctl_el0);
	while (read_sysreg(cntvct_el0) < read_sysreg(cntv_cval_el0) + 5000)
		;
	{
		u64 masked = p->ticks - TICKS, elr_ok;

		asm volatile("msr daifclr, #2\n"
			     ".globl after_unmask\n"
			     "after_unmask:\n\tnop" : : : "memory");
		elr_ok = p->ticks == TICKS + 1 && p->last_elr == (u64)after_unmask;
		/* running: a deadline passes in the middle of a loop */
		write_sysreg(read_sysreg(cntvct_el0) + 50000, cntv_cval_el0);
		write_sysreg(1, cntv_ctl_el0);
		while (p->ticks < TICKS + 2)
			;
		guest_sync(6, masked, p->ticks, elr_ok, p->last_latency < 1000, 0);
	}
	GUEST_DONE();
}
