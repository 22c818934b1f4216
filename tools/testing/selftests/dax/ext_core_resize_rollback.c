// SPDX-License-Identifier: GPL-2.0
/*
 * All-or-nothing layout changes under injected allocation failures.
 *
 * For each operation (a grow that adds two ranges, a grow that extends in
 * place and adds ranges, a shrink that drops ranges, a `mapping` write,
 * `create`, `delete`) the layout is built, the N-th slab allocation of the
 * write is made to fail through /proc/thread-self/fail-nth, and the write
 * must then either fail with ENOMEM and leave the region exactly as it was
 * (snapshot compare), or succeed with exactly the layout of a run without
 * faults (an allocation whose failure the kernel tolerates, such as a
 * uevent). N runs from 1 until the write no longer reaches an N-th
 * allocation. Extension: stock 6.12 can keep a partial resize, so these
 * cases are skipped there.
 */
#include "kselftest_harness.h"
#include "dax_common.h"

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define MAX_NTH		4000

FIXTURE(rollback) {
	struct dax_region r;
	struct dax_state start;
	uint64_t R;
	char ign[8];		/* failslab settings to put back */
	char verbose[8];
	int nth;		/* fd of /proc/thread-self/fail-nth */
};

/* one operation under test: attribute path and what is written */
struct op {
	char path[PATH_MAX];
	char val[80];
};

typedef int (*build_fn)(const struct dax_region *r, uint64_t R,
			struct op *op);

static int failslab_set(const char *attr, const char *val, char *old,
			size_t len)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), FAILSLAB "/%s", attr);
	if (old && dax_read(p, old, len) < 0)
		return -ENOENT;
	return dax_write_str(p, val);
}

FIXTURE_SETUP(rollback)
{
	self->nth = -1;
	if (dax_impl_is_stock())
		SKIP(return, "extension: stock 6.12 can keep a partial resize "
		     "after a failed allocation (issue 5, item 4)");
	DAX_FIXTURE_SETUP(self);
	self->R = self->r.start;
	if (self->start.avail != self->r.size)
		SKIP(return, "region already has allocations");
	/* GFP_KERNEL allocations may fail, and quietly: no stack dumps */
	if (failslab_set("ignore-gfp-wait", "N", self->ign, sizeof(self->ign)))
		SKIP(return, "no " FAILSLAB " (FAILSLAB, debugfs)");
	ASSERT_EQ(0, failslab_set("verbose", "0", self->verbose,
				  sizeof(self->verbose)));
	self->nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth) TH_LOG("fail-nth: %s", strerror(errno));
}

FIXTURE_TEARDOWN_PARENT(rollback)
{
	/* the child's fail-nth fd died with it; failslab state is global */
	if (self->ign[0])
		failslab_set("ignore-gfp-wait", self->ign, NULL, 0);
	if (self->verbose[0])
		failslab_set("verbose", self->verbose, NULL, 0);
	if (!dax_impl_is_stock())
		DAX_FIXTURE_TEARDOWN(self);
}

/* write @op with the @nth allocation of this thread failing (0: none) */
static int write_with_fault(int nth_fd, const struct op *op, int nth,
			    bool *fired)
{
	return dax_write_nth_fault(nth_fd, op->path, op->val, nth, fired);
}

/*
 * The loop shared by every case. The state after a fault-free write is
 * the only acceptable result of a successful write.
 */
static void fault_loop(struct __test_metadata *_metadata,
		       FIXTURE_DATA(rollback) *self, build_fn build)
{
	static struct dax_state before, after, want;
	int nth, failed = 0, tolerated = 0, rc;
	char m[DAX_MSG];
	bool fired;
	struct op op;

	ASSERT_EQ(0, build(&self->r, self->R, &op));
	ASSERT_EQ(0, dax_snapshot(&self->r, &before));
	ASSERT_EQ(0, write_with_fault(self->nth, &op, 0, &fired))
		TH_LOG("fault-free '%s' > %s", op.val, op.path);
	ASSERT_EQ(0, dax_snapshot(&self->r, &want));
	ASSERT_EQ(1, dax_state_diff(&before, &want, m));
	ASSERT_EQ(0, dax_restore(&self->r, &self->start, m)) TH_LOG("%s", m);

	for (nth = 1; nth < MAX_NTH; nth++) {
		ASSERT_EQ(0, build(&self->r, self->R, &op)) TH_LOG("nth %d", nth);
		ASSERT_EQ(0, dax_snapshot(&self->r, &before));
		rc = write_with_fault(self->nth, &op, nth, &fired);
		ASSERT_EQ(0, dax_snapshot(&self->r, &after));
		if (!fired) {
			ASSERT_EQ(0, rc) TH_LOG("nth %d: no fault, got %s",
						nth, strerror(-rc));
			ASSERT_EQ(0, dax_state_diff(&want, &after, m))
				TH_LOG("nth %d: no fault, other result:\n%s",
				       nth, m);
			break;
		}
		if (rc) {
			ASSERT_EQ(-ENOMEM, rc) TH_LOG("nth %d: %s", nth,
						      strerror(-rc));
			ASSERT_EQ(0, dax_state_diff(&before, &after, m))
				TH_LOG("nth %d: failed write changed state:\n%s",
				       nth, m);
			ASSERT_INVARIANTS(&self->r);
			failed++;
		} else {
			ASSERT_EQ(0, dax_state_diff(&want, &after, m))
				TH_LOG("nth %d: write survived its fault with "
				       "another result:\n%s", nth, m);
			tolerated++;
		}
		ASSERT_EQ(0, dax_restore(&self->r, &self->start, m))
			TH_LOG("nth %d: %s", nth, m);
	}
	ASSERT_LT(nth, MAX_NTH);
	ASSERT_LT(0, failed);
	ksft_print_msg("%s: %d allocations: %d failed the write cleanly, "
		       "%d were tolerated\n", op.val, nth - 1, failed,
		       tolerated);
}

/* devices of 2M each, in address order from the region start */
static int make_devs(const struct dax_region *r, char names[][DAX_NAME],
		     int n)
{
	int i, rc;

	for (i = 0; i < n; i++) {
		rc = dax_create_sized(r, names[i], SZ_2M);
		if (rc)
			return rc;
	}
	return 0;
}

static void op_size(struct op *op, const char *dev, uint64_t size)
{
	dax_dpath(dev, "size", op->path);
	snprintf(op->val, sizeof(op->val), "%" PRIu64, size);
}

/* d at R+2M is boxed in by b; holes at R and R+6M: two new ranges */
static int build_grow_two_ranges(const struct dax_region *r, uint64_t R,
				 struct op *op)
{
	char n[5][DAX_NAME];	/* a d b x c */

	if (make_devs(r, n, 5) || dax_set_size(n[0], 0) ||
	    dax_set_size(n[3], 0))
		return -1;
	op_size(op, n[1], 3 * SZ_2M);
	return 0;
}

/* d at R+2M with 2M free behind it, a hole at R, free space from R+8M */
static int build_grow_in_place_and_ranges(const struct dax_region *r,
					  uint64_t R, struct op *op)
{
	char n[4][DAX_NAME];	/* a d x y */

	if (make_devs(r, n, 4) || dax_set_size(n[0], 0) ||
	    dax_set_size(n[2], 0))
		return -1;
	op_size(op, n[1], 4 * SZ_2M);
	return 0;
}

/* d = [R+2M] [R] [R+6M] [R+10M, 6M]; the shrink drops the last two */
static int build_shrink_drop(const struct dax_region *r, uint64_t R,
			     struct op *op)
{
	char n[5][DAX_NAME];	/* a d b x c */

	if (make_devs(r, n, 5) || dax_set_size(n[0], 0) ||
	    dax_set_size(n[3], 0) || dax_set_size(n[1], 6 * SZ_2M))
		return -1;
	op_size(op, n[1], 2 * SZ_2M);
	return 0;
}

/* d at R; the write adds [R+8M, R+12M) as its second range */
static int build_mapping(const struct dax_region *r, uint64_t R,
			 struct op *op)
{
	char d[DAX_NAME];

	if (dax_create_sized(r, d, SZ_2M))
		return -1;
	dax_dpath(d, "mapping", op->path);
	snprintf(op->val, sizeof(op->val), "%" PRIx64 "-%" PRIx64,
		 R + 4 * SZ_2M, R + 6 * SZ_2M - 1);
	return 0;
}

static int build_create(const struct dax_region *r, uint64_t R,
			struct op *op)
{
	char a[DAX_NAME];

	/* a sized device first, so that the new one is not the only one */
	if (dax_create_sized(r, a, SZ_2M))
		return -1;
	dax_rpath(r, "create", op->path);
	snprintf(op->val, sizeof(op->val), "1");
	return 0;
}

static int build_delete(const struct dax_region *r, uint64_t R,
			struct op *op)
{
	char a[DAX_NAME], b[DAX_NAME];

	if (dax_create_sized(r, a, SZ_2M) || dax_create(r, b))
		return -1;
	dax_rpath(r, "delete", op->path);
	snprintf(op->val, sizeof(op->val), "%s", b);
	return 0;
}

TEST_F_TIMEOUT(rollback, size_grow_adding_two_ranges, 300)
{
	fault_loop(_metadata, self, build_grow_two_ranges);
}

TEST_F_TIMEOUT(rollback, size_grow_in_place_and_adding_ranges, 300)
{
	fault_loop(_metadata, self, build_grow_in_place_and_ranges);
}

TEST_F_TIMEOUT(rollback, size_shrink_dropping_ranges, 300)
{
	fault_loop(_metadata, self, build_shrink_drop);
}

TEST_F_TIMEOUT(rollback, mapping_write, 300)
{
	fault_loop(_metadata, self, build_mapping);
}

TEST_F_TIMEOUT(rollback, create, 300)
{
	fault_loop(_metadata, self, build_create);
}

TEST_F_TIMEOUT(rollback, delete, 300)
{
	fault_loop(_metadata, self, build_delete);
}

TEST_HARNESS_MAIN
