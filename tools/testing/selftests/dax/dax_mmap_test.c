// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of /dev/daxX.Y (issue cases 14 and 15) on a device with several
 * discontiguous ranges, with 4K and 2M device alignment.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include "kselftest_harness.h"
#include "dax_common.h"

#define MAGIC	UINT64_C(0x5a5aa5a5d00dfeed)

/*
 * d: [R+2M, 2M]@0, [R, 2M]@0x200, [R+6M, 4M]@0x400 -- three ranges,
 * none contiguous with the one before it in page-offset order.
 */
static int build_three_range_device(struct dax_region *r, char *d,
				    uint64_t align)
{
	char a[DAX_NAME], b[DAX_NAME];
	int rc;

	rc = dax_create_sized(r, a, SZ_2M);
	rc = rc ?: dax_create(r, d);
	rc = rc ?: dax_set_align(d, align);
	rc = rc ?: dax_set_size(d, SZ_2M);
	rc = rc ?: dax_create_sized(r, b, SZ_2M);
	rc = rc ?: dax_set_size(a, 0);
	rc = rc ?: dax_set_size(d, 4 * SZ_2M);
	return rc;
}

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_hits;

static void on_sigbus(int sig)
{
	bus_hits++;
	siglongjmp(bus_jmp, 1);
}

/* Read one u64 at @p; returns false when that raised SIGBUS. */
static bool probe_read(volatile uint64_t *p, uint64_t *out)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	volatile bool ok = false;

	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(bus_jmp, 1)) {
		*out = *p;
		ok = true;
	}
	sigaction(SIGBUS, &old, NULL);
	return ok;
}

/* A shared read-write mapping of the first @len bytes of @fd. */
static void *map_shared_rw(int fd, uint64_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
}

static void fill(volatile uint64_t *base, uint64_t len, uint64_t seed)
{
	uint64_t off;

	for (off = 0; off < len; off += SZ_4K)
		base[off / 8] = MAGIC ^ seed ^ off;
}

/* Offset of the first mismatching page, or UINT64_MAX when all match. */
static uint64_t verify(volatile uint64_t *base, uint64_t len, uint64_t seed)
{
	uint64_t off;

	for (off = 0; off < len; off += SZ_4K)
		if (base[off / 8] != (MAGIC ^ seed ^ off))
			return off;
	return UINT64_MAX;
}

FIXTURE(mmap) {
	struct dax_region r;
	struct dax_state start;
	char d[DAX_NAME];
	uint64_t size;
	int fd;
};

FIXTURE_VARIANT(mmap) {
	uint64_t align;
};

FIXTURE_VARIANT_ADD(mmap, align_4k) {
	.align = SZ_4K,
};

FIXTURE_VARIANT_ADD(mmap, align_2m) {
	.align = SZ_2M,
};

FIXTURE_SETUP(mmap)
{
	char m[DAX_MSG];

	self->fd = -1;
	DAX_FIXTURE_SETUP(self);
	if (self->start.avail != self->r.size)
		SKIP(return, "region already has allocations");
	if (variant->align > SZ_4K &&
	    access("/sys/kernel/mm/transparent_hugepage", F_OK))
		SKIP(return, "huge faults need transparent hugepages");
	ASSERT_EQ(0, build_three_range_device(&self->r, self->d,
					      variant->align));
	ASSERT_EQ(0, dax_check_invariants(&self->r, m)) TH_LOG("%s", m);
	ASSERT_EQ(0, dax_bind_devdax(self->d));
	self->size = dax_dev_u64(self->d, "size");
	ASSERT_EQ(4 * SZ_2M, self->size);
	self->fd = dax_chardev_open(self->d);
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/%s: %s", self->d,
				       strerror(errno));
}

/* runs in the parent: the fd belonged to the (exited) test child */
FIXTURE_TEARDOWN_PARENT(mmap)
{
	DAX_FIXTURE_TEARDOWN(self);
}

TEST_F(mmap, device_has_three_discontiguous_ranges)
{
	struct dax_dev_state s;
	int i;

	ASSERT_EQ(0, dax_dev_read(self->d, &s));
	ASSERT_EQ(3, s.nr);
	for (i = 1; i < s.nr; i++)
		ASSERT_NE(s.r[i - 1].end + 1, s.r[i].start);
}

TEST_F(mmap, shared_mapping_of_whole_device_succeeds)
{
	void *p = map_shared_rw(self->fd, self->size);

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(0, (uintptr_t)p % variant->align);
	ASSERT_EQ(0, munmap(p, self->size));
}

TEST_F_TIMEOUT(mmap, pattern_in_every_page_of_every_range_reads_back, 120)
{
	uint64_t bad;
	void *p;

	p = map_shared_rw(self->fd, self->size);
	ASSERT_NE(MAP_FAILED, p);
	fill(p, self->size, 1);
	bad = verify(p, self->size, 1);
	ASSERT_EQ(UINT64_MAX, bad) TH_LOG("mismatch at %#" PRIx64, bad);
	ASSERT_EQ(0, munmap(p, self->size));
	/* a fresh mapping sees the same bytes at the same offsets */
	p = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	bad = verify(p, self->size, 1);
	ASSERT_EQ(UINT64_MAX, bad) TH_LOG("remap mismatch at %#" PRIx64, bad);
	ASSERT_EQ(0, munmap(p, self->size));
}

TEST_F(mmap, partial_mapping_at_range_boundary_sees_same_data)
{
	uint8_t *whole, *part;
	uint64_t off = 2 * SZ_2M;	/* start of the third range */

	whole = map_shared_rw(self->fd, self->size);
	ASSERT_NE(MAP_FAILED, whole);
	fill((uint64_t *)whole, self->size, 7);
	part = mmap(NULL, SZ_2M, PROT_READ, MAP_SHARED, self->fd, off);
	ASSERT_NE(MAP_FAILED, part) TH_LOG("mmap at %#" PRIx64 ": %s", off,
					   strerror(errno));
	ASSERT_EQ(0, memcmp(whole + off, part, SZ_2M));
	munmap(part, SZ_2M);
	munmap(whole, self->size);
}

TEST_F(mmap, private_mapping_fails_einval)
{
	void *p = mmap(NULL, self->size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		       self->fd, 0);

	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(mmap, touching_past_device_size_sigbus_spares_other_mappings)
{
	uint64_t *anon, *p, v = 0;
	uint64_t len = self->size + 2 * SZ_2M;

	anon = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, anon);
	anon[0] = MAGIC;
	p = map_shared_rw(self->fd, len);
	if (p == MAP_FAILED) {
		/* refusing the oversized mapping outright is also a failure */
		ASSERT_TRUE(errno == EINVAL || errno == ENXIO || errno == ENOMEM);
		ASSERT_EQ(MAGIC, anon[0]);
		return;
	}
	fill(p, self->size, 3);
	bus_hits = 0;
	ASSERT_FALSE(probe_read(p + self->size / 8, &v));
	ASSERT_FALSE(probe_read(p + (len - SZ_4K) / 8, &v));
	ASSERT_EQ(2, bus_hits);
	ASSERT_EQ(MAGIC, anon[0]);
	ASSERT_EQ(UINT64_MAX, verify(p, self->size, 3));
	munmap(p, len);
	munmap(anon, SZ_4K);
}

TEST_F(mmap, mmap_after_unbind_fails_and_old_mapping_sigbus)
{
	uint64_t *p, v;
	void *q;

	p = map_shared_rw(self->fd, self->size);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = MAGIC;
	ASSERT_EQ(0, dax_drv_write("device_dax", "unbind", self->d));
	bus_hits = 0;
	ASSERT_FALSE(probe_read(p, &v));
	ASSERT_EQ(1, bus_hits);
	q = mmap(NULL, self->size, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_EQ(MAP_FAILED, q);
	ASSERT_EQ(ENXIO, errno);
	munmap(p, self->size);
}

TEST_F_TIMEOUT(mmap, data_survives_unbind_grow_rebind, 120)
{
	uint64_t bad;
	void *p;

	p = map_shared_rw(self->fd, self->size);
	ASSERT_NE(MAP_FAILED, p);
	fill(p, self->size, 5);
	ASSERT_EQ(0, munmap(p, self->size));
	close(self->fd);
	self->fd = -1;

	ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "unbind", self->d));
	ASSERT_OK_STEP(&self->r, dax_set_size(self->d, self->size + 2 * SZ_2M));
	ASSERT_OK_STEP(&self->r, dax_drv_write("device_dax", "bind", self->d));

	self->fd = dax_chardev_open(self->d);
	ASSERT_LE(0, self->fd);
	p = map_shared_rw(self->fd, self->size + 2 * SZ_2M);
	ASSERT_NE(MAP_FAILED, p);
	bad = verify(p, self->size, 5);
	ASSERT_EQ(UINT64_MAX, bad) TH_LOG("lost data at %#" PRIx64, bad);
	/* and the grown tail is usable */
	fill((uint64_t *)((char *)p + self->size), 2 * SZ_2M, 6);
	ASSERT_EQ(UINT64_MAX, verify((uint64_t *)((char *)p + self->size),
				     2 * SZ_2M, 6));
	munmap(p, self->size + 2 * SZ_2M);
}

/* Alignment checks only mean something on a device aligned above 4K. */
FIXTURE(mmap_huge) {
	struct dax_region r;
	struct dax_state start;
	char d[DAX_NAME];
	uint64_t size;
	int fd;
};

FIXTURE_SETUP(mmap_huge)
{
	self->fd = -1;
	DAX_FIXTURE_SETUP(self);
	if (self->start.avail != self->r.size)
		SKIP(return, "region already has allocations");
	ASSERT_EQ(0, build_three_range_device(&self->r, self->d, SZ_2M));
	ASSERT_EQ(0, dax_bind_devdax(self->d));
	self->size = dax_dev_u64(self->d, "size");
	self->fd = dax_chardev_open(self->d);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN_PARENT(mmap_huge)
{
	DAX_FIXTURE_TEARDOWN(self);
}

TEST_F(mmap_huge, length_not_multiple_of_align_fails_einval)
{
	void *p = mmap(NULL, SZ_4K, PROT_READ, MAP_SHARED, self->fd, 0);

	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
	p = mmap(NULL, SZ_2M + SZ_4K, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(mmap_huge, offset_not_multiple_of_align_fails_einval)
{
	void *p = mmap(NULL, SZ_2M, PROT_READ, MAP_SHARED, self->fd, SZ_4K);

	ASSERT_EQ(MAP_FAILED, p);
	ASSERT_EQ(EINVAL, errno);
}

TEST_F(mmap_huge, mapping_address_is_align_aligned)
{
	void *p = mmap(NULL, SZ_2M, PROT_READ, MAP_SHARED, self->fd, SZ_2M);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, (uintptr_t)p % SZ_2M);
	munmap(p, SZ_2M);
}

TEST_HARNESS_MAIN
