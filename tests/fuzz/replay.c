/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A fuzz target without libFuzzer: every file given (or every file in a
 * directory given) goes through LLVMFuzzerTestOneInput() once. The normal
 * and sanitizer builds replay each target's corpus and every input that
 * ever crashed it (regressions/) this way. Prints TAP, one line per
 * directory; a crash ends the run with the file's name on stderr.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	struct stat st;
	uint8_t *data;
	size_t len;
	FILE *f = fopen(path, "rb");

	if (!f || fstat(fileno(f), &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	data = malloc(st.st_size ? st.st_size : 1);
	len = data ? fread(data, 1, st.st_size, f) : 0;
	fclose(f);
	if (!data || len != (size_t)st.st_size) {
		fprintf(stderr, "replay: %s: cannot read it\n", path);
		free(data);
		return -1;
	}
	/* If this crashes, the last name printed is the input that did it. */
	fprintf(stderr, "replay: %s\n", path);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file in @dir, in name order; the number replayed, or -1. */
static int replay_dir(const char *dir)
{
	struct dirent *e;
	char **names = NULL, path[4096];
	int nr = 0, done = 0;
	DIR *d = opendir(dir);

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d))) {
		char **grown;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, "README"))
			continue;
		grown = realloc(names, (nr + 1) * sizeof(*names));
		if (!grown)
			return -1;
		names = grown;
		names[nr++] = strdup(e->d_name);
	}
	closedir(d);
	if (nr > 1)
		qsort(names, nr, sizeof(*names), names_cmp);
	for (int i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (replay_file(path) == 0)
			done++;
		free(names[i]);
	}
	free(names);
	return done == nr ? done : -1;
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIRECTORY...\n", argv[0]);
		return 2;
	}
	printf("TAP version 13\n1..%d\n", argc - 1);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int n = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? replay_dir(argv[i]) :
			replay_file(argv[i]) == 0 ? 1 : -1;

		if (n < 0)
			failed++;
		printf("%sok %d - %s: %d inputs replayed\n", n < 0 ? "not " : "", i, argv[i],
		       n < 0 ? 0 : n);
	}
	return failed ? 1 : 0;
}
