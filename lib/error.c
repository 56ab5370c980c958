/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error messages, logging and the small file helpers every area needs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "bootrace-local.h"
#include "context.h"

void br_log(const struct bootrace_ctx *ctx, enum bootrace_log_level level,
	    const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!ctx || !ctx->log_fn || level > ctx->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ctx->log_fn(level, buf, ctx->log_data);
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
