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
 * @used: sum of the lengths of the extents that have an owner
 * @scrub: sum of the lengths of the extents without one
 */
struct dax_space {
	struct range span;
	struct dax_extent *ext;
	unsigned int nr_ext;
	u64 used;
	u64 scrub;
};

/**
 * struct dax_space_plan - a computed change that has not been applied yet
 * @ext: the region's extent list as it will be after the change
 * @nr_ext: number of entries in @ext
 * @used: bytes allocated in the region after the change
 * @scrub: bytes waiting to be scrubbed after the change
 * @ranges: the device's ranges after the change, in page offset order
 * @nr_ranges: number of entries in @ranges
 * @nr_kept: leading entries of @ranges that existed before the change at
 *	the same start (and thus the same page offset); only the last of
 *	them may have a different end
 */
struct dax_space_plan {
	struct dax_extent *ext;
	unsigned int nr_ext;
	u64 used;
	u64 scrub;
	struct range *ranges;
	unsigned int nr_ranges;
	unsigned int nr_kept;
};

int dax_space_init(struct dax_space *space, u64 start, u64 end);
void dax_space_fini(struct dax_space *space);
u64 dax_space_avail(const struct dax_space *space);
struct dax_space_plan *dax_space_plan_resize(const struct dax_space *space,
					     const void *owner,
					     const struct range *cur,
					     unsigned int nr_cur, u64 size,
					     u64 align, bool scrub);
struct dax_space_plan *dax_space_plan_claim(const struct dax_space *space,
					    const void *owner,
					    const struct range *cur,
					    unsigned int nr_cur,
					    const struct range *want,
					    u64 align);
void dax_space_commit(struct dax_space *space, struct dax_space_plan *plan);
void dax_space_plan_free(struct dax_space_plan *plan);
void dax_space_release_owner(struct dax_space *space, const void *owner,
			     bool scrub);
u64 dax_space_scrub_pending(const struct dax_space *space);
bool dax_space_scrub_next(const struct dax_space *space, u64 max,
			  struct range *chunk);
int dax_space_scrub_done(struct dax_space *space, const struct range *chunk);

DEFINE_FREE(dax_plan, struct dax_space_plan *, dax_space_plan_free(_T))

#endif /* __DAX_REGION_ALLOC_H__ */
