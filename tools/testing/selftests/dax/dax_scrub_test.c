// SPDX-License-Identifier: GPL-2.0
/*
 * Memory is scrubbed before it changes hands.
 *
 * On a volatile region, what device A wrote must not be readable by a
 * device B that is given the same space after A gave it back, nor what
 * the kernel left in memory that kmem had as System RAM by the device
 * mapped as devdax afterwards.  Stock 6.12 hands such memory over as it
 * is: there these cases are skipped and the skip message records how
 * many bytes of the old contents the new owner read.
 *
 * Also: scrubbing space counts in available_size, a release returns
 * before the space is clean (scrub_pending is still non-zero right after
 * a 1G release), space no driver was bound to is free at once, and the
 * "scrub" attribute turns the policy off.
 */
#include "ext_drv_common.h"

#include <sys/syscall.h>

#define NR_TESTS	9
#define DEV_SIZE	(64 * SZ_2M)
#define BIG_SIZE	SZ_1G
#define PATTERN		0xa5
#define SYSRAM_FILL	0x5a
#define CLEAN_POLLS	6000	/* liveness bound: 10 minutes */
#define MPOL_DEFAULT	0
#define MPOL_PREFERRED	1

static struct dax_region r;

static void skip_rest(const char *why)
{
	while (ext_test_nr < NR_TESTS)
		ext_skip("scrub", why);
}

static uint64_t pending(void)
{
	return dax_region_u64(&r, "scrub_pending");
}

/* liveness only: the worker must get every byte clean eventually */
static bool wait_clean(void)
{
	int i;

	for (i = 0; i < CLEAN_POLLS && pending(); i++)
		usleep(100000);
	return pending() == 0;
}

/* fill the first @len bytes of @dev with @byte through a shared mapping */
static int fill_dev(const char *dev, uint64_t len, int byte)
{
	void *p;
	int err;

	p = ext_map_dev(dev, len, MAP_SHARED, 0, &err);
	if (p == MAP_FAILED)
		return -err;
	memset(p, byte, len);
	munmap(p, len);
	return 0;
}

/*
 * Bytes of [off, off + len) of @dev that are not zero (@nonzero) and that
 * equal @byte (@same); -errno if the device cannot be mapped.
 */
static int count_dev(const char *dev, uint64_t off, uint64_t len, int byte,
		     uint64_t *nonzero, uint64_t *same)
{
	const volatile unsigned char *p;
	void *map;
	uint64_t i;
	int err;

	*nonzero = *same = 0;
	map = ext_map_dev(dev, len, MAP_SHARED, off, &err);
	if (map == MAP_FAILED)
		return -err;
	p = map;
	for (i = 0; i < len; i += sizeof(uint64_t)) {
		uint64_t w = *(const volatile uint64_t *)(p + i);
		unsigned int b;

		if (!w)
			continue;
		for (b = 0; b < sizeof(w); b++) {
			*nonzero += p[i + b] != 0;
			*same += p[i + b] == byte;
		}
	}
	munmap(map, len);
	return 0;
}

/* a new device holding exactly [start, start + len) */
static int make_dev(char *dev, uint64_t start, uint64_t len)
{
	int err = dax_create(&r, dev);

	if (!err)
		err = dax_write_mapping(dev, start, start + len - 1);
	return err;
}

/* A writes the pattern through its mapping and is unbound again */
static int write_through(const char *dev, uint64_t len)
{
	int err = ext_bind(dev, "device_dax");

	if (!err)
		err = fill_dev(dev, len, PATTERN);
	ext_unbind(dev);
	return err;
}

/* B at @start reads what A left: report, assert zeros on ours */
static void check_second_owner(const char *name, uint64_t start,
			       uint64_t len)
{
	char b[DAX_NAME] = "", msg[DAX_MSG];
	uint64_t nz = 0, same = 0;
	int err;

	err = make_dev(b, start, len);
	if (!err)
		err = ext_bind(b, "device_dax");
	if (!err)
		err = count_dev(b, 0, len, PATTERN, &nz, &same);
	snprintf(msg, sizeof(msg),
		 "%s: B at %#" PRIx64 " read %" PRIu64 " of %" PRIu64
		 " bytes of A's pattern, %" PRIu64 " non-zero (%s)",
		 name, start, same, len, nz, err ? strerror(-err) : "ok");
	if (dax_impl_is_stock() && !err)
		ext_skip(name, msg);
	else
		ext_result(!err && nz == 0, "%s", msg);
	ext_destroy_dev(&r, b);
}

/* A gives its space back by being destroyed, B gets the same range */
static void test_device_to_device_delete(void)
{
	char a[DAX_NAME] = "";
	int err;

	err = make_dev(a, r.start, DEV_SIZE);
	if (!err)
		err = write_through(a, DEV_SIZE);
	ext_destroy_dev(&r, a);
	if (err) {
		ext_result(false, "delete_then_map: setup %s", strerror(-err));
		return;
	}
	check_second_owner("delete_then_map", r.start, DEV_SIZE);
}

/* A shrinks: B gets A's old tail; A keeps its own data in what it kept */
static void test_device_to_device_shrink(void)
{
	char a[DAX_NAME] = "";
	uint64_t nz = 0, same = 0;
	int err;

	err = make_dev(a, r.start, 2 * DEV_SIZE);
	if (!err)
		err = write_through(a, 2 * DEV_SIZE);
	if (!err)
		err = dax_set_size(a, DEV_SIZE);
	if (err) {
		ext_result(false, "shrink_then_map: setup %s", strerror(-err));
		ext_skip("shrink_keeps_rest", "no setup");
		ext_destroy_dev(&r, a);
		return;
	}
	check_second_owner("shrink_then_map", r.start + DEV_SIZE, DEV_SIZE);

	err = ext_bind(a, "device_dax");
	if (!err)
		err = count_dev(a, 0, DEV_SIZE, PATTERN, &nz, &same);
	ext_result(!err && same == DEV_SIZE,
		   "shrink_keeps_rest: A still reads %" PRIu64 " of %" PRIu64
		   " pattern bytes (%s)", same, (uint64_t)DEV_SIZE,
		   err ? strerror(-err) : "ok");
	ext_destroy_dev(&r, a);
}

/*
 * Shrink and grow of one device: the grown part reads zeros on ours
 * (whether it got its old tail back or other space); the rest keeps data.
 */
static void test_shrink_then_grow(void)
{
	uint64_t nz = 0, same = 0, keep_same = 0, keep_nz;
	char a[DAX_NAME] = "", msg[DAX_MSG];
	int err;

	err = make_dev(a, r.start, 2 * DEV_SIZE);
	if (!err)
		err = write_through(a, 2 * DEV_SIZE);
	if (!err)
		err = dax_set_size(a, DEV_SIZE);
	if (!err)
		err = dax_set_size(a, 2 * DEV_SIZE);
	if (!err)
		err = ext_bind(a, "device_dax");
	if (!err)
		err = count_dev(a, 0, DEV_SIZE, PATTERN, &keep_nz, &keep_same);
	if (!err)
		err = count_dev(a, DEV_SIZE, DEV_SIZE, PATTERN, &nz, &same);
	snprintf(msg, sizeof(msg),
		 "shrink_then_grow: grown half read %" PRIu64 " of %" PRIu64
		 " old pattern bytes, %" PRIu64 " non-zero; kept half %" PRIu64
		 " (%s)", same, (uint64_t)DEV_SIZE, nz, keep_same,
		 err ? strerror(-err) : "ok");
	if (dax_impl_is_stock() && !err)
		ext_skip("shrink_then_grow", msg);
	else
		ext_result(!err && nz == 0 && keep_same == DEV_SIZE, "%s", msg);
	ext_destroy_dev(&r, a);
}

/* both sides of the rule: never bound is free at once, bound is scrubbed */
static void test_release_rules(void)
{
	uint64_t left, avail;
	char c[DAX_NAME] = "";
	bool clean;
	int err;

	if (dax_impl_is_stock()) {
		ext_skip("never_bound_is_clean", "stock has no scrub_pending");
		ext_skip("release_does_not_wait", "stock has no scrub_pending");
		return;
	}
	wait_clean();
	err = dax_create(&r, c);
	if (!err)
		err = dax_set_size(c, BIG_SIZE);
	if (!err)
		err = dax_set_size(c, 0);
	left = pending();
	ext_result(!err && left == 0,
		   "never_bound_is_clean: %s, scrub_pending %" PRIu64,
		   err ? strerror(-err) : "ok", left);

	err = dax_set_size(c, BIG_SIZE);
	if (!err)
		err = ext_bind(c, "device_dax");
	ext_unbind(c);
	if (!err)
		err = dax_set_size(c, 0);
	left = pending();
	avail = dax_region_u64(&r, "available_size");
	clean = wait_clean();
	ext_result(!err && left > 0 && left <= BIG_SIZE && avail == r.size &&
		   clean,
		   "release_does_not_wait: %s, scrub_pending %" PRIu64
		   " right after, available_size %" PRIu64 " of %" PRIu64
		   ", then %" PRIu64, err ? strerror(-err) : "ok", left, avail,
		   r.size, pending());
	ext_destroy_dev(&r, c);
}

/* "scrub" 0: stock's behaviour, B reads A's data; bad input changes nothing */
static void test_policy_off(void)
{
	uint64_t nz = 0, same = 0, left = 0;
	char a[DAX_NAME] = "", b[DAX_NAME] = "";
	int err, bad1, bad2;

	if (dax_impl_is_stock()) {
		ext_skip("scrub_attr", "stock has no scrub attribute");
		ext_skip("scrub_off", "stock never scrubs");
		return;
	}
	bad1 = dax_region_write(&r, "scrub", "maybe");
	bad2 = dax_region_write(&r, "scrub", "\n");
	ext_result(dax_region_u64(&r, "scrub") == 1 && bad1 == -EINVAL &&
		   bad2 == -EINVAL,
		   "scrub_attr: default %" PRIu64 ", \"maybe\" %s, \"\\n\" %s",
		   dax_region_u64(&r, "scrub"), strerror(-bad1),
		   strerror(-bad2));

	wait_clean();
	err = dax_region_write(&r, "scrub", "0");
	if (!err)
		err = make_dev(a, r.start, DEV_SIZE);
	if (!err)
		err = write_through(a, DEV_SIZE);
	ext_destroy_dev(&r, a);
	left = pending();
	if (!err)
		err = make_dev(b, r.start, DEV_SIZE);
	if (!err)
		err = ext_bind(b, "device_dax");
	if (!err)
		err = count_dev(b, 0, DEV_SIZE, PATTERN, &nz, &same);
	dax_region_write(&r, "scrub", "1");
	ext_result(!err && left == 0 && same == DEV_SIZE &&
		   dax_region_u64(&r, "scrub") == 1,
		   "scrub_off: scrub_pending %" PRIu64 ", B read %" PRIu64
		   " of %" PRIu64 " pattern bytes (%s)", left, same,
		   (uint64_t)DEV_SIZE, err ? strerror(-err) : "ok");
	ext_destroy_dev(&r, b);
}

static int node_of(const char *dev)
{
	return (int)dax_dev_u64(dev, "target_node");
}

static int set_policy(int mode, int node)
{
	unsigned long mask = node >= 0 ? 1UL << node : 0;

	return syscall(SYS_set_mempolicy, mode, node >= 0 ? &mask : NULL,
		       node >= 0 ? sizeof(mask) * 8 : 0) ? -errno : 0;
}

/* free memory of @node in bytes, from its meminfo */
static uint64_t node_free(int node)
{
	char p[PATH_MAX], line[256];
	uint64_t kb = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/sys/devices/system/node/node%d/meminfo", node);
	f = fopen(p, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Node %*d MemFree: %" SCNu64, &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* pages of [p, p + len) that live on @node */
static uint64_t pages_on_node(void *p, uint64_t len, int node)
{
	uint64_t n = 0, i, nr = len / SZ_4K;
	void **pages = calloc(nr, sizeof(*pages));
	int *status = calloc(nr, sizeof(*status));

	if (pages && status) {
		for (i = 0; i < nr; i++)
			pages[i] = (char *)p + i * SZ_4K;
		if (!syscall(SYS_move_pages, 0, nr, pages, NULL, status, 0))
			for (i = 0; i < nr; i++)
				n += status[i] == node;
	}
	free(pages);
	free(status);
	return n;
}

/*
 * Fill the free memory of @node with anonymous pages holding a pattern,
 * preferring @node (no OOM if it runs out), then free them again.
 * Returns the bytes that landed on @node.
 */
static uint64_t fill_node(int node)
{
	uint64_t len = node_free(node), on = 0;
	void *p;

	if (len <= 2 * SZ_2M * 8)
		return 0;
	len -= 2 * SZ_2M * 8;
	if (set_policy(MPOL_PREFERRED, node))
		return 0;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p != MAP_FAILED) {
		memset(p, SYSRAM_FILL, len);
		on = pages_on_node(p, len, node) * SZ_4K;
		munmap(p, len);
	}
	set_policy(MPOL_DEFAULT, -1);
	return on;
}

static void online_blocks(uint64_t start, uint64_t len, uint64_t blk)
{
	char p[PATH_MAX];
	uint64_t a;

	for (a = start; a < start + len; a += blk) {
		snprintf(p, sizeof(p),
			 "/sys/devices/system/memory/memory%" PRIu64 "/state",
			 a / blk);
		dax_write_str(p, "online_movable");
	}
}

/* System RAM through kmem, filled by a process, then mapped as devdax */
static void test_sysram_to_devdax(void)
{
	uint64_t blk = dax_block_size(), start, len, filled = 0;
	uint64_t nz = 0, same = 0;
	char k[DAX_NAME] = "", msg[DAX_MSG];
	int err, node;

	if (!blk) {
		ext_skip("sysram_then_devdax", "no memory blocks");
		return;
	}
	start = (r.start + blk - 1) / blk * blk;
	len = 2 * blk;
	err = make_dev(k, start, len);
	if (!err)
		err = ext_bind(k, "kmem");
	node = node_of(k);
	if (!err) {
		online_blocks(start, len, blk);
		filled = fill_node(node);
	}
	/* offline, hot-remove, then device_dax the way daxctl -m devdax does */
	ext_unbind(k);
	if (!err)
		err = ext_bind(k, "device_dax");
	if (!err)
		err = count_dev(k, 0, len, SYSRAM_FILL, &nz, &same);
	snprintf(msg, sizeof(msg),
		 "sysram_then_devdax: %" PRIu64 " bytes filled on node %d, "
		 "devdax read %" PRIu64 " non-zero of %" PRIu64 ", %" PRIu64
		 " of the fill pattern (%s)", filled, node, nz, len, same,
		 err ? strerror(-err) : "ok");
	if (dax_impl_is_stock() && !err)
		ext_skip("sysram_then_devdax", msg);
	else
		ext_result(!err && filled >= len / 2 && nz == 0, "%s", msg);
	ext_destroy_dev(&r, k);
}

int main(void)
{
	ext_plan(NR_TESTS);
	if (dax_region_find(&r)) {
		skip_rest("no hmem dax region");
		return 0;
	}
	if (dax_region_u64(&r, "available_size") != r.size ||
	    r.size < 2 * BIG_SIZE) {
		skip_rest("region not idle or smaller than 2G");
		return 0;
	}
	test_device_to_device_delete();
	test_device_to_device_shrink();
	test_shrink_then_grow();
	test_release_rules();
	test_policy_off();
	test_sysram_to_devdax();
	if (!dax_impl_is_stock())
		wait_clean();
	return ext_failures ? 1 : 0;
}
