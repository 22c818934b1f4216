// SPDX-License-Identifier: GPL-2.0
/*
 * A device-dax instance made of many (default 1024) discontiguous ranges,
 * written through `mapping` in a scrambled physical order, must map every
 * range at its file offset: each chunk gets a marker through the
 * multi-range device, then a single-range device over the same physical
 * span must find every marker at the physical address of its range.
 *
 * EXT_DRV_NR_RANGES overrides the number of ranges.
 */
#include "ext_drv_common.h"

#define MAGIC UINT64_C(0x6578745f64727600)

static uint64_t marker(uint64_t idx, int which)
{
	return (MAGIC ^ (idx << 8)) + which;
}

/* physical chunk for file chunk @i: a stride walk, never ascending by one */
static uint64_t scramble(uint64_t i, uint64_t n)
{
	uint64_t stride = 7;

	while (n % stride == 0)
		stride += 2;
	return (i * stride) % n;
}

static int fill_device(const char *dev, uint64_t base, uint64_t chunk,
		       uint64_t n)
{
	uint64_t i;
	int rc;

	for (i = 0; i < n; i++) {
		uint64_t start = base + scramble(i, n) * chunk;

		rc = dax_write_mapping(dev, start, start + chunk - 1);
		if (rc) {
			ext_diag("mapping %" PRIu64 " of %" PRIu64 ": %s", i, n,
				 strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* write both markers of every chunk, then read them all back */
static uint64_t write_and_check(char *map, uint64_t chunk, uint64_t n)
{
	uint64_t i, bad = 0;

	for (i = 0; i < n; i++) {
		volatile uint64_t *head = (uint64_t *)(map + i * chunk);
		volatile uint64_t *tail = (uint64_t *)(map + (i + 1) * chunk) - 1;

		*head = marker(i, 0);
		*tail = marker(i, 1);
	}
	for (i = 0; i < n; i++) {
		volatile uint64_t *head = (uint64_t *)(map + i * chunk);
		volatile uint64_t *tail = (uint64_t *)(map + (i + 1) * chunk) - 1;

		if (*head != marker(i, 0) || *tail != marker(i, 1))
			bad++;
	}
	return bad;
}

/* in the linear view, chunk i's markers live at its scrambled position */
static uint64_t check_linear(char *map, uint64_t chunk, uint64_t n)
{
	uint64_t i, bad = 0;

	for (i = 0; i < n; i++) {
		char *at = map + scramble(i, n) * chunk;
		volatile uint64_t *head = (uint64_t *)at;
		volatile uint64_t *tail = (uint64_t *)(at + chunk) - 1;

		if (*head != marker(i, 0) || *tail != marker(i, 1)) {
			if (bad++ < 4)
				ext_diag("chunk %" PRIu64 ": %#" PRIx64 " %#" PRIx64,
					 i, (uint64_t)*head, (uint64_t)*tail);
		}
	}
	return bad;
}

int main(void)
{
	const char *env = getenv("EXT_DRV_NR_RANGES");
	uint64_t n = env ? strtoull(env, NULL, 0) : 1024;
	uint64_t chunk, avail, bad, word;
	char dev[DAX_NAME] = "", lin[DAX_NAME] = "";
	struct dax_region r;
	int nr, err;
	char *map;

	ext_plan(5);
	if (dax_region_find(&r)) {
		ext_skip("many_ranges", "no hmem dax region");
		ext_skip("many_ranges_mmap", "no region");
		ext_skip("many_ranges_sigbus_past_end", "no region");
		ext_skip("many_ranges_physical_layout", "no region");
		ext_skip("many_ranges_cleanup", "no region");
		return 0;
	}
	chunk = r.align;
	avail = dax_region_u64(&r, "available_size");
	if (avail != r.size || r.size < n * chunk) {
		ext_diag("need an idle region of %" PRIu64 " bytes, %" PRIu64 " of %" PRIu64 " available",
			 n * chunk, avail, r.size);
		ext_skip("many_ranges", "region too small or not idle");
		ext_skip("many_ranges_mmap", "region too small or not idle");
		ext_skip("many_ranges_sigbus_past_end", "region too small or not idle");
		ext_skip("many_ranges_physical_layout", "region too small or not idle");
		ext_skip("many_ranges_cleanup", "region too small or not idle");
		return 0;
	}

	/* 1: the device really has n ranges and binds to device_dax */
	err = dax_create(&r, dev);
	if (!err)
		err = fill_device(dev, r.start, chunk, n);
	nr = err ? 0 : ext_count_mappings(dev);
	if (!err)
		err = ext_bind(dev, "device_dax");
	ext_result(!err && (uint64_t)nr == n,
		   "many_ranges: %s has %d ranges, bind %s", dev, nr,
		   err ? strerror(-err) : "ok");
	if (err || (uint64_t)nr != n) {
		ext_skip("many_ranges_mmap", "no device");
		ext_skip("many_ranges_sigbus_past_end", "no device");
		ext_skip("many_ranges_physical_layout", "no device");
		goto cleanup;
	}

	/* 2: every range is reachable through one big mapping */
	map = ext_map_dev(dev, (n + 1) * chunk, MAP_SHARED, 0, &err);
	if (map == MAP_FAILED) {
		ext_result(false, "many_ranges_mmap: mmap: %s", strerror(err));
		ext_skip("many_ranges_sigbus_past_end", "no mapping");
		ext_skip("many_ranges_physical_layout", "no mapping");
		goto cleanup;
	}
	bad = write_and_check(map, chunk, n);
	ext_result(!bad, "many_ranges_mmap: %" PRIu64 " of %" PRIu64 " chunks wrong",
		   bad, n);

	/* 3: the chunk after the last range is not backed */
	ext_result(!ext_probe_read((uint64_t *)(map + n * chunk), &word),
		   "many_ranges_sigbus_past_end");
	munmap(map, (n + 1) * chunk);

	/*
	 * 4: the markers sit at the physical addresses of their ranges.  The
	 * second device reads what the first wrote, which ours only allows
	 * with the region's scrub policy off (stock has no such policy).
	 */
	if (!dax_impl_is_stock())
		dax_region_write(&r, "scrub", "0");
	ext_destroy_dev(&r, dev);
	dev[0] = '\0';
	err = dax_create(&r, lin);
	if (!err)
		err = dax_write_mapping(lin, r.start, r.start + n * chunk - 1);
	if (!err)
		err = ext_bind(lin, "device_dax");
	map = err ? MAP_FAILED : ext_map_dev(lin, n * chunk, MAP_SHARED, 0, &err);
	if (map == MAP_FAILED) {
		ext_result(false, "many_ranges_physical_layout: %s",
			   strerror(err < 0 ? -err : err));
	} else {
		bad = check_linear(map, chunk, n);
		ext_result(!bad, "many_ranges_physical_layout: %" PRIu64 " of %" PRIu64 " chunks misplaced",
			   bad, n);
		munmap(map, n * chunk);
	}
	if (!dax_impl_is_stock())
		dax_region_write(&r, "scrub", "1");

cleanup:
	ext_destroy_dev(&r, dev);
	ext_destroy_dev(&r, lin);
	avail = dax_region_u64(&r, "available_size");
	ext_result(avail == r.size, "many_ranges_cleanup: available_size %#" PRIx64,
		   avail);
	return ext_failures ? 1 : 0;
}
