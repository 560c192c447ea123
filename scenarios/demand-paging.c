// SPDX-License-Identifier: MIT
/*
 * demand-paging: a userfaultfd demand-paging VMM in the shape of the KVM
 * selftest demand_paging_test (seed 000: "Allow many vCPUs and reader
 * threads per UFFD", "Use EPOLL in userfaultfd_util reader threads").
 *
 *   demand-paging [-v VCPUS] [-r READERS] [-u MISSING|MINOR] [-b BYTES] [-p] [-n]
 *                 [-a] [-o] [-d USEC] [-w] [-t] [-H]
 *
 * One memslot holds VCPUS regions of BYTES each (K/M/G suffixes), each
 * registered with a userfaultfd of its own (with -a, one userfaultfd for
 * all, as the selftest's -a).  READERS threads per uffd each wait on it
 * and on a pipe of their own (epoll with EPOLLEXCLUSIVE on the uffd, or
 * poll with -p), read fault messages and resolve them: UFFDIO_COPY of a
 * 0xab page (MISSING: private anonymous memory), or UFFDIO_CONTINUE
 * (MINOR: a memfd whose pages the VMM first wrote through a second,
 * unregistered mapping, so they are in the page cache but not mapped
 * where the guest's memslot points).  EEXIST from a racing resolution is
 * benign, as in the selftest.  One thread per vCPU runs the guest, which
 * writes a value derived from the gpa into every page of its region; a
 * byte on each reader's pipe then tells the readers to stop.
 *
 *   -o       every vCPU writes the first region (overlapping instead of
 *            partitioned): their faults on one page race, EEXIST is benign
 *   -d USEC  each reader sleeps USEC before resolving (uffd_delay)
 *   -w       memory-fault exits (seed 000): the slot is fast-only (profile
 *            rfc-2023-v2: KVM_MEM_ABSENT_MAPPING_FAULT and cap 227 for
 *            ABSENT_MAPPING; exit-on-missing: KVM_MEM_EXIT_ON_MISSING), so a
 *            missing page makes KVM_RUN fail with a memory-fault exit and
 *            the vCPU thread resolves it itself (UFFDIO_COPY/CONTINUE)
 *            instead of sleeping in the userfaultfd; a KVM without such a
 *            flag (upstream) makes -w exit 2 saying so
 *   -H       2 MiB pages: the memory is MAP_HUGETLB (MISSING only, BYTES a
 *            multiple of 2 MiB) and each fault is resolved by a 2 MiB
 *            UFFDIO_COPY; the counts of pages faulted in are huge pages.
 *            Without free huge pages (/proc/sys/vm/nr_hugepages) it says
 *            so and exits 77
 *   -t       print the paging rate, pages per second of CLOCK_MONOTONIC
 *            around the vCPU threads (virtual time under kvmsim: use
 *            --cost for a meaningful one)
 *
 * Hazard: faults from many vCPUs on one uffd, several readers racing to
 * resolve them (seed 000's EEXIST race), the thundering herd of poll().
 *
 * Expected (natively and under kvmsim, for any seed): every page faults
 * in through userfaultfd, the guest's values are all in host memory with
 * the 0xab fill around them, the checksum printed is that of the
 * guest-visible memory.  stdout holds only those facts; exit 0.  Under
 * kvmsim each page faults in exactly once (the manifest asserts the
 * count of userfaults KVM took).  Natively, with MINOR, a few runs in a
 * thousand under load see the host drop the VMM's PTE of a page the guest
 * had already faulted in, so that page faults in again: stdout counts
 * pages, stderr says how many came twice.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

#define REGION_GPA	0x40000000ull
#define REGION_SLOT	1
#define FILL_BYTE	0xab


struct params {
	int vcpus;
	int readers;		/* per userfaultfd */
	bool minor;
	u64 bytes;		/* per vCPU */
	bool use_poll;
	bool no_check;
	bool single_uffd;	/* -a */
	bool overlap;		/* -o */
	unsigned delay_us;	/* -d */
	bool memfault_exits;	/* -w */
	bool timing;		/* -t */
	bool hugetlb;		/* -H */
};

static struct params p = { .vcpus = 2, .readers = 2, .bytes = 1 << 20 };
static u8 *mem;			/* the registered mapping the slot uses */
static int memfd = -1;		/* MINOR: the file behind mem */
static int uffds[VM_MAX_VCPUS];
static int nr_uffds;
static u64 region_size;		/* what the guest touches in all */
static u8 fill_page[4096] __attribute__((aligned(4096)));
static u8 *fill_huge;		/* -H: a 2 MiB page of FILL_BYTE */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static u64 *resolved;		/* per vCPU region: pages faulted in */
static u8 *faulted;		/* per page of the region: resolved yet? */
static u64 eexist, refaults;
static u64 memfault_exits;

struct reader {
	pthread_t thread;
	int pipe[2];
	int uffd;
};

struct vcpu_result {
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	u64 pages, xor;
};

static u64 parse_size(const char *s)
{
	char *end;
	u64 v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': case 'g':
		v <<= 10;
		/* fallthrough */
	case 'M': case 'm':
		v <<= 10;
		/* fallthrough */
	case 'K': case 'k':
		v <<= 10;
		end++;
	}
	if (*end || !v || v % SZ_4K)
		die("-b %s: expected a non-zero multiple of 4K (K/M/G suffixes)", s);
	return v;
}

static void usage(const char *argv0)
{
	fprintf(stderr, "usage: %s [-v VCPUS] [-r READERS] [-u MISSING|MINOR] [-b BYTES] [-p] [-n]\n"
		"       [-a] [-o] [-d USEC] [-w] [-t] [-H]\n", argv0);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "v:r:u:b:pnaod:wtH")) != -1) {
		switch (opt) {
		case 'v':
			p.vcpus = atoi(optarg);
			if (p.vcpus < 1 || p.vcpus > VM_MAX_VCPUS)
				die("-v %s: 1 to %d vCPUs", optarg, VM_MAX_VCPUS);
			break;
		case 'r':
			p.readers = atoi(optarg);
			if (p.readers < 1 || p.readers > 64)
				die("-r %s: 1 to 64 readers", optarg);
			break;
		case 'u':
			if (!strcmp(optarg, "MISSING"))
				p.minor = false;
			else if (!strcmp(optarg, "MINOR"))
				p.minor = true;
			else
				die("-u %s: MISSING or MINOR", optarg);
			break;
		case 'b':
			p.bytes = parse_size(optarg);
			break;
		case 'p':
			p.use_poll = true;
			break;
		case 'n':
			p.no_check = true;
			break;
		case 'a':
			p.single_uffd = true;
			break;
		case 'o':
			p.overlap = true;
			break;
		case 'd':
			p.delay_us = atoi(optarg);
			break;
		case 'w':
			p.memfault_exits = true;
			break;
		case 't':
			p.timing = true;
			break;
		case 'H':
			p.hugetlb = true;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
	if (p.hugetlb && (p.minor || p.bytes % SZ_2M))
		die("-H: MISSING only, and BYTES a multiple of 2 MiB");
}

/* The userfaultfd that covers region offset off. */
static int uffd_of(u64 off)
{
	return uffds[p.single_uffd ? 0 : off / p.bytes];
}

/* handle_uffd_page_request: from a reader, or from a vCPU after an exit */
static void resolve_page(u64 addr)
{
	u64 off = addr - (u64)mem;
	int uffd = uffd_of(off);
	int r, err;

	ASSERT(off < region_size, "fault outside the registered region");
	if (p.hugetlb) {
		/* hugetlbfs: the whole huge page, or EINVAL */
		struct uffdio_copy c = { .dst = addr & ~(SZ_2M - 1), .src = (u64)fill_huge,
					 .len = SZ_2M };

		off &= ~(SZ_2M - 1);
		r = ioctl(uffd, UFFDIO_COPY, &c);
	} else if (p.minor) {
		struct uffdio_continue c = { .range = { addr, SZ_4K } };

		r = ioctl(uffd, UFFDIO_CONTINUE, &c);
	} else {
		struct uffdio_copy c = { .dst = addr, .src = (u64)fill_page, .len = SZ_4K };

		r = ioctl(uffd, UFFDIO_COPY, &c);
	}
	err = errno;
	/* another reader resolved it first: benign */
	if (r < 0 && err != EEXIST) {
		errno = err;
		die_errno("%s at region offset %#llx", p.minor ? "UFFDIO_CONTINUE" : "UFFDIO_COPY",
			  (unsigned long long)off);
	}
	pthread_mutex_lock(&lock);
	if (r < 0)
		eexist++;
	else if (faulted[off / SZ_4K])
		refaults++;
	else {
		faulted[off / SZ_4K] = 1;
		resolved[off / p.bytes]++;
	}
	pthread_mutex_unlock(&lock);
}

static void resolve(const struct uffd_msg *msg)
{
	ASSERT(msg->event == UFFD_EVENT_PAGEFAULT, "uffd event %#x", msg->event);
	ASSERT(!!(msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR) == p.minor,
	       "fault flags %#llx in %s mode", (unsigned long long)msg->arg.pagefault.flags,
	       p.minor ? "MINOR" : "MISSING");
	if (p.delay_us)
		usleep(p.delay_us);
	resolve_page(msg->arg.pagefault.address & ~(SZ_4K - 1));
}

/* One message if there is one; false on EAGAIN (another reader was faster). */
static bool read_one(int uffd)
{
	struct uffd_msg msg;
	ssize_t n = read(uffd, &msg, sizeof(msg));

	if (n < 0 && errno == EAGAIN)
		return false;
	if (n != sizeof(msg))
		die_errno("read of uffd returned %zd", n);
	resolve(&msg);
	return true;
}

static void *reader_epoll(void *arg)
{
	struct reader *rd = arg;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u32 = 0 };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, rd->uffd, &ev) < 0)
		die_errno("epoll on the uffd");
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 1 };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, rd->pipe[0], &ev) < 0)
		die_errno("epoll on the pipe");
	for (;;) {
		int r = epoll_wait(ep, &ev, 1, -1);

		if (r < 0 && errno == EINTR)
			continue;
		ASSERT(r == 1, "epoll_wait returned %d", r);
		ASSERT(!(ev.events & (EPOLLERR | EPOLLHUP)), "epoll events %#x", ev.events);
		if (ev.data.u32 == 1)
			break;
		read_one(rd->uffd);
	}
	close(ep);
	return NULL;
}

static void *reader_poll(void *arg)
{
	struct reader *rd = arg;

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = rd->uffd, .events = POLLIN },
			{ .fd = rd->pipe[0], .events = POLLIN },
		};
		int r = poll(fds, 2, -1);

		if (r < 0 && errno == EINTR)
			continue;
		ASSERT(r > 0, "poll returned %d", r);
		ASSERT(!(fds[0].revents & (POLLERR | POLLHUP)), "uffd revents %#x", fds[0].revents);
		if (fds[1].revents & POLLIN)
			break;
		if (fds[0].revents & POLLIN)
			read_one(rd->uffd);
	}
	return NULL;
}

/*
 * -w: a memory-fault exit names the page; resolve it here and re-enter
 * (KVM_RUN fails with EFAULT, or EPERM under the 2023 series' -1).
 */
static void vcpu_run_memfault(struct kvm_vcpu *vcpu)
{
	for (;;) {
		int r = __vcpu_run(vcpu);
		u32 reason = vcpu->run->exit_reason;
		u64 gpa;

		if (!r)
			return;
		ASSERT((r == -EFAULT || r == -EPERM) &&
		       (reason == KVM_EXIT_MEMORY_FAULT || reason == KVMSIM_EXIT_MEMORY_FAULT_RFC),
		       "vcpu %u: KVM_RUN %d, exit_reason %u", vcpu->id, r, reason);
		memcpy(&gpa, (u8 *)vcpu->run + 40, sizeof(gpa));
		resolve_page((u64)mem + (gpa - REGION_GPA));
		pthread_mutex_lock(&lock);
		memfault_exits++;
		pthread_mutex_unlock(&lock);
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu_result *res = arg;
	struct ucall uc;

	if (p.memfault_exits)
		vcpu_run_memfault(res->vcpu);
	if (p.memfault_exits)
		vcpu_get_ucall(res->vcpu, &uc);
	else
		vcpu_expect_ucall(res->vcpu, &uc, UCALL_SYNC);
	ASSERT(uc.cmd == UCALL_SYNC, "vcpu %u: %s", res->vcpu->id, ucall_name(uc.cmd));
	ASSERT(uc.args[0] == 0, "vcpu %u: sync stage %llu", res->vcpu->id,
	       (unsigned long long)uc.args[0]);
	res->pages = uc.args[1];
	res->xor = uc.args[2];
	vcpu_expect_ucall(res->vcpu, &uc, UCALL_DONE);
	return NULL;
}

static void *map_region(u64 size)
{
	void *m;

	if (p.hugetlb) {
		m = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		fill_huge = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			fprintf(stderr, "demand-paging: -H: no %llu free 2 MiB huge pages "
				"(/proc/sys/vm/nr_hugepages): %s\n",
				(unsigned long long)(size / SZ_2M), strerror(errno));
			exit(77);
		}
		if (fill_huge == MAP_FAILED)
			die_errno("mmap of the fill page");
		memset(fill_huge, FILL_BYTE, SZ_2M);
		return m;
	}
	if (!p.minor) {
		m = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			die_errno("mmap %#llx bytes", (unsigned long long)size);
		return m;
	}
	/* MINOR: the page cache is filled through an alias before the guest runs */
	u8 *alias = memfd_map("guest-memory", size, &memfd);

	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (m == MAP_FAILED)
		die_errno("mmap of the memfd");
	memset(alias, FILL_BYTE, size);
	munmap(alias, size);
	return m;
}

static int setup_uffd(u8 *start, u64 size)
{
	u64 mode = p.minor ? UFFDIO_REGISTER_MODE_MINOR : UFFDIO_REGISTER_MODE_MISSING;
	u64 need = p.minor ? 1ull << _UFFDIO_CONTINUE : 1ull << _UFFDIO_COPY, ioctls;
	int uffd = uffd_register(start, size, mode, 0, &ioctls);

	ASSERT((ioctls & need) == need, "UFFDIO_REGISTER ioctls %#llx lack %#llx",
	       (unsigned long long)ioctls, (unsigned long long)need);
	return uffd;
}

/*
 * -w: the fast-only memslot flag this KVM has (the 2023 series' with its
 * exits enabled for ABSENT_MAPPING, or EXIT_ON_MISSING), or exit 2.
 */
static u32 memfault_slot_flags(struct kvm_vm *vm)
{
	struct kvm_userspace_memory_region probe = {
		.slot = 2, .flags = KVM_MEM_EXIT_ON_MISSING, .guest_phys_addr = 1ull << 40,
		.memory_size = SZ_4K, .userspace_addr = (u64)mem,
	};

	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MEMORY_FAULT_NOWAIT) > 0) {
		vm_enable_memfault_exits(vm, KVM_MEMFAULT_REASON_ABSENT_MAPPING);
		return KVM_MEM_ABSENT_MAPPING_FAULT;
	}
	if (!ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &probe)) {
		probe.memory_size = 0;
		ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &probe);
		return KVM_MEM_EXIT_ON_MISSING;
	}
	fprintf(stderr, "demand-paging: -w: this KVM has no fast-only memslot flag "
		"(try kvmsim --profile exit-on-missing or rfc-2023-v2)\n");
	exit(2);
}

/* FNV-1a over the guest-visible bytes of the region */
static u64 checksum(const u8 *b, u64 n)
{
	u64 h = 0xcbf29ce484222325ull;

	for (u64 i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/*
 * What the VMM reads the guest's memory through once the readers are
 * gone.  MINOR: a fresh, unregistered mapping of the memfd, i.e. the page
 * cache.  Reading through mem itself would be a MINOR fault nobody
 * resolves wherever mem lacks a PTE; natively that happens (see the
 * header: the guest's writes reached the page, the VMM's PTE for it was
 * gone) and the VMM hung.
 */
static const u8 *guest_view(void)
{
	static const u8 *view;

	if (view || memfd < 0)
		return view ? view : mem;
	view = mmap(NULL, region_size, PROT_READ, MAP_SHARED, memfd, 0);
	if (view == MAP_FAILED)
		die_errno("mmap of the memfd to read it back");
	return view;
}

static u64 bad_pages(int v)
{
	u64 bad = 0, base = v * p.bytes;

	for (u64 off = base; off < base + p.bytes; off += SZ_4K) {
		u64 want = touch_pattern(REGION_GPA + off, v + 1), got;
		const u8 *pg = guest_view() + off;
		bool ok;

		memcpy(&got, pg, 8);
		ok = got == want;
		for (u64 i = 8; ok && i < SZ_4K; i++)
			ok = pg[i] == FILL_BYTE;
		bad += !ok;
	}
	return bad;
}

static void start_readers(struct reader *readers)
{
	for (int i = 0; i < nr_uffds * p.readers; i++) {
		readers[i].uffd = uffds[i / p.readers];
		if (pipe2(readers[i].pipe, O_CLOEXEC | O_NONBLOCK) < 0)
			die_errno("pipe2");
		if (pthread_create(&readers[i].thread, NULL,
				   p.use_poll ? reader_poll : reader_epoll, &readers[i]))
			die("pthread_create reader %d", i);
	}
}

static void stop_readers(struct reader *readers)
{
	for (int i = 0; i < nr_uffds * p.readers; i++) {
		char c = 0;

		if (write(readers[i].pipe[1], &c, 1) != 1)
			die_errno("write to reader pipe %d", i);
	}
	for (int i = 0; i < nr_uffds * p.readers; i++) {
		pthread_join(readers[i].thread, NULL);
		close(readers[i].pipe[0]);
		close(readers[i].pipe[1]);
	}
}

/* Run every vCPU thread; returns the seconds of CLOCK_MONOTONIC it took. */
static double run_vcpus(struct vcpu_result *res)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int v = 0; v < p.vcpus; v++)
		if (pthread_create(&res[v].thread, NULL, vcpu_thread, &res[v]))
			die("pthread_create vcpu %d", v);
	for (int v = 0; v < p.vcpus; v++)
		pthread_join(res[v].thread, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* Each vCPU's region (all the first one with -o): pages, values, fill. */
static void report(const struct vcpu_result *res)
{
	int regions = p.overlap ? 1 : p.vcpus;

	for (int v = 0; v < p.vcpus && p.no_check; v++)
		printf("vcpu %d: %llu pages written by the guest, %llu faulted in through "
		       "userfaultfd\n", v, (unsigned long long)res[v].pages,
		       (unsigned long long)resolved[p.overlap ? 0 : v]);
	for (int v = 0; v < regions && !p.no_check; v++) {
		u64 x = 0, pages = p.bytes / SZ_4K;

		for (u64 i = 0; i < pages; i++)
			x ^= touch_pattern(REGION_GPA + v * p.bytes + i * SZ_4K, v + 1);
		printf("%s %d: %llu pages written by the guest, %llu faulted in through "
		       "userfaultfd, guest xor %s, %llu pages without the guest's value\n",
		       p.overlap ? "region" : "vcpu", v, (unsigned long long)res[v].pages,
		       (unsigned long long)resolved[v], res[v].xor == x ? "matches" : "DIFFERS",
		       (unsigned long long)bad_pages(v));
	}
	if (!p.no_check)
		printf("guest memory checksum %#llx\n",
		       (unsigned long long)checksum(guest_view(), region_size));
	if (p.memfault_exits)
		printf("memory-fault exits: %llu\n", (unsigned long long)memfault_exits);
	/* natively only: see the header */
	if (refaults)
		fprintf(stderr, "demand-paging: %llu pages faulted in again\n",
			(unsigned long long)refaults);
}

int main(int argc, char **argv)
{
	struct reader readers[64 * VM_MAX_VCPUS];
	struct vcpu_result res[VM_MAX_VCPUS];
	struct kvm_vm *vm;
	u32 slot_flags = 0;
	double secs;
	u64 size, entry;

	parse_args(argc, argv);
	size = p.bytes * p.vcpus;
	region_size = p.overlap ? p.bytes : size;
	memset(fill_page, FILL_BYTE, sizeof(fill_page));
	resolved = calloc(p.vcpus, sizeof(*resolved));
	faulted = calloc(region_size / SZ_4K, 1);
	vm = vm_create();
	mem = map_region(size);
	if (p.memfault_exits)
		slot_flags = memfault_slot_flags(vm);
	vm_add_slot_hva(vm, REGION_SLOT, REGION_GPA, size, slot_flags, mem);
	virt_map(vm, REGION_GPA, REGION_GPA, size, size % SZ_2M ? SZ_4K : SZ_2M);
	nr_uffds = p.single_uffd || p.overlap ? 1 : p.vcpus;
	for (int i = 0; i < nr_uffds; i++)
		uffds[i] = setup_uffd(mem + i * p.bytes, nr_uffds == 1 ? region_size : p.bytes);
	printf("demand-paging: %d vCPUs, %d readers (%s), %s, %#llx bytes per vCPU%s%s%s%s\n",
	       p.vcpus, p.readers, p.use_poll ? "poll" : "epoll, EPOLLEXCLUSIVE",
	       p.minor ? "MINOR (UFFDIO_CONTINUE)" : "MISSING (UFFDIO_COPY)",
	       (unsigned long long)p.bytes,
	       nr_uffds > 1 ? ", one userfaultfd per vCPU" : "",
	       p.overlap ? ", overlapping" : "",
	       p.memfault_exits ? ", memory-fault exits" : "",
	       p.hugetlb ? ", 2 MiB hugetlb pages" : "");

	start_readers(readers);
	entry = vm_load_guest(vm, "demand_paging");
	for (int v = 0; v < p.vcpus; v++) {
		int r = p.overlap ? 0 : v;

		res[v] = (struct vcpu_result){ .vcpu = vm_vcpu_add(vm, entry) };
		vcpu_set_args(res[v].vcpu, 4, REGION_GPA + r * p.bytes, p.bytes, (u64)r + 1, 0);
	}
	secs = run_vcpus(res);
	stop_readers(readers);
	report(res);
	if (p.timing)
		printf("paging rate: %.0f pages/s (%llu pages in %.6f s)\n",
		       region_size / SZ_4K / secs, (unsigned long long)(region_size / SZ_4K), secs);
	for (int i = 0; i < nr_uffds; i++)
		close(uffds[i]);
	vm_destroy(vm);
	munmap(mem, size);
	if (memfd >= 0)
		close(memfd);
	return 0;
}
