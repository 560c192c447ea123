/* SPDX-License-Identifier: MIT */
/*
 * userfaultfd as kvmsim models it, mirroring fs/userfaultfd.c and
 * mm/userfaultfd.c: the file (a simulated fd, posix/simfd.h), its
 * registrations (what the kernel keeps in vma->vm_userfaultfd_ctx and the
 * VM_UFFD_* flags), the two wait queues of a context (fault_pending_wqh:
 * messages not read yet; fault_wqh: read, waiting for a wake), and the
 * hook the fault path calls, handle_userfault().
 *
 * Host pages are the VMM's own: a registered page is "missing" iff the
 * host kernel has no PTE for it (/proc/self/pagemap), so UFFDIO_COPY and
 * friends write or touch the real page, and MADV_DONTNEED makes it
 * missing again exactly as on Linux.  The host kernel holds the same
 * registrations on a userfaultfd of its own (userfaultfd_host.h), so a
 * VMM thread touching a missing page gets a SIGBUS that becomes its
 * userfault (handle_userfault_user), and the fills are the real ioctls.
 */
#ifndef KVMSIM_USERFAULTFD_H
#define KVMSIM_USERFAULTFD_H

#include <stdbool.h>
#include <stdint.h>

struct userfaultfd_ctx;

/* vm_flags bits of a registered range, as VM_UFFD_* */
#define VM_UFFD_MISSING		(1ul << 0)
#define VM_UFFD_WP		(1ul << 1)
#define VM_UFFD_MINOR		(1ul << 2)

/* Who is faulting, for traces and the lost-wakeup oracle (no host addresses). */
struct uffd_fault_who {
	int vcpu;		/* vcpu index, or -1 */
	uint64_t gpa;
	const char *thread;	/* not a vCPU: the simulated thread faulting, */
	uint64_t hva;		/* at this address (traces show its gpa or offset) */
	bool user;		/* a user-mode access (not refused by USER_MODE_ONLY) */
};

/* userfaultfd(2) and ioctl(/dev/userfaultfd, USERFAULTFD_IOC_NEW): fd or -errno. */
int userfaultfd_new(int flags);

/*
 * The fault path's question (handle_mm_fault reaching do_anonymous_page /
 * shmem_fault with a uffd-armed vma): the VM_UFFD_* reason a fault on the
 * page at hva must be delivered for, or 0 when the fault needs no
 * userfault (not registered, page present, or MINOR-only with no page in
 * the page cache).  *ctx receives the owning context.
 */
unsigned long userfaultfd_must_fault(uint64_t hva, struct userfaultfd_ctx **ctx);

/* Whether hva lies in a registered range at all (mapping level choice). */
bool userfaultfd_armed(uint64_t hva);

/*
 * handle_userfault: queue a UFFD_EVENT_PAGEFAULT message for the page at
 * hva and block the current actor until a UFFDIO_COPY / ZEROPAGE /
 * CONTINUE / WAKE covering it (or the release of the file) wakes it.
 * Returns 0 when woken (the caller retries the fault, as GUP does with
 * FAULT_FLAG_TRIED), -EFAULT for VM_FAULT_SIGBUS (UFFD_USER_MODE_ONLY:
 * a fault from the kernel, here from KVM, is not delivered).
 */
int handle_userfault(struct userfaultfd_ctx *ctx, uint64_t hva, unsigned long reason,
		     bool write, const struct uffd_fault_who *who);

/*
 * A VMM thread's own load or store of hva, which the host refused
 * (userfaultfd_host.c's SIGBUS): the userfault of a user-mode access.
 * True when it slept and the access is to be run again; false when the
 * page needs no userfault (the SIGBUS is someone else's).
 */
bool handle_userfault_user(uint64_t hva, bool write);

/*
 * The kernel touching user memory (copy_{from,to}_user, a system call's
 * buffer): sleep in handle_userfault for each registered page of
 * [uaddr, uaddr + len) that would fault.  0, 1 when no range is registered
 * at all (nothing can fault: callers may skip the rest of their buffers),
 * or -EFAULT when a userfault was refused (UFFD_USER_MODE_ONLY).
 */
int userfaultfd_fault_in(const void *uaddr, uint64_t len, bool write);

/* A fork's child: register every range on the new host userfaultfd. */
void userfaultfd_host_reregister(void);

/* munmap / mremap: the vmas are gone, and their registrations with them. */
void userfaultfd_unmap(uint64_t start, uint64_t len);

/* Provided by kvm-model: the gpa an hva backs in some memslot, for traces. */
bool kvm_hva_to_gpa(uint64_t hva, uint64_t *gpa);

#endif
