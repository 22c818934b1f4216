// SPDX-License-Identifier: GPL-2.0
/*
 * Device `align` (issue case 11): accepted values, rejected values,
 * rejected while bound or when a current range does not fit, and size
 * granularity afterwards.
 */
#include "kselftest_harness.h"
#include "dax_common.h"

FIXTURE(align) {
	struct dax_region r;
	struct dax_state start;
	uint64_t R;
	char a[DAX_NAME];
	char p[PATH_MAX];	/* a's align attribute */
	bool thp;		/* 2M and 1G are valid aligns */
};

FIXTURE_SETUP(align)
{
	DAX_FIXTURE_SETUP(self);
	self->R = self->r.start;
	if (self->start.avail != self->r.size)
		SKIP(return, "region already has allocations");
	self->thp = access("/sys/kernel/mm/transparent_hugepage", F_OK) == 0;
	ASSERT_EQ(0, dax_create(&self->r, self->a));
	dax_dpath(self->a, "align", self->p);
}

FIXTURE_TEARDOWN_PARENT(align)
{
	DAX_FIXTURE_TEARDOWN(self);
}

TEST_F(align, new_device_align_is_region_align)
{
	ASSERT_EQ(self->r.align, dax_dev_u64(self->a, "align"));
}

TEST_F(align, align_4k_accepted_on_unbound_device)
{
	ASSERT_OK_STEP(&self->r, dax_set_align(self->a, SZ_4K));
	ASSERT_EQ(SZ_4K, dax_dev_u64(self->a, "align"));
}

TEST_F(align, align_2m_accepted_when_thp_is_built)
{
	ASSERT_OK_STEP(&self->r, dax_set_align(self->a, SZ_4K));
	if (!self->thp) {
		ASSERT_STR_FAILS(&self->r, self->p, "2097152", EINVAL);
		return;
	}
	ASSERT_OK_STEP(&self->r, dax_set_align(self->a, SZ_2M));
	ASSERT_EQ(SZ_2M, dax_dev_u64(self->a, "align"));
}

TEST_F(align, align_1g_accepted_on_empty_device)
{
	if (!self->thp) {
		ASSERT_STR_FAILS(&self->r, self->p, "1073741824", EINVAL);
		return;
	}
	ASSERT_OK_STEP(&self->r, dax_set_align(self->a, SZ_1G));
	ASSERT_EQ(SZ_1G, dax_dev_u64(self->a, "align"));
}

TEST_F(align, unsupported_align_values_fail_einval)
{
	static const char * const bad[] = {
		"0", "1", "3", "8192", "65536", "1048576", "4194304",
		"536870912", "2147483648", "0x400000",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_STR_FAILS(&self->r, self->p, bad[i], EINVAL);
	ASSERT_EQ(self->r.align, dax_dev_u64(self->a, "align"));
}

TEST_F(align, align_accepts_hex)
{
	ASSERT_OK_STEP(&self->r, dax_dev_write(self->a, "align", "0x1000"));
	ASSERT_EQ(SZ_4K, dax_dev_u64(self->a, "align"));
}

TEST_F(align, align_write_to_bound_device_fails_ebusy)
{
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_bind_devdax(self->a));
	ASSERT_STR_FAILS(&self->r, self->p, "4096", EBUSY);
	ASSERT_STR_FAILS(&self->r, self->p, "2097152", EBUSY);
}

TEST_F(align, align_1g_rejected_when_range_length_is_not_a_multiple)
{
	if (!self->thp)
		SKIP(return, "1G align needs transparent hugepages");
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, 2 * SZ_2M));
	ASSERT_STR_FAILS(&self->r, self->p, "1073741824", EINVAL);
	ASSERT_EQ(SZ_2M, dax_dev_u64(self->a, "align"));
}

TEST_F(align, size_after_align_1g_must_be_multiple_of_1g)
{
	char sp[PATH_MAX];

	if (!self->thp)
		SKIP(return, "1G align needs transparent hugepages");
	if (self->r.size < SZ_1G)
		SKIP(return, "region smaller than 1G");
	ASSERT_OK_STEP(&self->r, dax_set_align(self->a, SZ_1G));
	dax_dpath(self->a, "size", sp);
	ASSERT_STR_FAILS(&self->r, sp, "2097152", EINVAL);
	ASSERT_STR_FAILS(&self->r, sp, "1075838976", EINVAL); /* 1G + 2M */
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_1G));
	ASSERT_EQ(SZ_1G, dax_dev_u64(self->a, "size"));
	ASSERT_EQ(0, dax_dev_u64(self->a, "size") % SZ_1G);
}

TEST_F(align, align_4k_keeps_2m_size_granularity)
{
	char sp[PATH_MAX];

	ASSERT_OK_STEP(&self->r, dax_set_align(self->a, SZ_4K));
	dax_dpath(self->a, "size", sp);
	ASSERT_STR_FAILS(&self->r, sp, "4096", EINVAL);
	ASSERT_STR_FAILS(&self->r, sp, "1048576", EINVAL);
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, 3 * SZ_2M));
}

TEST_F(align, align_change_keeps_existing_ranges)
{
	struct dax_dev_state before, after;

	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, 2 * SZ_2M));
	ASSERT_EQ(0, dax_dev_read(self->a, &before));
	ASSERT_OK_STEP(&self->r, dax_set_align(self->a, SZ_4K));
	ASSERT_EQ(0, dax_dev_read(self->a, &after));
	ASSERT_EQ(before.nr, after.nr);
	ASSERT_EQ(before.r[0].start, after.r[0].start);
	ASSERT_EQ(before.r[0].end, after.r[0].end);
	ASSERT_EQ(before.size, after.size);
}

TEST_F(align, align_1g_on_1g_sized_device_succeeds)
{
	if (!self->thp)
		SKIP(return, "1G align needs transparent hugepages");
	if (self->R % SZ_1G)
		SKIP(return, "region start not 1G aligned");
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_1G));
	ASSERT_OK_STEP(&self->r, dax_set_align(self->a, SZ_1G));
	ASSERT_EQ(SZ_1G, dax_dev_u64(self->a, "align"));
}

TEST_F(align, align_rejected_when_range_start_is_misaligned)
{
	char b[DAX_NAME], bp[PATH_MAX];

	if (!self->thp)
		SKIP(return, "1G align needs transparent hugepages");
	if (self->r.size < SZ_1G + SZ_2M)
		SKIP(return, "region too small");
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, b, SZ_1G));
	dax_dpath(b, "align", bp);
	ASSERT_STR_FAILS_OR_DIVERGES(&self->r, bp, "1073741824", EINVAL,
		"only range lengths are validated: a 1G range that starts 2M "
		"into the region accepts align=1G");
}

TEST_HARNESS_MAIN
