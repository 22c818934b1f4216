// SPDX-License-Identifier: GPL-2.0
/*
 * A device named in one driver's id list matches that driver only: on an
 * hmem region without the kmem flag, where device_dax is the driver of
 * every device's type, a device written to kmem's new_id can no longer be
 * bound to device_dax until kmem's remove_id drops it.  Stock 6.12 still
 * matches it by type, so the device then matches two drivers and which
 * one takes it depends on the order the drivers registered.
 *
 * The device is 2M, smaller than a memory block: kmem's attach on new_id
 * fails, so nothing is hot-plugged and the device stays unbound.
 */
#include "ext_drv_common.h"

#define NR_TESTS 4

static void skip_rest(const char *why)
{
	while (ext_test_nr < NR_TESTS)
		ext_skip("id_exclusive", why);
}

int main(void)
{
	struct dax_region r;
	char dev[DAX_NAME] = "";
	int err;

	ext_plan(NR_TESTS);
	if (dax_region_find(&r) ||
	    dax_region_u64(&r, "available_size") < SZ_2M) {
		skip_rest("no hmem dax region with 2M free");
		return 0;
	}

	err = dax_create_sized(&r, dev, SZ_2M);
	if (!err)
		err = dax_drv_write("kmem", "new_id", dev);
	ext_result(!err && !ext_dev_bound_to(dev, "kmem") &&
		   !ext_dev_bound_to(dev, "device_dax"),
		   "id_exclusive_setup: %s on kmem's id list, unbound: %s", dev,
		   err ? strerror(-err) : "ok");
	if (err || ext_dev_bound_to(dev, "kmem")) {
		skip_rest("no unbound device on kmem's id list");
		ext_destroy_dev(&r, dev);
		return 1;
	}

	err = dax_drv_write("device_dax", "bind", dev);
	if (!dax_impl_is_stock()) {
		ext_result(err == -ENODEV && !ext_dev_bound_to(dev, "device_dax"),
			   "kmem_id_excludes_device_dax_type_match: bind %s",
			   err ? strerror(-err) : "succeeded");
	} else {
		ext_diag("stock: device_dax bind of a device on kmem's id list: %s",
			 err ? strerror(-err) : "bound");
		ext_skip("kmem_id_excludes_device_dax_type_match",
			 "stock matches a device on kmem's id list by type too");
		dax_unbind(dev);
	}

	err = dax_drv_write("kmem", "remove_id", dev);
	ext_result(!err, "kmem_remove_id: %s", err ? strerror(-err) : "ok");

	err = dax_drv_write("device_dax", "bind", dev);
	ext_result(!err && ext_dev_bound_to(dev, "device_dax"),
		   "type_match_back_after_remove_id: bind %s",
		   err ? strerror(-err) : "succeeded");

	ext_destroy_dev(&r, dev);
	return ext_failures ? 1 : 0;
}
