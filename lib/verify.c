/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What "verified" means. The file is checked whole (tracedat_check()),
 * then read back by libtracecmd, an independent reader, in a sandboxed
 * child, every buffer of it; a file written by bootrace collect has its
 * records compared with the per-CPU stats the kernel reported before
 * collect read anything (bootrace's own option; CPUSTAT in older files).
 * A file from elsewhere gets the checks that make sense for it, and says
 * which it skipped; none passes on records it does not hold. Then the
 * kernel's side: the backup instance removed itself, and the persistent
 * instance still exists to trace the next crash.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "bootrace-local.h"
#include "decode-check.h"
#include "sandbox.h"
#include "trace-input.h"
#include "tracedat-reader.h"

/* What the sandboxed reader counts, per buffer and CPU. */
struct record_counts {
	const char *file;
	int nr_cpus;
	int nr_buffers;
	char (*names)[64];
	unsigned long long *records;	/* [buffer * nr_cpus + cpu] */
	unsigned long long missed;	/* lost-event markers inside the data */
	unsigned long long unknown;	/* records with no event format */
	/* Records whose length does not fit their format (decode-check.c). */
	unsigned long long too_short, too_long;
	char misfit[128];		/* the first of them, in words */
	int buffer;			/* the one being counted */
};

#define MAX_BUFFERS 4096

BR_PRINTF(4, 5)
static void add_check(struct bootrace_verify_result *res, const char *name,
		      enum bootrace_check_status status, const char *fmt, ...)
{
	struct bootrace_check *c;
	va_list ap;

	if (res->nr_checks >= (int)ARRAY_SIZE(res->checks))
		return;
	c = &res->checks[res->nr_checks++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->status = status;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static int count_record(struct tracecmd_input *handle, struct tep_record *rec,
			int cpu, void *data)
{
	struct record_counts *counts = data;

	if (rec->cpu >= 0 && rec->cpu < counts->nr_cpus)
		counts->records[counts->buffer * counts->nr_cpus + rec->cpu]++;
	struct tep_event *ev;
	enum br_record_fit fit;

	if (rec->missed_events)
		counts->missed++;
	ev = tep_find_event_by_record(tracecmd_get_tep(handle), rec);
	if (!ev) {
		counts->unknown++;
		return 0;
	}
	fit = br_record_fit(ev, rec);
	if (fit != BR_RECORD_FITS && !counts->misfit[0])
		snprintf(counts->misfit, sizeof(counts->misfit), "the first, on CPU %d, %d bytes as %s:%s",
			 rec->cpu, rec->size, ev->system, ev->name);
	counts->too_short += fit == BR_RECORD_SHORT;
	counts->too_long += fit == BR_RECORD_LONG;
	return 0;
}

/* In the sandbox: every buffer's records per CPU, encoded. */
static int count_in_child(struct br_wire *out, char *why, size_t why_len, void *data)
{
	struct record_counts *counts = data;
	struct br_trace_input in;
	int ret = br_trace_input_open(counts->file, &in, why, why_len);

	if (ret)
		return ret;
	counts->records = calloc((size_t)in.nr * (counts->nr_cpus ? counts->nr_cpus : 1),
				 sizeof(*counts->records));
	if (!counts->records) {
		br_trace_input_close(&in);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	for (counts->buffer = 0; counts->buffer < in.nr; counts->buffer++)
		tracecmd_iterate_events(in.handles[counts->buffer], NULL, 0, count_record, counts);
	br_wire_u64(out, in.nr);
	for (int b = 0; b < in.nr; b++) {
		br_wire_str(out, in.names[b]);
		for (int cpu = 0; cpu < counts->nr_cpus; cpu++)
			br_wire_u64(out, counts->records[b * counts->nr_cpus + cpu]);
	}
	br_wire_u64(out, counts->missed);
	br_wire_u64(out, counts->unknown);
	br_wire_u64(out, counts->too_short);
	br_wire_u64(out, counts->too_long);
	br_wire_str(out, counts->misfit);
	br_trace_input_close(&in);
	return 0;
}

static int decode_counts(struct br_wire *w, struct record_counts *counts)
{
	unsigned long long nr = br_wire_get_u64(w);

	if (w->failed || !nr || nr > MAX_BUFFERS)
		return -EIO;
	counts->names = calloc(nr, sizeof(*counts->names));
	counts->records = calloc(nr * (counts->nr_cpus ? counts->nr_cpus : 1),
				 sizeof(*counts->records));
	if (!counts->names || !counts->records)
		return -ENOMEM;
	counts->nr_buffers = nr;
	for (int b = 0; b < counts->nr_buffers; b++) {
		br_wire_get_strbuf(w, counts->names[b], sizeof(counts->names[b]));
		for (int cpu = 0; cpu < counts->nr_cpus; cpu++)
			counts->records[b * counts->nr_cpus + cpu] = br_wire_get_u64(w);
	}
	counts->missed = br_wire_get_u64(w);
	counts->unknown = br_wire_get_u64(w);
	counts->too_short = br_wire_get_u64(w);
	counts->too_long = br_wire_get_u64(w);
	br_wire_get_strbuf(w, counts->misfit, sizeof(counts->misfit));
	return w->failed ? -EIO : 0;
}

/* Read every buffer in the sandbox; the result's per-buffer and per-CPU totals. */
static int read_records(const char *file, const struct tracedat_layout *l,
			struct record_counts *counts, struct bootrace_verify_result *res,
			char *why, size_t why_len)
{
	struct br_sandbox_limits lim;
	struct br_wire found;
	int ret;

	counts->file = file;
	counts->nr_cpus = l->nr_cpus;
	br_sandbox_limits_for(l->file_size, &lim);
	ret = br_sandbox_run(&lim, count_in_child, counts, &found, why, why_len);
	if (ret)
		return ret;
	ret = decode_counts(&found, counts);
	br_wire_free(&found);
	if (ret) {
		snprintf(why, why_len, "%s", ret == -ENOMEM ? "out of memory" :
			 "the reader sent back no counts");
		return ret;
	}
	res->nr_cpus = counts->nr_cpus;
	res->cpu_records = calloc(res->nr_cpus ? res->nr_cpus : 1, sizeof(*res->cpu_records));
	res->buffers = calloc(counts->nr_buffers, sizeof(*res->buffers));
	if (!res->cpu_records || !res->buffers)
		return -ENOMEM;
	res->nr_buffers = counts->nr_buffers;
	for (int b = 0; b < counts->nr_buffers; b++) {
		struct bootrace_buffer_summary *s = &res->buffers[b];

		snprintf(s->name, sizeof(s->name), "%s", counts->names[b]);
		for (int cpu = 0; cpu < counts->nr_cpus; cpu++) {
			s->records += counts->records[b * counts->nr_cpus + cpu];
			res->cpu_records[cpu] += counts->records[b * counts->nr_cpus + cpu];
		}
		res->records += s->records;
	}
	return 0;
}

/* "the top level (0 records), buffer 'i12ext' (529)". */
static void describe_buffers(const struct bootrace_verify_result *res, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (int b = 0; b < res->nr_buffers && used < len; b++) {
		const struct bootrace_buffer_summary *s = &res->buffers[b];
		int n = s->name[0] ?
			snprintf(buf + used, len - used, "%sbuffer '%s' (%llu)", b ? ", " : "",
				 s->name, s->records) :
			snprintf(buf + used, len - used, "%sthe top level (%llu)", b ? ", " : "",
				 s->records);

		used += n > 0 ? (size_t)n : 0;
	}
}

/*
 * The counts from before reading: bootrace's own option; a file of an
 * older bootrace had them in CPUSTAT (the top level's, in order).
 */
static int expected_stats(const struct tracedat_options *opts, char ***texts, bool *old)
{
	*old = !opts->nr_kernel_stats;
	if (opts->nr_kernel_stats) {
		*texts = opts->kernel_stats;
		return opts->nr_kernel_stats;
	}
	*texts = calloc(opts->nr_cpustats ? opts->nr_cpustats : 1, sizeof(**texts));
	if (!*texts)
		return 0;
	for (int i = 0; i < opts->nr_cpustats; i++)
		(*texts)[i] = opts->cpustats[i].text;
	return opts->nr_cpustats;
}

static void check_counts(const struct tracedat_options *opts, const struct record_counts *counts,
			 struct bootrace_verify_result *res)
{
	struct bootrace_cpu_stats st;
	char detail[256] = "", **texts = NULL;
	int bad_cpu = -1, nr;
	bool old;

	if (!res->records) {
		add_check(res, "counts", BOOTRACE_CHECK_FAIL,
			  "no records in any buffer of the file: nothing of a trace to verify");
		return;
	}
	if (!res->bootrace_file) {
		describe_buffers(res, detail, sizeof(detail));
		add_check(res, "counts", BOOTRACE_CHECK_SKIP,
			  "not written by bootrace collect (but by %s): no kernel counts from before reading to compare; records in %s",
			  res->writer, detail);
		return;
	}
	nr = expected_stats(opts, &texts, &old);
	res->cpu_expected = calloc(counts->nr_cpus ? counts->nr_cpus : 1, sizeof(*res->cpu_expected));
	if (!res->cpu_expected || !texts) {
		if (old)
			free(texts);
		return;
	}
	for (int cpu = 0; cpu < counts->nr_cpus; cpu++) {
		if (cpu < nr && !bootrace_cpu_stats_parse(texts[cpu], &st))
			res->cpu_expected[cpu] = st.entries;
		res->expected += res->cpu_expected[cpu];
		if (bad_cpu < 0 && res->cpu_expected[cpu] != counts->records[cpu])
			bad_cpu = cpu;
	}
	if (old)
		free(texts);
	if (nr < counts->nr_cpus) {
		add_check(res, "counts", BOOTRACE_CHECK_FAIL,
			  "the file has the kernel's counts for %d of %d CPUs", nr, counts->nr_cpus);
		return;
	}
	if (bad_cpu >= 0)
		snprintf(detail, sizeof(detail), "; CPU %d: %llu records, kernel had %llu",
			 bad_cpu, counts->records[bad_cpu], res->cpu_expected[bad_cpu]);
	add_check(res, "counts", bad_cpu < 0 ? BOOTRACE_CHECK_PASS : BOOTRACE_CHECK_FAIL,
		  "%llu records in the file, %llu entries in the kernel's stats on %d CPUs%s%s",
		  res->buffers[0].records, res->expected, counts->nr_cpus, detail,
		  old ? " (an older bootrace's file: its CPUSTAT holds them)" : "");
}

static void check_lost(const struct tracedat_options *opts, const struct tracedat_layout *l,
		       const struct record_counts *counts, struct bootrace_verify_result *res)
{
	unsigned long long overrun = 0, commit_overrun = 0, dropped = 0, pages = 0, empty = 0;
	struct bootrace_cpu_stats st;
	char extra[160] = "";

	/* The kernel's counters only grow: before or after reading, the same. */
	for (int i = 0; i < opts->nr_cpustats; i++) {
		if (bootrace_cpu_stats_parse(opts->cpustats[i].text, &st))
			continue;
		overrun += st.overrun;
		commit_overrun += st.commit_overrun;
		dropped += st.dropped_events;
	}
	for (int b = 0; b < l->nr_buffers; b++)
		for (int cpu = 0; cpu < l->buffers[b].nr_cpus; cpu++) {
			pages += l->buffers[b].cpus[cpu].missed_pages;
			empty += l->buffers[b].cpus[cpu].dropped_pages;
		}
	if (!overrun && !commit_overrun && !dropped && !counts->missed && !pages) {
		add_check(res, "lost", BOOTRACE_CHECK_PASS, "no lost, overrun or dropped events");
		return;
	}
	if (pages)
		snprintf(extra, sizeof(extra),
			 ", %llu pages marked as after lost events (%llu empty: dropped by the kernel as corrupt, 7.2+)",
			 pages, empty);
	add_check(res, "lost", BOOTRACE_CHECK_FAIL,
		  "%llu overrun, %llu commit overrun, %llu dropped, %llu lost-event markers in the data%s%s",
		  overrun, commit_overrun, dropped, counts->missed, extra,
		  overrun ? ": the oldest events were overwritten; a larger reserve_mem size keeps more" : "");
}

static bool wait_gone(const struct bootrace_tracefs *tfs, const char *name,
		      unsigned int timeout_ms)
{
	struct timespec step = { 0, 20 * 1000 * 1000 };
	unsigned int waited = 0;

	while (br_instance_exists(tfs, name)) {
		if (waited >= timeout_ms)
			return false;
		nanosleep(&step, NULL);
		waited += 20;
	}
	return true;
}

static bool instance_tracing(const struct bootrace_tracefs *tfs, const char *name,
			     char *last_boot, size_t len)
{
	char rel[256], *text = NULL;
	bool on;

	last_boot[0] = '\0';
	snprintf(rel, sizeof(rel), "instances/%s/last_boot_info", name);
	if (!bootrace_tracefs_read(tfs, rel, &text, NULL)) {
		snprintf(last_boot, len, "%s", br_strip(text));
		for (char *p = last_boot; *p; p++)
			if (*p == '\n' || *p == '\t')
				*p = ' ';
		free(text);
		text = NULL;
	}
	snprintf(rel, sizeof(rel), "instances/%s/tracing_on", name);
	on = !bootrace_tracefs_read(tfs, rel, &text, NULL) && text[0] == '1';
	free(text);
	return on;
}

static enum bootrace_kernel_level running_level(void)
{
	struct utsname uts;
	int major = 0, minor = 0;

	if (!uname(&uts))
		sscanf(uts.release, "%d.%d", &major, &minor);
	return br_kernel_level_of(major, minor);
}

/* The backup instance must be gone: by itself on 7.1+, removed by collect before. */
static void check_backup_gone(const struct bootrace_tracefs *tfs,
			      const struct bootrace_verify_opts *opts, const char *name,
			      const struct bootrace_cmdline_config *cfg,
			      struct bootrace_verify_result *res)
{
	char path[512];

	if (wait_gone(tfs, name, opts->timeout_ms)) {
		add_check(res, "backup-gone", BOOTRACE_CHECK_PASS, "instance '%s' is gone (%s)", name,
			  running_level() >= BOOTRACE_KERNEL_READ_ONLY ?
			  "the kernel removed it once it was read, 7.1+" :
			  "bootrace collect removed it, as 6.19 and 7.0 do not");
		return;
	}
	snprintf(path, sizeof(path), "%s/instances/%s/tracing_on",
		 bootrace_tracefs_path(tfs), name);
	if (access(path, F_OK) || (cfg->has_backup && !strcmp(name, cfg->backup)))
		add_check(res, "backup-gone", BOOTRACE_CHECK_FAIL,
			  "instance '%s' still exists %u ms after collect: it was not read to the end, or not removed (rmdir it once the file is safe)",
			  name, opts->timeout_ms);
	else
		add_check(res, "backup-gone", BOOTRACE_CHECK_SKIP,
			  "'%s' is an ordinary writable instance, which nothing removes", name);
}

/* The persistent instance must exist and trace this boot, for the next crash. */
static void check_persistent(const struct bootrace_tracefs *tfs, const char *name,
			     bool was_source, struct bootrace_verify_result *res)
{
	char last_boot[128];
	bool tracing;

	if (!br_instance_exists(tfs, name)) {
		add_check(res, "persistent", BOOTRACE_CHECK_FAIL,
			  "instance '%s' is missing: the next crash will not be recorded", name);
		return;
	}
	tracing = instance_tracing(tfs, name, last_boot, sizeof(last_boot));
	if (!tracing)
		add_check(res, "persistent", BOOTRACE_CHECK_FAIL,
			  "instance '%s' exists but does not trace (tracing_on 0): the next crash will not be recorded%s",
			  name, was_source ? "; collect did not re-arm it" : "");
	else if (was_source)
		add_check(res, "persistent", BOOTRACE_CHECK_PASS,
			  "instance '%s' held the previous boot (before 6.19); collect cleared it and it traces this boot (last_boot_info: %s)",
			  name, last_boot[0] ? last_boot : "none");
	else
		add_check(res, "persistent", BOOTRACE_CHECK_PASS,
			  "instance '%s' exists and traces this boot", name);
}

static void check_instances(struct bootrace_ctx *ctx, const struct bootrace_verify_opts *opts,
			    const struct tracedat_options *fopts,
			    struct bootrace_verify_result *res)
{
	struct bootrace_cmdline_config cfg;
	const char *persistent = opts->persistent;
	const char *source = fopts->last_boot_instance;
	const struct bootrace_tracefs *tfs;
	bool from_persistent;

	if (!opts->check_instance) {
		add_check(res, "backup-gone", BOOTRACE_CHECK_SKIP, "offline: instances not checked");
		add_check(res, "persistent", BOOTRACE_CHECK_SKIP, "offline: instances not checked");
		return;
	}
	if (bootrace_ctx_tracefs(ctx, &tfs, NULL)) {
		add_check(res, "backup-gone", BOOTRACE_CHECK_SKIP, "no tracefs: instances not checked");
		add_check(res, "persistent", BOOTRACE_CHECK_SKIP, "no tracefs: instances not checked");
		return;
	}
	br_cmdline_config_read(ctx, &cfg);
	if (!persistent)
		persistent = cfg.has_persistent ? cfg.persistent : NULL;
	from_persistent = source && persistent && !strcmp(source, persistent);

	if (!source)
		add_check(res, "backup-gone", BOOTRACE_CHECK_SKIP,
			  "the file was not taken from a backup instance (no last-boot information)");
	else if (from_persistent)
		add_check(res, "backup-gone", BOOTRACE_CHECK_SKIP,
			  "no backup instance: the previous boot was in '%s' itself (kernels before 6.19)", source);
	else
		check_backup_gone(tfs, opts, source, &cfg, res);

	if (!persistent)
		add_check(res, "persistent", BOOTRACE_CHECK_SKIP,
			  "no persistent instance on the kernel command line");
	else
		check_persistent(tfs, persistent, from_persistent, res);
}

/* An error of the file the user gave: exit status 2, not a system problem. */
static int input_error(struct bootrace_error *err, int ret)
{
	if (err)
		err->origin = BOOTRACE_ERROR_INPUT;
	return ret;
}

static void check_parse(const struct tracedat_options *fopts, const struct record_counts *counts,
			struct bootrace_verify_result *res)
{
	char buffers[160];

	describe_buffers(res, buffers, sizeof(buffers));
	if (counts->unknown)
		add_check(res, "parse", BOOTRACE_CHECK_FAIL,
			  "libtracecmd reads the file, but %llu records have no event format",
			  counts->unknown);
	else if (res->nr_buffers > 1)
		add_check(res, "parse", BOOTRACE_CHECK_PASS,
			  "libtracecmd reads the file (version %d, %u-byte pages, %d CPUs); records in %s",
			  fopts->version, fopts->page_size, fopts->nr_cpus, buffers);
	else
		add_check(res, "parse", BOOTRACE_CHECK_PASS,
			  "libtracecmd reads the file (version %d, %u-byte pages, %d CPUs)",
			  fopts->version, fopts->page_size, fopts->nr_cpus);
}

/*
 * Decoded with the formats of the kernel that wrote it: every record's
 * type id names a format and its length fits that format, and collect did
 * not say it stored another kernel's formats, or could not tell whose.
 */
static void check_decode(const struct tracedat_options *fopts, const struct record_counts *counts,
			 struct bootrace_verify_result *res)
{
	struct bootrace_previous_boot prev;
	bool said = fopts->decode &&
		    !br_decode_marker_parse(fopts->decode, strlen(fopts->decode), &prev);

	if (counts->unknown || counts->too_short || counts->too_long) {
		add_check(res, "decode", BOOTRACE_CHECK_FAIL,
			  "%llu records name no format, %llu are shorter, %llu longer than theirs (%s): written under other formats%s%s",
			  counts->unknown, counts->too_short, counts->too_long,
			  counts->misfit[0] ? counts->misfit : "no length checked",
			  said && prev.release[0] ? ", those of kernel " : "",
			  said && prev.release[0] ? prev.release : "");
		return;
	}
	if (!said) {
		add_check(res, "decode", BOOTRACE_CHECK_PASS,
			  "every record names a format and fits it (the file does not say whose formats they are)");
		return;
	}
	switch (prev.decode) {
	case BOOTRACE_DECODE_OWN:
		add_check(res, "decode", BOOTRACE_CHECK_PASS,
			  "every record names a format and fits it; formats and symbols are those boot %.8s left (kernel %s)",
			  prev.boot_id, prev.release);
		break;
	case BOOTRACE_DECODE_SAME_BUILD:
		add_check(res, "decode", BOOTRACE_CHECK_PASS,
			  "every record names a format and fits it; boot %.8s ran this same build, %s (module and dynamic event ids unchecked)",
			  prev.boot_id, prev.release);
		break;
	case BOOTRACE_DECODE_THIS_BOOT:
		add_check(res, "decode", BOOTRACE_CHECK_PASS,
			  "every record names a format and fits it; the data is the collecting boot's own");
		break;
	case BOOTRACE_DECODE_OTHER_KERNEL:
		add_check(res, "decode", BOOTRACE_CHECK_FAIL,
			  "collected with another kernel's formats: boot %.8s ran %s and left no decoder; names and fields are wrong where ids moved",
			  prev.boot_id, prev.release[0] ? prev.release : "another kernel");
		break;
	default:
		add_check(res, "decode", BOOTRACE_CHECK_FAIL,
			  "collected with the collecting kernel's formats, but nothing told which kernel wrote the trace (no decoder or boot record of its boot)");
		break;
	}
}

int bootrace_verify(struct bootrace_ctx *ctx, const struct bootrace_verify_opts *opts,
		    struct bootrace_verify_result *res,
		    struct bootrace_error *err)
{
	struct tracedat_options fopts;
	struct tracedat_layout layout;
	struct record_counts counts = { 0 };
	char why[TRACEDAT_WHY_MAX];
	int ret;

	memset(res, 0, sizeof(*res));
	if (access(opts->file, R_OK) < 0)
		return input_error(err, br_fail(err, -errno, "cannot read %s: %s", opts->file,
						strerror(errno)));
	ret = tracedat_options_read(opts->file, &fopts, &layout, why, sizeof(why));
	if (ret)
		return input_error(err, br_fail(err, ret, "corrupt file %s: %s", opts->file, why));
	ret = read_records(opts->file, &layout, &counts, res, why, sizeof(why));
	if (ret) {
		tracedat_options_clear(&fopts);
		tracedat_layout_clear(&layout);
		free(counts.names);
		free(counts.records);
		bootrace_verify_result_clear(res);
		if (ret == -ENOMEM)
			return br_fail(err, ret, "out of memory");
		return input_error(err, br_fail(err, ret, "corrupt file %s: %s", opts->file, why));
	}
	res->instance = fopts.last_boot_instance ? strdup(fopts.last_boot_instance) : NULL;
	res->writer = tracedat_writer_name(&fopts);
	/* Without VERSION: an older bootrace, whose CPUSTAT held the counts before reading. */
	res->bootrace_file = tracedat_written_by_bootrace(&fopts) || !fopts.writer;
	check_parse(&fopts, &counts, res);
	check_decode(&fopts, &counts, res);
	check_counts(&fopts, &counts, res);
	check_lost(&fopts, &layout, &counts, res);
	check_instances(ctx, opts, &fopts, res);
	tracedat_options_clear(&fopts);
	tracedat_layout_clear(&layout);
	free(counts.names);
	free(counts.records);
	return 0;
}

bool bootrace_verify_passed(const struct bootrace_verify_result *res)
{
	for (int i = 0; i < res->nr_checks; i++)
		if (res->checks[i].status == BOOTRACE_CHECK_FAIL)
			return false;
	return res->nr_checks > 0;
}

void bootrace_verify_result_clear(struct bootrace_verify_result *res)
{
	free(res->cpu_records);
	free(res->cpu_expected);
	free(res->instance);
	free(res->writer);
	free(res->buffers);
	memset(res, 0, sizeof(*res));
}
