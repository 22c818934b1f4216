// SPDX-License-Identifier: GPL-2.0
/*
 * mmap rules of /dev/daxX.Y on a two-range device: shared mappings only,
 * address, length and file offset aligned to the device alignment,
 * splits only on alignment boundaries, offsets reach the second range,
 * SIGBUS past the end.  The unaligned file offset check is ours only:
 * stock accepts such a MAP_FIXED mapping.  A mapping that mremap() moves
 * to an address off the alignment maps nothing.  Finally the device is
 * unbound and bound again and must still show what was written.
 */
#include "ext_drv_common.h"

#define NR_TESTS 9

static void skip_rest(const char *why)
{
	while (ext_test_nr < NR_TESTS)
		ext_skip("mmap_rules", why);
}

/* a free address aligned to @align, found by over-allocating */
static char *aligned_hole(size_t len, size_t align)
{
	char *p = mmap(NULL, len + align, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, len + align);
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	return (char *)a;
}

/*
 * 8: mremap() may move a mapping to an address off the alignment, where
 * no chunk of the device fits: touching it must raise SIGBUS, never map
 * memory at the wrong offset
 */
static void moved_off_alignment(int fd, uint64_t align)
{
	char *map, *hole, *moved;
	uint64_t word = 0;

	if (align == 4096) {
		ext_skip("mmap_rules_moved_off_alignment",
			 "4K alignment: every address is aligned");
		return;
	}
	map = mmap(NULL, align, PROT_READ, MAP_SHARED, fd, 0);
	hole = aligned_hole(2 * align, align);
	if (map == MAP_FAILED || !hole) {
		ext_result(false, "mmap_rules_moved_off_alignment: setup: %s",
			   strerror(errno));
		if (map != MAP_FAILED)
			munmap(map, align);
		return;
	}
	moved = mremap(map, align, align, MREMAP_MAYMOVE | MREMAP_FIXED,
		       hole + 4096);
	if (moved == MAP_FAILED) {
		ext_result(true, "mmap_rules_moved_off_alignment: mremap refused: %s",
			   strerror(errno));
		munmap(map, align);
		return;
	}
	ext_result(!ext_probe_read((uint64_t *)moved, &word) &&
		   !ext_probe_read((uint64_t *)(moved + align - 4096 - 8), &word),
		   "mmap_rules_moved_off_alignment: moved to %p, no chunk mapped",
		   moved);
	munmap(moved, align);
}

/* false if it had to stop early (and skipped what was left) */
static bool run(const char *dev, uint64_t align)
{
	uint64_t size = 2 * align, word = 0;
	volatile uint64_t *w;
	char *map, *off_map, *hole;
	int fd, err;

	fd = dax_chardev_open(dev);
	if (fd < 0) {
		ext_result(false, "mmap_rules_open: %s", strerror(errno));
		skip_rest("cannot open device");
		return false;
	}

	/* 1: private mappings are refused */
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	ext_result(map == MAP_FAILED && errno == EINVAL,
		   "mmap_rules_private_einval");
	if (map != MAP_FAILED)
		munmap(map, size);

	/* 2: a length below the alignment is refused */
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ext_result(map == MAP_FAILED && errno == EINVAL,
		   "mmap_rules_short_length_einval");
	if (map != MAP_FAILED)
		munmap(map, 4096);

	/* 3: an unaligned file offset at an aligned address is refused */
	hole = aligned_hole(align, align);
	if (dax_impl_is_stock()) {
		ext_skip("mmap_rules_unaligned_offset_einval",
			 "stock accepts unaligned offsets with MAP_FIXED");
	} else if (!hole) {
		ext_result(false, "mmap_rules_unaligned_offset_einval: no hole");
	} else {
		map = mmap(hole, align, PROT_READ, MAP_SHARED | MAP_FIXED, fd,
			   4096);
		ext_result(map == MAP_FAILED && errno == EINVAL,
			   "mmap_rules_unaligned_offset_einval");
		if (map != MAP_FAILED)
			munmap(map, align);
	}

	/* 4: a mapping at offset @align sees the second range */
	map = mmap(NULL, size + align, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	off_map = mmap(NULL, align, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		       align);
	err = errno;
	if (map == MAP_FAILED || off_map == MAP_FAILED) {
		ext_result(false, "mmap_rules_offset_view: %s", strerror(err));
		skip_rest("mmap failed");
		close(fd);
		return false;
	}
	w = (uint64_t *)(map + align + 64);
	*w = 0x5eca11edc0ffee00ULL;
	ext_result(*(volatile uint64_t *)(off_map + 64) == 0x5eca11edc0ffee00ULL,
		   "mmap_rules_offset_view");
	munmap(off_map, align);

	/* 5: the mapping cannot be split inside an alignment unit */
	ext_result(align == 4096 || munmap(map + 4096, 4096) == -1,
		   "mmap_rules_no_unaligned_split");

	/* 6: past the device size there is nothing to map */
	ext_result(!ext_probe_read((uint64_t *)(map + size), &word),
		   "mmap_rules_sigbus_past_end");

	/* 7: the first range still reads fine after all that */
	ext_result(ext_probe_read((uint64_t *)map, &word),
		   "mmap_rules_first_range_readable");
	munmap(map, size + align);
	moved_off_alignment(fd, align);
	close(fd);
	return true;
}

/* 9: a second binding maps the same memory again */
static void rebind_and_check(const char *dev, uint64_t align)
{
	uint64_t word = 0;
	char *map;
	int err;

	ext_unbind(dev);
	err = ext_bind(dev, "device_dax");
	map = err ? MAP_FAILED : ext_map_dev(dev, align, MAP_SHARED, align, &err);
	if (map == MAP_FAILED) {
		ext_result(false, "mmap_rules_rebind: %s", strerror(abs(err)));
		return;
	}
	ext_probe_read((uint64_t *)(map + 64), &word);
	ext_result(word == 0x5eca11edc0ffee00ULL, "mmap_rules_rebind: %#" PRIx64,
		   word);
	munmap(map, align);
}

int main(void)
{
	struct dax_region r;
	char dev[DAX_NAME] = "";
	uint64_t align;
	int err;

	ext_plan(NR_TESTS);
	if (dax_region_find(&r)) {
		skip_rest("no hmem dax region");
		return 0;
	}
	align = r.align;
	if (dax_region_u64(&r, "available_size") != r.size ||
	    r.size < 4 * align) {
		skip_rest("region too small or not idle");
		return 0;
	}

	/* two ranges: chunks 2 and 0, in that order */
	err = dax_create(&r, dev);
	if (!err)
		err = dax_write_mapping(dev, r.start + 2 * align,
					r.start + 3 * align - 1);
	if (!err)
		err = dax_write_mapping(dev, r.start, r.start + align - 1);
	if (!err)
		err = ext_bind(dev, "device_dax");
	if (err) {
		ext_diag("setting up %s: %s", dev, strerror(-err));
		skip_rest("no device");
	} else {
		if (run(dev, align))
			rebind_and_check(dev, align);
	}

	ext_destroy_dev(&r, dev);
	return ext_failures ? 1 : 0;
}
