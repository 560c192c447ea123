/* SPDX-License-Identifier: MIT */
/*
 * The host kernel's userfaultfd behind the model (userfaultfd.c).
 *
 * Every range the model registers is also registered on one real
 * userfaultfd, opened with UFFD_FEATURE_SIGBUS (and UFFD_USER_MODE_ONLY
 * where the host asks for it), so the host kernel itself refuses a missing
 * page to everyone but the model:
 *   - a load or store by a VMM thread gets SIGBUS (BUS_ADRERR); the
 *     handler turns it into handle_userfault for the simulated thread,
 *     which sleeps in a wait the scheduler sees until UFFDIO_COPY /
 *     ZEROPAGE / CONTINUE / WAKE or an unregister wakes it, then the
 *     instruction runs again, as after a userfault on Linux;
 *   - a system call on such a page gets EFAULT (the interposed read/write
 *     family fault the page in through the model first);
 *   - the model fills pages with the real UFFDIO_COPY / ZEROPAGE /
 *     CONTINUE (atomic, exactly the kernel's page-table change).
 * SIGBUS stays the program's: sigaction/signal for it are answered here
 * (kvm-model/interpose.c), and every other SIGBUS goes to its handler.
 * Without a usable host userfaultfd (old kernel, seccomp, EPERM) the model
 * works alone, as before: a VMM thread's touch then reads zeros (warned).
 */
#ifndef KVMSIM_USERFAULTFD_HOST_H
#define KVMSIM_USERFAULTFD_HOST_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

/* Register [start, start + len) with VM_UFFD_* flags; false: model alone. */
bool uffd_host_register(uint64_t start, uint64_t len, unsigned long vm_flags);
void uffd_host_unregister(uint64_t start, uint64_t len);

/*
 * The real fills, for a range uffd_host_register accepted (DONTWAKE: the
 * model wakes).  0 or -errno; -ENOSYS when the host cannot do it (the
 * caller falls back to writing or touching the page itself).
 */
int uffd_host_copy(uint64_t dst, const void *src, uint64_t len);
int uffd_host_zeropage(uint64_t dst, uint64_t len);
int uffd_host_continue(uint64_t dst, uint64_t len);

/* sigaction(SIGBUS, ...) from the program while kvmsim owns SIGBUS. */
bool uffd_host_owns_sigbus(void);
int uffd_host_sigbus_action(const struct sigaction *act, struct sigaction *old);

#endif
