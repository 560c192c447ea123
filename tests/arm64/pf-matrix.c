// SPDX-License-Identifier: MIT
/*
 * pf-matrix: the kernel's page_fault_test (tools/testing/selftests/kvm/
 * aarch64/page_fault_test.c) reduced to its matrix, for kvmsim's arm64
 * /dev/kvm: each access kind (read, write, exec, and a read whose stage-1
 * table walk touches the test memory: S1PTW) against each kind of test
 * memory (plain, no memslot, userfaultfd MISSING, KVM_MEM_READONLY,
 * KVM_MEM_LOG_DIRTY_PAGES).  A fresh VM per cell; the test VA 0xc0000000
 * maps the test page (IPA 0x40000000), or for S1PTW its level-3 table
 * lives at IPA 0x40001000 and maps a data page in the main slot.
 *
 * Prints, per cell, every exit, userfault, guest-visible abort (ESR,
 * FAR), value and dirty bit; tests/arm64/expected/pf-matrix.out is what
 * the arm64 rules give:
 *   no memslot: read/write -> KVM_EXIT_MMIO (io_mem_abort); exec -> the
 *     guest gets a prefetch abort, ESR 0x86000010 (IABT_CUR, external
 *     abort: kvm_inject_pabt); S1PTW -> a data abort, ESR 0x96000010
 *     (kvm_inject_dabt), FAR = the VA in both
 *   userfaultfd: one userfault per cell, WRITE only for the write; an
 *     S1PTW translation fault is a read (kvm_is_write_fault: only S1PTW
 *     permission faults count as writes, since 6.2)
 *   readonly: the write is KVM_EXIT_MMIO; exec and S1PTW from it work
 *   dirty log: only the written page is dirty; the stage-1 walker never
 *     writes (no hardware AF/DBM in the model), so S1PTW dirties nothing
 * Page 0 of the test memory is printed where it exists (S1PTW cells read
 * a data page in the main slot instead, so theirs is the untouched fill).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/userfaultfd.h>

#include "scenario.h"

#define TEST_GPA	0x40000000ull
#define TEST_SIZE	0x200000ull
#define PT_GPA		(TEST_GPA + 0x1000)	/* S1PTW: the level-3 table */
#define DATA_GPA	0x00800000ull		/* S1PTW: the data page (main slot) */
#define TEST_VA		0xc0000000ull
#define TEST_VALUE	0x1122334455667788ull
#define INSN_MOV_X0_42	0xd2800540u
#define INSN_RET	0xd65f03c0u

enum access { ACC_READ, ACC_WRITE, ACC_EXEC, ACC_S1PTW, NR_ACC };
enum memkind { MEM_PLAIN, MEM_HOLE, MEM_UFFD, MEM_READONLY, MEM_DIRTY_LOG, NR_MEM,
	       MEM_ABSENT = NR_MEM };	/* rfc-2023-v2's fast-only slot, by itself */

static const char *const acc_names[] = { "read", "write", "exec", "s1ptw" };
static const char *const mem_names[] = { "plain", "no-memslot", "uffd", "readonly",
					  "dirty-log", "absent-mapping" };

struct cell {
	enum access acc;
	enum memkind mem;
	struct kvm_vm *vm;
	u8 *test;		/* host view of the test slot */
	u8 staging[2][4096];	/* what UFFDIO_COPY installs, pages 0 and 1 */
	int uffd;
	int uffd_faults;
	bool done;
};

/* Pages 0 (data or code) and 1 (S1PTW: the level-3 table) as the test needs them. */
static void fill_pages(struct cell *c, u8 (*pages)[4096])
{
	u64 value = TEST_VALUE;
	u32 code[2] = { INSN_MOV_X0_42, INSN_RET };

	if (c->acc == ACC_EXEC)
		memcpy(pages[0], code, sizeof(code));
	else
		memcpy(pages[0], &value, sizeof(value));
}

static void *uffd_reader(void *arg)
{
	struct cell *c = arg;

	while (!c->done) {
		struct pollfd pfd = { .fd = c->uffd, .events = POLLIN };
		struct uffd_msg msg;

		if (poll(&pfd, 1, 10) <= 0 || read(c->uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		u64 off = (msg.arg.pagefault.address & ~(SZ_4K - 1)) - (u64)c->test;
		struct uffdio_copy copy = {
			.dst = (u64)c->test + off, .src = (u64)c->staging[off / SZ_4K],
			.len = SZ_4K,
		};

		printf("  userfault: gpa %#llx %s\n", (unsigned long long)(TEST_GPA + off),
		       msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE ? "write" : "read");
		c->uffd_faults++;
		if (ioctl(c->uffd, UFFDIO_COPY, &copy))
			die_errno("UFFDIO_COPY");
	}
	return NULL;
}

static void setup_memory(struct cell *c)
{
	u32 flags = c->mem == MEM_READONLY ? KVM_MEM_READONLY :
		    c->mem == MEM_DIRTY_LOG ? KVM_MEM_LOG_DIRTY_PAGES :
		    c->mem == MEM_ABSENT ? KVM_MEM_ABSENT_MAPPING_FAULT : 0;
	u8 (*pages)[4096] = c->mem == MEM_UFFD ? c->staging : NULL;

	if (c->mem == MEM_HOLE)
		return;
	c->test = mmap(NULL, TEST_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (c->test == MAP_FAILED)
		die_errno("mmap");
	madvise(c->test, TEST_SIZE, MADV_NOHUGEPAGE);
	if (c->mem == MEM_ABSENT)
		pages = c->staging;	/* the host page stays absent */
	if (!pages)
		pages = (u8 (*)[4096])c->test;
	fill_pages(c, pages);
	vm_add_slot_hva(c->vm, 1, TEST_GPA, TEST_SIZE, flags, c->test);
}

/* Stage 1: TEST_VA -> TEST_GPA, or for S1PTW through a table at PT_GPA. */
static void setup_tables(struct cell *c)
{
	u64 *pte = virt_get_pte(c->vm, TEST_VA, SZ_4K);
	u64 attrs = *virt_get_pte(c->vm, 0x400000, SZ_4K) & ~0x0000fffffffff000ull;
	u64 *l2e;
	u8 *pt;

	if (c->acc != ACC_S1PTW) {
		*pte = TEST_GPA | attrs;
		return;
	}
	*pte = DATA_GPA | attrs;
	memcpy(gpa_to_hva(c->vm, DATA_GPA, 8), &(u64){ TEST_VALUE }, 8);
	/* move the level-3 table into the test memory */
	pt = c->mem == MEM_UFFD ? c->staging[1] : c->mem == MEM_HOLE ? NULL :
	     c->test + (PT_GPA - TEST_GPA);
	if (pt)
		memcpy(pt, (u8 *)pte - ((u64)pte & (SZ_4K - 1)), SZ_4K);
	l2e = virt_get_pte(c->vm, TEST_VA, SZ_2M);
	*l2e = PT_GPA | (*l2e & 0xfff);
}

static void setup_uffd(struct cell *c)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { (u64)c->test, TEST_SIZE }, .mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	c->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (c->uffd < 0 || ioctl(c->uffd, UFFDIO_API, &api) || ioctl(c->uffd, UFFDIO_REGISTER, &reg))
		die_errno("userfaultfd");
}

static void print_dirty(struct cell *c)
{
	u64 bitmap[TEST_SIZE / SZ_4K / 64] = { 0 };
	struct kvm_dirty_log log = { .slot = 1, .dirty_bitmap = bitmap };

	if (ioctl(c->vm->vm_fd, KVM_GET_DIRTY_LOG, &log))
		die_errno("KVM_GET_DIRTY_LOG");
	printf("  dirty: page 0 %d, page 1 %d\n", (int)(bitmap[0] & 1), (int)(bitmap[0] >> 1 & 1));
}

/* Run to UCALL_DONE, printing what happens on the way. */
static void run_cell(struct cell *c, struct kvm_vcpu *vcpu)
{
	for (;;) {
		struct ucall uc;
		int r = __vcpu_run(vcpu);
		u64 cmd;

		if (r) {
			printf("  KVM_RUN: -1 %s, exit_reason %u\n", strerrorname_np(-r),
			       vcpu->run->exit_reason);
			return;
		}
		cmd = vcpu_get_ucall(vcpu, &uc);
		if (cmd == UCALL_DONE)
			return;
		if (cmd == UCALL_SYNC && uc.args[0] == 1) {
			printf("  access completed: value %#llx\n", (unsigned long long)uc.args[1]);
		} else if (cmd == UCALL_SYNC && uc.args[0] == 2) {
			printf("  guest abort: ESR_EL1 %#llx FAR_EL1 %#llx\n",
			       (unsigned long long)uc.args[1], (unsigned long long)uc.args[2]);
		} else if (vcpu->run->exit_reason == 38 || vcpu->run->exit_reason == 39) {
			/* the memory_fault union member: flags, gpa, size */
			u64 *mf = (u64 *)&vcpu->run->mmio;

			printf("  KVM_RUN: 0, exit %u gpa %#llx size %#llx\n",
			       vcpu->run->exit_reason, (unsigned long long)mf[1],
			       (unsigned long long)mf[2]);
			return;
		} else if (vcpu->run->exit_reason == KVM_EXIT_MMIO) {
			printf("  KVM_EXIT_MMIO: %s gpa %#llx len %u\n",
			       vcpu->run->mmio.is_write ? "write" : "read",
			       (unsigned long long)vcpu->run->mmio.phys_addr, vcpu->run->mmio.len);
			if (!vcpu->run->mmio.is_write)
				mmio_data_set(vcpu->run, 0x77);
		} else {
			char what[128];

			describe_exit(vcpu, what, sizeof(what));
			die("unexpected exit %s", what);
		}
	}
}

static void run_one(enum access acc, enum memkind mem)
{
	static struct cell c;
	struct kvm_vcpu *vcpu;
	pthread_t reader;

	memset(&c, 0, sizeof(c));
	c.acc = acc;
	c.mem = mem;
	c.uffd = -1;
	printf("%s / %s\n", acc_names[acc], mem_names[mem]);
	c.vm = vm_create();
	setup_memory(&c);
	setup_tables(&c);
	vcpu = vm_vcpu_add(c.vm, vm_load_guest(c.vm, "pf_matrix"));
	vcpu_set_args(vcpu, 2, (u64)acc, TEST_VA);
	if (mem == MEM_UFFD) {
		setup_uffd(&c);
		if (pthread_create(&reader, NULL, uffd_reader, &c))
			die("pthread_create");
	}
	run_cell(&c, vcpu);
	c.done = true;
	if (mem == MEM_UFFD) {
		pthread_join(reader, NULL);
		printf("  userfaults: %d\n", c.uffd_faults);
		close(c.uffd);
	}
	if (mem == MEM_DIRTY_LOG)
		print_dirty(&c);
	if (mem == MEM_PLAIN || mem == MEM_DIRTY_LOG || mem == MEM_UFFD) {
		u64 v;

		memcpy(&v, c.test, sizeof(v));
		printf("  test page: %#llx\n", (unsigned long long)v);
	}
	vm_destroy(c.vm);
	if (c.test)
		munmap(c.test, TEST_SIZE);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "absent")) {
		run_one(ACC_READ, MEM_ABSENT);
		return 0;
	}
	for (int acc = 0; acc < NR_ACC; acc++)
		for (int mem = 0; mem < NR_MEM; mem++)
			run_one(acc, mem);
	return 0;
}
