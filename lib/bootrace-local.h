/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private helpers shared by libbootrace's source files. */
#ifndef BOOTRACE_LOCAL_H
#define BOOTRACE_LOCAL_H

#include <stdarg.h>

#include "bootrace.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define BR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BR_PRINTF(f, a)
#endif

/* Fill @err (if non-NULL) and return @ret, which is a negative errno. */
int br_fail(struct bootrace_error *err, int ret, const char *fmt, ...)
	BR_PRINTF(3, 4);

void br_log(enum bootrace_log_level level, const char *fmt, ...)
	BR_PRINTF(2, 3);
#define br_err(...) br_log(BOOTRACE_LOG_ERR, __VA_ARGS__)
#define br_warn(...) br_log(BOOTRACE_LOG_WARN, __VA_ARGS__)
#define br_info(...) br_log(BOOTRACE_LOG_INFO, __VA_ARGS__)
#define br_dbg(...) br_log(BOOTRACE_LOG_DEBUG, __VA_ARGS__)

/* Read a whole file; NUL-terminated, @len excludes the NUL. 0 or -errno. */
int br_read_file(const char *path, char **text, size_t *len);
/* Read a whole file relative to directory fd @dirfd. */
int br_read_file_at(int dirfd, const char *rel, char **text, size_t *len);

/* Join path parts with '/'; malloc()ed, NULL on ENOMEM. */
char *br_path_join(const char *a, const char *b);

/*
 * A rejected value as it goes into a one-line message: control characters
 * escaped (a newline would split the line, an escape sequence would reach
 * the terminal) and long values cut. Returns @buf.
 */
#define BR_SHOWN_MAX 64
const char *br_shown(const char *s, size_t n, char buf[BR_SHOWN_MAX]);

/* The configuration on @proc_cmdline, or on the running kernel's when NULL. */
void br_cmdline_config_read(const char *proc_cmdline,
			    struct bootrace_cmdline_config *cfg);

/* Strip trailing whitespace in place; returns @s. */
char *br_strip(char *s);

#endif
