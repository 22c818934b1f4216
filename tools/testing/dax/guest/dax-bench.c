// SPDX-License-Identifier: GPL-2.0
/*
 * dax-bench: one pass of the device-dax benchmarks, run in the dax-vm
 * guest on either implementation.  The host boots the two kernels in
 * turn and takes the median over the boots; each boot runs every cell
 * once.  Each line it prints is
 *
 *   bench NAME VALUE UNIT
 *
 * Time is the guest's CLOCK_MONOTONIC: with qemu -icount it counts
 * executed instructions (one "ns" each), so a cell gives the same value on
 * every boot of the same round (DAX_VM_ROUND shifts the phase of each
 * window, see shift_phase()).  Only the ABI both implementations share is used.
 *
 *   dax-bench [GROUP...]   GROUP: fault, bind, prov, kmem, scrub (default: all)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define REGION "/sys/devices/platform/hmem.0/dax_region"
#define DEVICES "/sys/bus/dax/devices"
#define DRIVER "/sys/bus/dax/drivers/device_dax"
#define KMEM "/sys/bus/dax/drivers/kmem"
#define SZ_4K 4096ULL
#define SZ_2M (2ULL << 20)
#define SZ_1G (1ULL << 30)

static unsigned long long region_start, region_size;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "dax-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static int write_attr(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int fd, n, rc = 0;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, n) != n)
		rc = -errno;
	close(fd);
	return rc;
}

#define must_write(path, ...) do {					\
	int __rc = write_attr(path, __VA_ARGS__);			\
	if (__rc)							\
		die("write %s: %s", path, strerror(-__rc));		\
} while (0)

static void read_attr(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f || !fgets(buf, len, f))
		die("read %s: %s", path, strerror(errno));
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void report(const char *name, double value, const char *unit)
{
	printf("bench %s %.6g %s\n", name, value, unit);
}

static void find_region(void)
{
	char line[256];
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		die("/proc/iomem: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *dash;

		if (!strstr(line, ": Soft Reserved"))
			continue;
		region_start = strtoull(line + strspn(line, " "), &dash, 16);
		region_size = strtoull(dash + 1, NULL, 16) + 1 - region_start;
		fclose(f);
		return;
	}
	die("no Soft Reserved range in /proc/iomem");
}

/* kB of MemFree in /proc/meminfo */
static long mem_free_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		die("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* A new size-0 device; its name goes to @name. */
/* bytes waiting to be scrubbed, or -1 on kernels without scrubbing */
static long long pending_bytes(void)
{
	char buf[64];
	FILE *f = fopen(REGION "/scrub_pending", "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return strtoll(buf, NULL, 10);
}

/*
 * Where the kernel scrubs freed memory, wait until nothing is pending, so
 * that no cell pays for clearing the memory an earlier cell gave back.
 */
static void wait_scrubbed(void)
{
	while (pending_bytes() > 0)
		usleep(1000);
}

/* the boot's round number, dax_vm.round on the kernel command line */
static unsigned int round_nr;

/*
 * Under icount a kernel runs the same instructions at the same guest
 * times on every boot, so a window that catches a periodic event (a
 * tick, a kernel timer, an RCU grace period it waits for) catches it at
 * the same point in every round, and the spread of the rounds cannot
 * show what that luck is worth.  Before each window, sleep for an offset
 * of up to two ticks (HZ=250) that differs from round to round and
 * from window to window, the same sequence on both kernels and in every
 * run.  An idle guest under icount executes nothing, so the sleep costs
 * no wall time and adds nothing to the window.
 */
static void shift_phase(void)
{
	static unsigned int window;
	unsigned int x = (round_nr + 1) * 2654435761u ^ ++window * 40503u;

	x ^= x >> 15;
	x *= 2246822519u;
	x ^= x >> 13;
	usleep(x % 8000);
}

/* what every timed window starts with */
static void start_window(void)
{
	wait_scrubbed();
	shift_phase();
}

static void create_device(char *name, size_t len)
{
	must_write(REGION "/create", "1");
	read_attr(REGION "/create", name, len);
	if (!*name)
		die("create gave no device");
}

static void dev_path(char *buf, size_t len, const char *name, const char *attr)
{
	snprintf(buf, len, DEVICES "/%s/%s", name, attr);
}

static void dev_write(const char *name, const char *attr, unsigned long long v)
{
	char path[256];

	dev_path(path, sizeof(path), name, attr);
	must_write(path, "%llu", v);
}

static void bind_to(const char *drv, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/new_id", drv);
	must_write(path, "%s", name);
	snprintf(path, sizeof(path), "%s/bind", drv);
	write_attr(path, "%s", name);	/* new_id may have bound it already */
}

static void unbind_from(const char *drv, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/unbind", drv);
	must_write(path, "%s", name);
	snprintf(path, sizeof(path), "%s/remove_id", drv);
	must_write(path, "%s", name);
}

static void destroy_device(const char *name)
{
	dev_write(name, "size", 0);
	must_write(REGION "/delete", "%s", name);
}

/*
 * @nr ranges of @chunk bytes, one `mapping` write each.  With a gap of
 * @chunk after each range when the region has room for it; otherwise the
 * ranges are adjacent, written in descending address order so that they
 * stay separate ranges (page offsets run against addresses).
 */
static int make_ranges(const char *name, int nr, unsigned long long chunk,
		       unsigned long long align)
{
	int gap = 2ULL * nr * chunk <= region_size;
	char path[256];
	int i, rc;

	dev_write(name, "align", align);
	dev_path(path, sizeof(path), name, "mapping");
	for (i = 0; i < nr; i++) {
		unsigned long long start;

		if (gap)
			start = region_start + 2ULL * i * chunk;
		else
			start = region_start + (nr - 1 - i) * chunk;
		rc = write_attr(path, "%#llx-%#llx", start, start + chunk - 1);
		if (rc)
			die("mapping %d of %d: %s", i, nr, strerror(-rc));
	}
	return gap;
}

/*
 * Map the device anew and touch it once every @step bytes; only the touch
 * loop is timed (mmap, munmap and page-table teardown are not).  Returns
 * the ns spent.
 */
static double touch_pass(int fd, size_t size, size_t step)
{
	volatile char *map;
	double t0;
	size_t off;

	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap %zu: %s", size, strerror(errno));
	wait_scrubbed();
	t0 = now_ns();
	for (off = 0; off < size; off += step)
		map[off] = 1;
	t0 = now_ns() - t0;
	munmap((void *)map, size);
	return t0;
}

/*
 * ns per fault over a device of @nr ranges of @chunk, mapped with @align
 * and touched every @step bytes; passes repeat until @min_faults faults.
 */
static void bench_fault(const char *label, int nr, unsigned long long chunk,
			unsigned long long align, size_t step, long min_faults)
{
	size_t size = nr * chunk;
	long faults = size / step, done = 0;
	char name[64], path[128], bname[96];
	double ns = 0;
	int fd;

	create_device(name, sizeof(name));
	make_ranges(name, nr, chunk, align);
	bind_to(DRIVER, name);
	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	/*
	 * One phase shift per cell, then an untimed pass: a pass right after
	 * a sleep costs more than the ones after it (fault_pmd_1 measured
	 * 4551 guest ns per fault instead of 1107 when every pass slept
	 * first).
	 */
	shift_phase();
	touch_pass(fd, size, step);
	while (done < min_faults) {
		ns += touch_pass(fd, size, step);
		done += faults;
	}
	close(fd);
	snprintf(bname, sizeof(bname), "%s_%d", label, nr);
	report(bname, ns / done, "ns/fault");
	unbind_from(DRIVER, name);
	destroy_device(name);
}

static void group_fault(void)
{
	static const int nrs[] = { 1, 16, 256, 1024, 2048 };
	unsigned int i;

	for (i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
		if (nrs[i] * SZ_2M > region_size)
			continue;
		bench_fault("fault_pte", nrs[i], SZ_2M, SZ_4K, SZ_4K, 8192);
		bench_fault("fault_pmd", nrs[i], SZ_2M, SZ_2M, SZ_2M, 2048);
	}
	for (i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		if (nrs[i] * SZ_2M <= region_size)
			bench_fault("fault_pte_sparse128k", nrs[i], SZ_2M, SZ_4K,
				    128 << 10, 2048);
	if (region_start % SZ_1G == 0) {
		bench_fault("fault_pud", 1, SZ_1G, SZ_1G, SZ_1G, 256);
		if (2 * SZ_1G <= region_size)
			bench_fault("fault_pud", 2, SZ_1G, SZ_1G, SZ_1G, 256);
		if (4 * SZ_1G <= region_size)
			bench_fault("fault_pud", 4, SZ_1G, SZ_1G, SZ_1G, 256);
	}
}

/*
 * Bind a device of @size at @align to device_dax: ms per bind and the
 * memory the bind takes (MemFree before minus after: the struct pages of
 * memremap_pages(), shared ones with compound pages at 2M and 1G).
 */
static void bench_bind(unsigned long long size, unsigned long long align)
{
	static const char *const sz[] = { "4k", "2m", "1g" };
	int ai = align == SZ_4K ? 0 : align == SZ_2M ? 1 : 2;
	char name[64], bname[96];
	long before, after;
	double t0;

	create_device(name, sizeof(name));
	dev_write(name, "align", align);
	dev_write(name, "size", size);
	start_window();
	before = mem_free_kb();
	t0 = now_ns();
	bind_to(DRIVER, name);
	t0 = now_ns() - t0;
	after = mem_free_kb();
	unbind_from(DRIVER, name);
	destroy_device(name);
	snprintf(bname, sizeof(bname), "bind_%llug_%s", size / SZ_1G, sz[ai]);
	report(bname, t0 / 1e6, "ms");
	snprintf(bname, sizeof(bname), "memmap_%llug_%s", size / SZ_1G, sz[ai]);
	report(bname, before - after, "KiB");
}

static void group_bind(void)
{
	static const unsigned long long aligns[] = { SZ_4K, SZ_2M, SZ_1G };
	unsigned long long size;
	unsigned int a;

	for (size = SZ_1G; size <= 4 * SZ_1G && size <= region_size; size *= 2)
		for (a = 0; a < 3; a++)
			if (aligns[a] != SZ_1G || region_start % SZ_1G == 0)
				bench_bind(size, aligns[a]);
}

enum { CYCLE_CREATE, CYCLE_BIND, CYCLE_UNBIND, CYCLE_DELETE, NR_CYCLE };

static const char *const cycle_steps[NR_CYCLE] = {
	"create", "bind", "unbind", "delete",
};

/*
 * @nr devices of an equal share of the region: create + size + bind +
 * unbind + delete each, all devices through each step in turn; us per
 * device for the whole cycle and for each step.  Where the kernel
 * scrubs, also the time from the last delete until the memory the
 * devices gave back is clear (a cost stock does not pay: it hands the
 * old contents to the next owner).
 */
static void bench_cycle(int nr)
{
	unsigned long long each = region_size / nr / SZ_2M * SZ_2M;
	char (*names)[64] = calloc(nr, sizeof(*names));
	double t[NR_CYCLE] = { 0 }, t0, all = 0;
	char bname[64];
	int i, step;

	if (!names)
		die("no memory");
	if (each > 16 * SZ_2M)
		each = 16 * SZ_2M;
	start_window();
	for (step = 0; step < NR_CYCLE; step++) {
		t0 = now_ns();
		for (i = 0; i < nr; i++) {
			if (step == CYCLE_CREATE) {
				create_device(names[i], sizeof(names[i]));
				dev_write(names[i], "size", each);
			} else if (step == CYCLE_BIND) {
				bind_to(DRIVER, names[i]);
			} else if (step == CYCLE_UNBIND) {
				unbind_from(DRIVER, names[i]);
			} else {
				destroy_device(names[i]);
			}
		}
		t[step] = now_ns() - t0;
		all += t[step];
	}
	free(names);
	snprintf(bname, sizeof(bname), "cycle_devices_%d", nr);
	report(bname, all / nr / 1e3, "us/device");
	for (step = 0; step < NR_CYCLE; step++) {
		snprintf(bname, sizeof(bname), "cycle_devices_%d_%s", nr,
			 cycle_steps[step]);
		report(bname, t[step] / nr / 1e3, "us/device");
	}
	if (pending_bytes() < 0)
		return;
	t0 = now_ns();
	wait_scrubbed();
	snprintf(bname, sizeof(bname), "cycle_devices_%d_scrub", nr);
	report(bname, (now_ns() - t0) / nr / 1e3, "us/device");
}

/*
 * A `size` write growing a device of @nr 2M ranges by 2M, one shrinking
 * it back, and one writing the size it has (what a write costs that
 * changes nothing: open, parse, locks, close), 32 times; ns per write.
 */
static void bench_resize(int nr)
{
	unsigned long long size = nr * SZ_2M;
	double grow = 0, shrink = 0, same = 0, t0;
	char name[64], bname[64];
	int i;

	start_window();
	create_device(name, sizeof(name));
	make_ranges(name, nr, SZ_2M, SZ_4K);
	for (i = 0; i < 32; i++) {
		t0 = now_ns();
		dev_write(name, "size", size + SZ_2M);
		grow += now_ns() - t0;
		t0 = now_ns();
		dev_write(name, "size", size);
		shrink += now_ns() - t0;
		t0 = now_ns();
		dev_write(name, "size", size);
		same += now_ns() - t0;
	}
	destroy_device(name);
	snprintf(bname, sizeof(bname), "resize_same_%d", nr);
	report(bname, same / 32, "ns/write");
	snprintf(bname, sizeof(bname), "resize_grow_%d", nr);
	report(bname, grow / 32, "ns/write");
	snprintf(bname, sizeof(bname), "resize_shrink_%d", nr);
	report(bname, shrink / 32, "ns/write");
}

/*
 * A `mapping` write adding the @nr-th extent to a device of @nr - 1
 * adjacent ranges (descending addresses), undone by a `size` shrink, 32
 * times; ns per mapping write.  The new extent lies below all the others
 * (mapping_extents_N), or @above them, past a 2M gap
 * (mapping_extents_above_N): the two ends of a sorted list.
 */
static void bench_mapping(int nr, int above)
{
	unsigned long long low = region_start + (above ? 0 : SZ_2M);
	unsigned long long add = above ? region_start + nr * SZ_2M :
					 region_start;
	char name[64], path[256], bname[64];
	double ns = 0, t0;
	int i;

	start_window();
	create_device(name, sizeof(name));
	dev_write(name, "align", SZ_4K);
	dev_path(path, sizeof(path), name, "mapping");
	for (i = nr - 2; i >= 0; i--) {
		unsigned long long start = low + i * SZ_2M;

		must_write(path, "%#llx-%#llx", start, start + SZ_2M - 1);
	}
	for (i = 0; i < 32; i++) {
		t0 = now_ns();
		must_write(path, "%#llx-%#llx", add, add + SZ_2M - 1);
		ns += now_ns() - t0;
		dev_write(name, "size", (nr - 1) * SZ_2M);
	}
	destroy_device(name);
	snprintf(bname, sizeof(bname), "mapping_extents_%s%d",
		 above ? "above_" : "", nr);
	report(bname, ns / 32, "ns/write");
}

static void group_prov(void)
{
	static const int devs[] = { 1, 16, 64, 256 };
	static const int nrs[] = { 1, 16, 256, 1024 };
	static const int ext[] = { 1, 16, 256, 1024, 2048 };
	unsigned int i;

	for (i = 0; i < 4; i++)
		bench_cycle(devs[i]);
	for (i = 0; i < 4; i++)
		if (2 * nrs[i] * SZ_2M <= region_size)
			bench_resize(nrs[i]);
	for (i = 0; i < 5; i++)
		if (ext[i] * SZ_2M <= region_size)
			bench_mapping(ext[i], 0);
	for (i = 0; i < 5; i++)
		if ((ext[i] + 1) * SZ_2M <= region_size)
			bench_mapping(ext[i], 1);
}

/* write @state to every memory block named in the kmem device's resources */
static double set_blocks(const char *state, unsigned long long start,
			 unsigned long long size)
{
	unsigned long long block, first, b;
	char path[128], buf[64];
	double t0;

	read_attr("/sys/devices/system/memory/block_size_bytes", buf, sizeof(buf));
	block = strtoull(buf, NULL, 16);
	first = start / block;
	t0 = now_ns();
	for (b = first; b < first + size / block; b++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/memory/memory%llu/state", b);
		must_write(path, "%s", state);
	}
	return now_ns() - t0;
}

/*
 * kmem: a device of @size in @nr ranges bound to kmem (its memory added
 * offline), then onlined and offlined block by block; GiB/s each way.
 */
static void bench_kmem(unsigned long long size, int nr)
{
	unsigned long long chunk = size / nr;
	char name[64], bname[64];
	double on = 0, off = 0;
	int i, gap;

	start_window();
	create_device(name, sizeof(name));
	gap = make_ranges(name, nr, chunk, SZ_2M);
	write_attr("/sys/devices/system/memory/auto_online_blocks", "offline");
	bind_to(KMEM, name);
	for (i = 0; i < nr; i++) {
		unsigned long long s = region_start +
			(gap ? 2ULL * i * chunk : (unsigned long long)i * chunk);

		on += set_blocks("online_movable", s, chunk);
	}
	for (i = 0; i < nr; i++) {
		unsigned long long s = region_start +
			(gap ? 2ULL * i * chunk : (unsigned long long)i * chunk);

		off += set_blocks("offline", s, chunk);
	}
	unbind_from(KMEM, name);
	destroy_device(name);
	snprintf(bname, sizeof(bname), "kmem_online_%llug_%d", size / SZ_1G, nr);
	report(bname, size / (double)SZ_1G / (on / 1e9), "GiB/s");
	snprintf(bname, sizeof(bname), "kmem_offline_%llug_%d", size / SZ_1G, nr);
	report(bname, size / (double)SZ_1G / (off / 1e9), "GiB/s");
}

static void group_kmem(void)
{
	bench_kmem(SZ_1G, 1);
	bench_kmem(SZ_1G, 4);
	if (4 * SZ_1G <= region_size) {
		bench_kmem(2 * SZ_1G, 1);
		bench_kmem(2 * SZ_1G, 4);
	}
}

/*
 * A device of @size bound to device_dax and unbound again (so the
 * memory counts as written), then given back: ms for the `size` 0 and
 * `delete` writes that destroy it.  Where the kernel scrubs, GiB/s from
 * that release until scrub_pending is back to 0.
 */
static void bench_release(unsigned long long size)
{
	char name[64], bname[96];
	double t0, t1;

	start_window();
	create_device(name, sizeof(name));
	dev_write(name, "size", size);
	bind_to(DRIVER, name);
	unbind_from(DRIVER, name);
	t0 = now_ns();
	destroy_device(name);
	t1 = now_ns();
	snprintf(bname, sizeof(bname), "release_%llug", size / SZ_1G);
	report(bname, (t1 - t0) / 1e6, "ms");
	if (pending_bytes() < 0)
		return;
	wait_scrubbed();
	snprintf(bname, sizeof(bname), "scrub_%llug", size / SZ_1G);
	report(bname, size / (double)SZ_1G / ((now_ns() - t0) / 1e9), "GiB/s");
}

static void group_scrub(void)
{
	unsigned long long size;

	for (size = SZ_1G; size <= 2 * SZ_1G && size <= region_size; size *= 2)
		bench_release(size);
}

static const struct group {
	const char *name;
	void (*run)(void);
} groups[] = {
	{ "fault", group_fault },
	{ "bind", group_bind },
	{ "prov", group_prov },
	{ "kmem", group_kmem },
	{ "scrub", group_scrub },
};

int main(int argc, char **argv)
{
	unsigned int g;
	int i;

	const char *nr = getenv("DAX_VM_ROUND");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (nr)
		round_nr = strtoul(nr, NULL, 10);
	find_region();
	printf("dax-bench: region %#llx size %llu MiB, round %u\n",
	       region_start, region_size >> 20, round_nr);
	for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		int want = argc < 2;

		for (i = 1; i < argc; i++)
			want |= !strcmp(argv[i], groups[g].name);
		if (want)
			groups[g].run();
	}
	return 0;
}
