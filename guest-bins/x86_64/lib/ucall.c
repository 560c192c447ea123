// SPDX-License-Identifier: MIT
/*
 * ucall: synchronous calls from the guest to the VMM through port I/O.
 * See guest_abi.h for the convention.
 *
 * The struct ucall lives on the guest stack: the call is synchronous
 * (the VMM copies it out before re-entering), the stack is identity
 * mapped below 4 GiB, and it keeps exception handlers able to ucall
 * while the interrupted code is in the middle of one.
 */
#include "guest.h"

static void ucall_out(struct ucall *uc)
{
	u64 gpa = (u64)uc;

	/* The "memory" clobber makes sure *uc is written before the OUT. */
	asm volatile("outl %%eax, %%dx"
		     : : "a"((u32)gpa), "d"((u16)UCALL_PORT), "D"(gpa)
		     : "memory");
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
	uc.args[0] = n;		/* untruncated length, like vsnprintf */
	ucall_out(&uc);
}

void guest_sync(u64 stage, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	ucall(UCALL_SYNC, 6, stage, a1, a2, a3, a4, a5);
}

void guest_done(void)
{
	ucall(UCALL_DONE, 0);
	/* A VMM that re-enters after DONE finds the guest halted for good. */
	for (;;)
		halt();
}

void guest_abort(const char *file, int line, const char *fmt, ...)
{
	struct ucall uc = { .cmd = UCALL_ABORT };
	va_list ap;
	int n;

	n = snprintf(uc.buf, sizeof(uc.buf), "%s:%d: ", file, line);
	if (n < 0 || n >= (int)sizeof(uc.buf))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(uc.buf + n, sizeof(uc.buf) - n, fmt, ap);
	va_end(ap);
	uc.args[0] = line;
	ucall_out(&uc);
	for (;;)
		halt();
}
