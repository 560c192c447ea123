// SPDX-License-Identifier: MIT
/*
 * vmm-dirty-log: KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG and
 * KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 on a 128-page logged slot.
 *
 * Checks: the pages the guest writes (and only those: reads are not
 * logged) appear in the log of the phase that wrote them; without manual
 * protect a get clears the log and re-protects, so a page written again
 * after a get is logged again; page-table pages in the logged slot are
 * logged when the walk sets their A/D bits; a `rep stosb` over ten pages
 * logs all ten; with manual protect (+ INITIALLY_SET) the log starts full,
 * gets do not clear it, a clear re-protects exactly the cleared pages;
 * turning logging off and on starts a fresh log; the errnos of bad slots,
 * bad bitmaps, misaligned clears and bad capability arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define DATA_GPA	0x400000
#define DATA_PAGES	128
#define DATA_SIZE	(DATA_PAGES * 0x1000)
#define DATA_SLOT	1

extern const char guest_dirty_start[], guest_dirty_end[];

static char *ram, *data;

static void print_bitmap(const char *what, const uint64_t *bm)
{
	int n = 0;

	printf("%s:", what);
	for (int i = 0; i < DATA_PAGES; i++) {
		if (bm[i / 64] & (1ull << (i % 64))) {
			printf(" %d", i);
			n++;
		}
	}
	printf(" (%d pages)\n", n);
}

static int get_log(struct vmm *v, uint32_t slot, uint64_t *bm)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bm };
	int r;

	memset(bm, 0, DATA_PAGES / 8);
	r = ioctl(v->vm_fd, KVM_GET_DIRTY_LOG, &log);
	return r < 0 ? -errno : r;
}

static void show_log(struct vmm *v, const char *what)
{
	uint64_t bm[DATA_PAGES / 64];
	int r = get_log(v, DATA_SLOT, bm);

	if (r)
		printf("%s: KVM_GET_DIRTY_LOG errno=%s\n", what, errno_name(-r));
	else
		print_bitmap(what, bm);
}

static int clear_log(struct vmm *v, uint32_t slot, uint64_t first, uint32_t num,
		     void *bm)
{
	struct kvm_clear_dirty_log c = {
		.slot = slot, .num_pages = num, .first_page = first, .dirty_bitmap = bm,
	};

	return ioctl(v->vm_fd, KVM_CLEAR_DIRTY_LOG, &c) < 0 ? -errno : 0;
}

static void show_clear(struct vmm *v, uint64_t first, uint32_t num)
{
	uint64_t ones[DATA_PAGES / 64];
	int r;

	memset(ones, 0xff, sizeof(ones));
	r = clear_log(v, DATA_SLOT, first, num, ones);
	printf("clear first=%llu num=%u: %s\n", (unsigned long long)first, num,
	       errno_name(-r));
}

/* Run to the next `out $0x10` (the end of a phase) or hlt. */
static void run_phase(struct vmm *v, int phase)
{
	int r = ioctl(v->vcpu_fd, KVM_RUN, 0);

	if (r < 0)
		fatal("phase %d: KVM_RUN errno=%s", phase, errno_name(errno));
	if (v->run->exit_reason == KVM_EXIT_IO && v->run->io.port == 0x10)
		return;
	if (v->run->exit_reason == KVM_EXIT_HLT)
		return;
	fatal("phase %d: exit %s", phase, exit_reason_name(v->run->exit_reason));
}

/* PDPT[1] -> PD in data page 10 -> PT in page 11 -> pages 20, 21; A/D clear. */
static void setup_high_mapping(void)
{
	uint64_t *pdpt = (uint64_t *)(ram + PT_GPA + 0x1000);
	uint64_t *pd = (uint64_t *)(data + 10 * 0x1000);
	uint64_t *pt = (uint64_t *)(data + 11 * 0x1000);

	pdpt[1] = (DATA_GPA + 10 * 0x1000) | PTE_P | PTE_RW | PTE_A;
	pd[0] = (DATA_GPA + 11 * 0x1000) | PTE_P | PTE_RW;
	pt[0] = (DATA_GPA + 20 * 0x1000) | PTE_P | PTE_RW;
	pt[1] = (DATA_GPA + 21 * 0x1000) | PTE_P | PTE_RW;
}

static void setup(struct vmm *v)
{
	memset(ram, 0, RAM_SIZE);
	memset(data, 0x11, DATA_SIZE);
	vmm_set_slot(v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_dirty_start, guest_dirty_end);
	vmm_setup_long_mode(v, ram, PT_GPA, GDT_GPA);
	setup_high_mapping();
	vmm_set_regs(v, CODE_GPA, STACK_TOP);
}

static int enable_manual(struct vmm *v, uint64_t flags, uint32_t cap_flags)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .flags = cap_flags,
		.args = { flags },
	};

	return ioctl(v->vm_fd, KVM_ENABLE_CAP, &cap) < 0 ? -errno : 0;
}

static void test_get_clears(struct vmm *v)
{
	static const char *const names[] = {
		"phase 1 (write 0 1 5 64 127)", "phase 2 (write 1 2)",
		"phase 3 (read 3 4)", "phase 4 (nothing)",
		"phase 5 (read via PTs in 10 11)", "phase 6 (write 21 via PTs)",
		"phase 7 (rep stosb 30..39)",
	};

	printf("## KVM_GET_DIRTY_LOG clears and re-protects\n");
	setup(v);
	vmm_set_slot(v, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, DATA_SIZE, data);
	show_log(v, "before running");
	for (int p = 0; p < 7; p++) {
		run_phase(v, p + 1);
		show_log(v, names[p]);
	}
	run_phase(v, 8);
	printf("exit %s\n", exit_reason_name(v->run->exit_reason));
	printf("pd[0]=%#llx pt[0]=%#llx pt[1]=%#llx\n",
	       (unsigned long long)*(uint64_t *)(data + 10 * 0x1000),
	       (unsigned long long)*(uint64_t *)(data + 11 * 0x1000),
	       (unsigned long long)*(uint64_t *)(data + 11 * 0x1000 + 8));
	vmm_print_mem("data", data, DATA_SIZE);

	/* logging off: no log; on again: a fresh, empty one */
	vmm_set_slot(v, DATA_SLOT, 0, DATA_GPA, DATA_SIZE, data);
	show_log(v, "logging off");
	vmm_set_slot(v, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, DATA_SIZE, data);
	show_log(v, "logging on again");
}

static void test_manual(struct vmm *v)
{
	printf("## manual protect with INITIALLY_SET\n");
	printf("enable ENABLE|INITIALLY_SET: %s\n", errno_name(-enable_manual(v, 3, 0)));
	setup(v);
	vmm_set_slot(v, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, DATA_SIZE, data);
	show_log(v, "initially");
	show_clear(v, 0, DATA_PAGES);
	show_log(v, "after clearing all");
	run_phase(v, 1);
	show_log(v, "phase 1");
	show_log(v, "phase 1, second get");
	show_clear(v, 0, 64);
	show_log(v, "after clearing 0..63");
	run_phase(v, 2);
	show_log(v, "phase 2 (1 cleared and rewritten, 2 new)");
	show_clear(v, 64, 64);
	run_phase(v, 3);
	run_phase(v, 4);
	show_log(v, "phases 3-4, 64..127 cleared");
	run_phase(v, 5);
	run_phase(v, 6);
	show_log(v, "phases 5-6");
	show_clear(v, 0, DATA_PAGES);
	run_phase(v, 7);
	show_log(v, "phase 7");
}

static void errno_line(const char *what, int r)
{
	printf("%s: %s\n", what, errno_name(-r));
}

static void test_errnos(struct vmm *v)
{
	uint64_t bm[DATA_PAGES / 64], ones[DATA_PAGES / 64];
	struct kvm_dirty_log log = { .slot = DATA_SLOT, .dirty_bitmap = (void *)8 };
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 };

	printf("## errnos\n");
	memset(ones, 0xff, sizeof(ones));
	printf("KVM_CHECK_EXTENSION(MANUAL_DIRTY_LOG_PROTECT2) = %d\n",
	       ioctl(v->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2));
	vmm_set_slot(v, 0, 0, 0, RAM_SIZE, ram);
	vmm_set_slot(v, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES, DATA_GPA, DATA_SIZE, data);
	errno_line("get, slot without logging", get_log(v, 0, bm));
	errno_line("get, no such slot", get_log(v, 7, bm));
	errno_line("get, slot id 32764", get_log(v, 32764, bm));
	errno_line("get, slot id 0x10001 (address space 1)", get_log(v, 0x10001, bm));
	errno_line("get, bitmap at 8",
		   ioctl(v->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0 ? -errno : 0);
	errno_line("get, struct at 8",
		   ioctl(v->vm_fd, KVM_GET_DIRTY_LOG, (void *)8) < 0 ? -errno : 0);
	errno_line("clear without manual protect", clear_log(v, DATA_SLOT, 0, 64, ones));
	errno_line("clear first_page 1", clear_log(v, DATA_SLOT, 1, 63, ones));
	errno_line("clear first_page 32", clear_log(v, DATA_SLOT, 32, 32, ones));
	errno_line("clear num_pages 3", clear_log(v, DATA_SLOT, 0, 3, ones));
	errno_line("clear num_pages 65", clear_log(v, DATA_SLOT, 0, 65, ones));
	errno_line("clear 64+63 (short of the end)", clear_log(v, DATA_SLOT, 64, 63, ones));
	errno_line("clear 64+64 (to the end)", clear_log(v, DATA_SLOT, 64, 64, ones));
	errno_line("clear 64+65 (past the end)", clear_log(v, DATA_SLOT, 64, 65, ones));
	errno_line("clear first_page 192", clear_log(v, DATA_SLOT, 192, 0, ones));
	errno_line("clear first_page 128 num 0", clear_log(v, DATA_SLOT, 128, 0, ones));
	errno_line("clear num_pages 0", clear_log(v, DATA_SLOT, 0, 0, ones));
	errno_line("clear slot without logging", clear_log(v, 0, 0, 64, ones));
	errno_line("clear no such slot", clear_log(v, 7, 0, 64, ones));
	errno_line("clear slot id 32764", clear_log(v, 32764, 0, 64, ones));
	errno_line("clear bitmap at 8", clear_log(v, DATA_SLOT, 0, 64, (void *)8));
	errno_line("clear struct at 8",
		   ioctl(v->vm_fd, KVM_CLEAR_DIRTY_LOG, (void *)8) < 0 ? -errno : 0);
	errno_line("enable INITIALLY_SET alone", enable_manual(v, 2, 0));
	errno_line("enable bit 2", enable_manual(v, 4, 0));
	errno_line("enable ENABLE|bit 2", enable_manual(v, 5, 0));
	errno_line("enable with cap.flags 1", enable_manual(v, 1, 1));
	errno_line("enable ENABLE", enable_manual(v, 1, 0));
	errno_line("enable 0 (off again)", enable_manual(v, 0, 0));
	cap.args[0] = 1;
	errno_line("enable, struct at 8",
		   ioctl(v->vm_fd, KVM_ENABLE_CAP, (void *)8) < 0 ? -errno : 0);
	errno_line("log flag on a KVM_MEM_READONLY slot",
		   ioctl(v->vm_fd, KVM_SET_USER_MEMORY_REGION,
			 &(struct kvm_userspace_memory_region){
				 .slot = 2, .flags = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY,
				 .guest_phys_addr = 0x800000, .memory_size = 0x1000,
				 .userspace_addr = (uintptr_t)ram }) < 0 ? -errno : 0);
	(void)cap;
}

int main(void)
{
	struct vmm v;

	printf("# vmm-dirty-log\n");
	ram = vmm_alloc(RAM_SIZE);
	data = vmm_alloc(DATA_SIZE);
	vmm_open(&v);
	test_get_clears(&v);
	vmm_destroy_vm(&v);
	vmm_create_vm(&v);
	test_manual(&v);
	vmm_destroy_vm(&v);
	vmm_create_vm(&v);
	test_errnos(&v);
	vmm_close(&v);
	return 0;
}
