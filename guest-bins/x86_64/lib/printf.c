// SPDX-License-Identifier: MIT
/*
 * A small vsnprintf for guests: enough for diagnostics, nothing more.
 *
 * Conversions: %d %i %u %x %X %c %s %p %%.  Length modifiers: l, ll, z
 * (everything else is int sized).  Flags: '0' and '-', and a field width
 * (decimal or '*').  No precision, no floating point.  Like C's vsnprintf it
 * returns the length the full output would have had and always
 * NUL-terminates when size > 0.
 */
#include "guest.h"

struct out {
	char *buf;
	size_t size;
	size_t len;	/* characters produced so far, even past size */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

struct spec {
	int width;
	int left;	/* '-' */
	int zero;	/* '0' */
};

static void put_str(struct out *o, const struct spec *sp, const char *s)
{
	int n;

	if (!s)
		s = "(null)";
	n = (int)strlen(s);
	if (!sp->left)
		pad(o, ' ', sp->width - n);
	while (*s)
		put(o, *s++);
	if (sp->left)
		pad(o, ' ', sp->width - n);
}

static void put_num(struct out *o, const struct spec *sp, u64 v, int neg,
		    unsigned int base, int upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, plen = (int)strlen(prefix) + neg, fill;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);

	fill = sp->width - n - plen;
	if (!sp->left && !sp->zero)
		pad(o, ' ', fill);
	if (neg)
		put(o, '-');
	while (*prefix)
		put(o, *prefix++);
	if (!sp->left && sp->zero)
		pad(o, '0', fill);
	while (n)
		put(o, tmp[--n]);
	if (sp->left)
		pad(o, ' ', fill);
}

/*
 * Parse flags and width at *fmt, leaving *fmt on the length modifier.
 * ap points at the caller's (copied) va_list, for a '*' width.
 */
static void parse_spec(const char **fmt, struct spec *sp, va_list *ap)
{
	const char *f = *fmt;

	*sp = (struct spec) { 0 };
	for (;; f++) {
		if (*f == '-')
			sp->left = 1;
		else if (*f == '0')
			sp->zero = 1;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = 1;
			sp->width = -sp->width;
		}
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	*fmt = f;
}

/* Returns the number of 'l's (z counts as long). */
static int parse_length(const char **fmt)
{
	int longs = 0;

	while (**fmt == 'l' || **fmt == 'z') {
		longs++;
		(*fmt)++;
	}
	return longs;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list va)
{
	struct out o = { .buf = buf, .size = size };
	struct spec sp;
	va_list ap;

	/* A local copy can be passed by address to parse_spec. */
	va_copy(ap, va);

	for (; *fmt; fmt++) {
		int longs;
		u64 u;
		long long s;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		parse_spec(&fmt, &sp, &ap);
		longs = parse_length(&fmt);

		switch (*fmt) {
		case 'd':
		case 'i':
			s = longs ? va_arg(ap, long long) : va_arg(ap, int);
			u = s < 0 ? -(u64)s : (u64)s;
			put_num(&o, &sp, u, s < 0, 10, 0, "");
			break;
		case 'u':
		case 'x':
		case 'X':
			u = longs ? va_arg(ap, unsigned long long)
				  : va_arg(ap, unsigned int);
			put_num(&o, &sp, u, 0, *fmt == 'u' ? 10 : 16,
				*fmt == 'X', "");
			break;
		case 'p':
			u = (u64)va_arg(ap, void *);
			put_num(&o, &sp, u, 0, 16, 0, "0x");
			break;
		case 'c':
			put(&o, (char)va_arg(ap, int));
			break;
		case 's':
			put_str(&o, &sp, va_arg(ap, const char *));
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			/* A lone '%' at the end: print it, stop. */
			put(&o, '%');
			fmt--;
			break;
		default:
			/* Unknown conversion: show it rather than guess. */
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	va_end(ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
