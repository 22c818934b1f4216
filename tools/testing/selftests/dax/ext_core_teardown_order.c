// SPDX-License-Identifier: GPL-2.0
/*
 * Unbinding the region's provider (the hmem platform device) tears down
 * every device of the region; binding it again brings the region back
 * idle.  The order of the "remove" uevents of the dax devices is the
 * teardown order: ours walks the region's device list from its head, so
 * devices go in creation order, oldest first; stock 6.12 releases one
 * devm action per device, so they go youngest first.
 */
#include "ext_drv_common.h"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>

#define NR_TESTS 4
#define NR_DEVS 3
#define MAX_EVENTS (2 * NR_DEVS + 4)

static int uevent_open(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1,
	};
	int fd, size = 1 << 20;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
		    NETLINK_KOBJECT_UEVENT);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/*
 * Read "remove@.../daxR.I" uevents (the devices, not their mappingN
 * children) for up to @ms milliseconds of silence; the index in @devs
 * of each removed device goes to @order, -1 for others of the region.
 */
static int read_removals(int fd, int rid, char devs[][DAX_NAME],
			 int *order, int max, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096], prefix[32];
	int n = 0, i;

	snprintf(prefix, sizeof(prefix), "/dax%d.", rid);
	while (n < max && poll(&pfd, 1, ms) > 0) {
		ssize_t len = recv(fd, buf, sizeof(buf) - 1, 0);
		const char *name;

		if (len <= 0)
			break;
		buf[len] = '\0';
		if (strncmp(buf, "remove@", 7))
			continue;
		name = strrchr(buf, '/');
		if (!name || strncmp(name, prefix, strlen(prefix)))
			continue;
		order[n] = -1;
		for (i = 0; i < NR_DEVS; i++)
			if (!strcmp(name + 1, devs[i]))
				order[n] = i;
		n++;
	}
	return n;
}

static void skip_rest(const char *why)
{
	while (ext_test_nr < NR_TESTS)
		ext_skip("teardown_order", why);
}

int main(void)
{
	char devs[NR_DEVS][DAX_NAME] = { "" };
	int order[MAX_EVENTS], n = 0, i, j, fd, err = 0;
	char pdev[PATH_MAX], got[128] = "";
	struct dax_region r, back;
	bool oldest_first;

	ext_plan(NR_TESTS);
	if (dax_region_find(&r) ||
	    dax_region_u64(&r, "available_size") != r.size ||
	    r.size < NR_DEVS * SZ_2M) {
		skip_rest("no idle hmem dax region");
		return 0;
	}
	snprintf(pdev, sizeof(pdev), "%s", strrchr(r.pdev, '/') + 1);

	for (i = 0; i < NR_DEVS && !err; i++)
		err = dax_create_sized(&r, devs[i], SZ_2M);
	fd = err ? -1 : uevent_open();
	ext_result(!err && fd >= 0, "teardown_setup: %s %s %s on %s: %s",
		   devs[0], devs[1], devs[2], pdev,
		   err ? strerror(-err) : fd < 0 ? strerror(-fd) : "ok");
	if (err || fd < 0) {
		skip_rest("no devices or no uevent socket");
		for (i = NR_DEVS - 1; i >= 0; i--)
			ext_destroy_dev(&r, devs[i]);
		return 1;
	}

	err = dax_hmem_driver_write("unbind", pdev);
	if (!err)
		n = read_removals(fd, r.id, devs, order, MAX_EVENTS,
				  2000);
	close(fd);
	for (i = 0, j = 0; i < n; i++) {
		if (order[i] < 0)
			continue;
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
			 j++ ? "," : "", devs[order[i]]);
	}
	ext_result(!err && j == NR_DEVS && !dax_dev_exists(devs[0]) &&
		   !dax_dev_exists(devs[NR_DEVS - 1]),
		   "provider_unbind_removes_every_device: unbind %s, removed %s",
		   err ? strerror(-err) : "ok", got);

	oldest_first = j == NR_DEVS;
	for (i = 0, j = 0; i < n && oldest_first; i++)
		if (order[i] >= 0 && order[i] != j++)
			oldest_first = false;
	if (!dax_impl_is_stock()) {
		ext_result(oldest_first, "teardown_oldest_first: %s", got);
	} else {
		ext_diag("stock: devices removed in the order %s", got);
		ext_skip("teardown_oldest_first",
			 "stock tears devices down youngest first");
	}

	err = dax_hmem_driver_write("bind", pdev);
	ext_result(!err && !dax_region_find(&back) && back.id == r.id &&
		   dax_region_u64(&back, "available_size") == back.size,
		   "provider_bind_brings_back_an_idle_region: bind %s",
		   err ? strerror(-err) : "ok");
	return ext_failures ? 1 : 0;
}
