// SPDX-License-Identifier: GPL-2.0
/*
 * Driver matching, bind/unbind, new_id/remove_id and the char device
 * (issue case 13).
 *
 * Stock 6.12 matching: a driver matches a device whose name was written
 * to its new_id, or whose region type equals the driver type. dax_hmem
 * gives its regions the kmem type unless region_idle is set, in which
 * case the region is a plain device-dax region. Sizing a device never
 * probes it; binding is explicit (bind, new_id, daxctl).
 */
#include "kselftest_harness.h"
#include "dax_common.h"

FIXTURE(driver) {
	struct dax_region r;
	struct dax_state start;
	char a[DAX_NAME];
	const char *deflt;	/* driver that matches by region type */
	const char *other;	/* the one that needs new_id */
};

static bool region_is_idle(void)
{
	char buf[8];

	if (dax_read("/sys/module/dax_hmem/parameters/region_idle", buf,
		     sizeof(buf)) <= 0)
		return false;
	return buf[0] == 'Y' || buf[0] == '1';
}

FIXTURE_SETUP(driver)
{
	DAX_FIXTURE_SETUP(self);
	if (access(DAX_DRIVERS "/device_dax", F_OK) ||
	    access(DAX_DRIVERS "/kmem", F_OK))
		SKIP(return, "device_dax and kmem must both be loaded");
	self->deflt = region_is_idle() ? "device_dax" : "kmem";
	self->other = region_is_idle() ? "kmem" : "device_dax";
	ASSERT_EQ(0, dax_create(&self->r, self->a));
}

FIXTURE_TEARDOWN_PARENT(driver)
{
	DAX_FIXTURE_TEARDOWN(self);
}

TEST_F(driver, sizing_a_device_does_not_bind_it)
{
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_STREQ("", dax_driver_of(self->a));
}

TEST_F(driver, bind_by_region_type_driver_succeeds)
{
	if (!strcmp(self->deflt, "kmem"))
		SKIP(return, "kmem-type region: binding would hot-plug memory");
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_drv_write(self->deflt, "bind", self->a));
	ASSERT_STREQ(self->deflt, dax_driver_of(self->a));
}

TEST_F(driver, bind_by_other_driver_without_new_id_fails_enodev)
{
	char p[PATH_MAX];

	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_STR_FAILS(&self->r, dax_drvpath(self->other, "bind", p), self->a,
			 ENODEV);
	ASSERT_STREQ("", dax_driver_of(self->a));
}

TEST_F(driver, new_id_on_device_dax_binds_sized_device)
{
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "new_id", self->a));
	ASSERT_STREQ("device_dax", dax_driver_of(self->a));
}

TEST_F(driver, new_id_on_size_zero_device_leaves_it_unbound)
{
	ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "new_id", self->a));
	ASSERT_STREQ("", dax_driver_of(self->a));
}

TEST_F(driver, new_id_makes_other_driver_match)
{
	char p[PATH_MAX];

	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	if (!strcmp(self->other, "kmem")) {
		/*
		 * kmem now matches, and its probe rejects a 2M device (less
		 * than a memory block): the bind error is the probe's
		 * EINVAL, not the no-match ENODEV.
		 */
		ASSERT_EQ(0, dax_drv_write("kmem", "new_id", self->a));
		ASSERT_STREQ("", dax_driver_of(self->a));
		ASSERT_STR_FAILS(&self->r, dax_drvpath("kmem", "bind", p),
				 self->a, EINVAL);
	} else {
		ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "new_id",
						       self->a));
		ASSERT_STREQ("device_dax", dax_driver_of(self->a));
	}
}

TEST_F(driver, remove_id_undoes_new_id)
{
	char p[PATH_MAX];

	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_EQ(0, dax_drv_write(self->other, "new_id", self->a));
	dax_unbind(self->a);
	ASSERT_OK_STEP(&self->r, dax_drv_write(self->other, "remove_id",
					       self->a));
	ASSERT_STR_FAILS(&self->r, dax_drvpath(self->other, "bind", p), self->a,
			 ENODEV);
}

TEST_F(driver, remove_id_of_unknown_name_succeeds)
{
	ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "remove_id",
					       "dax99.99"));
}

TEST_F(driver, unbind_detaches_and_bind_reattaches)
{
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_bind_devdax(self->a));
	ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "unbind", self->a));
	ASSERT_STREQ("", dax_driver_of(self->a));
	ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "bind", self->a));
	ASSERT_STREQ("device_dax", dax_driver_of(self->a));
}

TEST_F(driver, unbind_of_unbound_device_fails_enodev)
{
	char p[PATH_MAX];

	ASSERT_STR_FAILS(&self->r, dax_drvpath("device_dax", "unbind", p),
			 self->a, ENODEV);
}

TEST_F(driver, bind_of_unknown_device_fails_enodev)
{
	char p[PATH_MAX];

	ASSERT_STR_FAILS(&self->r, dax_drvpath("device_dax", "bind", p),
			 "dax99.99", ENODEV);
}

TEST_F(driver, bind_of_size_zero_device_fails_enxio)
{
	char p[PATH_MAX];

	ASSERT_EQ(0, dax_drv_write("device_dax", "new_id", self->a));
	ASSERT_STR_FAILS(&self->r, dax_drvpath("device_dax", "bind", p),
			 self->a, ENXIO);
}

TEST_F(driver, bind_of_bound_device_fails_ebusy)
{
	char p[PATH_MAX];

	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_bind_devdax(self->a));
	ASSERT_STR_FAILS(&self->r, dax_drvpath("device_dax", "bind", p),
			 self->a, EBUSY);
}

TEST_F(driver, bound_device_char_device_opens)
{
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_bind_devdax(self->a));
	ASSERT_EQ(0, dax_chardev_opens(self->a));
}

TEST_F(driver, unbound_device_char_device_does_not_open)
{
	int rc;

	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	rc = dax_chardev_opens(self->a);
	ASSERT_TRUE(rc == -ENXIO || rc == -ENOENT) TH_LOG("open: %d", rc);
	ASSERT_OK_STEP(&self->r, dax_bind_devdax(self->a));
	ASSERT_EQ(0, dax_chardev_opens(self->a));
	ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "unbind", self->a));
	rc = dax_chardev_opens(self->a);
	ASSERT_TRUE(rc == -ENXIO || rc == -ENOENT) TH_LOG("open: %d", rc);
}

TEST_F(driver, binding_via_new_id_clears_seed)
{
	char p[PATH_MAX], seed[DAX_NAME];

	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	dax_read(dax_rpath(&self->r, "seed", p), seed, sizeof(seed));
	ASSERT_STREQ(self->a, seed);
	ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "new_id", self->a));
	dax_read(dax_rpath(&self->r, "seed", p), seed, sizeof(seed));
	ASSERT_STREQ("", seed);
}

TEST_HARNESS_MAIN
