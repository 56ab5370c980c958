/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Draining an instance into trace.dat without losing a byte.
 *
 * Reading trace_pipe_raw consumes the only copy of the previous boot's
 * trace, so everything that can fail is checked before the first read:
 * the instance, the output path, the metadata, the space. After the first
 * read, every page goes to a temporary file in the target directory, and a
 * failure keeps that file (as a valid, shorter trace.dat when possible).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>
#include <tracefs.h>

#include "bootrace-local.h"
#include "decode-check.h"
#include "decoder.h"
#include "keeper.h"
#include "output.h"
#include "ringbuf.h"
#include "snapshot.h"
#include "tracedat-recover.h"

void bootrace_collect_opts_init(const struct bootrace_ctx *ctx,
				struct bootrace_collect_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->kallsyms = true;
	opts->compress = bootrace_ctx_config(ctx)->compress;
}

void bootrace_collect_result_clear(struct bootrace_collect_result *res)
{
	free(res->instance);
	free(res->output);
	free(res->partial);
	free(res->cpu_bytes);
	bootrace_strv_free(res->recovered);
	memset(res, 0, sizeof(*res));
}

/* Upper estimate of the pages the data takes, for the space check. */
static unsigned long long estimate_data_bytes(const struct bootrace_instance_info *info)
{
	unsigned long long per_page = info->subbuf_size - BR_PAGE_HEADER_SIZE, total = 0;

	for (int cpu = 0; cpu < info->nr_cpus; cpu++) {
		unsigned long long pages = info->stats[cpu].bytes / per_page + 2;

		total += pages * info->subbuf_size;
	}
	return total;
}

/*
 * Make sure the data will fit before reading any of it: reserve the blocks
 * where the filesystem allows it, else compare with the free space.
 */
static int reserve_space(int fd, off_t offset, unsigned long long bytes,
			 const char *dir, struct bootrace_error *err)
{
	struct statvfs vfs;
	int ret;

	ret = posix_fallocate(fd, offset, bytes);
	if (ret == 0)
		return 0;
	if (ret != EOPNOTSUPP && ret != EINVAL && ret != ENOSPC)
		return br_fail(err, -ret, "cannot reserve space in %s: %s", dir, strerror(ret));
	if (ret == EOPNOTSUPP || ret == EINVAL) {
		if (fstatvfs(fd, &vfs) < 0)
			return 0;
		if ((unsigned long long)vfs.f_bavail * vfs.f_frsize >= bytes)
			return 0;
	}
	return br_fail(err, -ENOSPC,
		       "not enough space in %s: the trace needs about %llu KiB more; nothing was read: free some space or choose another place with -o",
		       dir, (bytes + 1023) / 1024);
}

static void close_cpus(struct tracefs_cpu **cpus, int nr_cpus);

static int open_cpus(const struct bootrace_instance_info *info,
		     struct tracefs_cpu ***out, struct bootrace_error *err)
{
	struct tracefs_cpu **cpus = calloc(info->nr_cpus, sizeof(*cpus));
	int ret = 0;

	if (!cpus)
		return br_fail(err, -ENOMEM, "out of memory");
	/*
	 * Open every CPU before reading any: a 7.1+ backup frees itself when
	 * a read finds the whole buffer empty and the last file closes, so a
	 * CPU opened later could already be gone (ENODEV).
	 */
	for (int cpu = 0; cpu < info->nr_cpus && !ret; cpu++) {
		char path[PATH_MAX];
		int fd;

		snprintf(path, sizeof(path), "%s/per_cpu/cpu%d/trace_pipe_raw", info->path, cpu);
		fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			continue;	/* CPU absent: nothing to read */
		if (fd < 0) {
			ret = -errno;
			if (ret == -EACCES || ret == -EPERM)
				br_fail(err, ret, "cannot open %s: permission denied; run bootrace as root", path);
			else
				br_fail(err, ret, "cannot open %s: %s", path, strerror(-ret));
			break;
		}
		/*
		 * Sized from the instance's own sub-buffer: tracefs_cpu_open()
		 * would use the top level's, which corrupts 8 KB sub-buffers.
		 */
		cpus[cpu] = tracefs_cpu_alloc_fd(fd, info->subbuf_size, true);
		if (!cpus[cpu]) {
			close(fd);
			ret = br_fail(err, -ENOMEM, "cannot set up reading %s", path);
		}
	}
	if (ret) {
		close_cpus(cpus, info->nr_cpus);
		return ret;
	}
	*out = cpus;
	return 0;
}

static void close_cpus(struct tracefs_cpu **cpus, int nr_cpus)
{
	if (!cpus)
		return;
	for (int cpu = 0; cpu < nr_cpus; cpu++)
		if (cpus[cpu])
			tracefs_cpu_close(cpus[cpu]);
	free(cpus);
}

struct drain {
	struct bootrace_ctx *ctx;
	const struct bootrace_instance_info *info;
	const struct bootrace_collect_opts *opts;
	struct bootrace_collect_result *res;
	struct tracedat_writer *writer;
	struct tracefs_cpu **cpus;
	void *page;
	int write_err;		/* first failure writing the file */
	int read_err;		/* first failure reading the kernel */
	int read_err_cpu;
	/* Set up and torn down by drain_all(). */
	char *batch;		/* pages read(2) between two writes */
	bool batch_ours;	/* else the keeper's, or the page */
	size_t batch_size;
	int *fds;		/* per CPU for splice(2), -1: read(2) only */
	int pipe[2];		/* trace_pipe_raw -> pipe -> file */
	size_t pipe_size;
	const char *output_base;	/* where rescued data goes beside */
	int out_fd;		/* the file, to read back what it took */
	/* Pages read that could not go into the file: beside it (BASE.late-cpuN), or lost. */
	unsigned long long late_bytes, lost_bytes;
	int late_cpu;		/* the CPU they came from, -2 several, -1 none */
	int late_err;		/* why the lost ones could not be kept */
	/* Writes what is in flight if collect is killed (keeper.c). */
	struct br_keeper *keeper;
	int keeper_dirfd;	/* a new collection's directory, or -1 */
	const char *file_path;	/* the file being written, for the keeper's word */
};

static void report_progress(struct drain *d, int cpu, unsigned long long expected)
{
	struct bootrace_progress p = {
		.cpu = cpu,
		.nr_cpus = d->info->nr_cpus,
		.cpu_bytes = d->res->cpu_bytes[cpu],
		.total_bytes = d->res->total_bytes,
		.expected_bytes = expected,
	};

	if (d->opts->progress)
		d->opts->progress(&p, d->opts->progress_data);
}

/*
 * A writable instance may still be tracing: stop once the pages read hold
 * as many bytes as the CPU held when collect started, so collect ends.
 */
static bool cpu_done(const struct drain *d, int cpu, unsigned long long data_bytes)
{
	return !d->info->read_only && d->info->tracing_on &&
	       data_bytes >= d->info->stats[cpu].bytes;
}

/* Pages out of the kernel that the file did not take: beside it, or said lost. */
static void keep_late(struct drain *d, int cpu, const void *pages, size_t len, const char *why)
{
	int ret;

	if (!len)
		return;
	ret = br_output_save_late(d->ctx, d->output_base, cpu, pages, len, why);
	if (ret) {
		d->lost_bytes += len;
		d->late_err = ret;
		return;
	}
	d->late_bytes += len;
	d->late_cpu = d->late_cpu == -1 || d->late_cpu == cpu ? cpu : -2;
}

/* Bytes of @cpu's whole pages in the file. */
static unsigned long long cpu_file_bytes(const struct drain *d, int cpu)
{
	unsigned long long offset, size;

	tracedat_cpu_region(d->writer, cpu, &offset, &size);
	return size / d->info->subbuf_size * d->info->subbuf_size;
}

/*
 * Write the pages gathered in the batch, then count them. If the file
 * takes only part of them (a full disk), the rest, from the first page it
 * did not take whole, goes beside it: those pages are out of the kernel.
 */
static int flush_batch(struct drain *d, int cpu, size_t *fill,
		       unsigned long long expected)
{
	unsigned long long before = cpu_file_bytes(d, cpu), written;
	int ret;

	if (!*fill)
		return 0;
	ret = tracedat_cpu_write(d->writer, d->batch, *fill);
	written = cpu_file_bytes(d, cpu) - before;
	d->res->cpu_bytes[cpu] += written;
	d->res->total_bytes += written;
	if (ret) {
		keep_late(d, cpu, d->batch + written, *fill - written, NULL);
		br_keeper_idle(d->keeper);
		*fill = 0;
		return d->write_err = ret;
	}
	br_keeper_idle(d->keeper);
	*fill = 0;
	report_progress(d, cpu, expected);
	return 0;
}

/*
 * read(2) returns one sub-buffer at a time, the last one possibly partly
 * filled; it is also the only read that lets a backup mark itself drained.
 */
static int read_pages(struct drain *d, int cpu, unsigned long long expected)
{
	unsigned long long data_bytes = 0;
	size_t fill = 0;
	int ret, n;

	while (!cpu_done(d, cpu, data_bytes)) {
		if (d->batch_size - fill < d->info->subbuf_size) {
			ret = flush_batch(d, cpu, &fill, expected);
			if (ret)
				return ret;
		}
		/*
		 * The keeper takes the batch with the page about to be read:
		 * zeros until the read fills it, which end the pages a
		 * recovery finds.
		 */
		memset(d->batch + fill, 0, d->info->subbuf_size);
		if (d->batch == d->keeper->batch && d->batch)
			br_keeper_batch(d->keeper, cpu, tracedat_offset(d->writer), fill + d->info->subbuf_size);
		n = tracefs_cpu_read(d->cpus[cpu], d->batch + fill, true);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			d->read_err = -errno;
			d->read_err_cpu = cpu;
			break;
		}
		if (n == 0)	/* empty (EAGAIN) or, on a backup, marked free */
			break;
		data_bytes += br_page_commit(d->batch + fill);
		fill += n;
	}
	return flush_batch(d, cpu, &fill, expected);
}

/*
 * splice(2) of trace_pipe_raw hands over whole sub-buffers only, without
 * copying them, and never marks a backup drained: it moves the bulk, and
 * read_pages() takes the rest. Any failure here leaves the CPU to
 * read(2), which reports real errors itself.
 */
/*
 * Writing the file failed with pages still in the pipe: they are already
 * out of the kernel, so they go beside the output rather than nowhere.
 */
/*
 * The file took the start of a page and then failed: that start is on
 * disk, past what the trace counts, and the rest still in the pipe. Kept
 * beside the file first, so what is kept there is whole pages again.
 */
static void rescue_part_page(struct drain *d, int cpu)
{
	unsigned long long offset, size, whole = cpu_file_bytes(d, cpu);

	tracedat_cpu_region(d->writer, cpu, &offset, &size);
	if (size > whole && pread(d->out_fd, d->page, size - whole, offset + whole) == (ssize_t)(size - whole))
		keep_late(d, cpu, d->page, size - whole, NULL);
	else if (size > whole)
		d->lost_bytes += size - whole;
}

static void rescue_pipe(struct drain *d, int cpu)
{
	int left = 0;

	if (ioctl(d->pipe[0], FIONREAD, &left) < 0)
		return;
	while (left > 0) {
		ssize_t n = read(d->pipe[0], d->page,
				 (size_t)left < d->info->subbuf_size ? (size_t)left : d->info->subbuf_size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		keep_late(d, cpu, d->page, n, NULL);
		left -= n;
	}
}

static int splice_pages(struct drain *d, int cpu, unsigned long long expected)
{
	int ret;

	for (;;) {
		unsigned long long before = cpu_file_bytes(d, cpu), written;
		unsigned long long at = tracedat_offset(d->writer);
		ssize_t n;

		br_keeper_pipe(d->keeper, cpu, at, -1);
		n = splice(d->fds[cpu], NULL, d->pipe[1], NULL, d->pipe_size,
			   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {	/* EAGAIN: no full sub-buffer left */
			br_keeper_idle(d->keeper);
			return 0;
		}
		br_keeper_pipe(d->keeper, cpu, at, n);
		ret = tracedat_cpu_splice(d->writer, d->pipe[0], n);
		written = cpu_file_bytes(d, cpu) - before;
		d->res->cpu_bytes[cpu] += written;
		d->res->total_bytes += written;
		if (ret) {
			rescue_part_page(d, cpu);
			rescue_pipe(d, cpu);
			br_keeper_idle(d->keeper);
			return d->write_err = ret;
		}
		br_keeper_idle(d->keeper);
		report_progress(d, cpu, expected);
	}
}

static int drain_cpu(struct drain *d, int cpu, unsigned long long expected)
{
	int ret;

	ret = tracedat_cpu_begin(d->writer, cpu);
	if (ret)
		return d->write_err = ret;
	if (d->cpus[cpu] && d->fds && d->fds[cpu] >= 0)
		ret = splice_pages(d, cpu, expected);
	if (!ret && d->cpus[cpu])
		ret = read_pages(d, cpu, expected);
	if (ret)
		return ret;
	ret = tracedat_cpu_end(d->writer);
	if (ret)
		return d->write_err = ret;
	return d->read_err;
}

/*
 * The kernel marks a backup for removal when a read(2) of trace_pipe_raw
 * finds the whole buffer empty. The last CPU's final read above usually
 * did; one more read per CPU makes sure of it. Nothing writes to a
 * backup, so these reads return nothing; if one ever did return data, it
 * is kept beside the output rather than dropped.
 */
static void mark_drained(struct drain *d)
{
	for (int cpu = 0; cpu < d->info->nr_cpus; cpu++) {
		int n;

		if (!d->cpus[cpu])
			continue;
		n = tracefs_cpu_read(d->cpus[cpu], d->page, true);
		if (n > 0)
			keep_late(d, cpu, d->page, n, "returned after draining");
	}
}

/* Pages read(2) between two writes: fewer system calls, memory still flat. */
#define DRAIN_BATCH_BYTES (256 * 1024)
/* splice(2) moves at most a pipe's worth at a time. */
#define DRAIN_PIPE_BYTES (1024 * 1024)

/*
 * Splice only what cannot grow while it is read: an instance still
 * tracing is read page by page, so cpu_done() can see each page's size.
 * Every CPU's second descriptor is opened before anything is read, like
 * the first; whatever cannot be set up here is simply read(2) instead.
 */
static void drain_setup(struct drain *d)
{
	const struct bootrace_instance_info *info = d->info;
	struct statfs fs;
	int pipe_size;

	d->pipe[0] = d->pipe[1] = -1;
	d->batch_size = DRAIN_BATCH_BYTES / info->subbuf_size * info->subbuf_size;
	/* The keeper's, which it writes if collect is killed; else our own. */
	if (d->batch_size && d->keeper->batch && d->batch_size <= d->keeper->batch_size) {
		d->batch = d->keeper->batch;
	} else {
		d->batch = d->batch_size ? malloc(d->batch_size) : NULL;
		d->batch_ours = d->batch;
	}
	if (!d->batch) {
		d->batch = d->page;
		d->batch_size = info->subbuf_size;
	}
	if (!info->read_only && info->tracing_on)
		return;
	if (pipe2(d->pipe, O_CLOEXEC) < 0) {
		d->pipe[0] = d->pipe[1] = -1;
		return;
	}
	fcntl(d->pipe[1], F_SETPIPE_SZ, DRAIN_PIPE_BYTES);
	pipe_size = fcntl(d->pipe[1], F_GETPIPE_SZ);
	if (pipe_size < (int)info->subbuf_size)
		return;
	d->pipe_size = pipe_size;
	d->fds = malloc(info->nr_cpus * sizeof(*d->fds));
	for (int cpu = 0; d->fds && cpu < info->nr_cpus; cpu++) {
		char path[PATH_MAX];

		d->fds[cpu] = -1;
		if (!d->cpus[cpu])
			continue;
		snprintf(path, sizeof(path), "%s/per_cpu/cpu%d/trace_pipe_raw", info->path, cpu);
		d->fds[cpu] = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		/*
		 * Both descriptors consume the one ring buffer; a plain file
		 * (a test's fake tracefs) would be read twice.
		 */
		if (d->fds[cpu] >= 0 &&
		    (fstatfs(d->fds[cpu], &fs) < 0 || fs.f_type != TRACEFS_MAGIC)) {
			close(d->fds[cpu]);
			d->fds[cpu] = -1;
		}
	}
}

static void drain_teardown(struct drain *d)
{
	for (int cpu = 0; d->fds && cpu < d->info->nr_cpus; cpu++)
		if (d->fds[cpu] >= 0)
			close(d->fds[cpu]);
	free(d->fds);
	d->fds = NULL;
	for (int i = 0; i < 2; i++)
		if (d->pipe[i] >= 0)
			close(d->pipe[i]);
	if (d->batch_ours)
		free(d->batch);
	d->batch = NULL;
}

static int drain_all(struct drain *d, const char *output_base)
{
	unsigned long long expected = estimate_data_bytes(d->info);
	int ret = 0;

	d->output_base = output_base;
	drain_setup(d);
	/* Without a keeper (no fork), a kill loses what is in flight, as before. */
	br_keeper_arm(d->keeper, d->out_fd, d->pipe[0], d->keeper_dirfd, d->file_path);
	for (int cpu = 0; cpu < d->info->nr_cpus && !ret; cpu++)
		ret = drain_cpu(d, cpu, expected);
	br_keeper_stop(d->keeper);
	drain_teardown(d);
	if (!ret && d->info->read_only)
		mark_drained(d);
	return ret;
}

static int check_instance(const struct bootrace_instance_info *info,
			  const struct bootrace_boot_record *rec,
			  struct bootrace_error *err)
{
	char when[32] = "";
	time_t t;

	if (bootrace_instance_entries(info))
		return 0;
	if (info->last_boot.kind == BOOTRACE_LAST_BOOT_CURRENT)
		return br_fail(err, -ENODATA,
			       "no previous-boot data: instance '%s' traces the current boot and holds no entries",
			       info->name);
	if (bootrace_boot_record_previous(rec)) {
		t = rec->time;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&t));
		return br_fail(err, -ENODATA,
			       "no previous-boot data, although boot %.8s was traced into '%s' from %s: the reserved memory did not survive the reboot (power was cut, the firmware cleared memory, or reserve_mem= landed elsewhere: a larger alignment, e.g. 'bootrace setup --align 32M', keeps it in place)",
			       rec->boot_id, rec->instance, when);
	}
	return br_fail(err, -ENODATA,
		       "no previous-boot data in '%s': a cold boot, or the first boot since bootrace was set up (it traces this boot now)",
		       info->name);
}

/*
 * What this collect wrote, counted in the file (still in the page cache):
 * the bytes and events of each CPU's whole pages, and the time they span.
 * The kernel's counts, taken before reading, can differ: another reader,
 * or an instance still tracing.
 */
static void count_written(struct drain *d, int fd)
{
	struct tracedat_count count = { 0 };
	struct bootrace_collect_result *res = d->res;

	for (int cpu = 0; cpu < d->info->nr_cpus; cpu++) {
		unsigned long long offset, size;

		tracedat_cpu_region(d->writer, cpu, &offset, &size);
		tracedat_count_pages(fd, offset, cpu_file_bytes(d, cpu), d->info->subbuf_size, &count);
	}
	res->total_bytes = count.bytes;
	res->events = count.events;
	res->has_span = count.has_span;
	res->first_ns = count.first_ns;
	res->last_ns = count.last_ns;
	res->lost = 0;
	for (int cpu = 0; cpu < d->info->nr_cpus; cpu++)
		res->lost += d->info->stats[cpu].overrun + d->info->stats[cpu].commit_overrun +
			     d->info->stats[cpu].dropped_events;
}

/*
 * Collect failed after reading began: what failed, and exactly what of
 * what was read is where (the trace, the pages beside it, what is lost).
 */
static void say_kept(const struct drain *d, const struct br_output *out, int ret,
		     const struct bootrace_error *own, struct bootrace_error *err)
{
	char cause[BOOTRACE_ERROR_MAX / 2], late[PATH_MAX + 128] = "", lost[128] = "";
	const struct bootrace_collect_result *res = d->res;
	_cleanup_free_ char *base = NULL;

	if (d->write_err)
		snprintf(cause, sizeof(cause), "writing the trace failed (%s)", strerror(-d->write_err));
	else if (d->read_err)
		snprintf(cause, sizeof(cause), "reading CPU %d of instance '%s' failed (%s)",
			 d->read_err_cpu, d->info->name, strerror(-d->read_err));
	else
		snprintf(cause, sizeof(cause), "%.200s", own->msg[0] ? own->msg : strerror(-ret));
	/* A collection's late pages moved with its directory, beside its trace. */
	if (res->partial && !out->state_dir)
		base = strdup(out->final_path);
	else if (res->partial)
		base = br_path_join(strndupa(res->partial, strrchr(res->partial, '/') - res->partial),
				    "trace.dat");
	if (d->late_bytes && d->late_cpu >= 0)
		snprintf(late, sizeof(late), "; %llu bytes more, read but not written there, are in %s.late-cpu%d",
			 d->late_bytes, base ? base : out->final_path, d->late_cpu);
	else if (d->late_bytes)
		snprintf(late, sizeof(late), "; %llu bytes more, read but not written there, are in %s.late-cpu*",
			 d->late_bytes, base ? base : out->final_path);
	if (d->lost_bytes)
		snprintf(lost, sizeof(lost), "; %llu bytes read could not be written anywhere (%s) and are lost",
			 d->lost_bytes, strerror(-(d->late_err ? d->late_err : d->write_err)));
	br_fail(err, ret, "collect failed after reading began: %s; the %llu events (%llu bytes of pages) read before are in %s%s%s%s",
		cause, res->events, res->total_bytes, res->partial ? res->partial : "(nowhere)",
		res->partial ? " (a valid trace.dat)" : "", late, lost);
}

/*
 * Whose formats and symbols go with the data: the decoder the boot that
 * wrote it left, else this kernel's, said plainly when they may not fit.
 * Never a reason not to read: the data is kept either way.
 */
static void plan_metadata(struct bootrace_ctx *ctx, const struct bootrace_collect_opts *opts,
			  const struct bootrace_instance_info *info,
			  const struct bootrace_boot_record *rec,
			  struct bootrace_collect_result *res, struct br_snapshot_plan *plan,
			  char **decode_text)
{
	enum bootrace_decode decode;

	br_decode_plan(ctx, info, rec, opts->record_boot, &res->previous, &plan->decoder);
	decode = res->previous.decode;
	plan->this_kernel = decode == BOOTRACE_DECODE_THIS_BOOT || decode == BOOTRACE_DECODE_SAME_BUILD;
	/* This kernel's symbols, shifted, would name the wrong functions. */
	plan->kallsyms = opts->kallsyms && (plan->decoder || plan->this_kernel);
	/* The file says it too: verify's decode check and report read it there. */
	if (br_decode_marker_text(&res->previous, decode_text))
		*decode_text = NULL;
	plan->decode = *decode_text;
	br_info(ctx, "%s", res->previous.words);
}

static int collect_instance(struct bootrace_ctx *ctx, const struct bootrace_tracefs *tfs,
			    const struct bootrace_collect_opts *opts,
			    const struct bootrace_instance_info *info,
			    const struct bootrace_boot_record *rec, struct br_output *out,
			    struct br_keeper *keeper, struct bootrace_collect_result *res,
			    struct bootrace_error *err)
{
	struct br_snapshot *snap = NULL;
	struct br_kallsyms_prefetch kallsyms = { .fd = -1 };
	struct drain d = { .ctx = ctx, .info = info, .opts = opts, .res = res, .late_cpu = -1,
			   .keeper = keeper, .keeper_dirfd = -1 };
	struct br_snapshot_plan plan = { 0 };
	_cleanup_free_ char *decode_text = NULL;
	struct bootrace_error own = { 0 };
	int ret;

	ret = check_instance(info, rec, err);
	if (!ret)
		ret = br_output_prepare(ctx, opts, out, err);
	if (ret)
		goto out;
	plan_metadata(ctx, opts, info, rec, res, &plan, &decode_text);
	if (plan.kallsyms && !plan.decoder)
		br_kallsyms_prefetch_start(&kallsyms, out->dir);
	ret = br_snapshot_take(tfs, info, &plan, &snap, err);
	br_kallsyms_prefetch_finish(&kallsyms, snap);
	if (ret)
		goto discard;
	ret = tracedat_begin(out->fd, &snap->meta, &d.writer);
	br_kallsyms_prefetch_release(&kallsyms);
	if (ret == -ENOSPC || ret == -EDQUOT) {
		br_fail(err, -ENOSPC,
			"not enough space in %s even for the trace's metadata; nothing was read: free some space or choose another place with -o",
			out->dir);
		goto discard;
	} else if (ret) {
		br_fail(err, ret, "cannot write in %s: %s; nothing was read", out->dir, strerror(-ret));
		goto discard;
	}
	ret = reserve_space(out->fd, tracedat_offset(d.writer), estimate_data_bytes(info),
			    out->dir, err);
	if (!ret)
		ret = open_cpus(info, &d.cpus, err);
	if (ret)
		goto discard;
	d.page = malloc(info->subbuf_size);
	res->cpu_bytes = calloc(info->nr_cpus, sizeof(*res->cpu_bytes));
	if (!d.page || !res->cpu_bytes) {
		ret = br_fail(err, -ENOMEM, "out of memory");
		goto discard;
	}
	res->nr_cpus = info->nr_cpus;
	ret = br_output_mark(out, d.writer, info->name, res->entries, err);
	if (ret)
		goto discard;

	/* From here on, data leaves the kernel: keep whatever was read. */
	d.out_fd = out->fd;
	d.keeper_dirfd = out->created_dir ? out->dirfd : -1;
	d.file_path = out->tmp_path;
	ret = drain_all(&d, out->final_path);
	count_written(&d, out->fd);
	ret = br_output_commit(ctx, out, d.writer, ret, res, &own);
	if (ret)
		say_kept(&d, out, ret, &own, err);
	/* Said with the result, where it is read: the file holds it too. */
	if (!ret && !bootrace_decode_trusted(res->previous.decode))
		br_warn(ctx, "%s", res->previous.words);
	goto out;
discard:
	br_output_discard(out);
out:
	br_kallsyms_prefetch_release(&kallsyms);
	close_cpus(d.cpus, info->nr_cpus);
	free(d.page);
	tracedat_free(d.writer);
	br_snapshot_free(snap);
	br_decoder_free(plan.decoder);
	return ret;
}

static int write_instance_file(const char *dir, const char *file, const char *text,
			       int flags)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC | flags);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n < 0 ? -errno : 0;
}

/*
 * Before 6.19 the persistent instance itself held the previous boot, kept
 * apart by ^traceoff: once that is on disk (or there was nothing), clear it
 * and let it trace this boot, so the next crash is recorded.
 */
static void rearm_persistent(struct bootrace_ctx *ctx, const struct bootrace_instance_info *info,
			     struct bootrace_collect_result *res)
{
	int ret = write_instance_file(info->path, "trace", "", O_TRUNC);

	if (!ret)
		ret = write_instance_file(info->path, "tracing_on", "1", 0);
	if (ret) {
		snprintf(res->cleanup_error, sizeof(res->cleanup_error),
			 "cannot make '%s' trace this boot (%s): run 'echo 1 > %s/tracing_on'",
			 info->name, strerror(-ret), info->path);
		return;
	}
	res->rearmed = true;
	br_info(ctx, "instance %s cleared and tracing this boot", info->name);
}

/*
 * A 6.19/7.0 backup stays until removed; 7.1+ removes itself. Removing it
 * only now, with the file renamed into place, keeps a copy at all times.
 */
static void remove_backup(struct bootrace_ctx *ctx, const struct bootrace_instance_info *info,
			  struct bootrace_collect_result *res)
{
	if (rmdir(info->path) < 0) {
		snprintf(res->cleanup_error, sizeof(res->cleanup_error),
			 "the data is safe, but backup instance '%s' could not be removed (%s): run 'rmdir %s'",
			 info->name, strerror(errno), info->path);
		return;
	}
	res->removed = true;
	br_info(ctx, "removed backup instance %s", info->name);
}

static void after_collect(struct bootrace_ctx *ctx, const struct bootrace_collect_opts *opts,
			  const struct bootrace_instance_info *info,
			  const struct bootrace_cmdline_config *cfg, int ret,
			  struct bootrace_collect_result *res)
{
	if (res->source == BOOTRACE_SOURCE_PERSISTENT && (!ret || ret == -ENODATA))
		rearm_persistent(ctx, info, res);
	else if (res->source == BOOTRACE_SOURCE_BACKUP_WRITABLE && !ret && res->output)
		remove_backup(ctx, info, res);
	/* This boot is now traced: say so for the next one (see bootrecord.c). */
	if (opts->record_boot && res->source != BOOTRACE_SOURCE_INSTANCE &&
	    (!ret || ret == -ENODATA) && cfg->has_persistent &&
	    (res->source != BOOTRACE_SOURCE_PERSISTENT || res->rearmed))
		br_boot_record_write(ctx, cfg->persistent);
}

/*
 * One collect per instance at a time, on the whole system, whatever state
 * directory or -o each writes to: two readers of one buffer would each get
 * part of it. The lock is the instance directory's own (flock(2) works on
 * tracefs), held until the drain is over and released by the kernel if
 * collect dies.
 */
static int lock_instance(const struct bootrace_tracefs *tfs, const char *name, int *fd,
			 struct bootrace_error *err)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/instances/%s", bootrace_tracefs_path(tfs), name) < 0)
		return br_fail(err, -ENOMEM, "out of memory");
	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* Not there: reading its information says so, better. */
	if (*fd < 0)
		return 0;
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0)
		return br_fail(err, -EBUSY,
			       "another bootrace collect is reading instance '%s'; wait for it to finish (two readers would each get part of the buffer)",
			       name);
	return 0;
}

int bootrace_collect(struct bootrace_ctx *ctx,
		     const struct bootrace_collect_opts *opts,
		     struct bootrace_collect_result *res,
		     struct bootrace_error *err)
{
	struct bootrace_instance_info *info = NULL;
	const struct bootrace_tracefs *tfs;
	struct bootrace_cmdline_config cfg;
	struct bootrace_boot_record rec = { 0 };
	struct br_output out = BR_OUTPUT_INIT;
	struct br_keeper keeper;
	_cleanup_close_ int lock_fd = -1;
	char *name = NULL;
	int ret;

	memset(res, 0, sizeof(*res));
	/*
	 * The keeper (keeper.c) first, before anything of the instance is
	 * open: without one, a kill loses what is in flight, as it did.
	 */
	br_keeper_start(&keeper, DRAIN_BATCH_BYTES);
	/*
	 * First what a collect killed earlier left: also when this one finds
	 * nothing to read (a 7.1+ backup removes itself once read whole).
	 */
	if (!opts->output) {
		ret = br_output_recover(ctx, &out, &res->recovered, err);
		if (ret)
			goto out;
	}
	ret = bootrace_ctx_tracefs(ctx, &tfs, err);
	if (ret)
		goto out;
	if (opts->instance) {
		ret = bootrace_name_check("instance name", opts->instance, err);
		if (ret)
			goto out;
		name = strdup(opts->instance);
		if (!name) {
			ret = br_fail(err, -ENOMEM, "out of memory");
			goto out;
		}
	} else {
		ret = br_backup_find(ctx, tfs, &name, err);
		if (ret)
			goto out;
	}
	res->instance = name;
	ret = lock_instance(tfs, name, &lock_fd, err);
	if (!ret)
		ret = br_instance_info_read(ctx, tfs, name, &info, err);
	if (ret)
		goto out;
	br_cmdline_config_read(ctx, &cfg);
	res->entries = bootrace_instance_entries(info);
	res->read_only = info->read_only;
	res->source = br_source_kind_of(info, &cfg);
	br_info(ctx, "instance %s: %d CPUs, %llu entries, %llu bytes, sub-buffer %zu bytes: %s",
		name, info->nr_cpus, res->entries, bootrace_instance_bytes(info),
		info->subbuf_size, br_source_kind_words(res->source));
	br_boot_record_read(ctx, &rec);
	ret = collect_instance(ctx, tfs, opts, info, &rec, &out, &keeper, res, err);
	after_collect(ctx, opts, info, &cfg, ret, res);
	br_instance_info_free(info);
out:
	br_keeper_stop(&keeper);
	br_output_release(&out);
	return ret;
}
