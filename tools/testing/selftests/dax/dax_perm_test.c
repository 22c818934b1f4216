// SPDX-License-Identifier: GPL-2.0
/*
 * Unprivileged access (issue case 18): a process that dropped to uid/gid
 * 65534 cannot write any dax attribute nor open /dev/daxX.Y, and its
 * attempts change nothing.
 */
#include <grp.h>
#include <sys/wait.h>
#include "kselftest_harness.h"
#include "dax_common.h"

#define NOBODY	65534

FIXTURE(perm) {
	struct dax_region r;
	struct dax_state start;
	char bound[DAX_NAME];	/* 2M, bound to device_dax */
	char idle[DAX_NAME];	/* size 0, unbound */
};

FIXTURE_SETUP(perm)
{
	DAX_FIXTURE_SETUP(self);
	ASSERT_EQ(0, dax_create_sized(&self->r, self->bound, SZ_2M));
	ASSERT_EQ(0, dax_bind_devdax(self->bound));
	ASSERT_EQ(0, dax_create(&self->r, self->idle));
}

FIXTURE_TEARDOWN_PARENT(perm)
{
	DAX_FIXTURE_TEARDOWN(self);
}

enum op { OP_WRITE, OP_OPEN_RW, OP_OPEN_RO };

/*
 * Run @op on @path as uid/gid 65534 in a child; return the errno it saw
 * (0 on success, -1 when privileges could not be dropped).
 */
static int as_nobody(enum op op, const char *path, const char *data)
{
	int status, fd, err = 0;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(255);
		if (op == OP_WRITE) {
			fd = open(path, O_WRONLY);
			if (fd < 0)
				err = errno;
			else if (write(fd, data, strlen(data)) < 0)
				err = errno;
		} else {
			fd = open(path, op == OP_OPEN_RW ? O_RDWR : O_RDONLY);
			if (fd < 0)
				err = errno;
		}
		_exit(err);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) == 255 ? -1 : WEXITSTATUS(status);
}

#define ASSERT_NOBODY_DENIED(r, op, path, data) do { \
	static struct dax_state __a, __b; \
	char __m[DAX_MSG]; \
	int __e; \
	ASSERT_EQ(0, dax_snapshot(r, &__a)); \
	__e = as_nobody(op, path, data); \
	ASSERT_TRUE(__e == EACCES || __e == EPERM) \
		TH_LOG("%s as uid 65534: errno %d", path, __e); \
	ASSERT_EQ(0, dax_snapshot(r, &__b)); \
	ASSERT_EQ(0, dax_state_diff(&__a, &__b, __m)) TH_LOG("%s", __m); \
} while (0)

TEST_F(perm, size_write_denied)
{
	char p[PATH_MAX];

	ASSERT_NOBODY_DENIED(&self->r, OP_WRITE, dax_dpath(self->idle, "size", p),
			     "2097152");
}

TEST_F(perm, align_write_denied)
{
	char p[PATH_MAX];

	ASSERT_NOBODY_DENIED(&self->r, OP_WRITE,
			     dax_dpath(self->idle, "align", p), "4096");
}

TEST_F(perm, mapping_write_denied)
{
	char p[PATH_MAX], v[80];

	snprintf(v, sizeof(v), "%" PRIx64 "-%" PRIx64,
		 self->r.start + self->r.size - SZ_2M,
		 self->r.start + self->r.size - 1);
	ASSERT_NOBODY_DENIED(&self->r, OP_WRITE,
			     dax_dpath(self->idle, "mapping", p), v);
}

TEST_F(perm, create_write_denied)
{
	char p[PATH_MAX];

	ASSERT_NOBODY_DENIED(&self->r, OP_WRITE, dax_rpath(&self->r, "create", p),
			     "1");
}

TEST_F(perm, delete_write_denied)
{
	char p[PATH_MAX];

	ASSERT_NOBODY_DENIED(&self->r, OP_WRITE, dax_rpath(&self->r, "delete", p),
			     self->idle);
}

TEST_F(perm, new_id_and_remove_id_writes_denied)
{
	char p[PATH_MAX];

	ASSERT_NOBODY_DENIED(&self->r, OP_WRITE,
			     dax_drvpath("device_dax", "new_id", p), self->idle);
	ASSERT_NOBODY_DENIED(&self->r, OP_WRITE,
			     dax_drvpath("device_dax", "remove_id", p),
			     self->bound);
}

TEST_F(perm, bind_and_unbind_writes_denied)
{
	char p[PATH_MAX];

	ASSERT_NOBODY_DENIED(&self->r, OP_WRITE,
			     dax_drvpath("device_dax", "unbind", p), self->bound);
	ASSERT_NOBODY_DENIED(&self->r, OP_WRITE,
			     dax_drvpath("device_dax", "bind", p), self->idle);
}

TEST_F(perm, memmap_on_memory_write_denied)
{
	char p[PATH_MAX];

	ASSERT_NOBODY_DENIED(&self->r, OP_WRITE,
			     dax_dpath(self->idle, "memmap_on_memory", p), "1");
}

TEST_F(perm, open_of_char_device_denied)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "/dev/%s", self->bound);
	ASSERT_EQ(0, access(p, F_OK));
	ASSERT_NOBODY_DENIED(&self->r, OP_OPEN_RW, p, NULL);
	ASSERT_NOBODY_DENIED(&self->r, OP_OPEN_RO, p, NULL);
}

TEST_F(perm, root_only_attributes_unreadable)
{
	char p[PATH_MAX];

	ASSERT_NOBODY_DENIED(&self->r, OP_OPEN_RO,
			     dax_dpath(self->bound, "resource", p), NULL);
	ASSERT_NOBODY_DENIED(&self->r, OP_OPEN_RO,
			     dax_rpath(&self->r, "align", p), NULL);
}

TEST_F(perm, world_readable_attributes_stay_readable)
{
	char p[PATH_MAX];

	/* proves the child really runs and can open what it may */
	ASSERT_EQ(0, as_nobody(OP_OPEN_RO, dax_dpath(self->bound, "size", p),
			       NULL));
	ASSERT_EQ(0, as_nobody(OP_OPEN_RO,
			       dax_rpath(&self->r, "available_size", p), NULL));
}

TEST_HARNESS_MAIN
