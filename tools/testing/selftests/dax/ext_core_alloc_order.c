// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation order of a `size` grow, seen through sysfs: the device's
 * last range is first extended in place over the free space right after
 * it, and what is still missing comes from the free holes in address
 * order, lowest first. Extension: stock 6.12 takes the lowest hole first
 * even when the last range could grow in place; on stock the resulting
 * layout is recorded in the SKIP line.
 */
#include "kselftest_harness.h"
#include "dax_common.h"

FIXTURE(order) {
	struct dax_region r;
	struct dax_state start;
	uint64_t R;
};

FIXTURE_SETUP(order)
{
	DAX_FIXTURE_SETUP(self);
	self->R = self->r.start;
	if (self->start.avail != self->r.size)
		SKIP(return, "region already has allocations");
}

FIXTURE_TEARDOWN_PARENT(order)
{
	DAX_FIXTURE_TEARDOWN(self);
}

struct want {
	uint64_t start;
	uint64_t len;
};

/* 0 if @dev's ranges in page offset order are @w; else 1, layout in @m */
static int ranges_differ(const char *dev, const struct want *w, int n,
			 char *m)
{
	struct dax_dev_state d;
	int i, diff;

	m[0] = '\0';
	if (dax_dev_read(dev, &d)) {
		dax_msg(m, "cannot read %s", dev);
		return 1;
	}
	diff = d.nr != n;
	for (i = 0; !diff && i < n; i++)
		diff = d.r[i].start != w[i].start ||
		       d.r[i].end != w[i].start + w[i].len - 1;
	dax_msg(m, "%s:", dev);
	for (i = 0; i < d.nr; i++)
		dax_msg(m, " %#" PRIx64 "-%#" PRIx64 "@%#" PRIx64,
			d.r[i].start, d.r[i].end, d.r[i].pgoff);
	return diff;
}

/*
 * Assert the layout on ours. On stock, SKIP with the layout it produced
 * (the grow itself is harmless there, so the evidence comes for free).
 */
#define ASSERT_ORDER(dev, ...) do { \
	const struct want __w[] = { __VA_ARGS__ }; \
	char __m[DAX_MSG]; \
	int __d = ranges_differ(dev, __w, sizeof(__w) / sizeof(__w[0]), __m); \
	if (dax_impl_is_stock()) \
		SKIP(return, "stock divergence: grow takes the lowest hole " \
		     "before extending in place [stock layout %s]", __m); \
	ASSERT_EQ(0, __d) TH_LOG("unexpected layout %s", __m); \
} while (0)

TEST_F(order, extension_comes_before_a_lower_hole)
{
	const uint64_t R = self->R;
	char a[DAX_NAME], d[DAX_NAME], e[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, d, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_set_size(a, 0));
	/* hole [R, R+2M); d at R+2M with free space behind it */
	ASSERT_OK_STEP(&self->r, dax_set_size(d, 4 * SZ_2M));
	ASSERT_ORDER(d, { R + SZ_2M, 4 * SZ_2M });
	/* the lower hole is still there for the next device */
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, e, SZ_2M));
	ASSERT_ORDER(e, { R, SZ_2M });
}

TEST_F(order, short_extension_then_holes_in_address_order)
{
	const uint64_t R = self->R;
	char n[6][DAX_NAME];	/* a p b d x y, 2M each from R */
	int i;

	for (i = 0; i < 6; i++)
		ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, n[i], SZ_2M));
	/* holes: [R, 2M), [R+4M, 2M), [R+8M, 2M) right behind d; R+12M on */
	ASSERT_OK_STEP(&self->r, dax_set_size(n[0], 0));
	ASSERT_OK_STEP(&self->r, dax_set_size(n[2], 0));
	ASSERT_OK_STEP(&self->r, dax_set_size(n[4], 0));
	ASSERT_OK_STEP(&self->r, dax_set_size(n[3], 5 * SZ_2M));
	ASSERT_ORDER(n[3], { R + 3 * SZ_2M, 2 * SZ_2M }, { R, SZ_2M },
		     { R + 2 * SZ_2M, SZ_2M }, { R + 6 * SZ_2M, SZ_2M });
}

/* no extension possible: the same answer as stock, asserted on both */
TEST_F(order, boxed_in_device_fills_holes_lowest_first)
{
	const uint64_t R = self->R;
	const struct want w[] = {
		{ R + 2 * SZ_2M, SZ_2M }, { R, 2 * SZ_2M },
		{ R + 5 * SZ_2M, SZ_2M },
	};
	char n[5][DAX_NAME];	/* a b d x c, 2M each from R */
	char m[DAX_MSG];
	int i;

	for (i = 0; i < 5; i++)
		ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, n[i], SZ_2M));
	/* d is boxed in by x; holes [R, 4M) and from R+10M */
	ASSERT_OK_STEP(&self->r, dax_set_size(n[1], 0));
	ASSERT_OK_STEP(&self->r, dax_set_size(n[0], 0));
	ASSERT_OK_STEP(&self->r, dax_set_size(n[2], 4 * SZ_2M));
	ASSERT_EQ(0, ranges_differ(n[2], w, 3, m)) TH_LOG("%s", m);
}

TEST_F(order, only_the_last_range_grows_in_place)
{
	const uint64_t R = self->R;
	char d[DAX_NAME];

	/* d = [R, 2M]@0 [R+4M, 2M]@512: free behind both ranges */
	ASSERT_OK_STEP(&self->r, dax_create(&self->r, d));
	ASSERT_OK_STEP(&self->r, dax_write_mapping(d, R, R + SZ_2M - 1));
	ASSERT_OK_STEP(&self->r, dax_write_mapping(d, R + 2 * SZ_2M,
						   R + 3 * SZ_2M - 1));
	ASSERT_OK_STEP(&self->r, dax_set_size(d, 4 * SZ_2M));
	/* the hole behind the first range is lower, but stays free */
	ASSERT_ORDER(d, { R, SZ_2M }, { R + 2 * SZ_2M, 3 * SZ_2M });
}

TEST_HARNESS_MAIN
