/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bootrace collect: the previous boot's trace into one trace.dat. */
#include <argp.h>
#include <signal.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bootrace-cmd.h"
#include "config.h"
#include "journal.h"

enum { OPT_NO_KALLSYMS = 0x100, OPT_ONELINE, OPT_COMPRESS, OPT_NO_COMPRESS, OPT_NO_JOURNAL };

struct collect_args {
	struct bootrace_collect_opts opts;
	struct collection_args collection;
	bool oneline;
	bool no_journal;
	int compress;		/* -1: as the configuration file says */
};

static const struct argp_option options[] = {
	{ "instance", 'i', "NAME", 0, "Read this instance (default: the backup instance of the previous boot)", 0 },
	{ "output", 'o', "FILE", 0, "Write trace.dat here (default: a new directory under the state directory, " BOOTRACE_STATE_DIR ")", 0 },
	{ "force", 'f', NULL, 0, "Overwrite FILE if it exists", 0 },
	{ "no-kallsyms", OPT_NO_KALLSYMS, NULL, 0, "Do not store /proc/kallsyms (smaller file, no symbol names)", 0 },
	{ "compress", OPT_COMPRESS, NULL, 0, "Once the trace is on disk, rewrite it compressed with zstd (trace.dat version 7, as trace-cmd writes it): 10-30 times smaller, takes longer", 0 },
	{ "no-compress", OPT_NO_COMPRESS, NULL, 0, "Write it uncompressed (version 6) even if the configuration file says compress = zstd", 0 },
	{ "oneline", OPT_ONELINE, NULL, 0, "Say in one line on stdout what was collected (path, events, time span, lost events) or why nothing was; what the systemd unit runs", 0 },
	{ "no-journal", OPT_NO_JOURNAL, NULL, 0, "Do not log the outcome to the systemd journal as a structured entry", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct collect_args *args = state->input;
	struct bootrace_collect_opts *opts = &args->opts;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &args->collection;
		break;
	case 'i':
		opts->instance = arg;
		break;
	case 'o':
		if (!*arg)
			argp_error(state, "--output needs a file name");
		opts->output = arg;
		break;
	case 'f':
		opts->force = true;
		break;
	case OPT_NO_KALLSYMS:
		opts->kallsyms = false;
		break;
	case OPT_ONELINE:
		args->oneline = true;
		break;
	case OPT_NO_JOURNAL:
		args->no_journal = true;
		break;
	case OPT_COMPRESS:
		if (!bootrace_compress_supported())
			argp_error(state, "--compress: this bootrace was built without zstd (libzstd-dev)");
		args->compress = 1;
		break;
	case OPT_NO_COMPRESS:
		args->compress = 0;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s' (the output file is given with -o)", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse_opt, NULL,
	"Write the previous boot's trace, held by the backup instance, into a "
	"trace.dat that trace-cmd report and KernelShark read. Everything is "
	"checked before the first byte is read; the kernel removes a read-only "
	"backup instance once it has been read."
	"\v"
	"The path of the written file is printed on stdout. Exit status: 0 written, "
	"1 failed after reading began (the data read is kept; see the message), "
	"2 usage or I/O error, 3 system not ready, 4 no previous-boot data. "
	"After a collection into the state directory, the oldest collections are "
	"removed as the configuration file's keep and max_size say; see bootrace.conf(5).",
	collection_children, NULL, NULL,
};

struct progress_state {
	struct timespec last;
	bool shown;
};

/* At most ten updates a second, only when a person is watching. */
static void show_progress(const struct bootrace_progress *p, void *data)
{
	struct progress_state *ps = data;
	struct timespec now;
	char cpu_buf[32], total_buf[32];

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ps->shown && (now.tv_sec - ps->last.tv_sec) * 1000000000L +
			 (now.tv_nsec - ps->last.tv_nsec) < 100000000L)
		return;
	ps->last = now;
	ps->shown = true;
	fprintf(stderr, "\rbootrace: reading CPU %d/%d: %s, total %s    ",
		p->cpu, p->nr_cpus, human_bytes(p->cpu_bytes, cpu_buf),
		human_bytes(p->total_bytes, total_buf));
}

static void print_summary(const struct bootrace_collect_result *res)
{
	char buf[32];

	static const char *const after[] = {
		[BOOTRACE_SOURCE_INSTANCE] = "",
		[BOOTRACE_SOURCE_BACKUP] = "; the kernel removes the backup instance now",
		[BOOTRACE_SOURCE_BACKUP_WRITABLE] = "; the backup instance was removed",
		[BOOTRACE_SOURCE_PERSISTENT] = "; the instance was cleared and traces this boot again",
	};

	/* What this collect wrote, counted in the file: the kernel's count may differ. */
	print_info("collected %llu events (%s) from instance '%s' on %d CPUs%s",
		   res->events, human_bytes(res->total_bytes, buf), res->instance,
		   res->nr_cpus, res->cleanup_error[0] ? "" : after[res->source]);
	if (res->events != res->entries)
		print_info("the instance held %llu events when collect began%s", res->entries,
			   res->events < res->entries ? ": another reader, or lost while it traced on" :
			   ": it was still tracing");
}

/* Removing a 6.19/7.0 backup or re-arming a persistent instance failed. */
static void print_cleanup(const struct bootrace_collect_result *res)
{
	if (res->cleanup_error[0])
		print_error("warning: %s", res->cleanup_error);
	else if (res->rearmed && !res->output)
		print_info("instance '%s' now traces this boot", res->instance);
}

static void block_signals(sigset_t *saved)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigprocmask(SIG_BLOCK, &set, saved);
}

static void restore_signals(const sigset_t *saved)
{
	sigprocmask(SIG_SETMASK, saved, NULL);
}

/* The journal line of the systemd unit: everything about the collection. */
static void print_oneline(FILE *out, const struct bootrace_collect_result *res)
{
	struct stat st;
	char buf[32];

	fprintf(out, "bootrace: collected the previous boot into %s: %llu events on %d CPUs",
		res->output, res->events, res->nr_cpus);
	if (res->has_span)
		fprintf(out, ", %.6f s of trace (%.6f to %.6f)", (res->last_ns - res->first_ns) / 1e9,
			res->first_ns / 1e9, res->last_ns / 1e9);
	fprintf(out, ", %llu lost events", res->lost);
	if (!stat(res->output, &st))
		fprintf(out, ", %s", human_bytes(st.st_size, buf));
	fprintf(out, "\n");
}

/*
 * The structured journal entry of this run (cmd/journal.c), with the line
 * --oneline prints as its MESSAGE. True when journald took it.
 */
static bool log_to_journal(const struct bootrace_collect_result *res, int ret,
			   const struct bootrace_error *err)
{
	struct journal_collect jc = { .res = res, .error = ret, .err = err };
	char *line = NULL;
	size_t len = 0;
	FILE *f;
	bool sent;

	if (!journal_supported())
		return false;
	f = open_memstream(&line, &len);
	if (!f)
		return false;
	if (!ret)
		print_oneline(f, res);
	else if (ret == -ENODATA || (!res->partial && exit_code_for(ret, err) == EXIT_NOT_READY))
		fprintf(f, "bootrace: nothing collected: %s", err->msg);
	else
		fprintf(f, "bootrace: %s", err->msg);
	if (fclose(f)) {
		free(line);
		return false;
	}
	if (len && line[len - 1] == '\n')
		line[len - 1] = '\0';
	jc.message = line;
	jc.exit_status = !ret ? EXIT_OK : res->partial ? EXIT_FAILED : exit_code_for(ret, err);
	sent = journal_log_collect(command_ctx(), &jc);
	free(line);
	return sent;
}

/*
 * What an earlier collect had begun and was killed before finishing, made
 * a collection by this one: one line each, on stdout for the unit.
 */
static void print_recovered(char **recovered, bool oneline)
{
	for (char **p = recovered; p && *p; p++) {
		struct bootrace_collection c;
		char of[64] = "";

		if (bootrace_collection_read(*p, &c)) {
			/* Still said where --oneline says everything: the unit's stdout. */
			if (oneline)
				printf("bootrace: finished %s, which a collect cut short had begun\n", *p);
			else
				print_info("finished %s, which a collect cut short had begun", *p);
			continue;
		}
		if (c.entries)
			snprintf(of, sizeof(of), " of the %llu the kernel held", c.entries);
		if (oneline)
			printf("bootrace: finished %s, which a collect cut short had begun: %llu events%s on %d CPUs\n",
			       c.trace ? c.trace : *p, c.events, of, c.nr_cpus);
		else
			print_info("finished %s, which a collect cut short had begun: %llu events%s on %d CPUs",
				   c.trace ? c.trace : *p, c.events, of, c.nr_cpus);
		bootrace_collection_clear(&c);
	}
}

/* Retention after a collection into the state directory (bootrace.conf(5)). */
static void prune(void)
{
	struct bootrace_ctx *ctx = command_ctx();
	struct bootrace_error err;
	char **removed;
	int ret = bootrace_history_prune(ctx, &removed, &err);

	if (ret < 0) {
		print_error("warning: %s", err.msg);
		return;
	}
	for (int i = 0; i < ret; i++)
		print_info("removed the old collection %s/%s", bootrace_ctx_state_dir(ctx), removed[i]);
	bootrace_strv_free(removed);
}

static int run(int argc, char **argv)
{
	struct collect_args args = { .compress = -1 };
	struct bootrace_collect_opts *opts = &args.opts;
	struct bootrace_collect_result res;
	struct progress_state progress = { 0 };
	const struct bootrace_tracefs *tfs;
	struct bootrace_error err;
	sigset_t saved, pending;
	bool journaled;
	int ret;

	bootrace_collect_opts_init(command_ctx(), opts);
	argp_parse(&argp, argc, argv, 0, NULL, &args);
	ret = apply_collection_args(&args.collection);
	if (ret)
		return ret;
	opts->compress = args.compress < 0 ? bootrace_ctx_config(command_ctx())->compress
					   : args.compress;
	if (isatty(STDERR_FILENO) && !global.quiet && !args.oneline) {
		opts->progress = show_progress;
		opts->progress_data = &progress;
	}
	/* A tracefs given by path is not this machine's boot to note. */
	opts->record_boot = !global.tracefs;
	ret = command_tracefs(&tfs);
	if (ret)
		return exit_code_for(ret, NULL);
	/*
	 * Once reading starts, the kernel's copy is gone: an interrupt must
	 * not leave the data in a half-written file. Collecting takes seconds,
	 * so signals wait until the file is safe.
	 */
	block_signals(&saved);
	ret = bootrace_collect(command_ctx(), opts, &res, &err);
	if (progress.shown)
		fputs("\r\033[K", stderr);
	print_recovered(res.recovered, args.oneline);
	print_cleanup(&res);
	/*
	 * Every collect on this machine (no tracefs given by path) leaves one
	 * entry; where stdout or stderr is the journal itself (the unit), the
	 * plain line would repeat it.
	 */
	journaled = !args.no_journal && opts->record_boot && log_to_journal(&res, ret, &err);
	if (ret && res.recovered && !res.partial &&
	    (ret == -ENODATA || exit_code_for(ret, &err) == EXIT_NOT_READY)) {
		/* The interrupted collection was the previous boot's trace: collected. */
		if (args.oneline && !(journaled && journal_is_stream(STDOUT_FILENO)))
			printf("bootrace: nothing more to collect: %s\n", err.msg);
		else if (!args.oneline)
			print_info("nothing more to collect: %s", err.msg);
		ret = EXIT_OK;
		if (!opts->output)
			prune();
	} else if (ret == -ENODATA || (ret && args.oneline && !res.partial &&
				exit_code_for(ret, &err) == EXIT_NOT_READY)) {
		/* Normal outcomes at boot: said once, on stdout for the unit. */
		if (args.oneline && !(journaled && journal_is_stream(STDOUT_FILENO)))
			printf("bootrace: nothing collected: %s\n", err.msg);
		else if (!args.oneline)
			print_info("%s", err.msg);
		ret = exit_code_for(ret, &err);
	} else if (ret) {
		if (!(journaled && journal_is_stream(STDERR_FILENO)))
			print_error("%s", err.msg);
		ret = res.partial ? EXIT_FAILED : exit_code_for(ret, &err);
	} else {
		if (!args.oneline)
			printf("%s\n", res.output);
		else if (!(journaled && journal_is_stream(STDOUT_FILENO)))
			print_oneline(stdout, &res);
		fflush(stdout);
		if (!args.oneline)
			print_summary(&res);
		if (!opts->output)
			prune();
	}
	if (sigpending(&pending) == 0 && (sigismember(&pending, SIGINT) ||
					   sigismember(&pending, SIGTERM) ||
					   sigismember(&pending, SIGHUP)))
		print_info("interrupted: stopping now that the data is on disk");
	bootrace_collect_result_clear(&res);
	fflush(stdout);
	/* A signal that arrived meanwhile is delivered here, as the user wanted. */
	restore_signals(&saved);
	return ret;
}

const struct command cmd_collect = { "collect", "write the previous boot's trace to trace.dat", run };
