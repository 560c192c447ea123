// SPDX-License-Identifier: MIT
/*
 * KVM_CREATE_DEVICE and the device fd's ioctls, as virt/kvm/kvm_main.c
 * has them (kvm_ioctl_create_device, kvm_device_ioctl): the arch offers
 * the ops for a type; a device lives until its VM goes, and its fd holds
 * a reference on the VM.
 */
#include <errno.h>
#include <stdlib.h>
#include <linux/kvm.h>

#include "kvm-model/kvm_arch.h"
#include "kvm-model/kvm_host.h"
#include "kvm-model/kvmsim.h"
#include "posix/posix.h"

int kvm_ioctl_create_device(struct kvm *kvm, void *uarg)
{
	const struct kvm_device_ops *ops = NULL;
	struct kvm_create_device cd;
	struct kvm_device *dev;
	struct sim_ev *ev;
	int r, fd;

	if (copy_from_user(&cd, uarg, sizeof(cd)))
		return -EFAULT;
	if (kvm_arch()->device_ops)
		ops = kvm_arch()->device_ops(cd.type);
	if (!ops)
		return -ENODEV;
	if (cd.flags & KVM_CREATE_DEVICE_TEST)
		return 0;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->ops = ops;
	dev->kvm = kvm;
	r = ops->create(dev, cd.type);
	if (r < 0) {
		free(dev);
		return r;
	}
	dev->next = kvm->devices;
	kvm->devices = dev;
	fd = kvmsim_install_fd(KVMSIM_FILE_DEVICE, dev);
	if (fd < 0)
		return fd;	/* the device stays on the VM's list, as in the kernel */
	cd.fd = fd;
	ev = sim_ev_begin("kvm_ioctl_create_device");
	sim_ev_str(ev, "name", ops->name);
	sim_ev_int(ev, "type", cd.type);
	sim_ev_end(ev);
	if (copy_to_user(uarg, &cd, sizeof(cd)))
		return -EFAULT;
	return 0;
}

static long kvm_device_ioctl_attr(struct kvm_device *dev,
				  int (*accessor)(struct kvm_device *, struct kvm_device_attr *),
				  unsigned long arg)
{
	struct kvm_device_attr attr;

	if (!accessor)
		return -EPERM;
	if (copy_from_user(&attr, (void *)arg, sizeof(attr)))
		return -EFAULT;
	return accessor(dev, &attr);
}

long kvm_device_ioctl(struct kvm_device *dev, unsigned int cmd, unsigned long arg)
{
	/* a forked child's inherited device fd */
	if (dev->kvm->mm != posix_mm_generation())
		return -EIO;
	switch (cmd) {
	case KVM_SET_DEVICE_ATTR:
		return kvm_device_ioctl_attr(dev, dev->ops->set_attr, arg);
	case KVM_GET_DEVICE_ATTR:
		return kvm_device_ioctl_attr(dev, dev->ops->get_attr, arg);
	case KVM_HAS_DEVICE_ATTR:
		return kvm_device_ioctl_attr(dev, dev->ops->has_attr, arg);
	default:
		return -ENOTTY;
	}
}

void kvm_destroy_devices(struct kvm *kvm)
{
	while (kvm->devices) {
		struct kvm_device *dev = kvm->devices;

		kvm->devices = dev->next;
		if (dev->ops->destroy)
			dev->ops->destroy(dev);
		free(dev);
	}
}
