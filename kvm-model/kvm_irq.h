/* SPDX-License-Identifier: MIT */
/*
 * The generic half of in-kernel interrupt plumbing, as virt/kvm/ has it:
 * the GSI routing table and kvm_set_irq (irqchip.c), ack notifiers, the
 * I/O buses in-kernel devices sit on (kvm_io_bus_*, include/kvm/iodev.h),
 * and irqfd / ioeventfd (eventfd.c).  The architecture supplies what a
 * routing entry does (kvm_arch_ops.set_routing_entry) and whether its
 * irqchip is in the kernel.
 */
#ifndef KVMSIM_KVM_IRQ_H
#define KVMSIM_KVM_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

struct kvm;
struct kvm_vcpu;
struct kvm_irq_routing_entry;

/* irq source ids: each one's line level is kept apart per pin */
#define KVM_USERSPACE_IRQ_SOURCE_ID		0
#define KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID	1

#define KVM_MAX_IRQ_ROUTES	4096

struct kvm_kernel_irq_routing_entry {
	uint32_t gsi;
	uint32_t type;
	/* 1 delivered, 0 coalesced, -1 masked or no destination, -errno */
	int (*set)(struct kvm_kernel_irq_routing_entry *e, struct kvm *kvm,
		   int irq_source_id, int level, bool line_status);
	union {
		struct {
			unsigned int irqchip;
			unsigned int pin;
		} irqchip;
		struct {
			uint32_t address_lo, address_hi, data, flags, devid;
		} msi;
	};
};

/*
 * The kernel's chip[KVM_NR_IRQCHIPS][KVM_IRQCHIP_NUM_PINS], sized by the
 * architecture (kvm_arch_ops.nr_irqchips x irqchip_num_pins: x86 3 x 24,
 * arm64 1 x 988): pin -> gsi, or -1.
 */
struct kvm_irq_routing_table {
	int *chip;
	uint32_t nr_rt_entries;		/* highest gsi + 1 */
	uint32_t nr;
	struct kvm_kernel_irq_routing_entry e[];	/* in the order given */
};

/* A device's interrupt was acknowledged by the guest (EOI). */
struct kvm_irq_ack_notifier {
	struct kvm_irq_ack_notifier *next;
	unsigned int gsi;
	void (*irq_acked)(struct kvm_irq_ack_notifier *kian);
};

/* ---- I/O buses (include/kvm/iodev.h) ---- */
enum kvm_bus {
	KVM_MMIO_BUS,
	KVM_PIO_BUS,
	KVM_VIRTIO_CCW_NOTIFY_BUS,	/* s390's: ioeventfds may sit on it, nothing writes it */
	KVM_NR_BUSES,
};

struct kvm_io_device;
struct kvm_io_device_ops {
	/* 0 handled, -EOPNOTSUPP: not this device's address */
	int (*read)(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr,
		    int len, void *val);
	int (*write)(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr,
		     int len, const void *val);
};

struct kvm_io_device {
	const struct kvm_io_device_ops *ops;
};

struct kvm_io_range {
	uint64_t addr;
	int len;
	struct kvm_io_device *dev;
};

struct kvm_io_bus {
	int dev_count;
	int cap;
	struct kvm_io_range *range;	/* sorted by addr, then len */
};

/* A pin's mask changed (the PIT restarts its reinjection on an unmask). */
struct kvm_irq_mask_notifier {
	struct kvm_irq_mask_notifier *next;
	int irq;	/* gsi */
	void (*func)(struct kvm_irq_mask_notifier *kimn, bool masked);
};

struct kvm_kernel_irqfd;
struct kvm_kernel_irqfd_resampler;
struct _ioeventfd;

/* The VM's interrupt plumbing (kvm->irq), made on first use. */
struct kvm_irq {
	struct kvm_irq_routing_table *routing;
	struct kvm_irq_ack_notifier *ack_notifiers;
	struct kvm_irq_mask_notifier *mask_notifiers;
	unsigned long irq_sources_bitmap;
	struct kvm_io_bus buses[KVM_NR_BUSES];
	struct kvm_kernel_irqfd *irqfds;
	struct kvm_kernel_irqfd_resampler *resamplers;
	struct _ioeventfd *ioeventfds;
	/* the irqfd workqueue: one kworker actor injecting what irqfds queued */
	struct sim_actor *irqfd_worker;
	struct sim_waitq irqfd_wq;
	bool irqfd_worker_exit;
};

struct kvm_irq *kvm_irq(struct kvm *kvm);
void kvm_irq_destroy(struct kvm *kvm);

/* ---- irqchip.c ---- */
int kvm_set_irq(struct kvm *kvm, int irq_source_id, uint32_t irq, int level,
		bool line_status);
int kvm_set_irq_routing(struct kvm *kvm, const struct kvm_irq_routing_entry *ue,
			unsigned int nr, unsigned int flags);
void kvm_free_irq_routing(struct kvm_irq_routing_table *rt);
/* The gsi routed to an irqchip pin, or -1. */
int kvm_irq_map_chip_pin(struct kvm *kvm, unsigned int irqchip, unsigned int pin);
void kvm_notify_acked_irq(struct kvm *kvm, unsigned int irqchip, unsigned int pin);
void kvm_notify_acked_gsi(struct kvm *kvm, int gsi);
void kvm_register_irq_ack_notifier(struct kvm *kvm, struct kvm_irq_ack_notifier *kian);
void kvm_unregister_irq_ack_notifier(struct kvm *kvm, struct kvm_irq_ack_notifier *kian);
void kvm_register_irq_mask_notifier(struct kvm *kvm, int irq, struct kvm_irq_mask_notifier *kimn);
void kvm_unregister_irq_mask_notifier(struct kvm *kvm, struct kvm_irq_mask_notifier *kimn);
void kvm_fire_mask_notifiers(struct kvm *kvm, unsigned int irqchip, unsigned int pin, bool mask);
/* kvm_request_irq_source_id: a new source id, or -EFAULT when none is left. */
int kvm_request_irq_source_id(struct kvm *kvm);
/* __kvm_irq_line_state: one source's level on a line; the line's OR. */
int kvm_irq_line_state(unsigned long *line, int irq_source_id, int level);
long kvm_vm_ioctl_set_gsi_routing(struct kvm *kvm, void *uarg);
long kvm_vm_ioctl_signal_msi(struct kvm *kvm, void *uarg);

/* ---- iodev.c ---- */
int kvm_io_bus_register_dev(struct kvm *kvm, enum kvm_bus bus_idx, uint64_t addr, int len,
			    struct kvm_io_device *dev);
void kvm_io_bus_unregister_dev(struct kvm *kvm, enum kvm_bus bus_idx,
			       struct kvm_io_device *dev);
/* 0 if an in-kernel device took the access, -EOPNOTSUPP if none did. */
int kvm_io_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, uint64_t addr, int len,
		     const void *val);
int kvm_io_bus_read(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx, uint64_t addr, int len,
		    void *val);

/* ---- eventfd.c ---- */
long kvm_irqfd(struct kvm *kvm, void *uarg);
long kvm_ioeventfd(struct kvm *kvm, void *uarg);
/* A resampler for this irqchip pin exists: notify it (irqfd_resampler_ack). */
bool kvm_notify_irqfd_resampler(struct kvm *kvm, unsigned int irqchip, unsigned int pin);
void kvm_eventfd_release(struct kvm *kvm);

#endif
