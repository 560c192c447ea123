// SPDX-License-Identifier: MIT
/*
 * demand-paging: a userfaultfd demand-paging VMM in the shape of the KVM
 * selftest demand_paging_test (seed 000: "Allow many vCPUs and reader
 * threads per UFFD", "Use EPOLL in userfaultfd_util reader threads").
 *
 *   demand-paging [-v VCPUS] [-r READERS] [-u MISSING|MINOR] [-b BYTES] [-p] [-n]
 *
 * One memslot holds VCPUS regions of BYTES each (K/M/G suffixes), all
 * registered with one userfaultfd.  READERS threads each wait on the uffd
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
 * Hazard: faults from many vCPUs on one uffd, several readers racing to
 * resolve them (seed 000's EEXIST race), the thundering herd of poll().
 *
 * Expected (natively and under kvmsim, for any seed): every page faults
 * in exactly once through userfaultfd, the guest's values are all in host
 * memory with the 0xab fill around them, the checksum printed is that of
 * the guest-visible memory.  stdout holds only those facts; exit 0.
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
#include <unistd.h>

#include "scenario.h"

#define REGION_GPA	0x40000000ull
#define REGION_SLOT	1
#define FILL_BYTE	0xab

struct params {
	int vcpus;
	int readers;
	bool minor;
	u64 bytes;		/* per vCPU */
	bool use_poll;
	bool no_check;
};

static struct params p = { .vcpus = 2, .readers = 2, .bytes = 1 << 20 };
static u8 *mem;			/* the registered mapping the slot uses */
static int uffd;
static u8 fill_page[4096] __attribute__((aligned(4096)));

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static u64 *resolved;		/* per vCPU region: faults resolved */
static u64 eexist;

struct reader {
	pthread_t thread;
	int pipe[2];
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
	fprintf(stderr, "usage: %s [-v VCPUS] [-r READERS] [-u MISSING|MINOR] [-b BYTES] [-p] [-n]\n",
		argv0);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "v:r:u:b:pn")) != -1) {
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
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc)
		usage(argv[0]);
}

/* handle_uffd_page_request */
static void resolve(const struct uffd_msg *msg)
{
	u64 addr = msg->arg.pagefault.address & ~(SZ_4K - 1);
	u64 off = addr - (u64)mem;
	int r, err;

	ASSERT(msg->event == UFFD_EVENT_PAGEFAULT, "uffd event %#x", msg->event);
	ASSERT(off < p.bytes * p.vcpus, "fault outside the registered region");
	ASSERT(!!(msg->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_MINOR) == p.minor,
	       "fault flags %#llx in %s mode", (unsigned long long)msg->arg.pagefault.flags,
	       p.minor ? "MINOR" : "MISSING");
	if (p.minor) {
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
	else
		resolved[off / p.bytes]++;
	pthread_mutex_unlock(&lock);
}

/* One message if there is one; false on EAGAIN (another reader was faster). */
static bool read_one(void)
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

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, uffd, &ev) < 0)
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
		read_one();
	}
	close(ep);
	return NULL;
}

static void *reader_poll(void *arg)
{
	struct reader *rd = arg;

	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = uffd, .events = POLLIN },
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
			read_one();
	}
	return NULL;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu_result *res = arg;
	struct ucall uc;

	vcpu_expect_ucall(res->vcpu, &uc, UCALL_SYNC);
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

	if (!p.minor) {
		m = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED)
			die_errno("mmap %#llx bytes", (unsigned long long)size);
		return m;
	}
	/* MINOR: the page cache is filled through an alias before the guest runs */
	int fd = memfd_create("guest-memory", MFD_CLOEXEC);
	u8 *alias;

	if (fd < 0 || ftruncate(fd, size) < 0)
		die_errno("memfd of %#llx bytes", (unsigned long long)size);
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	alias = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED || alias == MAP_FAILED)
		die_errno("mmap of the memfd");
	memset(alias, FILL_BYTE, size);
	munmap(alias, size);
	close(fd);
	return m;
}

static void setup_uffd(u64 size)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { (u64)mem, size },
		.mode = p.minor ? UFFDIO_REGISTER_MODE_MINOR : UFFDIO_REGISTER_MODE_MISSING,
	};
	u64 need = p.minor ? 1ull << _UFFDIO_CONTINUE : 1ull << _UFFDIO_COPY;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		die_errno("userfaultfd");
	if (ioctl(uffd, UFFDIO_API, &api) < 0)
		die_errno("UFFDIO_API");
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0)
		die_errno("UFFDIO_REGISTER");
	ASSERT((reg.ioctls & need) == need, "UFFDIO_REGISTER ioctls %#llx lack %#llx",
	       (unsigned long long)reg.ioctls, (unsigned long long)need);
}

/* FNV-1a over the guest-visible bytes of the region */
static u64 checksum(const u8 *b, u64 n)
{
	u64 h = 0xcbf29ce484222325ull;

	for (u64 i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

static u64 bad_pages(int v)
{
	u64 bad = 0, base = v * p.bytes;

	for (u64 off = base; off < base + p.bytes; off += SZ_4K) {
		u64 want = touch_pattern(REGION_GPA + off, v + 1), got;
		const u8 *pg = mem + off;
		bool ok;

		memcpy(&got, pg, 8);
		ok = got == want;
		for (u64 i = 8; ok && i < SZ_4K; i++)
			ok = pg[i] == FILL_BYTE;
		bad += !ok;
	}
	return bad;
}

int main(int argc, char **argv)
{
	struct reader readers[64];
	struct vcpu_result res[VM_MAX_VCPUS];
	struct kvm_vm *vm;
	u64 size, entry;

	parse_args(argc, argv);
	size = p.bytes * p.vcpus;
	memset(fill_page, FILL_BYTE, sizeof(fill_page));
	resolved = calloc(p.vcpus, sizeof(*resolved));
	vm = vm_create();
	mem = map_region(size);
	vm_add_slot_hva(vm, REGION_SLOT, REGION_GPA, size, 0, mem);
	virt_map(vm, REGION_GPA, REGION_GPA, size, size % SZ_2M ? SZ_4K : SZ_2M);
	setup_uffd(size);
	printf("demand-paging: %d vCPUs, %d readers (%s), %s, %#llx bytes per vCPU\n",
	       p.vcpus, p.readers, p.use_poll ? "poll" : "epoll, EPOLLEXCLUSIVE",
	       p.minor ? "MINOR (UFFDIO_CONTINUE)" : "MISSING (UFFDIO_COPY)",
	       (unsigned long long)p.bytes);

	for (int i = 0; i < p.readers; i++) {
		if (pipe2(readers[i].pipe, O_CLOEXEC | O_NONBLOCK) < 0)
			die_errno("pipe2");
		if (pthread_create(&readers[i].thread, NULL,
				   p.use_poll ? reader_poll : reader_epoll, &readers[i]))
			die("pthread_create reader %d", i);
	}
	entry = vm_load_guest(vm, "demand_paging");
	for (int v = 0; v < p.vcpus; v++) {
		res[v] = (struct vcpu_result){ .vcpu = vm_vcpu_add(vm, entry) };
		vcpu_set_args(res[v].vcpu, 4, REGION_GPA + v * p.bytes, p.bytes,
			      (u64)v + 1, 0);
	}
	for (int v = 0; v < p.vcpus; v++)
		if (pthread_create(&res[v].thread, NULL, vcpu_thread, &res[v]))
			die("pthread_create vcpu %d", v);
	for (int v = 0; v < p.vcpus; v++)
		pthread_join(res[v].thread, NULL);
	for (int i = 0; i < p.readers; i++) {
		char c = 0;

		if (write(readers[i].pipe[1], &c, 1) != 1)
			die_errno("write to reader pipe %d", i);
	}
	for (int i = 0; i < p.readers; i++) {
		pthread_join(readers[i].thread, NULL);
		close(readers[i].pipe[0]);
		close(readers[i].pipe[1]);
	}

	for (int v = 0; v < p.vcpus && p.no_check; v++)
		printf("vcpu %d: %llu pages written by the guest, %llu faulted in through "
		       "userfaultfd\n", v, (unsigned long long)res[v].pages,
		       (unsigned long long)resolved[v]);
	for (int v = 0; v < p.vcpus && !p.no_check; v++) {
		u64 x = 0, pages = p.bytes / SZ_4K;

		for (u64 i = 0; i < pages; i++)
			x ^= touch_pattern(REGION_GPA + v * p.bytes + i * SZ_4K, v + 1);
		printf("vcpu %d: %llu pages written by the guest, %llu faulted in through "
		       "userfaultfd, guest xor %s, %llu pages without the guest's value\n", v,
		       (unsigned long long)res[v].pages, (unsigned long long)resolved[v],
		       res[v].xor == x ? "matches" : "DIFFERS",
		       (unsigned long long)bad_pages(v));
	}
	if (!p.no_check)
		printf("guest memory checksum %#llx\n", (unsigned long long)checksum(mem, size));
	close(uffd);
	vm_destroy(vm);
	munmap(mem, size);
	return 0;
}
