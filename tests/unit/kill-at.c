/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LD_PRELOAD shim for test-interrupt.sh: BOOTRACE_KILL_AT=CALL:N kills the
 * process with SIGKILL at the Nth call of CALL (write, pwrite64, fsync,
 * rename, renameat, renameat2), before the call happens: a power cut at
 * that step. BOOTRACE_CALL_LOG=FILE appends one line per such call,
 * "CALL N FILE BYTES" (the file the descriptor is open on; "-" for the
 * renames), so a test can tell which pages reached the disk before a cut.
 *
 * BOOTRACE_DISK_FULL=BYTES[:PATTERN[:splice]] is a disk that fills up:
 * write(2) and splice(2) into regular files whose path contains PATTERN
 * (any, if none is given) take BYTES in all, the one that crosses the
 * limit only in part, then fail with ENOSPC; with ":splice", only what
 * splice(2) brings counts and fails (the pages of a real tracefs, not the
 * metadata before them). pwrite(2) in place is not limited: it rewrites
 * blocks the file already has.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Only the process the shim was loaded into: collect's keeper, a child
 * forked to write what is in flight when collect is killed, must not be
 * killed, counted or given a full disk by the copy of the shim it inherits.
 */
static pid_t shim_pid;

__attribute__((constructor)) static void shim_init(void)
{
	shim_pid = getpid();
}

static bool ours(void)
{
	return getpid() == shim_pid;
}

static const char *const calls[] = { "write", "pwrite64", "fsync", "rename", "renameat",
				     "renameat2", NULL };
static int counts[8];

/* Written with the raw system call: write() here would be our own. */
static void log_call(const char *call, int n, int fd, size_t bytes)
{
	const char *log = getenv("BOOTRACE_CALL_LOG");
	char path[PATH_MAX] = "-", link[64], line[PATH_MAX + 128];
	int logfd, len;
	ssize_t got;

	if (!log)
		return;
	if (fd >= 0) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		got = readlink(link, path, sizeof(path) - 1);
		path[got > 0 ? got : 0] = '\0';
	}
	len = snprintf(line, sizeof(line), "%s %d %s %zu\n", call, n, path, bytes);
	logfd = syscall(SYS_open, log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (logfd < 0)
		return;
	syscall(SYS_write, logfd, line, (size_t)len);
	syscall(SYS_close, logfd);
}

static void maybe_die(const char *call, int fd, size_t bytes)
{
	const char *at = getenv("BOOTRACE_KILL_AT");
	size_t len = strlen(call);
	int i;

	if (!ours())
		return;
	for (i = 0; calls[i] && strcmp(calls[i], call); i++)
		;
	counts[i]++;
	if (at && !strncmp(at, call, len) && at[len] == ':' && counts[i] == atoi(at + len + 1))
		raise(SIGKILL);
	log_call(call, counts[i], fd, bytes);
}

/*
 * How much of @n bytes to @fd the full disk still takes: @n, less, or 0
 * (then errno is ENOSPC and the call fails).
 */
static size_t room_for(int fd, size_t n, bool by_splice)
{
	static unsigned long long used;
	const char *full = getenv("BOOTRACE_DISK_FULL");
	char link[64], path[PATH_MAX], pattern[PATH_MAX] = "", *only;
	unsigned long long limit;
	struct stat st;
	ssize_t got;

	if (!full || !ours() || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return n;
	limit = strtoull(full, NULL, 10);
	if (strchr(full, ':'))
		snprintf(pattern, sizeof(pattern), "%s", strchr(full, ':') + 1);
	only = strchr(pattern, ':');
	if (only) {
		*only++ = '\0';
		if (!strcmp(only, "splice") && !by_splice)
			return n;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	got = readlink(link, path, sizeof(path) - 1);
	path[got > 0 ? got : 0] = '\0';
	if (!strstr(path, pattern))
		return n;
	if (used >= limit) {
		errno = ENOSPC;
		return 0;
	}
	if (n > limit - used)
		n = limit - used;
	used += n;
	return n;
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t write(int fd, const void *buf, size_t n)
{
	size_t room;

	if (fd > 2)
		maybe_die("write", fd, n);
	room = n ? room_for(fd, n, false) : 0;
	if (n && !room)
		return -1;
	return NEXT(write)(fd, buf, room);
}

ssize_t splice(int in, loff_t *in_off, int out, loff_t *out_off, size_t n, unsigned int flags)
{
	size_t room = n ? room_for(out, n, true) : 0;

	if (n && !room)
		return -1;
	return NEXT(splice)(in, in_off, out, out_off, room, flags);
}

int fsync(int fd)
{
	maybe_die("fsync", fd, 0);
	return NEXT(fsync)(fd);
}

int renameat(int a, const char *from, int b, const char *to)
{
	maybe_die("renameat", -1, 0);
	return NEXT(renameat)(a, from, b, to);
}

int renameat2(int a, const char *from, int b, const char *to, unsigned int flags)
{
	maybe_die("renameat2", -1, 0);
	return NEXT(renameat2)(a, from, b, to, flags);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	maybe_die("pwrite64", fd, n);
	return NEXT(pwrite64)(fd, buf, n, off);
}

int rename(const char *from, const char *to)
{
	maybe_die("rename", -1, 0);
	return NEXT(rename)(from, to);
}
