// SPDX-License-Identifier: GPL-2.0
/*
 * dax_hmem: device-dax regions for "soft reserved" (specific purpose)
 * memory.
 *
 * hmem/device.c collects the soft reserved ranges at boot and registers
 * one "hmem_platform" device.  Binding it turns every range that CXL
 * does not claim into an "hmem" platform device, and each of those
 * becomes one dax region.
 */
#include <linux/platform_device.h>
#include <linux/memregion.h>
#include <linux/cleanup.h>
#include <linux/module.h>
#include <linux/ioport.h>
#include <linux/dax.h>
#include <linux/mm.h>
#include "../bus.h"

static bool region_idle;
module_param_named(region_idle, region_idle, bool, 0644);
MODULE_PARM_DESC(region_idle,
		 "Start regions with an idle zero-size seed device instead of one device spanning the region");

static int hmem_region_probe(struct platform_device *pdev)
{
	const struct memregion_info *info = dev_get_platdata(&pdev->dev);
	bool idle = READ_ONCE(region_idle);
	struct dax_region *dax_region;
	struct range span;
	struct dev_dax_data data;

	if (!info)
		return -ENODEV;

	span = info->range;
	/*
	 * An idle region waits for the administrator to carve it up; a
	 * busy one is handed to kmem as a single device right away.
	 */
	dax_region = alloc_dax_region(&pdev->dev, pdev->id, &span,
				      info->target_node, PMD_SIZE,
				      idle ? 0 : IORESOURCE_DAX_KMEM);
	if (!dax_region)
		return -ENOMEM;

	data = (struct dev_dax_data) {
		.dax_region = dax_region,
		.id = -1,
		.size = idle ? 0 : range_len(&span),
	};
	return PTR_ERR_OR_ZERO(devm_create_dev_dax(&data));
}

static struct platform_driver hmem_region_driver = {
	.probe = hmem_region_probe,
	.driver = {
		.name = "hmem",
	},
};

/* true when @res is soft reserved memory that no CXL region covers */
static bool hmem_range_wanted(struct device *host, const struct resource *res)
{
	resource_size_t len = resource_size(res);

	if (IS_ENABLED(CONFIG_CXL_REGION) &&
	    region_intersects(res->start, len, IORESOURCE_MEM,
			      IORES_DESC_CXL) != REGION_DISJOINT) {
		dev_dbg(host, "leaving %pr to the CXL driver\n", res);
		return false;
	}

	return region_intersects(res->start, len, IORESOURCE_MEM,
				 IORES_DESC_SOFT_RESERVED) == REGION_INTERSECTS;
}

static void hmem_free_region_id(void *id)
{
	memregion_free((long)id);
}

static long hmem_alloc_region_id(struct device *host)
{
	long id = memregion_alloc(GFP_KERNEL);
	int rc;

	if (id < 0)
		return id;
	rc = devm_add_action_or_reset(host, hmem_free_region_id, (void *)id);
	return rc ? rc : id;
}

static void hmem_unregister_pdev(void *pdev)
{
	platform_device_unregister(pdev);
}

DEFINE_FREE(hmem_pdev_put, struct platform_device *, platform_device_put(_T))

/* an "hmem" platform device describing @res, registered but not yet bound */
static struct platform_device *hmem_new_pdev(long id, int target_nid,
					     const struct resource *res)
{
	struct memregion_info info = { .target_node = target_nid };
	int err;

	struct platform_device *pdev __free(hmem_pdev_put) =
		platform_device_alloc("hmem", id);
	if (!pdev)
		return ERR_PTR(-ENOMEM);

	set_dev_node(&pdev->dev, numa_map_to_online_node(target_nid));
	info.range.start = res->start;
	info.range.end = res->end;
	err = platform_device_add_data(pdev, &info, sizeof(info));
	if (!err)
		err = platform_device_add(pdev);
	if (err)
		return ERR_PTR(err);
	return no_free_ptr(pdev);
}

static int hmem_add_region_device(struct device *host, int target_nid,
				  const struct resource *res)
{
	struct platform_device *pdev;
	long id;

	if (!hmem_range_wanted(host, res))
		return 0;

	id = hmem_alloc_region_id(host);
	if (id < 0) {
		dev_err(host, "no region id for %pr: %ld\n", res, id);
		return id;
	}

	pdev = hmem_new_pdev(id, target_nid, res);
	if (IS_ERR(pdev)) {
		dev_err(host, "cannot register hmem.%ld for %pr: %pe\n",
			id, res, pdev);
		return PTR_ERR(pdev);
	}

	return devm_add_action_or_reset(host, hmem_unregister_pdev, pdev);
}

static int hmem_platform_probe(struct platform_device *pdev)
{
	return walk_hmem_resources(&pdev->dev, hmem_add_region_device);
}

static struct platform_driver hmem_platform_driver = {
	.probe = hmem_platform_probe,
	.driver = {
		.name = "hmem_platform",
	},
};

/* the platform driver first: it spawns the devices the region driver binds */
static struct platform_driver * const hmem_drivers[] = {
	&hmem_platform_driver,
	&hmem_region_driver,
};

static __init int hmem_drivers_init(void)
{
	return platform_register_drivers(hmem_drivers,
					 ARRAY_SIZE(hmem_drivers));
}
module_init(hmem_drivers_init);

static __exit void hmem_drivers_exit(void)
{
	platform_unregister_drivers(hmem_drivers, ARRAY_SIZE(hmem_drivers));
}
module_exit(hmem_drivers_exit);

/* CXL gets the first chance to claim ranges as its own dax regions */
#if IS_ENABLED(CONFIG_CXL_REGION) && IS_MODULE(CONFIG_CXL_ACPI)
MODULE_SOFTDEP("pre: cxl_acpi");
#endif

MODULE_ALIAS("platform:hmem*");
MODULE_ALIAS("platform:hmem_platform*");
MODULE_DESCRIPTION("HMEM DAX: direct access to 'specific purpose' memory");
MODULE_LICENSE("GPL");
