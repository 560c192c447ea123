// SPDX-License-Identifier: MIT
/*
 * The VM's I/O buses (virt/kvm/kvm_main.c: kvm_io_bus_*): port I/O and
 * MMIO ranges claimed by in-kernel devices (the PIC, the IOAPIC, the PIT,
 * ioeventfds).  A guest access first goes to the devices whose range
 * holds it, in address order; only when none takes it does it exit to
 * userspace.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kvm-model/kvm_host.h"
#include "kvm-model/kvm_irq.h"

/* kvm_io_bus_cmp: by address, then by length */
static int io_range_cmp(const struct kvm_io_range *a, const struct kvm_io_range *b)
{
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return a->len - b->len;
}

int kvm_io_bus_register_dev(struct kvm *kvm, enum kvm_bus bus_idx, uint64_t addr, int len,
			    struct kvm_io_device *dev)
{
	struct kvm_io_bus *bus = &kvm_irq(kvm)->buses[bus_idx];
	struct kvm_io_range r = { .addr = addr, .len = len, .dev = dev };
	int i;

	/* NR_IOBUS_DEVS */
	if (bus->dev_count >= 1000)
		return -ENOSPC;
	if (bus->dev_count == bus->cap) {
		int cap = bus->cap ? 2 * bus->cap : 8;
		struct kvm_io_range *p = realloc(bus->range, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		bus->range = p;
		bus->cap = cap;
	}
	for (i = bus->dev_count; i > 0 && io_range_cmp(&bus->range[i - 1], &r) > 0; i--)
		bus->range[i] = bus->range[i - 1];
	bus->range[i] = r;
	bus->dev_count++;
	return 0;
}

void kvm_io_bus_unregister_dev(struct kvm *kvm, enum kvm_bus bus_idx,
			       struct kvm_io_device *dev)
{
	struct kvm_io_bus *bus;

	if (!kvm->irq)
		return;
	bus = &kvm->irq->buses[bus_idx];
	for (int i = 0; i < bus->dev_count; i++) {
		if (bus->range[i].dev != dev)
			continue;
		memmove(&bus->range[i], &bus->range[i + 1],
			(bus->dev_count - i - 1) * sizeof(bus->range[0]));
		bus->dev_count--;
		return;
	}
}

/*
 * Does the range hold [addr, addr + len)?  A zero-length range (an
 * ioeventfd of any length) holds every access that starts at its address.
 */
static bool io_range_holds(const struct kvm_io_range *r, uint64_t addr, int len)
{
	if (!r->len)
		return addr == r->addr;
	return addr >= r->addr && addr + len <= r->addr + r->len;
}

int kvm_io_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, uint64_t addr, int len,
		     const void *val)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_io_bus *bus;

	if (!kvm->irq)
		return -EOPNOTSUPP;
	bus = &kvm->irq->buses[bus_idx];
	for (int i = 0; i < bus->dev_count; i++) {
		struct kvm_io_device *dev = bus->range[i].dev;

		if (io_range_holds(&bus->range[i], addr, len) && dev->ops->write &&
		    !dev->ops->write(vcpu, dev, addr, len, val))
			return 0;
	}
	return -EOPNOTSUPP;
}

int kvm_io_bus_read(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, uint64_t addr, int len,
		    void *val)
{
	struct kvm *kvm = vcpu->kvm;
	struct kvm_io_bus *bus;

	if (!kvm->irq)
		return -EOPNOTSUPP;
	bus = &kvm->irq->buses[bus_idx];
	for (int i = 0; i < bus->dev_count; i++) {
		struct kvm_io_device *dev = bus->range[i].dev;

		if (io_range_holds(&bus->range[i], addr, len) && dev->ops->read &&
		    !dev->ops->read(vcpu, dev, addr, len, val))
			return 0;
	}
	return -EOPNOTSUPP;
}
