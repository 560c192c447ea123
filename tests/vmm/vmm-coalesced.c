// SPDX-License-Identifier: MIT
/*
 * vmm-coalesced: coalesced MMIO and PIO (KVM_REGISTER_COALESCED_MMIO, the
 * ring page at KVM_COALESCED_MMIO_PAGE_OFFSET of the vCPU mapping).
 *
 * Checks: KVM_CHECK_EXTENSION of KVM_CAP_COALESCED_MMIO (the ring's page
 * offset) and KVM_CAP_COALESCED_PIO; bad input: a zone with pio = 2
 * (EINVAL, also for unregister), a NULL argument (EFAULT), unregistering
 * what is not registered (0), zones past the bus's 1000 devices (ENOSPC),
 * an unregister whose range is inside no zone removing none (ENOSPC
 * stays), one naming a zone exactly removing it; guest writes inside the
 * zones (MMIO 8 and 4 bytes, ports 4 and 2 bytes, a rep outsb) land in the
 * ring without exiting (entries printed: address, length, pio, data);
 * with two entries left free, the write that would fill the ring exits;
 * writes outside the zones and reads exit; 24,000 writes through many
 * ring fills (each fill one exit, the VMM draining: counts and a checksum
 * printed); after unregistering, writes exit again: the same 24,000 (12,000
 * MMIO writes, each an exit: an engine once crashed once its translation
 * buffer filled with the blocks such steps make).  Prints every exit and the ring after each phase.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define MMIO_GPA	0x800000

extern const char guest_coal_start[], guest_coal_end[];

static struct kvm_coalesced_mmio_ring *ring;
static unsigned int ring_max;

static int zone_ioctl(struct vmm *v, unsigned long req, uint64_t addr, uint32_t size,
		      uint32_t pio)
{
	struct kvm_coalesced_mmio_zone z = { .addr = addr, .size = size, .pio = pio };

	return ioctl(v->vm_fd, req, &z) ? -errno : 0;
}

static void zone(struct vmm *v, bool reg, uint64_t addr, uint32_t size, uint32_t pio)
{
	int r = zone_ioctl(v, reg ? KVM_REGISTER_COALESCED_MMIO : KVM_UNREGISTER_COALESCED_MMIO,
			   addr, size, pio);

	printf("%s(addr=0x%llx size=%u pio=%u): %s\n", reg ? "register" : "unregister",
	       (unsigned long long)addr, size, pio, r ? errno_name(-r) : "0");
}

/* Print and consume what the ring holds. */
static void drain(void)
{
	printf("ring: first=%u last=%u\n", ring->first, ring->last);
	while (ring->first != ring->last) {
		struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[ring->first];
		uint64_t data = 0;

		memcpy(&data, e->data, e->len <= 8 ? e->len : 8);
		printf("  %s 0x%llx len=%u data=0x%llx\n", e->pio ? "pio" : "mmio",
		       (unsigned long long)e->phys_addr, e->len, (unsigned long long)data);
		ring->first = (ring->first + 1) % ring_max;
	}
}

static void run_to_report(struct vmm *v)
{
	for (int i = 0; i < 8; i++) {
		int r = vmm_run(v);

		if (r == KVM_EXIT_MMIO && !v->run->mmio.is_write) {
			uint64_t val = 0x77;

			vmm_supply_mmio(v, &val, v->run->mmio.len);
		}
		if (r == KVM_EXIT_IO && v->run->io.port == 0x10)
			return;
		if (r != KVM_EXIT_IO && r != KVM_EXIT_MMIO)
			return;
	}
	fatal("no report from the guest");
}

/* Run, draining the ring at each exit, until the report: counts and a checksum. */
static void run_many(struct vmm *v)
{
	unsigned int exits = 0, entries = 0;
	uint64_t sum = 0;

	for (;;) {
		if (ioctl(v->vcpu_fd, KVM_RUN, 0))
			fatal("KVM_RUN: %s", errno_name(errno));
		if (v->run->exit_reason == KVM_EXIT_IO && v->run->io.port == 0x10)
			break;
		if (v->run->exit_reason != KVM_EXIT_IO && v->run->exit_reason != KVM_EXIT_MMIO)
			fatal("many: exit %u", v->run->exit_reason);
		if (v->run->exit_reason == KVM_EXIT_MMIO)
			sum = sum * 31 + v->run->mmio.len + v->run->mmio.phys_addr;
		exits++;
		while (ring->first != ring->last) {
			struct kvm_coalesced_mmio *e = &ring->coalesced_mmio[ring->first];
			uint64_t data = 0;

			memcpy(&data, e->data, e->len <= 8 ? e->len : 8);
			sum = sum * 31 + data + e->len + e->pio;
			entries++;
			ring->first = (ring->first + 1) % ring_max;
		}
	}
	drain();
	printf("%u exits, %u ring entries, checksum 0x%llx\n", exits, entries,
	       (unsigned long long)sum);
}

int main(void)
{
	struct vmm v;
	int n, r, err;
	char *ram;

	printf("# vmm-coalesced\n");
	vmm_open(&v);
	r = ioctl(v.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	printf("check_extension(COALESCED_MMIO): %d, COALESCED_PIO: %d\n", r,
	       ioctl(v.vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO));
	if (r <= 0 || (size_t)(r + 1) * 4096 > v.run_size)
		fatal("no coalesced MMIO ring in the vCPU mapping");
	ring = (void *)((char *)v.run + r * 4096);
	ring_max = (4096 - sizeof(*ring)) / sizeof(ring->coalesced_mmio[0]);
	printf("ring entries: %u\n", ring_max);

	ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_coal_start, guest_coal_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);

	zone(&v, true, MMIO_GPA, 16, 2);
	zone(&v, false, MMIO_GPA, 16, 3);
	r = ioctl(v.vm_fd, KVM_REGISTER_COALESCED_MMIO, NULL);
	printf("register(NULL): %s\n", r ? errno_name(errno) : "0");
	r = ioctl(v.vm_fd, KVM_UNREGISTER_COALESCED_MMIO, NULL);
	printf("unregister(NULL): %s\n", r ? errno_name(errno) : "0");
	zone(&v, false, 0x12345000, 16, 0);
	zone(&v, true, MMIO_GPA, 16, 0);
	zone(&v, true, 0x80, 4, 1);
	/* the PIO bus holds 1000 devices, the zone above is one */
	for (n = 0, err = 0; n < 1100 && !err; n++)
		err = -zone_ioctl(&v, KVM_REGISTER_COALESCED_MMIO, 0x1000 + 4 * n, 4, 1);
	printf("registered %d more PIO zones, then %s\n", n - 1, errno_name(err));
	/* unregister takes the zones that hold its whole range: none here */
	zone(&v, false, 0x1000, 4 * 1100, 1);
	r = zone_ioctl(&v, KVM_REGISTER_COALESCED_MMIO, 0x1000, 4, 1);
	printf("register after it: %s\n", r ? errno_name(-r) : "0");
	zone(&v, false, 0x1000, 4, 1);

	ring->first = ring->last = 0;
	printf("phase 1: MMIO\n");
	run_to_report(&v);
	drain();
	printf("phase 2: PIO\n");
	run_to_report(&v);
	drain();
	printf("phase 3: both\n");
	run_to_report(&v);
	drain();
	printf("phase 4: two free entries\n");
	ring->first = (ring->last + 3) % ring_max;
	run_to_report(&v);
	ring->first = (ring->last + ring_max - 2) % ring_max;
	drain();
	printf("phase 5: outside the zones\n");
	run_to_report(&v);
	drain();
	printf("phase 6: many writes\n");
	run_many(&v);
	printf("phase 7: unregistered\n");
	zone(&v, false, MMIO_GPA, 16, 0);
	zone(&v, false, 0x80, 4, 1);
	run_many(&v);
	vmm_run(&v);
	vmm_run(&v);
	vmm_run(&v);
	drain();
	vmm_close(&v);
	return 0;
}
