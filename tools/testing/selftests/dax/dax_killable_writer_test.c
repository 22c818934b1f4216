// SPDX-License-Identifier: GPL-2.0
/*
 * Writers stuck behind a long probe can be killed.
 *
 * A large 4K-aligned device is bound to device_dax by a child (its probe
 * sets up the struct pages of the whole device, which takes a while).
 * Meanwhile one child per attribute writes size, mapping, align,
 * memmap_on_memory and the region's delete for that device (values that
 * change nothing whoever gets the device first); each waits for the
 * probe or fails at once.  A writer still there when it gets SIGKILL
 * must sleep interruptibly (state S in /proc/PID/stat, never D), and
 * each must be gone before the probe ends.
 * A round whose probe ended too soon after the kill to tell (no writer
 * held back, or one still there) is run again, unbound first.  Afterwards the device is bound with its size,
 * ranges and align unchanged.
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
	char state;		/* scheduler state when it was killed */
	bool blocked;		/* still running when it was killed */
	bool gone;		/* reaped while the probe still ran */
};

/* a kill this long before the probe's end leaves a writer time to go */
#define MARGIN_MS	30
#define MAX_ROUNDS	4

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

/* the state letter of /proc/PID/stat ("pid (comm) S ..."), 0 if gone */
static char task_state(pid_t pid)
{
	char path[64], buf[256], *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

/* a writer that sleeps (S or D) or is done has got as far as it will */
static bool writers_settled(const struct writer *w)
{
	int i;

	for (i = 0; i < NR_WRITERS; i++) {
		char st = task_state(w[i].pid);

		if (st && st != 'S' && st != 'D' && st != 'Z')
			return false;
	}
	return true;
}

/* give the writers time to reach the device lock behind the probe */
static void wait_for_writers(const struct writer *w, pid_t binder)
{
	uint64_t until = now_ms() + 60;

	sleep_ms(2);
	while (now_ms() < until && running(binder) && !writers_settled(w))
		sleep_ms(2);
}

/*
 * One bind of dev racing the writers.  Returns the ms from the kill to
 * the end of the probe, or -1 when the bind itself failed.
 */
static int64_t race_round(const char *dev, struct writer *w)
{
	uint64_t t_kill, t_end;
	char p[PATH_MAX];
	pid_t binder;
	int i;

	binder = spawn_write(dax_drvpath("device_dax", "bind", p), dev);
	sleep_ms(10);
	for (i = 0; i < NR_WRITERS; i++)
		w[i].pid = spawn_write(w[i].path, w[i].text);
	wait_for_writers(w, binder);
	for (i = 0; i < NR_WRITERS; i++) {
		w[i].state = task_state(w[i].pid);
		w[i].blocked = running(w[i].pid);
		w[i].gone = !w[i].blocked;
		if (w[i].blocked)
			kill(w[i].pid, SIGKILL);
	}
	t_kill = now_ms();
	/* reap the killed writers for as long as the probe runs */
	while (running(binder)) {
		for (i = 0; i < NR_WRITERS; i++)
			if (!w[i].gone && !running(w[i].pid))
				w[i].gone = true;
		sleep_ms(2);
	}
	t_end = now_ms();
	for (i = 0; i < NR_WRITERS; i++)
		if (!w[i].gone)
			waitpid(w[i].pid, NULL, 0);
	waitpid(binder, NULL, 0);
	if (!ext_dev_bound_to(dev, "device_dax"))
		return -1;
	return t_end - t_kill;
}

/*
 * A round tells when the kill came long enough before the probe's end,
 * or when a writer was held back by the probe and every killed writer
 * left before it ended.
 */
static bool round_tells(const struct writer *w, int64_t margin)
{
	bool held = false;
	int i;

	if (margin >= MARGIN_MS)
		return true;
	for (i = 0; i < NR_WRITERS; i++) {
		if (!w[i].gone)
			return false;
		held |= w[i].blocked;
	}
	return held;
}

static void report_writer(const struct writer *w, int64_t margin)
{
	bool stock_lag = dax_impl_is_stock() && !strcmp(w->name, "delete");

	if (stock_lag && (!w->gone || w->state == 'D')) {
		ext_skip(w->name, "stock divergence: delete waits for the probe in an uninterruptible device_lock() (state D); SIGKILL left it blocked until the bind ended");
		return;
	}
	ext_result(w->gone && w->state != 'D',
		   "%s_killable: writer %s (state %c), %s %" PRId64 " ms after the kill, when the probe ended",
		   w->name, w->blocked ? "blocked and killed" : "returned at once",
		   w->blocked && w->state ? w->state : '-',
		   w->gone ? "gone before" : "still there", margin);
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
	char dev[DAX_NAME] = "";
	struct dax_dev_state before, after;
	struct dax_region r;
	int64_t margin = -1;
	int i, err, round;
	uint64_t size;

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

	for (round = 1; round <= MAX_ROUNDS; round++) {
		if (round > 1)
			ext_unbind(dev);
		margin = race_round(dev, w);
		if (margin < 0 || round_tells(w, margin))
			break;
		ext_diag("round %d: the probe ended %" PRId64 " ms after the kill, too soon to tell",
			 round, margin);
	}
	if (margin < 0)
		skip_rest("the bind failed");
	else if (!round_tells(w, margin))
		skip_rest("no probe outlasted the kill by 30 ms");
	else
		for (i = 0; i < NR_WRITERS; i++)
			report_writer(&w[i], margin);

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
