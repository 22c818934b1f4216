/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Data shared by the device-dax core (super.c, bus.c) and the device-dax
 * drivers (device.c, kmem.c). See the DOC: comment in bus.c.
 */
#ifndef __DAX_PRIVATE_H__
#define __DAX_PRIVATE_H__

#include <linux/device.h>
#include <linux/cdev.h>
#include <linux/idr.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/range.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include "region-alloc.h"

/* between super.c and bus.c */
struct dax_device;
struct kmem_ranges;
struct dax_device *inode_dax(struct inode *inode);
struct inode *dax_inode(struct dax_device *dax_dev);
int dax_bus_init(void);
void dax_bus_exit(void);

/**
 * struct dax_region - a physical address span that dax devices are cut from
 * @id: region number, the X in daxX.Y
 * @target_node: NUMA node the memory joins when it is onlined
 * @align: default alignment of new devices
 * @res: the span; flags carry IORESOURCE_DAX_STATIC / IORESOURCE_DAX_KMEM
 * @parent: provider device; the "dax_region" sysfs group lives on it
 * @ref: held by the provider's registration and by every dev_dax
 * @dev_ids: allocator of the Y in daxX.Y for dynamic regions
 * @lock: protects everything below, and the ranges, alignment and state
 *	of every dev_dax of the region
 * @seed: the device "create" made while no seed was set; it stays the
 *	seed until it is bound or torn down, then @seed is NULL until the
 *	next "create" (devices created meanwhile never become the seed)
 * @youngest: device most recently made by the "create" attribute, or NULL
 * @space: allocation state of @res (see region-alloc.h)
 * @devices: every dev_dax of the region that has not been torn down
 * @dead: the provider is going away; no more changes
 * @scrub: space given back by a device that may hold data is cleared
 *	before it is handed out again (default for all but static regions)
 * @scrub_gen: number of chunks the scrubber has cleared; allocations that
 *	wait for clean space wait for it to change
 * @scrub_wait: where those allocations wait
 * @scrub_work: the scrubber: clears space that is to scrub, chunk by chunk
 */
struct dax_region {
	int id;
	int target_node;
	unsigned int align;
	struct resource res;
	struct device *parent;
	struct kref ref;
	struct ida dev_ids;
	/* region state and the layout of its devices, see bus.c */
	struct mutex lock;
	struct dev_dax *seed;
	struct dev_dax *youngest;
	struct dax_space space;
	struct list_head devices;
	bool dead;
	bool scrub;
	unsigned long scrub_gen;
	wait_queue_head_t scrub_wait;
	struct work_struct scrub_work;
};

/**
 * struct dax_mapping - the mappingN child of a dev_dax, one per range
 * @dev: device core; named "mapping%u" after the range's index
 * @lock: protects @range, the only thing that changes after creation
 * @pgoff: page offset of the range in the device
 * @range: copy of the range, shown by the start and end attributes
 *
 * The attributes cannot read the device's range list, which changes under
 * the region lock: mappings are removed with that lock held, and removal
 * waits for running show handlers.  So the range is copied here, and
 * updated under @lock when a resize moves its end.
 */
struct dax_mapping {
	struct device dev;
	/* guards @range against a concurrent resize */
	spinlock_t lock;
	unsigned long pgoff;
	struct range range;
};

/**
 * enum dev_dax_state - where a dev_dax is in its life
 * @DEV_DAX_NEW: being created; may already be registered and bound
 * @DEV_DAX_LIVE: fully created; sysfs may reconfigure it
 * @DEV_DAX_DYING: deletion has begun
 */
enum dev_dax_state {
	DEV_DAX_NEW,
	DEV_DAX_LIVE,
	DEV_DAX_DYING,
};

/**
 * struct dev_dax - one device-dax instance (daxX.Y) cut from a dax_region
 * @region: the region the ranges come from
 * @dax_dev: core dax state, alive only while a driver is bound
 * @align: mapping granule of the device
 * @target_node: NUMA node for memory hotplug by kmem
 * @dyn_id: @id came from the region's ida
 * @id: the Y in daxX.Y, -1 once the device is deleted
 * @dev: device core
 * @pgmap: page map; preset for static regions, owned by the driver else
 * @memmap_on_memory: let kmem place the memmap on the hot-added memory
 * @nr_range: number of entries in @ranges
 * @cap_range: number of entries @ranges has room for
 * @last_range: index in @ranges of the range that served the last page
 *	offset lookup; a hint for the next fault, checked before use
 * @ranges: physical ranges of the device in page offset order;
 *	ranges[0].pgoff is 0 and each following range starts at the page
 *	offset where the previous one ends
 * @node: entry in dax_region.devices
 * @state: life cycle state, see enum dev_dax_state
 * @binding: number of the device_dax binding that is (or was last) live;
 *	a file of /dev/daxX.Y opened under an earlier one only gets errors
 * @kmem_held: ranges that kmem could not hot-remove when it was unbound;
 *	they are still System RAM, so the device can be neither resized,
 *	re-mapped, re-aligned, deleted nor bound to another driver until
 *	kmem is bound again and takes them back.  Changes under the device
 *	lock.
 * @exposed: a driver has been bound since the device last had no memory,
 *	so what it gives back may hold data and is scrubbed first
 * @scrub_on_bind: kmem gave the memory back after the kernel used it as
 *	System RAM; it is cleared before another driver binds.  Changes
 *	under the device lock.
 *
 * @ranges, @nr_range, @align and @state change only with the region's
 * lock held, and @ranges only while no driver is bound.
 */
struct dev_dax {
	struct dax_region *region;
	struct dax_device *dax_dev;
	unsigned int align;
	int target_node;
	bool dyn_id;
	int id;
	struct device dev;
	struct dev_pagemap *pgmap;
	bool memmap_on_memory;
	int nr_range;
	unsigned int cap_range;
	unsigned int last_range;
	struct dev_dax_range {
		unsigned long pgoff;
		struct range range;
		struct dax_mapping *mapping;
	} *ranges;
	struct list_head node;
	enum dev_dax_state state;
	unsigned int binding;
	struct kmem_ranges *kmem_held;
	bool exposed;
	bool scrub_on_bind;
};

/* kept out of include/linux/dax.h on purpose: only drivers/dax uses it */
void run_dax(struct dax_device *dax_dev);

static inline struct dev_dax *to_dev_dax(struct device *dev)
{
	return container_of(dev, struct dev_dax, dev);
}

static inline struct dax_mapping *to_dax_mapping(struct device *dev)
{
	return container_of(dev, struct dax_mapping, dev);
}

phys_addr_t dax_pgoff_to_phys(struct dev_dax *dev_dax, pgoff_t pgoff,
			      unsigned long size);

#ifdef CONFIG_TRANSPARENT_HUGEPAGE
static inline bool dax_align_valid(unsigned long align)
{
	if (align == PAGE_SIZE)
		return true;
	if (align == PMD_SIZE)
		return has_transparent_hugepage();
	if (align == PUD_SIZE)
		return IS_ENABLED(CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD);
	return false;
}
#else
static inline bool dax_align_valid(unsigned long align)
{
	return align == PAGE_SIZE;
}
#endif /* CONFIG_TRANSPARENT_HUGEPAGE */
#endif /* __DAX_PRIVATE_H__ */
