/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Damaged trace.dat files, as a user or a flaky disk would make them, run
 * through the bootrace command: every file must end with exit status 0, 1
 * or 2 (never a signal), within the time limit, under the memory limit,
 * and without a word from AddressSanitizer or UndefinedBehaviorSanitizer.
 *
 *   mutate [OPTIONS] BOOTRACE SEED.dat|DIR...
 *     --count N        mutated files (default 300), seed files in turn
 *     --first I        start at mutation I (to replay one: --first I --count 1)
 *     --timeout S      seconds each command may take (default 10)
 *     --rss-mb M       peak resident memory allowed, MiB (default 64; 0: any)
 *     --keep DIR       keep each failing file there, named by its mutation
 *                      (and each the sandbox had to stop the libraries on)
 *
 * Mutation I is always the same file: it depends only on I and the seeds.
 * Each is one to three of: bit flips (mostly in the metadata), a cut at a
 * section or CPU data boundary (or anywhere), a size field at a boundary
 * overwritten with an extreme value, bytes inserted or removed at a
 * boundary, a block copied over another. The boundaries are those
 * bootrace's own check finds in the seed.
 *
 * Runs "verify --offline" and "report" on each; prints TAP, one line per
 * failing file and a summary line. A file that bootrace's check let
 * through and the libraries then crashed or looped on, in the sandbox,
 * ends in exit 2 and is no failure; it is counted and named in a comment
 * (the check should refuse it itself).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tracedat-reader.h"

struct seed {
	const char *path;
	unsigned char *data;
	size_t len;
	unsigned long long *bounds;	/* offsets where structure starts or ends */
	int nr_bounds;
	size_t meta_end;		/* before the first CPU data */
};

struct limits {
	unsigned int timeout;
	unsigned long long rss_kb;
};

struct tally {
	unsigned long files, failed, status[3];
	unsigned long caught;		/* commands whose reader the sandbox stopped */
	double max_seconds;
	long max_rss_kb;
};

/* ---- deterministic randomness: splitmix64 ---- */

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t below(size_t n)
{
	return n ? rnd() % n : 0;
}

/* ---- seeds ---- */

static void add_bound(struct seed *s, unsigned long long at)
{
	if (at > s->len)
		return;
	s->bounds = realloc(s->bounds, (s->nr_bounds + 1) * sizeof(*s->bounds));
	if (!s->bounds)
		exit(2);
	s->bounds[s->nr_bounds++] = at;
}

static int load_seed(struct seed *s, const char *path)
{
	struct tracedat_layout l;
	char why[TRACEDAT_WHY_MAX];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(s, 0, sizeof(*s));
	s->path = path;
	if (fd < 0 || fstat(fd, &st) || !(s->data = malloc(st.st_size + 1)) ||
	    read(fd, s->data, st.st_size) != st.st_size) {
		fprintf(stderr, "mutate: %s: %s\n", path, strerror(errno));
		return -1;
	}
	s->len = st.st_size;
	s->meta_end = s->len;
	add_bound(s, 0);
	add_bound(s, s->len);
	/* A seed bootrace refuses (zlib) still has its header to damage. */
	if (!tracedat_check(fd, &l, NULL, NULL, why, sizeof(why))) {
		for (int i = 0; i < l.nr_sections; i++) {
			add_bound(s, l.sections[i].offset);
			add_bound(s, l.sections[i].offset + 8);	/* v7: its size */
			add_bound(s, l.sections[i].data);
			add_bound(s, l.sections[i].end);
		}
		for (int b = 0; b < l.nr_buffers; b++) {
			for (int c = 0; c < l.buffers[b].nr_cpus; c++) {
				const struct tracedat_cpu_data *d = &l.buffers[b].cpus[c];

				if (!d->size)
					continue;
				add_bound(s, d->offset);
				add_bound(s, d->offset + d->size);
				if (d->offset < s->meta_end)
					s->meta_end = d->offset;
			}
		}
		tracedat_layout_clear(&l);
	}
	close(fd);
	return 0;
}

static int names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files named, and those in the directories named, in name order. */
static int load_seeds(char **args, int nr_args, struct seed **out)
{
	char **paths = NULL;
	int nr = 0;

	for (int i = 0; i < nr_args; i++) {
		DIR *d = opendir(args[i]);
		struct dirent *e;

		if (!d) {
			paths = realloc(paths, (nr + 1) * sizeof(*paths));
			paths[nr++] = strdup(args[i]);
			continue;
		}
		while ((e = readdir(d))) {
			char path[4096];
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s", args[i], e->d_name);
			if (stat(path, &st) || !S_ISREG(st.st_mode))
				continue;
			paths = realloc(paths, (nr + 1) * sizeof(*paths));
			paths[nr++] = strdup(path);
		}
		closedir(d);
	}
	if (!nr)
		return -1;
	if (nr > 1)
		qsort(paths, nr, sizeof(*paths), names_cmp);
	*out = calloc(nr, sizeof(**out));
	for (int i = 0; i < nr; i++)
		if (!*out || load_seed(&(*out)[i], paths[i]))
			return -1;
	/* Each seed keeps its path; the array goes. */
	free(paths);
	return nr;
}

/* ---- mutations ---- */

struct file {
	unsigned char *data;
	size_t len, cap;
};

static void reserve(struct file *f, size_t len)
{
	if (len <= f->cap)
		return;
	f->cap = len * 2;
	f->data = realloc(f->data, f->cap);
	if (!f->data)
		exit(2);
}

static size_t bound(const struct seed *s, const struct file *f)
{
	size_t at = s->bounds[below(s->nr_bounds)] + below(24) - 8;

	return at > f->len ? f->len : at;
}

static void flip_bits(const struct seed *s, struct file *f)
{
	int n = 1 + below(8);

	for (int i = 0; i < n && f->len; i++) {
		/* Mostly where the structure is: the data is mostly pages. */
		size_t range = below(10) < 7 && s->meta_end < f->len ? s->meta_end : f->len;
		size_t at = below(range ? range : f->len);

		f->data[at] ^= 1u << below(8);
	}
}

static void cut(const struct seed *s, struct file *f)
{
	f->len = below(3) ? bound(s, f) : below(f->len + 1);
}

static void extreme_size(const struct seed *s, struct file *f)
{
	static const uint64_t values[] = {
		0, 1, 2, 7, 0x7f, 0xff, 0xfff, 0x1000, 0x7fffffff, 0x80000000, 0xfffffff0,
		0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
		0xfffffffffffffff0ULL, 0xffffffffffffffffULL,
	};
	uint64_t v = below(4) ? values[below(sizeof(values) / sizeof(values[0]))] :
		     f->len + below(64) - 32;
	size_t width = below(2) ? 8 : 4, at = bound(s, f);

	if (at + width <= f->len)
		memcpy(f->data + at, &v, width);
}

static void insert_or_remove(const struct seed *s, struct file *f)
{
	size_t at = bound(s, f), n = 1 + below(16);

	if (below(2)) {
		reserve(f, f->len + n);
		memmove(f->data + at + n, f->data + at, f->len - at);
		for (size_t i = 0; i < n; i++)
			f->data[at + i] = rnd();
		f->len += n;
	} else if (at + n <= f->len) {
		memmove(f->data + at, f->data + at + n, f->len - at - n);
		f->len -= n;
	}
}

static void copy_block(const struct seed *s, struct file *f)
{
	size_t from = bound(s, f), to = bound(s, f), n = 1 + below(256);

	if (from + n <= f->len && to + n <= f->len)
		memmove(f->data + to, f->data + from, n);
}

static void mutate(const struct seed *s, unsigned long index, struct file *f)
{
	static void (*const kinds[])(const struct seed *, struct file *) = {
		flip_bits, flip_bits, cut, extreme_size, extreme_size, insert_or_remove, copy_block,
	};
	int n;

	/* Before the first draw: mutation I must not depend on I - 1. */
	rnd_state = 0x626f6f7472616365ULL ^ (index * 0x100000001b3ULL);
	n = 1 + below(3);
	reserve(f, s->len + 1);
	memcpy(f->data, s->data, s->len);
	f->len = s->len;
	for (int i = 0; i < n; i++)
		kinds[below(sizeof(kinds) / sizeof(kinds[0]))](s, f);
}

/* ---- running bootrace ---- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sanitizer words in the command's stderr, kept in @err. */
static bool sanitizer_spoke(const char *err)
{
	char buf[8192];
	FILE *f = fopen(err, "r");
	bool found = false;

	while (f && !found && fgets(buf, sizeof(buf), f))
		found = strstr(buf, "Sanitizer") || strstr(buf, "runtime error:");
	if (f)
		fclose(f);
	return found;
}

/*
 * The sandbox stopped the libraries (lib/sandbox.c's words): the check let
 * through a file they crash or loop on. bootrace survived it, exit 2, so
 * it is no failure here; but the check should have refused the file.
 */
static bool sandbox_stopped(const char *err)
{
	char buf[8192];
	FILE *f = fopen(err, "r");
	bool found = false;

	while (f && !found && fgets(buf, sizeof(buf), f))
		found = strstr(buf, "the reader crashed") || strstr(buf, "s of CPU") ||
			strstr(buf, "did not finish in");
	if (f)
		fclose(f);
	return found;
}

/* 0 when the command behaved; otherwise what it did, in @why. */
static int run(char *const argv[], const struct limits *lim, const char *err,
	       struct tally *t, char *why, size_t why_len)
{
	double start = now(), took;
	struct rusage ru;
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		exit(2);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR), errfd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		setpgid(0, 0);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(errfd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	while (wait4(pid, &status, WNOHANG, &ru) == 0) {
		if (now() - start > lim->timeout + 5) {
			kill(-pid, SIGKILL);
			wait4(pid, &status, 0, &ru);
			break;
		}
		usleep(2000);
	}
	took = now() - start;
	if (took > t->max_seconds)
		t->max_seconds = took;
	if (ru.ru_maxrss > t->max_rss_kb)
		t->max_rss_kb = ru.ru_maxrss;
	if (WIFSIGNALED(status))
		return snprintf(why, why_len, "killed by signal %d", WTERMSIG(status));
	if (WEXITSTATUS(status) > 2)
		return snprintf(why, why_len, "exit status %d", WEXITSTATUS(status));
	t->status[WEXITSTATUS(status)]++;
	if (took > lim->timeout)
		return snprintf(why, why_len, "took %.1f s", took);
	if (lim->rss_kb && (unsigned long long)ru.ru_maxrss > lim->rss_kb)
		return snprintf(why, why_len, "peak memory %ld KiB", ru.ru_maxrss);
	if (sanitizer_spoke(err))
		return snprintf(why, why_len, "a sanitizer reported (see %s)", err);
	if (sandbox_stopped(err))
		t->caught++;
	return 0;
}

static bool check_file(const char *bootrace, const char *file, const char *err,
		       const struct limits *lim, struct tally *t, char *why, size_t len)
{
	char *verify[] = { (char *)bootrace, "verify", "--config", "/dev/null", "--offline",
			   (char *)file, NULL };
	char *report[] = { (char *)bootrace, "report", "--config", "/dev/null", "--last", "5",
			   (char *)file, NULL };
	char what[200];

	if (run(verify, lim, err, t, what, sizeof(what))) {
		snprintf(why, len, "verify: %s", what);
		return false;
	}
	if (run(report, lim, err, t, what, sizeof(what))) {
		snprintf(why, len, "report: %s", what);
		return false;
	}
	return true;
}

static int write_file(const char *path, const struct file *f)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ok = fd >= 0 && write(fd, f->data, f->len) == (ssize_t)f->len;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "count", required_argument, NULL, 'n' },
		{ "first", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "rss-mb", required_argument, NULL, 'm' },
		{ "keep", required_argument, NULL, 'k' },
		{ 0 }
	};
	struct limits lim = { 10, 64 * 1024 };
	unsigned long count = 300, first = 0;
	const char *keep = NULL;
	char dir[] = "/tmp/bootrace-mutate.XXXXXX", file[64], err[64], why[256];
	struct tally t = { 0 };
	struct file f = { 0 };
	struct seed *seeds;
	int opt, nr;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 'f': first = strtoul(optarg, NULL, 10); break;
		case 't': lim.timeout = strtoul(optarg, NULL, 10); break;
		case 'm': lim.rss_kb = strtoull(optarg, NULL, 10) * 1024; break;
		case 'k': keep = optarg; break;
		default: return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: %s [--count N] [--first I] [--timeout S] [--rss-mb M] [--keep DIR] BOOTRACE SEED...\n",
			argv[0]);
		return 2;
	}
	nr = load_seeds(&argv[optind + 1], argc - optind - 1, &seeds);
	if (nr <= 0)
		return 2;
	if (!mkdtemp(dir))
		return 2;
	snprintf(file, sizeof(file), "%s/trace.dat", dir);
	snprintf(err, sizeof(err), "%s/stderr", dir);
	printf("TAP version 13\n");
	for (unsigned long i = first; i < first + count; i++) {
		const struct seed *s = &seeds[i % nr];
		unsigned long caught = t.caught;

		mutate(s, i, &f);
		if (write_file(file, &f))
			return 2;
		t.files++;
		if (check_file(argv[optind], file, err, &lim, &t, why, sizeof(why))) {
			if (t.caught == caught)
				continue;
			/* Said, and kept, but no failure. */
			printf("# mutation %lu of %s: the check let it through, the sandbox stopped the reader\n",
			       i, s->path);
		} else {
			t.failed++;
			printf("not ok %lu - mutation %lu of %s: %s\n", t.failed, i, s->path, why);
		}
		if (keep) {
			char kept[4096];

			snprintf(kept, sizeof(kept), "%s/mutation-%lu.dat", keep, i);
			write_file(kept, &f);
		}
		fflush(stdout);
	}
	printf("%sok %lu - %lu mutated files from %d seeds: verify and report exited 0 (%lu), 1 (%lu) or 2 (%lu), "
	       "at most %.2f s and %ld KiB (limits %u s, %llu KiB); the sandbox stopped the reader %lu times\n",
	       t.failed ? "not " : "", t.failed + 1, t.files, nr, t.status[0], t.status[1],
	       t.status[2], t.max_seconds, t.max_rss_kb, lim.timeout, lim.rss_kb, t.caught);
	printf("1..%lu\n", t.failed + 1);
	unlink(file);
	unlink(err);
	rmdir(dir);
	for (int i = 0; i < nr; i++) {
		free((char *)seeds[i].path);
		free(seeds[i].data);
		free(seeds[i].bounds);
	}
	free(seeds);
	free(f.data);
	return t.failed ? 1 : 0;
}
