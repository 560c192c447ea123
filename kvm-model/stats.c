// SPDX-License-Identifier: MIT
/*
 * Binary statistics (virt/kvm/binary_stats.c, KVM_GET_STATS_FD on a VM or
 * a vCPU): a read-only file of a header, the id string, descriptors and
 * the values, one u64 each.  The counters are kvmsim's own (the fault
 * path's, the exits'), under their own names: only "exits" is KVM's.
 *
 * The file is a memfd the reader reads with read/pread as on Linux.  Its
 * values are rewritten after every KVM ioctl and at every exit to
 * userspace; in kvmsim's one-thread world a counter only moves inside
 * one of those, so a read sees what Linux would show at that moment.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm-model/kvm_host.h"
#include "kvm-model/kvmsim.h"
#include "kvm-model/stats.h"

#define STATS_NAME_SIZE	48	/* KVM_STATS_NAME_SIZE */
#define STAT_FLAGS	(KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10)

struct stat_def {
	const char *name;
	uint64_t (*get)(struct kvm *kvm, struct kvm_vcpu *vcpu, int arg);
	int arg;
};

struct kvm_stats_file {
	int refs;
	int memfd;
	struct kvm *kvm;
	struct kvm_vcpu *vcpu;		/* NULL for the VM's file */
	struct kvm_stats_file *next;
};

static struct kvm_stats_file *stats_files;

#define VM_STAT(field)								\
static uint64_t vm_##field(struct kvm *kvm, struct kvm_vcpu *vcpu, int arg)	\
{										\
	return kvm->stat.field;							\
}
VM_STAT(page_faults)
VM_STAT(zaps)
VM_STAT(mmio_exits)
VM_STAT(run_calls)
VM_STAT(invalidations)
VM_STAT(memory_fault_exits)
VM_STAT(userfaults)
VM_STAT(fault_retries)
VM_STAT(dirty_wrprots)
VM_STAT(memslot_updates)
VM_STAT(attr_updates)

/* level as the TDP MMU numbers them: 1 is 4K */
static uint64_t vm_spte_installs(struct kvm *kvm, struct kvm_vcpu *vcpu, int level)
{
	return kvm->stat.spte_installs[level];
}

static uint64_t vcpu_exits(struct kvm *kvm, struct kvm_vcpu *vcpu, int arg)
{
	return vcpu->exits;
}

static uint64_t vcpu_insns(struct kvm *kvm, struct kvm_vcpu *vcpu, int arg)
{
	return vcpu->insns;
}

static const struct stat_def vm_stats[] = {
	{ "page_faults", vm_page_faults, 0 },
	{ "spte_installs_4k", vm_spte_installs, 1 },
	{ "spte_installs_2m", vm_spte_installs, 2 },
	{ "spte_installs_1g", vm_spte_installs, 3 },
	{ "zaps", vm_zaps, 0 },
	{ "mmio_exits", vm_mmio_exits, 0 },
	{ "run_calls", vm_run_calls, 0 },
	{ "invalidations", vm_invalidations, 0 },
	{ "memory_fault_exits", vm_memory_fault_exits, 0 },
	{ "userfaults", vm_userfaults, 0 },
	{ "fault_retries", vm_fault_retries, 0 },
	{ "dirty_wrprots", vm_dirty_wrprots, 0 },
	{ "memslot_updates", vm_memslot_updates, 0 },
	{ "attr_updates", vm_attr_updates, 0 },
};

/* "exits" as KVM counts them is every exit; kvmsim's are those to userspace */
static const struct stat_def vcpu_stats[] = {
	{ "exits", vcpu_exits, 0 },
	{ "guest_instructions", vcpu_insns, 0 },
};

#define NR(a)	((int)(sizeof(a) / sizeof((a)[0])))

static void stats_layout(const struct kvm_stats_file *f, struct kvm_stats_header *h)
{
	int n = f->vcpu ? NR(vcpu_stats) : NR(vm_stats);

	h->flags = 0;
	h->name_size = STATS_NAME_SIZE;
	h->num_desc = n;
	h->id_offset = sizeof(*h);
	h->desc_offset = h->id_offset + STATS_NAME_SIZE;
	h->data_offset = h->desc_offset +
			 n * (sizeof(struct kvm_stats_desc) + STATS_NAME_SIZE);
}

static int write_all(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite(fd, buf, len, off) == (ssize_t)len ? 0 : -errno;
}

/* Header, id and descriptors: written once. */
static int stats_write_fixed(struct kvm_stats_file *f)
{
	const struct stat_def *defs = f->vcpu ? vcpu_stats : vm_stats;
	struct kvm_stats_header h;
	char id[STATS_NAME_SIZE] = { 0 };
	char buf[sizeof(struct kvm_stats_desc) + STATS_NAME_SIZE];
	struct kvm_stats_desc *d = (void *)buf;
	int r;

	stats_layout(f, &h);
	if (f->vcpu)
		snprintf(id, sizeof(id), "kvm-%d/vcpu-%d", getpid(), f->vcpu->vcpu_id);
	else
		snprintf(id, sizeof(id), "kvm-%d", getpid());
	r = write_all(f->memfd, &h, sizeof(h), 0);
	if (!r)
		r = write_all(f->memfd, id, sizeof(id), h.id_offset);
	for (uint32_t i = 0; !r && i < h.num_desc; i++) {
		memset(buf, 0, sizeof(buf));
		d->flags = STAT_FLAGS;
		d->size = 1;
		d->offset = i * sizeof(uint64_t);
		snprintf(d->name, STATS_NAME_SIZE, "%s", defs[i].name);
		r = write_all(f->memfd, buf, sizeof(buf),
			      h.desc_offset + i * sizeof(buf));
	}
	return r;
}

static void stats_write_data(struct kvm_stats_file *f)
{
	const struct stat_def *defs = f->vcpu ? vcpu_stats : vm_stats;
	struct kvm_stats_header h;
	uint64_t v[NR(vm_stats) > NR(vcpu_stats) ? NR(vm_stats) : NR(vcpu_stats)];

	stats_layout(f, &h);
	for (uint32_t i = 0; i < h.num_desc; i++)
		v[i] = defs[i].get(f->kvm, f->vcpu, defs[i].arg);
	(void)write_all(f->memfd, v, h.num_desc * sizeof(v[0]), h.data_offset);
}

void kvm_stats_refresh(void)
{
	for (struct kvm_stats_file *f = stats_files; f; f = f->next)
		stats_write_data(f);
}

/* kvm_vm_ioctl_get_stats_fd / kvm_vcpu_ioctl_get_stats_fd: the new fd or -errno */
int kvm_get_stats_fd(struct kvm *kvm, struct kvm_vcpu *vcpu)
{
	struct kvm_stats_file *f = calloc(1, sizeof(*f));
	int fd, r;

	if (!f)
		return -ENOMEM;
	f->kvm = kvm;
	f->vcpu = vcpu;
	f->memfd = memfd_create(vcpu ? "kvm-vcpu-stats" : "kvm-vm-stats", MFD_CLOEXEC);
	if (f->memfd < 0) {
		r = -errno;
		free(f);
		return r;
	}
	r = stats_write_fixed(f);
	if (r) {
		close(f->memfd);
		free(f);
		return r;
	}
	stats_write_data(f);
	/* the file holds its VM (and so its vCPUs) as Linux's does */
	kvm_get_kvm(kvm);
	f->next = stats_files;
	stats_files = f;
	fd = kvmsim_install_fd(KVMSIM_FILE_STATS, f);
	if (fd < 0) {
		f->refs = 1;
		kvm_stats_put(f);
	}
	return fd;
}

int kvm_stats_memfd(struct kvm_stats_file *f)
{
	return f->memfd;
}

void kvm_stats_get(struct kvm_stats_file *f)
{
	f->refs++;
}

void kvm_stats_put(struct kvm_stats_file *f)
{
	struct kvm_stats_file **p;

	if (--f->refs > 0)
		return;
	for (p = &stats_files; *p; p = &(*p)->next) {
		if (*p == f) {
			*p = f->next;
			break;
		}
	}
	close(f->memfd);
	kvm_put_kvm(f->kvm);
	free(f);
}
