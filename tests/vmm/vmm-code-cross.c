// SPDX-License-Identifier: MIT
/*
 * vmm-code-cross: guest code rewritten by someone other than the vCPU
 * running it runs as rewritten, whoever wrote it and however.
 *
 * Checks, each on a `mov $imm8, %al` whose immediate changes (a
 * simulator that keeps its translated code reports the old value, or
 * spins for ever):
 *   1. the VMM rewrites it between KVM_RUNs through a second mapping of
 *      the guest memory's memfd (an alias: another host address);
 *   2. vCPU 1 stores into vCPU 0's code while vCPU 0 spins on it inside
 *      one KVM_RUN (cross-modifying code);
 *   3. a VMM thread stores into it (a plain host store) while vCPU 0
 *      spins on it inside one KVM_RUN.
 * The vCPU threads record their exits and the transcript is printed after
 * they are joined, so it does not depend on the interleaving.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm-lib.h"

#define RAM_SIZE	0x400000
#define PT_GPA		0x1000
#define GDT_GPA		0x4000
#define STACK_TOP	0x7000
#define CODE_GPA	0x8000
#define FLAG_GPA	0x6000
#define MAX_EXITS	4

extern const char guest_cross_start[], guest_cross_end[];
extern const char guest_cross_imm1[], guest_cross_spin1[], guest_cross_imm2[];
extern const char guest_cross_patch[], guest_cross_spin2[], guest_cross_imm3[];

#define GPA_OF(sym)	(CODE_GPA + (uint64_t)((sym) - guest_cross_start))

/* One vCPU run to its hlt on a thread: what it saw, printed later. */
struct vcpu_log {
	int fd;
	struct kvm_run *run;
	int n;
	int ret[MAX_EXITS], err[MAX_EXITS];
	uint32_t reason[MAX_EXITS];
	uint16_t port[MAX_EXITS];
	uint8_t data[MAX_EXITS];
};

static void *run_to_hlt(void *arg)
{
	struct vcpu_log *l = arg;

	while (l->n < MAX_EXITS) {
		int i = l->n++;

		l->ret[i] = ioctl(l->fd, KVM_RUN, 0);
		l->err[i] = l->ret[i] < 0 ? errno : 0;
		l->reason[i] = l->run->exit_reason;
		if (l->ret[i] < 0 || l->reason[i] != KVM_EXIT_IO)
			break;
		l->port[i] = l->run->io.port;
		l->data[i] = *((uint8_t *)l->run + l->run->io.data_offset);
	}
	return NULL;
}

static void print_log(const char *who, const struct vcpu_log *l)
{
	struct kvm_regs regs;

	for (int i = 0; i < l->n; i++) {
		printf("%s exit %d: ret=%d", who, i + 1, l->ret[i]);
		if (l->ret[i] < 0)
			printf(" errno=%s\n", errno_name(l->err[i]));
		else if (l->reason[i] == KVM_EXIT_IO)
			printf(" exit=IO port=0x%x data=%02x\n", l->port[i], l->data[i]);
		else
			printf(" exit=%s(%u)\n", exit_reason_name(l->reason[i]), l->reason[i]);
	}
	if (ioctl(l->fd, KVM_GET_REGS, &regs))
		fatal("KVM_GET_REGS: errno=%s", errno_name(errno));
	printf("%s rip=0x%llx rax=0x%llx\n", who, (unsigned long long)regs.rip,
	       (unsigned long long)regs.rax);
}

static void set_rip_rsi_rdi(int fd, uint64_t rip, uint64_t rsi, uint64_t rdi)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsp = STACK_TOP;
	regs.rsi = rsi;
	regs.rdi = rdi;
	regs.rflags = RFLAGS_FIXED;
	if (ioctl(fd, KVM_SET_REGS, &regs))
		fatal("KVM_SET_REGS: errno=%s", errno_name(errno));
}

static void start(pthread_t *t, struct vcpu_log *l)
{
	l->n = 0;
	if (pthread_create(t, NULL, run_to_hlt, l))
		fatal("pthread_create");
}

static char *alias;

/* Part 3's VMM thread: waits for vCPU 0 to spin, then stores. */
static void *store_imm3(void *arg)
{
	volatile char *flag = alias + FLAG_GPA;

	(void)arg;
	while (*flag != 2)
		sched_yield();
	alias[GPA_OF(guest_cross_imm3)] = 0x33;
	return NULL;
}

int main(void)
{
	struct vcpu_log l0, l1;
	struct kvm_sregs sregs;
	pthread_t t0, t1;
	struct vmm v;
	char *ram;
	int memfd;

	printf("# vmm-code-cross\n");
	vmm_open(&v);
	memfd = memfd_create("vmm-code-cross", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, RAM_SIZE))
		fatal("memfd: errno=%s", errno_name(errno));
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	alias = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (ram == MAP_FAILED || alias == MAP_FAILED)
		fatal("mmap(memfd): errno=%s", errno_name(errno));
	vmm_set_slot(&v, 0, 0, 0, RAM_SIZE, ram);
	vmm_load(ram, CODE_GPA, guest_cross_start, guest_cross_end);
	vmm_setup_long_mode(&v, ram, PT_GPA, GDT_GPA);
	vmm_get_sregs(&v, &sregs);

	printf("## part 1: the VMM rewrites the code through an alias mapping\n");
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	vmm_run(&v);
	alias[GPA_OF(guest_cross_imm1)] = 0x22;
	vmm_set_regs(&v, CODE_GPA, STACK_TOP);
	vmm_run(&v);
	vmm_run(&v);

	printf("## part 2: vCPU 1 rewrites the code vCPU 0 spins in\n");
	l0 = (struct vcpu_log){ .fd = v.vcpu_fd, .run = v.run };
	l1 = (struct vcpu_log){ .fd = xioctl(v.vm_fd, KVM_CREATE_VCPU, 1) };
	l1.run = mmap(NULL, v.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, l1.fd, 0);
	if (l1.run == MAP_FAILED)
		fatal("mmap(vcpu 1): errno=%s", errno_name(errno));
	if (ioctl(l1.fd, KVM_SET_SREGS, &sregs))
		fatal("KVM_SET_SREGS: errno=%s", errno_name(errno));
	set_rip_rsi_rdi(l0.fd, GPA_OF(guest_cross_spin1), FLAG_GPA, 0);
	set_rip_rsi_rdi(l1.fd, GPA_OF(guest_cross_patch), FLAG_GPA, GPA_OF(guest_cross_imm2));
	start(&t0, &l0);
	start(&t1, &l1);
	pthread_join(t0, NULL);
	pthread_join(t1, NULL);
	print_log("vcpu0", &l0);
	print_log("vcpu1", &l1);

	printf("## part 3: a VMM thread rewrites the code vCPU 0 spins in\n");
	set_rip_rsi_rdi(l0.fd, GPA_OF(guest_cross_spin2), FLAG_GPA, 0);
	start(&t0, &l0);
	if (pthread_create(&t1, NULL, store_imm3, NULL))
		fatal("pthread_create");
	pthread_join(t0, NULL);
	pthread_join(t1, NULL);
	print_log("vcpu0", &l0);

	printf("code checksum: %016llx\n",
	       (unsigned long long)fnv1a64(ram + CODE_GPA, guest_cross_end - guest_cross_start));
	munmap(l1.run, v.run_size);
	close(l1.fd);
	vmm_close(&v);
	return 0;
}
