/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The file helpers every reader and writer of libbootrace goes through:
 * nothing below a directory is reached through a link or "..", by
 * openat2() and by the O_NOFOLLOW walk alike; reads of files bootrace did
 * not write are bounded, never block, and refuse what is not a regular
 * file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "tap.h"

static char top[] = "/tmp/bootrace-fileio-XXXXXX";
static char outside[] = "/tmp/bootrace-fileio-out-XXXXXX";

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static void make(const char *fmt, const char *arg)
{
	char path[512];

	snprintf(path, sizeof(path), fmt, arg);
	if (mkdir(path, 0700) < 0) {
		perror(path);
		exit(1);
	}
}

static void link_to(const char *target, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", top, name);
	if (symlink(target, path) < 0) {
		perror(path);
		exit(1);
	}
}

static bool exists_outside(const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", outside, name);
	return !access(path, F_OK);
}

/* tap_is_int() with the resolver's name in front. */
static void is_int(long long got, long long want, const char *how, const char *name)
{
	char full[256];

	snprintf(full, sizeof(full), "%s: %s", how, name);
	tap_is_int(got, want, full);
}

/* Every check once with openat2() (where the kernel has it) and once walking. */
static void checks(int dirfd, const char *how)
{
	char *text = NULL;
	struct stat st;
	int fd, ret;

	fd = br_open_below(dirfd, "etc/real/file", O_RDONLY, 0);
	tap_ok(fd >= 0, "%s: a plain path below the directory opens", how);
	if (fd >= 0)
		close(fd);
	fd = br_open_below(dirfd, "/etc/real/file", O_RDONLY, 0);
	tap_ok(fd >= 0, "%s: a leading '/' means the top of the directory", how);
	if (fd >= 0)
		close(fd);
	is_int(br_open_below(dirfd, "etc/link/file", O_RDONLY, 0), -ELOOP, how, "a directory link on the way is refused");
	is_int(br_open_below(dirfd, "etc/real/../../../etc/passwd", O_RDONLY, 0), -EXDEV, how, "'..' is refused");
	is_int(br_open_below(dirfd, "filelink", O_RDONLY, 0), -ELOOP, how, "a link as the last component is refused");
	is_int(br_open_below(dirfd, "abslink/file", O_RDONLY, 0), -ELOOP, how, "an absolute link on the way is refused");
	is_int(br_stat_below(dirfd, "filelink", &st), -ELOOP, how, "stat of a link: -ELOOP, not its target");
	is_int(br_stat_below(dirfd, "etc/link", &st), -ELOOP, how, "stat of a directory link: -ELOOP");
	tap_ok(!br_stat_below(dirfd, "etc/real", &st) && S_ISDIR(st.st_mode), "%s: stat of a directory", how);

	fd = br_open_below(dirfd, "etc/link/new", O_WRONLY | O_CREAT | O_EXCL, 0600);
	tap_ok(fd == -ELOOP && !exists_outside("new"), "%s: no file is created through a directory link", how);
	if (fd >= 0)
		close(fd);
	fd = br_mkdir_below(dirfd, "etc/link/grub.d", 0700);
	tap_ok(fd == -ELOOP && !exists_outside("grub.d"), "%s: mkdir -p stops at a directory link", how);
	if (fd >= 0)
		close(fd);
	fd = br_mkdir_below(dirfd, "var/lib/bootrace", 0700);
	tap_ok(fd >= 0 && !fstat(fd, &st) && S_ISDIR(st.st_mode), "%s: mkdir -p below the directory", how);
	if (fd >= 0)
		close(fd);
	fd = br_mkdir_below(dirfd, "var/lib/bootrace", 0700);
	tap_ok(fd >= 0, "%s: mkdir -p of what exists", how);
	if (fd >= 0)
		close(fd);
	is_int(br_mkdir_below(dirfd, "etc/real/file/x", 0700), -ENOTDIR, how, "mkdir -p through a file");

	ret = br_read_at(dirfd, "etc/link/file", 0, BR_READ_UNTRUSTED, &text, NULL);
	is_int(ret, -ELOOP, how, "br_read_at below a directory refuses a directory link");
	free(text);
	text = NULL;
	ret = br_read_at(dirfd, "etc/real/file", 0, BR_READ_UNTRUSTED, &text, NULL);
	tap_ok(!ret && text && !strcmp(text, "inside\n"), "%s: br_read_at reads a file below the directory", how);
	free(text);
	text = NULL;
	tap_ok(!br_opendir_below(dirfd, "etc/link") && errno == ELOOP, "%s: opendir through a link is refused", how);
}

int main(void)
{
	char path[512], *text = NULL;
	int dirfd, ret;

	/* A FIFO that nobody writes must not block a read: fail, never hang. */
	alarm(20);
	if (!mkdtemp(top) || !mkdtemp(outside)) {
		perror("mkdtemp");
		return 1;
	}
	make("%s/etc", top);
	snprintf(path, sizeof(path), "%s/etc", top);
	make("%s/real", path);
	snprintf(path, sizeof(path), "%s/etc/real", top);
	put(path, "file", "inside\n");
	put(outside, "file", "outside\n");
	link_to(outside, "etc/link");
	link_to("etc/real/file", "filelink");
	link_to("/etc", "abslink");

	dirfd = br_open_dir(top);
	tap_ok(dirfd >= 0, "br_open_dir opens the top directory");
	checks(dirfd, "openat2");
	br_fileio_force_walk(true);
	checks(dirfd, "walk");
	br_fileio_force_walk(false);

	/* Untrusted reads: links, devices, FIFOs, size. */
	link_to("/dev/zero", "zero");
	ret = br_read_at(dirfd, "zero", 1024 * 1024, BR_READ_UNTRUSTED, &text, NULL);
	tap_is_int(ret, -ELOOP, "a link to /dev/zero is not followed");
	ret = br_read_at(AT_FDCWD, "/dev/zero", 1024 * 1024, BR_READ_UNTRUSTED, &text, NULL);
	tap_is_int(ret, -EINVAL, "/dev/zero given as a path is not a regular file");
	snprintf(path, sizeof(path), "%s/fifo", top);
	if (mkfifo(path, 0600) == 0) {
		ret = br_read_at(dirfd, "fifo", 1024, BR_READ_UNTRUSTED, &text, NULL);
		tap_is_int(ret, -EINVAL, "a FIFO is refused at once, without blocking");
	} else {
		tap_ok(0, "mkfifo: %s", strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/big", top);
	if (truncate(path, 0) < 0 && errno == ENOENT)
		put(top, "big", "");
	if (truncate(path, 2 * 1024 * 1024) < 0)
		perror(path);
	ret = br_read_at(dirfd, "big", 1024 * 1024, BR_READ_UNTRUSTED, &text, NULL);
	tap_is_int(ret, -EFBIG, "a file over the bound is refused before it is read");
	tap_is_int(br_replace_at(dirfd, "etc/x", "a", 1, 0600, 0), -EINVAL,
		   "br_replace_at takes one component, never a path");

	close(dirfd);
	snprintf(path, sizeof(path), "rm -rf '%s' '%s'", top, outside);
	if (system(path) != 0)
		return 1;
	return tap_done();
}
