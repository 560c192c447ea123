// SPDX-License-Identifier: MIT
/*
 * Fibers on mmap'd stacks with a guard page; the switch itself is a small
 * x86-64 routine or, elsewhere, ucontext (see sim_internal.h).
 *
 * ASan keeps shadow state per stack; a switch it is not told about looks
 * like a wild stack pointer and gives false reports.  So every switch is
 * bracketed by __sanitizer_start/finish_switch_fiber, and a stack is
 * unpoisoned before it is unmapped, lest a later mapping at the same
 * address inherit stale redzones.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sim/sim_internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_ASAN 1
#endif
#endif

#ifdef SIM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* The actor that switched away last, so the resumed side can learn about it. */
static struct sim_actor *switch_from;
/* Actor 0 runs on the thread's own TLS, the others each on their own. */
static void *main_tls;

static void asan_start_switch(struct sim_actor *prev, struct sim_actor *next)
{
#ifdef SIM_ASAN
	/* A dying fiber passes NULL so ASan frees its fake stack. */
	__sanitizer_start_switch_fiber(prev->state == SIM_ACTOR_DEAD ?
				       NULL : &prev->asan_fake_stack,
				       next->stack_bottom, next->stack_size);
#else
	(void)prev;
	(void)next;
#endif
}

static void asan_finish_switch(struct sim_actor *self)
{
#ifdef SIM_ASAN
	const void *bottom;
	size_t size;

	__sanitizer_finish_switch_fiber(self->asan_fake_stack, &bottom, &size);
	/*
	 * Actor 0 runs on the thread's own stack, whose bounds only ASan
	 * knows: it hands them over the first time we leave actor 0.
	 */
	if (switch_from && !switch_from->map &&
	    switch_from->state != SIM_ACTOR_DEAD) {
		switch_from->stack_bottom = bottom;
		switch_from->stack_size = size;
	}
#else
	(void)self;
#endif
}

/* First code a new fiber runs, on its own stack. */
void sim_fiber_main(void) __attribute__((noreturn, visibility("hidden")));
void sim_fiber_main(void)
{
	struct sim_actor *self = sim_rt.cur;

	asan_finish_switch(self);
	sim_reap_dead();
	errno = 0;
	self->fn(self->arg);
	sim_actor_exit(self);
}

static void map_stack(struct sim_actor *a)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = (sim_rt.stack_size + page - 1) & ~(page - 1);
	char *map;

	map = mmap(NULL, size + page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
		   -1, 0);
	if (map == MAP_FAILED)
		sim_panic("sim_spawn(\"%s\"): cannot map a stack: %s",
			  a->name, strerror(errno));
	/* Stacks grow down: the guard page turns an overflow into SIGSEGV. */
	if (mprotect(map, page, PROT_NONE) != 0)
		sim_panic("sim_spawn(\"%s\"): cannot protect the guard: %s",
			  a->name, strerror(errno));
	a->map = map;
	a->map_size = size + page;
	a->stack_bottom = map + page;
	a->stack_size = size;
}

#ifdef SIM_FIBER_ASM

/*
 * sim_ctx_switch(save, load): push the SysV callee-saved registers and the
 * x87/SSE control words, store rsp in *save, continue on the stack `load`
 * with the mirror image.  A new stack is built to look like it was
 * switched out just before entering sim_fiber_trampoline, whose CFI marks
 * the return address undefined so unwinders (sim_panic) stop there.
 */
void sim_ctx_switch(void **save, void *load) __attribute__((visibility("hidden")));
__asm__(
	"	.pushsection .text\n"
	"	.p2align 4\n"
	"	.hidden sim_ctx_switch\n"
	"	.globl sim_ctx_switch\n"
	"	.type sim_ctx_switch, @function\n"
	"sim_ctx_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	subq $8, %rsp\n"
	"	stmxcsr (%rsp)\n"
	"	fnstcw 4(%rsp)\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	ldmxcsr (%rsp)\n"
	"	fldcw 4(%rsp)\n"
	"	addq $8, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	"	.size sim_ctx_switch, .-sim_ctx_switch\n"
	"\n"
	"	.p2align 4\n"
	"	.hidden sim_fiber_trampoline\n"
	"	.globl sim_fiber_trampoline\n"
	"	.type sim_fiber_trampoline, @function\n"
	"sim_fiber_trampoline:\n"
	"	.cfi_startproc\n"
	"	.cfi_undefined rip\n"
	"	xorl %ebp, %ebp\n"
	"	call sim_fiber_main\n"
	"	ud2\n"
	"	.cfi_endproc\n"
	"	.size sim_fiber_trampoline, .-sim_fiber_trampoline\n"
	"	.popsection\n");

extern const char sim_fiber_trampoline[] __attribute__((visibility("hidden")));

/* The frame sim_ctx_switch pops, lowest address first. */
struct initial_frame {
	uint32_t mxcsr;
	uint16_t fpucw;
	uint16_t pad;
	uint64_t r15, r14, r13, r12, rbx, rbp;
	uint64_t ret;		/* at top - 8, so the trampoline starts
				 * with rsp 16-byte aligned, as if called */
};

_Static_assert(sizeof(struct initial_frame) == 64, "frame layout");

void sim_fiber_init_stack(struct sim_actor *a)
{
	struct initial_frame *f;

	map_stack(a);
	if (!main_tls)
		main_tls = sim_tls_current();
	if (main_tls)
		a->tls = sim_tls_new();
	f = (struct initial_frame *)((char *)a->stack_bottom +
				     a->stack_size) - 1;
	memset(f, 0, sizeof(*f));
	f->mxcsr = 0x1f80;	/* power-on defaults: all masked, nearest */
	f->fpucw = 0x037f;
	f->ret = (uint64_t)(uintptr_t)sim_fiber_trampoline;
	a->ctx.sp = f;
}

static void ctx_switch(struct sim_actor *prev, struct sim_actor *next)
{
	sim_ctx_switch(&prev->ctx.sp, next->ctx.sp);
}

#else /* ucontext */

static void ucontext_entry(void)
{
	sim_fiber_main();
}

void sim_fiber_init_stack(struct sim_actor *a)
{
	map_stack(a);
	if (getcontext(&a->ctx.uc) != 0)
		sim_panic("sim_spawn(\"%s\"): getcontext: %s", a->name,
			  strerror(errno));
	a->ctx.uc.uc_stack.ss_sp = (void *)a->stack_bottom;
	a->ctx.uc.uc_stack.ss_size = a->stack_size;
	a->ctx.uc.uc_link = NULL;
	makecontext(&a->ctx.uc, ucontext_entry, 0);
}

static void ctx_switch(struct sim_actor *prev, struct sim_actor *next)
{
	if (swapcontext(&prev->ctx.uc, &next->ctx.uc) != 0)
		sim_panic("swapcontext: %s", strerror(errno));
}

#endif

void sim_fiber_switch(struct sim_actor *prev, struct sim_actor *next)
{
	void *from = prev->tls ? prev->tls : main_tls;
	void *to = next->tls ? next->tls : main_tls;

	sim_rt.cur = next;
	switch_from = prev;
	prev->saved_errno = errno;
	if (to != from)
		sim_tls_load(to);
	asan_start_switch(prev, next);
	ctx_switch(prev, next);
	/* Back in prev, switched to by someone else's sim_fiber_switch. */
	asan_finish_switch(prev);
	errno = prev->saved_errno;
}

/* Only call for an actor whose stack nobody runs on now or ever again. */
void sim_fiber_release(struct sim_actor *a)
{
	if (!a->map)
		return;
#ifdef SIM_ASAN
	ASAN_UNPOISON_MEMORY_REGION(a->map, a->map_size);
#endif
	if (munmap(a->map, a->map_size) != 0)
		sim_panic("munmap of actor \"%s\"'s stack: %s", a->name,
			  strerror(errno));
	sim_tls_free(a->tls);
	a->tls = NULL;
	a->map = NULL;
	a->stack_bottom = NULL;
	a->stack_size = 0;
}

/*
 * A dead actor's last switch runs on its own stack, so it cannot unmap
 * it; whoever runs next does.
 */
void sim_reap_dead(void)
{
	int i;

	if (!sim_rt.unreaped)
		return;
	for (i = 0; i < sim_rt.nactors; i++) {
		struct sim_actor *a = sim_rt.actors[i];

		if (a->state != SIM_ACTOR_DEAD || !a->map || a == sim_rt.cur)
			continue;
		sim_fiber_release(a);
		sim_rt.unreaped--;
	}
}

void sim_actor_exit(struct sim_actor *self)
{
	sim_runq_del(self);
	self->state = SIM_ACTOR_DEAD;
	sim_rt.unreaped++;
	sim_wake_all(&self->exitq);
	sim_schedule(self, SIM_SCHED_EXIT, NULL);
	sim_panic("dead actor \"%s\" was resumed", self->name);
}
