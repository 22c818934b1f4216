// SPDX-License-Identifier: GPL-2.0
/*
 * A device aligned to 1G never gets a range that only a smaller granule
 * fits: with the lowest free hole starting 2M into a 1G-aligned region,
 * growing a 1G-aligned device by 1G takes the next 1G boundary and leaves
 * the small hole free for others. Extension: stock 6.12 hands the device
 * the misaligned hole (its answer is recorded in the SKIP line).
 */
#include "kselftest_harness.h"
#include "dax_common.h"

FIXTURE(align_skip) {
	struct dax_region r;
	struct dax_state start;
	uint64_t R;
};

FIXTURE_SETUP(align_skip)
{
	DAX_FIXTURE_SETUP(self);
	self->R = self->r.start;
	if (self->start.avail != self->r.size)
		SKIP(return, "region already has allocations");
	if (access("/sys/kernel/mm/transparent_hugepage", F_OK))
		SKIP(return, "1G align needs transparent hugepages");
	if (self->R % SZ_1G || self->r.size < 2 * SZ_1G)
		SKIP(return, "needs a 1G-aligned region of at least 2G");
}

FIXTURE_TEARDOWN_PARENT(align_skip)
{
	DAX_FIXTURE_TEARDOWN(self);
}

TEST_F(align_skip, one_gig_device_skips_two_meg_aligned_hole)
{
	const uint64_t R = self->R;
	char a[DAX_NAME], g[DAX_NAME], c[DAX_NAME];
	struct dax_dev_state d;

	/* a takes [R, R+2M): the lowest hole now starts at R+2M */
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create(&self->r, g));
	ASSERT_OK_STEP(&self->r, dax_set_align(g, SZ_1G));
	ASSERT_OK_STEP(&self->r, dax_set_size(g, SZ_1G));
	ASSERT_EQ(0, dax_dev_read(g, &d));
	if (dax_impl_is_stock())
		SKIP(return, "stock divergence: a 1G-aligned device is given "
		     "the lowest hole whatever its alignment [stock: %s got "
		     "%#" PRIx64 "-%#" PRIx64 ", %d range(s)]", g,
		     d.nr ? d.r[0].start : 0, d.nr ? d.r[0].end : 0, d.nr);
	ASSERT_EQ(1, d.nr);
	ASSERT_EQ(0, d.r[0].start % SZ_1G)
		TH_LOG("range starts at %#" PRIx64, d.r[0].start);
	ASSERT_EQ(R + SZ_1G, d.r[0].start);
	ASSERT_EQ(R + 2 * SZ_1G - 1, d.r[0].end);

	/* the whole small hole is still free: one mapping write takes it */
	ASSERT_EQ(self->r.size - SZ_1G - SZ_2M,
		  dax_region_u64(&self->r, "available_size"));
	ASSERT_OK_STEP(&self->r, dax_create(&self->r, c));
	ASSERT_OK_STEP(&self->r, dax_write_mapping(c, R + SZ_2M,
						   R + SZ_1G - 1));
	ASSERT_EQ(SZ_1G - SZ_2M, dax_dev_u64(c, "size"));
}

TEST_F(align_skip, grow_fails_when_free_space_holds_no_aligned_block)
{
	const uint64_t R = self->R;
	char a[DAX_NAME], g[DAX_NAME], p[PATH_MAX], v[32];

	if (dax_impl_is_stock())
		SKIP(return, "stock divergence: stock places a 1G grow in a "
		     "hole that is not 1G-aligned");
	/*
	 * a holds [R, R+2M) and [R+1G+2M, R+1G+4M): 2G - 4M is free, in a
	 * 1G hole at R+2M and a hole of 1G - 4M, but no aligned 1G block
	 */
	ASSERT_OK_STEP(&self->r, dax_create(&self->r, a));
	ASSERT_OK_STEP(&self->r, dax_write_mapping(a, R, R + SZ_2M - 1));
	ASSERT_OK_STEP(&self->r, dax_write_mapping(a, R + SZ_1G + SZ_2M,
						   R + SZ_1G + 2 * SZ_2M - 1));
	ASSERT_OK_STEP(&self->r, dax_create(&self->r, g));
	ASSERT_OK_STEP(&self->r, dax_set_align(g, SZ_1G));
	dax_dpath(g, "size", p);
	snprintf(v, sizeof(v), "%" PRIu64, SZ_1G);
	ASSERT_STR_FAILS(&self->r, p, v, ENOSPC);
}

TEST_HARNESS_MAIN
