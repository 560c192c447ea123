// SPDX-License-Identifier: MIT
/*
 * vmm-vgic: the vGICv3 device, KVM_IRQ_LINE, the timer's vCPU attributes
 * and ONE_REGs, and KVM_ARM_VCPU_FINALIZE, checked value by value against
 * what arm64 Linux returns (arch/arm64/kvm/vgic/vgic-kvm-device.c,
 * vgic-init.c, arm.c, arch_timer.c, guest.c).  Built against the arm64
 * uAPI, run with `kvmsim exec --arch arm64`.  Any mismatch exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scenario.h"

static int failures;

#define CHECK_EQ(what, got, want)						\
	do {									\
		unsigned long long __g = (got), __w = (want);			\
		printf("%-52s %#llx%s\n", what, __g, __g == __w ? "" : " MISMATCH");\
		if (__g != __w) {						\
			fprintf(stderr, "%s: got %#llx, want %#llx\n", what, __g, __w);\
			failures++;						\
		}								\
	} while (0)

static long xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static long attr(int fd, unsigned long cmd, u32 group, u64 a, void *val)
{
	struct kvm_device_attr da = { .group = group, .attr = a, .addr = (u64)(uintptr_t)val };

	return xioctl(fd, cmd, &da);
}

static long irq_line(int vm, u32 type, u32 vcpu, u32 num, u32 level)
{
	struct kvm_irq_level il = {
		.irq = type << KVM_ARM_IRQ_TYPE_SHIFT | vcpu << KVM_ARM_IRQ_VCPU_SHIFT | num,
		.level = level,
	};

	return xioctl(vm, KVM_IRQ_LINE, &il);
}

static u64 get_reg(int vcpu, u64 id, long *err)
{
	u64 v = 0;
	struct kvm_one_reg r = { .id = id, .addr = (u64)(uintptr_t)&v };

	*err = xioctl(vcpu, KVM_GET_ONE_REG, &r);
	return v;
}

static long set_reg(int vcpu, u64 id, u64 v)
{
	struct kvm_one_reg r = { .id = id, .addr = (u64)(uintptr_t)&v };

	return xioctl(vcpu, KVM_SET_ONE_REG, &r);
}

static int new_vcpu(int vm, int id)
{
	struct kvm_vcpu_init init = { .target = KVM_ARM_TARGET_GENERIC_V8 };
	int fd = ioctl(vm, KVM_CREATE_VCPU, id);

	if (fd >= 0 && ioctl(fd, KVM_ARM_VCPU_INIT, &init))
		die_errno("KVM_ARM_VCPU_INIT");
	return fd;
}

/* No vGIC: KVM_IRQ_LINE's PPI/SPI types need one; the CPU lines do not. */
static void check_no_vgic(int kvm)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0), vcpu = new_vcpu(vm, 0);
	int what = KVM_ARM_VCPU_SVE, ppi = 27;
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	struct kvm_run *run;

	CHECK_EQ("KVM_CAP_IRQCHIP (vgic_present, not per VM)", ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP), 1);
	CHECK_EQ("no vGIC: KVM_IRQ_LINE SPI 40: -ENXIO", irq_line(vm, KVM_ARM_IRQ_TYPE_SPI, 0, 40, 1), -ENXIO);
	CHECK_EQ("no vGIC: KVM_IRQ_LINE PPI 27: -ENXIO", irq_line(vm, KVM_ARM_IRQ_TYPE_PPI, 0, 27, 1), -ENXIO);
	CHECK_EQ("no vGIC: KVM_IRQ_LINE CPU IRQ", irq_line(vm, KVM_ARM_IRQ_TYPE_CPU, 0, KVM_ARM_IRQ_CPU_IRQ, 1), 0);
	CHECK_EQ("no vGIC: KVM_IRQ_LINE CPU line 2: -EINVAL", irq_line(vm, KVM_ARM_IRQ_TYPE_CPU, 0, 2, 1), -EINVAL);
	CHECK_EQ("no vGIC: KVM_IRQ_LINE CPU vCPU 3: -EINVAL", irq_line(vm, KVM_ARM_IRQ_TYPE_CPU, 3, 0, 1), -EINVAL);
	CHECK_EQ("no vGIC: KVM_IRQ_LINE type 3: -EINVAL", irq_line(vm, 3, 0, 0, 1), -EINVAL);
	CHECK_EQ("no vGIC: TIMER_CTRL set: -EINVAL",
		 attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL, KVM_ARM_VCPU_TIMER_IRQ_VTIMER, &ppi), -EINVAL);
	CHECK_EQ("KVM_ARM_VCPU_FINALIZE(SVE) without SVE: -EINVAL",
		 xioctl(vcpu, KVM_ARM_VCPU_FINALIZE, &what), -EINVAL);
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	run->immediate_exit = 1;
	CHECK_EQ("no vGIC: KVM_RUN, immediate_exit: -EINTR", xioctl(vcpu, KVM_RUN, NULL), -EINTR);
	CHECK_EQ("KVM_CREATE_DEVICE VGIC_V3 once a vCPU ran: -EBUSY", xioctl(vm, KVM_CREATE_DEVICE, &cd), -EBUSY);
	close(vcpu);
	close(vm);
}

static void check_device(int kvm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_ARM_VGIC_V3, .flags = KVM_CREATE_DEVICE_TEST };
	struct kvm_run *run;
	int vm = ioctl(kvm, KVM_CREATE_VM, 0), vcpu, vcpu1, gic, what = KVM_ARM_VCPU_SVE, ppi;
	u64 addr, v;
	u32 nr, v32;
	long err;

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	CHECK_EQ("KVM_ARM_VCPU_FINALIZE before init: -ENOEXEC",
		 xioctl(vcpu, KVM_ARM_VCPU_FINALIZE, &what), -ENOEXEC);
	close(vcpu);
	vcpu = -1;
	{
		struct kvm_vcpu_init init = { .target = KVM_ARM_TARGET_GENERIC_V8 };

		vcpu = ioctl(vm, KVM_CREATE_VCPU, 1);
		ioctl(vcpu, KVM_ARM_VCPU_INIT, &init);
	}
	vcpu1 = new_vcpu(vm, 2);
	CHECK_EQ("KVM_CAP_DEVICE_CTRL", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL), 1);
	CHECK_EQ("KVM_CAP_ARM_IRQ_LINE_LAYOUT_2", ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_IRQ_LINE_LAYOUT_2), 1);
	CHECK_EQ("KVM_CREATE_DEVICE VGIC_V3 TEST", xioctl(vm, KVM_CREATE_DEVICE, &cd), 0);
	cd.type = KVM_DEV_TYPE_ARM_VGIC_V2;
	CHECK_EQ("KVM_CREATE_DEVICE VGIC_V2 (GICv3 host): -ENODEV", xioctl(vm, KVM_CREATE_DEVICE, &cd), -ENODEV);
	cd.type = KVM_DEV_TYPE_ARM_VGIC_ITS;
	CHECK_EQ("KVM_CREATE_DEVICE VGIC_ITS (not modelled): -ENODEV", xioctl(vm, KVM_CREATE_DEVICE, &cd), -ENODEV);
	cd.type = 0xffff;
	CHECK_EQ("KVM_CREATE_DEVICE type 0xffff: -ENODEV", xioctl(vm, KVM_CREATE_DEVICE, &cd), -ENODEV);
	cd = (struct kvm_create_device){ .type = KVM_DEV_TYPE_ARM_VGIC_V3 };
	CHECK_EQ("KVM_CREATE_DEVICE VGIC_V3", xioctl(vm, KVM_CREATE_DEVICE, &cd), 0);
	gic = cd.fd;
	CHECK_EQ("KVM_CREATE_DEVICE VGIC_V3 again: -EEXIST", xioctl(vm, KVM_CREATE_DEVICE, &cd), -EEXIST);
	CHECK_EQ("device fd: KVM_RUN: -ENOTTY", xioctl(gic, KVM_RUN, NULL), -ENOTTY);

	/* KVM_IRQ_LINE before CTRL_INIT and its bad inputs */
	CHECK_EQ("KVM_IRQ_LINE SPI 40 before init: -EBUSY", irq_line(vm, KVM_ARM_IRQ_TYPE_SPI, 0, 40, 1), -EBUSY);
	CHECK_EQ("KVM_IRQ_LINE CPU type with a vGIC: -ENXIO", irq_line(vm, KVM_ARM_IRQ_TYPE_CPU, 1, 0, 1), -ENXIO);
	CHECK_EQ("KVM_IRQ_LINE PPI vCPU 7: -EINVAL", irq_line(vm, KVM_ARM_IRQ_TYPE_PPI, 7, 27, 1), -EINVAL);
	CHECK_EQ("KVM_IRQ_LINE PPI 5 (an SGI): -EINVAL", irq_line(vm, KVM_ARM_IRQ_TYPE_PPI, 1, 5, 1), -EINVAL);
	CHECK_EQ("KVM_IRQ_LINE PPI 32: -EINVAL", irq_line(vm, KVM_ARM_IRQ_TYPE_PPI, 1, 32, 1), -EINVAL);
	CHECK_EQ("KVM_IRQ_LINE SPI 31: -EINVAL", irq_line(vm, KVM_ARM_IRQ_TYPE_SPI, 0, 31, 1), -EINVAL);

	/* addresses */
	addr = 0x08001000;
	CHECK_EQ("ADDR DIST 0x8001000 (not 64K aligned): -EINVAL",
		 attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr), -EINVAL);
	addr = 1ull << 40;
	CHECK_EQ("ADDR DIST at 1T (40-bit IPA): -E2BIG",
		 attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr), -E2BIG);
	addr = 0x08000000;
	CHECK_EQ("ADDR DIST 0x8000000",
		 attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr), 0);
	CHECK_EQ("ADDR DIST again: -EEXIST",
		 attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr), -EEXIST);
	CHECK_EQ("ADDR type 99: -ENXIO",
		 attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, 99, &addr), -ENXIO);
	addr = 0;
	attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &addr);
	CHECK_EQ("  GET ADDR DIST", addr, 0x08000000);
	attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &addr);
	CHECK_EQ("  GET ADDR REDIST (unset)", addr, ~0ull);
	CHECK_EQ("SET_DEVICE_ATTR group 99: -ENXIO", attr(gic, KVM_SET_DEVICE_ATTR, 99, 0, &addr), -ENXIO);
	CHECK_EQ("HAS_DEVICE_ATTR CTRL_INIT", attr(gic, KVM_HAS_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL,
						   KVM_DEV_ARM_VGIC_CTRL_INIT, NULL), 0);
	CHECK_EQ("HAS_DEVICE_ATTR CTRL 7: -ENXIO", attr(gic, KVM_HAS_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL, 7, NULL), -ENXIO);

	/* NR_IRQS */
	nr = 48;
	CHECK_EQ("NR_IRQS 48 (< 64): -EINVAL", attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr), -EINVAL);
	nr = 100;
	CHECK_EQ("NR_IRQS 100 (not a multiple of 32): -EINVAL",
		 attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr), -EINVAL);
	nr = 1056;
	CHECK_EQ("NR_IRQS 1056: -EINVAL", attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr), -EINVAL);
	nr = 128;
	CHECK_EQ("NR_IRQS 128", attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr), 0);
	CHECK_EQ("NR_IRQS again: -EBUSY", attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr), -EBUSY);
	nr = 0;
	attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr);
	CHECK_EQ("  GET NR_IRQS", nr, 128);
	CHECK_EQ("DIST_REGS before CTRL_INIT: -EBUSY",
		 attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 4, &v32), -EBUSY);

	/* the timer's vCPU attributes */
	ppi = 40;
	CHECK_EQ("TIMER_CTRL VTIMER 40 (not a PPI): -EINVAL",
		 attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL, KVM_ARM_VCPU_TIMER_IRQ_VTIMER, &ppi), -EINVAL);
	ppi = 20;
	CHECK_EQ("TIMER_CTRL VTIMER 20",
		 attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL, KVM_ARM_VCPU_TIMER_IRQ_VTIMER, &ppi), 0);
	CHECK_EQ("TIMER_CTRL PTIMER 20 (checked at the first run)",
		 attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL, KVM_ARM_VCPU_TIMER_IRQ_PTIMER, &ppi), 0);
	CHECK_EQ("TIMER_CTRL attr 9: -ENXIO",
		 attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL, 9, &ppi), -ENXIO);
	ppi = 0;
	attr(vcpu1, KVM_GET_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL, KVM_ARM_VCPU_TIMER_IRQ_VTIMER, &ppi);
	CHECK_EQ("  GET VTIMER on the other vCPU (per VM)", ppi, 20);
	CHECK_EQ("HAS TIMER_CTRL PTIMER", attr(vcpu, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL,
					       KVM_ARM_VCPU_TIMER_IRQ_PTIMER, NULL), 0);
	CHECK_EQ("SET PMU_V3_CTRL without a PMU: -ENODEV",
		 attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, &ppi), -ENODEV);
	CHECK_EQ("HAS PMU_V3_CTRL without a PMU: -ENXIO",
		 attr(vcpu, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_PMU_V3_IRQ, NULL), -ENXIO);
	CHECK_EQ("PVTIME_CTRL: -ENXIO",
		 attr(vcpu, KVM_HAS_DEVICE_ATTR, KVM_ARM_VCPU_PVTIME_CTRL, KVM_ARM_VCPU_PVTIME_IPA, NULL), -ENXIO);

	/* the first KVM_RUN maps the frames: what is missing, in kernel order */
	run = mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	run->immediate_exit = 1;
	CHECK_EQ("KVM_RUN without REDIST: -ENXIO", xioctl(vcpu, KVM_RUN, NULL), -ENXIO);
	addr = 0x080a0000;
	CHECK_EQ("ADDR REDIST 0x80a0000",
		 attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &addr), 0);
	CHECK_EQ("KVM_RUN before CTRL_INIT: -EBUSY", xioctl(vcpu, KVM_RUN, NULL), -EBUSY);
	CHECK_EQ("CTRL_INIT", attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CTRL,
				   KVM_DEV_ARM_VGIC_CTRL_INIT, NULL), 0);
	CHECK_EQ("KVM_CREATE_VCPU after CTRL_INIT: -EBUSY", xioctl(vm, KVM_CREATE_VCPU, (void *)3), -EBUSY);
	CHECK_EQ("KVM_RUN with one PPI for both timers: -EINVAL", xioctl(vcpu, KVM_RUN, NULL), -EINVAL);
	ppi = 27;
	attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL, KVM_ARM_VCPU_TIMER_IRQ_VTIMER, &ppi);
	ppi = 30;
	attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL, KVM_ARM_VCPU_TIMER_IRQ_PTIMER, &ppi);
	CHECK_EQ("KVM_RUN, immediate_exit: -EINTR", xioctl(vcpu, KVM_RUN, NULL), -EINTR);
	CHECK_EQ("TIMER_CTRL after the first run: -EBUSY",
		 attr(vcpu, KVM_SET_DEVICE_ATTR, KVM_ARM_VCPU_TIMER_CTRL, KVM_ARM_VCPU_TIMER_IRQ_VTIMER, &ppi), -EBUSY);
	CHECK_EQ("KVM_CREATE_DEVICE VGIC_V3 after a run: -EEXIST", xioctl(vm, KVM_CREATE_DEVICE, &cd), -EEXIST);

	/* registers through the device */
	attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 4, &v32);
	CHECK_EQ("DIST_REGS GICD_TYPER (128 INTIDs)", v32, 0x480003);
	attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0xffe8, &v32);
	CHECK_EQ("DIST_REGS GICD_PIDR2", v32, 0x3b);
	attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, 2ull << 32 | 8, &v32);
	CHECK_EQ("REDIST_REGS GICR_TYPER, MPIDR 2 (vCPU id 2, last)", v32, 0x210);
	CHECK_EQ("REDIST_REGS MPIDR 9 (no such vCPU): -EINVAL",
		 attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, 9ull << 32 | 8, &v32), -EINVAL);
	CHECK_EQ("DIST_REGS offset 0x1 (unaligned): -ENXIO",
		 attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 1, &v32), -ENXIO);
	v = 0xff;	/* ICC_PMR_EL1: op0 3, op1 0, CRn 4, CRm 6, op2 0 */
	CHECK_EQ("CPU_SYSREGS ICC_PMR_EL1 = 0xff",
		 attr(gic, KVM_SET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, 1ull << 32 | 0xc230, &v), 0);
	v = 0;
	attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, 1ull << 32 | 0xc230, &v);
	CHECK_EQ("  read back (5 priority bits)", v, 0xf8);
	CHECK_EQ("CPU_SYSREGS ICC_IAR1_EL1: -ENXIO",
		 attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, 1ull << 32 | 0xc660, &v), -ENXIO);

	/* injection after init */
	CHECK_EQ("KVM_IRQ_LINE SPI 160 (past NR_IRQS): -EINVAL",
		 irq_line(vm, KVM_ARM_IRQ_TYPE_SPI, 0, 160, 1), -EINVAL);
	CHECK_EQ("KVM_IRQ_LINE SPI 127", irq_line(vm, KVM_ARM_IRQ_TYPE_SPI, 0, 127, 1), 0);
	CHECK_EQ("KVM_IRQ_LINE PPI 23 on vCPU id 2", irq_line(vm, KVM_ARM_IRQ_TYPE_PPI, 2, 23, 1), 0);
	v32 = 0;
	attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, 2ull << 32 | 0x10200, &v32);
	CHECK_EQ("  GICR_ISPENDR0 of vCPU id 2: PPI 23 (level)", v32, 1u << 23);
	v32 = 0;
	attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, 2ull << 32 | 0, &v32);
	CHECK_EQ("  LEVEL_INFO INTIDs 0-31 of vCPU id 2", v32, 1u << 23);
	irq_line(vm, KVM_ARM_IRQ_TYPE_PPI, 2, 23, 0);
	attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, 2ull << 32 | 0x10200, &v32);
	CHECK_EQ("  lowered: GICR_ISPENDR0", v32, 0);
	attr(gic, KVM_GET_DEVICE_ATTR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x200 + 12, &v32);
	CHECK_EQ("  GICD_ISPENDR3: SPI 127 latched (edge)", v32, 1u << 31);

	/* the timer's ONE_REGs (KVM_REG_ARM_TIMER_CVAL/CNT swap encodings) */
	CHECK_EQ("SET TIMER_CNT 1000", set_reg(vcpu, KVM_REG_ARM_TIMER_CNT, 1000), 0);
	CHECK_EQ("  GET TIMER_CNT", get_reg(vcpu, KVM_REG_ARM_TIMER_CNT, &err), 1000);
	CHECK_EQ("  ... on the other vCPU (CNTVOFF is per VM)", get_reg(vcpu1, KVM_REG_ARM_TIMER_CNT, &err), 1000);
	set_reg(vcpu, KVM_REG_ARM_TIMER_CVAL, 1234);
	CHECK_EQ("  GET TIMER_CVAL", get_reg(vcpu, KVM_REG_ARM_TIMER_CVAL, &err), 1234);
	set_reg(vcpu, KVM_REG_ARM_TIMER_CTL, 0xffff);
	CHECK_EQ("  GET TIMER_CTL (ENABLE|IMASK kept, not yet ISTATUS)", get_reg(vcpu, KVM_REG_ARM_TIMER_CTL, &err), 3);
	set_reg(vcpu, KVM_REG_ARM_TIMER_CVAL, 1000);
	CHECK_EQ("  CVAL 1000: ISTATUS", get_reg(vcpu, KVM_REG_ARM_TIMER_CTL, &err), 7);
	set_reg(vcpu, KVM_REG_ARM_PTIMER_CTL, 1);
	CHECK_EQ("  PTIMER_CTL ENABLE, CVAL 0: ISTATUS", get_reg(vcpu, KVM_REG_ARM_PTIMER_CTL, &err), 5);
	get_reg(vcpu, (KVM_REG_ARM_TIMER_CVAL & ~KVM_REG_SIZE_MASK) | KVM_REG_SIZE_U32, &err);
	CHECK_EQ("GET TIMER_CVAL as u32: -ENOENT", err, -ENOENT);

	close(gic);
	close(vcpu1);
	close(vcpu);
	close(vm);
}

int main(void)
{
	int kvm = open("/dev/kvm", O_RDWR);

	if (kvm < 0)
		die_errno("/dev/kvm");
	check_no_vgic(kvm);
	check_device(kvm);
	if (failures) {
		printf("%d MISMATCH(ES)\n", failures);
		return 1;
	}
	printf("all checks passed\n");
	return 0;
}
