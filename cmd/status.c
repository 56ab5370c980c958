/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bootrace status: what the kernel offers and what to do next. */
#include <argp.h>
#include <stdlib.h>
#include <string.h>

#include "bootrace-cmd.h"
#include "json.h"

enum { OPT_JSON = 0x100, OPT_ROOT };

static const struct argp_option options[] = {
	{ "json", OPT_JSON, NULL, 0, "Print one JSON object", 0 },
	{ "root", OPT_ROOT, "DIR", 0, "Read the next boot's bootloader configuration under DIR (default /)", 0 },
	{ 0 }
};

struct status_args {
	bool json;
	const char *root;
	struct collection_args collection;
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct status_args *args = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &args->collection;
		break;
	case OPT_JSON:
		args->json = true;
		break;
	case OPT_ROOT:
		if (arg[0] != '/')
			argp_error(state, "--root needs an absolute directory, not '%.60s'", arg);
		args->root = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse_opt, NULL,
	"Show where tracefs is, what the running kernel supports (persistent "
	"instance, backup instance, read-only self-removing backup), the instances "
	"that hold boot traces, whether the kernel command line carries a bootrace "
	"configuration, what the state directory's boot record says about the "
	"last traced boot (its kernel, and whether the decoder of its trace was "
	"saved), whether a reboot would go through kexec (which loses the trace), "
	"and what to do next.",
	collection_children, NULL, NULL,
};

static const char *last_boot_words(const struct bootrace_instance_info *in)
{
	switch (in->last_boot.kind) {
	case BOOTRACE_LAST_BOOT_CURRENT:
		return "traces the current boot";
	case BOOTRACE_LAST_BOOT_TEXT_DELTA:
	case BOOTRACE_LAST_BOOT_ADDRESS:
		return "holds a previous boot";
	default:
		return in->has_last_boot_info ? "unknown last_boot_info" : "no last_boot_info";
	}
}

static void print_instance(const struct bootrace_instance_info *in)
{
	char buf[32];

	printf("  %s: %s, %s, %d CPUs, %llu entries, %s, sub-buffer %zu bytes\n",
	       in->name, in->read_only ? "read-only" : in->tracing_on ? "tracing" : "not tracing",
	       last_boot_words(in), in->nr_cpus, bootrace_instance_entries(in),
	       human_bytes(bootrace_instance_bytes(in), buf), in->subbuf_size);
	for (int cpu = 0; cpu < in->nr_cpus; cpu++)
		printf("    cpu%d: %llu entries, %llu bytes, %llu overrun\n", cpu,
		       in->stats[cpu].entries, in->stats[cpu].bytes, in->stats[cpu].overrun);
	if (in->last_boot_info) {
		char *copy = strdup(in->last_boot_info), *line, *save = NULL;

		for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save))
			printf("    last_boot_info: %s\n", line);
		free(copy);
	}
}

/* The next boot, from the bootloader files, against the running one. */
static void print_next_boot(const struct bootrace_status *st, const struct bootrace_next_boot *nb)
{
	if (nb->bootloader == BOOTRACE_BOOTLOADER_AUTO) {
		printf("next boot: no known bootloader configuration (see bootrace-setup(1))\n");
		return;
	}
	if (nb->fragment)
		printf("next boot: configured by %s in %s%s%s: %s\n", bootrace_bootloader_name(nb->bootloader),
		       nb->config, nb->kernel_release ? ", kernel " : "",
		       nb->kernel_release ? nb->kernel_release : "", nb->fragment);
	else
		printf("next boot: not configured by bootrace (%s)\n", bootrace_bootloader_name(nb->bootloader));
	if (nb->stale)
		printf("  mismatch: the generated boot files lag behind %s: run update-grub\n", nb->config);
	if (!bootrace_next_boot_matches(nb, st->proc_cmdline))
		printf("  mismatch: the running kernel's command line differs from the next boot's%s\n",
		       nb->fragment ? ": reboot to apply it" : " (bootrace's arguments come from elsewhere, or setup --remove was run)");
}

/* Whether the decoder of the boot the record names is there. */
static void print_decoder(const struct bootrace_status *st)
{
	const struct bootrace_decoder_info *d = &st->record_decoder_info;
	char size[32];

	if (!st->record.valid || !bootrace_boot_record_previous(&st->record))
		return;
	if (st->record_decoder)
		printf("  its decoder: %s (kernel %s, %u event formats, %u modules%s, %s)\n", d->path,
		       d->release, d->nr_events, d->nr_modules, d->kallsyms ? ", symbols" : ", no symbols",
		       human_bytes(d->size, size));
	else
		printf("  its decoder: none in %s/decoders: its trace is decoded right only if this boot runs the same kernel build (see bootrace-save-decoder(1))\n",
		       st->state_dir);
}

static void print_human(const struct bootrace_status *st)
{
	printf("tracefs:  %s\n", st->tracefs);
	printf("kernel:   %s\n", st->release);
	printf("kernel supports:\n");
	printf("  persistent instance (6.12+):            %s\n", bootrace_cap_name(st->persistent));
	printf("  backup instance (6.19+):                %s\n", bootrace_cap_name(st->backup));
	printf("  read-only, self-removing backup (7.1+): %s\n", bootrace_cap_name(st->backup_read_only));
	printf("what you get: %s\n", bootrace_kernel_level_words(st->level));
	if (st->record.valid)
		printf("last traced boot: %s%s, kernel %s, into '%s' (noted in %s/traced-boot)\n", st->record.boot_id,
		       bootrace_boot_record_previous(&st->record) ? " (the previous boot)" : " (this boot)",
		       st->record.release[0] ? st->record.release : "not noted", st->record.instance,
		       st->state_dir);
	else
		printf("last traced boot: none noted in %s\n", st->state_dir);
	print_decoder(st);
	if (st->has_previous)
		printf("previous boot's trace: %s%s\n",
		       bootrace_decode_trusted(st->previous.decode) ? "" : "WARNING: ", st->previous.words);
	if (st->kexec.advice[0])
		printf("kexec: WARNING: %s\n", st->kexec.advice);
	if (st->configured)
		printf("command line: configured (persistent '%s' on label '%s'%s%s)\n",
		       st->cmdline.persistent, st->cmdline.label,
		       st->cmdline.has_backup ? ", backup " : "",
		       st->cmdline.has_backup ? st->cmdline.backup : "");
	else
		printf("command line: not configured for bootrace\n");
	if (st->junk_instance[0])
		printf("junk instance: '%s' (made by a kernel without backup instances)\n", st->junk_instance);
	printf("instances:%s\n", st->nr_instances ? "" : " none with boot traces");
	for (int i = 0; i < st->nr_instances; i++)
		print_instance(st->instances[i]);
	printf("next: %s\n", st->next_step);
}

static const char *cap_json(enum bootrace_cap cap)
{
	return cap == BOOTRACE_CAP_YES ? "yes" : cap == BOOTRACE_CAP_BY_VERSION ? "by-version" : "no";
}

static const char *level_json(enum bootrace_kernel_level level)
{
	switch (level) {
	case BOOTRACE_KERNEL_READ_ONLY:
		return "read-only-backup";
	case BOOTRACE_KERNEL_BACKUP:
		return "writable-backup";
	case BOOTRACE_KERNEL_PERSISTENT:
		return "persistent-only";
	default:
		return "unsupported";
	}
}

static void print_json(const struct bootrace_status *st, const struct bootrace_next_boot *nb)
{
	struct json j;

	json_begin(&j, stdout);
	/* bootrace-status(1), JSON OUTPUT: bumped when a member changes meaning or goes. */
	json_uint(&j, "schema_version", 1);
	json_string(&j, "tracefs", st->tracefs);
	json_string(&j, "kernel_release", st->release);
	json_object_begin(&j, "capabilities");
	json_string(&j, "persistent_instance", cap_json(st->persistent));
	json_string(&j, "backup_instance", cap_json(st->backup));
	json_string(&j, "read_only_backup", cap_json(st->backup_read_only));
	json_object_end(&j);
	json_string(&j, "level", level_json(st->level));
	json_string(&j, "level_words", bootrace_kernel_level_words(st->level));
	json_string(&j, "state_dir", st->state_dir);
	if (st->record.valid) {
		json_object_begin(&j, "last_traced_boot");
		json_string(&j, "boot_id", st->record.boot_id);
		json_string(&j, "instance", st->record.instance);
		json_int(&j, "time", st->record.time);
		json_bool(&j, "previous_boot", bootrace_boot_record_previous(&st->record));
		json_string(&j, "kernel_release", st->record.release[0] ? st->record.release : NULL);
		json_string(&j, "build_id", st->record.build_id[0] ? st->record.build_id : NULL);
		json_string(&j, "decoder", st->record_decoder ? st->record_decoder_info.path : NULL);
		json_object_end(&j);
	} else {
		json_null(&j, "last_traced_boot");
	}
	json_object_begin(&j, "cmdline");
	json_bool(&j, "configured", st->configured);
	json_string(&j, "persistent", st->cmdline.has_persistent ? st->cmdline.persistent : NULL);
	json_string(&j, "label", st->cmdline.has_reserve_mem ? st->cmdline.label : NULL);
	json_string(&j, "backup", st->cmdline.has_backup ? st->cmdline.backup : NULL);
	json_object_end(&j);
	if (st->has_previous) {
		json_object_begin(&j, "previous_trace");
		json_string(&j, "decode", bootrace_decode_name(st->previous.decode));
		json_bool(&j, "trusted", bootrace_decode_trusted(st->previous.decode));
		json_string(&j, "boot_id", st->previous.boot_id[0] ? st->previous.boot_id : NULL);
		json_string(&j, "kernel_release", st->previous.release[0] ? st->previous.release : NULL);
		json_bool(&j, "decoder", st->previous.has_decoder);
		json_string(&j, "words", st->previous.words);
		json_object_end(&j);
	} else {
		json_null(&j, "previous_trace");
	}
	json_object_begin(&j, "kexec");
	json_bool(&j, "loaded", st->kexec.loaded);
	json_bool(&j, "load_at_reboot", st->kexec.load_at_reboot);
	json_string(&j, "advice", st->kexec.advice[0] ? st->kexec.advice : NULL);
	json_object_end(&j);
	json_string(&j, "junk_instance", st->junk_instance[0] ? st->junk_instance : NULL);
	json_array_begin(&j, "instances");
	for (int i = 0; i < st->nr_instances; i++) {
		const struct bootrace_instance_info *in = st->instances[i];

		json_object_begin(&j, NULL);
		json_string(&j, "name", in->name);
		json_bool(&j, "read_only", in->read_only);
		json_bool(&j, "tracing_on", in->tracing_on);
		json_string(&j, "last_boot_info", in->last_boot_info);
		json_uint(&j, "subbuf_size", in->subbuf_size);
		json_uint(&j, "entries", bootrace_instance_entries(in));
		json_uint(&j, "bytes", bootrace_instance_bytes(in));
		json_array_begin(&j, "cpus");
		for (int cpu = 0; cpu < in->nr_cpus; cpu++) {
			json_object_begin(&j, NULL);
			json_int(&j, "cpu", cpu);
			json_uint(&j, "entries", in->stats[cpu].entries);
			json_uint(&j, "bytes", in->stats[cpu].bytes);
			json_uint(&j, "overrun", in->stats[cpu].overrun);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_begin(&j, "next_boot");
	json_string(&j, "bootloader", nb->bootloader ? bootrace_bootloader_name(nb->bootloader) : NULL);
	json_string(&j, "config", nb->config);
	json_string(&j, "fragment", nb->fragment);
	json_string(&j, "kernel_release", nb->kernel_release);
	json_bool(&j, "stale", nb->stale);
	json_bool(&j, "matches_current", bootrace_next_boot_matches(nb, st->proc_cmdline));
	json_object_end(&j);
	json_string(&j, "next", st->next_step);
	json_end(&j);
}

static int run(int argc, char **argv)
{
	const struct bootrace_tracefs *tfs;
	struct bootrace_status st;
	struct bootrace_next_boot nb;
	struct bootrace_error err;
	struct status_args args = { 0 };
	int ret;

	argp_parse(&argp, argc, argv, 0, NULL, &args);
	ret = apply_collection_args(&args.collection);
	if (ret)
		return ret;
	if (args.root && bootrace_ctx_set_root(command_ctx(), args.root)) {
		print_error("out of memory");
		return EXIT_USAGE;
	}
	ret = command_tracefs(&tfs);
	if (ret)
		return exit_code_for(ret, NULL);
	ret = bootrace_status_read(command_ctx(), &st, &err);
	if (ret) {
		print_error("%s", err.msg);
		return exit_code_for(ret, &err);
	}
	bootrace_next_boot_read(command_ctx(), &nb, NULL);
	if (args.json) {
		print_json(&st, &nb);
	} else {
		print_human(&st);
		print_next_boot(&st, &nb);
	}
	bootrace_next_boot_clear(&nb);
	bootrace_status_clear(&st);
	return EXIT_OK;
}

const struct command cmd_status = { "status", "show what the kernel offers", run };
