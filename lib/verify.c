/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What "verified" means. The file is read back by libtracecmd, an
 * independent reader, and its records are compared with the per-CPU stats
 * the kernel reported before collect read anything (the CPUSTAT option).
 * Then the kernel's side: the backup instance removed itself, and the
 * persistent instance still exists to trace the next crash.
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
#include "tracedat.h"

struct record_counts {
	int nr_cpus;
	unsigned long long *records;
	unsigned long long missed;	/* lost-event markers inside the data */
	unsigned long long unknown;	/* records with no event format */
};

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

	if (cpu >= 0 && cpu < counts->nr_cpus)
		counts->records[cpu]++;
	if (rec->missed_events)
		counts->missed++;
	if (!tep_find_event_by_record(tracecmd_get_tep(handle), rec))
		counts->unknown++;
	return 0;
}

static int read_records(const char *file, struct record_counts *counts,
			struct bootrace_verify_result *res)
{
	struct tracecmd_input *handle;

	handle = tracecmd_open(file, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!handle) {
		add_check(res, "parse", BOOTRACE_CHECK_FAIL,
			  "libtracecmd cannot open %s", file);
		return -EINVAL;
	}
	tracecmd_iterate_events(handle, NULL, 0, count_record, counts);
	tracecmd_close(handle);
	return 0;
}

static void check_counts(const struct tracedat_options *opts,
			 struct record_counts *counts,
			 struct bootrace_verify_result *res)
{
	struct bootrace_cpu_stats st;
	char detail[256] = "";
	int bad_cpu = -1;

	res->cpu_expected = calloc(counts->nr_cpus, sizeof(*res->cpu_expected));
	if (!res->cpu_expected)
		return;
	for (int cpu = 0; cpu < counts->nr_cpus; cpu++) {
		if (cpu < opts->nr_cpustats && !bootrace_cpu_stats_parse(opts->cpustats[cpu], &st))
			res->cpu_expected[cpu] = st.entries;
		res->expected += res->cpu_expected[cpu];
		res->records += counts->records[cpu];
		if (bad_cpu < 0 && res->cpu_expected[cpu] != counts->records[cpu])
			bad_cpu = cpu;
	}
	if (opts->nr_cpustats < counts->nr_cpus) {
		add_check(res, "counts", BOOTRACE_CHECK_FAIL,
			  "the file has stats for %d of %d CPUs; it was not written by bootrace collect",
			  opts->nr_cpustats, counts->nr_cpus);
		return;
	}
	if (bad_cpu >= 0)
		snprintf(detail, sizeof(detail), "; CPU %d: %llu records, kernel had %llu",
			 bad_cpu, counts->records[bad_cpu], res->cpu_expected[bad_cpu]);
	add_check(res, "counts", bad_cpu < 0 ? BOOTRACE_CHECK_PASS : BOOTRACE_CHECK_FAIL,
		  "%llu records in the file, %llu entries in the kernel's stats on %d CPUs%s",
		  res->records, res->expected, counts->nr_cpus, detail);
}

static void check_lost(const struct tracedat_options *opts,
		       const struct record_counts *counts,
		       struct bootrace_verify_result *res)
{
	unsigned long long overrun = 0, commit_overrun = 0, dropped = 0;
	struct bootrace_cpu_stats st;

	for (int i = 0; i < opts->nr_cpustats; i++) {
		if (bootrace_cpu_stats_parse(opts->cpustats[i], &st))
			continue;
		overrun += st.overrun;
		commit_overrun += st.commit_overrun;
		dropped += st.dropped_events;
	}
	if (!overrun && !commit_overrun && !dropped && !counts->missed) {
		add_check(res, "lost", BOOTRACE_CHECK_PASS, "no lost, overrun or dropped events");
		return;
	}
	add_check(res, "lost", BOOTRACE_CHECK_FAIL,
		  "%llu overrun, %llu commit overrun, %llu dropped, %llu lost-event markers in the data%s",
		  overrun, commit_overrun, dropped, counts->missed,
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

int bootrace_verify(struct bootrace_ctx *ctx, const struct bootrace_verify_opts *opts,
		    struct bootrace_verify_result *res,
		    struct bootrace_error *err)
{
	struct tracedat_options fopts = { 0 };
	struct record_counts counts = { 0 };
	const char *what = NULL;
	int ret;

	memset(res, 0, sizeof(*res));
	if (access(opts->file, R_OK) < 0)
		return br_fail(err, -errno, "cannot read %s: %s", opts->file, strerror(errno));
	ret = tracedat_options_read(opts->file, &fopts, &what);
	if (ret == -EINVAL)
		return br_fail(err, ret, "%s is not a valid trace.dat: bad %s",
			       opts->file, what ? what : "header");
	if (ret)
		return br_fail(err, ret, "cannot read %s (%s): %s",
			       opts->file, what ? what : "header", strerror(-ret));
	if (fopts.last_boot_instance)
		res->instance = strdup(fopts.last_boot_instance);
	counts.nr_cpus = fopts.nr_cpus;
	counts.records = calloc(fopts.nr_cpus ? fopts.nr_cpus : 1, sizeof(*counts.records));
	if (!counts.records) {
		tracedat_options_clear(&fopts);
		return br_fail(err, -ENOMEM, "out of memory");
	}
	res->nr_cpus = fopts.nr_cpus;
	res->cpu_records = counts.records;
	if (!read_records(opts->file, &counts, res)) {
		if (counts.unknown)
			add_check(res, "parse", BOOTRACE_CHECK_FAIL,
				  "libtracecmd read %s, but %llu records have no event format",
				  opts->file, counts.unknown);
		else
			add_check(res, "parse", BOOTRACE_CHECK_PASS,
				  "libtracecmd reads the file (version %d, %u-byte pages, %d CPUs)",
				  fopts.version, fopts.page_size, fopts.nr_cpus);
		check_counts(&fopts, &counts, res);
		check_lost(&fopts, &counts, res);
	}
	check_instances(ctx, opts, &fopts, res);
	tracedat_options_clear(&fopts);
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
	memset(res, 0, sizeof(*res));
}
