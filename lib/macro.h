/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cleanup attributes, as systemd and kmod use them: a variable declared
 * _cleanup_free_ is freed when it goes out of scope, so an early return
 * cannot leak it; TAKE_PTR() hands its value on and leaves NULL behind.
 */
#ifndef BOOTRACE_MACRO_H
#define BOOTRACE_MACRO_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void br_freep(void *p)
{
	free(*(void **)p);
}

static inline void br_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

static inline void br_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(br_freep)
#define _cleanup_close_ _cleanup_(br_closep)
#define _cleanup_fclose_ _cleanup_(br_fclosep)

/* The value of @p, leaving @p NULL (or -1 for TAKE_FD) so no cleanup frees it. */
#define TAKE_PTR(p)                                  \
	({                                           \
		__typeof__(p) *_pp = &(p);           \
		__typeof__(p) _p = *_pp;             \
		*_pp = NULL;                         \
		_p;                                  \
	})
#define TAKE_FD(fd)                                  \
	({                                           \
		int *_pfd = &(fd);                   \
		int _fd = *_pfd;                     \
		*_pfd = -1;                          \
		_fd;                                 \
	})

#endif
