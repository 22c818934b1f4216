// SPDX-License-Identifier: GPL-2.0
/*
 * Device size writes and the resulting ranges (issue cases 5-9): grow,
 * shrink, errors, in-place extension, first-hole-first allocation,
 * shrink from the highest page offset, mappingN layout.
 */
#include "kselftest_harness.h"
#include "dax_common.h"

FIXTURE(size) {
	struct dax_region r;
	struct dax_state start;
	uint64_t R;		/* region start */
};

FIXTURE_SETUP(size)
{
	DAX_FIXTURE_SETUP(self);
	self->R = self->r.start;
	if (self->start.avail != self->r.size)
		SKIP(return, "region already has allocations");
}

FIXTURE_TEARDOWN_PARENT(size)
{
	DAX_FIXTURE_TEARDOWN(self);
}

struct want_range {
	uint64_t start;
	uint64_t len;
};

/*
 * Compare @dev's ranges (in page-offset order) with @w; page offsets are
 * implied: each range starts where the previous ended. Also checks that
 * the mappingN numbering follows page-offset order.
 */
static int check_ranges(const char *dev, const struct want_range *w, int n,
			char *m)
{
	struct dax_dev_state d;
	uint64_t pg = 0;
	int i;

	m[0] = '\0';
	if (dax_dev_read(dev, &d)) {
		dax_msg(m, "cannot read %s", dev);
		return -1;
	}
	if (d.nr != n) {
		dax_msg(m, "%s has %d ranges, want %d:", dev, d.nr, n);
		goto dump;
	}
	for (i = 0; i < n; i++) {
		if (d.r[i].start != w[i].start ||
		    d.r[i].end != w[i].start + w[i].len - 1 ||
		    d.r[i].pgoff != pg) {
			dax_msg(m, "%s range %d mismatch (want %#" PRIx64 "+%#"
				PRIx64 "@%#" PRIx64 "):", dev, i, w[i].start,
				w[i].len, pg);
			goto dump;
		}
		if (i && d.r[i].id <= d.r[i - 1].id) {
			dax_msg(m, "%s mapping ids not in page offset order:",
				dev);
			goto dump;
		}
		pg += w[i].len / SZ_4K;
	}
	return 0;
dump:
	for (i = 0; i < d.nr; i++)
		dax_msg(m, " mapping%d %#" PRIx64 "-%#" PRIx64 "@%#" PRIx64,
			d.r[i].id, d.r[i].start, d.r[i].end, d.r[i].pgoff);
	return -1;
}

#define ASSERT_RANGES(dev, ...) do { \
	const struct want_range __w[] = { __VA_ARGS__ }; \
	char __m[DAX_MSG]; \
	ASSERT_EQ(0, check_ranges(dev, __w, sizeof(__w) / sizeof(__w[0]), \
				  __m)) TH_LOG("%s", __m); \
} while (0)

#define ASSERT_NO_RANGES(dev) do { \
	struct dax_dev_state __d; \
	ASSERT_EQ(0, dax_dev_read(dev, &__d)); \
	ASSERT_EQ(0, __d.nr); \
	ASSERT_EQ(0, __d.size); \
} while (0)

static int size_path(const char *dev, char *p)
{
	dax_dpath(dev, "size", p);
	return 0;
}

TEST_F(size, grow_unbound_device)
{
	char a[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, SZ_2M));
	ASSERT_EQ(SZ_2M, dax_dev_u64(a, "size"));
	ASSERT_OK_STEP(&self->r, dax_set_size(a, 8 * SZ_2M));
	ASSERT_EQ(8 * SZ_2M, dax_dev_u64(a, "size"));
	ASSERT_RANGES(a, { self->R, 8 * SZ_2M });
}

TEST_F(size, shrink_unbound_device)
{
	char a[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, 8 * SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_set_size(a, 3 * SZ_2M));
	ASSERT_EQ(3 * SZ_2M, dax_dev_u64(a, "size"));
	ASSERT_RANGES(a, { self->R, 3 * SZ_2M });
}

TEST_F(size, shrink_to_zero_releases_all_ranges)
{
	char a[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, 4 * SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_set_size(a, 0));
	ASSERT_NO_RANGES(a);
	ASSERT_EQ(self->r.size, dax_region_u64(&self->r, "available_size"));
}

TEST_F(size, writing_current_size_is_a_noop)
{
	char a[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, 2 * SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_set_size(a, 2 * SZ_2M));
	ASSERT_RANGES(a, { self->R, 2 * SZ_2M });
	ASSERT_OK_STEP(&self->r, dax_set_size(a, 2 * SZ_2M));
	ASSERT_RANGES(a, { self->R, 2 * SZ_2M });
}

TEST_F(size, size_accepts_hex_and_trailing_newline)
{
	char a[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create(&self->r, a));
	ASSERT_OK_STEP(&self->r, dax_dev_write(a, "size", "0x400000\n"));
	ASSERT_EQ(2 * SZ_2M, dax_dev_u64(a, "size"));
	ASSERT_OK_STEP(&self->r, dax_dev_write(a, "size", "2097152"));
	ASSERT_EQ(SZ_2M, dax_dev_u64(a, "size"));
}

TEST_F(size, grow_of_bound_device_fails_ebusy)
{
	char a[DAX_NAME], p[PATH_MAX];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_bind_devdax(a));
	size_path(a, p);
	ASSERT_STR_FAILS(&self->r, p, "4194304", EBUSY);
}

TEST_F(size, shrink_of_bound_device_fails_ebusy)
{
	char a[DAX_NAME], p[PATH_MAX];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, 2 * SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_bind_devdax(a));
	size_path(a, p);
	ASSERT_STR_FAILS(&self->r, p, "2097152", EBUSY);
	ASSERT_STR_FAILS(&self->r, p, "0", EBUSY);
}

TEST_F(size, same_size_write_to_bound_device_fails_ebusy)
{
	char a[DAX_NAME], p[PATH_MAX];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_bind_devdax(a));
	size_path(a, p);
	ASSERT_STR_FAILS(&self->r, p, "2097152", EBUSY);
}

TEST_F(size, size_not_multiple_of_align_fails_einval)
{
	char a[DAX_NAME], p[PATH_MAX];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, SZ_2M));
	size_path(a, p);
	ASSERT_STR_FAILS(&self->r, p, "1048576", EINVAL);
	ASSERT_STR_FAILS(&self->r, p, "6291455", EINVAL);
	ASSERT_STR_FAILS(&self->r, p, "0x201000", EINVAL);
	ASSERT_STR_FAILS(&self->r, p, "4096", EINVAL);
}

TEST_F(size, size_below_subsection_on_4k_aligned_device_fails_einval)
{
	char a[DAX_NAME], p[PATH_MAX];

	ASSERT_OK_STEP(&self->r, dax_create(&self->r, a));
	ASSERT_OK_STEP(&self->r, dax_set_align(a, SZ_4K));
	size_path(a, p);
	/* 256K is 4K-aligned but below the 2M memremap granularity */
	ASSERT_STR_FAILS(&self->r, p, "262144", EINVAL);
	ASSERT_OK_STEP(&self->r, dax_set_size(a, SZ_2M));
}

TEST_F(size, size_more_than_available_fails_enospc)
{
	char a[DAX_NAME], b[DAX_NAME], p[PATH_MAX], v[32];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create(&self->r, b));
	size_path(b, p);
	/* one 2M step more than is available */
	snprintf(v, sizeof(v), "%" PRIu64,
		 dax_region_u64(&self->r, "available_size") + SZ_2M);
	ASSERT_STR_FAILS(&self->r, p, v, ENOSPC);
	size_path(a, p);
	snprintf(v, sizeof(v), "%" PRIu64, self->r.size + SZ_2M);
	ASSERT_STR_FAILS(&self->r, p, v, ENOSPC);
}

TEST_F(size, size_equal_to_available_takes_whole_region)
{
	char a[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, self->r.size));
	ASSERT_EQ(0, dax_region_u64(&self->r, "available_size"));
	ASSERT_RANGES(a, { self->R, self->r.size });
}

TEST_F(size, grow_extends_last_range_in_place)
{
	char a[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_set_size(a, 3 * SZ_2M));
	ASSERT_RANGES(a, { self->R, 3 * SZ_2M });
	ASSERT_OK_STEP(&self->r, dax_set_size(a, 5 * SZ_2M));
	ASSERT_RANGES(a, { self->R, 5 * SZ_2M });
}

TEST_F(size, grow_after_other_device_extends_in_place)
{
	char a[DAX_NAME], b[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, b, SZ_2M));
	ASSERT_RANGES(b, { self->R + SZ_2M, SZ_2M });
	ASSERT_OK_STEP(&self->r, dax_set_size(b, 4 * SZ_2M));
	ASSERT_RANGES(b, { self->R + SZ_2M, 4 * SZ_2M });
	ASSERT_RANGES(a, { self->R, SZ_2M });
}

TEST_F(size, grow_without_space_after_takes_first_hole)
{
	char a[DAX_NAME], d[DAX_NAME], b[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, d, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, b, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_set_size(a, 0));
	ASSERT_OK_STEP(&self->r, dax_set_size(d, 2 * SZ_2M));
	ASSERT_RANGES(d, { self->R + SZ_2M, SZ_2M }, { self->R, SZ_2M });
}

TEST_F(size, grow_fills_holes_in_address_order)
{
	char a[DAX_NAME], d[DAX_NAME], b[DAX_NAME], x[DAX_NAME], c[DAX_NAME];
	const uint64_t R = self->R;

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, d, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, b, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, x, 2 * SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, c, SZ_2M));
	/* holes: [R, 2M) and [R+6M, 4M); C at R+10M; free from R+12M */
	ASSERT_OK_STEP(&self->r, dax_set_size(a, 0));
	ASSERT_OK_STEP(&self->r, dax_set_size(x, 0));
	ASSERT_OK_STEP(&self->r, dax_set_size(d, 5 * SZ_2M));
	ASSERT_RANGES(d, { R + SZ_2M, SZ_2M }, { R, SZ_2M },
		      { R + 3 * SZ_2M, 2 * SZ_2M }, { R + 6 * SZ_2M, SZ_2M });
}

/* " START-END@PGOFF" for each range of @dev, for SKIP evidence */
static void describe_ranges(const char *dev, char *m)
{
	struct dax_dev_state d;
	int i;

	m[0] = '\0';
	if (dax_dev_read(dev, &d)) {
		dax_msg(m, " (cannot read %s)", dev);
		return;
	}
	for (i = 0; i < d.nr; i++)
		dax_msg(m, " %#" PRIx64 "-%#" PRIx64 "@%#" PRIx64, d.r[i].start,
			d.r[i].end, d.r[i].pgoff);
}

TEST_F(size, grow_extends_in_place_before_lower_hole)
{
	char a[DAX_NAME], d[DAX_NAME], m[DAX_MSG];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, d, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_set_size(a, 0));
	/* free space follows d, and a lower hole is at the region start */
	ASSERT_OK_STEP(&self->r, dax_set_size(d, 3 * SZ_2M));
	if (dax_impl_is_stock()) {
		describe_ranges(d, m);
		SKIP(return, "stock divergence: grow takes the lowest hole "
		     "before extending the last range in place [stock: %s ->%s]",
		     d, m);
	}
	ASSERT_RANGES(d, { self->R + SZ_2M, 3 * SZ_2M });
	ASSERT_EQ(self->r.size - 3 * SZ_2M,
		  dax_region_u64(&self->r, "available_size"));
}

TEST_F(size, grow_larger_than_hole_spills_into_next_free_space)
{
	char a[DAX_NAME], d[DAX_NAME], b[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, a, 2 * SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, d, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, b, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_set_size(a, 0));
	ASSERT_OK_STEP(&self->r, dax_set_size(d, 6 * SZ_2M));
	ASSERT_RANGES(d, { self->R + 2 * SZ_2M, SZ_2M }, { self->R, 2 * SZ_2M },
		      { self->R + 4 * SZ_2M, 3 * SZ_2M });
}

/* d: [R+2M,2M]@0 [R,2M]@512 [R+6M,2M]@1024 [R+10M,6M]@1536, 12M total */
static int build_four_range_device(struct __test_metadata *_metadata,
				   struct dax_region *r, char *d)
{
	char a[DAX_NAME], b[DAX_NAME], x[DAX_NAME], c[DAX_NAME];

	if (dax_create_sized(r, a, SZ_2M) || dax_create_sized(r, d, SZ_2M) ||
	    dax_create_sized(r, b, SZ_2M) || dax_create_sized(r, x, SZ_2M) ||
	    dax_create_sized(r, c, SZ_2M))
		return -1;
	if (dax_set_size(a, 0) || dax_set_size(x, 0))
		return -1;
	return dax_set_size(d, 6 * SZ_2M);
}

TEST_F(size, shrink_trims_highest_page_offset_range_first)
{
	const uint64_t R = self->R;
	char d[DAX_NAME];

	ASSERT_OK_STEP(&self->r, build_four_range_device(_metadata, &self->r, d));
	ASSERT_RANGES(d, { R + SZ_2M, SZ_2M }, { R, SZ_2M },
		      { R + 3 * SZ_2M, SZ_2M }, { R + 5 * SZ_2M, 3 * SZ_2M });
	ASSERT_OK_STEP(&self->r, dax_set_size(d, 4 * SZ_2M));
	ASSERT_RANGES(d, { R + SZ_2M, SZ_2M }, { R, SZ_2M },
		      { R + 3 * SZ_2M, SZ_2M }, { R + 5 * SZ_2M, SZ_2M });
}

TEST_F(size, shrink_across_ranges_keeps_page_offsets_of_kept_ranges)
{
	const uint64_t R = self->R;
	char d[DAX_NAME];

	ASSERT_OK_STEP(&self->r, build_four_range_device(_metadata, &self->r, d));
	/* drop the 6M tail range and the 2M one before it, keep 2 ranges */
	ASSERT_OK_STEP(&self->r, dax_set_size(d, 2 * SZ_2M));
	ASSERT_RANGES(d, { R + SZ_2M, SZ_2M }, { R, SZ_2M });
	ASSERT_OK_STEP(&self->r, dax_set_size(d, SZ_2M));
	ASSERT_RANGES(d, { R + SZ_2M, SZ_2M });
}

TEST_F(size, regrow_after_shrink_reuses_freed_space_in_address_order)
{
	const uint64_t R = self->R;
	char d[DAX_NAME];

	ASSERT_OK_STEP(&self->r, build_four_range_device(_metadata, &self->r, d));
	ASSERT_OK_STEP(&self->r, dax_set_size(d, 2 * SZ_2M));
	/* the first hole is now [R+6M, R+8M), freed by the shrink */
	ASSERT_OK_STEP(&self->r, dax_set_size(d, 3 * SZ_2M));
	ASSERT_RANGES(d, { R + SZ_2M, SZ_2M }, { R, SZ_2M },
		      { R + 3 * SZ_2M, SZ_2M });
}

TEST_F(size, mapping_attributes_describe_each_range)
{
	char d[DAX_NAME], p[PATH_MAX], buf[64];
	struct dax_dev_state s;
	int i;

	ASSERT_OK_STEP(&self->r, build_four_range_device(_metadata, &self->r, d));
	ASSERT_EQ(0, dax_dev_read(d, &s));
	ASSERT_EQ(4, s.nr);
	for (i = 0; i < s.nr; i++) {
		snprintf(p, sizeof(p), DAX_DEVICES "/%s/mapping%d/start", d,
			 s.r[i].id);
		ASSERT_GT(dax_read(p, buf, sizeof(buf)), 2);
		/* stock prints these as %#llx */
		ASSERT_EQ(0, strncmp(buf, "0x", 2)) TH_LOG("start '%s'", buf);
		snprintf(p, sizeof(p), DAX_DEVICES "/%s/mapping%d/page_offset",
			 d, s.r[i].id);
		ASSERT_GT(dax_read(p, buf, sizeof(buf)), 0);
	}
	/* first range starts at page offset 0, printed "0x0" by stock */
	snprintf(p, sizeof(p), DAX_DEVICES "/%s/mapping%d/page_offset", d,
		 s.r[0].id);
	dax_read(p, buf, sizeof(buf));
	ASSERT_STREQ("0x0", buf);
}

TEST_F(size, ranges_of_many_devices_never_overlap)
{
	char n[6][DAX_NAME];
	int i;

	for (i = 0; i < 6; i++)
		ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, n[i], SZ_2M));
	for (i = 0; i < 6; i += 2)
		ASSERT_OK_STEP(&self->r, dax_set_size(n[i], 0));
	for (i = 1; i < 6; i += 2)
		ASSERT_OK_STEP(&self->r, dax_set_size(n[i], 3 * SZ_2M));
	for (i = 0; i < 6; i += 2)
		ASSERT_OK_STEP(&self->r, dax_set_size(n[i], 2 * SZ_2M));
}

TEST_HARNESS_MAIN
