// SPDX-License-Identifier: GPL-2.0
/*
 * Read-only device attributes (issue case 12): target_node, numa_node,
 * resource, modalias, memmap_on_memory, and the attribute modes.
 */
#include "kselftest_harness.h"
#include "dax_common.h"

FIXTURE(attr) {
	struct dax_region r;
	struct dax_state start;
	char a[DAX_NAME];
};

FIXTURE_SETUP(attr)
{
	DAX_FIXTURE_SETUP(self);
	ASSERT_EQ(0, dax_create(&self->r, self->a));
}

FIXTURE_TEARDOWN_PARENT(attr)
{
	DAX_FIXTURE_TEARDOWN(self);
}

/* Is node @n in the list file @path ("0-1,3")? */
static bool node_in_list(const char *path, int n)
{
	char buf[256], *s, *tok;
	int lo, hi;

	if (dax_read(path, buf, sizeof(buf)) < 0)
		return false;
	for (s = buf; (tok = strsep(&s, ",")); ) {
		if (sscanf(tok, "%d-%d", &lo, &hi) == 2) {
			if (n >= lo && n <= hi)
				return true;
		} else if (sscanf(tok, "%d", &lo) == 1 && lo == n) {
			return true;
		}
	}
	return false;
}

static int read_int(const char *path, int *v)
{
	char buf[32];

	if (dax_read(path, buf, sizeof(buf)) <= 0)
		return -1;
	*v = atoi(buf);
	return 0;
}

TEST_F(attr, target_node_is_a_possible_node)
{
	char p[PATH_MAX];
	int tn;

	ASSERT_EQ(0, read_int(dax_dpath(self->a, "target_node", p), &tn));
	ASSERT_GE(tn, 0);
	ASSERT_TRUE(node_in_list("/sys/devices/system/node/possible", tn));
}

TEST_F(attr, numa_node_matches_platform_device)
{
	char p[PATH_MAX];
	int nn, pn;

	ASSERT_EQ(0, read_int(dax_dpath(self->a, "numa_node", p), &nn));
	snprintf(p, sizeof(p), "%s/numa_node", self->r.pdev);
	ASSERT_EQ(0, read_int(p, &pn));
	ASSERT_EQ(pn, nn);
}

TEST_F(attr, numa_node_equals_target_node_when_target_is_online)
{
	char p[PATH_MAX];
	int nn, tn;

	ASSERT_EQ(0, read_int(dax_dpath(self->a, "target_node", p), &tn));
	ASSERT_EQ(0, read_int(dax_dpath(self->a, "numa_node", p), &nn));
	if (!node_in_list("/sys/devices/system/node/online", tn)) {
		/* an offline target maps to some online node */
		ASSERT_TRUE(node_in_list("/sys/devices/system/node/online", nn));
		return;
	}
	ASSERT_EQ(tn, nn);
}

TEST_F(attr, every_device_of_region_shares_target_node)
{
	char names[DAX_MAX_DEVS][DAX_NAME];
	uint64_t tn = dax_dev_u64(self->a, "target_node");
	int i, n;

	n = dax_list_devs(self->r.id, names, DAX_MAX_DEVS);
	ASSERT_GE(n, 2);
	for (i = 0; i < n; i++)
		ASSERT_EQ(tn, dax_dev_u64(names[i], "target_node"));
}

TEST_F(attr, resource_of_empty_device_is_region_start)
{
	ASSERT_EQ(self->r.start, dax_dev_u64(self->a, "resource"));
}

TEST_F(attr, resource_is_start_of_first_range)
{
	char b[DAX_NAME], p[PATH_MAX], buf[64];

	if (self->start.avail != self->r.size)
		SKIP(return, "region already has allocations");
	ASSERT_OK_STEP(&self->r, dax_create_sized(&self->r, b, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_set_size(b, 0));
	/* a: [R+2M] first, then the region start */
	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, 2 * SZ_2M));
	ASSERT_EQ(self->r.start + SZ_2M, dax_dev_u64(self->a, "resource"));
	dax_read(dax_dpath(self->a, "resource", p), buf, sizeof(buf));
	ASSERT_EQ(0, strncmp(buf, "0x", 2)) TH_LOG("resource '%s'", buf);
}

TEST_F(attr, modalias_reads_dax_t0)
{
	char p[PATH_MAX], buf[64];

	ASSERT_GT(dax_read(dax_dpath(self->a, "modalias", p), buf, sizeof(buf)),
		  0);
	ASSERT_STREQ("dax:t0", buf);
}

TEST_F(attr, uevent_carries_modalias)
{
	char p[PATH_MAX], buf[512];

	ASSERT_GT(dax_read(dax_dpath(self->a, "uevent", p), buf, sizeof(buf)),
		  0);
	ASSERT_NE(NULL, strstr(buf, "MODALIAS=dax:t0"));
}

TEST_F(attr, memmap_on_memory_defaults_to_zero)
{
	ASSERT_EQ(0, dax_dev_u64(self->a, "memmap_on_memory"));
}

TEST_F(attr, dev_attribute_names_char_device)
{
	char p[PATH_MAX], buf[32];
	unsigned int maj, min;

	ASSERT_GT(dax_read(dax_dpath(self->a, "dev", p), buf, sizeof(buf)), 0);
	ASSERT_EQ(2, sscanf(buf, "%u:%u", &maj, &min));
	ASSERT_GT(maj, 0);
}

struct mode_case {
	const char *attr;
	mode_t mode;
};

static int check_modes(const char *dir, const struct mode_case *c, int n,
		       char *m)
{
	char p[PATH_MAX];
	struct stat st;
	int i;

	m[0] = '\0';
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, c[i].attr);
		if (stat(p, &st)) {
			dax_msg(m, "%s missing ", c[i].attr);
			return -1;
		}
		if ((st.st_mode & 0777) != c[i].mode) {
			dax_msg(m, "%s mode %o want %o ", c[i].attr,
				st.st_mode & 0777, c[i].mode);
			return -1;
		}
	}
	return 0;
}

TEST_F(attr, device_attribute_modes_match_stock)
{
	static const struct mode_case c[] = {
		{ "size", 0644 }, { "align", 0644 }, { "mapping", 0200 },
		{ "target_node", 0444 }, { "numa_node", 0444 },
		{ "resource", 0400 }, { "modalias", 0444 },
		{ "memmap_on_memory", 0644 },
	};
	char dir[PATH_MAX], m[DAX_MSG];

	snprintf(dir, sizeof(dir), DAX_DEVICES "/%s", self->a);
	ASSERT_EQ(0, check_modes(dir, c, sizeof(c) / sizeof(c[0]), m))
		TH_LOG("%s", m);
}

TEST_F(attr, region_attribute_modes_match_stock)
{
	static const struct mode_case c[] = {
		{ "id", 0444 }, { "size", 0444 }, { "align", 0400 },
		{ "available_size", 0444 }, { "seed", 0444 },
		{ "create", 0644 }, { "delete", 0200 },
	};
	char m[DAX_MSG];

	ASSERT_EQ(0, check_modes(self->r.dir, c, sizeof(c) / sizeof(c[0]), m))
		TH_LOG("%s", m);
}

TEST_F(attr, mapping_attribute_modes_match_stock)
{
	static const struct mode_case c[] = {
		{ "start", 0400 }, { "end", 0400 }, { "page_offset", 0400 },
	};
	struct dax_dev_state d;
	char dir[PATH_MAX], m[DAX_MSG];

	ASSERT_OK_STEP(&self->r, dax_set_size(self->a, SZ_2M));
	ASSERT_EQ(0, dax_dev_read(self->a, &d));
	ASSERT_EQ(1, d.nr);
	snprintf(dir, sizeof(dir), DAX_DEVICES "/%s/mapping%d", self->a,
		 d.r[0].id);
	ASSERT_EQ(0, check_modes(dir, c, sizeof(c) / sizeof(c[0]), m))
		TH_LOG("%s", m);
}

TEST_F(attr, driver_attribute_modes_match_stock)
{
	static const struct mode_case c[] = {
		{ "bind", 0200 }, { "unbind", 0200 }, { "new_id", 0200 },
		{ "remove_id", 0200 },
	};
	char m[DAX_MSG];

	ASSERT_EQ(0, check_modes(DAX_DRIVERS "/device_dax", c, 4, m))
		TH_LOG("%s", m);
	ASSERT_EQ(0, check_modes(DAX_DRIVERS "/kmem", c, 4, m))
		TH_LOG("%s", m);
}

TEST_HARNESS_MAIN
