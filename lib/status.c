/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the running kernel offers, judged from what tracefs shows rather
 * than from the version alone, and what the user should do next.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "bootrace-local.h"
#include "context.h"
#include "decoder.h"

const char *bootrace_cap_name(enum bootrace_cap cap)
{
	switch (cap) {
	case BOOTRACE_CAP_YES:
		return "yes";
	case BOOTRACE_CAP_BY_VERSION:
		return "yes (by kernel version, not seen now)";
	default:
		return "no";
	}
}

static bool version_at_least(const struct bootrace_status *st, int major, int minor)
{
	return st->major > major || (st->major == major && st->minor >= minor);
}

static int add_instance(const struct bootrace_tracefs *tfs, struct bootrace_status *st,
			const char *name)
{
	struct bootrace_instance_info *info, **tmp;

	for (int i = 0; i < st->nr_instances; i++)
		if (!strcmp(st->instances[i]->name, name))
			return 0;
	if (br_instance_info_read(NULL, tfs, name, &info, NULL))
		return 0;
	tmp = realloc(st->instances, (st->nr_instances + 1) * sizeof(*tmp));
	if (!tmp) {
		br_instance_info_free(info);
		return -ENOMEM;
	}
	st->instances = tmp;
	st->instances[st->nr_instances++] = info;
	return 0;
}

/* The instances configured on the command line, and any with last_boot_info. */
static int find_instances(const struct bootrace_tracefs *tfs, struct bootrace_status *st)
{
	char **names = NULL;
	int ret;

	if (st->cmdline.has_persistent && br_instance_exists(tfs, st->cmdline.persistent))
		add_instance(tfs, st, st->cmdline.persistent);
	if (st->cmdline.has_backup && br_instance_exists(tfs, st->cmdline.backup))
		add_instance(tfs, st, st->cmdline.backup);
	ret = br_tracefs_instances(tfs, &names);
	if (ret < 0)
		return ret;
	for (char **n = names; *n; n++) {
		char rel[512], *text;

		snprintf(rel, sizeof(rel), "instances/%s/last_boot_info", *n);
		if (!bootrace_tracefs_read(tfs, rel, &text, NULL)) {
			free(text);
			add_instance(tfs, st, *n);
		}
		if (st->cmdline.has_backup && strchr(*n, '=') &&
		    !strncmp(*n, st->cmdline.backup, strlen(st->cmdline.backup)))
			snprintf(st->junk_instance, sizeof(st->junk_instance), "%s", *n);
	}
	bootrace_strv_free(names);
	return 0;
}

static void judge_caps(struct bootrace_status *st)
{
	bool seen_persistent = false, seen_backup = false, seen_ro = false, seen_rw_backup = false;

	for (int i = 0; i < st->nr_instances; i++) {
		const struct bootrace_instance_info *in = st->instances[i];

		if (!in->has_last_boot_info)
			continue;
		if (in->read_only) {
			seen_backup = seen_ro = true;
		} else if (st->cmdline.has_backup && !strcmp(in->name, st->cmdline.backup)) {
			seen_backup = seen_rw_backup = true;
		} else {
			seen_persistent = true;
		}
	}
	st->persistent = seen_persistent ? BOOTRACE_CAP_YES :
		version_at_least(st, 6, 12) ? BOOTRACE_CAP_BY_VERSION : BOOTRACE_CAP_NO;
	if (seen_backup)
		st->backup = BOOTRACE_CAP_YES;
	else if (st->junk_instance[0] || !version_at_least(st, 6, 19))
		st->backup = BOOTRACE_CAP_NO;
	else
		st->backup = BOOTRACE_CAP_BY_VERSION;
	if (seen_ro)
		st->backup_read_only = BOOTRACE_CAP_YES;
	else if (seen_rw_backup || st->backup == BOOTRACE_CAP_NO || !version_at_least(st, 7, 1))
		st->backup_read_only = BOOTRACE_CAP_NO;
	else
		st->backup_read_only = BOOTRACE_CAP_BY_VERSION;
}

static const struct bootrace_instance_info *
find_backup(const struct bootrace_status *st)
{
	for (int i = 0; i < st->nr_instances; i++) {
		const struct bootrace_instance_info *in = st->instances[i];

		if (in->read_only || (st->cmdline.has_backup && !strcmp(in->name, st->cmdline.backup)))
			return in;
	}
	return NULL;
}

static const struct bootrace_instance_info *
find_instance(const struct bootrace_status *st, const char *name)
{
	for (int i = 0; i < st->nr_instances; i++)
		if (!strcmp(st->instances[i]->name, name))
			return st->instances[i];
	return NULL;
}

/* Why an instance that should hold the previous boot is empty. */
static const char *empty_why(const struct bootrace_status *st, char *buf, size_t len)
{
	if (bootrace_boot_record_previous(&st->record))
		snprintf(buf, len, "boot %.8s was being traced, so its reserved memory did not survive the reboot "
			 "(power cut, firmware clearing memory, or reserve_mem= placed elsewhere: a larger --align helps)",
			 st->record.boot_id);
	else
		snprintf(buf, len, "a cold boot, or the first boot since bootrace was set up");
	return buf;
}

/* Before 6.19: the persistent instance itself holds the previous boot. */
static void advise_persistent(struct bootrace_status *st, const struct bootrace_instance_info *p)
{
	char *s = st->next_step, why[256];
	size_t n = sizeof(st->next_step);

	if (!p->tracing_on && bootrace_instance_entries(p))
		snprintf(s, n, "the previous boot's trace is in '%s' (%llu events, kept apart by ^traceoff): run 'bootrace collect'; it then clears '%s' and turns tracing on",
			 p->name, bootrace_instance_entries(p), p->name);
	else if (!p->tracing_on)
		snprintf(s, n, "'%s' holds nothing (%s) and does not trace yet: run 'bootrace collect' (the boot unit does at every boot) to start tracing this boot",
			 p->name, empty_why(st, why, sizeof(why)));
	else if (!st->cmdline.persistent_traceoff)
		snprintf(s, n, "'%s' traces this boot on top of the previous one: before 6.19 the line needs ^traceoff to keep them apart (run 'bootrace setup'); 'bootrace collect --instance %s' reads both",
			 p->name, p->name);
	else
		snprintf(s, n, "'%s' traces this boot; after the next crash or warm reboot, run 'bootrace collect'", p->name);
}

static void advise(struct bootrace_status *st)
{
	const struct bootrace_instance_info *backup = find_backup(st);
	const struct bootrace_instance_info *persistent = find_instance(st, st->cmdline.persistent);
	char *s = st->next_step, why[256];
	size_t n = sizeof(st->next_step);

	if (st->junk_instance[0])
		snprintf(s, n, "kernel %s has no backup instances (6.19+): its trace_instance=%s made a junk instance, and '%s' mixes both boots. "
			 "Run 'bootrace setup' (it composes for the kernel: no backup, ^traceoff) and reboot; meanwhile 'bootrace collect --instance %s' reads what is there",
			 st->release, st->junk_instance, st->cmdline.persistent, st->cmdline.persistent);
	else if (!st->configured)
		snprintf(s, n, "not configured: run 'bootrace setup' (or add the line 'bootrace setup --print' prints to the kernel command line) and reboot");
	else if (backup && bootrace_instance_entries(backup))
		snprintf(s, n, "the previous boot's trace is in '%s' (%llu events): run 'bootrace collect'",
			 backup->name, bootrace_instance_entries(backup));
	else if (backup)
		snprintf(s, n, "backup instance '%s' is empty: %s; '%s' traces this boot, so the next warm reboot or crash will be kept",
			 backup->name, empty_why(st, why, sizeof(why)), st->cmdline.persistent);
	else if (!persistent)
		snprintf(s, n, "configured, but instance '%s' does not exist: check that kernel %s supports trace_instance= (6.12+) and that reserve_mem= succeeded (dmesg | grep -i reserve_mem)",
			 st->cmdline.persistent, st->release);
	else if (st->level <= BOOTRACE_KERNEL_PERSISTENT)
		advise_persistent(st, persistent);
	else
		snprintf(s, n, "'%s' traces this boot; after the next crash or warm reboot, run 'bootrace collect'",
			 st->cmdline.persistent);
}

/* What the kernel shows beats what its version says. */
static void judge_level(struct bootrace_status *st)
{
	if (st->backup_read_only == BOOTRACE_CAP_YES)
		st->level = BOOTRACE_KERNEL_READ_ONLY;
	else if (st->backup == BOOTRACE_CAP_YES)
		st->level = BOOTRACE_KERNEL_BACKUP;
	else if (st->junk_instance[0])
		st->level = BOOTRACE_KERNEL_PERSISTENT;
	else
		st->level = br_kernel_level_of(st->major, st->minor);
}

/* Where the previous boot's trace is: the backup, or before 6.19 the persistent instance. */
static const struct bootrace_instance_info *previous_source(const struct bootrace_status *st)
{
	const struct bootrace_instance_info *in = find_backup(st);

	if (!in && st->cmdline.has_persistent) {
		in = find_instance(st, st->cmdline.persistent);
		if (in && (in->tracing_on || (in->last_boot.kind != BOOTRACE_LAST_BOOT_TEXT_DELTA &&
					      in->last_boot.kind != BOOTRACE_LAST_BOOT_ADDRESS)))
			in = NULL;
	}
	return in;
}

/*
 * Which kernel the previous boot ran and whether what decodes its trace
 * is there: the record's boot's decoder, and for a trace waiting in an
 * instance, how collect would decode it.
 */
static void read_previous(struct bootrace_ctx *ctx, struct bootrace_status *st)
{
	const struct bootrace_instance_info *src = previous_source(st);

	if (bootrace_boot_record_previous(&st->record))
		st->record_decoder = !bootrace_decoder_info_read(ctx, st->record.boot_id,
								 &st->record_decoder_info, NULL);
	if (!src || !bootrace_instance_entries(src))
		return;
	st->has_previous = true;
	/* The decoders' headers say enough; collect reads the whole one. */
	br_decode_plan(ctx, src, &st->record, !ctx->tracefs_dir, &st->previous, NULL);
}

int bootrace_status_read(struct bootrace_ctx *ctx, struct bootrace_status *st,
			 struct bootrace_error *err)
{
	const struct bootrace_tracefs *tfs;
	struct utsname uts;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = bootrace_ctx_tracefs(ctx, &tfs, err);
	if (ret)
		return ret;
	if (!uname(&uts)) {
		snprintf(st->release, sizeof(st->release), "%s", uts.release);
		sscanf(uts.release, "%d.%d", &st->major, &st->minor);
	}
	st->tracefs = strdup(bootrace_tracefs_path(tfs));
	st->proc_cmdline = strdup(bootrace_ctx_proc_cmdline(ctx));
	st->state_dir = strdup(bootrace_ctx_state_dir(ctx));
	if (!st->tracefs || !st->proc_cmdline || !st->state_dir)
		return br_fail(err, -ENOMEM, "out of memory");
	bootrace_cmdline_config_parse(st->proc_cmdline, &st->cmdline);
	st->configured = st->cmdline.has_reserve_mem && st->cmdline.has_persistent &&
			 !strcmp(st->cmdline.label, st->cmdline.persistent_label);
	ret = find_instances(tfs, st);
	if (ret)
		return br_fail(err, ret, "cannot list the instances in %s: %s",
			       st->tracefs, strerror(-ret));
	judge_caps(st);
	judge_level(st);
	br_boot_record_read(ctx, &st->record);
	read_previous(ctx, st);
	bootrace_kexec_read(ctx, st->cmdline.has_persistent ? st->cmdline.persistent : NULL, &st->kexec);
	advise(st);
	return 0;
}

void bootrace_status_clear(struct bootrace_status *st)
{
	free(st->tracefs);
	free(st->proc_cmdline);
	free(st->state_dir);
	for (int i = 0; i < st->nr_instances; i++)
		br_instance_info_free(st->instances[i]);
	free(st->instances);
	memset(st, 0, sizeof(*st));
}
