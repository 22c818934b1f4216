// SPDX-License-Identifier: GPL-2.0
/*
 * Range allocator for device-dax regions.
 *
 * A region is a span of physical address space. Every device carved out
 * of it owns a list of ranges in page offset order; the region records
 * each of those ranges as an extent, sorted by address.
 *
 * Allocation order when a device grows by N bytes with granule G (G is
 * the device's alignment, a power of two; N is a multiple of G):
 *
 * 1. Extension in place. If the device has ranges and the space right
 *    after its last range (the one with the highest page offset) is free,
 *    that range is extended over it, by as many whole granules as the gap
 *    holds, up to N.
 * 2. Holes in address order. Whatever is still missing comes from the
 *    free holes of the region, lowest address first. Each hole gives only
 *    its G-aligned part, so a hole smaller than G or holding no G-aligned
 *    block is skipped. Every hole used here becomes a new range appended
 *    after the device's last page offset.
 *
 * So growth stays contiguous where it can, and otherwise fills the region
 * from the bottom. (Stock kernels look at the holes in address
 * order first and extend only when the gap after the last range happens
 * to be the lowest hole.)
 *
 * If the holes cannot supply all of N the request fails with -ENOSPC and
 * nothing is changed.
 *
 * This file never warns: a device range that is missing from the extent
 * list is answered with -EUCLEAN, and the caller, which owns both lists,
 * reports the bug.  That keeps the detection testable by KUnit.
 *
 * Shrinking removes bytes from the highest page offsets: whole ranges are
 * dropped from the end, then the new last range is trimmed. Ranges that
 * remain keep their start and therefore their page offset.
 *
 * Scrubbing. Space a device gives back may hold its data. When the caller
 * asks for it (a shrink or release with @scrub set), the space does not
 * become a hole: it stays in the extent list as an extent without an
 * owner, "to scrub". Such space counts as available (dax_space_avail())
 * but no allocation takes it: growth uses the clean holes only, and when
 * those cannot supply the request while some space is still to scrub the
 * answer is -EAGAIN instead of -ENOSPC (the caller waits for the scrubber
 * and asks again); a claim that overlaps only to-scrub space gets -EAGAIN
 * too. The scrubber takes chunks from the lowest to-scrub extent
 * (dax_space_scrub_next()), clears them without holding the caller's lock
 * and hands each back (dax_space_scrub_done()), which turns it into free
 * space. Adjacent to-scrub extents are not merged.
 *
 * Requests are two-phase. A plan records the edit, without touching the
 * region: which extent gets a new end, which extents leave, which are
 * inserted, and the device's ranges that change or are appended. It holds
 * all the memory the edit needs, a larger extent array included when the
 * region's is full, so dax_space_commit() only applies it in place and
 * cannot fail. A caller that hits an error between the two simply releases
 * the plan. The caller provides the plan; a small edit needs no memory
 * beyond it. Neither step copies the lists: their cost follows the extents
 * the edit touches and a binary search per range looked up, not the
 * number of extents. The extent array keeps unused entries at both ends,
 * so an insertion or removal moves the extents on the shorter side of it,
 * below or above: adding or dropping the lowest extent costs as little as
 * the highest.
 */
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/math.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>
#include "region-alloc.h"

/* extent marker used while compacting; no real extent has start > end */
static const struct range dax_gone = { .start = 1, .end = 0 };

static bool dax_align_ok(u64 align)
{
	return align && !(align & (align - 1));
}

/* index of the first of the @nr extents at @ext starting at or above @addr */
static unsigned int dax_ext_lower_bound(const struct dax_extent *ext,
					unsigned int nr, u64 addr)
{
	unsigned int lo = 0, hi = nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (ext[mid].range.start < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* index of the extent recording @r for @owner, or -ENOENT */
static int dax_ext_find(const struct dax_space *space, const void *owner,
			const struct range *r)
{
	unsigned int i = dax_ext_lower_bound(space->ext, space->nr_ext,
					     r->start);
	const struct dax_extent *e = &space->ext[i];

	if (i == space->nr_ext || e->owner != owner ||
	    e->range.start != r->start || e->range.end != r->end)
		return -ENOENT;
	return i;
}

/* the free gap in front of extent @i (or after the last one) as [lo, hi) */
static void dax_hole(const struct dax_space *space, unsigned int i,
		     u64 *lo, u64 *hi)
{
	*lo = i ? space->ext[i - 1].range.end + 1 : space->span.start;
	*hi = i < space->nr_ext ? space->ext[i].range.start :
				  space->span.end + 1;
}

/* the @align-aligned interior of hole @i: returns its length, sets *start */
static u64 dax_hole_usable(const struct dax_space *space, unsigned int i,
			   u64 align, u64 *start)
{
	u64 lo, hi, first, last;

	dax_hole(space, i, &lo, &hi);
	first = round_up(lo, align);
	last = round_down(hi, align);
	if (first < lo || last <= first)
		return 0;
	*start = first;
	return last - first;
}

/*
 * Make @plan an empty edit with room for @nr_add inserted extents,
 * @nr_drop dropped ones and @nr_added appended ranges.  A small edit
 * uses the room inside the plan; a larger one gets one allocation for
 * the three arrays.  A region whose extent array cannot take the
 * insertions gets a larger one, twice the size, so that filling a
 * region copies its extents a logarithmic number of times; it is
 * separate, as the region takes it over.
 */
static int dax_plan_init(struct dax_space_plan *plan,
			 const struct dax_space *space, unsigned int nr_add,
			 unsigned int nr_drop, unsigned int nr_added)
{
	size_t add_sz = array_size(nr_add, sizeof(struct dax_extent));
	size_t added_sz = array_size(nr_added, sizeof(struct range));
	size_t drop_sz = array_size(nr_drop, sizeof(unsigned int));
	unsigned int need = space->nr_ext + nr_add;

	/*
	 * The fields not set here are set by the planning before anything
	 * reads them: new_end with end_at, used and scrub always,
	 * nr_ranges, nr_kept and kept_end by dax_plan_keep_ranges().
	 */
	dax_space_plan_release(plan);
	plan->end_at = -1;
	plan->nr_drop = 0;
	plan->drop_to_scrub = false;
	plan->nr_add = 0;
	if (max3(nr_add, nr_drop, nr_added) <= DAX_PLAN_INLINE) {
		plan->add = plan->inline_add;
		plan->added = plan->inline_added;
		plan->drop = plan->inline_drop;
	} else {
		/* most strictly aligned first */
		plan->buf = kvmalloc(size_add(add_sz, size_add(added_sz,
							       drop_sz)),
				     GFP_KERNEL);
		if (!plan->buf)
			return -ENOMEM;
		plan->add = plan->buf;
		plan->added = plan->buf + add_sz;
		plan->drop = plan->buf + add_sz + added_sz;
	}
	if (need > space->cap_ext) {
		plan->cap_ext = max3(need, 2 * space->cap_ext, 16U);
		plan->ext = kvmalloc_array(plan->cap_ext, sizeof(*plan->ext),
					   GFP_KERNEL);
		if (!plan->ext) {
			dax_space_plan_release(plan);
			return -ENOMEM;
		}
	}
	return 0;
}

/* the device keeps its first @nr ranges, the last of them as it is */
static void dax_plan_keep_ranges(struct dax_space_plan *plan,
				 const struct dax_owner_ranges *dev,
				 unsigned int nr)
{
	plan->nr_ranges = nr;
	plan->nr_kept = nr;
	if (nr)
		plan->kept_end = dax_owner_range(dev, nr - 1)->end;
}

/* insert @r for @owner and append it to the device's ranges */
static void dax_plan_append(struct dax_space_plan *plan, const void *owner,
			    const struct range *r)
{
	plan->add[plan->nr_add].range = *r;
	plan->add[plan->nr_add++].owner = owner;
	plan->added[plan->nr_ranges++ - plan->nr_kept] = *r;
}

/*
 * Bytes the device's last range can grow by in place: whole granules of
 * the gap that follows it, which is hole @after. 0 when there is no last
 * range (@after == UINT_MAX) or the gap does not start on a granule.
 */
static u64 dax_tail_room(const struct dax_space *space, unsigned int after,
			 u64 align)
{
	u64 lo, hi;

	if (after == UINT_MAX)
		return 0;
	dax_hole(space, after, &lo, &hi);
	if (!IS_ALIGNED(lo, align))
		return 0;
	return round_down(hi - lo, align);
}

/*
 * How many new ranges holes other than @skip add to cover @left bytes,
 * and the first hole that adds one (so that filling them in does not
 * walk the full extents below it again).
 */
static int dax_count_pieces(const struct dax_space *space, unsigned int skip,
			    u64 left, u64 align, unsigned int *nr_new,
			    unsigned int *first)
{
	unsigned int i;
	u64 len, start;

	*nr_new = 0;
	*first = 0;
	for (i = 0; i <= space->nr_ext && left; i++) {
		if (i == skip)
			continue;
		len = dax_hole_usable(space, i, align, &start);
		if (!len)
			continue;
		if (!(*nr_new)++)
			*first = i;
		left -= min(left, len);
	}
	return left ? -ENOSPC : 0;
}

static int dax_plan_grow(const struct dax_space *space,
			 const struct dax_owner_ranges *dev, u64 need,
			 u64 align, struct dax_space_plan *plan)
{
	unsigned int i, nr_new, first, after = UINT_MAX, skip = UINT_MAX;
	u64 left, len, start = 0, stretch;
	int rc;

	/* hole @after is the gap right behind the device's last range */
	if (dev->nr) {
		int idx = dax_ext_find(space, dev->owner,
				       dax_owner_range(dev, dev->nr - 1));

		if (idx < 0)
			return -EUCLEAN;
		after = idx + 1;
	}
	stretch = min(need, dax_tail_room(space, after, align));
	/* an extension uses up all the granules that gap has */
	if (stretch)
		skip = after;
	left = need - stretch;
	/* space still to scrub may make room once it is clean: ask again */
	if (dax_count_pieces(space, skip, left, align, &nr_new, &first))
		return space->scrub ? -EAGAIN : -ENOSPC;

	rc = dax_plan_init(plan, space, nr_new, 0, nr_new);
	if (rc)
		return rc;
	dax_plan_keep_ranges(plan, dev, dev->nr);
	if (stretch) {
		plan->end_at = after - 1;
		plan->new_end = space->ext[after - 1].range.end + stretch;
		plan->kept_end += stretch;
	}

	/* every usable hole in address order, until the growth is covered */
	for (i = first; i <= space->nr_ext && left; i++) {
		struct range piece;

		if (i == skip)
			continue;
		len = min(left, dax_hole_usable(space, i, align, &start));
		if (!len)
			continue;
		piece = (struct range) {
			.start = start,
			.end = start + len - 1,
		};
		dax_plan_append(plan, dev->owner, &piece);
		left -= len;
	}
	plan->used = space->used + need;
	plan->scrub = space->scrub;
	return 0;
}

/* the allocation that holds the extent array */
static struct dax_extent *dax_ext_base(const struct dax_space *space)
{
	return space->ext ? space->ext - space->front : NULL;
}

static unsigned int dax_ext_back_room(const struct dax_space *space)
{
	return space->cap_ext - space->front - space->nr_ext;
}

static bool dax_ext_gone(const struct dax_extent *e)
{
	return e->range.start > e->range.end;
}

/*
 * Drop the extents marked dax_gone, all of them at indexes @lo to @hi.
 * The extents on the shorter side close the gaps: those below @hi slide
 * up (the room in front grows) or those above @lo slide down.
 */
static void dax_ext_compact(struct dax_space *space, unsigned int lo,
			    unsigned int hi)
{
	struct dax_extent *ext = space->ext;
	unsigned int i, w, n = space->nr_ext;

	if (hi + 1 < n - lo) {
		for (i = hi + 1, w = hi + 1; i-- > 0;)
			if (!dax_ext_gone(&ext[i]))
				ext[--w] = ext[i];
		space->ext += w;
		space->front += w;
		space->nr_ext -= w;
		return;
	}
	for (i = lo, w = lo; i < n; i++)
		if (!dax_ext_gone(&ext[i]))
			ext[w++] = ext[i];
	space->nr_ext = w;
}

static int dax_plan_shrink(const struct dax_space *space,
			   const struct dax_owner_ranges *dev, u64 cut,
			   bool scrub, struct dax_space_plan *plan)
{
	unsigned int keep = dev->nr, i;
	const struct range *last;
	u64 trim = cut;
	int idx, rc;

	while (keep && trim) {
		u64 len = range_len(dax_owner_range(dev, keep - 1));

		if (trim < len)
			break;
		trim -= len;
		keep--;
	}

	/* a trimmed tail to scrub stays as an extent of its own */
	rc = dax_plan_init(plan, space, scrub && trim, dev->nr - keep, 0);
	if (rc)
		return rc;
	dax_plan_keep_ranges(plan, dev, keep);
	plan->drop_to_scrub = scrub;

	for (i = keep; i < dev->nr; i++) {
		idx = dax_ext_find(space, dev->owner, dax_owner_range(dev, i));
		if (idx < 0)
			goto inconsistent;
		plan->drop[plan->nr_drop++] = idx;
	}
	if (trim) {
		last = dax_owner_range(dev, keep - 1);
		idx = dax_ext_find(space, dev->owner, last);
		if (idx < 0)
			goto inconsistent;
		plan->end_at = idx;
		plan->new_end = last->end - trim;
		plan->kept_end = last->end - trim;
		if (scrub) {
			plan->add[0].range.start = last->end - trim + 1;
			plan->add[0].range.end = last->end;
			plan->add[0].owner = NULL;
			plan->nr_add = 1;
		}
	}
	plan->used = space->used - cut;
	plan->scrub = space->scrub + (scrub ? cut : 0);
	return 0;

inconsistent:
	dax_space_plan_release(plan);
	return -EUCLEAN;
}

/**
 * dax_space_init - start tracking an empty region
 * @space: the tracking structure to set up
 * @start: first byte of the region
 * @end: last byte of the region
 *
 * Return: 0, or -EINVAL if @start > @end or @end is U64_MAX.
 */
int dax_space_init(struct dax_space *space, u64 start, u64 end)
{
	if (start > end || end == U64_MAX)
		return -EINVAL;
	*space = (struct dax_space) {
		.span = { .start = start, .end = end },
	};
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_init);

/**
 * dax_space_fini - forget every allocation and free the bookkeeping
 * @space: region state set up by dax_space_init()
 */
void dax_space_fini(struct dax_space *space)
{
	kvfree(dax_ext_base(space));
	space->ext = NULL;
	space->nr_ext = 0;
	space->front = 0;
	space->cap_ext = 0;
	space->used = 0;
	space->scrub = 0;
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_fini);

/**
 * dax_space_avail - bytes of the region not allocated to any device
 * @space: region state
 *
 * Return: the unallocated byte count, regardless of alignment.
 */
u64 dax_space_avail(const struct dax_space *space)
{
	return range_len(&space->span) - space->used;
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_avail);

/**
 * dax_space_plan_resize - plan growing or shrinking a device
 * @space: region state
 * @dev: the device's current ranges in page offset order, and its tag
 *	as passed when they were allocated
 * @size: requested total size of the device
 * @align: allocation granule, a power of two
 * @scrub: when shrinking, the space given back is to be scrubbed before
 *	it is handed out again; else it is free at once
 * @plan: where to record the change: a plan that is empty (from
 *	CLASS(dax_plan)) or released, or one to replace
 *
 * Computes the layout described in the comment at the top of this file.
 * @space is not modified.
 *
 * Return: 0 with @plan ready for dax_space_commit(); -EINVAL if @align
 * or @size is invalid, -ENOSPC if the region cannot supply the growth,
 * -EAGAIN if it can only once space that is still to scrub is clean,
 * -ENOMEM, or -EUCLEAN if a range of @dev that the change touches is not
 * an extent of the device in @space: the caller's records and the
 * region's disagree, which is a bug the caller must report.  On error
 * @plan holds no memory.  Either way it is released with
 * dax_space_plan_release().
 */
int dax_space_plan_resize(const struct dax_space *space,
			  const struct dax_owner_ranges *dev, u64 size,
			  u64 align, bool scrub, struct dax_space_plan *plan)
{
	u64 have = dev->size;

	if (!dax_align_ok(align) || !IS_ALIGNED(size, align))
		return -EINVAL;
	if (size <= have)
		return dax_plan_shrink(space, dev, have - size, scrub, plan);
	if (size - have > dax_space_avail(space))
		return -ENOSPC;
	return dax_plan_grow(space, dev, size - have, align, plan);
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_plan_resize);

/*
 * Does @want overlap extents? -EBUSY if one of them has an owner, -EAGAIN
 * if all of them are to scrub, 0 if none. @i is the first extent that
 * starts at or above @want->start.
 */
static int dax_claim_conflict(const struct dax_space *space, unsigned int i,
			      const struct range *want)
{
	int rc = 0;

	if (i && space->ext[i - 1].range.end >= want->start)
		i--;
	for (; i < space->nr_ext && space->ext[i].range.start <= want->end;
	     i++) {
		if (space->ext[i].owner)
			return -EBUSY;
		rc = -EAGAIN;
	}
	return rc;
}

/**
 * dax_space_plan_claim - plan appending one exact range to a device
 * @space: region state
 * @dev: the device's current ranges in page offset order, and its tag
 * @want: the physical range to allocate, end inclusive
 * @align: allocation granule, a power of two
 * @plan: where to record the change, as for dax_space_plan_resize()
 *
 * @space is not modified.
 *
 * Return: 0 with @plan ready for dax_space_commit(); -EINVAL if @want is
 * reversed or its start or length is not a multiple of @align; -ERANGE
 * if @want is not inside the region; -EBUSY if any part of @want is
 * already allocated; -EAGAIN if parts of it are still to scrub and none
 * is allocated; -ENOMEM.  On error @plan holds no memory.
 */
int dax_space_plan_claim(const struct dax_space *space,
			 const struct dax_owner_ranges *dev,
			 const struct range *want, u64 align,
			 struct dax_space_plan *plan)
{
	unsigned int i;
	int rc;

	if (!dax_align_ok(align) || want->start > want->end)
		return -EINVAL;
	if (want->start < space->span.start || want->end > space->span.end)
		return -ERANGE;
	if (!IS_ALIGNED(want->start, align) ||
	    !IS_ALIGNED(range_len(want), align))
		return -EINVAL;

	i = dax_ext_lower_bound(space->ext, space->nr_ext, want->start);
	rc = dax_claim_conflict(space, i, want);
	if (rc)
		return rc;

	rc = dax_plan_init(plan, space, 1, 0, 1);
	if (rc)
		return rc;
	dax_plan_keep_ranges(plan, dev, dev->nr);
	dax_plan_append(plan, dev->owner, want);
	plan->used = space->used + range_len(want);
	plan->scrub = space->scrub;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_plan_claim);

/*
 * Move the extents into the larger array the plan brought, in its middle:
 * the entries the plan does not insert are split between the two ends.
 */
static void dax_ext_take_array(struct dax_space *space,
			       struct dax_space_plan *plan)
{
	unsigned int front = (plan->cap_ext - space->nr_ext - plan->nr_add) / 2;

	if (space->nr_ext)
		memcpy(plan->ext + front, space->ext,
		       space->nr_ext * sizeof(*plan->ext));
	kvfree(dax_ext_base(space));
	space->ext = plan->ext + front;
	space->front = front;
	space->cap_ext = plan->cap_ext;
	plan->ext = NULL;
	plan->cap_ext = 0;
}

/* the plan's dropped extents leave, or stay to scrub */
static void dax_ext_drop(struct dax_space *space,
			 const struct dax_space_plan *plan)
{
	unsigned int i, lo = space->nr_ext, hi = 0;

	for (i = 0; i < plan->nr_drop; i++) {
		struct dax_extent *e = &space->ext[plan->drop[i]];

		if (plan->drop_to_scrub)
			e->owner = NULL;
		else
			e->range = dax_gone;
		lo = min(lo, plan->drop[i]);
		hi = max(hi, plan->drop[i]);
	}
	if (plan->nr_drop && !plan->drop_to_scrub)
		dax_ext_compact(space, lo, hi);
}

/*
 * Move all extents so that the end an insertion of @nr extents goes to
 * (the front if @down) has room for them, and the rest of the unused
 * entries is split between the two ends.
 */
static void dax_ext_recenter(struct dax_space *space, unsigned int nr,
			     bool down)
{
	unsigned int spare = space->cap_ext - space->nr_ext;
	unsigned int front = (spare - nr) / 2 + (down ? nr : 0);
	struct dax_extent *ext = dax_ext_base(space) + front;

	memmove(ext, space->ext, space->nr_ext * sizeof(*ext));
	space->ext = ext;
	space->front = front;
}

/*
 * Insert below: the extents under each new one move down into the room
 * in front, each once, by the number of insertions above it. Each binary
 * search covers only the extents not moved yet.
 */
static void dax_ext_insert_down(struct dax_space *space,
				const struct dax_extent *add, unsigned int nr)
{
	struct dax_extent *old = space->ext, *ext = old - nr;
	unsigned int j, at, prev = 0;

	for (j = 0; j < nr; j++) {
		at = prev + dax_ext_lower_bound(old + prev,
						space->nr_ext - prev,
						add[j].range.start);
		memmove(&ext[prev + j], &old[prev], (at - prev) * sizeof(*ext));
		ext[at + j] = add[j];
		prev = at;
	}
	space->ext = ext;
	space->front -= nr;
	space->nr_ext += nr;
}

/*
 * Insert above: one pass from the top, each extent moves once, by the
 * number of insertions below it.
 */
static void dax_ext_insert_up(struct dax_space *space,
			      const struct dax_extent *add, unsigned int nr)
{
	struct dax_extent *ext = space->ext;
	unsigned int end = space->nr_ext, at;

	space->nr_ext += nr;
	for (; nr; nr--) {
		at = dax_ext_lower_bound(ext, end, add[nr - 1].range.start);
		memmove(&ext[at + nr], &ext[at], (end - at) * sizeof(*ext));
		ext[at + nr - 1] = add[nr - 1];
		end = at;
	}
}

/*
 * Insert the @nr extents at @add, sorted by start, each into a hole,
 * moving the extents on the side with fewer of them. The array has room
 * for the insertion, at one end or split between both; when the end the
 * insertion goes to has too little, all extents move once to share the
 * room out again (moving the many the other way would cost as much, and
 * leave that end without room for the next insertion).
 */
static void dax_ext_insert(struct dax_space *space,
			   const struct dax_extent *add, unsigned int nr)
{
	unsigned int n = space->nr_ext, below, above;
	bool down;

	if (!nr)
		return;
	below = dax_ext_lower_bound(space->ext, n, add[nr - 1].range.start);
	above = n - dax_ext_lower_bound(space->ext, n, add[0].range.start);
	down = below < above;
	if ((down ? space->front : dax_ext_back_room(space)) < nr)
		dax_ext_recenter(space, nr, down);
	if (down)
		dax_ext_insert_down(space, add, nr);
	else
		dax_ext_insert_up(space, add, nr);
}

/**
 * dax_space_commit - make a planned change the region's state
 * @space: the region state the plan was computed from, unchanged since
 * @plan: result of dax_space_plan_resize() or dax_space_plan_claim()
 *
 * Cannot fail and does not allocate. The plan keeps the device's new
 * ranges (plan->nr_kept, plan->kept_end, plan->added) for the caller and
 * must still be released with dax_space_plan_release().
 */
void dax_space_commit(struct dax_space *space, struct dax_space_plan *plan)
{
	if (plan->ext)
		dax_ext_take_array(space, plan);
	if (plan->end_at >= 0)
		space->ext[plan->end_at].range.end = plan->new_end;
	dax_ext_drop(space, plan);
	dax_ext_insert(space, plan->add, plan->nr_add);
	space->used = plan->used;
	space->scrub = plan->scrub;
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_commit);

/**
 * dax_space_release_owner - return every range of one device to the region
 * @space: region state
 * @owner: tag of the device, not NULL
 * @scrub: the ranges are to be scrubbed before they are handed out again;
 *	else they are free at once
 *
 * Cannot fail and does not allocate.
 */
void dax_space_release_owner(struct dax_space *space, const void *owner,
			     bool scrub)
{
	unsigned int i;

	for (i = 0; i < space->nr_ext; i++) {
		u64 len = range_len(&space->ext[i].range);

		if (!owner || space->ext[i].owner != owner)
			continue;
		space->used -= len;
		if (scrub) {
			space->ext[i].owner = NULL;
			space->scrub += len;
		} else {
			space->ext[i].range = dax_gone;
		}
	}
	if (space->nr_ext)
		dax_ext_compact(space, 0, space->nr_ext - 1);
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_release_owner);

/**
 * dax_space_scrub_pending - bytes given back that are still to scrub
 * @space: region state
 *
 * Return: the byte count; it is part of dax_space_avail().
 */
u64 dax_space_scrub_pending(const struct dax_space *space)
{
	return space->scrub;
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_scrub_pending);

/**
 * dax_space_scrub_next - the next piece of space to clear
 * @space: region state
 * @max: largest piece to return, in bytes, not 0
 * @chunk: set to the first @max bytes (or fewer) of the lowest extent
 *	that is to scrub
 *
 * @space is not modified: the piece stays to scrub, out of reach of every
 * allocation, until it is handed to dax_space_scrub_done().
 *
 * Return: false when nothing is to scrub.
 */
bool dax_space_scrub_next(const struct dax_space *space, u64 max,
			  struct range *chunk)
{
	unsigned int i;

	for (i = 0; i < space->nr_ext && max; i++) {
		const struct range *r = &space->ext[i].range;

		if (space->ext[i].owner)
			continue;
		chunk->start = r->start;
		chunk->end = r->start + min(max, range_len(r)) - 1;
		return true;
	}
	return false;
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_scrub_next);

/**
 * dax_space_scrub_done - a piece of space has been cleared
 * @space: region state
 * @chunk: a piece returned by dax_space_scrub_next(), since unchanged
 *
 * The piece becomes free space. Cannot fail for a valid piece and does
 * not allocate.
 *
 * Return: 0, or -EUCLEAN if @chunk is not the start of an extent that is
 * to scrub (a caller bug; nothing is changed).
 */
int dax_space_scrub_done(struct dax_space *space, const struct range *chunk)
{
	unsigned int i = dax_ext_lower_bound(space->ext, space->nr_ext,
					     chunk->start);
	struct range *r;

	if (i == space->nr_ext || space->ext[i].owner)
		return -EUCLEAN;
	r = &space->ext[i].range;
	if (r->start != chunk->start || chunk->end < chunk->start ||
	    chunk->end > r->end)
		return -EUCLEAN;
	space->scrub -= range_len(chunk);
	if (chunk->end == r->end) {
		*r = dax_gone;
		dax_ext_compact(space, i, i);
	} else {
		r->start = chunk->end + 1;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_scrub_done);
