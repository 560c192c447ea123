/* SPDX-License-Identifier: MIT */
/*
 * arm64 guest runtime: what guest images may call.  Guests run at EL1h
 * with the stage-1 MMU on (the VMM builds the tables, see
 * scenarios/lib/arm64.c), the vector table at VBAR_EL1 set by entry.S,
 * and ucalls through an 8-byte store to UCALL_MMIO_GPA, as the kernel's
 * arm64 selftests do.
 */
#ifndef GUEST_H
#define GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_abi.h"
#include "guest_abi_arm64.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* A synchronous exception taken to EL1, as the vectors saw it. */
struct ex_regs {
	u64 regs[31];
	u64 esr, far, elr, spsr;
};

/* Return to let the guest continue at regs->elr (eret). */
typedef void (*guest_handler_t)(struct ex_regs *regs);

/* Handler for synchronous exceptions of class ec (ESR_EL1[31:26]). */
void guest_install_handler(unsigned int ec, guest_handler_t fn);
/* Handler for IRQs (taken from EL1 or EL0); it acknowledges them itself. */
void guest_install_irq_handler(guest_handler_t fn);

void guest_main(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);

void ucall(u64 cmd, int nargs, ...);
void guest_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void guest_sync(u64 stage, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);
void guest_done(void) __attribute__((noreturn));
void guest_abort(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
/* PSCI SYSTEM_OFF through hvc: KVM_EXIT_SYSTEM_EVENT for the VMM. */
void guest_system_off(void) __attribute__((noreturn));

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

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#define read_sysreg(r) ({ u64 __v; asm volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(v, r) asm volatile("msr " #r ", %0" : : "r"((u64)(v)))

static inline void halt(void)
{
	asm volatile("wfi" : : : "memory");
}

#endif /* GUEST_H */
