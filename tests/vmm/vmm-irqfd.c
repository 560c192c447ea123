// SPDX-License-Identifier: MIT
/*
 * vmm-irqfd: GSI routing, KVM_SIGNAL_MSI, KVM_IRQFD (with resample) and
 * KVM_IOEVENTFD, with a device thread serving the guest through them.
 *
 * Checks, first, the errno of bad input to every one of these ioctls and
 * of the irqchip ones (flags, fds that are no eventfd or no fd, lengths,
 * overflows, collisions, routes to pins that do not exist, two routes of
 * one GSI to one chip, a second MSI route on a GSI, no irqchip, no PIT)
 * and the capabilities they come with.  Then a guest (x2APIC, IOAPIC pin
 * 10 level-triggered to vector 0x41 through the IOAPIC's MMIO window)
 * rings an MMIO doorbell five times; each ring is an ioeventfd the device
 * thread reads, answers by writing a reply into guest memory and raising
 * GSI 5 (an MSI route to vector 0x40) through an irqfd, while the guest
 * waits in HLT.  A write to a data-matched doorbell with another value
 * exits to userspace, with its value signals; a PIO doorbell signals; a
 * resampling irqfd on GSI 10 raises the level pin, and its resample fd
 * is signalled once the guest EOIs it.  The transcript: the exits, the
 * guest's counts (interrupts on 0x40 and 0x41, replies that matched, the
 * IOAPIC version register), the device thread's counts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define IDT_GPA		0x5000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define REPLY_GPA	0x9000
#define PD_HIGH_GPA	0xa000	/* clear of the stack below 0x7000 */
#define DOORBELL	0x20000000
#define DOORBELL_DM	0x20000008
#define PIO_DOORBELL	0x710

extern const char guest_irqfd_start[], guest_irqfd_end[], guest_irqfd_msi[],
	guest_irqfd_level[];

static void show(const char *what, int r)
{
	printf("%s: %d %s\n", what, r, r < 0 ? errno_name(errno) : "");
}

static int irqfd(int vm, int fd, uint32_t gsi, uint32_t flags, int resamplefd)
{
	struct kvm_irqfd a = { .fd = fd, .gsi = gsi, .flags = flags, .resamplefd = resamplefd };

	return ioctl(vm, KVM_IRQFD, &a);
}

static int ioeventfd(int vm, int fd, uint64_t addr, uint32_t len, uint32_t flags,
		     uint64_t datamatch)
{
	struct kvm_ioeventfd a = { .fd = fd, .addr = addr, .len = len, .flags = flags,
				   .datamatch = datamatch };

	return ioctl(vm, KVM_IOEVENTFD, &a);
}

/* KVM_SET_GSI_ROUTING with up to four entries */
static int routing(int vm, int nr, const struct kvm_irq_routing_entry *e, uint32_t hdr_nr,
		   uint32_t flags)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[4];
	} t;

	memset(&t, 0, sizeof(t));
	t.r.nr = hdr_nr;
	t.r.flags = flags;
	memcpy(t.e, e, nr * sizeof(*e));
	return ioctl(vm, KVM_SET_GSI_ROUTING, &t);
}

static struct kvm_irq_routing_entry chip_route(uint32_t gsi, uint32_t chip, uint32_t pin)
{
	return (struct kvm_irq_routing_entry){ .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
					       .u.irqchip = { .irqchip = chip, .pin = pin } };
}

static struct kvm_irq_routing_entry msi_route(uint32_t gsi, uint32_t dest, uint32_t vector)
{
	return (struct kvm_irq_routing_entry){ .gsi = gsi, .type = KVM_IRQ_ROUTING_MSI,
					       .u.msi = { .address_lo = 0xfee00000 | dest << 12,
							  .data = vector } };
}

static void caps(int kvm)
{
	static const struct { long cap; const char *name; } list[] = {
		{ KVM_CAP_IRQCHIP, "IRQCHIP" }, { KVM_CAP_IRQ_ROUTING, "IRQ_ROUTING" },
		{ KVM_CAP_IRQFD, "IRQFD" }, { KVM_CAP_IRQFD_RESAMPLE, "IRQFD_RESAMPLE" },
		{ KVM_CAP_IOEVENTFD, "IOEVENTFD" },
		{ KVM_CAP_IOEVENTFD_NO_LENGTH, "IOEVENTFD_NO_LENGTH" },
		{ KVM_CAP_IOEVENTFD_ANY_LENGTH, "IOEVENTFD_ANY_LENGTH" },
		{ KVM_CAP_SIGNAL_MSI, "SIGNAL_MSI" }, { KVM_CAP_PIT, "PIT" },
		{ KVM_CAP_PIT2, "PIT2" }, { KVM_CAP_PIT_STATE2, "PIT_STATE2" },
		{ KVM_CAP_REINJECT_CONTROL, "REINJECT_CONTROL" },
		{ KVM_CAP_IRQ_INJECT_STATUS, "IRQ_INJECT_STATUS" },
	};

	printf("caps:");
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		printf(" %s=%d", list[i].name, ioctl(kvm, KVM_CHECK_EXTENSION, list[i].cap));
	printf("\n");
}

/* On a VM without the irqchip (and its vCPU already made). */
static void errnos_without_irqchip(struct vmm *v)
{
	struct kvm_irq_routing_entry e = chip_route(1, KVM_IRQCHIP_IOAPIC, 1);
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x40 };
	struct kvm_irqchip chip = { .chip_id = 0 };
	struct kvm_pit_state2 ps;
	struct kvm_reinject_control rc = { .pit_reinject = 1 };
	int efd = eventfd(0, 0), r;

	show("KVM_IRQFD without irqchip", irqfd(v->vm_fd, efd, 1, 0, -1));
	show("KVM_IRQFD resample without irqchip",
	     irqfd(v->vm_fd, efd, 1, KVM_IRQFD_FLAG_RESAMPLE, efd));
	show("KVM_SET_GSI_ROUTING without irqchip", routing(v->vm_fd, 1, &e, 1, 0));
	show("KVM_SIGNAL_MSI without irqchip", ioctl(v->vm_fd, KVM_SIGNAL_MSI, &msi));
	show("KVM_SET_IRQCHIP without irqchip", ioctl(v->vm_fd, KVM_SET_IRQCHIP, &chip));
	show("KVM_SET_PIT2 without a PIT", ioctl(v->vm_fd, KVM_SET_PIT2, &ps));
	show("KVM_REINJECT_CONTROL without a PIT", ioctl(v->vm_fd, KVM_REINJECT_CONTROL, &rc));
	show("KVM_CREATE_IRQCHIP after a vCPU", ioctl(v->vm_fd, KVM_CREATE_IRQCHIP, 0));
	r = ioeventfd(v->vm_fd, efd, 0x1000, 4, 0, 0);
	show("KVM_IOEVENTFD without irqchip", r);
	close(efd);
}

static void errnos_with_irqchip(int vm)
{
	struct kvm_irq_routing_entry e[4];
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = 0x40 };
	struct kvm_irqchip chip = { .chip_id = 3 };
	int efd = eventfd(0, 0), efd2 = eventfd(0, 0), pfd[2];

	if (pipe(pfd))
		fatal("pipe: %s", errno_name(errno));
	show("KVM_IRQFD flags 4", irqfd(vm, efd, 1, 4, -1));
	show("KVM_IRQFD fd -1", irqfd(vm, -1, 1, 0, -1));
	show("KVM_IRQFD a pipe", irqfd(vm, pfd[0], 1, 0, -1));
	show("KVM_IRQFD resample fd -1", irqfd(vm, efd, 1, KVM_IRQFD_FLAG_RESAMPLE, -1));
	show("KVM_IRQFD", irqfd(vm, efd, 1, 0, -1));
	show("KVM_IRQFD same eventfd, gsi 2", irqfd(vm, efd, 2, 0, -1));
	show("KVM_IRQFD deassign other gsi", irqfd(vm, efd, 3, KVM_IRQFD_FLAG_DEASSIGN, -1));
	show("KVM_IRQFD deassign fd -1", irqfd(vm, -1, 1, KVM_IRQFD_FLAG_DEASSIGN, -1));
	show("KVM_IRQFD deassign", irqfd(vm, efd, 1, KVM_IRQFD_FLAG_DEASSIGN, -1));
	show("KVM_IRQFD again after deassign", irqfd(vm, efd, 2, 0, -1));
	show("KVM_IRQFD deassign", irqfd(vm, efd, 2, KVM_IRQFD_FLAG_DEASSIGN, -1));

	show("KVM_IOEVENTFD len 3", ioeventfd(vm, efd, 0x1000, 3, 0, 0));
	show("KVM_IOEVENTFD flags 0x20", ioeventfd(vm, efd, 0x1000, 4, 0x20, 0));
	show("KVM_IOEVENTFD len 0 datamatch",
	     ioeventfd(vm, efd, 0x1000, 0, KVM_IOEVENTFD_FLAG_DATAMATCH, 0));
	show("KVM_IOEVENTFD addr wraps", ioeventfd(vm, efd, ~0ull - 1, 4, 0, 0));
	show("KVM_IOEVENTFD fd -1", ioeventfd(vm, -1, 0x1000, 4, 0, 0));
	show("KVM_IOEVENTFD a pipe", ioeventfd(vm, pfd[0], 0x1000, 4, 0, 0));
	show("KVM_IOEVENTFD", ioeventfd(vm, efd, 0x1000, 4, KVM_IOEVENTFD_FLAG_DATAMATCH, 1));
	show("KVM_IOEVENTFD other datamatch", ioeventfd(vm, efd2, 0x1000, 4,
							   KVM_IOEVENTFD_FLAG_DATAMATCH, 2));
	show("KVM_IOEVENTFD same datamatch", ioeventfd(vm, efd2, 0x1000, 4,
							  KVM_IOEVENTFD_FLAG_DATAMATCH, 1));
	show("KVM_IOEVENTFD wildcard over it", ioeventfd(vm, efd2, 0x1000, 4, 0, 0));
	show("KVM_IOEVENTFD any length over it", ioeventfd(vm, efd2, 0x1000, 0, 0, 0));
	show("KVM_IOEVENTFD same addr, PIO", ioeventfd(vm, efd2, 0x1000, 4,
							  KVM_IOEVENTFD_FLAG_PIO, 0));
	show("KVM_IOEVENTFD deassign wrong datamatch",
	     ioeventfd(vm, efd, 0x1000, 4, KVM_IOEVENTFD_FLAG_DEASSIGN |
		       KVM_IOEVENTFD_FLAG_DATAMATCH, 2));
	show("KVM_IOEVENTFD deassign as wildcard",
	     ioeventfd(vm, efd, 0x1000, 4, KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	show("KVM_IOEVENTFD deassign fd -1",
	     ioeventfd(vm, -1, 0x1000, 4, KVM_IOEVENTFD_FLAG_DEASSIGN, 0));
	show("KVM_IOEVENTFD deassign", ioeventfd(vm, efd, 0x1000, 4, KVM_IOEVENTFD_FLAG_DEASSIGN |
						 KVM_IOEVENTFD_FLAG_DATAMATCH, 1));
	show("KVM_IOEVENTFD deassign again", ioeventfd(vm, efd, 0x1000, 4,
						       KVM_IOEVENTFD_FLAG_DEASSIGN |
						       KVM_IOEVENTFD_FLAG_DATAMATCH, 1));
	show("KVM_IOEVENTFD deassign", ioeventfd(vm, efd2, 0x1000, 4, KVM_IOEVENTFD_FLAG_DEASSIGN |
						 KVM_IOEVENTFD_FLAG_DATAMATCH, 2));
	show("KVM_IOEVENTFD deassign", ioeventfd(vm, efd2, 0x1000, 4, KVM_IOEVENTFD_FLAG_DEASSIGN |
						 KVM_IOEVENTFD_FLAG_PIO, 0));

	e[0] = chip_route(1, KVM_IRQCHIP_IOAPIC, 1);
	show("KVM_SET_GSI_ROUTING nr 4097", routing(vm, 1, e, 4097, 0));
	show("KVM_SET_GSI_ROUTING flags 1", routing(vm, 1, e, 1, 1));
	e[0] = chip_route(4096, KVM_IRQCHIP_IOAPIC, 1);
	show("KVM_SET_GSI_ROUTING gsi 4096", routing(vm, 1, e, 1, 0));
	e[0] = chip_route(1, KVM_IRQCHIP_PIC_SLAVE, 8);
	show("KVM_SET_GSI_ROUTING PIC pin 8", routing(vm, 1, e, 1, 0));
	e[0] = chip_route(1, KVM_IRQCHIP_IOAPIC, 24);
	show("KVM_SET_GSI_ROUTING IOAPIC pin 24", routing(vm, 1, e, 1, 0));
	e[0] = chip_route(1, 3, 0);
	show("KVM_SET_GSI_ROUTING irqchip 3", routing(vm, 1, e, 1, 0));
	e[0] = chip_route(1, KVM_IRQCHIP_IOAPIC, 1);
	e[0].type = 99;
	show("KVM_SET_GSI_ROUTING type 99", routing(vm, 1, e, 1, 0));
	e[0] = chip_route(1, KVM_IRQCHIP_IOAPIC, 1);
	e[0].flags = 1;
	show("KVM_SET_GSI_ROUTING irqchip entry flags 1", routing(vm, 1, e, 1, 0));
	e[0] = msi_route(1, 0, 0x40);
	e[0].flags = 2;
	show("KVM_SET_GSI_ROUTING MSI entry flags 2", routing(vm, 1, e, 1, 0));
	e[0] = chip_route(1, KVM_IRQCHIP_PIC_MASTER, 1);
	e[1] = chip_route(1, KVM_IRQCHIP_PIC_MASTER, 2);
	show("KVM_SET_GSI_ROUTING one GSI twice to the PIC", routing(vm, 2, e, 2, 0));
	e[1] = msi_route(1, 0, 0x40);
	show("KVM_SET_GSI_ROUTING irqchip and MSI on one GSI", routing(vm, 2, e, 2, 0));
	e[0] = msi_route(1, 0, 0x41);
	show("KVM_SET_GSI_ROUTING two MSIs on one GSI", routing(vm, 2, e, 2, 0));
	e[0] = chip_route(1, KVM_IRQCHIP_PIC_MASTER, 1);
	e[1] = chip_route(1, KVM_IRQCHIP_IOAPIC, 1);
	e[2] = msi_route(2, 0, 0x40);
	show("KVM_SET_GSI_ROUTING PIC, IOAPIC, MSI", routing(vm, 3, e, 3, 0));
	show("KVM_SET_GSI_ROUTING none", routing(vm, 0, e, 0, 0));

	msi.flags = 2;
	show("KVM_SIGNAL_MSI flags 2", ioctl(vm, KVM_SIGNAL_MSI, &msi));
	msi.flags = 0;
	show("KVM_SIGNAL_MSI to no vCPU", ioctl(vm, KVM_SIGNAL_MSI, &msi));
	show("KVM_SET_IRQCHIP chip 3", ioctl(vm, KVM_SET_IRQCHIP, &chip));
	close(pfd[0]);
	close(pfd[1]);
	close(efd);
	close(efd2);
}

/* ---- the device thread ---- */

static struct device {
	char *ram;
	int msi_irqfd, doorbell, doorbell_dm, pio_doorbell, level_irqfd, resample;
	uint64_t rings, dm_rings, pio_rings, resamples;
} dev;

static uint64_t eventfd_take(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		fatal("eventfd read: %s", errno_name(errno));
	return v;
}

static void eventfd_give(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		fatal("eventfd write: %s", errno_name(errno));
}

static void *device_thread(void *arg __attribute__((unused)))
{
	for (uint64_t round = 1; round <= 5; round++) {
		dev.rings += eventfd_take(dev.doorbell);
		memcpy(dev.ram + REPLY_GPA + 8 * round, &(uint64_t){ round * 0x11 }, 8);
		eventfd_give(dev.msi_irqfd);
	}
	dev.dm_rings = eventfd_take(dev.doorbell_dm);
	dev.pio_rings = eventfd_take(dev.pio_doorbell);
	eventfd_give(dev.level_irqfd);
	dev.resamples = eventfd_take(dev.resample);
	return NULL;
}

static void set_cpuid(struct vmm *v)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + 100 * sizeof(c->entries[0]));

	c->nent = 100;
	xioctl(v->kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
	xioctl(v->vcpu_fd, KVM_SET_CPUID2, c);
	free(c);
}

static void run_device_loop(struct vmm *v)
{
	struct kvm_irq_routing_entry e[2] = { msi_route(5, 0, 0x40),
					      chip_route(10, KVM_IRQCHIP_IOAPIC, 10) };
	uint64_t *pdpt, *pd_high;
	struct kvm_sregs sregs;
	pthread_t t;
	int r;

	dev.ram = vmm_alloc(RAM_SIZE);
	vmm_set_slot(v, 0, 0, 0, RAM_SIZE, dev.ram);
	vmm_load(dev.ram, CODE_GPA, guest_irqfd_start, guest_irqfd_end);
	vmm_setup_long_mode(v, dev.ram, PT_GPA, GDT_GPA);
	/* the IOAPIC's 2 MiB at 0xfec00000, through PDPT[3] */
	pdpt = (uint64_t *)(dev.ram + PT_GPA + 0x1000);
	pd_high = (uint64_t *)(dev.ram + PD_HIGH_GPA);
	pdpt[3] = PD_HIGH_GPA | PTE_P | PTE_RW | PTE_A;
	pd_high[(0xfec00000 >> 21) & 511] = 0xfec00000 | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS;
	vmm_set_idt_gate(dev.ram + IDT_GPA, 0x40,
			 CODE_GPA + (uint64_t)(guest_irqfd_msi - guest_irqfd_start));
	vmm_set_idt_gate(dev.ram + IDT_GPA, 0x41,
			 CODE_GPA + (uint64_t)(guest_irqfd_level - guest_irqfd_start));
	vmm_get_sregs(v, &sregs);
	sregs.idt.base = IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;
	vmm_set_sregs(v, &sregs);
	vmm_set_regs(v, CODE_GPA, STACK_TOP);

	xioctl(v->vm_fd, KVM_SET_GSI_ROUTING, &((struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[2];
	}){ .r = { .nr = 2 }, .e = { e[0], e[1] } }));
	dev.msi_irqfd = eventfd(0, 0);
	dev.doorbell = eventfd(0, 0);
	dev.doorbell_dm = eventfd(0, 0);
	dev.pio_doorbell = eventfd(0, 0);
	dev.level_irqfd = eventfd(0, 0);
	dev.resample = eventfd(0, 0);
	xioctl(v->vm_fd, KVM_IRQFD, &((struct kvm_irqfd){ .fd = dev.msi_irqfd, .gsi = 5 }));
	xioctl(v->vm_fd, KVM_IRQFD, &((struct kvm_irqfd){ .fd = dev.level_irqfd, .gsi = 10,
		.flags = KVM_IRQFD_FLAG_RESAMPLE, .resamplefd = dev.resample }));
	if (ioeventfd(v->vm_fd, dev.doorbell, DOORBELL, 4, 0, 0) ||
	    ioeventfd(v->vm_fd, dev.doorbell_dm, DOORBELL_DM, 4, KVM_IOEVENTFD_FLAG_DATAMATCH, 7) ||
	    ioeventfd(v->vm_fd, dev.pio_doorbell, PIO_DOORBELL, 1, KVM_IOEVENTFD_FLAG_PIO, 0))
		fatal("KVM_IOEVENTFD: %s", errno_name(errno));
	if (pthread_create(&t, NULL, device_thread, NULL))
		fatal("pthread_create");
	for (int n = 0; n < 10; n++) {
		r = vmm_run(v);
		if (r != KVM_EXIT_MMIO || v->run->mmio.data[0] == 0xff)
			break;
	}
	pthread_join(t, NULL);
	printf("device: rings=%llu dm_rings=%llu pio_rings=%llu resamples=%llu\n",
	       (unsigned long long)dev.rings, (unsigned long long)dev.dm_rings,
	       (unsigned long long)dev.pio_rings, (unsigned long long)dev.resamples);
}

int main(void)
{
	struct vmm v;

	printf("# vmm-irqfd\n");
	vmm_open(&v);
	caps(v.kvm_fd);
	errnos_without_irqchip(&v);
	vmm_destroy_vm(&v);

	v.vm_fd = xioctl(v.kvm_fd, KVM_CREATE_VM, 0);
	xioctl(v.vm_fd, KVM_CREATE_IRQCHIP, 0);
	errnos_with_irqchip(v.vm_fd);
	v.vcpu_fd = xioctl(v.vm_fd, KVM_CREATE_VCPU, 0);
	v.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu_fd, 0);
	if (v.run == MAP_FAILED)
		fatal("mmap(vcpu): errno=%s", errno_name(errno));
	v.nr_runs = 0;
	set_cpuid(&v);
	run_device_loop(&v);
	vmm_destroy_vm(&v);
	return 0;
}
