// SPDX-License-Identifier: GPL-2.0
/*
 * Writers stuck behind a long probe can be killed.
 *
 * A large 4K-aligned device is bound to device_dax by a child (its probe
 * sets up the struct pages of the whole device, which takes a while).
 * Meanwhile one child per attribute writes size, mapping, align,
 * memmap_on_memory and the region's delete for that device (values that
 * change nothing whoever gets the device first); each waits for the
 * probe or fails at once.  All of them get SIGKILL, and each must
 * be gone before the probe ends.  Afterwards the device is bound with
 * its size, ranges and align unchanged.
 */
#include "ext_drv_common.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define NR_WRITERS 5
#define NR_TESTS (2 + NR_WRITERS)

struct writer {
	const char *name;
	char path[PATH_MAX];
	char text[64];
	pid_t pid;
	bool gone;		/* reaped while the probe still ran */
	bool blocked;		/* still running when it was killed */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static pid_t spawn_write(const char *path, const char *text)
{
	pid_t pid = fork();

	if (!pid)
		_exit(dax_write_str(path, text) ? 1 : 0);
	return pid;
}

static bool running(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

static void skip_rest(const char *why)
{
	while (ext_test_nr < NR_TESTS)
		ext_skip("killable_writer", why);
}

int main(void)
{
	struct writer w[NR_WRITERS] = {
		{ .name = "size" }, { .name = "mapping" }, { .name = "align" },
		{ .name = "memmap_on_memory" }, { .name = "delete" },
	};
	uint64_t size, t0, probe_ms, end_ms = 0;
	char dev[DAX_NAME] = "", p[PATH_MAX];
	struct dax_dev_state before, after;
	struct dax_region r;
	int i, err, tries;
	pid_t binder;

	ext_plan(NR_TESTS);
	if (dax_region_find(&r)) {
		skip_rest("no hmem dax region");
		return 0;
	}
	size = dax_region_u64(&r, "available_size");
	if (size > 2 * SZ_1G)
		size = 2 * SZ_1G;
	size -= size % SZ_2M;
	if (size < 256 * SZ_2M) {
		skip_rest("less than 512M free");
		return 0;
	}

	err = dax_create(&r, dev);
	if (!err)
		err = dax_set_align(dev, SZ_4K);
	if (!err)
		err = dax_set_size(dev, size);
	if (!err)
		err = dax_dev_read(dev, &before);
	ext_result(!err, "setup: %s, %" PRIu64 "M at 4K align: %s", dev,
		   size >> 20, err ? strerror(-err) : "ok");
	if (err) {
		skip_rest("no device");
		ext_destroy_dev(&r, dev);
		return 1;
	}

	/* harmless whoever gets the device first: no-ops or refused */
	snprintf(w[0].text, sizeof(w[0].text), "%" PRIu64, size);
	snprintf(w[1].text, sizeof(w[1].text), "%" PRIx64 "-%" PRIx64,
		 before.r[0].start, before.r[0].start + SZ_2M - 1);
	snprintf(w[2].text, sizeof(w[2].text), "%" PRIu64, SZ_4K);
	snprintf(w[3].text, sizeof(w[3].text), "%" PRIu64,
		 dax_dev_u64(dev, "memmap_on_memory"));
	snprintf(w[4].text, sizeof(w[4].text), "%s", dev);
	for (i = 0; i < NR_WRITERS - 1; i++)
		dax_dpath(dev, w[i].name, w[i].path);
	dax_rpath(&r, "delete", w[4].path);

	t0 = now_ms();
	binder = spawn_write(dax_drvpath("device_dax", "bind", p), dev);
	sleep_ms(50);
	for (i = 0; i < NR_WRITERS; i++)
		w[i].pid = spawn_write(w[i].path, w[i].text);
	sleep_ms(100);
	for (i = 0; i < NR_WRITERS; i++) {
		w[i].blocked = running(w[i].pid);
		if (w[i].blocked)
			kill(w[i].pid, SIGKILL);
		else
			w[i].gone = true;
	}
	/* reap the killed writers for as long as the probe runs */
	for (tries = 0; running(binder); tries++) {
		for (i = 0; i < NR_WRITERS; i++)
			if (!w[i].gone && !running(w[i].pid))
				w[i].gone = true;
		sleep_ms(5);
	}
	end_ms = now_ms();
	probe_ms = end_ms - t0;
	for (i = 0; i < NR_WRITERS; i++)
		if (!w[i].gone)
			waitpid(w[i].pid, NULL, 0);

	if (probe_ms < 250) {
		/* the probe did not outlast the writers' wait: no evidence */
		ext_diag("bind took %" PRIu64 " ms", probe_ms);
		skip_rest("probe too fast to hold writers back");
	} else {
		for (i = 0; i < NR_WRITERS; i++) {
			bool stock_lag = dax_impl_is_stock() &&
					 !strcmp(w[i].name, "delete");

			if (stock_lag && !w[i].gone) {
				ext_skip(w[i].name, "stock divergence: delete waits for the probe in an uninterruptible device_lock(); SIGKILL left it blocked until the bind ended");
				continue;
			}
			ext_result(w[i].gone,
				   "%s_killable: writer %s, %s before the %" PRIu64 " ms bind ended",
				   w[i].name, w[i].blocked ? "blocked and killed" :
				   "returned at once",
				   w[i].gone ? "gone" : "still there", probe_ms);
		}
	}

	err = dax_dev_read(dev, &after);
	ext_result(!err && ext_dev_bound_to(dev, "device_dax") &&
		   after.size == before.size && after.nr == before.nr &&
		   after.align == before.align,
		   "unchanged: %s bound to %s, size %" PRIu64 ", %d ranges, align %" PRIu64,
		   dev, dax_driver_of(dev), after.size, after.nr, after.align);

	ext_destroy_dev(&r, dev);
	dax_drv_write("device_dax", "remove_id", dev);
	return ext_failures ? 1 : 0;
}
