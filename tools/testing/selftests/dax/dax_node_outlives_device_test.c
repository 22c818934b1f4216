// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/daxX.Y node outlives its device.
 *
 * Opening the node points the devtmpfs inode's mapping at the dax
 * inode's.  Here the node is opened and closed, then held by an O_PATH
 * descriptor while the device is unbound and deleted (its dax inode is
 * freed after an RCU grace period); closing the descriptor then evicts
 * the devtmpfs inode, which must not read the freed mapping.  A KASAN
 * kernel reports that read as a slab-use-after-free in
 * shmem_evict_inode(), which the harness fails; on other kernels the
 * cases check that the node goes and the region gets its space back.
 */
#include "ext_drv_common.h"

#define ROUNDS 3
#define NR_TESTS (1 + 2 * ROUNDS)

static void skip_rest(const char *why)
{
	while (ext_test_nr < NR_TESTS)
		ext_skip("node_outlives_device", why);
}

static void one_round(struct dax_region *r, int round)
{
	char dev[DAX_NAME] = "", node[64];
	uint64_t avail = dax_region_u64(r, "available_size");
	int fd, held, err;

	err = dax_create_sized(r, dev, SZ_2M);
	if (!err)
		err = ext_bind(dev, "device_dax");
	snprintf(node, sizeof(node), "/dev/%s", dev);
	fd = err ? -1 : dax_chardev_open(dev);
	if (fd >= 0)
		close(fd);
	held = open(node, O_PATH);
	ext_result(!err && fd >= 0 && held >= 0,
		   "round%d_node_opened_and_held: %s, open %d, O_PATH %d",
		   round, dev, fd, held);

	ext_destroy_dev(r, dev);
	/* let the dax inode's RCU-deferred free happen first */
	usleep(200 * 1000);
	if (held >= 0)
		close(held);
	usleep(200 * 1000);
	ext_result(!dax_dev_exists(dev) && access(node, F_OK) &&
		   dax_region_u64(r, "available_size") == avail,
		   "round%d_device_gone_node_closed: %s exists %d, node %s, available %" PRIu64 " (was %" PRIu64 ")",
		   round, dev, dax_dev_exists(dev),
		   access(node, F_OK) ? "gone" : "still there",
		   dax_region_u64(r, "available_size"), avail);
}

int main(void)
{
	struct dax_region r;
	int round;

	ext_plan(NR_TESTS);
	if (dax_impl_is_stock()) {
		/* not run: on a KASAN kernel the rounds end in a report */
		skip_rest("stock divergence: the node's inode keeps the freed dax inode's mapping, its eviction reads it (KASAN: slab-use-after-free in shmem_evict_inode)");
		return 0;
	}
	if (dax_region_find(&r) || dax_region_u64(&r, "available_size") < SZ_2M) {
		skip_rest("no hmem dax region with 2M free");
		return 0;
	}
	ext_result(true, "setup: region %d", r.id);
	for (round = 0; round < ROUNDS; round++)
		one_round(&r, round);
	return ext_failures ? 1 : 0;
}
