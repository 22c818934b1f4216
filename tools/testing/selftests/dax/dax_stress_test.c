// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency stress on one hmem region.
 *
 * Eight processes run for STRESS_SECONDS (60 by default, DAX_STRESS_SECONDS
 * in the environment overrides it), each picking random operations on
 * random devices of the region: create, delete, size, mapping, align,
 * bind and unbind of device_dax, new_id and remove_id, readers of every
 * device and region attribute, and mmap-and-fault loops on whatever
 * device is bound at that moment (SIGBUS when it is unbound underneath
 * is expected).  Halfway through, the parent unbinds the region's
 * provider (the hmem platform device) and binds it again.
 *
 * Failing writes are the point; what must never come back is an errno
 * that stands for a kernel inconsistency (EIO, EUCLEAN, EFAULT).
 * Afterwards the region is put back as it was, its accounting invariant
 * must hold, and the harness fails the run on any splat.  The op counts
 * are printed.
 *
 * Skipped on stock 6.12: its rebinding with an open file underflows a
 * refcount (see dax_rebind_open_test), which this mix hits.
 */
#include "ext_drv_common.h"

#include <sys/wait.h>
#include <time.h>

#define NR_TESTS 4
#define WORKERS 8
#define MAX_DEVS 24
#define MAX_MAPPINGS 16
#define NR_DEV_ATTRS 8

enum stress_op {
	OP_CREATE, OP_DELETE, OP_SIZE, OP_MAPPING, OP_ALIGN, OP_BIND,
	OP_UNBIND, OP_NEW_ID, OP_REMOVE_ID, OP_READ, OP_MMAP, NR_OPS
};

static const char * const op_names[NR_OPS] = {
	"create", "delete", "size", "mapping", "align", "bind", "unbind",
	"new_id", "remove_id", "read", "mmap",
};

struct stress_counts {
	int stop;
	uint64_t ok[NR_OPS];
	uint64_t failed[NR_OPS];
	uint64_t bad[NR_OPS];	/* errnos that mean a kernel inconsistency */
	int bad_errno;
};

static struct stress_counts *counts;
static struct dax_region region;

static void skip_rest(const char *why)
{
	while (ext_test_nr < NR_TESTS)
		ext_skip("stress", why);
}

/* a random device of the region, false when there is none */
static bool pick_dev(char *name)
{
	char names[DAX_MAX_DEVS][DAX_NAME];
	int n = dax_list_devs(region.id, names, DAX_MAX_DEVS);

	if (n <= 0)
		return false;
	snprintf(name, DAX_NAME, "%s", names[random() % n]);
	return true;
}

static int op_mmap(const char *dev)
{
	volatile uint64_t *p;
	uint64_t val;
	int fd, i;

	fd = dax_chardev_open(dev);
	if (fd < 0)
		return fd;
	p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	for (i = 0; i < 512; i += 64)
		if (!ext_probe_read(p + i * 512, &val))
			break;
	munmap((void *)p, SZ_2M);
	return 0;
}

static int op_read(const char *dev)
{
	static const char * const attrs[NR_DEV_ATTRS] = {
		"size", "align", "target_node", "numa_node", "resource",
		"modalias", "memmap_on_memory", "mapping0/start",
	};
	char buf[256], p[PATH_MAX];
	unsigned int i;

	for (i = 0; i < NR_DEV_ATTRS; i++)
		dax_read(dax_dpath(dev, attrs[i], p), buf, sizeof(buf));
	dax_read(dax_rpath(&region, "available_size", p), buf, sizeof(buf));
	dax_read(dax_rpath(&region, "seed", p), buf, sizeof(buf));
	return 0;
}

static int do_op(enum stress_op op)
{
	uint64_t slots = region.size / SZ_2M, start;
	char dev[DAX_NAME];

	if (op == OP_CREATE) {
		char names[MAX_DEVS][DAX_NAME];

		if (dax_list_devs(region.id, names, MAX_DEVS) >= MAX_DEVS)
			return -ENOSPC;
		return dax_region_write(&region, "create", "1");
	}
	if (!pick_dev(dev))
		return -ENOENT;
	switch (op) {
	case OP_DELETE:
		return dax_delete(&region, dev);
	case OP_SIZE:
		return dax_set_size(dev, (random() % 33) * SZ_2M);
	case OP_MAPPING:
		if (ext_count_mappings(dev) >= MAX_MAPPINGS)
			return -ENOSPC;
		start = region.start + (random() % slots) * SZ_2M;
		return dax_write_mapping(dev, start, start + SZ_2M - 1);
	case OP_ALIGN:
		return dax_set_align(dev, random() % 2 ? SZ_2M : 4096);
	case OP_BIND:
		return dax_drv_write("device_dax", "bind", dev);
	case OP_UNBIND:
		return dax_drv_write("device_dax", "unbind", dev);
	case OP_NEW_ID:
		return dax_drv_write("device_dax", "new_id", dev);
	case OP_REMOVE_ID:
		return dax_drv_write("device_dax", "remove_id", dev);
	case OP_READ:
		return op_read(dev);
	default:
		return op_mmap(dev);
	}
}

static void worker(int nr)
{
	enum stress_op op;
	int rc;

	srandom(getpid() ^ nr);
	while (!__atomic_load_n(&counts->stop, __ATOMIC_RELAXED)) {
		op = random() % NR_OPS;
		rc = do_op(op);
		if (!rc) {
			__atomic_add_fetch(&counts->ok[op], 1, __ATOMIC_RELAXED);
		} else if (rc == -EIO || rc == -EUCLEAN || rc == -EFAULT) {
			__atomic_add_fetch(&counts->bad[op], 1, __ATOMIC_RELAXED);
			counts->bad_errno = -rc;
		} else {
			__atomic_add_fetch(&counts->failed[op], 1,
					   __ATOMIC_RELAXED);
		}
	}
	_exit(0);
}

static int stress_seconds(void)
{
	const char *s = getenv("DAX_STRESS_SECONDS");

	return s && atoi(s) > 0 ? atoi(s) : 60;
}

/* the provider's unbind and bind halfway through; 0 when both worked */
static int bounce_provider(const char *pdev)
{
	int rc = dax_hmem_driver_write("unbind", pdev);

	usleep(200000);
	return rc ? rc : dax_hmem_driver_write("bind", pdev);
}

static uint64_t print_counts(bool bad)
{
	uint64_t total = 0;
	int op;

	for (op = 0; op < NR_OPS; op++) {
		total += counts->ok[op] + counts->failed[op] + counts->bad[op];
		if (!bad)
			ext_diag("%-9s %8" PRIu64 " ok %8" PRIu64 " refused",
				 op_names[op], counts->ok[op],
				 counts->failed[op]);
		else if (counts->bad[op])
			ext_diag("%s: %" PRIu64 " answered %s", op_names[op],
				 counts->bad[op], strerror(counts->bad_errno));
	}
	return total;
}

int main(void)
{
	static struct dax_state before;
	int i, secs = stress_seconds(), bounce = -1, left;
	uint64_t total, bad = 0;
	char pdev[PATH_MAX], m[DAX_MSG];
	pid_t pids[WORKERS];

	ext_plan(NR_TESTS);
	if (dax_impl_is_stock()) {
		skip_rest("stock: a file outliving a rebind underflows a refcount");
		return 0;
	}
	if (dax_region_find(&region) ||
	    dax_region_u64(&region, "available_size") != region.size ||
	    dax_snapshot(&region, &before)) {
		skip_rest("no idle hmem dax region");
		return 0;
	}
	snprintf(pdev, sizeof(pdev), "%s", strrchr(region.pdev, '/') + 1);
	counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED) {
		skip_rest("no shared memory");
		return 1;
	}
	memset(counts, 0, sizeof(*counts));

	for (i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			worker(i);
	}
	sleep(secs / 2);
	bounce = bounce_provider(pdev);
	sleep(secs - secs / 2);
	__atomic_store_n(&counts->stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < WORKERS; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);

	total = print_counts(false);
	for (i = 0; i < NR_OPS; i++)
		bad += counts->bad[i];
	print_counts(true);
	ext_result(bad == 0 && total > 0,
		   "stress_no_inconsistency_errno: %" PRIu64
		   " ops by %d processes in %d s, %" PRIu64 " EIO/EUCLEAN/EFAULT",
		   total, WORKERS, secs, bad);
	ext_result(bounce == 0, "stress_provider_unbind_bind: %s",
		   bounce ? strerror(-bounce) : "ok");

	left = dax_region_find(&region) || dax_restore(&region, &before, m);
	ext_result(!left, "stress_region_restored: %s", left ? m : "ok");
	left = dax_check_invariants(&region, m);
	ext_result(!left, "stress_invariant_after: %s", left ? m : "ok");
	return ext_failures ? 1 : 0;
}
