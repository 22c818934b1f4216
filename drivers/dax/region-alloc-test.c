// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the device-dax region range allocator.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/string.h>
#include "region-alloc.h"

/* region base, 4G: aligned for every granule used here */
#define BASE	0x100000000ULL
#define MANY	2048

/* a device as the bus core would hold it: ranges in page offset order */
struct tdev {
	struct range *r;
	unsigned int nr;
};

static struct tdev *tdev_new(struct kunit *test)
{
	struct tdev *d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, d);
	d->r = kunit_kcalloc(test, 2 * MANY, sizeof(*d->r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d->r);
	return d;
}

static void space_fini(void *space)
{
	dax_space_fini(space);
}

static struct dax_space *space_new(struct kunit *test, u64 size)
{
	struct dax_space *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	KUNIT_ASSERT_EQ(test, dax_space_init(s, BASE, BASE + size - 1), 0);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, space_fini, s), 0);
	return s;
}

/* extents sorted, disjoint, inside the span, and @used adds up */
static void check_space(struct kunit *test, const struct dax_space *s)
{
	bool ok = true;
	u64 used = 0, scrub = 0;
	unsigned int i;

	for (i = 0; i < s->nr_ext; i++) {
		const struct range *r = &s->ext[i].range;

		ok &= r->start <= r->end;
		ok &= r->start >= s->span.start && r->end <= s->span.end;
		ok &= !i || r->start > s->ext[i - 1].range.end;
		if (s->ext[i].owner)
			used += range_len(r);
		else
			scrub += range_len(r);
	}
	KUNIT_EXPECT_TRUE_MSG(test, ok, "extents unsorted or overlapping");
	KUNIT_EXPECT_LE(test, s->front + s->nr_ext, s->cap_ext);
	KUNIT_EXPECT_EQ(test, used, s->used);
	KUNIT_EXPECT_EQ(test, scrub, dax_space_scrub_pending(s));
}

/* the device's ranges as the allocator reads them */
static struct dax_owner_ranges tdev_view(const struct tdev *d)
{
	struct dax_owner_ranges v = {
		.owner = d,
		.first = d->r,
		.stride = sizeof(*d->r),
		.nr = d->nr,
	};
	unsigned int i;

	for (i = 0; i < d->nr; i++)
		v.size += range_len(&d->r[i]);
	return v;
}

static int tdev_plan_resize(const struct dax_space *s, const struct tdev *d,
			    u64 size, u64 align, bool scrub,
			    struct dax_space_plan *plan)
{
	struct dax_owner_ranges v = tdev_view(d);

	return dax_space_plan_resize(s, &v, size, align, scrub, plan);
}

/* apply the device side of @plan the way the bus core does: in place */
static void tdev_apply_ranges(struct kunit *test, struct tdev *d,
			      const struct dax_space_plan *plan)
{
	unsigned int kept = plan->nr_kept;

	KUNIT_ASSERT_LE(test, plan->nr_ranges, 2 * MANY);
	KUNIT_ASSERT_LE(test, kept, d->nr);
	KUNIT_ASSERT_LE(test, kept, plan->nr_ranges);
	/* a plan that appends keeps every range */
	if (plan->nr_ranges > kept)
		KUNIT_EXPECT_EQ(test, kept, d->nr);
	if (kept)
		d->r[kept - 1].end = plan->kept_end;
	memcpy(&d->r[kept], plan->added,
	       (plan->nr_ranges - kept) * sizeof(*d->r));
	d->nr = plan->nr_ranges;
}

static void tdev_apply(struct kunit *test, struct dax_space *s,
		       struct tdev *d, struct dax_space_plan *plan)
{
	dax_space_commit(s, plan);
	tdev_apply_ranges(test, d, plan);
	dax_space_plan_release(plan);
	check_space(test, s);
}

static int tdev_resize(struct kunit *test, struct dax_space *s,
		       struct tdev *d, u64 size, u64 align)
{
	struct dax_space_plan p = {}, *plan = &p;
	int rc;

	rc = tdev_plan_resize(s, d, size, align, false, plan);
	if (rc)
		return rc;
	tdev_apply(test, s, d, plan);
	return 0;
}

static int tdev_claim(struct kunit *test, struct dax_space *s,
		      struct tdev *d, u64 start, u64 end, u64 align)
{
	struct range want = { .start = start, .end = end };
	struct dax_owner_ranges v = tdev_view(d);
	struct dax_space_plan p = {}, *plan = &p;
	int rc;

	rc = dax_space_plan_claim(s, &v, &want, align, plan);
	if (rc)
		return rc;
	tdev_apply(test, s, d, plan);
	return 0;
}

static void expect_range(struct kunit *test, const struct tdev *d,
			 unsigned int i, u64 start, u64 len)
{
	KUNIT_ASSERT_LT(test, i, d->nr);
	KUNIT_EXPECT_EQ(test, d->r[i].start, start);
	KUNIT_EXPECT_EQ(test, d->r[i].end, start + len - 1);
}

/* snapshot of a space, to prove that a failed request changed nothing */
struct snap {
	struct dax_extent ext[8];
	unsigned int nr;
	u64 used;
};

static void snap_take(const struct dax_space *s, struct snap *sn)
{
	sn->nr = min(s->nr_ext, 8U);
	memcpy(sn->ext, s->ext, sn->nr * sizeof(*sn->ext));
	sn->used = s->used;
}

static void snap_expect_same(struct kunit *test, const struct dax_space *s,
			     const struct snap *sn)
{
	KUNIT_ASSERT_EQ(test, s->nr_ext, sn->nr);
	KUNIT_EXPECT_EQ(test, s->used, sn->used);
	KUNIT_EXPECT_MEMEQ(test, s->ext, sn->ext, sn->nr * sizeof(*sn->ext));
}

static void alloc_test_init(struct kunit *test)
{
	struct dax_space s;

	KUNIT_EXPECT_EQ(test, dax_space_init(&s, 2, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, dax_space_init(&s, 0, U64_MAX), -EINVAL);
	KUNIT_ASSERT_EQ(test, dax_space_init(&s, 0, SZ_8M - 1), 0);
	KUNIT_EXPECT_EQ(test, dax_space_avail(&s), SZ_8M);
	KUNIT_EXPECT_EQ(test, s.nr_ext, 0);
	dax_space_fini(&s);
}

static void alloc_test_first_alloc_at_start(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_4M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, a->nr, 1);
	expect_range(test, a, 0, BASE, SZ_4M);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_16M - SZ_4M);
}

static void alloc_test_grow_in_place(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_8M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, a->nr, 1);
	expect_range(test, a, 0, BASE, SZ_8M);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 1);
}

/* the space after the last range is taken before a lower hole */
static void alloc_test_in_place_before_lower_hole(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_32M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);
	struct tdev *c = tdev_new(test), *d = tdev_new(test);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, c, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, d, SZ_2M, SZ_2M), 0);
	/* a=[0,2M) b=[2M,4M) c=[4M,6M) d=[6M,8M); free b and d */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, 0, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, d, 0, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, b->nr, 0);

	/* c: everything fits behind it, b's lower hole stays free */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, c, SZ_8M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, c->nr, 1);
	expect_range(test, c, 0, BASE + SZ_4M, SZ_8M);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 2);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_32M - SZ_8M - SZ_2M);

	/* the next grow of a takes that hole in place as well */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_4M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, a->nr, 1);
	expect_range(test, a, 0, BASE, SZ_4M);
}

/* a short gap after the last range is used up, then the lowest hole */
static void alloc_test_in_place_then_lowest_hole(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test), *d = tdev_new(test);
	struct tdev *x = tdev_new(test), *y = tdev_new(test);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, d, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, x, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, y, SZ_2M, SZ_2M), 0);
	/* holes: [0,2M) below d and [4M,6M) right after it; free from 8M */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, 0, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, x, 0, SZ_2M), 0);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, d, SZ_8M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, d->nr, 3);
	expect_range(test, d, 0, BASE + SZ_2M, SZ_4M);
	expect_range(test, d, 1, BASE, SZ_2M);
	expect_range(test, d, 2, BASE + SZ_8M, SZ_2M);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 4);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_16M - SZ_8M - SZ_2M);
}

/* a gap behind the last range that holds no granule is not extended into */
static void alloc_test_in_place_needs_a_granule(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *d = tdev_new(test), *x = tdev_new(test);

	/* d (4M granule) at [4M,8M), x at [10M,12M): 2M gap behind d */
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, d, BASE + SZ_4M,
					 BASE + SZ_8M - 1, SZ_4M), 0);
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, x, BASE + 10 * SZ_1M,
					 BASE + 12 * SZ_1M - 1, SZ_2M), 0);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, d, SZ_8M + SZ_4M, SZ_4M),
			0);
	KUNIT_EXPECT_EQ(test, d->nr, 3);
	expect_range(test, d, 0, BASE + SZ_4M, SZ_4M);
	expect_range(test, d, 1, BASE, SZ_4M);
	expect_range(test, d, 2, BASE + 12 * SZ_1M, SZ_4M);
	/* the 2M gap is still free */
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_2M);
}

/* in place first, then the next hole up when nothing lies below */
static void alloc_test_in_place_then_next_hole(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_32M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);
	struct tdev *x = tdev_new(test);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, x, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, 0, SZ_2M), 0);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_8M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, a->nr, 2);
	expect_range(test, a, 0, BASE, SZ_4M);
	expect_range(test, a, 1, BASE + SZ_4M + SZ_2M, SZ_4M);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 3);
}

static void alloc_test_first_fit_order(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test), *d = tdev_new(test);

	/* a owns [0,2M) [4M,6M) [8M,10M): holes at 2M, 6M and 10M.. */
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, a, BASE, BASE + SZ_2M - 1,
					 SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, a, BASE + SZ_4M,
					 BASE + SZ_4M + SZ_2M - 1, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, a, BASE + SZ_8M,
					 BASE + SZ_8M + SZ_2M - 1, SZ_2M), 0);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, d, SZ_8M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, d->nr, 3);
	expect_range(test, d, 0, BASE + SZ_2M, SZ_2M);
	expect_range(test, d, 1, BASE + SZ_4M + SZ_2M, SZ_2M);
	expect_range(test, d, 2, BASE + SZ_8M + SZ_2M, SZ_4M);
}

/* a hole that is big enough but not aligned for the device is not used */
static void alloc_test_alignment_skips_holes(struct kunit *test)
{
	struct dax_space *s = space_new(test, 4ULL * SZ_1G);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);
	struct tdev *c = tdev_new(test);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, SZ_1G, SZ_1G), 0);
	expect_range(test, b, 0, BASE + SZ_1G, SZ_1G);

	/* c (2M) fills the low hole; then b grows in place */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, c, SZ_2M, SZ_2M), 0);
	expect_range(test, c, 0, BASE + SZ_2M, SZ_2M);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, 2ULL * SZ_1G, SZ_1G), 0);
	KUNIT_EXPECT_EQ(test, b->nr, 1);
	expect_range(test, b, 0, BASE + SZ_1G, 2ULL * SZ_1G);

	/* 1G - 4M is free below b but holds no aligned 1G block */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, 3ULL * SZ_1G, SZ_1G), 0);
	KUNIT_EXPECT_EQ(test, b->nr, 1);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, b, 4ULL * SZ_1G, SZ_1G),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_1G - SZ_4M);
}

static void alloc_test_enospc_changes_nothing(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_8M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);
	struct tdev *c = tdev_new(test);
	struct snap sn;

	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, a, BASE, BASE + SZ_2M - 1,
					 SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, c, BASE + SZ_4M,
					 BASE + SZ_4M + SZ_2M - 1, SZ_2M), 0);
	snap_take(s, &sn);

	/* more than is free */
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, b, SZ_8M, SZ_2M), -ENOSPC);
	snap_expect_same(test, s, &sn);
	/* exactly what is free, but not as one aligned 4M block */
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_4M);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, b, SZ_4M, SZ_4M), -ENOSPC);
	snap_expect_same(test, s, &sn);
	/* growing a device with ranges: still all or nothing */
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, SZ_8M, SZ_2M), -ENOSPC);
	snap_expect_same(test, s, &sn);
	KUNIT_EXPECT_EQ(test, a->nr, 1);
	KUNIT_EXPECT_EQ(test, b->nr, 0);
}

/* the in-place step would succeed, the first fit step cannot: no change */
static void alloc_test_partial_grow_fails_whole(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test), *x = tdev_new(test);
	struct tdev *y = tdev_new(test);
	struct snap sn;

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_4M, SZ_4M), 0);
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, x, BASE + SZ_8M,
					 BASE + SZ_8M + SZ_2M - 1, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, y, BASE + 14 * SZ_1M,
					 BASE + SZ_16M - 1, SZ_2M), 0);
	snap_take(s, &sn);

	/* 8M free: [4M,8M) right after a, and [10M,14M) with no aligned 4M */
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_8M);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, SZ_4M + SZ_8M, SZ_4M),
			-ENOSPC);
	snap_expect_same(test, s, &sn);
	KUNIT_EXPECT_EQ(test, a->nr, 1);
	expect_range(test, a, 0, BASE, SZ_4M);

	/* what does fit is still granted */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_8M, SZ_4M), 0);
	expect_range(test, a, 0, BASE, SZ_8M);
}

static void alloc_test_shrink_from_tail(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_32M);
	struct tdev *a = tdev_new(test), *x = tdev_new(test);
	struct dax_space_plan p = {}, *plan = &p;
	int rc;

	/* a = [0,4M) [10M,12M) [20M,22M) in page offset order */
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, a, BASE, BASE + SZ_4M - 1,
					 SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, a, BASE + 10 * SZ_1M,
					 BASE + 12 * SZ_1M - 1, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, a, BASE + 20 * SZ_1M,
					 BASE + 22 * SZ_1M - 1, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, x, BASE + 30 * SZ_1M,
					 BASE + 32 * SZ_1M - 1, SZ_2M), 0);

	rc = tdev_plan_resize(s, a, SZ_4M + SZ_2M, SZ_2M, false, plan);
	KUNIT_ASSERT_EQ(test, rc, 0);
	KUNIT_EXPECT_EQ(test, plan->nr_kept, 2);
	tdev_apply(test, s, a, plan);
	KUNIT_EXPECT_EQ(test, a->nr, 2);
	expect_range(test, a, 1, BASE + 10 * SZ_1M, SZ_2M);

	rc = tdev_plan_resize(s, a, SZ_2M, SZ_2M, false, plan);
	KUNIT_ASSERT_EQ(test, rc, 0);
	KUNIT_EXPECT_EQ(test, plan->nr_kept, 1);
	tdev_apply(test, s, a, plan);
	KUNIT_EXPECT_EQ(test, a->nr, 1);
	expect_range(test, a, 0, BASE, SZ_2M);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_32M - SZ_4M);

	/* x was never touched */
	KUNIT_EXPECT_EQ(test, x->nr, 1);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 2);
}

static void alloc_test_claim_rejects(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);
	u64 top = BASE + SZ_16M - 1;
	struct snap sn;

	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, a, BASE + SZ_4M,
					 BASE + SZ_8M - 1, SZ_2M), 0);
	snap_take(s, &sn);

	/* reversed and empty ("1-0") */
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, b, BASE + SZ_2M, BASE, SZ_2M),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, b, 1, 0, SZ_2M), -EINVAL);
	/* length or start not a multiple of the granule */
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, b, BASE, BASE + SZ_1M - 1,
					 SZ_2M), -EINVAL);
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, b, BASE + SZ_1M,
					 BASE + SZ_1M + SZ_2M - 1, SZ_2M),
			-EINVAL);
	/* outside the region, including the very top of the address space */
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, b, BASE - SZ_2M, BASE - 1,
					 SZ_2M), -ERANGE);
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, b, top + 1,
					 top + SZ_2M, SZ_2M), -ERANGE);
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, b, top - SZ_2M + 1,
					 U64_MAX, SZ_2M), -ERANGE);
	/* overlapping an allocation, at either edge or inside it */
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, b, BASE + SZ_2M,
					 BASE + SZ_4M + SZ_2M - 1, SZ_2M),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, b, BASE + SZ_4M + SZ_2M,
					 BASE + SZ_8M + SZ_2M - 1, SZ_2M),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, b, BASE + SZ_4M,
					 BASE + SZ_4M + SZ_2M - 1, SZ_2M),
			-EBUSY);
	/* the same device cannot claim its own space twice either */
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, a, BASE + SZ_4M,
					 BASE + SZ_8M - 1, SZ_2M), -EBUSY);
	snap_expect_same(test, s, &sn);
	KUNIT_EXPECT_EQ(test, b->nr, 0);

	/* adjacent on both sides is fine, and appends at the end */
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, a, BASE + SZ_8M,
					 BASE + SZ_8M + SZ_2M - 1, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, a, BASE + SZ_2M,
					 BASE + SZ_4M - 1, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, a->nr, 3);
	expect_range(test, a, 2, BASE + SZ_2M, SZ_2M);
}

static void alloc_test_bad_arguments(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test);

	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, SZ_2M, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, SZ_2M, 3 * SZ_1M),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, SZ_1M, SZ_2M), -EINVAL);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, U64_MAX - SZ_2M + 1,
					  SZ_2M), -ENOSPC);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 0);

	/* ranges that the region does not know about are an inconsistency */
	a->r[0] = (struct range) { .start = BASE, .end = BASE + SZ_2M - 1 };
	a->nr = 1;
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, SZ_4M, SZ_2M), -EUCLEAN);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, 0, SZ_2M), -EUCLEAN);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 0);
}

/*
 * The device's ranges and the region's extents disagree: a range is not
 * recorded at all, recorded with another end, or recorded for another
 * device.  Growing and shrinking report -EUCLEAN and change nothing; the
 * bus turns that into a warning (not done here: this is the allocator on
 * its own).
 */
static void alloc_test_records_inconsistent(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);
	struct range keep;
	struct snap sn;

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_4M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, a, BASE + SZ_8M,
					 BASE + SZ_8M + SZ_2M - 1, SZ_2M), 0);
	snap_take(s, &sn);
	keep = a->r[1];

	/* the last range is missing from the extent list */
	a->r[1].start += SZ_4M;
	a->r[1].end += SZ_4M;
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, SZ_8M, SZ_2M), -EUCLEAN);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, SZ_2M, SZ_2M), -EUCLEAN);
	snap_expect_same(test, s, &sn);

	/* recorded, but with a different end */
	a->r[1] = keep;
	a->r[1].end += SZ_2M;
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, SZ_8M + SZ_2M, SZ_2M),
			-EUCLEAN);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, SZ_4M, SZ_2M), -EUCLEAN);
	snap_expect_same(test, s, &sn);

	/* recorded for another device */
	a->r[1] = b->r[0];
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, SZ_8M, SZ_2M), -EUCLEAN);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, SZ_4M, SZ_2M), -EUCLEAN);
	snap_expect_same(test, s, &sn);

	/* put right, the same requests work */
	a->r[1] = keep;
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, a, SZ_4M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, a->nr, 1);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_16M - SZ_4M - SZ_2M);
}

static void alloc_test_release_owner(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_8M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, a->nr, 2);

	dax_space_release_owner(s, a, false);
	check_space(test, s);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 1);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_16M - SZ_2M);
	KUNIT_EXPECT_PTR_EQ(test, s->ext[0].owner, (const void *)b);
}

/* resize that gives what it frees to the scrubber */
static int tdev_resize_dirty(struct kunit *test, struct dax_space *s,
			     struct tdev *d, u64 size, u64 align)
{
	struct dax_space_plan p = {}, *plan = &p;
	int rc;

	rc = tdev_plan_resize(s, d, size, align, true, plan);
	if (rc)
		return rc;
	tdev_apply(test, s, d, plan);
	return 0;
}

/* clear everything that is to scrub, @max bytes at a time */
static unsigned int scrub_all(struct kunit *test, struct dax_space *s, u64 max)
{
	unsigned int n = 0;
	struct range chunk;

	while (dax_space_scrub_next(s, max, &chunk)) {
		KUNIT_ASSERT_LE(test, range_len(&chunk), max);
		KUNIT_ASSERT_EQ(test, dax_space_scrub_done(s, &chunk), 0);
		check_space(test, s);
		n++;
	}
	KUNIT_EXPECT_EQ(test, dax_space_scrub_pending(s), 0);
	return n;
}

/* released to scrub: still available, not free, no owner */
static void alloc_test_scrub_release(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_4M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, SZ_2M, SZ_2M), 0);
	dax_space_release_owner(s, a, true);
	check_space(test, s);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_16M - SZ_2M);
	KUNIT_EXPECT_EQ(test, dax_space_scrub_pending(s), SZ_4M);
	KUNIT_ASSERT_EQ(test, s->nr_ext, 2);
	KUNIT_EXPECT_NULL(test, s->ext[0].owner);
	KUNIT_EXPECT_EQ(test, s->ext[0].range.start, BASE);
	KUNIT_EXPECT_EQ(test, s->ext[0].range.end, BASE + SZ_4M - 1);
	/* a second release of the same owner finds nothing */
	dax_space_release_owner(s, a, true);
	KUNIT_EXPECT_EQ(test, dax_space_scrub_pending(s), SZ_4M);
	/* a shrink without scrub frees at once */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, 0, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 1);
	KUNIT_EXPECT_EQ(test, dax_space_scrub_pending(s), SZ_4M);
	KUNIT_EXPECT_EQ(test, scrub_all(test, s, SZ_2M), 2);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 0);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_16M);
}

/* growth takes clean holes and leaves space that is to scrub alone */
static void alloc_test_scrub_prefers_clean(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_8M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize_dirty(test, s, a, 0, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, SZ_8M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, b->nr, 1);
	expect_range(test, b, 0, BASE + SZ_8M, SZ_8M);
	KUNIT_EXPECT_EQ(test, dax_space_scrub_pending(s), SZ_8M);
}

/* a grow that only space to scrub could serve: -EAGAIN, nothing changes */
static void alloc_test_scrub_grow_waits(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_8M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);
	struct range chunk;
	struct snap sn;

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_8M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize_dirty(test, s, a, 0, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_8M);
	snap_take(s, &sn);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, b, SZ_2M, SZ_2M), -EAGAIN);
	/* more than is available at all stays -ENOSPC */
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, b, SZ_16M, SZ_2M), -ENOSPC);
	snap_expect_same(test, s, &sn);
	KUNIT_EXPECT_EQ(test, dax_space_scrub_pending(s), SZ_8M);
	KUNIT_EXPECT_EQ(test, b->nr, 0);

	/* one chunk clean: enough for 2M, not for 4M */
	KUNIT_ASSERT_TRUE(test, dax_space_scrub_next(s, SZ_2M, &chunk));
	KUNIT_EXPECT_EQ(test, chunk.start, BASE);
	KUNIT_EXPECT_EQ(test, chunk.end, BASE + SZ_2M - 1);
	KUNIT_ASSERT_EQ(test, dax_space_scrub_done(s, &chunk), 0);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, b, SZ_4M, SZ_2M), -EAGAIN);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, b, SZ_2M, SZ_2M), 0);
	expect_range(test, b, 0, BASE, SZ_2M);
	/* all clean: the rest of the region */
	scrub_all(test, s, SZ_4M);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, b, SZ_8M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, b->nr, 1);
}

/* a claim over space to scrub waits, over a device's space fails */
static void alloc_test_scrub_claim(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);
	struct tdev *c = tdev_new(test);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_4M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, SZ_2M, SZ_2M), 0);
	dax_space_release_owner(s, a, true);
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, c, BASE, BASE + SZ_2M - 1,
					 SZ_2M), -EAGAIN);
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, c, BASE + SZ_2M,
					 BASE + SZ_8M - 1, SZ_2M), -EBUSY);
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, c, BASE + SZ_2M,
					 BASE + SZ_4M - 1, SZ_2M), -EAGAIN);
	KUNIT_EXPECT_EQ(test, c->nr, 0);
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, c, BASE + SZ_8M,
					 BASE + SZ_16M - 1, SZ_2M), 0);
	scrub_all(test, s, SZ_32M);
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, c, BASE, BASE + SZ_4M - 1,
					 SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, c->nr, 2);
}

/* a shrink gives its tail and its dropped ranges to the scrubber */
static void alloc_test_scrub_shrink(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_32M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);

	/* a = [0,8M) + [10M,14M), b = [8M,10M) */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_8M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_8M + SZ_4M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, a->nr, 2);

	/* drop [10M,14M) and trim [6M,8M): 6M to scrub */
	KUNIT_ASSERT_EQ(test, tdev_resize_dirty(test, s, a, SZ_4M + SZ_2M,
						SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, a->nr, 1);
	expect_range(test, a, 0, BASE, SZ_4M + SZ_2M);
	KUNIT_EXPECT_EQ(test, dax_space_scrub_pending(s), SZ_4M + SZ_2M);
	KUNIT_ASSERT_EQ(test, s->nr_ext, 4);
	KUNIT_EXPECT_NULL(test, s->ext[1].owner);
	KUNIT_EXPECT_EQ(test, s->ext[1].range.start, BASE + SZ_4M + SZ_2M);
	KUNIT_EXPECT_EQ(test, s->ext[1].range.end, BASE + SZ_8M - 1);
	KUNIT_EXPECT_NULL(test, s->ext[3].owner);

	/* growing again: not in place over its own old tail, a clean hole */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_8M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, a->nr, 2);
	expect_range(test, a, 1, BASE + SZ_16M - SZ_2M, SZ_2M);
}

/* chunks come lowest first, and only valid chunks are accepted */
static void alloc_test_scrub_chunks(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);
	struct range chunk, bad;
	struct snap sn;

	KUNIT_EXPECT_FALSE(test, dax_space_scrub_next(s, SZ_2M, &chunk));
	/* a = [0,2M), b = [2M,10M), both given to the scrubber */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_2M, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, SZ_8M, SZ_2M), 0);
	dax_space_release_owner(s, b, true);
	dax_space_release_owner(s, a, true);
	KUNIT_EXPECT_EQ(test, dax_space_scrub_pending(s), SZ_8M + SZ_2M);

	snap_take(s, &sn);
	bad = (struct range) { .start = BASE + SZ_4M, .end = BASE + SZ_8M - 1 };
	KUNIT_EXPECT_EQ(test, dax_space_scrub_done(s, &bad), -EUCLEAN);
	bad = (struct range) { .start = BASE + SZ_2M, .end = BASE + SZ_16M - 1 };
	KUNIT_EXPECT_EQ(test, dax_space_scrub_done(s, &bad), -EUCLEAN);
	bad = (struct range) { .start = BASE + SZ_16M, .end = BASE + SZ_16M };
	KUNIT_EXPECT_EQ(test, dax_space_scrub_done(s, &bad), -EUCLEAN);
	snap_expect_same(test, s, &sn);
	KUNIT_EXPECT_EQ(test, dax_space_scrub_pending(s), SZ_8M + SZ_2M);

	KUNIT_ASSERT_TRUE(test, dax_space_scrub_next(s, SZ_4M, &chunk));
	KUNIT_EXPECT_EQ(test, chunk.start, BASE);
	KUNIT_EXPECT_EQ(test, chunk.end, BASE + SZ_2M - 1);
	/* [0,2M), then [2M,6M) and [6M,10M) */
	KUNIT_EXPECT_EQ(test, scrub_all(test, s, SZ_4M), 3);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 0);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_16M);
}

/* a region owned by one device: nothing to scrub, a claim by owner */
static void alloc_test_scrub_owned_busy(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_4M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_4M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, tdev_resize(test, s, b, SZ_2M, SZ_2M), -ENOSPC);
	KUNIT_EXPECT_EQ(test, tdev_claim(test, s, b, BASE, BASE + SZ_2M - 1,
					 SZ_2M), -EBUSY);
}

/* thousands of ranges per device, built by claims and by one grow */
static void alloc_test_many_ranges(struct kunit *test)
{
	struct dax_space *s = space_new(test, (u64)MANY * 2 * SZ_2M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);
	unsigned int i;

	for (i = 0; i < MANY; i++) {
		u64 start = BASE + (u64)(MANY - 1 - i) * 2 * SZ_2M;

		KUNIT_ASSERT_EQ(test, tdev_claim(test, s, a, start,
						 start + SZ_2M - 1, SZ_2M), 0);
	}
	KUNIT_EXPECT_EQ(test, a->nr, MANY);
	KUNIT_EXPECT_EQ(test, a->r[0].start,
			BASE + (u64)(MANY - 1) * 2 * SZ_2M);

	/* every other 2M is free: one grow takes them all, lowest first */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, b, (u64)MANY * SZ_2M, SZ_2M),
			0);
	KUNIT_EXPECT_EQ(test, b->nr, MANY);
	for (i = 0; i < MANY; i++)
		KUNIT_EXPECT_EQ(test, b->r[i].start,
				BASE + (u64)i * 2 * SZ_2M + SZ_2M);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), 0);

	/* shrink a by half: its last MANY / 2 ranges (lowest addresses) go */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, (u64)MANY / 2 * SZ_2M,
					  SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, a->nr, MANY / 2);
	KUNIT_EXPECT_EQ(test, a->r[MANY / 2 - 1].start,
			BASE + (u64)(MANY / 2) * 2 * SZ_2M);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), (u64)MANY / 2 * SZ_2M);
}

/* a plan is only the edit: nothing changes until it is committed */
static void alloc_test_plan_changes_nothing(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);
	struct range want = {
		.start = BASE + 12 * SZ_1M,
		.end = BASE + 14 * SZ_1M - 1,
	};
	struct dax_owner_ranges v;
	struct dax_space_plan p = {}, *plan = &p;
	int rc;
	struct snap sn;

	/* a = [0,2M), b = [4M,6M) */
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, a, BASE, BASE + SZ_2M - 1,
					 SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, b, BASE + SZ_4M,
					 BASE + 6 * SZ_1M - 1, SZ_2M), 0);
	snap_take(s, &sn);

	/* a grows by 6M: 2M in place, then 4M from 6M on */
	rc = tdev_plan_resize(s, a, SZ_8M, SZ_2M, false, plan);
	KUNIT_ASSERT_EQ(test, rc, 0);
	snap_expect_same(test, s, &sn);
	KUNIT_EXPECT_EQ(test, plan->nr_kept, 1);
	KUNIT_EXPECT_EQ(test, plan->kept_end, BASE + SZ_4M - 1);
	KUNIT_ASSERT_EQ(test, plan->nr_ranges, 2);
	KUNIT_EXPECT_EQ(test, plan->added[0].start, BASE + 6 * SZ_1M);
	KUNIT_EXPECT_EQ(test, plan->added[0].end, BASE + 10 * SZ_1M - 1);
	dax_space_plan_release(plan);
	snap_expect_same(test, s, &sn);

	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_8M, SZ_2M), 0);
	expect_range(test, a, 0, BASE, SZ_4M);
	expect_range(test, a, 1, BASE + 6 * SZ_1M, SZ_4M);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 3);
	snap_take(s, &sn);

	/* a shrink that scrubs: one range to drop, one tail to split off */
	rc = tdev_plan_resize(s, a, SZ_2M, SZ_2M, true, plan);
	KUNIT_ASSERT_EQ(test, rc, 0);
	snap_expect_same(test, s, &sn);
	KUNIT_EXPECT_EQ(test, plan->nr_kept, 1);
	KUNIT_EXPECT_EQ(test, plan->nr_ranges, 1);
	KUNIT_EXPECT_EQ(test, plan->kept_end, BASE + SZ_2M - 1);
	dax_space_plan_release(plan);
	snap_expect_same(test, s, &sn);

	v = tdev_view(b);
	rc = dax_space_plan_claim(s, &v, &want, SZ_2M, plan);
	KUNIT_ASSERT_EQ(test, rc, 0);
	snap_expect_same(test, s, &sn);
	dax_space_plan_release(plan);
	snap_expect_same(test, s, &sn);
}

/* the extent array doubles when it is full, and only then */
static void alloc_test_ext_array_doubles(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_1G);
	struct tdev *a = tdev_new(test);
	unsigned int i, grown = 0;

	for (i = 0; i < 100; i++) {
		struct range want = {
			.start = BASE + (u64)i * SZ_4M,
			.end = BASE + (u64)i * SZ_4M + SZ_2M - 1,
		};
		struct dax_owner_ranges v = tdev_view(a);
		struct dax_space_plan p = {}, *plan = &p;
		int rc;

		rc = dax_space_plan_claim(s, &v, &want, SZ_2M, plan);
		KUNIT_ASSERT_EQ(test, rc, 0);
		if (s->nr_ext < s->cap_ext) {
			KUNIT_EXPECT_NULL(test, plan->ext);
		} else {
			KUNIT_EXPECT_NOT_NULL(test, plan->ext);
			KUNIT_EXPECT_GE(test, plan->cap_ext, 2 * s->cap_ext);
			grown++;
		}
		tdev_apply(test, s, a, plan);
		KUNIT_EXPECT_GE(test, s->cap_ext, s->nr_ext);
	}
	KUNIT_EXPECT_EQ(test, s->nr_ext, 100);
	/* 16, 32, 64, 128 entries */
	KUNIT_EXPECT_EQ(test, grown, 4);
}

/*
 * A plan of up to DAX_PLAN_INLINE new extents lives in the plan itself; a
 * larger one takes one allocation, which a refused request never keeps.
 */
static void alloc_test_plan_room(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_32M);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);
	unsigned int i;
	int rc;

	CLASS(dax_plan, plan)();

	/* b = [0,2M) [4M,6M) [8M,10M) [12M,14M): 2M holes at 2M, 6M, 10M */
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_EQ(test,
				tdev_claim(test, s, b, BASE + i * SZ_4M,
					   BASE + i * SZ_4M + SZ_2M - 1, SZ_2M),
				0);

	rc = tdev_plan_resize(s, a, SZ_4M, SZ_2M, false, &plan);
	KUNIT_ASSERT_EQ(test, rc, 0);
	KUNIT_EXPECT_EQ(test, plan.nr_add, 2);
	KUNIT_EXPECT_NULL(test, plan.buf);
	KUNIT_EXPECT_PTR_EQ(test, plan.add, &plan.inline_add[0]);
	KUNIT_EXPECT_PTR_EQ(test, plan.added, &plan.inline_added[0]);

	/* planned again in place of the first: three holes, one allocation */
	rc = tdev_plan_resize(s, a, SZ_4M + SZ_2M, SZ_2M, false, &plan);
	KUNIT_ASSERT_EQ(test, rc, 0);
	KUNIT_EXPECT_EQ(test, plan.nr_add, 3);
	KUNIT_EXPECT_NOT_NULL(test, plan.buf);
	KUNIT_EXPECT_PTR_EQ(test, (void *)plan.add, plan.buf);
	KUNIT_EXPECT_EQ(test, plan.added[2].start, BASE + 10 * SZ_1M);

	dax_space_plan_release(&plan);
	KUNIT_EXPECT_NULL(test, plan.buf);
	dax_space_plan_release(&plan);

	/* a refused growth leaves the plan holding nothing */
	rc = tdev_plan_resize(s, a, SZ_32M, SZ_2M, false, &plan);
	KUNIT_EXPECT_EQ(test, rc, -ENOSPC);
	KUNIT_EXPECT_NULL(test, plan.buf);
	KUNIT_EXPECT_NULL(test, plan.ext);

	/* a small edit commits from the plan's own room */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_4M, SZ_2M), 0);
	expect_range(test, a, 0, BASE + SZ_2M, SZ_2M);
	expect_range(test, a, 1, BASE + 6 * SZ_1M, SZ_2M);
}

/*
 * Extents added below all others take the room in front of the array,
 * and dropping the lowest gives it back: the extents above stay where
 * they are.
 */
static void alloc_test_ext_array_both_ends(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_1G);
	struct tdev *a = tdev_new(test), *b = tdev_new(test);
	const struct dax_extent *top;
	unsigned int i, front;

	/* 40 extents of b, from the top down: each one below all others */
	for (i = 40; i-- > 0;)
		KUNIT_ASSERT_EQ(test,
				tdev_claim(test, s, b, BASE + (u64)i * SZ_4M,
					   BASE + (u64)i * SZ_4M + SZ_2M - 1,
					   SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, s->nr_ext, 40);
	top = &s->ext[39];

	/* a takes the lowest hole, below all but one of b's extents */
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_2M, SZ_2M), 0);
	expect_range(test, a, 0, BASE + SZ_2M, SZ_2M);
	KUNIT_EXPECT_PTR_EQ(test, &s->ext[40], top);
	front = s->front;

	/* b's lowest extent leaves: the front room grows by one */
	KUNIT_ASSERT_EQ(test, tdev_claim(test, s, a, BASE + 160 * SZ_1M,
					 BASE + 162 * SZ_1M - 1, SZ_2M), 0);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, SZ_2M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, s->front, front);
	KUNIT_EXPECT_PTR_EQ(test, &s->ext[40], top);
	KUNIT_ASSERT_EQ(test, tdev_resize(test, s, a, 0, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, s->front, front + 1);
	KUNIT_EXPECT_PTR_EQ(test, &s->ext[39], top);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 40);
}

/* the caller's range array is read in place, whatever else it holds */
static void alloc_test_strided_ranges(struct kunit *test)
{
	struct dax_space *s = space_new(test, SZ_16M);
	struct {
		unsigned long pgoff;
		struct range range;
		void *mapping;
	} e[2] = {};
	struct dax_owner_ranges v = {
		.owner = e,
		.first = &e[0].range,
		.stride = sizeof(e[0]),
	};
	struct range want = {
		.start = BASE + SZ_8M,
		.end = BASE + SZ_8M + SZ_2M - 1,
	};
	struct dax_space_plan p = {}, *plan = &p;
	int rc;

	rc = dax_space_plan_resize(s, &v, SZ_2M, SZ_2M, false, plan);
	KUNIT_ASSERT_EQ(test, rc, 0);
	KUNIT_ASSERT_EQ(test, plan->nr_ranges, 1);
	dax_space_commit(s, plan);
	e[0].range = plan->added[0];
	dax_space_plan_release(plan);
	v.nr = 1;
	v.size = SZ_2M;

	rc = dax_space_plan_claim(s, &v, &want, SZ_2M, plan);
	KUNIT_ASSERT_EQ(test, rc, 0);
	KUNIT_ASSERT_EQ(test, plan->nr_ranges, 2);
	dax_space_commit(s, plan);
	e[1].range = plan->added[0];
	dax_space_plan_release(plan);
	v.nr = 2;
	v.size = SZ_4M;

	/* grows in place behind e[1], the last range */
	rc = dax_space_plan_resize(s, &v, SZ_4M + SZ_2M, SZ_2M, false, plan);
	KUNIT_ASSERT_EQ(test, rc, 0);
	KUNIT_EXPECT_EQ(test, plan->nr_ranges, 2);
	KUNIT_EXPECT_EQ(test, plan->nr_kept, 2);
	KUNIT_EXPECT_EQ(test, plan->kept_end, BASE + 12 * SZ_1M - 1);
	dax_space_commit(s, plan);
	e[1].range.end = plan->kept_end;
	dax_space_plan_release(plan);
	v.size = SZ_4M + SZ_2M;
	check_space(test, s);

	/* e[1] goes as a whole */
	rc = dax_space_plan_resize(s, &v, SZ_2M, SZ_2M, false, plan);
	KUNIT_ASSERT_EQ(test, rc, 0);
	KUNIT_EXPECT_EQ(test, plan->nr_ranges, 1);
	KUNIT_EXPECT_EQ(test, plan->nr_kept, 1);
	KUNIT_EXPECT_EQ(test, plan->kept_end, BASE + SZ_2M - 1);
	dax_space_commit(s, plan);
	dax_space_plan_release(plan);
	check_space(test, s);
	KUNIT_EXPECT_EQ(test, s->nr_ext, 1);
	KUNIT_EXPECT_EQ(test, dax_space_avail(s), SZ_16M - SZ_2M);
}

static struct kunit_case dax_region_alloc_cases[] = {
	KUNIT_CASE(alloc_test_init),
	KUNIT_CASE(alloc_test_first_alloc_at_start),
	KUNIT_CASE(alloc_test_grow_in_place),
	KUNIT_CASE(alloc_test_in_place_before_lower_hole),
	KUNIT_CASE(alloc_test_in_place_then_lowest_hole),
	KUNIT_CASE(alloc_test_in_place_needs_a_granule),
	KUNIT_CASE(alloc_test_in_place_then_next_hole),
	KUNIT_CASE(alloc_test_first_fit_order),
	KUNIT_CASE(alloc_test_alignment_skips_holes),
	KUNIT_CASE(alloc_test_enospc_changes_nothing),
	KUNIT_CASE(alloc_test_partial_grow_fails_whole),
	KUNIT_CASE(alloc_test_shrink_from_tail),
	KUNIT_CASE(alloc_test_claim_rejects),
	KUNIT_CASE(alloc_test_bad_arguments),
	KUNIT_CASE(alloc_test_records_inconsistent),
	KUNIT_CASE(alloc_test_release_owner),
	KUNIT_CASE(alloc_test_scrub_release),
	KUNIT_CASE(alloc_test_scrub_prefers_clean),
	KUNIT_CASE(alloc_test_scrub_grow_waits),
	KUNIT_CASE(alloc_test_scrub_claim),
	KUNIT_CASE(alloc_test_scrub_shrink),
	KUNIT_CASE(alloc_test_scrub_chunks),
	KUNIT_CASE(alloc_test_scrub_owned_busy),
	KUNIT_CASE(alloc_test_many_ranges),
	KUNIT_CASE(alloc_test_plan_changes_nothing),
	KUNIT_CASE(alloc_test_ext_array_doubles),
	KUNIT_CASE(alloc_test_plan_room),
	KUNIT_CASE(alloc_test_ext_array_both_ends),
	KUNIT_CASE(alloc_test_strided_ranges),
	{}
};

static struct kunit_suite dax_region_alloc_suite = {
	.name = "dax-region-alloc",
	.test_cases = dax_region_alloc_cases,
};

kunit_test_suite(dax_region_alloc_suite);

MODULE_DESCRIPTION("KUnit tests for the device-dax region allocator");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
