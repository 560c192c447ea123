// SPDX-License-Identifier: MIT
/*
 * vmm-irqfd: KVM_IRQFD and KVM_SET_GSI_ROUTING on arm64, to the vGICv3's
 * SPIs (arch/arm64/kvm/vgic/vgic-irqfd.c, virt/kvm/eventfd.c,
 * irqchip.c), checked value by value against what arm64 Linux returns.
 * First the errnos: an irqfd before the vGIC is initialised (EAGAIN, no
 * vGIC or not yet KVM_DEV_ARM_VGIC_CTRL_INIT), routes past the one
 * irqchip's 988 pins or KVM_MAX_IRQ_ROUTES GSIs (EINVAL), KVM_SIGNAL_MSI
 * without an ITS (ENODEV).  Then a guest (guest-bins/arm64/spi_irqfd.c)
 * takes SPIs that a device thread raises by writing eventfds: edges on
 * a default route, a level SPI with a resampling irqfd (the device
 * re-raises while it still wants acks), and a GSI routed by
 * KVM_SET_GSI_ROUTING.  Run with `kvmsim exec --arch arm64`; any
 * mismatch exits 1.
 */
#include <errno.h>
#include <sys/mman.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "scenario.h"

#define GICD_BASE	0x08000000ull
#define GICR_BASE	0x080a0000ull
#define DEVICE_ACK	0x0a000000ull
#define GSI_EDGE	8	/* SPI 40 */
#define GSI_LEVEL	9	/* SPI 41 */
#define GSI_ROUTED	100	/* pin 10: SPI 42, once routed */
#define NR_PINS		(1020 - 32)

static int failures;

#define CHECK_EQ(what, got, want)						\
	do {									\
		unsigned long long __g = (got), __w = (want);			\
		printf("%-56s %#llx%s\n", what, __g, __g == __w ? "" : " MISMATCH");\
		if (__g != __w) {						\
			fprintf(stderr, "%s: got %#llx, want %#llx\n", what, __g, __w);\
			failures++;						\
		}								\
	} while (0)

static long xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static long irqfd(int vm, int fd, u32 gsi, u32 flags, int resamplefd)
{
	struct kvm_irqfd a = { .fd = fd, .gsi = gsi, .flags = flags, .resamplefd = resamplefd };

	return xioctl(vm, KVM_IRQFD, &a);
}

/* nr entries of e (at most 4); a larger nr is only said, for its errno */
static long set_routing(int vm, const struct kvm_irq_routing_entry *e, u32 nr, u32 flags)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[4];
	} rt = { .r = { .nr = nr, .flags = flags } };

	if (nr <= 4)
		memcpy(rt.e, e, nr * sizeof(*e));
	return xioctl(vm, KVM_SET_GSI_ROUTING, &rt);
}

static struct kvm_irq_routing_entry chip_route(u32 gsi, u32 irqchip, u32 pin)
{
	return (struct kvm_irq_routing_entry){
		.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
		.u.irqchip = { .irqchip = irqchip, .pin = pin },
	};
}

static int vgic_create(int vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	u64 dist = GICD_BASE, redist = GICR_BASE;
	struct kvm_device_attr a = { .group = KVM_DEV_ARM_VGIC_GRP_ADDR };

	if (ioctl(vm, KVM_CREATE_DEVICE, &cd))
		die_errno("KVM_CREATE_DEVICE");
	a.attr = KVM_VGIC_V3_ADDR_TYPE_DIST;
	a.addr = (u64)(uintptr_t)&dist;
	if (ioctl(cd.fd, KVM_SET_DEVICE_ATTR, &a))
		die_errno("KVM_SET_DEVICE_ATTR DIST");
	a.attr = KVM_VGIC_V3_ADDR_TYPE_REDIST;
	a.addr = (u64)(uintptr_t)&redist;
	if (ioctl(cd.fd, KVM_SET_DEVICE_ATTR, &a))
		die_errno("KVM_SET_DEVICE_ATTR REDIST");
	return cd.fd;
}

static void vgic_init(int gic)
{
	struct kvm_device_attr a = { .group = KVM_DEV_ARM_VGIC_GRP_CTRL,
				     .attr = KVM_DEV_ARM_VGIC_CTRL_INIT };

	if (ioctl(gic, KVM_SET_DEVICE_ATTR, &a))
		die_errno("KVM_DEV_ARM_VGIC_CTRL_INIT");
}

/* A routing header readable at a page's end, its one entry in the unmapped page after. */
static long routing_past_hole(int vm)
{
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_irq_routing *r;
	long ret;

	if (p == MAP_FAILED || munmap(p + 4096, 4096))
		die_errno("mmap");
	r = (struct kvm_irq_routing *)(p + 4096 - sizeof(*r));
	r->nr = 1;
	r->flags = 0;
	ret = xioctl(vm, KVM_SET_GSI_ROUTING, r);
	munmap(p, 4096);
	return ret;
}

static void check_errnos(int kvm)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0), efd = eventfd(0, 0), rfd = eventfd(0, 0), gic;
	struct kvm_irq_routing_entry e[2];
	struct kvm_msi msi = { .address_lo = 0x08080040, .data = 1 };
	struct kvm_vcpu_init init = { .target = KVM_ARM_TARGET_GENERIC_V8 };
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);

	if (vcpu < 0 || ioctl(vcpu, KVM_ARM_VCPU_INIT, &init))
		die_errno("vCPU");
	CHECK_EQ("KVM_CAP_IRQ_ROUTING (KVM_MAX_IRQ_ROUTES)", ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING), 4096);
	CHECK_EQ("KVM_CAP_IRQFD", ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD), 1);
	CHECK_EQ("KVM_CAP_IRQFD_RESAMPLE", ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD_RESAMPLE), 1);
	CHECK_EQ("KVM_CAP_SIGNAL_MSI", ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI), 1);

	/* bad pointers and the wrong fd kind (kvm_vm_ioctl copies the header first) */
	CHECK_EQ("KVM_IRQFD NULL: -EFAULT", xioctl(vm, KVM_IRQFD, NULL), -EFAULT);
	CHECK_EQ("KVM_IRQFD on the vCPU fd: -EINVAL", xioctl(vcpu, KVM_IRQFD, NULL), -EINVAL);
	CHECK_EQ("KVM_SET_GSI_ROUTING NULL: -EFAULT", xioctl(vm, KVM_SET_GSI_ROUTING, NULL), -EFAULT);
	CHECK_EQ("KVM_SET_GSI_ROUTING entries unmapped: -EFAULT", routing_past_hole(vm), -EFAULT);
	CHECK_EQ("KVM_SET_GSI_ROUTING on /dev/kvm: -EINVAL",
		 xioctl(kvm, KVM_SET_GSI_ROUTING, NULL), -EINVAL);

	/* no vGIC: kvm_arch_intc_initialized is false; routes may still be set */
	CHECK_EQ("no vGIC: KVM_IRQFD: -EAGAIN", irqfd(vm, efd, GSI_EDGE, 0, -1), -EAGAIN);
	CHECK_EQ("no vGIC: KVM_IRQFD resample: -EAGAIN",
		 irqfd(vm, efd, GSI_EDGE, KVM_IRQFD_FLAG_RESAMPLE, rfd), -EAGAIN);
	CHECK_EQ("no vGIC: KVM_SIGNAL_MSI: -EINVAL", xioctl(vm, KVM_SIGNAL_MSI, &msi), -EINVAL);
	e[0] = chip_route(3, 0, 3);
	CHECK_EQ("no vGIC: KVM_SET_GSI_ROUTING (can_set_irq_routing)", set_routing(vm, e, 1, 0), 0);

	/* a vGIC, not initialised yet */
	gic = vgic_create(vm);
	CHECK_EQ("vGIC before CTRL_INIT: KVM_IRQFD: -EAGAIN", irqfd(vm, efd, GSI_EDGE, 0, -1), -EAGAIN);
	CHECK_EQ("vGIC: KVM_SIGNAL_MSI without an ITS: -ENODEV", xioctl(vm, KVM_SIGNAL_MSI, &msi), -ENODEV);
	msi.flags = 2;
	CHECK_EQ("vGIC: KVM_SIGNAL_MSI flags 2: -EINVAL", xioctl(vm, KVM_SIGNAL_MSI, &msi), -EINVAL);

	/* routes: one irqchip of 988 pins, GSIs below KVM_MAX_IRQ_ROUTES */
	e[0] = chip_route(0, 0, NR_PINS - 1);
	CHECK_EQ("route to pin 987", set_routing(vm, e, 1, 0), 0);
	e[0] = chip_route(0, 0, NR_PINS);
	CHECK_EQ("route to pin 988: -EINVAL", set_routing(vm, e, 1, 0), -EINVAL);
	e[0] = chip_route(0, 1, 0);
	CHECK_EQ("route to irqchip 1: -EINVAL", set_routing(vm, e, 1, 0), -EINVAL);
	e[0] = chip_route(4096, 0, 0);
	CHECK_EQ("route of GSI 4096: -EINVAL", set_routing(vm, e, 1, 0), -EINVAL);
	e[0] = chip_route(4095, 0, 0);
	CHECK_EQ("route of GSI 4095", set_routing(vm, e, 1, 0), 0);
	e[0] = chip_route(5, 0, 5);
	e[1] = chip_route(5, 0, 6);
	CHECK_EQ("GSI 5 twice on irqchip 0: -EINVAL", set_routing(vm, e, 2, 0), -EINVAL);
	e[0] = chip_route(5, 0, 5);
	e[0].flags = 1;
	CHECK_EQ("irqchip route with flags 1: -EINVAL", set_routing(vm, e, 1, 0), -EINVAL);
	e[0] = chip_route(5, 0, 5);
	e[0].type = 99;
	CHECK_EQ("route type 99: -EINVAL", set_routing(vm, e, 1, 0), -EINVAL);
	e[0] = (struct kvm_irq_routing_entry){ .gsi = 6, .type = KVM_IRQ_ROUTING_MSI,
					       .u.msi = { .address_lo = 0x08080040, .data = 1 } };
	CHECK_EQ("MSI route (set() fails later without an ITS)", set_routing(vm, e, 1, 0), 0);
	CHECK_EQ("KVM_SET_GSI_ROUTING flags 1: -EINVAL", set_routing(vm, e, 1, 1), -EINVAL);
	CHECK_EQ("KVM_SET_GSI_ROUTING nr 4097: -EINVAL", set_routing(vm, NULL, 4097, 0), -EINVAL);

	/* initialised: irqfds on any GSI, routed or not (nothing checks it) */
	vgic_init(gic);
	CHECK_EQ("KVM_IRQFD GSI 8", irqfd(vm, efd, GSI_EDGE, 0, -1), 0);
	CHECK_EQ("KVM_IRQFD same eventfd again: -EBUSY", irqfd(vm, efd, 20, 0, -1), -EBUSY);
	CHECK_EQ("KVM_IRQFD deassign", irqfd(vm, efd, GSI_EDGE, KVM_IRQFD_FLAG_DEASSIGN, -1), 0);
	CHECK_EQ("KVM_IRQFD GSI 5000 (unrouted)", irqfd(vm, efd, 5000, 0, -1), 0);
	CHECK_EQ("KVM_IRQFD flags 4: -EINVAL", irqfd(vm, rfd, 1, 4, -1), -EINVAL);
	CHECK_EQ("KVM_IRQFD resample, bad resamplefd: -EBADF",
		 irqfd(vm, rfd, 1, KVM_IRQFD_FLAG_RESAMPLE, 1000), -EBADF);
	CHECK_EQ("eventfd write to the unrouted GSI", write(efd, &(u64){ 1 }, 8), 8);
	close(gic);
	close(vcpu);
	close(vm);
	close(efd);
	close(rfd);
}

/* ---- the guest and its device ---- */

struct device {
	int vm, edge, level, routed, resample;	/* eventfds */
	int cmd[2];				/* pipe: what to raise next */
	pthread_mutex_t lock;
	int acks_needed;			/* the level line is up while > 0 */
	u64 resamples, raised;
};

/* The device's thread: raises SPIs on command, re-raises on resample. */
static void *device_thread(void *arg)
{
	struct device *d = arg;
	struct pollfd p[2] = { { .fd = d->cmd[0], .events = POLLIN },
			       { .fd = d->resample, .events = POLLIN } };
	u64 one = 1, n;
	char c;

	for (;;) {
		if (poll(p, 2, -1) < 0)
			die_errno("poll");
		if (p[1].revents & POLLIN) {
			if (read(d->resample, &n, 8) != 8)
				die_errno("read resamplefd");
			pthread_mutex_lock(&d->lock);
			d->resamples += n;
			if (d->acks_needed > 0 && write(d->level, &one, 8) == 8)
				d->raised++;
			pthread_mutex_unlock(&d->lock);
		}
		if (!(p[0].revents & POLLIN))
			continue;
		if (read(d->cmd[0], &c, 1) != 1)
			die_errno("read cmd");
		if (c == 'q')
			return NULL;
		pthread_mutex_lock(&d->lock);
		if (c == 'l')
			d->raised++;
		pthread_mutex_unlock(&d->lock);
		if (write(c == 'e' ? d->edge : c == 'l' ? d->level : d->routed, &one, 8) != 8)
			die_errno("eventfd write");
	}
}

static void command(struct device *d, char c)
{
	if (write(d->cmd[1], &c, 1) != 1)
		die_errno("write cmd");
}

static void check_guest(void)
{
	struct kvm_vm *vm = vm_create();
	u64 entry = vm_load_guest(vm, "spi_irqfd");
	struct kvm_vcpu *vcpu = vm_vcpu_add(vm, entry);
	struct device d = { .vm = vm->vm_fd, .lock = PTHREAD_MUTEX_INITIALIZER };
	struct kvm_irq_routing_entry route;
	pthread_t thread;
	struct ucall uc;
	u64 syncs = 0;
	int gic;

	gic = vgic_create(vm->vm_fd);
	vgic_init(gic);
	d.edge = eventfd(0, 0);
	d.level = eventfd(0, 0);
	d.routed = eventfd(0, 0);
	d.resample = eventfd(0, EFD_NONBLOCK);
	if (pipe(d.cmd))
		die_errno("pipe");
	CHECK_EQ("KVM_IRQFD edge, GSI 8 (default route: SPI 40)", irqfd(d.vm, d.edge, GSI_EDGE, 0, -1), 0);
	CHECK_EQ("KVM_IRQFD level + resample, GSI 9 (SPI 41)",
		 irqfd(d.vm, d.level, GSI_LEVEL, KVM_IRQFD_FLAG_RESAMPLE, d.resample), 0);
	CHECK_EQ("KVM_IRQFD GSI 100 (not routed yet)", irqfd(d.vm, d.routed, GSI_ROUTED, 0, -1), 0);
	if (pthread_create(&thread, NULL, device_thread, &d))
		die("pthread_create");

	for (;;) {
		u64 cmd = vcpu_run_ucall(vcpu, &uc);
		struct kvm_run *run = vcpu->run;

		if (cmd == UCALL_DONE)
			break;
		if (cmd == UCALL_NONE && run->exit_reason == KVM_EXIT_MMIO &&
		    run->mmio.phys_addr == DEVICE_ACK && run->mmio.is_write) {
			pthread_mutex_lock(&d.lock);
			d.acks_needed--;
			pthread_mutex_unlock(&d.lock);
			continue;
		}
		if (cmd != UCALL_SYNC)
			die("unexpected exit");
		syncs |= 1ull << uc.args[0];
		switch (uc.args[0]) {
		case 1:
			CHECK_EQ("guest: GICD_ICFGR2 (41 level, the rest edge)", uc.args[1], 0xaaa2aaaa);
			break;
		case 2:
			command(&d, 'e');
			break;
		case 3:
			pthread_mutex_lock(&d.lock);
			d.acks_needed = uc.args[1];
			pthread_mutex_unlock(&d.lock);
			command(&d, 'l');
			break;
		case 4:
			route = chip_route(GSI_ROUTED, 0, 10);
			CHECK_EQ("KVM_SET_GSI_ROUTING: GSI 100 -> pin 10 only", set_routing(d.vm, &route, 1, 0), 0);
			command(&d, 'r');
			break;
		case 5:
			CHECK_EQ("guest: SPI 40 taken (three edges)", uc.args[1], 3);
			CHECK_EQ("guest: SPI 41 taken (1 + 2: re-raised once)", uc.args[2], 3);
			CHECK_EQ("guest: SPI 42 taken (GSI 100's new route)", uc.args[3], 1);
			CHECK_EQ("guest: other INTIDs", uc.args[4], 0);
			CHECK_EQ("guest: SPI 41 pending at each EOI (line held)", uc.args[5] >> 8, 3);
			CHECK_EQ("guest: SPI 41 pending at the end (resampled low)", uc.args[5] & 0xff, 0);
			break;
		}
	}
	command(&d, 'q');
	pthread_join(thread, NULL);
	{
		u64 n = 0;

		/* a resample the thread had not read yet */
		if (read(d.resample, &n, 8) == 8)
			d.resamples += n;
	}
	CHECK_EQ("syncs 1-5 seen", syncs, 0x3e);
	CHECK_EQ("device: level raised (two commands, one re-raise)", d.raised, 3);
	CHECK_EQ("device: resamples (one per EOI of SPI 41)", d.resamples, 3);
	CHECK_EQ("device: acks outstanding", d.acks_needed, 0);
	close(gic);
	vm_destroy(vm);
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR);

	if (kvm < 0)
		die_errno("/dev/kvm");
	check_errnos(kvm);
	check_guest();
	close(kvm);
	if (failures) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("all checks passed\n");
	return 0;
}
