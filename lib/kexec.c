/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reboots through kexec lose the trace. kexec-tools places the new kernel
 * wherever it finds room in the RAM /proc/iomem lists, and the memory of
 * reserve_mem= is not marked there: the new kernel and initrd land on the
 * reserved region even when the same kernel boots again. Only a kernel
 * loaded below the region (kexec --mem-max) leaves it alone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootrace-local.h"
#include "shellvars.h"

/* run-parts --list takes names of letters, digits, '_' and '-' only. */
static int run_parts_name(const struct dirent *de)
{
	return de->d_name[0] && strspn(de->d_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
				strlen(de->d_name);
}

/* One more file of kexec-tools' settings, on top of those before it. */
static void eval_settings(int rootfd, const char *rel, struct br_shellvars *vars,
			  struct bootrace_kexec *k)
{
	struct bootrace_error err;
	char *text;

	if (br_read_at(rootfd, rel, BR_SMALL_FILE_MAX, BR_READ_UNTRUSTED, &text, NULL))
		return;
	if (br_shellvars_eval(vars, text, rel, &err))
		snprintf(k->unreadable, sizeof(k->unreadable), "%s", err.msg);
	free(text);
}

/*
 * Debian's kexec-tools: its kexec-load service loads a kernel at every
 * reboot when /etc/default/kexec, or a snippet in kexec.d read after it,
 * sets LOAD_KEXEC=true. Evaluated as assignments, never run.
 */
static void read_load_kexec(int rootfd, struct bootrace_kexec *k)
{
	enum br_shellvar_state state;
	struct br_shellvars *vars;
	const char *value = NULL;
	struct dirent **list;
	DIR *d;
	int n;

	if (br_shellvars_new(&vars))
		return;
	eval_settings(rootfd, "etc/default/kexec", vars, k);
	d = br_opendir_below(rootfd, "etc/default/kexec.d");
	if (d) {
		n = scandirat(dirfd(d), ".", &list, run_parts_name, alphasort);
		for (int i = 0; i < n; i++) {
			char rel[300];

			snprintf(rel, sizeof(rel), "etc/default/kexec.d/%.255s", list[i]->d_name);
			eval_settings(rootfd, rel, vars, k);
			free(list[i]);
		}
		if (n > 0)
			free(list);
		closedir(d);
	}
	state = br_shellvars_get(vars, "LOAD_KEXEC", &value);
	if (state == BR_SHELLVAR_UNKNOWN)
		snprintf(k->unreadable, sizeof(k->unreadable),
			 "LOAD_KEXEC is set from a command's output (%s)", value);
	k->load_at_reboot = state == BR_SHELLVAR_SET && !strcmp(value, "true") &&
			    (!faccessat(rootfd, "etc/init.d/kexec-load", F_OK, 0) ||
			     !faccessat(rootfd, "usr/lib/systemd/system/kexec-load.service", F_OK, 0) ||
			     !faccessat(rootfd, "lib/systemd/system/kexec-load.service", F_OK, 0));
	br_shellvars_free(vars);
}

/*
 * Where the kernel put the persistent instance's buffer this boot:
 * "Tracing: mapped boot instance NAME at physical memory 0x... of size
 * 0x...", from the kernel log while it still holds the boot's messages.
 */
static unsigned long long trace_region(const char *instance, unsigned long long *size)
{
	_cleanup_close_ int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char rec[2048], pattern[128];
	unsigned long long start = 0;

	*size = 0;
	if (fd < 0)
		return 0;
	snprintf(pattern, sizeof(pattern), "mapped boot instance %s at physical memory ", instance);
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		const char *p;

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten while reading: the next one */
		if (n <= 0)
			break;
		rec[n] = '\0';
		p = strstr(rec, pattern);
		if (p && sscanf(p + strlen(pattern), "%llx of size %llx", &start, size) != 2)
			start = 0;
		if (start)
			break;
	}
	return start;
}

int bootrace_kexec_read(struct bootrace_ctx *ctx, const char *persistent,
			struct bootrace_kexec *k)
{
	_cleanup_close_ int rootfd = br_open_dir(bootrace_ctx_root(ctx));
	char *text = NULL, mem_max[96] = "";
	size_t n = sizeof(k->advice);

	memset(k, 0, sizeof(*k));
	if (rootfd >= 0)
		read_load_kexec(rootfd, k);
	if (!bootrace_ctx_has_root(ctx)) {
		k->loaded = !br_read_at(AT_FDCWD, "/sys/kernel/kexec_loaded", 64, 0, &text, NULL) &&
			    text[0] == '1';
		free(text);
		if (persistent)
			k->trace_start = trace_region(persistent, &k->trace_size);
	}
	if (k->trace_start)
		snprintf(mem_max, sizeof(mem_max), " (it starts at 0x%llx: kexec --mem-max=0x%llx)",
			 k->trace_start, k->trace_start - 1);
	if (k->load_at_reboot)
		snprintf(k->advice, n,
			 "kexec-tools' kexec-load is enabled (LOAD_KEXEC=true in /etc/default/kexec or kexec.d): every reboot goes through kexec, which puts the new kernel over the reserved trace memory, and the trace is lost even into the same kernel. "
			 "To keep it, set LOAD_KEXEC=false there so reboots go through the firmware, or load the kernel below the region yourself%s",
			 mem_max[0] ? mem_max : " (kexec --mem-max=ADDRESS below it)");
	else if (k->loaded)
		snprintf(k->advice, n,
			 "a kexec kernel is loaded (/sys/kernel/kexec_loaded): the next reboot goes through kexec, which puts it over the reserved trace memory, and the trace is lost. "
			 "To keep it, unload it (kexec -u) so the reboot goes through the firmware, or load it below the region%s",
			 mem_max[0] ? mem_max : " (kexec --mem-max=ADDRESS below it)");
	else if (k->unreadable[0])
		snprintf(k->advice, n,
			 "cannot tell whether kexec-tools loads a kernel at every reboot, which would lose the trace: %s",
			 k->unreadable);
	return 0;
}
