/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Interface of the device-dax bus for region providers (hmem, pmem, cxl)
 * and for device-dax drivers (device_dax, kmem).
 */
#ifndef __DAX_BUS_H__
#define __DAX_BUS_H__
#include <linux/device.h>
#include <linux/range.h>

struct dev_dax;
struct resource;
struct dax_device;
struct dax_region;

/* flags for alloc_dax_region(), kept in dax_region.res.flags */
#define IORESOURCE_DAX_STATIC BIT(0)	/* one fixed device, no resizing */
#define IORESOURCE_DAX_KMEM BIT(1)	/* devices go to kmem by default */

struct dax_region *alloc_dax_region(struct device *parent, int region_id,
				    struct range *range, int target_node,
				    unsigned int align, unsigned long flags);
#if IS_ENABLED(CONFIG_KUNIT)
int dax_region_add_teardown(struct dax_region *region);
#endif

/**
 * struct dev_dax_data - arguments of devm_create_dev_dax()
 * @dax_region: region to create the device in
 * @pgmap: page map to copy, static regions only, else NULL
 * @size: bytes to allocate, from the start of the free space
 * @id: device number for static regions, -1 to allocate one
 * @memmap_on_memory: initial value of the memmap_on_memory attribute
 */
struct dev_dax_data {
	struct dax_region *dax_region;
	struct dev_pagemap *pgmap;
	resource_size_t size;
	int id;
	bool memmap_on_memory;
};

struct dev_dax *devm_create_dev_dax(struct dev_dax_data *data);

/**
 * enum dax_driver_type - which devices a driver takes without a new_id
 * @DAXDRV_KMEM_TYPE: devices of regions flagged IORESOURCE_DAX_KMEM
 * @DAXDRV_DEVICE_TYPE: all other devices (all devices without DEV_DAX_KMEM)
 */
enum dax_driver_type {
	DAXDRV_KMEM_TYPE,
	DAXDRV_DEVICE_TYPE,
};

/**
 * struct dax_device_driver - a driver for dax bus devices
 * @drv: driver core; registered by __dax_driver_register()
 * @type: devices matched by default, see enum dax_driver_type
 * @probe: bind to a device; required
 * @remove: unbind from a device; optional
 */
struct dax_device_driver {
	struct device_driver drv;
	enum dax_driver_type type;
	int (*probe)(struct dev_dax *dev);
	void (*remove)(struct dev_dax *dev);
};

int __dax_driver_register(struct dax_device_driver *dax_drv,
			  struct module *module, const char *mod_name);
#define dax_driver_register(driver) \
	__dax_driver_register(driver, THIS_MODULE, KBUILD_MODNAME)
void dax_driver_unregister(struct dax_device_driver *dax_drv);
void kill_dev_dax(struct dev_dax *dev_dax);
bool static_dev_dax(struct dev_dax *dev_dax);

/* every dax bus device reports type 0: "dax:t0" */
#define MODULE_ALIAS_DAX_DEVICE(type) \
	MODULE_ALIAS("dax:t" __stringify(type) "*")
#define DAX_DEVICE_MODALIAS_FMT "dax:t%d"

#endif /* __DAX_BUS_H__ */
