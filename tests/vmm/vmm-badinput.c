// SPDX-License-Identifier: MIT
/*
 * vmm-badinput: bad input to the ioctls added for the selftests (issue
 * 11), each getting Linux's errno.
 *
 * Checks, for KVM_SET_VAPIC_ADDR (EINVAL without the in-kernel LAPIC
 * comes before EFAULT for a bad pointer; ENOTTY on the VM fd, EINVAL on
 * /dev/kvm), KVM_TPR_ACCESS_REPORTING (EFAULT for a bad pointer, and for
 * a read-only one: the ioctl writes the struct back), KVM_GET_FPU into a
 * read-only buffer (EFAULT), KVM_IRQFD and KVM_SET_GSI_ROUTING (EFAULT
 * for the header, and for routing entries past a mapped page; ENOTTY /
 * EINVAL on the wrong fd kind), KVM_SET_MSRS (EFAULT for the header and
 * for the entries; E2BIG above KVM_MAX_MSR_ENTRIES) and
 * KVM_SET_GUEST_DEBUG on the wrong fds.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm-lib.h"

#define MSR_KVM_STEAL_TIME	0x4b564d03

static void try(const char *what, int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	printf("%s: %s\n", what, r < 0 ? errno_name(errno) : "0");
}

/* A page readable only, and the address of an unmapped page after one. */
static char *ro_page(void)
{
	char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		fatal("mmap");
	return p;
}

static char *page_before_hole(void)
{
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || munmap(p + 4096, 4096))
		fatal("mmap");
	return p;
}

static void vapic_tpr(struct vmm *v)
{
	struct kvm_tpr_access_ctl *ro = (struct kvm_tpr_access_ctl *)ro_page();

	try("KVM_SET_VAPIC_ADDR NULL, no irqchip", v->vcpu_fd, KVM_SET_VAPIC_ADDR, NULL);
	try("KVM_SET_VAPIC_ADDR on the VM fd", v->vm_fd, KVM_SET_VAPIC_ADDR, NULL);
	try("KVM_SET_VAPIC_ADDR on /dev/kvm", v->kvm_fd, KVM_SET_VAPIC_ADDR, NULL);
	try("KVM_TPR_ACCESS_REPORTING NULL", v->vcpu_fd, KVM_TPR_ACCESS_REPORTING, NULL);
	try("KVM_TPR_ACCESS_REPORTING read-only", v->vcpu_fd, KVM_TPR_ACCESS_REPORTING, ro);
	try("KVM_TPR_ACCESS_REPORTING on the VM fd", v->vm_fd, KVM_TPR_ACCESS_REPORTING, NULL);
	try("KVM_GET_FPU into read-only memory", v->vcpu_fd, KVM_GET_FPU, ro);
	try("KVM_GET_FPU on /dev/kvm", v->kvm_fd, KVM_GET_FPU, NULL);
	munmap(ro, 4096);
}

static void msrs(struct vmm *v)
{
	char *p = page_before_hole();
	struct kvm_msrs *m = (struct kvm_msrs *)(p + 4096 - sizeof(*m));
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[1];
	} one;

	try("KVM_SET_MSRS NULL", v->vcpu_fd, KVM_SET_MSRS, NULL);
	/* the header is readable, its one entry lies in the hole */
	m->nmsrs = 1;
	m->pad = 0;
	try("KVM_SET_MSRS entries unmapped", v->vcpu_fd, KVM_SET_MSRS, m);
	memset(&one, 0, sizeof(one));
	one.h.nmsrs = 1u << 20;
	try("KVM_SET_MSRS nmsrs 1M", v->vcpu_fd, KVM_SET_MSRS, &one);
	one.h.nmsrs = 1;
	one.e[0].index = MSR_KVM_STEAL_TIME;
	one.e[0].data = 0x20000 | 1u << 3;
	printf("KVM_SET_MSRS steal time, reserved bit 3: %d done\n",
	       ioctl(v->vcpu_fd, KVM_SET_MSRS, &one));
	munmap(p, 4096);
}

static void irq_routing(struct vmm *v)
{
	char *p = page_before_hole();
	struct kvm_irq_routing *r = (struct kvm_irq_routing *)(p + 4096 - sizeof(*r));

	try("KVM_IRQFD NULL", v->vm_fd, KVM_IRQFD, NULL);
	try("KVM_IRQFD on the vCPU fd", v->vcpu_fd, KVM_IRQFD, NULL);
	try("KVM_SET_GSI_ROUTING NULL", v->vm_fd, KVM_SET_GSI_ROUTING, NULL);
	r->nr = 1;
	r->flags = 0;
	try("KVM_SET_GSI_ROUTING entries unmapped", v->vm_fd, KVM_SET_GSI_ROUTING, r);
	try("KVM_SET_GSI_ROUTING on the vCPU fd", v->vcpu_fd, KVM_SET_GSI_ROUTING, NULL);
	try("KVM_SET_GSI_ROUTING on /dev/kvm", v->kvm_fd, KVM_SET_GSI_ROUTING, NULL);
	munmap(p, 4096);
}

int main(void)
{
	struct vmm v;

	printf("# vmm-badinput\n");
	vmm_open(&v);
	printf("-- no irqchip\n");
	vapic_tpr(&v);
	msrs(&v);
	try("KVM_SET_GUEST_DEBUG on the VM fd", v.vm_fd, KVM_SET_GUEST_DEBUG, NULL);
	try("KVM_SET_GUEST_DEBUG on /dev/kvm", v.kvm_fd, KVM_SET_GUEST_DEBUG, NULL);
	vmm_destroy_vm(&v);

	printf("-- with KVM_CREATE_IRQCHIP\n");
	v.vm_fd = xioctl(v.kvm_fd, KVM_CREATE_VM, 0);
	xioctl(v.vm_fd, KVM_CREATE_IRQCHIP, 0);
	v.vcpu_fd = xioctl(v.vm_fd, KVM_CREATE_VCPU, 0);
	try("KVM_SET_VAPIC_ADDR NULL", v.vcpu_fd, KVM_SET_VAPIC_ADDR, NULL);
	irq_routing(&v);
	close(v.vcpu_fd);
	close(v.vm_fd);
	close(v.kvm_fd);
	return 0;
}
