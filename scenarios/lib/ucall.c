// SPDX-License-Identifier: MIT
/*
 * VMM side of the ucall convention (see guest_abi.h): a 4-byte OUT to
 * UCALL_PORT whose data is the GPA of a struct ucall in guest memory.
 */
#include <stdio.h>
#include <string.h>

#include "scenario.h"

const char *ucall_name(u64 cmd)
{
	switch (cmd) {
	case UCALL_NONE:
		return "UCALL_NONE";
	case UCALL_PRINT:
		return "UCALL_PRINT";
	case UCALL_SYNC:
		return "UCALL_SYNC";
	case UCALL_DONE:
		return "UCALL_DONE";
	case UCALL_ABORT:
		return "UCALL_ABORT";
	}
	return "UCALL_?";
}

#ifdef SCENARIO_ARM64
/* arm64: an 8-byte MMIO write to UCALL_MMIO_GPA carrying the struct's address */
static bool is_ucall_exit(const struct kvm_run *run)
{
	return run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write &&
	       run->mmio.phys_addr == UCALL_MMIO_GPA;
}

static u64 ucall_gpa(const struct kvm_run *run)
{
	u64 gpa;

	ASSERT(run->mmio.len == 8, "ucall MMIO write of %u bytes, expected 8", run->mmio.len);
	memcpy(&gpa, run->mmio.data, sizeof(gpa));
	return gpa;
}
#else
static u64 ucall_gpa(const struct kvm_run *run)
{
	u32 gpa;

	ASSERT(run->io.size == 4 && run->io.count == 1,
	       "ucall port %#x: OUT of size %u count %u, expected size 4 count 1",
	       UCALL_PORT, run->io.size, run->io.count);
	memcpy(&gpa, (const u8 *)run + run->io.data_offset, sizeof(gpa));
	return gpa;
}

static bool is_ucall_exit(const struct kvm_run *run)
{
	return run->exit_reason == KVM_EXIT_IO &&
	       run->io.direction == KVM_EXIT_IO_OUT &&
	       run->io.port == UCALL_PORT;
}
#endif

/*
 * If the last exit was a ucall, copy the guest's struct into *uc and
 * return its command; otherwise return UCALL_NONE and leave *uc zeroed.
 */
u64 vcpu_get_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	u64 gpa;

	memset(uc, 0, sizeof(*uc));
	if (!is_ucall_exit(run))
		return UCALL_NONE;
	gpa = ucall_gpa(run);
	memcpy(uc, gpa_to_hva(vcpu->vm, gpa, sizeof(*uc)), sizeof(*uc));
	uc->buf[sizeof(uc->buf) - 1] = '\0';
	ASSERT(uc->cmd > UCALL_NONE && uc->cmd < UCALL_NR_CMDS,
	       "ucall at gpa %#llx: unknown command %llu", (unsigned long long)gpa,
	       (unsigned long long)uc->cmd);
	return uc->cmd;
}

/*
 * Run until something the scenario must see: UCALL_SYNC, UCALL_DONE,
 * UCALL_ABORT, or any exit that is not a ucall (UCALL_NONE; look at
 * vcpu->run).  UCALL_PRINT text goes to stdout exactly as the guest
 * formatted it; an abort is printed as "guest abort: <where>: <what>".
 */
u64 vcpu_run_ucall(struct kvm_vcpu *vcpu, struct ucall *uc)
{
	for (;;) {
		u64 cmd;

		vcpu_run(vcpu);
		cmd = vcpu_get_ucall(vcpu, uc);
		if (cmd == UCALL_PRINT) {
			fputs(uc->buf, stdout);
			continue;
		}
		if (cmd == UCALL_ABORT)
			printf("guest abort: %s\n", uc->buf);
		return cmd;
	}
}

void describe_exit(struct kvm_vcpu *vcpu, char *buf, size_t size)
{
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		snprintf(buf, size, "KVM_EXIT_IO port %#x %s size %u count %u",
			 run->io.port,
			 run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			 run->io.size, run->io.count);
		break;
	case KVM_EXIT_MMIO:
		snprintf(buf, size, "KVM_EXIT_MMIO gpa %#llx len %u %s",
			 (unsigned long long)run->mmio.phys_addr,
			 run->mmio.len, run->mmio.is_write ? "write" : "read");
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		snprintf(buf, size, "KVM_EXIT_SYSTEM_EVENT type %u (%s)",
			 run->system_event.type,
			 run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? "shutdown" :
			 run->system_event.type == KVM_SYSTEM_EVENT_RESET ? "reset" : "?");
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(buf, size, "KVM_EXIT_INTERNAL_ERROR suberror %u",
			 run->internal.suberror);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(buf, size, "KVM_EXIT_FAIL_ENTRY reason %#llx",
			 (unsigned long long)
			 run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		snprintf(buf, size, "%s", exit_reason_name(run->exit_reason));
		break;
	}
}

/* Run to the next non-print ucall; anything but cmd is fatal. */
void vcpu_expect_ucall(struct kvm_vcpu *vcpu, struct ucall *uc, u64 cmd)
{
	u64 got = vcpu_run_ucall(vcpu, uc);
	char what[128];

	if (got == cmd)
		return;
	if (got == UCALL_NONE) {
		describe_exit(vcpu, what, sizeof(what));
		die("expected %s, got exit %s", ucall_name(cmd), what);
	}
	die("expected %s, got %s", ucall_name(cmd), ucall_name(got));
}

u64 mmio_data_get(const struct kvm_run *run)
{
	u64 v = 0;

	ASSERT(run->mmio.len <= sizeof(v), "MMIO len %u > 8", run->mmio.len);
	memcpy(&v, run->mmio.data, run->mmio.len);	/* x86: little endian */
	return v;
}

void mmio_data_set(struct kvm_run *run, u64 value)
{
	ASSERT(run->mmio.len <= sizeof(value), "MMIO len %u > 8", run->mmio.len);
	memcpy(run->mmio.data, &value, run->mmio.len);
}
