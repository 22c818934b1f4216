// SPDX-License-Identifier: GPL-2.0
/*
 * The kmem driver's daxX.Y/state attribute on a device of three ranges,
 * none adjacent to the one before it: one write onlines every memory
 * block of every range, one write offlines and hot-removes all of them,
 * and a range whose memory cannot be offlined makes the whole write
 * fail with every block as it was.  Also: the attribute exists only
 * while kmem is bound, bad strings, a partly online device, and an
 * unbind with some memory online that keeps every range instead of
 * removing only the offline ones.
 *
 * Memory that cannot be offlined: the last range's blocks are onlined
 * to ZONE_NORMAL and a child bound to the device's node fills pipe
 * buffers, which are unmovable kernel pages; the other ranges are in
 * ZONE_MOVABLE, so the pages can only land in the last range.  The test
 * checks that the zone's free pages dropped before relying on it.
 *
 * On a KASAN kernel a slab page of the kernel's own lands in the first
 * block of the node's ZONE_NORMAL memory once more blocks of the node
 * are onlined, and it stays there (it is not freed by shrinking the
 * caches, by offlining the other blocks first or by keeping the node
 * populated), so that memory can never be unplugged again and the
 * device would hold its region for the rest of the boot.  There the
 * cases that unplug ZONE_NORMAL memory are skipped.
 *
 * Stock 6.12 has no state attribute: the test records that and skips.
 */
#include "ext_drv_common.h"
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <fcntl.h>

#define NR_TESTS 12
#define NR_RANGES 3
#define BLOCKS_PER_RANGE 2
#define PIPES 24
#define PIPE_BYTES (1024 * 1024)
#define MPOL_BIND_MODE 2

static uint64_t blk;
static uint64_t rstart[NR_RANGES];
static char dev[DAX_NAME];

static void skip_rest(const char *why)
{
	while (ext_test_nr < NR_TESTS)
		ext_skip("kmem_state", why);
}

/* does the running kernel have KASAN?  Its instrumentation's symbols tell */
static bool kernel_has_kasan(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = !!strstr(line, " __asan_load8\n");
	fclose(f);
	return found;
}

#define KASAN_NORMAL_SKIP \
	"KASAN kernel: ZONE_NORMAL memory of the node keeps a slab page of the kernel's, it cannot be unplugged"

static const char *state_path(char *p)
{
	return dax_dpath(dev, "state", p);
}

static int state_read(char *buf, size_t len)
{
	char p[PATH_MAX];

	buf[0] = '\0';
	return dax_read(state_path(p), buf, len) < 0 ? -1 : 0;
}

static int state_write(const char *s)
{
	char p[PATH_MAX];

	return dax_write_str(state_path(p), s);
}

static bool state_is(const char *want)
{
	char cur[64];

	return !state_read(cur, sizeof(cur)) && !strcmp(cur, want);
}

static uint64_t block_of(int range, int i)
{
	return rstart[range] / blk + i;
}

static int block_attr(uint64_t b, const char *attr, char *buf, size_t len)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/devices/system/memory/memory%" PRIu64 "/%s",
		 b, attr);
	buf[0] = '\0';
	return dax_read(p, buf, len) < 0 ? -1 : 0;
}

static int block_set(uint64_t b, const char *state)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/devices/system/memory/memory%" PRIu64 "/state", b);
	return dax_write_str(p, state);
}

static int range_blocks_set(int range, const char *state)
{
	int i, err = 0;

	for (i = 0; i < BLOCKS_PER_RANGE && !err; i++)
		err = block_set(block_of(range, i), state);
	return err;
}

/* memory blocks of the device present, and those of them online in @zone */
static void count_blocks(int *present, int *online, const char *zone)
{
	char st[64], zones[64];
	int r, i;

	*present = *online = 0;
	for (r = 0; r < NR_RANGES; r++)
		for (i = 0; i < BLOCKS_PER_RANGE; i++) {
			if (block_attr(block_of(r, i), "state", st, sizeof(st)))
				continue;
			(*present)++;
			block_attr(block_of(r, i), "valid_zones", zones, sizeof(zones));
			if (!strcmp(st, "online") && (!zone || !strcmp(zones, zone)))
				(*online)++;
		}
}

static int kmem_resources(void)
{
	int r, n = 0;

	for (r = 0; r < NR_RANGES; r++)
		n += ext_count_kmem_ram(rstart[r],
					rstart[r] + BLOCKS_PER_RANGE * blk - 1, NULL);
	return n;
}

/* free pages of zone @zone of node @node in /proc/zoneinfo, -1 if none */
static long zone_free_pages(int node, const char *zone)
{
	char line[256], want[64];
	bool in = false;
	long v = -1;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "Node %d, zone %8s", node, zone);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Node ", 5)) {
			in = !strncmp(line, want, strlen(want));
			continue;
		}
		if (in && sscanf(line, " pages free %ld", &v) == 1)
			break;
	}
	fclose(f);
	return v;
}

/* every block's state and zones, MemTotal, resources and the state read */
static void snapshot(char *out, size_t len)
{
	char st[64], zones[64], cur[64];
	size_t off;
	int r, i;

	state_read(cur, sizeof(cur));
	off = snprintf(out, len, "%s %" PRIu64 " %d:", cur, dax_memtotal(),
		       kmem_resources());
	for (r = 0; r < NR_RANGES; r++)
		for (i = 0; i < BLOCKS_PER_RANGE && off < len; i++) {
			block_attr(block_of(r, i), "state", st, sizeof(st));
			block_attr(block_of(r, i), "valid_zones", zones, sizeof(zones));
			off += snprintf(out + off, len - off, " %s/%s", st, zones);
		}
}

/*
 * Child: bind to @node and fill pipes whose buffers were sized before,
 * so that only their data pages come from @node.  Reports the bytes it
 * wrote on @report, then waits to be killed.
 */
static void pin_child(int node, int report)
{
	unsigned long mask = 1UL << node;
	int fds[PIPES][2], i;
	long total = 0;
	char *buf = malloc(PIPE_BYTES);

	if (!buf)
		_exit(1);
	memset(buf, 0x5a, PIPE_BYTES);
	for (i = 0; i < PIPES; i++) {
		if (pipe(fds[i]) || fcntl(fds[i][1], F_SETPIPE_SZ, PIPE_BYTES) < 0)
			break;
		fcntl(fds[i][1], F_SETFL, O_NONBLOCK);
	}
	if (i == PIPES &&
	    !syscall(SYS_set_mempolicy, MPOL_BIND_MODE, &mask, sizeof(mask) * 8))
		for (i = 0; i < PIPES; i++) {
			ssize_t n = write(fds[i][1], buf, PIPE_BYTES);

			if (n > 0)
				total += n;
		}
	if (write(report, &total, sizeof(total)) != sizeof(total))
		_exit(1);
	for (;;)
		pause();
}

static pid_t start_pinning(int node, long *bytes)
{
	int p[2];
	pid_t pid;

	*bytes = 0;
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		pin_child(node, p[1]);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], bytes, sizeof(*bytes)) != sizeof(*bytes))
		*bytes = 0;
	close(p[0]);
	return pid;
}

static void stop_pinning(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static int setup(struct dax_region *r)
{
	uint64_t a = (r->start + blk - 1) / blk * blk;
	int i, err;

	err = dax_create(r, dev);
	for (i = 0; i < NR_RANGES && !err; i++) {
		rstart[i] = a + i * (BLOCKS_PER_RANGE + 1) * blk;
		err = dax_write_mapping(dev, rstart[i],
					rstart[i] + BLOCKS_PER_RANGE * blk - 1);
	}
	if (!err)
		err = ext_bind(dev, "kmem");
	return err;
}

/*
 * Cases 8-10, from every block online movable: mapping2 moved to
 * ZONE_NORMAL, an unplug that unmovable pages in it refuse, and the same
 * unplug once they are freed.
 */
static void check_normal_unplug(int node, uint64_t base)
{
	char cur[64], before[1024], after[1024];
	int present, online, err;
	long pinned, free0, free1;
	pid_t child;

	/* 8: mapping2 to ZONE_NORMAL, the others stay movable: reads "online" */
	err = range_blocks_set(2, "offline");
	if (!err)
		err = range_blocks_set(2, "online_kernel");
	count_blocks(&present, &online, "Normal");
	ext_result(!err && online == BLOCKS_PER_RANGE && state_is("online"),
		   "kmem_state_mixed_zones: %s, %d normal blocks, reads '%s'",
		   err ? strerror(-err) : "ok", online,
		   (state_read(cur, sizeof(cur)), cur));

	/* 9: unmovable pages in mapping2 fail the unplug, nothing changes */
	free0 = zone_free_pages(node, "Normal");
	child = start_pinning(node, &pinned);
	free1 = zone_free_pages(node, "Normal");
	snapshot(before, sizeof(before));
	if (child > 0 && pinned == (long)PIPES * PIPE_BYTES && free0 > 0 &&
	    free0 - free1 >= pinned / 4096 * 9 / 10) {
		err = state_write("unplugged");
		snapshot(after, sizeof(after));
		ext_result(err == -EBUSY && !strcmp(before, after),
			   "kmem_state_unplug_pinned: %s, %ld KiB pinned in node %d ZONE_NORMAL, unchanged: %s",
			   strerror(-err), (free0 - free1) * 4, node, after);
	} else {
		ext_result(false,
			   "kmem_state_unplug_pinned: setup pinned nothing: child %d wrote %ld bytes, node %d Normal free %ld -> %ld pages",
			   (int)child, pinned, node, free0, free1);
	}
	stop_pinning(child);

	/* 10: with the pages freed the same write removes everything */
	err = state_write("unplugged");
	count_blocks(&present, &online, NULL);
	ext_result(!err && !present && !kmem_resources() && dax_memtotal() == base,
		   "kmem_state_unplug_after_unpin: %s, %d blocks left",
		   err ? strerror(-err) : "ok", present);
}

int main(void)
{
	int present, online, err, n, node = -1;
	bool kasan = kernel_has_kasan();
	uint64_t base, whole, need;
	char p[PATH_MAX], cur[64], before[1024], after[1024], saved_aob[32] = "";
	const char *aob = "/sys/devices/system/memory/auto_online_blocks";
	struct dax_region r;

	ext_plan(NR_TESTS);
	blk = dax_block_size();
	if (dax_region_find(&r) || !blk) {
		skip_rest("no hmem dax region or memory blocks");
		return 0;
	}
	need = (NR_RANGES * (BLOCKS_PER_RANGE + 1) + 1) * blk;
	if (dax_region_u64(&r, "available_size") != r.size || r.size < need) {
		skip_rest("region too small or not idle");
		return 0;
	}
	whole = NR_RANGES * BLOCKS_PER_RANGE * blk;

	/* the blocks come up offline whatever the boot's policy */
	dax_read(aob, saved_aob, sizeof(saved_aob));
	dax_write_str(aob, "offline");
	base = dax_memtotal();

	/* 1: three ranges on kmem, the attribute appears with kmem */
	err = setup(&r);
	count_blocks(&present, &online, NULL);
	if (dax_impl_is_stock()) {
		bool absent = access(state_path(p), F_OK) && errno == ENOENT;

		skip_rest(absent ?
			  "stock divergence: a kmem device has no daxX.Y/state attribute (ENOENT); a 76.1 daxctl onlines block by block" :
			  "stock: unexpected daxX.Y/state attribute");
		ext_destroy_dev(&r, dev);
		dax_write_str(aob, saved_aob);
		return absent ? 0 : 1;
	}
	ext_result(!err && ext_count_mappings(dev) == NR_RANGES &&
		   present == NR_RANGES * BLOCKS_PER_RANGE && !online &&
		   state_is("offline"),
		   "kmem_state_setup: %s, %d ranges, %d blocks present, %d online",
		   dev, ext_count_mappings(dev), present, online);
	if (err) {
		skip_rest("no kmem device");
		ext_destroy_dev(&r, dev);
		dax_write_str(aob, saved_aob);
		return 1;
	}
	node = (int)dax_dev_u64(dev, "target_node");

	/* 2: bad strings change nothing */
	snapshot(before, sizeof(before));
	n = 0;
	n += state_write("offline") == -EINVAL;
	n += state_write("bogus") == -EINVAL;
	n += state_write("online_movablex") == -EINVAL;
	n += state_write("\n") == -EINVAL;
	n += state_write(" online") == -EINVAL;
	snapshot(after, sizeof(after));
	ext_result(n == 5 && !strcmp(before, after),
		   "kmem_state_bad_input: %d of 5 EINVAL, unchanged: %s", n, after);

	/* 3: one write onlines every block of every range */
	err = state_write("online_movable");
	count_blocks(&present, &online, "Movable");
	ext_result(!err && online == NR_RANGES * BLOCKS_PER_RANGE &&
		   dax_memtotal() - base == whole && kmem_resources() == NR_RANGES &&
		   state_is("online_movable"),
		   "kmem_state_online_all: %s, %d movable blocks online, MemTotal +%" PRIu64 " of %" PRIu64,
		   err ? strerror(-err) : "ok", online, dax_memtotal() - base, whole);

	/* 4: the same type again succeeds, another zone is refused */
	snapshot(before, sizeof(before));
	n = (state_write("online_movable") == 0) + (state_write("online") == 0);
	err = state_write("online_kernel");
	snapshot(after, sizeof(after));
	ext_result(n == 2 && err == -EBUSY && !strcmp(before, after),
		   "kmem_state_online_again: %d of 2 ok, online_kernel %s, unchanged: %s",
		   n, strerror(-err), after);

	/* 5: one write removes every range */
	err = state_write("unplugged");
	count_blocks(&present, &online, NULL);
	ext_result(!err && !present && !kmem_resources() &&
		   dax_memtotal() == base && state_is("unplugged"),
		   "kmem_state_unplug_all: %s, %d blocks left, %d resources, MemTotal %+" PRId64,
		   err ? strerror(-err) : "ok", present, kmem_resources(),
		   (int64_t)(dax_memtotal() - base));

	/*
	 * 6: unplugged again is a no-op; online_kernel puts every block in
	 * ZONE_NORMAL, even when the auto-online policy onlines the
	 * hot-plugged blocks movable first
	 */
	n = state_write("unplugged") == 0;
	if (kasan) {
		ext_skip("kmem_state_online_kernel", KASAN_NORMAL_SKIP);
	} else {
		dax_write_str(aob, "online_movable");
		err = state_write("online_kernel");
		dax_write_str(aob, "offline");
		count_blocks(&present, &online, "Normal");
		ext_result(n && !err && online == NR_RANGES * BLOCKS_PER_RANGE &&
			   state_is("online_kernel") && !state_write("unplugged"),
			   "kmem_state_online_kernel: %s, %d normal blocks online",
			   err ? strerror(-err) : "ok", online);
	}

	/* 7: partly online reads "offline"; writing online completes it */
	err = state_write("online_movable");
	if (!err)
		err = range_blocks_set(1, "offline");
	state_read(cur, sizeof(cur));
	n = !strcmp(cur, "offline");
	if (!err)
		err = state_write("online_movable");
	count_blocks(&present, &online, "Movable");
	ext_result(!err && n && online == NR_RANGES * BLOCKS_PER_RANGE &&
		   state_is("online_movable") && dax_memtotal() - base == whole,
		   "kmem_state_partial: read '%s' with mapping1 offline, then %s, %d blocks online",
		   cur, err ? strerror(-err) : "ok", online);

	if (kasan) {
		ext_skip("kmem_state_mixed_zones", KASAN_NORMAL_SKIP);
		ext_skip("kmem_state_unplug_pinned", KASAN_NORMAL_SKIP);
		ext_skip("kmem_state_unplug_after_unpin", KASAN_NORMAL_SKIP);
	} else {
		check_normal_unplug(node, base);
	}

	/* 11: unbind with mapping1 offline, the others online: all kept */
	err = state_write("online_movable");
	if (!err)
		err = range_blocks_set(1, "offline");
	if (!err)
		err = dax_drv_write("kmem", "unbind", dev);
	count_blocks(&present, &online, NULL);
	n = kmem_resources();
	ext_result(!err && !ext_dev_bound_to(dev, "kmem") && n == NR_RANGES &&
		   present == NR_RANGES * BLOCKS_PER_RANGE &&
		   online == (NR_RANGES - 1) * BLOCKS_PER_RANGE &&
		   dax_set_size(dev, 0) == -EBUSY &&
		   access(state_path(p), F_OK) && errno == ENOENT,
		   "kmem_state_unbind_keeps_all: unbind %s, %d resources, %d of %d blocks present, %d online",
		   err ? strerror(-err) : "ok", n, present,
		   NR_RANGES * BLOCKS_PER_RANGE, online);

	/* 12: bound again, kmem takes it all back and can unplug it */
	err = dax_drv_write("kmem", "bind", dev);
	state_read(cur, sizeof(cur));
	n = kmem_resources();
	if (!err)
		err = state_write("unplugged");
	ext_result(!err && n == NR_RANGES && !strcmp(cur, "offline") &&
		   !kmem_resources() && dax_memtotal() == base,
		   "kmem_state_rebind_takes_back: %s, %d resources, read '%s', then %d",
		   err ? strerror(-err) : "ok", n, cur, kmem_resources());

	ext_destroy_dev(&r, dev);
	dax_write_str(aob, saved_aob);
	return ext_failures ? 1 : 0;
}
