/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error messages, logging and the small file helpers every area needs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event-parse.h>
#include <trace-cmd.h>
#include <tracefs.h>

#include "bootrace-local.h"

static bootrace_log_fn log_fn;
static void *log_data;
static enum bootrace_log_level log_level = BOOTRACE_LOG_WARN;

void bootrace_set_log_fn(bootrace_log_fn fn, void *data)
{
	log_fn = fn;
	log_data = data;
}

void bootrace_set_log_level(enum bootrace_log_level level)
{
	/*
	 * The libraries complain about every event format whose print format
	 * they cannot parse; that is noise unless the user asked for more.
	 */
	static const enum tep_loglevel tep_level[] = {
		[BOOTRACE_LOG_ERR] = TEP_LOG_CRITICAL,
		[BOOTRACE_LOG_WARN] = TEP_LOG_CRITICAL,
		[BOOTRACE_LOG_INFO] = TEP_LOG_WARNING,
		[BOOTRACE_LOG_DEBUG] = TEP_LOG_ALL,
	};

	if (level > BOOTRACE_LOG_DEBUG)
		level = BOOTRACE_LOG_DEBUG;
	log_level = level;
	/* One switch for every library, as trace-cmd's -v does. */
	tep_set_loglevel(tep_level[level]);
	tracefs_set_loglevel(tep_level[level]);
	tracecmd_set_loglevel(tep_level[level]);
}

void br_log(enum bootrace_log_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!log_fn || level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_fn(level, buf, log_data);
}

int br_fail(struct bootrace_error *err, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->origin = BOOTRACE_ERROR_SYSTEM;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return ret;
}

int br_read_file_at(int dirfd, const char *rel, char **text, size_t *len)
{
	size_t cap = 4096, used = 0;
	char *buf, *tmp;
	ssize_t n;
	int fd, ret = 0;

	fd = openat(dirfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	/* tracefs files report size 0: read until EOF, never trust st_size. */
	for (;;) {
		if (cap - used < 2) {
			tmp = realloc(buf, cap * 2);
			if (!tmp) {
				ret = -ENOMEM;
				break;
			}
			buf = tmp;
			cap *= 2;
		}
		n = read(fd, buf + used, cap - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		used += n;
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[used] = '\0';
	/* Thousands of small format files are kept: give back the slack. */
	tmp = realloc(buf, used + 1);
	*text = tmp ? tmp : buf;
	if (len)
		*len = used;
	return 0;
}

int br_read_file(const char *path, char **text, size_t *len)
{
	return br_read_file_at(AT_FDCWD, path, text, len);
}

char *br_path_join(const char *a, const char *b)
{
	char *out;

	if (asprintf(&out, "%s/%s", a, b) < 0)
		return NULL;
	return out;
}

char *br_strip(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

void bootrace_strv_free(char **strv)
{
	if (!strv)
		return;
	for (char **p = strv; *p; p++)
		free(*p);
	free(strv);
}

const char *br_shown(const char *s, size_t n, char buf[BR_SHOWN_MAX])
{
	size_t used = 0;

	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];

		if (used + 8 >= BR_SHOWN_MAX) {
			memcpy(buf + used, "...", 4);
			return buf;
		}
		if (c == '\n')
			used += sprintf(buf + used, "\\n");
		else if (c == '\t')
			used += sprintf(buf + used, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			used += sprintf(buf + used, "\\x%02x", c);
		else
			buf[used++] = c;
	}
	buf[used] = '\0';
	return buf;
}
