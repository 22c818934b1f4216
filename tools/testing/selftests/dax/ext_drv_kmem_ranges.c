// SPDX-License-Identifier: GPL-2.0
/*
 * kmem on a device whose ranges are partly smaller than a memory block:
 * the two block sized ranges are hot-plugged on their own, the two small
 * ones are skipped (with a single message on our implementation), and
 * unbinding removes every "System RAM (kmem)" resource again.  Done
 * twice to catch leaks between bindings.
 */
#include "ext_drv_common.h"

#define NR_TESTS 6

/* "System RAM (kmem)" resources inside [start, end] */
/* kernel log lines after @fd's position that mention @dev and @word */
static int count_kmsg(int fd, const char *dev, const char *word)
{
	char rec[1024];
	ssize_t n;
	int hits = 0;

	if (fd < 0)
		return -1;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		if (strstr(rec, dev) && strstr(rec, word))
			hits++;
	}
	return hits;
}

static int kmsg_open_at_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

int main(void)
{
	uint64_t blk = dax_block_size(), a, end, first = 0;
	struct dax_region r;
	char dev[DAX_NAME] = "";
	int err, n, round, kfd, msgs;

	ext_plan(NR_TESTS);
	if (dax_region_find(&r) || !blk) {
		while (ext_test_nr < NR_TESTS)
			ext_skip("kmem_ranges", "no hmem dax region or memory blocks");
		return 0;
	}
	a = (r.start + blk - 1) / blk * blk;
	end = r.start + r.size - 1;
	if (dax_region_u64(&r, "available_size") != r.size ||
	    a + 3 * blk - 1 > end || blk < 8 * r.align) {
		while (ext_test_nr < NR_TESTS)
			ext_skip("kmem_ranges", "region too small or not idle");
		return 0;
	}

	/* block, small, small, block: none adjacent to the one before */
	err = dax_create(&r, dev);
	if (!err)
		err = dax_write_mapping(dev, a, a + blk - 1);
	if (!err)
		err = dax_write_mapping(dev, a + blk + r.align,
					a + blk + 2 * r.align - 1);
	if (!err)
		err = dax_write_mapping(dev, a + blk + 3 * r.align,
					a + blk + 4 * r.align - 1);
	if (!err)
		err = dax_write_mapping(dev, a + 2 * blk, a + 3 * blk - 1);
	ext_result(!err && ext_count_mappings(dev) == 4,
		   "kmem_ranges_setup: %s with 4 ranges", dev);
	if (err) {
		while (ext_test_nr < NR_TESTS)
			ext_skip("kmem_ranges", "no device");
		ext_destroy_dev(&r, dev);
		return 1;
	}

	for (round = 0; round < 2; round++) {
		kfd = kmsg_open_at_end();
		err = ext_bind(dev, "kmem");
		n = ext_count_kmem_ram(r.start, end, &first);
		ext_result(!err && n == 2 && first == a,
			   "kmem_ranges_bind_%d: %s, %d kmem resources", round,
			   err ? strerror(-err) : "bound", n);

		msgs = count_kmsg(kfd, dev, "small");
		if (kfd >= 0)
			close(kfd);
		if (round == 0) {
			if (!dax_impl_is_stock())
				ext_result(msgs == 1, "kmem_ranges_one_message: %d",
					   msgs);
			else
				ext_skip("kmem_ranges_one_message",
					 "stock reports each small range");
		}

		/* offlines the hot-plugged blocks, then unbinds */
		ext_unbind(dev);
		n = ext_count_kmem_ram(r.start, end, NULL);
		ext_result(n == 0 && !ext_dev_bound_to(dev, "kmem"),
			   "kmem_ranges_unbind_%d: %d kmem resources left", round,
			   n);
	}

	ext_destroy_dev(&r, dev);
	return ext_failures ? 1 : 0;
}
