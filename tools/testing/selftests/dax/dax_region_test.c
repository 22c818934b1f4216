// SPDX-License-Identifier: GPL-2.0
/*
 * Region attributes of a dynamic (hmem) dax region: size, align, id,
 * available_size, seed, create, delete (issue cases 1-4).
 */
#include "kselftest_harness.h"
#include "dax_common.h"

FIXTURE(region) {
	struct dax_region r;
	struct dax_state start;
};

FIXTURE_SETUP(region)
{
	DAX_FIXTURE_SETUP(self);
}

FIXTURE_TEARDOWN_PARENT(region)
{
	DAX_FIXTURE_TEARDOWN(self);
}

/* Soft Reserved entry of /proc/iomem that starts at @start, its size. */
static uint64_t soft_reserved_size_at(uint64_t start)
{
	char line[256];
	uint64_t s, e, size = 0;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "Soft Reserved"))
			continue;
		if (sscanf(line, " %" SCNx64 "-%" SCNx64, &s, &e) == 2 &&
		    s == start)
			size = e - s + 1;
	}
	fclose(f);
	return size;
}

TEST_F(region, size_matches_soft_reserved_resource)
{
	ASSERT_NE(0, self->r.size);
	ASSERT_EQ(soft_reserved_size_at(self->r.start), self->r.size)
		TH_LOG("region at %#" PRIx64 " size %#" PRIx64
		       " has no matching Soft Reserved entry",
		       self->r.start, self->r.size);
}

TEST_F(region, align_is_pmd_size_and_divides_start_and_size)
{
	ASSERT_EQ(SZ_2M, self->r.align);
	ASSERT_EQ(0, self->r.start % self->r.align);
	ASSERT_EQ(0, self->r.size % self->r.align);
}

TEST_F(region, id_matches_platform_device_and_device_names)
{
	char names[DAX_MAX_DEVS][DAX_NAME];
	const char *pdev = strrchr(self->r.pdev, '/') + 1;
	int n, i;

	ASSERT_EQ(0, strncmp(pdev, "hmem.", 5));
	n = dax_list_devs(self->r.id, names, DAX_MAX_DEVS);
	ASSERT_GE(n, 1);
	for (i = 0; i < n; i++) {
		char p[PATH_MAX], real[PATH_MAX];

		snprintf(p, sizeof(p), DAX_DEVICES "/%s", names[i]);
		ASSERT_NE(NULL, realpath(p, real));
		ASSERT_EQ(0, strncmp(real, self->r.pdev, strlen(self->r.pdev)))
			TH_LOG("%s is not below %s", real, self->r.pdev);
	}
}

TEST_F(region, available_size_plus_device_sizes_equals_size)
{
	char name[DAX_NAME];

	ASSERT_INVARIANTS(&self->r);
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, name, 4 * SZ_2M));
	ASSERT_EQ(self->start.avail - 4 * SZ_2M,
		  dax_region_u64(&self->r, "available_size"));
	ASSERT_OK_STEP(&self->r, dax_set_size(name, 0));
	ASSERT_EQ(self->start.avail, dax_region_u64(&self->r, "available_size"));
}

TEST_F(region, boot_device_is_id0_idle_size_zero_and_unbound)
{
	char dev[DAX_NAME], drv[DAX_NAME];

	snprintf(dev, sizeof(dev), "dax%d.0", self->r.id);
	ASSERT_TRUE(dax_dev_exists(dev));
	ASSERT_EQ(0, dax_dev_u64(dev, "size"));
	dax_dev_driver(dev, drv, sizeof(drv));
	ASSERT_STREQ("", drv);
	ASSERT_EQ(self->r.start, dax_dev_u64(dev, "resource"));
}

TEST_F(region, seed_is_empty_until_create)
{
	char p[PATH_MAX], seed[DAX_NAME];

	/* stock: only `create` sets the seed; the hmem boot device is not it */
	ASSERT_GE(dax_read(dax_rpath(&self->r, "seed", p), seed, sizeof(seed)),
		  0);
	ASSERT_STREQ("", seed);
}

TEST_F(region, create_sets_seed_to_new_idle_device)
{
	char p[PATH_MAX], name[DAX_NAME], seed[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create(&self->r, name));
	dax_read(dax_rpath(&self->r, "seed", p), seed, sizeof(seed));
	ASSERT_STREQ(name, seed);
	ASSERT_EQ(0, dax_dev_u64(seed, "size"));
}

TEST_F(region, create_makes_size_zero_device_and_reads_back_name)
{
	char name[DAX_NAME], drv[DAX_NAME];
	unsigned int rid, id;

	ASSERT_OK_STEP(&self->r, dax_create(&self->r, name));
	ASSERT_EQ(2, sscanf(name, "dax%u.%u", &rid, &id));
	ASSERT_EQ(self->r.id, (int)rid);
	ASSERT_GT(id, 0);
	ASSERT_TRUE(dax_dev_exists(name));
	ASSERT_EQ(0, dax_dev_u64(name, "size"));
	dax_dev_driver(name, drv, sizeof(drv));
	ASSERT_STREQ("", drv);
	ASSERT_EQ(self->start.avail, dax_region_u64(&self->r, "available_size"));
}

TEST_F(region, create_twice_keeps_seed_and_reports_youngest)
{
	char p[PATH_MAX], a[DAX_NAME], b[DAX_NAME], seed[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create(&self->r, a));
	ASSERT_OK_STEP(&self->r, dax_create(&self->r, b));
	ASSERT_STRNE(a, b);
	dax_read(dax_rpath(&self->r, "seed", p), seed, sizeof(seed));
	ASSERT_STREQ(a, seed);
}

TEST_F(region, binding_the_seed_clears_seed)
{
	char p[PATH_MAX], name[DAX_NAME], seed[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create(&self->r, name));
	ASSERT_OK_STEP(&self->r, dax_set_size(name, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_bind_devdax(name));
	dax_read(dax_rpath(&self->r, "seed", p), seed, sizeof(seed));
	/* stock 6.12: probe of the seed drops it, no new seed is made */
	ASSERT_STREQ("", seed);
	/* and the next create makes a new seed */
	ASSERT_OK_STEP(&self->r, dax_create(&self->r, name));
	dax_read(dax_rpath(&self->r, "seed", p), seed, sizeof(seed));
	ASSERT_STREQ(name, seed);
}

TEST_F(region, create_reuses_lowest_free_instance_number)
{
	char a[DAX_NAME], b[DAX_NAME], c[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create(&self->r, a));
	ASSERT_OK_STEP(&self->r, dax_create(&self->r, b));
	ASSERT_OK_STEP(&self->r, dax_delete(&self->r, a));
	ASSERT_FALSE(dax_dev_exists(a));
	ASSERT_OK_STEP(&self->r, dax_create(&self->r, c));
	ASSERT_STREQ(a, c);
}

TEST_F(region, create_fails_enospc_when_region_full)
{
	char p[PATH_MAX], name[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, name,
						  self->start.avail));
	ASSERT_EQ(0, dax_region_u64(&self->r, "available_size"));
	ASSERT_STR_FAILS(&self->r, dax_rpath(&self->r, "create", p), "1",
			 ENOSPC);
}

TEST_F(region, create_accepts_hex_and_octal_one)
{
	char p[PATH_MAX], name[DAX_NAME];
	int before = self->start.ndev;
	struct dax_state s;

	ASSERT_OK_STEP(&self->r, dax_region_write(&self->r, "create", "0x1"));
	ASSERT_OK_STEP(&self->r, dax_region_write(&self->r, "create", "01\n"));
	ASSERT_EQ(0, dax_snapshot(&self->r, &s));
	ASSERT_EQ(before + 2, s.ndev);
	ASSERT_GT(dax_read(dax_rpath(&self->r, "create", p), name, sizeof(name)),
		  0);
}

TEST_F(region, delete_accepts_name_without_newline)
{
	char name[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create(&self->r, name));
	ASSERT_OK_STEP(&self->r, dax_delete(&self->r, name));
	ASSERT_FALSE(dax_dev_exists(name));
}

TEST_F(region, delete_accepts_name_with_trailing_newline)
{
	char name[DAX_NAME], nl[DAX_NAME + 2];

	ASSERT_OK_STEP(&self->r, dax_create(&self->r, name));
	snprintf(nl, sizeof(nl), "%s\n", name);
	ASSERT_OK_STEP(&self->r, dax_delete(&self->r, nl));
	ASSERT_FALSE(dax_dev_exists(name));
}

TEST_F(region, delete_clears_seed_and_create_readback)
{
	char p[PATH_MAX], name[DAX_NAME], buf[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create(&self->r, name));
	ASSERT_OK_STEP(&self->r, dax_delete(&self->r, name));
	dax_read(dax_rpath(&self->r, "seed", p), buf, sizeof(buf));
	ASSERT_STRNE(name, buf);
	dax_read(dax_rpath(&self->r, "create", p), buf, sizeof(buf));
	ASSERT_STRNE(name, buf);
}

TEST_F(region, delete_sized_device_fails_ebusy)
{
	char p[PATH_MAX], name[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, name, SZ_2M));
	ASSERT_STR_FAILS(&self->r, dax_rpath(&self->r, "delete", p), name,
			 EBUSY);
	ASSERT_TRUE(dax_dev_exists(name));
}

TEST_F(region, delete_bound_device_fails_ebusy)
{
	char p[PATH_MAX], name[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, name, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_bind_devdax(name));
	ASSERT_STR_FAILS(&self->r, dax_rpath(&self->r, "delete", p), name,
			 EBUSY);
	ASSERT_TRUE(dax_dev_exists(name));
}

TEST_F(region, delete_unknown_name_fails_enxio)
{
	char p[PATH_MAX], name[DAX_NAME];

	snprintf(name, sizeof(name), "dax%d.999", self->r.id);
	ASSERT_STR_FAILS(&self->r, dax_rpath(&self->r, "delete", p), name,
			 ENXIO);
	ASSERT_STR_FAILS(&self->r, dax_rpath(&self->r, "delete", p),
			 "dax999.1", ENXIO);
}

TEST_F(region, delete_boot_device_id0_fails_ebusy)
{
	char p[PATH_MAX], name[DAX_NAME];

	snprintf(name, sizeof(name), "dax%d.0", self->r.id);
	ASSERT_EQ(0, dax_dev_u64(name, "size"));
	ASSERT_STR_FAILS(&self->r, dax_rpath(&self->r, "delete", p), name,
			 EBUSY);
	ASSERT_TRUE(dax_dev_exists(name));
}

TEST_F(region, deleted_device_after_shrink_to_zero_succeeds)
{
	char name[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, name, 2 * SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_set_size(name, 0));
	ASSERT_OK_STEP(&self->r, dax_delete(&self->r, name));
	ASSERT_FALSE(dax_dev_exists(name));
	ASSERT_EQ(self->start.avail, dax_region_u64(&self->r, "available_size"));
}

TEST_HARNESS_MAIN
