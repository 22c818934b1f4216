// SPDX-License-Identifier: GPL-2.0
/*
 * The dax bus: regions, the devices cut from them, and driver matching.
 */

/**
 * DOC: device-dax bus core
 *
 * Data model
 * ----------
 * A region provider (hmem, pmem, cxl) hands a span of physical address
 * space to alloc_dax_region(). The resulting &struct dax_region keeps its
 * sysfs attributes in a "dax_region" group on the provider's device and
 * tracks every allocated byte in a &struct dax_space (region-alloc.c, pure
 * bookkeeping with its own KUnit test).
 *
 * Devices daxX.Y (&struct dev_dax, on the dax bus) are cut from the
 * region. A device owns an array of ranges in page offset order: ranges[0]
 * starts at page offset 0 and every following range starts at the page
 * offset where the previous one ends, so the array maps file offsets to
 * physical addresses without holes. Every range is also an extent of the
 * region's dax_space, tagged with the device, and has a child device
 * "mappingN" (N is the array index) showing start, end and page_offset.
 *
 * A device's ranges only ever change at the end of the array: growing
 * extends the last range or appends ranges, shrinking trims or drops the
 * last ones, a write to "mapping" appends one. So indexes, page offsets and
 * mappingN names of the ranges that stay never change.
 *
 * Changes are all or nothing. The allocator first plans the change, with
 * all the memory it needs, without touching the region; the device's
 * range array gets room for appended ranges, its contents unchanged.
 * Then the mappingN devices for appended ranges are registered. Only
 * when all of that succeeded is the plan committed, in place, which
 * cannot fail; mappingN devices of dropped ranges are removed afterwards.
 * Any earlier failure unwinds what was prepared, and the device and
 * region stay exactly as they were. Both the device's range array and
 * the region's extent array are edited in place and grow by doubling, so
 * a write does not copy the lists it changes.
 *
 * Lifetime
 * --------
 * Every device sits on its region's device list from creation until it is
 * torn down, either by a write to "delete" or when the region's parent
 * unbinds (a devm action of alloc_dax_region() removes the region's sysfs
 * group and then tears down all remaining devices). Whoever moves a device
 * to %DEV_DAX_DYING under the region lock owns the teardown. A probe
 * checks that state under the region lock and runs under the device
 * lock, which the teardown takes before it kills the dax_device, so no
 * probe can bring a dying device back. The region structure is reference
 * counted and outlives its last device.
 *
 * Memory that kmem could not hot-remove when it was unbound is still
 * System RAM. The device keeps kmem's record of it (&dev_dax.kmem_held)
 * and its ranges: size, mapping, align and delete fail with -EBUSY, the
 * region does not count the memory as available, and only kmem may bind
 * the device, taking the memory back.
 *
 * Scrubbing
 * ---------
 * On a region with "scrub" set (every region but static ones, whose
 * provider keeps data on purpose), memory is cleared before it changes
 * hands:
 *
 * - Space a device gives back (a shrink, or its deletion) while
 *   &dev_dax.exposed is set goes to the allocator as "to scrub": it
 *   counts in available_size, but no allocation takes it. exposed is set
 *   when a driver binds and cleared when the device has no memory left, so
 *   space that no driver was bound to since it was allocated cannot hold
 *   data and returns free at once. A shrink and a later grow of the same
 *   device are not special: the freed tail is scrubbed like any other.
 * - A worker (&dax_region.scrub_work) clears that space lowest address
 *   first, one chunk at a time, through a temporary write-back mapping;
 *   it holds the region lock only to take a chunk and to give it back
 *   clean, never while clearing. Space that cannot be mapped, or whose
 *   first word does not keep what is written to it (an emulated window
 *   with no memory behind it), is given back as it is.
 * - An allocation (size, mapping) prefers clean space. When only space
 *   to scrub could serve it, the writer waits killably, without the
 *   region lock, for the worker to clear another chunk, and tries again.
 *   A size, mapping or delete write that gives space back never waits.
 * - Memory kmem gave back after it was System RAM is cleared, in the
 *   probe, before any other driver binds the device (&dev_dax.scrub_on_bind).
 * - When the region goes away its teardown waits for the worker to finish
 *   clearing everything that was given back.
 *
 * A device_dax binding gives the device a character device of its own
 * for the duration of the binding. Files opened under an earlier binding
 * keep that binding's cdev and fail every mmap and fault.
 *
 * Lock order
 * ----------
 * From outermost to innermost:
 *
 * 1. device_lock() of a dev_dax: taken by the driver core around probe and
 *    remove, and by the sysfs writes that require the device to stay
 *    unbound while they work (size, mapping, align, memmap_on_memory) and
 *    by "delete". Those writers wait for it interruptibly, before they
 *    change anything, so a signal ends the wait of a writer stuck
 *    behind a long probe and leaves everything as it was.
 * 2. &dax_region.lock: the allocator, the device list, seed and youngest,
 *    the ranges, align and state of every device in the region, and
 *    the scrub policy and progress count. The scrub worker takes it on
 *    its own, twice per chunk, and nothing else.
 * 3. &dax_mapping.lock: the range copy that a mappingN device shows.
 *
 * A writer waiting for space to be scrubbed holds (1) only; the worker
 * needs none of it, and the region's teardown flushes the worker with
 * neither held.
 *
 * dax_bus_lock guards the one list of the names written to the drivers'
 * new_id, each entry with its driver. It is taken on its own or inside
 * (1), and nothing else is acquired while it is held.
 *
 * A dev_dax is never added to or deleted from the bus with the region lock
 * held: registering may probe a driver, which takes the lock in
 * dax_probe(), and deleting waits for running sysfs handlers, which
 * take it too. mappingN devices are added and removed under the region
 * lock: they have no bus, and their attributes only take (3).
 */
#include <kunit/static_stub.h>
#include <kunit/visibility.h>
#include <linux/memory_hotplug.h>
#include <linux/memremap.h>
#include <linux/cleanup.h>
#include <linux/io.h>
#include <linux/sched/signal.h>
#include <linux/sizes.h>
#include <linux/log2.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/list.h>
#include <linux/slab.h>
#include <linux/dax.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include "dax-private.h"
#include "bus.h"

static DEFINE_MUTEX(dax_bus_lock);

static struct range *dev_dax_range_list(const struct dev_dax *dev_dax);

/*
 * device_lock() for sysfs writers: they may wait behind a whole probe
 * (a kmem hot-plug, a memremap of a large device), and a signal must be
 * able to end that wait.  They take it before changing anything, so an
 * interrupted write has changed nothing.
 */
DEFINE_GUARD_COND(device, _intr, !device_lock_interruptible(_T))

/* "dax" + two unsigned ints + "." + NUL */
#define DAX_DEV_NAME_MAX 32

/* a device name written to a driver's new_id */
struct dax_id {
	struct list_head list;
	const struct dax_device_driver *drv;
	char name[DAX_DEV_NAME_MAX];
};

/* every driver's ids, so that a match looks through one list */
static LIST_HEAD(dax_ids);

#define to_dax_drv(__drv) \
	container_of_const(__drv, struct dax_device_driver, drv)

static int dax_uevent(const struct device *dev, struct kobj_uevent_env *env)
{
	/* device-dax is the only kind of device on this bus: type 0 */
	return add_uevent_var(env, "MODALIAS=" DAX_DEVICE_MODALIAS_FMT, 0);
}

static bool dax_region_is_static(const struct dax_region *region)
{
	return region->res.flags & IORESOURCE_DAX_STATIC;
}

/**
 * static_dev_dax - does the device belong to a static region?
 * @dev_dax: the device
 *
 * A static region (IORESOURCE_DAX_STATIC, e.g. a pmem namespace) has one
 * device with a fixed range and a page map supplied by the provider. A
 * dynamic region can be partitioned at will, and its device drivers set
 * up their own page map at probe time.
 *
 * Return: true for a device of a static region.
 */
bool static_dev_dax(struct dev_dax *dev_dax)
{
	return dax_region_is_static(dev_dax->region);
}
EXPORT_SYMBOL_GPL(static_dev_dax);

/* ---- driver matching: id lists first, then the driver type ---- */

static struct dax_id *dax_id_find(const struct dax_device_driver *dax_drv,
				  const char *name)
{
	struct dax_id *entry;

	lockdep_assert_held(&dax_bus_lock);
	list_for_each_entry(entry, &dax_ids, list)
		if (entry->drv == dax_drv && !strcmp(entry->name, name))
			return entry;
	return NULL;
}

enum dax_id_holder {
	DAX_ID_HELD_BY_NONE,
	DAX_ID_HELD_BY_ASKING,
	DAX_ID_HELD_BY_OTHER,
};

/* whose new_id named @name: @dax_drv's, only other drivers', or none */
static enum dax_id_holder dax_id_holder(const struct dax_device_driver *dax_drv,
					const char *name)
{
	enum dax_id_holder holder = DAX_ID_HELD_BY_NONE;
	struct dax_id *entry;

	lockdep_assert_held(&dax_bus_lock);
	list_for_each_entry(entry, &dax_ids, list) {
		if (strcmp(entry->name, name))
			continue;
		if (entry->drv == dax_drv)
			return DAX_ID_HELD_BY_ASKING;
		holder = DAX_ID_HELD_BY_OTHER;
	}
	return holder;
}

static enum dax_driver_type dev_dax_default_type(const struct dev_dax *dev_dax)
{
	if (IS_ENABLED(CONFIG_DEV_DAX_KMEM) &&
	    (dev_dax->region->res.flags & IORESOURCE_DAX_KMEM))
		return DAXDRV_KMEM_TYPE;
	return DAXDRV_DEVICE_TYPE;
}

/*
 * A device named in a driver's id list matches that driver whatever its
 * type, and no longer matches other drivers by type. Devices named in no
 * id list match the driver of their default type.
 */
static int dax_match(struct device *dev, const struct device_driver *drv)
{
	const struct dax_device_driver *dax_drv = to_dax_drv(drv);
	enum dax_id_holder holder;

	scoped_guard(mutex, &dax_bus_lock)
		holder = dax_id_holder(dax_drv, dev_name(dev));
	if (holder != DAX_ID_HELD_BY_NONE)
		return holder == DAX_ID_HELD_BY_ASKING;
	return dax_drv->type == dev_dax_default_type(to_dev_dax(dev));
}

/* accept exactly "daxR.I", optionally newline terminated */
static int dax_parse_dev_name(const char *buf, char *name, size_t size)
{
	unsigned int region_id, id;

	if (sscanf(buf, "dax%u.%u", &region_id, &id) != 2)
		return -EINVAL;
	snprintf(name, size, "dax%u.%u", region_id, id);
	return sysfs_streq(buf, name) ? 0 : -EINVAL;
}

static int dax_id_add(struct dax_device_driver *dax_drv, const char *name)
{
	struct dax_id *entry;

	guard(mutex)(&dax_bus_lock);
	if (dax_id_find(dax_drv, name))
		return 0;
	entry = kzalloc(sizeof(*entry), GFP_KERNEL);
	if (!entry)
		return -ENOMEM;
	entry->drv = dax_drv;
	strscpy(entry->name, name);
	list_add_tail(&entry->list, &dax_ids);
	return 0;
}

/* an id that is not on the list is not an error, as on stock kernels */
static int dax_id_remove(struct dax_device_driver *dax_drv, const char *name)
{
	struct dax_id *entry;

	guard(mutex)(&dax_bus_lock);
	entry = dax_id_find(dax_drv, name);
	if (entry) {
		list_del(&entry->list);
		kfree(entry);
	}
	return 0;
}

/* new_id: a named device now matches, so try to bind it right away */
static int dax_id_add_and_attach(struct dax_device_driver *dax_drv,
				 const char *name)
{
	int rc = dax_id_add(dax_drv, name);

	return rc ? rc : driver_attach(&dax_drv->drv);
}

static ssize_t dax_id_store(struct device_driver *drv, const char *buf,
			    size_t count,
			    int (*op)(struct dax_device_driver *, const char *))
{
	char name[DAX_DEV_NAME_MAX];
	int rc;

	rc = dax_parse_dev_name(buf, name, sizeof(name));
	if (!rc)
		rc = op(to_dax_drv(drv), name);
	return rc ? rc : count;
}

static ssize_t new_id_store(struct device_driver *drv, const char *buf,
			    size_t count)
{
	return dax_id_store(drv, buf, count, dax_id_add_and_attach);
}
static DRIVER_ATTR_WO(new_id);

static ssize_t remove_id_store(struct device_driver *drv, const char *buf,
			       size_t count)
{
	return dax_id_store(drv, buf, count, dax_id_remove);
}
static DRIVER_ATTR_WO(remove_id);

static struct attribute *dax_driver_attrs[] = {
	&driver_attr_new_id.attr,
	&driver_attr_remove_id.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dax_driver);

/* ---- scrubbing: memory is cleared before it changes hands ---- */

/* the scrubber holds no lock while it clears one chunk */
#define DAX_SCRUB_CHUNK SZ_32M
/* and reschedules after every step of it */
#define DAX_SCRUB_STEP SZ_2M

/*
 * Does the memory at @va keep what is written to it?  An emulated window
 * with nothing behind it (cxl_test's) drops every store and answers each
 * load the same: there is nothing to clear, and clearing it word by word
 * through the emulator's slow path would take minutes per gigabyte.
 */
static bool dax_mem_holds(void *va)
{
	u64 *word = va, old = READ_ONCE(*word);

	WRITE_ONCE(*word, ~old);
	return READ_ONCE(*word) == ~old;
}

/*
 * Zero the physical range @r through a temporary write-back mapping.
 * Space that is System RAM, even in part, belongs to the page allocator
 * and is left alone; so is space that cannot be mapped, or that keeps
 * nothing written to it (a window with no memory behind it).
 *
 * Return: 0, or -EINTR when @killable and a fatal signal arrived; the
 * range may then be partly cleared.
 */
static int dax_clear_phys(const struct range *r, bool killable)
{
	u64 off, len = range_len(r);
	void *va;

	if (region_intersects(r->start, len, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_DISJOINT)
		return 0;
	va = memremap(r->start, len, MEMREMAP_WB);
	if (!va) {
		pr_debug("dax: cannot map %#llx-%#llx to clear it\n",
			 r->start, r->end);
		return 0;
	}
	if (!dax_mem_holds(va)) {
		pr_debug("dax: no memory behind %#llx-%#llx\n", r->start,
			 r->end);
		memunmap(va);
		return 0;
	}
	for (off = 0; off < len; off += DAX_SCRUB_STEP) {
		memset(va + off, 0, min_t(u64, DAX_SCRUB_STEP, len - off));
		cond_resched();
		if (killable && fatal_signal_pending(current)) {
			memunmap(va);
			return -EINTR;
		}
	}
	memunmap(va);
	return 0;
}

/* region lock held: make sure the scrubber runs while space is to scrub */
static void dax_region_scrub_kick(struct dax_region *region)
{
	lockdep_assert_held(&region->lock);
	if (dax_space_scrub_pending(&region->space))
		queue_work(system_unbound_wq, &region->scrub_work);
}

static bool dax_region_scrub_take(struct dax_region *region,
				  struct range *chunk)
{
	guard(mutex)(&region->lock);
	return dax_space_scrub_next(&region->space, DAX_SCRUB_CHUNK, chunk);
}

static void dax_region_scrub_give(struct dax_region *region,
				  const struct range *chunk)
{
	scoped_guard(mutex, &region->lock) {
		dev_WARN_ONCE(region->parent,
			      dax_space_scrub_done(&region->space, chunk),
			      "scrubbed %#llx-%#llx was not to scrub\n",
			      chunk->start, chunk->end);
		WRITE_ONCE(region->scrub_gen, region->scrub_gen + 1);
	}
	wake_up_all(&region->scrub_wait);
}

/* the scrubber: lowest chunk first, until nothing is left to scrub */
static void dax_region_scrub_work(struct work_struct *work)
{
	struct dax_region *region =
		container_of(work, struct dax_region, scrub_work);
	struct range chunk;

	while (dax_region_scrub_take(region, &chunk)) {
		dax_clear_phys(&chunk, false);
		dax_region_scrub_give(region, &chunk);
		cond_resched();
	}
}

/*
 * An allocation found only space that is still to scrub.  Wait, without
 * the region lock, until the scrubber has cleared another chunk since
 * @gen was read under that lock, then the caller asks again.
 */
static int dax_region_wait_scrub(struct dax_region *region, unsigned long gen)
{
	if (wait_event_killable(region->scrub_wait,
				READ_ONCE(region->scrub_gen) != gen))
		return -EINTR;
	return 0;
}

/* does what @dev_dax gives back now have to be scrubbed? */
static bool dev_dax_gives_back_dirty(const struct dev_dax *dev_dax)
{
	lockdep_assert_held(&dev_dax->region->lock);
	return dev_dax->region->scrub && dev_dax->exposed;
}

/*
 * The device's memory was System RAM until kmem let go of it: clear it
 * before a driver other than kmem binds.  Device lock held (probe), so
 * the ranges cannot change; the region lock is not held while clearing.
 */
static int dev_dax_scrub_for_bind(struct dev_dax *dev_dax,
				  const struct dax_device_driver *dax_drv)
{
	struct dax_region *region = dev_dax->region;
	struct range *list = NULL;
	int i, nr = 0, rc = 0;

	device_lock_assert(&dev_dax->dev);
	if (!dev_dax->scrub_on_bind || dax_drv->type == DAXDRV_KMEM_TYPE)
		return 0;
	scoped_guard(mutex, &region->lock) {
		if (region->scrub) {
			list = dev_dax_range_list(dev_dax);
			if (!list)
				return -ENOMEM;
			nr = dev_dax->nr_range;
		}
	}
	for (i = 0; i < nr && !rc; i++)
		rc = dax_clear_phys(&list[i], true);
	kvfree(list);
	if (!rc)
		dev_dax->scrub_on_bind = false;
	return rc;
}

/* ---- probe and remove ---- */

static u64 dev_dax_size(const struct dev_dax *dev_dax)
{
	u64 total = 0;
	int i;

	lockdep_assert_held(&dev_dax->region->lock);
	for (i = 0; i < dev_dax->nr_range; i++)
		total += range_len(&dev_dax->ranges[i].range);
	return total;
}

static int dax_probe(struct device *dev)
{
	struct dax_device_driver *dax_drv = to_dax_drv(dev->driver);
	struct dev_dax *dev_dax = to_dev_dax(dev);
	struct dax_region *region = dev_dax->region;
	int rc;

	scoped_guard(mutex, &region->lock) {
		if (dev_dax->state == DEV_DAX_DYING || dev_dax->id < 0 ||
		    !dev_dax->nr_range)
			return -ENXIO;
	}

	/* memory kmem could not give back is System RAM: only kmem may bind */
	if (dev_dax->kmem_held && dax_drv->type != DAXDRV_KMEM_TYPE) {
		dev_info(dev, "memory still held by the kernel, only kmem can bind\n");
		return -EBUSY;
	}

	rc = dev_dax_scrub_for_bind(dev_dax, dax_drv);
	if (rc)
		return rc;
	/* from here on the memory may hold what the driver's users wrote */
	scoped_guard(mutex, &region->lock)
		dev_dax->exposed = true;

	rc = dax_drv->probe(dev_dax);
	if (rc)
		return rc;

	/* a bound device is no longer a seed; "create" makes the next one */
	guard(mutex)(&region->lock);
	if (region->seed == dev_dax)
		region->seed = NULL;
	return 0;
}

static void dax_remove(struct device *dev)
{
	struct dax_device_driver *dax_drv = to_dax_drv(dev->driver);
	struct dev_dax *dev_dax = to_dev_dax(dev);

	if (dax_drv->remove)
		dax_drv->remove(dev_dax);
	/* what the kernel left in kmem's memory is cleared at the next bind */
	if (dax_drv->type == DAXDRV_KMEM_TYPE && !dev_dax->kmem_held)
		dev_dax->scrub_on_bind = true;
}

static const struct bus_type dax_bus_type = {
	.name = "dax",
	.uevent = dax_uevent,
	.match = dax_match,
	.probe = dax_probe,
	.remove = dax_remove,
	.drv_groups = dax_driver_groups,
};

/* ---- mappingN children ---- */

static struct dev_dax_range dax_mapping_read(struct device *dev)
{
	struct dax_mapping *mapping = to_dax_mapping(dev);
	struct dev_dax_range copy = { .pgoff = mapping->pgoff };

	spin_lock(&mapping->lock);
	copy.range = mapping->range;
	spin_unlock(&mapping->lock);
	return copy;
}

static ssize_t start_show(struct device *dev, struct device_attribute *devattr,
			  char *buf)
{
	return sysfs_emit(buf, "%#llx\n", dax_mapping_read(dev).range.start);
}
static DEVICE_ATTR_ADMIN_RO(start);

static ssize_t end_show(struct device *dev, struct device_attribute *devattr,
			char *buf)
{
	return sysfs_emit(buf, "%#llx\n", dax_mapping_read(dev).range.end);
}
static DEVICE_ATTR_ADMIN_RO(end);

static ssize_t page_offset_show(struct device *dev,
				struct device_attribute *devattr, char *buf)
{
	return sysfs_emit(buf, "%#lx\n", dax_mapping_read(dev).pgoff);
}
static DEVICE_ATTR_ADMIN_RO(page_offset);

static struct attribute *dax_mapping_attrs[] = {
	&dev_attr_start.attr,
	&dev_attr_end.attr,
	&dev_attr_page_offset.attr,
	NULL,
};
ATTRIBUTE_GROUPS(dax_mapping);

static void dax_mapping_release(struct device *dev)
{
	kfree(to_dax_mapping(dev));
}

static const struct device_type dax_mapping_devtype = {
	.release = dax_mapping_release,
	.groups = dax_mapping_groups,
};

static int dax_mapping_add(struct dev_dax *dev_dax, unsigned int index,
			   struct dev_dax_range *dax_range)
{
	struct dax_mapping *mapping;
	int rc;

	lockdep_assert_held(&dev_dax->region->lock);

	mapping = kzalloc(sizeof(*mapping), GFP_KERNEL);
	if (!mapping)
		return -ENOMEM;
	spin_lock_init(&mapping->lock);
	mapping->pgoff = dax_range->pgoff;
	mapping->range = dax_range->range;
	device_initialize(&mapping->dev);
	mapping->dev.parent = &dev_dax->dev;
	mapping->dev.type = &dax_mapping_devtype;
	rc = dev_set_name(&mapping->dev, "mapping%u", index);
	if (!rc)
		rc = device_add(&mapping->dev);
	if (rc) {
		put_device(&mapping->dev);
		return rc;
	}
	dax_range->mapping = mapping;
	return 0;
}

static void dax_mapping_del(struct dev_dax_range *dax_range)
{
	if (!dax_range->mapping)
		return;
	device_unregister(&dax_range->mapping->dev);
	dax_range->mapping = NULL;
}

static void dax_mapping_sync(struct dev_dax_range *dax_range)
{
	struct dax_mapping *mapping = dax_range->mapping;

	if (!mapping)
		return;
	spin_lock(&mapping->lock);
	mapping->range = dax_range->range;
	spin_unlock(&mapping->lock);
}

/* give every range that lacks one its mappingN device */
static int dev_dax_add_mappings(struct dev_dax *dev_dax)
{
	int i, rc;

	for (i = 0; i < dev_dax->nr_range; i++) {
		if (dev_dax->ranges[i].mapping)
			continue;
		rc = dax_mapping_add(dev_dax, i, &dev_dax->ranges[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static void dev_dax_del_mappings(struct dev_dax *dev_dax)
{
	int i;

	for (i = dev_dax->nr_range - 1; i >= 0; i--)
		dax_mapping_del(&dev_dax->ranges[i]);
}

/* ---- layout changes: plan in the allocator, then commit ---- */

/* allocation granule: the device's alignment, at least what memremap can map */
static u64 dax_granule(unsigned long align)
{
	return max(align, memremap_compat_align());
}

static struct range *dev_dax_range_list(const struct dev_dax *dev_dax)
{
	lockdep_assert_held(&dev_dax->region->lock);

	struct range *list;
	int i;

	list = kvmalloc_array(max(dev_dax->nr_range, 1), sizeof(*list),
			      GFP_KERNEL);
	if (!list)
		return NULL;
	for (i = 0; i < dev_dax->nr_range; i++)
		list[i] = dev_dax->ranges[i].range;
	return list;
}

/* the device's ranges as the allocator reads them, in place */
static struct dax_owner_ranges
dev_dax_owner_ranges(const struct dev_dax *dev_dax, u64 size)
{
	return (struct dax_owner_ranges) {
		.owner = dev_dax,
		.first = dev_dax->nr_range ? &dev_dax->ranges[0].range : NULL,
		.stride = sizeof(*dev_dax->ranges),
		.nr = dev_dax->nr_range,
		.size = size,
	};
}

/*
 * Room for @nr ranges in @dev_dax->ranges, with what it holds unchanged.
 * The array grows to twice its size at least, so appending ranges one by
 * one copies it a logarithmic number of times.
 */
static int dev_dax_reserve_ranges(struct dev_dax *dev_dax, unsigned int nr)
{
	struct dev_dax_range *ranges;
	unsigned int cap;

	if (nr <= dev_dax->cap_range)
		return 0;
	cap = max3(nr, 2 * dev_dax->cap_range, 4U);
	ranges = kvmalloc_array(cap, sizeof(*ranges), GFP_KERNEL);
	if (!ranges)
		return -ENOMEM;
	if (dev_dax->nr_range)
		memcpy(ranges, dev_dax->ranges,
		       dev_dax->nr_range * sizeof(*ranges));
	kvfree(dev_dax->ranges);
	dev_dax->ranges = ranges;
	dev_dax->cap_range = cap;
	return 0;
}

/*
 * Fill in the ranges @plan appends after the kept ones. A plan that
 * appends keeps every current range, so the new entries lie past
 * nr_range, unseen until it grows.
 */
static void dev_dax_fill_added(struct dev_dax *dev_dax,
			       const struct dax_space_plan *plan)
{
	struct dev_dax_range *r = dev_dax->ranges;
	unsigned int i, kept = plan->nr_kept;
	unsigned long pgoff = 0;

	if (kept)
		pgoff = r[kept - 1].pgoff +
			PHYS_PFN(plan->kept_end - r[kept - 1].range.start + 1);
	for (i = kept; i < plan->nr_ranges; i++) {
		r[i].pgoff = pgoff;
		r[i].range = plan->added[i - kept];
		r[i].mapping = NULL;
		pgoff += PHYS_PFN(range_len(&r[i].range));
	}
}

/*
 * Apply @plan to @dev_dax, in place. Everything that can fail happens
 * before the allocator commit; on failure nothing is changed (the range
 * array may have grown, with the same contents).
 */
static int dev_dax_commit(struct dev_dax *dev_dax, struct dax_space_plan *plan)
{
	unsigned int i, nr_old = dev_dax->nr_range, kept = plan->nr_kept;
	struct dev_dax_range *r;
	int rc;

	lockdep_assert_held(&dev_dax->region->lock);

	rc = dev_dax_reserve_ranges(dev_dax, plan->nr_ranges);
	if (rc)
		return rc;
	dev_dax_fill_added(dev_dax, plan);
	r = dev_dax->ranges;

	/* before device_add() the mappings are created by dev_dax_publish() */
	if (device_is_registered(&dev_dax->dev)) {
		for (i = kept; i < plan->nr_ranges; i++) {
			rc = dax_mapping_add(dev_dax, i, &r[i]);
			if (rc)
				goto unwind;
		}
	}

	dax_space_commit(&dev_dax->region->space, plan);
	for (i = kept; i < nr_old; i++)
		dax_mapping_del(&r[i]);
	if (kept) {
		r[kept - 1].range.end = plan->kept_end;
		dax_mapping_sync(&r[kept - 1]);
	}
	dev_dax->nr_range = plan->nr_ranges;
	/* with no memory left there is nothing a driver could have written */
	if (!dev_dax->nr_range)
		dev_dax->exposed = false;
	dax_region_scrub_kick(dev_dax->region);
	return 0;

unwind:
	while (i-- > kept)
		dax_mapping_del(&r[i]);
	return rc;
}

/*
 * The errno for a plan the allocator refused.  -EUCLEAN means the
 * device's ranges are not what the region recorded for it: a kernel bug,
 * reported once, and the request fails with -EIO.
 */
static int dev_dax_plan_error(struct dev_dax *dev_dax, int rc)
{
	if (rc != -EUCLEAN)
		return rc;
	dev_WARN_ONCE(&dev_dax->dev, 1,
		      "ranges disagree with the region's records\n");
	return -EIO;
}

/* resize @dev_dax, now @have bytes, to @size */
static int dev_dax_resize(struct dev_dax *dev_dax, u64 have, u64 size,
			  u64 granule)
{
	struct dax_owner_ranges cur = dev_dax_owner_ranges(dev_dax, have);
	struct dax_region *region = dev_dax->region;
	int rc;

	CLASS(dax_plan, plan)();
	rc = dax_space_plan_resize(&region->space, &cur, size, granule,
				   dev_dax_gives_back_dirty(dev_dax), &plan);
	if (rc)
		return dev_dax_plan_error(dev_dax, rc);
	return dev_dax_commit(dev_dax, &plan);
}

/*
 * Run @change on @dev_dax under the region lock.  While it answers
 * -EAGAIN (the space it needs is still to scrub) wait for the scrubber
 * and run it again: it then finds either enough clean space or the real
 * answer.  The device lock is held, so the device stays unbound.
 */
static int dev_dax_change_layout(struct dev_dax *dev_dax,
				 int (*change)(struct dev_dax *dev_dax,
					       const void *arg),
				 const void *arg)
{
	struct dax_region *region = dev_dax->region;
	unsigned long gen;
	int rc;

	device_lock_assert(&dev_dax->dev);
	for (;;) {
		scoped_guard(mutex, &region->lock) {
			gen = region->scrub_gen;
			rc = change(dev_dax, arg);
		}
		if (rc != -EAGAIN)
			return rc;
		rc = dax_region_wait_scrub(region, gen);
		if (rc)
			return rc;
	}
}

/* may sysfs change the layout or alignment of @dev_dax right now? */
static int dev_dax_check_unbound(struct dev_dax *dev_dax)
{
	lockdep_assert_held(&dev_dax->region->lock);
	device_lock_assert(&dev_dax->dev);

	if (dev_dax->region->dead || dev_dax->state == DEV_DAX_DYING)
		return -ENXIO;
	if (dev_dax->state != DEV_DAX_LIVE || dev_dax->dev.driver ||
	    dev_dax->kmem_held)
		return -EBUSY;
	return 0;
}

/* ---- region attributes, on the provider's device ---- */

static ssize_t id_show(struct device *dev, struct device_attribute *devattr,
		       char *buf)
{
	struct dax_region *region = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", region->id);
}
static DEVICE_ATTR_RO(id);

static ssize_t region_size_show(struct device *dev,
				struct device_attribute *devattr, char *buf)
{
	struct dax_region *region = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%llu\n", range_len(&region->space.span));
}

static struct device_attribute dev_attr_region_size =
	__ATTR(size, 0444, region_size_show, NULL);

static ssize_t region_align_show(struct device *dev,
				 struct device_attribute *devattr, char *buf)
{
	struct dax_region *region = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", region->align);
}

static struct device_attribute dev_attr_region_align =
	__ATTR(align, 0400, region_align_show, NULL);

static ssize_t available_size_show(struct device *dev,
				   struct device_attribute *devattr, char *buf)
{
	struct dax_region *region = dev_get_drvdata(dev);
	u64 avail;

	scoped_guard(mutex, &region->lock)
		avail = dax_space_avail(&region->space);
	return sysfs_emit(buf, "%llu\n", avail);
}
static DEVICE_ATTR_RO(available_size);

static ssize_t scrub_show(struct device *dev, struct device_attribute *devattr,
			  char *buf)
{
	struct dax_region *region = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", READ_ONCE(region->scrub));
}

/* applies to space given back from now on; what is to scrub stays so */
static ssize_t scrub_store(struct device *dev, struct device_attribute *devattr,
			   const char *buf, size_t len)
{
	struct dax_region *region = dev_get_drvdata(dev);
	bool val;
	int rc;

	rc = kstrtobool(buf, &val);
	if (rc)
		return rc;
	scoped_guard(mutex, &region->lock)
		WRITE_ONCE(region->scrub, val);
	return len;
}
static DEVICE_ATTR_RW(scrub);

static ssize_t scrub_pending_show(struct device *dev,
				  struct device_attribute *devattr, char *buf)
{
	struct dax_region *region = dev_get_drvdata(dev);
	u64 pending;

	scoped_guard(mutex, &region->lock)
		pending = dax_space_scrub_pending(&region->space);
	return sysfs_emit(buf, "%llu\n", pending);
}
static DEVICE_ATTR_RO(scrub_pending);

static ssize_t dax_region_show_dev(struct dax_region *region,
				   struct dev_dax **which, char *buf)
{
	guard(mutex)(&region->lock);
	return sysfs_emit(buf, "%s\n", *which ? dev_name(&(*which)->dev) : "");
}

static ssize_t seed_show(struct device *dev, struct device_attribute *devattr,
			 char *buf)
{
	struct dax_region *region = dev_get_drvdata(dev);

	return dax_region_show_dev(region, &region->seed, buf);
}
static DEVICE_ATTR_RO(seed);

static ssize_t create_show(struct device *dev, struct device_attribute *devattr,
			   char *buf)
{
	struct dax_region *region = dev_get_drvdata(dev);

	return dax_region_show_dev(region, &region->youngest, buf);
}

static struct dev_dax *dev_dax_create(struct dev_dax_data *data, bool seed);

static ssize_t create_store(struct device *dev,
			    struct device_attribute *devattr,
			    const char *buf, size_t len)
{
	struct dev_dax_data data = {
		.dax_region = dev_get_drvdata(dev),
		.id = -1,
	};
	struct dev_dax *dev_dax;
	int val, rc;

	rc = kstrtoint(buf, 0, &val);
	if (rc)
		return rc;
	if (val != 1)
		return -EINVAL;

	dev_dax = dev_dax_create(&data, true);
	return IS_ERR(dev_dax) ? PTR_ERR(dev_dax) : len;
}
static DEVICE_ATTR_RW(create);

static void dev_dax_unregister(struct dev_dax *dev_dax);

/* find a fully created device of the region by name, with a reference */
static struct dev_dax *dax_region_find(struct dax_region *region,
				       const char *name)
{
	struct dev_dax *dev_dax;

	guard(mutex)(&region->lock);
	list_for_each_entry(dev_dax, &region->devices, node) {
		if (dev_dax->state == DEV_DAX_LIVE &&
		    sysfs_streq(dev_name(&dev_dax->dev), name)) {
			get_device(&dev_dax->dev);
			return dev_dax;
		}
	}
	return NULL;
}

/* claim the teardown of an idle, empty, non-zero id device */
static int dev_dax_claim_delete(struct dev_dax *dev_dax)
{
	struct dax_region *region = dev_dax->region;

	CLASS(device_intr, locked)(&dev_dax->dev);
	if (!locked)
		return -ERESTARTSYS;
	guard(mutex)(&region->lock);
	if (dev_dax->state != DEV_DAX_LIVE)
		return -ENXIO;
	/* daxX.0 stays so that the bus never looks empty while X exists */
	if (dev_dax->dev.driver || dev_dax->nr_range || dev_dax->id <= 0 ||
	    dev_dax->kmem_held)
		return -EBUSY;
	dev_dax->state = DEV_DAX_DYING;
	return 0;
}

static ssize_t delete_store(struct device *dev,
			    struct device_attribute *devattr,
			    const char *buf, size_t len)
{
	struct dax_region *region = dev_get_drvdata(dev);
	struct dev_dax *victim;
	int rc;

	victim = dax_region_find(region, buf);
	if (!victim)
		return -ENXIO;
	rc = dev_dax_claim_delete(victim);
	if (!rc)
		dev_dax_unregister(victim);
	put_device(&victim->dev);
	return rc ? rc : len;
}
static DEVICE_ATTR_WO(delete);

static umode_t dax_region_visible(struct kobject *kobj, struct attribute *a,
				  int n)
{
	struct dax_region *region = dev_get_drvdata(kobj_to_dev(kobj));

	/* a static region has exactly one device and cannot be carved up */
	if (dax_region_is_static(region) &&
	    (a == &dev_attr_available_size.attr || a == &dev_attr_seed.attr ||
	     a == &dev_attr_create.attr || a == &dev_attr_delete.attr ||
	     a == &dev_attr_scrub.attr || a == &dev_attr_scrub_pending.attr))
		return 0;
	return a->mode;
}

static struct attribute *dax_region_attrs[] = {
	&dev_attr_available_size.attr,
	&dev_attr_region_size.attr,
	&dev_attr_region_align.attr,
	&dev_attr_create.attr,
	&dev_attr_seed.attr,
	&dev_attr_delete.attr,
	&dev_attr_id.attr,
	&dev_attr_scrub.attr,
	&dev_attr_scrub_pending.attr,
	NULL,
};

static const struct attribute_group dax_region_group = {
	.name = "dax_region",
	.attrs = dax_region_attrs,
	.is_visible = dax_region_visible,
};

static const struct attribute_group *dax_region_groups[] = {
	&dax_region_group,
	NULL,
};

/* ---- device attributes ---- */

static ssize_t size_show(struct device *dev, struct device_attribute *devattr,
			 char *buf)
{
	struct dev_dax *dev_dax = to_dev_dax(dev);
	u64 size;

	scoped_guard(mutex, &dev_dax->region->lock)
		size = dev_dax_size(dev_dax);
	return sysfs_emit(buf, "%llu\n", size);
}

/* region lock held; may answer -EAGAIN, see dev_dax_change_layout() */
static int dev_dax_set_size(struct dev_dax *dev_dax, const void *arg)
{
	u64 granule = dax_granule(dev_dax->align), val = *(const u64 *)arg;
	u64 have;
	int rc;

	if (!IS_ALIGNED(val, granule)) {
		dev_dbg(&dev_dax->dev, "size %#llx is not a multiple of %#llx\n",
			val, granule);
		return -EINVAL;
	}
	rc = dev_dax_check_unbound(dev_dax);
	if (rc)
		return rc;
	have = dev_dax_size(dev_dax);
	return val == have ? 0 : dev_dax_resize(dev_dax, have, val, granule);
}

static ssize_t size_store(struct device *dev, struct device_attribute *devattr,
			  const char *buf, size_t len)
{
	struct dev_dax *dev_dax = to_dev_dax(dev);
	unsigned long long val;
	u64 size;
	int rc;

	rc = kstrtoull(buf, 0, &val);
	if (rc)
		return rc;
	size = val;

	CLASS(device_intr, locked)(dev);
	if (!locked)
		return -ERESTARTSYS;
	rc = dev_dax_change_layout(dev_dax, dev_dax_set_size, &size);
	return rc ? rc : len;
}
static DEVICE_ATTR_RW(size);

/* "START-END", both hexadecimal, END inclusive */
static int dax_parse_range(const char *buf, struct range *range)
{
	unsigned long long start, end;
	char *dash;
	int rc;

	char *str __free(kfree) = kstrdup(buf, GFP_KERNEL);
	if (!str)
		return -ENOMEM;
	dash = strchr(str, '-');
	if (!dash)
		return -EINVAL;
	*dash = '\0';
	rc = kstrtoull(str, 16, &start);
	if (!rc)
		rc = kstrtoull(dash + 1, 16, &end);
	if (rc)
		return rc;
	*range = (struct range) { .start = start, .end = end };
	return 0;
}

/*
 * Errors that stock kernels reported through a failed resource request
 * keep their errno: a range that is reversed (yet of a granule-multiple
 * length once wrapped), outside the region, or already in use gets
 * -ENOMEM. A length of zero or of no granule multiple, and a misaligned
 * start, get -EINVAL.
 */
static int dev_dax_claim(struct dev_dax *dev_dax, const void *arg)
{
	const struct range *want = arg;
	struct dax_region *region = dev_dax->region;
	u64 granule = dax_granule(dev_dax->align);
	u64 len = want->end - want->start + 1;
	/* a claim does not read the size */
	struct dax_owner_ranges cur = dev_dax_owner_ranges(dev_dax, 0);
	int rc;

	if (!len || !IS_ALIGNED(len, granule))
		return -EINVAL;
	if (want->start > want->end)
		return -ENOMEM;

	CLASS(dax_plan, plan)();
	rc = dax_space_plan_claim(&region->space, &cur, want, granule, &plan);
	/* -EAGAIN: part of @want is still to scrub, the caller waits */
	if (rc == -EBUSY || rc == -ERANGE)
		return -ENOMEM;
	if (rc)
		return dev_dax_plan_error(dev_dax, rc);
	return dev_dax_commit(dev_dax, &plan);
}

/* region lock held; may answer -EAGAIN, see dev_dax_change_layout() */
static int dev_dax_map_range(struct dev_dax *dev_dax, const void *arg)
{
	int rc = dev_dax_check_unbound(dev_dax);

	return rc ? rc : dev_dax_claim(dev_dax, arg);
}

static ssize_t mapping_store(struct device *dev,
			     struct device_attribute *devattr,
			     const char *buf, size_t len)
{
	struct dev_dax *dev_dax = to_dev_dax(dev);
	struct range want;
	int rc;

	rc = dax_parse_range(buf, &want);
	if (rc)
		return rc;

	CLASS(device_intr, locked)(dev);
	if (!locked)
		return -ERESTARTSYS;
	rc = dev_dax_change_layout(dev_dax, dev_dax_map_range, &want);
	return rc ? rc : len;
}
static DEVICE_ATTR_WO(mapping);

static ssize_t align_show(struct device *dev, struct device_attribute *devattr,
			  char *buf)
{
	struct dev_dax *dev_dax = to_dev_dax(dev);

	return sysfs_emit(buf, "%u\n", READ_ONCE(dev_dax->align));
}

static bool dev_dax_ranges_aligned(const struct dev_dax *dev_dax, u64 granule)
{
	int i;

	for (i = 0; i < dev_dax->nr_range; i++) {
		const struct range *r = &dev_dax->ranges[i].range;

		if (!IS_ALIGNED(r->start, granule) ||
		    !IS_ALIGNED(range_len(r), granule))
			return false;
	}
	return true;
}

static ssize_t align_store(struct device *dev, struct device_attribute *devattr,
			   const char *buf, size_t len)
{
	struct dev_dax *dev_dax = to_dev_dax(dev);
	unsigned long val;
	int rc;

	/* the errno for an unparsable value is historical */
	if (kstrtoul(buf, 0, &val))
		return -ENXIO;
	if (!dax_align_valid(val))
		return -EINVAL;

	CLASS(device_intr, locked)(dev);
	if (!locked)
		return -ERESTARTSYS;
	guard(mutex)(&dev_dax->region->lock);
	rc = dev_dax_check_unbound(dev_dax);
	if (rc)
		return rc;
	if (!dev_dax_ranges_aligned(dev_dax, dax_granule(val))) {
		dev_dbg(dev, "align %#lx does not fit the current ranges\n",
			val);
		return -EINVAL;
	}
	WRITE_ONCE(dev_dax->align, val);
	return len;
}
static DEVICE_ATTR_RW(align);

static ssize_t target_node_show(struct device *dev,
				struct device_attribute *devattr, char *buf)
{
	return sysfs_emit(buf, "%d\n", to_dev_dax(dev)->target_node);
}
static DEVICE_ATTR_RO(target_node);

static ssize_t resource_show(struct device *dev,
			     struct device_attribute *devattr,
			     char *buf)
{
	struct dev_dax *dev_dax = to_dev_dax(dev);
	struct dax_region *region = dev_dax->region;
	u64 start = region->res.start;

	scoped_guard(mutex, &region->lock)
		if (dev_dax->nr_range)
			start = dev_dax->ranges[0].range.start;
	return sysfs_emit(buf, "%#llx\n", start);
}
static DEVICE_ATTR_ADMIN_RO(resource);

static ssize_t modalias_show(struct device *dev,
			     struct device_attribute *devattr,
			     char *buf)
{
	return sysfs_emit(buf, DAX_DEVICE_MODALIAS_FMT "\n", 0);
}
static DEVICE_ATTR_RO(modalias);

static ssize_t numa_node_show(struct device *dev,
			      struct device_attribute *devattr, char *buf)
{
	return sysfs_emit(buf, "%d\n", dev_to_node(dev));
}
static DEVICE_ATTR_RO(numa_node);

static ssize_t memmap_on_memory_show(struct device *dev,
				     struct device_attribute *devattr,
				     char *buf)
{
	struct dev_dax *dev_dax = to_dev_dax(dev);

	return sysfs_emit(buf, "%d\n", READ_ONCE(dev_dax->memmap_on_memory));
}

static ssize_t memmap_on_memory_store(struct device *dev,
				      struct device_attribute *devattr,
				      const char *buf, size_t len)
{
	struct dev_dax *dev_dax = to_dev_dax(dev);
	bool val;
	int rc;

	rc = kstrtobool(buf, &val);
	if (rc)
		return rc;
	if (val && !mhp_supports_memmap_on_memory()) {
		dev_dbg(dev, "memmap_on_memory is not supported\n");
		return -EOPNOTSUPP;
	}

	/* kmem reads the setting at probe: no change under its feet */
	CLASS(device_intr, locked)(dev);
	if (!locked)
		return -ERESTARTSYS;
	if (val != dev_dax->memmap_on_memory && dev->driver &&
	    to_dax_drv(dev->driver)->type == DAXDRV_KMEM_TYPE)
		return -EBUSY;
	WRITE_ONCE(dev_dax->memmap_on_memory, val);
	return len;
}
static DEVICE_ATTR_RW(memmap_on_memory);

static umode_t dev_dax_visible(struct kobject *kobj, struct attribute *a, int n)
{
	struct dev_dax *dev_dax = to_dev_dax(kobj_to_dev(kobj));
	bool is_static = static_dev_dax(dev_dax);

	if (a == &dev_attr_target_node.attr && dev_dax->target_node < 0)
		return 0;
	if (a == &dev_attr_numa_node.attr && !IS_ENABLED(CONFIG_NUMA))
		return 0;
	if (a == &dev_attr_mapping.attr && is_static)
		return 0;
	if ((a == &dev_attr_size.attr || a == &dev_attr_align.attr) &&
	    is_static)
		return 0444;
	return a->mode;
}

static struct attribute *dev_dax_attrs[] = {
	&dev_attr_modalias.attr,
	&dev_attr_size.attr,
	&dev_attr_mapping.attr,
	&dev_attr_target_node.attr,
	&dev_attr_align.attr,
	&dev_attr_resource.attr,
	&dev_attr_numa_node.attr,
	&dev_attr_memmap_on_memory.attr,
	NULL,
};

static const struct attribute_group dev_dax_group = {
	.attrs = dev_dax_attrs,
	.is_visible = dev_dax_visible,
};

static const struct attribute_group *dev_dax_groups[] = {
	&dev_dax_group,
	NULL,
};

/* ---- device life cycle ---- */

static void dax_region_release(struct kref *ref)
{
	struct dax_region *region =
		container_of(ref, struct dax_region, ref);

	dax_space_fini(&region->space);
	ida_destroy(&region->dev_ids);
	kfree(region);
}

static void dax_region_put(struct dax_region *region)
{
	kref_put(&region->ref, dax_region_release);
}

static void dev_dax_release(struct device *dev)
{
	struct dev_dax *dev_dax = to_dev_dax(dev);

	if (dev_dax->dax_dev)
		put_dax(dev_dax->dax_dev);
	kvfree(dev_dax->ranges);
	kfree(dev_dax->pgmap);
	dax_region_put(dev_dax->region);
	kfree(dev_dax);
}

static const struct device_type dev_dax_devtype = {
	.release = dev_dax_release,
	.groups = dev_dax_groups,
};

/**
 * kill_dev_dax - stop all access to a device's memory
 * @dev_dax: the device
 *
 * Marks the dax_device dead and zaps every user mapping of the character
 * device. Drivers call it when they unbind; the bus calls it again before
 * a device is deleted. For dynamic regions the page map belongs to the
 * driver that just let go of it, so the pointer is cleared.
 */
void kill_dev_dax(struct dev_dax *dev_dax)
{
	struct dax_device *dax_dev = dev_dax->dax_dev;

	kill_dax(dax_dev);
	unmap_mapping_range(dax_inode(dax_dev)->i_mapping, 0, 0, 1);
	if (!static_dev_dax(dev_dax))
		dev_dax->pgmap = NULL;
}
EXPORT_SYMBOL_GPL(kill_dev_dax);

/* undo dev_dax_insert(); region lock held */
static void dev_dax_forget(struct dev_dax *dev_dax)
{
	struct dax_region *region = dev_dax->region;

	lockdep_assert_held(&region->lock);
	dev_dax_del_mappings(dev_dax);
	dax_space_release_owner(&region->space, dev_dax,
				dev_dax_gives_back_dirty(dev_dax));
	dax_region_scrub_kick(region);
	kvfree(dev_dax->ranges);
	dev_dax->ranges = NULL;
	dev_dax->nr_range = 0;
	dev_dax->cap_range = 0;
	list_del_init(&dev_dax->node);
	if (dev_dax->dyn_id && dev_dax->id >= 0) {
		ida_free(&region->dev_ids, dev_dax->id);
		dev_dax->id = -1;
	}
	if (region->seed == dev_dax)
		region->seed = NULL;
	if (region->youngest == dev_dax)
		region->youngest = NULL;
}

/*
 * Tear down a registered device whose state the caller moved to
 * DEV_DAX_DYING, and drop the registration's reference.
 */
static void dev_dax_unregister(struct dev_dax *dev_dax)
{
	struct dax_region *region = dev_dax->region;

	scoped_guard(mutex, &region->lock)
		dev_dax_del_mappings(dev_dax);
	/*
	 * A probe that passed its DEV_DAX_DYING check before the caller set
	 * it still runs under the device lock: let it finish before the
	 * dax_device dies, or it would revive it and publish a pgmap the
	 * kill already forgot. Probes after this see DEV_DAX_DYING.
	 */
	scoped_guard(device, &dev_dax->dev)
		kill_dev_dax(dev_dax);
	device_del(&dev_dax->dev);
	/* the driver is gone: the ranges can go back to the region */
	scoped_guard(mutex, &region->lock)
		dev_dax_forget(dev_dax);
	put_device(&dev_dax->dev);
}

/* name the device, allocate its initial size and list it in the region */
static int dev_dax_insert(struct dev_dax *dev_dax, struct dev_dax_data *data,
			  bool seed)
{
	struct dax_region *region = dev_dax->region;
	int rc;

	guard(mutex)(&region->lock);
	if (region->dead)
		return -ENXIO;
	if (seed && !dax_space_avail(&region->space))
		return -ENOSPC;

	if (data->id >= 0) {
		dev_dax->id = data->id;
	} else {
		rc = ida_alloc(&region->dev_ids, GFP_KERNEL);
		if (rc < 0)
			return rc;
		dev_dax->id = rc;
		dev_dax->dyn_id = true;
	}

	list_add_tail(&dev_dax->node, &region->devices);
	rc = dev_set_name(&dev_dax->dev, "dax%d.%d", region->id,
			  dev_dax->id);
	/* the provider's size was checked against the region's alignment */
	if (!rc && data->size)
		rc = dev_dax_resize(dev_dax, 0, data->size, region->align);
	if (rc)
		dev_dax_forget(dev_dax);
	return rc;
}

/* second half of creation, once the device is registered */
static int dev_dax_publish(struct dev_dax *dev_dax, bool seed)
{
	struct dax_region *region = dev_dax->region;
	int rc;

	guard(mutex)(&region->lock);
	rc = dev_dax_add_mappings(dev_dax);
	if (rc) {
		dev_dax->state = DEV_DAX_DYING;
		return rc;
	}
	dev_dax->state = DEV_DAX_LIVE;
	if (seed) {
		if (!region->seed)
			region->seed = dev_dax;
		region->youngest = dev_dax;
	}
	return 0;
}

static struct dev_dax *dev_dax_alloc(struct dax_region *region,
				     struct dev_dax_data *data)
{
	struct dax_device *dax_dev;
	struct dev_dax *dev_dax;

	dev_dax = kzalloc(sizeof(*dev_dax), GFP_KERNEL);
	if (!dev_dax)
		return ERR_PTR(-ENOMEM);
	dev_dax->region = region;
	dev_dax->id = -1;
	dev_dax->align = region->align;
	dev_dax->target_node = region->target_node;
	dev_dax->memmap_on_memory = data->memmap_on_memory;
	INIT_LIST_HEAD(&dev_dax->node);
	kref_get(&region->ref);
	device_initialize(&dev_dax->dev);
	dev_dax->dev.bus = &dax_bus_type;
	dev_dax->dev.parent = region->parent;
	dev_dax->dev.type = &dev_dax_devtype;

	/* from here on dropping the device reference frees everything */
	struct device *dev __free(put_device) = &dev_dax->dev;

	if (data->pgmap) {
		dev_dax->pgmap = kmemdup(data->pgmap, sizeof(*data->pgmap),
					 GFP_KERNEL);
		if (!dev_dax->pgmap)
			return ERR_PTR(-ENOMEM);
	}

	/* only mmap of the character device reaches the memory: no dax ops */
	dax_dev = alloc_dax(dev_dax, NULL);
	if (IS_ERR(dax_dev))
		return ERR_CAST(dax_dev);
	set_dax_synchronous(dax_dev);
	set_dax_nocache(dax_dev);
	set_dax_nomc(dax_dev);
	/* dead until a driver binds and calls run_dax() */
	kill_dax(dax_dev);
	dev_dax->dax_dev = dax_dev;
	dev->devt = dax_inode(dax_dev)->i_rdev;
	return to_dev_dax(no_free_ptr(dev));
}

static struct dev_dax *dev_dax_create(struct dev_dax_data *data, bool seed)
{
	struct dax_region *region = data->dax_region;
	bool is_static = dax_region_is_static(region);
	bool has_id = data->id >= 0;
	struct dev_dax *dev_dax;
	int rc;

	/* static regions name their device, dynamic ones number them */
	if (is_static != has_id)
		return ERR_PTR(-EINVAL);
	if (data->pgmap && !is_static)
		return ERR_PTR(-EINVAL);

	dev_dax = dev_dax_alloc(region, data);
	if (IS_ERR(dev_dax))
		return dev_dax;

	rc = dev_dax_insert(dev_dax, data, seed);
	if (rc)
		goto err_put;

	rc = device_add(&dev_dax->dev);
	if (rc) {
		scoped_guard(mutex, &region->lock)
			dev_dax_forget(dev_dax);
		goto err_put;
	}

	rc = dev_dax_publish(dev_dax, seed);
	if (rc) {
		dev_dax_unregister(dev_dax);
		return ERR_PTR(rc);
	}
	return dev_dax;

err_put:
	put_device(&dev_dax->dev);
	return ERR_PTR(rc);
}

/**
 * devm_create_dev_dax - add a device to a region
 * @data: region, initial size, id, page map and memmap_on_memory setting
 *
 * For a dynamic region @data->id must be -1 and the device is numbered by
 * the region; @data->size bytes are allocated from the lowest free address
 * (0 makes an empty, idle device). For a static region @data->id names the
 * device and @data->pgmap may carry the provider's page map.
 *
 * The device lives until it is deleted through the region's "delete"
 * attribute or until the region's parent device unbinds, whichever comes
 * first.  The name keeps the providers' interface: no devres action is
 * added for the device itself; the region's teardown, a devres action of
 * the parent, unregisters it.
 *
 * Context: process context; takes the region lock and may probe drivers.
 * Return: the device, or an ERR_PTR(): -EINVAL for inconsistent @data,
 * -ENOSPC if @data->size does not fit, -ENXIO if the region is going
 * away, -ENOMEM, or an error from device registration.
 */
struct dev_dax *devm_create_dev_dax(struct dev_dax_data *data)
{
	return dev_dax_create(data, false);
}
EXPORT_SYMBOL_GPL(devm_create_dev_dax);

/* ---- regions ---- */

static struct dev_dax *dax_region_next_victim(struct dax_region *region)
{
	struct dev_dax *dev_dax;

	guard(mutex)(&region->lock);
	list_for_each_entry(dev_dax, &region->devices, node) {
		if (dev_dax->state != DEV_DAX_DYING) {
			dev_dax->state = DEV_DAX_DYING;
			return dev_dax;
		}
	}
	return NULL;
}

static void dax_region_teardown(void *data)
{
	struct dax_region *region = data;
	struct dev_dax *dev_dax;

	/* waits for running create / delete handlers, none can start after */
	sysfs_remove_groups(&region->parent->kobj, dax_region_groups);
	scoped_guard(mutex, &region->lock)
		region->dead = true;
	while ((dev_dax = dax_region_next_victim(region)))
		dev_dax_unregister(dev_dax);
	/*
	 * Nothing gives space back any more.  Finish clearing what was: the
	 * memory may be handed out again by a region set up after this one.
	 */
	flush_work(&region->scrub_work);
	/* the provider may try again: leave it no pointer to the region */
	dev_set_drvdata(region->parent, NULL);
	dax_region_put(region);
}

/**
 * dax_region_add_teardown - have the provider's unbind tear @region down
 * @region: a region whose sysfs group is on its parent
 *
 * A KUnit test replaces this to fail, as an allocation in it can.
 *
 * Return: 0 or -ENOMEM; on failure nothing was registered.
 */
VISIBLE_IF_KUNIT int dax_region_add_teardown(struct dax_region *region)
{
	KUNIT_STATIC_STUB_REDIRECT(dax_region_add_teardown, region);
	return devm_add_action(region->parent, dax_region_teardown, region);
}
EXPORT_SYMBOL_IF_KUNIT(dax_region_add_teardown);

/**
 * alloc_dax_region - make a device's address range available to dax
 * @parent: provider device; its driver data must be unused, the region
 *	takes it
 * @region_id: region number X of the daxX.Y devices
 * @range: physical range of the region
 * @target_node: NUMA node of the memory once onlined
 * @align: default device alignment, a power of two; @range must be
 *	aligned to it
 * @flags: IORESOURCE_DAX_STATIC and/or IORESOURCE_DAX_KMEM
 *
 * Adds the "dax_region" sysfs group to @parent. The region and all of its
 * devices are torn down by a devm action when @parent's driver unbinds.
 *
 * Context: process context, from @parent's probe.
 * Return: the region, or NULL on invalid arguments or allocation failure.
 */
struct dax_region *alloc_dax_region(struct device *parent, int region_id,
				    struct range *range, int target_node,
				    unsigned int align, unsigned long flags)
{
	struct dax_region *region;

	if (dev_get_drvdata(parent)) {
		dev_err(parent, "dax: driver data already in use\n");
		return NULL;
	}
	if (!is_power_of_2(align) || !IS_ALIGNED(range->start, align) ||
	    !IS_ALIGNED(range_len(range), align))
		return NULL;

	region = kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region)
		return NULL;
	region->id = region_id;
	region->target_node = target_node;
	region->align = align;
	region->res.start = range->start;
	region->res.end = range->end;
	region->res.flags = IORESOURCE_MEM | flags;
	region->parent = parent;
	INIT_LIST_HEAD(&region->devices);
	region->scrub = !(flags & IORESOURCE_DAX_STATIC);
	if (dax_space_init(&region->space, range->start, range->end)) {
		kfree(region);
		return NULL;
	}
	kref_init(&region->ref);
	mutex_init(&region->lock);
	ida_init(&region->dev_ids);
	init_waitqueue_head(&region->scrub_wait);
	INIT_WORK(&region->scrub_work, dax_region_scrub_work);

	dev_set_drvdata(parent, region);
	if (sysfs_create_groups(&parent->kobj, dax_region_groups)) {
		dev_set_drvdata(parent, NULL);
		dax_region_put(region);
		return NULL;
	}
	if (dax_region_add_teardown(region)) {
		dax_region_teardown(region);
		return NULL;
	}
	return region;
}
EXPORT_SYMBOL_GPL(alloc_dax_region);

/* ---- drivers ---- */

/**
 * __dax_driver_register - register a driver on the dax bus
 * @dax_drv: the driver; @dax_drv->probe is required
 * @module: owning module
 * @mod_name: module name, also used as the driver name
 *
 * Use the dax_driver_register() wrapper. The driver gets new_id and
 * remove_id attributes and binds devices of its @dax_drv->type.
 *
 * Return: 0, -EINVAL without a probe method, or a driver_register() error.
 */
int __dax_driver_register(struct dax_device_driver *dax_drv,
			  struct module *module, const char *mod_name)
{
	if (!dax_drv->probe)
		return -EINVAL;

	dax_drv->drv.name = mod_name;
	dax_drv->drv.mod_name = mod_name;
	dax_drv->drv.owner = module;
	dax_drv->drv.bus = &dax_bus_type;
	return driver_register(&dax_drv->drv);
}
EXPORT_SYMBOL_GPL(__dax_driver_register);

/**
 * dax_driver_unregister - unbind a dax driver from all devices and remove it
 * @dax_drv: driver registered with dax_driver_register()
 *
 * Also forgets the device names that were written to its new_id.
 */
void dax_driver_unregister(struct dax_device_driver *dax_drv)
{
	struct dax_id *entry, *next;

	driver_unregister(&dax_drv->drv);

	guard(mutex)(&dax_bus_lock);
	list_for_each_entry_safe(entry, next, &dax_ids, list) {
		if (entry->drv != dax_drv)
			continue;
		list_del(&entry->list);
		kfree(entry);
	}
}
EXPORT_SYMBOL_GPL(dax_driver_unregister);

/**
 * dax_bus_init - register the dax bus type
 *
 * Called from the dax core's module init.
 *
 * Return: 0 or a bus_register() error.
 */
int __init dax_bus_init(void)
{
	return bus_register(&dax_bus_type);
}

/**
 * dax_bus_exit - unregister the dax bus type
 */
void __exit dax_bus_exit(void)
{
	bus_unregister(&dax_bus_type);
}
