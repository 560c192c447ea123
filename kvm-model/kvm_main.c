// SPDX-License-Identifier: MIT
/*
 * The KVM file objects and their ioctls, mirroring virt/kvm/kvm_main.c:
 * kvm_dev_ioctl (/dev/kvm), kvm_vm_ioctl (a VM fd), kvm_vcpu_ioctl (a vCPU
 * fd).  Each object holds a real fd number (a memfd) so the VMM's other
 * fds never collide with ours and a vCPU fd can be mmap'ed for kvm_run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm-model/fault_inject.h"
#include "kvm-model/kvm_host.h"
#include "kvm-model/kvm_irq.h"
#include "kvm-model/stats.h"
#include "sim/oracle.h"
#include "kvm-model/kvm_mmu.h"
#include "kvm-model/kvmsim.h"
#include "kvm-model/kvm_arch.h"
#include "kvm-model/observe.h"
#include "kvm-model/profile.h"
#include "kvm-model/cost.h"
#include "posix/posix.h"
#include "sim/cost.h"

#define VCPU_STACK_SIZE	(4u << 20)	/* Unicorn's translator runs on it */

/* vm_list: every live VM, in creation order (no limit on their number) */
static struct kvm *vm_list_head, **vm_list_tail = &vm_list_head;
static int next_vm_id;

void kvm_register_vm(struct kvm *kvm)
{
	kvm->vm_list_next = NULL;
	*vm_list_tail = kvm;
	vm_list_tail = &kvm->vm_list_next;
}

void kvm_unregister_vm(struct kvm *kvm)
{
	for (struct kvm **pp = &vm_list_head; *pp; pp = &(*pp)->vm_list_next) {
		if (*pp != kvm)
			continue;
		*pp = kvm->vm_list_next;
		if (vm_list_tail == &kvm->vm_list_next)
			vm_list_tail = pp;
		return;
	}
}

int kvm_for_each_vm(int (*fn)(struct kvm *kvm, void *opaque), void *opaque)
{
	struct kvm *kvm, *next;

	for (kvm = vm_list_head; kvm; kvm = next) {
		int r;

		next = kvm->vm_list_next;	/* fn may destroy kvm */
		r = fn(kvm, opaque);
		if (r)
			return r;
	}
	return 0;
}

static int preload_vm(struct kvm *kvm, void *opaque)
{
	for (int i = 0; i < kvm->nr_vcpus; i++)
		kvm_arch()->vcpu_preload(kvm->vcpus[i]);
	return 0;
}

/*
 * Explore's fork point (sim_explore_cfg.fork_point): every vCPU's engine
 * gets now what its next entry would load, once in the process that
 * forks instead of in every run.
 */
void kvm_preload_vcpus(void)
{
	if (kvm_arch()->vcpu_preload)
		kvm_for_each_vm(preload_vm, NULL);
}

/* sim_explore_cfg.learned: what a forked run learned, for the next runs */
void kvm_explore_learned(const void *rec, size_t len)
{
	if (kvm_arch()->explore_learned)
		kvm_arch()->explore_learned(rec, len);
}

/* ---- VM lifetime ---- */

struct kvm *kvm_create_vm(unsigned long type, int *err)
{
	struct kvm *kvm;

	kvm = calloc(1, sizeof(*kvm));
	if (!kvm || !(kvm->tdp = tdp_mmu_create())) {
		free(kvm);
		*err = -ENOMEM;
		return NULL;
	}
	*err = kvm_arch()->init_vm(kvm, type);
	if (!*err) {
		*err = kvm_coalesced_mmio_init(kvm);
		if (*err)
			kvm_arch()->destroy_vm(kvm);
	}
	if (*err) {
		tdp_mmu_destroy(kvm->tdp);
		free(kvm);
		return NULL;
	}
	kvm->refs = 1;
	kvm->mm = posix_mm_generation();
	kvm->type = type;
	kvm->vm_id = next_vm_id++;
	sim_waitq_init(&kvm->srcu_wq, "synchronize_srcu");
	sim_waitq_init(&kvm->mmu_invalidate_wq, "mmu_invalidate_in_progress");
	kvm_register_vm(kvm);
	struct sim_ev *ev = sim_ev_begin("kvm_create_vm");
	sim_ev_int(ev, "vm", kvm->vm_id);
	sim_ev_end(ev);
	return kvm;
}

void kvm_vcpu_srcu_read_lock(struct kvm_vcpu *vcpu)
{
	vcpu->kvm->srcu_readers++;
}

void kvm_vcpu_srcu_read_unlock(struct kvm_vcpu *vcpu)
{
	if (!--vcpu->kvm->srcu_readers)
		sim_wake_all(&vcpu->kvm->srcu_wq);
}

/* Wait until no vCPU is inside a read-side section (a fault in progress). */
void synchronize_srcu_expedited(struct kvm *kvm)
{
	if (!kvm->srcu_readers)
		return;
	struct sim_ev *ev = sim_ev_begin("synchronize_srcu_expedited");
	sim_ev_int(ev, "readers", kvm->srcu_readers);
	sim_ev_end(ev);
	while (kvm->srcu_readers)
		sim_wait(&kvm->srcu_wq);
}

void kvm_get_kvm(struct kvm *kvm)
{
	kvm->refs++;
}

/*
 * kvm_destroy_vcpus: the last reference to the VM is gone, so no fd names
 * the vCPU and no KVM_RUN is in progress.  Its engine and run area go
 * now.  Its actor, parked in the run loop (or never started), ends where
 * it is with its stack unmapped (sim_actor_discard), and the vcpu struct
 * goes with it: nothing can wake it any more, and waking it only to end
 * would draw a KVM_RUN arrow on the timeline that no exit closes.
 */
static void kvm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	const struct sim_waitq *wq = sim_actor_waitq(vcpu->actor);

	vcpu->kvm = NULL;
	kvm_arch()->vcpu_destroy(vcpu);
	munmap(vcpu->run, vcpu->run_size);
	close(vcpu->run_memfd);
	vcpu->run = NULL;
	vcpu->dying = true;
	/* the actor was the last to point at the vcpu struct */
	if ((!wq || wq == &vcpu->run_wq) && sim_actor_discard(vcpu->actor))
		free(vcpu);
}

void kvm_put_kvm(struct kvm *kvm)
{
	if (--kvm->refs)
		return;
	kvm_print_stats(kvm);
	kvm_observe_vm(kvm);
	kvm_unregister_vm(kvm);
	kvm_free_memslots(kvm);
	/* kvm_irqfd_release before the irqchip goes: resamplers lower their lines */
	kvm_irq_destroy(kvm);
	kvm_arch()->destroy_vm(kvm);
	kvm_coalesced_mmio_free(kvm);
	tdp_mmu_destroy(kvm->tdp);
	gfn_set_free(&kvm->pt_gfns);
	kvm_mem_attrs_free(kvm);
	kvm_destroy_devices(kvm);
	for (int i = 0; i < kvm->nr_vcpus; i++)
		kvm_vcpu_destroy(kvm->vcpus[i]);
	free(kvm);
}

/* ---- vCPU lifetime and the run actor ---- */

void kvm_run_set_exit(struct kvm_vcpu *vcpu, uint32_t reason)
{
	if (sim_self() != vcpu->actor)
		sim_oracle_fail("foreign-fill", "%s's kvm_run filled with exit %u by %s, "
				"not by its own KVM_RUN", vcpu->name, reason,
				sim_actor_name(sim_self()));
	/*
	 * Refilling the same exit (a loop that keeps faulting on a page)
	 * loses nothing the VMM could read: the livelock oracle judges that.
	 */
	if (vcpu->exit_filled && vcpu->run->exit_reason != reason)
		sim_oracle_fail("exit-overwritten", "%s: exit %u was filled, then overwritten "
				"by exit %u before KVM_RUN returned", vcpu->name,
				vcpu->run->exit_reason, reason);
	vcpu->exit_filled = true;
	vcpu->run->exit_reason = reason;
}

int kvm_memory_fault_exit_nr(void)
{
	return kvm_rule_on(RULE_RFC_MEMFAULT_EXIT) ? KVMSIM_EXIT_MEMORY_FAULT_RFC :
						    KVM_EXIT_MEMORY_FAULT;
}

/*
 * upstream: kvm_prepare_memory_fault_exit + return -EFAULT.
 * rfc-2023-v2: kvm_memfault_exit_or_efault: exit 38 with flags = the
 * reason, only if the VMM enabled that reason with cap 227; x86 returns
 * -1, which userspace sees as errno EPERM (arm64's user_mem_abort returns
 * 0: a normal exit).
 */
void kvm_prepare_memory_fault_exit(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t size,
				   uint64_t flags)
{
	struct kvmsim_memory_fault *mf = (void *)((char *)vcpu->run +
						  KVMSIM_RUN_UNION_OFFSET);
	struct sim_ev *ev;

	kvm_run_set_exit(vcpu, kvm_memory_fault_exit_nr());
	mf->flags = flags;
	mf->gpa = gpa;
	mf->size = size;
	vcpu->kvm->stat.memory_fault_exits++;
	ev = sim_ev_begin("kvm_prepare_memory_fault_exit");
	sim_ev_hex(ev, "gpa", gpa);
	sim_ev_hex(ev, "size", size);
	sim_ev_hex(ev, "flags", flags);
	sim_ev_end(ev);
}

static int fill_memory_fault(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t size,
			     uint64_t flags, uint64_t rfc_reason)
{
	bool rfc = kvm_rule_on(RULE_RFC_MEMFAULT_EXIT);

	if (rfc && !(vcpu->kvm->memfault_exit_reasons & rfc_reason))
		return -EFAULT;
	kvm_prepare_memory_fault_exit(vcpu, gpa, size, rfc ? rfc_reason : flags);
	return rfc ? -1 : -EFAULT;
}

/* the bug of hazard 12: a positive errno, which the run loop resumes on */
int kvm_fault_path_ret(int r)
{
	return kvm_rule_on(RULE_POSITIVE_EFAULT) && r == -EFAULT ? EFAULT : r;
}

int kvm_memory_fault_exit(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t size,
			  uint64_t flags, uint64_t rfc_reason)
{
	return kvm_fault_path_ret(fill_memory_fault(vcpu, gpa, size, flags, rfc_reason));
}

int kvm_efault(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t size)
{
	struct sim_ev *ev = sim_ev_begin("kvm_efault");

	sim_ev_hex(ev, "gpa", gpa);
	sim_ev_bool(ev, "annotated", kvm_rule_on(RULE_ANNOTATE_ALL_EFAULT));
	sim_ev_end(ev);
	if (!kvm_rule_on(RULE_ANNOTATE_ALL_EFAULT))
		return -EFAULT;
	return fill_memory_fault(vcpu, gpa, size, 0, KVM_MEMFAULT_REASON_UNKNOWN);
}

uint64_t kvm_livelock_limit(void)
{
	static uint64_t limit;
	const char *v;

	if (!limit) {
		v = getenv("KVMSIM_LIVELOCK");
		limit = v && strtoull(v, NULL, 0) ? strtoull(v, NULL, 0) : 1000;
	}
	return limit;
}

void kvm_livelock_check(struct kvm_vcpu *vcpu, uint64_t gfn, bool progress,
			const char *what)
{
	if (progress || gfn != vcpu->livelock_gfn) {
		vcpu->livelock_gfn = gfn;
		vcpu->livelock_count = !progress;
		return;
	}
	if (++vcpu->livelock_count >= kvm_livelock_limit())
		sim_oracle_fail("livelock", "%s %s on gpa 0x%llx %llu times without progress",
				vcpu->name, what, (unsigned long long)gfn << PAGE_SHIFT,
				(unsigned long long)vcpu->livelock_count);
}

/*
 * A signal the KVM_RUN caller may take (through KVM_SET_SIGNAL_MASK's
 * mask while in KVM_RUN, if one is set) ends the run as
 * xfer_to_guest_mode_handle_work does: -EINTR and KVM_EXIT_INTR.
 */
bool kvm_signal_pending(struct kvm_vcpu *vcpu)
{
	if (!vcpu->hwpoison_pending && !sim_inject(FAIL_SIGNAL_PENDING) &&
	    !posix_signal_pending(vcpu->run_caller,
				  vcpu->sigmask_active ? &vcpu->sigmask : NULL))
		return false;
	kvm_run_set_exit(vcpu, KVM_EXIT_INTR);
	return true;
}

/*
 * What KVM_RUN hands back must follow rule 1: kvm_run's union is valid
 * for ret == 0, or for an error that comes with a memory-fault exit this
 * KVM_RUN filled.  An error return that leaves an earlier memory-fault
 * exit in place looks annotated and is not ("stale-kvm-run").
 */
static void check_run_return(struct kvm_vcpu *vcpu, int ret)
{
	struct kvmsim_memory_fault *mf = (void *)((char *)vcpu->run +
						  KVMSIM_RUN_UNION_OFFSET);
	bool mf_exit = vcpu->run->exit_reason == (uint32_t)kvm_memory_fault_exit_nr();

	if (ret < 0 && mf_exit && !vcpu->exit_filled)
		sim_oracle_fail("stale-kvm-run", "%s: KVM_RUN returned %d with a memory-fault "
				"exit (gpa 0x%llx) left by an earlier KVM_RUN", vcpu->name, ret,
				(unsigned long long)mf->gpa);
	if (ret == -EFAULT && kvm_rule_on(RULE_ANNOTATE_ALL_EFAULT) && !mf_exit)
		sim_oracle_fail("unannotated-efault", "%s: KVM_RUN returned -EFAULT without "
				"a memory-fault exit (exit_reason %u) under annotate-all-efault",
				vcpu->name, vcpu->run->exit_reason);
	if (ret < 0 && mf_exit)
		kvm_livelock_check(vcpu, mf->gpa >> PAGE_SHIFT, false,
				   "exited with a memory-fault exit");
}

/* vm_id + 1 per actor id; 0: none */
#define VM_CTX_ACTORS 4096
static int vm_ctx[VM_CTX_ACTORS];

static int *vm_ctx_slot(void)
{
	struct sim_actor *self = sim_self();
	int id = self ? sim_actor_id(self) : -1;

	return id >= 0 && id < VM_CTX_ACTORS ? &vm_ctx[id] : NULL;
}

int kvm_vm_ctx_enter(struct kvm *kvm)
{
	int *slot = vm_ctx_slot(), old;

	if (!slot)
		return 0;
	old = *slot;
	*slot = kvm->vm_id + 1;
	return old;
}

void kvm_vm_ctx_leave(int old)
{
	int *slot = vm_ctx_slot();

	if (slot)
		*slot = old;
}

int64_t kvm_vm_ctx_tag(void)
{
	int *slot = vm_ctx_slot();

	return slot ? *slot - 1 : -1;
}

/*
 * In Linux the thread in KVM_RUN runs the guest itself; here the vCPU's
 * actor does, so the time it ran and waited for the CPU is the caller's
 * (/proc/TID/schedstat, steal time).
 */
static void credit_run_caller(struct kvm_vcpu *vcpu)
{
	struct sim_schedstat now, d;

	sim_actor_schedstat(vcpu->actor, &now);
	d.exec_ns = now.exec_ns - vcpu->sched_credited.exec_ns;
	d.delay_ns = now.delay_ns - vcpu->sched_credited.delay_ns;
	d.pcount = 0;
	if (vcpu->run_caller)
		sim_actor_schedstat_add(vcpu->run_caller, &d);
	vcpu->sched_credited = now;
}

static void kvm_vcpu_actor(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct sim_ev *ev;
	uint64_t blocked;

	kvm_vm_ctx_enter(vcpu->kvm);	/* for good: the actor is the vCPU */
	for (;;) {
		while (!vcpu->run_requested && !vcpu->dying)
			sim_wait(&vcpu->run_wq);
		if (vcpu->dying)
			sim_exit();
		vcpu->run_requested = false;
		vcpu->exit_filled = false;
		credit_run_caller(vcpu);
		if (kvm_rule_on(RULE_RESET_EXIT_REASON))
			vcpu->run->exit_reason = KVM_EXIT_UNKNOWN;
		blocked = sim_actor_times_blocked(vcpu->actor);
		sim_charge(COST_RUN_ENTRY);
		vcpu->run_ret = kvm_arch()->vcpu_run(vcpu);
		sim_charge(COST_RUN_EXIT);
		vcpu->run_blocked = sim_actor_times_blocked(vcpu->actor) != blocked;
		credit_run_caller(vcpu);
		ev = sim_ev_begin("kvm_vcpu_ioctl_run_return");
		sim_ev_int(ev, "ret", vcpu->run_ret);
		sim_ev_int(ev, "exit_reason", vcpu->run->exit_reason);
		sim_ev_bool(ev, "filled", vcpu->exit_filled);
		sim_ev_end(ev);
		kvm_observe_run(vcpu, vcpu->run_ret);
		check_run_return(vcpu, vcpu->run_ret);
		vcpu->run_done = true;
		sim_wake_one(&vcpu->done_wq);
	}
}

static int create_run_area(struct kvm_vcpu *vcpu)
{
	size_t size = KVM_VCPU_MMAP_PAGES * PAGE_SIZE;
	int fd = memfd_create("kvm-vcpu", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, size) < 0) {
		close(fd);
		return -ENOMEM;
	}
	vcpu->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (vcpu->run == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	vcpu->run_size = size;
	vcpu->run_memfd = fd;
	return 0;
}

static struct kvm_vcpu *kvm_vm_ioctl_create_vcpu(struct kvm *kvm, unsigned long id,
						 int *err)
{
	struct kvm_vcpu *vcpu;

	if (id >= KVM_MAX_VCPU_IDS || kvm->created_vcpus >= KVM_MAX_VCPUS) {
		*err = -EINVAL;
		return NULL;
	}
	for (int i = 0; i < kvm->nr_vcpus; i++) {
		if (kvm->vcpus[i]->vcpu_id == (int)id) {
			*err = -EEXIST;
			return NULL;
		}
	}
	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu) {
		*err = -ENOMEM;
		return NULL;
	}
	vcpu->refs = 0;		/* its fd's reference comes with the fd */
	vcpu->kvm = kvm;
	vcpu->vcpu_id = id;
	vcpu->vcpu_idx = kvm->nr_vcpus;
	/* the first VM's vCPUs are vcpuN; another VM's say which VM they are in */
	if (kvm->vm_id)
		snprintf(vcpu->name, sizeof(vcpu->name), "vm%d.vcpu%d", kvm->vm_id,
			 vcpu->vcpu_idx);
	else
		snprintf(vcpu->name, sizeof(vcpu->name), "vcpu%d", vcpu->vcpu_idx);
	*err = create_run_area(vcpu);
	if (!*err)
		*err = kvm_arch()->vcpu_create(vcpu);
	if (*err) {
		kvm_arch()->vcpu_destroy(vcpu);
		free(vcpu);
		return NULL;
	}
	sim_waitq_init(&vcpu->run_wq, "kvm_vcpu_run");
	sim_waitq_init(&vcpu->done_wq, "kvm_run_exit");
	sim_waitq_init(&vcpu->mutex_wq, "vcpu_mutex");
	sim_set_stack_size(VCPU_STACK_SIZE);
	vcpu->actor = sim_spawn(vcpu->name, kvm_vcpu_actor, vcpu);
	kvm->vcpus[kvm->nr_vcpus++] = vcpu;
	kvm->created_vcpus++;
	kvm_get_kvm(kvm);
	struct sim_ev *ev = sim_ev_begin("kvm_vm_ioctl_create_vcpu");
	sim_ev_int(ev, "vcpu_id", id);
	sim_ev_end(ev);
	return vcpu;
}

void kvm_put_vcpu(struct kvm_vcpu *vcpu)
{
	/*
	 * vCPUs live as long as their VM, as in KVM; only the fd goes
	 * away.  Its file held a reference on the VM (kvm_vm_ioctl_create
	 * _vcpu took it): the last close of VM and vCPU fds frees the VM,
	 * so a VM the program closed sees no later MMU notifier.
	 */
	if (--vcpu->refs || !vcpu->kvm)
		return;
	kvm_put_kvm(vcpu->kvm);
}

/* ---- capabilities ---- */

/* kvm_vm_ioctl_check_extension_generic, then the arch's answer */
int kvm_vm_ioctl_check_extension(struct kvm *kvm, long ext)
{
	if (kvm_rule_on(RULE_HOST_CAPS))
		return kvm_host_check_extension(kvm != NULL, ext);
	switch (ext) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_IMMEDIATE_EXIT:
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_USER_MEMORY2:
	case KVM_CAP_BINARY_STATS_FD:
	/* kvm_run.internal carries ndata and data[] (how many are valid) */
	case KVM_CAP_INTERNAL_ERROR_DATA:
		return 1;
	/* CONFIG_HAVE_KVM_IRQ_ROUTING, CONFIG_HAVE_KVM_IRQFD, CONFIG_HAVE_KVM_MSI */
	case KVM_CAP_IRQ_ROUTING:
		return KVM_MAX_IRQ_ROUTES;
	case KVM_CAP_IRQFD:
	case KVM_CAP_IRQFD_RESAMPLE:
	case KVM_CAP_SIGNAL_MSI:
	case KVM_CAP_IOEVENTFD:
	case KVM_CAP_IOEVENTFD_NO_LENGTH:
	case KVM_CAP_IOEVENTFD_ANY_LENGTH:
		return 1;
	case KVM_CAP_MEMORY_FAULT_INFO:
		return !kvm_rule_on(RULE_RFC_MEMFAULT_EXIT);
	/* private-v6 predates guest_memfd, attributes and VM types */
	case KVM_CAP_GUEST_MEMFD:
		return !kvm_rule_on(RULE_PRIVATE_FD);
	case KVM_CAP_GUEST_MEMFD_FLAGS:
		if (kvm_rule_on(RULE_PRIVATE_FD) || kvm_rule_on(RULE_GMEM_NO_FLAGS))
			return 0;
		return GUEST_MEMFD_FLAG_MMAP |
		       (kvm_arch_has_private_mem(kvm) ? 0 : GUEST_MEMFD_FLAG_INIT_SHARED);
	case KVM_CAP_X86_MEMORY_FAULT_EXIT:
		return kvm_rule_on(RULE_RFC_MEMFAULT_EXIT);
	case KVM_CAP_MEMORY_FAULT_NOWAIT:
		return kvm_rule_on(RULE_ABSENT_MAPPING_FAULT);
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
	case KVM_CAP_NR_MEMSLOTS:
		return KVM_USER_MEM_SLOTS;
	case KVM_CAP_MULTI_ADDRESS_SPACE:
		return KVM_ADDRESS_SPACE_NUM > 1 ? KVM_ADDRESS_SPACE_NUM : 0;
	case KVM_CAP_MAX_VCPU_ID:
		return KVM_MAX_VCPU_IDS;
	default:
		return kvm_arch()->check_extension(kvm, ext);
	}
}

/* ---- /dev/kvm ---- */

static long kvm_dev_ioctl_create_vm(unsigned long type, int *new_fd)
{
	int err = 0;
	struct kvm *kvm = kvm_create_vm(type, &err);

	if (!kvm)
		return err;
	*new_fd = kvmsim_install_fd(KVMSIM_FILE_VM, kvm);
	if (*new_fd < 0) {
		kvm_put_kvm(kvm);
		return *new_fd;
	}
	return *new_fd;
}

long kvm_dev_ioctl(unsigned int cmd, unsigned long arg)
{
	int fd;

	switch (cmd) {
	case KVM_GET_API_VERSION:
		return arg ? -EINVAL : KVM_API_VERSION_NR;
	case KVM_CREATE_VM:
		return kvm_dev_ioctl_create_vm(arg, &fd);
	case KVM_CHECK_EXTENSION:
		return kvm_vm_ioctl_check_extension(NULL, arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : (long)(KVM_VCPU_MMAP_PAGES * PAGE_SIZE);
	default:
		return kvm_arch()->dev_ioctl(cmd, arg);
	}
}

/* ---- VM fd ---- */

/*
 * private-v6: KVM_SET_USER_MEMORY_REGION with KVM_MEM_PRIVATE reads
 * struct kvm_userspace_memory_region_ext; its private_fd and
 * private_offset travel in region2's guest_memfd fields.
 */
static int copy_region_ext(struct kvm_userspace_memory_region2 *mem, unsigned long arg)
{
	struct kvm_userspace_memory_region_ext ext;

	if (copy_from_user(&ext, (void *)arg, sizeof(ext)))
		return -EFAULT;
	mem->guest_memfd_offset = ext.private_offset;
	mem->guest_memfd = ext.private_fd;
	return 0;
}

static long vm_set_memory_region(struct kvm *kvm, unsigned int cmd, unsigned long arg)
{
	struct kvm_userspace_memory_region2 mem;
	size_t size = cmd == KVM_SET_USER_MEMORY_REGION ?
		      sizeof(struct kvm_userspace_memory_region) : sizeof(mem);

	memset(&mem, 0, sizeof(mem));
	if (copy_from_user(&mem, (void *)arg, size))
		return -EFAULT;
	if (cmd == KVM_SET_USER_MEMORY_REGION && kvm_rule_on(RULE_PRIVATE_FD) &&
	    (mem.flags & KVM_MEM_PRIVATE)) {
		if (copy_region_ext(&mem, arg))
			return -EFAULT;
		return kvm_set_memory_region(kvm, &mem);
	}
	/* the 2023-era proposals' flags came through the old ioctl too */
	if (cmd == KVM_SET_USER_MEMORY_REGION &&
	    (mem.flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY |
			   (kvm_profile_memslot_flags() &
			    ~(kvm_rule_on(RULE_USERFAULT) ? KVM_MEM_USERFAULT : 0)))))
		return -EINVAL;
	return kvm_set_memory_region(kvm, &mem);
}

/*
 * The series' check was "reasons & !valid_flags": logical not, so always
 * 0 and every mask passes.  rfc-mask-check-bug keeps it; without it the
 * intended bitwise check applies.
 */
static bool kvm_memfault_exit_flags_valid(uint64_t reasons)
{
	uint64_t valid_flags = KVM_MEMFAULT_REASON_UNKNOWN |
			       KVM_MEMFAULT_REASON_ABSENT_MAPPING;

	if (kvm_rule_on(RULE_RFC_MASK_CHECK_BUG))
		return !(reasons & !valid_flags);
	return !(reasons & ~valid_flags);
}

static long vm_enable_cap(struct kvm *kvm, unsigned long arg)
{
	struct kvm_enable_cap cap;

	if (copy_from_user(&cap, (void *)arg, sizeof(cap)))
		return -EFAULT;
	if (cap.flags)
		return -EINVAL;
	switch (cap.cap) {
	case KVM_CAP_X86_MEMORY_FAULT_EXIT:
		if (!kvm_vm_ioctl_check_extension(kvm, cap.cap))
			return -EINVAL;
		if (!kvm_memfault_exit_flags_valid(cap.args[0]))
			return -EINVAL;
		kvm->memfault_exit_reasons = cap.args[0];
		return 0;
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		return kvm_vm_ioctl_enable_dirty_log_protect(kvm, cap.args[0]);
	default:
		/* 232 and 228 are query-only; the arch may know more */
		if (kvm_arch()->vm_enable_cap)
			return kvm_arch()->vm_enable_cap(kvm, &cap);
		return -EINVAL;
	}
}

long kvm_vm_ioctl(struct kvm *kvm, unsigned int cmd, unsigned long arg, int *new_fd)
{
	struct kvm_vcpu *vcpu;
	int err = 0;

	/* a forked child's inherited VM fd: kvm->mm != current->mm */
	if (kvm->mm != posix_mm_generation())
		return -EIO;
	switch (cmd) {
	case KVM_CREATE_VCPU:
		vcpu = kvm_vm_ioctl_create_vcpu(kvm, arg, &err);
		if (!vcpu)
			return err;
		*new_fd = kvmsim_install_fd(KVMSIM_FILE_VCPU, vcpu);
		return *new_fd;
	case KVM_CREATE_DEVICE:
		return kvm_ioctl_create_device(kvm, (void *)arg);
	case KVM_SET_USER_MEMORY_REGION:
	case KVM_SET_USER_MEMORY_REGION2:
		return vm_set_memory_region(kvm, cmd, arg);
	case KVM_CHECK_EXTENSION:
		return kvm_vm_ioctl_check_extension(kvm, arg);
	case KVM_CREATE_GUEST_MEMFD:
		if (kvm_rule_on(RULE_PRIVATE_FD) || kvm_rule_on(RULE_NO_GUEST_MEMFD))
			return -ENOTTY;
		return kvm_gmem_create(kvm, (void *)arg);
	case KVM_SET_MEMORY_ATTRIBUTES:
		/* compiled out: CONFIG_KVM_GENERIC_MEMORY_ATTRIBUTES needs SW_PROTECTED_VM */
		if (kvm_rule_on(RULE_PRIVATE_FD) || kvm_rule_on(RULE_NO_SW_PROTECTED_VM))
			return -ENOTTY;
		return kvm_vm_ioctl_set_mem_attributes(kvm, (void *)arg);
	case KVM_GET_DIRTY_LOG:
		return kvm_vm_ioctl_get_dirty_log(kvm, (void *)arg);
	case KVM_CLEAR_DIRTY_LOG:
		return kvm_vm_ioctl_clear_dirty_log(kvm, (void *)arg);
	case KVM_ENABLE_CAP:
		return vm_enable_cap(kvm, arg);
	case KVM_GET_STATS_FD:
		return kvm_get_stats_fd(kvm, NULL);
	case KVM_SET_GSI_ROUTING:
		return kvm_vm_ioctl_set_gsi_routing(kvm, (void *)arg);
	case KVM_SIGNAL_MSI:
		return kvm_vm_ioctl_signal_msi(kvm, (void *)arg);
	case KVM_IRQFD:
		return kvm_irqfd(kvm, (void *)arg);
	case KVM_IOEVENTFD:
		return kvm_ioeventfd(kvm, (void *)arg);
	default:
		return kvm_arch()->vm_ioctl(kvm, cmd, arg);
	}
}

/* ---- vCPU fd ---- */

/*
 * send_sig_mceerr(BUS_MCEERR_AR, hva, PAGE_SHIFT): a real SIGBUS queued
 * to this (the KVM_RUN caller's) thread, delivered as the ioctl returns;
 * without a handler it kills the process, as on a real host.
 */
static void send_sig_mceerr(struct kvm_vcpu *vcpu)
{
	siginfo_t info;
	struct sim_ev *ev = sim_ev_begin("send_sig_mceerr");

	sim_ev_str(ev, "vcpu", vcpu->name);
	sim_ev_end(ev);
	vcpu->hwpoison_pending = false;
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGBUS;
	info.si_code = BUS_MCEERR_AR;
	info.si_addr = (void *)(uintptr_t)vcpu->hwpoison_hva;
	info.si_addr_lsb = PAGE_SHIFT;
	/* the simulator runs every thread on the process' one OS thread */
	syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(), SIGBUS, &info);
}

/*
 * A signal for a thread inside KVM_RUN: the vCPU it runs is kicked, so
 * a vCPU blocked in the kernel (HLT, waiting for INIT/SIPI) sees it and
 * KVM_RUN ends with -EINTR (signal_wake_up -> kvm_vcpu_check_block).
 */
static int kick_caller(struct kvm *kvm, void *thread)
{
	for (int i = 0; i < kvm->nr_vcpus; i++) {
		struct kvm_vcpu *v = kvm->vcpus[i];

		if (v && v->run_caller == thread && !v->run_done && !v->dying && kvm_arch()->vcpu_kick)
			kvm_arch()->vcpu_kick(v);
	}
	return 0;
}

static void kvm_kick_thread(struct sim_actor *thread)
{
	kvm_for_each_vm(kick_caller, thread);
}

/* KVM_RUN from the VMM's actor: hand over to the vCPU's actor, wait for the exit. */
static long kvm_vcpu_ioctl_run(struct kvm_vcpu *vcpu)
{
	uint64_t before;

	vcpu->kvm->stat.run_calls++;
	vcpu->run_requested = true;
	vcpu->run_done = false;
	vcpu->run_caller = sim_self();
	/* the caller's handlers run when the ioctl returns, not inside it */
	posix_set_kernel_kick(kvm_kick_thread);
	posix_kernel_enter();
	before = sim_actor_times_blocked(sim_self());
	if (!sim_wake_one(&vcpu->run_wq))
		sim_make_runnable(vcpu->actor);
	while (!vcpu->run_done)
		sim_wait(&vcpu->done_wq);
	if (!vcpu->run_blocked)
		posix_clock_poll_busy(before);
	if (vcpu->hwpoison_pending)
		send_sig_mceerr(vcpu);
	posix_kernel_leave();
	return vcpu->run_ret;
}

/* kvm_vcpu_ioctl_set_sigmask; NULL clears it */
static long kvm_vcpu_set_signal_mask(struct kvm_vcpu *vcpu, unsigned long arg)
{
	struct kvm_signal_mask hdr;
	uint64_t bits;

	if (!arg) {
		vcpu->sigmask_active = false;
		return 0;
	}
	if (copy_from_user(&hdr, (void *)arg, sizeof(hdr)))
		return -EFAULT;
	if (hdr.len != sizeof(bits))
		return -EINVAL;
	if (copy_from_user(&bits, (char *)arg + sizeof(hdr), sizeof(bits)))
		return -EFAULT;
	sigemptyset(&vcpu->sigmask);
	for (int sig = 1; sig <= 64; sig++)
		if ((bits >> (sig - 1)) & 1)
			sigaddset(&vcpu->sigmask, sig);
	sigdelset(&vcpu->sigmask, SIGKILL);
	sigdelset(&vcpu->sigmask, SIGSTOP);
	vcpu->sigmask_active = true;
	return 0;
}

/*
 * vcpu->mutex: a second thread's ioctl on a vCPU (a second KVM_RUN, a
 * KVM_GET_REGS) sleeps until the first returns, as mutex_lock_killable
 * in kvm_vcpu_ioctl does. Only KVM_INTERRUPT is asynchronous on x86.
 */
static void vcpu_mutex_lock(struct kvm_vcpu *vcpu)
{
	while (vcpu->mutex_locked)
		sim_wait(&vcpu->mutex_wq);
	vcpu->mutex_locked = true;
}

static void vcpu_mutex_unlock(struct kvm_vcpu *vcpu)
{
	vcpu->mutex_locked = false;
	sim_wake_one(&vcpu->mutex_wq);
}

long kvm_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int cmd, unsigned long arg)
{
	long r;

	if (!vcpu->kvm || vcpu->kvm->mm != posix_mm_generation())
		return -EIO;
	if (_IOC_TYPE(cmd) != KVMIO)
		return -EINVAL;
	if (cmd == KVM_INTERRUPT)
		return kvm_arch()->vcpu_ioctl(vcpu, cmd, arg);
	/* fdget: a close by another thread frees nothing under this ioctl */
	vcpu->refs++;
	vcpu_mutex_lock(vcpu);
	switch (cmd) {
	case KVM_RUN:
		r = arg ? -EINVAL : kvm_vcpu_ioctl_run(vcpu);
		break;
	case KVM_GET_STATS_FD:
		r = kvm_get_stats_fd(vcpu->kvm, vcpu);
		break;
	case KVM_SET_SIGNAL_MASK:
		r = kvm_vcpu_set_signal_mask(vcpu, arg);
		break;
	default:
		r = kvm_arch()->vcpu_ioctl(vcpu, cmd, arg);
		break;
	}
	vcpu_mutex_unlock(vcpu);
	kvm_put_vcpu(vcpu);
	return r;
}
