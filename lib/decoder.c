/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A boot's decoder: the metadata that decodes its ring buffer after the
 * boot is gone. The kernel keeps a persistent buffer across a reboot into
 * another kernel whenever its layout checks pass, and leaves decoding to
 * user space; event ids are assigned at boot (timer ids move between
 * every two releases), module and dynamic event ids follow load order,
 * and symbols move with every boot. So each boot saves, once early and
 * again late when its modules are loaded, what decodes it, and collect
 * uses the saved one of the boot whose data it reads.
 *
 * One file per boot, STATE_DIR/decoders/<boot id>, 0600: a text header
 * ("bootrace-decoder 1", key=value lines, a blank line) readable without
 * the rest, then the body (a zstd-compressed one is read too): entries
 * "NAME LENGTH\n" + LENGTH bytes (header_page, header_event,
 * ftrace/EVENT, events/SYSTEM/EVENT, printk_formats, kallsyms, modules,
 * uname). Which decoder goes with a trace: decode-plan.c.
 */
#include <ctype.h>
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

#include "config.h"
#include "bootrace-local.h"
#include "decoder.h"
#include "kernel-id.h"

#if HAVE_ZSTD
#include <zstd.h>
#endif

#define DECODER_MAGIC "bootrace-decoder 1\n"
#define DECODER_HEADER_MAX 4096
/*
 * A distribution kernel with a few hundred modules takes ~15 MB (kallsyms
 * most of it); the bound keeps a damaged size from becoming a huge
 * allocation, on writing and on reading.
 */
#define DECODER_BODY_MAX (256u << 20)

static bool boot_id_valid(const char *id)
{
	size_t n = 0;

	for (; id[n]; n++)
		if (!isxdigit((unsigned char)id[n]) || isupper((unsigned char)id[n]))
			return false;
	return n == BR_BOOT_ID_LEN - 1;
}

/* ------------------------------------------------------------ header */

static void header_value(struct bootrace_decoder_info *info, const char *key, const char *v,
			 char *body, size_t body_len, unsigned long long *raw_size)
{
	if (!strcmp(key, "boot_id"))
		snprintf(info->boot_id, sizeof(info->boot_id), "%s", v);
	else if (!strcmp(key, "release"))
		snprintf(info->release, sizeof(info->release), "%s", v);
	else if (!strcmp(key, "version"))
		snprintf(info->version, sizeof(info->version), "%s", v);
	else if (!strcmp(key, "build_id"))
		snprintf(info->build_id, sizeof(info->build_id), "%s", v);
	else if (!strcmp(key, "text"))
		info->text = strtoull(v, NULL, 16);
	else if (!strcmp(key, "time"))
		info->time = strtoll(v, NULL, 10);
	else if (!strcmp(key, "events"))
		info->nr_events = strtoul(v, NULL, 10);
	else if (!strcmp(key, "modules"))
		info->nr_modules = strtoul(v, NULL, 10);
	else if (!strcmp(key, "kallsyms"))
		info->kallsyms = !strcmp(v, "yes");
	else if (!strcmp(key, "body"))
		snprintf(body, body_len, "%s", v);
	else if (!strcmp(key, "body_size"))
		*raw_size = strtoull(v, NULL, 10);
}

/*
 * The header at the start of @data: the fields into @info, where the body
 * starts, how it is stored and its size once uncompressed.
 */
static int parse_header(const char *data, size_t len, struct bootrace_decoder_info *info,
			size_t *body_at, bool *compressed, unsigned long long *raw_size)
{
	char text[DECODER_HEADER_MAX + 1], body[16] = "";
	const char *end;
	char *line, *save = NULL;
	size_t n;

	if (len < strlen(DECODER_MAGIC) || memcmp(data, DECODER_MAGIC, strlen(DECODER_MAGIC)))
		return -EINVAL;
	end = memmem(data, len < DECODER_HEADER_MAX ? len : DECODER_HEADER_MAX, "\n\n", 2);
	if (!end)
		return -EINVAL;
	n = end - data + 1;
	memcpy(text, data, n);
	text[n] = '\0';
	*raw_size = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		*eq = '\0';
		header_value(info, line, eq + 1, body, sizeof(body), raw_size);
	}
	*body_at = n + 1;
	*compressed = !strcmp(body, "zstd");
	info->compressed = *compressed;
	if ((!*compressed && strcmp(body, "raw")) || !boot_id_valid(info->boot_id) ||
	    *raw_size > DECODER_BODY_MAX)
		return -EINVAL;
	return 0;
}

static int state_dirfd(struct bootrace_ctx *ctx)
{
	return br_open_dir(bootrace_ctx_state_dir(ctx));
}

int bootrace_decoder_info_read(struct bootrace_ctx *ctx, const char *boot_id,
			       struct bootrace_decoder_info *info, struct bootrace_error *err)
{
	_cleanup_close_ int dirfd = -1, fd = -1;
	char rel[64], head[DECODER_HEADER_MAX];
	unsigned long long raw_size;
	bool compressed;
	size_t body_at;
	struct stat st;
	ssize_t n;
	int ret;

	memset(info, 0, sizeof(*info));
	if (!boot_id_valid(boot_id))
		return br_fail(err, -EINVAL, "'%s' is not a boot id (32 hex digits)", boot_id);
	snprintf(rel, sizeof(rel), BR_DECODER_DIR "/%s", boot_id);
	snprintf(info->path, sizeof(info->path), "%s/%s", bootrace_ctx_state_dir(ctx), rel);
	dirfd = state_dirfd(ctx);
	if (dirfd < 0)
		return br_fail(err, dirfd, "cannot open %s: %s", bootrace_ctx_state_dir(ctx),
			       strerror(-dirfd));
	fd = br_open_below(dirfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	if (fd < 0)
		return br_fail(err, fd, "cannot open %s: %s", info->path, strerror(-fd));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return br_fail(err, -EINVAL, "%s is not a regular file", info->path);
	n = pread(fd, head, sizeof(head), 0);
	if (n < 0)
		return br_fail(err, -errno, "cannot read %s: %s", info->path, strerror(errno));
	ret = parse_header(head, n, info, &body_at, &compressed, &raw_size);
	if (ret || strcmp(info->boot_id, boot_id))
		return br_fail(err, -EINVAL, "%s is not a decoder of boot %s", info->path, boot_id);
	info->size = st.st_size;
	return 0;
}

/* ------------------------------------------------------------ body */

static int decompress(const char *in, size_t in_len, unsigned long long raw_size, char **out)
{
#if HAVE_ZSTD
	unsigned long long frame = ZSTD_getFrameContentSize(in, in_len);
	char *buf;
	size_t n;

	if (frame == ZSTD_CONTENTSIZE_UNKNOWN || frame == ZSTD_CONTENTSIZE_ERROR ||
	    frame != raw_size || frame > DECODER_BODY_MAX)
		return -EINVAL;
	buf = malloc(frame + 1);
	if (!buf)
		return -ENOMEM;
	n = ZSTD_decompress(buf, frame, in, in_len);
	if (ZSTD_isError(n) || n != frame) {
		free(buf);
		return -EINVAL;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

static void blob_at(struct tracedat_blob *blob, const char *data, size_t len)
{
	blob->data = data;
	blob->len = len;
}

static int add_format(struct tracedat_event_format **formats, int *nr, const char *name,
		      const char *data, size_t len)
{
	struct tracedat_event_format *tmp = realloc(*formats, (*nr + 1) * sizeof(**formats));

	if (!tmp)
		return -ENOMEM;
	*formats = tmp;
	tmp[*nr].name = name;
	blob_at(&tmp[*nr].format, data, len);
	(*nr)++;
	return 0;
}

/* "SYSTEM/EVENT" (in place: the '/' becomes the end of SYSTEM); entries of one system come together. */
static int add_event(struct br_decoder *dec, char *name, const char *data, size_t len)
{
	char *slash = strchr(name, '/');
	struct tracedat_system *sys;
	int nr, ret;

	if (!slash || slash == name || !slash[1] || strchr(slash + 1, '/'))
		return -EINVAL;
	*slash = '\0';
	sys = dec->nr_systems ? &dec->systems[dec->nr_systems - 1] : NULL;
	if (!sys || strcmp(sys->name, name)) {
		struct tracedat_system *tmp = realloc(dec->systems,
						      (dec->nr_systems + 1) * sizeof(*tmp));

		if (!tmp)
			return -ENOMEM;
		dec->systems = tmp;
		sys = &tmp[dec->nr_systems++];
		memset(sys, 0, sizeof(*sys));
		sys->name = name;
	}
	nr = sys->nr_events;
	/* The system holds its formats; the cast drops the writer's const. */
	ret = add_format((struct tracedat_event_format **)&sys->events, &nr, slash + 1, data, len);
	sys->nr_events = nr;
	return ret;
}

static int parse_entry(struct br_decoder *dec, char *name, const char *data, size_t len)
{
	if (!strcmp(name, "header_page"))
		blob_at(&dec->header_page, data, len);
	else if (!strcmp(name, "header_event"))
		blob_at(&dec->header_event, data, len);
	else if (!strncmp(name, "ftrace/", 7))
		return add_format(&dec->ftrace, &dec->nr_ftrace, name + 7, data, len);
	else if (!strncmp(name, "events/", 7))
		return add_event(dec, name + 7, data, len);
	else if (!strcmp(name, "printk_formats"))
		blob_at(&dec->printk_formats, data, len);
	else if (!strcmp(name, "kallsyms"))
		blob_at(&dec->kallsyms, data, len);
	else if (!strcmp(name, "modules"))
		blob_at(&dec->modules, data, len);
	else if (!strcmp(name, "uname") && !(dec->uname = strndup(data, len)))
		return -ENOMEM;
	/* Anything else is from a later bootrace and not needed here. */
	return 0;
}

/* Entries "NAME LENGTH\n" + LENGTH bytes; each NAME ends in place where its space was. */
static int parse_body(struct br_decoder *dec, char *body, size_t len)
{
	char *p = body, *end = body + len;
	int ret = 0;

	while (!ret && p < end) {
		char *nl = memchr(p, '\n', end - p < 512 ? end - p : 512), *space, *num_end;
		unsigned long long n;

		if (!nl)
			return -EINVAL;
		*nl = '\0';
		space = strchr(p, ' ');
		if (!space || space == p)
			return -EINVAL;
		*space = '\0';
		errno = 0;
		n = strtoull(space + 1, &num_end, 10);
		if (errno || num_end == space + 1 || *num_end || n > (unsigned long long)(end - nl - 1))
			return -EINVAL;
		ret = parse_entry(dec, p, nl + 1, n);
		p = nl + 1 + n;
	}
	if (!ret && (!dec->header_page.len || !dec->header_event.len ||
		     (!dec->nr_systems && !dec->nr_ftrace)))
		ret = -EINVAL;
	return ret;
}

void br_decoder_free(struct br_decoder *dec)
{
	if (!dec)
		return;
	free(dec->ftrace);
	for (int i = 0; i < dec->nr_systems; i++)
		free((void *)dec->systems[i].events);
	free(dec->systems);
	br_backing_release(&dec->backing);
	free(dec->uname);
	free(dec);
}

int br_decoder_load_info(struct bootrace_ctx *ctx, const char *boot_id, struct br_decoder **out,
			 struct bootrace_error *err)
{
	struct br_decoder *dec = calloc(1, sizeof(*dec));
	int ret;

	*out = NULL;
	if (!dec)
		return br_fail(err, -ENOMEM, "out of memory");
	ret = bootrace_decoder_info_read(ctx, boot_id, &dec->info, err);
	if (ret) {
		free(dec);
		return ret;
	}
	*out = dec;
	return 0;
}

/*
 * The decoder file of @rel, mapped privately: its body's names are ended
 * in place, which copies only those pages. The file is replaced by
 * renaming a new one over it, never rewritten, so the mapping holds.
 */
static int map_file(int dirfd, const char *rel, struct br_backing *map)
{
	_cleanup_close_ int fd = br_open_below(dirfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	struct stat st;
	void *p;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || !st.st_size)
		return -EINVAL;
	if ((unsigned long long)st.st_size > DECODER_HEADER_MAX + DECODER_BODY_MAX)
		return -EFBIG;
	p = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	map->data = p;
	map->mapped = st.st_size;
	return 0;
}

int br_decoder_load(struct bootrace_ctx *ctx, const char *boot_id, struct br_decoder **out,
		    struct bootrace_error *err)
{
	_cleanup_close_ int dirfd = -1;
	struct br_backing file = { 0 };
	struct br_decoder *dec;
	unsigned long long raw_size;
	char *body = NULL;
	size_t len = 0, body_at, body_len = 0;
	bool compressed;
	char rel[64];
	int ret;

	*out = NULL;
	dec = calloc(1, sizeof(*dec));
	if (!dec)
		return br_fail(err, -ENOMEM, "out of memory");
	ret = bootrace_decoder_info_read(ctx, boot_id, &dec->info, err);
	if (ret)
		goto fail;
	dirfd = state_dirfd(ctx);
	snprintf(rel, sizeof(rel), BR_DECODER_DIR "/%s", boot_id);
	ret = dirfd < 0 ? dirfd : map_file(dirfd, rel, &file);
	if (ret) {
		br_fail(err, ret, "cannot read %s: %s", dec->info.path, strerror(-ret));
		goto fail;
	}
	len = file.mapped;
	ret = parse_header(file.data, len, &dec->info, &body_at, &compressed, &raw_size);
	if (!ret && body_at > len)
		ret = -EINVAL;
	if (!ret && compressed) {
		ret = decompress(file.data + body_at, len - body_at, raw_size, &dec->backing.data);
		body = dec->backing.data;
		body_len = raw_size;
		/* Only the decompressed body is kept from here on. */
		br_backing_release(&file);
	} else if (!ret) {
		body = file.data + body_at;
		body_len = len - body_at;
		dec->backing = file;
		file = (struct br_backing){ 0 };
	}
	br_backing_release(&file);
	if (ret == -EOPNOTSUPP) {
		br_fail(err, ret, "%s is compressed with zstd, and this bootrace was built without it",
			dec->info.path);
		goto fail;
	}
	ret = ret ?: parse_body(dec, body, body_len);
	if (ret) {
		br_fail(err, ret, "%s is damaged: %s", dec->info.path,
			ret == -ENOMEM ? "out of memory" : "its contents do not parse");
		goto fail;
	}
	*out = dec;
	return 0;
fail:
	br_decoder_free(dec);
	return ret;
}

/* ------------------------------------------------------------ saving */

static void put_entry(FILE *f, const char *name, const char *data, size_t len)
{
	fprintf(f, "%s %zu\n", name, len);
	fwrite(data, 1, len, f);
}

static unsigned int count_lines(const char *text, size_t len)
{
	unsigned int n = 0;

	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	return n;
}

/* Symbols that kptr_restrict hides read as address 0 and decode nothing. */
static bool kallsyms_visible(const char *text, size_t len)
{
	return br_kallsyms_text(text, len) != 0;
}

struct gathered {
	struct br_snapshot *events;
	char *printk_formats, *kallsyms, *modules, *uname;
	size_t printk_len, kallsyms_len, modules_len;
};

static void gathered_clear(struct gathered *g)
{
	br_snapshot_free(g->events);
	free(g->printk_formats);
	free(g->kallsyms);
	free(g->modules);
	free(g->uname);
}

static int gather(struct bootrace_ctx *ctx, struct gathered *g, struct bootrace_decoder_info *info,
		  struct bootrace_error *err)
{
	const struct bootrace_tracefs *tfs;
	_cleanup_close_ int events_fd = -1;
	struct utsname uts;
	char path[4096];
	int ret;

	ret = bootrace_ctx_tracefs(ctx, &tfs, err);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/events", bootrace_tracefs_path(tfs));
	events_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	g->events = calloc(1, sizeof(*g->events));
	if (!g->events)
		return br_fail(err, -ENOMEM, "out of memory");
	ret = events_fd < 0 ? -errno : br_snapshot_read_events(events_fd, g->events);
	if (ret)
		return br_fail(err, ret, "cannot read the event formats in %s: %s", path,
			       strerror(-ret));
	bootrace_tracefs_read(tfs, "printk_formats", &g->printk_formats, &g->printk_len);
	ret = br_read_at(AT_FDCWD, "/proc/kallsyms", DECODER_BODY_MAX, 0, &g->kallsyms,
			 &g->kallsyms_len);
	if (ret && ret != -ENOENT)
		return br_fail(err, ret, "cannot read /proc/kallsyms: %s", strerror(-ret));
	br_read_at(AT_FDCWD, "/proc/modules", DECODER_BODY_MAX, 0, &g->modules, &g->modules_len);
	if (uname(&uts) < 0)
		return br_fail(err, -errno, "uname: %s", strerror(errno));
	if (asprintf(&g->uname, "%s %s %s %s %s", uts.sysname, uts.nodename, uts.release,
		     uts.version, uts.machine) < 0)
		return br_fail(err, -ENOMEM, "out of memory");
	snprintf(info->release, sizeof(info->release), "%s", uts.release);
	snprintf(info->version, sizeof(info->version), "%s", uts.version);
	br_kernel_build_id(info->build_id, sizeof(info->build_id));
	info->kallsyms = g->kallsyms && kallsyms_visible(g->kallsyms, g->kallsyms_len);
	info->text = info->kallsyms ? br_kallsyms_text(g->kallsyms, g->kallsyms_len) : 0;
	info->nr_modules = g->modules ? count_lines(g->modules, g->modules_len) : 0;
	info->nr_events = g->events->nr_ftrace;
	for (int i = 0; i < g->events->nr_systems; i++)
		info->nr_events += g->events->systems[i].nr_events;
	return br_boot_id(info->boot_id) ?
		br_fail(err, -EIO, "cannot read this boot's id (/proc/sys/kernel/random/boot_id)") : 0;
}

static int serialize(const struct gathered *g, const struct bootrace_decoder_info *info,
		     char **body, size_t *len)
{
	const struct br_snapshot *ev = g->events;
	char name[512];
	FILE *f = open_memstream(body, len);

	if (!f)
		return -ENOMEM;
	put_entry(f, "header_page", ev->meta.header_page.data, ev->meta.header_page.len);
	put_entry(f, "header_event", ev->meta.header_event.data, ev->meta.header_event.len);
	for (int i = 0; i < ev->nr_ftrace; i++) {
		snprintf(name, sizeof(name), "ftrace/%s", ev->ftrace[i].name);
		put_entry(f, name, ev->ftrace[i].format.data, ev->ftrace[i].format.len);
	}
	for (int s = 0; s < ev->nr_systems; s++) {
		const struct tracedat_system *sys = &ev->systems[s];

		for (int i = 0; i < sys->nr_events; i++) {
			snprintf(name, sizeof(name), "events/%s/%s", sys->name, sys->events[i].name);
			put_entry(f, name, sys->events[i].format.data, sys->events[i].format.len);
		}
	}
	if (g->printk_formats)
		put_entry(f, "printk_formats", g->printk_formats, g->printk_len);
	if (info->kallsyms)
		put_entry(f, "kallsyms", g->kallsyms, g->kallsyms_len);
	if (g->modules)
		put_entry(f, "modules", g->modules, g->modules_len);
	put_entry(f, "uname", g->uname, strlen(g->uname));
	if (fclose(f))
		return -ENOMEM;
	return *len > DECODER_BODY_MAX ? -EFBIG : 0;
}

/*
 * The header, then the body as it is: collect maps the file and writes
 * the trace's metadata straight from it. Decompressing ~8 MB at that
 * moment would cost more than the ~2,300 format files it spares (twice
 * the time in the VM benchmark); the disk holds at most three decoders.
 */
static int assemble(const struct bootrace_decoder_info *info, const char *body, size_t body_len,
		    char **file, size_t *file_len)
{
	_cleanup_free_ char *header = NULL;
	size_t header_len;
	char *out;
	int n;

	n = asprintf(&header,
		     DECODER_MAGIC
		     "# what decodes this boot's trace after it; written by bootrace save-decoder\n"
		     "boot_id=%s\nrelease=%s\nversion=%s\nbuild_id=%s\ntext=%llx\ntime=%lld\n"
		     "events=%u\nmodules=%u\nkallsyms=%s\nbody=raw\nbody_size=%zu\n\n",
		     info->boot_id, info->release, info->version, info->build_id, info->text,
		     info->time, info->nr_events, info->nr_modules, info->kallsyms ? "yes" : "no",
		     body_len);
	if (n < 0)
		return -ENOMEM;
	header_len = n;
	if (header_len > DECODER_HEADER_MAX)
		return -EINVAL;
	out = malloc(header_len + body_len);
	if (!out)
		return -ENOMEM;
	memcpy(out, header, header_len);
	memcpy(out + header_len, body, body_len);
	*file_len = header_len + body_len;
	*file = out;
	return 0;
}

int bootrace_decoder_save(struct bootrace_ctx *ctx, struct bootrace_decoder_info *info,
			  struct bootrace_error *err)
{
	const char *state_dir = bootrace_ctx_state_dir(ctx);
	_cleanup_free_ char *body = NULL, *file = NULL;
	_cleanup_close_ int dirfd = -1, decfd = -1;
	struct gathered g = { 0 };
	size_t body_len = 0, file_len = 0;
	int ret;

	memset(info, 0, sizeof(*info));
	ret = gather(ctx, &g, info, err);
	if (ret)
		goto out;
	info->time = time(NULL);
	ret = serialize(&g, info, &body, &body_len);
	if (ret == -EFBIG)
		br_fail(err, ret, "this boot's decoder would take %zu MiB, more than the %u MiB bound",
			body_len >> 20, DECODER_BODY_MAX >> 20);
	else if (ret)
		br_fail(err, ret, "out of memory");
	ret = ret ?: assemble(info, body, body_len, &file, &file_len);
	if (ret)
		goto out;
	ret = br_mkdir_p(state_dir, 0700);
	dirfd = ret ? ret : state_dirfd(ctx);
	decfd = dirfd < 0 ? dirfd : br_mkdir_below(dirfd, BR_DECODER_DIR, 0700);
	ret = decfd < 0 ? decfd : br_replace_at(decfd, info->boot_id, file, file_len, 0600, 0);
	if (ret) {
		br_fail(err, ret, "cannot write %s/" BR_DECODER_DIR "/%s: %s", state_dir,
			info->boot_id, strerror(-ret));
		goto out;
	}
	info->size = file_len;
	info->compressed = false;
	snprintf(info->path, sizeof(info->path), "%s/" BR_DECODER_DIR "/%s", state_dir,
		 info->boot_id);
	br_decoder_prune(ctx);
out:
	gathered_clear(&g);
	return ret;
}

/* ------------------------------------------------------------ retention */

static int only_boot_ids(const struct dirent *de)
{
	return boot_id_valid(de->d_name);
}

/* The boot ids with a decoder, the newest saved first. */
int br_decoder_list(struct bootrace_ctx *ctx, struct bootrace_decoder_info **out, int *nr)
{
	_cleanup_free_ char *dir = br_path_join(bootrace_ctx_state_dir(ctx), BR_DECODER_DIR);
	struct bootrace_decoder_info *list;
	struct dirent **names;
	int n, count = 0;

	*out = NULL;
	*nr = 0;
	if (!dir)
		return -ENOMEM;
	n = scandir(dir, &names, only_boot_ids, alphasort);
	if (n < 0)
		return -errno;
	list = calloc(n ? n : 1, sizeof(*list));
	for (int i = 0; i < n; i++) {
		if (list && !bootrace_decoder_info_read(ctx, names[i]->d_name, &list[count], NULL))
			count++;
		free(names[i]);
	}
	free(names);
	if (!list)
		return -ENOMEM;
	/* Few files: a plain insertion sort by time, newest first. */
	for (int i = 1; i < count; i++)
		for (int j = i; j > 0 && list[j].time > list[j - 1].time; j--) {
			struct bootrace_decoder_info t = list[j];

			list[j] = list[j - 1];
			list[j - 1] = t;
		}
	*out = list;
	*nr = count;
	return 0;
}

/*
 * A decoder matters while its boot's trace may still be read: this
 * boot's (for the next boot), and the one before (its trace waits in the
 * backup instance until collected). The boot record's boot is kept too:
 * it names the boot collect reads next.
 */
int br_decoder_prune(struct bootrace_ctx *ctx)
{
	_cleanup_close_ int dirfd = state_dirfd(ctx), decfd = -1;
	struct bootrace_decoder_info *list;
	struct bootrace_boot_record rec;
	char now[BR_BOOT_ID_LEN] = "";
	int nr, removed = 0;
	bool kept_other = false;

	if (dirfd < 0 || br_decoder_list(ctx, &list, &nr))
		return 0;
	decfd = br_open_below(dirfd, BR_DECODER_DIR, O_RDONLY | O_DIRECTORY, 0);
	br_boot_id(now);
	br_boot_record_read(ctx, &rec);
	for (int i = 0; decfd >= 0 && i < nr; i++) {
		const char *id = list[i].boot_id;

		if (!strcmp(id, now) || (rec.valid && !strcmp(id, rec.boot_id)))
			continue;
		if (!kept_other) {
			kept_other = true;
			continue;
		}
		if (!unlinkat(decfd, id, 0)) {
			removed++;
			br_info(ctx, "removed the decoder of boot %s (kernel %s): its trace is gone",
				id, list[i].release);
		}
	}
	free(list);
	return removed;
}
