// SPDX-License-Identifier: MIT
/*
 * irqfd and ioeventfd (virt/kvm/eventfd.c), on kvmsim's simulated
 * eventfds.
 *
 * irqfd: a write to the eventfd wakes irqfd_wakeup in the writer's
 * context.  An MSI route is delivered right there, as
 * kvm_arch_set_irq_inatomic does; any other route is queued for the
 * irqfd kworker (irqfd_inject on the kvm-irqfd workqueue), an actor of
 * its own, so when it runs against a vCPU in KVM_RUN is the scheduler's
 * choice: recorded, replayed, explored.  With a resample fd the GSI stays
 * asserted (level) until the guest acknowledges it; the ack lowers it and
 * signals the resample fd so the VMM can check its device and re-raise.
 *
 * ioeventfd: a guest write to a PIO port or MMIO address (of a length,
 * or any length, optionally only of one value) signals the eventfd in
 * the kernel instead of exiting to userspace.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "kvm-model/kvm_arch.h"
#include "kvm-model/kvm_host.h"
#include "kvm-model/kvm_irq.h"
#include "posix/simfd.h"

/* datamatch, pio, deassign, virtio_ccw_notify, fast_mmio (newer than 6.1's header) */
#undef KVM_IOEVENTFD_VALID_FLAG_MASK
#define KVM_IOEVENTFD_VALID_FLAG_MASK	0x1f

struct kvm_kernel_irqfd_resampler {
	struct kvm_kernel_irqfd_resampler *next;
	struct kvm *kvm;
	struct kvm_irq_ack_notifier notifier;	/* first: container_of */
};

struct kvm_kernel_irqfd {
	struct kvm_kernel_irqfd *next;
	struct kvm *kvm;
	uint32_t gsi;
	struct simfd *eventfd;		/* identity only: the watch holds no reference */
	struct eventfd_watch *watch;
	struct kvm_kernel_irqfd_resampler *resampler;
	struct simfd *resamplefd;	/* referenced */
	bool inject_queued;		/* on the kworker's list */
	bool shutdown;			/* EPOLLHUP: the eventfd is gone */
	struct kvm_kernel_irqfd *work_next;
};

static struct kvm_kernel_irqfd_resampler *to_resampler(struct kvm_irq_ack_notifier *kian)
{
	return (void *)((char *)kian - offsetof(struct kvm_kernel_irqfd_resampler, notifier));
}

static void trace_irqfd(const char *event, struct kvm_kernel_irqfd *irqfd)
{
	struct sim_ev *ev = sim_ev_begin(event);

	sim_ev_int(ev, "gsi", irqfd->gsi);
	sim_ev_end(ev);
}

/* irqfd_inject: the kworker's half */
static void irqfd_inject(struct kvm_kernel_irqfd *irqfd)
{
	struct kvm *kvm = irqfd->kvm;

	trace_irqfd("irqfd_inject", irqfd);
	if (!irqfd->resampler) {
		kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, irqfd->gsi, 1, false);
		kvm_set_irq(kvm, KVM_USERSPACE_IRQ_SOURCE_ID, irqfd->gsi, 0, false);
	} else {
		kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, irqfd->gsi, 1, false);
	}
}

/* The kvm-irqfd workqueue: runs queued injections whenever it is scheduled. */
static void irqfd_worker(void *arg)
{
	struct kvm_irq *irq = arg;

	for (;;) {
		struct kvm_kernel_irqfd *irqfd = NULL;

		while (!irq->irqfd_worker_exit) {
			for (irqfd = irq->irqfds; irqfd && !irqfd->inject_queued;
			     irqfd = irqfd->next)
				;
			if (irqfd)
				break;
			sim_wait(&irq->irqfd_wq);
		}
		if (irq->irqfd_worker_exit) {
			free(irq);
			sim_exit();
		}
		irqfd->inject_queued = false;
		/* where the injection lands against a running vCPU */
		sim_sync_point("irqfd_inject");
		if (irq->irqfd_worker_exit)
			continue;
		irqfd_inject(irqfd);
	}
}

static void schedule_inject(struct kvm_kernel_irqfd *irqfd)
{
	struct kvm_irq *irq = kvm_irq(irqfd->kvm);

	if (!irq->irqfd_worker) {
		irq->irqfd_worker = sim_spawn("kvm-irqfd", irqfd_worker, irq);
		sim_make_runnable(irq->irqfd_worker);
	}
	irqfd->inject_queued = true;
	sim_wake_all(&irq->irqfd_wq);
}

/* The GSI's only route, when it is an MSI: deliverable from the waker. */
static bool irqfd_route_msi(struct kvm *kvm, uint32_t gsi, struct kvm_kernel_irq_routing_entry *out)
{
	struct kvm_irq_routing_table *rt = kvm->irq->routing;
	int n = 0;

	if (!rt || gsi >= rt->nr_rt_entries)
		return false;
	for (uint32_t i = 0; i < rt->nr; i++) {
		if (rt->e[i].gsi == gsi) {
			*out = rt->e[i];
			n++;
		}
	}
	return n == 1 && out->type == KVM_IRQ_ROUTING_MSI;
}

/* irqfd_wakeup: runs in the context of whoever wrote the eventfd */
static void irqfd_wakeup(void *opaque, uint32_t events)
{
	struct kvm_kernel_irqfd *irqfd = opaque;
	struct kvm_kernel_irq_routing_entry e;

	if (events & EPOLLHUP) {
		/* irqfd_deactivate: the eventfd was closed */
		irqfd->shutdown = true;
		irqfd->inject_queued = false;
		irqfd->watch = NULL;
		trace_irqfd("irqfd_deactivate", irqfd);
		return;
	}
	if (!(events & EPOLLIN) || irqfd->shutdown)
		return;
	eventfd_ctx_do_read(irqfd->eventfd);
	trace_irqfd("irqfd_wakeup", irqfd);
	if (!irqfd->resampler && irqfd_route_msi(irqfd->kvm, irqfd->gsi, &e))
		e.set(&e, irqfd->kvm, KVM_USERSPACE_IRQ_SOURCE_ID, 1, false);
	else
		schedule_inject(irqfd);
}

/* irqfd_resampler_ack: the guest acknowledged the level the irqfds raised. */
static void irqfd_resampler_ack(struct kvm_irq_ack_notifier *kian)
{
	struct kvm_kernel_irqfd_resampler *resampler = to_resampler(kian);
	struct kvm *kvm = resampler->kvm;

	kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, kian->gsi, 0, false);
	for (struct kvm_kernel_irqfd *irqfd = kvm->irq->irqfds; irqfd; irqfd = irqfd->next)
		if (irqfd->resampler == resampler && !irqfd->shutdown)
			eventfd_signal(irqfd->resamplefd);
}

bool kvm_notify_irqfd_resampler(struct kvm *kvm, unsigned int irqchip, unsigned int pin)
{
	int gsi = kvm_irq_map_chip_pin(kvm, irqchip, pin);

	if (gsi == -1 || !kvm->irq)
		return false;
	for (struct kvm_kernel_irqfd_resampler *r = kvm->irq->resamplers; r; r = r->next) {
		if ((int)r->notifier.gsi != gsi)
			continue;
		for (struct kvm_kernel_irqfd *irqfd = kvm->irq->irqfds; irqfd; irqfd = irqfd->next)
			if (irqfd->resampler == r && !irqfd->shutdown)
				eventfd_signal(irqfd->resamplefd);
		return true;
	}
	return false;
}

static struct kvm_kernel_irqfd_resampler *irqfd_resampler_get(struct kvm *kvm, uint32_t gsi)
{
	struct kvm_irq *irq = kvm_irq(kvm);
	struct kvm_kernel_irqfd_resampler *r;

	for (r = irq->resamplers; r; r = r->next)
		if (r->notifier.gsi == gsi)
			return r;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->kvm = kvm;
	r->notifier.gsi = gsi;
	r->notifier.irq_acked = irqfd_resampler_ack;
	r->next = irq->resamplers;
	irq->resamplers = r;
	kvm_register_irq_ack_notifier(kvm, &r->notifier);
	return r;
}

/* irqfd_resampler_shutdown: the last irqfd of a resampler lowers its line. */
static void irqfd_resampler_put(struct kvm *kvm, struct kvm_kernel_irqfd_resampler *r)
{
	for (struct kvm_kernel_irqfd *i = kvm->irq->irqfds; i; i = i->next)
		if (i->resampler == r)
			return;
	kvm_unregister_irq_ack_notifier(kvm, &r->notifier);
	kvm_set_irq(kvm, KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID, r->notifier.gsi, 0, false);
	for (struct kvm_kernel_irqfd_resampler **pp = &kvm->irq->resamplers; *pp;
	     pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	free(r);
}

static void irqfd_free(struct kvm *kvm, struct kvm_kernel_irqfd *irqfd)
{
	for (struct kvm_kernel_irqfd **pp = &kvm->irq->irqfds; *pp; pp = &(*pp)->next) {
		if (*pp == irqfd) {
			*pp = irqfd->next;
			break;
		}
	}
	eventfd_unwatch(irqfd->watch);
	if (irqfd->resampler) {
		irqfd_resampler_put(kvm, irqfd->resampler);
		eventfd_ctx_put(irqfd->resamplefd);
	}
	free(irqfd);
}

static int kvm_irqfd_assign(struct kvm *kvm, const struct kvm_irqfd *args)
{
	bool resample = args->flags & KVM_IRQFD_FLAG_RESAMPLE;
	struct kvm_kernel_irqfd *irqfd, *tmp;
	struct simfd *eventfd;
	uint32_t events = 0;
	int err;

	if (kvm_arch()->intc_initialized && !kvm_arch()->intc_initialized(kvm))
		return -EAGAIN;
	if (!kvm_arch()->irqfd_allowed || !kvm_arch()->irqfd_allowed(kvm, resample))
		return -EINVAL;
	eventfd = eventfd_ctx_fdget(args->fd, &err);
	if (!eventfd)
		return err;
	/* the watch below holds no reference: a close must reach it (EPOLLHUP) */
	eventfd_ctx_put(eventfd);
	irqfd = calloc(1, sizeof(*irqfd));
	if (!irqfd)
		return -ENOMEM;
	irqfd->kvm = kvm;
	irqfd->gsi = args->gsi;
	irqfd->eventfd = eventfd;
	if (resample) {
		irqfd->resamplefd = eventfd_ctx_fdget(args->resamplefd, &err);
		if (!irqfd->resamplefd) {
			free(irqfd);
			return err;
		}
		irqfd->resampler = irqfd_resampler_get(kvm, irqfd->gsi);
		if (!irqfd->resampler) {
			eventfd_ctx_put(irqfd->resamplefd);
			free(irqfd);
			return -ENOMEM;
		}
	}
	for (tmp = kvm_irq(kvm)->irqfds; tmp; tmp = tmp->next) {
		if (tmp->eventfd == eventfd && !tmp->shutdown) {
			/* this fd is used for another irq already */
			irqfd_free(kvm, irqfd);
			return -EBUSY;
		}
	}
	irqfd->next = kvm->irq->irqfds;
	kvm->irq->irqfds = irqfd;
	irqfd->watch = eventfd_watch(eventfd, irqfd_wakeup, irqfd, &events);
	if (!irqfd->watch) {
		irqfd_free(kvm, irqfd);
		return -ENOMEM;
	}
	trace_irqfd("kvm_irqfd_assign", irqfd);
	/* an event already pending is injected as if written now */
	if (events & EPOLLIN)
		schedule_inject(irqfd);
	return 0;
}

/* kvm_irqfd_deassign: every irqfd on this eventfd and GSI (none: still 0) */
static int kvm_irqfd_deassign(struct kvm *kvm, const struct kvm_irqfd *args)
{
	struct kvm_kernel_irqfd *irqfd, *next;
	struct simfd *eventfd;
	int err;

	eventfd = eventfd_ctx_fdget(args->fd, &err);
	if (!eventfd)
		return err;
	for (irqfd = kvm->irq ? kvm->irq->irqfds : NULL; irqfd; irqfd = next) {
		next = irqfd->next;
		if (irqfd->eventfd == eventfd && irqfd->gsi == args->gsi) {
			trace_irqfd("irqfd_deactivate", irqfd);
			irqfd_free(kvm, irqfd);
		}
	}
	eventfd_ctx_put(eventfd);
	return 0;
}

/* irqfd_shutdown: the work an EPOLLHUP queued, done before the next irqfd call */
static void irqfd_reap(struct kvm *kvm)
{
	struct kvm_kernel_irqfd *irqfd, *next;

	for (irqfd = kvm->irq ? kvm->irq->irqfds : NULL; irqfd; irqfd = next) {
		next = irqfd->next;
		if (irqfd->shutdown)
			irqfd_free(kvm, irqfd);
	}
}

long kvm_irqfd(struct kvm *kvm, void *uarg)
{
	struct kvm_irqfd args;

	irqfd_reap(kvm);
	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~(KVM_IRQFD_FLAG_DEASSIGN | KVM_IRQFD_FLAG_RESAMPLE))
		return -EINVAL;
	if (args.flags & KVM_IRQFD_FLAG_DEASSIGN)
		return kvm_irqfd_deassign(kvm, &args);
	return kvm_irqfd_assign(kvm, &args);
}

/* ---- ioeventfd ---- */


struct _ioeventfd {
	struct kvm_io_device dev;	/* first: container_of */
	struct _ioeventfd *next;
	uint64_t addr;
	int length;
	struct simfd *eventfd;		/* referenced */
	uint64_t datamatch;
	bool wildcard;
	int bus_idx;
};

static bool ioeventfd_in_range(struct _ioeventfd *p, uint64_t addr, int len, const void *val)
{
	uint64_t v = 0;

	if (addr != p->addr)
		return false;
	if (!p->length)
		return true;
	if (len != p->length)
		return false;
	if (p->wildcard)
		return true;
	memcpy(&v, val, len);
	return v == p->datamatch;
}

/* ioeventfd_write: the guest's write signals the eventfd, no exit */
static int ioeventfd_write(struct kvm_vcpu *vcpu, struct kvm_io_device *dev, uint64_t addr,
			   int len, const void *val)
{
	struct _ioeventfd *p = (struct _ioeventfd *)dev;
	struct sim_ev *ev;

	if (!ioeventfd_in_range(p, addr, len, val))
		return -EOPNOTSUPP;
	ev = sim_ev_begin("ioeventfd_write");
	sim_ev_str(ev, "bus", p->bus_idx == KVM_PIO_BUS ? "pio" : "mmio");
	sim_ev_hex(ev, "addr", addr);
	sim_ev_int(ev, "len", len);
	sim_ev_end(ev);
	eventfd_signal(p->eventfd);
	return 0;
}

static const struct kvm_io_device_ops ioeventfd_ops = {
	.write = ioeventfd_write,
};

static bool ioeventfd_check_collision(struct kvm *kvm, struct _ioeventfd *p)
{
	for (struct _ioeventfd *q = kvm->irq->ioeventfds; q; q = q->next)
		if (q->bus_idx == p->bus_idx && q->addr == p->addr &&
		    (!q->length || !p->length ||
		     (q->length == p->length &&
		      (q->wildcard || p->wildcard || q->datamatch == p->datamatch))))
			return true;
	return false;
}

static int ioeventfd_bus_from_flags(uint32_t flags)
{
	if (flags & KVM_IOEVENTFD_FLAG_PIO)
		return KVM_PIO_BUS;
	if (flags & KVM_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY)
		return KVM_VIRTIO_CCW_NOTIFY_BUS;
	return KVM_MMIO_BUS;
}

static int kvm_assign_ioeventfd(struct kvm *kvm, const struct kvm_ioeventfd *args)
{
	struct _ioeventfd *p;
	struct simfd *eventfd;
	struct sim_ev *ev;
	int err;

	/* natural-word sized, or 0 for any length */
	if (args->len != 0 && args->len != 1 && args->len != 2 && args->len != 4 &&
	    args->len != 8)
		return -EINVAL;
	if (args->addr + args->len < args->addr)
		return -EINVAL;
	if (args->flags & ~KVM_IOEVENTFD_VALID_FLAG_MASK)
		return -EINVAL;
	if (!args->len && (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH))
		return -EINVAL;
	eventfd = eventfd_ctx_fdget(args->fd, &err);
	if (!eventfd)
		return err;
	p = calloc(1, sizeof(*p));
	if (!p) {
		eventfd_ctx_put(eventfd);
		return -ENOMEM;
	}
	p->dev.ops = &ioeventfd_ops;
	p->addr = args->addr;
	p->length = args->len;
	p->eventfd = eventfd;
	p->bus_idx = ioeventfd_bus_from_flags(args->flags);
	if (args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH)
		p->datamatch = args->datamatch;
	else
		p->wildcard = true;
	kvm_irq(kvm);
	err = ioeventfd_check_collision(kvm, p) ? -EEXIST :
	      kvm_io_bus_register_dev(kvm, p->bus_idx, p->addr, p->length, &p->dev);
	if (err) {
		eventfd_ctx_put(eventfd);
		free(p);
		return err;
	}
	p->next = kvm->irq->ioeventfds;
	kvm->irq->ioeventfds = p;
	ev = sim_ev_begin("kvm_assign_ioeventfd");
	sim_ev_hex(ev, "addr", p->addr);
	sim_ev_int(ev, "len", p->length);
	sim_ev_end(ev);
	return 0;
}

static void ioeventfd_release(struct kvm *kvm, struct _ioeventfd *p)
{
	kvm_io_bus_unregister_dev(kvm, p->bus_idx, &p->dev);
	eventfd_ctx_put(p->eventfd);
	free(p);
}

static int kvm_deassign_ioeventfd(struct kvm *kvm, const struct kvm_ioeventfd *args)
{
	bool wildcard = !(args->flags & KVM_IOEVENTFD_FLAG_DATAMATCH);
	int bus_idx = ioeventfd_bus_from_flags(args->flags);
	struct simfd *eventfd;
	int err;

	eventfd = eventfd_ctx_fdget(args->fd, &err);
	if (!eventfd)
		return err;
	err = -ENOENT;
	for (struct _ioeventfd **pp = kvm->irq ? &kvm->irq->ioeventfds : NULL; pp && *pp;
	     pp = &(*pp)->next) {
		struct _ioeventfd *p = *pp;

		if (p->bus_idx != bus_idx || p->eventfd != eventfd || p->addr != args->addr ||
		    p->length != (int)args->len || p->wildcard != wildcard)
			continue;
		if (!p->wildcard && p->datamatch != args->datamatch)
			continue;
		*pp = p->next;
		ioeventfd_release(kvm, p);
		err = 0;
		break;
	}
	eventfd_ctx_put(eventfd);
	return err;
}

long kvm_ioeventfd(struct kvm *kvm, void *uarg)
{
	struct kvm_ioeventfd args;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if (args.flags & KVM_IOEVENTFD_FLAG_DEASSIGN)
		return kvm_deassign_ioeventfd(kvm, &args);
	return kvm_assign_ioeventfd(kvm, &args);
}

/* kvm_irqfd_release + kvm_ioeventfd release at VM destruction */
void kvm_eventfd_release(struct kvm *kvm)
{
	struct kvm_irq *irq = kvm->irq;

	while (irq->irqfds)
		irqfd_free(kvm, irq->irqfds);
	while (irq->ioeventfds) {
		struct _ioeventfd *p = irq->ioeventfds;

		irq->ioeventfds = p->next;
		ioeventfd_release(kvm, p);
	}
}
