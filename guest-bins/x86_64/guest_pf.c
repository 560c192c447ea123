// SPDX-License-Identifier: MIT
/*
 * guest_pf: the guest's own #PF handler at work.  Nothing here reaches
 * the VMM as a fault: the CPU (or the simulator's stage-1 walk) delivers
 * #PF through the guest IDT, the handler reports CR2 and the error code
 * with a ucall and repairs or skips.
 *
 * Arguments (set by the VMM):
 *   RDI  GVA whose 4K PTE exists but is not present
 *   RSI  GPA the handler should map there
 *   RDX  GVA mapped present but read-only (CR0.WP is set)
 *   RCX  GVA with no PML4 entry at all
 *
 * Expected faults, in order:
 *   write to RDI -> error 0x2 (not present, write): map it, retry
 *   write to RDX -> error 0x3 (protection, write):  set RW, retry
 *   read of RCX  -> error 0x0 (not present, read):  skip the instruction
 */
#include "guest.h"

enum pf_action {
	PF_UNEXPECTED,	/* any fault now is a bug: abort */
	PF_MAP,		/* make the PTE present, pointing at map_gpa */
	PF_MAKE_WRITABLE,
	PF_SKIP,	/* resume at skip_rip */
};

static volatile enum pf_action pf_action;
static volatile u64 pf_map_gpa;
static volatile u64 pf_skip_rip;
static volatile unsigned int pf_count;

/* Walk our own 4-level tables (identity mapped) down to the 4K PTE. */
static volatile u64 *guest_pte(u64 gva)
{
	u64 table = read_cr3() & PTE_ADDR_MASK;

	for (int level = 4; level > 1; level--) {
		unsigned int idx = (gva >> (12 + 9 * (level - 1))) & 511;
		u64 e = ((volatile u64 *)table)[idx];

		GUEST_ASSERT(e & PTE_P);
		GUEST_ASSERT(!(e & PTE_PS));
		table = e & PTE_ADDR_MASK;
	}
	return &((volatile u64 *)table)[(gva >> 12) & 511];
}

static void pf_handler(struct ex_frame *f)
{
	u64 cr2 = read_cr2();
	enum pf_action action = pf_action;
	volatile u64 *pte;

	pf_count++;
	pf_action = PF_UNEXPECTED;	/* a second fault on the retry aborts */
	guest_printf("guest: #PF cr2=0x%lx error=0x%lx (%s, %s)\n", cr2,
		     f->error_code,
		     f->error_code & PF_ERR_P ? "protection" : "not present",
		     f->error_code & PF_ERR_W ? "write" : "read");

	switch (action) {
	case PF_MAP:
		pte = guest_pte(cr2);
		GUEST_ASSERT(!(*pte & PTE_P));
		*pte = pf_map_gpa | PTE_P | PTE_RW;
		invlpg(cr2);
		break;
	case PF_MAKE_WRITABLE:
		pte = guest_pte(cr2);
		GUEST_ASSERT(*pte & PTE_P);
		*pte |= PTE_RW;
		invlpg(cr2);
		break;
	case PF_SKIP:
		f->rip = pf_skip_rip;
		break;
	default:
		guest_abort(__FILE_NAME__, __LINE__,
			    "unexpected #PF at rip 0x%lx cr2 0x%lx error 0x%lx",
			    f->rip, cr2, f->error_code);
	}
}

static void write64(u64 gva, u64 v)
{
	asm volatile("movq %1, (%0)" : : "r"(gva), "r"(v) : "memory");
}

static u64 read64(u64 gva)
{
	u64 v;

	asm volatile("movq (%1), %0" : "=r"(v) : "r"(gva) : "memory");
	return v;
}

/*
 * Read a qword; if it faults the handler resumes at label 1, leaving the
 * destination register with its initial value.  The resume address is
 * published before the access.
 */
static u64 read64_or_skip(u64 gva, u64 dflt)
{
	u64 v = dflt;

	asm volatile("lea 1f(%%rip), %%rax\n\t"
		     "movq %%rax, %[skip]\n\t"
		     "movq (%[addr]), %[v]\n"
		     "1:"
		     : [v] "+r"(v), [skip] "=m"(pf_skip_rip)
		     : [addr] "r"(gva)
		     : "rax", "memory");
	return v;
}

static void not_present_write(u64 gva, u64 gpa)
{
	pf_map_gpa = gpa;
	pf_action = PF_MAP;
	write64(gva, 0x1111222233334444ull);
	GUEST_ASSERT_EQ(pf_count, 1);
	guest_printf("guest: 0x%lx now maps gpa 0x%lx: +0 = 0x%lx, +8 = 0x%lx\n",
		     gva, gpa, read64(gva), read64(gva + 8));
}

static void read_only_write(u64 gva)
{
	guest_printf("guest: read-only 0x%lx reads 0x%lx\n", gva, read64(gva));
	pf_action = PF_MAKE_WRITABLE;
	write64(gva, 0x5555666677778888ull);
	GUEST_ASSERT_EQ(pf_count, 2);
	guest_printf("guest: 0x%lx writable now: 0x%lx\n", gva, read64(gva));
}

static void unmapped_read(u64 gva)
{
	u64 v;

	pf_action = PF_SKIP;
	v = read64_or_skip(gva, 0x5c1bbed);
	GUEST_ASSERT_EQ(pf_count, 3);
	guest_printf("guest: read of 0x%lx skipped, value kept 0x%lx\n", gva, v);
}

void guest_main(u64 np_gva, u64 np_gpa, u64 ro_gva, u64 unmapped_gva,
		u64 a4, u64 a5)
{
	guest_install_handler(VEC_PF, pf_handler);
	not_present_write(np_gva, np_gpa);
	read_only_write(ro_gva);
	unmapped_read(unmapped_gva);
	guest_printf("guest: %u page faults handled\n", pf_count);
}
