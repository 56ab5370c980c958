/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The words of the trace.dat check: every problem is one line naming the
 * field, its offset in the file and what is wrong with it; and the small
 * tests of text that the parts of the check share.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tracedat-check.h"

int tdc_fail(struct tracedat_check *c, const char *field, unsigned long long at,
	     const char *fmt, ...)
{
	int n = snprintf(c->why, c->why_len, "%s at offset %llu: ", field, at);
	va_list ap;

	if (n >= 0 && (size_t)n < c->why_len) {
		va_start(ap, fmt);
		vsnprintf(c->why + n, c->why_len - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int tdc_read_failed(struct tracedat_check *c, int ret)
{
	const char *field = c->what ? c->what : "header";

	if (ret == -EINVAL)
		return tdc_fail(c, field, c->r.pos,
				"runs past the end of the file (%llu bytes): truncated?", c->r.size);
	snprintf(c->why, c->why_len, "cannot read %s at offset %llu: %s", field, c->r.pos,
		 strerror(-ret));
	return ret;
}

int tdc_fail_at(struct tracedat_check *c, const struct tracedat_reader *r,
		unsigned long long pos, const char *field, const char *fmt, ...)
{
	char detail[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (r->mem && c->decompressed)
		return tdc_fail(c, field, c->base, "%s (byte %llu of the decompressed section)",
				detail, pos);
	return tdc_fail(c, field, (r->mem ? c->base : 0) + pos, "%s", detail);
}

uint32_t tdc_u32(const struct tracedat_check *c, const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return c->r.swap ? __builtin_bswap32(v) : v;
}

bool tdc_is_text(const unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') || p[i] == 0x7f)
			return false;
	return true;
}

/*
 * libtracecmd takes the selected clock from the word that starts with
 * '[' and hands what is inside the brackets to sscanf(): a word of
 * brackets alone leaves it nothing, and it crashes.
 */
bool tdc_clock_ok(const char *text, size_t len)
{
	size_t i = 0;

	if (!tdc_is_text((const unsigned char *)text, len))
		return false;
	while (i < len) {
		size_t start = i;
		bool named = false;

		while (i < len && text[i] != ' ') {
			named |= text[i] != '[' && text[i] != ']';
			i++;
		}
		if (text[start] == '[' && !named)
			return false;
		i++;
	}
	return true;
}
