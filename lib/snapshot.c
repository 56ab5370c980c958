/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Everything trace.dat needs besides the ring-buffer pages, read before the
 * first page is consumed: the instance's own header page and event formats
 * (a backup instance describes the previous boot's events), its clock, its
 * per-CPU stats, last_boot_info, and this machine's symbols and uname.
 */
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bootrace-local.h"
#include "decoder.h"
#include "snapshot.h"

static int blob_read_at(int dirfd, const char *rel, struct tracedat_blob *blob)
{
	char *text;
	size_t len;
	int ret;

	ret = br_read_at(dirfd, rel, 0, 0, &text, &len);
	if (ret)
		return ret;
	blob->data = text;
	blob->len = len;
	return 0;
}

static void blob_free(struct tracedat_blob *blob)
{
	free((char *)blob->data);
	blob->data = NULL;
	blob->len = 0;
}

static int cmp_dirent(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_dot(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

/*
 * Read events/SYSTEM/ * /format. Only "format" is looked for: a read-only
 * backup has no "enable" files, so code that looks for those finds nothing.
 */
static int read_system(int events_fd, const char *system,
		       struct tracedat_event_format **formats, int *nr)
{
	struct dirent **list;
	int n, count = 0, ret = 0;
	int sys_fd;

	sys_fd = openat(events_fd, system, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sys_fd < 0)
		return errno == ENOTDIR ? 0 : -errno;
	n = scandirat(sys_fd, ".", &list, not_dot, cmp_dirent);
	if (n < 0) {
		ret = -errno;
		close(sys_fd);
		return ret;
	}
	*formats = calloc(n ? n : 1, sizeof(**formats));
	if (!*formats)
		ret = -ENOMEM;
	for (int i = 0; i < n; i++) {
		char rel[512];

		if (!ret) {
			snprintf(rel, sizeof(rel), "%s/format", list[i]->d_name);
			if (!blob_read_at(sys_fd, rel, &(*formats)[count].format)) {
				(*formats)[count].name = strdup(list[i]->d_name);
				count++;
			}
		}
		free(list[i]);
	}
	free(list);
	close(sys_fd);
	*nr = count;
	return ret;
}

int br_snapshot_read_events(int events_fd, struct br_snapshot *snap)
{
	struct dirent **list;
	int n, ret = 0;

	ret = blob_read_at(events_fd, "header_page", &snap->meta.header_page);
	if (!ret)
		ret = blob_read_at(events_fd, "header_event", &snap->meta.header_event);
	n = ret ? -1 : scandirat(events_fd, ".", &list, not_dot, cmp_dirent);
	if (n < 0)
		return ret ? ret : -errno;
	snap->systems = calloc(n ? n : 1, sizeof(*snap->systems));
	if (!snap->systems)
		ret = -ENOMEM;
	for (int i = 0; i < n; i++) {
		struct tracedat_event_format *formats = NULL;
		const char *name = list[i]->d_name;
		int nr = 0;

		if (!ret && list[i]->d_type == DT_DIR) {
			ret = read_system(events_fd, name, &formats, &nr);
			if (!ret && !strcmp(name, "ftrace")) {
				snap->ftrace = formats;
				snap->nr_ftrace = nr;
			} else if (!ret && nr) {
				struct tracedat_system *sys = &snap->systems[snap->nr_systems++];

				sys->name = strdup(name);
				sys->events = formats;
				sys->nr_events = nr;
			} else {
				free(formats);
			}
		}
		free(list[i]);
	}
	free(list);
	return ret;
}

static int read_formats(int inst_fd, struct br_snapshot *snap)
{
	int events_fd, ret;

	events_fd = openat(inst_fd, "events", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (events_fd < 0)
		return -errno;
	ret = br_snapshot_read_events(events_fd, snap);
	close(events_fd);
	return ret;
}

/* trace.dat wants the ftrace formats as plain blobs. */
static int flatten_ftrace(struct br_snapshot *snap)
{
	snap->ftrace_blobs = calloc(snap->nr_ftrace ? snap->nr_ftrace : 1,
				    sizeof(*snap->ftrace_blobs));
	if (!snap->ftrace_blobs)
		return -ENOMEM;
	for (int i = 0; i < snap->nr_ftrace; i++)
		snap->ftrace_blobs[i] = snap->ftrace[i].format;
	snap->meta.ftrace_formats = snap->ftrace_blobs;
	snap->meta.nr_ftrace_formats = snap->nr_ftrace;
	snap->meta.systems = snap->systems;
	snap->meta.nr_systems = snap->nr_systems;
	return 0;
}

static int read_cpustats(int inst_fd, struct br_snapshot *snap, int nr_cpus)
{
	snap->cpustats = calloc(nr_cpus, sizeof(*snap->cpustats));
	if (!snap->cpustats)
		return -ENOMEM;
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		char rel[64];
		int ret;

		snprintf(rel, sizeof(rel), "per_cpu/cpu%d/stats", cpu);
		ret = blob_read_at(inst_fd, rel, &snap->cpustats[cpu]);
		if (ret && ret != -ENOENT)
			return ret;
	}
	snap->meta.cpustats = snap->cpustats;
	return 0;
}

static void read_uname(struct br_snapshot *snap)
{
	struct utsname uts;

	if (!uname(&uts) &&
	    asprintf(&snap->uname, "%s %s %s %s %s", uts.sysname, uts.nodename,
		     uts.release, uts.version, uts.machine) > 0)
		snap->meta.uname = snap->uname;
}

/* What this kernel says about itself, where it describes the data. */
static void read_host(const struct bootrace_tracefs *tfs,
		      const struct bootrace_instance_info *info,
		      struct br_snapshot *snap, const struct br_snapshot_plan *plan)
{
	char *text;
	size_t len;

	read_uname(snap);
	/*
	 * Symbols are this boot's; trace-cmd 3.4 shifts them by the previous
	 * boot's kernel address from LAST_BOOT_INFO, and module addresses by
	 * each module's place in the modules list.
	 */
	if (plan->kallsyms)
		snap->meta.kallsyms_path = "/proc/kallsyms";
	if (plan->kallsyms &&
	    !br_read_at(AT_FDCWD, "/proc/modules", 0, 0, &text, &len)) {
		snap->modules.data = text;
		snap->modules.len = len;
	}
	if (!bootrace_tracefs_read(tfs, "printk_formats", &text, &len)) {
		snap->meta.printk_formats.data = text;
		snap->meta.printk_formats.len = len;
	}
	/* This boot's pid->comm table only describes data from this boot. */
	if ((info->last_boot.kind == BOOTRACE_LAST_BOOT_NONE ||
	     info->last_boot.kind == BOOTRACE_LAST_BOOT_CURRENT) &&
	    !bootrace_tracefs_read(tfs, "saved_cmdlines", &text, &len)) {
		snap->meta.cmdlines.data = text;
		snap->meta.cmdlines.len = len;
	}
}

/*
 * The boot that wrote the data left its own formats, symbols and modules:
 * they replace this kernel's. Only the header page and event come from
 * the instance, as they describe the buffer that is read.
 */
static int take_decoder(int inst_fd, struct br_snapshot *snap,
			const struct br_snapshot_plan *plan)
{
	struct br_decoder *dec = plan->decoder;
	int ret;

	ret = blob_read_at(inst_fd, "events/header_page", &snap->meta.header_page);
	if (!ret)
		ret = blob_read_at(inst_fd, "events/header_event", &snap->meta.header_event);
	if (ret)
		return ret;
	/* Its formats, printk formats, symbols and modules point into its body. */
	snap->backing = malloc(sizeof(*snap->backing));
	if (!snap->backing)
		return -ENOMEM;
	*snap->backing = dec->backing;
	dec->backing = (struct br_backing){ 0 };
	snap->borrowed = true;
	snap->ftrace = TAKE_PTR(dec->ftrace);
	snap->nr_ftrace = dec->nr_ftrace;
	dec->nr_ftrace = 0;
	snap->systems = TAKE_PTR(dec->systems);
	snap->nr_systems = dec->nr_systems;
	dec->nr_systems = 0;
	snap->meta.printk_formats = dec->printk_formats;
	snap->modules = dec->modules;
	if (plan->kallsyms)
		snap->meta.kallsyms = dec->kallsyms;
	/* The system the trace was recorded on, as trace-cmd means it. */
	snap->uname = TAKE_PTR(dec->uname);
	snap->meta.uname = snap->uname;
	return 0;
}

int br_snapshot_take(const struct bootrace_tracefs *tfs,
		     const struct bootrace_instance_info *info,
		     const struct br_snapshot_plan *plan,
		     struct br_snapshot **out, struct bootrace_error *err)
{
	struct br_snapshot *snap = calloc(1, sizeof(*snap));
	int inst_fd, ret;

	if (!snap)
		return br_fail(err, -ENOMEM, "out of memory");
	inst_fd = open(info->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (inst_fd < 0) {
		ret = br_fail(err, -errno, "cannot open %s: %s", info->path, strerror(errno));
		goto fail;
	}
	ret = plan->decoder ? take_decoder(inst_fd, snap, plan) : read_formats(inst_fd, snap);
	if (!ret)
		ret = flatten_ftrace(snap);
	if (!ret)
		ret = read_cpustats(inst_fd, snap, info->nr_cpus);
	if (!ret && blob_read_at(inst_fd, "trace_clock", &snap->clock) == 0)
		snap->meta.trace_clock = br_strip((char *)snap->clock.data);
	close(inst_fd);
	if (ret) {
		br_fail(err, ret, "cannot read the event formats and stats of %s: %s",
			info->path, strerror(-ret));
		goto fail;
	}
	if (plan->this_kernel)
		read_host(tfs, info, snap, plan);
	else if (!plan->decoder)
		read_uname(snap);
	snap->meta.page_size = info->subbuf_size;
	snap->meta.nr_cpus = info->nr_cpus;
	snap->meta.decode = plan->decode;
	/* Only with the symbols they belong to. */
	if (snap->meta.kallsyms.len || snap->meta.kallsyms_path)
		snap->meta.modules = snap->modules;
	if (info->has_last_boot_info) {
		snap->meta.last_boot_instance = info->name;
		snap->meta.last_boot_info = info->last_boot_info;
	}
	*out = snap;
	return 0;
fail:
	br_snapshot_free(snap);
	return ret;
}

/* @borrowed: the names and texts point into a decoder's body. */
static void formats_free(struct tracedat_event_format *f, int nr, bool borrowed)
{
	for (int i = 0; i < nr && !borrowed; i++) {
		free((char *)f[i].name);
		blob_free(&f[i].format);
	}
	free(f);
}

void br_snapshot_free(struct br_snapshot *snap)
{
	if (!snap)
		return;
	blob_free(&snap->meta.header_page);
	blob_free(&snap->meta.header_event);
	if (!snap->borrowed) {
		blob_free(&snap->meta.kallsyms);
		blob_free(&snap->meta.printk_formats);
		blob_free(&snap->modules);
	}
	blob_free(&snap->meta.cmdlines);
	formats_free(snap->ftrace, snap->nr_ftrace, snap->borrowed);
	free(snap->ftrace_blobs);
	for (int i = 0; i < snap->nr_systems; i++) {
		if (!snap->borrowed)
			free((char *)snap->systems[i].name);
		formats_free((struct tracedat_event_format *)snap->systems[i].events,
			     snap->systems[i].nr_events, snap->borrowed);
	}
	free(snap->systems);
	for (int cpu = 0; snap->cpustats && cpu < snap->meta.nr_cpus; cpu++)
		blob_free(&snap->cpustats[cpu]);
	free(snap->cpustats);
	blob_free(&snap->clock);
	free(snap->uname);
	if (snap->backing)
		br_backing_release(snap->backing);
	free(snap->backing);
	free(snap);
}

/*
 * /proc/kallsyms takes the kernel tens of milliseconds to print, as long as
 * reading every event format: read it on another CPU meanwhile, into an
 * unnamed file beside the output (so it needs no memory), from which the
 * writer then copies it.
 */
static void *prefetch_kallsyms(void *arg)
{
	struct br_kallsyms_prefetch *kp = arg;
	char chunk[64 * 1024];
	int in = open("/proc/kallsyms", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (in < 0) {
		kp->ret = -errno;
		return NULL;
	}
	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(kp->fd, chunk, n) != n) {
			kp->ret = n < 0 ? -errno : -EIO;
			break;
		}
	}
	close(in);
	return NULL;
}

void br_kallsyms_prefetch_start(struct br_kallsyms_prefetch *kp, const char *dir)
{
	memset(kp, 0, sizeof(*kp));
	kp->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (kp->fd < 0)
		return;		/* no O_TMPFILE here: the writer reads /proc/kallsyms itself */
	if (pthread_create(&kp->thread, NULL, prefetch_kallsyms, kp)) {
		close(kp->fd);
		kp->fd = -1;
		return;
	}
	kp->started = true;
}

void br_kallsyms_prefetch_finish(struct br_kallsyms_prefetch *kp, struct br_snapshot *snap)
{
	if (!kp->started)
		return;
	pthread_join(kp->thread, NULL);
	kp->started = false;
	if (kp->ret || !snap || !snap->meta.kallsyms_path)
		return;
	snprintf(kp->path, sizeof(kp->path), "/proc/self/fd/%d", kp->fd);
	snap->meta.kallsyms_path = kp->path;
}

void br_kallsyms_prefetch_release(struct br_kallsyms_prefetch *kp)
{
	if (kp->started)
		pthread_join(kp->thread, NULL);
	if (kp->fd >= 0)
		close(kp->fd);
	kp->fd = -1;
	kp->started = false;
}
