/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A minimal TAP producer for the unit tests: every check prints "ok" or
 * "not ok", and tap_done() makes the process exit non-zero if any failed,
 * so meson test goes red on a single failure.
 */
#ifndef BOOTRACE_TAP_H
#define BOOTRACE_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static inline void tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

#define tap_is_str(got, want, name)                                          \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		int same_ = g_ && w_ ? !strcmp(g_, w_) : g_ == w_;           \
		tap_ok(same_, "%s", name);                                   \
		if (!same_)                                                  \
			printf("#   got:  '%s'\n#   want: '%s'\n",           \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)");      \
	} while (0)

#define tap_is_int(got, want, name)                                          \
	do {                                                                 \
		long long g_ = (long long)(got), w_ = (long long)(want);     \
		tap_ok(g_ == w_, "%s", name);                                \
		if (g_ != w_)                                                \
			printf("#   got:  %lld\n#   want: %lld\n", g_, w_);  \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	if (tap_count == 0) {
		printf("# no checks ran\n");
		return 1;
	}
	return tap_failed ? 1 : 0;
}

#endif
