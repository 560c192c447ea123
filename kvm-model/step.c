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
#include "mmu-model/tdp.h"
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

static void help(void)
{
	fprintf(stderr, "n: next event  c [NAME]: continue (to an event named *NAME*)  regs  run  "
		"spte [GPA]  q: quit\n");
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
		if (strcmp(line, "regs") && strcmp(line, "run") && strcmp(line, "spte")) {
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
