/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A collect killed outright (SIGKILL, a power cut) cannot clean up after
 * itself: its data is in STATE_DIR/.new-XXXXXX, which nothing lists. The
 * next collect, holding the state directory's lock, finishes each such
 * directory before it reads anything itself:
 *
 *   - trace.dat is there (cut after the data was complete): the
 *     directory only lacks its name;
 *   - the temporary data file named in BR_COLLECTING_FILE is there: the
 *     flyrecord table is completed from the pages on disk
 *     (tracedat_recover()), the sidecar written from what they hold, and
 *     the file renamed to trace.dat;
 *   - nothing had been read: the directory goes.
 *
 * Then the directory takes the name the killed collect had chosen, and
 * its sidecar says interrupted=1. Only what bootrace made is touched
 * (br_collection_open_ours()): anything else is left alone, and said so.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bootrace-local.h"
#include "collection.h"
#include "recover.h"

#define MARKER_HEADER "# bootrace collect is writing this collection; if it is cut short, the next collect finishes it\n"

char *br_recover_marker_text(const char *name, const char *trace,
			     const struct tracedat_layout *layout, const char *instance,
			     unsigned long long entries)
{
	char *text;

	if (asprintf(&text, MARKER_HEADER "name=%s\ntrace=%s\ntable_offset=%llu\ncpus=%d\npage_size=%u\ninstance=%s\nentries=%llu\n",
		     name, trace, layout->table_offset, layout->nr_cpus, layout->page_size,
		     instance ? instance : "", entries) < 0)
		return NULL;
	return text;
}

struct marker {
	char name[128];
	char trace[64];
	struct tracedat_layout layout;
	char instance[64];
	unsigned long long entries;
	bool valid;
};

static void marker_read(int dirfd, struct marker *m)
{
	_cleanup_free_ char *text = NULL;
	char *line, *save = NULL;

	memset(m, 0, sizeof(*m));
	if (br_read_at(dirfd, BR_COLLECTING_FILE, BR_SMALL_FILE_MAX, BR_READ_UNTRUSTED, &text, NULL) ||
	    strncmp(text, MARKER_HEADER, strlen(MARKER_HEADER)))
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *value = strchr(line, '=');

		if (!value)
			continue;
		*value++ = '\0';
		if (!strcmp(line, "name"))
			snprintf(m->name, sizeof(m->name), "%s", value);
		else if (!strcmp(line, "trace"))
			snprintf(m->trace, sizeof(m->trace), "%s", value);
		else if (!strcmp(line, "table_offset"))
			m->layout.table_offset = strtoull(value, NULL, 10);
		else if (!strcmp(line, "cpus"))
			m->layout.nr_cpus = atoi(value);
		else if (!strcmp(line, "page_size"))
			m->layout.page_size = strtoul(value, NULL, 10);
		else if (!strcmp(line, "instance"))
			snprintf(m->instance, sizeof(m->instance), "%s", value);
		else if (!strcmp(line, "entries"))
			m->entries = strtoull(value, NULL, 10);
	}
	/* Only a name as collect makes them, and a data file directly in the directory. */
	m->valid = bootrace_collection_name_valid(m->name) && !strncmp(m->trace, ".trace.dat.", 11) &&
		   !strchr(m->trace, '/') && m->layout.nr_cpus > 0 && m->layout.page_size > 0;
}

static bool regular_at(int dirfd, const char *name)
{
	struct stat st;

	return !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode);
}

/* The sidecar written before the cut, now saying interrupted=1. */
static int mark_interrupted(int dirfd)
{
	_cleanup_free_ char *text = NULL, *marked = NULL;
	char *at;
	size_t len;
	int ret;

	ret = br_read_at(dirfd, BOOTRACE_INFO_FILE, BR_SMALL_FILE_MAX, BR_READ_UNTRUSTED, &text, &len);
	if (ret)
		return ret;
	at = strstr(text, "\ninterrupted=0\n");
	if (at)
		at[13] = '1';
	else if (asprintf(&marked, "%sinterrupted=1\n", text) < 0)
		return -ENOMEM;
	return br_replace_at(dirfd, BOOTRACE_INFO_FILE, marked ? marked : text,
			     strlen(marked ? marked : text), 0600, 0);
}

/*
 * The temporary data file made whole (version 6: its table completed from
 * its pages; version 7: compressing starts only once the file is whole)
 * and named trace.dat, with its sidecar. -ENODATA: nothing had been read.
 */
static int finish_data(int dirfd, const struct marker *m, unsigned long long *events)
{
	struct tracedat_count count = { 0 };
	struct bootrace_collect_result res = { 0 };
	_cleanup_close_ int fd = -1;
	char version = 0;
	int ret;

	fd = openat(dirfd, m->trace, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &version, 1, 10) != 1)
		return -ENODATA;
	if (version == '7') {
		ret = mark_interrupted(dirfd);
	} else {
		ret = tracedat_recover(fd, &m->layout, &count);
		if (!ret && !count.bytes)
			ret = -ENODATA;
		if (ret)
			return ret;
		*events = count.events;
		if (regular_at(dirfd, BOOTRACE_INFO_FILE)) {
			ret = mark_interrupted(dirfd);
		} else {
			res.instance = (char *)m->instance;
			res.nr_cpus = m->layout.nr_cpus;
			res.events = count.events;
			res.entries = m->entries;
			res.has_span = count.has_span;
			res.first_ns = count.first_ns;
			res.last_ns = count.last_ns;
			br_collection_info_write(dirfd, "trace.dat", false, true, &res);
		}
	}
	if (ret)
		return ret;
	if (renameat(dirfd, m->trace, dirfd, "trace.dat") < 0)
		return -errno;
	return fsync(dirfd) < 0 ? -errno : 0;
}

/* Temporary files of a cut collect that hold nothing worth keeping. */
static void drop_leftovers(int dirfd)
{
	struct dirent *de;
	DIR *d = fdopendir(dup(dirfd));

	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, ".trace.dat.zst-", 15) || !strncmp(de->d_name, ".info.", 6) ||
		    !strncmp(de->d_name, "." BR_COLLECTING_FILE ".", strlen(BR_COLLECTING_FILE) + 2) ||
		    !strcmp(de->d_name, BR_COLLECTING_FILE))
			unlinkat(dirfd, de->d_name, 0);
	if (d)
		closedir(d);
	fsync(dirfd);
}

/* The name it gets: the one the cut collect chose, else from its sidecar, else its time. */
static void collection_name(int dirfd, const struct marker *m, char *name, size_t size)
{
	struct bootrace_collection c = { 0 };
	char stamp[32];
	struct stat st;
	struct tm tm;

	if (m->valid) {
		snprintf(name, size, "%s", m->name);
		return;
	}
	if (!br_collection_info_read(dirfd, &c) && c.collected[0] && c.boot_id[0]) {
		snprintf(name, size, "%s-%s", c.collected, c.boot_id);
		if (bootrace_collection_name_valid(name))
			return;
	}
	if (fstat(dirfd, &st) < 0)
		st.st_mtime = time(NULL);
	gmtime_r(&st.st_mtime, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(name, size, "%s-interrupted", stamp);
}

/* Give the directory its visible name (NAME, NAME-2, ...); the new path in *@path. */
static int publish(int statefd, const char *state_dir, const char *hidden, const char *name,
		   bool partial, char **path)
{
	for (int n = 1; n < 100; n++) {
		_cleanup_free_ char *target = NULL;
		int ret = n == 1 ? asprintf(&target, "%s%s", name, partial ? ".partial" : "") :
				   asprintf(&target, "%s-%d%s", name, n, partial ? ".partial" : "");

		if (ret < 0)
			return -ENOMEM;
		ret = br_rename_noreplace(statefd, hidden, statefd, target);
		if (ret == -EEXIST || ret == -ENOTEMPTY)
			continue;
		if (ret)
			return ret;
		fsync(statefd);
		*path = br_path_join(state_dir, target);
		return *path ? 0 : -ENOMEM;
	}
	return -EEXIST;
}

static int push(char ***list, char *s)
{
	size_t n = 0;
	char **tmp;

	while (*list && (*list)[n])
		n++;
	tmp = realloc(*list, (n + 2) * sizeof(*tmp));
	if (!tmp) {
		free(s);
		return -ENOMEM;
	}
	tmp[n] = s;
	tmp[n + 1] = NULL;
	*list = tmp;
	return 0;
}

/*
 * A killed collect's keeper (keeper.c) may still be writing what was in
 * flight; it holds a shared lock on the directory while it lives. It has
 * at most a pipe's worth to write: wait for it, up to KEEPER_WAIT_MS.
 */
#define KEEPER_WAIT_MS 10000

static bool keeper_gone(int dirfd)
{
	for (int waited = 0; waited < KEEPER_WAIT_MS; waited += 50) {
		if (!flock(dirfd, LOCK_EX | LOCK_NB) || errno != EWOULDBLOCK)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

static void recover_new(struct bootrace_ctx *ctx, int statefd, const char *state_dir,
			const char *hidden, char ***recovered)
{
	char why[BR_SHOWN_MAX + 64], name[160];
	unsigned long long events = 0;
	_cleanup_close_ int dirfd = -1;
	struct marker m;
	char *path = NULL;
	bool partial = false;
	int ret = 0;

	dirfd = br_collection_open_ours(statefd, hidden, why, sizeof(why));
	if (dirfd == -EPERM)
		br_warn(ctx, "left %s/%s alone: %s", state_dir, hidden, why);
	if (dirfd < 0)
		return;
	if (!keeper_gone(dirfd)) {
		br_warn(ctx, "left %s/%s alone: the keeper of a collect that was killed is still writing in it; run collect again once it is done",
			state_dir, hidden);
		return;
	}
	marker_read(dirfd, &m);
	if (regular_at(dirfd, "trace.dat")) {
		ret = mark_interrupted(dirfd);
	} else if (regular_at(dirfd, "trace.dat.partial")) {
		/* Cut on its way out after a failure: already as that failure keeps it. */
		partial = true;
	} else if (m.valid && regular_at(dirfd, m.trace)) {
		ret = finish_data(dirfd, &m, &events);
	} else {
		ret = -ENODATA;
	}
	if (ret == -ENODATA) {
		/* Cut before its first read: nothing of the kernel's is in it. */
		br_collection_remove_ours(statefd, hidden);
		br_info(ctx, "removed %s/%s: a collect cut short before it read anything", state_dir, hidden);
		return;
	}
	if (ret && ret != -ENOENT) {
		br_warn(ctx, "cannot finish %s/%s, which a collect cut short left (%s): it stays as it is",
			state_dir, hidden, strerror(-ret));
		return;
	}
	drop_leftovers(dirfd);
	collection_name(dirfd, &m, name, sizeof(name));
	ret = publish(statefd, state_dir, hidden, name, partial, &path);
	if (ret) {
		br_warn(ctx, "cannot name %s/%s %s: %s", state_dir, hidden, name, strerror(-ret));
		return;
	}
	br_info(ctx, "finished %s, which a collect cut short had begun", path);
	push(recovered, path);
}

int br_recover_state_dir(struct bootrace_ctx *ctx, int statefd, const char *state_dir,
			 char ***recovered)
{
	char why[BR_SHOWN_MAX + 64];
	struct dirent **names;
	int n;

	*recovered = NULL;
	n = scandirat(statefd, ".", &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (!strncmp(name, ".new-", 5)) {
			recover_new(ctx, statefd, state_dir, name, recovered);
		} else if (!strncmp(name, ".old-", 5)) {
			/* Retention cut short: it had decided to remove this one. */
			int ret = br_collection_open_ours(statefd, name, why, sizeof(why));

			if (ret >= 0) {
				close(ret);
				br_collection_remove_ours(statefd, name);
			} else if (ret == -EPERM) {
				br_warn(ctx, "left %s/%s alone: %s", state_dir, name, why);
			}
		}
		free(names[i]);
	}
	free(names);
	return 0;
}
