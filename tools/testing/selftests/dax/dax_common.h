/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers for the device-dax sub-division conformance tests.
 *
 * Everything here talks to sysfs only: find the region under test, read
 * and write attributes (returning -errno), take a snapshot of the whole
 * region (available_size, seed, every device with its size, align,
 * driver and mappings), compare two snapshots, check the accounting
 * invariants, and put a region back the way a snapshot says it was.
 */
#ifndef DAX_COMMON_H
#define DAX_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define SZ_4K	UINT64_C(0x1000)
#define SZ_2M	UINT64_C(0x200000)
#define SZ_1G	UINT64_C(0x40000000)

#define DAX_BUS		"/sys/bus/dax"
#define DAX_DEVICES	DAX_BUS "/devices"
#define DAX_DRIVERS	DAX_BUS "/drivers"
#define DAX_MAX_DEVS	64
#define DAX_MAX_RANGES	64
#define DAX_NAME	32
#define DAX_MSG		1024

struct dax_range {
	uint64_t start;
	uint64_t end;
	uint64_t pgoff;
	int id;			/* N of mappingN */
};

struct dax_dev_state {
	char name[DAX_NAME];
	uint64_t size;
	uint64_t align;
	char driver[DAX_NAME];	/* "" when unbound */
	int nr;
	struct dax_range r[DAX_MAX_RANGES];
};

struct dax_state {
	uint64_t avail;
	char seed[DAX_NAME];
	char youngest[DAX_NAME];
	int ndev;
	struct dax_dev_state dev[DAX_MAX_DEVS];
};

struct dax_region {
	char dir[PATH_MAX];	/* .../hmem.N/dax_region */
	char pdev[PATH_MAX];	/* .../hmem.N */
	int id;
	uint64_t start;
	uint64_t size;
	uint64_t align;
};

/* ---- plain sysfs access ------------------------------------------------ */

static inline int dax_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return n;
}

static inline int dax_read_u64(const char *path, uint64_t *val)
{
	char buf[64], *end;
	int rc;

	rc = dax_read(path, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	if (!rc)
		return -ENODATA;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || *end)
		return -EBADMSG;
	return 0;
}

/* Write exactly @len bytes in one write(); 0 on success, else -errno. */
static inline int dax_write(const char *path, const void *data, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	if (n < 0)
		n = -errno;
	else if ((size_t)n != len)
		n = -EIO;
	else
		n = 0;
	close(fd);
	return n;
}

static inline int dax_write_str(const char *path, const char *s)
{
	return dax_write(path, s, strlen(s));
}

static inline int dax_writef(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return dax_write_str(path, buf);
}

/* ---- paths ---------------------------------------------------------------- */

static inline const char *dax_rpath(const struct dax_region *r,
				    const char *attr, char *out)
{
	snprintf(out, PATH_MAX, "%s/%s", r->dir, attr);
	return out;
}

static inline const char *dax_dpath(const char *dev, const char *attr,
				    char *out)
{
	snprintf(out, PATH_MAX, DAX_DEVICES "/%s/%s", dev, attr);
	return out;
}

static inline const char *dax_drvpath(const char *drv, const char *attr,
				      char *out)
{
	snprintf(out, PATH_MAX, DAX_DRIVERS "/%s/%s", drv, attr);
	return out;
}

static inline int dax_region_write(const struct dax_region *r,
				   const char *attr, const char *s)
{
	char p[PATH_MAX];

	return dax_write_str(dax_rpath(r, attr, p), s);
}

static inline uint64_t dax_region_u64(const struct dax_region *r,
				      const char *attr)
{
	char p[PATH_MAX];
	uint64_t v = UINT64_MAX;

	dax_read_u64(dax_rpath(r, attr, p), &v);
	return v;
}

static inline int dax_dev_write(const char *dev, const char *attr,
				const char *s)
{
	char p[PATH_MAX];

	return dax_write_str(dax_dpath(dev, attr, p), s);
}

static inline uint64_t dax_dev_u64(const char *dev, const char *attr)
{
	char p[PATH_MAX];
	uint64_t v = UINT64_MAX;

	dax_read_u64(dax_dpath(dev, attr, p), &v);
	return v;
}

static inline int dax_set_size(const char *dev, uint64_t size)
{
	char p[PATH_MAX];

	return dax_writef(dax_dpath(dev, "size", p), "%" PRIu64, size);
}

static inline int dax_set_align(const char *dev, uint64_t align)
{
	char p[PATH_MAX];

	return dax_writef(dax_dpath(dev, "align", p), "%" PRIu64, align);
}

static inline int dax_write_mapping(const char *dev, uint64_t start,
				    uint64_t end)
{
	char p[PATH_MAX];

	return dax_writef(dax_dpath(dev, "mapping", p), "%" PRIx64 "-%" PRIx64,
			  start, end);
}

static inline int dax_drv_write(const char *drv, const char *attr,
				const char *s)
{
	char p[PATH_MAX];

	return dax_write_str(dax_drvpath(drv, attr, p), s);
}

/* Name of the driver bound to @dev, "" if none. */
static inline void dax_dev_driver(const char *dev, char *out, size_t len)
{
	char p[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	out[0] = '\0';
	n = readlink(dax_dpath(dev, "driver", p), link, sizeof(link) - 1);
	if (n <= 0)
		return;
	link[n] = '\0';
	snprintf(out, len, "%s", strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
}

static inline bool dax_dev_exists(const char *dev)
{
	char p[PATH_MAX];

	return access(dax_dpath(dev, "size", p), F_OK) == 0;
}

static inline const char *dax_impl(void)
{
	const char *s = getenv("DAX_IMPL");

	return s ? s : "stock";
}

static inline bool dax_impl_is_stock(void)
{
	return strcmp(dax_impl(), "ours") != 0;
}

/* ---- region discovery ----------------------------------------------------- */

static int dax_cmp_name(const void *a, const void *b)
{
	const char *x = a, *y = b;
	unsigned int xr = 0, xi = 0, yr = 0, yi = 0;

	sscanf(x, "dax%u.%u", &xr, &xi);
	sscanf(y, "dax%u.%u", &yr, &yi);
	if (xr != yr)
		return xr < yr ? -1 : 1;
	if (xi != yi)
		return xi < yi ? -1 : 1;
	return 0;
}

/* Device names of region @id, sorted by instance number. */
static inline int dax_list_devs(int id, char names[][DAX_NAME], int max)
{
	char prefix[DAX_NAME];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(prefix, sizeof(prefix), "dax%d.", id);
	d = opendir(DAX_DEVICES);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && n < max) {
		if (strncmp(de->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(names[n++], DAX_NAME, "%s", de->d_name);
	}
	closedir(d);
	qsort(names, n, DAX_NAME, dax_cmp_name);
	return n;
}

/*
 * Region start, from a source other than the dax attributes under test:
 * the one "Soft Reserved" entry of /proc/iomem whose size is the region
 * size. Only when that is ambiguous (several soft-reserved ranges of the
 * same size) fall back to the `resource` of a size-0 device, which is
 * the region start on stock.
 */
static inline int dax_region_find_start(struct dax_region *r)
{
	char names[DAX_MAX_DEVS][DAX_NAME], line[256];
	int i, n, found = 0;
	uint64_t s, e;
	FILE *f;

	f = fopen("/proc/iomem", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (!strstr(line, "Soft Reserved"))
				continue;
			if (sscanf(line, " %" SCNx64 "-%" SCNx64, &s, &e) != 2)
				continue;
			if (e - s + 1 == r->size && !found++)
				r->start = s;
		}
		fclose(f);
	}
	if (found == 1 && r->start)
		return 0;
	n = dax_list_devs(r->id, names, DAX_MAX_DEVS);
	for (i = 0; i < n; i++) {
		if (dax_dev_u64(names[i], "size") == 0) {
			r->start = dax_dev_u64(names[i], "resource");
			return 0;
		}
	}
	return -ENOENT;
}

/* The region with the lowest id (DAX_REGION env may name another id). */
static inline int dax_region_find(struct dax_region *r)
{
	const char *want = getenv("DAX_REGION");
	int best = INT_MAX, rc;
	char p[PATH_MAX];
	glob_t g;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (glob("/sys/devices/platform/hmem.*/dax_region", 0, NULL, &g))
		return -ENOENT;
	for (i = 0; i < g.gl_pathc; i++) {
		uint64_t id;

		snprintf(p, sizeof(p), "%s/id", g.gl_pathv[i]);
		if (dax_read_u64(p, &id))
			continue;
		if (want && (int)id != atoi(want))
			continue;
		if ((int)id < best) {
			best = id;
			snprintf(r->dir, sizeof(r->dir), "%s", g.gl_pathv[i]);
		}
	}
	globfree(&g);
	if (best == INT_MAX)
		return -ENOENT;
	r->id = best;
	snprintf(r->pdev, sizeof(r->pdev), "%.*s", (int)(strrchr(r->dir, '/') - r->dir),
		 r->dir);
	r->size = dax_region_u64(r, "size");
	r->align = dax_region_u64(r, "align");
	rc = dax_region_find_start(r);
	return rc;
}

/* ---- snapshot / compare / invariants -------------------------------------- */

static int dax_cmp_range(const void *a, const void *b)
{
	const struct dax_range *x = a, *y = b;

	return x->pgoff < y->pgoff ? -1 : x->pgoff > y->pgoff;
}

static inline int dax_dev_read(const char *name, struct dax_dev_state *d)
{
	char p[PATH_MAX], q[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (dax_read_u64(dax_dpath(name, "size", p), &d->size))
		return -ENOENT;
	dax_read_u64(dax_dpath(name, "align", p), &d->align);
	dax_dev_driver(name, d->driver, sizeof(d->driver));
	snprintf(p, sizeof(p), DAX_DEVICES "/%s", name);
	dir = opendir(p);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)) && d->nr < DAX_MAX_RANGES) {
		struct dax_range *rg = &d->r[d->nr];
		int id;

		if (sscanf(de->d_name, "mapping%d", &id) != 1)
			continue;
		rg->id = id;
		snprintf(q, sizeof(q), "%s/%s/start", p, de->d_name);
		dax_read_u64(q, &rg->start);
		snprintf(q, sizeof(q), "%s/%s/end", p, de->d_name);
		dax_read_u64(q, &rg->end);
		snprintf(q, sizeof(q), "%s/%s/page_offset", p, de->d_name);
		dax_read_u64(q, &rg->pgoff);
		d->nr++;
	}
	closedir(dir);
	qsort(d->r, d->nr, sizeof(d->r[0]), dax_cmp_range);
	return 0;
}

static inline const struct dax_dev_state *
dax_state_dev(const struct dax_state *s, const char *name)
{
	int i;

	for (i = 0; i < s->ndev; i++)
		if (!strcmp(s->dev[i].name, name))
			return &s->dev[i];
	return NULL;
}

static inline int dax_snapshot(const struct dax_region *r, struct dax_state *s)
{
	char names[DAX_MAX_DEVS][DAX_NAME], p[PATH_MAX];
	int i, n;

	memset(s, 0, sizeof(*s));
	s->avail = dax_region_u64(r, "available_size");
	dax_read(dax_rpath(r, "seed", p), s->seed, sizeof(s->seed));
	dax_read(dax_rpath(r, "create", p), s->youngest, sizeof(s->youngest));
	n = dax_list_devs(r->id, names, DAX_MAX_DEVS);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++)
		if (!dax_dev_read(names[i], &s->dev[s->ndev]))
			s->ndev++;
	return 0;
}

#define dax_msg(m, fmt, ...) \
	snprintf((m) + strlen(m), DAX_MSG - strlen(m), fmt, ##__VA_ARGS__)

static inline void dax_describe(const struct dax_state *s, char *m)
{
	int i, j;

	dax_msg(m, "avail=%#" PRIx64 " seed='%s' create='%s'", s->avail,
		s->seed, s->youngest);
	for (i = 0; i < s->ndev; i++) {
		const struct dax_dev_state *d = &s->dev[i];

		dax_msg(m, " [%s size=%#" PRIx64 " align=%#" PRIx64 " drv='%s'",
			d->name, d->size, d->align, d->driver);
		for (j = 0; j < d->nr; j++)
			dax_msg(m, " %#" PRIx64 "-%#" PRIx64 "@%#" PRIx64,
				d->r[j].start, d->r[j].end, d->r[j].pgoff);
		dax_msg(m, "]");
	}
}

/* 0 when equal; otherwise 1 and a description of the difference in @m. */
static inline int dax_state_cmp(const struct dax_state *a,
				const struct dax_state *b, bool youngest,
				char *m)
{
	int i, j, diff = 0;

	m[0] = '\0';
	if (a->avail != b->avail || strcmp(a->seed, b->seed) ||
	    (youngest && strcmp(a->youngest, b->youngest)) ||
	    a->ndev != b->ndev)
		diff = 1;
	for (i = 0; !diff && i < a->ndev; i++) {
		const struct dax_dev_state *x = &a->dev[i], *y = &b->dev[i];

		if (strcmp(x->name, y->name) || x->size != y->size ||
		    x->align != y->align || strcmp(x->driver, y->driver) ||
		    x->nr != y->nr)
			diff = 1;
		for (j = 0; !diff && j < x->nr; j++)
			if (x->r[j].start != y->r[j].start ||
			    x->r[j].end != y->r[j].end ||
			    x->r[j].pgoff != y->r[j].pgoff)
				diff = 1;
	}
	if (diff) {
		dax_msg(m, "before: ");
		dax_describe(a, m);
		dax_msg(m, "\nafter:  ");
		dax_describe(b, m);
	}
	return diff;
}

/* A failed write must change nothing, not even the `create` readback. */
static inline int dax_state_diff(const struct dax_state *a,
				 const struct dax_state *b, char *m)
{
	return dax_state_cmp(a, b, true, m);
}

/*
 * Accounting and layout invariants (issue cases 1 and 9):
 * available_size + sum(device sizes) == region size; every range lies in
 * the region, ranges never overlap (within or across devices); per device
 * the page offsets are contiguous in mapping order and the range lengths
 * sum to the device size.
 */
static inline int dax_check_invariants(const struct dax_region *r, char *m)
{
	static struct dax_range all[DAX_MAX_DEVS * 4];
	struct dax_state s;
	uint64_t total;
	int i, j, k, nall = 0;

	m[0] = '\0';
	if (dax_snapshot(r, &s)) {
		dax_msg(m, "snapshot failed");
		return -1;
	}
	total = s.avail;
	for (i = 0; i < s.ndev; i++) {
		const struct dax_dev_state *d = &s.dev[i];
		uint64_t sum = 0, pg = 0;

		total += d->size;
		for (j = 0; j < d->nr; j++) {
			const struct dax_range *rg = &d->r[j];

			if (rg->end < rg->start || rg->start < r->start ||
			    rg->end > r->start + r->size - 1) {
				dax_msg(m, "%s range %#" PRIx64 "-%#" PRIx64
					" outside region ", d->name, rg->start,
					rg->end);
				return -1;
			}
			if (rg->pgoff != pg) {
				dax_msg(m, "%s range %d pgoff %#" PRIx64
					" expected %#" PRIx64 " ", d->name, j,
					rg->pgoff, pg);
				return -1;
			}
			pg += (rg->end - rg->start + 1) / SZ_4K;
			sum += rg->end - rg->start + 1;
			if (nall < (int)(sizeof(all) / sizeof(all[0])))
				all[nall++] = *rg;
		}
		if (sum != d->size) {
			dax_msg(m, "%s ranges sum %#" PRIx64 " != size %#"
				PRIx64 " ", d->name, sum, d->size);
			return -1;
		}
	}
	for (j = 0; j < nall; j++)
		for (k = j + 1; k < nall; k++)
			if (all[j].start <= all[k].end &&
			    all[k].start <= all[j].end) {
				dax_msg(m, "overlap %#" PRIx64 "-%#" PRIx64
					" and %#" PRIx64 "-%#" PRIx64 " ",
					all[j].start, all[j].end, all[k].start,
					all[k].end);
				return -1;
			}
	if (total != r->size) {
		dax_msg(m, "available %#" PRIx64 " + device sizes = %#" PRIx64
			" != region size %#" PRIx64 " ", s.avail, total,
			r->size);
		dax_describe(&s, m);
		return -1;
	}
	return 0;
}

/* MemTotal of /proc/meminfo in bytes, 0 if it cannot be read */
static inline uint64_t dax_memtotal(void)
{
	char line[256];
	uint64_t kb = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %" SCNu64, &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* write @pdev (hmem.N) to the hmem platform driver's bind or unbind */
static inline int dax_hmem_driver_write(const char *attr, const char *pdev)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/bus/platform/drivers/hmem/%s", attr);
	return dax_write_str(p, pdev);
}

/* ---- device lifecycle ----------------------------------------------------- */

/* Write 1 to `create` and return the new device's name in @name. */
static inline int dax_create(const struct dax_region *r, char *name)
{
	char p[PATH_MAX];
	int rc;

	rc = dax_region_write(r, "create", "1");
	if (rc)
		return rc;
	rc = dax_read(dax_rpath(r, "create", p), name, DAX_NAME);
	if (rc <= 0)
		return rc ? rc : -ENODATA;
	return 0;
}

static inline int dax_create_sized(const struct dax_region *r, char *name,
				   uint64_t size)
{
	int rc = dax_create(r, name);

	if (rc)
		return rc;
	return size ? dax_set_size(name, size) : 0;
}

static inline int dax_delete(const struct dax_region *r, const char *name)
{
	return dax_region_write(r, "delete", name);
}

/*
 * Memory block size in bytes. block_size_bytes is hex without a "0x"
 * prefix ("8000000" is 128M), so it cannot go through dax_read_u64(),
 * which would read it as decimal.
 */
static inline uint64_t dax_block_size(void)
{
	char buf[64], *end;
	uint64_t bs;

	if (dax_read("/sys/devices/system/memory/block_size_bytes", buf,
		     sizeof(buf)) <= 0)
		return 0;
	errno = 0;
	bs = strtoull(buf, &end, 16);
	if (errno || *end)
		return 0;
	return bs;
}

/* Offline every memory block inside [start, end]. */
static inline void dax_offline_blocks(uint64_t start, uint64_t end)
{
	char p[PATH_MAX];
	uint64_t bs = dax_block_size(), a;

	if (!bs)
		return;
	for (a = start - start % bs; a <= end; a += bs) {
		snprintf(p, sizeof(p),
			 "/sys/devices/system/memory/memory%" PRIu64 "/state",
			 a / bs);
		dax_write_str(p, "offline");
	}
}

/* Detach @dev from whatever driver holds it (offlining kmem memory first). */
static inline int dax_unbind(const char *dev)
{
	char drv[DAX_NAME];
	struct dax_dev_state d;
	int i;

	dax_dev_driver(dev, drv, sizeof(drv));
	if (!drv[0])
		return 0;
	if (!strcmp(drv, "kmem") && !dax_dev_read(dev, &d))
		for (i = 0; i < d.nr; i++)
			dax_offline_blocks(d.r[i].start, d.r[i].end);
	return dax_drv_write(drv, "unbind", dev);
}

/* Bind @dev to device_dax the way daxctl does: new_id (which attaches). */
static inline int dax_bind_devdax(const char *dev)
{
	char drv[DAX_NAME];
	int rc;

	rc = dax_drv_write("device_dax", "new_id", dev);
	if (rc)
		return rc;
	dax_dev_driver(dev, drv, sizeof(drv));
	if (strcmp(drv, "device_dax"))
		return -ENXIO;
	return 0;
}

/*
 * Put the region back to @s (the `create` readback excepted: deleting
 * the youngest device clears it for good): every device that was not there is unbound,
 * shrunk and deleted; every device that was there gets its driver, align
 * and (when it was 0) size back. new_id entries for all names are removed.
 * Returns 0 when the region then matches @s, else 1 with the diff in @m.
 */
static inline int dax_restore(const struct dax_region *r,
			      const struct dax_state *s, char *m)
{
	struct dax_state now;
	int i;

	dax_snapshot(r, &now);
	for (i = now.ndev - 1; i >= 0; i--) {
		const struct dax_dev_state *d = &now.dev[i];
		const struct dax_dev_state *old = dax_state_dev(s, d->name);

		if (old && !strcmp(old->driver, d->driver) &&
		    old->size == d->size && old->nr == d->nr &&
		    old->align == d->align)
			continue;
		dax_unbind(d->name);
		dax_drv_write("device_dax", "remove_id", d->name);
		dax_drv_write("kmem", "remove_id", d->name);
		if (!old || old->size == 0)
			dax_set_size(d->name, 0);
		if (old && old->align != d->align)
			dax_set_align(d->name, old->align);
		if (!old)
			dax_delete(r, d->name);
		else if (old->driver[0])
			dax_drv_write(old->driver, "bind", d->name);
	}
	dax_snapshot(r, &now);
	return dax_state_cmp(s, &now, false, m);
}

/* ---- kselftest_harness glue ----------------------------------------------- */

#ifdef ASSERT_EQ
/* Accounting invariant after a mutating step. */
#define ASSERT_INVARIANTS(r) do { \
	char __m[DAX_MSG]; \
	int __rc = dax_check_invariants(r, __m); \
	ASSERT_EQ(0, __rc) TH_LOG("invariant broken: %s", __m); \
} while (0)

/* Snapshot, write, expect -err, expect the region unchanged. */
#define ASSERT_WRITE_FAILS(r, path, data, len, err) do { \
	static struct dax_state __a, __b; \
	char __m[DAX_MSG]; \
	int __rc; \
	ASSERT_EQ(0, dax_snapshot(r, &__a)); \
	__rc = dax_write(path, data, len); \
	ASSERT_EQ(-(err), __rc) TH_LOG("write to %s: got %d (%s), want %d", \
			path, __rc, strerror(-__rc), -(err)); \
	ASSERT_EQ(0, dax_snapshot(r, &__b)); \
	ASSERT_EQ(0, dax_state_diff(&__a, &__b, __m)) \
		TH_LOG("failed write changed state:\n%s", __m); \
	ASSERT_INVARIANTS(r); \
} while (0)

#define ASSERT_STR_FAILS(r, path, str, err) \
	ASSERT_WRITE_FAILS(r, path, str, strlen(str), err)

/* Same, for a helper that returns -errno and must not change the region. */
#define ASSERT_FAILS_UNCHANGED(r, expr, err) do { \
	static struct dax_state __a, __b; \
	char __m[DAX_MSG]; \
	int __rc; \
	ASSERT_EQ(0, dax_snapshot(r, &__a)); \
	__rc = (expr); \
	ASSERT_EQ(-(err), __rc) TH_LOG("%s: got %d (%s), want %d", #expr, \
			__rc, strerror(-__rc), -(err)); \
	ASSERT_EQ(0, dax_snapshot(r, &__b)); \
	ASSERT_EQ(0, dax_state_diff(&__a, &__b, __m)) \
		TH_LOG("failed write changed state:\n%s", __m); \
	ASSERT_INVARIANTS(r); \
} while (0)

/* A successful mutating step, followed by the invariant check. */
#define ASSERT_OK_STEP(r, expr) do { \
	int __rc = (expr); \
	ASSERT_EQ(0, __rc) TH_LOG("%s: %d (%s)", #expr, __rc, strerror(-__rc)); \
	ASSERT_INVARIANTS(r); \
} while (0)

/* Divergence cases: asserted on ours, skipped on stock with the reason. */
#define SKIP_ON_STOCK(reason) do { \
	if (dax_impl_is_stock()) \
		SKIP(return, "stock divergence: %s", reason); \
} while (0)

/*
 * A divergence case whose write is harmless on stock: on stock, do the
 * write, record what stock answered and whether the region changed, and
 * SKIP with that as evidence; on ours, assert the errno and no change.
 */
#define ASSERT_STR_FAILS_OR_DIVERGES(r, path, str, err, reason) do { \
	if (dax_impl_is_stock()) { \
		static struct dax_state __a, __b; \
		char __m[DAX_MSG]; \
		int __rc; \
		dax_snapshot(r, &__a); \
		__rc = dax_write_str(path, str); \
		dax_snapshot(r, &__b); \
		SKIP(return, "stock divergence: %s [stock: '%s' -> %d (%s), " \
		     "region %s]", reason, str, __rc, \
		     __rc ? strerror(-__rc) : "success", \
		     dax_state_diff(&__a, &__b, __m) ? "changed" : "unchanged"); \
	} \
	ASSERT_STR_FAILS(r, path, str, err); \
} while (0)

/*
 * Common fixture body: find the region, remember its state, restore it.
 * Region state at start must be sane, or the test cannot mean anything.
 */
#define DAX_FIXTURE_SETUP(self) do { \
	char __m[DAX_MSG]; \
	ASSERT_EQ(0, dax_region_find(&(self)->r)) \
		TH_LOG("no dax region under /sys/devices/platform/hmem.*"); \
	ASSERT_EQ(0, dax_snapshot(&(self)->r, &(self)->start)); \
	ASSERT_EQ(0, dax_check_invariants(&(self)->r, __m)) TH_LOG("%s", __m); \
} while (0)

/*
 * A failed ASSERT in the test child longjmps out with the shared
 * _metadata->trigger still set, so in FIXTURE_TEARDOWN_PARENT the first
 * EXPECT would print its TH_LOG even when it passes. Clear it first.
 */
#define DAX_TEARDOWN_BEGIN() (_metadata->trigger = 0)

#define DAX_FIXTURE_TEARDOWN(self) do { \
	char __m[DAX_MSG]; \
	DAX_TEARDOWN_BEGIN(); \
	EXPECT_EQ(0, dax_restore(&(self)->r, &(self)->start, __m)) \
		TH_LOG("region not restored:\n%s", __m); \
} while (0)
#endif /* ASSERT_EQ */

#endif /* DAX_COMMON_H */

/*
 * Character device and driver name helpers shared by the driver, kmem,
 * mmap and ext_drv tests (kept after the main guard, with their own).
 */
#ifndef DAX_COMMON_CHARDEV_H
#define DAX_COMMON_CHARDEV_H

/* Name of the driver bound to @dev, "" if none; a static buffer. */
static inline const char *dax_driver_of(const char *dev)
{
	static char drv[DAX_NAME];

	dax_dev_driver(dev, drv, sizeof(drv));
	return drv;
}

/* Open /dev/@dev read-write: the fd, or -errno (errno is left set). */
static inline int dax_chardev_open(const char *dev)
{
	char p[PATH_MAX];
	int fd;

	snprintf(p, sizeof(p), "/dev/%s", dev);
	fd = open(p, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* 0 when /dev/@dev opens read-write (it is closed again), else -errno. */
static inline int dax_chardev_opens(const char *dev)
{
	int fd = dax_chardev_open(dev);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/*
 * Write @val to @path with the @nth allocation of this thread failing
 * (0: none), through @nth_fd, an open /proc/thread-self/fail-nth.
 * Returns 0 or -errno of the write; *@fired tells whether the failure
 * was injected, i.e. the write reached its @nth allocation.
 */
static inline int dax_write_nth_fault(int nth_fd, const char *path,
				      const char *val, int nth, bool *fired)
{
	char buf[16];
	ssize_t n;
	int fd, rc;

	*fired = false;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(buf, sizeof(buf), "%d", nth);
	if (nth && pwrite(nth_fd, buf, strlen(buf), 0) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	n = write(fd, val, strlen(val));
	rc = n < 0 ? -errno : 0;
	if (nth) {
		n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		*fired = n > 0 && atoi(buf) == 0;
		/* disarm whatever is left of the countdown */
		pwrite(nth_fd, "0", 1, 0);
	}
	close(fd);
	return rc;
}

/* A fault-injection attribute under debugfs and the value to give it. */
struct dax_fault_attr {
	const char *attr;	/* e.g. "failslab/verbose" */
	const char *val;
};

#define DAX_FAULT_DIR	"/sys/kernel/debug"
#define DAX_FAULT_OLD	24	/* room for an attribute's old value */

/*
 * Save the value of each of the @n attributes of @a in @old (which may
 * be memory the harness shares with a teardown in the parent), then set
 * them all. Returns 0, or -errno of the first one that cannot be read
 * (nothing is set then: FAILSLAB, FAIL_PAGE_ALLOC or debugfs missing)
 * or written.
 */
static inline int dax_faults_set(const struct dax_fault_attr *a, size_t n,
				 char (*old)[DAX_FAULT_OLD])
{
	char p[PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), DAX_FAULT_DIR "/%s", a[i].attr);
		rc = dax_read(p, old[i], DAX_FAULT_OLD);
		if (rc < 0) {
			old[i][0] = '\0';
			return rc;
		}
	}
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), DAX_FAULT_DIR "/%s", a[i].attr);
		rc = dax_write_str(p, a[i].val);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Put back the values saved in @old, last first (list probabilities last). */
static inline void dax_faults_restore(const struct dax_fault_attr *a,
				      size_t n, char (*old)[DAX_FAULT_OLD])
{
	char p[PATH_MAX];

	while (n--) {
		if (!old[n][0])
			continue;
		snprintf(p, sizeof(p), DAX_FAULT_DIR "/%s", a[n].attr);
		dax_write_str(p, old[n]);
	}
}

#endif /* DAX_COMMON_CHARDEV_H */
