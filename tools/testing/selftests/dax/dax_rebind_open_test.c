// SPDX-License-Identifier: GPL-2.0
/*
 * A file of /dev/daxX.Y that outlives its device_dax binding.
 *
 * Five rounds of: file A opens the device, maps 2M and writes to it;
 * device_dax is unbound and bound again; file B opens and maps the new
 * binding; A must now get SIGBUS on its old mapping and ENXIO for a new
 * mmap, never the new binding's memory; both are unmapped and closed,
 * and the device is unbound and bound once more.  The harness catches
 * the refcount underflow the reused character device used to cause.
 */
#include "ext_drv_common.h"

#define ROUNDS 5
#define NR_TESTS (2 + 4 * ROUNDS)
#define PATTERN_A UINT64_C(0xa11ce0000000000a)
#define PATTERN_B UINT64_C(0xb0b0000000000b0b)

static void skip_rest(const char *why)
{
	while (ext_test_nr < NR_TESTS)
		ext_skip("rebind_open", why);
}

static bool rebind(const char *dev)
{
	return !dax_unbind(dev) && !ext_bind(dev, "device_dax");
}

static void one_round(const char *dev, int round)
{
	volatile uint64_t *a, *b;
	uint64_t val = 0;
	int fda, fdb, err = 0;
	bool ok;
	void *p;

	fda = dax_chardev_open(dev);
	a = fda < 0 ? MAP_FAILED : mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
					MAP_SHARED, fda, 0);
	ok = a != MAP_FAILED && ext_probe_read(a, &val);
	if (ok)
		a[0] = PATTERN_A;
	ext_result(ok, "round%d_old_file_maps: fd %d", round, fda);

	ok = rebind(dev);
	ext_result(ok, "round%d_rebind: %s bound to %s", round, dev,
		   dax_driver_of(dev));

	fdb = dax_chardev_open(dev);
	b = fdb < 0 ? MAP_FAILED : mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
					MAP_SHARED, fdb, 0);
	ok = b != MAP_FAILED && ext_probe_read(b, &val) && val == PATTERN_A;
	if (ok)
		b[0] = PATTERN_B;
	ext_result(ok, "round%d_new_file_maps: fd %d, read %#" PRIx64, round,
		   fdb, val);

	/* the old file: its mapping and any new one must fail */
	val = 0;
	ok = a == MAP_FAILED || !ext_probe_read(a, &val);
	p = fda < 0 ? MAP_FAILED : mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
					MAP_SHARED, fda, 0);
	if (p == MAP_FAILED)
		err = errno;
	else
		munmap(p, SZ_2M);
	ext_result(ok && err == ENXIO,
		   "round%d_old_file_dead: old mapping %s (%#" PRIx64 "), new mmap %s",
		   round, ok ? "faults" : "reads the new binding", val,
		   err ? strerror(err) : "succeeded");

	if (a != MAP_FAILED)
		munmap((void *)a, SZ_2M);
	if (b != MAP_FAILED)
		munmap((void *)b, SZ_2M);
	if (fda >= 0)
		close(fda);
	if (fdb >= 0)
		close(fdb);
	if (!rebind(dev))
		ext_diag("round %d: final rebind of %s failed", round, dev);
}

int main(void)
{
	struct dax_region r;
	char dev[DAX_NAME] = "";
	int round, err;

	ext_plan(NR_TESTS);
	if (dax_impl_is_stock()) {
		/* not run: the rounds end in a kernel WARNING on stock */
		skip_rest("stock divergence: a file open across an unbind and bind of device_dax makes the reused cdev's refcount underflow (WARNING at lib/refcount.c:28), and its old mapping faults in the new binding's memory");
		return 0;
	}
	if (dax_region_find(&r) || dax_region_u64(&r, "available_size") < SZ_2M) {
		skip_rest("no hmem dax region with 2M free");
		return 0;
	}

	err = dax_create_sized(&r, dev, SZ_2M);
	if (!err)
		err = ext_bind(dev, "device_dax");
	ext_result(!err, "setup: %s, 2M, device_dax: %s", dev,
		   err ? strerror(-err) : "ok");
	if (err) {
		skip_rest("no device");
		ext_destroy_dev(&r, dev);
		return 1;
	}

	for (round = 0; round < ROUNDS; round++)
		one_round(dev, round);

	ext_destroy_dev(&r, dev);
	dax_drv_write("device_dax", "remove_id", dev);
	ext_result(!dax_dev_exists(dev) || dax_dev_u64(dev, "size") == 0,
		   "teardown: %s gone", dev);
	return ext_failures ? 1 : 0;
}
