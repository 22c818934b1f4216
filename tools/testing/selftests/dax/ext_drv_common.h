/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the ext_drv_* tests of the device_dax and kmem drivers, on
 * top of dax_common.h's sysfs helpers: TAP output (these tests do not use
 * kselftest_harness), binding a scratch device, and user mappings of
 * /dev/daxX.Y with fault probing.
 */
#ifndef EXT_DRV_COMMON_H
#define EXT_DRV_COMMON_H

#include "dax_common.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

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

/* ---- devices ----------------------------------------------------------- */

static inline bool ext_dev_bound_to(const char *dev, const char *drv)
{
	char cur[DAX_NAME];

	dax_dev_driver(dev, cur, sizeof(cur));
	return !strcmp(cur, drv);
}

static inline int ext_bind(const char *dev, const char *drv)
{
	int rc;

	/* kmem only matches hmem devices of an idle region by id */
	if (!strcmp(drv, "kmem"))
		dax_drv_write(drv, "new_id", dev);
	if (ext_dev_bound_to(dev, drv))
		return 0;
	rc = dax_drv_write(drv, "bind", dev);
	if (rc)
		return rc;
	return ext_dev_bound_to(dev, drv) ? 0 : -ENXIO;
}

/* unbind @dev (offlining kmem memory first) and drop its kmem new_id */
static inline void ext_unbind(const char *dev)
{
	bool kmem = ext_dev_bound_to(dev, "kmem");

	dax_unbind(dev);
	if (kmem)
		dax_drv_write("kmem", "remove_id", dev);
}

/* unbind, shrink to zero and delete @dev */
static inline void ext_destroy_dev(const struct dax_region *r,
				   const char *dev)
{
	if (!dev[0])
		return;
	ext_unbind(dev);
	dax_set_size(dev, 0);
	dax_delete(r, dev);
}

/* all mappingN of @dev, not capped at DAX_MAX_RANGES like dax_dev_read() */
static inline int ext_count_mappings(const char *dev)
{
	char pattern[PATH_MAX];
	glob_t g;
	int n;

	snprintf(pattern, sizeof(pattern), DAX_DEVICES "/%s/mapping[0-9]*",
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
	void *p;
	int fd;

	fd = dax_chardev_open(dev);
	if (fd < 0) {
		*err = -fd;
		return MAP_FAILED;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);
	*err = p == MAP_FAILED ? errno : 0;
	close(fd);
	return p;
}

/*
 * Number of "System RAM (kmem)" resources of /proc/iomem inside
 * [@start, @end], -1 if it cannot be read; *@first (when not NULL) gets
 * the start of the first one.
 */
static inline int ext_count_kmem_ram(uint64_t start, uint64_t end,
				     uint64_t *first)
{
	char line[256];
	uint64_t s, e;
	int n = 0;
	FILE *f;

	f = fopen("/proc/iomem", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "System RAM (kmem)"))
			continue;
		if (sscanf(line, " %" SCNx64 "-%" SCNx64, &s, &e) != 2)
			continue;
		if (s >= start && e <= end) {
			if (!n && first)
				*first = s;
			n++;
		}
	}
	fclose(f);
	return n;
}

#endif /* EXT_DRV_COMMON_H */
