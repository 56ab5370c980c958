/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a kernel release can do with the command line, by version (see
 * KERNEL BY KERNEL in bootrace(1)), and whether a buffer size suits the
 * machine. setup composes for the kernel that boots next, which is not
 * always the running one.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootrace-local.h"

/* "6.12.117+deb13-cloud-amd64", "7.1", "7.1.0-rc3", "6.19.14-arch1-1". */
int bootrace_kernel_release_parse(const char *release,
				  struct bootrace_kernel_release *kr,
				  struct bootrace_error *err)
{
	int nums[3] = { 0, 0, 0 }, n = 0;
	const char *p = release;

	memset(kr, 0, sizeof(*kr));
	if (!release || !*release)
		return br_fail(err, -EINVAL, "kernel release is empty: give one such as 6.12.117 or 7.1.0-rc3");
	while (n < 3) {
		long v = 0;

		if (!isdigit((unsigned char)*p))
			break;
		for (; isdigit((unsigned char)*p); p++) {
			v = v * 10 + (*p - '0');
			if (v > 9999)
				return br_fail(err, -EINVAL, "kernel release '%.40s' has an implausible version number", release);
		}
		nums[n++] = v;
		if (*p != '.')
			break;
		p++;
	}
	/* After MAJOR.MINOR[.PATCH] only a suffix such as -rc3 or +deb13 may follow. */
	if (n < 2 || (*p && *p != '-' && *p != '+' && *p != '_' && *p != '~'))
		return br_fail(err, -EINVAL, "kernel release '%.40s' is not of the form MAJOR.MINOR[.PATCH][SUFFIX], e.g. 6.12.117+deb13-cloud-amd64",
			       release);
	for (; *p; p++)
		if (!isgraph((unsigned char)*p))
			return br_fail(err, -EINVAL, "kernel release '%.40s' contains a blank or control character", release);
	kr->major = nums[0];
	kr->minor = nums[1];
	kr->patch = nums[2];
	kr->level = br_kernel_level_of(kr->major, kr->minor);
	return 0;
}

enum bootrace_kernel_level br_kernel_level_of(int major, int minor)
{
	int v = major * 1000 + minor;

	if (v >= 7001)
		return BOOTRACE_KERNEL_READ_ONLY;
	if (v >= 6019)
		return BOOTRACE_KERNEL_BACKUP;
	if (v >= 6012)
		return BOOTRACE_KERNEL_PERSISTENT;
	return BOOTRACE_KERNEL_TOO_OLD;
}

const char *bootrace_kernel_level_words(enum bootrace_kernel_level level)
{
	switch (level) {
	case BOOTRACE_KERNEL_READ_ONLY:
		return "a read-only backup of the previous boot that the kernel removes once bootrace has read it (7.1+)";
	case BOOTRACE_KERNEL_BACKUP:
		return "a backup instance of the previous boot that stays (writable) until bootrace removes it after collecting (6.19, 7.0)";
	case BOOTRACE_KERNEL_PERSISTENT:
		return "no backup instances (they need 6.19): the previous boot stays in the persistent instance, "
		       "which ^traceoff keeps from tracing; 'bootrace collect' reads it, then clears it and turns tracing on";
	default:
		return "no persistent trace instances (trace_instance=NAME@LABEL needs 6.12)";
	}
}

/* Possible CPUs ("0-3,8-11"): the kernel splits the buffer among nr_cpu_ids. */
static unsigned int possible_cpus(void)
{
	char *text;
	unsigned int n = 0;

	if (!br_read_at(AT_FDCWD, "/sys/devices/system/cpu/possible", 0, 0, &text, NULL)) {
		char *p = text;

		while (*p && *p != '\n') {
			unsigned long a = strtoul(p, &p, 10), b = a;

			if (*p == '-')
				b = strtoul(p + 1, &p, 10);
			if (b >= a)
				n += b - a + 1;
			if (*p != ',')
				break;
			p++;
		}
		free(text);
	}
	if (!n) {
		long c = sysconf(_SC_NPROCESSORS_CONF);

		n = c > 0 ? c : 1;
	}
	return n;
}

static unsigned long long mem_total(void)
{
	unsigned long long kb = 0;
	char *text, *line;

	if (br_read_at(AT_FDCWD, "/proc/meminfo", 0, 0, &text, NULL))
		return 0;
	line = strstr(text, "MemTotal:");
	if (line)
		sscanf(line, "MemTotal: %llu kB", &kb);
	free(text);
	return kb * 1024;
}

void bootrace_machine_read(struct bootrace_machine *m)
{
	m->nr_cpus = possible_cpus();
	m->ram = mem_total();
	m->page_size = sysconf(_SC_PAGESIZE);
}

/*
 * The persistent ring buffer divides the reserved range among all possible
 * CPUs, after one meta page; each CPU needs its own meta data and at least
 * two sub-buffers (one page each on x86) or the kernel refuses the range.
 */
#define MIN_PAGES_PER_CPU 3
/* Under this per CPU the buffer holds only a moment of a busy machine. */
#define SMALL_PER_CPU (256ULL << 10)

int bootrace_size_check(unsigned long long size, const struct bootrace_machine *m,
			char *warning, size_t warning_len,
			struct bootrace_error *err)
{
	unsigned long long per_cpu = m->nr_cpus ? size / m->nr_cpus : size;
	unsigned long long page = m->page_size ? m->page_size : 4096;

	if (warning_len)
		warning[0] = '\0';
	if (per_cpu < MIN_PAGES_PER_CPU * page)
		return br_fail(err, -EINVAL,
			       "size %lluK is too small for %u CPUs: the kernel needs at least %llu pages per CPU (%lluK in all)",
			       size >> 10, m->nr_cpus, (unsigned long long)MIN_PAGES_PER_CPU,
			       (MIN_PAGES_PER_CPU * page * m->nr_cpus) >> 10);
	if (m->ram && size >= m->ram / 4)
		return br_fail(err, -EINVAL,
			       "size %lluM is a quarter or more of this machine's %lluM of RAM, which reserve_mem= keeps from every boot: choose a smaller size",
			       size >> 20, m->ram >> 20);
	if (m->ram && size > m->ram / 32)
		snprintf(warning, warning_len,
			 "size %lluM is more than 1/32 of this machine's %lluM of RAM; reserve_mem= takes it from every boot",
			 size >> 20, m->ram >> 20);
	else if (per_cpu < SMALL_PER_CPU)
		snprintf(warning, warning_len,
			 "size %lluK gives each of %u CPUs only %lluK: a busy machine overwrites that within moments",
			 size >> 10, m->nr_cpus, per_cpu >> 10);
	return 0;
}
