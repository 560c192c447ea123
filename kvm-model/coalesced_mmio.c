// SPDX-License-Identifier: MIT
/*
 * Coalesced MMIO and PIO (virt/kvm/coalesced_mmio.c): writes that fall
 * inside a registered zone do not exit; they are appended to a per-VM
 * ring page that every vCPU maps at KVM_COALESCED_MMIO_PAGE_OFFSET of its
 * kvm_run mapping, and userspace drains it at its next exit.  KVM always
 * leaves one entry free: a write that would fill the ring exits as usual.
 * Reads are never coalesced.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm-model/kvm_host.h"
#include "sim/sim.h"

/* the kernel's NR_IOBUS_DEVS: devices per bus (MMIO, PIO) */
#define NR_IOBUS_DEVS	1000
#define KVM_COALESCED_MMIO_MAX \
	((PAGE_SIZE - sizeof(struct kvm_coalesced_mmio_ring)) / \
	 sizeof(struct kvm_coalesced_mmio))

struct kvm_coalesced_io {
	int memfd;				/* the ring page */
	struct kvm_coalesced_mmio_ring *ring;	/* kvmsim's own view of it */
	struct kvm_coalesced_mmio_zone *zones;
	unsigned int nr_zones, cap;
	unsigned int on_bus[2];			/* zones per bus: MMIO, PIO */
};

int kvm_coalesced_mmio_init(struct kvm *kvm)
{
	struct kvm_coalesced_io *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->memfd = memfd_create("kvm-coalesced-mmio", MFD_CLOEXEC);
	if (c->memfd < 0 || ftruncate(c->memfd, PAGE_SIZE) < 0)
		goto fail;
	c->ring = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c->memfd, 0);
	if (c->ring == MAP_FAILED)
		goto fail;
	kvm->coalesced = c;
	return 0;
fail:
	if (c->memfd >= 0)
		close(c->memfd);
	free(c);
	return -ENOMEM;
}

void kvm_coalesced_mmio_free(struct kvm *kvm)
{
	struct kvm_coalesced_io *c = kvm->coalesced;

	if (!c)
		return;
	munmap(c->ring, PAGE_SIZE);
	close(c->memfd);
	free(c->zones);
	free(c);
	kvm->coalesced = NULL;
}

int kvm_coalesced_mmio_memfd(struct kvm *kvm)
{
	return kvm->coalesced ? kvm->coalesced->memfd : -1;
}

/* coalesced_mmio_in_range: [addr, addr + len) inside the zone, no wrap */
static bool in_zone(const struct kvm_coalesced_mmio_zone *z, uint64_t addr, uint64_t len)
{
	return addr + len >= addr && addr >= z->addr && addr + len <= z->addr + z->size;
}

static int read_zone(struct kvm_coalesced_mmio_zone *z, void *arg)
{
	if (copy_from_user(z, arg, sizeof(*z)))
		return -EFAULT;
	if (z->pio != 0 && z->pio != 1)
		return -EINVAL;
	return 0;
}

/* kvm_vm_ioctl_register_coalesced_mmio: ENOSPC once the bus is full */
int kvm_vm_ioctl_register_coalesced_mmio(struct kvm *kvm, void *arg)
{
	struct kvm_coalesced_io *c = kvm->coalesced;
	struct kvm_coalesced_mmio_zone z;
	int r = read_zone(&z, arg);

	if (r)
		return r;
	if (c->on_bus[z.pio] >= NR_IOBUS_DEVS)
		return -ENOSPC;
	if (c->nr_zones == c->cap) {
		unsigned int cap = c->cap ? 2 * c->cap : 8;
		void *p = realloc(c->zones, cap * sizeof(*c->zones));

		if (!p)
			return -ENOMEM;
		c->zones = p;
		c->cap = cap;
	}
	c->zones[c->nr_zones++] = z;
	c->on_bus[z.pio]++;
	return 0;
}

/*
 * kvm_vm_ioctl_unregister_coalesced_mmio: every zone of that bus that
 * holds all of [addr, addr + size) goes (a range wider than a zone removes
 * nothing); none matching is not an error.
 */
int kvm_vm_ioctl_unregister_coalesced_mmio(struct kvm *kvm, void *arg)
{
	struct kvm_coalesced_io *c = kvm->coalesced;
	struct kvm_coalesced_mmio_zone z;
	int r = read_zone(&z, arg);

	if (r)
		return r;
	for (unsigned int i = 0; i < c->nr_zones;) {
		struct kvm_coalesced_mmio_zone *d = &c->zones[i];

		if (d->pio == z.pio && in_zone(d, z.addr, z.size)) {
			c->on_bus[d->pio]--;
			memmove(d, d + 1, (c->nr_zones - i - 1) * sizeof(*d));
			c->nr_zones--;
		} else {
			i++;
		}
	}
	return 0;
}

/*
 * coalesced_mmio_write: a guest write of len bytes at addr (a port when
 * pio) inside a zone, with room left in the ring, is appended to it and
 * does not exit.  ring->first is userspace's, ring->last KVM's; both are
 * read from the shared page as they are now.
 */
bool kvm_coalesced_io_write(struct kvm *kvm, bool pio, uint64_t addr, uint32_t len,
			    const void *data)
{
	struct kvm_coalesced_io *c = kvm->coalesced;
	struct kvm_coalesced_mmio_ring *ring;
	struct kvm_coalesced_mmio *e;
	struct sim_ev *ev;
	uint32_t insert;
	unsigned int i;

	if (!c || len > sizeof(e->data))
		return false;
	for (i = 0; i < c->nr_zones; i++)
		if (c->zones[i].pio == pio && in_zone(&c->zones[i], addr, len))
			break;
	if (i == c->nr_zones)
		return false;
	ring = c->ring;
	insert = __atomic_load_n(&ring->last, __ATOMIC_RELAXED);
	if (insert >= KVM_COALESCED_MMIO_MAX ||
	    (insert + 1) % KVM_COALESCED_MMIO_MAX == __atomic_load_n(&ring->first, __ATOMIC_RELAXED))
		return false;
	e = &ring->coalesced_mmio[insert];
	e->phys_addr = addr;
	e->len = len;
	e->pio = pio;
	memcpy(e->data, data, len);
	__atomic_store_n(&ring->last, (insert + 1) % KVM_COALESCED_MMIO_MAX, __ATOMIC_RELEASE);
	ev = sim_ev_begin("coalesced_mmio_write");
	sim_ev_hex(ev, pio ? "port" : "gpa", addr);
	sim_ev_int(ev, "len", len);
	sim_ev_end(ev);
	return true;
}
