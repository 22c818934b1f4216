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
 * Requests are two-phase. A plan is computed into freshly allocated copies
 * of the region's extent list and of the device's range list, without
 * touching the region; dax_space_commit() then swaps the copy in and
 * cannot fail. A caller that hits an error between the two simply frees
 * the plan.
 */
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/math.h>
#include <linux/minmax.h>
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

static u64 dax_ranges_len(const struct range *r, unsigned int nr)
{
	u64 total = 0;

	while (nr--)
		total += range_len(r++);
	return total;
}

/* index of the first extent that starts at or above @addr */
static unsigned int dax_ext_lower_bound(const struct dax_space *space, u64 addr)
{
	unsigned int lo = 0, hi = space->nr_ext;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (space->ext[mid].range.start < addr)
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
	unsigned int i = dax_ext_lower_bound(space, r->start);
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

static struct dax_space_plan *dax_plan_alloc(unsigned int nr_ext,
					     unsigned int nr_ranges)
{
	struct dax_space_plan *plan;

	plan = kzalloc(sizeof(*plan), GFP_KERNEL);
	if (!plan)
		return NULL;
	plan->ext = kvmalloc_array(max(nr_ext, 1U), sizeof(*plan->ext),
				   GFP_KERNEL);
	plan->ranges = kvmalloc_array(max(nr_ranges, 1U),
				      sizeof(*plan->ranges), GFP_KERNEL);
	if (!plan->ext || !plan->ranges) {
		dax_space_plan_free(plan);
		return NULL;
	}
	return plan;
}

static void dax_plan_copy_ranges(struct dax_space_plan *plan,
				 const struct range *cur, unsigned int nr)
{
	if (nr)
		memcpy(plan->ranges, cur, nr * sizeof(*cur));
	plan->nr_ranges = nr;
	plan->nr_kept = nr;
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

/* how many new ranges holes other than @skip add to cover @left bytes */
static int dax_count_pieces(const struct dax_space *space, unsigned int skip,
			    u64 left, u64 align, unsigned int *nr_new)
{
	unsigned int i;
	u64 len, start;

	*nr_new = 0;
	for (i = 0; i <= space->nr_ext && left; i++) {
		if (i == skip)
			continue;
		len = dax_hole_usable(space, i, align, &start);
		if (!len)
			continue;
		(*nr_new)++;
		left -= min(left, len);
	}
	return left ? -ENOSPC : 0;
}

static struct dax_space_plan *dax_plan_grow(const struct dax_space *space,
					    const void *owner,
					    const struct range *cur,
					    unsigned int nr_cur, u64 need,
					    u64 align)
{
	unsigned int i, n, nr_new, after = UINT_MAX, skip = UINT_MAX;
	struct dax_space_plan *plan;
	u64 left, len, start = 0, stretch;

	/* hole @after is the gap right behind the device's last range */
	if (nr_cur) {
		int idx = dax_ext_find(space, owner, &cur[nr_cur - 1]);

		if (idx < 0)
			return ERR_PTR(-EUCLEAN);
		after = idx + 1;
	}
	stretch = min(need, dax_tail_room(space, after, align));
	/* an extension uses up all the granules that gap has */
	if (stretch)
		skip = after;
	left = need - stretch;
	/* space still to scrub may make room once it is clean: ask again */
	if (dax_count_pieces(space, skip, left, align, &nr_new))
		return ERR_PTR(space->scrub ? -EAGAIN : -ENOSPC);

	plan = dax_plan_alloc(space->nr_ext + nr_new, nr_cur + nr_new);
	if (!plan)
		return ERR_PTR(-ENOMEM);
	dax_plan_copy_ranges(plan, cur, nr_cur);
	if (stretch)
		plan->ranges[nr_cur - 1].end += stretch;

	/* rebuild the extent list in address order: hole @i, then extent @i */
	for (i = 0, n = 0; i <= space->nr_ext; i++) {
		if (i == skip) {
			/* extent @i - 1 is the last range, copied just before */
			plan->ext[n - 1].range.end += stretch;
		} else if (left) {
			len = min(left, dax_hole_usable(space, i, align, &start));
			if (len) {
				struct range piece = {
					.start = start,
					.end = start + len - 1,
				};

				plan->ext[n].range = piece;
				plan->ext[n++].owner = owner;
				plan->ranges[plan->nr_ranges++] = piece;
				left -= len;
			}
		}
		if (i < space->nr_ext)
			plan->ext[n++] = space->ext[i];
	}
	plan->nr_ext = n;
	plan->used = space->used + need;
	plan->scrub = space->scrub;
	return plan;
}

static void dax_ext_compact(struct dax_extent *ext, unsigned int *nr)
{
	unsigned int i, n = 0;

	for (i = 0; i < *nr; i++)
		if (ext[i].range.start <= ext[i].range.end)
			ext[n++] = ext[i];
	*nr = n;
}

/* give the last @trim bytes of extent @idx up to the scrubber */
static void dax_plan_split_tail(struct dax_space_plan *plan, unsigned int idx,
				u64 trim)
{
	struct dax_extent *ext = plan->ext;

	memmove(&ext[idx + 2], &ext[idx + 1],
		(plan->nr_ext - idx - 1) * sizeof(*ext));
	ext[idx + 1].range.start = ext[idx].range.end - trim + 1;
	ext[idx + 1].range.end = ext[idx].range.end;
	ext[idx + 1].owner = NULL;
	plan->nr_ext++;
}

static struct dax_space_plan *dax_plan_shrink(const struct dax_space *space,
					      const void *owner,
					      const struct range *cur,
					      unsigned int nr_cur, u64 cut,
					      bool scrub)
{
	struct dax_space_plan *plan;
	unsigned int keep = nr_cur, i;
	u64 trim = cut;
	int idx;

	while (keep && trim && trim >= range_len(&cur[keep - 1]))
		trim -= range_len(&cur[--keep]);

	/* one more slot: a trimmed tail may become an extent to scrub */
	plan = dax_plan_alloc(space->nr_ext + 1, keep);
	if (!plan)
		return ERR_PTR(-ENOMEM);
	if (space->nr_ext)
		memcpy(plan->ext, space->ext,
		       space->nr_ext * sizeof(*space->ext));
	plan->nr_ext = space->nr_ext;
	dax_plan_copy_ranges(plan, cur, keep);

	for (i = keep; i < nr_cur; i++) {
		idx = dax_ext_find(space, owner, &cur[i]);
		if (idx < 0)
			goto inconsistent;
		if (scrub)
			plan->ext[idx].owner = NULL;
		else
			plan->ext[idx].range = dax_gone;
	}
	if (trim) {
		idx = dax_ext_find(space, owner, &cur[keep - 1]);
		if (idx < 0)
			goto inconsistent;
		if (scrub)
			dax_plan_split_tail(plan, idx, trim);
		plan->ext[idx].range.end -= trim;
		plan->ranges[keep - 1].end -= trim;
	}
	dax_ext_compact(plan->ext, &plan->nr_ext);
	plan->used = space->used - cut;
	plan->scrub = space->scrub + (scrub ? cut : 0);
	return plan;

inconsistent:
	dax_space_plan_free(plan);
	return ERR_PTR(-EUCLEAN);
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
	kvfree(space->ext);
	space->ext = NULL;
	space->nr_ext = 0;
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
 * @owner: tag of the device, as passed when its ranges were allocated
 * @cur: the device's current ranges in page offset order
 * @nr_cur: number of entries in @cur
 * @size: requested total size of the device
 * @align: allocation granule, a power of two
 * @scrub: when shrinking, the space given back is to be scrubbed before
 *	it is handed out again; else it is free at once
 *
 * Computes the layout described in the comment at the top of this file.
 * @space is not modified.
 *
 * Return: a plan to pass to dax_space_commit() and dax_space_plan_free(),
 * or ERR_PTR(-EINVAL) if @align or @size is invalid, ERR_PTR(-ENOSPC) if
 * the region cannot supply the growth, ERR_PTR(-EAGAIN) if it can only
 * once space that is still to scrub is clean, ERR_PTR(-ENOMEM), or
 * ERR_PTR(-EUCLEAN) if a range of @cur that the change touches is not an
 * extent of @owner in @space: the caller's records and the region's
 * disagree, which is a bug the caller must report.
 */
struct dax_space_plan *dax_space_plan_resize(const struct dax_space *space,
					     const void *owner,
					     const struct range *cur,
					     unsigned int nr_cur, u64 size,
					     u64 align, bool scrub)
{
	u64 have = dax_ranges_len(cur, nr_cur);

	if (!dax_align_ok(align) || !IS_ALIGNED(size, align))
		return ERR_PTR(-EINVAL);
	if (size <= have)
		return dax_plan_shrink(space, owner, cur, nr_cur, have - size,
				       scrub);
	if (size - have > dax_space_avail(space))
		return ERR_PTR(-ENOSPC);
	return dax_plan_grow(space, owner, cur, nr_cur, size - have, align);
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
 * @owner: tag of the device
 * @cur: the device's current ranges in page offset order
 * @nr_cur: number of entries in @cur
 * @want: the physical range to allocate, end inclusive
 * @align: allocation granule, a power of two
 *
 * @space is not modified.
 *
 * Return: a plan, or ERR_PTR(-EINVAL) if @want is reversed or its start
 * or length is not a multiple of @align; ERR_PTR(-ERANGE) if @want is not
 * inside the region; ERR_PTR(-EBUSY) if any part of @want is already
 * allocated; ERR_PTR(-EAGAIN) if parts of it are still to scrub and none
 * is allocated; ERR_PTR(-ENOMEM).
 */
struct dax_space_plan *dax_space_plan_claim(const struct dax_space *space,
					    const void *owner,
					    const struct range *cur,
					    unsigned int nr_cur,
					    const struct range *want,
					    u64 align)
{
	struct dax_space_plan *plan;
	unsigned int i;
	int rc;

	if (!dax_align_ok(align) || want->start > want->end)
		return ERR_PTR(-EINVAL);
	if (want->start < space->span.start || want->end > space->span.end)
		return ERR_PTR(-ERANGE);
	if (!IS_ALIGNED(want->start, align) ||
	    !IS_ALIGNED(range_len(want), align))
		return ERR_PTR(-EINVAL);

	i = dax_ext_lower_bound(space, want->start);
	rc = dax_claim_conflict(space, i, want);
	if (rc)
		return ERR_PTR(rc);

	plan = dax_plan_alloc(space->nr_ext + 1, nr_cur + 1);
	if (!plan)
		return ERR_PTR(-ENOMEM);
	if (i)
		memcpy(plan->ext, space->ext, i * sizeof(*space->ext));
	plan->ext[i].range = *want;
	plan->ext[i].owner = owner;
	if (space->nr_ext > i)
		memcpy(&plan->ext[i + 1], &space->ext[i],
		       (space->nr_ext - i) * sizeof(*space->ext));
	plan->nr_ext = space->nr_ext + 1;
	plan->used = space->used + range_len(want);
	plan->scrub = space->scrub;

	dax_plan_copy_ranges(plan, cur, nr_cur);
	plan->ranges[plan->nr_ranges++] = *want;
	return plan;
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_plan_claim);

/**
 * dax_space_commit - make a planned change the region's state
 * @space: the region state the plan was computed from, unchanged since
 * @plan: result of dax_space_plan_resize() or dax_space_plan_claim()
 *
 * Cannot fail. The plan keeps its device range list (plan->ranges) for
 * the caller and must still be released with dax_space_plan_free().
 */
void dax_space_commit(struct dax_space *space, struct dax_space_plan *plan)
{
	kvfree(space->ext);
	space->ext = plan->ext;
	space->nr_ext = plan->nr_ext;
	space->used = plan->used;
	space->scrub = plan->scrub;
	plan->ext = NULL;
	plan->nr_ext = 0;
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_commit);

/**
 * dax_space_plan_free - release a plan, committed or not
 * @plan: the plan; NULL and error pointers are ignored
 */
void dax_space_plan_free(struct dax_space_plan *plan)
{
	if (IS_ERR_OR_NULL(plan))
		return;
	kvfree(plan->ext);
	kvfree(plan->ranges);
	kfree(plan);
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_plan_free);

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
	dax_ext_compact(space->ext, &space->nr_ext);
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
	unsigned int i = dax_ext_lower_bound(space, chunk->start);
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
		dax_ext_compact(space->ext, &space->nr_ext);
	} else {
		r->start = chunk->end + 1;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(dax_space_scrub_done);
