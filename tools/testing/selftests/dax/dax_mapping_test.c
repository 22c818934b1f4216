// SPDX-License-Identifier: GPL-2.0
/*
 * `mapping` writes: explicit range allocation (issue case 10), including
 * the known stock divergences, which are asserted on ours only.
 */
#include "kselftest_harness.h"
#include "dax_common.h"

FIXTURE(mapping) {
	struct dax_region r;
	struct dax_state start;
	uint64_t R;
	char a[DAX_NAME];	/* idle size-0 device under test */
	char p[PATH_MAX];	/* its mapping attribute */
};

FIXTURE_SETUP(mapping)
{
	DAX_FIXTURE_SETUP(self);
	self->R = self->r.start;
	if (self->start.avail != self->r.size)
		SKIP(return, "region already has allocations");
	ASSERT_EQ(0, dax_create(&self->r, self->a));
	dax_dpath(self->a, "mapping", self->p);
}

FIXTURE_TEARDOWN_PARENT(mapping)
{
	DAX_FIXTURE_TEARDOWN(self);
}

static void range_str(char *buf, size_t len, uint64_t s, uint64_t e)
{
	snprintf(buf, len, "%" PRIx64 "-%" PRIx64, s, e);
}

TEST_F(mapping, allocates_exact_range_on_unbound_device)
{
	struct dax_dev_state d;

	ASSERT_OK_STEP(&self->r, dax_write_mapping(self->a, self->R + 2 * SZ_2M,
						   self->R + 4 * SZ_2M - 1));
	ASSERT_EQ(0, dax_dev_read(self->a, &d));
	ASSERT_EQ(2 * SZ_2M, d.size);
	ASSERT_EQ(1, d.nr);
	ASSERT_EQ(self->R + 2 * SZ_2M, d.r[0].start);
	ASSERT_EQ(self->R + 4 * SZ_2M - 1, d.r[0].end);
	ASSERT_EQ(0, d.r[0].pgoff);
	ASSERT_EQ(self->r.size - 2 * SZ_2M,
		  dax_region_u64(&self->r, "available_size"));
}

TEST_F(mapping, second_range_is_appended_at_next_page_offset)
{
	struct dax_dev_state d;

	ASSERT_OK_STEP(&self->r, dax_write_mapping(self->a, self->R + 4 * SZ_2M,
						   self->R + 6 * SZ_2M - 1));
	ASSERT_OK_STEP(&self->r, dax_write_mapping(self->a, self->R,
						   self->R + SZ_2M - 1));
	ASSERT_EQ(0, dax_dev_read(self->a, &d));
	ASSERT_EQ(2, d.nr);
	ASSERT_EQ(self->R + 4 * SZ_2M, d.r[0].start);
	ASSERT_EQ(self->R, d.r[1].start);
	ASSERT_EQ(2 * SZ_2M / SZ_4K, d.r[1].pgoff);
	ASSERT_EQ(3 * SZ_2M, d.size);
}

TEST_F(mapping, accepts_0x_prefix_and_trailing_newline)
{
	char buf[80];

	snprintf(buf, sizeof(buf), "0x%" PRIx64 "-0x%" PRIx64 "\n", self->R,
		 self->R + SZ_2M - 1);
	ASSERT_OK_STEP(&self->r, dax_write_str(self->p, buf));
	ASSERT_EQ(SZ_2M, dax_dev_u64(self->a, "size"));
}

TEST_F(mapping, size_grow_after_mapping_takes_lowest_hole_first)
{
	struct dax_dev_state d;
	char b[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_write_mapping(self->a, self->R + 8 * SZ_2M,
						   self->R + 9 * SZ_2M - 1));
	/*
	 * b takes the space right after a's range, so that the grow cannot
	 * extend in place (ours would: see ext_core_alloc_order); then the
	 * hole at the region start comes first in address order
	 */
	ASSERT_OK_STEP(&self->r, dax_create(&self->r, b));
	ASSERT_OK_STEP(&self->r, dax_write_mapping(b, self->R + 9 * SZ_2M,
						   self->R + 10 * SZ_2M - 1));
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, 2 * SZ_2M));
	ASSERT_EQ(0, dax_dev_read(self->a, &d));
	ASSERT_EQ(2, d.nr);
	ASSERT_EQ(self->R, d.r[1].start);
}

TEST_F(mapping, overlap_with_other_device_fails_enomem)
{
	char b[DAX_NAME], buf[80];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, b, 4 * SZ_2M));
	range_str(buf, sizeof(buf), self->R + SZ_2M, self->R + 2 * SZ_2M - 1);
	ASSERT_STR_FAILS(&self->r, self->p, buf, ENOMEM);
	/* straddling the end of b */
	range_str(buf, sizeof(buf), self->R + 3 * SZ_2M,
		  self->R + 5 * SZ_2M - 1);
	ASSERT_STR_FAILS(&self->r, self->p, buf, ENOMEM);
}

TEST_F(mapping, overlap_with_own_range_fails_enomem)
{
	char buf[80];

	ASSERT_OK_STEP(&self->r, dax_write_mapping(self->a, self->R,
						   self->R + 2 * SZ_2M - 1));
	range_str(buf, sizeof(buf), self->R + SZ_2M, self->R + 3 * SZ_2M - 1);
	ASSERT_STR_FAILS(&self->r, self->p, buf, ENOMEM);
	range_str(buf, sizeof(buf), self->R, self->R + 2 * SZ_2M - 1);
	ASSERT_STR_FAILS(&self->r, self->p, buf, ENOMEM);
}

TEST_F(mapping, beyond_region_end_fails_enomem)
{
	uint64_t end = self->R + self->r.size;
	char buf[80];

	range_str(buf, sizeof(buf), end, end + SZ_2M - 1);
	ASSERT_STR_FAILS(&self->r, self->p, buf, ENOMEM);
}

TEST_F(mapping, straddling_region_end_fails_enomem)
{
	uint64_t end = self->R + self->r.size;
	char buf[80];

	range_str(buf, sizeof(buf), end - SZ_2M, end + SZ_2M - 1);
	ASSERT_STR_FAILS(&self->r, self->p, buf, ENOMEM);
}

TEST_F(mapping, below_region_start_fails_enomem)
{
	char buf[80];

	ASSERT_GE(self->R, 2 * SZ_2M);
	range_str(buf, sizeof(buf), self->R - 2 * SZ_2M, self->R - 1);
	ASSERT_STR_FAILS(&self->r, self->p, buf, ENOMEM);
	range_str(buf, sizeof(buf), self->R - SZ_2M, self->R + SZ_2M - 1);
	ASSERT_STR_FAILS(&self->r, self->p, buf, ENOMEM);
}

TEST_F(mapping, reversed_range_with_aligned_length_fails_enomem)
{
	char buf[80];

	/* start > end, end - start + 1 wraps to a multiple of 2M */
	range_str(buf, sizeof(buf), self->R + 4 * SZ_2M, self->R + 2 * SZ_2M - 1);
	ASSERT_STR_FAILS(&self->r, self->p, buf, ENOMEM);
}

TEST_F(mapping, whole_region_as_one_range_succeeds)
{
	ASSERT_OK_STEP(&self->r, dax_write_mapping(self->a, self->R,
						   self->R + self->r.size - 1));
	ASSERT_EQ(0, dax_region_u64(&self->r, "available_size"));
}

/* ---- stock divergences ---------------------------------------------------- */

TEST_F(mapping, length_not_multiple_of_align_fails_einval)
{
	char buf[80];

	ASSERT_OK_STEP(&self->r, dax_set_align(self->a, SZ_4K));
	/* 256K: a multiple of 4K, not of the 2M allocation granularity */
	range_str(buf, sizeof(buf), self->R, self->R + 0x40000 - 1);
	ASSERT_STR_FAILS_OR_DIVERGES(&self->r, self->p, buf, EINVAL,
		"a range whose length is not a multiple of the allocation "
		"granularity succeeds and allocates nothing");
	ASSERT_OK_STEP(&self->r, dax_set_align(self->a, SZ_2M));
	range_str(buf, sizeof(buf), self->R, self->R + SZ_2M / 2 - 1);
	ASSERT_STR_FAILS(&self->r, self->p, buf, EINVAL);
}

TEST_F(mapping, zero_length_on_device_with_ranges_fails_einval)
{
	SKIP_ON_STOCK("'1-0' on a device with a range triggers WARNING "
		      "\"0-size allocation must be first\"");
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_STR_FAILS(&self->r, self->p, "1-0", EINVAL);
}

TEST_F(mapping, zero_length_on_empty_device_fails_einval)
{
	ASSERT_STR_FAILS_OR_DIVERGES(&self->r, self->p, "1-0", EINVAL,
		"'1-0' on a size-0 device succeeds and allocates nothing");
}

TEST_F(mapping, misaligned_start_fails_einval)
{
	char buf[80];

	range_str(buf, sizeof(buf), self->R + SZ_4K, self->R + SZ_4K + SZ_2M - 1);
	ASSERT_STR_FAILS_OR_DIVERGES(&self->r, self->p, buf, EINVAL,
		"only the length is checked, a 2M range at a 4K offset is "
		"allocated misaligned");
}

TEST_F(mapping, reversed_range_with_unaligned_length_fails_einval)
{
	char buf[80];

	range_str(buf, sizeof(buf), self->R + 2 * SZ_2M, self->R);
	ASSERT_STR_FAILS_OR_DIVERGES(&self->r, self->p, buf, EINVAL,
		"a reversed range whose wrapped length is not aligned "
		"succeeds and allocates nothing");
}

TEST_F(mapping, write_to_bound_device_fails_ebusy)
{
	char buf[80];

	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_bind_devdax(self->a));
	range_str(buf, sizeof(buf), self->R + 4 * SZ_2M, self->R + 5 * SZ_2M - 1);
	ASSERT_STR_FAILS_OR_DIVERGES(&self->r, self->p, buf, EBUSY,
		"the driver is not checked: a range is added to a bound, "
		"possibly mapped device");
}

TEST_HARNESS_MAIN
