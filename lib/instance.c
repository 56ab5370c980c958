/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What an instance shows about itself, and which instance holds the
 * previous boot. A 7.1+ backup instance is read-only: it has no
 * tracing_on, and its events/ holds only format and id files.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bootrace-local.h"

static char *instance_dir(const struct bootrace_tracefs *tfs, const char *name)
{
	char *path;

	if (asprintf(&path, "%s/instances/%s", bootrace_tracefs_path(tfs), name) < 0)
		return NULL;
	return path;
}

bool br_instance_exists(const struct bootrace_tracefs *tfs,
			      const char *name)
{
	char *path = instance_dir(tfs, name);
	struct stat st;
	bool ret;

	ret = path && !stat(path, &st) && S_ISDIR(st.st_mode);
	free(path);
	return ret;
}

/* Highest per_cpu/cpuN index + 1. */
static int count_cpus(const char *dir)
{
	char *per_cpu = br_path_join(dir, "per_cpu");
	struct dirent *de;
	int nr = 0;
	DIR *d;

	if (!per_cpu)
		return -ENOMEM;
	d = opendir(per_cpu);
	free(per_cpu);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long cpu;

		if (strncmp(de->d_name, "cpu", 3))
			continue;
		cpu = strtol(de->d_name + 3, &end, 10);
		if (*end || end == de->d_name + 3 || cpu < 0 || cpu > 65535)
			continue;
		if (cpu + 1 > nr)
			nr = cpu + 1;
	}
	closedir(d);
	return nr;
}

/* "[local] global counter" -> "local" */
static char *selected_clock(const char *text)
{
	const char *open = strchr(text, '['), *close;

	if (!open)
		return strdup(text);
	close = strchr(open, ']');
	if (!close)
		return NULL;
	return strndup(open + 1, close - open - 1);
}

/*
 * The sub-buffer size the pages in trace_pipe_raw have. header_page's
 * "data" field ends where the sub-buffer ends; buffer_subbuf_size_kb is
 * missing on kernels before 6.8.
 */
static int read_subbuf_size(int dirfd, size_t *size)
{
	char *text, *p;
	unsigned long off, len;
	int ret;

	ret = br_read_at(dirfd, "events/header_page", 0, 0, &text, NULL);
	if (!ret) {
		p = strstr(text, "field: char data;");
		if (p && sscanf(p, "field: char data;\toffset:%lu;\tsize:%lu;", &off, &len) == 2 &&
		    off + len >= 4096) {
			*size = off + len;
			free(text);
			return 0;
		}
		free(text);
	}
	ret = br_read_at(dirfd, "buffer_subbuf_size_kb", 0, 0, &text, NULL);
	if (ret)
		return ret;
	len = strtoul(text, NULL, 10);
	free(text);
	if (!len)
		return -EINVAL;
	*size = len * 1024;
	return 0;
}

static int read_stats(int dirfd, struct bootrace_instance_info *info,
		      struct bootrace_error *err)
{
	info->stats = calloc(info->nr_cpus ? info->nr_cpus : 1, sizeof(*info->stats));
	if (!info->stats)
		return br_fail(err, -ENOMEM, "out of memory");
	for (int cpu = 0; cpu < info->nr_cpus; cpu++) {
		char rel[64], *text;
		int ret;

		snprintf(rel, sizeof(rel), "per_cpu/cpu%d/stats", cpu);
		ret = br_read_at(dirfd, rel, 0, 0, &text, NULL);
		if (ret == -ENOENT)
			continue;	/* an offline or absent CPU */
		if (ret)
			return br_fail(err, ret, "cannot read %s/%s: %s", info->path, rel, strerror(-ret));
		ret = bootrace_cpu_stats_parse(text, &info->stats[cpu]);
		free(text);
		if (ret)
			return br_fail(err, ret, "%s/%s is not in the format bootrace knows", info->path, rel);
	}
	return 0;
}

int br_instance_info_read(const struct bootrace_ctx *ctx,
			  const struct bootrace_tracefs *tfs, const char *name,
			  struct bootrace_instance_info **out,
			  struct bootrace_error *err)
{
	struct bootrace_instance_info *info;
	char *text = NULL;
	int dirfd, ret;

	info = calloc(1, sizeof(*info));
	if (!info)
		return br_fail(err, -ENOMEM, "out of memory");
	info->name = strdup(name);
	info->path = instance_dir(tfs, name);
	if (!info->name || !info->path) {
		ret = br_fail(err, -ENOMEM, "out of memory");
		goto fail;
	}
	dirfd = open(info->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ENODEV)
			br_fail(err, -ENOENT, "there is no instance '%s' in %s/instances",
				name, bootrace_tracefs_path(tfs));
		else
			br_fail(err, ret, "cannot open %s: %s", info->path, strerror(-ret));
		ret = ret == -ENODEV ? -ENOENT : ret;
		goto fail;
	}

	ret = br_read_at(dirfd, "tracing_on", 0, 0, &text, NULL);
	info->read_only = ret == -ENOENT;
	info->tracing_on = !ret && text[0] == '1';
	free(text);

	ret = br_read_at(dirfd, "last_boot_info", 0, 0, &info->last_boot_info, NULL);
	info->has_last_boot_info = !ret;
	if (!ret && bootrace_last_boot_parse(info->last_boot_info, &info->last_boot))
		br_warn(ctx, "%s/last_boot_info has an unknown format", info->path);

	ret = br_read_at(dirfd, "trace_clock", 0, 0, &text, NULL);
	if (!ret) {
		info->trace_clock = selected_clock(br_strip(text));
		free(text);
	}
	ret = br_read_at(dirfd, "buffer_size_kb", 0, 0, &text, NULL);
	if (!ret) {
		info->buffer_size_kb = strtoull(text, NULL, 10);
		free(text);
	}

	ret = read_subbuf_size(dirfd, &info->subbuf_size);
	if (ret) {
		close(dirfd);
		br_fail(err, ret, "cannot tell the sub-buffer size of %s (events/header_page): %s",
			info->path, strerror(-ret));
		goto fail;
	}
	ret = count_cpus(info->path);
	if (ret <= 0) {
		close(dirfd);
		ret = br_fail(err, ret ? ret : -ENOENT, "%s has no per_cpu directories", info->path);
		goto fail;
	}
	info->nr_cpus = ret;
	ret = read_stats(dirfd, info, err);
	close(dirfd);
	if (ret)
		goto fail;
	*out = info;
	return 0;
fail:
	br_instance_info_free(info);
	return ret;
}

void br_instance_info_free(struct bootrace_instance_info *info)
{
	if (!info)
		return;
	free(info->name);
	free(info->path);
	free(info->last_boot_info);
	free(info->stats);
	free(info->trace_clock);
	free(info);
}

unsigned long long bootrace_instance_entries(const struct bootrace_instance_info *info)
{
	unsigned long long sum = 0;

	for (int cpu = 0; cpu < info->nr_cpus; cpu++)
		sum += info->stats[cpu].entries;
	return sum;
}

unsigned long long bootrace_instance_bytes(const struct bootrace_instance_info *info)
{
	unsigned long long sum = 0;

	for (int cpu = 0; cpu < info->nr_cpus; cpu++)
		sum += info->stats[cpu].bytes;
	return sum;
}

static bool instance_has(const struct bootrace_tracefs *tfs, const char *name,
			 const char *file)
{
	char *dir = instance_dir(tfs, name), *path;
	bool ret;

	path = dir ? br_path_join(dir, file) : NULL;
	ret = path && !access(path, F_OK);
	free(dir);
	free(path);
	return ret;
}

/* Explain why there is no backup instance, in words the user can act on. */
static int explain_missing(const struct bootrace_tracefs *tfs,
			   const struct bootrace_cmdline_config *cfg,
			   struct bootrace_error *err)
{
	struct utsname uts;
	char junk[160];

	uname(&uts);
	if (!cfg->has_backup && !cfg->has_persistent)
		return br_fail(err, -ENOENT,
			       "no backup instance: the kernel command line has no trace_instance= configuration; add the one 'bootrace setup --print' shows and reboot twice (once to start tracing, once to keep it)");
	if (!cfg->has_backup)
		return br_fail(err, -ENOENT,
			       "nothing to collect: '%s' traces this boot (it was collected already, or the command line lacks ^traceoff, so its previous boot is mixed with this one: 'bootrace collect --instance %s' reads it all)",
			       cfg->persistent, cfg->persistent);
	snprintf(junk, sizeof(junk), "%s=%s", cfg->backup, cfg->backup_source);
	if (br_instance_exists(tfs, junk))
		return br_fail(err, -EOPNOTSUPP,
			       "kernel %s does not support backup instances (6.19+ does): it created an instance literally named '%s', and '%s' traces this boot, mixing in the previous one; use the line 'bootrace setup --print --kernel-release %s' prints (it adds ^traceoff) and reboot",
			       uts.release, junk, cfg->backup_source, uts.release);
	if (cfg->backup_source[0] && !br_instance_exists(tfs, cfg->backup_source))
		return br_fail(err, -ENOENT,
			       "neither the backup '%s' nor its source '%s' exists: is reserve_mem= on the command line, and does kernel %s support trace_instance=NAME@LABEL (6.12+)?",
			       cfg->backup, cfg->backup_source, uts.release);
	return br_fail(err, -ENOENT,
		       "no backup instance '%s': it was already collected (the kernel removes it once read), or this is the first boot with the configuration (reboot to capture one)",
		       cfg->backup);
}

enum bootrace_source_kind
br_source_kind_of(const struct bootrace_instance_info *info,
		  const struct bootrace_cmdline_config *cfg)
{
	if (info->read_only && info->has_last_boot_info)
		return BOOTRACE_SOURCE_BACKUP;
	if (cfg->has_backup && !strcmp(info->name, cfg->backup) && info->has_last_boot_info)
		return BOOTRACE_SOURCE_BACKUP_WRITABLE;
	/*
	 * Before 6.19 the previous boot stays in the persistent instance; with
	 * ^traceoff it is kept apart from this boot's events until armed.
	 */
	if (cfg->has_persistent && !strcmp(info->name, cfg->persistent) &&
	    info->has_last_boot_info && !info->read_only && !info->tracing_on)
		return BOOTRACE_SOURCE_PERSISTENT;
	return BOOTRACE_SOURCE_INSTANCE;
}

const char *br_source_kind_words(enum bootrace_source_kind kind)
{
	switch (kind) {
	case BOOTRACE_SOURCE_BACKUP:
		return "read-only backup instance (7.1+), removed by the kernel once read";
	case BOOTRACE_SOURCE_BACKUP_WRITABLE:
		return "writable backup instance (6.19, 7.0), removed by bootrace once the file is safe";
	case BOOTRACE_SOURCE_PERSISTENT:
		return "persistent instance (before 6.19), reset and tracing this boot once the file is safe";
	default:
		return "instance read as it is, nothing else changed";
	}
}

/* The configured persistent instance, if it still holds what it held at boot. */
static bool persistent_untouched(const struct bootrace_tracefs *tfs,
				 const struct bootrace_cmdline_config *cfg)
{
	struct bootrace_instance_info *info;
	bool ret;

	if (!cfg->has_persistent || br_instance_info_read(NULL, tfs, cfg->persistent, &info, NULL))
		return false;
	ret = br_source_kind_of(info, cfg) == BOOTRACE_SOURCE_PERSISTENT;
	br_instance_info_free(info);
	return ret;
}

int br_backup_find(struct bootrace_ctx *ctx, const struct bootrace_tracefs *tfs,
		   char **name, struct bootrace_error *err)
{
	struct bootrace_cmdline_config cfg;
	char **names = NULL, *found = NULL;
	int ret, nr_found = 0;

	br_cmdline_config_read(ctx, &cfg);

	if (cfg.has_backup && br_instance_exists(tfs, cfg.backup)) {
		*name = strdup(cfg.backup);
		return *name ? 0 : br_fail(err, -ENOMEM, "out of memory");
	}
	ret = br_tracefs_instances(tfs, &names);
	if (ret < 0)
		return br_fail(err, ret, "cannot list %s/instances: %s",
			       bootrace_tracefs_path(tfs), strerror(-ret));
	for (char **n = names; *n; n++) {
		if (!instance_has(tfs, *n, "last_boot_info") ||
		    instance_has(tfs, *n, "tracing_on"))
			continue;
		if (nr_found++ == 0)
			found = *n;
	}
	if (nr_found == 1) {
		*name = strdup(found);
		ret = *name ? 0 : br_fail(err, -ENOMEM, "out of memory");
	} else if (nr_found > 1) {
		ret = br_fail(err, -EEXIST,
			      "%d read-only backup instances exist (first: '%s'): choose one with --instance",
			      nr_found, found);
	} else if (persistent_untouched(tfs, &cfg)) {
		*name = strdup(cfg.persistent);
		ret = *name ? 0 : br_fail(err, -ENOMEM, "out of memory");
	} else {
		ret = explain_missing(tfs, &cfg, err);
	}
	bootrace_strv_free(names);
	return ret;
}
