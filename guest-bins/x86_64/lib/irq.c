// SPDX-License-Identifier: MIT
/*
 * External interrupt handlers (vectors 32-255) for guests that take
 * interrupts: the IDT gate is written when a handler is installed, with
 * the code selector and the IDT base read back from the CPU, as the
 * runtime does for exceptions.
 */
#include "guest.h"

#define FIRST_IRQ	32
#define NR_IRQS		(256 - FIRST_IRQ)
/* P=1, DPL=0, type 0xe: 64-bit interrupt gate (IF cleared on entry). */
#define GATE_INTERRUPT	0x8e

struct irq_gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
} __attribute__((packed));

struct irq_desc_ptr {
	u16 limit;
	u64 base;
} __attribute__((packed));

extern const u64 guest_irq_stubs[NR_IRQS];

static guest_handler_t irq_handlers[NR_IRQS];

void guest_install_irq_handler(unsigned int vector, guest_handler_t fn)
{
	struct irq_desc_ptr idtr;
	struct irq_gate *gate;
	u64 addr;
	u16 cs;

	GUEST_ASSERT(vector >= FIRST_IRQ && vector < 256);
	asm volatile("sidt %0" : "=m"(idtr));
	asm volatile("mov %%cs, %0" : "=r"(cs));
	GUEST_ASSERT((vector + 1) * sizeof(*gate) <= idtr.limit + 1u);
	irq_handlers[vector - FIRST_IRQ] = fn;
	addr = guest_irq_stubs[vector - FIRST_IRQ];
	gate = (struct irq_gate *)idtr.base + vector;
	*gate = (struct irq_gate){
		.offset_lo = (u16)addr, .selector = cs, .type_attr = GATE_INTERRUPT,
		.offset_mid = (u16)(addr >> 16), .offset_hi = (u32)(addr >> 32),
	};
}

/* Called from irq_common in irq_entry.S. */
void guest_irq_dispatch(struct ex_frame *f)
{
	guest_handler_t fn = irq_handlers[f->vector - FIRST_IRQ];

	if (!fn)
		guest_abort(__FILE_NAME__, __LINE__, "unhandled interrupt, vector %lu at rip 0x%lx",
			    f->vector, f->rip);
	fn(f);
}
