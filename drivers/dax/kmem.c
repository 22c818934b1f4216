// SPDX-License-Identifier: GPL-2.0
/*
 * kmem: hand the ranges of a dax device to the page allocator.
 *
 * Each range of the device is trimmed to whole memory blocks and
 * hot-plugged as driver managed "System RAM (kmem)" on its own, so a
 * device with many small ranges still contributes whatever fits.  The
 * blocks come up as the system's auto-online policy says, and may be
 * onlined one by one through /sys/devices/system/memory.
 *
 * The device's "state" attribute moves all of its memory at once:
 * writing an online type hot-plugs and onlines every range, writing
 * "unplugged" offlines and hot-removes every range.  Both are all or
 * nothing, under device_hotplug_lock, so no per-block writer can slip
 * in between.
 *
 * Unbinding never offlines memory: it removes every range if all of
 * them are offline, and otherwise removes none of them.  Memory that is
 * still online stays System RAM: the device keeps it, frozen, until kmem
 * is bound to it again and takes it back.
 */
#include <linux/memory_hotplug.h>
#include <linux/memory-tiers.h>
#include <linux/cleanup.h>
#include <linux/notifier.h>
#include <linux/memory.h>
#include <linux/bitmap.h>
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

/* the "state" of a device none of whose ranges is hot-plugged */
#define KMEM_UNPLUGGED (-1)

/**
 * struct kmem_ranges - what the kmem driver added for one dax device
 * @owner: name of the resources in @res (the device name)
 * @dev_dax: the device
 * @lock: serializes "state" writes, and reads against them
 * @no_online: memory notifier that refuses to online the device's
 *	memory while a hot-remove of all of it is under way
 * @online_type: the online type last written to "state" (MMOP_OFFLINE
 *	when none was, or after an unplug); reported while the zones of
 *	the online blocks agree with it
 * @mgid: static memory group covering all ranges of the device
 * @nr_res: number of entries in @res, one per device range
 * @res: the requested resource of each hot-plugged range, or NULL
 */
struct kmem_ranges {
	const char *owner;
	struct dev_dax *dev_dax;
	/* serializes state changes made through the "state" attribute */
	struct mutex lock;
	struct notifier_block no_online;
	enum mmop online_type;
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
	data->dev_dax = dev_dax;
	mutex_init(&data->lock);
	return data;
}

static void kmem_ranges_free(struct kmem_ranges *data)
{
	mutex_destroy(&data->lock);
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
/* ---- the memory blocks of the hot-plugged ranges ---- */

DEFINE_LOCK_GUARD_0(device_hotplug, lock_device_hotplug(),
		    unlock_device_hotplug())

/**
 * struct kmem_block_walk - one pass over the memory blocks of a device
 * @dev: the device, for messages
 * @only: the ranges to visit (a bitmap over the device's ranges), all
 *	hot-plugged ranges when NULL
 * @online_type: the type kmem_online_block() onlines blocks with
 * @undo: per block, in walk order, what a pass changed: MMOP_OFFLINE for
 *	nothing, else the online type the block had before it was
 *	offlined, or the one it was onlined with
 * @nr: number of entries in @undo
 * @pos: index in @undo of the block being visited
 * @offline: offline blocks seen by kmem_count_block()
 * @kernel: online blocks outside ZONE_MOVABLE seen by kmem_count_block()
 * @movable: online blocks in ZONE_MOVABLE seen by kmem_count_block()
 * @failed: blocks an undo pass could not put back
 */
struct kmem_block_walk {
	struct device *dev;
	const unsigned long *only;
	enum mmop online_type;
	u8 *undo;
	unsigned long nr;
	unsigned long pos;
	unsigned long offline;
	unsigned long kernel;
	unsigned long movable;
	unsigned long failed;
};

static unsigned long kmem_nr_blocks(const struct kmem_ranges *data)
{
	unsigned long nr = 0;
	int i;

	for (i = 0; i < data->nr_res; i++)
		if (data->res[i])
			nr += resource_size(data->res[i]) /
			      memory_block_size_bytes();
	return nr;
}

/*
 * Call @fn on every memory block of every hot-plugged range, in range
 * order, until it fails.  The caller holds device_hotplug_lock, so the
 * blocks and their states stay put between passes.
 */
static int kmem_walk_blocks(struct kmem_ranges *data,
			    struct kmem_block_walk *w,
			    walk_memory_blocks_func_t fn)
{
	int i, rc;

	w->pos = 0;
	for (i = 0; i < data->nr_res; i++) {
		struct resource *res = data->res[i];

		if (!res || (w->only && !test_bit(i, w->only)))
			continue;
		rc = walk_memory_blocks(res->start, resource_size(res), w, fn);
		if (rc)
			return rc;
	}
	return 0;
}

/* slot of the block being visited in @w->undo */
static u8 *kmem_walk_slot(struct kmem_block_walk *w)
{
	unsigned long pos = w->pos++;

	if (WARN_ONCE(pos >= w->nr, "kmem: more memory blocks than the ranges hold\n"))
		return NULL;
	return &w->undo[pos];
}

static enum mmop kmem_block_online_type(const struct memory_block *mem)
{
	if (mem->zone && zone_idx(mem->zone) == ZONE_MOVABLE)
		return MMOP_ONLINE_MOVABLE;
	return MMOP_ONLINE_KERNEL;
}

static int kmem_count_block(struct memory_block *mem, void *arg)
{
	struct kmem_block_walk *w = arg;

	if (mem->state != MEM_ONLINE)
		w->offline++;
	else if (kmem_block_online_type(mem) == MMOP_ONLINE_MOVABLE)
		w->movable++;
	else
		w->kernel++;
	return 0;
}

static int kmem_online_block(struct memory_block *mem, void *arg)
{
	struct kmem_block_walk *w = arg;
	u8 *slot = kmem_walk_slot(w);
	int rc;

	if (!slot)
		return -EIO;
	if (mem->state == MEM_ONLINE)
		return 0;
	mem->online_type = w->online_type;
	rc = device_online(&mem->dev);
	if (rc < 0)
		return rc;
	if (!rc)
		*slot = w->online_type;
	return 0;
}

/* offline a block that is online in a zone @w->online_type does not allow */
static int kmem_refit_block(struct memory_block *mem, void *arg)
{
	struct kmem_block_walk *w = arg;

	if (mem->state != MEM_ONLINE || w->online_type == MMOP_ONLINE ||
	    w->online_type == kmem_block_online_type(mem))
		return 0;
	return device_offline(&mem->dev) < 0 ? -EBUSY : 0;
}

static int kmem_undo_online_block(struct memory_block *mem, void *arg)
{
	struct kmem_block_walk *w = arg;
	u8 *slot = kmem_walk_slot(w);

	if (slot && *slot != MMOP_OFFLINE && device_offline(&mem->dev) < 0)
		w->failed++;
	return 0;
}

static int kmem_offline_block(struct memory_block *mem, void *arg)
{
	struct kmem_block_walk *w = arg;
	u8 *slot = kmem_walk_slot(w);
	enum mmop type;
	int rc;

	if (!slot)
		return -EIO;
	if (mem->state != MEM_ONLINE)
		return 0;
	type = kmem_block_online_type(mem);
	rc = device_offline(&mem->dev);
	if (rc < 0)
		return rc;
	if (!rc)
		*slot = type;
	return 0;
}

static int kmem_undo_offline_block(struct memory_block *mem, void *arg)
{
	struct kmem_block_walk *w = arg;
	u8 *slot = kmem_walk_slot(w);

	if (!slot || *slot == MMOP_OFFLINE)
		return 0;
	mem->online_type = *slot;
	if (device_online(&mem->dev) < 0)
		w->failed++;
	return 0;
}

static int kmem_block_is_offline(struct memory_block *mem, void *arg)
{
	return mem->state == MEM_ONLINE ? -EBUSY : 0;
}

/* ---- moving the whole device ---- */

/*
 * Registered while every block of the device is offline and about to be
 * hot-removed: nobody may online one in between.
 */
static int kmem_refuse_online(struct notifier_block *nb, unsigned long action,
			      void *arg)
{
	struct kmem_ranges *data = container_of(nb, struct kmem_ranges,
						no_online);
	struct dev_dax *dev_dax = data->dev_dax;
	const struct memory_notify *mn = arg;
	struct range blocks = {
		.start = PFN_PHYS(mn->start_pfn),
		.end = PFN_PHYS(mn->start_pfn + mn->nr_pages) - 1,
	};
	int i;

	if (action != MEM_GOING_ONLINE)
		return NOTIFY_DONE;
	for (i = 0; i < dev_dax->nr_range; i++) {
		const struct range *r = &dev_dax->ranges[i].range;

		if (r->start <= blocks.end && blocks.start <= r->end)
			return notifier_from_errno(-EBUSY);
	}
	return NOTIFY_DONE;
}

/*
 * Offline every online block (@offline), or check that none is online.
 * On failure every block is as it was.
 */
static int kmem_take_blocks_offline(struct kmem_ranges *data,
				    struct kmem_block_walk *w, bool offline)
{
	int rc;

	if (!offline)
		return kmem_walk_blocks(data, w, kmem_block_is_offline);

	rc = kmem_walk_blocks(data, w, kmem_offline_block);
	if (!rc)
		return 0;
	kmem_walk_blocks(data, w, kmem_undo_offline_block);
	if (w->failed)
		dev_err(w->dev, "%lu memory block(s) could not be onlined again\n",
			w->failed);
	return rc == -EINTR ? rc : -EBUSY;
}

/* every block is offline and cannot be onlined: removal cannot fail */
static void kmem_remove_ranges(struct dev_dax *dev_dax,
			       struct kmem_ranges *data)
{
	int i, rc;

	for (i = 0; i < data->nr_res; i++) {
		struct resource *res = data->res[i];

		if (!res)
			continue;
		rc = remove_memory(res->start, resource_size(res));
		if (dev_WARN_ONCE(&dev_dax->dev, rc,
				  "mapping%d: hot-remove of offline memory failed: %d\n",
				  i, rc))
			continue;
		kmem_drop_resource(res);
		data->res[i] = NULL;
	}
}

/**
 * kmem_unplug - hot-remove every range of a device, all or nothing
 * @dev_dax: the device
 * @data: its kmem state
 * @offline: offline online blocks first; without it an online block
 *	fails the operation
 *
 * Return: 0 when no range is hot-plugged any more; -EBUSY (or, with
 * @offline only, -EINTR when a signal stopped the offlining or -ENOMEM)
 * with every range and block as it was.
 */
static int kmem_unplug(struct dev_dax *dev_dax, struct kmem_ranges *data,
		       bool offline)
{
	struct kmem_block_walk w = {
		.dev = &dev_dax->dev,
		.nr = kmem_nr_blocks(data),
	};
	u8 *undo __free(kfree) = NULL;
	int rc;

	if (!w.nr) {
		data->online_type = MMOP_OFFLINE;
		return 0;
	}
	/*
	 * Only offlining changes blocks and needs to remember how to put
	 * them back; an unbind of offline memory allocates nothing before
	 * the hot-remove, so it cannot fail for want of memory.
	 */
	if (offline) {
		undo = kcalloc(w.nr, sizeof(*undo), GFP_KERNEL);
		if (!undo)
			return -ENOMEM;
		w.undo = undo;
	}

	data->no_online.notifier_call = kmem_refuse_online;
	scoped_guard(device_hotplug) {
		rc = kmem_take_blocks_offline(data, &w, offline);
		if (rc)
			return rc;
		rc = register_memory_notifier(&data->no_online);
		if (rc) {
			if (offline)
				kmem_walk_blocks(data, &w,
						 kmem_undo_offline_block);
			return rc;
		}
	}

	kmem_remove_ranges(dev_dax, data);
	unregister_memory_notifier(&data->no_online);
	data->online_type = MMOP_OFFLINE;
	return 0;
}

/* an online type that lets the blocks already online stay as they are */
static bool kmem_type_fits(enum mmop type, const struct kmem_block_walk *w)
{
	switch (type) {
	case MMOP_ONLINE:
		return true;
	case MMOP_ONLINE_KERNEL:
		return !w->movable;
	case MMOP_ONLINE_MOVABLE:
		return !w->kernel;
	default:
		return false;
	}
}

/*
 * Online every offline block as @type.  The ranges in @added were just
 * hot-plugged: the auto-online policy may have onlined their blocks in
 * another zone, those are offlined first.  On failure every block of
 * the other ranges is as it was.
 */
static int kmem_online_blocks(struct dev_dax *dev_dax,
			      struct kmem_ranges *data, enum mmop type,
			      const unsigned long *added)
{
	struct kmem_block_walk w = {
		.dev = &dev_dax->dev,
		.online_type = type,
		.nr = kmem_nr_blocks(data),
	};
	u8 *undo __free(kfree) = kcalloc(w.nr, sizeof(*undo), GFP_KERNEL);
	int rc;

	if (!undo)
		return -ENOMEM;
	w.undo = undo;

	guard(device_hotplug)();
	w.only = added;
	rc = kmem_walk_blocks(data, &w, kmem_refit_block);
	w.only = NULL;
	if (rc)
		return rc;
	kmem_walk_blocks(data, &w, kmem_count_block);
	if (!kmem_type_fits(type, &w))
		return -EBUSY;
	rc = kmem_walk_blocks(data, &w, kmem_online_block);
	if (rc) {
		kmem_walk_blocks(data, &w, kmem_undo_online_block);
		if (w.failed)
			dev_err(&dev_dax->dev, "%lu memory block(s) could not be offlined again\n",
				w.failed);
	}
	return rc;
}

/* hot-plug the ranges that are not; @added records which were */
static int kmem_plug_missing(struct dev_dax *dev_dax, struct kmem_ranges *data,
			     unsigned long *added)
{
	int i, rc;

	for (i = 0; i < data->nr_res; i++) {
		struct range r;

		if (data->res[i] ||
		    !kmem_block_range(&dev_dax->ranges[i].range, &r))
			continue;
		rc = kmem_add_range(dev_dax, data, i, &r);
		if (rc)
			return rc;
		__set_bit(i, added);
	}
	return 0;
}

/* take back the ranges kmem_plug_missing() added */
static void kmem_unplug_added(struct dev_dax *dev_dax,
			      struct kmem_ranges *data,
			      const unsigned long *added)
{
	int i;

	for_each_set_bit(i, added, data->nr_res) {
		struct resource *res = data->res[i];

		if (offline_and_remove_memory(res->start, resource_size(res))) {
			dev_warn(&dev_dax->dev, "mapping%d: %pR stays System RAM\n",
				 i, res);
			continue;
		}
		kmem_drop_resource(res);
		data->res[i] = NULL;
	}
}

/**
 * kmem_online - hot-plug and online every range of a device, all or nothing
 * @dev_dax: the device
 * @data: its kmem state
 * @type: MMOP_ONLINE, MMOP_ONLINE_KERNEL or MMOP_ONLINE_MOVABLE
 *
 * Blocks that are online already stay as they are; they must be in a
 * zone @type allows.
 *
 * Return: 0 with every block of every range online; -EBUSY if an online
 * block is in a zone @type does not allow, or the error of the hot-plug
 * or onlining that failed, with every range and block as it was.
 */
static int kmem_online(struct dev_dax *dev_dax, struct kmem_ranges *data,
		       enum mmop type)
{
	unsigned long *added __free(bitmap) = bitmap_zalloc(data->nr_res,
							    GFP_KERNEL);
	int rc;

	if (!added)
		return -ENOMEM;
	rc = kmem_plug_missing(dev_dax, data, added);
	if (!rc)
		rc = kmem_online_blocks(dev_dax, data, type, added);
	if (rc) {
		kmem_unplug_added(dev_dax, data, added);
		return rc;
	}
	/* "online" leaves the zone to the kernel: keep a more precise record */
	if (type != MMOP_ONLINE || data->online_type == MMOP_OFFLINE)
		data->online_type = type;
	return 0;
}

/* ---- the "state" attribute ---- */

static const char *const kmem_state_names[] = {
	[MMOP_OFFLINE] = "offline",
	[MMOP_ONLINE] = "online",
	[MMOP_ONLINE_KERNEL] = "online_kernel",
	[MMOP_ONLINE_MOVABLE] = "online_movable",
};

/*
 * The state of a device with hot-plugged ranges, from its blocks: any
 * offline block makes it "offline"; when all are online, the type last
 * written if the zones agree with it, else the zone they share, else
 * "online".
 */
static enum mmop kmem_current_type(const struct kmem_ranges *data,
				   const struct kmem_block_walk *w)
{
	if (w->offline)
		return MMOP_OFFLINE;
	if (data->online_type != MMOP_OFFLINE &&
	    kmem_type_fits(data->online_type, w))
		return data->online_type;
	if (!w->kernel)
		return MMOP_ONLINE_MOVABLE;
	if (!w->movable)
		return MMOP_ONLINE_KERNEL;
	return MMOP_ONLINE;
}

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct kmem_ranges *data = dev_get_drvdata(dev);
	struct kmem_block_walk w = { .dev = dev };

	scoped_cond_guard(mutex_intr, return -EINTR, &data->lock) {
		if (!kmem_nr_blocks(data))
			return sysfs_emit(buf, "unplugged\n");
		scoped_guard(device_hotplug)
			kmem_walk_blocks(data, &w, kmem_count_block);
		return sysfs_emit(buf, "%s\n",
				  kmem_state_names[kmem_current_type(data, &w)]);
	}
}

/* KMEM_UNPLUGGED, an online type, or -EINVAL ("offline" included) */
static int kmem_parse_state(const char *buf)
{
	int type;

	if (sysfs_streq(buf, "unplugged"))
		return KMEM_UNPLUGGED;
	for (type = MMOP_ONLINE; type <= MMOP_ONLINE_MOVABLE; type++)
		if (sysfs_streq(buf, kmem_state_names[type]))
			return type;
	return -EINVAL;
}

static ssize_t state_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t len)
{
	struct kmem_ranges *data = dev_get_drvdata(dev);
	struct dev_dax *dev_dax = to_dev_dax(dev);
	int type = kmem_parse_state(buf);
	int rc;

	if (type < KMEM_UNPLUGGED)
		return type;

	scoped_cond_guard(mutex_intr, return -EINTR, &data->lock) {
		if (type == KMEM_UNPLUGGED)
			rc = kmem_unplug(dev_dax, data, true);
		else
			rc = kmem_online(dev_dax, data, type);
	}
	return rc ? rc : len;
}
static DEVICE_ATTR_RW(state);

static struct attribute *kmem_attrs[] = {
	&dev_attr_state.attr,
	NULL
};
ATTRIBUTE_GROUPS(kmem);

static void kmem_remove(struct dev_dax *dev_dax)
{
	struct device *dev = &dev_dax->dev;
	struct kmem_ranges *data = dev_get_drvdata(dev);

	if (!data)
		return;

	/*
	 * Offlining could wait for page migration indefinitely: remove the
	 * ranges only if all of their memory is offline, and keep all of
	 * them otherwise.
	 */
	if (kmem_unplug(dev_dax, data, false)) {
		/*
		 * The device keeps @data (the kept resources use its name)
		 * and the bus freezes the device until kmem takes it back.
		 */
		kmem_memory_stuck = true;
		dev_dax->kmem_held = data;
		dev_warn(dev, "memory still online: every range remains System RAM until kmem is bound again\n");
		return;
	}

	memory_group_unregister(data->mgid);
	kmem_ranges_free(data);
	dev_set_drvdata(dev, NULL);
	/* the node may get onlined memory again later if anything is left */
	clear_node_memory_type(dev_dax->target_node, NULL);
}
#else
#define kmem_groups NULL

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
	.drv = {
		.dev_groups = kmem_groups,
	},
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
