// SPDX-License-Identifier: MIT
/*
 * kvmsim step: the run, one event at a time, for a workshop.  Every event
 * is narrated (on stderr, as --explain does); where the stepper stops it
 * reads commands from the control fd kvmsim passes (its own stdin: a
 * terminal, or a pipe a test writes to):
 *
 *   n, next, (empty)   the next event
 *   c [NAME]           continue to the next event whose name contains NAME
 *                      (to the end without NAME; at the end of input too)
 *   regs               the registers of the event's vCPU
 *   run                its kvm_run: exit reason and what the union holds
 *   spte [GPA]         the stage-2 entry of GPA (default: the event's gpa)
 *   walk [GVA]         the guest's stage-1 walk for GVA (default: the
 *                      event's gva/va, else the vCPU's RIP/PC), entry by
 *                      entry, as the tables are now
 *   help, q            these commands; quit (exit status 0)
 *
 * It reads the model's state only (the same ioctls a VMM would call, the
 * stage-2 table lookup): stepping changes nothing about the run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm-model/explain.h"
#include "kvm-model/kvm_arch.h"
#include "kvm-model/kvm_host.h"
#include "kvm-model/observe.h"
#include "kvmsim/arm64_uapi.h"
#include "mmu-model/arm64_walk.h"
#include "mmu-model/tdp.h"
#include "mmu-model/x86_walk.h"
#include "sim/sim.h"

static FILE *ctl;
static bool free_running;
static char until[64];

struct find_vcpu {
	const char *name;
	struct kvm_vcpu *vcpu;
};

static int match_vcpu(struct kvm *kvm, void *opaque)
{
	struct find_vcpu *f = opaque;

	for (int i = 0; i < kvm->nr_vcpus; i++)
		if (!strcmp(kvm->vcpus[i]->name, f->name))
			f->vcpu = kvm->vcpus[i];
	return 0;
}

static struct kvm_vcpu *vcpu_of(const struct sim_ev *ev)
{
	struct find_vcpu f = { sim_ev_actor(ev), NULL };

	kvm_for_each_vm(match_vcpu, &f);
	if (!f.vcpu)
		fprintf(stderr, "(%s is not a vCPU)\n", sim_ev_actor(ev));
	return f.vcpu;
}

static uint64_t arm64_one_reg(struct kvm_vcpu *vcpu, uint64_t id)
{
	uint64_t v = 0;
	struct { uint64_t id, addr; } reg = { id, (uintptr_t)&v };

	kvm_arch()->vcpu_ioctl(vcpu, KVM_GET_ONE_REG, (unsigned long)&reg);
	return v;
}

static void show_regs(struct kvm_vcpu *vcpu)
{
	if (!strcmp(kvm_arch()->name, "arm64")) {
		fprintf(stderr, "pc 0x%" PRIx64 "  sp 0x%" PRIx64 "  x0 0x%" PRIx64 "  x1 0x%" PRIx64
			"  pstate 0x%" PRIx64 "\nsctlr_el1 0x%" PRIx64 "  ttbr0_el1 0x%" PRIx64
			"  esr_el1 0x%" PRIx64 "  far_el1 0x%" PRIx64 "\n",
			arm64_one_reg(vcpu, KVMSIM_ARM64_CORE_REG(pc)),
			arm64_one_reg(vcpu, KVMSIM_ARM64_CORE_REG(sp)),
			arm64_one_reg(vcpu, KVMSIM_ARM64_CORE_REG(regs[0])),
			arm64_one_reg(vcpu, KVMSIM_ARM64_CORE_REG(regs[1])),
			arm64_one_reg(vcpu, KVMSIM_ARM64_CORE_REG(pstate)),
			arm64_one_reg(vcpu, KVMSIM_REG_SCTLR_EL1),
			arm64_one_reg(vcpu, KVMSIM_REG_TTBR0_EL1),
			arm64_one_reg(vcpu, KVMSIM_REG_ESR_EL1),
			arm64_one_reg(vcpu, KVMSIM_REG_FAR_EL1));
		return;
	}
	struct kvm_regs r;
	struct kvm_sregs s;

	if (kvm_arch()->vcpu_ioctl(vcpu, KVM_GET_REGS, (unsigned long)&r) ||
	    kvm_arch()->vcpu_ioctl(vcpu, KVM_GET_SREGS, (unsigned long)&s)) {
		fprintf(stderr, "(registers unavailable)\n");
		return;
	}
	fprintf(stderr, "rip 0x%llx  rsp 0x%llx  rflags 0x%llx\n"
		"rax 0x%llx  rbx 0x%llx  rcx 0x%llx  rdx 0x%llx  rsi 0x%llx  rdi 0x%llx\n"
		"cr0 0x%llx  cr2 0x%llx  cr3 0x%llx  cr4 0x%llx  efer 0x%llx\n",
		r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi,
		s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
}

static void show_run(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	fprintf(stderr, "exit_reason %u (KVM_EXIT_%s)", run->exit_reason,
		kvm_exit_reason_name(run->exit_reason));
	if (run->exit_reason == KVM_EXIT_MMIO)
		fprintf(stderr, "  mmio.phys_addr 0x%llx len %u is_write %u",
			run->mmio.phys_addr, run->mmio.len, run->mmio.is_write);
	else if (run->exit_reason == KVM_EXIT_IO)
		fprintf(stderr, "  io.port 0x%x size %u direction %u", run->io.port, run->io.size,
			run->io.direction);
	fprintf(stderr, "\n");
}

static void show_spte(const struct sim_ev *ev, struct kvm_vcpu *vcpu, const char *arg)
{
	const struct sim_ev_field *f = sim_ev_find(ev, "gpa");
	struct tdp_leaf leaf;
	uint64_t gpa;
	char *end;

	if (!f)
		f = sim_ev_find(ev, "ipa");
	if (*arg) {
		gpa = strtoull(arg, &end, 0);
		if (*end) {
			fprintf(stderr, "spte: %s is not an address\n", arg);
			return;
		}
	} else if (f && f->kind == SIM_EV_HEX) {
		gpa = f->u;
	} else {
		fprintf(stderr, "spte: this event has no gpa; spte GPA\n");
		return;
	}
	if (!tdp_lookup(vcpu->kvm->tdp, gpa >> 12, &leaf)) {
		fprintf(stderr, "gpa 0x%" PRIx64 ": no stage-2 entry\n", gpa);
		return;
	}
	fprintf(stderr, "gpa 0x%" PRIx64 ": level %d (%s) from gfn 0x%" PRIx64 ", %s%s\n", gpa,
		leaf.level, leaf.level == 1 ? "4K" : leaf.level == 2 ? "2M" : "1G", leaf.gfn_base,
		leaf.flags & TDP_SPTE_WRITABLE ? "writable" : "read-only",
		leaf.flags & TDP_SPTE_EXEC ? ", executable" : "");
}

/*
 * The stepper's walk reads the tables only where stage 2 maps them (the
 * host page is there): reading a page that is not would fault it in,
 * or block on a userfaultfd, and stepping must change nothing.
 */
static int table_read(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t *val, int size)
{
	struct tdp_leaf leaf;
	uint64_t gfn = gpa >> 12;

	if (!tdp_lookup(vcpu->kvm->tdp, gfn, &leaf)) {
		fprintf(stderr, "  table page 0x%" PRIx64 " is not in stage 2 yet: the walk "
			"takes a stage-2 fault here\n", gpa & ~(uint64_t)0xfff);
		return -1;
	}
	*val = 0;
	memcpy(val, (const void *)(uintptr_t)(tdp_leaf_host(&leaf, gfn) + (gpa & 0xfff)), size);
	return 0;
}

static int x86_table_read(void *opaque, uint64_t gpa, uint64_t *val, int size)
{
	return table_read(opaque, gpa, val, size);
}

static int arm64_table_read(void *opaque, uint64_t ipa, uint64_t *val)
{
	return table_read(opaque, ipa, val, 8);
}

static void x86_walk_entry(void *opaque, enum x86_walk_note what, uint64_t gpa, uint64_t pte,
			   int level)
{
	fprintf(stderr, "  level %d  entry at gpa 0x%" PRIx64 ": 0x%" PRIx64, level, gpa, pte);
	kvmsim_explain_describe(stderr, "x86", pte, level);
	fputc('\n', stderr);
}

static void arm64_walk_entry(void *opaque, int level, uint64_t ipa, uint64_t desc)
{
	fprintf(stderr, "  level %d  descriptor at ipa 0x%" PRIx64 ": 0x%" PRIx64, level, ipa, desc);
	kvmsim_explain_describe(stderr, "arm64", desc, level);
	fputc('\n', stderr);
}

static void x86_show_walk(struct kvm_vcpu *vcpu, uint64_t gva)
{
	struct x86_walk_ctx ctx = { .read_pte = x86_table_read, .opaque = vcpu,
				    .note = x86_walk_entry, .maxphyaddr = 46 };
	struct x86_walk_result res;
	struct kvm_sregs s;

	if (kvm_arch()->vcpu_ioctl(vcpu, KVM_GET_SREGS, (unsigned long)&s)) {
		fprintf(stderr, "(registers unavailable)\n");
		return;
	}
	if (!(s.cr0 & (1u << 31))) {
		fprintf(stderr, "paging is off (CR0.PG clear): gva 0x%" PRIx64 " is gpa 0x%" PRIx64
			"\n", gva, gva);
		return;
	}
	ctx.mode = s.efer & (1u << 10) ? X86_PAGING_4LEVEL :
		   s.cr4 & (1u << 5) ? X86_PAGING_PAE : X86_PAGING_32;
	ctx.cr3 = s.cr3;
	ctx.cr0_wp = s.cr0 & (1u << 16);
	ctx.cr4_pse = s.cr4 & (1u << 4);
	ctx.cr4_smep = s.cr4 & (1u << 20);
	ctx.cr4_smap = s.cr4 & (1u << 21);
	ctx.efer_nxe = s.efer & (1u << 11);
	fprintf(stderr, "walk of gva 0x%" PRIx64 " from cr3 0x%llx:\n", gva, s.cr3);
	/* no write_pte: an inspection, no A/D bit is set */
	switch (x86_walk_addr(&ctx, gva, 0, &res)) {
	case X86_WALK_OK:
		fprintf(stderr, "  -> gpa 0x%" PRIx64 " (%s page)\n", res.gpa,
			res.page_size == 1ull << 30 ? "1G" : res.page_size == 1ull << 22 ? "4M" :
			res.page_size == 1ull << 21 ? "2M" : "4K");
		break;
	case X86_WALK_PAGE_FAULT:
		fprintf(stderr, "  -> #PF, error code 0x%x at level %d\n", res.error_code, res.level);
		break;
	default:
		break;
	}
}

static void arm64_show_walk(struct kvm_vcpu *vcpu, uint64_t va)
{
	struct arm64_walk_ctx ctx = {
		.sctlr = arm64_one_reg(vcpu, KVMSIM_REG_SCTLR_EL1),
		.tcr = arm64_one_reg(vcpu, KVMSIM_REG_TCR_EL1),
		.ttbr0 = arm64_one_reg(vcpu, KVMSIM_REG_TTBR0_EL1),
		.ttbr1 = arm64_one_reg(vcpu, KVMSIM_REG_TTBR1_EL1),
		.read_desc = arm64_table_read, .opaque = vcpu, .note = arm64_walk_entry,
	};
	struct arm64_walk_result res;

	fprintf(stderr, "walk of va 0x%" PRIx64 " from ttbr%d_el1 0x%" PRIx64 ":\n", va,
		(int)(va >> 55 & 1), va >> 55 & 1 ? ctx.ttbr1 : ctx.ttbr0);
	switch (arm64_walk(&ctx, va, 0, &res)) {
	case ARM64_WALK_OK:
		if (res.mmu_off)
			fprintf(stderr, "  stage 1 is off (SCTLR_EL1.M clear)\n");
		fprintf(stderr, "  -> ipa 0x%" PRIx64 " (%s)\n", res.ipa,
			res.size == 1ull << 30 ? "1G block" : res.size == 1ull << 21 ? "2M block" :
			"4K page");
		break;
	case ARM64_WALK_FAULT:
		fprintf(stderr, "  -> stage-1 fault, fsc 0x%x at level %d\n", res.fsc, res.level);
		break;
	default:
		break;
	}
}

static void show_walk(const struct sim_ev *ev, struct kvm_vcpu *vcpu, const char *arg)
{
	const struct sim_ev_field *f = sim_ev_find(ev, "gva");
	bool arm64 = !strcmp(kvm_arch()->name, "arm64");
	uint64_t va;
	char *end;

	if (!f)
		f = sim_ev_find(ev, "va");
	if (*arg) {
		va = strtoull(arg, &end, 0);
		if (*end) {
			fprintf(stderr, "walk: %s is not an address\n", arg);
			return;
		}
	} else if (f && f->kind == SIM_EV_HEX) {
		va = f->u;
	} else if (arm64) {
		va = arm64_one_reg(vcpu, KVMSIM_ARM64_CORE_REG(pc));
	} else {
		struct kvm_regs r;

		if (kvm_arch()->vcpu_ioctl(vcpu, KVM_GET_REGS, (unsigned long)&r)) {
			fprintf(stderr, "(registers unavailable)\n");
			return;
		}
		va = r.rip;
	}
	if (arm64)
		arm64_show_walk(vcpu, va);
	else
		x86_show_walk(vcpu, va);
}

static void help(void)
{
	fprintf(stderr, "n: next event  c [NAME]: continue (to an event named *NAME*)  regs  run  "
		"spte [GPA]  walk [GVA]  q: quit\n");
}

/* Commands until one moves on; false: input ended (run to the end). */
static bool command_loop(const struct sim_ev *ev)
{
	char line[256];

	for (;;) {
		struct kvm_vcpu *vcpu;
		char *arg;

		fputs("(kvmsim) ", stderr);
		fflush(stderr);
		if (!fgets(line, sizeof(line), ctl))
			return false;
		line[strcspn(line, "\n")] = 0;
		arg = line + strcspn(line, " ");
		if (*arg)
			*arg++ = 0;
		if (!line[0] || !strcmp(line, "n") || !strcmp(line, "next"))
			return true;
		if (!strcmp(line, "c")) {
			snprintf(until, sizeof(until), "%s", arg);
			free_running = !*arg;
			return true;
		}
		if (!strcmp(line, "q")) {
			fflush(NULL);
			_exit(0);
		}
		if (!strcmp(line, "help")) {
			help();
			continue;
		}
		if (strcmp(line, "regs") && strcmp(line, "run") && strcmp(line, "spte") &&
		    strcmp(line, "walk")) {
			fprintf(stderr, "unknown command '%s'; ", line);
			help();
			continue;
		}
		vcpu = vcpu_of(ev);
		if (!vcpu)
			continue;
		if (!strcmp(line, "regs"))
			show_regs(vcpu);
		else if (!strcmp(line, "run"))
			show_run(vcpu);
		else if (!strcmp(line, "walk"))
			show_walk(ev, vcpu, arg);
		else
			show_spte(ev, vcpu, arg);
	}
}

static void step_event(const struct sim_ev *ev, void *opaque)
{
	kvmsim_explain_print(stderr, ev);
	if (free_running || (until[0] && !strstr(sim_ev_name(ev), until)))
		return;
	until[0] = 0;
	if (!command_loop(ev))
		free_running = true;
}

int kvmsim_step_start(int fd)
{
	ctl = fdopen(fd, "r");
	if (!ctl)
		return -errno;
	sim_trace_set_sink(step_event, NULL);
	return 0;
}
