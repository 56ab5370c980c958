/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bootrace verify: prove a collected trace.dat holds what the kernel held. */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bootrace-cmd.h"
#include "json.h"

enum { OPT_TAP = 0x100, OPT_JSON, OPT_TIMEOUT, OPT_PERSISTENT, OPT_OFFLINE };

static const struct argp_option options[] = {
	{ "tap", OPT_TAP, NULL, 0, "Print TAP version 13", 0 },
	{ "json", OPT_JSON, NULL, 0, "Print one JSON object", 0 },
	{ "timeout", OPT_TIMEOUT, "SECONDS", 0, "Wait this long for the backup instance to go away (default 2)", 0 },
	{ "persistent", OPT_PERSISTENT, "NAME", 0, "Persistent instance to check (default: from /proc/cmdline)", 0 },
	{ "offline", OPT_OFFLINE, NULL, 0, "Check only the file, not this machine's instances", 0 },
	{ 0 }
};

struct verify_args {
	struct bootrace_verify_opts opts;
	struct collection_args collection;
	bool tap, json, offline;
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct verify_args *args = state->input;
	char *end;
	double secs;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &args->collection;
		break;
	case OPT_TAP:
		args->tap = true;
		break;
	case OPT_JSON:
		args->json = true;
		break;
	case OPT_TIMEOUT:
		secs = strtod(arg, &end);
		if (end == arg || *end || secs < 0 || secs > 3600)
			argp_error(state, "--timeout '%s' is not a number of seconds between 0 and 3600", arg);
		args->opts.timeout_ms = secs * 1000;
		break;
	case OPT_PERSISTENT:
		args->opts.persistent = arg;
		break;
	case OPT_OFFLINE:
		args->offline = true;
		break;
	case ARGP_KEY_ARG:
		if (args->opts.file)
			argp_error(state, "only one FILE can be verified at a time");
		args->opts.file = arg;
		break;
	case ARGP_KEY_END:
		if (args->tap && args->json)
			argp_error(state, "choose one of --tap and --json");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse_opt, "[FILE]",
	"Check that a trace.dat written by bootrace collect is complete: it "
	"parses with libtracecmd, every CPU holds as many records as the kernel "
	"reported, nothing was lost, the backup instance removed itself and the "
	"persistent instance still traces. A file from elsewhere gets the "
	"checks that apply to it; every buffer of it is read."
	"\v"
	"FILE defaults to the newest collection. Exit status: 0 every check "
	"passed (or was skipped), 1 a check failed, 2 usage or I/O error or a "
	"corrupt file, 3 system not ready.",
	collection_children, NULL, NULL,
};

static const char *status_word(enum bootrace_check_status s)
{
	return s == BOOTRACE_CHECK_PASS ? "PASS" : s == BOOTRACE_CHECK_FAIL ? "FAIL" : "SKIP";
}

static void print_human(const struct bootrace_verify_result *res, const char *file)
{
	int failed = 0;

	printf("verifying %s\n", file);
	for (int i = 0; i < res->nr_checks; i++) {
		const struct bootrace_check *c = &res->checks[i];

		printf("%s  %-12s ", status_word(c->status), c->name);
		print_escaped(stdout, c->detail);
		printf("\n");
		failed += c->status == BOOTRACE_CHECK_FAIL;
	}
	if (failed)
		printf("%d of %d checks failed\n", failed, res->nr_checks);
	else
		printf("all checks passed\n");
}

static void print_tap(const struct bootrace_verify_result *res)
{
	printf("TAP version 13\n1..%d\n", res->nr_checks);
	for (int i = 0; i < res->nr_checks; i++) {
		const struct bootrace_check *c = &res->checks[i];

		/* The detail may quote the file (a buffer's name): one line each. */
		if (c->status == BOOTRACE_CHECK_SKIP)
			printf("ok %d - %s # SKIP ", i + 1, c->name);
		else
			printf("%sok %d - %s: ", c->status == BOOTRACE_CHECK_FAIL ? "not " : "",
			       i + 1, c->name);
		print_escaped(stdout, c->detail);
		printf("\n");
	}
}

static void print_json(const struct bootrace_verify_result *res, const char *file)
{
	struct json j;

	json_begin(&j, stdout);
	/* bootrace-verify(1), JSON OUTPUT: bumped when a member changes meaning or goes. */
	json_uint(&j, "schema_version", 1);
	json_string(&j, "file", file);
	json_bool(&j, "passed", bootrace_verify_passed(res));
	json_string(&j, "instance", res->instance);
	json_string(&j, "writer", res->writer);
	json_bool(&j, "bootrace_file", res->bootrace_file);
	json_uint(&j, "records", res->records);
	json_uint(&j, "expected", res->expected);
	json_array_begin(&j, "cpus");
	for (int cpu = 0; cpu < res->nr_cpus; cpu++) {
		json_object_begin(&j, NULL);
		json_int(&j, "cpu", cpu);
		json_uint(&j, "records", res->cpu_records ? res->cpu_records[cpu] : 0);
		json_uint(&j, "expected", res->cpu_expected ? res->cpu_expected[cpu] : 0);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_array_begin(&j, "buffers");
	for (int b = 0; b < res->nr_buffers; b++) {
		json_object_begin(&j, NULL);
		json_string(&j, "name", res->buffers[b].name);
		json_uint(&j, "records", res->buffers[b].records);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_array_begin(&j, "checks");
	for (int i = 0; i < res->nr_checks; i++) {
		json_object_begin(&j, NULL);
		json_string(&j, "name", res->checks[i].name);
		json_string(&j, "status", res->checks[i].status == BOOTRACE_CHECK_PASS ? "pass" :
			    res->checks[i].status == BOOTRACE_CHECK_FAIL ? "fail" : "skip");
		json_string(&j, "detail", res->checks[i].detail);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_end(&j);
}

static int run(int argc, char **argv)
{
	struct verify_args args = { .opts.timeout_ms = 2000 };
	struct bootrace_verify_result res;
	struct bootrace_error err;
	char *latest = NULL;
	int ret;

	argp_parse(&argp, argc, argv, 0, NULL, &args);
	ret = apply_collection_args(&args.collection);
	if (ret)
		return ret;
	if (!args.opts.file) {
		ret = bootrace_collection_resolve(command_ctx(), NULL, &latest, &err);
		if (ret) {
			print_error("%s", err.msg);
			return EXIT_USAGE;
		}
		args.opts.file = latest;
	}
	if (!args.offline) {
		const struct bootrace_tracefs *tfs;

		ret = bootrace_ctx_tracefs(command_ctx(), &tfs, &err);
		if (ret) {
			print_error("%s (or check only the file with --offline)", err.msg);
			free(latest);
			return exit_code_for(ret, NULL);
		}
		args.opts.check_instance = true;
	}
	ret = bootrace_verify(command_ctx(), &args.opts, &res, &err);
	if (ret) {
		print_error("%s", err.msg);
		free(latest);
		return EXIT_USAGE;
	}
	if (args.tap)
		print_tap(&res);
	else if (args.json)
		print_json(&res, args.opts.file);
	else
		print_human(&res, args.opts.file);
	ret = bootrace_verify_passed(&res) ? EXIT_OK : EXIT_FAILED;
	bootrace_verify_result_clear(&res);
	free(latest);
	return ret;
}

const struct command cmd_verify = { "verify", "prove a collected trace.dat is complete", run };
