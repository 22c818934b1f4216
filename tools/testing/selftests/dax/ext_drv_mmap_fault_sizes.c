// SPDX-License-Identifier: GPL-2.0
/*
 * Faults of every supported size: two-range devices with 4K, 2M and 1G
 * alignment (so PTE, PMD and PUD faults, since a device only serves
 * faults of its own alignment), ranges given in descending physical
 * order.  Every alignment unit gets a marker through one mapping and is
 * read back through a second mapping of just that unit.
 */
#include "ext_drv_common.h"

static const uint64_t aligns[] = { 0x1000, 0x200000, 0x40000000 };

#define NR_TESTS 3

static uint64_t tag(uint64_t align, uint64_t unit)
{
	return UINT64_C(0x6661756c74000000) ^ (align << 4) ^ unit;
}

/* step through at most 64 units so 4K devices stay quick */
static uint64_t unit_step(uint64_t units)
{
	return units > 64 ? units / 64 : 1;
}

static int check_device(const char *dev, uint64_t size, uint64_t align,
			uint64_t *bad)
{
	uint64_t units = size / align, u, step = unit_step(units);
	char *map, *one;
	int err;

	map = ext_map_dev(dev, size, MAP_SHARED, 0, &err);
	if (map == MAP_FAILED)
		return -err;
	for (u = 0; u < units; u += step)
		*(volatile uint64_t *)(map + u * align + align - 8) = tag(align, u);

	*bad = 0;
	for (u = 0; u < units; u += step) {
		one = ext_map_dev(dev, align, MAP_SHARED, u * align, &err);
		if (one == MAP_FAILED) {
			munmap(map, size);
			return -err;
		}
		if (*(volatile uint64_t *)(one + align - 8) != tag(align, u))
			(*bad)++;
		munmap(one, align);
	}
	munmap(map, size);
	return 0;
}

static void run_align(const struct dax_region *r, uint64_t align)
{
	uint64_t piece = align > r->align ? align : r->align;
	uint64_t first = (r->start + piece - 1) / piece * piece;
	uint64_t bad = 0;
	char dev[DAX_NAME] = "";
	int err;

	if (first + 2 * piece > r->start + r->size) {
		ext_skip("fault_sizes", "region cannot hold two aligned ranges");
		return;
	}

	err = dax_create(r, dev);
	if (!err)
		err = dax_set_align(dev, align);
	if (err == -EINVAL) {
		ext_diag("align %#" PRIx64 " not supported here", align);
		ext_skip("fault_sizes", "alignment not supported");
		ext_destroy_dev(r, dev);
		return;
	}
	if (!err)
		err = dax_write_mapping(dev, first + piece,
					first + 2 * piece - 1);
	if (!err)
		err = dax_write_mapping(dev, first, first + piece - 1);
	if (!err)
		err = ext_bind(dev, "device_dax");
	if (!err)
		err = check_device(dev, 2 * piece, align, &bad);
	ext_result(!err && !bad, "fault_sizes_%#" PRIx64 ": %s, %" PRIu64 " bad units",
		   align, err ? strerror(-err) : "mapped", bad);
	ext_destroy_dev(r, dev);
}

int main(void)
{
	struct dax_region r;
	unsigned int i;

	ext_plan(NR_TESTS);
	if (dax_region_find(&r) ||
	    dax_region_u64(&r, "available_size") != r.size) {
		for (i = 0; i < NR_TESTS; i++)
			ext_skip("fault_sizes", "no idle hmem dax region");
		return 0;
	}
	for (i = 0; i < NR_TESTS; i++)
		run_align(&r, aligns[i]);
	return ext_failures ? 1 : 0;
}
