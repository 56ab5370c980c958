/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The floor of the benchmark: the least any collector must do. Open every
 * CPU's trace_pipe_raw of an instance (all before reading any, non-blocking,
 * as a backup instance requires), read(2) each until it returns 0 or EAGAIN,
 * append everything to one file, fsync it. No metadata, no format, no
 * checks; pages are gathered into a 256 KiB buffer between write(2)s.
 *
 * Usage: floor-drain INSTANCE_DIR OUTPUT
 * Prints the bytes read; exit 0, or 1 on any error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CPUS 4096
#define BUF_SIZE (256 * 1024)
#define MAX_SUBBUF (64 * 1024)

static char buf[BUF_SIZE];

static int flush(int out, size_t *fill)
{
	size_t done = 0;

	while (done < *fill) {
		ssize_t n = write(out, buf + done, *fill - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += n;
	}
	*fill = 0;
	return 0;
}

int main(int argc, char **argv)
{
	static int fds[MAX_CPUS];
	unsigned long long total = 0;
	size_t fill = 0;
	int nr = 0, out;

	if (argc != 3) {
		fprintf(stderr, "usage: floor-drain INSTANCE_DIR OUTPUT\n");
		return 1;
	}
	for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/per_cpu/cpu%d/trace_pipe_raw", argv[1], cpu);
		fds[cpu] = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fds[cpu] < 0 && errno == ENOENT)
			break;
		if (fds[cpu] < 0) {
			perror(path);
			return 1;
		}
		nr++;
	}
	out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		perror(argv[2]);
		return 1;
	}
	for (int cpu = 0; cpu < nr; cpu++) {
		for (;;) {
			ssize_t n;

			if (BUF_SIZE - fill < MAX_SUBBUF && flush(out, &fill) < 0) {
				perror("write");
				return 1;
			}
			n = read(fds[cpu], buf + fill, MAX_SUBBUF);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				break;
			if (n < 0) {
				perror("read");
				return 1;
			}
			if (n == 0)
				break;
			fill += n;
			total += n;
		}
	}
	if (flush(out, &fill) < 0 || fsync(out) < 0 || close(out) < 0) {
		perror(argv[2]);
		return 1;
	}
	for (int cpu = 0; cpu < nr; cpu++)
		close(fds[cpu]);
	printf("%llu\n", total);
	return 0;
}
