// SPDX-License-Identifier: GPL-2.0
/*
 * Driver matching on a region that carries the kmem flag (issue case 13,
 * the kmem-default branch).
 *
 * The harness loads dax_hmem with region_idle=1, which gives the region
 * flags 0 (device_dax matches by type). Stock 6.12 only sets
 * IORESOURCE_DAX_KMEM on the region when region_idle is off, and then
 * also makes the boot device full size, so with kmem loaded that device
 * is hot-plugged as System RAM when dax_hmem probes. Each test here
 * reloads dax_hmem with region_idle=0, checks one behaviour, and the
 * teardown (in the parent, so it runs after a failed ASSERT or a
 * timeout too) offlines and unbinds everything, reloads dax_hmem with
 * region_idle=1 and checks that the region is exactly as it started,
 * with no kmem memory left behind.
 *
 * Memory is hot-plugged with auto_online_blocks=offline, so nothing is
 * online unless a test onlines it (and then it is movable, so it can be
 * offlined again before kmem lets go of it).
 */
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "dax_common.h"

#define HMEM_IDLE	"/sys/module/dax_hmem/parameters/region_idle"
#define AUTO_ONLINE	"/sys/devices/system/memory/auto_online_blocks"
#define MEM_SYSFS	"/sys/devices/system/memory"

FIXTURE(kmem_default) {
	struct dax_region r;	/* the region; found again after a reload */
	struct dax_state start;	/* harness state (region_idle=1) */
	uint64_t start_memtotal;
	char auto_online[32];	/* auto_online_blocks to put back */
	char dev[DAX_NAME];	/* daxR.0, the full-size boot device */
	bool swapped;		/* dax_hmem reloaded with region_idle=0 */
};

/* Run a shell command quietly; its exit status, or -1. */
static int run(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* 1 or 0 for dax_hmem's region_idle, -1 when dax_hmem is not loaded. */
static int hmem_region_idle(void)
{
	char buf[8];

	if (dax_read(HMEM_IDLE, buf, sizeof(buf)) <= 0)
		return -1;
	return buf[0] == 'Y' || buf[0] == '1';
}

static int hmem_reload(int idle)
{
	if (hmem_region_idle() >= 0 && run("rmmod dax_hmem"))
		return -EBUSY;
	if (run("modprobe dax_hmem region_idle=%d", idle))
		return -EIO;
	return hmem_region_idle() == idle ? 0 : -EINVAL;
}

/*
 * "System RAM (kmem)" resources in /proc/iomem that overlap [s, e]; with
 * @exact, only those that are exactly [s, e].
 */
static int kmem_resources(uint64_t s, uint64_t e, bool exact)
{
	uint64_t rs, re;
	char line[256];
	int n = 0;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "System RAM (kmem)"))
			continue;
		if (sscanf(line, " %" SCNx64 "-%" SCNx64, &rs, &re) != 2)
			continue;
		if (exact ? (rs == s && re == e) : (rs <= e && s <= re))
			n++;
	}
	fclose(f);
	return n;
}

/* Memory blocks of [s, e] that exist; of those, how many are online. */
static int blocks_present(uint64_t s, uint64_t e, int *online)
{
	uint64_t bs = dax_block_size(), a;
	char p[PATH_MAX], st[32];
	int n = 0;

	*online = 0;
	if (!bs)
		return -1;
	for (a = s - s % bs; a <= e; a += bs) {
		snprintf(p, sizeof(p), MEM_SYSFS "/memory%" PRIu64 "/state",
			 a / bs);
		if (dax_read(p, st, sizeof(st)) < 0)
			continue;
		n++;
		if (!strncmp(st, "online", 6))
			(*online)++;
	}
	return n;
}

static int block_state(uint64_t addr, const char *state)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), MEM_SYSFS "/memory%" PRIu64 "/state",
		 addr / dax_block_size());
	return dax_write_str(p, state);
}

/*
 * Every range of @dev has exactly one System RAM (kmem) resource and all
 * its memory blocks (@want 1), or none of either (@want 0).
 */
#define ASSERT_KMEM_MEMORY(dev, want) do { \
	struct dax_dev_state __d; \
	uint64_t __bs = dax_block_size(); \
	int __i, __on, __n; \
	ASSERT_EQ(0, dax_dev_read(dev, &__d)); \
	ASSERT_GE(__d.nr, 1); \
	ASSERT_NE(0, __bs); \
	for (__i = 0; __i < __d.nr; __i++) { \
		uint64_t __s = __d.r[__i].start, __e = __d.r[__i].end; \
		ASSERT_EQ((want), kmem_resources(__s, __e, true)) \
			TH_LOG("%s mapping %#" PRIx64 "-%#" PRIx64, dev, \
			       __s, __e); \
		ASSERT_EQ(0, kmem_resources(__s, __e, false) - \
			  kmem_resources(__s, __e, true)); \
		__n = blocks_present(__s, __e, &__on); \
		ASSERT_EQ((want) ? (__e - __s + 1) / __bs : 0, (uint64_t)__n) \
			TH_LOG("%s: %d memory blocks present", dev, __n); \
	} \
} while (0)

/* Release every dax device: offline kmem memory, unbind, drop new_ids. */
static void release_all_devices(void)
{
	struct dirent *de;
	DIR *d = opendir(DAX_DEVICES);

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "dax", 3))
			continue;
		dax_unbind(de->d_name);
		dax_drv_write("device_dax", "remove_id", de->d_name);
		dax_drv_write("kmem", "remove_id", de->d_name);
	}
	closedir(d);
}

FIXTURE_SETUP(kmem_default)
{
	DAX_FIXTURE_SETUP(self);
	if (hmem_region_idle() != 1)
		SKIP(return, "needs the harness default dax_hmem region_idle=1");
	if (access(DAX_DRIVERS "/device_dax", F_OK) ||
	    access(DAX_DRIVERS "/kmem", F_OK))
		SKIP(return, "device_dax and kmem must both be loaded");
	if (self->start.avail != self->r.size)
		SKIP(return, "region already has allocations");
	if (dax_block_size() == 0 || self->r.size % dax_block_size())
		SKIP(return, "region is not made of whole memory blocks");
	ASSERT_GT(dax_read(AUTO_ONLINE, self->auto_online,
			   sizeof(self->auto_online)), 0);
	self->start_memtotal = dax_memtotal();
	ASSERT_NE(0, self->start_memtotal);
	snprintf(self->dev, sizeof(self->dev), "dax%d.0", self->r.id);
	self->swapped = false;
}

FIXTURE_TEARDOWN_PARENT(kmem_default)
{
	char m[DAX_MSG];

	DAX_TEARDOWN_BEGIN();
	if (self->swapped) {
		release_all_devices();
		EXPECT_EQ(0, hmem_reload(1)) TH_LOG("dax_hmem region_idle=1");
	}
	dax_write_str(AUTO_ONLINE, self->auto_online);
	EXPECT_EQ(0, dax_region_find(&self->r));
	EXPECT_EQ(0, dax_restore(&self->r, &self->start, m))
		TH_LOG("region not restored:\n%s", m);
	EXPECT_EQ(0, kmem_resources(self->r.start,
				    self->r.start + self->r.size - 1, false));
	EXPECT_EQ(self->start_memtotal, dax_memtotal());
}

/*
 * Reload dax_hmem with region_idle=0 (blocks hot-plugged offline); the
 * teardown puts region_idle=1 back.
 */
static int kmem_default_region(struct dax_region *r, bool *swapped)
{
	int rc;

	rc = dax_write_str(AUTO_ONLINE, "offline");
	if (rc)
		return rc;
	*swapped = true;
	rc = hmem_reload(0);
	if (rc)
		return rc;
	return dax_region_find(r);
}

#define ASSERT_KMEM_DEFAULT(self) do { \
	int __rc = kmem_default_region(&(self)->r, &(self)->swapped); \
	ASSERT_EQ(0, __rc) TH_LOG("reload dax_hmem region_idle=0: %d (%s)", \
				  __rc, strerror(-__rc)); \
	ASSERT_INVARIANTS(&(self)->r); \
} while (0)

/* Unbind daxR.0 from kmem: its memory is offline, so it is hot-removed. */
#define ASSERT_KMEM_RELEASED(self) do { \
	ASSERT_STREQ("kmem", dax_driver_of((self)->dev)); \
	ASSERT_OK_STEP(&(self)->r, dax_drv_write("kmem", "unbind", \
						 (self)->dev)); \
	ASSERT_STREQ("", dax_driver_of((self)->dev)); \
	ASSERT_KMEM_MEMORY((self)->dev, 0); \
} while (0)

TEST_F_TIMEOUT(kmem_default, boot_device_spans_region_and_binds_to_kmem, 120)
{
	int rc;

	ASSERT_KMEM_DEFAULT(self);
	ASSERT_EQ(self->r.size, dax_dev_u64(self->dev, "size"));
	ASSERT_EQ(0, dax_region_u64(&self->r, "available_size"));
	ASSERT_STREQ("kmem", dax_driver_of(self->dev));
	ASSERT_KMEM_MEMORY(self->dev, 1);
	/* hot-plugged offline: not counted yet */
	ASSERT_EQ(self->start_memtotal, dax_memtotal());
	/* kmem owns it: no usable char device */
	rc = dax_chardev_opens(self->dev);
	ASSERT_TRUE(rc == -ENXIO || rc == -ENOENT) TH_LOG("open: %d", rc);
}

TEST_F_TIMEOUT(kmem_default, kmem_memory_onlines_as_system_ram, 120)
{
	uint64_t bs = dax_block_size();
	struct dax_dev_state d;
	int on;

	ASSERT_KMEM_DEFAULT(self);
	ASSERT_EQ(0, dax_dev_read(self->dev, &d));
	ASSERT_EQ(0, block_state(d.r[0].start, "online_movable"));
	ASSERT_EQ(self->start_memtotal + bs, dax_memtotal());
	blocks_present(d.r[0].start, d.r[0].end, &on);
	ASSERT_EQ(1, on);
	ASSERT_EQ(0, block_state(d.r[0].start, "offline"));
	ASSERT_EQ(self->start_memtotal, dax_memtotal());
}

TEST_F_TIMEOUT(kmem_default, unbind_from_kmem_hot_removes_memory, 120)
{
	ASSERT_KMEM_DEFAULT(self);
	ASSERT_KMEM_RELEASED(self);
	ASSERT_EQ(self->r.size, dax_dev_u64(self->dev, "size"));
}

TEST_F_TIMEOUT(kmem_default, device_dax_bind_without_new_id_fails_enodev, 120)
{
	char p[PATH_MAX];

	ASSERT_KMEM_DEFAULT(self);
	ASSERT_KMEM_RELEASED(self);
	ASSERT_STR_FAILS(&self->r, dax_drvpath("device_dax", "bind", p),
			 self->dev, ENODEV);
	ASSERT_STREQ("", dax_driver_of(self->dev));
	/* kmem matches by region type: plain bind works */
	ASSERT_OK_STEP(&self->r, dax_drv_write("kmem", "bind", self->dev));
	ASSERT_STREQ("kmem", dax_driver_of(self->dev));
	ASSERT_KMEM_MEMORY(self->dev, 1);
}

TEST_F_TIMEOUT(kmem_default, new_id_makes_device_dax_take_the_device, 120)
{
	ASSERT_KMEM_DEFAULT(self);
	ASSERT_KMEM_RELEASED(self);
	ASSERT_NE(0, dax_chardev_opens(self->dev));
	ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "new_id",
					       self->dev));
	ASSERT_STREQ("device_dax", dax_driver_of(self->dev));
	ASSERT_EQ(0, dax_chardev_opens(self->dev));
}

TEST_F_TIMEOUT(kmem_default, remove_id_undoes_new_id, 120)
{
	char p[PATH_MAX];

	ASSERT_KMEM_DEFAULT(self);
	ASSERT_KMEM_RELEASED(self);
	ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "new_id",
					       self->dev));
	ASSERT_STREQ("device_dax", dax_driver_of(self->dev));
	/* stock: remove_id only drops the id, the binding stays */
	ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "remove_id",
					       self->dev));
	ASSERT_STREQ("device_dax", dax_driver_of(self->dev));
	ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "unbind",
					       self->dev));
	ASSERT_STR_FAILS(&self->r, dax_drvpath("device_dax", "bind", p),
			 self->dev, ENODEV);
	ASSERT_STREQ("", dax_driver_of(self->dev));
}

TEST_F_TIMEOUT(kmem_default, daxctl_reconfigure_devdax_moves_device_to_device_dax,
	       120)
{
	if (run("command -v daxctl >/dev/null"))
		SKIP(return, "daxctl missing");
	ASSERT_KMEM_DEFAULT(self);
	ASSERT_STREQ("kmem", dax_driver_of(self->dev));
	ASSERT_EQ(0, run("daxctl reconfigure-device -m devdax %s >/dev/null "
			 "2>&1", self->dev));
	ASSERT_INVARIANTS(&self->r);
	ASSERT_STREQ("device_dax", dax_driver_of(self->dev));
	ASSERT_KMEM_MEMORY(self->dev, 0);
	ASSERT_EQ(0, dax_chardev_opens(self->dev));
}

TEST_F_TIMEOUT(kmem_default, new_device_is_sized_unbound_and_binds_to_kmem, 120)
{
	const uint64_t size = 2 * dax_block_size();
	char p[PATH_MAX], b[DAX_NAME];

	ASSERT_KMEM_DEFAULT(self);
	ASSERT_KMEM_RELEASED(self);
	ASSERT_OK_STEP(&self->r, dax_set_size(self->dev, 0));
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, b, size));
	/* sizing never probes, on a kmem region either */
	ASSERT_STREQ("", dax_driver_of(b));
	ASSERT_STR_FAILS(&self->r, dax_drvpath("device_dax", "bind", p), b,
			 ENODEV);
	ASSERT_OK_STEP(&self->r, dax_drv_write("kmem", "bind", b));
	ASSERT_STREQ("kmem", dax_driver_of(b));
	ASSERT_KMEM_MEMORY(b, 1);
	ASSERT_EQ(0, kmem_resources(self->r.start + size,
				    self->r.start + self->r.size - 1, false));
}

TEST_HARNESS_MAIN
