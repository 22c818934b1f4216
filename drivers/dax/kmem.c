// SPDX-License-Identifier: GPL-2.0
/*
 * kmem: hand the ranges of a dax device to the page allocator.
 *
 * Each range of the device is trimmed to whole memory blocks and
 * hot-plugged as driver managed "System RAM (kmem)" on its own, so a
 * device with many small ranges still contributes whatever fits.  The
 * ranges are hot-removed one by one when the driver is unbound.  Memory
 * that is still online stays System RAM: the device keeps it, frozen,
 * until kmem is bound to it again and takes it back.
 */
#include <linux/memory_hotplug.h>
#include <linux/memory-tiers.h>
#include <linux/cleanup.h>
#include <linux/memory.h>
#include <linux/module.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include "dax-private.h"
#include "bus.h"

/* tier placement of nodes the platform did not describe: slower than DRAM */
#define KMEM_FALLBACK_ADISTANCE (MEMTIER_ADISTANCE_DRAM * 5)

/*
 * Name of the hot-plugged System RAM resources.  It is referenced by
 * memory that could not be removed, so it is then never freed.
 */
static const char *kmem_sysram_name;
static bool kmem_memory_stuck;

static DEFINE_MUTEX(kmem_types_lock);
static LIST_HEAD(kmem_types);

/**
 * struct kmem_ranges - what the kmem driver added for one dax device
 * @owner: name of the resources in @res (the device name)
 * @mgid: static memory group covering all ranges of the device
 * @nr_res: number of entries in @res, one per device range
 * @res: the requested resource of each hot-plugged range, or NULL
 */
struct kmem_ranges {
	const char *owner;
	int mgid;
	int nr_res;
	struct resource *res[] __counted_by(nr_res);
};

static struct memory_dev_type *kmem_memory_type(int adist)
{
	guard(mutex)(&kmem_types_lock);
	return mt_find_alloc_memory_type(adist, &kmem_types);
}

static void kmem_drop_memory_types(void)
{
	guard(mutex)(&kmem_types_lock);
	mt_put_memory_types(&kmem_types);
}

/* the part of @in that covers whole memory blocks; false if none */
static bool kmem_block_range(const struct range *in, struct range *out)
{
	unsigned long block = memory_block_size_bytes();
	u64 start = ALIGN(in->start, block);
	u64 end = ALIGN_DOWN(in->end + 1, block);

	if (start >= end || start < in->start)
		return false;
	out->start = start;
	out->end = end - 1;
	return true;
}

/*
 * Size that can be hot-plugged from @dev_dax.  Ranges below one memory
 * block are reported together in a single message.
 */
static u64 kmem_pluggable_size(struct dev_dax *dev_dax)
{
	struct device *dev = &dev_dax->dev;
	int i, skipped = 0;
	u64 total = 0;

	for (i = 0; i < dev_dax->nr_range; i++) {
		struct range r;

		if (kmem_block_range(&dev_dax->ranges[i].range, &r))
			total += range_len(&r);
		else
			skipped++;
	}

	if (!total)
		dev_warn(dev, "rejected: no range spans a whole %#lx byte memory block\n",
			 memory_block_size_bytes());
	else if (skipped)
		dev_info(dev, "skipping %d of %d ranges smaller than a %#lx byte memory block\n",
			 skipped, dev_dax->nr_range, memory_block_size_bytes());
	return total;
}

static struct kmem_ranges *kmem_ranges_alloc(struct dev_dax *dev_dax)
{
	struct kmem_ranges *data;

	data = kvzalloc(struct_size(data, res, dev_dax->nr_range), GFP_KERNEL);
	if (!data)
		return NULL;
	data->nr_res = dev_dax->nr_range;
	data->owner = kstrdup(dev_name(&dev_dax->dev), GFP_KERNEL);
	if (!data->owner) {
		kvfree(data);
		return NULL;
	}
	return data;
}

static void kmem_ranges_free(struct kmem_ranges *data)
{
	kfree(data->owner);
	kvfree(data);
}

static void kmem_drop_resource(struct resource *res)
{
	remove_resource(res);
	kfree(res);
}

static int kmem_add_range(struct dev_dax *dev_dax, struct kmem_ranges *data,
			  int i, const struct range *r)
{
	struct device *dev = &dev_dax->dev;
	mhp_t flags = MHP_NID_IS_MGID;
	struct resource *res;
	int rc;

	res = request_mem_region(r->start, range_len(r), data->owner);
	if (!res) {
		dev_warn(dev, "mapping%d: %#llx-%#llx is busy\n",
			 i, r->start, r->end);
		return -EBUSY;
	}

	/*
	 * A plain, non-busy System RAM parent: add_memory_driver_managed()
	 * inserts its own busy resource underneath.
	 */
	res->flags = IORESOURCE_SYSTEM_RAM;

	if (dev_dax->memmap_on_memory)
		flags |= MHP_MEMMAP_ON_MEMORY;

	/* driver managed, so a kexec'd kernel will not treat it as RAM */
	rc = add_memory_driver_managed(data->mgid, r->start, range_len(r),
				       kmem_sysram_name, flags);
	if (rc) {
		dev_warn(dev, "mapping%d: %#llx-%#llx hot-plug failed: %d\n",
			 i, r->start, r->end, rc);
		kmem_drop_resource(res);
		return rc;
	}

	data->res[i] = res;
	return 0;
}

/*
 * Returns the number of ranges added or already present (held over from
 * an earlier binding), or the last error if there is none.
 */
static int kmem_add_ranges(struct dev_dax *dev_dax, struct kmem_ranges *data)
{
	int i, added = 0, tried = 0, rc = -ENODEV;

	for (i = 0; i < dev_dax->nr_range; i++) {
		struct range r;
		int err;

		if (!kmem_block_range(&dev_dax->ranges[i].range, &r))
			continue;
		tried++;
		if (data->res[i]) {
			added++;
			continue;
		}
		err = kmem_add_range(dev_dax, data, i, &r);
		if (err)
			rc = err;
		else
			added++;
	}

	if (added && added < tried)
		dev_warn(&dev_dax->dev, "hot-plugged %d of %d ranges\n",
			 added, tried);
	return added ? added : rc;
}

/*
 * Take back the ranges an earlier binding could not hot-remove: they are
 * still System RAM and become this binding's again, and the ranges that
 * were removed are hot-plugged anew.  The device's layout has not changed
 * since, the bus refuses that while memory is held.
 */
static int kmem_probe_held(struct dev_dax *dev_dax)
{
	struct kmem_ranges *data = dev_dax->kmem_held;
	struct device *dev = &dev_dax->dev;
	int rc;

	if (data->nr_res != dev_dax->nr_range) {
		dev_err(dev, "held memory has %d ranges, the device %d\n",
			data->nr_res, dev_dax->nr_range);
		return -EBUSY;
	}

	rc = kmem_add_ranges(dev_dax, data);
	if (rc < 0)
		return rc;

	dev_info(dev, "took back the memory kept from the previous binding\n");
	dev_dax->kmem_held = NULL;
	dev_set_drvdata(dev, data);
	return 0;
}

static int kmem_probe(struct dev_dax *dev_dax)
{
	int adist = KMEM_FALLBACK_ADISTANCE;
	int node = dev_dax->target_node;
	struct device *dev = &dev_dax->dev;
	struct memory_dev_type *mtype;
	struct kmem_ranges *data;
	u64 total;
	int rc;

	/* never mix this memory into a node it does not belong to */
	if (node < 0) {
		dev_warn(dev, "refusing memory without a valid NUMA node (%d)\n",
			 node);
		return -EINVAL;
	}

	if (dev_dax->kmem_held)
		return kmem_probe_held(dev_dax);

	total = kmem_pluggable_size(dev_dax);
	if (!total)
		return -EINVAL;

	mt_calc_adistance(node, &adist);
	mtype = kmem_memory_type(adist);
	if (IS_ERR(mtype))
		return PTR_ERR(mtype);
	init_node_memory_type(node, mtype);

	data = kmem_ranges_alloc(dev_dax);
	if (!data) {
		rc = -ENOMEM;
		goto err_type;
	}

	rc = memory_group_register_static(node, PFN_UP(total));
	if (rc < 0)
		goto err_data;
	data->mgid = rc;

	rc = kmem_add_ranges(dev_dax, data);
	if (rc < 0)
		goto err_group;

	dev_set_drvdata(dev, data);
	return 0;

err_group:
	memory_group_unregister(data->mgid);
err_data:
	kmem_ranges_free(data);
err_type:
	clear_node_memory_type(node, mtype);
	return rc;
}

#ifdef CONFIG_MEMORY_HOTREMOVE
/* the memory must be offline already; on failure the resource stays */
static int kmem_remove_range(struct device *dev, struct kmem_ranges *data,
			     int i)
{
	struct resource *res = data->res[i];
	int rc;

	rc = remove_memory(res->start, resource_size(res));
	if (rc) {
		dev_warn(dev, "mapping%d: %pa-%pa still in use (%d), stays System RAM\n",
			 i, &res->start, &res->end, rc);
		return rc;
	}

	kmem_drop_resource(res);
	data->res[i] = NULL;
	return 0;
}

static void kmem_remove(struct dev_dax *dev_dax)
{
	struct device *dev = &dev_dax->dev;
	struct kmem_ranges *data = dev_get_drvdata(dev);
	int i, stuck = 0;

	if (!data)
		return;

	for (i = 0; i < data->nr_res; i++)
		if (data->res[i] && kmem_remove_range(dev, data, i))
			stuck++;

	if (stuck) {
		/*
		 * The device keeps @data (the kept resources use its name)
		 * and the bus freezes the device until kmem takes it back.
		 */
		kmem_memory_stuck = true;
		dev_dax->kmem_held = data;
		dev_warn(dev, "%d range(s) remain System RAM until kmem is bound again\n",
			 stuck);
		return;
	}

	memory_group_unregister(data->mgid);
	kmem_ranges_free(data);
	dev_set_drvdata(dev, NULL);
	/* the node may get onlined memory again later if anything is left */
	clear_node_memory_type(dev_dax->target_node, NULL);
}
#else
static void kmem_remove(struct dev_dax *dev_dax)
{
	/* without memory hot-remove the ranges stay System RAM for good */
	kmem_memory_stuck = true;
	dev_warn(&dev_dax->dev, "memory hot-remove unsupported, ranges remain System RAM\n");
}
#endif /* CONFIG_MEMORY_HOTREMOVE */

static struct dax_device_driver kmem_driver = {
	.probe = kmem_probe,
	.remove = kmem_remove,
	.type = DAXDRV_KMEM_TYPE,
};

static int __init kmem_driver_init(void)
{
	int rc;

	kmem_sysram_name = kstrdup_const("System RAM (kmem)", GFP_KERNEL);
	if (!kmem_sysram_name)
		return -ENOMEM;

	rc = dax_driver_register(&kmem_driver);
	if (rc) {
		kmem_drop_memory_types();
		kfree_const(kmem_sysram_name);
	}
	return rc;
}
module_init(kmem_driver_init);

static void __exit kmem_driver_exit(void)
{
	dax_driver_unregister(&kmem_driver);
	if (!kmem_memory_stuck)
		kfree_const(kmem_sysram_name);
	kmem_drop_memory_types();
}
module_exit(kmem_driver_exit);

MODULE_DESCRIPTION("KMEM DAX: hot-plug dax devices as System RAM");
MODULE_LICENSE("GPL");
MODULE_ALIAS_DAX_DEVICE(0);
