/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bootrace setup: put the kernel command line into the bootloader, reversibly. */
#include <argp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "bootrace-cmd.h"

enum {
	OPT_PRINT = 0x100, OPT_SIZE, OPT_ALIGN, OPT_LABEL, OPT_EVENTS,
	OPT_PERSISTENT, OPT_BACKUP, OPT_BOOTLOADER, OPT_DRY_RUN, OPT_ROOT,
	OPT_NO_UPDATE, OPT_REMOVE, OPT_KERNEL_RELEASE,
};

static const struct argp_option options[] = {
	{ "print", OPT_PRINT, NULL, 0, "Only print the kernel command-line fragment", 0 },
	{ "bootloader", OPT_BOOTLOADER, "NAME", 0, "grub, kernel-install or print (default: detected)", 0 },
	{ "dry-run", OPT_DRY_RUN, NULL, 0, "Show the changes as a unified diff and the commands, change nothing", 0 },
	{ "root", OPT_ROOT, "DIR", 0, "Operate on the system under DIR (an image, a chroot)", 0 },
	{ "no-update", OPT_NO_UPDATE, NULL, 0, "Do not regenerate the boot files (update-grub, kernel-install); say what to run", 0 },
	{ "remove", OPT_REMOVE, NULL, 0, "Undo what bootrace setup installed", 0 },
	{ "kernel-release", OPT_KERNEL_RELEASE, "VER", 0, "Compose for this kernel release (default: the default boot entry's kernel; with --print, 7.1+)", 0 },
	{ "size", OPT_SIZE, "SIZE", 0, "Memory reserved for the trace, with K, M or G (default " BOOTRACE_DEFAULT_SIZE ")", 0 },
	{ "align", OPT_ALIGN, "BYTES", 0, "Alignment of the reserved memory, a power of two >= the page size (default 4096)", 0 },
	{ "label", OPT_LABEL, "NAME", 0, "reserve_mem label (default " BOOTRACE_DEFAULT_LABEL ")", 0 },
	{ "events", OPT_EVENTS, "LIST", 0, "Events enabled at boot: SYSTEM or SYSTEM:EVENT, comma-separated (default " BOOTRACE_DEFAULT_EVENTS "); '' for none", 0 },
	{ "persistent", OPT_PERSISTENT, "NAME", 0, "Persistent instance name (default " BOOTRACE_DEFAULT_PERSISTENT ")", 0 },
	{ "backup", OPT_BACKUP, "NAME", 0, "Backup instance name (default " BOOTRACE_DEFAULT_BACKUP ")", 0 },
	{ 0 }
};

struct setup_args {
	struct bootrace_cmdline_opts cmdline;
	enum bootrace_bootloader bootloader;
	const char *root;
	bool print, dry_run, no_update, remove;
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct setup_args *args = state->input;
	struct bootrace_error err;

	switch (key) {
	case OPT_PRINT:
		args->print = true;
		break;
	case OPT_BOOTLOADER:
		if (bootrace_bootloader_parse(arg, &args->bootloader, &err) ||
		    args->bootloader == BOOTRACE_BOOTLOADER_AUTO)
			argp_error(state, "--bootloader: unknown bootloader '%.40s': use grub, kernel-install or print", arg);
		break;
	case OPT_DRY_RUN:
		args->dry_run = true;
		break;
	case OPT_ROOT:
		if (!*arg || arg[0] != '/')
			argp_error(state, "--root needs an absolute directory, not '%.60s'", arg);
		args->root = arg;
		break;
	case OPT_NO_UPDATE:
		args->no_update = true;
		break;
	case OPT_REMOVE:
		args->remove = true;
		break;
	case OPT_KERNEL_RELEASE:
		if (bootrace_kernel_release_parse(arg, &(struct bootrace_kernel_release){ 0 }, &err))
			argp_error(state, "--kernel-release: %s", err.msg);
		args->cmdline.kernel_release = arg;
		break;
	case OPT_SIZE:
		args->cmdline.size = arg;
		break;
	case OPT_ALIGN:
		if (bootrace_size_parse(arg, &args->cmdline.align, &err))
			argp_error(state, "--align: %s", err.msg);
		break;
	case OPT_LABEL:
		args->cmdline.label = arg;
		break;
	case OPT_EVENTS:
		args->cmdline.events = arg;
		break;
	case OPT_PERSISTENT:
		args->cmdline.persistent = arg;
		break;
	case OPT_BACKUP:
		args->cmdline.backup = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (args->print && (args->remove || args->root || args->dry_run ||
				    args->no_update || args->bootloader))
			argp_error(state, "--print only prints: it takes no --remove, --root, --dry-run, --no-update or --bootloader");
		if (args->remove && args->cmdline.kernel_release)
			argp_error(state, "--remove takes no --kernel-release");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse_opt, NULL,
	"Install the kernel command line that keeps an ftrace buffer across a warm "
	"reboot into the bootloader (GRUB drop-in, /etc/kernel/cmdline), "
	"reversibly; or only print it."
	"\v"
	"Examples:\n"
	"  bootrace setup --dry-run          show what would change\n"
	"  bootrace setup --size 32M --events sched,irq,timer\n"
	"  bootrace setup --remove           undo it\n"
	"  bootrace setup --print            only the line, for QEMU -append, PXE, ...\n"
	"See bootrace-setup(1).",
	NULL, NULL, NULL,
};

/* The running kernel's events, to reject a misspelt event now, not at boot. */
static char *available_events(struct bootrace_ctx *ctx)
{
	const struct bootrace_tracefs *tfs;
	struct bootrace_error err;
	char *text = NULL;

	if (bootrace_ctx_tracefs(ctx, &tfs, &err)) {
		print_info("events not checked: %s", err.msg);
		return NULL;
	}
	if (bootrace_tracefs_read(tfs, "available_events", &text, NULL))
		print_info("events not checked: cannot read %s/available_events",
			   bootrace_tracefs_path(tfs));
	return text;
}

static void warn_level(const char *release)
{
	struct bootrace_kernel_release kr;

	if (!release || bootrace_kernel_release_parse(release, &kr, NULL))
		return;
	if (kr.level == BOOTRACE_KERNEL_BACKUP)
		print_error("warning: kernel %s gives %s", release, bootrace_kernel_level_words(kr.level));
	else if (kr.level == BOOTRACE_KERNEL_PERSISTENT)
		print_error("warning: kernel %s gives %s; the line has no backup instance", release,
			    bootrace_kernel_level_words(kr.level));
}

/*
 * What would make the trace wrong or lost although the line is right:
 * events whose ids follow load order, and reboots through kexec.
 */
static void warn_trace_risks(struct bootrace_ctx *ctx, const struct setup_args *args)
{
	struct bootrace_kexec k;
	char *words = NULL;

	if (bootrace_events_load_order(ctx, args->cmdline.events, &words) > 0)
		print_error("warning: %s", words);
	free(words);
	if (!bootrace_kexec_read(ctx, args->cmdline.persistent, &k) && k.advice[0])
		print_error("warning: %s", k.advice);
}

/* Options first (no tracefs needed), then the events against the running kernel. */
static int compose(struct bootrace_ctx *ctx, struct setup_args *args, char **fragment)
{
	struct bootrace_error err;
	char *events;
	int ret;

	ret = bootrace_cmdline_compose(&args->cmdline, fragment, &err);
	if (ret) {
		print_error("%s", err.msg);
		return ret == -EOPNOTSUPP ? EXIT_NOT_READY : EXIT_USAGE;
	}
	if (!args->cmdline.events || !*args->cmdline.events)
		return EXIT_OK;
	free(*fragment);
	*fragment = NULL;
	events = available_events(ctx);
	if (events && bootrace_ctx_has_root(ctx))
		print_info("events checked against the running kernel's, not those of the system under %s",
			   bootrace_ctx_root(ctx));
	args->cmdline.available_events = events;
	ret = bootrace_cmdline_compose(&args->cmdline, fragment, &err);
	args->cmdline.available_events = NULL;
	free(events);
	if (ret) {
		print_error("%s", err.msg);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int check_size(struct bootrace_ctx *ctx, const struct setup_args *args)
{
	struct bootrace_machine m;
	struct bootrace_error err;
	unsigned long long size;
	char warning[256];

	if (bootrace_size_parse(args->cmdline.size, &size, NULL))
		return EXIT_OK;
	bootrace_machine_read(&m);
	if (bootrace_ctx_has_root(ctx))
		print_info("size checked against this machine's RAM and CPUs; the system under %s may boot elsewhere",
			   bootrace_ctx_root(ctx));
	if (bootrace_size_check(size, &m, warning, sizeof(warning), &err)) {
		print_error("%s", err.msg);
		return EXIT_USAGE;
	}
	if (*warning)
		print_error("warning: %s", warning);
	return EXIT_OK;
}

/* The kernel the default boot entry boots, unless --kernel-release names one. */
static void pick_release(struct bootrace_ctx *ctx, struct setup_args *args,
			 enum bootrace_bootloader bl, char **owned)
{
	struct bootrace_error err;
	struct utsname uts;
	char *how = NULL;

	*owned = NULL;
	if (args->cmdline.kernel_release)
		return;
	uname(&uts);
	if (!bootrace_next_kernel(ctx, bl, owned, &how, &err)) {
		print_info("next boot: kernel %s (%s); running: %s", *owned, how, uts.release);
		args->cmdline.kernel_release = *owned;
	} else if (!bootrace_ctx_has_root(ctx)) {
		print_error("warning: %s; composing for the running kernel %s", err.msg, uts.release);
		*owned = strdup(uts.release);
		args->cmdline.kernel_release = *owned;
	} else {
		print_error("warning: %s; composing for 7.1+ (give --kernel-release)", err.msg);
	}
	free(how);
}

static void print_instructions(const char *fragment)
{
	printf("%s\n\n", fragment);
	printf("Add this line to the kernel command line of the kernel that boots next:\n"
	       "  GRUB (Debian, Ubuntu): bootrace setup --bootloader grub\n"
	       "  systemd-boot, UKI:     bootrace setup --bootloader kernel-install\n"
	       "  Fedora, RHEL (grubby): grubby --update-kernel=ALL --args=\"%s\"\n"
	       "      undo:              grubby --update-kernel=ALL --remove-args=\"%s\"\n"
	       "  QEMU:                  -append \"... %s\"\n"
	       "  U-Boot:                setenv bootargs \"${bootargs} %s\"; saveenv\n"
	       "  PXE (pxelinux):        add it to the APPEND line of the entry\n",
	       fragment, fragment, fragment, fragment);
}

/* The regeneration is left to the user with --no-update, or for a system under --root. */
static bool regenerate_later(const struct setup_args *args, const char *root)
{
	return args->no_update || *root;
}

/* --dry-run: the diff, and the command that would run or is left to run. */
static void show_plan(const struct setup_args *args, const struct bootrace_setup_plan *plan,
		      const char *root)
{
	char *diff = NULL;

	bootrace_setup_diff(plan, &diff);
	fputs(diff ? diff : "", stdout);
	free(diff);
	if (plan->regenerate && regenerate_later(args, root))
		printf("# then run: %s%s%s%s\n", *root ? "chroot " : "", root, *root ? " " : "",
		       plan->regenerate_text);
	else if (plan->regenerate)
		printf("# would run: %s\n", plan->regenerate_text);
}

/* Write the edits, then regenerate the boot files (or say how to). */
static int apply_plan(struct setup_args *args, const struct bootrace_setup_plan *plan,
		      const char *root, const char *fragment)
{
	struct bootrace_error err;
	int ret;

	ret = bootrace_setup_apply(plan, &err);
	if (ret) {
		print_error("%s", err.msg);
		return exit_code_for(ret, &err);
	}
	for (int i = 0; i < plan->nr_edits; i++)
		print_info("%s %s%s", plan->edits[i].remove ? "removed" : plan->edits[i].existed ? "updated" : "created",
			   root, plan->edits[i].path);
	if (plan->regenerate && regenerate_later(args, root)) {
		print_info("the boot files do not carry this yet: run %s%s%s%s", *root ? "chroot " : "", root,
			   *root ? " " : "", plan->regenerate_text);
	} else if (plan->regenerate) {
		print_info("running %s", plan->regenerate_text);
		if (bootrace_setup_regenerate(plan, &err)) {
			print_error("%s", err.msg);
			return EXIT_FAILED;
		}
	}
	if (!args->remove)
		printf("%s\n", fragment);
	return EXIT_OK;
}

static int run_setup(struct bootrace_ctx *ctx, struct setup_args *args, const char *fragment)
{
	struct bootrace_setup_opts o = {
		.bootloader = args->bootloader,
		.fragment = fragment, .remove = args->remove,
		.label = args->cmdline.label, .persistent = args->cmdline.persistent,
		.backup = args->cmdline.backup,
	};
	struct bootrace_setup_plan plan;
	struct bootrace_error err;
	const char *root = bootrace_ctx_has_root(ctx) ? bootrace_ctx_root(ctx) : "";
	int ret;

	ret = bootrace_setup_plan(ctx, &o, &plan, &err);
	if (ret) {
		print_error("%s", err.msg);
		bootrace_setup_plan_clear(&plan);
		return exit_code_for(ret, &err);
	}
	if (!plan.nr_edits)
		print_info("%s: %s", bootrace_bootloader_name(plan.bootloader),
			   args->remove ? (plan.installed ? "nothing to remove in the configuration" : "nothing of bootrace's is installed")
					: "already installed, nothing to change");
	if (args->dry_run) {
		show_plan(args, &plan, root);
		ret = EXIT_OK;
	} else {
		ret = apply_plan(args, &plan, root, fragment);
	}
	bootrace_setup_plan_clear(&plan);
	return ret;
}

/* The bootloader's setup (or --remove), after the line is composed for its next kernel. */
static int run_bootloader(struct bootrace_ctx *ctx, struct setup_args *args)
{
	struct bootrace_error err;
	char *fragment = NULL, *release = NULL;
	int ret;

	if (args->bootloader == BOOTRACE_BOOTLOADER_AUTO &&
	    (ret = bootrace_bootloader_detect(ctx, &args->bootloader, &err))) {
		print_error("%s", err.msg);
		return exit_code_for(ret, &err);
	}
	if (args->bootloader == BOOTRACE_BOOTLOADER_PRINT && args->remove) {
		print_error("--remove with --bootloader print: remove the arguments where you added them");
		return EXIT_USAGE;
	}
	if (!args->remove) {
		if (args->bootloader != BOOTRACE_BOOTLOADER_PRINT)
			pick_release(ctx, args, args->bootloader, &release);
		ret = compose(ctx, args, &fragment);
		if (!ret)
			ret = check_size(ctx, args);
		if (ret)
			goto out;
		warn_level(args->cmdline.kernel_release);
		warn_trace_risks(ctx, args);
	}
	if (args->bootloader == BOOTRACE_BOOTLOADER_PRINT) {
		print_instructions(fragment);
		ret = EXIT_OK;
	} else {
		ret = run_setup(ctx, args, fragment);
	}
out:
	free(fragment);
	free(release);
	return ret;
}

static int run(int argc, char **argv)
{
	struct bootrace_ctx *ctx = command_ctx();
	struct setup_args args = { 0 };
	char *fragment = NULL;
	int ret;

	bootrace_cmdline_opts_init(&args.cmdline);
	argp_parse(&argp, argc, argv, 0, NULL, &args);
	if (args.root && bootrace_ctx_set_root(ctx, args.root)) {
		print_error("out of memory");
		return EXIT_USAGE;
	}
	if (!args.print)
		return run_bootloader(ctx, &args);
	ret = compose(ctx, &args, &fragment);
	if (!ret) {
		warn_level(args.cmdline.kernel_release);
		warn_trace_risks(ctx, &args);
		printf("%s\n", fragment);
	}
	free(fragment);
	return ret;
}

const struct command cmd_setup = { "setup", "install the kernel command line into the bootloader", run };
