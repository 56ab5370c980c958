/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The collections under the state directory: one directory each, named
 * "<UTC time>Z-<boot id>" so that names sort by time, with a sidecar file
 * ("info", key=value) that says what list shows without opening the
 * trace. Retention removes the oldest; a directory being removed is first
 * renamed to a hidden name, so a half-removed one is never listed either.
 * Only what bootrace made is ever removed: a directory it created, holding
 * nothing but files it wrote (br_collection_open_ours()); anything else in
 * the state directory is left alone, and said so.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bootrace-local.h"
#include "collection.h"
#include "context.h"
#include "decoder.h"

#define PARTIAL_SUFFIX ".partial"

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* NAME + digits (at least @min of them) + rest, e.g. "trace.dat.late-cpu" "3". */
static bool digits_after(const char *s, const char *prefix, size_t min)
{
	size_t n = strlen(prefix), d;

	if (strncmp(s, prefix, n))
		return false;
	d = strspn(s + n, "0123456789");
	return d >= min && !s[n + d];
}

/* A temporary name made by mkostemp(), br_replace_at() or mkdtemp(): PREFIX + 6 characters. */
static bool temp_name(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return !strncmp(s, prefix, n) && strlen(s + n) == 6 &&
	       strspn(s + n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == 6;
}

/* The names bootrace gives the files of a collection directory, and no other. */
static bool collection_file_name(const char *s)
{
	return !strcmp(s, BOOTRACE_INFO_FILE) || !strcmp(s, "trace.dat") ||
	       !strcmp(s, "trace.dat.partial") || digits_after(s, "trace.dat.partial.", 1) ||
	       digits_after(s, "trace.dat.late-cpu", 1) || !strcmp(s, BR_COLLECTING_FILE) ||
	       temp_name(s, ".trace.dat.") || temp_name(s, ".trace.dat.zst-") ||
	       temp_name(s, "." BOOTRACE_INFO_FILE ".") || temp_name(s, "." BR_COLLECTING_FILE ".");
}

/* The first line of every sidecar collect writes: what tells its own from a look-alike. */
#define INFO_HEADER "# written by bootrace collect; read by bootrace list\n"

static bool info_is_ours(int dirfd)
{
	_cleanup_free_ char *text = NULL;

	return !br_read_at(dirfd, BOOTRACE_INFO_FILE, BR_SMALL_FILE_MAX, BR_READ_UNTRUSTED, &text,
			   NULL) && !strncmp(text, INFO_HEADER, strlen(INFO_HEADER));
}

/* Made by this user, and for nobody else: as bootrace creates everything. */
static bool ours(const struct stat *st)
{
	return st->st_uid == geteuid() && !(st->st_mode & 077);
}

int br_collection_open_ours(int statefd, const char *name, char *why, size_t why_len)
{
	_cleanup_close_ int fd = -1;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int ret = 0;

	fd = openat(statefd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(why, why_len, "%s", ret == -ELOOP || ret == -ENOTDIR ?
			 "not a directory bootrace made (a symbolic link, or a file)" : strerror(-ret));
		return ret == -ELOOP || ret == -ENOTDIR ? -EPERM : ret;
	}
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!ours(&st)) {
		snprintf(why, why_len, "bootrace did not make it (owner %u, mode %04o)",
			 (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	d = fdopendir(dup(fd));
	if (!d)
		return -errno;
	while (!ret && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!collection_file_name(de->d_name) ||
		    fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
		    !ours(&st) || (!strcmp(de->d_name, BOOTRACE_INFO_FILE) && !info_is_ours(fd))) {
			char shown[BR_SHOWN_MAX];

			snprintf(why, why_len, "it holds '%s', which bootrace did not write",
				 br_shown(de->d_name, strlen(de->d_name), shown));
			ret = -EPERM;
		}
	}
	closedir(d);
	/* The copy shared the directory's position: back to its start for the caller. */
	lseek(fd, 0, SEEK_SET);
	return ret ? ret : TAKE_FD(fd);
}

/* Empty the directory @name (ours, checked) of @statefd and remove it. */
int br_collection_remove_ours(int statefd, const char *name)
{
	char why[BR_SHOWN_MAX + 64];
	int fd = br_collection_open_ours(statefd, name, why, sizeof(why)), ret = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (collection_file_name(de->d_name) && unlinkat(fd, de->d_name, 0) < 0 &&
		    errno != ENOENT && !ret)
			ret = -errno;
	closedir(d);
	/* Something appeared meanwhile: it stays, and so does the directory. */
	if (!ret && unlinkat(statefd, name, AT_REMOVEDIR) < 0)
		ret = -errno;
	return ret;
}

/*
 * "2026-11-26T07:12:03Z-" and the boot id as collect names them, perhaps
 * with "-N" (two in one second) and ".partial" (failed after reading began).
 */
bool bootrace_collection_name_valid(const char *name)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ-";
	size_t len = strlen(name), end;

	if (len <= sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		char c = name[i];

		if (shape[i] == 'd' ? c < '0' || c > '9' : c != shape[i])
			return false;
	}
	end = ends_with(name, PARTIAL_SUFFIX) ? len - strlen(PARTIAL_SUFFIX) : len;
	if (end <= sizeof(shape) - 1)
		return false;
	for (size_t i = sizeof(shape) - 1; i < end; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'z') ||
		      name[i] == '-'))
			return false;
	return true;
}

/* ------------------------------------------------------------ sidecar */

int br_collection_new_name(char **name)
{
	char stamp[32], boot_id[BR_BOOT_ID_LEN];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* As journalctl names boots, so a collection can be matched with its journal. */
	if (br_boot_id(boot_id))
		strcpy(boot_id, "unknown-boot");
	return asprintf(name, "%s-%s", stamp, boot_id) < 0 ? -ENOMEM : 0;
}

/*
 * Everything here comes from what collect already knows (the kernel's
 * counts, the span it found at the ends of each CPU's data): the trace is
 * never read again for it, so a collection at boot costs one pass.
 */
void br_collection_info_write(int dirfd, const char *trace, bool partial, bool interrupted,
			      const struct bootrace_collect_result *res)
{
	_cleanup_free_ char *text = NULL;
	char stamp[32], id[BR_BOOT_ID_LEN];
	struct utsname uts;
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;
	size_t len = 0;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (br_boot_id(id))
		id[0] = '\0';
	f = open_memstream(&text, &len);
	if (!f)
		return;
	fputs(INFO_HEADER, f);
	fprintf(f, "collected=%s\nboot_id=%s\n", stamp, id);
	/* The collecting boot's kernel: the ring buffer does not say which ran before. */
	fprintf(f, "kernel=%s\n", uname(&uts) ? "" : uts.release);
	fprintf(f, "instance=%s\ncpus=%d\n", res->instance ? res->instance : "", res->nr_cpus);
	fprintf(f, "trace=%s\npartial=%d\ninterrupted=%d\n", trace, partial, interrupted);
	fprintf(f, "events=%llu\nentries=%llu\nlost=%llu\n", res->events, res->entries, res->lost);
	if (res->has_span)
		fprintf(f, "first_ns=%llu\nlast_ns=%llu\n", res->first_ns, res->last_ns);
	/* Whose formats decode it: "own", "this-boot", ... (bootrace-collect(1), DECODING). */
	fprintf(f, "decode=%s\n", bootrace_decode_name(res->previous.decode));
	if (res->previous.boot_id[0])
		fprintf(f, "previous_boot=%s\n", res->previous.boot_id);
	if (res->previous.release[0])
		fprintf(f, "previous_kernel=%s\n", res->previous.release);
	if (fclose(f))
		return;
	/* Best effort: a collection without its sidecar is still listed. */
	br_replace_at(dirfd, BOOTRACE_INFO_FILE, text, len, 0600, 0);
}

static void copy_value(char *dst, size_t size, const char *value)
{
	snprintf(dst, size, "%s", value);
}

static void parse_info(struct bootrace_collection *c, char *text)
{
	char *line, *next;

	for (line = text; line; line = next) {
		char *eq, *value;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		eq = strchr(line, '=');
		if (line[0] == '#' || !eq)
			continue;
		*eq = '\0';
		value = eq + 1;
		if (!strcmp(line, "collected"))
			copy_value(c->collected, sizeof(c->collected), value);
		else if (!strcmp(line, "boot_id"))
			copy_value(c->boot_id, sizeof(c->boot_id), value);
		else if (!strcmp(line, "kernel"))
			copy_value(c->kernel, sizeof(c->kernel), value);
		else if (!strcmp(line, "instance"))
			copy_value(c->instance, sizeof(c->instance), value);
		else if (!strcmp(line, "cpus"))
			c->nr_cpus = atoi(value);
		else if (!strcmp(line, "events"))
			c->events = strtoull(value, NULL, 10);
		else if (!strcmp(line, "entries"))
			c->entries = strtoull(value, NULL, 10);
		else if (!strcmp(line, "interrupted"))
			c->interrupted = !strcmp(value, "1");
		else if (!strcmp(line, "lost"))
			c->lost = strtoull(value, NULL, 10);
		else if (!strcmp(line, "first_ns"))
			c->first_ns = strtoull(value, NULL, 10), c->has_span = true;
		else if (!strcmp(line, "last_ns"))
			c->last_ns = strtoull(value, NULL, 10);
	}
	c->has_info = true;
}

int br_collection_info_read(int dirfd, struct bootrace_collection *c)
{
	_cleanup_free_ char *text = NULL;
	int ret = br_read_at(dirfd, BOOTRACE_INFO_FILE, BR_SMALL_FILE_MAX, BR_READ_UNTRUSTED, &text,
			     NULL);

	if (!ret)
		parse_info(c, text);
	return ret;
}

/* ------------------------------------------------------------ listing */

static unsigned long long dir_size(int dirfd)
{
	unsigned long long total = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd = dup(dirfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while ((de = readdir(d)))
		if (!fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode))
			total += st.st_blocks * 512ULL > (unsigned long long)st.st_size ?
				 (unsigned long long)st.st_size : st.st_blocks * 512ULL;
	closedir(d);
	return total;
}

static int read_collection(const char *state_dir, const char *name,
			   struct bootrace_collection *c)
{
	static const char *const traces[] = { "trace.dat", "trace.dat.partial" };
	struct stat st;
	int fd;

	memset(c, 0, sizeof(*c));
	c->name = strdup(name);
	c->path = br_path_join(state_dir, name);
	if (!c->name || !c->path)
		return -ENOMEM;
	fd = open(c->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	c->partial = ends_with(name, PARTIAL_SUFFIX);
	/* A link or a device under that name is no trace: report and verify never open it. */
	for (size_t i = 0; i < ARRAY_SIZE(traces) && !c->trace; i++)
		if (!fstatat(fd, traces[i], &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode))
			c->trace = br_path_join(c->path, traces[i]);
	br_collection_info_read(fd, c);
	if (!c->collected[0])
		snprintf(c->collected, sizeof(c->collected), "%.20s", name);
	c->size = dir_size(fd);
	close(fd);
	return 0;
}

void bootrace_collection_clear(struct bootrace_collection *c)
{
	free(c->name);
	free(c->path);
	free(c->trace);
	memset(c, 0, sizeof(*c));
}

int bootrace_collection_read(const char *dir, struct bootrace_collection *c)
{
	char *copy = strdup(dir), *slash;
	int ret;

	if (!copy)
		return -ENOMEM;
	while ((slash = strrchr(copy, '/')) && slash != copy && !slash[1])
		*slash = '\0';
	slash = strrchr(copy, '/');
	if (!slash)
		ret = read_collection(".", copy, c);
	else if (slash == copy)
		ret = read_collection("/", slash + 1, c);
	else {
		*slash = '\0';
		ret = read_collection(copy, slash + 1, c);
	}
	free(copy);
	if (ret)
		bootrace_collection_clear(c);
	return ret;
}

static int only_collections(const struct dirent *de)
{
	return de->d_name[0] != '.' && bootrace_collection_name_valid(de->d_name);
}

int bootrace_history_read(struct bootrace_ctx *ctx,
			  struct bootrace_collection **list, int *nr,
			  struct bootrace_error *err)
{
	const char *state_dir = bootrace_ctx_state_dir(ctx);
	struct bootrace_collection *out;
	struct dirent **names;
	int n, count = 0, ret = 0;

	*list = NULL;
	*nr = 0;
	n = scandir(state_dir, &names, only_collections, alphasort);
	if (n < 0)
		return br_fail(err, -errno, "cannot read %s: %s", state_dir, strerror(errno));
	out = calloc(n ? n : 1, sizeof(*out));
	if (!out)
		ret = -ENOMEM;
	for (int i = 0; i < n; i++) {
		/* Vanished meanwhile (retention of another run): skip it. */
		if (!ret) {
			int r = read_collection(state_dir, names[i]->d_name, &out[count]);

			if (r == -ENOMEM)
				ret = r;
			if (!r)
				count++;
			else
				bootrace_collection_clear(&out[count]);
		}
		free(names[i]);
	}
	free(names);
	if (ret) {
		bootrace_history_free(out, count);
		return br_fail(err, ret, "out of memory");
	}
	*list = out;
	*nr = count;
	return 0;
}

void bootrace_history_free(struct bootrace_collection *list, int nr)
{
	for (int i = 0; i < nr; i++)
		bootrace_collection_clear(&list[i]);
	free(list);
}

/* ----------------------------------------------------------- retention */

/*
 * Hidden first, then emptied: a collection is never listed half removed.
 * If emptying stops (something appeared in it meanwhile), it gets its
 * name back.
 */
static int remove_collection(int statefd, const char *name)
{
	_cleanup_free_ char *hidden = NULL;
	int ret;

	if (asprintf(&hidden, ".old-%s", name) < 0)
		return -ENOMEM;
	if (renameat(statefd, name, statefd, hidden) < 0)
		return -errno;
	ret = br_collection_remove_ours(statefd, hidden);
	if (ret)
		renameat(statefd, hidden, statefd, name);
	return ret;
}

int bootrace_history_prune(struct bootrace_ctx *ctx, char ***removed,
			   struct bootrace_error *err)
{
	const struct bootrace_config *cfg = bootrace_ctx_config(ctx);
	const char *state_dir = bootrace_ctx_state_dir(ctx);
	struct bootrace_collection *list;
	unsigned long long total = 0;
	_cleanup_close_ int statefd = -1;
	char **names = NULL, why[BR_SHOWN_MAX + 64];
	bool *mine;
	int nr, ret, count = 0, kept = 0;

	if (removed)
		*removed = NULL;
	ret = bootrace_history_read(ctx, &list, &nr, err);
	if (ret)
		return ret;
	statefd = br_open_dir(state_dir);
	names = calloc(nr + 1, sizeof(*names));
	mine = calloc(nr + 1, sizeof(*mine));
	if (statefd < 0 || !names || !mine) {
		ret = statefd < 0 ? statefd : -ENOMEM;
		bootrace_history_free(list, nr);
		free(names);
		free(mine);
		return br_fail(err, ret, "cannot open %s: %s", state_dir, strerror(-ret));
	}
	/* What bootrace did not make is neither counted nor removed. */
	for (int i = 0; i < nr; i++) {
		int fd = br_collection_open_ours(statefd, list[i].name, why, sizeof(why));

		mine[i] = fd >= 0;
		if (fd >= 0) {
			close(fd);
			total += list[i].size;
			kept++;
		} else if (fd == -EPERM) {
			br_warn(ctx, "left %s alone: %s", list[i].path, why);
		}
	}
	/* Oldest first; the newest of bootrace's is never a candidate. */
	for (int i = 0; i < nr && kept > 1; i++) {
		bool too_many = cfg->keep && (unsigned int)kept > cfg->keep;
		bool too_big = cfg->max_size && total > cfg->max_size;

		if (!mine[i])
			continue;
		if (!too_many && !too_big)
			break;
		ret = remove_collection(statefd, list[i].name);
		if (ret) {
			br_fail(err, ret, "cannot remove the old collection %s: %s",
				list[i].path, strerror(-ret));
			break;
		}
		br_info(ctx, "removed %s (%s)", list[i].path,
			too_many ? "more collections than 'keep'" : "over 'max_size'");
		names[count++] = list[i].name;
		list[i].name = NULL;
		total -= list[i].size;
		kept--;
	}
	free(mine);
	bootrace_history_free(list, nr);
	/* And what decodes boots whose trace is gone (bootrace-save-decoder(1)). */
	br_decoder_prune(ctx);
	if (removed && !ret)
		*removed = names;
	else
		bootrace_strv_free(names);
	return ret ? ret : count;
}

/* ------------------------------------------------------------ resolving */

static int trace_in_dir(const char *dir, char **path)
{
	static const char *const traces[] = { "trace.dat", "trace.dat.partial" };
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(traces); i++) {
		char *p = br_path_join(dir, traces[i]);

		if (!p)
			return -ENOMEM;
		if (!lstat(p, &st) && S_ISREG(st.st_mode)) {
			*path = p;
			return 0;
		}
		free(p);
	}
	return -ENOENT;
}

/* The newest collection with a complete trace.dat. */
static int newest_collection(struct bootrace_ctx *ctx, char **path,
			     struct bootrace_error *err)
{
	const char *state_dir = bootrace_ctx_state_dir(ctx);
	struct bootrace_collection *list;
	int nr, ret;

	ret = bootrace_history_read(ctx, &list, &nr, NULL);
	if (ret == -ENOMEM)
		return br_fail(err, ret, "out of memory");
	if (ret)
		return br_fail(err, -ENOENT, "no collections in %s (%s): run 'bootrace collect' first, or give the trace.dat",
			       state_dir, strerror(-ret));
	ret = -ENOENT;
	/* Names are UTC timestamps: the last in order is the newest. */
	for (int i = nr - 1; i >= 0 && ret; i--) {
		if (list[i].partial || !list[i].trace)
			continue;
		*path = TAKE_PTR(list[i].trace);
		ret = 0;
	}
	bootrace_history_free(list, nr);
	if (ret)
		return br_fail(err, ret, "no collection in %s: run 'bootrace collect' first, or give the trace.dat",
			       state_dir);
	return 0;
}

int bootrace_collection_resolve(struct bootrace_ctx *ctx, const char *what,
				char **path, struct bootrace_error *err)
{
	const char *state_dir = bootrace_ctx_state_dir(ctx);
	struct stat st;
	char *dir;
	int ret;

	if (!what)
		return newest_collection(ctx, path, err);
	if (!stat(what, &st)) {
		if (!S_ISDIR(st.st_mode)) {
			*path = strdup(what);
			return *path ? 0 : br_fail(err, -ENOMEM, "out of memory");
		}
		ret = trace_in_dir(what, path);
		if (ret)
			br_fail(err, ret, "%s holds no trace.dat", what);
		goto done;
	}
	if (strchr(what, '/')) {
		ret = br_fail(err, -ENOENT, "%s: %s", what, strerror(errno));
		goto done;
	}
	if (!bootrace_collection_name_valid(what)) {
		ret = br_fail(err, -ENOENT, "no file named '%s', and it is not the name of a collection (see 'bootrace list')",
			      what);
		goto done;
	}
	dir = br_path_join(state_dir, what);
	if (!dir)
		return br_fail(err, -ENOMEM, "out of memory");
	ret = trace_in_dir(dir, path);
	if (ret)
		br_fail(err, ret, "no file or collection named '%s' (see 'bootrace list')", what);
	free(dir);
done:
	if (ret && err)
		err->origin = BOOTRACE_ERROR_INPUT;
	return ret;
}
