/* SPDX-License-Identifier: MIT */
/*
 * The KVM side of kvmsim: VM, vCPU and memslot objects, mirroring the
 * kernel's include/linux/kvm_host.h.  kvm-model composes mmu-model (page
 * tables, host memory) and the sim/ runtime (fibers, trace); the vCPU back
 * ends (kvm-model/<arch>/, chosen per process: kvm_arch.h) are the only
 * place that knows Unicorn.
 */
#ifndef KVMSIM_KVM_HOST_H
#define KVMSIM_KVM_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kvmsim/uapi_ext.h"
#include "mmu-model/tdp.h"
#include "sim/sim.h"

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1ull << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#define KVM_API_VERSION_NR	12
/* Values this machine's KVM (6.18, x86-64) reports; see tests/vmm/. */
#define KVM_USER_MEM_SLOTS	32764
#define KVM_ADDRESS_SPACE_NUM	1	/* no SMM address space, as on this host */
#define KVM_MAX_VCPUS		4096
#define KVM_MAX_VCPU_IDS	4096
#define KVM_VCPU_MMAP_PAGES	3	/* kvm_run, PIO data, coalesced MMIO ring */
#define KVM_PIO_PAGE_OFFSET	1
#define KVMSIM_MAX_CPUID	256

/* Change kinds of a memslot update, as enum kvm_mr_change. */
enum kvm_mr_change {
	KVM_MR_CREATE,
	KVM_MR_DELETE,
	KVM_MR_MOVE,
	KVM_MR_FLAGS_ONLY,
};

struct kvm_memory_slot {
	uint16_t id;		/* slot number inside its address space */
	uint16_t as_id;
	uint64_t base_gfn;
	uint64_t npages;
	uint64_t userspace_addr;
	uint32_t flags;
	unsigned long *dirty_bitmap;	/* one bit per page while LOG_DIRTY_PAGES */
	uint64_t userfault_bitmap;	/* userfault-v3: the VMM's bitmap (a user pointer) */
	/*
	 * KVM_MEM_GUEST_MEMFD: the bound file (NULL once it was closed) and
	 * the slot's first page in it; gmem_only (KVM_MEMSLOT_GMEM_ONLY)
	 * when the file can be mmap'ed: then shared faults use it too.
	 * private-v6 uses the same fields for private_fd/private_offset.
	 */
	struct kvm_gmem *gmem;
	uint64_t gmem_pgoff;
	bool gmem_only;
};

struct kvm_memslots {
	/* by id: slot numbers are dense enough for a flat table */
	struct kvm_memory_slot *id_table[KVM_USER_MEM_SLOTS];
	/* sorted by base_gfn, for gfn lookups */
	struct kvm_memory_slot **by_gfn;
	int nr;
	int cap;
};

struct kvm_vcpu;
struct kvm_gmem;	/* guest_memfd.c */
struct kvm_irq;		/* kvm_irq.h */

/* Gfn ranges [start, end) with the private attribute, sorted, disjoint. */
struct kvm_mem_attrs {
	struct { uint64_t start, end; } *r;
	int nr, cap;
};

struct kvm_stats {
	uint64_t page_faults;		/* kvm_mmu_page_fault calls */
	uint64_t spte_installs[4];	/* per level */
	uint64_t zaps;
	uint64_t mmio_exits;
	uint64_t run_calls;		/* KVM_RUN ioctls */
	uint64_t invalidations;		/* mmu_invalidate_seq bumps */
	uint64_t memory_fault_exits;	/* annotated memory-fault exits */
	uint64_t userfaults;		/* faults delivered to a userfaultfd */
	uint64_t fault_retries;		/* is_page_fault_stale said retry */
	uint64_t dirty_wrprots;		/* SPTEs write-protected for dirty logging */
	uint64_t memslot_updates;	/* kvm_set_memslot calls */
	uint64_t attr_updates;		/* KVM_SET_MEMORY_ATTRIBUTES that changed a gfn */
	uint64_t gmem_allocs;		/* fallocate allocating in a private fd */
	uint64_t gmem_discards;		/* fallocate punching holes in a private fd */
	uint64_t apf_not_present;	/* 'page not present' #PFs queued */
	uint64_t apf_page_ready;	/* 'page ready' interrupts raised */
	uint64_t apf_page_error;	/* seed 001's 'page error' raised */
	uint64_t apf_sync_after_error;	/* refaults made synchronous by a failed one */
};

/*
 * Guest page-table pages seen by stage-1 walks: writes to them are caught
 * (the Unicorn mapping of such a page is read-only), as the shadow MMU
 * write-protects gfns it shadows.
 */
struct gfn_set {
	uint64_t *keys;		/* open addressing, key + 1 (0 = empty) */
	size_t cap;
	size_t nr;
};

struct kvm {
	int refs;
	int vm_id;
	unsigned long mm;	/* posix_mm_generation() at creation: kvm->mm */
	struct kvm *vm_list_next;	/* vm_list */
	unsigned long type;
	struct kvm_memslots memslots[KVM_ADDRESS_SPACE_NUM];
	struct tdp_mmu *tdp;
	/* bumped by every invalidation (memslot change, host unmap) */
	uint64_t mmu_invalidate_seq;
	/*
	 * Between kvm_mmu_notifier_invalidate_range_start and _end: how many
	 * invalidations are open and the gfns they cover (the union), so a
	 * fault on one of those gfns retries whatever its snapshot says
	 * (mmu_invalidate_retry_gfn).  mn_active_invalidate_count counts the
	 * open notifier calls for this VM's mm; a memslot update waits for it
	 * to drop to zero (kvm_swap_active_memslots).  Both wake mmu_invalidate_wq.
	 */
	int mmu_invalidate_in_progress;
	uint64_t mmu_invalidate_range_start, mmu_invalidate_range_end;
	int mn_active_invalidate_count;
	struct sim_waitq mmu_invalidate_wq;
	/* the last invalidations, for the stale-spte oracle */
	struct {
		uint64_t seq, gfn_start, gfn_end;
		const char *why;
	} recent_inval[64];
	/*
	 * kvm->srcu: vCPUs in the fault path are readers (the kernel holds
	 * it across kvm_mmu_page_fault, including a GUP that sleeps in
	 * handle_userfault); a memslot update waits for them all
	 * (synchronize_srcu_expedited in kvm_swap_active_memslots).
	 */
	int srcu_readers;
	struct sim_waitq srcu_wq;
	struct kvm_vcpu *vcpus[KVM_MAX_VCPUS];
	int nr_vcpus;
	int created_vcpus;
	uint64_t tss_addr;
	bool tss_addr_set;
	uint64_t identity_map_addr;
	bool vcpu_created_once;		/* identity map address is fixed after */
	struct gfn_set pt_gfns;
	struct kvm_stats stat;
	struct kvm_arm64_vm *arm64;	/* kvm-model/arm64/arm64.h: vGIC, timer offsets */
	struct kvm_device *devices;	/* KVM_CREATE_DEVICE's, newest first */
	bool has_private_mem;		/* KVM_X86_SW_PROTECTED_VM */
	/* KVM_X86_SW_PROTECTED_VM: the attributes are the source of truth */
	struct kvm_mem_attrs mem_attrs;
	/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2: KVM_DIRTY_LOG_MANUAL_PROTECT_* */
	uint64_t manual_dirty_log_protect;
	/* rfc-2023-v2: reasons enabled with KVM_CAP_X86_MEMORY_FAULT_EXIT */
	uint64_t memfault_exit_reasons;
	bool irqchip_kernel;		/* KVM_CREATE_IRQCHIP: the LAPIC is in the kernel */
	struct kvm_irq *irq;		/* routes, I/O buses, irqfds (kvm_irq.h) */
	struct kvm_x86_vm_state *x86;	/* kvm-model/x86/x86_state.h */
	struct kvm_coalesced_io *coalesced;	/* coalesced_mmio.c: zones and ring */
};

/*
 * KVM_CREATE_DEVICE (virt/kvm/kvm_main.c): a device the arch offers by
 * type.  It lives as long as its VM (kvm_destroy_devices); its fd holds a
 * reference on the VM.  A NULL accessor makes that ioctl EPERM.
 */
struct kvm_device;
struct kvm_device_attr;

struct kvm_device_ops {
	const char *name;
	int (*create)(struct kvm_device *dev, uint32_t type);
	void (*destroy)(struct kvm_device *dev);
	int (*set_attr)(struct kvm_device *dev, struct kvm_device_attr *attr);
	int (*get_attr)(struct kvm_device *dev, struct kvm_device_attr *attr);
	int (*has_attr)(struct kvm_device *dev, struct kvm_device_attr *attr);
};

struct kvm_device {
	const struct kvm_device_ops *ops;
	struct kvm *kvm;
	void *private;
	struct kvm_device *next;
};


/* An exit's guest access still to be completed on the next KVM_RUN. */
enum pending_kind {
	PENDING_NONE,
	PENDING_PIO_IN,		/* put run->io data into rAX, then skip */
	PENDING_PIO_OUT,	/* skip the instruction */
	PENDING_MMIO_READ,	/* re-execute with run->mmio.data as the value */
	PENDING_PIO_STRING,	/* finish INS/OUTS: move data, update rSI/rDI/rCX */
};

struct pending_string_pio {
	bool in, rep, down;	/* down: EFLAGS.DF set */
	int size;
	uint32_t count;
	uint64_t addr;		/* linear address of the first element */
	/*
	 * The emulator's PIO read-ahead buffer (struct read_cache): INS data
	 * goes through it, and what an exit did not refill stays from before.
	 */
	uint8_t read_ahead[1024];
};

struct kvm_vcpu {
	int refs;
	struct kvm *kvm;
	int vcpu_id;
	int vcpu_idx;
	char name[16];

	struct kvm_run *run;	/* our mapping of the vCPU's memfd */
	size_t run_size;
	int run_memfd;

	/* architectural state outside the general registers */
	struct kvm_sregs sregs;
	uint64_t cr2;
	uint64_t msr_star, msr_lstar, msr_cstar, msr_sfmask;
	uint64_t msr_kernel_gs_base, msr_sysenter_cs, msr_sysenter_esp;
	uint64_t msr_sysenter_eip, msr_pat, msr_tsc_aux, msr_misc_enable;
	uint64_t tsc_offset;
	struct kvm_cpuid_entry2 cpuid[KVMSIM_MAX_CPUID];
	int cpuid_nent;

	/* completion of the previous exit (complete_userspace_io) */
	enum pending_kind pending;
	uint64_t pending_rip_next;
	int pending_size;
	struct pending_string_pio pending_string;

	/* in-kernel run loop as an actor */
	struct sim_actor *actor;
	struct sim_waitq run_wq;	/* the vCPU actor waits for KVM_RUN */
	struct sim_waitq done_wq;	/* the caller of KVM_RUN waits for the exit */
	bool mutex_locked;		/* vcpu->mutex: one ioctl at a time */
	struct sim_waitq mutex_wq;
	bool run_requested;
	bool dying;			/* its VM is gone: engine and run area freed */
	bool run_done;
	bool run_blocked;	/* the vCPU waited during the last run */
	int run_ret;			/* 0 or -errno */
	struct sim_actor *run_caller;	/* the thread in KVM_RUN: its signals */
	/* the vCPU actor's schedstat already credited to its callers */
	struct sim_schedstat sched_credited;
	bool sigmask_active;		/* KVM_SET_SIGNAL_MASK */
	sigset_t sigmask;		/* the caller's mask while in KVM_RUN */

	void *arch;		/* the back end's vCPU (kvm-model/<arch>/) */
	struct x86_vcpu_state *x86;	/* kvm-model/x86/x86_state.h */
	bool arch_trap_exception;	/* the exception being delivered is a trap */
	uint64_t insns;			/* guest instructions retired */
	uint64_t run_calls;		/* KVM_RUN ioctls on this vCPU */
	uint64_t exits;

	/* oracles: one exit per KVM_RUN; faults that make no progress */
	bool exit_filled;
	int gpa_fault_ret;
	/* kvm_send_hwpoison_signal: SIGBUS for the KVM_RUN caller */
	bool hwpoison_pending;
	uint64_t hwpoison_hva;	/* what kvm_vcpu_gpa_to_hva's failed fault returned */
	uint64_t livelock_gfn;
	uint64_t livelock_count;
};

/* ---- kvm_main.c ---- */
struct kvm *kvm_create_vm(unsigned long type, int *err);
void kvm_get_kvm(struct kvm *kvm);
void kvm_put_kvm(struct kvm *kvm);
void kvm_put_vcpu(struct kvm_vcpu *vcpu);
long kvm_dev_ioctl(unsigned int cmd, unsigned long arg);
long kvm_vm_ioctl(struct kvm *kvm, unsigned int cmd, unsigned long arg, int *new_fd);
long kvm_vcpu_ioctl(struct kvm_vcpu *vcpu, unsigned int cmd, unsigned long arg);
int kvm_vm_ioctl_check_extension(struct kvm *kvm, long ext);
void kvm_vcpu_srcu_read_lock(struct kvm_vcpu *vcpu);
void kvm_vcpu_srcu_read_unlock(struct kvm_vcpu *vcpu);
void synchronize_srcu_expedited(struct kvm *kvm);

/*
 * Fill kvm_run's exit reason.  Every exit goes through here, so the
 * oracles see a fill from another actor than the vCPU's own run
 * ("foreign-fill") and a second fill before KVM_RUN returns
 * ("exit-overwritten").
 */
void kvm_run_set_exit(struct kvm_vcpu *vcpu, uint32_t reason);
/*
 * A fault or exit on gfn: progress resets the count; N events on one gfn
 * without progress (KVMSIM_LIVELOCK, default 1000) is the "livelock"
 * verdict.
 */
void kvm_livelock_check(struct kvm_vcpu *vcpu, uint64_t gfn, bool progress,
			const char *what);
/* KVMSIM_LIVELOCK, default 1000: events without progress that are a livelock. */
uint64_t kvm_livelock_limit(void);
/*
 * A guest memory access the fault path could not resolve: fill the
 * memory-fault exit as the profile says (number 39 or 38, flags, and for
 * rfc-2023-v2 only if rfc_reason is enabled) and return what KVM_RUN
 * returns: -EFAULT upstream, -1 under rfc-2023-v2, a bare -EFAULT when
 * the exit is not enabled.
 */
int kvm_memory_fault_exit(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t size,
			  uint64_t flags, uint64_t rfc_reason);
/* Fill the memory-fault exit as given, whatever the profile enables. */
void kvm_prepare_memory_fault_exit(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t size,
				   uint64_t flags);
/* KVM_EXIT_MEMORY_FAULT's number under the profile (39, or 38). */
int kvm_memory_fault_exit_nr(void);
/*
 * An -EFAULT merged Linux returns bare: kvm_read_guest and friends, and a
 * failed GUP in the stage-2 fault path unless annotate-error-pfn;
 * annotated under annotate-all-efault.
 */
int kvm_efault(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t size);
/* What the stage-2 fault path returns for r: EFAULT under positive-efault. */
int kvm_fault_path_ret(int r);
/* A signal pending at guest entry (fault injection): KVM_EXIT_INTR. */
bool kvm_signal_pending(struct kvm_vcpu *vcpu);

/* ---- kvm_device.c ---- */
int kvm_ioctl_create_device(struct kvm *kvm, void *uarg);
long kvm_device_ioctl(struct kvm_device *dev, unsigned int cmd, unsigned long arg);
void kvm_destroy_devices(struct kvm *kvm);

/* ---- memslot.c ---- */
int kvm_set_memory_region(struct kvm *kvm,
			  const struct kvm_userspace_memory_region2 *mem);
struct kvm_memory_slot *gfn_to_memslot(struct kvm *kvm, uint64_t gfn);
void kvm_free_memslots(struct kvm *kvm);
uint64_t gfn_to_hva_memslot(const struct kvm_memory_slot *slot, uint64_t gfn);
void kvm_mmu_notifier_invalidate_range(uint64_t hva_start, uint64_t hva_end);

/* ---- guest_memory.c: KVM's own guest accesses (kvm_read_guest...) ---- */
/* 0, or -EFAULT with the gpa that failed in *bad_gpa. */
int kvm_vcpu_read_guest(struct kvm_vcpu *vcpu, uint64_t gpa, void *data, size_t len,
			uint64_t *bad_gpa);
int kvm_vcpu_write_guest(struct kvm_vcpu *vcpu, uint64_t gpa, const void *data, size_t len,
			 uint64_t *bad_gpa);

/* ---- dirty_log.c ---- */
int kvm_vm_ioctl_get_dirty_log(struct kvm *kvm, void *ulog);
int kvm_vm_ioctl_clear_dirty_log(struct kvm *kvm, void *ulog);
int kvm_vm_ioctl_enable_dirty_log_protect(struct kvm *kvm, uint64_t flags);
/* The bits a new dirty bitmap starts with (INITIALLY_SET: all). */
bool kvm_dirty_log_manual_protect_and_init_set(const struct kvm *kvm);
void mark_page_dirty_in_slot(struct kvm_memory_slot *slot, uint64_t gfn);
/* A write to gfn that dirty logging must see. */
void mark_page_dirty(struct kvm *kvm, uint64_t gfn);

/* ---- guest_memfd.c: guest_memfd, memory attributes, private-v6's private fd ---- */
bool kvm_arch_has_private_mem(const struct kvm *kvm);
int kvm_gmem_create(struct kvm *kvm, void *uargs);
/* Bind slot to the guest_memfd fd at byte offset: 0 or -errno (kvm_gmem_bind). */
int kvm_gmem_bind(struct kvm *kvm, struct kvm_memory_slot *slot, int fd, uint64_t offset);
void kvm_gmem_unbind(struct kvm_memory_slot *slot);
/* The host address of gfn's page in the slot's file, or -errno. */
int kvm_gmem_get_pfn(struct kvm *kvm, struct kvm_memory_slot *slot, uint64_t gfn,
		     uint64_t *hva);
void kvm_gmem_get(struct kvm_gmem *gmem);
void kvm_gmem_put(struct kvm_gmem *gmem);
int kvm_gmem_fallocate(struct kvm_gmem *gmem, int mode, int64_t off, int64_t len);
int kvm_gmem_mmap_check(struct kvm_gmem *gmem, int flags);
int kvm_gmem_memfd(const struct kvm_gmem *gmem);
/* The VMM mapped / unmapped (part of) a guest_memfd: mappings hold the file. */
void kvm_gmem_vma_add(struct kvm_gmem *gmem, uint64_t start, uint64_t len);
void kvm_gmem_vma_gone(uint64_t start, uint64_t len);
uint64_t kvm_supported_mem_attributes(const struct kvm *kvm);
int kvm_vm_ioctl_set_mem_attributes(struct kvm *kvm, void *uattrs);
/* Private per the profile: the attribute (upstream) or a populated fd page (private-v6). */
bool kvm_mem_is_private(struct kvm *kvm, uint64_t gfn);
/* The gfn's attributes (KVM_MEMORY_ATTRIBUTE_PRIVATE or 0). */
uint64_t kvm_get_memory_attributes(struct kvm *kvm, uint64_t gfn);
/* Every gfn of [start, end) has `attrs` in the bits of `mask`. */
bool kvm_range_has_memory_attributes(struct kvm *kvm, uint64_t start, uint64_t end,
				     uint64_t mask, uint64_t attrs);
void kvm_mem_attrs_free(struct kvm *kvm);
/* private-v6: bind a real memfd as the slot's private_fd (0 or -errno). */
int kvm_private_fd_bind(struct kvm *kvm, struct kvm_memory_slot *slot, int fd,
			uint64_t offset);
/* private-v6: fallocate on a real fd ran; zap what a bound private_fd changed. */
void kvm_private_fd_fallocate(int fd, int mode, uint64_t off, uint64_t len);

/* ---- uaccess.c: copies to and from the VMM's memory that fail with EFAULT ---- */
/* coalesced_mmio.c */
int kvm_coalesced_mmio_init(struct kvm *kvm);
void kvm_coalesced_mmio_free(struct kvm *kvm);
/* The ring page's memfd, mapped at KVM_COALESCED_MMIO_PAGE_OFFSET of every vCPU. */
int kvm_coalesced_mmio_memfd(struct kvm *kvm);
int kvm_vm_ioctl_register_coalesced_mmio(struct kvm *kvm, void *arg);
int kvm_vm_ioctl_unregister_coalesced_mmio(struct kvm *kvm, void *arg);
/* A guest write coalesced into the ring (true: no exit). */
bool kvm_coalesced_io_write(struct kvm *kvm, bool pio, uint64_t addr, uint32_t len,
			    const void *data);

int copy_from_user(void *dst, const void *usrc, size_t n);
int copy_to_user(void *udst, const void *src, size_t n);

/* ---- registry of live VMs (for MMU notifiers) ---- */
void kvm_register_vm(struct kvm *kvm);
void kvm_unregister_vm(struct kvm *kvm);
int kvm_for_each_vm(int (*fn)(struct kvm *kvm, void *opaque), void *opaque);
/* explore's fork point: each vCPU's next entry's loads, done now */
void kvm_preload_vcpus(void);
void kvm_explore_learned(const void *rec, size_t len);

/*
 * The VM the current actor works for (a vCPU's, or the one whose ioctl
 * the VMM thread is in): every trace event carries it as "vm".
 * kvm_vm_ctx_enter returns what kvm_vm_ctx_leave restores.
 */
int kvm_vm_ctx_enter(struct kvm *kvm);
void kvm_vm_ctx_leave(int old);
int64_t kvm_vm_ctx_tag(void);
/* host_caps.c: the running kernel's answers, for the host-caps rule */
int kvm_host_check_extension(bool vm, long ext);
uint64_t kvm_host_probe_rules(uint64_t rules);
bool kvm_host_cr4_reserved_bits(uint64_t *rsvd);
void kvm_print_stats(struct kvm *kvm);	/* runtime.c, with KVMSIM_STATS=1 */

/* ---- gfn_set ---- */
bool gfn_set_test(const struct gfn_set *s, uint64_t gfn);
bool gfn_set_add(struct gfn_set *s, uint64_t gfn);	/* true if new */
bool gfn_set_del(struct gfn_set *s, uint64_t gfn);
void gfn_set_clear(struct gfn_set *s);
void gfn_set_free(struct gfn_set *s);

#endif
