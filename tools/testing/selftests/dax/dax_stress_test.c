// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrency stress on one hmem region.
 *
 * Eight processes run for STRESS_SECONDS (60 by default, DAX_STRESS_SECONDS
 * in the environment overrides it).  Seven pick random operations on
 * random devices of the region: create, delete, size, mapping, align,
 * bind and unbind of device_dax, new_id and remove_id, readers of every
 * device and region attribute, and mmap-and-fault loops on whatever
 * device is bound at that moment (SIGBUS when it is unbound underneath
 * is expected).  The eighth does the kmem work, so that one process at a
 * time owns memory that is System RAM: on a device of one memory block
 * (carved with a `mapping` write from the top blocks of the region,
 * which the others' `mapping` writes leave out) it binds and unbinds
 * kmem (also with the memory online, which leaves the device holding
 * it), onlines (movable) and offlines the blocks one by one or with the
 * device's `state` attribute, and switches the device between devdax
 * and system-ram with `daxctl reconfigure-device`; three ops in four
 * are one that fits the device's state at that moment.
 *
 * At a third of the run and at two thirds the parent reloads kmem,
 * device_dax and dax_hmem (modprobe -r, then modprobe in the guest's
 * order; a module in use refuses, which is counted); halfway through it
 * unbinds the region's provider (the hmem platform device) and binds it
 * again.  Before each of these the kmem process offlines and unbinds all
 * memory of the region and waits, so no memory can be left System RAM
 * by a teardown.  While the region (or device_dax, for the ops on its
 * driver files) is gone, the other processes poll every 10 ms instead of
 * counting instant ENOENTs.
 *
 * Failing writes are the point; what must never come back is an errno
 * that stands for a kernel inconsistency (EIO, EUCLEAN, EFAULT), from a
 * write or in the output of daxctl or modprobe.  Afterwards every block
 * of the region is offlined and removed, the region is put back as it
 * was, its accounting invariant must hold, and the harness fails the run
 * on any splat.  The op counts are printed.
 *
 * With --faults (dax_stress_faults.sh), failslab and fail_page_alloc
 * fail FAULT_PERCENT of the allocations of the seven processes' own
 * writes and reads (make-it-fail is set around each of them, the task
 * filter keeps everyone else out).  Not around a device_dax bind or a
 * new_id (which probes): their memremap_pages() reaches __add_pages(),
 * whose failure WARNs in x86's add_pages(); nor for the kmem process,
 * for the same reason.  Every answer must still be a clean errno, and at
 * least one ENOMEM must show that failures were injected.
 *
 * Skipped on stock 6.12: its rebinding with an open file underflows a
 * refcount (see dax_rebind_open_test), which this mix hits.
 */
#include "ext_drv_common.h"

#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#define NR_TESTS 6
#define NR_FAULT_TESTS (NR_TESTS + 1)
#define FAULT_PERCENT "3"
#define MAKE_IT_FAIL "/proc/self/make-it-fail"
#define WORKERS 8
#define MAX_DEVS 24
#define MAX_MAPPINGS 16
#define NR_DEV_ATTRS 8
#define KMEM_BLOCKS 2		/* the top blocks of the region, for kmem */
#define RELEASE_TRIES 50
#define PAUSE_TIMEOUT_S 120
#define NR_MODS 3
#define ABSENT_POLL_US 10000
#define DAXCTL_WHY 400
#define MEM_SYSFS "/sys/devices/system/memory"
#define AUTO_ONLINE MEM_SYSFS "/auto_online_blocks"
#define HMEM_IDLE "/sys/module/dax_hmem/parameters/region_idle"
#define DAXCTL "/usr/bin/daxctl"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum stress_op {
	OP_CREATE, OP_DELETE, OP_SIZE, OP_MAPPING, OP_ALIGN, OP_BIND,
	OP_UNBIND, OP_NEW_ID, OP_REMOVE_ID, OP_READ, OP_MMAP,
	/* the kmem process */
	OP_KMEM_BIND, OP_KMEM_ONLINE, OP_KMEM_OFFLINE, OP_KMEM_STATE_ON,
	OP_KMEM_UNPLUG, OP_KMEM_UNBIND, OP_DAXCTL_RAM, OP_DAXCTL_DEVDAX,
	/* the parent, in the order of mods[] */
	OP_RELOAD_KMEM, OP_RELOAD_DEVICE_DAX, OP_RELOAD_DAX_HMEM, NR_OPS
};

/* the steps of carving the kmem device */
enum { PREP_CREATE, PREP_SIZE, PREP_MAPPING, NR_PREP };

#define NR_MIX_OPS (OP_MMAP + 1)
#define NR_KMEM_OPS (OP_DAXCTL_DEVDAX - OP_KMEM_BIND + 1)

static const char * const op_names[NR_OPS] = {
	"create", "delete", "size", "mapping", "align", "bind", "unbind",
	"new_id", "remove_id", "read", "mmap",
	"kmem_bind", "kmem_online", "kmem_offline", "kmem_state_on",
	"kmem_unplug", "kmem_unbind", "daxctl_ram", "daxctl_devdax",
	"reload_kmem", "reload_device_dax", "reload_dax_hmem",
};

/* removed in this order, loaded back in the guest init's order */
static const char * const mods[NR_MODS] = { "kmem", "device_dax", "dax_hmem" };
static const int load_order[NR_MODS] = { 1, 0, 2 };

struct stress_counts {
	int stop;
	int kmem_pause;		/* set by the parent around its events */
	int kmem_req;		/* generation of the parent's last request */
	int kmem_ack;		/* the kmem process released all for it */
	int kmem_left;		/* memory blocks left after that release */
	uint64_t absent;	/* polls while the region or device_dax was gone */
	uint64_t ok[NR_OPS];
	uint64_t failed[NR_OPS];
	uint64_t bad[NR_OPS];	/* errnos that mean a kernel inconsistency */
	uint64_t enomem[NR_OPS];	/* ENOMEM answers, with --faults */
	int bad_errno;
	char daxctl_why[2][DAXCTL_WHY];	/* first refusal: system-ram, devdax */
	uint64_t prep_fails[NR_PREP];	/* the kmem device could not be made */
	int prep_errno[NR_PREP];
};

static struct stress_counts *counts;
static struct dax_region region;
static bool faults;		/* --faults: the mix's ops fail allocations */
static int fail_fd = -1;	/* the worker's make-it-fail, opened once */
static int nr_tests = NR_TESTS;
static uint64_t blk;		/* memory block size, 0: no kmem work */
static uint64_t kmem_start;	/* first of the KMEM_BLOCKS blocks */
static uint64_t mix_slots;	/* 2M slots the mix's `mapping` writes use */
static bool have_daxctl;
static char kdev[DAX_NAME];	/* the kmem process's device */

static void skip_rest(const char *why)
{
	while (ext_test_nr < nr_tests)
		ext_skip("stress", why);
}

static bool is_bad(int rc)
{
	return rc == -EIO || rc == -EUCLEAN || rc == -EFAULT;
}

static void count(enum stress_op op, int rc)
{
	if (!rc) {
		__atomic_add_fetch(&counts->ok[op], 1, __ATOMIC_RELAXED);
	} else if (is_bad(rc)) {
		__atomic_add_fetch(&counts->bad[op], 1, __ATOMIC_RELAXED);
		counts->bad_errno = -rc;
	} else {
		__atomic_add_fetch(&counts->failed[op], 1, __ATOMIC_RELAXED);
		if (rc == -ENOMEM)
			__atomic_add_fetch(&counts->enomem[op], 1,
					   __ATOMIC_RELAXED);
	}
}

/*
 * Run a shell command with its output (stdout and stderr) in @out: 0 when
 * it exited 0; -EIO, -EUCLEAN or -EFAULT when the output names one of
 * those errnos; else -ECANCELED.
 */
static int run_cmd(char *out, size_t len, const char *fmt, ...)
{
	static const char * const bad[] = {
		"Input/output error", "I/O error", "Structure needs cleaning",
		"Bad address",
	};
	static const int bad_errno[] = { EIO, EIO, EUCLEAN, EFAULT };
	char cmd[512], junk[256];
	size_t n = 0;
	unsigned int i;
	va_list ap;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>&1");
	out[0] = '\0';
	f = popen(cmd, "r");
	if (!f)
		return -ECANCELED;
	while (n + 1 < len && fgets(out + n, len - n, f))
		n += strlen(out + n);
	while (fgets(junk, sizeof(junk), f))
		;
	st = pclose(f);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (strstr(out, bad[i]))
			return -bad_errno[i];
	return st == 0 ? 0 : -ECANCELED;
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
	uint64_t *p, val;
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
	munmap(p, SZ_2M);
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
	uint64_t start;
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
		start = region.start + (random() % mix_slots) * SZ_2M;
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

/*
 * While a reload or the provider's unbind has taken away the region, or
 * device_dax for the ops on its driver files, a worker polls instead of
 * counting thousands of instant ENOENTs.
 */
static bool mix_absent(enum stress_op op)
{
	if (access(region.dir, F_OK))
		return true;
	return op >= OP_BIND && op <= OP_REMOVE_ID &&
	       access(DAX_DRIVERS "/device_dax", F_OK);
}

/* ---- kmem -------------------------------------------------------------- */

static const char *block_path(uint64_t b, char *p)
{
	snprintf(p, PATH_MAX, MEM_SYSFS "/memory%llu/state",
		 (unsigned long long)b);
	return p;
}

/*
 * The whole memory blocks of @d's ranges (what kmem hot-plugs): the
 * number present, of them *@online online; with @val, @val is written to
 * each present block's state and *@err gets the first error.
 */
static int dev_blocks(const struct dax_dev_state *d, const char *val,
		      int *online, int *err)
{
	char p[PATH_MAX], st[32];
	uint64_t b, first, end;
	int i, n = 0, rc;

	*online = 0;
	*err = 0;
	for (i = 0; i < d->nr; i++) {
		first = (d->r[i].start + blk - 1) / blk;
		end = (d->r[i].end + 1) / blk;
		for (b = first; b < end; b++) {
			if (dax_read(block_path(b, p), st, sizeof(st)) < 0)
				continue;
			n++;
			if (val) {
				rc = dax_write_str(p, val);
				if (rc && !*err)
					*err = rc;
				dax_read(p, st, sizeof(st));
			}
			if (!strncmp(st, "online", 6))
				(*online)++;
		}
	}
	return n;
}

/* memory blocks present anywhere in the region */
static int region_blocks(void)
{
	uint64_t b, end = (region.start + region.size) / blk;
	char p[PATH_MAX];
	int n = 0;

	for (b = (region.start + blk - 1) / blk; b < end; b++)
		if (!access(block_path(b, p), F_OK))
			n++;
	return n;
}

/*
 * Take every device of the region off kmem: a device that kept its
 * memory after an unbind is bound to kmem again, every block is
 * offlined, kmem is unbound when none is online any more, and its new_id
 * entry dropped.  Offlining is retried while it is refused.  Returns the
 * number of memory blocks still present in the region plus the devices
 * still bound to kmem.
 */
static int kmem_release_all(void)
{
	char names[DAX_MAX_DEVS][DAX_NAME];
	struct dax_dev_state d;
	int i, n, tries, left = 0, online, err;
	bool kmem;

	for (tries = 0; tries < RELEASE_TRIES; tries++) {
		left = 0;
		n = dax_list_devs(region.id, names, DAX_MAX_DEVS);
		for (i = 0; i < n; i++) {
			if (dax_dev_read(names[i], &d))
				continue;
			kmem = !strcmp(d.driver, "kmem");
			if (!kmem && !dev_blocks(&d, NULL, &online, &err))
				continue;
			if (!kmem) {
				dax_drv_write("device_dax", "remove_id", names[i]);
				ext_bind(names[i], "kmem");
			}
			dev_blocks(&d, "offline", &online, &err);
			if (!online)
				dax_drv_write("kmem", "unbind", names[i]);
			dax_drv_write("kmem", "remove_id", names[i]);
			if (ext_dev_bound_to(names[i], "kmem"))
				left++;
		}
		left += region_blocks();
		if (!left)
			break;
		usleep(100000);
	}
	return left;
}

/* a failed step of kmem_prepare(), counted by step with its last errno */
static int prep_failed(int step, int rc)
{
	counts->prep_fails[step]++;
	counts->prep_errno[step] = -rc;
	return rc;
}

/*
 * The kmem process's device: one memory block of the top KMEM_BLOCKS of
 * the region, created when there is none, carved again with a `mapping`
 * write when another process resized or remapped it.
 */
static int kmem_prepare(void)
{
	struct dax_dev_state d;
	uint64_t start;
	int rc, on;

	if (!kdev[0] || dax_dev_read(kdev, &d)) {
		rc = dax_create(&region, kdev);
		if (rc || dax_dev_read(kdev, &d)) {
			kdev[0] = '\0';
			return prep_failed(PREP_CREATE, rc ? rc : -ENOENT);
		}
	}
	/* kmem has it, it holds memory only kmem can take back, or it fits */
	if (!strcmp(d.driver, "kmem") || dev_blocks(&d, NULL, &on, &rc) ||
	    (d.nr == 1 && d.size == blk && d.r[0].start % blk == 0))
		return 0;
	if (d.driver[0])
		dax_drv_write(d.driver, "unbind", kdev);
	rc = dax_set_size(kdev, 0);
	if (rc)
		return prep_failed(PREP_SIZE, rc);
	start = kmem_start + (random() % KMEM_BLOCKS) * blk;
	rc = dax_write_mapping(kdev, start, start + blk - 1);
	return rc ? prep_failed(PREP_MAPPING, rc) : 0;
}

static int kmem_bind(void)
{
	int rc;

	dax_drv_write("device_dax", "remove_id", kdev);
	if (ext_dev_bound_to(kdev, "device_dax"))
		dax_drv_write("device_dax", "unbind", kdev);
	rc = dax_drv_write("kmem", "new_id", kdev);
	if (!ext_dev_bound_to(kdev, "kmem"))
		rc = dax_drv_write("kmem", "bind", kdev);
	/* bound or not, keep kmem's id list empty for names reused later */
	dax_drv_write("kmem", "remove_id", kdev);
	return rc;
}

/* @out on one line: newlines become " | ", the last one is cut */
static const char *one_line(char *out)
{
	size_t n = strlen(out);
	char buf[1024] = "", *line, *save;

	while (n && out[n - 1] == '\n')
		out[--n] = '\0';
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
			 buf[0] ? " | " : "", line);
	snprintf(out, n + 1, "%s", buf);
	return n ? out : "no output";
}

static int daxctl_mode(const char *mode)
{
	bool devdax = !strcmp(mode, "devdax");
	char out[1024], *why = counts->daxctl_why[devdax];
	int rc;

	rc = run_cmd(out, sizeof(out), DAXCTL " reconfigure-device %s-m %s %s",
		     devdax ? "-f " : "", mode, kdev);
	dax_drv_write("kmem", "remove_id", kdev);
	/* the first refusal of each mode is printed */
	if (rc && !why[0])
		snprintf(why, DAXCTL_WHY, "%s", one_line(out));
	return rc;
}

static int kmem_op(enum stress_op op)
{
	struct dax_dev_state d;
	char p[PATH_MAX];
	int rc, online;

	if (op == OP_KMEM_BIND || op == OP_DAXCTL_RAM) {
		rc = kmem_prepare();
		if (rc)
			return rc;
	}
	if (!kdev[0] || dax_dev_read(kdev, &d))
		return -ENOENT;
	switch (op) {
	case OP_KMEM_BIND:
		return kmem_bind();
	case OP_KMEM_ONLINE:
		if (!dev_blocks(&d, "online_movable", &online, &rc))
			return -ENOENT;
		return rc;
	case OP_KMEM_OFFLINE:
		if (!dev_blocks(&d, "offline", &online, &rc))
			return -ENOENT;
		return rc;
	case OP_KMEM_STATE_ON:
		return dax_write_str(dax_dpath(kdev, "state", p),
				     "online_movable");
	case OP_KMEM_UNPLUG:
		return dax_write_str(dax_dpath(kdev, "state", p), "unplugged");
	case OP_KMEM_UNBIND:
		return dax_drv_write("kmem", "unbind", kdev);
	case OP_DAXCTL_RAM:
		return have_daxctl ? daxctl_mode("system-ram") : -ENOENT;
	default:
		return have_daxctl ? daxctl_mode("devdax") : -ENOENT;
	}
}

/*
 * The kmem process's next op: three times in four one that fits the
 * device's state (bind it when kmem does not have it, online offline
 * blocks, offline online ones, or unbind or hand it back to devdax),
 * else any, so that the refused ones are tried too.
 */
static enum stress_op kmem_pick(void)
{
	static const enum stress_op unbound[] = {
		OP_KMEM_BIND, OP_DAXCTL_RAM,
	};
	static const enum stress_op offline[] = {
		OP_KMEM_ONLINE, OP_KMEM_STATE_ON, OP_KMEM_UNBIND,
		OP_DAXCTL_DEVDAX,
	};
	static const enum stress_op online[] = {
		OP_KMEM_OFFLINE, OP_KMEM_UNPLUG, OP_KMEM_UNBIND,
		OP_DAXCTL_DEVDAX,
	};
	struct dax_dev_state d;
	int present, on, err;

	if (random() % 4 == 0 || !kdev[0] || dax_dev_read(kdev, &d))
		return OP_KMEM_BIND + random() % NR_KMEM_OPS;
	present = dev_blocks(&d, NULL, &on, &err);
	if (strcmp(d.driver, "kmem"))
		return unbound[random() % ARRAY_SIZE(unbound)];
	if (!present || on < present)
		return offline[random() % ARRAY_SIZE(offline)];
	return online[random() % ARRAY_SIZE(online)];
}

/* while the parent asks, release all memory of the region and wait */
static void kmem_pause_point(void)
{
	int req;

	while (__atomic_load_n(&counts->kmem_pause, __ATOMIC_SEQ_CST) &&
	       !__atomic_load_n(&counts->stop, __ATOMIC_SEQ_CST)) {
		req = __atomic_load_n(&counts->kmem_req, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&counts->kmem_ack, __ATOMIC_SEQ_CST) != req) {
			counts->kmem_left = kmem_release_all();
			__atomic_store_n(&counts->kmem_ack, req,
					 __ATOMIC_SEQ_CST);
		}
		usleep(20000);
	}
}

/* ---- fault injection (--faults) ---------------------------------------- */

/* the fault attributes of the run, the probabilities last */
static const struct dax_fault_attr fault_attrs[] = {
	{ "failslab/task-filter", "Y" },
	{ "failslab/ignore-gfp-wait", "N" },
	{ "failslab/verbose", "0" },
	{ "failslab/interval", "1" },
	{ "failslab/times", "-1" },
	{ "fail_page_alloc/task-filter", "Y" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/verbose", "0" },
	{ "fail_page_alloc/min-order", "1" },
	{ "fail_page_alloc/interval", "1" },
	{ "fail_page_alloc/times", "-1" },
	{ "failslab/probability", FAULT_PERCENT },
	{ "fail_page_alloc/probability", FAULT_PERCENT },
};

static char fault_old[ARRAY_SIZE(fault_attrs)][DAX_FAULT_OLD];

/* whether the mix op runs with its allocations failing */
static bool op_faults(enum stress_op op)
{
	return faults && op != OP_BIND && op != OP_NEW_ID;
}

/*
 * The file stays open: opening it while make-it-fail is set could fail,
 * and a write to it allocates nothing.
 */
static int do_op_faulting(enum stress_op op)
{
	int rc;

	if (!op_faults(op) || fail_fd < 0)
		return do_op(op);
	if (pwrite(fail_fd, "1", 1, 0) != 1)
		return do_op(op);
	rc = do_op(op);
	while (pwrite(fail_fd, "0", 1, 0) != 1)
		;
	return rc;
}

static void worker(int nr)
{
	bool kmem = nr == 0 && blk;
	enum stress_op op;

	srandom(getpid() ^ nr);
	if (faults && !kmem)
		fail_fd = open(MAKE_IT_FAIL, O_WRONLY | O_CLOEXEC);
	while (!__atomic_load_n(&counts->stop, __ATOMIC_RELAXED)) {
		if (kmem) {
			kmem_pause_point();
			op = kmem_pick();
			count(op, kmem_op(op));
		} else {
			op = random() % NR_MIX_OPS;
			if (mix_absent(op)) {
				__atomic_add_fetch(&counts->absent, 1,
						   __ATOMIC_RELAXED);
				usleep(ABSENT_POLL_US);
				continue;
			}
			count(op, do_op_faulting(op));
		}
	}
	_exit(0);
}

/* ---- the parent's events ----------------------------------------------- */

static int stress_seconds(void)
{
	const char *s = getenv("DAX_STRESS_SECONDS");

	return s && atoi(s) > 0 ? atoi(s) : 60;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	double d = t - now_s();

	if (d > 0)
		usleep(d * 1e6);
}

/*
 * Ask the kmem process to release all memory and to wait; true when it
 * did and no memory block of the region is left.
 */
static bool kmem_pause(void)
{
	double end = now_s() + PAUSE_TIMEOUT_S;
	int req;

	if (!blk)
		return true;
	req = __atomic_add_fetch(&counts->kmem_req, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&counts->kmem_pause, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&counts->kmem_ack, __ATOMIC_SEQ_CST) != req) {
		if (now_s() > end)
			return false;
		usleep(20000);
	}
	return counts->kmem_left == 0;
}

static void kmem_resume(void)
{
	__atomic_store_n(&counts->kmem_pause, 0, __ATOMIC_SEQ_CST);
}

/* the provider's unbind and bind halfway through; 0 when both worked */
static int bounce_provider(const char *pdev)
{
	int rc = dax_hmem_driver_write("unbind", pdev);

	usleep(200000);
	return rc ? rc : dax_hmem_driver_write("bind", pdev);
}

static bool module_loaded(const char *mod)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/sys/module/%s/initstate", mod);
	return !access(p, F_OK);
}

static bool module_builtin(const char *mod)
{
	char p[PATH_MAX], line[PATH_MAX], want[64];
	struct utsname u;
	bool found = false;
	FILE *f;

	if (uname(&u))
		return false;
	snprintf(p, sizeof(p), "/lib/modules/%s/modules.builtin", u.release);
	snprintf(want, sizeof(want), "/%s.ko\n", mod);
	f = fopen(p, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, want);
	fclose(f);
	return found;
}

/*
 * Unload kmem, device_dax and dax_hmem, then load what was unloaded again
 * (dax_hmem with its region_idle as it was) and wait for the region.  A
 * module counts as reloaded when both worked, as refused when it stayed
 * loaded (in use).  Returns 0, or -1 with the reason in @why when a
 * module or the region did not come back.
 */
static int reload_modules(char *why, size_t len, char *sum, size_t slen)
{
	static bool noted[NR_MODS];
	int rc[NR_MODS] = { 0 }, i, j, load, err = 0;
	bool removed[NR_MODS] = { false };
	char out[512], idle[8] = "", param[32] = "";
	struct dax_region r;

	if (dax_read(HMEM_IDLE, idle, sizeof(idle)) > 0)
		snprintf(param, sizeof(param), " region_idle=%s", idle);
	for (i = 0; i < NR_MODS; i++) {
		if (!module_loaded(mods[i])) {
			if (!noted[i])
				ext_diag("%s %s: not reloaded", mods[i],
					 module_builtin(mods[i]) ?
					 "is built in" : "is not a loaded module");
			noted[i] = true;
			rc[i] = 1;
			continue;
		}
		rc[i] = run_cmd(out, sizeof(out), "modprobe -r %s", mods[i]);
		removed[i] = !module_loaded(mods[i]);
		if (!removed[i] && !rc[i])
			rc[i] = -EBUSY;
	}
	for (j = 0; j < NR_MODS; j++) {
		i = load_order[j];
		if (!removed[i])
			continue;
		load = run_cmd(out, sizeof(out), "modprobe %s%s", mods[i],
			       i == 2 ? param : "");
		if (load || !module_loaded(mods[i])) {
			out[strcspn(out, "\n")] = '\0';
			snprintf(why, len, "modprobe %s: %s", mods[i],
				 out[0] ? out : "not loaded");
			err = -1;
		}
		if (!is_bad(rc[i]))
			rc[i] = load;
		if (!rc[i] && !module_loaded(mods[i]))
			rc[i] = -ENOENT;
	}
	sum[0] = '\0';
	for (i = 0; i < NR_MODS; i++) {
		if (rc[i] != 1)
			count(OP_RELOAD_KMEM + i, rc[i]);
		snprintf(sum + strlen(sum), slen - strlen(sum), "%s%s %s",
			 i ? ", " : "", mods[i],
			 rc[i] == 1 ? "skipped" : !rc[i] ? "reloaded" :
			 removed[i] ? "not loaded back" : "refused");
	}
	for (i = 0; i < 100 && dax_region_find(&r); i++)
		usleep(100000);
	if (i == 100) {
		snprintf(why, len, "no region after the reload");
		err = -1;
	}
	return err;
}

/* a module reload between two pauses of the kmem process */
static void reload_event(double t0, int *failed, char *why, size_t len)
{
	double t1 = now_s(), t2;
	char sum[256] = "";

	if (!kmem_pause()) {
		snprintf(why, len, "kmem memory not released before a reload");
		(*failed)++;
		kmem_resume();
		return;
	}
	t2 = now_s();
	if (reload_modules(why, len, sum, sizeof(sum)))
		(*failed)++;
	kmem_resume();
	ext_diag("reload at %.1f s: kmem released in %.0f ms, %s in %.0f ms",
		 t1 - t0, (t2 - t1) * 1e3, sum, (now_s() - t2) * 1e3);
}

static uint64_t print_counts(bool bad)
{
	uint64_t total = 0;
	int op;

	for (op = 0; op < NR_OPS; op++) {
		total += counts->ok[op] + counts->failed[op] + counts->bad[op];
		if (!bad)
			ext_diag("%-17s %8llu ok %8llu refused (%llu ENOMEM)",
				 op_names[op],
				 (unsigned long long)counts->ok[op],
				 (unsigned long long)counts->failed[op],
				 (unsigned long long)counts->enomem[op]);
		else if (counts->bad[op])
			ext_diag("%s: %llu answered %s", op_names[op],
				 (unsigned long long)counts->bad[op],
				 strerror(counts->bad_errno));
	}
	return total;
}

/* the parent's part: the events at their times, then stop the workers */
static void run_events(int secs, const char *pdev, int *bounce,
		       int *reload_failed, char *why, size_t len)
{
	double t0 = now_s(), t1, t2;

	sleep_until(t0 + secs / 3.0);
	reload_event(t0, reload_failed, why, len);
	sleep_until(t0 + secs / 2.0);
	t1 = now_s();
	if (kmem_pause()) {
		t2 = now_s();
		*bounce = bounce_provider(pdev);
		ext_diag("provider unbind/bind at %.1f s: kmem released in %.0f ms, %s in %.0f ms",
			 t1 - t0, (t2 - t1) * 1e3,
			 *bounce ? strerror(-*bounce) : "ok",
			 (now_s() - t2) * 1e3);
	} else {
		*bounce = -EBUSY;
	}
	kmem_resume();
	sleep_until(t0 + secs * 2 / 3.0);
	reload_event(t0, reload_failed, why, len);
	sleep_until(t0 + secs);
	__atomic_store_n(&counts->stop, 1, __ATOMIC_SEQ_CST);
}

/* set up the kmem process's share of the region; false when it cannot */
static bool kmem_setup(char *auto_online, size_t len)
{
	uint64_t first, end;
	char p[PATH_MAX];

	blk = dax_block_size();
	snprintf(p, sizeof(p), DAX_DRIVERS "/kmem");
	if (!blk || access(p, F_OK) ||
	    dax_read(AUTO_ONLINE, auto_online, len) <= 0) {
		ext_diag("kmem: no memory blocks or no kmem driver, not in the mix");
		blk = 0;
		return false;
	}
	first = (region.start + blk - 1) / blk;
	end = (region.start + region.size) / blk;
	if (end < first + KMEM_BLOCKS + 1) {
		ext_diag("kmem: region smaller than %d memory blocks, not in the mix",
			 KMEM_BLOCKS + 1);
		blk = 0;
		return false;
	}
	kmem_start = (end - KMEM_BLOCKS) * blk;
	mix_slots = (kmem_start - region.start) / SZ_2M;
	/* blocks come up offline; the test onlines them movable itself */
	dax_write_str(AUTO_ONLINE, "offline");
	have_daxctl = !access(DAXCTL, X_OK);
	if (!have_daxctl)
		ext_diag("daxctl: no " DAXCTL ", reconfigure-device not in the mix");
	return true;
}

static uint64_t enomem_total(void)
{
	uint64_t n = 0;
	int op;

	for (op = 0; op < NR_OPS; op++)
		n += counts->enomem[op];
	return n;
}

int main(int argc, char **argv)
{
	static struct dax_state before;
	int i, secs = stress_seconds(), bounce = -1, reload_failed = 0;
	int left, blocks = 0, kmem_ram = 0;
	long long delta;
	uint64_t total, bad = 0, memtotal;
	char pdev[PATH_MAX], m[DAX_MSG], why[DAX_MSG] = "ok";
	char auto_online[32] = "";
	bool kmem;
	pid_t pids[WORKERS];

	faults = argc > 1 && !strcmp(argv[1], "--faults");
	if (faults)
		nr_tests = NR_FAULT_TESTS;
	ext_plan(nr_tests);
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
	memtotal = dax_memtotal();
	mix_slots = region.size / SZ_2M;
	kmem = kmem_setup(auto_online, sizeof(auto_online));
	if (faults &&
	    dax_faults_set(fault_attrs, ARRAY_SIZE(fault_attrs), fault_old)) {
		dax_faults_restore(fault_attrs, ARRAY_SIZE(fault_attrs),
				   fault_old);
		skip_rest("no failslab or fail_page_alloc in debugfs");
		return 0;
	}

	for (i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			worker(i);
	}
	run_events(secs, pdev, &bounce, &reload_failed, why, sizeof(why));
	for (i = 0; i < WORKERS; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
	if (faults)
		dax_faults_restore(fault_attrs, ARRAY_SIZE(fault_attrs),
				   fault_old);

	total = print_counts(false);
	ext_diag("%-17s %8llu polls of %d ms while the region or device_dax was gone",
		 "absent", (unsigned long long)counts->absent,
		 ABSENT_POLL_US / 1000);
	ext_diag("kmem device not carved: create %llu (%s), size 0 %llu (%s), mapping %llu (%s)",
		 (unsigned long long)counts->prep_fails[PREP_CREATE],
		 strerror(counts->prep_errno[PREP_CREATE]),
		 (unsigned long long)counts->prep_fails[PREP_SIZE],
		 strerror(counts->prep_errno[PREP_SIZE]),
		 (unsigned long long)counts->prep_fails[PREP_MAPPING],
		 strerror(counts->prep_errno[PREP_MAPPING]));
	for (i = 0; i < 2; i++)
		if (counts->daxctl_why[i][0])
			ext_diag("first daxctl -m %s refusal: %s",
				 i ? "devdax" : "system-ram",
				 counts->daxctl_why[i]);
	for (i = 0; i < NR_OPS; i++)
		bad += counts->bad[i];
	print_counts(true);
	ext_result(bad == 0 && total > 0,
		   "stress_no_inconsistency_errno: %llu ops by %d processes in %d s, %llu EIO/EUCLEAN/EFAULT",
		   (unsigned long long)total, WORKERS, secs,
		   (unsigned long long)bad);
	if (faults)
		ext_result(enomem_total() > 0,
			   "stress_faults_injected: %llu ENOMEM answers with %s%% of the allocations failing",
			   (unsigned long long)enomem_total(), FAULT_PERCENT);
	ext_result(bounce == 0, "stress_provider_unbind_bind: %s",
		   bounce ? strerror(-bounce) : "ok");
	ext_result(!reload_failed, "stress_module_reload: %s", why);

	/* nothing of the region may stay System RAM */
	if (!dax_region_find(&region) && kmem)
		blocks = kmem_release_all();
	kmem_ram = ext_count_kmem_ram(region.start,
				      region.start + region.size - 1, NULL);
	if (kmem)
		dax_write_str(AUTO_ONLINE, auto_online);
	delta = (long long)(dax_memtotal() - memtotal);
	ext_result(!blocks && !kmem_ram && !delta,
		   "stress_kmem_released: %d memory blocks and %d System RAM (kmem) left, MemTotal %+lld",
		   blocks, kmem_ram, delta);

	left = dax_region_find(&region) || dax_restore(&region, &before, m);
	ext_result(!left, "stress_region_restored: %s", left ? m : "ok");
	left = dax_check_invariants(&region, m);
	ext_result(!left, "stress_invariant_after: %s", left ? m : "ok");
	return ext_failures ? 1 : 0;
}
