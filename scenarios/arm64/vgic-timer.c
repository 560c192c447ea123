// SPDX-License-Identifier: MIT
/*
 * vgic-timer (arm64 only): a vGICv3 and the virtual timer, as a VMM sets
 * them up (KVM_CREATE_DEVICE KVM_DEV_TYPE_ARM_VGIC_V3, the distributor
 * and redistributor addresses, NR_IRQS, CTRL_INIT) for two vCPUs running
 * guest-bins/arm64/vgic_timer.c: vCPU 0 takes a periodic virtual-timer
 * tick (PPI 27) ten times, then SPI 40 that this VMM raises with
 * KVM_IRQ_LINE, then exchanges SGIs with vCPU 1.  Each vCPU runs on its
 * own thread; what the guest reports is printed once both are done.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>

#include "scenario.h"

#define GICD_BASE	0x08000000ull
#define GICR_BASE	0x080a0000ull
#define NR_IRQS		96
#define SPI_DEVICE	40

struct vcpu_ctx {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	struct ucall sync[40];
	int nr_sync;
};

static int vm_fd;

static void irq_line(u32 type, u32 vcpu, u32 num, int level)
{
	struct kvm_irq_level il = {
		.irq = type << KVM_ARM_IRQ_TYPE_SHIFT | vcpu << KVM_ARM_IRQ_VCPU_SHIFT | num,
		.level = level,
	};

	if (ioctl(vm_fd, KVM_IRQ_LINE, &il))
		die_errno("KVM_IRQ_LINE");
}

static void *vcpu_thread(void *arg)
{
	struct vcpu_ctx *c = arg;
	struct ucall uc;

	for (;;) {
		u64 cmd = vcpu_run_ucall(c->vcpu, &uc);

		if (cmd == UCALL_SYNC) {
			if (c->nr_sync < 40)
				c->sync[c->nr_sync++] = uc;
			/* a device raises its interrupt: an edge on SPI 40 */
			if (uc.args[0] == 2) {
				irq_line(KVM_ARM_IRQ_TYPE_SPI, 0, SPI_DEVICE, 1);
				irq_line(KVM_ARM_IRQ_TYPE_SPI, 0, SPI_DEVICE, 0);
			}
			continue;
		}
		if (cmd != UCALL_DONE)
			die("vCPU %u: unexpected exit", c->vcpu->id);
		return NULL;
	}
}

static void set_attr(int fd, u32 group, u64 attr, const void *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (u64)(uintptr_t)val };

	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a))
		die_errno("KVM_SET_DEVICE_ATTR group %u attr %llu", group, (unsigned long long)attr);
}

static const struct ucall *find_sync(const struct vcpu_ctx *c, u64 stage)
{
	for (int i = 0; i < c->nr_sync; i++)
		if (c->sync[i].args[0] == stage)
			return &c->sync[i];
	die("vCPU %u sent no sync %llu", c->vcpu->id, (unsigned long long)stage);
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	u64 entry = vm_load_guest(vm, "vgic_timer");
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	struct vcpu_ctx v[2] = { 0 };
	u64 dist = GICD_BASE, redist = GICR_BASE;
	u32 nr_irqs = NR_IRQS;
	const struct ucall *s;

	vm_fd = vm->vm_fd;
	for (int i = 0; i < 2; i++) {
		v[i].vcpu = vm_vcpu_add(vm, entry);
		vcpu_set_args(v[i].vcpu, 1, (u64)i);
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_DEVICE, &cd))
		die_errno("KVM_CREATE_DEVICE");
	set_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist);
	set_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist);
	set_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs);
	set_attr(cd.fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&v[i].thread, NULL, vcpu_thread, &v[i]))
			die("pthread_create");
	for (int i = 0; i < 2; i++)
		pthread_join(v[i].thread, NULL);

	s = find_sync(&v[0], 1);
	printf("GICD_TYPER %#llx GICD_IIDR %#llx GICD_PIDR2 %#llx\n",
	       (unsigned long long)s->args[1], (unsigned long long)s->args[2],
	       (unsigned long long)s->args[3]);
	printf("GICR_TYPER of vCPU 1 %#llx ICC_CTLR_EL1 %#llx\n",
	       (unsigned long long)s->args[4], (unsigned long long)s->args[5]);
	s = find_sync(&v[0], 2);
	printf("vCPU 0: %llu timer ticks, %llu early\n", (unsigned long long)s->args[1],
	       (unsigned long long)s->args[2]);
	s = find_sync(&v[0], 3);
	printf("vCPU 0: %llu ticks, %llu SPI, %llu SGI, %llu interrupts, %llu spurious\n",
	       (unsigned long long)s->args[1], (unsigned long long)s->args[2],
	       (unsigned long long)s->args[3], (unsigned long long)s->args[4],
	       (unsigned long long)s->args[5]);
	printf("vCPU 0 INTIDs:");
	for (int i = 0; i < v[0].nr_sync; i++)
		if (v[0].sync[i].args[0] == 5)
			printf(" %llu", (unsigned long long)v[0].sync[i].args[2]);
	printf("\n");
	s = find_sync(&v[0], 6);
	printf("vCPU 0: %llu ticks taken while masked, %llu in all, the masked one taken right after "
	       "unmasking: %llu, one taken mid-loop within 1000 ns of its deadline: %llu\n",
	       (unsigned long long)s->args[1], (unsigned long long)s->args[2],
	       (unsigned long long)s->args[3], (unsigned long long)s->args[4]);
	s = find_sync(&v[1], 4);
	printf("vCPU 1: %llu SGI, first INTID %llu, %llu interrupts, %llu spurious\n",
	       (unsigned long long)s->args[1], (unsigned long long)s->args[2],
	       (unsigned long long)s->args[3], (unsigned long long)s->args[4]);
	vm_destroy(vm);
	return 0;
}
