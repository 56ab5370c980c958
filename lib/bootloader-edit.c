/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A setup plan's edits: shown as a unified diff (--dry-run), written
 * atomically (temporary file, fsync, rename, owner and mode kept), and the
 * bootloader's regeneration run after them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootloader-local.h"

/* ------------------------------------------------------------- diff */

struct lines {
	const char **start;
	size_t *len;			/* with its '\n', if any */
	size_t n;
};

static int split_lines(const char *text, size_t len, struct lines *l)
{
	size_t cap = 1;

	for (size_t i = 0; i < len; i++)
		cap += text[i] == '\n';
	l->start = calloc(cap, sizeof(*l->start));
	l->len = calloc(cap, sizeof(*l->len));
	l->n = 0;
	if (!l->start || !l->len)
		return -ENOMEM;
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) + 1 : len - i;

		l->start[l->n] = text + i;
		l->len[l->n++] = n;
		i += n;
	}
	return 0;
}

static bool line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && !memcmp(a->start[i], b->start[j], a->len[i]);
}

static void put_line(FILE *f, char mark, const char *s, size_t n)
{
	fputc(mark, f);
	fwrite(s, 1, n, f);
	if (!n || s[n - 1] != '\n')
		fputs("\n\\ No newline at end of file\n", f);
}

#define CONTEXT 3

/* Our edits change one region of a file: one hunk, common lines around it. */
static void diff_edit(FILE *f, const struct bootrace_file_edit *e)
{
	struct lines a = { 0 }, b = { 0 };
	size_t pre = 0, suf = 0, from, a_end, b_end;

	if (split_lines(e->existed ? e->old_text : "", e->existed ? e->old_len : 0, &a) ||
	    split_lines(e->remove ? "" : e->new_text, e->remove ? 0 : e->new_len, &b))
		goto out;
	while (pre < a.n && pre < b.n && line_eq(&a, pre, &b, pre))
		pre++;
	while (suf < a.n - pre && suf < b.n - pre &&
	       line_eq(&a, a.n - 1 - suf, &b, b.n - 1 - suf))
		suf++;
	from = pre > CONTEXT ? pre - CONTEXT : 0;
	a_end = a.n - suf + (suf > CONTEXT ? CONTEXT : suf);
	b_end = b.n - suf + (suf > CONTEXT ? CONTEXT : suf);
	fprintf(f, "--- %s%s\n+++ %s%s\n",
		e->existed ? "a" : "/dev/null", e->existed ? e->path : "",
		e->remove ? "/dev/null" : "b", e->remove ? "" : e->path);
	fprintf(f, "@@ -%zu,%zu +%zu,%zu @@\n",
		a_end > from ? from + 1 : from, a_end - from,
		b_end > from ? from + 1 : from, b_end - from);
	for (size_t i = from; i < pre; i++)
		put_line(f, ' ', a.start[i], a.len[i]);
	for (size_t i = pre; i < a.n - suf; i++)
		put_line(f, '-', a.start[i], a.len[i]);
	for (size_t i = pre; i < b.n - suf; i++)
		put_line(f, '+', b.start[i], b.len[i]);
	for (size_t i = a.n - suf; i < a_end; i++)
		put_line(f, ' ', a.start[i], a.len[i]);
out:
	free(a.start);
	free(a.len);
	free(b.start);
	free(b.len);
}

int bootrace_setup_diff(const struct bootrace_setup_plan *plan, char **diff)
{
	size_t len;
	FILE *f = open_memstream(diff, &len);

	if (!f)
		return -ENOMEM;
	for (int i = 0; i < plan->nr_edits; i++)
		diff_edit(f, &plan->edits[i]);
	return fclose(f) ? -ENOMEM : 0;
}

/* ------------------------------------------------------------ apply */

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd))
		ret = -errno;
	close(fd);
	return ret;
}

/* The deepest existing ancestor of @path must be writable (not a read-only mount). */
static int check_writable(const char *path, struct bootrace_error *err)
{
	char *dir = strdup(path);
	struct statvfs sv;
	int ret = 0;

	if (!dir)
		return -ENOMEM;
	for (;;) {
		char *slash = strrchr(dir, '/');

		if (!slash)
			break;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (!access(dir, F_OK))
			break;
		if (slash == dir)
			break;
	}
	if (!statvfs(dir, &sv) && (sv.f_flag & ST_RDONLY))
		ret = br_fail(err, -EROFS, "%s is on a read-only file system: nothing was changed; remount it read-write, or use --bootloader print",
			      dir);
	else if (access(dir, W_OK))
		ret = br_fail(err, -errno, "cannot write in %s: %s; nothing was changed", dir, strerror(errno));
	free(dir);
	return ret;
}

static int mkdirs(char *dir)
{
	char *slash = strrchr(dir, '/');
	int ret;

	if (!access(dir, F_OK))
		return 0;
	if (slash && slash != dir) {
		*slash = '\0';
		ret = mkdirs(dir);
		*slash = '/';
		if (ret)
			return ret;
	}
	return mkdir(dir, 0755) && errno != EEXIST ? -errno : 0;
}

static int write_atomic(const char *path, const char *text, size_t len,
			struct bootrace_error *err)
{
	char *dir = strdup(path), *tmp = NULL;
	struct stat st;
	bool existed = !stat(path, &st);
	int fd = -1, ret = 0;

	if (!dir)
		return -ENOMEM;
	*strrchr(dir, '/') = '\0';
	ret = mkdirs(dir);
	if (ret) {
		ret = br_fail(err, ret, "cannot create %s: %s", dir, strerror(-ret));
		goto out;
	}
	if (asprintf(&tmp, "%s/.bootrace.XXXXXX", dir) < 0) {
		tmp = NULL;
		ret = -ENOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = br_fail(err, -errno, "cannot create a file in %s: %s", dir, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = br_fail(err, -errno, "cannot write %s: %s", tmp, strerror(errno));
			goto out;
		}
		done += n;
	}
	if (fchmod(fd, existed ? st.st_mode & 07777 : 0644) ||
	    (existed && fchown(fd, st.st_uid, st.st_gid)) || fsync(fd)) {
		ret = br_fail(err, -errno, "cannot finish %s: %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path)) {
		ret = br_fail(err, -errno, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	fsync_dir(dir);
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(dir);
	return ret;
}

int bootrace_setup_apply(const struct bootrace_setup_plan *plan,
			 struct bootrace_error *err)
{
	int ret;

	/* Refuse before the first change, not halfway. */
	for (int i = 0; i < plan->nr_edits; i++) {
		char *p = bl_path(plan->root, plan->edits[i].path);

		if (!p)
			return br_fail(err, -ENOMEM, "out of memory");
		ret = check_writable(p, err);
		free(p);
		if (ret)
			return ret;
	}
	for (int i = 0; i < plan->nr_edits; i++) {
		const struct bootrace_file_edit *e = &plan->edits[i];
		char *p = bl_path(plan->root, e->path);

		if (!p)
			return br_fail(err, -ENOMEM, "out of memory");
		if (e->remove) {
			ret = unlink(p) ? br_fail(err, -errno, "cannot remove %s: %s", p, strerror(errno)) : 0;
			if (!ret) {
				*strrchr(p, '/') = '\0';
				fsync_dir(*p ? p : "/");
				/* bootrace's own directory goes too once it is empty. */
				if (strstr(p, "/var/lib/bootrace") && !rmdir(p)) {
					*strrchr(p, '/') = '\0';
					fsync_dir(p);
				}
			}
		} else {
			ret = write_atomic(p, e->new_text, e->new_len, err);
		}
		free(p);
		if (ret)
			return ret;
	}
	return 0;
}

int bootrace_setup_regenerate(const struct bootrace_setup_plan *plan,
			      struct bootrace_error *err)
{
	int status;
	pid_t pid;

	if (!plan->regenerate)
		return 0;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return br_fail(err, -errno, "cannot run %s: %s", plan->regenerate[0], strerror(errno));
	if (!pid) {
		/* Its chatter goes to stderr: bootrace's stdout stays its own. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
		execvp(plan->regenerate[0], plan->regenerate);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return br_fail(err, -errno, "waiting for %s: %s", plan->regenerate[0], strerror(errno));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return br_fail(err, -ENOENT, "cannot run '%s': not found; the configuration is written, regenerate the boot files yourself",
			       plan->regenerate_text);
	return br_fail(err, -EIO, "'%s' failed (%s %d): the configuration is written, but the boot files may not carry it yet",
		       plan->regenerate_text, WIFEXITED(status) ? "exit" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}
