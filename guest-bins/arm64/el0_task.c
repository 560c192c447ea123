// SPDX-License-Identifier: MIT
/*
 * el0_task (arm64): a small kernel at EL1 that runs one task at EL0 and
 * demand-pages it, as an OS would.  The VMM gives the level-3 table of a
 * 2M user window (every entry invalid), the window's VA and the IPAs of
 * the task's data and stack pages (both in a userfaultfd slot).
 *
 * The kernel maps the stack and erets to the window's first page, which
 * is not mapped: an EL0 instruction abort, the kernel maps its code there
 * (read-only, EL0-executable) and returns.  The task then pushes on its
 * stack (a stage-2 fault from EL0: a userfault, write), makes a system
 * call (svc), reads its data page (an EL0 data abort: the kernel maps it,
 * then a stage-2 fault: a userfault, read), writes back what it read plus
 * one, tries a store to its own code (a permission fault the kernel skips),
 * an EL1 register (undefined at EL0) and a kernel address (a permission
 * fault), reports what it saw with a second svc and exits with a third.
 * The kernel prints each exception with its ESR_EL1/FAR_EL1 and the EL
 * it runs at.
 */
#include "guest.h"

#define EC_UNKNOWN	0x00
#define EC_SVC64	0x15
#define EC_IABT_LOW	0x20
#define EC_DABT_LOW	0x24
#define ESR_EC(esr)	((esr) >> 26)
#define ESR_FSC_TYPE(esr) ((esr) & 0x3c)
#define FSC_TRANS	0x04
#define FSC_PERM	0x0c

#define PTE_PAGE	(3ull << 0)	/* valid, page */
#define PTE_AP_EL0	(1ull << 6)
#define PTE_AP_RO	(1ull << 7)
#define PTE_SH_INNER	(3ull << 8)
#define PTE_AF		(1ull << 10)
#define PTE_PXN		(1ull << 53)
#define PTE_UXN		(1ull << 54)
#define PTE_USER	(PTE_PAGE | PTE_AP_EL0 | PTE_SH_INNER | PTE_AF | PTE_PXN)
#define PTE_USER_CODE	(PTE_USER | PTE_AP_RO)
#define PTE_USER_DATA	(PTE_USER | PTE_UXN)

/* the window: code page, stack page, data page */
#define USER_CODE	0x0000
#define USER_STACK	0x1000
#define USER_DATA	0x2000

/* a kernel address the task may not touch: the image's first code */
#define KERNEL_VA	0x400008ull

enum { SYS_report = 64, SYS_exit = 93, SYS_getpid = 172 };

/*
 * The task, position independent (it runs at the window's VA): x0 = its
 * data page, x1 = its code page, x2 = a kernel address.
 */
asm(".text\n"
    ".balign 4096\n"
    "user_code:\n"
    "	stp	x0, x1, [sp, #-16]!\n"	/* the stack page: a userfault, write */
    "	mov	x8, #172\n"		/* getpid */
    "	svc	#0\n"
    "	mov	x20, x0\n"
    "	ldp	x0, x1, [sp], #16\n"
    "	mov	x19, x0\n"
    "	ldr	x21, [x19]\n"		/* EL0 data abort, then a userfault, read */
    "	add	x22, x21, #1\n"
    "	str	x22, [x19, #8]\n"
    "	ldr	x23, [x19, #8]\n"
    "	str	x22, [x1, #0x10]\n"	/* its own code: permission fault */
    "	mrs	x24, sctlr_el1\n"	/* undefined at EL0 */
    "	ldr	x25, [x2]\n"		/* kernel memory: permission fault */
    "	mov	x0, x20\n"
    "	mov	x1, x21\n"
    "	mov	x2, x23\n"
    "	mov	x8, #64\n"		/* report */
    "	svc	#0\n"
    "	mov	x0, #0\n"
    "	mov	x8, #93\n"		/* exit */
    "	svc	#1\n"
    "	b	.\n"
    ".balign 4096\n");

extern const char user_code[];

static volatile u64 *user_l3;
static u64 user_va, data_ipa, stack_ipa;

static u64 current_el(void)
{
	return read_sysreg(CurrentEL) >> 2;
}

/* Install a level-3 entry of the window and drop stale translations. */
static void map_user(u64 off, u64 ipa, u64 attrs)
{
	user_l3[off >> 12] = ipa | attrs;
	asm volatile("dsb ishst\n\ttlbi vmalle1is\n\tdsb ish\n\tisb" : : : "memory");
}

static void iabt_low(struct ex_regs *regs)
{
	guest_printf("EL0 instruction abort: ESR_EL1 0x%lx FAR_EL1 0x%lx, kernel at EL%lu\n",
		     regs->esr, regs->far, current_el());
	GUEST_ASSERT(ESR_FSC_TYPE(regs->esr) == FSC_TRANS && regs->far == user_va + USER_CODE);
	map_user(USER_CODE, (u64)user_code, PTE_USER_CODE);
}

static void dabt_low(struct ex_regs *regs)
{
	guest_printf("EL0 data abort: ESR_EL1 0x%lx FAR_EL1 0x%lx\n", regs->esr, regs->far);
	if (ESR_FSC_TYPE(regs->esr) == FSC_TRANS && regs->far == user_va + USER_DATA) {
		map_user(USER_DATA, data_ipa, PTE_USER_DATA);
		return;
	}
	/* a permission fault: the task gets nothing, the access is skipped */
	GUEST_ASSERT(ESR_FSC_TYPE(regs->esr) == FSC_PERM);
	regs->elr += 4;
}

static void undef_low(struct ex_regs *regs)
{
	GUEST_ASSERT((regs->spsr & 0xf) == 0);	/* from EL0t, not the kernel's own */
	guest_printf("EL0 undefined instruction: ESR_EL1 0x%lx ELR_EL1 0x%lx\n",
		     regs->esr, regs->elr);
	regs->elr += 4;
}

static void svc_low(struct ex_regs *regs)
{
	u64 nr = regs->regs[8];

	guest_printf("svc #%lu from EL0 (SPSR_EL1 0x%lx): ESR_EL1 0x%lx, syscall %lu\n",
		     regs->esr & 0xffff, regs->spsr, regs->esr, nr);
	switch (nr) {
	case SYS_getpid:
		regs->regs[0] = 42;
		return;
	case SYS_report:
		guest_printf("task: pid %lu, read 0x%lx from its data page, read back 0x%lx\n",
			     regs->regs[0], regs->regs[1], regs->regs[2]);
		return;
	case SYS_exit:
		guest_printf("task exited with %lu\n", regs->regs[0]);
		GUEST_DONE();
	}
	GUEST_ASSERT(0);
}

static void __attribute__((noreturn)) enter_el0(u64 pc, u64 sp, u64 a0, u64 a1, u64 a2)
{
	register u64 x0 asm("x0") = a0;
	register u64 x1 asm("x1") = a1;
	register u64 x2 asm("x2") = a2;

	asm volatile("msr sp_el0, %3\n\t"
		     "msr elr_el1, %4\n\t"
		     "msr spsr_el1, xzr\n\t"	/* EL0t, nothing masked */
		     "eret"
		     : : "r"(x0), "r"(x1), "r"(x2), "r"(sp), "r"(pc) : "memory");
	__builtin_unreachable();
}

void guest_main(u64 l3_table, u64 window, u64 data, u64 stack, u64 a4, u64 a5)
{
	user_l3 = (volatile u64 *)l3_table;
	user_va = window;
	data_ipa = data;
	stack_ipa = stack;
	guest_install_handler(EC_IABT_LOW, iabt_low);
	guest_install_handler(EC_DABT_LOW, dabt_low);
	guest_install_handler(EC_UNKNOWN, undef_low);
	guest_install_handler(EC_SVC64, svc_low);
	map_user(USER_STACK, stack_ipa, PTE_USER_DATA);
	guest_printf("kernel at EL%lu: entering EL0 at 0x%lx\n", current_el(), user_va + USER_CODE);
	enter_el0(user_va + USER_CODE, user_va + USER_STACK + 4096, user_va + USER_DATA,
		  user_va + USER_CODE, KERNEL_VA);
}
