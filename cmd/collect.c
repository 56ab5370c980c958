/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bootrace collect: the previous boot's trace into one trace.dat. */
#include <argp.h>
#include <signal.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bootrace-cmd.h"

enum { OPT_NO_KALLSYMS = 0x100, OPT_STATE_DIR };

static const struct argp_option options[] = {
	{ "instance", 'i', "NAME", 0, "Read this instance (default: the backup instance of the previous boot)", 0 },
	{ "output", 'o', "FILE", 0, "Write trace.dat here (default: a new directory under " BOOTRACE_DEFAULT_STATE_DIR ")", 0 },
	{ "force", 'f', NULL, 0, "Overwrite FILE if it exists", 0 },
	{ "no-kallsyms", OPT_NO_KALLSYMS, NULL, 0, "Do not store /proc/kallsyms (smaller file, no symbol names)", 0 },
	{ "state-dir", OPT_STATE_DIR, "DIR", 0, "Where new collections go (default " BOOTRACE_DEFAULT_STATE_DIR ")", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct bootrace_collect_opts *opts = state->input;

	switch (key) {
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
	case OPT_STATE_DIR:
		if (!*arg)
			argp_error(state, "--state-dir needs a directory");
		opts->state_dir = arg;
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
	"2 usage or I/O error, 3 system not ready, 4 no previous-boot data.",
	NULL, NULL, NULL,
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

	print_info("collected %llu events (%s) from instance '%s' on %d CPUs%s",
		   res->entries, human_bytes(res->total_bytes, buf), res->instance,
		   res->nr_cpus,
		   res->read_only ? "; the kernel removes the backup instance now" : "");
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

static int run(int argc, char **argv)
{
	struct bootrace_collect_opts opts;
	struct bootrace_collect_result res;
	struct progress_state progress = { 0 };
	struct bootrace_tracefs *tfs;
	struct bootrace_error err;
	sigset_t saved, pending;
	int ret;

	bootrace_collect_opts_init(&opts);
	argp_parse(&argp, argc, argv, 0, NULL, &opts);
	if (isatty(STDERR_FILENO) && !global.quiet) {
		opts.progress = show_progress;
		opts.progress_data = &progress;
	}
	ret = open_tracefs(&tfs);
	if (ret)
		return exit_code_for(ret, NULL);
	/*
	 * Once reading starts, the kernel's copy is gone: an interrupt must
	 * not leave the data in a half-written file. Collecting takes seconds,
	 * so signals wait until the file is safe.
	 */
	block_signals(&saved);
	ret = bootrace_collect(tfs, &opts, &res, &err);
	if (progress.shown)
		fputs("\r\033[K", stderr);
	bootrace_tracefs_free(tfs);
	if (ret == -ENODATA) {
		print_info("%s", err.msg);
		ret = EXIT_NO_DATA;
	} else if (ret) {
		print_error("%s", err.msg);
		ret = res.partial ? EXIT_FAILED : exit_code_for(ret, &err);
	} else {
		printf("%s\n", res.output);
		fflush(stdout);
		print_summary(&res);
	}
	if (sigpending(&pending) == 0 && (sigismember(&pending, SIGINT) ||
					   sigismember(&pending, SIGTERM) ||
					   sigismember(&pending, SIGHUP)))
		print_info("interrupted: stopping now that the data is on disk");
	bootrace_collect_result_free(&res);
	/* A signal that arrived meanwhile is delivered here, as the user wanted. */
	restore_signals(&saved);
	return ret;
}

const struct command cmd_collect = { "collect", "write the previous boot's trace to trace.dat", run };
