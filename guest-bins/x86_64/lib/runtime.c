// SPDX-License-Identifier: MIT
/*
 * Guest runtime start-up and exception dispatch.
 *
 * The VMM owns the IDT's location (it loads IDTR with KVM_SET_SREGS);
 * the runtime reads it back with sidt and fills in the gates, so guest
 * images do not hard-code any address of the VMM's layout.
 */
#include "guest.h"

struct idt_gate {
	u16 offset_lo;
	u16 selector;
	u8 ist;
	u8 type_attr;
	u16 offset_mid;
	u32 offset_hi;
	u32 reserved;
} __attribute__((packed));

struct desc_ptr {
	u16 limit;
	u64 base;
} __attribute__((packed));

/* P=1, DPL=0, type 0xe: 64-bit interrupt gate (IF cleared on entry). */
#define GATE_INTERRUPT	0x8e

extern const u64 guest_exc_stubs[NR_EXC_VECTORS];
extern char __bss_start[], __bss_end[];

static guest_handler_t handlers[NR_EXC_VECTORS];

static const char *const vector_names[NR_EXC_VECTORS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "RSV15",
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "RSV22", "RSV23",
	"RSV24", "RSV25", "RSV26", "RSV27", "#HV", "#VC", "#SX", "RSV31",
};

void guest_install_handler(unsigned int vector, guest_handler_t fn)
{
	GUEST_ASSERT(vector < NR_EXC_VECTORS);
	handlers[vector] = fn;
}

static void default_handler(struct ex_frame *f)
{
	guest_abort(__FILE_NAME__, __LINE__,
		    "unhandled exception %s (vector %lu) at rip 0x%lx, "
		    "error code 0x%lx, cr2 0x%lx",
		    vector_names[f->vector], f->vector, f->rip,
		    f->error_code, read_cr2());
}

/* Called from exc_common in entry.S. */
void guest_exception_dispatch(struct ex_frame *f)
{
	guest_handler_t fn = NULL;

	if (f->vector < NR_EXC_VECTORS)
		fn = handlers[f->vector];
	if (!fn)
		fn = default_handler;
	fn(f);
}

static void idt_init(void)
{
	struct desc_ptr idtr;
	struct idt_gate *idt;
	u16 cs;

	asm volatile("sidt %0" : "=m"(idtr));
	asm volatile("mov %%cs, %0" : "=r"(cs));
	GUEST_ASSERT(idtr.limit + 1u >= NR_EXC_VECTORS * sizeof(*idt));

	idt = (struct idt_gate *)idtr.base;
	for (unsigned int v = 0; v < NR_EXC_VECTORS; v++) {
		u64 addr = guest_exc_stubs[v];

		idt[v] = (struct idt_gate) {
			.offset_lo = (u16)addr,
			.selector = cs,
			.ist = 0,
			.type_attr = GATE_INTERRUPT,
			.offset_mid = (u16)(addr >> 16),
			.offset_hi = (u32)(addr >> 32),
		};
	}
}

void guest_runtime_start(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
	__attribute__((noreturn));

void guest_runtime_start(u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	/* The loader zero-fills bss already; do not depend on it. */
	memset(__bss_start, 0, __bss_end - __bss_start);
	idt_init();
	guest_main(a0, a1, a2, a3, a4, a5);
	guest_done();
}

/*
 * Plain byte loops: this file is built with
 * -fno-tree-loop-distribute-patterns so gcc cannot turn them back into
 * calls to themselves.
 */
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

	if (d <= s || d >= s + n)
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
