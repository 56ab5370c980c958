/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding (and if needed mounting) the tracefs the kernel exposes. */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tracefs.h>

#include "bootrace-local.h"

#define DEFAULT_TRACEFS "/sys/kernel/tracing"

struct bootrace_tracefs {
	char *path;
};

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* The first tracefs in /proc/mounts; debugfs's tracing/ as a fallback. */
static char *find_mounted(void)
{
	struct mntent *m;
	char *found = NULL, *debugfs = NULL;
	FILE *f = setmntent("/proc/mounts", "r");

	if (!f)
		return NULL;
	while ((m = getmntent(f))) {
		if (!found && !strcmp(m->mnt_type, "tracefs"))
			found = strdup(m->mnt_dir);
		else if (!debugfs && !strcmp(m->mnt_type, "debugfs"))
			debugfs = br_path_join(m->mnt_dir, "tracing");
	}
	endmntent(f);
	if (!found && debugfs && is_dir(debugfs)) {
		found = debugfs;
		debugfs = NULL;
	}
	free(debugfs);
	return found;
}

static int mount_default(const struct bootrace_ctx *ctx, struct bootrace_error *err)
{
	if (!is_dir(DEFAULT_TRACEFS))
		return br_fail(err, -ENOENT,
			       "tracefs is not mounted and %s does not exist: is this kernel built with CONFIG_TRACING and sysfs mounted?",
			       DEFAULT_TRACEFS);
	if (mount("nodev", DEFAULT_TRACEFS, "tracefs", 0, NULL) == 0) {
		br_info(ctx, "mounted tracefs at %s", DEFAULT_TRACEFS);
		return 0;
	}
	if (errno == EPERM)
		return br_fail(err, -EPERM,
			       "tracefs is not mounted and mounting it needs root: run as root, or mount it with 'mount -t tracefs nodev %s'",
			       DEFAULT_TRACEFS);
	if (errno == ENODEV)
		return br_fail(err, -ENODEV,
			       "this kernel has no tracefs (CONFIG_TRACING is off): bootrace needs a kernel with tracing");
	return br_fail(err, -errno, "cannot mount tracefs at %s: %s", DEFAULT_TRACEFS, strerror(errno));
}

int br_tracefs_open(const struct bootrace_ctx *ctx, const char *dir,
		    struct bootrace_tracefs **out,
			  struct bootrace_error *err)
{
	struct bootrace_tracefs *tfs;
	char *path, *instances;
	int ret;

	if (dir) {
		path = realpath(dir, NULL);
		if (!path)
			return br_fail(err, -errno, "tracefs directory %s: %s", dir, strerror(errno));
	} else {
		path = find_mounted();
		if (!path) {
			ret = mount_default(ctx, err);
			if (ret)
				return ret;
			path = strdup(DEFAULT_TRACEFS);
		}
	}
	if (!path)
		return br_fail(err, -ENOMEM, "out of memory");
	instances = br_path_join(path, "instances");
	if (!instances || !is_dir(instances)) {
		free(instances);
		ret = br_fail(err, -ENOTDIR,
			      "%s is not a tracefs mount with instances (no instances/ directory): give the tracefs mount with --tracefs",
			      path);
		free(path);
		return ret;
	}
	free(instances);
	tfs = calloc(1, sizeof(*tfs));
	if (!tfs) {
		free(path);
		return br_fail(err, -ENOMEM, "out of memory");
	}
	tfs->path = path;
	/* libtracefs keeps its own idea of the mount; make it ours. */
	tracefs_set_tracing_dir(path);
	*out = tfs;
	return 0;
}

const char *bootrace_tracefs_path(const struct bootrace_tracefs *tfs)
{
	return tfs->path;
}

void br_tracefs_free(struct bootrace_tracefs *tfs)
{
	if (!tfs)
		return;
	free(tfs->path);
	free(tfs);
}

int bootrace_tracefs_read(const struct bootrace_tracefs *tfs, const char *rel,
			  char **text, size_t *len)
{
	char *path = br_path_join(tfs->path, rel);
	int ret;

	if (!path)
		return -ENOMEM;
	ret = br_read_at(AT_FDCWD, path, 0, 0, text, len);
	free(path);
	return ret;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int br_tracefs_instances(const struct bootrace_tracefs *tfs, char ***names)
{
	char *dir = br_path_join(tfs->path, "instances");
	struct dirent *de;
	char **list = NULL;
	size_t n = 0;
	DIR *d;

	if (!dir)
		return -ENOMEM;
	d = opendir(dir);
	free(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char **tmp;

		if (de->d_name[0] == '.')
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		tmp = realloc(list, (n + 2) * sizeof(*list));
		if (!tmp)
			goto nomem;
		list = tmp;
		list[n] = strdup(de->d_name);
		if (!list[n])
			goto nomem;
		list[++n] = NULL;
	}
	closedir(d);
	if (!list) {
		list = calloc(1, sizeof(*list));
		if (!list)
			return -ENOMEM;
	}
	qsort(list, n, sizeof(*list), cmp_str);
	*names = list;
	return (int)n;
nomem:
	closedir(d);
	if (list)
		list[n] = NULL;
	bootrace_strv_free(list);
	return -ENOMEM;
}
