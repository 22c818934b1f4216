/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Physical range allocator for device-dax regions.
 *
 * Pure bookkeeping: no devices, no locks, no resources. The caller
 * serializes every call on one struct dax_space.
 */
#ifndef __DAX_REGION_ALLOC_H__
#define __DAX_REGION_ALLOC_H__

#include <linux/cleanup.h>
#include <linux/err.h>
#include <linux/range.h>
#include <linux/slab.h>
#include <linux/types.h>

/**
 * struct dax_extent - one allocated or to-be-scrubbed range of a region
 * @range: the physical range, end inclusive
 * @owner: opaque tag of the device the range belongs to; NULL for space
 *	a device gave back that must be cleared before it is handed out
 *	again (see dax_space_scrub_next())
 */
struct dax_extent {
	struct range range;
	const void *owner;
};

/**
 * struct dax_space - everything that is allocated in one region
 * @span: the region itself, end inclusive (end < U64_MAX)
 * @ext: allocated and to-be-scrubbed extents sorted by start; they never
 *	overlap
 * @nr_ext: number of entries in @ext
 * @front: unused entries of the array in front of @ext, which starts
 *	@front entries into its allocation
 * @cap_ext: number of entries the allocation has room for, @front
 *	included
 * @used: sum of the lengths of the extents that have an owner
 * @scrub: sum of the lengths of the extents without one
 */
struct dax_space {
	struct range span;
	struct dax_extent *ext;
	unsigned int nr_ext;
	unsigned int front;
	unsigned int cap_ext;
	u64 used;
	u64 scrub;
};

/* extents and ranges an edit may add or drop without allocating */
#define DAX_PLAN_INLINE 2

/**
 * struct dax_space_plan - a computed change that has not been applied yet
 * @ext: a larger extent array for the region, NULL if the current one has
 *	room for the change
 * @cap_ext: number of entries @ext has room for
 * @end_at: index of the one extent whose end changes, or -1
 * @new_end: the new end of that extent
 * @drop: indexes of the extents that leave the device, ascending
 * @nr_drop: number of entries in @drop
 * @drop_to_scrub: the extents in @drop stay, to scrub, instead of leaving
 * @add: extents to insert, sorted by start; each lies in a hole of the
 *	region once @end_at and @drop are applied
 * @nr_add: number of entries in @add
 * @used: bytes allocated in the region after the change
 * @scrub: bytes waiting to be scrubbed after the change
 * @nr_ranges: number of ranges the device has after the change
 * @nr_kept: leading ranges of the device that stay at the same start (and
 *	thus the same page offset); only the last of them may have a
 *	different end
 * @kept_end: the end of the last kept range after the change
 * @added: the ranges appended after the kept ones, in page offset order;
 *	there are @nr_ranges - @nr_kept of them
 * @buf: one allocation holding @add, @added and @drop when one of them
 *	needs more than %DAX_PLAN_INLINE entries, else NULL
 * @inline_add: room for @add in a small edit
 * @inline_added: room for @added in a small edit
 * @inline_drop: room for @drop in a small edit
 *
 * A plan records the edit, not the lists after it, so that computing and
 * committing it costs no more than the extents and ranges it touches.
 * The caller provides the plan, usually on its stack: an edit of a few
 * extents, such as a resize that extends or trims the last range, plans
 * without allocating. A planned plan points into itself and must not be
 * copied.
 */
struct dax_space_plan {
	struct dax_extent *ext;
	unsigned int cap_ext;
	int end_at;
	u64 new_end;
	unsigned int *drop;
	unsigned int nr_drop;
	bool drop_to_scrub;
	struct dax_extent *add;
	unsigned int nr_add;
	u64 used;
	u64 scrub;
	unsigned int nr_ranges;
	unsigned int nr_kept;
	u64 kept_end;
	struct range *added;
	void *buf;
	struct dax_extent inline_add[DAX_PLAN_INLINE];
	struct range inline_added[DAX_PLAN_INLINE];
	unsigned int inline_drop[DAX_PLAN_INLINE];
};

/**
 * struct dax_owner_ranges - one device's ranges, as the allocator reads them
 * @owner: tag of the device in the region's extents
 * @first: the range at page offset 0; unused when @nr is 0
 * @stride: bytes from one range to the next in the caller's array
 * @nr: number of ranges
 * @size: sum of their lengths; only dax_space_plan_resize() reads it
 *
 * The caller's own array is read in place, whatever else its entries hold.
 */
struct dax_owner_ranges {
	const void *owner;
	const struct range *first;
	size_t stride;
	unsigned int nr;
	u64 size;
};

static inline const struct range *
dax_owner_range(const struct dax_owner_ranges *dev, unsigned int i)
{
	return (const void *)dev->first + i * dev->stride;
}

int dax_space_init(struct dax_space *space, u64 start, u64 end);
void dax_space_fini(struct dax_space *space);
u64 dax_space_avail(const struct dax_space *space);
int dax_space_plan_resize(const struct dax_space *space,
			  const struct dax_owner_ranges *dev, u64 size,
			  u64 align, bool scrub, struct dax_space_plan *plan);
int dax_space_plan_claim(const struct dax_space *space,
			 const struct dax_owner_ranges *dev,
			 const struct range *want, u64 align,
			 struct dax_space_plan *plan);
void dax_space_commit(struct dax_space *space, struct dax_space_plan *plan);

/**
 * dax_space_plan_release - free what a plan holds, committed or not
 * @plan: the plan; it is left empty, and may be released again or
 *	planned anew
 *
 * Inline, so that releasing a small edit's plan, which holds nothing,
 * costs two tests.
 */
static inline void dax_space_plan_release(struct dax_space_plan *plan)
{
	if (plan->ext) {
		kvfree(plan->ext);
		plan->ext = NULL;
		plan->cap_ext = 0;
	}
	if (plan->buf) {
		kvfree(plan->buf);
		plan->buf = NULL;
	}
}

void dax_space_release_owner(struct dax_space *space, const void *owner,
			     bool scrub);
u64 dax_space_scrub_pending(const struct dax_space *space);
bool dax_space_scrub_next(const struct dax_space *space, u64 max,
			  struct range *chunk);
int dax_space_scrub_done(struct dax_space *space, const struct range *chunk);

/* CLASS(dax_plan, plan)(): an empty plan, released at the end of scope */
DEFINE_CLASS(dax_plan, struct dax_space_plan, dax_space_plan_release(&_T),
	     (struct dax_space_plan){ .end_at = -1 }, void)

#endif /* __DAX_REGION_ALLOC_H__ */
