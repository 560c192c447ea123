// SPDX-License-Identifier: MIT
/*
 * readonly_slot (arm64, the x86-64 guest with str for mov): x0 = GPA of a memslot the VMM registered with
 * KVM_MEM_READONLY after filling it.
 *
 * Reads see what the VMM wrote.  A write is not a fault the guest sees:
 * KVM turns it into KVM_EXIT_MMIO (is_write = 1) and drops the data, so
 * reading the same address afterwards still gives the VMM's value.  The
 * second write goes to a page the guest never read, so the first access
 * to that page is the write itself.
 *
 * Layout inside the slot (set by the VMM):
 *   +0x0000  NUL-terminated string
 *   +0x1000  u64 value, +0x1008 u64 zero (write target)
 *   +0x3000  never read before the write
 */
#include "guest.h"

#define RO_STRING	0x0000
#define RO_VALUE	0x1000
#define RO_WRITE8	0x1008
#define RO_WRITE4	0x3000

static void write64(u64 addr, u64 v)
{
	asm volatile("str %1, [%0]" : : "r"(addr), "r"(v) : "memory");
}

static void write32(u64 addr, u32 v)
{
	asm volatile("str %w1, [%0]" : : "r"(addr), "r"(v) : "memory");
}

static u64 read64(u64 addr)
{
	return *(volatile u64 *)addr;
}

void guest_main(u64 base, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	guest_printf("guest: string at 0x%lx: \"%s\"\n", base + RO_STRING,
		     (const char *)(base + RO_STRING));
	guest_printf("guest: u64 at 0x%lx: 0x%lx\n", base + RO_VALUE,
		     read64(base + RO_VALUE));
	guest_printf("guest: u64 at 0x%lx: 0x%lx\n", base + RO_WRITE8,
		     read64(base + RO_WRITE8));

	write64(base + RO_WRITE8, 0xdeadbeefcafef00dull);
	guest_printf("guest: after write, u64 at 0x%lx: 0x%lx\n",
		     base + RO_WRITE8, read64(base + RO_WRITE8));

	write32(base + RO_WRITE4, 0x600dcafe);
	guest_printf("guest: after write, u32 at 0x%lx: 0x%x\n",
		     base + RO_WRITE4, *(volatile u32 *)(base + RO_WRITE4));
}
