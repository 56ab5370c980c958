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
#include <unistd.h>

#include "bootrace-local.h"

#define RECORD_NAME "traced-boot"

int bootrace_boot_id(char *buf, size_t len)
{
	char *text;
	int ret = br_read_file("/proc/sys/kernel/random/boot_id", &text, NULL);

	if (ret)
		return ret;
	snprintf(buf, len, "%s", br_strip(text));
	free(text);
	return 0;
}

int bootrace_boot_record_write(const char *state_dir, const char *instance)
{
	char boot_id[64], *path = NULL, *tmp = NULL, *text = NULL;
	int fd = -1, ret;

	ret = bootrace_boot_id(boot_id, sizeof(boot_id));
	if (ret)
		return ret;
	if (asprintf(&path, "%s/" RECORD_NAME, state_dir) < 0 ||
	    asprintf(&tmp, "%s/." RECORD_NAME ".XXXXXX", state_dir) < 0 ||
	    asprintf(&text, "boot_id=%s\ninstance=%s\ntime=%lld\n", boot_id, instance,
		     (long long)time(NULL)) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	if (mkdir(state_dir, 0700) < 0 && errno != EEXIST) {
		ret = -errno;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) < 0 ||
	    rename(tmp, path) < 0) {
		ret = -errno ? -errno : -EIO;
		unlink(tmp);
	}
out:
	if (fd >= 0)
		close(fd);
	free(path);
	free(tmp);
	free(text);
	return ret;
}

int bootrace_boot_record_read(const char *state_dir, struct bootrace_boot_record *rec)
{
	char *path, *text, *line, *save = NULL;
	int ret;

	memset(rec, 0, sizeof(*rec));
	if (asprintf(&path, "%s/" RECORD_NAME, state_dir) < 0)
		return -ENOMEM;
	ret = br_read_file(path, &text, NULL);
	free(path);
	if (ret)
		return ret;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "boot_id=", 8))
			snprintf(rec->boot_id, sizeof(rec->boot_id), "%s", line + 8);
		else if (!strncmp(line, "instance=", 9))
			snprintf(rec->instance, sizeof(rec->instance), "%s", line + 9);
		else if (!strncmp(line, "time=", 5))
			rec->time = strtoll(line + 5, NULL, 10);
	}
	free(text);
	if (!rec->boot_id[0])
		return -EINVAL;
	rec->valid = true;
	return 0;
}

bool bootrace_boot_record_previous(const struct bootrace_boot_record *rec)
{
	char boot_id[64];

	return rec->valid && !bootrace_boot_id(boot_id, sizeof(boot_id)) &&
	       strcmp(boot_id, rec->boot_id);
}
