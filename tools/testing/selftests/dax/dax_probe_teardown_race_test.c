// SPDX-License-Identifier: GPL-2.0
/*
 * A device_dax bind racing the unbind of the region's provider.
 *
 * Each round creates a 1G device, starts binding it to device_dax in a
 * child (the probe builds struct pages for all of it, tens of ms under
 * TCG) and, after a delay that grows from round to round, unbinds the
 * hmem platform device.  Whatever the interleaving, the device must be
 * gone afterwards, with no resource of it left in /proc/iomem, and
 * binding the provider again must bring back an idle region.  The
 * harness fails the run on any splat (a teardown that killed the
 * dax_device while the probe still set it up used to leave the probe to
 * revive it).  The child and the parent note when their writes start and
 * end: at least one round must have started the unbind while the bind
 * was still running, or the rounds tested no race at all.
 */
#include "ext_drv_common.h"

#include <sys/wait.h>
#include <time.h>

#define ROUNDS 12
#define DELAY_STEP_US 3000
#define NR_TESTS (2 * ROUNDS + 1)
#define DEV_SIZE (1024 * UINT64_C(0x100000))

/* the bind's start and end, written by the child */
struct bind_times {
	uint64_t start_ns;
	uint64_t end_ns;
};

static struct bind_times *times;
static int overlapped;

static void skip_rest(const char *why)
{
	while (ext_test_nr < NR_TESTS)
		ext_skip("probe_teardown_race", why);
}

/* lines of /proc/iomem naming @dev */
static int iomem_lines_of(const char *dev)
{
	char line[256];
	int n = 0;
	FILE *f;

	f = fopen("/proc/iomem", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, dev))
			n++;
	fclose(f);
	return n;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * UINT64_C(1000000000) + ts.tv_nsec;
}

static pid_t bind_in_child(const char *dev)
{
	pid_t pid = fork();
	int rc;

	if (pid == 0) {
		times->start_ns = now_ns();
		rc = dax_drv_write("device_dax", "bind", dev);
		times->end_ns = now_ns();
		_exit(-rc & 0xff);
	}
	return pid;
}

/* one round; false when the provider could not be bound again */
static bool one_round(const char *pdev, int round)
{
	char dev[DAX_NAME] = "";
	struct dax_region r;
	int err, status = 0, left;
	uint64_t unbind_ns = 0;
	pid_t pid;

	if (dax_region_find(&r))
		return false;
	err = dax_create_sized(&r, dev, DEV_SIZE);
	memset(times, 0, sizeof(*times));
	pid = err ? -1 : bind_in_child(dev);
	if (pid > 0) {
		usleep(round * DELAY_STEP_US);
		unbind_ns = now_ns();
	}
	err = err ? err : dax_hmem_driver_write("unbind", pdev);
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (times->start_ns && unbind_ns > times->start_ns &&
	    unbind_ns < times->end_ns)
		overlapped++;
	left = iomem_lines_of(dev);
	ext_result(!err && pid > 0 && !dax_dev_exists(dev) && left == 0,
		   "round%d_unbind_during_bind: %s unbind %s, bind exit %d, %d iomem lines left",
		   round, dev, err ? strerror(-err) : "ok",
		   WIFEXITED(status) ? WEXITSTATUS(status) : -1, left);

	err = dax_hmem_driver_write("bind", pdev);
	ext_result(!err && !dax_region_find(&r) &&
		   dax_region_u64(&r, "available_size") == r.size,
		   "round%d_provider_back_idle: bind %s", round,
		   err ? strerror(-err) : "ok");
	return !err;
}

int main(void)
{
	struct dax_region r;
	char pdev[PATH_MAX];
	int round;

	ext_plan(NR_TESTS);
	if (dax_region_find(&r) ||
	    dax_region_u64(&r, "available_size") != r.size ||
	    r.size < DEV_SIZE) {
		skip_rest("no idle hmem dax region of 256M");
		return 0;
	}
	times = mmap(NULL, sizeof(*times), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (times == MAP_FAILED) {
		skip_rest("no shared memory");
		return 1;
	}
	snprintf(pdev, sizeof(pdev), "%s", strrchr(r.pdev, '/') + 1);
	for (round = 0; round < ROUNDS; round++)
		if (!one_round(pdev, round))
			break;
	if (round == ROUNDS)
		ext_result(overlapped > 0,
			   "race_window_hit: %d of %d unbinds began during the bind",
			   overlapped, ROUNDS);
	skip_rest("the provider did not come back");
	return ext_failures ? 1 : 0;
}
