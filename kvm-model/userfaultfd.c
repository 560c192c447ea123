// SPDX-License-Identifier: MIT
/*
 * userfaultfd, mirroring fs/userfaultfd.c (the file, its ioctls and
 * handle_userfault) and mm/userfaultfd.c (mfill_atomic_*).  See
 * userfaultfd.h for what is modelled and how host pages are used.
 *
 * Function names follow the kernel's; trace events carry gpas (through
 * the memslots) or offsets, never host addresses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm-model/kvm_host.h"
#include "kvm-model/userfaultfd.h"
#include "kvm-model/userfaultfd_host.h"
#include "kvm-model/cost.h"
#include "sim/cost.h"
#include "mmu-model/hostmem.h"
#include "posix/posix.h"
#include "posix/simfd.h"
#include "sim/oracle.h"

#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY	1
#endif

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

#define UFFD_SHARED_FCNTL_FLAGS	(O_CLOEXEC | O_NONBLOCK)
/* ctx->features bit the kernel sets once UFFDIO_API succeeded */
#define UFFD_FEATURE_INITIALIZED	(1ull << 63)

/* What UFFDIO_API reports: only what this model implements. */
#define KVMSIM_UFFD_API_FEATURES	(UFFD_FEATURE_MISSING_SHMEM |		\
					 UFFD_FEATURE_MINOR_SHMEM |		\
					 UFFD_FEATURE_EXACT_ADDRESS |		\
					 UFFD_FEATURE_POISON)
#define KVMSIM_UFFD_API_IOCTLS		((1ull << _UFFDIO_REGISTER) |		\
					 (1ull << _UFFDIO_UNREGISTER) |		\
					 (1ull << _UFFDIO_API))
#define KVMSIM_UFFD_RANGE_IOCTLS	((1ull << _UFFDIO_WAKE) |		\
					 (1ull << _UFFDIO_COPY) |		\
					 (1ull << _UFFDIO_ZEROPAGE) |		\
					 (1ull << _UFFDIO_CONTINUE) |		\
					 (1ull << _UFFDIO_POISON))
#define KVMSIM_UFFD_REGISTER_MODES	(UFFDIO_REGISTER_MODE_MISSING |		\
					 UFFDIO_REGISTER_MODE_MINOR)

/* x86-64 TASK_SIZE_MAX */
#define TASK_SIZE		((1ull << 47) - PAGE_SIZE)

struct list_node {
	struct list_node *prev, *next;
};

static void list_init(struct list_node *h)
{
	h->prev = h->next = h;
}

static bool list_empty(const struct list_node *h)
{
	return h->next == h;
}

static void list_add_tail(struct list_node *n, struct list_node *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static void list_del_init(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

struct userfaultfd_ctx {
	int refs;
	int id;
	unsigned int flags;		/* UFFD_USER_MODE_ONLY as created */
	uint64_t features;		/* 0 until UFFDIO_API */
	bool released;
	struct list_node fault_pending_wqh;	/* not read yet, FIFO */
	struct list_node fault_wqh;		/* read, waiting for a wake */
	struct sim_waitq fd_wqh;		/* blocking read()ers */
	struct sim_lock wqh_lock;		/* cost model: fault_pending_wqh.lock */
	struct simfd *file;
	struct userfaultfd_ctx *next;		/* all live contexts */
};

/* One blocked fault: struct userfaultfd_wait_queue. */
struct userfaultfd_wait_queue {
	struct uffd_msg msg;
	struct list_node entry;		/* on fault_pending_wqh or fault_wqh */
	struct userfaultfd_ctx *ctx;
	bool waken;
	struct sim_waitq wq;		/* the faulting actor sleeps here */
	struct uffd_fault_who who;
};

/*
 * A registered range: a vma (or the piece of one) whose
 * vm_userfaultfd_ctx is ctx, with VM_UFFD_* flags.  Kept sorted by start
 * and disjoint, like the vmas they stand for.
 */
struct uffd_range {
	uint64_t start, end;
	unsigned long flags;
	struct userfaultfd_ctx *ctx;
	bool host;		/* the host userfaultfd holds it too */
	uint64_t page_size;	/* its vma's: 4K, or the hugetlb page size */
};

static struct uffd_range *ranges;
static int nr_ranges, cap_ranges;
static struct userfaultfd_ctx *all_ctxs;
static int next_ctx_id;

/* ---- traces ---- */

/* gpa for traces: through the memslots, else the offset in its range */
static void ev_where(struct sim_ev *ev, uint64_t hva)
{
	uint64_t gpa;

	if (kvm_hva_to_gpa(hva, &gpa)) {
		sim_ev_hex(ev, "gpa", gpa);
		return;
	}
	for (int i = 0; i < nr_ranges; i++) {
		if (hva >= ranges[i].start && hva < ranges[i].end) {
			sim_ev_hex(ev, "range_off", hva - ranges[i].start);
			return;
		}
	}
	sim_ev_str(ev, "where", "unregistered");
}

/* the faulting side of an event: a vCPU and its gpa, or a thread and where */
static void ev_who(struct sim_ev *ev, const struct uffd_fault_who *who)
{
	if (who->thread) {
		sim_ev_str(ev, "thread", who->thread);
		ev_where(ev, who->hva);
		return;
	}
	sim_ev_int(ev, "vcpu", who->vcpu);
	sim_ev_hex(ev, "gpa", who->gpa);
}

/* ---- registrations (the vmas' uffd state) ---- */

static struct uffd_range *find_range(uint64_t hva)
{
	int lo = 0, hi = nr_ranges;

	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (ranges[mid].end <= hva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < nr_ranges && ranges[lo].start <= hva)
		return &ranges[lo];
	return NULL;
}

static int ranges_reserve(int more)
{
	if (nr_ranges + more > cap_ranges) {
		int cap = cap_ranges ? cap_ranges * 2 : 16;
		void *p;

		while (cap < nr_ranges + more)
			cap *= 2;
		p = realloc(ranges, cap * sizeof(*ranges));
		if (!p)
			return -ENOMEM;
		ranges = p;
		cap_ranges = cap;
	}
	return 0;
}

/* Drop [start, end) from every range, splitting those that straddle it. */
static int ranges_clear(uint64_t start, uint64_t end)
{
	int out = 0;
	struct uffd_range tail = { 0 };

	if (ranges_reserve(1))
		return -ENOMEM;
	for (int i = 0; i < nr_ranges; i++) {
		struct uffd_range r = ranges[i];

		if (r.end <= start || r.start >= end) {
			ranges[out++] = r;
			continue;
		}
		if (r.start < start) {
			ranges[out] = r;
			ranges[out++].end = start;
		}
		if (r.end > end) {
			tail = r;
			tail.start = end;
		}
	}
	nr_ranges = out;
	if (tail.ctx) {
		int pos = 0;

		while (pos < nr_ranges && ranges[pos].start < tail.start)
			pos++;
		memmove(&ranges[pos + 1], &ranges[pos],
			(nr_ranges - pos) * sizeof(*ranges));
		ranges[pos] = tail;
		nr_ranges++;
	}
	return 0;
}

/* Both sides of a boundary lie in the same host vma: they may merge. */
static bool same_host_vma(uint64_t a, uint64_t b)
{
	struct hostmem_vma va, vb;

	return hostmem_find_vma(a, &va) && hostmem_find_vma(b, &vb) &&
	       va.start == vb.start;
}

/* Insert a range (the caller cleared its span), merging like vma_merge. */
static int ranges_insert(uint64_t start, uint64_t end, unsigned long flags,
			 struct userfaultfd_ctx *ctx, bool host, uint64_t page_size)
{
	int pos = 0;

	if (ranges_reserve(1))
		return -ENOMEM;
	while (pos < nr_ranges && ranges[pos].start < start)
		pos++;
	if (pos > 0 && ranges[pos - 1].end == start && ranges[pos - 1].ctx == ctx &&
	    ranges[pos - 1].flags == flags && ranges[pos - 1].host == host &&
	    same_host_vma(start - 1, start)) {
		ranges[pos - 1].end = end;
		if (pos < nr_ranges && ranges[pos].start == end &&
		    ranges[pos].ctx == ctx && ranges[pos].flags == flags &&
		    ranges[pos].host == host && same_host_vma(end - 1, end)) {
			ranges[pos - 1].end = ranges[pos].end;
			memmove(&ranges[pos], &ranges[pos + 1],
				(nr_ranges - pos - 1) * sizeof(*ranges));
			nr_ranges--;
		}
		return 0;
	}
	if (pos < nr_ranges && ranges[pos].start == end && ranges[pos].ctx == ctx &&
	    ranges[pos].flags == flags && ranges[pos].host == host &&
	    same_host_vma(end - 1, end)) {
		ranges[pos].start = start;
		return 0;
	}
	memmove(&ranges[pos + 1], &ranges[pos], (nr_ranges - pos) * sizeof(*ranges));
	ranges[pos] = (struct uffd_range){ start, end, flags, ctx, host, page_size };
	nr_ranges++;
	return 0;
}

/* Any range of a context other than ctx inside [lo, hi)? */
static bool other_ctx_in(uint64_t lo, uint64_t hi, const struct userfaultfd_ctx *ctx)
{
	for (int i = 0; i < nr_ranges; i++)
		if (ranges[i].start < hi && ranges[i].end > lo && ranges[i].ctx != ctx)
			return true;
	return false;
}

/* The page size of hva's registered range (4K when unregistered). */
static uint64_t range_page_size(uint64_t hva)
{
	struct uffd_range *r = nr_ranges ? find_range(hva) : NULL;

	return r ? r->page_size : PAGE_SIZE;
}

bool userfaultfd_armed(uint64_t hva)
{
	return nr_ranges && find_range(hva);
}

void userfaultfd_unmap(uint64_t start, uint64_t len)
{
	if (nr_ranges)
		ranges_clear(start & PAGE_MASK, (start + len + PAGE_SIZE - 1) & PAGE_MASK);
}

/* ---- contexts ---- */

static void userfaultfd_ctx_get(struct userfaultfd_ctx *ctx)
{
	ctx->refs++;
}

static void userfaultfd_ctx_put(struct userfaultfd_ctx *ctx)
{
	struct userfaultfd_ctx **p;

	if (--ctx->refs)
		return;
	for (p = &all_ctxs; *p; p = &(*p)->next) {
		if (*p == ctx) {
			*p = ctx->next;
			break;
		}
	}
	free(ctx);
}

static bool userfaultfd_is_initialized(const struct userfaultfd_ctx *ctx)
{
	return ctx->features & UFFD_FEATURE_INITIALIZED;
}

static uint64_t msg_address(const struct userfaultfd_wait_queue *uwq)
{
	return uwq->msg.arg.pagefault.address;
}

/*
 * __wake_userfault: wake every fault of ctx whose address lies in
 * [start, start + len) (len 0: all), on both queues, as
 * userfaultfd_wake_function does.  Returns how many were woken.
 */
static int __wake_userfault(struct userfaultfd_ctx *ctx, uint64_t start, uint64_t len)
{
	struct list_node *queues[2] = { &ctx->fault_pending_wqh, &ctx->fault_wqh };
	int woken = 0;

	for (int q = 0; q < 2; q++) {
		struct list_node *n = queues[q]->next;

		while (n != queues[q]) {
			struct userfaultfd_wait_queue *uwq =
				(void *)((char *)n - offsetof(struct userfaultfd_wait_queue, entry));
			uint64_t addr = msg_address(uwq);
			struct sim_ev *ev;

			n = n->next;
			if (len && (start > addr || start + len <= addr))
				continue;
			uwq->waken = true;
			list_del_init(&uwq->entry);
			sim_wake_one(&uwq->wq);
			woken++;
			ev = sim_ev_begin("userfaultfd_wake");
			ev_who(ev, &uwq->who);
			sim_ev_bool(ev, "was_read", q == 1);
			sim_ev_end(ev);
		}
	}
	return woken;
}

static void wake_userfault(struct userfaultfd_ctx *ctx, uint64_t start, uint64_t len)
{
	/* the lockless waitqueue_active() check first, as the kernel does */
	if (!list_empty(&ctx->fault_pending_wqh) || !list_empty(&ctx->fault_wqh)) {
		sim_charge_locked(&ctx->wqh_lock, COST_UFFD_WQ_LOCK);
		__wake_userfault(ctx, start, len);
	}
}

/* ---- handle_userfault: the fault side ---- */

unsigned long userfaultfd_must_fault(uint64_t hva, struct userfaultfd_ctx **ctx)
{
	struct uffd_range *r;
	struct hostmem_vma vma;

	if (!nr_ranges || !(r = find_range(hva)))
		return 0;
	if (hostmem_pte_present(hva))
		return 0;
	*ctx = r->ctx;
	/* shmem: a page in the page cache is a minor fault, else missing */
	if (hostmem_find_vma(hva, &vma) && vma.kind == HOSTMEM_SHMEM &&
	    hostmem_page_cached(hva))
		return r->flags & VM_UFFD_MINOR;
	return r->flags & VM_UFFD_MISSING;
}

int handle_userfault(struct userfaultfd_ctx *ctx, uint64_t hva, unsigned long reason,
		     bool write, const struct uffd_fault_who *who)
{
	struct userfaultfd_wait_queue uwq;
	struct sim_ev *ev;

	if (ctx->released)
		return 0;	/* VM_FAULT_NOPAGE: the retry finds no registration */
	if ((ctx->flags & UFFD_USER_MODE_ONLY) && !who->user)
		return -EFAULT;	/* a kernel (GUP) fault: VM_FAULT_SIGBUS */

	memset(&uwq, 0, sizeof(uwq));
	uwq.msg.event = UFFD_EVENT_PAGEFAULT;
	/* hugetlb_handle_userfault: the fault's address is the huge page's */
	uwq.msg.arg.pagefault.address = (ctx->features & UFFD_FEATURE_EXACT_ADDRESS) ?
					hva : hva & ~(range_page_size(hva) - 1);
	if (write)
		uwq.msg.arg.pagefault.flags |= UFFD_PAGEFAULT_FLAG_WRITE;
	if (reason & VM_UFFD_MINOR)
		uwq.msg.arg.pagefault.flags |= UFFD_PAGEFAULT_FLAG_MINOR;
	uwq.ctx = ctx;
	uwq.who = *who;
	sim_waitq_init(&uwq.wq, "handle_userfault");
	/* queueing the message and waking readers: under the wait-queue lock */
	sim_charge_locked(&ctx->wqh_lock, COST_UFFD_WQ_LOCK);
	userfaultfd_ctx_get(ctx);
	list_add_tail(&uwq.entry, &ctx->fault_pending_wqh);

	ev = sim_ev_begin("handle_userfault");
	ev_who(ev, who);
	sim_ev_str(ev, "reason", reason & VM_UFFD_MINOR ? "minor" : "missing");
	sim_ev_bool(ev, "write", write);
	sim_ev_end(ev);

	/* wake_up_poll(&ctx->fd_wqh, EPOLLIN) */
	sim_wake_all(&ctx->fd_wqh);
	if (ctx->file)
		simfd_notify(ctx->file, EPOLLIN);

	while (!uwq.waken)
		sim_wait(&uwq.wq);

	sim_charge(SIM_COST_WAKEUP);
	ev = sim_ev_begin("handle_userfault_woken");
	ev_who(ev, who);
	sim_ev_end(ev);
	userfaultfd_ctx_put(ctx);
	return 0;
}

/* A thread's userfault at hva, described for traces. */
static struct uffd_fault_who thread_who(uint64_t hva, bool user)
{
	struct uffd_fault_who who = { .vcpu = -1, .hva = hva, .user = user };
	struct sim_actor *self = sim_self();

	who.thread = self ? sim_actor_name(self) : "main";
	kvm_hva_to_gpa(hva, &who.gpa);
	return who;
}

bool handle_userfault_user(uint64_t hva, bool write)
{
	struct userfaultfd_ctx *ctx = NULL;
	unsigned long reason = userfaultfd_must_fault(hva, &ctx);
	struct uffd_fault_who who;

	if (!reason && userfaultfd_armed(hva)) {
		/* the snapshot says mapped, the host says missing: ask again */
		hostmem_forget_ptes(hva & PAGE_MASK, PAGE_SIZE);
		reason = userfaultfd_must_fault(hva, &ctx);
	}
	if (!reason)
		return false;
	who = thread_who(hva, true);
	return handle_userfault(ctx, hva, reason, write, &who) == 0;
}

int userfaultfd_fault_in(const void *uaddr, uint64_t len, bool write)
{
	uint64_t a = (uintptr_t)uaddr & PAGE_MASK, end = (uintptr_t)uaddr + len;

	if (!nr_ranges)
		return 1;
	if (!len)
		return 0;
	for (; a < end; a += PAGE_SIZE) {
		struct userfaultfd_ctx *ctx = NULL;
		unsigned long reason;

		while ((reason = userfaultfd_must_fault(a, &ctx))) {
			struct uffd_fault_who who = thread_who(a, false);

			if (handle_userfault(ctx, a, reason, write, &who))
				return -EFAULT;
		}
	}
	return 0;
}

void userfaultfd_host_reregister(void)
{
	for (int i = 0; i < nr_ranges; i++)
		if (ranges[i].host)
			ranges[i].host = uffd_host_register(ranges[i].start,
							    ranges[i].end - ranges[i].start,
							    ranges[i].flags);
}

/*
 * Lost wakeup: every actor is blocked and a fault whose message was
 * already read still waits.  Only a UFFDIO_* call could wake it, and no
 * thread will ever run again to make one.
 */
static void userfaultfd_quiesce(void *opaque)
{
	for (struct userfaultfd_ctx *ctx = all_ctxs; ctx; ctx = ctx->next) {
		struct list_node *n = ctx->fault_wqh.next;

		if (n == &ctx->fault_wqh)
			continue;
		struct userfaultfd_wait_queue *uwq =
			(void *)((char *)n - offsetof(struct userfaultfd_wait_queue, entry));

		if (uwq->who.thread) {
			uint64_t gpa;
			struct uffd_range *r = find_range(uwq->who.hva);

			if (kvm_hva_to_gpa(uwq->who.hva, &gpa))
				sim_oracle_fail("lost-wakeup",
						"thread %s blocked in handle_userfault on gpa 0x%llx, nothing can wake it",
						uwq->who.thread, (unsigned long long)gpa);
			sim_oracle_fail("lost-wakeup",
					"thread %s blocked in handle_userfault at offset 0x%llx of its range, nothing can wake it",
					uwq->who.thread,
					(unsigned long long)(r ? uwq->who.hva - r->start : 0));
		}
		sim_oracle_fail("lost-wakeup",
				"vCPU %d blocked in handle_userfault on gpa 0x%llx, nothing can wake it",
				uwq->who.vcpu, (unsigned long long)uwq->who.gpa);
	}
}

/* ---- read ---- */

static int userfaultfd_ctx_read(struct userfaultfd_ctx *ctx, bool no_wait,
				struct uffd_msg *msg)
{
	for (;;) {
		struct list_node *n;

		sim_charge_locked(&ctx->wqh_lock, COST_UFFD_WQ_LOCK);
		n = ctx->fault_pending_wqh.next;
		if (n != &ctx->fault_pending_wqh) {
			struct userfaultfd_wait_queue *uwq =
				(void *)((char *)n - offsetof(struct userfaultfd_wait_queue, entry));
			struct sim_ev *ev;

			/* refile: from fault_pending_wqh to fault_wqh */
			list_del_init(&uwq->entry);
			list_add_tail(&uwq->entry, &ctx->fault_wqh);
			*msg = uwq->msg;
			ev = sim_ev_begin("userfaultfd_ctx_read");
			ev_who(ev, &uwq->who);
			sim_ev_hex(ev, "flags", msg->arg.pagefault.flags);
			sim_ev_end(ev);
			return 0;
		}
		if (no_wait)
			return -EAGAIN;
		sim_wait(&ctx->fd_wqh);
	}
}

static ssize_t userfaultfd_read(struct simfd *f, void *buf, size_t count)
{
	struct userfaultfd_ctx *ctx = simfd_priv(f);
	bool no_wait = simfd_flags(f) & O_NONBLOCK;
	struct uffd_msg msg;
	ssize_t ret = 0;

	if (!userfaultfd_is_initialized(ctx))
		return -EINVAL;
	for (;;) {
		int r;

		if (count < sizeof(msg))
			return ret ? ret : -EINVAL;
		r = userfaultfd_ctx_read(ctx, no_wait, &msg);
		if (r < 0)
			return ret ? ret : r;
		if (copy_to_user(buf, &msg, sizeof(msg)))
			return ret ? ret : -EFAULT;
		ret += sizeof(msg);
		buf = (char *)buf + sizeof(msg);
		count -= sizeof(msg);
		/* only block for the very first message */
		no_wait = true;
	}
}

static uint32_t userfaultfd_poll(struct simfd *f)
{
	struct userfaultfd_ctx *ctx = simfd_priv(f);

	if (!userfaultfd_is_initialized(ctx))
		return EPOLLERR;
	/* poll() never guarantees that read won't block: not for blocking fds */
	if (!(simfd_flags(f) & O_NONBLOCK))
		return EPOLLERR;
	return list_empty(&ctx->fault_pending_wqh) ? 0 : EPOLLIN;
}

/* ---- ioctls ---- */

static int validate_unaligned_range(uint64_t start, uint64_t len)
{
	if (len & ~PAGE_MASK)
		return -EINVAL;
	if (!len)
		return -EINVAL;
	if (start >= TASK_SIZE)
		return -EINVAL;
	if (len > TASK_SIZE - start)
		return -EINVAL;
	if (start + len <= start)
		return -EINVAL;
	return 0;
}

static int validate_range(uint64_t start, uint64_t len)
{
	if (start & ~PAGE_MASK)
		return -EINVAL;
	return validate_unaligned_range(start, len);
}

static int userfaultfd_api(struct userfaultfd_ctx *ctx, unsigned long arg)
{
	struct uffdio_api api;
	uint64_t features;
	int ret;

	if (copy_from_user(&api, (void *)arg, sizeof(api)))
		return -EFAULT;
	features = api.features;
	ret = -EINVAL;
	if (api.api != UFFD_API)
		goto err_out;
	api.features = KVMSIM_UFFD_API_FEATURES;
	api.ioctls = KVMSIM_UFFD_API_IOCTLS;
	if (copy_to_user((void *)arg, &api, sizeof(api)))
		return -EFAULT;
	/* only enable the requested features, once */
	ret = -EINVAL;
	if (features & ~api.features)
		goto err_out;
	if (ctx->features)
		goto err_out;
	ctx->features = features | UFFD_FEATURE_INITIALIZED;
	return 0;
err_out:
	memset(&api, 0, sizeof(api));
	if (copy_to_user((void *)arg, &api, sizeof(api)))
		ret = -EFAULT;
	return ret;
}

/* vma_can_userfault for the kinds of host memory we can tell apart */
static bool vma_can_userfault(const struct hostmem_vma *vma, unsigned long vm_flags)
{
	/* MINOR on hugetlbfs (Linux has it) is not modelled */
	if ((vm_flags & VM_UFFD_MINOR) && vma->kind != HOSTMEM_SHMEM)
		return false;
	return vma->kind == HOSTMEM_ANON || vma->kind == HOSTMEM_SHMEM ||
	       vma->kind == HOSTMEM_HUGETLB;
}

/*
 * A hugetlb vma is registered and unregistered in whole huge pages: the
 * range's start (in its first vma) and end (in its last) must be aligned
 * to the vma's page size, or EINVAL.
 */
static bool hugetlb_misaligned(const struct hostmem_vma *vma, uint64_t lo, uint64_t hi)
{
	return vma->kind == HOSTMEM_HUGETLB && ((lo | hi) & (vma->page_size - 1));
}

/*
 * Walk the host vmas intersecting [start, end): fn(vma, lo, hi) for each
 * piece (holes are skipped).  Returns -EINVAL when none intersects
 * (vma_find found nothing), else the first non-zero fn result, else 0.
 */
static int for_each_vma_range(uint64_t start, uint64_t end,
			      int (*fn)(const struct hostmem_vma *vma, uint64_t lo,
					uint64_t hi, void *opaque), void *opaque)
{
	uint64_t a = start;
	bool found = false;

	while (a < end) {
		struct hostmem_vma vma;
		int r;

		if (!hostmem_next_vma(a, &vma) || vma.start >= end)
			break;
		if (vma.start > a)
			a = vma.start;		/* a hole: skipped */
		found = true;
		r = fn(&vma, a, vma.end < end ? vma.end : end, opaque);
		if (r)
			return r;
		a = vma.end;
	}
	return found ? 0 : -EINVAL;
}

struct register_args {
	struct userfaultfd_ctx *ctx;
	unsigned long vm_flags;
	bool basic_ioctls;	/* a hugetlb vma: no UFFDIO_ZEROPAGE */
};

static int register_check(const struct hostmem_vma *vma, uint64_t lo, uint64_t hi,
			  void *opaque)
{
	struct register_args *a = opaque;

	if (!vma_can_userfault(vma, a->vm_flags) || hugetlb_misaligned(vma, lo, hi))
		return -EINVAL;
	a->basic_ioctls |= vma->kind == HOSTMEM_HUGETLB;
	return other_ctx_in(lo, hi, a->ctx) ? -EBUSY : 0;
}

static int register_apply(const struct hostmem_vma *vma, uint64_t lo, uint64_t hi,
			  void *opaque)
{
	struct register_args *a = opaque;
	int r = ranges_clear(lo, hi);
	bool host;

	/* from now on only the model maps pages here: read them afresh once */
	hostmem_forget_ptes(lo, hi - lo);
	if (r)
		return r;
	host = uffd_host_register(lo, hi - lo, a->vm_flags);
	r = ranges_insert(lo, hi, a->vm_flags, a->ctx, host, vma->page_size);
	/*
	 * The host kernel does not know about the registration: keep it
	 * from backing a missing page with a transparent huge page when we
	 * fill one of its 4K pages (a uffd-armed vma gets none on Linux).
	 */
	if (!r && vma->kind == HOSTMEM_ANON)
		madvise((void *)(uintptr_t)lo, hi - lo, MADV_NOHUGEPAGE);
	return r;
}

static int userfaultfd_register(struct userfaultfd_ctx *ctx, unsigned long arg)
{
	struct uffdio_register *user = (void *)arg;
	struct uffdio_register reg;
	struct register_args a = { ctx, 0, false };
	uint64_t ioctls_out;
	struct sim_ev *ev;
	int ret;

	if (copy_from_user(&reg, user, sizeof(reg) - sizeof(uint64_t)))
		return -EFAULT;
	if (!reg.mode || (reg.mode & ~(uint64_t)(UFFDIO_REGISTER_MODE_MISSING |
						 UFFDIO_REGISTER_MODE_WP |
						 UFFDIO_REGISTER_MODE_MINOR)))
		return -EINVAL;
	/* write-protect tracking is not modelled */
	if (reg.mode & UFFDIO_REGISTER_MODE_WP)
		return -EINVAL;
	if (reg.mode & UFFDIO_REGISTER_MODE_MISSING)
		a.vm_flags |= VM_UFFD_MISSING;
	if (reg.mode & UFFDIO_REGISTER_MODE_MINOR)
		a.vm_flags |= VM_UFFD_MINOR;
	ret = validate_range(reg.range.start, reg.range.len);
	if (ret)
		return ret;
	ret = for_each_vma_range(reg.range.start, reg.range.start + reg.range.len,
				 register_check, &a);
	if (ret)
		return ret;
	ret = for_each_vma_range(reg.range.start, reg.range.start + reg.range.len,
				 register_apply, &a);
	if (ret)
		return ret;
	ioctls_out = KVMSIM_UFFD_RANGE_IOCTLS;
	/* UFFD_API_RANGE_IOCTLS_BASIC: hugetlbfs has no zero huge page */
	if (a.basic_ioctls)
		ioctls_out &= ~(1ull << _UFFDIO_ZEROPAGE);
	if (!(reg.mode & UFFDIO_REGISTER_MODE_MINOR))
		ioctls_out &= ~(1ull << _UFFDIO_CONTINUE);
	ev = sim_ev_begin("userfaultfd_register");
	sim_ev_int(ev, "uffd", ctx->id);
	ev_where(ev, reg.range.start);
	sim_ev_hex(ev, "len", reg.range.len);
	sim_ev_hex(ev, "mode", reg.mode);
	sim_ev_end(ev);
	if (copy_to_user(&user->ioctls, &ioctls_out, sizeof(ioctls_out)))
		return -EFAULT;
	return 0;
}

static int unregister_check(const struct hostmem_vma *vma, uint64_t lo, uint64_t hi,
			    void *opaque)
{
	/* not through a different userfaultfd than the one that registered */
	if (other_ctx_in(lo, hi, opaque))
		return -EINVAL;
	return vma_can_userfault(vma, 0) && !hugetlb_misaligned(vma, lo, hi) ? 0 : -EINVAL;
}

/* The struct uffdio_range UNREGISTER and WAKE take, copied in and checked. */
static int get_uffdio_range(struct uffdio_range *range, unsigned long arg)
{
	if (copy_from_user(range, (void *)arg, sizeof(*range)))
		return -EFAULT;
	return validate_range(range->start, range->len);
}

static int userfaultfd_unregister(struct userfaultfd_ctx *ctx, unsigned long arg)
{
	struct uffdio_range range;
	uint64_t start, end;
	int ret = get_uffdio_range(&range, arg);

	if (ret)
		return ret;
	start = range.start;
	end = start + range.len;
	ret = for_each_vma_range(start, end, unregister_check, ctx);
	if (ret)
		return ret;
	/*
	 * Wake faults pending on MISSING ranges so they do not hang (they
	 * retry and find no registration), then clear.
	 */
	for (int i = 0; i < nr_ranges; i++) {
		struct uffd_range *r = &ranges[i];
		uint64_t a = r->start > start ? r->start : start;
		uint64_t b = r->end < end ? r->end : end;

		if (a < b && r->host)
			uffd_host_unregister(a, b - a);
		if (a < b && (r->flags & VM_UFFD_MISSING))
			wake_userfault(r->ctx, a, b - a);
	}
	ret = ranges_clear(start, end);
	if (!ret) {
		struct sim_ev *ev = sim_ev_begin("userfaultfd_unregister");

		sim_ev_int(ev, "uffd", ctx->id);
		ev_where(ev, start);
		sim_ev_hex(ev, "len", range.len);
		sim_ev_end(ev);
	}
	return ret;
}

static int userfaultfd_wake(struct userfaultfd_ctx *ctx, unsigned long arg)
{
	struct uffdio_range range;
	int ret = get_uffdio_range(&range, arg);

	if (ret)
		return ret;
	wake_userfault(ctx, range.start, range.len);
	return 0;
}

enum mfill_mode {
	MFILL_ATOMIC_COPY, MFILL_ATOMIC_ZEROPAGE, MFILL_ATOMIC_CONTINUE, MFILL_ATOMIC_POISON
};

static const char *const mfill_names[] = {
	[MFILL_ATOMIC_COPY] = "mfill_atomic_copy",
	[MFILL_ATOMIC_ZEROPAGE] = "mfill_atomic_zeropage",
	[MFILL_ATOMIC_CONTINUE] = "mfill_atomic_continue",
	[MFILL_ATOMIC_POISON] = "mfill_atomic_poison",
};

/* Write one host page even where the VMA is not writable (FOLL_FORCE). */
static int poke_page(uint64_t dst, const void *src, const struct hostmem_vma *vma)
{
	static int mem_fd = -1;

	if (vma->prot & HOSTMEM_PROT_WRITE) {
		memcpy((void *)(uintptr_t)dst, src, PAGE_SIZE);
		return 0;
	}
	if (mem_fd < 0)
		mem_fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (mem_fd < 0 || pwrite(mem_fd, src, PAGE_SIZE, (off_t)dst) != (ssize_t)PAGE_SIZE)
		return -EFAULT;
	return 0;
}

/*
 * Map one page without changing its bytes.  Private memory: a read fault
 * (the zero page for anonymous memory).  Shared memory: MADV_POPULATE_WRITE
 * (a write fault that writes nothing), because a read fault on a file
 * mapping also maps the page-cache neighbours (fault-around), which the
 * kernel turns off for uffd-armed vmas but cannot know about here.
 */
static int touch_page(uint64_t dst, const struct hostmem_vma *vma)
{
	static int mem_fd = -1;
	volatile char *p = (volatile char *)(uintptr_t)dst;
	char c;

	if (vma->shared && (vma->prot & HOSTMEM_PROT_WRITE) &&
	    !madvise((void *)(uintptr_t)dst, PAGE_SIZE, MADV_POPULATE_WRITE))
		return 0;
	if (vma->prot & HOSTMEM_PROT_READ) {
		c = *p;
		(void)c;
		return 0;
	}
	if (mem_fd < 0)
		mem_fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	if (mem_fd < 0 || pread(mem_fd, &c, 1, (off_t)dst) != 1)
		return -EFAULT;
	return 0;
}

/*
 * The host's own fill where it holds the registration (a missing page is
 * not ours to touch there), else the page written or touched directly.
 */
static int fill_copy(bool host, uint64_t dst, const void *page, const struct hostmem_vma *vma)
{
	int r = host ? uffd_host_copy(dst, page, PAGE_SIZE) : -ENOSYS;

	return r == -ENOSYS ? poke_page(dst, page, vma) : r;
}

static int fill_touch(bool host, enum mfill_mode mode, uint64_t dst,
		      const struct hostmem_vma *vma)
{
	int r = -ENOSYS;

	if (host)
		r = mode == MFILL_ATOMIC_CONTINUE ? uffd_host_continue(dst, PAGE_SIZE) :
						    uffd_host_zeropage(dst, PAGE_SIZE);
	return r == -ENOSYS ? touch_page(dst, vma) : r;
}

/* mfill_atomic_pte: one page.  0, or -EEXIST / -EFAULT. */
static int mfill_atomic_pte_one(enum mfill_mode mode, const struct hostmem_vma *vma,
				bool host, uint64_t dst, uint64_t src)
{
	uint8_t page[PAGE_SIZE];

	/*
	 * pte_none_mostly(): a poison marker counts as no PTE and is
	 * replaced; only UFFDIO_POISON refuses any PTE, markers included.
	 */
	if (mode != MFILL_ATOMIC_POISON && hostmem_is_poisoned(dst))
		hostmem_unpoison(dst, PAGE_SIZE);
	if (hostmem_pte_present(dst))
		return -EEXIST;
	switch (mode) {
	case MFILL_ATOMIC_CONTINUE:
		if (!hostmem_page_cached(dst))
			return -EFAULT;	/* no folio in the page cache */
		return fill_touch(host, mode, dst, vma);
	case MFILL_ATOMIC_COPY:
		/* shmem_mfill_atomic_pte: the page cache already has one */
		if (vma->shared && hostmem_page_cached(dst))
			return -EEXIST;
		if (copy_from_user(page, (void *)(uintptr_t)src, PAGE_SIZE))
			return -EFAULT;
		return fill_copy(host, dst, page, vma);
	case MFILL_ATOMIC_ZEROPAGE:
		if (vma->shared && hostmem_page_cached(dst))
			return -EEXIST;
		return fill_touch(host, mode, dst, vma);
	case MFILL_ATOMIC_POISON:
		/* a PTE marker: present to userfaultfd, -EHWPOISON to GUP */
		hostmem_poison(dst, PAGE_SIZE);
		return 0;
	}
	return -EINVAL;
}

/*
 * hugetlb_mfill_atomic_pte: one huge page (vma->page_size), COPY or
 * POISON (mfill_atomic_hugetlb refused the others).  A page already in a
 * shared file's page cache is the host's EEXIST.
 */
static int hugetlb_mfill_atomic_pte(enum mfill_mode mode, const struct hostmem_vma *vma,
				    bool host, uint64_t dst, uint64_t src)
{
	static uint8_t *buf;
	static uint64_t buf_size;
	uint64_t size = vma->page_size;
	int r = 0;

	if (mode != MFILL_ATOMIC_POISON && hostmem_is_poisoned(dst))
		hostmem_unpoison(dst, size);
	if (hostmem_pte_present(dst))
		return -EEXIST;
	if (mode == MFILL_ATOMIC_POISON) {
		hostmem_poison(dst, size);
		return 0;
	}
	if (buf_size < size) {
		uint8_t *p = realloc(buf, size);

		if (!p)
			return -ENOMEM;
		buf = p;
		buf_size = size;
	}
	if (copy_from_user(buf, (void *)(uintptr_t)src, size))
		return -EFAULT;
	r = host ? uffd_host_copy(dst, buf, size) : -ENOSYS;
	if (r != -ENOSYS)
		return r;
	r = 0;
	for (uint64_t off = 0; !r && off < size; off += PAGE_SIZE)
		r = poke_page(dst + off, buf + off, vma);
	return r;
}

static int mfill_atomic_pte(enum mfill_mode mode, const struct hostmem_vma *vma,
			    bool host, uint64_t dst, uint64_t src)
{
	bool huge = vma->kind == HOSTMEM_HUGETLB;
	int r = huge ? hugetlb_mfill_atomic_pte(mode, vma, host, dst, src) :
		       mfill_atomic_pte_one(mode, vma, host, dst, src);

	if (!r && mode != MFILL_ATOMIC_POISON)
		hostmem_note_mapped(dst, huge ? vma->page_size : PAGE_SIZE);
	return r;
}

/*
 * mfill_atomic_hugetlb's refusals: no zero huge page, CONTINUE needs the
 * MINOR registration hugetlbfs has on Linux but this model has not, and
 * dst and len in whole huge pages.
 */
static int mfill_hugetlb_check(enum mfill_mode mode, const struct hostmem_vma *vma,
			       uint64_t dst, uint64_t len)
{
	if (mode == MFILL_ATOMIC_ZEROPAGE || mode == MFILL_ATOMIC_CONTINUE)
		return -EINVAL;
	return ((dst | len) & (vma->page_size - 1)) ? -EINVAL : 0;
}

/* mfill_atomic: bytes filled if any, else -errno. */
static int64_t mfill_atomic(struct userfaultfd_ctx *ctx, enum mfill_mode mode,
			    uint64_t dst_start, uint64_t src_start, uint64_t len)
{
	struct uffd_range *r = find_range(dst_start);
	struct hostmem_vma vma;
	uint64_t copied = 0;
	int err = 0;
	struct sim_ev *ev;

	/* uffd_mfill_lock: one existing, registered vma holds the range */
	if (!hostmem_find_vma(dst_start, &vma) || dst_start + len > vma.end || !r ||
	    dst_start + len > r->end)
		err = -ENOENT;
	else if (vma.kind == HOSTMEM_HUGETLB)
		err = mfill_hugetlb_check(mode, &vma, dst_start, len);
	else if (vma.kind != HOSTMEM_ANON && vma.kind != HOSTMEM_SHMEM)
		err = -EINVAL;
	else if (mode == MFILL_ATOMIC_CONTINUE && vma.kind != HOSTMEM_SHMEM)
		err = -EINVAL;
	while (!err && copied < len) {
		sim_charge(COST_UFFD_COPY);
		err = mfill_atomic_pte(mode, &vma, r->host, dst_start + copied,
				       src_start + copied);
		if (!err)
			copied += vma.kind == HOSTMEM_HUGETLB ? vma.page_size : PAGE_SIZE;
	}
	ev = sim_ev_begin(mfill_names[mode]);
	sim_ev_int(ev, "uffd", ctx->id);
	ev_where(ev, dst_start);
	sim_ev_hex(ev, "len", len);
	sim_ev_hex(ev, "filled", copied);
	sim_ev_int(ev, "err", err);
	sim_ev_end(ev);
	return copied ? (int64_t)copied : err;
}

/*
 * The common tail of UFFDIO_COPY / ZEROPAGE / CONTINUE: report the result
 * in the struct's last field, wake the filled range unless DONTWAKE, and
 * return 0, -EAGAIN for a partial fill, or the error.
 */
static int mfill_finish(struct userfaultfd_ctx *ctx, int64_t ret, void *user_result,
			uint64_t start, uint64_t len, bool dontwake)
{
	if (copy_to_user(user_result, &ret, sizeof(ret)))
		return -EFAULT;
	if (ret < 0)
		return ret;
	/* the race window between the pages appearing and the wake */
	sim_yield("uffdio_copy_wake_window");
	if (!dontwake)
		wake_userfault(ctx, start, ret);
	return (uint64_t)ret == len ? 0 : -EAGAIN;
}

static int userfaultfd_copy(struct userfaultfd_ctx *ctx, unsigned long arg)
{
	struct uffdio_copy *user = (void *)arg;
	struct uffdio_copy c;
	int ret;

	if (copy_from_user(&c, user, sizeof(c) - sizeof(int64_t)))
		return -EFAULT;
	ret = validate_unaligned_range(c.src, c.len);
	if (!ret)
		ret = validate_range(c.dst, c.len);
	if (ret)
		return ret;
	if (c.mode & ~(uint64_t)(UFFDIO_COPY_MODE_DONTWAKE | UFFDIO_COPY_MODE_WP))
		return -EINVAL;
	if (c.mode & UFFDIO_COPY_MODE_WP)
		return mfill_finish(ctx, -EINVAL, &user->copy, 0, 0, true);
	return mfill_finish(ctx, mfill_atomic(ctx, MFILL_ATOMIC_COPY, c.dst, c.src, c.len),
			    &user->copy, c.dst, c.len, c.mode & UFFDIO_COPY_MODE_DONTWAKE);
}

/*
 * UFFDIO_ZEROPAGE and UFFDIO_CONTINUE share a layout: a range, a mode
 * whose only modelled bit is DONTWAKE, and the result field last.
 */
struct uffdio_range_fill {
	struct uffdio_range range;
	uint64_t mode;
	int64_t result;
};

_Static_assert(sizeof(struct uffdio_range_fill) == sizeof(struct uffdio_poison) &&
	       offsetof(struct uffdio_poison, updated) ==
	       offsetof(struct uffdio_range_fill, result) &&
	       sizeof(struct uffdio_range_fill) == sizeof(struct uffdio_zeropage) &&
	       offsetof(struct uffdio_zeropage, zeropage) ==
	       offsetof(struct uffdio_range_fill, result) &&
	       sizeof(struct uffdio_range_fill) == sizeof(struct uffdio_continue) &&
	       offsetof(struct uffdio_continue, mapped) ==
	       offsetof(struct uffdio_range_fill, result), "uffdio range layouts");

static int userfaultfd_fill_range(struct userfaultfd_ctx *ctx, unsigned long arg,
				  enum mfill_mode mode, uint64_t dontwake)
{
	struct uffdio_range_fill *user = (void *)arg;
	struct uffdio_range_fill z;
	int ret;

	if (copy_from_user(&z, user, sizeof(z) - sizeof(int64_t)))
		return -EFAULT;
	ret = validate_range(z.range.start, z.range.len);
	if (ret)
		return ret;
	/* CONTINUE's MODE_WP needs WP registration: not modelled */
	if (z.mode & ~dontwake)
		return -EINVAL;
	return mfill_finish(ctx, mfill_atomic(ctx, mode, z.range.start, 0, z.range.len),
			    &user->result, z.range.start, z.range.len, z.mode & dontwake);
}

static long userfaultfd_ioctl(struct simfd *f, unsigned long cmd, unsigned long arg)
{
	struct userfaultfd_ctx *ctx = simfd_priv(f);

	if (cmd != UFFDIO_API && !userfaultfd_is_initialized(ctx))
		return -EINVAL;
	switch (cmd) {
	case UFFDIO_API:
		return userfaultfd_api(ctx, arg);
	case UFFDIO_REGISTER:
		return userfaultfd_register(ctx, arg);
	case UFFDIO_UNREGISTER:
		return userfaultfd_unregister(ctx, arg);
	case UFFDIO_WAKE:
		return userfaultfd_wake(ctx, arg);
	case UFFDIO_COPY:
		return userfaultfd_copy(ctx, arg);
	case UFFDIO_ZEROPAGE:
		return userfaultfd_fill_range(ctx, arg, MFILL_ATOMIC_ZEROPAGE,
					      UFFDIO_ZEROPAGE_MODE_DONTWAKE);
	case UFFDIO_CONTINUE:
		return userfaultfd_fill_range(ctx, arg, MFILL_ATOMIC_CONTINUE,
					      UFFDIO_CONTINUE_MODE_DONTWAKE);
	case UFFDIO_POISON:
		return userfaultfd_fill_range(ctx, arg, MFILL_ATOMIC_POISON,
					      UFFDIO_POISON_MODE_DONTWAKE);
	}
	return -EINVAL;
}

/* The last fd closed: unregister everything and let every fault go on. */
static void userfaultfd_release(struct simfd *f)
{
	struct userfaultfd_ctx *ctx = simfd_priv(f);
	int out = 0;

	ctx->released = true;
	ctx->file = NULL;
	for (int i = 0; i < nr_ranges; i++) {
		if (ranges[i].ctx != ctx)
			ranges[out++] = ranges[i];
		else if (ranges[i].host)
			uffd_host_unregister(ranges[i].start, ranges[i].end - ranges[i].start);
	}
	nr_ranges = out;
	__wake_userfault(ctx, 0, 0);
	sim_wake_all(&ctx->fd_wqh);
	userfaultfd_ctx_put(ctx);
}

static const struct simfd_ops userfaultfd_fops = {
	.name = "userfaultfd",
	.read = userfaultfd_read,
	.poll = userfaultfd_poll,
	.ioctl = userfaultfd_ioctl,
	.release = userfaultfd_release,
};

int userfaultfd_new(int flags)
{
	static bool once;
	struct userfaultfd_ctx *ctx;
	int fd;

	if (flags & ~(UFFD_SHARED_FCNTL_FLAGS | UFFD_USER_MODE_ONLY))
		return -EINVAL;
	if (!once) {
		once = true;
		sim_oracle_add_quiesce(userfaultfd_quiesce, NULL);
		posix_set_uaccess_hook(userfaultfd_fault_in);
	}
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->refs = 1;
	ctx->id = next_ctx_id++;
	ctx->flags = flags & UFFD_USER_MODE_ONLY;
	list_init(&ctx->fault_pending_wqh);
	list_init(&ctx->fault_wqh);
	sim_waitq_init(&ctx->fd_wqh, "userfaultfd_read");
	sim_lock_init(&ctx->wqh_lock, "fault_pending_wqh.lock");
	fd = simfd_install(&userfaultfd_fops, ctx, flags & UFFD_SHARED_FCNTL_FLAGS);
	if (fd < 0) {
		free(ctx);
		return fd;
	}
	ctx->file = simfd_get(fd);
	ctx->next = all_ctxs;
	all_ctxs = ctx;
	struct sim_ev *ev = sim_ev_begin("userfaultfd_new");
	sim_ev_int(ev, "uffd", ctx->id);
	sim_ev_end(ev);
	return fd;
}
