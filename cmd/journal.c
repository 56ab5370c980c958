/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * collect's entry in the systemd journal: a fixed MESSAGE_ID per outcome
 * and fields a fleet can query once the journal is shipped elsewhere
 * (systemd-journal-upload, or any journald reader). Without libsystemd
 * the functions say so and collect prints its plain line instead.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include "bootrace-cmd.h"
#include "config.h"
#include "journal.h"

#if HAVE_LIBSYSTEMD
#include <systemd/sd-journal.h>
#include <systemd/sd-login.h>
#endif

bool journal_supported(void)
{
	return HAVE_LIBSYSTEMD;
}

bool journal_is_stream(int fd)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!env || sscanf(env, "%llu:%llu", &dev, &ino) != 2 || fstat(fd, &st))
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

#if HAVE_LIBSYSTEMD

/* A last event as a field: its text without the leading padding, bounded. */
#define LAST_EVENT_MAX 512

struct fields {
	char **v;
	int n, cap;
	bool oom;
};

static void add(struct fields *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct fields *f, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (f->oom)
		return;
	if (f->n == f->cap) {
		int cap = f->cap ? 2 * f->cap : 32;
		char **v = realloc(f->v, cap * sizeof(*v));

		if (!v) {
			f->oom = true;
			return;
		}
		f->v = v;
		f->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		f->oom = true;
	else
		f->v[f->n++] = s;
	va_end(ap);
}

static void fields_free(struct fields *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
}

static bool send_fields(const struct fields *f)
{
	struct iovec *iov;
	int ret;

	if (f->oom)
		return false;
	iov = calloc(f->n ? f->n : 1, sizeof(*iov));
	if (!iov)
		return false;
	for (int i = 0; i < f->n; i++) {
		iov[i].iov_base = f->v[i];
		iov[i].iov_len = strlen(f->v[i]);
	}
	ret = sd_journal_sendv(iov, f->n);
	free(iov);
	return ret == 0;
}

/*
 * journalctl -u finds a service's native entries by the unit journald
 * reads from the sender's cgroup, which it cannot once a short-lived
 * sender has exited; it also matches OBJECT_SYSTEMD_UNIT from root.
 */
static void add_unit(struct fields *f)
{
	char *unit = NULL;
	size_t len;

	if (!getenv("INVOCATION_ID") || geteuid() || sd_pid_get_unit(0, &unit) < 0)
		return;
	len = strlen(unit);
	if (len > 8 && !strcmp(unit + len - 8, ".service"))
		add(f, "OBJECT_SYSTEMD_UNIT=%s", unit);
	free(unit);
}

/* The last words: each CPU's last event, and whether the trace shows a panic. */
static enum bootrace_panic add_last_words(struct bootrace_ctx *ctx, struct fields *f,
					  const char *file)
{
	struct bootrace_report_opts opts = { .file = file, .last = 1 };
	struct bootrace_report rep;
	struct bootrace_error err;
	enum bootrace_panic panic;

	if (bootrace_report_read(ctx, &opts, &rep, &err)) {
		add(f, "BOOTRACE_PANIC=%s", bootrace_panic_name(BOOTRACE_PANIC_UNKNOWN));
		return BOOTRACE_PANIC_UNKNOWN;
	}
	for (int cpu = 0; cpu < rep.nr_cpus; cpu++) {
		const struct bootrace_report_cpu *c = &rep.cpus[cpu];
		const char *text;

		if (!c->nr_lines)
			continue;
		text = c->lines[c->nr_lines - 1].text;
		text += strspn(text, " ");
		add(f, "BOOTRACE_LAST_EVENT_CPU%d=%.*s", cpu, LAST_EVENT_MAX, text);
	}
	panic = rep.panic;
	add(f, "BOOTRACE_PANIC=%s", bootrace_panic_name(panic));
	if (panic == BOOTRACE_PANIC_YES)
		add(f, "BOOTRACE_PANIC_MESSAGE=%s", rep.panic_message);
	bootrace_report_clear(&rep);
	return panic;
}

static void add_collected(struct bootrace_ctx *ctx, struct fields *f,
			  const struct bootrace_collect_result *res)
{
	struct stat st;

	add(f, "BOOTRACE_TRACE_FILE=%s", res->output);
	add(f, "BOOTRACE_EVENTS=%llu", res->events);
	add(f, "BOOTRACE_LOST_EVENTS=%llu", res->lost);
	add(f, "BOOTRACE_CPUS=%d", res->nr_cpus);
	if (res->has_span) {
		add(f, "BOOTRACE_FIRST_NS=%llu", res->first_ns);
		add(f, "BOOTRACE_LAST_NS=%llu", res->last_ns);
		add(f, "BOOTRACE_SPAN_NS=%llu", res->last_ns - res->first_ns);
	}
	if (!stat(res->output, &st))
		add(f, "BOOTRACE_SIZE_BYTES=%llu", (unsigned long long)st.st_size);
	if (res->previous.boot_id[0])
		add(f, "BOOTRACE_PREVIOUS_BOOT_ID=%s", res->previous.boot_id);
	if (res->previous.release[0])
		add(f, "BOOTRACE_PREVIOUS_KERNEL=%s", res->previous.release);
	if (res->previous.decode != BOOTRACE_DECODE_UNSET)
		add(f, "BOOTRACE_DECODE=%s", bootrace_decode_name(res->previous.decode));
	add(f, "PRIORITY=%d", add_last_words(ctx, f, res->output) == BOOTRACE_PANIC_YES ?
			      LOG_WARNING : LOG_INFO);
}

/*
 * sd-journal's own socket: without it nobody would take the entry, and
 * reading the file again for its last words would be wasted time and
 * memory (as much as bootrace report's).
 */
static bool journald_listening(void)
{
	return access("/run/systemd/journal/socket", F_OK) == 0;
}

bool journal_log_collect(struct bootrace_ctx *ctx, const struct journal_collect *jc)
{
	const struct bootrace_collect_result *res = jc->res;
	struct fields f = { 0 };
	bool sent;

	if (!journald_listening())
		return false;
	add(&f, "MESSAGE=%s", jc->message);
	add(&f, "SYSLOG_IDENTIFIER=bootrace");
	add(&f, "BOOTRACE_VERSION=%s", BOOTRACE_VERSION);
	add(&f, "BOOTRACE_EXIT_STATUS=%d", jc->exit_status);
	if (res->instance)
		add(&f, "BOOTRACE_INSTANCE=%s", res->instance);
	add_unit(&f);
	if (!jc->error) {
		add(&f, "MESSAGE_ID=%s", JOURNAL_ID_COLLECTED);
		add_collected(ctx, &f, res);
	} else if ((jc->error == -ENODATA || jc->exit_status == EXIT_NOT_READY) && !res->partial) {
		/* Normal outcomes at boot: a cold boot, not set up, already collected. */
		add(&f, "MESSAGE_ID=%s", JOURNAL_ID_NOTHING);
		add(&f, "PRIORITY=%d", LOG_INFO);
		add(&f, "BOOTRACE_REASON=%s", jc->err->msg);
	} else {
		add(&f, "MESSAGE_ID=%s", JOURNAL_ID_FAILED);
		add(&f, "PRIORITY=%d", LOG_ERR);
		add(&f, "BOOTRACE_ERROR=%s", jc->err->msg);
		if (res->partial)
			add(&f, "BOOTRACE_PARTIAL_FILE=%s", res->partial);
	}
	sent = send_fields(&f);
	fields_free(&f);
	return sent;
}

#else

bool journal_log_collect(struct bootrace_ctx *ctx, const struct journal_collect *jc)
{
	return false;
}

#endif
