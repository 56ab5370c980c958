/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private: running the libraries that parse a trace.dat (libtracecmd,
 * libtraceevent) in a child process with memory and time limits. A file
 * that makes them crash, loop or allocate without end then costs a
 * "corrupt file" message, never the command itself. What the child found
 * comes back through a pipe, encoded with the br_wire helpers.
 */
#ifndef BOOTRACE_SANDBOX_H
#define BOOTRACE_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing byte buffer to encode into, or a received one to decode from. */
struct br_wire {
	unsigned char *data;
	size_t len, cap;
	size_t pos;			/* decoding */
	bool failed;			/* out of memory, or decoded past the end */
};

void br_wire_u64(struct br_wire *w, uint64_t v);
/* A string or NULL. */
void br_wire_str(struct br_wire *w, const char *s);
uint64_t br_wire_get_u64(struct br_wire *w);
/* malloc()ed, or NULL (sent as NULL, or w->failed). */
char *br_wire_get_str(struct br_wire *w);
/* The same into a fixed buffer (cut to fit). */
void br_wire_get_strbuf(struct br_wire *w, char *buf, size_t size);
void br_wire_free(struct br_wire *w);

struct br_sandbox_limits {
	unsigned long long memory;	/* bytes of address space; 0: no limit */
	unsigned int seconds;		/* of CPU; twice that of waiting */
};

/* Limits for reading a trace.dat of @file_size bytes: generous for a real one. */
void br_sandbox_limits_for(unsigned long long file_size, struct br_sandbox_limits *lim);

/*
 * Run @fn in a child process within @lim. @fn encodes its findings into
 * @out and returns 0, or a negative errno with a message in @why (at most
 * @why_len). 0: *@result holds what it encoded (br_wire_free() it).
 * Otherwise a negative errno with the reason in @why: @fn's own, or that
 * the child crashed (-EFAULT), ran out of time (-ETIMEDOUT) or could not
 * be started.
 */
int br_sandbox_run(const struct br_sandbox_limits *lim,
		   int (*fn)(struct br_wire *out, char *why, size_t why_len, void *data),
		   void *data, struct br_wire *result, char *why, size_t why_len);

#endif
