/* SPDX-License-Identifier: MIT */
/*
 * Guest-side API of the x86-64 guest runtime.
 *
 * The runtime is entered in 64-bit long mode that the VMM set up with
 * KVM_SET_SREGS (paging on, identity map, GDT/IDT/TR loaded).  It never
 * changes mode.  It fills the IDT the VMM pointed IDTR at with gates for
 * exception vectors 0-31, calls guest_main() with the six argument
 * registers the VMM set, and reports UCALL_DONE when guest_main returns.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_abi.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* Exception vectors the guests care about. */
#define VEC_DE		0
#define VEC_UD		6
#define VEC_DF		8
#define VEC_GP		13
#define VEC_PF		14
#define NR_EXC_VECTORS	32

/* #PF error code bits. */
#define PF_ERR_P	(1u << 0)	/* protection violation (else not present) */
#define PF_ERR_W	(1u << 1)	/* write access */
#define PF_ERR_U	(1u << 2)	/* user mode access */
#define PF_ERR_RSVD	(1u << 3)	/* reserved bit set in a paging entry */
#define PF_ERR_I	(1u << 4)	/* instruction fetch */

/* x86-64 paging entry bits, for guests that edit their own tables. */
#define PTE_P		(1ull << 0)
#define PTE_RW		(1ull << 1)
#define PTE_PS		(1ull << 7)
#define PTE_ADDR_MASK	0x000ffffffffff000ull

/*
 * What an exception stub leaves on the stack, lowest address first: the
 * general registers it saved, the vector and error code (0 for vectors
 * without one), then the frame the CPU pushed.  A handler may change any
 * field; the stub restores registers from it and returns with iretq, so
 * writing rip resumes elsewhere.
 */
struct ex_frame {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector;
	u64 error_code;
	u64 rip, cs, rflags, rsp, ss;
};

typedef void (*guest_handler_t)(struct ex_frame *frame);

/* Run fn for exceptions on vector (0-31); NULL restores the default,
 * which reports UCALL_ABORT with the vector, rip, error code and CR2. */
void guest_install_handler(unsigned int vector, guest_handler_t fn);

/* Each guest provides this; the runtime calls it once. */
void guest_main(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);

/*
 * External interrupts (lib/irq.c and lib/irq_entry.S, linked only into
 * guests that list them in guest-bins/CMakeLists.txt): point the IDT gate
 * of vector (32-255) at a stub that calls fn with the same frame as an
 * exception handler gets (error_code 0).  fn must EOI its APIC itself.
 */
void guest_install_irq_handler(unsigned int vector, guest_handler_t fn);

/* ucalls. */
void ucall(u64 cmd, int nargs, ...);
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guest_sync(u64 stage, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
void guest_done(void) __attribute__((noreturn));
void guest_abort(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

#define GUEST_SYNC(stage)	guest_sync((stage), 0, 0, 0, 0, 0)
#define GUEST_DONE()		guest_done()

#define GUEST_ASSERT(cond)						\
	do {								\
		if (!(cond))						\
			guest_abort(__FILE_NAME__, __LINE__,		\
				    "assertion `%s' failed", #cond);	\
	} while (0)

#define GUEST_ASSERT_EQ(a, b)						\
	do {								\
		u64 __a = (u64)(a), __b = (u64)(b);			\
		if (__a != __b)						\
			guest_abort(__FILE_NAME__, __LINE__,		\
				    "assertion `%s == %s' failed: "	\
				    "0x%lx != 0x%lx", #a, #b, __a, __b);\
	} while (0)

/* Formatting: %d %i %u %x %X %c %s %p %%, with l/ll/z, width (n or *), 0, -. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* gcc may emit calls to these even when freestanding. */
void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Privileged helpers. */
static inline u64 read_cr2(void)
{
	u64 v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline u64 read_cr3(void)
{
	u64 v;

	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void invlpg(u64 gva)
{
	asm volatile("invlpg (%0)" : : "r"(gva) : "memory");
}

static inline void halt(void)
{
	asm volatile("hlt" : : : "memory");
}

/* sti; hlt: the interrupt shadow of sti covers hlt, so no wakeup is lost. */
static inline void safe_halt(void)
{
	asm volatile("sti; hlt" : : : "memory");
}

static inline void irq_enable(void)
{
	asm volatile("sti" : : : "memory");
}

static inline void irq_disable(void)
{
	asm volatile("cli" : : : "memory");
}

static inline u64 rdmsr(u32 msr)
{
	u32 lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (u64)hi << 32 | lo;
}

static inline void wrmsr(u32 msr, u64 val)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32))
		     : "memory");
}

#endif /* GUEST_H */
