/* SPDX-License-Identifier: MIT */
/*
 * Fault-injection sites in the KVM model (`--fail SITE[:N|:P]`).  Each
 * is a place where the kernel can fail for reasons outside the guest's
 * control; armed, the site's outcome is a choice recorded in the
 * schedule (sim/explore.h), so replay reproduces it.
 *
 *   fast_gup        get_user_page_fast_only fails: the slow path runs
 *   slow_gup        get_user_pages fails: the pfn is an error pfn (-EFAULT)
 *   guest_read      kvm_read_guest fails (-EFAULT)
 *   guest_write     kvm_write_guest fails (-EFAULT)
 *   memslot_alloc   allocating a memslot fails (-ENOMEM)
 *   signal_pending  a signal is pending when KVM_RUN enters the guest
 *                   (-EINTR, exit reason KVM_EXIT_INTR)
 */
#ifndef KVMSIM_FAULT_INJECT_H
#define KVMSIM_FAULT_INJECT_H

#include "sim/explore.h"

#define FAIL_FAST_GUP		"fast_gup"
#define FAIL_SLOW_GUP		"slow_gup"
#define FAIL_GUEST_READ		"guest_read"
#define FAIL_GUEST_WRITE	"guest_write"
#define FAIL_MEMSLOT_ALLOC	"memslot_alloc"
#define FAIL_SIGNAL_PENDING	"signal_pending"

#define KVMSIM_FAIL_SITES						\
	FAIL_FAST_GUP, FAIL_SLOW_GUP, FAIL_GUEST_READ, FAIL_GUEST_WRITE,	\
	FAIL_MEMSLOT_ALLOC, FAIL_SIGNAL_PENDING
#define KVMSIM_FAIL_SITES_TEXT						\
	"fast_gup slow_gup guest_read guest_write memslot_alloc signal_pending"

#endif
