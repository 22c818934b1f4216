// SPDX-License-Identifier: GPL-2.0
/*
 * Random sysfs writes against a reference model of one dax region.
 *
 * The model is a plain C description of the region: every device with
 * its align, driver and ranges in page offset order, the seed and the
 * `create` readback.  For each random write (create, delete, size,
 * mapping, align, bind, unbind, new_id, remove_id, and unparsable
 * values for each of them) the model predicts the errno and the
 * resulting layout; the kernel's answer and the whole region read back
 * from sysfs (available_size, seed, create, every device's size, align,
 * driver and mappingN/{start,end,page_offset}) must match it exactly.
 *
 * The model allocates as this tree's bus does: a grow first extends the
 * last range in place over whole granules of the gap after it, then
 * takes the granule-aligned part of the free holes lowest address
 * first; a shrink cuts from the highest page offset.  Stock 6.12 grows
 * from the lowest hole and extends only the range that precedes it; the
 * model knows that order.  Writes whose stock answer is a documented
 * divergence (or a WARNING) are not generated on stock; the list and
 * the number left out are printed.
 *
 * Space given back by a device that was bound is cleared before it can
 * be allocated again (dax_region/scrub_pending); after every write the
 * test waits for scrub_pending to read 0, so every allocation the model
 * predicts is made from clean space only.
 *
 * Options (before the harness's own): --seed S (first seed, default 1),
 * --seeds N (how many consecutive seeds, default 5), --ops N (writes per
 * seed, default 2000), --full-every N (default 16).  After each write the
 * test reads available_size, seed, create, every device's size and all
 * of the device written to; after every N-th write, and after create,
 * delete and new_id, every attribute of every device.  A failure prints
 * the seed, the op number and the write; `--seed S --seeds 1 --ops N+1
 * --full-every 1` replays it and checks everything after every write.
 */
#include "kselftest_harness.h"
#include <time.h>
#include "dax_common.h"

#define FZ_MAX_ID	10	/* device instances 0..9 */
#define FZ_MAX_DEVS	8	/* create is chosen only below this */
#define FZ_MAX_GRANULES	12	/* sizes up to 12 granules */
#define FZ_BIND_MAX	(64 * SZ_2M)	/* larger devices are never bound */
#define FZ_SPAN		(48 * SZ_2M)	/* mapping writes mostly land here */

static unsigned int fz_first_seed = 1;
static unsigned int fz_nr_seeds = 5;
static unsigned int fz_nr_ops = 2000;
static unsigned int fz_full_every = 16;	/* read back every device this often */

/* ---- the model ---------------------------------------------------------- */

struct fz_range {
	uint64_t start;
	uint64_t end;
};

struct fz_dev {
	bool live;
	bool bound;
	uint64_t align;
	int nr;
	struct fz_range r[DAX_MAX_RANGES];
};

struct fz_model {
	int region;
	uint64_t start;		/* region start */
	uint64_t end;		/* region end, inclusive */
	uint64_t align;		/* align of a new device */
	bool stock;
	int seed;		/* instance id, -1 for none */
	int youngest;
	struct fz_dev dev[FZ_MAX_ID];
};

static uint64_t fz_len(const struct fz_range *r)
{
	return r->end - r->start + 1;
}

static uint64_t fz_dev_size(const struct fz_dev *d)
{
	uint64_t size = 0;
	int i;

	for (i = 0; i < d->nr; i++)
		size += fz_len(&d->r[i]);
	return size;
}

/* max(align, 2M): the unit of sizes and of allocations */
static uint64_t fz_granule(uint64_t align)
{
	return align > SZ_2M ? align : SZ_2M;
}

static uint64_t fz_avail(const struct fz_model *m)
{
	uint64_t used = 0;
	int i;

	for (i = 0; i < FZ_MAX_ID; i++)
		if (m->dev[i].live)
			used += fz_dev_size(&m->dev[i]);
	return m->end - m->start + 1 - used;
}

struct fz_extent {
	struct fz_range r;
	int owner;
};

static int fz_cmp_extent(const void *a, const void *b)
{
	const struct fz_extent *x = a, *y = b;

	return x->r.start < y->r.start ? -1 : x->r.start > y->r.start;
}

/* every allocated range of the region, sorted by address */
static int fz_extents(const struct fz_model *m, struct fz_extent *ext)
{
	int i, j, n = 0;

	for (i = 0; i < FZ_MAX_ID; i++) {
		if (!m->dev[i].live)
			continue;
		for (j = 0; j < m->dev[i].nr; j++) {
			ext[n].r = m->dev[i].r[j];
			ext[n++].owner = i;
		}
	}
	qsort(ext, n, sizeof(*ext), fz_cmp_extent);
	return n;
}

#define FZ_MAX_EXT (FZ_MAX_ID * DAX_MAX_RANGES)

/* the free gap in front of extent @i (after the last one for i == n) */
static void fz_hole(const struct fz_model *m, const struct fz_extent *ext,
		    int n, int i, uint64_t *lo, uint64_t *hi)
{
	*lo = i ? ext[i - 1].r.end + 1 : m->start;
	*hi = i < n ? ext[i].r.start : m->end + 1;
}

static bool fz_overlaps(const struct fz_model *m, uint64_t start,
			uint64_t end)
{
	struct fz_extent ext[FZ_MAX_EXT];
	int i, n = fz_extents(m, ext);

	for (i = 0; i < n; i++)
		if (ext[i].r.start <= end && start <= ext[i].r.end)
			return true;
	return false;
}

static void fz_append(struct fz_dev *d, uint64_t start, uint64_t len)
{
	d->r[d->nr].start = start;
	d->r[d->nr++].end = start + len - 1;
}

/*
 * Grow as this tree does: extend the last range over the whole granules
 * of the gap right after it, then the aligned part of each other hole,
 * lowest address first, each a new range.  All or nothing.
 */
static int fz_grow_ours(struct fz_model *m, int id, uint64_t need)
{
	struct fz_extent ext[FZ_MAX_EXT];
	struct fz_dev *d = &m->dev[id], nd = *d;
	uint64_t g = fz_granule(d->align), lo, hi, first, last, take;
	uint64_t left = need, stretch = 0;
	int i, n = fz_extents(m, ext), after = -1;

	for (i = 0; d->nr && i < n; i++)
		if (ext[i].owner == id &&
		    ext[i].r.start == d->r[d->nr - 1].start)
			after = i + 1;
	if (after >= 0) {
		fz_hole(m, ext, n, after, &lo, &hi);
		if (!(lo % g))
			stretch = (hi - lo) / g * g;
		if (stretch > need)
			stretch = need;
		nd.r[nd.nr - 1].end += stretch;
		left -= stretch;
	}
	for (i = 0; i <= n && left; i++) {
		if (stretch && i == after)
			continue;
		fz_hole(m, ext, n, i, &lo, &hi);
		first = (lo + g - 1) / g * g;
		last = hi / g * g;
		if (first < lo || last <= first)
			continue;
		take = last - first < left ? last - first : left;
		fz_append(&nd, first, take);
		left -= take;
	}
	if (left)
		return -ENOSPC;
	*d = nd;
	return 0;
}

/*
 * Grow as stock 6.12 does: piece by piece, the lowest free gap; the
 * range in front of it is extended when it is the device's last range,
 * else the gap's start becomes a new range.
 */
static int fz_grow_stock(struct fz_model *m, int id, uint64_t need)
{
	struct fz_extent ext[FZ_MAX_EXT];
	struct fz_dev *d = &m->dev[id];
	uint64_t lo, hi, take;
	int i, n;

	while (need) {
		n = fz_extents(m, ext);
		for (i = 0; i <= n; i++) {
			fz_hole(m, ext, n, i, &lo, &hi);
			if (hi > lo)
				break;
		}
		if (i > n)
			return -ENOSPC;
		take = hi - lo < need ? hi - lo : need;
		if (i && d->nr && ext[i - 1].owner == id &&
		    ext[i - 1].r.start == d->r[d->nr - 1].start)
			d->r[d->nr - 1].end += take;
		else
			fz_append(d, lo, take);
		need -= take;
	}
	return 0;
}

/* drop whole ranges from the highest page offset, then trim the last */
static void fz_shrink(struct fz_dev *d, uint64_t cut)
{
	while (cut && d->nr && cut >= fz_len(&d->r[d->nr - 1]))
		cut -= fz_len(&d->r[--d->nr]);
	if (cut)
		d->r[d->nr - 1].end -= cut;
}

static bool fz_unbound_sized(const struct fz_dev *d)
{
	return d->live && !d->bound && d->nr;
}

static void fz_probe(struct fz_model *m, int id)
{
	m->dev[id].bound = true;
	if (m->seed == id)
		m->seed = -1;
}

/* ---- operations ------------------------------------------------------- */

enum fz_kind {
	FZ_CREATE, FZ_DELETE, FZ_SIZE, FZ_MAPPING, FZ_ALIGN, FZ_BIND,
	FZ_UNBIND, FZ_NEW_ID, FZ_REMOVE_ID, FZ_GARBAGE, FZ_NR_KINDS
};

static const char * const fz_kind_name[FZ_NR_KINDS] = {
	"create", "delete", "size", "mapping", "align", "bind", "unbind",
	"new_id", "remove_id", "garbage",
};

/* writes not generated on stock, with the reason */
enum fz_filter {
	FZ_F_ALIGN_1G, FZ_F_MAP_BOUND, FZ_F_MAP_ZERO, FZ_F_MAP_LEN,
	FZ_F_MAP_START, FZ_F_MAP_REVERSED, FZ_NR_FILTERS
};

static const char * const fz_filter_name[FZ_NR_FILTERS] = {
	"align 1G, 2M written instead (divergences 7, 10: stock checks range lengths only and grows 1G devices into 2M-aligned holes)",
	"mapping on a bound device (divergence 6: stock adds the range)",
	"zero-length mapping (divergences 2, 3: stock WARNs or succeeds)",
	"mapping length not a multiple of the granule (divergence 1: stock succeeds)",
	"mapping with a misaligned start (divergence 4: stock allocates it)",
	"reversed mapping with an unaligned wrapped length (divergence 5: stock succeeds)",
};

struct fz_stats {
	unsigned long ops[FZ_NR_KINDS];
	unsigned long ok[FZ_NR_KINDS];
	unsigned long filtered[FZ_NR_FILTERS];
	unsigned long total;
};

struct fz_op {
	enum fz_kind kind;
	char path[PATH_MAX];
	char buf[128];
	int want;		/* predicted return: 0 or -errno */
	int id;			/* the device whose files it may change */
	bool full;		/* it may change the device list or any driver */
};

struct fz_rng {
	uint64_t s;
};

static uint64_t fz_next(struct fz_rng *g)
{
	g->s ^= g->s << 13;
	g->s ^= g->s >> 7;
	g->s ^= g->s << 17;
	return g->s;
}

static unsigned int fz_below(struct fz_rng *g, unsigned int n)
{
	return fz_next(g) % n;
}

static void fz_name(const struct fz_model *m, int id, char *out)
{
	snprintf(out, DAX_NAME, "dax%d.%d", m->region, id);
}

/* a live device, or occasionally an instance that does not exist */
static int fz_pick_dev(const struct fz_model *m, struct fz_rng *g)
{
	int live[FZ_MAX_ID], i, n = 0;

	for (i = 0; i < FZ_MAX_ID; i++)
		if (m->dev[i].live)
			live[n++] = i;
	if (!n || !fz_below(g, 12))
		return fz_below(g, FZ_MAX_ID);
	return live[fz_below(g, n)];
}

/* a device name as written: plain, or with the newline echo adds */
static void fz_name_arg(const struct fz_model *m, struct fz_rng *g, int id,
			char *out, size_t len)
{
	char name[DAX_NAME];

	fz_name(m, id, name);
	snprintf(out, len, "%s%s", name, fz_below(g, 3) ? "" : "\n");
}

/* a number as written: decimal, hex, octal, or decimal and a newline */
static void fz_u64_arg(struct fz_rng *g, uint64_t v, char *out, size_t len)
{
	switch (fz_below(g, 6)) {
	case 0:
		snprintf(out, len, "%#" PRIx64, v);
		break;
	case 1:
		snprintf(out, len, "0%" PRIo64, v);
		break;
	case 2:
		snprintf(out, len, "%" PRIu64 "\n", v);
		break;
	default:
		snprintf(out, len, "%" PRIu64, v);
	}
}

static int fz_create(struct fz_model *m, struct fz_rng *g, struct fz_op *op)
{
	static const char * const ones[] = { "1", "1\n", "0x1", "01" };
	int i;

	snprintf(op->buf, sizeof(op->buf), "%s", ones[fz_below(g, 4)]);
	if (!fz_avail(m))
		return -ENOSPC;
	for (i = 0; i < FZ_MAX_ID && m->dev[i].live; i++)
		;
	if (i == FZ_MAX_ID)
		return -ENOSPC;	/* not chosen: create stops at FZ_MAX_DEVS */
	m->dev[i] = (struct fz_dev) { .live = true, .align = m->align };
	if (m->seed < 0)
		m->seed = i;
	m->youngest = i;
	return 0;
}

static int fz_delete(struct fz_model *m, struct fz_rng *g, struct fz_op *op)
{
	int id = fz_pick_dev(m, g);
	struct fz_dev *d = &m->dev[id];

	fz_name_arg(m, g, id, op->buf, sizeof(op->buf));
	if (!d->live)
		return -ENXIO;
	if (d->bound || d->nr || id == 0)
		return -EBUSY;
	d->live = false;
	if (m->seed == id)
		m->seed = -1;
	if (m->youngest == id)
		m->youngest = -1;
	return 0;
}

/* a size for @d: mostly granule multiples up to FZ_MAX_GRANULES */
static uint64_t fz_size_value(struct fz_rng *g, const struct fz_dev *d)
{
	uint64_t gr = fz_granule(d->align);

	switch (fz_below(g, 16)) {
	case 0:
		return UINT64_MAX;			/* misaligned */
	case 1:
		return UINT64_MAX - SZ_2M + 1;		/* aligned, too big */
	case 2:
		return fz_dev_size(d) + SZ_4K;		/* misaligned */
	case 3:
		return fz_dev_size(d);			/* unchanged */
	case 4:
		return gr > SZ_2M ? SZ_2M : 0;
	case 5:
	case 6:
		return 0;
	default:
		if (gr > SZ_2M)
			return fz_below(g, 2) * gr;
		return fz_below(g, FZ_MAX_GRANULES + 1) * gr;
	}
}

static int fz_size(struct fz_model *m, struct fz_rng *g, struct fz_op *op,
		   int id)
{
	struct fz_dev *d = &m->dev[id];
	uint64_t val = fz_size_value(g, d), size = fz_dev_size(d);

	fz_u64_arg(g, val, op->buf, sizeof(op->buf));
	if (val % fz_granule(d->align))
		return -EINVAL;
	if (d->bound)
		return -EBUSY;
	if (val == size)
		return 0;
	if (val < size) {
		fz_shrink(d, size - val);
		return 0;
	}
	if (val - size > fz_avail(m))
		return -ENOSPC;
	if (m->stock)
		return fz_grow_stock(m, id, val - size);
	return fz_grow_ours(m, id, val - size);
}

/* the lowest free hole at or above a random 2M step of the low span */
static uint64_t fz_free_start(const struct fz_model *m, struct fz_rng *g)
{
	struct fz_extent ext[FZ_MAX_EXT];
	uint64_t want = m->start + fz_below(g, FZ_SPAN / SZ_2M) * SZ_2M;
	uint64_t lo, hi;
	int i, n = fz_extents(m, ext);

	for (i = 0; i <= n; i++) {
		fz_hole(m, ext, n, i, &lo, &hi);
		if (lo < want)
			lo = want;
		if (hi > lo)
			return lo;
	}
	return want;
}

enum fz_map_shape {
	FZ_MAP_FREE, FZ_MAP_ANY, FZ_MAP_ACROSS_END, FZ_MAP_BELOW,
	FZ_MAP_FAR, FZ_MAP_REVERSED, FZ_MAP_ZERO, FZ_MAP_BAD_LEN,
	FZ_MAP_BAD_START, FZ_MAP_BAD_REVERSED, FZ_NR_MAP_SHAPES
};

/* the stock divergence a mapping shape runs into, or -1 */
static int fz_map_filter(enum fz_map_shape shape, bool bound)
{
	if (bound)
		return FZ_F_MAP_BOUND;
	switch (shape) {
	case FZ_MAP_ZERO:
		return FZ_F_MAP_ZERO;
	case FZ_MAP_BAD_LEN:
		return FZ_F_MAP_LEN;
	case FZ_MAP_BAD_START:
		return FZ_F_MAP_START;
	case FZ_MAP_BAD_REVERSED:
		return FZ_F_MAP_REVERSED;
	default:
		return -1;
	}
}

static void fz_map_range(const struct fz_model *m, struct fz_rng *g,
			 enum fz_map_shape shape, uint64_t gr,
			 uint64_t *start, uint64_t *end)
{
	uint64_t len = (1 + fz_below(g, 3)) * gr;

	if (gr > SZ_2M)
		*start = m->start + fz_below(g, 2) * gr;
	else if (shape == FZ_MAP_FREE)
		*start = fz_free_start(m, g);
	else
		*start = m->start + fz_below(g, FZ_SPAN / SZ_2M) * SZ_2M;
	switch (shape) {
	case FZ_MAP_ACROSS_END:
		*start = m->end + 1 - gr;
		len = 2 * gr;
		break;
	case FZ_MAP_BELOW:
		*start = m->start - gr;
		break;
	case FZ_MAP_FAR:
		*start = m->end + 1 + fz_below(g, 4) * gr;
		break;
	case FZ_MAP_REVERSED:
		len = -(2 * gr);	/* wraps to a multiple of the granule */
		break;
	case FZ_MAP_ZERO:
		len = 0;
		break;
	case FZ_MAP_BAD_LEN:
		len += fz_below(g, 2) ? SZ_4K : 256 * 1024;
		break;
	case FZ_MAP_BAD_START:
		*start += SZ_4K;
		break;
	case FZ_MAP_BAD_REVERSED:
		len = -(2 * gr) + SZ_4K;
		break;
	default:
		break;
	}
	*end = *start + len - 1;
}

/* this tree's answer to a mapping write of [start, end] */
static int fz_claim(struct fz_model *m, int id, uint64_t start, uint64_t end)
{
	struct fz_dev *d = &m->dev[id];
	uint64_t gr = fz_granule(d->align), len = end - start + 1;

	if (d->bound)
		return -EBUSY;
	if (!len || len % gr)
		return -EINVAL;
	if (start > end || start < m->start || end > m->end)
		return -ENOMEM;
	if (start % gr)
		return -EINVAL;
	if (fz_overlaps(m, start, end))
		return -ENOMEM;
	fz_append(d, start, len);
	return 0;
}

static int fz_mapping(struct fz_model *m, struct fz_rng *g, struct fz_op *op,
		      int id, struct fz_stats *st)
{
	struct fz_dev *d = &m->dev[id];
	enum fz_map_shape shape;
	uint64_t start, end;
	int f;

	for (;;) {
		shape = fz_below(g, 2) ? FZ_MAP_FREE :
					 fz_below(g, FZ_NR_MAP_SHAPES);
		if (shape >= FZ_MAP_ZERO && fz_below(g, 2))
			continue;	/* half as many of the bad shapes */
		f = fz_map_filter(shape, d->bound);
		if (!m->stock || f < 0)
			break;
		st->filtered[f]++;
		if (d->bound)
			return 1;	/* nothing else to write on stock */
	}
	fz_map_range(m, g, shape, fz_granule(d->align), &start, &end);
	snprintf(op->buf, sizeof(op->buf),
		 fz_below(g, 4) ? "%" PRIx64 "-%" PRIx64 :
				  "0x%" PRIx64 "-0x%" PRIx64 "\n", start, end);
	return fz_claim(m, id, start, end);
}

static int fz_align(struct fz_model *m, struct fz_rng *g, struct fz_op *op,
		    int id, struct fz_stats *st)
{
	static const uint64_t vals[] = { SZ_4K, SZ_2M, SZ_1G, 0, 8192,
					 SZ_2M + SZ_4K, SZ_4K * 3 };
	struct fz_dev *d = &m->dev[id];
	uint64_t val = vals[fz_below(g, 3) ? fz_below(g, 3) :
			    fz_below(g, ARRAY_SIZE(vals))];
	uint64_t gr;
	int i;

	if (m->stock && val == SZ_1G) {
		st->filtered[FZ_F_ALIGN_1G]++;
		val = SZ_2M;
	}
	gr = fz_granule(val);
	fz_u64_arg(g, val, op->buf, sizeof(op->buf));
	if (val != SZ_4K && val != SZ_2M && val != SZ_1G)
		return -EINVAL;
	if (d->bound)
		return -EBUSY;
	for (i = 0; i < d->nr; i++)
		if (d->r[i].start % gr || fz_len(&d->r[i]) % gr)
			return -EINVAL;
	d->align = val;
	return 0;
}

static int fz_bind(struct fz_model *m, int id)
{
	struct fz_dev *d = &m->dev[id];

	if (!d->live)
		return -ENODEV;
	if (d->bound)
		return -EBUSY;
	if (!d->nr)
		return -ENXIO;
	fz_probe(m, id);
	return 0;
}

static int fz_unbind(struct fz_model *m, int id)
{
	struct fz_dev *d = &m->dev[id];

	if (!d->live || !d->bound)
		return -ENODEV;
	d->bound = false;
	return 0;
}

/* new_id attaches device_dax to every unbound device that has memory */
static int fz_new_id(struct fz_model *m)
{
	int i;

	for (i = 0; i < FZ_MAX_ID; i++)
		if (fz_unbound_sized(&m->dev[i]))
			fz_probe(m, i);
	return 0;
}

/* strings no attribute parses, with the errno each one answers */
struct fz_garbage {
	const char *attr;	/* "size", "create", ... */
	const char *buf;
	int err;
};

static const struct fz_garbage fz_garbage_list[] = {
	{ "size", "abc", EINVAL },
	{ "size", "-1", EINVAL },
	{ "size", "-2097152", EINVAL },
	{ "size", " 2097152", EINVAL },
	{ "size", "2097152 ", EINVAL },
	{ "size", "2M", EINVAL },
	{ "size", "0x", EINVAL },
	{ "size", "\n", EINVAL },
	{ "size", "18446744073709551616", ERANGE },
	{ "size", "0x1ffffffffffffffff", ERANGE },
	{ "align", "abc", ENXIO },
	{ "align", "-1", ENXIO },
	{ "align", "2M", ENXIO },
	{ "align", "99999999999999999999", ENXIO },
	{ "mapping", "abc", EINVAL },
	{ "mapping", "-", EINVAL },
	{ "mapping", "-1", EINVAL },
	{ "mapping", "1-", EINVAL },
	{ "mapping", "x-1", EINVAL },
	{ "mapping", "1-2-3", EINVAL },
	{ "mapping", " 140000000-1401fffff", EINVAL },
	{ "mapping", "140000000-1401fffffg", EINVAL },
	{ "mapping", "10000000000000000-1", ERANGE },
	{ "create", "0", EINVAL },
	{ "create", "2", EINVAL },
	{ "create", "-1", EINVAL },
	{ "create", "abc", EINVAL },
	{ "create", "1 ", EINVAL },
	{ "create", "99999999999", ERANGE },
	{ "delete", "abc", ENXIO },
	{ "delete", "dax", ENXIO },
	{ "delete", "dax99.1", ENXIO },
	{ "new_id", "abc", EINVAL },
	{ "new_id", "dax0", EINVAL },
	{ "new_id", "dax0.1x", EINVAL },
	{ "new_id", "dax00.1", EINVAL },
	{ "new_id", " dax0.1", EINVAL },
	{ "new_id", "dax0.1 ", EINVAL },
	{ "remove_id", "abc", EINVAL },
	{ "remove_id", "dax0.01", EINVAL },
	{ "remove_id", "\n", EINVAL },
	{ "bind", "abc", ENODEV },
	{ "bind", "dax99.0", ENODEV },
	{ "unbind", "abc", ENODEV },
	{ "unbind", "dax99.0", ENODEV },
};

#define FZ_NR_GARBAGE ARRAY_SIZE(fz_garbage_list)

/* the file a write of @attr goes to, for device @id of the region */
static void fz_attr_path(const struct dax_region *r, const struct fz_model *m,
			 const char *attr, int id, char *out)
{
	char name[DAX_NAME];

	fz_name(m, id, name);
	if (!strcmp(attr, "create") || !strcmp(attr, "delete"))
		dax_rpath(r, attr, out);
	else if (!strcmp(attr, "size") || !strcmp(attr, "align") ||
		 !strcmp(attr, "mapping"))
		dax_dpath(name, attr, out);
	else
		dax_drvpath("device_dax", attr, out);
}

static bool fz_can_bind(const struct fz_dev *d)
{
	return fz_dev_size(d) <= FZ_BIND_MAX;
}

/* new_id binds every unbound device with memory: only when all are small */
static bool fz_new_id_is_cheap(const struct fz_model *m)
{
	int i;

	for (i = 0; i < FZ_MAX_ID; i++)
		if (fz_unbound_sized(&m->dev[i]) && !fz_can_bind(&m->dev[i]))
			return false;
	return true;
}

static int fz_nr_live(const struct fz_model *m)
{
	int i, n = 0;

	for (i = 0; i < FZ_MAX_ID; i++)
		n += m->dev[i].live;
	return n;
}

static enum fz_kind fz_pick_kind(const struct fz_model *m, struct fz_rng *g)
{
	static const unsigned char weight[FZ_NR_KINDS] = {
		[FZ_CREATE] = 8, [FZ_DELETE] = 10, [FZ_SIZE] = 25,
		[FZ_MAPPING] = 18, [FZ_ALIGN] = 8, [FZ_BIND] = 3,
		[FZ_UNBIND] = 5, [FZ_NEW_ID] = 1, [FZ_REMOVE_ID] = 2,
		[FZ_GARBAGE] = 8,
	};
	unsigned int sum = 0, x, k;

	for (k = 0; k < FZ_NR_KINDS; k++)
		sum += weight[k];
	for (;;) {
		x = fz_below(g, sum);
		for (k = 0; x >= weight[k]; k++)
			x -= weight[k];
		if (k == FZ_CREATE && fz_nr_live(m) >= FZ_MAX_DEVS)
			continue;
		if (k == FZ_NEW_ID && !fz_new_id_is_cheap(m))
			continue;
		return k;
	}
}

/*
 * Choose the next write, fill in its file and bytes, and apply it to the
 * model: op->want is the answer the kernel must give.  Returns false when
 * the chosen write is one stock is not given (counted in @st).
 */
static bool fz_gen(const struct dax_region *r, struct fz_model *m,
		   struct fz_rng *g, struct fz_op *op, struct fz_stats *st)
{
	const struct fz_garbage *gb;
	int id = fz_pick_dev(m, g), rc;

	op->kind = fz_pick_kind(m, g);
	op->full = op->kind == FZ_CREATE || op->kind == FZ_DELETE ||
		   op->kind == FZ_NEW_ID;
	switch (op->kind) {
	case FZ_CREATE:
		fz_attr_path(r, m, "create", id, op->path);
		op->id = id;
		op->want = fz_create(m, g, op);
		return true;
	case FZ_DELETE:
		fz_attr_path(r, m, "delete", id, op->path);
		op->id = id;
		op->want = fz_delete(m, g, op);
		return true;
	case FZ_SIZE:
	case FZ_MAPPING:
	case FZ_ALIGN:
		/* a device that does not exist has no attribute file */
		while (!m->dev[id].live)
			id = fz_pick_dev(m, g);
		fz_attr_path(r, m, fz_kind_name[op->kind], id, op->path);
		op->id = id;
		if (op->kind == FZ_SIZE) {
			op->want = fz_size(m, g, op, id);
		} else if (op->kind == FZ_ALIGN) {
			op->want = fz_align(m, g, op, id, st);
		} else {
			rc = fz_mapping(m, g, op, id, st);
			if (rc > 0)
				return false;
			op->want = rc;
		}
		return true;
	case FZ_BIND:
		if (m->dev[id].live && !fz_can_bind(&m->dev[id]))
			return false;
		fz_attr_path(r, m, "bind", id, op->path);
		op->id = id;
		fz_name_arg(m, g, id, op->buf, sizeof(op->buf));
		op->want = fz_bind(m, id);
		return true;
	case FZ_UNBIND:
		fz_attr_path(r, m, "unbind", id, op->path);
		op->id = id;
		fz_name_arg(m, g, id, op->buf, sizeof(op->buf));
		op->want = fz_unbind(m, id);
		return true;
	case FZ_NEW_ID:
	case FZ_REMOVE_ID:
		fz_attr_path(r, m, fz_kind_name[op->kind], id, op->path);
		op->id = id;
		fz_name_arg(m, g, id, op->buf, sizeof(op->buf));
		op->want = op->kind == FZ_NEW_ID ? fz_new_id(m) : 0;
		return true;
	default:
		while (!m->dev[id].live)
			id = fz_pick_dev(m, g);
		gb = &fz_garbage_list[fz_below(g, FZ_NR_GARBAGE)];
		fz_attr_path(r, m, gb->attr, id, op->path);
		op->id = id;
		snprintf(op->buf, sizeof(op->buf), "%s", gb->buf);
		op->want = -gb->err;
		return true;
	}
}

/* ---- the model against sysfs -------------------------------------------- */

static int fz_id_of(const char *name, int region)
{
	int rid, id;

	if (sscanf(name, "dax%d.%d", &rid, &id) != 2 || rid != region)
		return -1;
	return id;
}

/* start the model from what the region holds now */
static int fz_model_init(struct fz_model *m, const struct dax_region *r,
			 const struct dax_state *s)
{
	int i, j, id;

	memset(m, 0, sizeof(*m));
	m->region = r->id;
	m->start = r->start;
	m->end = r->start + r->size - 1;
	m->align = r->align;
	m->stock = dax_impl_is_stock();
	m->seed = s->seed[0] ? fz_id_of(s->seed, r->id) : -1;
	m->youngest = s->youngest[0] ? fz_id_of(s->youngest, r->id) : -1;
	for (i = 0; i < s->ndev; i++) {
		const struct dax_dev_state *d = &s->dev[i];
		struct fz_dev *md;

		id = fz_id_of(d->name, r->id);
		if (id < 0 || id >= FZ_MAX_ID)
			return -ERANGE;
		md = &m->dev[id];
		md->live = true;
		md->bound = !strcmp(d->driver, "device_dax");
		if (d->driver[0] && !md->bound)
			return -EBUSY;
		md->align = d->align;
		md->nr = d->nr;
		for (j = 0; j < d->nr; j++) {
			md->r[j].start = d->r[j].start;
			md->r[j].end = d->r[j].end;
		}
	}
	return 0;
}

/* the region as sysfs must show it if the model is right */
static void fz_model_state(const struct fz_model *m, struct dax_state *s)
{
	int i, j;

	memset(s, 0, sizeof(*s));
	s->avail = fz_avail(m);
	if (m->seed >= 0)
		fz_name(m, m->seed, s->seed);
	if (m->youngest >= 0)
		fz_name(m, m->youngest, s->youngest);
	for (i = 0; i < FZ_MAX_ID; i++) {
		const struct fz_dev *md = &m->dev[i];
		struct dax_dev_state *d = &s->dev[s->ndev];
		uint64_t pg = 0;

		if (!md->live)
			continue;
		s->ndev++;
		fz_name(m, i, d->name);
		d->size = fz_dev_size(md);
		d->align = md->align;
		snprintf(d->driver, sizeof(d->driver), "%s",
			 md->bound ? "device_dax" : "");
		d->nr = md->nr;
		for (j = 0; j < md->nr; j++) {
			d->r[j].start = md->r[j].start;
			d->r[j].end = md->r[j].end;
			d->r[j].pgoff = pg;
			d->r[j].id = j;
			pg += fz_len(&md->r[j]) / SZ_4K;
		}
	}
}

/* mappingN must be numbered in page offset order */
static int fz_check_mapping_ids(const struct dax_state *s, char *msg)
{
	int i, j;

	for (i = 0; i < s->ndev; i++)
		for (j = 0; j < s->dev[i].nr; j++)
			if (s->dev[i].r[j].id != j) {
				dax_msg(msg, "%s: mapping%d has page offset %#"
					PRIx64 ", the %d-th", s->dev[i].name,
					s->dev[i].r[j].id, s->dev[i].r[j].pgoff,
					j);
				return 1;
			}
	return 0;
}

/* space a bound device gave back becomes allocatable once it is clean */
static int fz_wait_scrub(const struct dax_region *r)
{
	char p[PATH_MAX];
	uint64_t pending;
	int i;

	if (access(dax_rpath(r, "scrub_pending", p), F_OK))
		return 0;
	for (i = 0; i < 60000; i++) {
		if (dax_read_u64(p, &pending))
			return -EIO;
		if (!pending)
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

/*
 * The region as sysfs shows it, read in full, or (@full false) only as
 * far as a write to device @id can change it: available_size, seed,
 * create, every device's size, and all of device @id.  What is not read
 * is copied from @want.
 */
static int fz_snapshot(const struct dax_region *r, const struct dax_state *want,
		       int region, int id, bool full, struct dax_state *got)
{
	char name[DAX_NAME], p[PATH_MAX];
	int i;

	if (full)
		return dax_snapshot(r, got);
	*got = *want;
	got->avail = dax_region_u64(r, "available_size");
	dax_read(dax_rpath(r, "seed", p), got->seed, sizeof(got->seed));
	dax_read(dax_rpath(r, "create", p), got->youngest,
		 sizeof(got->youngest));
	snprintf(name, sizeof(name), "dax%d.%d", region, id);
	for (i = 0; i < got->ndev; i++) {
		struct dax_dev_state *d = &got->dev[i];

		if (!strcmp(d->name, name)) {
			if (dax_dev_read(name, d))
				return -ENOENT;
		} else {
			d->size = dax_dev_u64(d->name, "size");
		}
	}
	return 0;
}

/* 0 when sysfs shows the model's region, else 1 with the difference */
static int fz_compare(const struct dax_region *r, const struct fz_model *m,
		      const struct fz_op *op, bool full, char *msg)
{
	static struct dax_state want, got;

	msg[0] = '\0';
	fz_model_state(m, &want);
	if (fz_snapshot(r, &want, m->region, op->id, full, &got)) {
		dax_msg(msg, "snapshot failed");
		return 1;
	}
	if (!dax_state_cmp(&want, &got, true, msg))
		return fz_check_mapping_ids(&got, msg);
	msg[0] = '\0';
	dax_msg(msg, "model: ");
	dax_describe(&want, msg);
	dax_msg(msg, "\nsysfs: ");
	dax_describe(&got, msg);
	return 1;
}

/* printable form of a write: newlines shown as \n */
static const char *fz_show(const char *buf)
{
	static char out[256];
	size_t n = 0;

	for (; *buf && n < sizeof(out) - 3; buf++) {
		if (*buf == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else {
			out[n++] = *buf;
		}
	}
	out[n] = '\0';
	return out;
}

/* put the region back: unbind, empty and delete through sysfs */
static void fz_model_clean(const struct dax_region *r, struct fz_model *m,
			   const struct dax_state *start)
{
	char name[DAX_NAME];
	int i;

	for (i = 0; i < FZ_MAX_ID; i++) {
		const struct dax_dev_state *old;
		struct fz_dev *d = &m->dev[i];

		fz_name(m, i, name);
		dax_drv_write("device_dax", "remove_id", name);
		if (!d->live)
			continue;
		old = dax_state_dev(start, name);
		if (d->bound)
			dax_drv_write("device_dax", "unbind", name);
		if (!old || !old->size)
			dax_set_size(name, 0);
		if (old && old->align != d->align)
			dax_set_align(name, old->align);
		if (!old)
			dax_delete(r, name);
		else if (old->driver[0])
			dax_drv_write(old->driver, "bind", name);
	}
	fz_wait_scrub(r);
}

FIXTURE(fuzz) {
	struct dax_region r;
	struct dax_state start;
};

FIXTURE_SETUP(fuzz)
{
	char buf[8];

	DAX_FIXTURE_SETUP(self);
	if (self->start.avail != self->r.size)
		SKIP(return, "region already has allocations");
	if (access(DAX_DRIVERS "/device_dax", F_OK))
		SKIP(return, "device_dax is not loaded");
	if (dax_read("/sys/module/dax_hmem/parameters/region_idle", buf,
		     sizeof(buf)) <= 0 || (buf[0] != 'Y' && buf[0] != '1'))
		SKIP(return, "device_dax must be the default driver (region_idle=1)");
}

FIXTURE_TEARDOWN_PARENT(fuzz)
{
	char name[DAX_NAME];
	int i;

	DAX_TEARDOWN_BEGIN();
	for (i = 0; i < FZ_MAX_ID; i++) {
		snprintf(name, sizeof(name), "dax%d.%d", self->r.id, i);
		dax_drv_write("device_dax", "remove_id", name);
	}
	fz_wait_scrub(&self->r);
	DAX_FIXTURE_TEARDOWN(self);
}

static void fz_print_stats(const struct fz_stats *st, bool stock)
{
	int k;

	printf("# %lu writes, model and kernel agreed on all of them\n",
	       st->total);
	for (k = 0; k < FZ_NR_KINDS; k++)
		printf("# %-9s %6lu writes: %6lu accepted, %6lu refused\n",
		       fz_kind_name[k], st->ops[k], st->ok[k],
		       st->ops[k] - st->ok[k]);
	if (!stock) {
		printf("# nothing filtered (this tree's own rules)\n");
		return;
	}
	for (k = 0; k < FZ_NR_FILTERS; k++)
		printf("# stock: left out %6lu times: %s\n", st->filtered[k],
		       fz_filter_name[k]);
}

static double fz_seconds(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* where a failure happened and how to replay it */
static const char *fz_where(unsigned int seed, unsigned int i,
			    const struct fz_op *op)
{
	static char out[PATH_MAX + 512];

	snprintf(out, sizeof(out),
		 "seed %u op %u: '%s' > %s (replay: --seed %u --seeds 1 --ops %u --full-every 1):",
		 seed, i, fz_show(op->buf), op->path, seed, i + 1);
	return out;
}

TEST_F_TIMEOUT(fuzz, model_predicts_every_op, 3600)
{
	static struct fz_model m;
	static struct fz_stats st;
	static struct dax_state now;
	unsigned int seed, i;
	char msg[DAX_MSG];
	struct timespec t0;
	struct fz_rng g;
	bool full;
	struct fz_op op;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	printf("# seeds %u..%u, %u writes each, %s rules\n", fz_first_seed,
	       fz_first_seed + fz_nr_seeds - 1, fz_nr_ops,
	       dax_impl_is_stock() ? "stock" : "this tree's");
	fflush(stdout);
	for (seed = fz_first_seed; seed < fz_first_seed + fz_nr_seeds; seed++) {
		ASSERT_EQ(0, dax_snapshot(&self->r, &now));
		ASSERT_EQ(0, fz_model_init(&m, &self->r, &now))
			TH_LOG("region holds a device the model cannot take");
		g.s = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed << 17);
		fz_next(&g);
		for (i = 0; i < fz_nr_ops; i++) {
			if (!fz_gen(&self->r, &m, &g, &op, &st)) {
				i--;
				continue;
			}
			rc = dax_write_str(op.path, op.buf);
			ASSERT_EQ(0, fz_wait_scrub(&self->r));
			st.total++;
			st.ops[op.kind]++;
			st.ok[op.kind] += !rc;
			ASSERT_EQ(op.want, rc)
				TH_LOG("%s got %d (%s), model says %d (%s)",
				       fz_where(seed, i, &op), rc, strerror(-rc),
				       op.want, strerror(-op.want));
			full = op.full || fz_full_every < 2 || !(i % fz_full_every);
			ASSERT_EQ(0, fz_compare(&self->r, &m, &op, full, msg))
				TH_LOG("%s returned %d, region differs:\n%s",
				       fz_where(seed, i, &op), rc, msg);
			if (!((i + 1) % 500)) {
				printf("# seed %u: %u writes, %.1f s\n", seed,
				       i + 1, fz_seconds(&t0));
				fflush(stdout);
			}
		}
		fz_model_clean(&self->r, &m, &self->start);
		ASSERT_EQ(0, dax_snapshot(&self->r, &now));
		ASSERT_EQ(0, dax_state_cmp(&self->start, &now, false, msg))
			TH_LOG("seed %u: region not restored:\n%s", seed, msg);
		printf("# seed %u: %u writes as predicted, %.1f s so far\n",
		       seed, fz_nr_ops, fz_seconds(&t0));
		fflush(stdout);
	}
	fz_print_stats(&st, dax_impl_is_stock());
	printf("# %.1f s\n", fz_seconds(&t0));
}

/* take --seed, --seeds and --ops; leave the rest to the harness */
static int fz_parse_args(int argc, char **argv)
{
	int i, n = 1;

	for (i = 1; i < argc; i++) {
		unsigned int *dst = NULL;

		if (!strcmp(argv[i], "--seed"))
			dst = &fz_first_seed;
		else if (!strcmp(argv[i], "--seeds"))
			dst = &fz_nr_seeds;
		else if (!strcmp(argv[i], "--ops"))
			dst = &fz_nr_ops;
		else if (!strcmp(argv[i], "--full-every"))
			dst = &fz_full_every;
		if (!dst) {
			argv[n++] = argv[i];
			continue;
		}
		if (i + 1 == argc) {
			fprintf(stderr, "%s needs a number\n", argv[i]);
			exit(KSFT_FAIL);
		}
		*dst = strtoul(argv[++i], NULL, 0);
	}
	argv[n] = NULL;
	return n;
}

int main(int argc, char **argv)
{
	argc = fz_parse_args(argc, argv);
	return test_harness_run(argc, argv);
}
