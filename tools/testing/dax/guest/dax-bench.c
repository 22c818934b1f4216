// SPDX-License-Identifier: GPL-2.0
/*
 * dax-bench: micro-benchmarks of the device-dax bus, run in the dax-vm
 * guest on either implementation.  Each line it prints is
 *
 *   bench NAME VALUE UNIT
 *
 * where VALUE is the best of several rounds (a round only gets slower when
 * the host is busy); the host divides ours by
 * stock.  Only the ABI both implementations share is used.
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
#define ROUNDS 7
#define SZ_2M (2UL << 20)
#define SZ_4K 4096UL

static unsigned long long region_start;

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

static void must_write(const char *path, const char *fmt, const char *val)
{
	int rc = write_attr(path, fmt, val);

	if (rc)
		die("write '%s' to %s: %s", val, path, strerror(-rc));
}

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* under TCG a round only gets slower when the host is busy: keep the best */
static double best(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[0];
}

static void find_region_start(void)
{
	char line[256];
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		die("/proc/iomem: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, ": Soft Reserved")) {
			region_start = strtoull(line + strspn(line, " "), NULL, 16);
			fclose(f);
			return;
		}
	}
	die("no Soft Reserved range in /proc/iomem");
}

/* A new size-0 device; its name goes to @name. */
static void create_device(char *name, size_t len)
{
	must_write(REGION "/create", "%s", "1");
	read_attr(REGION "/create", name, len);
	if (!*name)
		die("create gave no device");
}

static void dev_path(char *buf, size_t len, const char *name, const char *attr)
{
	snprintf(buf, len, DEVICES "/%s/%s", name, attr);
}

static void destroy_device(const char *name)
{
	char path[256];

	write_attr(DRIVER "/unbind", "%s", name);
	write_attr(DRIVER "/remove_id", "%s", name);
	dev_path(path, sizeof(path), name, "size");
	must_write(path, "%s", "0");
	must_write(REGION "/delete", "%s", name);
}

/*
 * How a benchmark device is laid out: @nr ranges of @chunk bytes each.
 * With @gap the ranges have a free hole of their own size between them;
 * without it they are adjacent but given in descending address order, so
 * that they still stay separate ranges (page offsets run the other way).
 */
struct layout {
	int nr;
	unsigned long long chunk;
	int gap;
};

static void make_layout(const char *name, const struct layout *l,
			unsigned long align)
{
	char path[256];
	int i, rc;

	dev_path(path, sizeof(path), name, "align");
	rc = write_attr(path, "%lu", align);
	if (rc)
		die("align %lu: %s", align, strerror(-rc));
	dev_path(path, sizeof(path), name, "mapping");
	for (i = 0; i < l->nr; i++) {
		unsigned long long start;

		if (l->gap)
			start = region_start + 2ULL * i * l->chunk;
		else
			start = region_start + (l->nr - 1 - i) * l->chunk;
		rc = write_attr(path, "%#llx-%#llx", start, start + l->chunk - 1);
		if (rc)
			die("mapping %d: %s", i, strerror(-rc));
	}
}

static void bind_device_dax(const char *name)
{
	must_write(DRIVER "/new_id", "%s", name);
	write_attr(DRIVER "/bind", "%s", name);
}

/* ns per fault when touching every @step of the whole device once */
static double fault_round(const char *name, size_t size, size_t step)
{
	char path[128];
	volatile char *map;
	double t0, t1;
	size_t off;
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", name);
	fd = open(path, O_RDWR);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap %s: %s", path, strerror(errno));
	t0 = now_ns();
	for (off = 0; off < size; off += step)
		map[off] = 1;
	t1 = now_ns();
	munmap((void *)map, size);
	close(fd);
	return (t1 - t0) / (size / step);
}

/*
 * ns per fault: map the device with @align and touch it every @step bytes;
 * each round maps it anew, so every touch faults.
 */
static void bench_faults(const char *label, const struct layout *l,
			 unsigned long align, size_t step)
{
	double v[ROUNDS];
	char name[64];
	int i;

	create_device(name, sizeof(name));
	make_layout(name, l, align);
	bind_device_dax(name);
	for (i = 0; i < ROUNDS; i++)
		v[i] = fault_round(name, l->nr * l->chunk, step);
	printf("bench %s %.0f ns/fault\n", label, best(v, ROUNDS));
	destroy_device(name);
}

/*
 * ms to bind a whole-region device to device_dax (memremap_pages() and
 * its struct pages: compound pages make 2M and 1G cheaper than 4K)
 */
static void bench_bind(const char *label, unsigned long long size,
		       unsigned long align)
{
	char name[64], path[256], val[32];
	double v[3], t0;
	int r;

	create_device(name, sizeof(name));
	dev_path(path, sizeof(path), name, "align");
	snprintf(val, sizeof(val), "%lu", align);
	must_write(path, "%s", val);
	dev_path(path, sizeof(path), name, "size");
	snprintf(val, sizeof(val), "%llu", size);
	must_write(path, "%s", val);
	for (r = 0; r < 3; r++) {
		t0 = now_ns();
		bind_device_dax(name);
		v[r] = (now_ns() - t0) / 1e6;
		must_write(DRIVER "/unbind", "%s", name);
		must_write(DRIVER "/remove_id", "%s", name);
	}
	printf("bench %s %.1f ms/bind\n", label, best(v, 3));
	destroy_device(name);
}

/* ns per size write, growing a device 2M at a time then shrinking it */
static void bench_resize(int steps)
{
	double v[ROUNDS], t0;
	char name[64], path[256];
	int i, r;

	create_device(name, sizeof(name));
	dev_path(path, sizeof(path), name, "size");
	for (r = 0; r < ROUNDS; r++) {
		t0 = now_ns();
		for (i = 1; i <= steps; i++) {
			char val[32];

			snprintf(val, sizeof(val), "%lu", i * SZ_2M);
			must_write(path, "%s", val);
		}
		for (i = steps - 1; i >= 0; i--) {
			char val[32];

			snprintf(val, sizeof(val), "%lu", i * SZ_2M);
			must_write(path, "%s", val);
		}
		v[r] = (now_ns() - t0) / (2 * steps);
	}
	printf("bench resize_2m_steps %.0f ns/write\n", best(v, ROUNDS));
	destroy_device(name);
}

/* ns per create + delete of a size-0 device */
static void bench_create_delete(int count)
{
	double v[ROUNDS], t0;
	char name[64];
	int i, r;

	for (r = 0; r < ROUNDS; r++) {
		t0 = now_ns();
		for (i = 0; i < count; i++) {
			create_device(name, sizeof(name));
			must_write(REGION "/delete", "%s", name);
		}
		v[r] = (now_ns() - t0) / count;
	}
	printf("bench create_delete %.0f ns/cycle\n", best(v, ROUNDS));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	find_region_start();
	/* 2G of soft-reserved memory: one range, then 1024 adjacent ones */
	const struct layout one = { 1, 1024 * SZ_2M, 0 };
	const struct layout many = { 1024, SZ_2M, 0 };
	const struct layout holes = { 256, SZ_2M, 1 };

	bench_faults("fault_4k_1_range", &one, SZ_4K, 128 << 10);
	bench_faults("fault_4k_1024_ranges", &many, SZ_4K, 128 << 10);
	bench_faults("fault_2m_256_ranges_holes", &holes, SZ_2M, SZ_2M);
	bench_bind("bind_1g_align_4k", 1024 * SZ_2M / 2, SZ_4K);
	bench_bind("bind_1g_align_2m", 1024 * SZ_2M / 2, SZ_2M);
	bench_bind("bind_1g_align_1g", 1024 * SZ_2M / 2, 1024 * SZ_2M / 2);
	bench_resize(64);
	bench_create_delete(50);
	return 0;
}
