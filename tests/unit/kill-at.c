/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LD_PRELOAD shim for test-interrupt.sh: BOOTRACE_KILL_AT=CALL:N kills the
 * process with SIGKILL at the Nth call of CALL (write, pwrite64, fsync,
 * rename, renameat, renameat2), before the call happens: a power cut at
 * that step.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void maybe_die(const char *call)
{
	static int counts[8];
	static const char *const calls[] = { "write", "pwrite64", "fsync", "rename", "renameat",
					     "renameat2", NULL };
	const char *at = getenv("BOOTRACE_KILL_AT");
	size_t len = strlen(call);
	int i;

	if (!at || strncmp(at, call, len) || at[len] != ':')
		return;
	for (i = 0; calls[i] && strcmp(calls[i], call); i++)
		;
	if (++counts[i] == atoi(at + len + 1))
		raise(SIGKILL);
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

ssize_t write(int fd, const void *buf, size_t n)
{
	if (fd > 2)
		maybe_die("write");
	return NEXT(write)(fd, buf, n);
}

int fsync(int fd)
{
	maybe_die("fsync");
	return NEXT(fsync)(fd);
}

int renameat(int a, const char *from, int b, const char *to)
{
	maybe_die("renameat");
	return NEXT(renameat)(a, from, b, to);
}

int renameat2(int a, const char *from, int b, const char *to, unsigned int flags)
{
	maybe_die("renameat2");
	return NEXT(renameat2)(a, from, b, to, flags);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	maybe_die("pwrite64");
	return NEXT(pwrite64)(fd, buf, n, off);
}

int rename(const char *from, const char *to)
{
	maybe_die("rename");
	return NEXT(rename)(from, to);
}
