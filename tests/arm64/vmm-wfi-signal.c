// SPDX-License-Identifier: MIT
/*
 * vmm-wfi-signal: a signal for the thread in KVM_RUN ends an arm64 vCPU's
 * wfi sleep (kvm_vcpu_block -> kvm_vcpu_check_block): KVM_RUN returns -1
 * with EINTR and KVM_EXIT_INTR, the wfi is done (PC past it), and the
 * next KVM_RUN goes on from there.  The signal is blocked outside KVM_RUN
 * and let in by KVM_SET_SIGNAL_MASK, then taken with sigwaitinfo, as
 * QEMU does.  A powered-off vCPU's wait for PSCI CPU_ON ends the same
 * way.  Run with `kvmsim exec --arch arm64`; any mismatch exits 1.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"

static int failures;

#define CHECK_EQ(what, got, want)						\
	do {									\
		unsigned long long __g = (got), __w = (want);			\
		printf("%-56s %#llx%s\n", what, __g, __g == __w ? "" : " MISMATCH");\
		if (__g != __w) {						\
			fprintf(stderr, "%s: got %#llx, want %#llx\n", what, __g, __w);\
			failures++;						\
		}								\
	} while (0)

#define PC_REG_ID	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			 (offsetof(struct kvm_regs, regs.pc) / 4))

static u64 get_pc(int fd)
{
	u64 v = 0;
	struct kvm_one_reg r = { .id = PC_REG_ID, .addr = (u64)(uintptr_t)&v };

	if (ioctl(fd, KVM_GET_ONE_REG, &r))
		die_errno("KVM_GET_ONE_REG PC");
	return v;
}

struct ctx {
	struct kvm_vcpu *vcpu;
	int fd;				/* the vCPU's fd (powered-off case) */
	struct kvm_run *run;
	long ret;			/* the interrupted KVM_RUN */
	int err;
	u32 exit_reason;
	u64 pc;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stage;

static void set_stage(int s)
{
	pthread_mutex_lock(&lock);
	stage = s;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
}

static void wait_stage(int s)
{
	pthread_mutex_lock(&lock);
	while (stage < s)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

/* SIGUSR1 gets in only inside KVM_RUN */
static void signal_mask_in_run(int vcpu_fd)
{
	struct kvm_signal_mask *mask = calloc(1, sizeof(*mask) + 8);

	mask->len = 8;
	if (ioctl(vcpu_fd, KVM_SET_SIGNAL_MASK, mask))
		die_errno("KVM_SET_SIGNAL_MASK");
	free(mask);
}

static void take_sigusr1(void)
{
	sigset_t set;
	siginfo_t info;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigwaitinfo(&set, &info);
}

static void *wfi_thread(void *arg)
{
	struct ctx *c = arg;
	struct ucall uc;

	CHECK_EQ("sync 1 before the wfi", vcpu_run_ucall(c->vcpu, &uc), UCALL_SYNC);
	c->pc = uc.args[1];		/* the wfi's address */
	set_stage(1);
	c->ret = ioctl(c->vcpu->fd, KVM_RUN, 0);
	c->err = errno;
	c->exit_reason = c->vcpu->run->exit_reason;
	take_sigusr1();
	CHECK_EQ("wfi: PC past the wfi after EINTR", get_pc(c->vcpu->fd), c->pc + 4);
	CHECK_EQ("after the signal: sync 2 (past the wfi)", vcpu_run_ucall(c->vcpu, &uc), UCALL_SYNC);
	CHECK_EQ("sync 2's stage", uc.args[0], 2);
	CHECK_EQ("then done", vcpu_run_ucall(c->vcpu, &uc), UCALL_DONE);
	return NULL;
}

static void *off_thread(void *arg)
{
	struct ctx *c = arg;

	set_stage(3);
	c->ret = ioctl(c->fd, KVM_RUN, 0);
	c->err = errno;
	c->exit_reason = c->run->exit_reason;
	take_sigusr1();
	return NULL;
}

/* Long enough, in virtual time too, for the other thread to go to sleep. */
static void pause_a_while(void)
{
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

int main(void)
{
	struct kvm_vm *vm = vm_create();
	u64 entry = vm_load_guest(vm, "wfi_signal");
	struct ctx c = { .vcpu = vm_vcpu_add(vm, entry) }, off = { 0 };
	struct kvm_vcpu_init init = { .target = KVM_ARM_TARGET_GENERIC_V8,
				      .features[0] = 1u << KVM_ARM_VCPU_POWER_OFF };
	sigset_t usr1;
	pthread_t t;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	signal_mask_in_run(c.vcpu->fd);

	/* a wfi with no interrupt to end it */
	if (pthread_create(&t, NULL, wfi_thread, &c))
		die("pthread_create");
	wait_stage(1);
	pause_a_while();
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	CHECK_EQ("wfi: KVM_RUN returns -1", c.ret, -1);
	CHECK_EQ("wfi: errno EINTR", c.err, EINTR);
	CHECK_EQ("wfi: exit_reason KVM_EXIT_INTR", c.exit_reason, KVM_EXIT_INTR);

	/* a vCPU created powered off: KVM_RUN waits for CPU_ON */
	off.fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 1);
	if (off.fd < 0 || ioctl(off.fd, KVM_ARM_VCPU_INIT, &init))
		die_errno("powered-off vCPU");
	off.run = mmap(NULL, ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE,
		       MAP_SHARED, off.fd, 0);
	if (off.run == MAP_FAILED)
		die_errno("mmap");
	signal_mask_in_run(off.fd);
	if (pthread_create(&t, NULL, off_thread, &off))
		die("pthread_create");
	wait_stage(3);
	pause_a_while();
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	CHECK_EQ("powered off: KVM_RUN returns -1", off.ret, -1);
	CHECK_EQ("powered off: errno EINTR", off.err, EINTR);
	CHECK_EQ("powered off: exit_reason KVM_EXIT_INTR", off.exit_reason, KVM_EXIT_INTR);
	CHECK_EQ("powered off: PC still at reset (0)", get_pc(off.fd), 0);
	close(off.fd);
	vm_destroy(vm);
	if (failures) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("all checks passed\n");
	return 0;
}
