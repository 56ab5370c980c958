/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which kernel build this is, and where its text lies this boot: what
 * tells one boot's kernel from another's. The build id is the one the
 * linker put in the kernel's ELF notes (/sys/kernel/notes); the release
 * string alone does not change when a distribution rebuilds a kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootrace-local.h"
#include "kernel-id.h"

#define NT_GNU_BUILD_ID 3
/* The kernel's notes are a few hundred bytes. */
#define NOTES_MAX (64 * 1024)

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

int br_notes_build_id(const unsigned char *notes, size_t len, char *hex, size_t hex_len)
{
	size_t pos = 0;

	hex[0] = '\0';
	while (len - pos >= 12) {
		uint32_t namesz, descsz, type;
		size_t name_at, desc_at;

		memcpy(&namesz, notes + pos, 4);
		memcpy(&descsz, notes + pos + 4, 4);
		memcpy(&type, notes + pos + 8, 4);
		name_at = pos + 12;
		if (namesz > len - name_at || align4(namesz) > len - name_at)
			return -EINVAL;
		desc_at = name_at + align4(namesz);
		if (descsz > len - desc_at)
			return -EINVAL;
		if (type == NT_GNU_BUILD_ID && namesz == 4 && !memcmp(notes + name_at, "GNU", 4)) {
			if (descsz == 0 || descsz * 2 + 1 > hex_len)
				return -EINVAL;
			for (size_t i = 0; i < descsz; i++)
				snprintf(hex + 2 * i, 3, "%02x", notes[desc_at + i]);
			return 0;
		}
		if (align4(descsz) > len - desc_at)
			break;
		pos = desc_at + align4(descsz);
	}
	return -ENOENT;
}

int br_kernel_build_id(char *hex, size_t len)
{
	_cleanup_free_ char *notes = NULL;
	size_t n;
	int ret;

	hex[0] = '\0';
	ret = br_read_at(AT_FDCWD, "/sys/kernel/notes", NOTES_MAX, 0, &notes, &n);
	if (ret)
		return ret;
	return br_notes_build_id((const unsigned char *)notes, n, hex, len);
}

/* One kallsyms line: "ffffffff81000000 T _text". */
static bool line_is_text(const char *line, size_t len, unsigned long long *addr)
{
	char buf[128], sym[16], type;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	return sscanf(buf, "%llx %c %15s", addr, &type, sym) == 3 && !strcmp(sym, "_text");
}

unsigned long long br_kallsyms_text(const char *kallsyms, size_t len)
{
	const char *p = kallsyms, *end = kallsyms + len;
	unsigned long long addr;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (line_is_text(p, n, &addr))
			return addr;
		p += n + 1;
	}
	return 0;
}

/*
 * _text comes within the first few hundred lines (per-CPU symbols, then
 * the start of the kernel image): read only that far.
 */
unsigned long long br_kernel_text(void)
{
	enum { CHUNK = 64 * 1024, LIMIT = 4 * CHUNK };
	_cleanup_close_ int fd = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	unsigned long long addr = 0;
	size_t used = 0;

	if (fd < 0 || !(buf = malloc(LIMIT + 1)))
		return 0;
	while (used < LIMIT && !addr) {
		ssize_t n = read(fd, buf + used, CHUNK < LIMIT - used ? CHUNK : LIMIT - used);
		char *last_nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += n;
		buf[used] = '\0';
		last_nl = memrchr(buf, '\n', used);
		if (last_nl)
			addr = br_kallsyms_text(buf, last_nl - buf);
	}
	return addr;
}
