// SPDX-License-Identifier: MIT
/*
 * mmio_readback (arm64): the x86-64 guest's accesses with arm64's
 * single-register loads and stores (strb/strh/str w/str x, ldrb/ldrh/
 * ldr w/ldr x), each a data abort with a valid syndrome, so one
 * KVM_EXIT_MMIO of exactly that width.  x0 = base for the writes,
 * x1 = base for the reads; access k (size 1 << k) at offset k * 0x10.
 */
#include "guest.h"

#define MMIO_STRIDE	0x10

static const u64 write_values[4] = {
	0x5a, 0x1234, 0x89abcdef, 0xfedcba9876543210,
};

static void mmio_write(u64 addr, unsigned int size, u64 v)
{
	switch (size) {
	case 1:
		asm volatile("strb %w1, [%0]" : : "r"(addr), "r"(v) : "memory");
		break;
	case 2:
		asm volatile("strh %w1, [%0]" : : "r"(addr), "r"(v) : "memory");
		break;
	case 4:
		asm volatile("str %w1, [%0]" : : "r"(addr), "r"(v) : "memory");
		break;
	default:
		asm volatile("str %1, [%0]" : : "r"(addr), "r"(v) : "memory");
		break;
	}
}

static u64 mmio_read(u64 addr, unsigned int size)
{
	u64 v;

	switch (size) {
	case 1:
		asm volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
		break;
	case 2:
		asm volatile("ldrh %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
		break;
	case 4:
		asm volatile("ldr %w0, [%1]" : "=r"(v) : "r"(addr) : "memory");
		break;
	default:
		asm volatile("ldr %0, [%1]" : "=r"(v) : "r"(addr) : "memory");
		break;
	}
	return v;
}

void guest_main(u64 wbase, u64 rbase, u64 a2, u64 a3, u64 a4, u64 a5)
{
	for (unsigned int k = 0; k < 4; k++) {
		unsigned int size = 1u << k;
		u64 off = k * MMIO_STRIDE;
		u64 v;

		mmio_write(wbase + off, size, write_values[k]);
		v = mmio_read(rbase + off, size);
		guest_printf("guest: read %u byte%s at 0x%lx: 0x%0*lx\n", size,
			     size == 1 ? "" : "s", rbase + off, (int)size * 2, v);
	}
}
