/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the ext_drv_* tests of the device_dax and kmem drivers:
 * sysfs access, a scratch device in the first hmem region, TAP output.
 */
#ifndef EXT_DRV_COMMON_H
#define EXT_DRV_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXT_SZ_2M	UINT64_C(0x200000)
#define EXT_DAX_DEVS	"/sys/bus/dax/devices"
#define EXT_DAX_DRVS	"/sys/bus/dax/drivers"

struct ext_region {
	char dir[PATH_MAX];	/* /sys/devices/platform/hmem.N/dax_region */
	uint64_t start;
	uint64_t size;
	uint64_t align;
};

static int ext_failures;
static int ext_test_nr;

static inline void ext_plan(int n)
{
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

static inline void ext_result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d ", ok ? "" : "not ", ++ext_test_nr);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		ext_failures++;
}

static inline void ext_skip(const char *name, const char *why)
{
	printf("ok %d %s # SKIP %s\n", ++ext_test_nr, name, why);
	fflush(stdout);
}

static inline void ext_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline bool ext_impl_is_ours(void)
{
	const char *impl = getenv("DAX_IMPL");

	return impl && !strcmp(impl, "ours");
}

/* ---- sysfs ----------------------------------------------------------- */

static inline int ext_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return n;
}

static inline uint64_t ext_read_u64(const char *path)
{
	char buf[64];

	if (ext_read(path, buf, sizeof(buf)) <= 0)
		return UINT64_MAX;
	return strtoull(buf, NULL, 0);
}

static inline int ext_write(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	ssize_t n;
	int fd;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, strlen(buf));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static inline const char *ext_dev_attr(const char *dev, const char *attr)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), EXT_DAX_DEVS "/%s/%s", dev, attr);
	return path;
}

static inline const char *ext_drv_attr(const char *drv, const char *attr)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), EXT_DAX_DRVS "/%s/%s", drv, attr);
	return path;
}

static inline const char *ext_region_attr(const struct ext_region *r,
					  const char *attr)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", r->dir, attr);
	return path;
}

/* first hmem region; start taken from the "Soft Reserved" iomem entry */
static inline int ext_find_region(struct ext_region *r)
{
	char line[256];
	uint64_t s, e;
	glob_t g;
	FILE *f;

	memset(r, 0, sizeof(*r));
	if (glob("/sys/devices/platform/hmem.*/dax_region", 0, NULL, &g))
		return -ENOENT;
	snprintf(r->dir, sizeof(r->dir), "%s", g.gl_pathv[0]);
	globfree(&g);
	r->size = ext_read_u64(ext_region_attr(r, "size"));
	r->align = ext_read_u64(ext_region_attr(r, "align"));
	if (r->size == UINT64_MAX || r->align == UINT64_MAX)
		return -EIO;

	f = fopen("/proc/iomem", "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "Soft Reserved") && !strstr(line, "hmem."))
			continue;
		if (sscanf(line, " %" SCNx64 "-%" SCNx64, &s, &e) != 2)
			continue;
		if (e - s + 1 == r->size) {
			r->start = s;
			break;
		}
	}
	fclose(f);
	return r->start ? 0 : -ENOENT;
}

/* a new, empty, unbound device of region @r; reading create names it */
static inline int ext_create_dev(const struct ext_region *r, char *dev,
				 size_t len)
{
	int rc = ext_write(ext_region_attr(r, "create"), "1");

	if (rc)
		return rc;
	rc = ext_read(ext_region_attr(r, "create"), dev, len);
	return rc > 0 ? 0 : -ENODEV;
}

static inline bool ext_dev_bound_to(const char *dev, const char *drv)
{
	char link[PATH_MAX], *slash;
	ssize_t n;

	n = readlink(ext_dev_attr(dev, "driver"), link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	slash = strrchr(link, '/');
	return !strcmp(slash ? slash + 1 : link, drv);
}

static inline int ext_bind(const char *dev, const char *drv)
{
	int rc;

	/* kmem only matches hmem devices of an idle region by id */
	if (!strcmp(drv, "kmem"))
		ext_write(ext_drv_attr(drv, "new_id"), "%s", dev);
	if (ext_dev_bound_to(dev, drv))
		return 0;
	rc = ext_write(ext_drv_attr(drv, "bind"), "%s", dev);
	if (rc)
		return rc;
	return ext_dev_bound_to(dev, drv) ? 0 : -ENXIO;
}

static inline void ext_unbind(const char *dev)
{
	char link[PATH_MAX], *slash;
	ssize_t n;

	n = readlink(ext_dev_attr(dev, "driver"), link, sizeof(link) - 1);
	if (n <= 0)
		return;
	link[n] = '\0';
	slash = strrchr(link, '/');
	slash = slash ? slash + 1 : link;
	ext_write(ext_drv_attr(slash, "unbind"), "%s", dev);
	if (!strcmp(slash, "kmem"))
		ext_write(ext_drv_attr(slash, "remove_id"), "%s", dev);
}

/* unbind, shrink to zero and delete @dev */
static inline void ext_destroy_dev(const struct ext_region *r,
				   const char *dev)
{
	if (!dev[0])
		return;
	ext_unbind(dev);
	ext_write(ext_dev_attr(dev, "size"), "0");
	ext_write(ext_region_attr(r, "delete"), "%s", dev);
}

static inline int ext_add_mapping(const char *dev, uint64_t start,
				  uint64_t len)
{
	return ext_write(ext_dev_attr(dev, "mapping"), "%" PRIx64 "-%" PRIx64,
			 start, start + len - 1);
}

static inline int ext_count_mappings(const char *dev)
{
	char pattern[PATH_MAX];
	glob_t g;
	int n;

	snprintf(pattern, sizeof(pattern), EXT_DAX_DEVS "/%s/mapping[0-9]*",
		 dev);
	if (glob(pattern, 0, NULL, &g))
		return 0;
	n = g.gl_pathc;
	globfree(&g);
	return n;
}

/* ---- user mappings ----------------------------------------------------- */

static sigjmp_buf ext_fault_jmp;

static inline void ext_on_sigbus(int sig)
{
	siglongjmp(ext_fault_jmp, sig);
}

/* read one word at @p; false if that raised SIGBUS or SIGSEGV */
static inline bool ext_probe_read(volatile uint64_t *p, uint64_t *val)
{
	struct sigaction sa = { .sa_handler = ext_on_sigbus };
	struct sigaction old_bus, old_segv;
	bool ok = false;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	if (!sigsetjmp(ext_fault_jmp, 1)) {
		*val = *p;
		ok = true;
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return ok;
}

static inline void *ext_map_dev(const char *dev, size_t len, int flags,
				off_t off, int *err)
{
	char path[PATH_MAX];
	void *p;
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", dev);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		*err = errno;
		return MAP_FAILED;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);
	*err = p == MAP_FAILED ? errno : 0;
	close(fd);
	return p;
}

#endif /* EXT_DRV_COMMON_H */
