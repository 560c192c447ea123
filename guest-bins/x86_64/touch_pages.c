// SPDX-License-Identifier: MIT
/*
 * touch_pages: touch every page of the regions the VMM lists in a
 * struct touch_args (RDI = its GPA).  Per region, three passes:
 *
 *   1. read the first qword of each page (fresh anonymous memory must
 *      read as zero; the first touch is a read, so a host maps the zero
 *      page first and a later write must fault again),
 *   2. write touch_pattern() at the first and last qword of each page,
 *   3. read both back and compare.
 *
 * and one UCALL_SYNC per region with what it saw (see guest_abi.h).
 */
#include "guest.h"

struct region_result {
	u64 pages;
	u64 nonzero_before;
	u64 mismatches;
	u64 xor;
};

static volatile u64 *first_qword(u64 page)
{
	return (volatile u64 *)page;
}

static volatile u64 *last_qword(const struct touch_region *r, u64 page)
{
	return (volatile u64 *)(page + r->stride - 8);
}

static void touch_region(const struct touch_region *r, struct region_result *res)
{
	u64 end = r->base + r->size;

	*res = (struct region_result) { 0 };
	for (u64 p = r->base; p < end; p += r->stride) {
		if (*first_qword(p))
			res->nonzero_before++;
		res->pages++;
	}

	for (u64 p = r->base; p < end; p += r->stride) {
		*first_qword(p) = touch_pattern(p, r->seed);
		*last_qword(r, p) = ~touch_pattern(p, r->seed);
	}

	for (u64 p = r->base; p < end; p += r->stride) {
		u64 a = *first_qword(p), b = *last_qword(r, p);

		if (a != touch_pattern(p, r->seed) || b != ~a)
			res->mismatches++;
		res->xor ^= a;
	}
}

void guest_main(u64 args_gpa, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	const struct touch_args *args = (const struct touch_args *)args_gpa;

	GUEST_ASSERT(args->nr_regions <= TOUCH_MAX_REGIONS);
	for (u64 i = 0; i < args->nr_regions; i++) {
		const struct touch_region *r = &args->region[i];
		struct region_result res;

		GUEST_ASSERT(r->stride >= 16 && r->size % r->stride == 0);
		touch_region(r, &res);
		guest_sync(i, res.pages, res.nonzero_before, res.mismatches,
			   res.xor, 0);
	}
}
