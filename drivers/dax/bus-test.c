// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the device-dax bus core's region setup.
 */
#include <kunit/device.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/numa.h>
#include <linux/sizes.h>
#include "bus.h"

/* never inserted anywhere: alloc_dax_region() only records the range */
#define BASE		0x100000000ULL
#define REGION_ID	4000

static int teardown_no_memory(struct dax_region *region)
{
	return -ENOMEM;
}

static struct dax_region *region_new(struct device *parent)
{
	struct range range = { .start = BASE, .end = BASE + SZ_1G - 1 };

	return alloc_dax_region(parent, REGION_ID, &range, NUMA_NO_NODE,
				SZ_2M, 0);
}

/*
 * When the devm action that would tear the region down cannot be added,
 * the region is freed at once, so the provider must not be left with a
 * driver data pointer to it; and it can set a region up again.
 */
static void bus_test_region_teardown_unregistered(struct kunit *test)
{
	struct device *parent = kunit_device_register(test, "provider");
	struct dax_region *region;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, parent);

	kunit_activate_static_stub(test, dax_region_add_teardown,
				   teardown_no_memory);
	KUNIT_EXPECT_NULL(test, region_new(parent));
	KUNIT_EXPECT_NULL(test, dev_get_drvdata(parent));
	kunit_deactivate_static_stub(test, dax_region_add_teardown);

	region = region_new(parent);
	KUNIT_EXPECT_NOT_NULL(test, region);
	KUNIT_EXPECT_PTR_EQ(test, dev_get_drvdata(parent), (void *)region);
}

/* a second region on the same provider is refused, the first one kept */
static void bus_test_region_drvdata_in_use(struct kunit *test)
{
	struct device *parent = kunit_device_register(test, "busy");
	struct dax_region *region;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, parent);
	region = region_new(parent);
	KUNIT_ASSERT_NOT_NULL(test, region);
	KUNIT_EXPECT_NULL(test, region_new(parent));
	KUNIT_EXPECT_PTR_EQ(test, dev_get_drvdata(parent), (void *)region);
}

static struct kunit_case dax_bus_cases[] = {
	KUNIT_CASE(bus_test_region_teardown_unregistered),
	KUNIT_CASE(bus_test_region_drvdata_in_use),
	{}
};

static struct kunit_suite dax_bus_suite = {
	.name = "dax-bus",
	.test_cases = dax_bus_cases,
};

kunit_test_suite(dax_bus_suite);

MODULE_DESCRIPTION("KUnit tests for the device-dax bus core");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
