// SPDX-License-Identifier: GPL-2.0
/*
 * Driver bind and unbind under injected allocation failures.
 *
 * A `bind` write to a dax driver runs the probe synchronously in the
 * writing task, so /proc/thread-self/fail-nth reaches every slab
 * (failslab) and page (fail_page_alloc) allocation of the probe:
 * device_dax's memremap_pages(), cdev and resources, kmem's memory
 * group, add_memory_driver_managed() and resources. For N = 1, 2, ...
 * the N-th allocation of the write fails; the write must then either
 * fail with an errno and leave the device unbound with nothing of it in
 * /proc/iomem, no memory block and MemTotal unchanged, or succeed with a
 * working binding (an allocation whose failure the kernel tolerates).
 * Either way a bind without faults must then work and its unbind leave
 * the same clean state. N runs until the write no longer reaches an N-th
 * allocation (fail-nth reads back non-zero). The same walk is done over
 * the `unbind` write (remove), which cannot fail: it must leave the
 * clean state; the write itself can fail first (kernfs's buffer), with
 * ENOMEM and the device still bound and working. Both fault attributes
 * get ignore-gfp-wait=N and verbose=0 for the test and are restored.
 *
 * fail_page_alloc keeps its default min-order=1: order-0 pages include
 * the page tables x86's init_memory_mapping() takes with
 * alloc_low_page() when arch_add_memory() maps the range, and
 * phys_pud_init() does not check that allocation: failing it is a NULL
 * dereference in phys_pmd_init() on both kernels (memremap_pages() for
 * device_dax, add_memory_driver_managed() for kmem), a bug of the x86
 * direct map and not of dax.
 */
#include "kselftest_harness.h"
#include "dax_common.h"

#define AUTO_ONLINE	"/sys/devices/system/memory/auto_online_blocks"
#define MAX_NTH		20000
#define DEVDAX_SIZE	(32 * SZ_2M - SZ_2M)
/*
 * The last point before __add_pages(), measured: device_dax's 13th bind
 * allocation and kmem's 11th (on both kernels) WARN in add_pages().
 */
#define DEVDAX_BIND_POINTS	12
#define KMEM_BIND_POINTS	10

/* the fault attributes of the test (saved and put back around it) */
static const struct dax_fault_attr fault_attrs[] = {
	{ "failslab/ignore-gfp-wait", "N" },
	{ "failslab/verbose", "0" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/verbose", "0" },
	{ "fail_page_alloc/min-order", "1" },
};

FIXTURE(faults) {
	char old[ARRAY_SIZE(fault_attrs)][DAX_FAULT_OLD];
	struct dax_region r;
	struct dax_state start;
	char auto_online[32];
	char dev[DAX_NAME];
	const char *drv;
	uint64_t s, e;		/* the device's one range */
	uint64_t memtotal;
	int nth;		/* fd of /proc/thread-self/fail-nth */
};

FIXTURE_VARIANT(faults) {
	const char *drv;
	const char *stock_bind;	/* why the bind walk is skipped on stock */
	int bind_points;	/* bind points walked before arch_add_memory() */
};

/*
 * Past the allocations of the probe before arch_add_memory(), the walk
 * reaches __add_pages(): when it fails, x86's add_pages() WARNs
 * (arch/x86/mm/init_64.c, WARN_ON_ONCE) and __add_pages() does not take
 * back the sections it had added, so every later hot-plug of the range
 * fails EEXIST. Both are core memory hotplug, on both kernels, not dax.
 */
#define ARCH_ADD_MEMORY_STOP \
	"the next allocations are __add_pages()'s: its failure WARNs in x86 add_pages() and leaves the sections added (EEXIST on every later hot-plug), on both kernels"

FIXTURE_VARIANT_ADD(faults, device_dax) {
	.drv = "device_dax",
	.bind_points = DEVDAX_BIND_POINTS,
	.stock_bind = "a probe failing at its region request (an allocation of devm_request_mem_region()) leaves dev_dax->pgmap pointing at the freed devm pgmap: every later bind fails EINVAL (\"dynamic-dax with pre-populated page map\") and the device's release frees the pgmap again",
};

FIXTURE_VARIANT_ADD(faults, kmem) {
	.drv = "kmem",
	.bind_points = KMEM_BIND_POINTS,
};

/* the device with one block-aligned range of two memory blocks */
static int make_kmem_dev(FIXTURE_DATA(faults) *self)
{
	uint64_t blk = dax_block_size(), a;
	struct dax_dev_state d;

	if (!blk)
		return -ENOENT;
	a = (self->r.start + blk - 1) / blk * blk;
	if (a + 2 * blk > self->r.start + self->r.size)
		return -ENOSPC;
	if (dax_create(&self->r, self->dev))
		return -EIO;
	if (dax_write_mapping(self->dev, a, a + 2 * blk - 1) &&
	    dax_set_size(self->dev, 2 * blk))
		return -EIO;
	if (dax_dev_read(self->dev, &d) || d.nr != 1 || d.r[0].start % blk ||
	    d.size != 2 * blk)
		return -ERANGE;
	return 0;
}

/* wait (up to 120 s) until no freed space of the region awaits its scrub */
static void wait_scrubbed(const struct dax_region *r)
{
	char p[PATH_MAX];
	uint64_t pending;
	int i;

	dax_rpath(r, "scrub_pending", p);
	for (i = 0; i < 240; i++) {
		if (dax_read_u64(p, &pending) || !pending)
			return;
		usleep(500000);
	}
}

FIXTURE_SETUP(faults)
{
	struct dax_dev_state d;
	int rc;

	self->nth = -1;
	self->drv = variant->drv;
	DAX_FIXTURE_SETUP(self);
	/* a kernel that scrubs hands out only scrubbed space */
	wait_scrubbed(&self->r);
	if (self->start.avail != self->r.size)
		SKIP(return, "region already has allocations");
	rc = dax_faults_set(fault_attrs, ARRAY_SIZE(fault_attrs), self->old);
	if (rc == -ENOENT)
		SKIP(return,
		     "no fault attributes in debugfs (FAILSLAB, FAIL_PAGE_ALLOC)");
	ASSERT_EQ(0, rc) TH_LOG("fault attributes: %s", strerror(-rc));
	/* hot-plugged blocks stay offline: nothing to offline on unbind */
	if (dax_read(AUTO_ONLINE, self->auto_online,
		     sizeof(self->auto_online)) > 0)
		dax_write_str(AUTO_ONLINE, "offline");
	self->nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth) TH_LOG("fail-nth: %s", strerror(errno));

	if (!strcmp(self->drv, "kmem")) {
		ASSERT_EQ(0, make_kmem_dev(self))
			TH_LOG("no 2-block kmem device in the region");
	} else {
		ASSERT_EQ(0, dax_create_sized(&self->r, self->dev,
					      DEVDAX_SIZE));
	}
	ASSERT_EQ(0, dax_dev_read(self->dev, &d));
	ASSERT_EQ(1, d.nr);
	self->s = d.r[0].start;
	self->e = d.r[0].end;
	/* new_id lets the driver match; it may attach right away */
	dax_drv_write(self->drv, "new_id", self->dev);
	dax_unbind(self->dev);
	self->memtotal = dax_memtotal();
}

FIXTURE_TEARDOWN_PARENT(faults)
{
	DAX_TEARDOWN_BEGIN();
	dax_faults_restore(fault_attrs, ARRAY_SIZE(fault_attrs), self->old);
	if (self->auto_online[0])
		dax_write_str(AUTO_ONLINE, self->auto_online);
	if (self->dev[0]) {
		dax_unbind(self->dev);
		dax_drv_write(self->drv, "remove_id", self->dev);
	}
	DAX_FIXTURE_TEARDOWN(self);
}

/*
 * Write @dev to @drv's @attr with the @nth allocation of this thread
 * failing (0: none). Returns 0 or -errno of the write; *fired tells
 * whether the failure was injected, i.e. the write reached its @nth
 * allocation.
 */
static int drv_write_with_fault(int nth_fd, const char *drv,
				const char *attr, const char *dev, int nth,
				bool *fired)
{
	char p[PATH_MAX];

	/* name the point in the kernel log, next to what it prints */
	if (nth)
		dax_writef("/dev/kmsg", "dax_probe_faults_test: %s %s nth %d\n",
			   drv, attr, nth);
	return dax_write_nth_fault(nth_fd, dax_drvpath(drv, attr, p), dev,
				   nth, fired);
}

/*
 * /proc/iomem entries inside [@s, @e] that a binding of @dev leaves:
 * ones named after the device (device_dax's and kmem's region
 * requests) and hot-plugged System RAM.
 */
static int iomem_entries(const char *dev, uint64_t s, uint64_t e)
{
	char line[256], *name;
	uint64_t rs, re;
	int n = 0;
	FILE *f;

	f = fopen("/proc/iomem", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %" SCNx64 "-%" SCNx64, &rs, &re) != 2)
			continue;
		if (rs > e || re < s)
			continue;
		name = strstr(line, " : ");
		if (!name)
			continue;
		name += 3;
		name[strcspn(name, "\n")] = '\0';
		if (!strcmp(name, dev) || strstr(name, "System RAM"))
			n++;
	}
	fclose(f);
	return n;
}

/* memory block devices for blocks inside [@s, @e] */
static int memory_blocks(uint64_t s, uint64_t e)
{
	uint64_t blk = dax_block_size(), a;
	char p[PATH_MAX];
	int n = 0;

	if (!blk)
		return 0;
	for (a = s - s % blk; a <= e; a += blk) {
		snprintf(p, sizeof(p), "/sys/devices/system/memory/memory%"
			 PRIu64, a / blk);
		n += access(p, F_OK) == 0;
	}
	return n;
}

/*
 * The device is unbound and nothing of a binding is left: no iomem
 * entry, no memory block, MemTotal as at the start, and the region as
 * in @want (the snapshot of the unbound device). Returns 0, or 1 with
 * what is wrong in @m.
 */
static int unbound_clean(FIXTURE_DATA(faults) *self,
			 const struct dax_state *want, char *m)
{
	static struct dax_state now;
	int io, blocks;
	uint64_t mt;

	m[0] = '\0';
	if (dax_driver_of(self->dev)[0]) {
		dax_msg(m, "%s still bound to %s", self->dev,
			dax_driver_of(self->dev));
		return 1;
	}
	io = iomem_entries(self->dev, self->s, self->e);
	blocks = memory_blocks(self->s, self->e);
	mt = dax_memtotal();
	if (io || blocks || mt != self->memtotal) {
		dax_msg(m, "%d iomem entries, %d memory blocks left, MemTotal %"
			PRIu64 " (was %" PRIu64 ")", io, blocks, mt,
			self->memtotal);
		return 1;
	}
	dax_snapshot(&self->r, &now);
	return dax_state_diff(want, &now, m);
}

/* The device is bound to the driver under test and the binding works. */
static int bound_ok(FIXTURE_DATA(faults) *self, char *m)
{
	int rc;

	m[0] = '\0';
	if (strcmp(dax_driver_of(self->dev), self->drv)) {
		dax_msg(m, "%s bound to '%s'", self->dev,
			dax_driver_of(self->dev));
		return 1;
	}
	if (!strcmp(self->drv, "device_dax")) {
		rc = dax_chardev_opens(self->dev);
		if (rc) {
			dax_msg(m, "/dev/%s: %s", self->dev, strerror(-rc));
			return 1;
		}
		if (iomem_entries(self->dev, self->s, self->e) != 1) {
			dax_msg(m, "no iomem entry %s", self->dev);
			return 1;
		}
		return 0;
	}
	/* kmem: its request, one System RAM (kmem), both blocks */
	if (iomem_entries(self->dev, self->s, self->e) != 2 ||
	    memory_blocks(self->s, self->e) != 2) {
		dax_msg(m, "%d iomem entries, %d memory blocks",
			iomem_entries(self->dev, self->s, self->e),
			memory_blocks(self->s, self->e));
		return 1;
	}
	return 0;
}

/* a bind without faults works, and its unbind leaves the clean state */
static void assert_retryable(struct __test_metadata *_metadata,
			     FIXTURE_DATA(faults) *self,
			     const struct dax_state *unbound, int nth)
{
	char m[DAX_MSG];
	bool fired;
	int rc;

	rc = drv_write_with_fault(self->nth, self->drv, "bind", self->dev, 0,
				  &fired);
	ASSERT_EQ(0, rc) TH_LOG("nth %d: bind without fault: %s", nth,
				strerror(-rc));
	ASSERT_EQ(0, bound_ok(self, m)) TH_LOG("nth %d: retry: %s", nth, m);
	ASSERT_EQ(0, drv_write_with_fault(self->nth, self->drv, "unbind",
					  self->dev, 0, &fired));
	ASSERT_EQ(0, unbound_clean(self, unbound, m))
		TH_LOG("nth %d: unbind after retry: %s", nth, m);
}

TEST_F_TIMEOUT(faults, unbind_survives_every_allocation_failure, 1800)
{
	static struct dax_state unbound;
	int nth, rc, refused = 0;
	char m[DAX_MSG];
	bool fired;

	ASSERT_EQ(0, dax_snapshot(&self->r, &unbound));

	for (nth = 1; nth < MAX_NTH; nth++) {
		rc = drv_write_with_fault(self->nth, self->drv, "bind",
					  self->dev, 0, &fired);
		ASSERT_EQ(0, rc) TH_LOG("nth %d: bind: %s", nth, strerror(-rc));
		ASSERT_EQ(0, bound_ok(self, m)) TH_LOG("nth %d: %s", nth, m);
		rc = drv_write_with_fault(self->nth, self->drv, "unbind",
					  self->dev, nth, &fired);
		if (rc) {
			/* refused before the driver core: still bound */
			ASSERT_EQ(-ENOMEM, rc) TH_LOG("nth %d: unbind: %s",
						      nth, strerror(-rc));
			ASSERT_TRUE(fired);
			ASSERT_EQ(0, bound_ok(self, m))
				TH_LOG("nth %d: refused unbind: %s", nth, m);
			refused++;
			rc = drv_write_with_fault(self->nth, self->drv,
						  "unbind", self->dev, 0,
						  &fired);
			fired = true;
		}
		ASSERT_EQ(0, rc) TH_LOG("nth %d: unbind: %s", nth,
					strerror(-rc));
		ASSERT_EQ(0, unbound_clean(self, &unbound, m))
			TH_LOG("nth %d: unbind %s: %s", nth,
			       fired ? "with its fault" : "without fault", m);
		if (!fired)
			break;
	}
	ASSERT_LT(nth, MAX_NTH);
	ksft_print_msg("%s unbind: %d allocation points walked: %d refused the write with ENOMEM (device still bound), the others left the device unbound and clean\n",
		       self->drv, nth - 1, refused);
}

TEST_F_TIMEOUT(faults, bind_survives_every_allocation_failure, 1800)
{
	static struct dax_state unbound;
	int nth, failed = 0, tolerated = 0, enomem = 0, rc;
	char m[DAX_MSG], other[256] = "";
	bool fired;

	if (dax_impl_is_stock() && variant->stock_bind)
		SKIP(return, "stock: %s", variant->stock_bind);
	if (!variant->bind_points)
		SKIP(return, "not walked: %s", ARCH_ADD_MEMORY_STOP);
	ASSERT_EQ(0, dax_snapshot(&self->r, &unbound));
	ASSERT_EQ(0, unbound_clean(self, &unbound, m)) TH_LOG("%s", m);

	for (nth = 1; nth <= variant->bind_points; nth++) {
		rc = drv_write_with_fault(self->nth, self->drv, "bind",
					  self->dev, nth, &fired);
		if (!fired) {
			ASSERT_EQ(0, rc) TH_LOG("nth %d: no fault, bind: %s",
						nth, strerror(-rc));
			ASSERT_EQ(0, bound_ok(self, m))
				TH_LOG("nth %d: no fault: %s", nth, m);
			ASSERT_EQ(0, drv_write_with_fault(self->nth, self->drv,
							  "unbind", self->dev,
							  0, &fired));
			ASSERT_EQ(0, unbound_clean(self, &unbound, m))
				TH_LOG("nth %d: unbind: %s", nth, m);
			break;
		}
		if (rc) {
			ASSERT_EQ(0, unbound_clean(self, &unbound, m))
				TH_LOG("nth %d: bind failed (%s), state: %s",
				       nth, strerror(-rc), m);
			failed++;
			if (rc == -ENOMEM)
				enomem++;
			else if (strlen(other) < sizeof(other) - 32)
				snprintf(other + strlen(other),
					 sizeof(other) - strlen(other),
					 " %d:%s", nth, strerror(-rc));
		} else {
			/* the probe survived its fault: a full binding */
			ASSERT_EQ(0, bound_ok(self, m))
				TH_LOG("nth %d: bind survived its fault: %s",
				       nth, m);
			tolerated++;
			ASSERT_EQ(0, drv_write_with_fault(self->nth, self->drv,
							  "unbind", self->dev,
							  0, &fired));
			ASSERT_EQ(0, unbound_clean(self, &unbound, m))
				TH_LOG("nth %d: unbind: %s", nth, m);
		}
		assert_retryable(_metadata, self, &unbound, nth);
	}
	/* the probe ran in this task: some of its allocations failed it */
	ASSERT_LT(0, failed) TH_LOG("no injected failure failed the bind");
	ksft_print_msg("%s bind: %d allocation points walked: %d failed the bind cleanly (%d ENOMEM%s%s), %d were tolerated%s%s\n",
		       self->drv, nth - 1, failed, enomem,
		       other[0] ? ", others:" : "", other, tolerated,
		       nth > variant->bind_points ? "; stopped: " : "",
		       nth > variant->bind_points ? ARCH_ADD_MEMORY_STOP : "");
}

TEST_HARNESS_MAIN
