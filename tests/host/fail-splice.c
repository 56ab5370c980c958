/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LD_PRELOAD shim for collect-host.sh: BOOTRACE_FAIL_SPLICE=N makes the Nth
 * splice(2) out of a pipe fail with EIO, as a failing disk would, after
 * pages have left the kernel's ring buffer for the pipe.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

ssize_t splice(int fd_in, loff_t *off_in, int fd_out, loff_t *off_out,
	       size_t len, unsigned int flags)
{
	static int count;
	const char *at = getenv("BOOTRACE_FAIL_SPLICE");
	ssize_t (*next)(int, loff_t *, int, loff_t *, size_t, unsigned int) =
		(__typeof__(next))dlsym(RTLD_NEXT, "splice");
	struct stat st;

	if (at && !fstat(fd_in, &st) && S_ISFIFO(st.st_mode) && ++count >= atoi(at)) {
		errno = EIO;
		return -1;
	}
	return next(fd_in, off_in, fd_out, off_out, len, flags);
}
