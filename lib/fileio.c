/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/openat2.h>

#include "fileio.h"
#include "macro.h"

static int read_fd(int fd, size_t max, char **text, size_t *len)
{
	size_t cap = 4096, used = 0;
	_cleanup_free_ char *buf = malloc(cap);
	char *tmp;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (cap - used < 2) {
			tmp = realloc(buf, cap * 2);
			if (!tmp)
				return -ENOMEM;
			buf = tmp;
			cap *= 2;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += n;
		if (max && used > max)
			return -EFBIG;
	}
	buf[used] = '\0';
	/* Thousands of small format files are kept: give back the slack. */
	tmp = realloc(buf, used + 1);
	if (tmp)
		buf = tmp;
	*text = TAKE_PTR(buf);
	if (len)
		*len = used;
	return 0;
}

/* ------------------------------------------------- below a directory */

static bool force_walk;
/* openat2() is missing (before 5.6) or filtered: walk from then on. */
static bool no_openat2;

void br_fileio_force_walk(bool walk)
{
	force_walk = walk;
}

/* "a/../b": never climb out, whatever the kernel would make of it. */
static bool climbs(const char *rel)
{
	for (const char *p = rel; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += n;
		p += strspn(p, "/");
	}
	return false;
}

static int open_resolved(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned int)(flags | O_CLOEXEC),
		.mode = flags & (O_CREAT | O_TMPFILE) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof(how));

	if (fd >= 0)
		return fd;
	if (errno == ENOSYS || errno == EPERM)
		no_openat2 = true;
	return -errno;
}

/* Is the last component, which could not be opened as asked, a link? */
static int link_or(int at, const char *name, int err)
{
	struct stat st;

	if (!fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode))
		return -ELOOP;
	return err;
}

/* Where openat2() is missing: one directory at a time, none of them a link. */
static int open_walked(int dirfd, const char *rel, int flags, mode_t mode)
{
	_cleanup_free_ char *copy = strdup(rel);
	_cleanup_close_ int cur = -1;
	char *p, *next;
	int at = dirfd, fd;
	struct stat st;

	if (!copy)
		return -ENOMEM;
	for (p = copy + strspn(copy, "/");; p = next) {
		next = p + strcspn(p, "/");
		if (!*next)
			break;
		*next++ = '\0';
		next += strspn(next, "/");
		if (!*next) {
			/* "dir/": the last component, and it must be a directory. */
			flags |= O_DIRECTORY;
			break;
		}
		if (!strcmp(p, "."))
			continue;
		fd = openat(at, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
			int ret = S_ISLNK(st.st_mode) ? -ELOOP : -ENOTDIR;

			close(fd);
			return ret;
		}
		if (cur >= 0)
			close(cur);
		at = cur = fd;
	}
	fd = openat(at, *p ? p : ".", flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return errno == ENOTDIR || errno == ELOOP ? link_or(at, p, -errno) : -errno;
	/* O_PATH | O_NOFOLLOW opens a link itself: never hand one out. */
	if ((flags & O_PATH) && (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode))) {
		close(fd);
		return -ELOOP;
	}
	return fd;
}

int br_open_below(int dirfd, const char *rel, int flags, mode_t mode)
{
	int fd;

	if (climbs(rel))
		return -EXDEV;
	/* An absolute @rel means the top of @dirfd, as RESOLVE_IN_ROOT reads it. */
	rel += strspn(rel, "/");
	if (!*rel)
		rel = ".";
	if (force_walk || no_openat2)
		return open_walked(dirfd, rel, flags, mode);
	fd = open_resolved(dirfd, rel, flags, mode);
	if (fd == -ENOSYS || fd == -EPERM)
		return open_walked(dirfd, rel, flags, mode);
	if (fd >= 0 && (flags & O_PATH)) {
		struct stat st;

		/* openat2() too hands out a trailing link with O_PATH | O_NOFOLLOW. */
		if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
			close(fd);
			return -ELOOP;
		}
	}
	return fd;
}

int br_stat_below(int dirfd, const char *rel, struct stat *st)
{
	_cleanup_close_ int fd = br_open_below(dirfd, rel, O_PATH | O_NOFOLLOW, 0);

	if (fd < 0)
		return fd;
	return fstat(fd, st) < 0 ? -errno : 0;
}

int br_mkdir_below(int dirfd, const char *rel, mode_t mode)
{
	_cleanup_free_ char *copy = strdup(rel);
	int cur, fd;
	char *p, *next;

	if (!copy)
		return -ENOMEM;
	if (climbs(rel))
		return -EXDEV;
	cur = br_open_below(dirfd, ".", O_RDONLY | O_DIRECTORY, 0);
	for (p = copy + strspn(copy, "/"); cur >= 0 && *p; p = next) {
		next = p + strcspn(p, "/");
		if (*next)
			*next++ = '\0';
		next += strspn(next, "/");
		if (mkdirat(cur, p, mode) < 0 && errno != EEXIST) {
			fd = -errno;
		} else {
			/* Whatever is there now, made by us or not: no link, a directory. */
			fd = br_open_below(cur, p, O_RDONLY | O_DIRECTORY, 0);
		}
		close(cur);
		cur = fd;
	}
	return cur;
}

DIR *br_opendir_below(int dirfd, const char *rel)
{
	int fd = br_open_below(dirfd, rel, O_RDONLY | O_DIRECTORY, 0);
	DIR *d;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

int br_open_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* ------------------------------------------------------------ reading */

int br_read_at(int dirfd, const char *rel, size_t max, unsigned int flags,
	       char **text, size_t *len)
{
	int oflags = O_RDONLY | O_CLOEXEC;
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (flags & BR_READ_UNTRUSTED)
		oflags |= O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
	if (dirfd == AT_FDCWD) {
		fd = openat(dirfd, rel, oflags);
		if (fd < 0)
			return -errno;
	} else {
		fd = br_open_below(dirfd, rel, oflags, 0);
		if (fd < 0)
			return fd;
	}
	if (flags & BR_READ_UNTRUSTED) {
		/* Checked on the open file: what was opened is what is read. */
		if (fstat(fd, &st) < 0)
			return -errno;
		if (!S_ISREG(st.st_mode))
			return -EINVAL;
		if (max && (unsigned long long)st.st_size > max)
			return -EFBIG;
	}
	return read_fd(fd, max, text, len);
}

static int write_all(int fd, const void *data, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, (const char *)data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return 0;
}

/* A temporary name beside @name that nobody else uses: ".NAME.XXXXXX". */
static int create_temp_at(int dirfd, const char *name, char **tmp_name)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";

	for (int attempt = 0; attempt < 100; attempt++) {
		char suffix[7];
		unsigned long long r = ((unsigned long long)getpid() << 32) ^
				       (unsigned long long)random() ^ ((unsigned long long)attempt << 48);
		int fd;

		for (int i = 0; i < 6; i++, r /= 36)
			suffix[i] = letters[r % 36];
		suffix[6] = '\0';
		if (asprintf(tmp_name, ".%s.%s", name, suffix) < 0)
			return -ENOMEM;
		fd = openat(dirfd, *tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
		free(*tmp_name);
		*tmp_name = NULL;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int br_replace_at(int dirfd, const char *name, const void *data, size_t len,
		  mode_t mode, unsigned int flags)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	bool existed;
	int ret;

	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	existed = !fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode);
	fd = create_temp_at(dirfd, name, &tmp);
	if (fd < 0)
		return fd;
	ret = write_all(fd, data, len);
	if (!ret && (flags & BR_REPLACE_KEEP_MODE) && existed) {
		if (fchmod(fd, st.st_mode & 07777) < 0 || fchown(fd, st.st_uid, st.st_gid) < 0)
			ret = -errno;
	} else if (!ret && fchmod(fd, mode) < 0) {
		ret = -errno;
	}
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (!ret && renameat(dirfd, tmp, dirfd, name) < 0)
		ret = -errno;
	if (ret) {
		unlinkat(dirfd, tmp, 0);
		return ret;
	}
	/* The rename is durable only once the directory is. */
	return fsync(dirfd) < 0 ? -errno : 0;
}

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

int br_rename_noreplace(int fromfd, const char *from, int tofd, const char *to)
{
	if (renameat2(fromfd, from, tofd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* Filesystems without RENAME_NOREPLACE: link() fails on an existing name. */
	if (linkat(fromfd, from, tofd, to, 0) < 0)
		return -errno;
	unlinkat(fromfd, from, 0);
	return 0;
}

int br_fsync_dir(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return fsync(fd) < 0 ? -errno : 0;
}

int br_mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *copy = strdup(path);
	struct stat st;

	if (!copy)
		return -ENOMEM;
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(copy, mode) < 0) {
		if (errno != EEXIST)
			return -errno;
		if (stat(copy, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
	}
	return 0;
}

/* Where execvp() would find @name, but in the PATH of @envp (its default without one). */
static int find_program(const char *name, char *const envp[], char **path)
{
	const char *dirs = "/bin:/usr/bin";
	struct stat st;

	for (char *const *e = envp; *e; e++)
		if (!strncmp(*e, "PATH=", 5)) {
			dirs = *e + 5;
			break;
		}
	for (const char *d = dirs;; d++) {
		size_t n = strcspn(d, ":");

		/* An empty entry is the current directory, as for execvp(). */
		if (asprintf(path, "%.*s/%s", (int)(n ? n : 1), n ? d : ".", name) < 0)
			return -ENOMEM;
		if (!stat(*path, &st) && S_ISREG(st.st_mode) && !access(*path, X_OK))
			return 0;
		free(*path);
		*path = NULL;
		d += n;
		if (!*d)
			return -ENOENT;
	}
}

/* All of @fd to EOF, at most @max bytes of it (0: no bound) kept in *@out. */
static int read_output(int fd, size_t max, char **out, size_t *out_len)
{
	size_t used = 0, cap = 4096;
	char *buf = malloc(cap), chunk[4096];
	ssize_t n;

	/* Read to EOF even past @max, so the child never blocks on a full pipe. */
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (!buf || (max && used >= max))
			continue;
		if (max && used + n > max)
			n = max - used;
		if (used + n + 1 > cap) {
			char *tmp;

			while (used + n + 1 > cap)
				cap *= 2;
			tmp = realloc(buf, cap);
			if (!tmp) {
				free(buf);
				buf = NULL;
				continue;
			}
			buf = tmp;
		}
		memcpy(buf + used, chunk, n);
		used += n;
	}
	if (!buf)
		return -ENOMEM;
	buf[used] = '\0';
	*out = buf;
	if (out_len)
		*out_len = used;
	return 0;
}

int br_spawn_wait_len(char *const argv[], char *const envp[], char **out, size_t *out_len,
		      size_t max)
{
	_cleanup_free_ char *program = NULL;
	int pipefd[2] = { -1, -1 }, status;
	pid_t pid;
	int ret = 0;

	if (out)
		*out = NULL;
	if (envp && !strchr(argv[0], '/')) {
		ret = find_program(argv[0], envp, &program);
		if (ret)
			return ret;
	}
	if (out && pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		if (out) {
			close(pipefd[0]);
			close(pipefd[1]);
		}
		return ret;
	}
	if (!pid) {
		dup2(out ? pipefd[1] : STDERR_FILENO, STDOUT_FILENO);
		/*
		 * bootrace's own umask (077) is for its own files; update-grub
		 * and kernel-install write the system's, with the usual one.
		 */
		umask(022);
		if (envp)
			execve(program ? program : argv[0], argv, envp);
		else
			execvp(argv[0], argv);
		_exit(127);
	}
	if (out) {
		close(pipefd[1]);
		ret = read_output(pipefd[0], max, out, out_len);
		close(pipefd[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			ret = ret ? ret : -errno;
			break;
		}
	if (ret) {
		if (out) {
			free(*out);
			*out = NULL;
		}
		return ret;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int br_spawn_wait(char *const argv[], char *const envp[], char **out, size_t max)
{
	return br_spawn_wait_len(argv, envp, out, NULL, max);
}

int br_write_full(int fd, const void *buf, size_t len, off_t off, unsigned long long *done)
{
	const char *p = buf;

	while (len) {
		ssize_t n = off < 0 ? write(fd, p, len) : pwrite(fd, p, len, off + *done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
		*done += n;
	}
	return 0;
}
