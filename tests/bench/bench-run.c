/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Run one command and say what it cost: wall time from fork to reaping,
 * peak resident set size (the child's ru_maxrss, from wait4), exit status.
 *
 * Usage: bench-run RESULT_FILE COMMAND [ARG...]
 * Appends "wall_ms=N.NNN maxrss_kb=N exit=N" to RESULT_FILE; exits with the
 * command's exit code (128+signal if it was killed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	double start, wall;
	int status, code;
	FILE *out;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-run RESULT_FILE COMMAND [ARG...]\n");
		return 2;
	}
	start = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("bench-run: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "bench-run: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			perror("bench-run: wait4");
			return 2;
		}
	}
	wall = now_ms() - start;
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	out = fopen(argv[1], "a");
	if (!out) {
		perror(argv[1]);
		return 2;
	}
	fprintf(out, "wall_ms=%.3f maxrss_kb=%ld exit=%d\n", wall, ru.ru_maxrss, code);
	fclose(out);
	return code;
}
