// SPDX-License-Identifier: GPL-2.0
/*
 * Memory that kmem cannot hot-remove stays with its device.
 *
 * kmem is unbound while the device's memory block is online (movable,
 * so that it can be offlined for the cleanup later), so its
 * hot-remove fails ("still in use") and the memory stays System RAM.
 * The bus must then refuse to shrink, re-map, re-align or delete the
 * device (EBUSY), keep the memory out of available_size and refuse
 * device_dax; binding kmem again takes the memory back (one
 * "System RAM (kmem)" resource, not two), and after offlining it an
 * unbind finally removes it.
 */
#include "ext_drv_common.h"

#define NR_TESTS 10

static int block_state(uint64_t addr, uint64_t blk, const char *set,
		       char *state, size_t len)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/devices/system/memory/memory%" PRIu64
		 "/state", addr / blk);
	if (set)
		return dax_write_str(p, set);
	return dax_read(p, state, len) < 0 ? -1 : 0;
}

static void skip_rest(const char *why)
{
	while (ext_test_nr < NR_TESTS)
		ext_skip("kmem_held", why);
}

int main(void)
{
	uint64_t blk = dax_block_size(), a, avail, free_at;
	char dev[DAX_NAME] = "", state[32] = "";
	struct dax_region r;
	int err, n;

	ext_plan(NR_TESTS);
	if (dax_impl_is_stock()) {
		/* not run: the memory would stay System RAM for the rest of the boot */
		skip_rest("stock divergence: after a failed kmem hot-remove, size 0 succeeds and available_size counts memory that is still System RAM; create/mapping hand it out again");
		return 0;
	}
	if (dax_region_find(&r) || !blk) {
		skip_rest("no hmem dax region or memory blocks");
		return 0;
	}
	a = (r.start + blk - 1) / blk * blk;
	free_at = a + blk;
	if (dax_region_u64(&r, "available_size") != r.size ||
	    free_at + r.align - 1 > r.start + r.size - 1) {
		skip_rest("region too small or not idle");
		return 0;
	}

	err = dax_create(&r, dev);
	if (!err)
		err = dax_write_mapping(dev, a, a + blk - 1);
	if (!err)
		err = ext_bind(dev, "kmem");
	if (!err) {
		block_state(a, blk, NULL, state, sizeof(state));
		if (strncmp(state, "online", 6))
			err = block_state(a, blk, "online_movable", NULL, 0);
	}
	block_state(a, blk, NULL, state, sizeof(state));
	ext_result(!err && !strncmp(state, "online", 6),
		   "setup: %s on kmem, block %s", dev, state);
	if (err) {
		skip_rest("no kmem device");
		ext_destroy_dev(&r, dev);
		return 1;
	}

	/* unbind with the block online: the hot-remove fails */
	avail = dax_region_u64(&r, "available_size");
	err = dax_drv_write("kmem", "unbind", dev);
	n = ext_count_kmem_ram(a, a + blk - 1, NULL);
	ext_result(!err && !ext_dev_bound_to(dev, "kmem") && n == 1,
		   "unbind_keeps_ram: unbind %s, %d kmem resource(s) left",
		   err ? strerror(-err) : "ok", n);

	err = dax_set_size(dev, 0);
	ext_result(err == -EBUSY, "size_0_busy: %s", strerror(-err));
	err = dax_write_mapping(dev, free_at, free_at + r.align - 1);
	ext_result(err == -EBUSY, "mapping_busy: %s", strerror(-err));
	err = dax_set_align(dev, SZ_4K);
	ext_result(err == -EBUSY, "align_busy: %s", strerror(-err));
	err = dax_delete(&r, dev);
	ext_result(err == -EBUSY, "delete_busy: %s", strerror(-err));
	ext_result(dax_region_u64(&r, "available_size") == avail &&
		   dax_dev_u64(dev, "size") == blk,
		   "available_size_excludes: %" PRIu64 " (was %" PRIu64 "), size %" PRIu64,
		   dax_region_u64(&r, "available_size"), avail,
		   dax_dev_u64(dev, "size"));

	err = dax_drv_write("device_dax", "bind", dev);
	ext_result(err && !ext_dev_bound_to(dev, "device_dax"),
		   "device_dax_refused: bind %s", err ? strerror(-err) : "ok");
	if (ext_dev_bound_to(dev, "device_dax"))
		dax_unbind(dev);

	/* kmem takes the memory back instead of adding it twice */
	err = dax_drv_write("kmem", "bind", dev);
	n = ext_count_kmem_ram(a, a + blk - 1, NULL);
	ext_result(!err && ext_dev_bound_to(dev, "kmem") && n == 1,
		   "kmem_takes_back: bind %s, %d kmem resource(s)",
		   err ? strerror(-err) : "ok", n);

	/* offlined now, so the unbind removes it and the device is free */
	ext_unbind(dev);
	n = ext_count_kmem_ram(a, a + blk - 1, NULL);
	err = dax_set_size(dev, 0);
	ext_result(n == 0 && !err &&
		   dax_region_u64(&r, "available_size") == r.size,
		   "removed_after_offline: %d kmem resource(s), size 0 %s, available %" PRIu64,
		   n, err ? strerror(-err) : "ok",
		   dax_region_u64(&r, "available_size"));

	ext_destroy_dev(&r, dev);
	return ext_failures ? 1 : 0;
}
