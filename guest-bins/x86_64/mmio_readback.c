// SPDX-License-Identifier: MIT
/*
 * mmio_readback: accesses of 1, 2, 4 and 8 bytes to guest-physical
 * addresses that the page tables map but no memslot backs, so each one
 * is a KVM_EXIT_MMIO.  RDI = base for the writes, RSI = base for the
 * reads; access k (k = 0..3, size 1 << k) uses offset k * 0x10.
 *
 * Each access is a single mov of exactly that width (inline asm, so the
 * compiler cannot merge or split it); the guest prints every value it
 * read, as the VMM completed it.
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
		asm volatile("movb %b1, (%0)" : : "r"(addr), "q"(v) : "memory");
		break;
	case 2:
		asm volatile("movw %w1, (%0)" : : "r"(addr), "r"(v) : "memory");
		break;
	case 4:
		asm volatile("movl %k1, (%0)" : : "r"(addr), "r"(v) : "memory");
		break;
	default:
		asm volatile("movq %1, (%0)" : : "r"(addr), "r"(v) : "memory");
		break;
	}
}

static u64 mmio_read(u64 addr, unsigned int size)
{
	u64 v = 0;

	switch (size) {
	case 1:
		asm volatile("movb (%1), %b0" : "+q"(v) : "r"(addr) : "memory");
		break;
	case 2:
		asm volatile("movw (%1), %w0" : "+r"(v) : "r"(addr) : "memory");
		break;
	case 4:
		asm volatile("movl (%1), %k0" : "+r"(v) : "r"(addr) : "memory");
		break;
	default:
		asm volatile("movq (%1), %0" : "+r"(v) : "r"(addr) : "memory");
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
