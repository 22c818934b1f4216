// SPDX-License-Identifier: GPL-2.0
/*
 * A device of 1024 ranges, built by `mapping` writes in a scrambled
 * address order, gives all of its space back when it shrinks: half of it
 * first (the ranges with the highest page offsets go, with their mappingN
 * children), then the rest, after which the region is one free hole again
 * (a new device of the region's full size gets a single range). The
 * allocator's logic has KUnit tests; this drives the bus core.
 *
 * The snapshot helpers hold 64 ranges per device, so this test counts the
 * mappingN children itself while the device is large.
 */
#include "kselftest_harness.h"
#include "dax_common.h"

#define NR_RANGES	1024

FIXTURE(many) {
	struct dax_region r;
	struct dax_state start;
	uint64_t R;
};

FIXTURE_SETUP(many)
{
	DAX_FIXTURE_SETUP(self);
	self->R = self->r.start;
	if (self->start.avail != self->r.size)
		SKIP(return, "region already has allocations");
	if (self->r.size < NR_RANGES * SZ_2M)
		SKIP(return, "region smaller than %d x 2M", NR_RANGES);
}

FIXTURE_TEARDOWN_PARENT(many)
{
	DAX_FIXTURE_TEARDOWN(self);
}

/* number of mappingN children of @dev */
static int count_mappings(const char *dev)
{
	char p[PATH_MAX];
	struct dirent *de;
	int n = 0, id;
	DIR *d;

	snprintf(p, sizeof(p), DAX_DEVICES "/%s", dev);
	d = opendir(p);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (sscanf(de->d_name, "mapping%d", &id) == 1)
			n++;
	closedir(d);
	return n;
}

static uint64_t mapping_u64(const char *dev, int i, const char *attr)
{
	char p[PATH_MAX];
	uint64_t v = UINT64_MAX;

	snprintf(p, sizeof(p), DAX_DEVICES "/%s/mapping%d/%s", dev, i, attr);
	dax_read_u64(p, &v);
	return v;
}

/* 2M slot of the region that range @i of the device takes */
static uint64_t slot(int i)
{
	/* 389 is odd, so i -> 389 i mod 1024 is a permutation */
	return (uint64_t)i * 389 % NR_RANGES;
}

/* ranges 0 .. @nr - 1 are there with the right start and page offset */
static int check_ranges(const char *dev, uint64_t R, int nr, char *m)
{
	int i;

	m[0] = '\0';
	if (count_mappings(dev) != nr) {
		dax_msg(m, "%d mappings, want %d", count_mappings(dev), nr);
		return -1;
	}
	for (i = 0; i < nr; i++) {
		if (mapping_u64(dev, i, "start") != R + slot(i) * SZ_2M ||
		    mapping_u64(dev, i, "page_offset") != i * (SZ_2M / SZ_4K)) {
			dax_msg(m, "mapping%d: start %#" PRIx64 " pgoff %#"
				PRIx64, i, mapping_u64(dev, i, "start"),
				mapping_u64(dev, i, "page_offset"));
			return -1;
		}
	}
	return 0;
}

TEST_F_TIMEOUT(many, thousand_ranges_shrink_gives_all_space_back, 600)
{
	const uint64_t R = self->R, full = NR_RANGES * SZ_2M;
	char d[DAX_NAME], e[DAX_NAME], m[DAX_MSG];
	struct dax_dev_state s;
	int i, rc;

	ASSERT_EQ(0, dax_create(&self->r, d));
	for (i = 0; i < NR_RANGES; i++) {
		rc = dax_write_mapping(d, R + slot(i) * SZ_2M,
				       R + (slot(i) + 1) * SZ_2M - 1);
		ASSERT_EQ(0, rc) TH_LOG("mapping %d: %s", i, strerror(-rc));
	}
	ASSERT_EQ(full, dax_dev_u64(d, "size"));
	ASSERT_EQ(self->r.size - full,
		  dax_region_u64(&self->r, "available_size"));
	ASSERT_EQ(0, check_ranges(d, R, NR_RANGES, m)) TH_LOG("%s", m);

	/* half: the 512 ranges with the highest page offsets go */
	ASSERT_EQ(0, dax_set_size(d, full / 2));
	ASSERT_EQ(full / 2, dax_dev_u64(d, "size"));
	ASSERT_EQ(self->r.size - full / 2,
		  dax_region_u64(&self->r, "available_size"));
	ASSERT_EQ(0, check_ranges(d, R, NR_RANGES / 2, m)) TH_LOG("%s", m);

	/* all of it */
	ASSERT_OK_STEP(&self->r, dax_set_size(d, 0));
	ASSERT_EQ(0, count_mappings(d));
	ASSERT_EQ(self->r.size, dax_region_u64(&self->r, "available_size"));

	/* nothing is left behind: the whole region is one hole again */
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, e, self->r.size));
	ASSERT_EQ(0, dax_dev_read(e, &s));
	ASSERT_EQ(1, s.nr);
	ASSERT_EQ(R, s.r[0].start);
	ASSERT_EQ(R + self->r.size - 1, s.r[0].end);
	ASSERT_OK_STEP(&self->r, dax_set_size(e, 0));
}

TEST_HARNESS_MAIN
