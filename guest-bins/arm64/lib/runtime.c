// SPDX-License-Identifier: MIT
/*
 * arm64 guest runtime: exception dispatch, ucall over MMIO, PSCI, and the
 * few libc functions gcc may call even when freestanding.
 */
#include "guest.h"

#define ESR_EC(esr)	((esr) >> 26)
#define NR_EC		64

static guest_handler_t handlers[NR_EC];

void guest_install_handler(unsigned int ec, guest_handler_t fn)
{
	GUEST_ASSERT(ec < NR_EC);
	handlers[ec] = fn;
}

/*
 * Called from entry.S.  Synchronous exceptions: vector 4 from EL1 itself
 * ("current EL with SP_ELx"), vector 8 from EL0 ("lower EL, AArch64");
 * the ESR's class tells them apart where it matters (DABT_LOW/DABT_CUR).
 */
static guest_handler_t irq_handler;

void guest_install_irq_handler(guest_handler_t fn)
{
	irq_handler = fn;
}

void guest_exception(struct ex_regs *regs, u64 vector)
{
	guest_handler_t fn = vector == 4 || vector == 8 ? handlers[ESR_EC(regs->esr)] : NULL;

	/* IRQ: vector 5 from EL1 itself (SP_ELx), 9 from EL0 */
	if (vector == 5 || vector == 9)
		fn = irq_handler;

	if (!fn)
		guest_abort(__FILE_NAME__, __LINE__,
			    "unhandled exception: vector %lu esr 0x%lx far 0x%lx elr 0x%lx",
			    vector, regs->esr, regs->far, regs->elr);
	fn(regs);
}

/* One 8-byte store the VMM sees as KVM_EXIT_MMIO (ISV set: plain str). */
static void ucall_out(struct ucall *uc)
{
	asm volatile("str %0, [%1]" : : "r"(uc), "r"(UCALL_MMIO_GPA) : "memory");
}

void ucall(u64 cmd, int nargs, ...)
{
	struct ucall uc = { .cmd = cmd };
	va_list ap;

	if (nargs > UCALL_MAX_ARGS)
		nargs = UCALL_MAX_ARGS;
	va_start(ap, nargs);
	for (int i = 0; i < nargs; i++)
		uc.args[i] = va_arg(ap, u64);
	va_end(ap);
	ucall_out(&uc);
}

void guest_printf(const char *fmt, ...)
{
	struct ucall uc = { .cmd = UCALL_PRINT };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(uc.buf, sizeof(uc.buf), fmt, ap);
	va_end(ap);
	uc.args[0] = n;
	ucall_out(&uc);
}

void guest_sync(u64 stage, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	ucall(UCALL_SYNC, 6, stage, a1, a2, a3, a4, a5);
}

void guest_system_off(void)
{
	register u64 x0 asm("x0") = 0x84000008;	/* PSCI_0_2_FN_SYSTEM_OFF */

	asm volatile("hvc #0" : "+r"(x0) : : "memory");
	for (;;)
		halt();
}

void guest_done(void)
{
	ucall(UCALL_DONE, 0);
	guest_system_off();
}

void guest_abort(const char *file, int line, const char *fmt, ...)
{
	struct ucall uc = { .cmd = UCALL_ABORT };
	va_list ap;
	int n;

	n = snprintf(uc.buf, sizeof(uc.buf), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(uc.buf + n, sizeof(uc.buf) - n, fmt, ap);
	va_end(ap);
	ucall_out(&uc);
	guest_system_off();
}

void *memset(void *s, int c, size_t n)
{
	u8 *p = s;

	while (n--)
		*p++ = (u8)c;
	return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;

	if (d <= s)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
