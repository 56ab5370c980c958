/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which boot was being traced. An empty backup looks the same after a cold
 * boot and after a warm reboot whose reserved memory did not survive; only
 * a note left by the previous boot tells them apart. collect leaves one
 * (STATE_DIR/traced-boot) whenever it leaves the persistent instance
 * tracing the boot it runs in.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bootrace-local.h"
#include "kernel-id.h"

#define RECORD_NAME "traced-boot"

int br_boot_id(char id[BR_BOOT_ID_LEN])
{
	_cleanup_free_ char *text = NULL;
	size_t n = 0;
	int ret;

	ret = br_read_at(AT_FDCWD, "/proc/sys/kernel/random/boot_id", BR_SMALL_FILE_MAX, 0,
			 &text, NULL);
	if (ret)
		return ret;
	/* The kernel writes it with dashes; journalctl and systemd without. */
	for (const char *p = text; *p && n < BR_BOOT_ID_LEN - 1; p++)
		if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
			id[n++] = *p;
	id[n] = '\0';
	return n == BR_BOOT_ID_LEN - 1 ? 0 : -EINVAL;
}

/* Compare boot ids whether or not they are written with dashes. */
static bool same_boot_id(const char *a, const char *b)
{
	for (;;) {
		while (*a == '-')
			a++;
		while (*b == '-')
			b++;
		if (*a != *b)
			return false;
		if (!*a)
			return true;
		a++;
		b++;
	}
}

int br_boot_record_write(struct bootrace_ctx *ctx, const char *instance)
{
	const char *state_dir = bootrace_ctx_state_dir(ctx);
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int dirfd = -1;
	char boot_id[BR_BOOT_ID_LEN], build_id[72] = "";
	struct utsname uts;
	int ret;

	ret = br_boot_id(boot_id);
	if (ret)
		return ret;
	/* Which kernel this boot runs: the next boot decodes its trace by it. */
	br_kernel_build_id(build_id, sizeof(build_id));
	if (asprintf(&text, "boot_id=%s\ninstance=%s\ntime=%lld\nrelease=%s\nbuild_id=%s\ntext=%llx\n",
		     boot_id, instance, (long long)time(NULL), uname(&uts) ? "" : uts.release,
		     build_id, br_kernel_text()) < 0)
		return -ENOMEM;
	ret = br_mkdir_p(state_dir, 0700);
	if (ret)
		return ret;
	dirfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	return br_replace_at(dirfd, RECORD_NAME, text, strlen(text), 0600, 0);
}

int br_boot_record_read(struct bootrace_ctx *ctx, struct bootrace_boot_record *rec)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int dirfd = -1;
	char *line, *save = NULL;
	int ret;

	memset(rec, 0, sizeof(*rec));
	dirfd = open(bootrace_ctx_state_dir(ctx), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	ret = br_read_at(dirfd, RECORD_NAME, BR_SMALL_FILE_MAX, BR_READ_UNTRUSTED, &text, NULL);
	if (ret)
		return ret;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "boot_id=", 8))
			snprintf(rec->boot_id, sizeof(rec->boot_id), "%s", line + 8);
		else if (!strncmp(line, "instance=", 9))
			snprintf(rec->instance, sizeof(rec->instance), "%s", line + 9);
		else if (!strncmp(line, "time=", 5))
			rec->time = strtoll(line + 5, NULL, 10);
		else if (!strncmp(line, "release=", 8))
			snprintf(rec->release, sizeof(rec->release), "%s", line + 8);
		else if (!strncmp(line, "build_id=", 9))
			snprintf(rec->build_id, sizeof(rec->build_id), "%s", line + 9);
		else if (!strncmp(line, "text=", 5))
			rec->text = strtoull(line + 5, NULL, 16);
	}
	if (!rec->boot_id[0])
		return -EINVAL;
	rec->valid = true;
	return 0;
}

bool bootrace_boot_record_previous(const struct bootrace_boot_record *rec)
{
	char boot_id[BR_BOOT_ID_LEN];

	return rec->valid && !br_boot_id(boot_id) && !same_boot_id(boot_id, rec->boot_id);
}
